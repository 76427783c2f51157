//! One reader's way through the history and the hub, shared by `/stream` and `/api/events/wait`:
//! subscribe, scan the history page-wise after a cursor, go live, catch up from the history when
//! the hub says `Behind` or the reader lagged, and say what was lost. Frames are the caller's business.

use crate::core::filter::Criteria;
use crate::core::id::EventId;
use crate::server::event_log::{EventLog, HistoryStats, LogError, Page, Range, missed};
use crate::server::hub::{Entry, Hub, Message};
use crate::server::metrics::Metrics;
use bytes::Bytes;
use std::collections::VecDeque;
use std::sync::Arc;
use tokio::sync::broadcast::{self, error::RecvError};

/// History page size while replaying or catching up.
const PAGE: usize = 1000;
/// Bytes of events read ahead of the reader before the history is read further.
const READ_AHEAD_BYTES: usize = 256 * 1024;

/// What happened next, in the order the reader must learn it.
#[derive(Debug)]
pub enum Step {
    /// The next event after the cursor that the criteria match.
    Event(Arc<Entry>),
    /// Events after `after` are gone from the history before they could be read.
    Lost(Loss),
    /// The history was cleared; every event up to `through` is gone.
    Cleared { through: Option<EventId> },
    /// A ready `rejected` frame from ingest.
    Rejected(Bytes),
}

/// Why events could not be given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loss {
    /// The history dropped events after `after` (full); `missed` is how many, when the backend
    /// can count them.
    HistoryExceeded { after: EventId, missed: Option<u64> },
    /// The backend could not be read; reading resumes after `after` with the next live event.
    Unavailable { after: EventId, message: String },
}

/// A cursor over the history and the hub. `next` is cancel-safe: state changes only after each
/// await completes, so a caller may `select!` it against pings or a shutdown.
///
/// Memory: it reads the history a page at a time and keeps at most [`READ_AHEAD_BYTES`] (plus one
/// event) of it, and the ring holds only weak references (see `hub`), so a reader that stops
/// reading pins a small, fixed amount.
pub struct Follow {
    log: Arc<dyn EventLog>,
    rx: broadcast::Receiver<Message>,
    criteria: Criteria,
    metrics: Arc<Metrics>,
    /// Steps ready to hand out, and the bytes of the events among them.
    ready: VecDeque<Step>,
    ready_bytes: usize,
    /// Newest event id handled (given or filtered out); reading resumes after it, and live events
    /// at or below it were already given.
    cursor: EventId,
    /// Reading the history after `cursor` rather than the hub.
    catching_up: bool,
    /// Before reading the history again: check whether it dropped or cleared events after `cursor`.
    check_losses: bool,
    /// Newest `cleared` already given, so a clear seen during catch-up is not given again live.
    cleared_given: Option<EventId>,
    /// Once the history after `cursor` is read, end instead of going live.
    draining: bool,
    done: bool,
}

impl Follow {
    /// Subscribes to `hub`, then reads the history's bounds: nothing appended in between can be
    /// missed. Starts live, after every event issued so far (see [`Follow::replay_after`]).
    pub async fn subscribe(
        log: Arc<dyn EventLog>,
        hub: &Hub,
        metrics: Arc<Metrics>,
        criteria: Criteria,
    ) -> Result<(Self, HistoryStats), LogError> {
        let rx = hub.subscribe();
        let stats = log.stats().await?;
        let follow = Self {
            log,
            rx,
            criteria,
            metrics,
            ready: VecDeque::new(),
            ready_bytes: 0,
            // Events issued before the snapshot are history, not live: a backend that publishes
            // after storing (Redis, from its tail) may still deliver some of them to the hub.
            cursor: stats.last_issued.max(stats.last_id).unwrap_or_default(),
            catching_up: false,
            check_losses: false,
            cleared_given: stats.cleared_through,
            draining: false,
            done: false,
        };
        Ok((follow, stats))
    }

    /// Reads the history after `after` before going live.
    pub fn replay_after(&mut self, after: EventId) {
        self.cursor = after;
        self.catching_up = true;
    }

    /// As [`Follow::replay_after`] for a reader that saw everything up to `last` (a
    /// `Last-Event-ID`): what the history dropped or cleared after it is reported first, even a
    /// clear from before this subscription.
    pub fn resume_after(&mut self, last: EventId) {
        self.replay_after(last);
        self.cleared_given = None;
        self.check_losses = true;
    }

    /// Reads the newest `n` stored events (at most a history's `capacity`) before going live.
    pub async fn replay_last(&mut self, n: usize, capacity: usize) -> Result<(), LogError> {
        if n == 0 {
            return Ok(());
        }
        let limit = n.min(capacity.max(1));
        let page = self.log.range(Range { limit, from_end: true, ..Range::default() }).await?;
        if let Some(first) = page.entries.first() {
            self.replay_after(first.id().predecessor());
        }
        Ok(())
    }

    /// From now on, read what the history holds after the cursor, then end (a shutdown: every
    /// event stored before it began is in the history).
    pub fn drain(&mut self) {
        self.draining = true;
        self.catching_up = true;
    }

    /// The next step, or `None` once drained or when the hub is gone.
    pub async fn next(&mut self) -> Option<Step> {
        loop {
            if let Some(step) = self.ready.pop_front() {
                if let Step::Event(entry) = &step {
                    self.ready_bytes -= entry.frame.len();
                }
                return Some(step);
            }
            if self.done {
                return None;
            }
            if self.check_losses {
                self.report_losses().await;
                continue;
            }
            if self.catching_up {
                self.read_history().await;
                continue;
            }
            if self.draining {
                self.done = true;
                continue;
            }
            match self.rx.recv().await {
                Ok(Message::Event(live)) => {
                    if live.id <= self.cursor {
                        continue;
                    }
                    match live.entry() {
                        Some(entry) => {
                            self.cursor = live.id;
                            self.offer(entry);
                        }
                        // Gone from the recent buffer: too far behind, read the history instead.
                        None => self.catch_up(),
                    }
                }
                Ok(Message::Cleared { through }) => {
                    if through.is_some() && through <= self.cleared_given {
                        continue;
                    }
                    self.cleared_given = self.cleared_given.max(through);
                    self.cursor = self.cursor.max(through.unwrap_or_default());
                    self.ready.push_back(Step::Cleared { through });
                }
                Ok(Message::Rejected(bytes)) => self.ready.push_back(Step::Rejected(bytes)),
                Ok(Message::Behind) | Err(RecvError::Lagged(_)) => self.catch_up(),
                Err(RecvError::Closed) => self.done = true,
            }
        }
    }

    /// After a broadcast lag, an event already gone or a publisher behind the history: resume
    /// from the history after the cursor, reporting what it no longer holds.
    fn catch_up(&mut self) {
        self.metrics.lag_catchups.inc();
        self.check_losses = true;
        self.catching_up = true;
    }

    /// A `cleared` for a clear after the cursor not given yet, then a loss for events after the
    /// cursor (and after that clear) that the history dropped, counted where the backend can,
    /// then the first page of what it still holds. The count runs up to the first event of that
    /// page, so it matches what the reader is given even while the history moves on.
    async fn report_losses(&mut self) {
        let after = self.cursor;
        let checked = async {
            let stats = self.log.stats().await?;
            let page = self.log.range(Range { after: Some(after), limit: PAGE, ..Range::default() }).await?;
            let gone_since = after.max(stats.cleared_through.unwrap_or_default());
            let lost = stats.evicted_through.is_some_and(|evicted| evicted > gone_since);
            let count = if lost {
                let through = match page.entries.first() {
                    Some(first) => first.id().predecessor(),
                    None => stats.last_issued.unwrap_or_default(),
                };
                missed(&*self.log, after, through, stats.cleared_through).await?
            } else {
                None
            };
            Ok::<_, LogError>((stats.cleared_through, lost.then_some(count), page))
        };
        match checked.await {
            Ok((cleared, lost, page)) => {
                if let Some(through) = cleared.filter(|&c| c > after && Some(c) > self.cleared_given) {
                    self.cleared_given = Some(through);
                    self.ready.push_back(Step::Cleared { through: Some(through) });
                }
                if let Some(missed) = lost {
                    self.ready.push_back(Step::Lost(Loss::HistoryExceeded { after, missed }));
                }
                self.check_losses = false;
                self.take(page);
            }
            Err(e) => self.unavailable(e),
        }
    }

    /// Queues the next stored events after the cursor that the criteria match.
    async fn read_history(&mut self) {
        let range = Range { after: Some(self.cursor), limit: PAGE, ..Range::default() };
        match self.log.range(range).await {
            Ok(page) => self.take(page),
            Err(e) => self.unavailable(e),
        }
    }

    /// Queues the events of `page` (read after the cursor) up to [`READ_AHEAD_BYTES`]; once the
    /// history has nothing more, goes live (or ends, when draining).
    fn take(&mut self, page: Page) {
        let mut more = page.has_more;
        for (i, entry) in page.entries.into_iter().enumerate() {
            if self.ready_bytes >= READ_AHEAD_BYTES {
                more |= i > 0;
                break;
            }
            self.cursor = entry.id();
            self.offer(entry);
        }
        if !more {
            self.catching_up = false;
        }
    }

    fn offer(&mut self, entry: Arc<Entry>) {
        if self.criteria.matches(&entry.envelope.event) {
            self.ready_bytes += entry.frame.len();
            self.ready.push_back(Step::Event(entry));
        }
    }

    /// The backend failed: say so, and go on with live events (or end, when draining).
    fn unavailable(&mut self, error: LogError) {
        let loss = Loss::Unavailable {
            after: self.cursor,
            message: crate::server::error::backend_unavailable(&error).to_owned(),
        };
        self.ready.push_back(Step::Lost(loss));
        self.check_losses = false;
        self.catching_up = false;
        self.done |= self.draining;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::event_log::memory::tests::typed_batch;
    use crate::server::event_log::{Batch, MemoryLog};
    use futures::FutureExt;

    /// `n` events with ids `<prefix>0`, `<prefix>1`, … of type `t.<prefix>`.
    fn batch(prefix: &str, n: usize) -> Batch {
        let ids: Vec<String> = (0..n).map(|i| format!("{prefix}{i}")).collect();
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        typed_batch(&ids, &format!("t.{prefix}"))
    }

    async fn setup(capacity: usize, ring: usize) -> (Arc<dyn EventLog>, Hub) {
        let hub = Hub::new(ring);
        let log: Arc<dyn EventLog> = Arc::new(MemoryLog::new(capacity, usize::MAX, hub.clone()));
        (log, hub)
    }

    async fn follow(log: &Arc<dyn EventLog>, hub: &Hub, criteria: Criteria) -> Follow {
        Follow::subscribe(Arc::clone(log), hub, Arc::default(), criteria).await.unwrap().0
    }

    /// The next step, which must be ready: the memory log answers at once and the hub has
    /// delivered, so nothing here waits (and no test sleeps).
    async fn step(follow: &mut Follow) -> Step {
        follow.next().now_or_never().expect("a step is ready").expect("open")
    }

    fn nothing_ready(follow: &mut Follow) -> bool {
        follow.next().now_or_never().is_none()
    }

    fn event_id(step: Step) -> String {
        match step {
            Step::Event(entry) => entry.envelope.event.id().to_owned(),
            other => panic!("expected an event, got {other:?}"),
        }
    }

    fn lost(step: Step) -> (EventId, Option<u64>) {
        match step {
            Step::Lost(Loss::HistoryExceeded { after, missed }) => (after, missed),
            other => panic!("expected a loss, got {other:?}"),
        }
    }

    /// The ids of the next `n` steps, which must be events.
    async fn events(follow: &mut Follow, n: usize) -> Vec<String> {
        let mut ids = Vec::new();
        for _ in 0..n {
            ids.push(event_id(step(follow).await));
        }
        ids
    }

    fn names(prefix: &str, range: std::ops::Range<usize>) -> Vec<String> {
        range.map(|i| format!("{prefix}{i}")).collect()
    }

    #[tokio::test]
    async fn replays_the_history_after_the_cursor_then_goes_live() {
        let (log, hub) = setup(100, 64).await;
        let stored = log.append(batch("a", 3)).await.unwrap();
        let mut follow = follow(&log, &hub, Criteria::default()).await;
        follow.replay_after(stored[0].id());
        assert_eq!(event_id(step(&mut follow).await), "a1");
        assert_eq!(event_id(step(&mut follow).await), "a2");
        log.append(batch("b", 1)).await.unwrap();
        assert_eq!(event_id(step(&mut follow).await), "b0");
        assert!(nothing_ready(&mut follow), "nothing more");
    }

    #[tokio::test]
    async fn skips_what_the_criteria_refuse_but_moves_past_it() {
        let (log, hub) = setup(100, 64).await;
        let mut follow = follow(&log, &hub, Criteria::new("t.b", "", "")).await;
        log.append(batch("a", 2)).await.unwrap();
        log.append(batch("b", 1)).await.unwrap();
        assert_eq!(event_id(step(&mut follow).await), "b0");
    }

    #[tokio::test]
    async fn a_lagging_reader_catches_up_from_the_history_without_loss() {
        let (log, hub) = setup(1000, 16).await;
        let mut follow = follow(&log, &hub, Criteria::default()).await;
        log.append(batch("x", 200)).await.unwrap();
        assert_eq!(events(&mut follow, 200).await, names("x", 0..200));
    }

    #[tokio::test]
    async fn behind_from_the_publisher_makes_the_reader_read_the_history() {
        let (log, _published) = setup(100, 64).await;
        // The reader's hub never carried these events (a Redis tail cut off while they were stored).
        let quiet = Hub::new(16);
        let mut follow = follow(&log, &quiet, Criteria::default()).await;
        log.append(batch("m", 2)).await.unwrap();
        assert!(nothing_ready(&mut follow));
        quiet.publish(Message::Behind);
        assert_eq!(event_id(step(&mut follow).await), "m0");
        assert_eq!(event_id(step(&mut follow).await), "m1");
    }

    #[tokio::test]
    async fn a_reader_past_the_history_learns_how_many_it_missed() {
        let (log, hub) = setup(5, 16).await;
        let mut follow = follow(&log, &hub, Criteria::default()).await;
        log.append(batch("s", 50)).await.unwrap();
        assert_eq!(lost(step(&mut follow).await), (EventId::ZERO, Some(45)));
        assert_eq!(events(&mut follow, 5).await, names("s", 45..50));
    }

    #[tokio::test]
    async fn resuming_after_an_evicted_id_reports_the_count_then_the_rest() {
        let (log, hub) = setup(4, 64).await;
        let stored = log.append(batch("r", 10)).await.unwrap();
        let mut follow = follow(&log, &hub, Criteria::default()).await;
        follow.resume_after(stored[2].id());
        assert_eq!(lost(step(&mut follow).await), (stored[2].id(), Some(3)));
        assert_eq!(events(&mut follow, 4).await, names("r", 6..10));
    }

    #[tokio::test]
    async fn a_clear_after_the_cursor_is_reported_once() {
        let (log, hub) = setup(100, 64).await;
        let stored = log.append(batch("c", 2)).await.unwrap();
        log.clear().await.unwrap();
        let mut follow = follow(&log, &hub, Criteria::default()).await;
        follow.resume_after(stored[0].id());
        match step(&mut follow).await {
            Step::Cleared { through } => assert_eq!(through, Some(stored[1].id())),
            other => panic!("expected cleared, got {other:?}"),
        }
        log.append(batch("d", 1)).await.unwrap();
        assert_eq!(event_id(step(&mut follow).await), "d0");
    }

    #[tokio::test]
    async fn draining_gives_the_rest_of_the_history_then_ends() {
        let (log, hub) = setup(100, 64).await;
        let mut follow = follow(&log, &hub, Criteria::default()).await;
        let stored = log.append(batch("e", 2)).await.unwrap();
        follow.replay_after(stored[0].id().predecessor());
        follow.drain();
        assert_eq!(event_id(step(&mut follow).await), "e0");
        assert_eq!(event_id(step(&mut follow).await), "e1");
        assert!(follow.next().await.is_none());
    }
}
