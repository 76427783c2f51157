//! Live `/stream` connection: `fetch` with a streaming body, parsed by `core::sse::Parser`, frames
//! handed to an [`EventSink`]. Reconnect policy and the light come from `core::connection`.

#[cfg(feature = "hydrate")]
use crate::client::render::EventSink;
use crate::core::connection::Light;
#[cfg(feature = "hydrate")]
use crate::core::id::EventId;

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

/// Opens `/stream` and keeps it open for the life of the page: reconnecting immediately, then with
/// backoff, each time resuming after the newest event received (at first `resume_after`, the
/// newest the tab already holds; with none, the server's whole history is replayed), so nothing is
/// lost or repeated. A line silent for twice the ping interval counts as dead. A 401/403 stops
/// retrying and says why. Every status change goes to `on_status`.
#[cfg(feature = "hydrate")]
pub fn start(sink: EventSink, resume_after: Option<EventId>, on_status: impl Fn(StreamStatus) + 'static) {
    browser::start(sink, resume_after, std::rc::Rc::new(on_status));
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::StreamStatus;
    use crate::app::TAB_CAPACITY;
    use crate::client::dom::{clock, now_ms};
    use crate::client::render::{EventSink, Incoming};
    use crate::core::connection::{Backoff, Connection, Light, Status};
    use crate::core::id::EventId;
    use crate::core::protocol::{Connected, FrameKind};
    use crate::core::sse::{Frame, Parser};
    use leptos::prelude::*;
    use std::cell::RefCell;
    use std::rc::Rc;
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{AbortController, ReadableStreamDefaultReader};

    struct Shared {
        connection: RefCell<Connection>,
        controller: RefCell<Option<AbortController>>,
        /// Newest event id received on any connection: the next `Last-Event-ID`.
        last_id: RefCell<Option<EventId>>,
        on_status: Rc<dyn Fn(StreamStatus)>,
    }

    impl Shared {
        fn publish(&self) {
            let connection = self.connection.borrow();
            let label = match connection.status() {
                Status::Open => "live",
                Status::Connecting { .. } => "connecting",
                Status::Waiting { .. } => "offline",
                Status::Stopped { .. } => "stopped",
            };
            let status = StreamStatus {
                light: connection.light(),
                label: label.to_owned(),
                tooltip: connection.describe(now_ms(), |ms| clock(ms)[..8].to_owned()),
            };
            (self.on_status)(status);
        }
    }

    pub fn start(sink: EventSink, resume_after: Option<EventId>, on_status: Rc<dyn Fn(StreamStatus)>) {
        let shared = Rc::new(Shared {
            connection: RefCell::new(Connection::new(Backoff::default())),
            controller: RefCell::new(None),
            last_id: RefCell::new(resume_after),
            on_status,
        });
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
        // Cleanup runs on this (only) thread; the wrapper satisfies the `Send` bound.
        let on_close = send_wrapper::SendWrapper::new((Rc::clone(&shared), Rc::clone(&closed)));
        on_cleanup(move || {
            let (shared, closed) = &*on_close;
            closed.set(true);
            if let Some(controller) = shared.controller.borrow().as_ref() {
                controller.abort();
            }
            if let Some(handle) = handle {
                handle.clear();
            }
        });
        leptos::task::spawn_local(run(shared, sink, closed));
    }

    async fn run(shared: Rc<Shared>, sink: EventSink, closed: Rc<std::cell::Cell<bool>>) {
        while !closed.get() {
            shared.connection.borrow_mut().connecting(now_ms());
            shared.publish();
            let reason = match connect(&shared, &sink).await {
                Outcome::Ended(reason) => reason,
                Outcome::Refused(status) => {
                    shared.connection.borrow_mut().unauthorized(status);
                    shared.publish();
                    return;
                }
            };
            if closed.get() {
                return;
            }
            let delay = shared.connection.borrow_mut().failed(now_ms(), reason, js_sys::Math::random());
            shared.publish();
            if delay > 0.0 {
                gloo_timers::future::TimeoutFuture::new(delay.min(f64::from(u32::MAX)) as u32).await;
            }
        }
    }

    enum Outcome {
        Ended(String),
        Refused(u16),
    }

    async fn connect(shared: &Rc<Shared>, sink: &EventSink) -> Outcome {
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
            Err(e) => return Outcome::Ended(format!("network error: {e}")),
        };
        match response.status() {
            200 => {}
            status @ (401 | 403) => return Outcome::Refused(status),
            status => return Outcome::Ended(format!("HTTP {status}")),
        }
        let Some(body) = response.body() else { return Outcome::Ended("response without a body".into()) };
        let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
        shared.connection.borrow_mut().opened(now_ms());
        shared.publish();
        let mut parser = Parser::new();
        loop {
            let chunk = match JsFuture::from(reader.read()).await {
                Ok(chunk) => chunk,
                Err(_) => return Outcome::Ended("connection lost".into()),
            };
            let done = js_sys::Reflect::get(&chunk, &JsValue::from_str("done"))
                .ok()
                .and_then(|d| d.as_bool())
                .unwrap_or(true);
            if done {
                return Outcome::Ended("stream ended".into());
            }
            let Ok(value) = js_sys::Reflect::get(&chunk, &JsValue::from_str("value")) else { continue };
            let bytes = js_sys::Uint8Array::new(&value).to_vec();
            parser.push_with(&bytes, |frame| handle(shared, sink, frame));
        }
    }

    /// Routes one frame; malformed ones are logged and skipped, the stream goes on.
    fn handle(shared: &Shared, sink: &EventSink, frame: Frame) {
        let now = now_ms();
        let name = frame.event.as_deref().unwrap_or("message");
        let kind = FrameKind::parse(name);
        shared.connection.borrow_mut().frame(now, kind == Some(FrameKind::CloudEvent));
        let Some(kind) = kind else {
            leptos::logging::log!("ignoring `{name}` frame");
            return;
        };
        match kind {
            FrameKind::CloudEvent => match frame.id.as_deref().map(str::parse::<EventId>) {
                Some(Ok(id)) => {
                    *shared.last_id.borrow_mut() = Some(id);
                    sink.push(Incoming::Event { id, json: frame.data });
                }
                _ => leptos::logging::warn!("cloudevent frame without a valid id skipped"),
            },
            FrameKind::Connected => {
                match serde_json::from_str::<Connected>(&frame.data) {
                    Ok(connected) => {
                        shared.connection.borrow_mut().set_ping_interval(connected.ping_interval_ms as f64);
                    }
                    Err(e) => leptos::logging::warn!("malformed connected frame: {e}"),
                }
                shared.publish();
            }
            FrameKind::Cleared => sink.push(Incoming::Cleared),
            FrameKind::Rejected => sink.push(Incoming::Rejected { json: frame.data }),
            FrameKind::Gap => sink.push(Incoming::Gap { json: frame.data }),
            FrameKind::Ping => {
                if shared.connection.borrow().light() != Light::Green {
                    shared.publish();
                }
            }
        }
    }
}
