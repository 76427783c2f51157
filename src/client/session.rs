//! A tab's life: show the cached events at once, then either lead (stream, relay, cache) or
//! follow (take the leader's frames), taking over when the leader goes away.

use crate::app::UiState;
use crate::client::render::EventSink;
use crate::client::stream::StreamStatus;
use leptos::prelude::*;

/// Starts the tab once hydrated. Inert on the server.
pub fn start(state: UiState, sink: EventSink, status: RwSignal<StreamStatus>) {
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(browser::run(state, sink, status));
    #[cfg(not(feature = "hydrate"))]
    let _ = (state, sink, status);
}

#[cfg(feature = "hydrate")]
mod browser {
    use crate::app::{TAB_CAPACITY, UiState};
    use crate::client::render::{EventSink, Incoming};
    use crate::client::store::{Cache, CacheWriter};
    use crate::client::stream::{self, StreamStatus};
    use crate::client::tabs::{Relay, Tabs, request_leadership};
    use crate::core::cloudevent::CloudEvent;
    use leptos::prelude::*;
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;

    pub async fn run(state: UiState, sink: EventSink, status: RwSignal<StreamStatus>) {
        let cache = Cache::open().await;
        if let Some(cache) = &cache {
            let cached = cache.load().await;
            if !cached.is_empty() {
                state.view.update(|view| {
                    for (id, json) in cached {
                        if let Ok(event) = serde_json::from_str::<CloudEvent>(&json) {
                            view.push(id, event);
                        }
                    }
                });
            }
        }

        let leading = Rc::new(Cell::new(false));
        let tabs_cell: Rc<RefCell<Option<Rc<Tabs>>>> = Rc::default();
        let tabs = Tabs::join({
            let (leading, sink, tabs_cell) = (Rc::clone(&leading), sink.clone(), Rc::clone(&tabs_cell));
            move |relay| on_relay(relay, &leading, &sink, status, state, &tabs_cell)
        });
        *tabs_cell.borrow_mut() = tabs.clone();

        let become_leader = {
            let (leading, tabs) = (Rc::clone(&leading), tabs.clone());
            move || {
                leading.set(true);
                let writer = cache.map(|c| CacheWriter::new(c, TAB_CAPACITY));
                let relay_to = tabs.clone();
                sink.set_tap(move |frame| {
                    if let Some(writer) = &writer {
                        match frame {
                            Incoming::Event { id, json } => writer.queue(*id, json.clone()),
                            Incoming::Cleared => writer.clear(),
                            _ => {}
                        }
                    }
                    if let Some(tabs) = &relay_to {
                        tabs.send(&Relay::Frame { frame: frame.clone() });
                    }
                });
                let resume_after = state.view.with_untracked(|v| v.last_id());
                stream::start(sink, resume_after, move |current| {
                    if let Some(tabs) = &tabs {
                        tabs.send(&Relay::Status { status: current.clone() });
                    }
                    status.set(current);
                });
            }
        };
        match tabs {
            Some(tabs) if request_leadership(become_leader.clone()) => {
                // Until the lock is granted this tab follows: ask the leader for what it lacks.
                if !leading.get() {
                    status.set(StreamStatus {
                        tooltip: "Waiting for the tab that holds the stream …".into(),
                        ..StreamStatus::default()
                    });
                    let after = state.view.with_untracked(|v| v.last_id());
                    tabs.send(&Relay::Hello { from: tabs.id.clone(), after });
                }
            }
            // No Web Locks or no BroadcastChannel: this tab streams on its own.
            _ => become_leader(),
        }
    }

    fn on_relay(
        relay: Relay,
        leading: &Cell<bool>,
        sink: &EventSink,
        status: RwSignal<StreamStatus>,
        state: UiState,
        tabs: &RefCell<Option<Rc<Tabs>>>,
    ) {
        match relay {
            Relay::Frame { frame } if !leading.get() => sink.push_quiet(frame),
            Relay::Status { status: current } if !leading.get() => status.set(StreamStatus {
                tooltip: format!("{} (shared by another tab)", current.tooltip),
                ..current
            }),
            Relay::Hello { from, after } if leading.get() => {
                let events = state.view.with_untracked(|view| {
                    view.rows_after(after).map(|row| (row.id(), row.event().to_json())).collect()
                });
                if let Some(tabs) = tabs.borrow().as_ref() {
                    tabs.send(&Relay::Sync { to: from, events });
                }
            }
            Relay::Sync { to, events } if !leading.get() => {
                let mine = tabs.borrow().as_ref().is_some_and(|t| t.id == to);
                if mine {
                    for (id, json) in events {
                        sink.push_quiet(Incoming::Event { id, json });
                    }
                }
            }
            _ => {}
        }
    }
}
