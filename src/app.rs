//! The page shell, the root component and the one UI context ([`UiState`]). The shell is rendered
//! on the server only; [`App`] is rendered there and hydrated in the browser.

use crate::client::render::EventSink;
use crate::client::session;
use crate::client::stream::StreamStatus;
use crate::client::theme::use_theme;
use crate::components::header::Header;
use crate::components::player::Player;
use crate::components::send_form::SendPanel;
use crate::core::compose::Draft;
use crate::core::id::EventId;
use crate::core::view::{EventView, RejectionList};
use leptos::prelude::*;

/// Events a tab holds (DESIGN §6: memory store bounded at 50,000).
pub const TAB_CAPACITY: usize = 50_000;
/// Rejections the rejected lane keeps, like the server.
pub const REJECTION_CAPACITY: usize = 1000;

/// Applies the saved (or the system's) theme before first paint, so a dark-theme user never sees
/// a white flash while the WASM loads. Constant text, never event content.
const THEME_BOOT_SCRIPT: &str = "try{var t=localStorage.getItem('cep-theme');\
if(t!=='dark'&&t!=='light'){t=matchMedia('(prefers-color-scheme: dark)').matches?'dark':'light'}\
document.documentElement.dataset.theme=t}catch(e){}";

/// Which list the main area shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    Events,
    Rejected,
}

/// Everything the components share. Provided once by [`App`]; signals are `Copy`.
#[derive(Clone, Copy)]
pub struct UiState {
    /// The tab's events and the filtered subset (updated at most once per animation frame).
    pub view: RwSignal<EventView>,
    /// Refused ingest requests, newest first.
    pub rejections: RwSignal<RejectionList>,
    /// The stream connection, for the light.
    pub stream: Signal<StreamStatus>,
    /// Rendering is frozen; events keep arriving in the buffer.
    pub paused: RwSignal<bool>,
    /// The event shown in the detail pane.
    pub selected: RwSignal<Option<EventId>>,
    pub lane: RwSignal<Lane>,
    /// The list is scrolled to its top (the newest events).
    pub at_top: RwSignal<bool>,
    /// Events that arrived while scrolled away from the top ("N new").
    pub unseen: RwSignal<usize>,
    /// The send form's draft while the form is open.
    pub compose: RwSignal<Option<Draft>>,
}

impl UiState {
    fn new(stream: Signal<StreamStatus>) -> Self {
        Self {
            view: RwSignal::new(EventView::new(TAB_CAPACITY)),
            rejections: RwSignal::new(RejectionList::new(REJECTION_CAPACITY)),
            stream,
            paused: RwSignal::new(false),
            selected: RwSignal::new(None),
            lane: RwSignal::new(Lane::Events),
            at_top: RwSignal::new(true),
            unseen: RwSignal::new(0),
            compose: RwSignal::new(None),
        }
    }
}

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

/// The root component: provides [`UiState`], opens the stream, lays out header and main area.
/// One page, so no router: it would double the hydration code in the bundle.
#[component]
pub fn App() -> impl IntoView {
    let theme = use_theme();
    let stream = RwSignal::new(StreamStatus::default());
    let state = UiState::new(stream.into());
    provide_context(state);
    let sink = EventSink::new(state);
    // Effects run only in the browser, after hydration.
    Effect::new({
        let sink = sink.clone();
        move |started: Option<()>| {
            if started.is_none() {
                session::start(state, sink.clone(), stream);
            }
        }
    });
    Effect::new(move |_| sink.set_paused(state.paused.get()));

    view! {
        <div class="app" data-testid="app" data-hydrated=move || theme.hydrated.get().to_string()>
            <Header theme />
            <main class="main">
                <Player />
            </main>
            <SendPanel />
        </div>
    }
}

/// The [`UiState`] provided by [`App`].
pub fn use_ui() -> UiState {
    expect_context::<UiState>()
}
