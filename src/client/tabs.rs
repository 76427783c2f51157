//! One stream per browser (DESIGN §6, Tabs): the tab holding the Web Lock is the leader and the
//! only one with a `/stream` connection; it relays frames to the other tabs over a
//! `BroadcastChannel`. Browsers allow six HTTP/1.1 connections per host across all tabs, so ten
//! tabs with a stream each would hang. Without Web Locks every tab streams on its own.

use crate::client::render::Incoming;
use crate::client::stream::StreamStatus;
use crate::core::id::EventId;
use serde::{Deserialize, Serialize};

/// Lock and channel name, shared by every tab of the player's origin.
pub const NAME: &str = "cloudevent-player";

/// A message between tabs; externally tagged for bundle size (see `render::Incoming`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Relay {
    /// A frame the leader received.
    Frame { frame: Incoming },
    /// The leader's connection status, for the followers' light.
    Status { status: StreamStatus },
    /// A new follower asks for what the leader holds after `after`.
    Hello { from: String, after: Option<EventId> },
    /// The leader's answer to `Hello`, for tab `to` only.
    Sync { to: String, events: Vec<(EventId, String)> },
}

#[cfg(feature = "hydrate")]
pub use browser::Tabs;

#[cfg(feature = "hydrate")]
mod browser {
    use super::{NAME, Relay};
    use std::rc::Rc;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::prelude::Closure;
    use web_sys::{BroadcastChannel, MessageEvent};

    /// This tab's end of the channel.
    pub struct Tabs {
        channel: BroadcastChannel,
        /// A random id, so a `Sync` reaches only the tab that asked.
        pub id: String,
        _on_message: Closure<dyn FnMut(MessageEvent)>,
    }

    impl Tabs {
        /// Joins the channel; every relay from another tab goes to `on_relay`. `None` without
        /// BroadcastChannel support.
        pub fn join(on_relay: impl Fn(Relay) + 'static) -> Option<Rc<Self>> {
            let channel = BroadcastChannel::new(NAME).ok()?;
            let on_message =
                Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                    match event.data().as_string().map(|text| serde_json::from_str::<Relay>(&text)) {
                        Some(Ok(relay)) => on_relay(relay),
                        _ => leptos::logging::warn!("ignoring a malformed message from another tab"),
                    }
                });
            channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            let id = format!("{:x}", (js_sys::Math::random() * 2f64.powi(52)) as u64);
            Some(Rc::new(Self { channel, id, _on_message: on_message }))
        }

        pub fn send(&self, relay: &Relay) {
            if let Ok(text) = serde_json::to_string(relay) {
                let _ = self.channel.post_message(&text.into());
            }
        }
    }

    /// Waits for the leader lock and calls `on_leader` once it is held; it is held until the
    /// tab closes (or crashes), and then the browser hands it to the next waiting tab. Returns
    /// false when Web Locks are unavailable: the caller then leads on its own at once.
    pub fn request_leadership(on_leader: impl FnOnce() + 'static) -> bool {
        let Some(window) = web_sys::window() else { return false };
        let navigator: wasm_bindgen::JsValue = window.navigator().into();
        let Ok(locks) = js_sys::Reflect::get(&navigator, &"locks".into()) else { return false };
        if locks.is_undefined() || locks.is_null() {
            return false;
        }
        let Ok(request) = js_sys::Reflect::get(&locks, &"request".into()) else { return false };
        let Ok(request) = request.dyn_into::<js_sys::Function>() else { return false };
        let granted = Closure::once_into_js(move |_lock: wasm_bindgen::JsValue| -> js_sys::Promise {
            on_leader();
            // Never settles: the lock is ours until the page goes away.
            js_sys::Promise::new(&mut |_, _| {})
        });
        request.call2(&locks, &NAME.into(), &granted).is_ok()
    }
}

#[cfg(feature = "hydrate")]
pub use browser::request_leadership;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::connection::Light;

    #[test]
    fn relays_round_trip_through_json() {
        let relays = vec![
            Relay::Frame { frame: Incoming::Event { id: EventId::new(1, 2), json: "{}".into() } },
            Relay::Status {
                status: StreamStatus {
                    light: Light::Green,
                    label: "live".into(),
                    tooltip: "Connected".into(),
                },
            },
            Relay::Hello { from: "a1".into(), after: Some(EventId::new(3, 0)) },
            Relay::Sync { to: "a1".into(), events: vec![(EventId::new(4, 0), "{}".into())] },
        ];
        for relay in relays {
            let text = serde_json::to_string(&relay).unwrap();
            assert_eq!(serde_json::from_str::<Relay>(&text).unwrap(), relay, "{text}");
        }
    }
}
