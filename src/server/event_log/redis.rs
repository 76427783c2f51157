//! The Redis Streams backend (DESIGN §3): one stream shared by every replica and kept across restarts.
//! Lua scripts keep each batch and each clear atomic; a tail task per replica (`XREAD BLOCK`)
//! publishes to this replica's hub, in stream order, every event whichever replica stored it.

use super::{Batch, EventLog, HistoryStats, LogError, LogResult, MAX_MARKS, Page, Range};
use crate::core::cloudevent::{CloudEvent, Mode, Warning};
use crate::core::envelope::{Envelope, RequestRecord};
use crate::core::id::{EventId, Mark};
use crate::server::hub::{Entry, Hub, Message};
use futures::future::{BoxFuture, FutureExt};
use redis::aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use redis::{AsyncConnectionConfig, Client, RedisError, Script, Value};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::OnceCell;
use tokio_util::sync::{CancellationToken, DropGuard};

/// Default of `--redis-stream`.
pub const DEFAULT_STREAM: &str = "cloudevent-player:events";

/// Longest wait for one command's answer; a slower Redis counts as unavailable.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest wait for a TCP connection to Redis.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// `XREAD BLOCK` period of the tail: how often an idle tail re-issues its read.
const BLOCK: Duration = Duration::from_secs(2);
/// Entries per `XREAD` of the tail.
const READ_COUNT: usize = 1000;
/// Tail reconnect delays: doubling from the first to the last.
const BACKOFF: (Duration, Duration) = (Duration::from_millis(100), Duration::from_secs(5));

/// The keys of one history. Every key starts with the stream's, so one Redis can hold many histories.
#[derive(Debug, Clone)]
struct Keys {
    /// The history: event entries (`event`, `batch`, `warnings`?, `delivery`?, `duplicate_of`?) and at most one
    /// `cleared` marker, always the first entry (a clear trims everything before its marker).
    events: String,
    /// One entry (`batch`: [`StoredBatch`] JSON) per ingest request, shared by its events. Trimmed,
    /// never deleted, so its ids keep increasing across clears (the tail reads on after the last).
    batches: String,
    /// Hash: duplicate key of an event in the history -> newest id with that key.
    index: String,
    /// List of `"<id> <duplicate key>"` in id order, to drop index keys when their event is trimmed.
    order: String,
    /// Hash: `total`, `last`, `origin`, `evicted`, `cleared` (see [`HistoryStats`]).
    meta: String,
    /// `<run's first id>` -> `first`: one [`Mark`] per run of ids, the newest [`MAX_MARKS`] or so.
    marks: String,
}

impl Keys {
    fn new(stream: &str) -> Self {
        Self {
            events: stream.to_owned(),
            batches: format!("{stream}:batches"),
            index: format!("{stream}:index"),
            order: format!("{stream}:index-order"),
            meta: format!("{stream}:meta"),
            marks: format!("{stream}:marks"),
        }
    }
}

/// What the events of one ingest request share, stored once per request.
#[derive(Debug, Serialize, Deserialize)]
struct StoredBatch {
    received_at: String,
    mode: Mode,
    request: Arc<RequestRecord>,
}

/// Where the tail reads on from: the newest entry of each stream it has seen.
#[derive(Debug, Clone, Copy, Default)]
struct Cursor {
    event: EventId,
    batch: EventId,
}

/// History in a Redis stream, shared by every replica configured with the same URL and stream.
pub struct RedisLog {
    conn: ConnectionManager,
    keys: Keys,
    capacity: usize,
    scripts: Scripts,
    /// The tail's starting point, read before this log answers anything: every event stored after
    /// an answer of this replica (a `/stream`'s history snapshot) is then published by the tail.
    start: Arc<OnceCell<Cursor>>,
    /// Stops the tail when the log is dropped.
    _tail: DropGuard,
}

struct Scripts {
    append: Script,
    clear: Script,
    read: Script,
    stats: Script,
    issued: Script,
}

impl RedisLog {
    /// A log on the stream `stream` of the Redis at `url`, keeping about `capacity` events
    /// (`XADD MAXLEN ~`), publishing to `hub`. Fails only on a malformed URL: an unreachable Redis
    /// is retried (commands answer [`LogError::Unavailable`] meanwhile), so replicas may start first.
    pub async fn connect(url: &str, stream: &str, capacity: usize, hub: Hub) -> Result<Self, RedisError> {
        let client = Client::open(url)?;
        // One connection attempt per command while Redis is down: callers get 503 at once, not
        // after the manager's default series of retries.
        let config = ConnectionManagerConfig::new()
            .set_number_of_retries(0)
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT));
        let conn = ConnectionManager::new_lazy_with_config(client.clone(), config)?;
        let cancel = CancellationToken::new();
        let log = Self {
            conn: conn.clone(),
            keys: Keys::new(stream),
            capacity: capacity.max(1),
            scripts: Scripts {
                append: Script::new(include_str!("redis/append.lua")),
                clear: Script::new(include_str!("redis/clear.lua")),
                read: Script::new(include_str!("redis/read.lua")),
                stats: Script::new(include_str!("redis/stats.lua")),
                issued: Script::new(include_str!("redis/issued.lua")),
            },
            start: Arc::new(OnceCell::new()),
            _tail: cancel.clone().drop_guard(),
        };
        let tail = Tail { client, conn, keys: log.keys.clone(), hub, start: Arc::clone(&log.start), cancel };
        tokio::spawn(tail.run());
        match log.ready().await {
            Ok(_) => tracing::info!(stream, "history in Redis"),
            Err(e) => tracing::warn!(stream, "Redis unreachable, retrying: {e}"),
        }
        Ok(log)
    }

    /// The log's connection, for the other state kept beside the history (the delivery lab): one
    /// connection, so what `/healthz` checks is what they use.
    pub fn connection(&self) -> ConnectionManager {
        self.conn.clone()
    }

    /// Fixes the tail's starting point on first use; every operation goes through here.
    async fn ready(&self) -> LogResult<Cursor> {
        let mut conn = self.conn.clone();
        self.start.get_or_try_init(|| newest(&mut conn, &self.keys)).await.copied()
    }

    async fn append_now(&self, batch: Batch) -> LogResult<Vec<Arc<Entry>>> {
        self.ready().await?;
        let Batch { mode, events, request, received_at, deliveries } = batch;
        let stored = StoredBatch { received_at, mode, request };
        let mut invocation = self.scripts.append.prepare_invoke();
        invocation
            .key(&self.keys.events)
            .key(&self.keys.batches)
            .key(&self.keys.index)
            .key(&self.keys.order)
            .key(&self.keys.meta)
            .key(&self.keys.marks)
            .arg(self.capacity)
            .arg(to_json(&stored))
            .arg(MAX_MARKS);
        let mut deliveries = deliveries.into_iter();
        let prepared: Vec<_> =
            events.into_iter().map(|v| (v.event.to_json(), v, deliveries.next())).collect();
        for (json, validated, delivery) in &prepared {
            let warnings =
                if validated.warnings.is_empty() { String::new() } else { to_json(&validated.warnings) };
            let delivery = delivery.as_ref().map(to_json).unwrap_or_default();
            invocation.arg(validated.event.duplicate_key().to_string()).arg(json).arg(warnings).arg(delivery);
        }
        let reply: Vec<String> =
            invocation.invoke_async(&mut self.conn.clone()).await.map_err(unavailable)?;
        if reply.len() != 2 * prepared.len() {
            return Err(LogError::Unavailable(format!("append answered {} values", reply.len())));
        }
        let request = stored.request;
        prepared
            .into_iter()
            .zip(reply.chunks(2))
            .map(|((json, validated, delivery), ids)| {
                let envelope = Envelope {
                    id: parse_id(&ids[0])?,
                    received_at: stored.received_at.clone(),
                    mode,
                    duplicate_of: (!ids[1].is_empty()).then(|| parse_id(&ids[1])).transpose()?,
                    warnings: validated.warnings,
                    event: validated.event,
                    request: Arc::clone(&request),
                    delivery,
                };
                Ok(Arc::new(Entry::new(envelope, json)))
            })
            .collect()
    }

    async fn range_now(&self, range: Range) -> LogResult<Page> {
        self.ready().await?;
        // Bounds made inclusive: XRANGE takes ids, and `(` cannot express "after the largest seq".
        if range.after == Some(EventId::MAX) || range.before == Some(EventId::ZERO) {
            return Ok(Page::default());
        }
        let start = range.after.map(EventId::successor);
        let end = range.before.map(EventId::predecessor);
        if let (Some(start), Some(end)) = (start, end)
            && start > end
        {
            return Ok(Page::default());
        }
        let start = start.map_or_else(|| "-".to_owned(), |id| id.to_string());
        let end = end.map_or_else(|| "+".to_owned(), |id| id.to_string());
        // One more than asked tells `has_more`; one more again covers a `cleared` marker.
        let count = range.limit.checked_add(2).filter(|n| i64::try_from(*n).is_ok());
        let (command, from, to) =
            if range.from_end { ("XREVRANGE", end, start) } else { ("XRANGE", start, end) };
        let mut entries = self.read(command, &from, &to, count).await?;
        let has_more = entries.len() > range.limit;
        entries.truncate(range.limit);
        if range.from_end {
            entries.reverse();
        }
        Ok(Page { entries, has_more })
    }

    async fn get_now(&self, id: EventId) -> LogResult<Option<Arc<Entry>>> {
        self.ready().await?;
        let id = id.to_string();
        Ok(self.read("XRANGE", &id, &id, Some(1)).await?.pop())
    }

    /// Events of `XRANGE`/`XREVRANGE from to [COUNT count]`, in that command's order, markers skipped.
    async fn read(
        &self,
        command: &str,
        from: &str,
        to: &str,
        count: Option<usize>,
    ) -> LogResult<Vec<Arc<Entry>>> {
        let reply: Value = self
            .scripts
            .read
            .key(&self.keys.events)
            .key(&self.keys.batches)
            .arg(command)
            .arg(from)
            .arg(to)
            .arg(count.map(|n| n.to_string()).unwrap_or_default())
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        let Value::Array(mut parts) = reply else { return Err(malformed("read")) };
        if parts.len() != 2 {
            return Err(malformed("read"));
        }
        let batches = parts.pop().map(raw_entries).transpose()?.unwrap_or_default();
        let raw = parts.pop().map(raw_entries).transpose()?.unwrap_or_default();
        let mut shared = BTreeMap::new();
        for batch in batches {
            shared.insert(batch.id, parse_batch(&batch)?);
        }
        let mut entries = Vec::with_capacity(raw.len());
        for entry in raw {
            if entry.is_marker() {
                continue;
            }
            let batch_id = entry.batch_id()?;
            let batch = shared.get(&batch_id).ok_or_else(|| {
                LogError::Unavailable(format!("event {} refers to a missing batch {batch_id}", entry.id))
            })?;
            entries.push(event_entry(entry, batch)?);
        }
        Ok(entries)
    }

    async fn clear_now(&self) -> LogResult<usize> {
        self.ready().await?;
        let removed: usize = self
            .scripts
            .clear
            .key(&self.keys.events)
            .key(&self.keys.batches)
            .key(&self.keys.index)
            .key(&self.keys.order)
            .key(&self.keys.meta)
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        Ok(removed)
    }

    async fn stats_now(&self) -> LogResult<HistoryStats> {
        self.ready().await?;
        let reply: Vec<String> = self
            .scripts
            .stats
            .key(&self.keys.events)
            .key(&self.keys.meta)
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        let [len, first, last, total, evicted, cleared, origin, last_issued] = reply.as_slice() else {
            return Err(malformed("stats"));
        };
        let number = |v: &str| v.parse::<u64>().map_err(|_| malformed("stats"));
        let id = |v: &str| if v.is_empty() { Ok(None) } else { parse_id(v).map(Some) };
        Ok(HistoryStats {
            len: usize::try_from(number(len)?).unwrap_or(usize::MAX),
            capacity: self.capacity,
            bytes: None,
            max_bytes: None,
            first_id: id(first)?,
            last_id: id(last)?,
            total_appended: number(total)?,
            evicted_through: id(evicted)?,
            cleared_through: id(cleared)?,
            // The first id this stream ever issued: older ids belong to another history (e.g. a
            // Redis that lost its data, or the memory log before the switch).
            origin: id(origin)?.unwrap_or(EventId::ZERO),
            last_issued: id(last_issued)?,
        })
    }

    async fn issued_through_now(&self, ids: Vec<EventId>) -> LogResult<Vec<Option<u64>>> {
        self.ready().await?;
        let mut invocation = self.scripts.issued.prepare_invoke();
        invocation.key(&self.keys.marks).key(&self.keys.meta);
        for id in &ids {
            invocation.arg(id.to_string());
        }
        let reply: Vec<String> =
            invocation.invoke_async(&mut self.conn.clone()).await.map_err(unavailable)?;
        let number = |v: &str| v.parse::<u64>().map_err(|_| malformed("issued"));
        let optional = |v: &str| if v.is_empty() { Ok(None) } else { number(v).map(Some) };
        let [total, origin, marks @ ..] = reply.as_slice() else { return Err(malformed("issued")) };
        if marks.len() != 3 * ids.len() {
            return Err(malformed("issued"));
        }
        let total = number(total)?;
        let origin = if origin.is_empty() { EventId::MAX } else { parse_id(origin)? };
        ids.iter()
            .zip(marks.chunks(3))
            .map(|(&id, marks)| {
                if id < origin {
                    return Ok(Some(0));
                }
                let floor = match (marks[0].as_str(), optional(&marks[1])?) {
                    ("", _) | (_, None) => None,
                    (start, Some(first)) => Some(Mark { start: parse_id(start)?, first }),
                };
                Ok(Mark::issued_through(id, floor, optional(&marks[2])?, total))
            })
            .collect()
    }

    async fn health_now(&self) -> LogResult<()> {
        redis::cmd("PING").query_async::<()>(&mut self.conn.clone()).await.map_err(unavailable)
    }
}

impl EventLog for RedisLog {
    fn append(&self, batch: Batch) -> BoxFuture<'_, LogResult<Vec<Arc<Entry>>>> {
        self.append_now(batch).boxed()
    }

    fn range(&self, range: Range) -> BoxFuture<'_, LogResult<Page>> {
        self.range_now(range).boxed()
    }

    fn get(&self, id: EventId) -> BoxFuture<'_, LogResult<Option<Arc<Entry>>>> {
        self.get_now(id).boxed()
    }

    fn clear(&self) -> BoxFuture<'_, LogResult<usize>> {
        self.clear_now().boxed()
    }

    fn stats(&self) -> BoxFuture<'_, LogResult<HistoryStats>> {
        self.stats_now().boxed()
    }

    fn issued_through(&self, ids: Vec<EventId>) -> BoxFuture<'_, LogResult<Vec<Option<u64>>>> {
        self.issued_through_now(ids).boxed()
    }

    fn health(&self) -> BoxFuture<'_, LogResult<()>> {
        self.health_now().boxed()
    }

    fn backend(&self) -> &'static str {
        "redis"
    }
}

/// Follows the stream with `XREAD BLOCK` and publishes to the hub: events as they were stored, and
/// `cleared` for each clear marker. Reconnects with backoff and resumes after the last entry read.
struct Tail {
    client: Client,
    conn: ConnectionManager,
    keys: Keys,
    hub: Hub,
    start: Arc<OnceCell<Cursor>>,
    cancel: CancellationToken,
}

/// A batch read by the tail, parsed only when one of its events is published.
enum CachedBatch {
    Raw(RawEntry),
    Parsed(Arc<StoredBatch>),
}

impl Tail {
    async fn run(self) {
        let mut delay = BACKOFF.0;
        let mut conn = self.conn.clone();
        let mut cursor = loop {
            match self.start.get_or_try_init(|| newest(&mut conn, &self.keys)).await {
                Ok(cursor) => break *cursor,
                Err(_) if self.pause(&mut delay).await => {}
                Err(_) => return,
            }
        };
        let mut batches = BTreeMap::new();
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(BLOCK + RESPONSE_TIMEOUT));
        let mut failing = false;
        loop {
            let error = match self.client.get_multiplexed_async_connection_with_config(&config).await {
                Ok(conn) => match self.follow(conn, &mut cursor, &mut batches, &mut failing).await {
                    Some(error) => error,
                    None => return,
                },
                Err(error) => error,
            };
            if !std::mem::replace(&mut failing, true) {
                // Healthy until now: the backoff starts over.
                delay = BACKOFF.0;
                tracing::warn!("Redis tail interrupted after {}, retrying: {error}", cursor.event);
            }
            if !self.pause(&mut delay).await {
                return;
            }
        }
    }

    /// Reads and publishes on `conn` until it fails (the error) or the log is dropped (`None`).
    async fn follow(
        &self,
        mut conn: MultiplexedConnection,
        cursor: &mut Cursor,
        batches: &mut BTreeMap<EventId, CachedBatch>,
        failing: &mut bool,
    ) -> Option<RedisError> {
        let mut fresh = true;
        loop {
            let streams = tokio::select! {
                () = self.cancel.cancelled() => return None,
                read = self.read(&mut conn, *cursor) => match read {
                    Ok(streams) => streams,
                    Err(error) => return Some(error),
                },
            };
            if std::mem::take(failing) {
                tracing::info!("Redis tail resumed after {}", cursor.event);
            }
            // Only after a break or a full page can the history have dropped entries not read yet.
            let full = streams.iter().any(|(_, entries)| entries.len() >= READ_COUNT);
            if (std::mem::take(&mut fresh) || full) && self.behind(cursor.event).await {
                tracing::warn!("Redis tail fell behind the history after {}", cursor.event);
                self.hub.publish(Message::Behind);
            }
            self.publish(streams, cursor, batches);
        }
    }

    /// Whether the history dropped events after `cursor` that the tail never read: `evicted` in
    /// the meta hash is the newest id trimmed by `XADD MAXLEN ~` (see `append.lua`).
    async fn behind(&self, cursor: EventId) -> bool {
        let evicted: Option<String> = redis::cmd("HGET")
            .arg(&self.keys.meta)
            .arg("evicted")
            .query_async(&mut self.conn.clone())
            .await
            .unwrap_or_default();
        evicted.and_then(|id| id.parse::<EventId>().ok()).is_some_and(|evicted| evicted > cursor)
    }

    /// Sleeps `delay` and doubles it; false when the log is gone.
    async fn pause(&self, delay: &mut Duration) -> bool {
        tokio::select! {
            () = self.cancel.cancelled() => false,
            () = tokio::time::sleep(*delay) => {
                *delay = (*delay * 2).min(BACKOFF.1);
                true
            }
        }
    }

    /// `XREAD COUNT n BLOCK ms STREAMS events batches <cursor>`: both streams in one reply, so the
    /// batch of an event always arrives with it or before it (the append script writes it first).
    async fn read(
        &self,
        conn: &mut MultiplexedConnection,
        cursor: Cursor,
    ) -> Result<Vec<(String, Vec<RawEntry>)>, RedisError> {
        let reply: Value = redis::cmd("XREAD")
            .arg("COUNT")
            .arg(READ_COUNT)
            .arg("BLOCK")
            .arg(BLOCK.as_millis() as u64)
            .arg("STREAMS")
            .arg(&self.keys.events)
            .arg(&self.keys.batches)
            .arg(cursor.event.to_string())
            .arg(cursor.batch.to_string())
            .query_async(conn)
            .await?;
        let streams = match reply {
            Value::Nil => Vec::new(),
            Value::Array(items) => items
                .into_iter()
                .filter_map(|item| match item {
                    Value::Array(mut pair) if pair.len() == 2 => {
                        let entries = pair.pop()?;
                        Some((pair.pop()?, entries))
                    }
                    _ => None,
                })
                .collect(),
            Value::Map(pairs) => pairs,
            _ => Vec::new(),
        };
        Ok(streams
            .into_iter()
            .filter_map(|(name, entries)| Some((text(name).ok()?, raw_entries(entries).ok()?)))
            .collect())
    }

    fn publish(
        &self,
        streams: Vec<(String, Vec<RawEntry>)>,
        cursor: &mut Cursor,
        batches: &mut BTreeMap<EventId, CachedBatch>,
    ) {
        let (mut events, mut new_batches) = (Vec::new(), Vec::new());
        for (name, entries) in streams {
            if name == self.keys.events {
                events = entries;
            } else if name == self.keys.batches {
                new_batches = entries;
            }
        }
        for batch in new_batches {
            cursor.batch = batch.id;
            batches.insert(batch.id, CachedBatch::Raw(batch));
        }
        let mut newest_batch = None;
        for entry in events {
            cursor.event = entry.id;
            if entry.is_marker() {
                let through = entry.field("cleared").and_then(|v| std::str::from_utf8(v).ok());
                let through = through.and_then(|v| v.parse().ok());
                self.hub.publish(Message::Cleared { through });
                continue;
            }
            let id = entry.id;
            let batch_id = match entry.batch_id() {
                Ok(batch_id) => batch_id,
                Err(e) => {
                    tracing::warn!("Redis tail skips event {id}: {e}");
                    continue;
                }
            };
            newest_batch = Some(batch_id);
            if self.hub.subscribers() == 0 {
                // Nobody listens here; a stream opened later replays this event from the history.
                continue;
            }
            match cached(batches, batch_id).and_then(|batch| event_entry(entry, &batch)) {
                Ok(entry) => self.hub.publish_event(&entry),
                Err(e) => tracing::warn!("Redis tail skips event {id}: {e}"),
            }
        }
        // Batch ids order batches only (not events): every batch older than the newest event's is
        // done with, including those whose events a clear removed before the tail read them.
        if let Some(newest) = newest_batch {
            *batches = batches.split_off(&newest);
        }
    }
}

/// The batch `id` from the tail's cache, parsed on first use.
fn cached(batches: &mut BTreeMap<EventId, CachedBatch>, id: EventId) -> LogResult<Arc<StoredBatch>> {
    let slot = batches
        .get_mut(&id)
        .ok_or_else(|| LogError::Unavailable(format!("batch {id} was not read with its events")))?;
    let parsed = match slot {
        CachedBatch::Parsed(batch) => return Ok(Arc::clone(batch)),
        CachedBatch::Raw(raw) => parse_batch(raw)?,
    };
    *slot = CachedBatch::Parsed(Arc::clone(&parsed));
    Ok(parsed)
}

/// The newest entry of each stream, read together (`MULTI`), where a new tail starts.
async fn newest(conn: &mut ConnectionManager, keys: &Keys) -> LogResult<Cursor> {
    let (events, batches): (Value, Value) = redis::pipe()
        .atomic()
        .cmd("XREVRANGE")
        .arg(&keys.events)
        .arg("+")
        .arg("-")
        .arg("COUNT")
        .arg(1)
        .cmd("XREVRANGE")
        .arg(&keys.batches)
        .arg("+")
        .arg("-")
        .arg("COUNT")
        .arg(1)
        .query_async(conn)
        .await
        .map_err(unavailable)?;
    let last = |value| raw_entries(value).map(|entries| entries.first().map_or(EventId::ZERO, |e| e.id));
    Ok(Cursor { event: last(events)?, batch: last(batches)? })
}

/// A stream entry as Redis returns it: `[id, [field, value, ...]]`.
#[derive(Debug)]
struct RawEntry {
    id: EventId,
    fields: Vec<(Vec<u8>, Vec<u8>)>,
}

impl RawEntry {
    fn field(&self, name: &str) -> Option<&[u8]> {
        self.fields.iter().find(|(f, _)| f == name.as_bytes()).map(|(_, v)| v.as_slice())
    }

    /// The clear marker's only field is `cleared`; events start with `event`.
    fn is_marker(&self) -> bool {
        self.fields.first().is_some_and(|(f, _)| f == b"cleared")
    }

    fn batch_id(&self) -> LogResult<EventId> {
        let value = self.field("batch").ok_or_else(|| malformed("event without batch"))?;
        parse_id(std::str::from_utf8(value).map_err(|_| malformed("batch id"))?)
    }
}

fn raw_entries(value: Value) -> LogResult<Vec<RawEntry>> {
    let items = match value {
        Value::Array(items) => items,
        Value::Nil => return Ok(Vec::new()),
        _ => return Err(malformed("stream entries")),
    };
    items
        .into_iter()
        .map(|item| {
            let Value::Array(mut pair) = item else { return Err(malformed("stream entry")) };
            if pair.len() != 2 {
                return Err(malformed("stream entry"));
            }
            let fields = pair.pop().unwrap_or(Value::Nil);
            let id = parse_id(&text(pair.pop().unwrap_or(Value::Nil))?)?;
            let flat = match fields {
                Value::Array(flat) => flat,
                Value::Map(pairs) => pairs.into_iter().flat_map(|(k, v)| [k, v]).collect(),
                _ => return Err(malformed("stream entry fields")),
            };
            let mut values = flat.into_iter().map(bytes);
            let mut fields = Vec::with_capacity(4);
            while let (Some(field), Some(value)) = (values.next(), values.next()) {
                fields.push((field?, value?));
            }
            Ok(RawEntry { id, fields })
        })
        .collect()
}

fn parse_batch(raw: &RawEntry) -> LogResult<Arc<StoredBatch>> {
    let json = raw.field("batch").ok_or_else(|| malformed("batch entry"))?;
    serde_json::from_slice(json)
        .map(Arc::new)
        .map_err(|e| LogError::Unavailable(format!("batch {} is unreadable: {e}", raw.id)))
}

/// The stored event as the history serves it: the frame carries the event JSON exactly as stored.
fn event_entry(raw: RawEntry, batch: &StoredBatch) -> LogResult<Arc<Entry>> {
    let unreadable = |e: String| LogError::Unavailable(format!("event {} is unreadable: {e}", raw.id));
    let json = raw.field("event").ok_or_else(|| unreadable("no event field".into()))?;
    let json = String::from_utf8(json.to_vec()).map_err(|e| unreadable(e.to_string()))?;
    let event: CloudEvent = serde_json::from_str(&json).map_err(|e| unreadable(e.to_string()))?;
    let warnings: Vec<Warning> = match raw.field("warnings") {
        Some(w) => serde_json::from_slice(w).map_err(|e| unreadable(e.to_string()))?,
        None => Vec::new(),
    };
    let delivery = match raw.field("delivery") {
        Some(d) => Some(serde_json::from_slice(d).map_err(|e| unreadable(e.to_string()))?),
        None => None,
    };
    let duplicate_of = match raw.field("duplicate_of") {
        Some(id) => Some(parse_id(std::str::from_utf8(id).map_err(|e| unreadable(e.to_string()))?)?),
        None => None,
    };
    let envelope = Envelope {
        id: raw.id,
        received_at: batch.received_at.clone(),
        mode: batch.mode,
        duplicate_of,
        warnings,
        event,
        request: Arc::clone(&batch.request),
        delivery,
    };
    Ok(Arc::new(Entry::new(envelope, json)))
}

fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("stored values always serialize")
}

fn parse_id(value: &str) -> LogResult<EventId> {
    value.parse().map_err(|_| malformed("stream id"))
}

fn bytes(value: Value) -> LogResult<Vec<u8>> {
    match value {
        Value::BulkString(bytes) => Ok(bytes),
        Value::SimpleString(text) => Ok(text.into_bytes()),
        Value::VerbatimString { text, .. } => Ok(text.into_bytes()),
        Value::Int(n) => Ok(n.to_string().into_bytes()),
        _ => Err(malformed("string value")),
    }
}

fn text(value: Value) -> LogResult<String> {
    String::from_utf8(bytes(value)?).map_err(|_| malformed("text value"))
}

fn malformed(what: &str) -> LogError {
    LogError::Unavailable(format!("unexpected Redis answer: {what}"))
}

fn unavailable(error: RedisError) -> LogError {
    LogError::Unavailable(format!("redis: {error}"))
}
