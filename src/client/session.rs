//! A tab's life: show the cached events at once, then either lead (stream, relay, cache) or
//! follow (take the leader's frames), taking over when the leader goes away.

use crate::client::batcher::FrameBatcher;
use crate::client::ui::UiState;
use crate::core::view::Incoming;
use leptos::prelude::*;

/// Starts the tab once hydrated: effects never run on the server, so this is inert there.
pub fn use_session(state: UiState, batcher: FrameBatcher<Incoming>) {
    Effect::new(move |started: Option<()>| {
        if started.is_none() {
            #[cfg(feature = "hydrate")]
            leptos::task::spawn_local(browser::run(state, batcher.clone()));
            #[cfg(not(feature = "hydrate"))]
            let _ = (state, &batcher);
        }
    });
}

#[cfg(feature = "hydrate")]
mod browser {
    use crate::client::batcher::FrameBatcher;
    use crate::client::store::{Cache, CacheWriter, Cached};
    use crate::client::stream::{StreamStatus, UseEventStreamOptions, use_event_stream};
    use crate::client::tabs::{Relay, Tabs, request_leadership};
    use crate::client::ui::{TAB_CAPACITY, UiState};
    use crate::core::id::EventId;
    use crate::core::sse::{Frame, Parser};
    use crate::core::view::Incoming;
    use leptos::prelude::*;
    use std::cell::Cell;
    use std::rc::{Rc, Weak};
    use std::sync::Arc;

    /// Events per message when the leader syncs a joining tab, one message per task, so neither
    /// tab parses 50,000 events in one go.
    const SYNC_PAGE: usize = 1000;
    /// Cached events read per task after that, so no task runs long.
    const CACHE_CHUNK: usize = 2000;

    struct Session {
        state: UiState,
        batcher: FrameBatcher<Incoming>,
        tabs: Option<Tabs>,
        /// This tab holds the stream.
        leading: Cell<bool>,
        /// Another tab has said hello since this one took the lead: relaying is worth its cost.
        followers: Cell<bool>,
        /// Written by the leader only, so each event is cached once per browser.
        cache: Option<CacheWriter>,
    }

    pub async fn run(state: UiState, batcher: FrameBatcher<Incoming>) {
        let cache = Cache::open().await;
        if let Some(cache) = &cache {
            // The newest page first, so rows show (and the stream resumes after the newest) at
            // once; the older ones follow a chunk per task.
            let page = cache.newest_page().await;
            if let Some(&(before, ..)) = page.first() {
                publish_cached(state, page);
                let cache = cache.clone();
                leptos::task::spawn_local(async move {
                    let mut after = None;
                    loop {
                        let chunk = cache.older(after, before, CACHE_CHUNK).await;
                        let Some(&(last, ..)) = chunk.last() else { break };
                        after = Some(last);
                        publish_cached(state, chunk);
                        gloo_timers::future::TimeoutFuture::new(0).await;
                    }
                });
            }
        }
        let session = Rc::new_cyclic(|me: &Weak<Session>| {
            let me = me.clone();
            Session {
                state,
                batcher,
                tabs: Tabs::join(move |relay| {
                    if let Some(session) = me.upgrade() {
                        session.on_relay(relay);
                    }
                }),
                leading: Cell::new(false),
                followers: Cell::new(false),
                cache: cache.map(|cache| CacheWriter::new(cache, TAB_CAPACITY)),
            }
        });
        let lead = {
            let session = Rc::clone(&session);
            move || session.lead()
        };
        if session.tabs.is_some() && request_leadership(lead.clone()) {
            // Until the lock is granted this tab follows: ask the leader for what it lacks.
            if !session.leading.get() {
                state.set_stream(StreamStatus {
                    tooltip: "Waiting for the tab that holds the stream …".into(),
                    ..StreamStatus::default()
                });
                session.hello();
            }
        } else {
            // No Web Locks or no BroadcastChannel: this tab streams on its own.
            lead();
        }
    }

    fn publish_cached(state: UiState, events: Vec<Cached>) {
        state.publish(
            events.into_iter().map(|(id, json, marks)| Incoming::Event { id, json, marks }).collect(),
        );
    }

    impl Session {
        fn lead(self: &Rc<Self>) {
            self.leading.set(true);
            self.send(&Relay::Leader);
            let (frames, status) = (Rc::clone(self), Rc::clone(self));
            use_event_stream(UseEventStreamOptions {
                resume_after: self.state.view.with_untracked(|view| view.last_id()),
                on_frames: Rc::new(move |list| frames.on_stream_frames(list)),
                on_status: Rc::new(move |current| status.on_stream_status(current)),
            });
        }

        fn send(&self, relay: &Relay<'_>) {
            if let Some(tabs) = &self.tabs {
                tabs.send(relay);
            }
        }

        fn hello(&self) {
            if let Some(tabs) = &self.tabs {
                let after = self.state.view.with_untracked(|view| view.last_id());
                tabs.send(&Relay::Hello { from: &tabs.id, after });
            }
        }

        fn on_stream_frames(&self, frames: Vec<Frame>) {
            if self.followers.get() {
                let mut text = String::new();
                frames.iter().for_each(|frame| frame.encode_into(&mut text));
                self.send(&Relay::Frames(&text));
            }
            self.take(frames, true);
        }

        fn on_stream_status(&self, status: StreamStatus) {
            if self.followers.get() {
                self.send(&Relay::Status(status.clone()));
            }
            self.state.set_stream(status);
        }

        /// Hands frames to the model; the leader also caches their events.
        fn take(&self, frames: Vec<Frame>, cache: bool) {
            let mut items = Vec::with_capacity(frames.len());
            for frame in frames {
                match Incoming::from_frame(frame) {
                    Ok(Some(item)) => items.push(item),
                    Ok(None) => {}
                    Err(e) => leptos::logging::warn!("skipping a frame: {e}"),
                }
            }
            if cache && let Some(writer) = &self.cache {
                for item in &items {
                    match item {
                        Incoming::Event { id, json, marks } => writer.queue((*id, Arc::clone(json), *marks)),
                        Incoming::Cleared => writer.clear(),
                        _ => {}
                    }
                }
            }
            self.batcher.extend(items);
        }

        fn take_text(&self, text: &str) {
            self.take(Parser::new().push(text.as_bytes()), false);
        }

        fn on_relay(self: &Rc<Self>, relay: Relay<'_>) {
            let leading = self.leading.get();
            match relay {
                Relay::Frames(text) if !leading => self.take_text(text),
                Relay::Status(current) if !leading => self.state.set_stream(StreamStatus {
                    tooltip: format!("{} (shared by another tab)", current.tooltip),
                    ..current
                }),
                Relay::Hello { from, after } if leading => {
                    self.followers.set(true);
                    self.send(&Relay::Status(self.state.stream.get_untracked()));
                    self.sync(from.to_owned(), after);
                }
                Relay::Leader if !leading => self.hello(),
                Relay::Sync { to, frames } if !leading && self.tabs.as_ref().is_some_and(|t| t.id == to) => {
                    self.take_text(frames)
                }
                _ => {}
            }
        }

        /// Sends tab `to` what this tab holds after `after`, a page per task.
        fn sync(self: &Rc<Self>, to: String, after: Option<EventId>) {
            let rows: Vec<Incoming> = self.state.view.with_untracked(|view| {
                view.rows_after(after)
                    .map(|row| Incoming::Event {
                        id: row.id(),
                        json: Arc::clone(row.json()),
                        marks: row.marks,
                    })
                    .collect()
            });
            let session = Rc::clone(self);
            leptos::task::spawn_local(async move {
                for page in rows.chunks(SYNC_PAGE) {
                    let mut text = String::new();
                    for row in page {
                        row.to_frame().encode_into(&mut text);
                    }
                    session.send(&Relay::Sync { to: &to, frames: &text });
                    gloo_timers::future::TimeoutFuture::new(0).await;
                }
            });
        }
    }
}
