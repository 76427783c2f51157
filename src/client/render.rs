//! Frame-throttled rendering: frames from the stream land in a plain buffer, and one
//! `requestAnimationFrame` publishes everything that arrived since, so a burst of thousands of
//! events costs one reactive update per frame, not one per event.

use crate::app::UiState;
use crate::core::id::EventId;

/// One decoded stream frame, as the UI needs it.
#[derive(Debug, Clone)]
pub enum Incoming {
    /// A `cloudevent` frame: history id and the event JSON.
    Event { id: EventId, json: String },
    /// The history was cleared.
    Cleared,
    /// A refused ingest request (JSON).
    Rejected(String),
    /// Events the server could not replay (JSON).
    Gap(String),
}

/// Where the stream reader puts frames. Cheap to clone; inert on the server.
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

    /// Queues a frame; the first one since the last render schedules the next.
    pub fn push(&self, incoming: Incoming) {
        #[cfg(feature = "hydrate")]
        browser::push(&self.inner, incoming);
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

    /// Frames waiting for the next render (or for resume).
    pub fn pending(&self) -> usize {
        #[cfg(feature = "hydrate")]
        return self.inner.borrow().batch.len();
        #[cfg(not(feature = "hydrate"))]
        0
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::Incoming;
    use crate::app::UiState;
    use crate::core::batch::FrameBatch;
    use crate::core::cloudevent::CloudEvent;
    use leptos::prelude::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    pub struct Inner {
        pub batch: FrameBatch<Incoming>,
        state: UiState,
    }

    impl Inner {
        pub fn new(state: UiState) -> Rc<RefCell<Self>> {
            Rc::new(RefCell::new(Self { batch: FrameBatch::new(), state }))
        }
    }

    pub fn push(inner: &Rc<RefCell<Inner>>, incoming: Incoming) {
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
        let mut gaps = Vec::new();
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
                    Incoming::Rejected(json) => rejected.push(json),
                    Incoming::Gap(json) => gaps.push(json),
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
        if !gaps.is_empty() {
            state.gaps.update(|n| *n += gaps.len());
            for gap in gaps {
                leptos::logging::warn!("stream gap: {gap}");
            }
        }
        if added > 0 && !state.at_top.get_untracked() {
            state.unseen.update(|n| *n += added);
        }
    }
}
