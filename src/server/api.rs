//! The JSON API (DESIGN §5): history pages, one event, clear, status, rejections, metrics.

use crate::core::envelope::Envelope;
use crate::core::filter::Criteria;
use crate::core::id::EventId;
use crate::core::protocol::{
    ClearedCount, ErrorBody, EventsPage, HistoryStatus, Rejection, RejectionList, Status,
};
use crate::server::AppState;
use crate::server::error::{ApiError, Result};
use crate::server::event_log::{EventLog, HistoryStats, LogError, Page, Range};
use crate::server::hub::Entry;
use crate::server::stream::criteria;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use std::sync::Arc;

/// Most events or rejections one request may ask for.
pub const MAX_LIMIT: usize = 1000;
/// Page size when `limit` is absent.
pub const DEFAULT_LIMIT: usize = 100;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/events", get(list_events).delete(clear_events))
        .route("/api/events/{id}", get(get_event))
        .route("/api/rejections", get(list_rejections))
        .route("/api/rejections/{id}", get(get_rejection))
        .route("/api/status", get(get_status))
        .route("/metrics", get(get_metrics))
}

impl From<LogError> for ApiError {
    fn from(error: LogError) -> Self {
        match error {
            LogError::Unavailable(why) => {
                crate::server::error::backend_unavailable(&why);
                ApiError::Unavailable
            }
        }
    }
}

/// Raw query values: parsed by hand so every malformed value gets our error shape.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    after: Option<String>,
    before: Option<String>,
    limit: Option<String>,
    #[serde(rename = "type")]
    ty: Option<String>,
    source: Option<String>,
    subject: Option<String>,
    filter: Option<String>,
}

/// Events read from the log per step while a filtered page is gathered.
const SCAN_CHUNK: usize = 1000;

pub fn query<T: Default>(query: std::result::Result<Query<T>, QueryRejection>) -> Result<T> {
    query.map(|Query(q)| q).map_err(|e| ApiError::BadQuery(e.body_text()))
}

/// Parses an id from query or path; `what` names where it came from.
pub fn parse_id(what: &str, value: &str) -> Result<EventId> {
    value.parse().map_err(|e| ApiError::BadQuery(format!("{what}: {e}")))
}

/// `limit`: 1 to [`MAX_LIMIT`], default [`DEFAULT_LIMIT`].
pub fn parse_limit(value: Option<&str>) -> Result<usize> {
    let Some(value) = value else { return Ok(DEFAULT_LIMIT) };
    match value.parse::<usize>() {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        _ => Err(ApiError::BadQuery(format!("limit: `{value}` is not a whole number from 1 to {MAX_LIMIT}"))),
    }
}

/// `GET /api/events?after=&before=&limit=&type=&source=&subject=&filter=`: oldest first. With only
/// `before`, the newest events before it (paging backwards); otherwise the oldest after `after`.
/// With filters, the page holds matching events only.
#[utoipa::path(
    get,
    path = "/api/events",
    tag = "history",
    params(
        ("after" = Option<EventId>, Query, description = "Only events after this id"),
        ("before" = Option<EventId>, Query, description = "Only events before this id; alone, the newest before it"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Page size, default 100"),
        ("type" = Option<String>, Query, description = "Only events whose type matches this glob, as `/stream`'s"),
        ("source" = Option<String>, Query, description = "Source filter, as `/stream`'s"),
        ("subject" = Option<String>, Query, description = "Subject filter, as `/stream`'s"),
        ("filter" = Option<String>, Query, description = "CESQL filter, as `/stream`'s"),
    ),
    responses(
        (status = 200, description = "A page of stored events, oldest first; `has_more`: more of the range (matching the filters) exist", body = EventsPage),
        (status = 400, description = "`invalid_query`: a malformed id or limit; `invalid_expression`: `filter` does not parse", body = ErrorBody),
        (status = 503, description = "`backend_unavailable`: the history backend is unreachable", body = ErrorBody),
    )
)]
async fn list_events(
    State(state): State<AppState>,
    raw: std::result::Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response> {
    let q = query(raw)?;
    let after = q.after.as_deref().map(|v| parse_id("after", v)).transpose()?;
    let before = q.before.as_deref().map(|v| parse_id("before", v)).transpose()?;
    let limit = parse_limit(q.limit.as_deref())?;
    let criteria = criteria(q.ty.as_deref(), q.source.as_deref(), q.subject.as_deref(), q.filter.as_deref())?;
    let from_end = before.is_some() && after.is_none();
    let range = Range { after, before, limit, from_end };
    let page = if criteria.is_all() {
        state.log.range(range).await?
    } else {
        matching(state.log.as_ref(), range, &criteria).await?
    };
    // Serialized from the envelopes themselves: a detour through `Value` would re-encode data.
    let events: Vec<&Envelope> = page.entries.iter().map(|e| &e.envelope).collect();
    Ok(Json(EventsPage { events, has_more: page.has_more }).into_response())
}

/// The first `range.limit` events of `range` (the last, with `from_end`) that `criteria` match,
/// read in chunks. It looks one match further, so `has_more` says whether another matching event
/// exists; a page can thus cost a scan of the whole range (the history is bounded).
async fn matching(log: &dyn EventLog, range: Range, criteria: &Criteria) -> Result<Page> {
    let Range { mut after, mut before, limit, from_end } = range;
    let mut found: Vec<Arc<Entry>> = Vec::new();
    loop {
        let chunk = log.range(Range { after, before, limit: SCAN_CHUNK, from_end }).await?;
        let (Some(first), Some(last)) = (chunk.entries.first(), chunk.entries.last()) else { break };
        let wanted = limit + 1 - found.len();
        let matches = |entry: &&Arc<Entry>| criteria.matches(&entry.envelope.event);
        if from_end {
            before = Some(first.id());
            found.extend(chunk.entries.iter().rev().filter(matches).take(wanted).cloned());
        } else {
            after = Some(last.id());
            found.extend(chunk.entries.iter().filter(matches).take(wanted).cloned());
        }
        if found.len() > limit || !chunk.has_more {
            break;
        }
    }
    let has_more = found.len() > limit;
    found.truncate(limit);
    if from_end {
        found.reverse();
    }
    Ok(Page { entries: found, has_more })
}

/// A path segment; an undecodable one (`%FF`) is a 400 in our error shape, not axum's text.
pub fn path_segment(raw: std::result::Result<Path<String>, PathRejection>) -> Result<String> {
    raw.map(|Path(segment)| segment).map_err(|e| ApiError::BadQuery(format!("path: {}", e.body_text())))
}

/// `GET /api/events/{id}`.
#[utoipa::path(
    get,
    path = "/api/events/{id}",
    tag = "history",
    params(("id" = EventId, Path, description = "The event's history id")),
    responses(
        (status = 200, description = "The stored event with its envelope", body = Envelope),
        (status = 400, description = "`invalid_query`: not an event id", body = ErrorBody),
        (status = 404, description = "`not_found`: no such event in the history", body = ErrorBody),
        (status = 503, description = "`backend_unavailable`: the history backend is unreachable", body = ErrorBody),
    )
)]
async fn get_event(
    State(state): State<AppState>,
    raw: std::result::Result<Path<String>, PathRejection>,
) -> Result<Response> {
    let id = parse_id("id", &path_segment(raw)?)?;
    let entry = state
        .log
        .get(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no event {id} in the history")))?;
    Ok(Json(&entry.envelope).into_response())
}

/// `DELETE /api/events`: every tab gets `cleared`, and the rejected lane empties with the history.
#[utoipa::path(
    delete,
    path = "/api/events",
    tag = "history",
    responses(
        (status = 200, description = "The history and the kept rejections are empty, and the delivery lab's attempt counts start over; every stream gets `cleared`", body = ClearedCount),
        (status = 503, description = "`backend_unavailable`: the history backend is unreachable", body = ErrorBody),
    )
)]
async fn clear_events(State(state): State<AppState>) -> Result<Json<ClearedCount>> {
    let cleared = state.log.clear().await?;
    state.rejections.clear();
    // A cleared history starts the delivery lab's attempt counts over too.
    state.lab.reset_attempts().await?;
    Ok(Json(ClearedCount { cleared }))
}

#[derive(Debug, Default, Deserialize)]
pub struct LimitQuery {
    limit: Option<String>,
}

/// `GET /api/rejections?limit=`: summaries, newest first (the `rejected` frame's shape).
#[utoipa::path(
    get,
    path = "/api/rejections",
    tag = "history",
    params(("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "How many, default 100")),
    responses(
        (status = 200, description = "The kept rejections, newest first", body = RejectionList),
        (status = 400, description = "`invalid_query`: a malformed limit", body = ErrorBody),
    )
)]
async fn list_rejections(
    State(state): State<AppState>,
    raw: std::result::Result<Query<LimitQuery>, QueryRejection>,
) -> Result<Json<RejectionList>> {
    let limit = parse_limit(query(raw)?.limit.as_deref())?;
    Ok(Json(RejectionList { rejections: state.rejections.recent(limit) }))
}

/// `GET /api/rejections/{id}`: one kept rejection in full, with the request as received.
#[utoipa::path(
    get,
    path = "/api/rejections/{id}",
    tag = "history",
    params(("id" = u64, Path, description = "The rejection's id")),
    responses(
        (status = 200, description = "The rejection with the request as received", body = Rejection),
        (status = 400, description = "`invalid_query`: not a rejection id", body = ErrorBody),
        (status = 404, description = "`not_found`: not kept (any more)", body = ErrorBody),
    )
)]
async fn get_rejection(
    State(state): State<AppState>,
    raw: std::result::Result<Path<String>, PathRejection>,
) -> Result<Json<Arc<Rejection>>> {
    let raw = path_segment(raw)?;
    let id: u64 =
        raw.parse().map_err(|_| ApiError::BadQuery(format!("id: `{raw}` is not a rejection id")))?;
    state
        .rejections
        .get(id)
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("rejection {id} is not kept any more (or never was)")))
}

impl From<HistoryStats> for HistoryStatus {
    fn from(s: HistoryStats) -> Self {
        Self {
            len: s.len,
            capacity: s.capacity,
            bytes: s.bytes,
            max_bytes: s.max_bytes,
            first_id: s.first_id,
            last_id: s.last_id,
        }
    }
}

/// `GET /api/status`: counters and the history's size.
#[utoipa::path(
    get,
    path = "/api/status",
    tag = "operations",
    responses(
        (status = 200, description = "Counters and the history's size", body = Status),
        (status = 503, description = "`backend_unavailable`: the history backend is unreachable", body = ErrorBody),
    )
)]
async fn get_status(State(state): State<AppState>) -> Result<Json<Status>> {
    let stats = state.log.stats().await?;
    Ok(Json(Status {
        clients: state.metrics.stream_clients.get(),
        total_events: stats.total_appended,
        rejected: state.rejections.len(),
        refused: state.metrics.events_refused.get(),
        history: stats.into(),
        backend: state.log.backend().to_owned(),
        uptime_s: state.started.elapsed().as_secs(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    }))
}

/// `GET /metrics`: OpenMetrics text. The history gauges are read now; while the backend is
/// unreachable they keep their last values and the rest is still served.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses((
        status = 200,
        description = "Prometheus metrics in the OpenMetrics text format",
        content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8",
        body = String
    ))
)]
async fn get_metrics(State(state): State<AppState>) -> impl IntoResponse {
    if let Ok(stats) = state.log.stats().await {
        state.metrics.history_events.set(i64::try_from(stats.len).unwrap_or(i64::MAX));
        if let Some(bytes) = stats.bytes {
            state.metrics.history_bytes.set(i64::try_from(bytes).unwrap_or(i64::MAX));
        }
    }
    (
        [(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")],
        state.metrics.render(),
    )
}
