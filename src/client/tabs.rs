//! One stream per browser (DESIGN §6, Tabs): the tab holding the Web Lock is the leader and the
//! only one with a `/stream` connection; it relays frames to the other tabs over a
//! `BroadcastChannel`. Browsers allow six HTTP/1.1 connections per host across all tabs, so ten
//! tabs with a stream each would hang. Without Web Locks every tab streams on its own.
//!
//! Messages are text: a one-letter kind, its header up to the first newline, then its body. Frames
//! travel in the stream's own SSE format, so a relayed event is the text the leader received,
//! never JSON escaped inside JSON, and a tab skips a sync meant for another by its header alone.

use crate::client::stream::StreamStatus;
use crate::core::id::EventId;

/// Lock and channel name, shared by every tab of the player's origin.
pub const NAME: &str = "cloudevent-player";

/// A message between tabs, borrowing its text.
#[derive(Debug, Clone, PartialEq)]
pub enum Relay<'a> {
    /// Frames the leader received, as SSE text.
    Frames(&'a str),
    /// The leader's connection status, for the followers' light.
    Status(StreamStatus),
    /// A follower asks for what the leader holds after `after`; from then on the leader relays.
    Hello { from: &'a str, after: Option<EventId> },
    /// A new leader took the stream over: followers say hello again.
    Leader,
    /// One page of the leader's answer to `Hello`, for tab `to` only: `cloudevent` frames as SSE text.
    Sync { to: &'a str, frames: &'a str },
}

impl Relay<'_> {
    pub fn encode(&self) -> String {
        match self {
            Relay::Frames(frames) => format!("F\n{frames}"),
            Relay::Status(status) => {
                format!("T\n{}", serde_json::to_string(status).expect("a status always serializes"))
            }
            Relay::Hello { from, after } => {
                format!("H{from}\n{}", after.map(|id| id.to_string()).unwrap_or_default())
            }
            Relay::Leader => "L\n".to_owned(),
            Relay::Sync { to, frames } => format!("S{to}\n{frames}"),
        }
    }

    /// Reads a message; `None` for one this version does not know or cannot read.
    pub fn decode(text: &str) -> Option<Relay<'_>> {
        let (head, body) = text.split_once('\n')?;
        let mut kind = head.chars();
        let tag = kind.next()?;
        let rest = kind.as_str();
        Some(match tag {
            'F' => Relay::Frames(body),
            'T' => Relay::Status(serde_json::from_str(body).ok()?),
            'H' => Relay::Hello {
                from: rest,
                after: if body.is_empty() { None } else { Some(body.parse().ok()?) },
            },
            'L' => Relay::Leader,
            'S' => Relay::Sync { to: rest, frames: body },
            _ => return None,
        })
    }
}

#[cfg(feature = "hydrate")]
pub use browser::{Tabs, request_leadership};

#[cfg(feature = "hydrate")]
mod browser {
    use super::{NAME, Relay};
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
        /// Joins the channel; every message from another tab goes to `on_relay`. `None` without
        /// BroadcastChannel support.
        pub fn join(on_relay: impl Fn(Relay<'_>) + 'static) -> Option<Self> {
            let channel = BroadcastChannel::new(NAME).ok()?;
            let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                let text = event.data().as_string();
                match text.as_deref().and_then(Relay::decode) {
                    Some(relay) => on_relay(relay),
                    None => {
                        leptos::logging::warn!("ignoring a message from another tab this page cannot read")
                    }
                }
            });
            channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            let id = format!("{:x}", (js_sys::Math::random() * 2f64.powi(52)) as u64);
            Some(Self { channel, id, _on_message: on_message })
        }

        pub fn send(&self, relay: &Relay<'_>) {
            let _ = self.channel.post_message(&relay.encode().into());
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::connection::Light;

    #[test]
    fn relays_round_trip_through_text() {
        let status = StreamStatus { light: Light::Green, label: "live".into(), tooltip: "Connected".into() };
        let relays = [
            Relay::Frames("id: 1-0\nevent: cloudevent\ndata: {\"a\":\"x\\ny\"}\n\n"),
            Relay::Status(status),
            Relay::Hello { from: "a1", after: Some(EventId::new(3, 0)) },
            Relay::Hello { from: "a1", after: None },
            Relay::Leader,
            Relay::Sync { to: "b2", frames: "id: 4-0\nevent: cloudevent\ndata: {}\n\n" },
        ];
        for relay in relays {
            let text = relay.encode();
            assert_eq!(Relay::decode(&text), Some(relay), "{text}");
        }
    }

    #[test]
    fn unknown_or_broken_messages_are_not_read() {
        for text in ["", "F", "X\nwhatever", "H1\nnot-an-id", "T\n{"] {
            assert_eq!(Relay::decode(text), None, "{text:?}");
        }
    }
}
