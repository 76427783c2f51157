//! The page shell and the root component. The shell is rendered on the server only; [`App`] is
//! rendered there and hydrated in the browser.

use crate::client::theme::use_theme;
use crate::components::{empty_state::EmptyState, header::Header};
use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    StaticSegment,
    components::{Route, Router, Routes},
};

/// Applies the saved (or the system's) theme before first paint, so a dark-theme user never sees
/// a white flash while the WASM loads. Constant text, never event content.
const THEME_BOOT_SCRIPT: &str = "try{var t=localStorage.getItem('cep-theme');\
if(t!=='dark'&&t!=='light'){t=matchMedia('(prefers-color-scheme: dark)').matches?'dark':'light'}\
document.documentElement.dataset.theme=t}catch(e){}";

/// The HTML document around [`App`].
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <script inner_html=THEME_BOOT_SCRIPT></script>
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The root component: header and the routed main area.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let theme = use_theme();
    view! {
        <Stylesheet id="leptos" href="/pkg/cloudevent-player.css" />
        <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
        <Title text="CloudEvent Player" />
        <div class="app" data-testid="app" data-hydrated=move || theme.hydrated.get().to_string()>
            <Header theme />
            <Router>
                <main class="main">
                    <Routes fallback=|| view! { <p class="not-found">"Page not found."</p> }>
                        <Route path=StaticSegment("") view=EmptyState />
                    </Routes>
                </main>
            </Router>
        </div>
    }
}
