//! The embedded backend: a bounded ring in memory. A std `Mutex` guards it because every
//! operation is short and never awaits; publishing happens under the lock, so the hub sees ids in order.

use super::{Batch, DigestMap, EventLog, HistoryStats, LogResult, MAX_MARKS, Page, Range};
use crate::core::envelope::Envelope;
use crate::core::id::{EventId, Mark};
use crate::server::hub::{Entry, Hub, Message};
use futures::future::{BoxFuture, FutureExt, ready};
use std::collections::{VecDeque, hash_map};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

/// In-memory history bounded by count and by bytes (DESIGN §3): the oldest go first when either
/// is reached, though the newest event always stays.
pub struct MemoryLog {
    inner: Mutex<Inner>,
    capacity: usize,
    max_bytes: usize,
    hub: Hub,
    /// Ids from before this log existed belong to another history.
    origin: EventId,
}

#[derive(Default)]
struct Inner {
    entries: VecDeque<Held>,
    /// Last id issued, kept across clears so ids never repeat.
    last_id: EventId,
    /// Digest of `CloudEvent::duplicate_key` -> (newest history id with that key, how many in the history).
    /// A hash instead of the strings saves two allocations per event.
    keys: DigestMap<(EventId, usize)>,
    total_appended: u64,
    /// Sum of `Entry::bytes` plus each request's share, of the events held.
    bytes: usize,
    evicted_through: Option<EventId>,
    cleared_through: Option<EventId>,
    /// One per run of ids (here, per millisecond), the newest [`MAX_MARKS`], to count missed events.
    marks: VecDeque<Mark>,
}

/// An event in the history with the digest of its duplicate key, which eviction needs again:
/// kept rather than hashed a second time under the lock.
struct Held {
    entry: Arc<Entry>,
    key: u64,
}

impl Held {
    fn id(&self) -> EventId {
        self.entry.id()
    }
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

impl MemoryLog {
    /// A history of at most `capacity` events (at least 1) and about `max_bytes`, publishing to `hub`.
    pub fn new(capacity: usize, max_bytes: usize, hub: Hub) -> Self {
        let origin = EventId::new(now_ms(), 0);
        let inner = Inner { last_id: origin, ..Inner::default() };
        Self { inner: Mutex::new(inner), capacity: capacity.max(1), max_bytes, hub, origin }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves consistent data (every step is a plain push/pop).
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn append_now(&self, batch: Batch) -> Vec<Arc<Entry>> {
        let Batch { mode, events, request, received_at, deliveries } = batch;
        // The request is shared by the batch's events; each carries its part of the cost.
        let request_share = request.approx_bytes() / events.len().max(1);
        // Serialize and hash before locking: the lock covers only id assignment and bookkeeping.
        let mut deliveries = deliveries.into_iter();
        let prepared: Vec<_> = events
            .into_iter()
            .map(|v| (v.event.to_json(), v.event.duplicate_key().digest(), v, deliveries.next()))
            .collect();
        let now = now_ms();
        // Evicted entries are freed after the lock is released: freeing an event is many small
        // frees, which other appends should not wait on.
        let mut evicted = Vec::new();
        let mut inner = self.lock();
        let mut appended = Vec::with_capacity(prepared.len());
        for (json, key, validated, delivery) in prepared {
            let previous = (inner.total_appended > 0).then_some(inner.last_id);
            let id = inner.last_id.next(now);
            inner.last_id = id;
            inner.total_appended += 1;
            if Mark::starts_run(previous, id) {
                let mark = Mark { start: id, first: inner.total_appended };
                inner.marks.push_back(mark);
                if inner.marks.len() > MAX_MARKS {
                    inner.marks.pop_front();
                }
            }
            let duplicate_of = match inner.keys.entry(key) {
                hash_map::Entry::Occupied(mut seen) => {
                    let (previous, count) = *seen.get();
                    seen.insert((id, count + 1));
                    Some(previous)
                }
                hash_map::Entry::Vacant(slot) => {
                    slot.insert((id, 1));
                    None
                }
            };
            let envelope = Envelope {
                id,
                received_at: received_at.clone(),
                mode,
                duplicate_of,
                warnings: validated.warnings,
                event: validated.event,
                request: Arc::clone(&request),
                delivery,
            };
            let mut entry = Entry::new(envelope, json);
            entry.bytes += request_share;
            let entry = Arc::new(entry);
            inner.bytes += entry.bytes;
            inner.entries.push_back(Held { entry: Arc::clone(&entry), key });
            while inner.entries.len() > self.capacity
                || (inner.bytes > self.max_bytes && inner.entries.len() > 1)
            {
                evicted.extend(inner.evict_oldest());
            }
            self.hub.publish_event(&entry);
            appended.push(entry);
        }
        drop(inner);
        drop(evicted);
        appended
    }

    fn range_now(&self, range: Range) -> Page {
        let inner = self.lock();
        let entries = &inner.entries;
        let start = range.after.map_or(0, |after| entries.partition_point(|e| e.id() <= after));
        let end = range.before.map_or(entries.len(), |before| entries.partition_point(|e| e.id() < before));
        if start >= end {
            return Page::default();
        }
        let available = end - start;
        let take = range.limit.min(available);
        let (from, to) = if range.from_end { (end - take, end) } else { (start, start + take) };
        let entries = entries.range(from..to).map(|held| Arc::clone(&held.entry)).collect();
        Page { entries, has_more: take < available }
    }

    fn get_now(&self, id: EventId) -> Option<Arc<Entry>> {
        let inner = self.lock();
        inner.entries.binary_search_by_key(&id, Held::id).ok().map(|i| Arc::clone(&inner.entries[i].entry))
    }

    fn clear_now(&self) -> usize {
        let mut inner = self.lock();
        let removed = inner.entries.len();
        let through = inner.entries.back().map(|e| e.id()).or(inner.cleared_through);
        inner.entries.clear();
        inner.keys.clear();
        inner.bytes = 0;
        inner.cleared_through = through;
        self.hub.publish(Message::Cleared { through });
        removed
    }

    fn issued_through_now(&self, ids: &[EventId]) -> Vec<Option<u64>> {
        let inner = self.lock();
        let marks = &inner.marks;
        let count = |id: EventId| {
            let at = marks.partition_point(|mark| mark.start <= id);
            let floor = at.checked_sub(1).map(|floor| marks[floor]);
            Mark::issued_through(id, floor, marks.get(at).map(|mark| mark.first), inner.total_appended)
        };
        ids.iter().map(|&id| count(id)).collect()
    }

    fn stats_now(&self) -> HistoryStats {
        let inner = self.lock();
        HistoryStats {
            len: inner.entries.len(),
            capacity: self.capacity,
            bytes: Some(inner.bytes),
            max_bytes: Some(self.max_bytes),
            first_id: inner.entries.front().map(|e| e.id()),
            last_id: inner.entries.back().map(|e| e.id()),
            total_appended: inner.total_appended,
            evicted_through: inner.evicted_through,
            cleared_through: inner.cleared_through,
            origin: self.origin,
            last_issued: (inner.total_appended > 0).then_some(inner.last_id),
        }
    }
}

impl Inner {
    /// Removes the oldest entry from the history and returns it, for the caller to free.
    fn evict_oldest(&mut self) -> Option<Arc<Entry>> {
        let Held { entry: oldest, key } = self.entries.pop_front()?;
        self.bytes -= oldest.bytes;
        if let hash_map::Entry::Occupied(mut seen) = self.keys.entry(key) {
            let (newest, count) = *seen.get();
            if count <= 1 {
                seen.remove();
            } else {
                seen.insert((newest, count - 1));
            }
        }
        self.evicted_through = Some(oldest.id());
        Some(oldest)
    }
}

impl EventLog for MemoryLog {
    fn append(&self, batch: Batch) -> BoxFuture<'_, LogResult<Vec<Arc<Entry>>>> {
        ready(Ok(self.append_now(batch))).boxed()
    }

    fn range(&self, range: Range) -> BoxFuture<'_, LogResult<Page>> {
        ready(Ok(self.range_now(range))).boxed()
    }

    fn get(&self, id: EventId) -> BoxFuture<'_, LogResult<Option<Arc<Entry>>>> {
        ready(Ok(self.get_now(id))).boxed()
    }

    fn clear(&self) -> BoxFuture<'_, LogResult<usize>> {
        ready(Ok(self.clear_now())).boxed()
    }

    fn stats(&self) -> BoxFuture<'_, LogResult<HistoryStats>> {
        ready(Ok(self.stats_now())).boxed()
    }

    fn issued_through(&self, ids: Vec<EventId>) -> BoxFuture<'_, LogResult<Vec<Option<u64>>>> {
        ready(Ok(self.issued_through_now(&ids))).boxed()
    }

    fn health(&self) -> BoxFuture<'_, LogResult<()>> {
        ready(Ok(())).boxed()
    }

    fn backend(&self) -> &'static str {
        "memory"
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::core::cloudevent::{Mode, decode_structured};
    use crate::core::envelope::RequestRecord;
    use futures::executor::block_on;
    use proptest::prelude::*;

    /// A structured-mode batch of events with these ids, source `/test` and type `t`.
    pub(crate) fn batch(ids: &[&str]) -> Batch {
        typed_batch(ids, "t")
    }

    /// As [`batch`], of type `ty`.
    pub(crate) fn typed_batch(ids: &[&str], ty: &str) -> Batch {
        let events = ids
            .iter()
            .map(|id| {
                let body = format!(r#"{{"specversion":"1.0","id":"{id}","source":"/test","type":"{ty}"}}"#);
                decode_structured(body.as_bytes()).unwrap()
            })
            .collect();
        Batch {
            mode: Mode::Structured,
            events,
            request: Arc::new(RequestRecord::default()),
            received_at: "2026-11-26T00:00:00.000Z".into(),
            deliveries: Vec::new(),
        }
    }

    fn ids(page: &Page) -> Vec<String> {
        page.entries.iter().map(|e| e.envelope.event.id().to_owned()).collect()
    }

    #[test]
    fn issues_increasing_ids_and_publishes_in_order() {
        let hub = Hub::new(64);
        let mut rx = hub.subscribe();
        let log = MemoryLog::new(10, usize::MAX, hub);
        let entries = block_on(log.append(batch(&["a", "b", "c"]))).unwrap();
        assert!(entries.windows(2).all(|w| w[0].id() < w[1].id()));
        for expected in &entries {
            match rx.try_recv().unwrap() {
                Message::Event(got) => assert_eq!(got.id, expected.id()),
                other => panic!("unexpected {other:?}"),
            }
        }
        let frame = std::str::from_utf8(&entries[0].frame).unwrap();
        assert!(
            frame.starts_with(&format!(
                "id: {}\nevent: cloudevent\nwarnings: source-absolute type-prefix\ndata: {{",
                entries[0].id()
            )),
            "{frame}"
        );
    }

    #[test]
    fn marks_a_repeated_source_and_id_as_duplicate_of_the_previous_one() {
        let log = MemoryLog::new(10, usize::MAX, Hub::new(16));
        let first = block_on(log.append(batch(&["x"]))).unwrap();
        let again = block_on(log.append(batch(&["x", "y", "x"]))).unwrap();
        assert_eq!(first[0].envelope.duplicate_of, None);
        assert_eq!(again[0].envelope.duplicate_of, Some(first[0].id()));
        assert_eq!(again[1].envelope.duplicate_of, None);
        assert_eq!(again[2].envelope.duplicate_of, Some(again[0].id()));
    }

    #[test]
    fn duplicates_are_forgotten_once_evicted() {
        let log = MemoryLog::new(2, usize::MAX, Hub::new(16));
        block_on(log.append(batch(&["x", "y", "z"]))).unwrap();
        let again = block_on(log.append(batch(&["x"]))).unwrap();
        assert_eq!(again[0].envelope.duplicate_of, None);
    }

    #[test]
    fn ranges_select_by_bounds_and_end() {
        let log = MemoryLog::new(100, usize::MAX, Hub::new(16));
        let all = block_on(log.append(batch(&["0", "1", "2", "3", "4", "5"]))).unwrap();
        let page =
            block_on(log.range(Range { after: Some(all[1].id()), limit: 2, ..Range::default() })).unwrap();
        assert_eq!((ids(&page), page.has_more), (vec!["2".into(), "3".into()], true));
        let page = block_on(log.range(Range {
            before: Some(all[4].id()),
            limit: 2,
            from_end: true,
            ..Range::default()
        }))
        .unwrap();
        assert_eq!((ids(&page), page.has_more), (vec!["2".into(), "3".into()], true));
        let page =
            block_on(log.range(Range { after: Some(all[3].id()), limit: 10, ..Range::default() })).unwrap();
        assert_eq!((ids(&page), page.has_more), (vec!["4".into(), "5".into()], false));
        assert_eq!(block_on(log.get(all[2].id())).unwrap().unwrap().envelope.event.id(), "2");
        assert!(block_on(log.get(EventId::new(1, 1))).unwrap().is_none());
    }

    #[test]
    fn clear_empties_the_history_but_never_reuses_ids() {
        let hub = Hub::new(16);
        let mut rx = hub.subscribe();
        let log = MemoryLog::new(10, usize::MAX, hub);
        let before = block_on(log.append(batch(&["a", "b"]))).unwrap();
        assert_eq!(block_on(log.clear()).unwrap(), 2);
        let stats = block_on(log.stats()).unwrap();
        assert_eq!((stats.len, stats.cleared_through), (0, Some(before[1].id())));
        let after = block_on(log.append(batch(&["a"]))).unwrap();
        assert!(after[0].id() > before[1].id());
        assert_eq!(after[0].envelope.duplicate_of, None, "cleared events are not originals any more");
        let messages: Vec<_> = std::iter::from_fn(|| rx.try_recv().ok()).collect();
        assert!(matches!(messages[2], Message::Cleared { through } if through == Some(before[1].id())));
    }

    #[test]
    fn the_byte_budget_evicts_the_oldest_and_keeps_the_newest() {
        let one = block_on(MemoryLog::new(100, usize::MAX, Hub::new(16)).append(batch(&["a"]))).unwrap();
        let size = one[0].bytes;
        let log = MemoryLog::new(100, size * 3, Hub::new(16));
        let all = block_on(log.append(batch(&["a", "b", "c", "d", "e"]))).unwrap();
        let stats = block_on(log.stats()).unwrap();
        assert_eq!(stats.len, 3, "three events of {size} bytes fit in {}", size * 3);
        assert_eq!(stats.first_id, Some(all[2].id()));
        assert_eq!(stats.evicted_through, Some(all[1].id()));
        assert!(stats.bytes.unwrap() <= size * 3, "{stats:?}");
        assert_eq!(stats.max_bytes, Some(size * 3));

        let tiny = MemoryLog::new(100, 1, Hub::new(16));
        let kept = block_on(tiny.append(batch(&["x", "y"]))).unwrap();
        let stats = block_on(tiny.stats()).unwrap();
        assert_eq!((stats.len, stats.last_id), (1, Some(kept[1].id())), "the newest event always stays");
        block_on(tiny.clear()).unwrap();
        assert_eq!(block_on(tiny.stats()).unwrap().bytes, Some(0));
    }

    proptest! {
        #[test]
        fn never_exceeds_capacity_and_replay_is_the_exact_suffix(
            capacity in 1usize..20,
            batches in proptest::collection::vec(1usize..8, 1..20),
            pick in any::<prop::sample::Index>(),
        ) {
            let log = MemoryLog::new(capacity, usize::MAX, Hub::new(16));
            let mut issued = Vec::new();
            for (n, size) in batches.iter().enumerate() {
                let names: Vec<String> = (0..*size).map(|i| format!("{n}-{i}")).collect();
                let refs: Vec<&str> = names.iter().map(String::as_str).collect();
                issued.extend(block_on(log.append(batch(&refs))).unwrap().iter().map(|e| e.id()));
                prop_assert!(block_on(log.stats()).unwrap().len <= capacity);
            }
            let kept = &issued[issued.len().saturating_sub(capacity)..];
            let after = kept[pick.index(kept.len())];
            let page = block_on(log.range(Range { after: Some(after), limit: usize::MAX, ..Range::default() })).unwrap();
            let got: Vec<EventId> = page.entries.iter().map(|e| e.id()).collect();
            let expected: Vec<EventId> = kept.iter().copied().filter(|id| *id > after).collect();
            prop_assert_eq!(got, expected);
        }
    }
}
