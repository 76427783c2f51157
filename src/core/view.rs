//! The browser's event list model: a bounded history of rows, duplicate marks, and the subset the
//! current filter shows, kept up to date incrementally so a burst costs O(new events); and the
//! rejected lane's list of summaries, with how a refused request is put into words.

use crate::core::cloudevent::{CloudEvent, ValidationError};
use crate::core::envelope::{MAX_RECORDED_BODY, MAX_RECORDED_HEADERS, RequestRecord};
use crate::core::expression::EventPredicate;
use crate::core::filter::{Filter, Matcher, Searchable};
use crate::core::id::EventId;
use crate::core::marks::Marks;
use crate::core::protocol::{FrameKind, Gap, GapReason};
use crate::core::rejection::{Rejection, RejectionSummary};
use crate::core::sse::Frame;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// One event as the list shows it.
#[derive(Debug)]
pub struct Row {
    pub item: Searchable,
    /// Another event with the same `source` and `id` is older (a producer's retry). Set later
    /// when an older copy arrives after it (a cache loaded newest first, a relay).
    duplicate: AtomicBool,
    /// Events before this one could not be delivered (a `gap` frame): what to tell the user.
    pub gap_before: Option<String>,
    /// The rules the event breaks and the lab's answer, for the badges.
    pub marks: Marks,
}

impl Row {
    pub fn id(&self) -> EventId {
        self.item.id
    }

    pub fn event(&self) -> &CloudEvent {
        &self.item.event
    }

    /// Another held event with the same `source` and `id` is older: a producer's retry.
    pub fn is_duplicate(&self) -> bool {
        self.duplicate.load(Ordering::Relaxed)
    }

    /// The event's JSON as received: what the cache stores and other tabs are sent.
    pub fn json(&self) -> &Arc<str> {
        &self.item.json
    }
}

/// A frame as a tab's model takes it, whether it came from the tab's stream, another tab or the
/// cache. Events keep the JSON they arrived as, shared by the row, the cache and relays.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// A `cloudevent` frame: the history id, the event's JSON and its marks.
    Event { id: EventId, json: Arc<str>, marks: Marks },
    /// The history was cleared.
    Cleared,
    /// A refused ingest request.
    /// Boxed: a summary is several times the size of the other variants.
    Rejected(Box<RejectionSummary>),
    /// Events the server could not replay.
    Gap(Gap),
}

impl Incoming {
    /// The model's part of a `/stream` frame. `connected`, `ping` and kinds this version does not
    /// know concern the connection, not the model: `Ok(None)`. Malformed data is an error to log.
    pub fn from_frame(frame: Frame) -> Result<Option<Self>, String> {
        let Some(kind) = frame.event.as_deref().and_then(FrameKind::parse) else { return Ok(None) };
        let malformed = |e: serde_json::Error| format!("malformed `{}` frame: {e}", kind.as_str());
        Ok(Some(match kind {
            FrameKind::CloudEvent => {
                let id = frame.id.as_deref().and_then(|id| id.parse().ok());
                let id = id.ok_or("a `cloudevent` frame without a valid id")?;
                Incoming::Event { id, marks: Marks::read(&frame), json: frame.data.into() }
            }
            FrameKind::Cleared => Incoming::Cleared,
            FrameKind::Rejected => {
                Incoming::Rejected(Box::new(serde_json::from_str(&frame.data).map_err(malformed)?))
            }
            FrameKind::Gap => Incoming::Gap(serde_json::from_str(&frame.data).map_err(malformed)?),
            FrameKind::Connected | FrameKind::Ping => return Ok(None),
        }))
    }

    /// Back to its `/stream` frame, to relay it to another tab in the stream's own format.
    pub fn to_frame(&self) -> Frame {
        match self {
            Incoming::Event { id, json, marks } => {
                marks.write(Frame::new(FrameKind::CloudEvent.as_str(), &**json).with_id(id.to_string()))
            }
            Incoming::Cleared => Frame::new(FrameKind::Cleared.as_str(), "{}"),
            Incoming::Rejected(summary) => FrameKind::Rejected.frame(&**summary),
            Incoming::Gap(gap) => FrameKind::Gap.frame(gap),
        }
    }
}

/// The held copies of one `source` + `id`.
#[derive(Debug, Clone, Copy)]
struct Copies {
    count: u32,
    /// The oldest copy's history id: the original, which is no duplicate.
    oldest: EventId,
}

/// What applying frames changed beyond the [`EventView`] itself.
#[derive(Debug, Default, PartialEq)]
pub struct Applied {
    /// New events the filter shows (for the "N new" count while scrolled away).
    pub shown: usize,
    /// Refused requests, oldest first, for the rejected lane.
    pub rejected: Vec<RejectionSummary>,
    /// Events whose JSON was not a valid CloudEvent, skipped with these messages.
    pub skipped: Vec<String>,
    /// The history was cleared: the rejected lane empties too (`rejected` holds only what came after).
    pub cleared: bool,
}

/// Rows held by one tab, oldest first, at most `capacity`.
#[derive(Debug)]
pub struct EventView {
    rows: VecDeque<Arc<Row>>,
    shown: VecDeque<Arc<Row>>,
    capacity: usize,
    filter: Filter,
    matcher: Matcher,
    /// Digest of `CloudEvent::duplicate_key` (a hash, not two strings per event) -> the rows held
    /// with that key.
    keys: HashMap<u64, Copies>,
    last_id: Option<EventId>,
    /// Events added since the page loaded (not reduced by eviction).
    received: u64,
    /// Rows dropped for room since the last clear: what arrived but is no longer held.
    evicted: u64,
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
            matcher: filter.compile_with(None),
            filter,
            keys: HashMap::new(),
            last_id: None,
            received: 0,
            evicted: 0,
            pending_gap: None,
            gaps: 0,
            cleared_through: None,
        }
    }

    /// Adds an event in id order, wherever it falls: newer than everything (the usual case, O(1)),
    /// or older (a cache load, a relay from another tab or a replay arriving after live events).
    /// An id already held is ignored, so overlapping sources never show an event twice.
    /// Returns whether the filter shows it.
    pub fn push(&mut self, id: EventId, event: CloudEvent, json: Arc<str>, marks: Marks) -> bool {
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
        let duplicate = self.count_copy(event.duplicate_key().digest(), id);
        let gap_before = if newest { self.pending_gap.take() } else { None };
        let row = Arc::new(Row {
            duplicate: AtomicBool::new(duplicate),
            gap_before,
            marks,
            item: Searchable::new(id, event, json),
        });
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

    /// The reducer: applies frames in order. A `cleared` forgets what came before it in the same
    /// batch, so a burst that ends in a clear shows nothing new.
    pub fn apply(&mut self, items: impl IntoIterator<Item = Incoming>) -> Applied {
        let mut applied = Applied::default();
        for item in items {
            match item {
                Incoming::Event { id, json, marks } => match serde_json::from_str::<CloudEvent>(&json) {
                    Ok(event) => applied.shown += usize::from(self.push(id, event, json, marks)),
                    Err(e) => applied.skipped.push(format!("event {id}: {e}")),
                },
                Incoming::Cleared => {
                    self.clear();
                    applied.shown = 0;
                    applied.rejected.clear();
                    applied.cleared = true;
                }
                Incoming::Rejected(summary) => applied.rejected.push(*summary),
                Incoming::Gap(gap) => self.mark_gap(gap_text(&gap)),
            }
        }
        applied
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

    /// Counts a held copy of `key` with history id `id`; whether it is a duplicate, i.e. an older
    /// copy is held. A copy older than every held one becomes the original, and the one that was
    /// is now a duplicate.
    fn count_copy(&mut self, key: u64, id: EventId) -> bool {
        let copies = self.keys.entry(key).or_insert(Copies { count: 0, oldest: id });
        copies.count += 1;
        if copies.count == 1 || id > copies.oldest {
            return copies.count > 1;
        }
        let was_original = std::mem::replace(&mut copies.oldest, id);
        if let Some(row) = self.get(was_original) {
            row.duplicate.store(true, Ordering::Relaxed);
        }
        false
    }

    fn evict_oldest(&mut self) {
        let Some(oldest) = self.rows.pop_front() else { return };
        self.evicted += 1;
        if self.shown.front().is_some_and(|s| Arc::ptr_eq(s, &oldest)) {
            self.shown.pop_front();
        }
        let key = oldest.event().duplicate_key().digest();
        if let Some(copies) = self.keys.get_mut(&key) {
            copies.count -= 1;
            if copies.count == 0 {
                self.keys.remove(&key);
            }
        }
    }

    /// Applies a new filter to every held row; `expression` is its expression compiled
    /// ([`Filter::compiled_expression`]; the page compiles it where the engine is loaded).
    pub fn set_filter(&mut self, filter: Filter, expression: Option<Arc<dyn EventPredicate>>) {
        if filter == self.filter {
            return;
        }
        self.matcher = filter.compile_with(expression);
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
        self.evicted = 0;
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

    /// Where the shown row `id` sits, newest first; `None` when the filter hides it or it is gone.
    pub fn shown_index(&self, id: EventId) -> Option<usize> {
        let position = self.shown.binary_search_by_key(&id, |r| r.id()).ok()?;
        Some(self.shown.len() - 1 - position)
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

    /// Events that arrived since the last clear but were dropped for newer ones (the tab holds
    /// at most its capacity), so a counter can say how many arrived beyond what is held.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }
}

/// Refused ingest requests as the rejected lane shows them, newest first, at most `capacity`.
/// Each is the bounded [`RejectionSummary`] the server streams; the full record is fetched on
/// demand, so a tab never holds large requests it has not asked for.
#[derive(Debug, Clone, Default)]
pub struct RejectionList {
    items: VecDeque<Arc<RejectionSummary>>,
    capacity: usize,
    /// Rejections seen since the page loaded (not reduced by the cap).
    total: u64,
}

impl RejectionList {
    pub fn new(capacity: usize) -> Self {
        Self { items: VecDeque::new(), capacity: capacity.max(1), total: 0 }
    }

    /// Adds one rejection as the newest.
    pub fn push(&mut self, summary: RejectionSummary) {
        self.total += 1;
        self.items.push_front(Arc::new(summary));
        self.items.truncate(self.capacity);
    }

    /// Forgets every rejection (the history was cleared); the total counts on.
    pub fn clear(&mut self) {
        self.items.clear();
    }

    /// Newest first.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<RejectionSummary>> {
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

/// What the list says about a `gap` frame: how many events were missed, when the server counted
/// them, and why.
pub fn gap_text(gap: &Gap) -> String {
    let why = match gap.reason {
        GapReason::HistoryExceeded => "older than the server's history",
        GapReason::UnknownId => "the server's history was restarted or replaced",
        GapReason::BackendUnavailable => "the server's event store was unavailable",
        GapReason::Other => "the server could not replay them",
    };
    match gap.missed {
        Some(1) => format!("1 event missed: {why}"),
        Some(n) => format!("{n} events missed: {why}"),
        None => format!("Events missed: {why}"),
    }
}

/// Whether `record` is the full record of `summary`: ids restart with the server, so a record
/// fetched by id after a restart may be another request's.
pub fn is_record_of(summary: &RejectionSummary, record: &Rejection) -> bool {
    record.id == summary.id && record.time == summary.time
}

/// Where a detail of an error points, as a prefix of its message: `event 2, time: `.
pub fn detail_place(detail: &ValidationError) -> String {
    match (detail.index, detail.attribute.as_deref()) {
        (Some(i), Some(a)) => format!("event {i}, {a}: "),
        (Some(i), None) => format!("event {i}: "),
        (None, Some(a)) => format!("{a}: "),
        (None, None) => String::new(),
    }
}

/// One detail as a line: its place, then its message without the attribute name the message
/// may already begin with (`source: required …` stays that, not `source: source: required …`).
pub fn detail_line(detail: &ValidationError) -> String {
    let message = detail
        .attribute
        .as_deref()
        .and_then(|a| detail.message.strip_prefix(a)?.strip_prefix(": "))
        .unwrap_or(&detail.message);
    format!("{}{message}", detail_place(detail))
}

/// `and N more` when the summary carries only the first of the error's details.
pub fn more_details(summary: &RejectionSummary) -> Option<String> {
    let more = summary.details_total.saturating_sub(summary.details.len());
    (more > 0).then(|| format!("and {more} more"))
}

/// A byte count in words: `1 byte`, `2048 bytes`.
pub fn size_text(bytes: usize) -> String {
    if bytes == 1 { "1 byte".into() } else { format!("{bytes} bytes") }
}

/// What the headers of a recorded request leave out, when the server kept only their first bytes.
pub fn headers_note(request: &RequestRecord) -> Option<String> {
    let kept = format!("Only the first {} KiB of headers were kept", MAX_RECORDED_HEADERS / 1024);
    match request.headers_dropped {
        0 if request.headers_truncated => Some(format!("{kept}; the last one may be cut.")),
        0 => None,
        1 => Some(format!("{kept}: 1 more header was left out.")),
        n => Some(format!("{kept}: {n} more headers were left out.")),
    }
}

/// The body of a recorded request as text, and a label when it is not the text itself: the
/// base64 of a body that is not UTF-8, or an empty body.
pub fn body_view(request: &RequestRecord) -> (&str, Option<&'static str>) {
    match (&request.body, &request.body_base64) {
        (Some(text), _) => (text, None),
        (None, Some(base64)) => (base64, Some("base64 (the body is not UTF-8)")),
        (None, None) => ("", Some("empty body")),
    }
}

/// `first 64 KiB of N bytes` when only the start of the body was kept.
pub fn body_note(request: &RequestRecord) -> Option<String> {
    request
        .body_truncated
        .then(|| format!("first {} KiB of {}", MAX_RECORDED_BODY / 1024, size_text(request.body_size)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::cloudevent::decode_structured;
    use crate::core::cloudevent::lint::RuleSet;
    use crate::core::rejection::ErrorDetail;
    use crate::core::sse::Parser;

    fn event(id: &str, ty: &str) -> CloudEvent {
        let json = format!(r#"{{"specversion":"1.0","id":"{id}","source":"/s","type":"{ty}"}}"#);
        decode_structured(json.as_bytes()).unwrap().event
    }

    fn push(view: &mut EventView, id: EventId, event: CloudEvent) -> bool {
        let json = event.to_json();
        view.push(id, event, json.into(), Marks::default())
    }

    /// A `rejected` frame's data through the stream reader's path into the list.
    fn push_json(list: &mut RejectionList, json: &str) -> bool {
        match Incoming::from_frame(Frame::new("rejected", json)) {
            Ok(Some(Incoming::Rejected(summary))) => {
                list.push(*summary);
                true
            }
            _ => false,
        }
    }

    fn shown_ids(view: &EventView) -> Vec<String> {
        view.shown_slice(0, usize::MAX / 2).iter().map(|r| r.event().id().to_owned()).collect()
    }

    #[test]
    fn shows_newest_first_and_ignores_replayed_ids() {
        let mut view = EventView::new(10);
        assert!(push(&mut view, EventId::new(1, 0), event("a", "t")));
        assert!(push(&mut view, EventId::new(2, 0), event("b", "t")));
        assert!(!push(&mut view, EventId::new(2, 0), event("b", "t")), "a replayed id is not shown twice");
        assert_eq!(shown_ids(&view), vec!["b", "a"]);
        assert_eq!(view.last_id(), Some(EventId::new(2, 0)));
    }

    #[test]
    fn merges_older_events_in_order_and_ignores_known_ids() {
        let mut view = EventView::new(10);
        push(&mut view, EventId::new(5, 0), event("e", "t"));
        push(&mut view, EventId::new(2, 0), event("b", "t"));
        push(&mut view, EventId::new(3, 0), event("c", "t"));
        assert!(!push(&mut view, EventId::new(3, 0), event("c", "t")));
        assert_eq!(shown_ids(&view), vec!["e", "c", "b"]);
        assert_eq!(view.last_id(), Some(EventId::new(5, 0)), "older arrivals do not move the resume point");
        let after: Vec<_> =
            view.rows_after(Some(EventId::new(2, 0))).map(|r| r.event().id().to_owned()).collect();
        assert_eq!(after, vec!["c", "e"]);
    }

    #[test]
    fn a_gap_marks_the_next_new_row() {
        let mut view = EventView::new(10);
        push(&mut view, EventId::new(1, 0), event("a", "t"));
        view.mark_gap("3 events missed".into());
        assert_eq!(view.pending_gap(), Some("3 events missed"));
        push(&mut view, EventId::new(9, 0), event("z", "t"));
        assert_eq!(view.get(EventId::new(9, 0)).unwrap().gap_before.as_deref(), Some("3 events missed"));
        assert_eq!(view.get(EventId::new(1, 0)).unwrap().gap_before, None);
        assert_eq!((view.gaps(), view.pending_gap()), (1, None));
    }

    #[test]
    fn shown_index_counts_newest_first_and_is_none_for_a_hidden_row() {
        let mut view = EventView::new(10);
        push(&mut view, EventId::new(1, 0), event("a", "order.created"));
        push(&mut view, EventId::new(2, 0), event("b", "user.created"));
        push(&mut view, EventId::new(3, 0), event("c", "order.created"));
        assert_eq!(view.shown_index(EventId::new(3, 0)), Some(0));
        assert_eq!(view.shown_index(EventId::new(1, 0)), Some(2));
        view.set_filter(Filter { ty: "order.*".into(), ..Filter::default() }, None);
        assert_eq!(view.shown_index(EventId::new(2, 0)), None, "held, but the filter hides it");
        assert_eq!(view.shown_index(EventId::new(1, 0)), Some(1));
        assert_eq!(view.shown_index(EventId::new(7, 0)), None);
    }

    #[test]
    fn marks_duplicates_by_source_and_id() {
        let mut view = EventView::new(10);
        push(&mut view, EventId::new(1, 0), event("same", "t"));
        push(&mut view, EventId::new(2, 0), event("same", "t"));
        assert!(!view.get(EventId::new(1, 0)).unwrap().is_duplicate());
        assert!(view.get(EventId::new(2, 0)).unwrap().is_duplicate());
    }

    #[test]
    fn an_older_copy_arriving_late_is_the_original_and_the_newer_ones_are_duplicates() {
        let mut view = EventView::new(10);
        // Newest first, as a cache load shows the newest page before the rest.
        push(&mut view, EventId::new(9, 0), event("same", "t"));
        push(&mut view, EventId::new(5, 0), event("same", "t"));
        push(&mut view, EventId::new(7, 0), event("same", "t"));
        push(&mut view, EventId::new(1, 0), event("other", "t"));
        let duplicate = |ms| view.get(EventId::new(ms, 0)).unwrap().is_duplicate();
        assert_eq!([duplicate(5), duplicate(7), duplicate(9), duplicate(1)], [false, true, true, false]);
    }

    #[test]
    fn counts_what_was_dropped_for_room_until_a_clear() {
        let mut view = EventView::new(2);
        for n in 1..=5 {
            push(&mut view, EventId::new(n, 0), event(&n.to_string(), "t"));
        }
        assert_eq!((view.len(), view.evicted()), (2, 3));
        view.clear();
        assert_eq!(view.evicted(), 0);
    }

    #[test]
    fn evicts_the_oldest_from_rows_and_shown() {
        let mut view = EventView::new(2);
        for (n, ty) in ["x", "y", "x"].iter().enumerate() {
            push(&mut view, EventId::new(n as u64 + 1, 0), event(&n.to_string(), ty));
        }
        assert_eq!(view.len(), 2);
        assert_eq!(shown_ids(&view), vec!["2", "1"]);
        assert_eq!(view.received(), 3);
    }

    #[test]
    fn filters_held_rows_and_new_arrivals() {
        let mut view = EventView::new(10);
        push(&mut view, EventId::new(1, 0), event("a", "order.created"));
        push(&mut view, EventId::new(2, 0), event("b", "user.created"));
        view.set_filter(Filter { ty: "order.*".into(), ..Filter::default() }, None);
        assert_eq!(shown_ids(&view), vec!["a"]);
        assert!(push(&mut view, EventId::new(3, 0), event("c", "order.paid")));
        assert!(!push(&mut view, EventId::new(4, 0), event("d", "user.deleted")));
        assert_eq!((view.shown_len(), view.len()), (2, 4));
        view.set_filter(Filter::default(), None);
        assert_eq!(shown_ids(&view), vec!["d", "c", "b", "a"]);
    }

    fn rejection(id: u64, details: usize, body: &[u8]) -> Rejection {
        Rejection {
            id,
            time: format!("2026-12-02T00:00:0{id}.000Z"),
            status: 400,
            error: ErrorDetail {
                code: "invalid_event".into(),
                message: "time: `not-a-time` is not an RFC 3339 timestamp".into(),
                details: (0..details)
                    .map(|i| ValidationError {
                        index: Some(i),
                        attribute: Some("time".into()),
                        message: "bad".into(),
                        ..Default::default()
                    })
                    .collect(),
            },
            request: std::sync::Arc::new(RequestRecord::new(
                "POST",
                "/events",
                [("content-type", &b"application/cloudevents+json"[..])],
                body,
            )),
        }
    }

    fn frame(id: u64) -> String {
        serde_json::to_string(&rejection(id, 1, b"{}").summary()).unwrap()
    }

    #[test]
    fn rejection_list_keeps_the_newest_and_drops_malformed_frames() {
        let mut list = RejectionList::new(2);
        for id in 1..=3 {
            assert!(push_json(&mut list, &frame(id)));
        }
        assert!(!push_json(&mut list, "not json"));
        assert!(!push_json(&mut list, r#"{"status":400}"#), "an object that is not a summary is dropped");
        let order: Vec<_> = list.iter().map(|r| r.id).collect();
        assert_eq!(order, vec![3, 2]);
        assert_eq!((list.len(), list.total()), (2, 3));
    }

    #[test]
    fn rejection_list_reads_the_summary_the_server_streams() {
        let full = rejection(4, 10, &[b'x'; 100]);
        let mut list = RejectionList::new(10);
        assert!(push_json(&mut list, &serde_json::to_string(&full.summary()).unwrap()));
        let summary = list.iter().next().unwrap();
        assert_eq!((summary.id, summary.status, summary.code.as_str()), (4, 400, "invalid_event"));
        assert_eq!((summary.method.as_str(), summary.path.as_str(), summary.size), ("POST", "/events", 100));
        assert_eq!(summary.attribute.as_deref(), Some("time"));
        assert_eq!((summary.details.len(), summary.details_total), (8, 10));
        assert_eq!(more_details(summary).as_deref(), Some("and 2 more"));
        assert!(is_record_of(summary, &full));
        let restarted = Rejection { time: "2026-12-03T00:00:00.000Z".into(), ..full.clone() };
        assert!(!is_record_of(summary, &restarted), "same id, another time: a restarted server's");
        assert!(!is_record_of(summary, &Rejection { id: full.id + 1, ..full.clone() }));
        // The full record is not what a `rejected` frame carries.
        assert!(!push_json(&mut list, &serde_json::to_string(&full).unwrap()));
    }

    #[test]
    fn a_detail_line_names_the_attribute_once() {
        let detail = |index, attribute: &str, message: &str| ValidationError {
            index,
            attribute: Some(attribute.to_owned()),
            message: message.to_owned(),
            ..ValidationError::default()
        };
        assert_eq!(
            detail_line(&detail(None, "source", "source: required attribute is missing")),
            "source: required attribute is missing"
        );
        assert_eq!(
            detail_line(&detail(Some(1), "time", "time: not RFC 3339")),
            "event 1, time: not RFC 3339"
        );
        assert_eq!(detail_line(&detail(None, "time", "not RFC 3339")), "time: not RFC 3339");
        // Only a whole leading name counts.
        assert_eq!(detail_line(&detail(None, "id", "identity unknown")), "id: identity unknown");
    }

    #[test]
    fn describes_details_and_sizes_in_words() {
        let detail = |index, attribute: Option<&str>| ValidationError {
            index,
            attribute: attribute.map(str::to_owned),
            message: String::new(),
            ..Default::default()
        };
        assert_eq!(detail_place(&detail(Some(2), Some("time"))), "event 2, time: ");
        assert_eq!(detail_place(&detail(Some(2), None)), "event 2: ");
        assert_eq!(detail_place(&detail(None, Some("ce-id"))), "ce-id: ");
        assert_eq!(detail_place(&detail(None, None)), "");
        assert_eq!(more_details(&rejection(1, 3, b"").summary()), None);
        assert_eq!(
            (size_text(1), size_text(0), size_text(2048)),
            ("1 byte".into(), "0 bytes".into(), "2048 bytes".into())
        );
    }

    #[test]
    fn shows_a_recorded_body_as_text_base64_or_empty_and_says_when_cut() {
        let text = rejection(1, 0, b"{\"id\": 1}").request;
        assert_eq!(body_view(&text), ("{\"id\": 1}", None));
        assert_eq!(body_note(&text), None);
        let binary = rejection(1, 0, &[0xff, 0xfe]).request;
        assert_eq!(body_view(&binary), ("//4=", Some("base64 (the body is not UTF-8)")));
        assert_eq!(body_view(&rejection(1, 0, b"").request), ("", Some("empty body")));
        let large = rejection(1, 0, &vec![b'x'; MAX_RECORDED_BODY + 10]).request;
        assert_eq!(body_note(&large).as_deref(), Some("first 64 KiB of 65546 bytes"));
    }

    #[test]
    fn says_what_the_recorded_headers_leave_out() {
        let mut request = std::sync::Arc::unwrap_or_clone(rejection(1, 0, b"").request);
        assert_eq!(headers_note(&request), None);
        request.headers_truncated = true;
        assert_eq!(
            headers_note(&request).as_deref(),
            Some("Only the first 16 KiB of headers were kept; the last one may be cut.")
        );
        request.headers_dropped = 3;
        assert_eq!(
            headers_note(&request).as_deref(),
            Some("Only the first 16 KiB of headers were kept: 3 more headers were left out.")
        );
    }

    #[test]
    fn clear_forgets_rows_but_not_the_last_id() {
        let mut view = EventView::new(10);
        push(&mut view, EventId::new(5, 0), event("a", "t"));
        view.clear();
        assert!(view.is_empty());
        assert!(!push(&mut view, EventId::new(4, 0), event("old", "t")));
        assert!(push(&mut view, EventId::new(6, 0), event("a", "t")));
        assert!(!view.get(EventId::new(6, 0)).unwrap().is_duplicate(), "cleared rows are not originals");
    }

    fn event_json(id: &str, ty: &str) -> String {
        format!(
            r#"{{"specversion":"1.0","id":"{id}","source":"/s","type":"{ty}","data":{{"n":123456789012345678901234567890}}}}"#
        )
    }

    fn incoming(ms: u64, id: &str) -> Incoming {
        Incoming::Event { id: EventId::new(ms, 0), json: event_json(id, "t").into(), marks: Marks::default() }
    }

    fn gap(missed: Option<u64>) -> Gap {
        Gap { reason: GapReason::HistoryExceeded, last_event_id: EventId::new(1, 0), missed, message: None }
    }

    #[test]
    fn apply_adds_events_keeping_the_received_json() {
        let mut view = EventView::new(10);
        let applied = view.apply([incoming(1, "a"), incoming(2, "b")]);
        assert_eq!(applied, Applied { shown: 2, ..Applied::default() });
        let row = view.get(EventId::new(2, 0)).unwrap();
        assert_eq!(&**row.json(), event_json("b", "t"), "the row keeps the text it arrived as");
        assert_eq!(row.event().id(), "b");
    }

    #[test]
    fn apply_clears_and_counts_only_what_follows_the_clear() {
        let mut view = EventView::new(10);
        let applied = view.apply([incoming(1, "a"), Incoming::Cleared, incoming(2, "b")]);
        assert_eq!(applied.shown, 1);
        assert_eq!(view.len(), 1);
        assert!(view.apply([incoming(1, "a")]).shown == 0, "a late copy of a cleared event stays out");
    }

    #[test]
    fn a_clear_empties_the_rejected_lane_of_what_came_before_it() {
        let mut view = EventView::new(10);
        let before = rejection(1, 1, b"{}").summary();
        let after = rejection(2, 1, b"{}").summary();
        let applied = view.apply([
            Incoming::Rejected(Box::new(before)),
            Incoming::Cleared,
            Incoming::Rejected(Box::new(after.clone())),
        ]);
        assert!(applied.cleared);
        assert_eq!(applied.rejected, vec![after]);
    }

    #[test]
    fn a_row_keeps_the_rules_its_frame_named() {
        let mut view = EventView::new(10);
        let mut frame = incoming(1, "a")
            .to_frame()
            .with_warnings("type-prefix some-future-rule")
            .with_delivery(Some("503 attempt 2".into()));
        frame.id = Some("1-0".into());
        view.apply(Incoming::from_frame(frame).unwrap());
        let row = view.get(EventId::new(1, 0)).unwrap();
        assert_eq!(row.marks.warnings.to_ids(), "type-prefix");
        assert_eq!(row.marks.answer.map(|a| (a.status, a.attempt)), Some((503, 2)));
    }

    #[test]
    fn apply_marks_a_gap_on_the_next_event_and_hands_back_rejections() {
        let mut view = EventView::new(10);
        let summary = rejection(7, 1, b"{}").summary();
        let applied = view.apply([
            Incoming::Gap(gap(Some(9315))),
            Incoming::Rejected(Box::new(summary.clone())),
            incoming(3, "c"),
        ]);
        assert_eq!(applied.rejected, vec![summary]);
        let row = view.get(EventId::new(3, 0)).unwrap();
        assert_eq!(row.gap_before.as_deref(), Some("9315 events missed: older than the server's history"));
        assert_eq!(view.gaps(), 1);
    }

    #[test]
    fn apply_skips_json_that_is_not_a_valid_event() {
        let mut view = EventView::new(10);
        let bad =
            Incoming::Event { id: EventId::new(1, 0), json: r#"{"id":"x"}"#.into(), marks: Marks::default() };
        let applied = view.apply([bad, incoming(2, "ok")]);
        assert_eq!((applied.shown, applied.skipped.len(), view.len()), (1, 1, 1));
    }

    #[test]
    fn gap_text_says_how_many_and_why() {
        assert_eq!(gap_text(&gap(Some(3))), "3 events missed: older than the server's history");
        assert_eq!(gap_text(&gap(Some(1))), "1 event missed: older than the server's history");
        let unknown = Gap { reason: GapReason::UnknownId, ..gap(None) };
        assert_eq!(gap_text(&unknown), "Events missed: the server's history was restarted or replaced");
    }

    #[test]
    fn frames_round_trip_through_the_stream_format_for_relays() {
        let summary = rejection(4, 1, b"{}").summary();
        let warned = Incoming::Event {
            id: EventId::new(6, 0),
            json: event_json("w", "t").into(),
            marks: Marks {
                warnings: RuleSet::parse("source-absolute name-length"),
                answer: crate::core::marks::Answered::parse("429 attempt 4"),
            },
        };
        let items = vec![
            incoming(5, "a"),
            warned,
            Incoming::Cleared,
            Incoming::Rejected(Box::new(summary)),
            Incoming::Gap(gap(Some(2))),
        ];
        let mut text = String::new();
        for item in &items {
            item.to_frame().encode_into(&mut text);
        }
        let frames = Parser::new().push(text.as_bytes());
        let back: Vec<Incoming> =
            frames.into_iter().filter_map(|f| Incoming::from_frame(f).unwrap()).collect();
        assert_eq!(back, items);
    }

    #[test]
    fn connection_frames_and_unknown_kinds_are_not_the_models() {
        for kind in ["connected", "ping", "something-new"] {
            assert_eq!(Incoming::from_frame(Frame::new(kind, "{}")), Ok(None), "{kind}");
        }
        assert!(Incoming::from_frame(Frame::new("cloudevent", "{}")).is_err(), "no id");
        assert!(Incoming::from_frame(Frame::new("gap", "not json")).is_err());
    }
}
