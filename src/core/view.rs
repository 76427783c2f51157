//! The browser's event list model: a bounded history of rows, duplicate marks, and the subset the
//! current filter shows, kept up to date incrementally so a burst costs O(new events).

use crate::core::cloudevent::CloudEvent;
use crate::core::filter::{Filter, Matcher, Searchable};
use crate::core::id::EventId;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// One event as the list shows it.
#[derive(Debug)]
pub struct Row {
    pub item: Searchable,
    /// Another event with the same `source` and `id` arrived earlier (a producer's retry).
    pub duplicate: bool,
    /// Events before this one could not be delivered (a `gap` frame): what to tell the user.
    pub gap_before: Option<String>,
}

impl Row {
    pub fn id(&self) -> EventId {
        self.item.id
    }

    pub fn event(&self) -> &CloudEvent {
        &self.item.event
    }
}

/// Rows held by one tab, oldest first, at most `capacity`.
#[derive(Debug)]
pub struct EventView {
    rows: VecDeque<Arc<Row>>,
    shown: VecDeque<Arc<Row>>,
    capacity: usize,
    filter: Filter,
    matcher: Matcher,
    /// Hash of `(source, id)` -> rows held with that key (a hash, not two strings per event).
    keys: HashMap<u64, u32>,
    last_id: Option<EventId>,
    /// Events added since the page loaded (not reduced by eviction).
    received: u64,
    /// A gap reported before the next new event; attached to that event's row.
    pending_gap: Option<String>,
    gaps: usize,
    /// Ids up to here were cleared; late copies of them (relays, replays) stay out.
    cleared_through: Option<EventId>,
}

impl Default for EventView {
    fn default() -> Self {
        Self::new(50_000)
    }
}

impl EventView {
    /// A view holding at most `capacity` rows (the oldest go first).
    pub fn new(capacity: usize) -> Self {
        let filter = Filter::default();
        Self {
            rows: VecDeque::new(),
            shown: VecDeque::new(),
            capacity: capacity.max(1),
            matcher: filter.compile(),
            filter,
            keys: HashMap::new(),
            last_id: None,
            received: 0,
            pending_gap: None,
            gaps: 0,
            cleared_through: None,
        }
    }

    /// Adds an event in id order, wherever it falls: newer than everything (the usual case, O(1)),
    /// or older (a cache load, a relay from another tab or a replay arriving after live events).
    /// An id already held is ignored, so overlapping sources never show an event twice.
    /// Returns whether the filter shows it.
    pub fn push(&mut self, id: EventId, event: CloudEvent) -> bool {
        if self.cleared_through.is_some_and(|cleared| id <= cleared) {
            return false;
        }
        let newest = self.last_id.is_none_or(|last| id > last);
        let position = if newest {
            self.rows.len()
        } else {
            match self.rows.binary_search_by_key(&id, |r| r.id()) {
                Ok(_) => return false,
                // Older than everything held while the tab is full: it would be evicted at once.
                Err(0) if self.rows.len() >= self.capacity => return false,
                Err(position) => position,
            }
        };
        if newest {
            self.last_id = Some(id);
        }
        self.received += 1;
        let seen = self.keys.entry(event.duplicate_key()).or_insert(0);
        *seen += 1;
        let gap_before = if newest { self.pending_gap.take() } else { None };
        let row = Arc::new(Row { duplicate: *seen > 1, gap_before, item: Searchable::new(id, event) });
        let shown = self.matcher.matches(&row.item);
        if shown {
            let at = if newest { self.shown.len() } else { self.shown.partition_point(|r| r.id() < id) };
            self.shown.insert(at, Arc::clone(&row));
        }
        self.rows.insert(position, row);
        if self.rows.len() > self.capacity {
            self.evict_oldest();
        }
        shown
    }

    /// Records that events were missed before the next new one (a `gap` frame); the row of that
    /// event carries `text`, so the list shows where the hole is.
    pub fn mark_gap(&mut self, text: String) {
        self.gaps += 1;
        self.pending_gap = Some(text);
    }

    /// Gaps reported since the page loaded.
    pub fn gaps(&self) -> usize {
        self.gaps
    }

    /// A reported gap not yet attached to a row (no event has followed it).
    pub fn pending_gap(&self) -> Option<&str> {
        self.pending_gap.as_deref()
    }

    fn evict_oldest(&mut self) {
        let Some(oldest) = self.rows.pop_front() else { return };
        if self.shown.front().is_some_and(|s| Arc::ptr_eq(s, &oldest)) {
            self.shown.pop_front();
        }
        let key = oldest.event().duplicate_key();
        if let Some(count) = self.keys.get_mut(&key) {
            *count -= 1;
            if *count == 0 {
                self.keys.remove(&key);
            }
        }
    }

    /// Applies a new filter to every held row.
    pub fn set_filter(&mut self, filter: Filter) {
        if filter == self.filter {
            return;
        }
        self.matcher = filter.compile();
        self.filter = filter;
        self.shown = self.rows.iter().filter(|r| self.matcher.matches(&r.item)).cloned().collect();
    }

    pub fn filter(&self) -> &Filter {
        &self.filter
    }

    /// Forgets every row (the history was cleared); ids keep increasing, so `last_id` stays.
    pub fn clear(&mut self) {
        self.rows.clear();
        self.shown.clear();
        self.keys.clear();
        self.pending_gap = None;
        self.cleared_through = self.last_id;
    }

    /// Held rows with ids after `after` (all when `None`), oldest first: what another tab lacks.
    pub fn rows_after(&self, after: Option<EventId>) -> impl Iterator<Item = &Arc<Row>> {
        let start = after.map_or(0, |after| self.rows.partition_point(|r| r.id() <= after));
        self.rows.range(start..)
    }

    /// Rows held.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Rows the filter shows.
    pub fn shown_len(&self) -> usize {
        self.shown.len()
    }

    /// The `index`-th shown row, newest first.
    pub fn shown_newest_first(&self, index: usize) -> Option<&Arc<Row>> {
        self.shown.len().checked_sub(index + 1).and_then(|i| self.shown.get(i))
    }

    /// Shown rows `first..first + count`, newest first.
    pub fn shown_slice(&self, first: usize, count: usize) -> Vec<Arc<Row>> {
        (first..first + count).map_while(|i| self.shown_newest_first(i).cloned()).collect()
    }

    pub fn get(&self, id: EventId) -> Option<&Arc<Row>> {
        self.rows.binary_search_by_key(&id, |r| r.id()).ok().map(|i| &self.rows[i])
    }

    /// Every held row, oldest first.
    pub fn rows(&self) -> impl DoubleEndedIterator<Item = &Arc<Row>> {
        self.rows.iter()
    }

    /// Every shown row, oldest first.
    pub fn shown(&self) -> impl DoubleEndedIterator<Item = &Arc<Row>> {
        self.shown.iter()
    }

    /// The newest id held or seen: what a reconnecting stream sends as `Last-Event-ID`.
    pub fn last_id(&self) -> Option<EventId> {
        self.last_id
    }

    pub fn received(&self) -> u64 {
        self.received
    }
}

/// Refused ingest requests as the rejected lane shows them, newest first, at most `capacity`.
#[derive(Debug, Clone, Default)]
pub struct RejectionList {
    items: VecDeque<Arc<serde_json::Value>>,
    capacity: usize,
    /// Rejections seen since the page loaded (not reduced by the cap).
    total: u64,
}

impl RejectionList {
    pub fn new(capacity: usize) -> Self {
        Self { items: VecDeque::new(), capacity: capacity.max(1), total: 0 }
    }

    /// Adds one `rejected` frame's JSON (`{time, status, error, request}`); malformed JSON is
    /// dropped and reported as `false`.
    pub fn push_json(&mut self, json: &str) -> bool {
        match serde_json::from_str::<serde_json::Value>(json) {
            Ok(value) if value.is_object() => {
                self.push(value);
                true
            }
            _ => false,
        }
    }

    /// Adds one rejection as the newest.
    pub fn push(&mut self, value: serde_json::Value) {
        self.total += 1;
        self.items.push_front(Arc::new(value));
        self.items.truncate(self.capacity);
    }

    /// Newest first.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<serde_json::Value>> {
        self.items.iter()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn total(&self) -> u64 {
        self.total
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::cloudevent::decode_structured;

    fn event(id: &str, ty: &str) -> CloudEvent {
        let json = format!(r#"{{"specversion":"1.0","id":"{id}","source":"/s","type":"{ty}"}}"#);
        decode_structured(json.as_bytes()).unwrap().event
    }

    fn shown_ids(view: &EventView) -> Vec<String> {
        view.shown_slice(0, usize::MAX / 2).iter().map(|r| r.event().id().to_owned()).collect()
    }

    #[test]
    fn shows_newest_first_and_ignores_replayed_ids() {
        let mut view = EventView::new(10);
        assert!(view.push(EventId::new(1, 0), event("a", "t")));
        assert!(view.push(EventId::new(2, 0), event("b", "t")));
        assert!(!view.push(EventId::new(2, 0), event("b", "t")), "a replayed id is not shown twice");
        assert_eq!(shown_ids(&view), vec!["b", "a"]);
        assert_eq!(view.last_id(), Some(EventId::new(2, 0)));
    }

    #[test]
    fn merges_older_events_in_order_and_ignores_known_ids() {
        let mut view = EventView::new(10);
        view.push(EventId::new(5, 0), event("e", "t"));
        view.push(EventId::new(2, 0), event("b", "t"));
        view.push(EventId::new(3, 0), event("c", "t"));
        assert!(!view.push(EventId::new(3, 0), event("c", "t")));
        assert_eq!(shown_ids(&view), vec!["e", "c", "b"]);
        assert_eq!(view.last_id(), Some(EventId::new(5, 0)), "older arrivals do not move the resume point");
        let after: Vec<_> =
            view.rows_after(Some(EventId::new(2, 0))).map(|r| r.event().id().to_owned()).collect();
        assert_eq!(after, vec!["c", "e"]);
    }

    #[test]
    fn a_gap_marks_the_next_new_row() {
        let mut view = EventView::new(10);
        view.push(EventId::new(1, 0), event("a", "t"));
        view.mark_gap("3 events missed".into());
        assert_eq!(view.pending_gap(), Some("3 events missed"));
        view.push(EventId::new(9, 0), event("z", "t"));
        assert_eq!(view.get(EventId::new(9, 0)).unwrap().gap_before.as_deref(), Some("3 events missed"));
        assert_eq!(view.get(EventId::new(1, 0)).unwrap().gap_before, None);
        assert_eq!((view.gaps(), view.pending_gap()), (1, None));
    }

    #[test]
    fn marks_duplicates_by_source_and_id() {
        let mut view = EventView::new(10);
        view.push(EventId::new(1, 0), event("same", "t"));
        view.push(EventId::new(2, 0), event("same", "t"));
        assert!(!view.get(EventId::new(1, 0)).unwrap().duplicate);
        assert!(view.get(EventId::new(2, 0)).unwrap().duplicate);
    }

    #[test]
    fn evicts_the_oldest_from_rows_and_shown() {
        let mut view = EventView::new(2);
        for (n, ty) in ["x", "y", "x"].iter().enumerate() {
            view.push(EventId::new(n as u64 + 1, 0), event(&n.to_string(), ty));
        }
        assert_eq!(view.len(), 2);
        assert_eq!(shown_ids(&view), vec!["2", "1"]);
        assert_eq!(view.received(), 3);
    }

    #[test]
    fn filters_held_rows_and_new_arrivals() {
        let mut view = EventView::new(10);
        view.push(EventId::new(1, 0), event("a", "order.created"));
        view.push(EventId::new(2, 0), event("b", "user.created"));
        view.set_filter(Filter { ty: "order.*".into(), ..Filter::default() });
        assert_eq!(shown_ids(&view), vec!["a"]);
        assert!(view.push(EventId::new(3, 0), event("c", "order.paid")));
        assert!(!view.push(EventId::new(4, 0), event("d", "user.deleted")));
        assert_eq!((view.shown_len(), view.len()), (2, 4));
        view.set_filter(Filter::default());
        assert_eq!(shown_ids(&view), vec!["d", "c", "b", "a"]);
    }

    #[test]
    fn rejection_list_keeps_the_newest_and_drops_malformed_frames() {
        let mut list = RejectionList::new(2);
        for n in 0..3 {
            assert!(list.push_json(&format!(r#"{{"status":400,"n":{n}}}"#)));
        }
        assert!(!list.push_json("not json"));
        let order: Vec<_> = list.iter().map(|r| r["n"].as_u64().unwrap()).collect();
        assert_eq!(order, vec![2, 1]);
        assert_eq!((list.len(), list.total()), (2, 3));
    }

    #[test]
    fn clear_forgets_rows_but_not_the_last_id() {
        let mut view = EventView::new(10);
        view.push(EventId::new(5, 0), event("a", "t"));
        view.clear();
        assert!(view.is_empty());
        assert!(!view.push(EventId::new(4, 0), event("old", "t")));
        assert!(view.push(EventId::new(6, 0), event("a", "t")));
        assert!(!view.get(EventId::new(6, 0)).unwrap().duplicate, "cleared rows are not originals");
    }
}
