//! `GET /stream` (DESIGN §4): replay, then live frames from the hub, with pings. A subscriber that
//! lags behind the broadcast buffer catches up from the log; only past the history does it get a `gap`.

use crate::core::cloudevent::CloudEvent;
use crate::core::glob::Glob;
use crate::core::id::EventId;
use crate::core::protocol::{Cleared, Connected, FrameKind, Gap, GapReason, Ping};
use crate::core::sse::Frame;
use crate::server::AppState;
use crate::server::api::parse_id;
use crate::server::error::{ApiError, Result};
use crate::server::event_log::{EventLog, HistoryStats, Range};
use crate::server::hub::Message;
use crate::server::ingest::now_rfc3339;
use crate::server::metrics::Metrics;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::time::{Instant, Interval, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

/// Client reconnect delay announced in the first frame (ms).
pub const RETRY_MS: u64 = 3000;
/// History page size while replaying or catching up.
const PAGE: usize = 1000;

pub fn routes() -> Router<AppState> {
    Router::new().route("/stream", get(get_stream))
}

/// Raw query values, parsed by hand so a bad one is a 400 in our error shape.
#[derive(Debug, Default, Deserialize)]
pub struct StreamQuery {
    #[serde(rename = "lastEventId")]
    last_event_id: Option<String>,
    replay: Option<String>,
    #[serde(rename = "type")]
    ty: Option<String>,
    source: Option<String>,
    subject: Option<String>,
}

/// `?type=`, `?source=`, `?subject=` with `*` wildcards, AND-combined. Shared by `/stream` and
/// `/api/events/wait`, so a filter means the same on both.
#[derive(Debug, Default)]
pub struct StreamFilter {
    ty: Option<Glob>,
    source: Option<Glob>,
    subject: Option<Glob>,
}

impl StreamFilter {
    /// A filter from the query values; an absent or empty one does not filter (`?type=&source=x`).
    pub fn new(ty: Option<&str>, source: Option<&str>, subject: Option<&str>) -> Self {
        let glob = |pattern: Option<&str>| pattern.filter(|p| !p.is_empty()).map(Glob::new);
        Self { ty: glob(ty), source: glob(source), subject: glob(subject) }
    }

    /// An event without a subject never matches a subject filter.
    pub fn matches(&self, event: &CloudEvent) -> bool {
        self.ty.as_ref().is_none_or(|g| g.is_match(event.ty()))
            && self.source.as_ref().is_none_or(|g| g.is_match(event.source()))
            && self.subject.as_ref().is_none_or(|g| event.subject().is_some_and(|s| g.is_match(s)))
    }
}

/// Where a stream starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Start {
    Live,
    After(EventId),
    Last(usize),
}

fn parse_start(headers: &HeaderMap, query: &StreamQuery) -> Result<Start> {
    let header = headers
        .get("last-event-id")
        .map(|v| v.to_str().map_err(|_| ApiError::BadHeader("Last-Event-ID: not visible ASCII".into())))
        .transpose()?
        .map(str::trim)
        .filter(|v| !v.is_empty());
    if let Some(id) = header {
        return parse_id("Last-Event-ID", id)
            .map_err(|e| ApiError::BadHeader(e.to_string()))
            .map(Start::After);
    }
    if let Some(id) = query.last_event_id.as_deref().filter(|v| !v.is_empty()) {
        return parse_id("lastEventId", id).map(Start::After);
    }
    match query.replay.as_deref() {
        None => Ok(Start::Live),
        Some(n) => n
            .parse::<usize>()
            .map(Start::Last)
            .map_err(|_| ApiError::BadQuery(format!("replay: `{n}` is not a whole number of events"))),
    }
}

async fn get_stream(
    State(state): State<AppState>,
    headers: HeaderMap,
    raw: std::result::Result<Query<StreamQuery>, QueryRejection>,
) -> Result<Response> {
    let Query(query) = raw.map_err(|e| ApiError::BadQuery(e.body_text()))?;
    let start = parse_start(&headers, &query)?;
    let filter = StreamFilter::new(query.ty.as_deref(), query.source.as_deref(), query.subject.as_deref());
    // Subscribe before reading the history: nothing appended in between can be missed.
    let rx = state.hub.subscribe();
    let stats = state.log.stats().await?;
    let mut subscription = Subscription::new(&state, rx, filter, &stats);
    subscription.start(start, &stats).await?;

    let body = futures::stream::unfold(subscription, |mut s| async move {
        s.next().await.map(|bytes| (Ok::<_, std::convert::Infallible>(bytes), s))
    });
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream")),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            // Tell nginx-style proxies not to buffer the stream.
            (header::HeaderName::from_static("x-accel-buffering"), HeaderValue::from_static("no")),
        ],
        Body::from_stream(body),
    )
        .into_response())
}

/// Counts the connection in `stream_clients` for as long as it lives.
struct ClientGuard(Arc<Metrics>);

impl ClientGuard {
    fn new(metrics: Arc<Metrics>) -> Self {
        metrics.stream_clients.inc();
        Self(metrics)
    }
}

impl Drop for ClientGuard {
    fn drop(&mut self) {
        self.0.stream_clients.dec();
    }
}

/// One client's position in the stream.
///
/// Memory: replay and catch-up read the history a page at a time and queue at most
/// [`PENDING_BYTES`] (plus one event) before the client has taken them, and the ring holds only
/// weak references (see `hub`), so a client that stops reading pins a small, fixed amount.
struct Subscription {
    log: Arc<dyn EventLog>,
    rx: broadcast::Receiver<Message>,
    filter: StreamFilter,
    metrics: Arc<Metrics>,
    shutdown: CancellationToken,
    ping: Interval,
    /// Frames ready to write (replay, catch-up, control frames), and their size.
    pending: VecDeque<Bytes>,
    pending_bytes: usize,
    /// Newest event id handled (sent or filtered out); catch-up resumes after it, and live events
    /// at or below it were already given.
    cursor: EventId,
    /// Reading the history after `cursor` rather than the ring.
    catching_up: bool,
    /// Newest `cleared` already sent, so a clear seen during catch-up is not sent again live.
    cleared_sent: Option<EventId>,
    /// Shutting down: send what the history holds after `cursor`, then end.
    draining: bool,
    done: bool,
    _guard: ClientGuard,
}

/// Frames queued ahead of the client before the history is read further.
const PENDING_BYTES: usize = 256 * 1024;

impl Subscription {
    fn new(
        state: &AppState,
        rx: broadcast::Receiver<Message>,
        filter: StreamFilter,
        stats: &HistoryStats,
    ) -> Self {
        let period = state.config.ping_interval;
        let mut ping = tokio::time::interval_at(Instant::now() + period, period);
        ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let connected = Connected {
            server: "cloudevent-player".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            stream_id: state.stream_id.to_string(),
            ping_interval_ms: duration_ms(period),
            last_id: stats.last_id,
        };
        let mut subscription = Self {
            log: Arc::clone(&state.log),
            rx,
            filter,
            metrics: Arc::clone(&state.metrics),
            shutdown: state.shutdown.clone(),
            ping,
            pending: VecDeque::new(),
            pending_bytes: 0,
            // Events issued before the snapshot are history, not live: a backend that publishes
            // after storing (Redis, from its tail) may still deliver some of them to the hub.
            cursor: stats.last_issued.max(stats.last_id).unwrap_or_default(),
            catching_up: false,
            cleared_sent: stats.cleared_through,
            draining: false,
            done: false,
            _guard: ClientGuard::new(Arc::clone(&state.metrics)),
        };
        subscription.push(Bytes::from(Frame::default().with_retry(RETRY_MS).encode()));
        subscription.push(frame(FrameKind::Connected, &connected));
        subscription
    }

    fn push(&mut self, bytes: Bytes) {
        self.pending_bytes += bytes.len();
        self.pending.push_back(bytes);
    }

    /// Sets up the replay asked for. `stats` was read after subscribing.
    async fn start(&mut self, start: Start, stats: &HistoryStats) -> Result<()> {
        match start {
            Start::Live | Start::Last(0) => Ok(()),
            Start::Last(n) => {
                let limit = n.min(stats.capacity.max(1));
                let page = self.log.range(Range { limit, from_end: true, ..Range::default() }).await?;
                if let Some(first) = page.entries.first() {
                    self.replay_after(prev(first.id()));
                }
                Ok(())
            }
            Start::After(last) => {
                let issued_here =
                    stats.origin <= last && stats.last_issued.is_none_or(|newest| last <= newest);
                if !issued_here {
                    self.gap(GapReason::UnknownId, last, None);
                    self.replay_after(EventId::ZERO);
                    return Ok(());
                }
                self.replay_after(last);
                // A clear after `last` is news to this client, even one from before it connected.
                self.cleared_sent = None;
                self.report_losses(stats);
                Ok(())
            }
        }
    }

    /// From now on, read the history after `after` until it is exhausted, then go live.
    fn replay_after(&mut self, after: EventId) {
        self.cursor = after;
        self.catching_up = true;
    }

    /// Before reading the history after `cursor`: a `gap` if it dropped events after it, a
    /// `cleared` if a clear removed some that were not reported yet.
    fn report_losses(&mut self, stats: &HistoryStats) {
        if stats.evicted_through.is_some_and(|evicted| evicted > self.cursor) {
            self.gap(GapReason::HistoryExceeded, self.cursor, None);
        } else if stats.cleared_through.is_some_and(|cleared| cleared > self.cursor)
            && stats.cleared_through > self.cleared_sent
        {
            self.cleared_sent = stats.cleared_through;
            self.push(frame(FrameKind::Cleared, &Cleared { through: stats.cleared_through }));
        }
    }

    /// A `gap` frame; `message` is the backend's error, for `backend_unavailable`.
    fn gap(&mut self, reason: GapReason, last_event_id: EventId, message: Option<String>) {
        self.metrics.gaps.inc();
        // The count is not known here yet: `missed` says so with `null`.
        let gap = Gap { reason, last_event_id, missed: None, message };
        self.push(frame(FrameKind::Gap, &gap));
    }

    /// After a broadcast lag or an event already gone: resume from the history after `cursor`.
    async fn catch_up(&mut self) {
        self.metrics.lag_catchups.inc();
        match self.log.stats().await {
            Ok(stats) => self.report_losses(&stats),
            Err(e) => {
                self.gap(GapReason::BackendUnavailable, self.cursor, Some(e.to_string()));
                return;
            }
        }
        self.catching_up = true;
    }

    /// Queues the next stored events after `cursor` that pass the filter, up to [`PENDING_BYTES`];
    /// once the history has nothing more, goes live (or ends, when draining).
    async fn read_history(&mut self) {
        let range = Range { after: Some(self.cursor), limit: PAGE, ..Range::default() };
        let page = match self.log.range(range).await {
            Ok(page) => page,
            Err(e) => {
                self.gap(GapReason::BackendUnavailable, self.cursor, Some(e.to_string()));
                self.catching_up = false;
                self.done |= self.draining;
                return;
            }
        };
        let mut more = page.has_more;
        for (i, entry) in page.entries.iter().enumerate() {
            if self.pending_bytes >= PENDING_BYTES {
                more |= i < page.entries.len();
                break;
            }
            self.cursor = entry.id();
            if self.filter.matches(&entry.envelope.event) {
                self.push(entry.frame.clone());
            }
        }
        if !more {
            self.catching_up = false;
            self.done |= self.draining;
        }
    }

    /// The next bytes to write, or `None` when the stream ends (after shutdown, once every
    /// stored event was given).
    async fn next(&mut self) -> Option<Bytes> {
        loop {
            if let Some(bytes) = self.pending.pop_front() {
                self.pending_bytes -= bytes.len();
                self.metrics.frames_sent.inc();
                return Some(bytes);
            }
            if self.done {
                return None;
            }
            if self.catching_up {
                self.read_history().await;
                continue;
            }
            tokio::select! {
                biased;
                () = self.shutdown.cancelled(), if !self.draining => {
                    // Every event stored before shutdown began is in the history: send the rest.
                    self.draining = true;
                    self.catching_up = true;
                }
                message = self.rx.recv() => match message {
                    Ok(Message::Event(live)) => {
                        if live.id <= self.cursor {
                            continue;
                        }
                        let Some(entry) = live.entry() else {
                            self.catch_up().await;
                            continue;
                        };
                        self.cursor = live.id;
                        if self.filter.matches(&entry.envelope.event) {
                            self.push(entry.frame.clone());
                        }
                    }
                    Ok(Message::Cleared { through }) => {
                        if through.is_some() && through <= self.cleared_sent {
                            continue;
                        }
                        self.cleared_sent = self.cleared_sent.max(through);
                        self.cursor = self.cursor.max(through.unwrap_or_default());
                        self.push(frame(FrameKind::Cleared, &Cleared { through }));
                    }
                    Ok(Message::Rejected(bytes)) => self.push(bytes),
                    Ok(Message::Behind) | Err(RecvError::Lagged(_)) => self.catch_up().await,
                    Err(RecvError::Closed) => self.done = true,
                },
                _ = self.ping.tick() => {
                    return Some(frame(FrameKind::Ping, &Ping::at(now_rfc3339())));
                }
            }
        }
    }
}

fn prev(id: EventId) -> EventId {
    match id.seq.checked_sub(1) {
        Some(seq) => EventId { seq, ..id },
        None => EventId { ms: id.ms.saturating_sub(1), seq: u64::MAX },
    }
}

fn frame(kind: FrameKind, data: &impl Serialize) -> Bytes {
    Bytes::from(kind.frame(data).encode())
}

fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
