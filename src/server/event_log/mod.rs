//! The history behind one narrow interface (DESIGN §3), so the memory ring and Redis Streams are
//! interchangeable. Backends assign ids, mark duplicates and publish to the hub in id order.

pub mod memory;
pub mod redis;

use crate::core::cloudevent::{Mode, Validated};
use crate::core::envelope::RequestRecord;
use crate::core::id::EventId;
use crate::core::lab::DeliveryRecord;
use crate::server::hub::Entry;
use futures::future::BoxFuture;
use serde::Serialize;
use std::sync::Arc;

pub use self::redis::RedisLog;
pub use memory::MemoryLog;

/// Why the log could not answer.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LogError {
    /// The backend is unreachable; nothing was stored.
    #[error("{0}")]
    Unavailable(String),
}

pub type LogResult<T> = Result<T, LogError>;

/// A map keyed by [`DuplicateKey::digest`](crate::core::cloudevent::DuplicateKey::digest).
pub type DigestMap<V> = std::collections::HashMap<u64, V, foldhash::fast::RandomState>;

/// One ingest request's events, appended all together or not at all.
#[derive(Debug)]
pub struct Batch {
    pub mode: Mode,
    pub events: Vec<Validated>,
    /// The request as received, built once and shared by every envelope of the batch.
    pub request: Arc<RequestRecord>,
    /// RFC 3339 time of arrival.
    pub received_at: String,
    /// Per event, the answer it got and its attempt number; empty when not recorded.
    pub deliveries: Vec<DeliveryRecord>,
}

/// A slice of the history: events with `after < id < before`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Range {
    pub after: Option<EventId>,
    pub before: Option<EventId>,
    pub limit: usize,
    /// Take the newest `limit` of the slice instead of the oldest.
    pub from_end: bool,
}

/// Events of a [`Range`], oldest first.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub entries: Vec<Arc<Entry>>,
    /// More events of the slice exist beyond those returned.
    pub has_more: bool,
}

/// Size and bounds of the history, for `/api/status` and replay decisions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct HistoryStats {
    pub len: usize,
    pub capacity: usize,
    /// Bytes the history holds in this process, and its budget (`--history-bytes`); `None` where
    /// the history lives elsewhere (Redis).
    pub bytes: Option<usize>,
    pub max_bytes: Option<usize>,
    pub first_id: Option<EventId>,
    pub last_id: Option<EventId>,
    /// Events appended since start, or for Redis since the stream was created (not reduced by
    /// eviction or clear).
    #[serde(skip)]
    pub total_appended: u64,
    /// Largest id dropped because the history was full; replay after an older id is incomplete.
    #[serde(skip)]
    pub evicted_through: Option<EventId>,
    /// Largest id removed by a clear.
    #[serde(skip)]
    pub cleared_through: Option<EventId>,
    /// Ids below this were not issued by this history (e.g. by a memory log before a restart).
    #[serde(skip)]
    pub origin: EventId,
    /// Newest id ever issued, even if cleared or evicted since.
    #[serde(skip)]
    pub last_issued: Option<EventId>,
}

/// Marks ([`crate::core::id::Mark`]) each backend keeps to count missed events, about one per
/// millisecond with events: 24 bytes each in memory, so the memory log spends at most 6 MiB on
/// them; the oldest go first.
pub const MAX_MARKS: usize = 1 << 18;

/// How many events issued after `after` and up to `through` are gone, not counting those up to
/// `cleared` (a reader gets `cleared` for them); `None` when the backend cannot tell. Called with
/// `through` just before the first event the history still holds after `after`, it is what a
/// reader after `after` missed.
pub async fn missed(
    log: &dyn EventLog,
    after: EventId,
    through: EventId,
    cleared: Option<EventId>,
) -> LogResult<Option<u64>> {
    let counts = log.issued_through(vec![after, through, cleared.unwrap_or_default()]).await?;
    Ok(match counts.as_slice() {
        [Some(after), Some(through), Some(cleared)] => Some(through.saturating_sub(*after.max(cleared))),
        _ => None,
    })
}

/// Storage of the history. Implementations are cheap to share (`Arc<dyn EventLog>`).
pub trait EventLog: Send + Sync + 'static {
    /// Stores every event of `batch` with fresh increasing ids, marks duplicates (same `source` and
    /// `id` as an event in the history), and publishes them to the hub in id order (the memory log
    /// before returning; Redis from its tail, which publishes every replica's events alike).
    fn append(&self, batch: Batch) -> BoxFuture<'_, LogResult<Vec<Arc<Entry>>>>;
    /// A slice of the history, oldest first.
    fn range(&self, range: Range) -> BoxFuture<'_, LogResult<Page>>;
    /// One event by history id.
    fn get(&self, id: EventId) -> BoxFuture<'_, LogResult<Option<Arc<Entry>>>>;
    /// Removes every event, publishes `Cleared`, and returns how many were removed.
    fn clear(&self) -> BoxFuture<'_, LogResult<usize>>;
    fn stats(&self) -> BoxFuture<'_, LogResult<HistoryStats>>;
    /// For each of `ids`, how many events this history issued up to and including it (see
    /// [`crate::core::id::Mark`]), or `None` where it no longer knows (an id older than the
    /// marks it keeps).
    fn issued_through(&self, ids: Vec<EventId>) -> BoxFuture<'_, LogResult<Vec<Option<u64>>>>;
    /// Whether the backend can store and read right now (`GET /healthz`).
    fn health(&self) -> BoxFuture<'_, LogResult<()>>;
    /// `"memory"` or `"redis"`.
    fn backend(&self) -> &'static str;
}
