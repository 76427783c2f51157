//! Frame-throttled rendering: frames land in a plain buffer, and one `requestAnimationFrame`
//! publishes everything that arrived since, so a burst of thousands of events costs one reactive
//! update per frame, not one per event. A tap (set in the leader tab) sees every frame first, to
//! relay it to other tabs and queue it for IndexedDB.

use crate::app::UiState;
use crate::core::id::EventId;
use crate::core::protocol::{Gap, GapReason};

/// One decoded stream frame, as the UI needs it. Externally tagged (serde's default), like
/// `tabs::Relay`: an internally tagged enum makes serde buffer every message in its `Content`
/// tree, which alone costs about 8 KB of the gzipped WASM.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Incoming {
    /// A `cloudevent` frame: history id and the event JSON.
    Event { id: EventId, json: String },
    /// The history was cleared.
    Cleared,
    /// A refused ingest request (JSON).
    Rejected { json: String },
    /// Events the server could not replay (JSON).
    Gap { json: String },
}

/// What the list says about a `gap` frame's data ([`Gap`]).
pub fn gap_text(json: &str) -> String {
    let gap = serde_json::from_str::<Gap>(json).ok();
    let why = match gap.as_ref().map(|g| g.reason) {
        Some(GapReason::HistoryExceeded) => "older than the server's history",
        Some(GapReason::UnknownId) => "the server's history was restarted or replaced",
        Some(GapReason::BackendUnavailable) => "the server's event store was unavailable",
        Some(GapReason::Other) | None => "the server could not replay them",
    };
    match gap.and_then(|g| g.missed) {
        Some(n) => format!("{n} events missed: {why}"),
        None => format!("Events missed: {why}"),
    }
}

/// Where frames go. Cheap to clone; inert on the server.
#[derive(Clone)]
pub struct EventSink {
    #[cfg(feature = "hydrate")]
    inner: std::rc::Rc<std::cell::RefCell<browser::Inner>>,
}

impl EventSink {
    /// A sink publishing into `state`.
    pub fn new(state: UiState) -> Self {
        #[cfg(feature = "hydrate")]
        return Self { inner: browser::Inner::new(state) };
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = state;
            Self {}
        }
    }

    /// Queues a frame (after the tap, if any); the first since the last render schedules the next.
    pub fn push(&self, incoming: Incoming) {
        #[cfg(feature = "hydrate")]
        browser::push(&self.inner, incoming, true);
        #[cfg(not(feature = "hydrate"))]
        let _ = incoming;
    }

    /// Queues a frame that came from another tab or the cache: the tap does not see it.
    pub fn push_quiet(&self, incoming: Incoming) {
        #[cfg(feature = "hydrate")]
        browser::push(&self.inner, incoming, false);
        #[cfg(not(feature = "hydrate"))]
        let _ = incoming;
    }

    /// While paused, frames keep arriving and are kept, but nothing renders.
    pub fn set_paused(&self, paused: bool) {
        #[cfg(feature = "hydrate")]
        browser::set_paused(&self.inner, paused);
        #[cfg(not(feature = "hydrate"))]
        let _ = paused;
    }

    /// Sees every frame pushed with [`EventSink::push`] before it is queued.
    #[cfg(feature = "hydrate")]
    pub fn set_tap(&self, tap: impl Fn(&Incoming) + 'static) {
        self.inner.borrow_mut().tap = Some(std::rc::Rc::new(tap));
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::{Incoming, gap_text};
    use crate::app::UiState;
    use crate::core::batch::FrameBatch;
    use crate::core::cloudevent::CloudEvent;
    use leptos::prelude::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    /// Sees each frame before it is queued.
    pub type Tap = Rc<dyn Fn(&Incoming)>;

    pub struct Inner {
        batch: FrameBatch<Incoming>,
        state: UiState,
        pub tap: Option<Tap>,
    }

    impl Inner {
        pub fn new(state: UiState) -> Rc<RefCell<Self>> {
            Rc::new(RefCell::new(Self { batch: FrameBatch::new(), state, tap: None }))
        }
    }

    pub fn push(inner: &Rc<RefCell<Inner>>, incoming: Incoming, tapped: bool) {
        let tap = if tapped { inner.borrow().tap.clone() } else { None };
        if let Some(tap) = tap {
            tap(&incoming);
        }
        if inner.borrow_mut().batch.push(incoming) {
            schedule(inner);
        }
    }

    pub fn set_paused(inner: &Rc<RefCell<Inner>>, paused: bool) {
        let due = {
            let mut inner = inner.borrow_mut();
            if paused {
                inner.batch.pause();
                false
            } else {
                inner.batch.resume()
            }
        };
        if due {
            schedule(inner);
        }
    }

    fn schedule(inner: &Rc<RefCell<Inner>>) {
        let inner = Rc::clone(inner);
        request_animation_frame(move || flush(&inner));
    }

    /// Publishes every queued frame in one update of each signal it touches.
    fn flush(inner: &Rc<RefCell<Inner>>) {
        let (items, state) = {
            let mut inner = inner.borrow_mut();
            (inner.batch.drain(), inner.state)
        };
        if items.is_empty() {
            return;
        }
        let mut rejected = Vec::new();
        let mut added = 0usize;
        state.view.update(|view| {
            for item in items {
                match item {
                    Incoming::Event { id, json } => match serde_json::from_str::<CloudEvent>(&json) {
                        Ok(event) => added += usize::from(view.push(id, event)),
                        Err(e) => leptos::logging::warn!("skipping malformed event {id}: {e}"),
                    },
                    Incoming::Cleared => {
                        view.clear();
                        added = 0;
                    }
                    Incoming::Rejected { json } => rejected.push(json),
                    Incoming::Gap { json } => view.mark_gap(gap_text(&json)),
                }
            }
        });
        if !rejected.is_empty() {
            state.rejections.update(|list| {
                for json in rejected {
                    list.push_json(&json);
                }
            });
        }
        if added > 0 && !state.at_top.get_untracked() {
            state.unseen.update(|n| *n += added);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gap_text_says_how_many_and_why() {
        assert_eq!(
            gap_text(r#"{"reason":"history_exceeded","last_event_id":"1-0","missed":3}"#),
            "3 events missed: older than the server's history"
        );
        assert_eq!(
            gap_text(r#"{"reason":"unknown_id","last_event_id":"1-0","missed":null}"#),
            "Events missed: the server's history was restarted or replaced"
        );
        assert!(gap_text("not json").starts_with("Events missed"));
    }

    #[test]
    fn incoming_frames_round_trip_through_json_for_tab_relays() {
        let frames = vec![
            Incoming::Event { id: EventId::new(5, 1), json: "{}".into() },
            Incoming::Cleared,
            Incoming::Rejected { json: "{\"status\":400}".into() },
            Incoming::Gap { json: "{}".into() },
        ];
        let text = serde_json::to_string(&frames).unwrap();
        assert_eq!(serde_json::from_str::<Vec<Incoming>>(&text).unwrap(), frames);
    }
}
