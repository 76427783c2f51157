//! The IndexedDB cache of events (rexie): database `cloudevent-player`, store `events` keyed by
//! `[ms, seq]` of the history id, so keys sort like ids. Written in batches off the render path,
//! capped at [`crate::client::ui::TAB_CAPACITY`] (oldest out), cleared on `cleared`. The writer
//! bookmarks where the newest page starts, so a load shows it without listing every key. Browser
//! only.

#[cfg(feature = "hydrate")]
pub use browser::{Cache, CacheWriter, Cached};

/// Cached events shown at once on load: a screen's worth and then some.
pub const NEWEST_PAGE: usize = 300;

#[cfg(feature = "hydrate")]
mod browser {
    use super::NEWEST_PAGE;
    use crate::client::dom;
    use crate::core::id::EventId;
    use crate::core::marks::Marks;
    use crate::core::sse::Frame;
    use rexie::{KeyRange, ObjectStore, Rexie, TransactionMode};
    use std::cell::RefCell;
    use std::rc::Rc;
    use std::sync::Arc;
    use wasm_bindgen::JsValue;

    const DATABASE: &str = "cloudevent-player";
    const STORE: &str = "events";
    /// Writes wait this long so a burst becomes few transactions.
    const WRITE_DELAY_MS: u32 = 250;
    /// Records per transaction (and per task).
    const WRITE_CHUNK: usize = 200;
    /// localStorage key of the history id the newest page starts at. Listing 50,000 keys to
    /// find it takes ~200 ms; reading from a bookmark takes a few.
    const BOOKMARK: &str = "cep-cache-newest-page";
    /// A page read from the bookmark this long or longer means a stale bookmark.
    const BOOKMARK_LIMIT: usize = 4 * NEWEST_PAGE;

    /// An open database. Cheap to clone.
    #[derive(Clone)]
    pub struct Cache {
        db: Rc<Rexie>,
    }

    fn key(id: EventId) -> JsValue {
        let key = js_sys::Array::new();
        key.push(&JsValue::from_f64(id.ms as f64));
        key.push(&JsValue::from_f64(id.seq as f64));
        key.into()
    }

    fn key_id(key: JsValue) -> Option<EventId> {
        let key: js_sys::Array = key.into();
        Some(EventId::new(key.get(0).as_f64()? as u64, key.get(1).as_f64()? as u64))
    }

    fn bookmark() -> Option<EventId> {
        dom::load(BOOKMARK)?.parse().ok()
    }

    /// The keys from `start` on.
    fn from(start: EventId) -> Result<KeyRange, rexie::Error> {
        Ok(KeyRange::lower_bound(&key(start), Some(false))?)
    }

    /// Where the newest page starts among `keys` (oldest first): the oldest when there are fewer.
    fn page_start(keys: &[JsValue]) -> Option<EventId> {
        keys.get(keys.len().saturating_sub(NEWEST_PAGE)).cloned().and_then(key_id)
    }

    /// An event as the cache keeps it: history id, JSON as received, its marks.
    pub type Cached = (EventId, Arc<str>, Marks);

    /// A record: `key`, `json`, and the marks as the stream's own `warnings` and `delivery` texts.
    fn record((id, json, marks): &Cached) -> JsValue {
        let object = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&object, &"key".into(), &key(*id));
        let _ = js_sys::Reflect::set(&object, &"json".into(), &JsValue::from_str(json));
        let fields = marks.write(Frame::default());
        for (name, value) in [("warnings", fields.warnings), ("delivery", fields.delivery)] {
            if let Some(value) = value {
                let _ = js_sys::Reflect::set(&object, &name.into(), &JsValue::from_str(&value));
            }
        }
        object.into()
    }

    fn cached(record: &JsValue) -> Option<Cached> {
        let id = key_id(js_sys::Reflect::get(record, &"key".into()).ok()?)?;
        let json = js_sys::Reflect::get(record, &"json".into()).ok()?.as_string()?;
        let text = |name: &str| js_sys::Reflect::get(record, &name.into()).ok().and_then(|v| v.as_string());
        let fields = Frame { warnings: text("warnings"), delivery: text("delivery"), ..Frame::default() };
        Some((id, json.into(), Marks::read(&fields)))
    }

    impl Cache {
        /// Opens (creating on first use) the database; `None` where IndexedDB is unavailable
        /// (private windows of some browsers), and the tab then works from the stream alone.
        pub async fn open() -> Option<Self> {
            let db = Rexie::builder(DATABASE)
                .version(1)
                .add_object_store(ObjectStore::new(STORE).key_path("key"))
                .build()
                .await;
            match db {
                Ok(db) => Some(Self { db: Rc::new(db) }),
                Err(e) => {
                    leptos::logging::warn!("IndexedDB unavailable, events are not cached: {e}");
                    None
                }
            }
        }

        /// The newest [`NEWEST_PAGE`] events (or a few more), oldest first: from the bookmark,
        /// or, where there is none or it is stale, from a listing of every key.
        pub async fn newest_page(&self) -> Vec<Cached> {
            if let Some(start) = bookmark() {
                let page = self.read(from(start).ok(), Some(BOOKMARK_LIMIT)).await;
                if !page.is_empty() && page.len() < BOOKMARK_LIMIT {
                    return page;
                }
            }
            match page_start(&self.read_keys().await) {
                Some(start) => self.read(from(start).ok(), None).await,
                None => Vec::new(),
            }
        }

        /// Up to `limit` cached events after `after` (`None`: from the oldest) and before
        /// `before`, oldest first.
        pub async fn older(&self, after: Option<EventId>, before: EventId, limit: usize) -> Vec<Cached> {
            let range = match after {
                Some(after) => KeyRange::bound(&key(after), &key(before), Some(true), Some(true)),
                None => KeyRange::upper_bound(&key(before), Some(true)),
            };
            self.read(range.ok(), Some(limit)).await
        }

        async fn read_keys(&self) -> Vec<JsValue> {
            let result = async {
                let tx = self.db.transaction(&[STORE], TransactionMode::ReadOnly)?;
                tx.store(STORE)?.get_all_keys(None, None).await
            };
            result.await.unwrap_or_else(|e| {
                leptos::logging::warn!("reading the event cache failed: {e}");
                Vec::new()
            })
        }

        async fn read(&self, range: Option<KeyRange>, limit: Option<usize>) -> Vec<Cached> {
            let result = async {
                let tx = self.db.transaction(&[STORE], TransactionMode::ReadOnly)?;
                let limit = limit.map(|n| u32::try_from(n).unwrap_or(u32::MAX));
                let records = tx.store(STORE)?.get_all(range, limit).await?;
                Ok::<_, rexie::Error>(records.iter().filter_map(cached).collect())
            };
            result.await.unwrap_or_else(|e| {
                leptos::logging::warn!("reading the event cache failed: {e}");
                Vec::new()
            })
        }

        /// Stores `events` in one transaction, drops the oldest beyond `capacity`, and moves the
        /// bookmark to where the newest page now starts.
        pub async fn write(&self, events: &[Cached], capacity: usize) -> Result<(), rexie::Error> {
            let tx = self.db.transaction(&[STORE], TransactionMode::ReadWrite)?;
            let store = tx.store(STORE)?;
            store.put_all(events.iter().map(|event| (record(event), None))).await?;
            let count = store.count(None).await? as usize;
            if count > capacity {
                let excess = u32::try_from(count - capacity).unwrap_or(u32::MAX);
                let oldest = store.get_all_keys(None, Some(excess)).await?;
                if let Some(last) = oldest.last() {
                    let range = KeyRange::upper_bound(last, Some(false))?;
                    store.delete(range.into()).await?;
                }
            }
            // The keys from the last bookmark on (a page and a write); all of them where there
            // is no bookmark or it is past the newest page.
            let mut keys = Vec::new();
            if let Some(start) = bookmark() {
                keys = store.get_all_keys(Some(from(start)?), None).await?;
            }
            if keys.len() < NEWEST_PAGE {
                keys = store.get_all_keys(None, None).await?;
            }
            let start = page_start(&keys);
            tx.done().await?;
            if let Some(start) = start {
                dom::save(BOOKMARK, &start.to_string());
            }
            Ok(())
        }

        /// Forgets every cached event (the history was cleared).
        pub async fn clear(&self) -> Result<(), rexie::Error> {
            let tx = self.db.transaction(&[STORE], TransactionMode::ReadWrite)?;
            tx.store(STORE)?.clear().await?;
            tx.done().await?;
            dom::save(BOOKMARK, "");
            Ok(())
        }
    }

    /// Queues events and writes them in batches a moment later, in order with clears.
    #[derive(Clone)]
    pub struct CacheWriter {
        cache: Cache,
        capacity: usize,
        state: Rc<RefCell<WriterState>>,
    }

    #[derive(Default)]
    struct WriterState {
        queued: Vec<Cached>,
        clear: bool,
        scheduled: bool,
    }

    impl CacheWriter {
        pub fn new(cache: Cache, capacity: usize) -> Self {
            Self { cache, capacity, state: Rc::default() }
        }

        /// Queues an event (its JSON shared with its row, not copied).
        pub fn queue(&self, event: Cached) {
            self.state.borrow_mut().queued.push(event);
            self.schedule();
        }

        /// Clears the cache; events queued before are dropped, later ones kept.
        pub fn clear(&self) {
            let mut state = self.state.borrow_mut();
            state.queued.clear();
            state.clear = true;
            drop(state);
            self.schedule();
        }

        /// One writer at a time, so a clear never lands between the chunks of an earlier write.
        /// Each chunk is its own transaction and task: a burst's thousands of records would
        /// otherwise be one long task.
        fn schedule(&self) {
            if std::mem::replace(&mut self.state.borrow_mut().scheduled, true) {
                return;
            }
            let writer = self.clone();
            leptos::task::spawn_local(async move {
                loop {
                    gloo_timers::future::TimeoutFuture::new(WRITE_DELAY_MS).await;
                    let (events, clear) = {
                        let mut state = writer.state.borrow_mut();
                        if state.queued.is_empty() && !state.clear {
                            state.scheduled = false;
                            return;
                        }
                        (std::mem::take(&mut state.queued), std::mem::take(&mut state.clear))
                    };
                    if clear && let Err(e) = writer.cache.clear().await {
                        leptos::logging::warn!("clearing the event cache failed: {e}");
                    }
                    for chunk in events.chunks(WRITE_CHUNK) {
                        if let Err(e) = writer.cache.write(chunk, writer.capacity).await {
                            leptos::logging::warn!("writing {} events to the cache failed: {e}", chunk.len());
                        }
                        gloo_timers::future::TimeoutFuture::new(0).await;
                    }
                }
            });
        }
    }
}
