//! `GET /api/events/wait`: a long poll for the first event matching `/stream`'s server filters, so
//! end-to-end tests can wait on the player instead of sleeping. Reads the log and the hub, never writes.

use crate::core::id::EventId;
use crate::server::AppState;
use crate::server::api::parse_id;
use crate::server::error::{ApiError, Result};
use crate::server::event_log::{EventLog, Range};
use crate::server::hub::{Entry, Message};
use crate::server::stream::StreamFilter;
use axum::Json;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::routing::get;
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// Wait when `timeout_ms` is absent.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest wait one request may ask for; keeps the poll under common proxy idle timeouts.
pub const MAX_TIMEOUT_MS: u64 = 60_000;
/// History page size while scanning.
const PAGE: usize = 1000;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/events/wait", get(wait_event))
}

/// Raw query values, parsed by hand so a bad one is a 400 in our error shape.
#[derive(Debug, Default, Deserialize)]
pub struct WaitQuery {
    #[serde(rename = "type")]
    ty: Option<String>,
    source: Option<String>,
    subject: Option<String>,
    after: Option<String>,
    timeout_ms: Option<String>,
}

/// `timeout_ms`: 0 to [`MAX_TIMEOUT_MS`]; 0 only looks at the history.
fn parse_timeout(value: Option<&str>) -> Result<Duration> {
    let Some(value) = value else { return Ok(DEFAULT_TIMEOUT) };
    match value.parse::<u64>() {
        Ok(ms) if ms <= MAX_TIMEOUT_MS => Ok(Duration::from_millis(ms)),
        _ => Err(ApiError::BadQuery(format!(
            "timeout_ms: `{value}` is not a whole number of milliseconds from 0 to {MAX_TIMEOUT_MS}"
        ))),
    }
}

/// `GET /api/events/wait?type=&source=&subject=&after=&timeout_ms=`: the envelope of the first
/// matching event with a history id above `after` (already stored or not), or, without `after`, the
/// first stored after the call began. 408 `timeout` when none comes in time.
async fn wait_event(
    State(state): State<AppState>,
    raw: std::result::Result<Query<WaitQuery>, QueryRejection>,
) -> Result<axum::response::Response> {
    let Query(q) = raw.map_err(|e| ApiError::BadQuery(e.body_text()))?;
    let after = q.after.as_deref().map(|v| parse_id("after", v)).transpose()?;
    let timeout = parse_timeout(q.timeout_ms.as_deref())?;
    let filter = StreamFilter::new(q.ty.as_deref(), q.source.as_deref(), q.subject.as_deref());
    let found = tokio::time::timeout(timeout, first_match(&state, &filter, after)).await;
    let entry = found.map_err(|_| {
        ApiError::Timeout(format!("no matching event within {}", humantime::format_duration(timeout)))
    })??;
    // Serialized from the envelope itself: a detour through `Value` would re-encode data.
    Ok(axum::response::IntoResponse::into_response(Json(&entry.envelope)))
}

/// The first event after `after` (or after the newest stored when the call began) that `filter`
/// matches. Subscribes before reading the log, as `/stream` does, so an event appended in between
/// is found by the scan or by the hub, never by neither.
async fn first_match(state: &AppState, filter: &StreamFilter, after: Option<EventId>) -> Result<Arc<Entry>> {
    let mut cursor = match after {
        Some(after) => after,
        None => state.log.stats().await?.last_id.unwrap_or_default(),
    };
    let mut rx = state.hub.subscribe();
    if let Some(entry) = scan(&*state.log, filter, &mut cursor).await? {
        return Ok(entry);
    }
    loop {
        let message = tokio::select! {
            biased;
            () = state.shutdown.cancelled() => return Err(ApiError::ShuttingDown),
            message = rx.recv() => message,
        };
        match message {
            Ok(Message::Event(live)) if live.id > cursor => match live.entry() {
                Some(entry) => {
                    cursor = entry.id();
                    if filter.matches(&entry.envelope.event) {
                        return Ok(entry);
                    }
                }
                None => {
                    if let Some(entry) = scan(&*state.log, filter, &mut cursor).await? {
                        return Ok(entry);
                    }
                }
            },
            Ok(_) => {}
            // Missed broadcasts are still in the history.
            Err(RecvError::Lagged(_)) => {
                if let Some(entry) = scan(&*state.log, filter, &mut cursor).await? {
                    return Ok(entry);
                }
            }
            Err(RecvError::Closed) => return Err(ApiError::ShuttingDown),
        }
    }
}

/// The first stored event after `cursor` that `filter` matches; `cursor` moves past what was read.
async fn scan(log: &dyn EventLog, filter: &StreamFilter, cursor: &mut EventId) -> Result<Option<Arc<Entry>>> {
    loop {
        let page = log.range(Range { after: Some(*cursor), limit: PAGE, ..Range::default() }).await?;
        for entry in page.entries {
            *cursor = entry.id();
            if filter.matches(&entry.envelope.event) {
                return Ok(Some(entry));
            }
        }
        if !page.has_more {
            return Ok(None);
        }
    }
}
