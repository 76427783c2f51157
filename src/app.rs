//! The page shell and the root component, which only wires: state, hooks and the layout. The shell
//! is rendered on the server only; [`App`] is rendered there and hydrated in the browser.

use crate::client::batcher::{UseFrameBatcherOptions, use_frame_batcher};
use crate::client::session::use_session;
use crate::client::theme::use_theme;
use crate::client::ui::UiState;
use crate::components::header::Header;
use crate::components::player::Player;
use crate::components::send_form::SendPanel;
use crate::components::shortcuts::Shortcuts;
use leptos::prelude::*;
use std::rc::Rc;

/// Applies the saved (or the system's) theme before first paint, so a dark-theme user never sees
/// a white flash while the WASM loads. Constant text, never event content.
const THEME_BOOT_SCRIPT: &str = "try{var t=localStorage.getItem('cep-theme');\
if(t!=='dark'&&t!=='light'){t=matchMedia('(prefers-color-scheme: dark)').matches?'dark':'light'}\
document.documentElement.dataset.theme=t}catch(e){}";

/// The HTML document around [`App`]. Title and stylesheet are static, so they live here rather
/// than in a head-managing component the bundle would have to carry. Its two inline scripts (the
/// theme boot and Leptos's hydration loader) carry the response's CSP nonce.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // The page's Content-Security-Policy admits the inline scripts below by this response's nonce.
    #[cfg(feature = "ssr")]
    crate::server::access::send_page_policy();
    let nonce = use_nonce();
    // Named like the WASM and JS, so it carries the same content hash (see `server::assets`).
    let stylesheet = format!("/{}/{}.css", options.site_pkg_dir, options.output_name);
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <script nonce=nonce inner_html=THEME_BOOT_SCRIPT></script>
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <title>"CloudEvent Player"</title>
                <link rel="stylesheet" id="leptos" href=stylesheet />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The root component: provides [`UiState`], starts the tab's session, lays out header and main
/// area. One page, so no router: it would double the hydration code in the bundle.
#[component]
pub fn App() -> impl IntoView {
    let theme = use_theme();
    let state = UiState::provide();
    let batcher = use_frame_batcher(UseFrameBatcherOptions {
        on_flush: Rc::new(move |items| state.publish(items)),
        on_held: Rc::new(move |held| state.held.set(held)),
    });
    Effect::new({
        let batcher = batcher.clone();
        move |_| batcher.set_paused(state.paused.get())
    });
    use_session(state, batcher);

    view! {
        <div class="app" data-testid="app" data-hydrated=move || theme.hydrated.get().to_string()>
            <Header theme />
            <main class="main">
                <Player />
            </main>
            <SendPanel />
            <Shortcuts />
        </div>
    }
}
