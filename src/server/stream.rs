//! `GET /stream` (DESIGN §4): replay, then live frames from the hub, with pings. A subscriber that
//! lags behind the broadcast buffer catches up from the log; only past the history does it get a `gap`.

use crate::core::expression::compile_optional;
use crate::core::filter::Criteria;
use crate::core::id::EventId;
use crate::core::protocol::{Cleared, Connected, ErrorBody, FrameKind, Gap, GapReason, Ping};
use crate::core::sse::Frame;
use crate::server::AppState;
use crate::server::api::parse_id;
use crate::server::error::{ApiError, Result};
use crate::server::event_log::HistoryStats;
use crate::server::follow::{Follow, Loss, Step};
use crate::server::ingest::now_rfc3339;
use crate::server::metrics::Metrics;
use crate::server::openapi::StreamFrame;
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
use tokio::time::{Instant, Interval, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

/// Client reconnect delay announced in the first frame (ms).
pub const RETRY_MS: u64 = 3000;

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
    filter: Option<String>,
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

/// `GET /stream`: Server-Sent Events of the stored and live events.
#[utoipa::path(
    get,
    path = "/stream",
    tag = "stream",
    description = "Server-Sent Events: a `retry:` frame, `connected`, the replay asked for (`Last-Event-ID`, \
`lastEventId` or `replay`), then live frames until the client leaves. Each frame's `event` names its kind \
and its `data` is one line of JSON; the schema `StreamFrame` describes each kind. Only `cloudevent` \
frames carry an `id`.",
    params(
        ("Last-Event-ID" = Option<EventId>, Header, description = "Resume after this event (a reconnecting EventSource sends it)"),
        ("lastEventId" = Option<EventId>, Query, description = "Resume after this event (for clients that cannot set headers)"),
        ("replay" = Option<u64>, Query, description = "Start with the last N stored events"),
        ("type" = Option<String>, Query, description = "Only events whose type matches this glob (`*` and `?`)"),
        ("source" = Option<String>, Query, description = "Only events whose source matches this glob"),
        ("subject" = Option<String>, Query, description = "Only events whose subject matches this glob"),
        ("filter" = Option<String>, Query, description = "Only events for which this CESQL expression is true (without errors); empty: no filter"),
    ),
    responses(
        (status = 200, description = "The stream: frames `cloudevent`, `connected`, `ping`, `gap`, `cleared`, `rejected`",
            content_type = "text/event-stream", body = StreamFrame),
        (status = 400, description = "`invalid_query`: a malformed `lastEventId` or `replay`; \
`invalid_header`: a malformed `Last-Event-ID`; `invalid_expression`: `filter` does not parse", body = ErrorBody),
        (status = 503, description = "`backend_unavailable`: the history backend is unreachable; \
`shutting_down`: the server is stopping", body = ErrorBody),
    )
)]
async fn get_stream(
    State(state): State<AppState>,
    headers: HeaderMap,
    raw: std::result::Result<Query<StreamQuery>, QueryRejection>,
) -> Result<Response> {
    let Query(query) = raw.map_err(|e| ApiError::BadQuery(e.body_text()))?;
    let start = parse_start(&headers, &query)?;
    let criteria = criteria(
        query.ty.as_deref(),
        query.source.as_deref(),
        query.subject.as_deref(),
        query.filter.as_deref(),
    )?;
    let (follow, stats) =
        Follow::subscribe(Arc::clone(&state.log), &state.hub, Arc::clone(&state.metrics), criteria).await?;
    let mut subscription = Subscription::new(&state, follow, &stats);
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

/// `?type=`, `?source=`, `?subject=` and `?filter=` of `/stream`, `/api/events` and
/// `/api/events/wait`; absent is as empty. A `filter` that does not parse is a 400.
pub fn criteria(
    ty: Option<&str>,
    source: Option<&str>,
    subject: Option<&str>,
    filter: Option<&str>,
) -> Result<Criteria> {
    let expression = compile_optional(filter.unwrap_or_default())
        .map_err(|error| ApiError::InvalidExpression { field: "filter", error })?;
    Ok(Criteria::new(ty.unwrap_or_default(), source.unwrap_or_default(), subject.unwrap_or_default())
        .with_expression(expression))
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

/// One client's stream: control frames, then whatever its [`Follow`] gives, with pings.
struct Subscription {
    follow: Follow,
    metrics: Arc<Metrics>,
    shutdown: CancellationToken,
    ping: Interval,
    /// Frames ready to write before the next step (`retry`, `connected`, an unknown id's `gap`).
    pending: VecDeque<Bytes>,
    draining: bool,
    _guard: ClientGuard,
}

impl Subscription {
    fn new(state: &AppState, follow: Follow, stats: &HistoryStats) -> Self {
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
        let mut pending = VecDeque::new();
        pending.push_back(Bytes::from(Frame::default().with_retry(RETRY_MS).encode()));
        pending.push_back(frame(FrameKind::Connected, &connected));
        Self {
            follow,
            metrics: Arc::clone(&state.metrics),
            shutdown: state.shutdown.clone(),
            ping,
            pending,
            draining: false,
            _guard: ClientGuard::new(Arc::clone(&state.metrics)),
        }
    }

    /// Sets up the replay asked for. `stats` was read after subscribing.
    async fn start(&mut self, start: Start, stats: &HistoryStats) -> Result<()> {
        match start {
            Start::Live => {}
            Start::Last(n) => self.follow.replay_last(n, stats.capacity).await?,
            Start::After(last) => {
                let issued_here =
                    stats.origin <= last && stats.last_issued.is_none_or(|newest| last <= newest);
                if issued_here {
                    self.follow.resume_after(last);
                } else {
                    // Ids from another history say nothing of how many this one holds after them.
                    self.metrics.gaps.inc();
                    let gap = Gap {
                        reason: GapReason::UnknownId,
                        last_event_id: last,
                        missed: None,
                        message: None,
                    };
                    self.pending.push_back(frame(FrameKind::Gap, &gap));
                    self.follow.replay_after(EventId::ZERO);
                }
            }
        }
        Ok(())
    }

    /// The frame of one step of the follow.
    fn frame_of(&mut self, step: Step) -> Bytes {
        match step {
            Step::Event(entry) => entry.frame.clone(),
            Step::Lost(Loss::HistoryExceeded { after, missed }) => {
                self.metrics.gaps.inc();
                let gap =
                    Gap { reason: GapReason::HistoryExceeded, last_event_id: after, missed, message: None };
                frame(FrameKind::Gap, &gap)
            }
            Step::Lost(Loss::Unavailable { after, message }) => {
                self.metrics.gaps.inc();
                let gap = Gap {
                    reason: GapReason::BackendUnavailable,
                    last_event_id: after,
                    missed: None,
                    message: Some(message),
                };
                frame(FrameKind::Gap, &gap)
            }
            Step::Cleared { through } => frame(FrameKind::Cleared, &Cleared { through }),
            Step::Rejected(bytes) => bytes,
        }
    }

    /// The next bytes to write, or `None` when the stream ends (after shutdown, once every
    /// stored event was given).
    async fn next(&mut self) -> Option<Bytes> {
        if let Some(bytes) = self.pending.pop_front() {
            self.metrics.frames_sent.inc();
            return Some(bytes);
        }
        loop {
            tokio::select! {
                biased;
                () = self.shutdown.cancelled(), if !self.draining => {
                    // Every event stored before shutdown began is in the history: send the rest.
                    self.draining = true;
                    self.follow.drain();
                }
                step = self.follow.next() => {
                    let bytes = self.frame_of(step?);
                    self.metrics.frames_sent.inc();
                    return Some(bytes);
                }
                _ = self.ping.tick() => {
                    return Some(frame(FrameKind::Ping, &Ping::at(now_rfc3339())));
                }
            }
        }
    }
}

fn frame(kind: FrameKind, data: &impl Serialize) -> Bytes {
    Bytes::from(kind.frame(data).encode())
}

fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
