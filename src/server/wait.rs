//! `GET /api/events/wait`: a long poll for the first event matching `/stream`'s server filters, so
//! end-to-end tests can wait on the player instead of sleeping. Reads the log and the hub, never writes.

use crate::core::filter::Criteria;
use crate::core::id::EventId;
use crate::core::protocol::{Envelope, ErrorBody};
use crate::server::AppState;
use crate::server::api::parse_id;
use crate::server::error::{ApiError, Result};
use crate::server::follow::{Follow, Step};
use crate::server::hub::Entry;
use crate::server::stream::criteria;
use axum::Json;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::routing::get;
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;

/// Wait when `timeout_ms` is absent.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest wait one request may ask for; keeps the poll under common proxy idle timeouts.
pub const MAX_TIMEOUT_MS: u64 = 60_000;

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
    filter: Option<String>,
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

/// `GET /api/events/wait?type=&source=&subject=&filter=&after=&timeout_ms=`: the envelope of the first
/// matching event with a history id above `after` (already stored or not), or, without `after`, the
/// first stored after the call began. 408 `timeout` when none comes in time.
#[utoipa::path(
    get,
    path = "/api/events/wait",
    tag = "history",
    description = "A long poll: the first event matching the filters with a history id above `after` \
(stored already or not), or without `after` the first stored after the call began.",
    params(
        ("type" = Option<String>, Query, description = "Event type filter, as `/stream`'s"),
        ("source" = Option<String>, Query, description = "Source filter, as `/stream`'s"),
        ("subject" = Option<String>, Query, description = "Subject filter, as `/stream`'s"),
        ("filter" = Option<String>, Query, description = "CESQL filter, as `/stream`'s"),
        ("after" = Option<EventId>, Query, description = "Only events after this history id"),
        ("timeout_ms" = Option<u64>, Query, minimum = 0, maximum = 60000, description = "How long to wait, default 10000; 0 only looks at the history"),
    ),
    responses(
        (status = 200, description = "The first matching event", body = Envelope),
        (status = 400, description = "`invalid_query`: a malformed id or timeout; `invalid_expression`: `filter` does not parse", body = ErrorBody),
        (status = 408, description = "`timeout`: no matching event in time", body = ErrorBody),
        (status = 503, description = "`backend_unavailable`: the history backend is unreachable; \
`shutting_down`: the server is stopping", body = ErrorBody),
    )
)]
async fn wait_event(
    State(state): State<AppState>,
    raw: std::result::Result<Query<WaitQuery>, QueryRejection>,
) -> Result<axum::response::Response> {
    let Query(q) = raw.map_err(|e| ApiError::BadQuery(e.body_text()))?;
    let after = q.after.as_deref().map(|v| parse_id("after", v)).transpose()?;
    let timeout = parse_timeout(q.timeout_ms.as_deref())?;
    let criteria = criteria(q.ty.as_deref(), q.source.as_deref(), q.subject.as_deref(), q.filter.as_deref())?;
    let found = tokio::time::timeout(timeout, first_match(&state, criteria, after)).await;
    let entry = found.map_err(|_| {
        ApiError::Timeout(format!("no matching event within {}", humantime::format_duration(timeout)))
    })??;
    // Serialized from the envelope itself: a detour through `Value` would re-encode data.
    Ok(axum::response::IntoResponse::into_response(Json(&entry.envelope)))
}

/// The first event after `after` (or after the newest issued when the call began) that `criteria`
/// match, from the history or live, as `/stream` would give it: the same [`Follow`], so a publisher
/// behind the history or a lagging subscription still finds what the history holds.
async fn first_match(state: &AppState, criteria: Criteria, after: Option<EventId>) -> Result<Arc<Entry>> {
    let (mut follow, _) =
        Follow::subscribe(Arc::clone(&state.log), &state.hub, Arc::clone(&state.metrics), criteria).await?;
    if let Some(after) = after {
        follow.replay_after(after);
    }
    loop {
        let step = tokio::select! {
            biased;
            () = state.shutdown.cancelled() => return Err(ApiError::ShuttingDown),
            step = follow.next() => step,
        };
        match step {
            Some(Step::Event(entry)) => return Ok(entry),
            // Losses, clears and rejections: nothing to answer yet; keep waiting for a match.
            Some(Step::Lost(_) | Step::Cleared { .. } | Step::Rejected(_)) => {}
            None => return Err(ApiError::ShuttingDown),
        }
    }
}
