//! Live `/stream` connection: `fetch` with a streaming body, parsed by `core::sse::Parser`, frames
//! handed to a callback. Reconnect policy and the light come from `core::connection`.

use crate::core::connection::Light;
use crate::core::id::EventId;
use crate::core::sse::Frame;
use std::rc::Rc;

/// What the header shows about the connection (relayed as is to follower tabs).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StreamStatus {
    pub light: Light,
    /// One word for the light: `live`, `connecting`, `offline`, `stopped`.
    pub label: String,
    /// State, last event time, reconnect attempts, next retry.
    pub tooltip: String,
}

impl Default for StreamStatus {
    fn default() -> Self {
        Self { light: Light::Yellow, label: "connecting".into(), tooltip: "Connecting …".into() }
    }
}

/// Starts this tab's pending reconnect now ("Retry now"); nothing while the stream is open or
/// connecting, or in a tab that follows another tab's stream.
pub fn retry_now() {
    #[cfg(feature = "hydrate")]
    browser::RETRY_NOW.with(|hook| {
        if let Some(hook) = hook.borrow().as_ref() {
            hook();
        }
    });
}

/// Options of [`use_event_stream`].
pub struct UseEventStreamOptions {
    /// Resume after this id (the newest the tab already holds); with none, the server's history
    /// is replayed, up to what a tab holds.
    pub resume_after: Option<EventId>,
    /// The frames of each read that concern the model (not `connected` or `ping`), in order.
    pub on_frames: Rc<dyn Fn(Vec<Frame>)>,
    /// The connection status, each time it changes.
    pub on_status: Rc<dyn Fn(StreamStatus)>,
}

/// What [`use_event_stream`] returns.
pub struct UseEventStreamReturn {
    /// Closes the stream for good (also done when the owner is cleaned up).
    pub close: Rc<dyn Fn()>,
}

/// Opens `/stream` and keeps it open for the life of the page: reconnecting immediately, then with
/// backoff, each time resuming after the newest event received, so nothing is lost or repeated. A
/// line silent for twice the ping interval counts as dead. A 401/403 stops retrying and says why.
/// A pending retry starts at once on [`retry_now`], when the browser comes back `online` and when
/// the tab becomes visible again. Inert on the server.
pub fn use_event_stream(options: UseEventStreamOptions) -> UseEventStreamReturn {
    #[cfg(feature = "hydrate")]
    return browser::start(options);
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = options;
        UseEventStreamReturn { close: Rc::new(|| ()) }
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::{StreamStatus, UseEventStreamOptions, UseEventStreamReturn};
    use crate::client::dom::{clock, now_ms};
    use crate::client::ui::TAB_CAPACITY;
    use crate::core::connection::{Backoff, Connection, Light};
    use crate::core::id::EventId;
    use crate::core::protocol::{Connected, FrameKind};
    use crate::core::sse::{Frame, Parser};
    use leptos::prelude::*;
    use std::cell::RefCell;
    use std::rc::Rc;
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{AbortController, ReadableStreamDefaultReader};

    /// How often a wait for the next retry looks whether it was cut short.
    const WAKE_POLL_MS: u32 = 250;

    thread_local! {
        /// The leading stream's "retry now", for the light's button.
        pub static RETRY_NOW: RefCell<Option<Rc<dyn Fn()>>> = RefCell::new(None);
    }

    struct Shared {
        connection: RefCell<Connection>,
        controller: RefCell<Option<AbortController>>,
        /// Newest event id received on any connection: the next `Last-Event-ID`.
        last_id: RefCell<Option<EventId>>,
        on_frames: Rc<dyn Fn(Vec<Frame>)>,
        on_status: Rc<dyn Fn(StreamStatus)>,
        /// What `on_status` was last told: it hears only of changes.
        published: RefCell<Option<StreamStatus>>,
        /// Set to end a wait for the next retry early.
        wake: std::cell::Cell<bool>,
    }

    impl Shared {
        fn publish(&self) {
            let connection = self.connection.borrow();
            let status = StreamStatus {
                light: connection.light(),
                label: connection.label(now_ms()),
                tooltip: connection.describe(now_ms(), |ms| clock(ms)[..8].to_owned()),
            };
            drop(connection);
            if self.published.borrow().as_ref() != Some(&status) {
                *self.published.borrow_mut() = Some(status.clone());
                (self.on_status)(status);
            }
        }
    }

    pub fn start(options: UseEventStreamOptions) -> UseEventStreamReturn {
        let UseEventStreamOptions { resume_after, on_frames, on_status } = options;
        let shared = Rc::new(Shared {
            connection: RefCell::new(Connection::new(Backoff::default())),
            controller: RefCell::new(None),
            last_id: RefCell::new(resume_after),
            on_frames,
            on_status,
            published: RefCell::new(None),
            wake: std::cell::Cell::new(false),
        });
        // Wakes a pending retry: the user asked, the network is back, or the tab is seen again
        // (a hidden tab's timers are throttled, and the server may have returned meanwhile).
        let wake: Rc<dyn Fn()> = {
            let shared = Rc::clone(&shared);
            Rc::new(move || {
                if shared.connection.borrow().can_retry_now() {
                    shared.wake.set(true);
                }
            })
        };
        RETRY_NOW.with(|hook| *hook.borrow_mut() = Some(Rc::clone(&wake)));
        let online = {
            let wake = Rc::clone(&wake);
            window_event_listener(leptos::ev::online, move |_| wake())
        };
        let visible = {
            let wake = Rc::clone(&wake);
            window_event_listener_untyped("visibilitychange", move |_| {
                if !document().hidden() {
                    wake();
                }
            })
        };
        // Watchdog: a dead line is aborted (so the read fails and we reconnect); the tooltip's
        // countdown refreshes.
        let watchdog = Rc::clone(&shared);
        let handle = set_interval_with_handle(
            move || {
                let dead = watchdog.connection.borrow().is_dead(now_ms());
                if dead && let Some(controller) = watchdog.controller.borrow().as_ref() {
                    controller.abort();
                }
                watchdog.publish();
            },
            std::time::Duration::from_secs(1),
        )
        .ok();
        let closed = Rc::new(std::cell::Cell::new(false));
        let close: Rc<dyn Fn()> = {
            let (shared, closed) = (Rc::clone(&shared), Rc::clone(&closed));
            let handle = RefCell::new(handle);
            let listeners = RefCell::new(Some((online, visible)));
            Rc::new(move || {
                closed.set(true);
                RETRY_NOW.with(|hook| hook.borrow_mut().take());
                if let Some((online, visible)) = listeners.borrow_mut().take() {
                    online.remove();
                    visible.remove();
                }
                if let Some(controller) = shared.controller.borrow().as_ref() {
                    controller.abort();
                }
                if let Some(handle) = handle.borrow_mut().take() {
                    handle.clear();
                }
            })
        };
        // Cleanup runs on this (only) thread; the wrapper satisfies the `Send` bound.
        let on_close = send_wrapper::SendWrapper::new(Rc::clone(&close));
        on_cleanup(move || (on_close.as_ref())());
        leptos::task::spawn_local(run(shared, closed));
        UseEventStreamReturn { close }
    }

    async fn run(shared: Rc<Shared>, closed: Rc<std::cell::Cell<bool>>) {
        while !closed.get() {
            shared.connection.borrow_mut().connecting(now_ms());
            shared.publish();
            let reason = match connect(&shared).await {
                Outcome::Ended(reason) => reason,
                Outcome::Refused(status) => {
                    shared.connection.borrow_mut().unauthorized(status);
                    shared.publish();
                    // Until the user presses "Retry now".
                    wait(&shared, &closed, f64::INFINITY).await;
                    continue;
                }
            };
            if closed.get() {
                return;
            }
            let delay = shared.connection.borrow_mut().failed(now_ms(), reason, js_sys::Math::random());
            shared.publish();
            if delay > 0.0 {
                wait(&shared, &closed, delay).await;
            }
        }
    }

    /// Waits `delay_ms`, or less when woken (see `wake` in [`start`]) or closed.
    async fn wait(shared: &Shared, closed: &std::cell::Cell<bool>, delay_ms: f64) {
        shared.wake.set(false);
        let due = now_ms() + delay_ms;
        while !closed.get() && !shared.wake.replace(false) && now_ms() < due {
            gloo_timers::future::TimeoutFuture::new(WAKE_POLL_MS).await;
        }
    }

    enum Outcome {
        Ended(String),
        Refused(u16),
    }

    async fn connect(shared: &Rc<Shared>) -> Outcome {
        let controller = match AbortController::new() {
            Ok(c) => c,
            Err(_) => return Outcome::Ended("this browser cannot abort requests".into()),
        };
        // A tab with nothing yet starts from what the server holds; later connects resume.
        let last_id = *shared.last_id.borrow();
        let url =
            if last_id.is_some() { "/stream".to_owned() } else { format!("/stream?replay={TAB_CAPACITY}") };
        let mut request = gloo_net::http::Request::get(&url).abort_signal(Some(&controller.signal()));
        if let Some(id) = last_id {
            request = request.header("Last-Event-ID", &id.to_string());
        }
        *shared.controller.borrow_mut() = Some(controller);
        let response = match request.send().await {
            Ok(response) => response,
            // The browser says no more than "Failed to fetch": refused, reset or unreachable.
            Err(_) => return Outcome::Ended("the server could not be reached".into()),
        };
        match response.status() {
            200 => {}
            status @ (401 | 403) => return Outcome::Refused(status),
            status => return Outcome::Ended(format!("the server answered HTTP {status}")),
        }
        let Some(body) = response.body() else { return Outcome::Ended("response without a body".into()) };
        let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
        shared.connection.borrow_mut().opened(now_ms());
        shared.publish();
        let mut parser = Parser::new();
        loop {
            let chunk = match JsFuture::from(reader.read()).await {
                Ok(chunk) => chunk,
                Err(_) => return Outcome::Ended("the connection was lost".into()),
            };
            let done = js_sys::Reflect::get(&chunk, &JsValue::from_str("done"))
                .ok()
                .and_then(|d| d.as_bool())
                .unwrap_or(true);
            if done {
                return Outcome::Ended("the server closed the stream".into());
            }
            let Ok(value) = js_sys::Reflect::get(&chunk, &JsValue::from_str("value")) else { continue };
            let bytes = js_sys::Uint8Array::new(&value).to_vec();
            let mut frames = Vec::new();
            parser.push_with(&bytes, |frame| {
                if let Some(frame) = handle(shared, frame) {
                    frames.push(frame);
                }
            });
            if !frames.is_empty() {
                (shared.on_frames)(frames);
            }
        }
    }

    /// Keeps the connection's books on one frame; gives back the frames the model takes.
    fn handle(shared: &Shared, frame: Frame) -> Option<Frame> {
        let kind = frame.event.as_deref().and_then(FrameKind::parse);
        shared.connection.borrow_mut().frame(now_ms(), kind == Some(FrameKind::CloudEvent));
        match kind {
            Some(FrameKind::CloudEvent) => {
                if let Some(id) = frame.id.as_deref().and_then(|id| id.parse::<EventId>().ok()) {
                    *shared.last_id.borrow_mut() = Some(id);
                }
                Some(frame)
            }
            Some(FrameKind::Connected) => {
                match serde_json::from_str::<Connected>(&frame.data) {
                    Ok(connected) => {
                        shared.connection.borrow_mut().set_ping_interval(connected.ping_interval_ms as f64)
                    }
                    Err(e) => leptos::logging::warn!("malformed `connected` frame: {e}"),
                }
                shared.publish();
                None
            }
            Some(FrameKind::Ping) => {
                if shared.connection.borrow().light() != Light::Green {
                    shared.publish();
                }
                None
            }
            Some(_) => Some(frame),
            None => None,
        }
    }
}
