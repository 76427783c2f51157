//! `POST /`, `/events`, `/events/pub` and `/r/<name>`: CloudEvents in binary, structured or batch
//! mode (DESIGN §2), answered as the delivery lab's rules say (§11), and the CloudEvents webhook
//! handshake (`OPTIONS`). Decoding, validation and the rules live in `core`.

use crate::core::cloudevent::{self, DuplicateKey, Limits};
use crate::core::id::EventId;
use crate::core::lab::Answer;
use crate::core::protocol::{Accepted, CloudEvent, ErrorBody, Rejection, RequestRecord};
use crate::server::AppState;
use crate::server::access::{INGEST_PATHS, NAMED_INGEST_ROUTE};
use crate::server::connections::BodyTimeout;
use crate::server::encoding;
use crate::server::error::{ApiError, backend_unavailable};
use crate::server::event_log::{Batch, LogError};
use crate::server::metrics::ReasonLabel;
use axum::BoxError;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, post};
use axum::{Router, body::Bytes};
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::OwnedSemaphorePermit;

/// The ingest routes. `/` also serves the app (GET), so these merge with the page routes. The
/// handler reads the body within `--max-body` itself.
pub fn routes() -> Router<AppState> {
    let ingest = || -> MethodRouter<AppState> { post(post_events).options(webhook_handshake) };
    INGEST_PATHS
        .into_iter()
        .chain([NAMED_INGEST_ROUTE])
        .fold(Router::new(), |router, path| router.route(path, ingest()))
}

/// RFC 3339 UTC with milliseconds, the form of `received_at` and rejection times.
pub fn now_rfc3339() -> String {
    use std::fmt::Write as _;
    // `2026-12-02T00:00:00.000Z`: sized up front, where `to_string` grew it once per request.
    let mut time = String::with_capacity(24);
    let _ = write!(time, "{}", humantime::format_rfc3339_millis(std::time::SystemTime::now()));
    time
}

/// Decodes, validates and stores one request's events; all or nothing.
#[utoipa::path(
    post,
    path = "/",
    tag = "ingest",
    description = "Stores the events of one request, all or nothing, and streams them to every tab. \
Binary mode: the event's attributes in `ce-*` headers and its data as the body (any content type). \
Structured mode: one event as `application/cloudevents+json`. Batch mode: an array of events as \
`application/cloudevents-batch+json`. The body may be compressed (`Content-Encoding`: gzip, \
deflate, br, zstd). `/events`, `/events/pub` and `/r/{name}` are the same route. A refused request is kept \
(`/api/rejections`) and streamed as a `rejected` frame. A stored request is answered as the first delivery lab \
rule that holds says (`/api/rules`; a batch by its first event), else `202`.",
    params(
        ("ce-specversion" = Option<String>, Header, description = "Binary mode: `1.0`"),
        ("ce-id" = Option<String>, Header, description = "Binary mode: the event's id"),
        ("ce-source" = Option<String>, Header, description = "Binary mode: the event's source"),
        ("ce-type" = Option<String>, Header, description = "Binary mode: the event's type"),
        ("content-encoding" = Option<String>, Header, description = "`gzip`, `deflate`, `br` or `zstd`"),
    ),
    request_body(
        description = "The event(s), in the mode the headers choose",
        content(
            (CloudEvent = "application/cloudevents+json"),
            (Vec<CloudEvent> = "application/cloudevents-batch+json"),
            (String = "*/*"),
        )
    ),
    responses(
        (status = 200, description = "Stored; a delivery lab rule replies with an event (a Knative reply)", content(
            (CloudEvent = "application/cloudevents+json"),
            (String = "*/*"),
        )),
        (status = 202, description = "Stored (an empty batch stores nothing)", body = Accepted),
        (status = 400, description = "`invalid_event`: an event breaks the CloudEvents rules (`details` lists each); \
`missing_specversion`: neither a structured body nor `ce-specversion`; `malformed_json`: the body is not JSON; \
`duplicate_member`: a JSON member appears twice; `malformed_body`: the `Content-Encoding` does not decode; \
`duplicate_header`: `Content-Type` appears more than once; `body_unreadable`: the body broke off", body = ErrorBody),
        (status = 408, description = "`request_timeout`: the body did not arrive within `--body-timeout`", body = ErrorBody),
        (status = 413, description = "`body_too_large`: over `--max-body`, before or after decoding; \
`batch_too_large`: more events than `--max-batch`", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: a structured or batch content type of another format; \
`unsupported_encoding`: a `Content-Encoding` other than gzip, deflate, br, zstd", body = ErrorBody),
        (status = 503, description = "`backend_unavailable`: the history backend is unreachable; \
`shutting_down`: the server is stopping; `rule_answer`: a delivery lab rule's answer (stored)", body = ErrorBody),
        (status = "default", description = "Stored, and answered as a delivery lab rule says: its status, body \
and `Retry-After`; without a body of its own, the error shape with code `rule_answer`"),
    )
)]
pub async fn post_events(State(state): State<AppState>, request: Request) -> Response {
    // The head's parts are taken, not cloned as their extractors would: this is the hot path.
    let (parts, body) = request.into_parts();
    let (method, uri, headers) = (parts.method, parts.uri, parts.headers);
    let body = read_body(body, state.config.max_body).await;
    let received_at = now_rfc3339();
    let pairs: Vec<(&str, &[u8])> = headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())).collect();
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let record =
        |body: &[u8]| Arc::new(RequestRecord::new(method.as_str(), path, pairs.iter().copied(), body));
    let body = match body {
        Ok(body) => body,
        Err(cause) => {
            let error = if cause.is::<LengthLimitError>() {
                ApiError::BodyTooLarge { limit: state.config.max_body }
            } else if BodyTimeout::caused(&*cause) {
                ApiError::BodyTimeout(state.config.body_timeout)
            } else {
                // The client broke off its own upload: nobody is left to read an answer, and
                // other tabs need not hear of it.
                state.metrics.aborted_uploads.inc();
                return ApiError::BodyUnreadable(cause.to_string()).into_response();
            };
            return reject(&state, error, record(b""), received_at).into_response();
        }
    };
    if headers.get_all(header::CONTENT_TYPE).iter().nth(1).is_some() {
        let error = ApiError::DuplicateHeader("content-type");
        return reject(&state, error, record(&body), received_at).into_response();
    }
    let codings =
        headers.get_all(header::CONTENT_ENCODING).iter().map(|v| v.to_str().unwrap_or("(not ASCII)"));
    let decoded = match encoding::decode(codings, &body, state.config.max_body) {
        Ok(decoded) => decoded,
        Err(error) => return reject(&state, error.into(), record(&body), received_at).into_response(),
    };
    let body = decoded.as_deref().unwrap_or(&body);
    match ingest(&state, method.as_str(), path, &pairs, body, received_at, Some(uri.path())).await {
        Ok(ingested) => ingested.respond(&state).await,
        Err(error) => error.into_response(),
    }
}

/// The whole body, at most `max_body` bytes, read here instead of under a `DefaultBodyLimit`
/// layer: on every request that layer cost a boxed service clone, a boxed future and an extension.
async fn read_body(body: Body, max_body: usize) -> Result<Bytes, BoxError> {
    Ok(Limited::new(body, max_body).collect().await?.to_bytes())
}

/// A stored request and how to answer it.
pub struct Ingested {
    pub accepted: Accepted,
    /// The delivery lab's answer; `202` with `accepted` when no rule holds.
    pub answer: Answer,
    /// A place among the held answers, while the rule's delay runs.
    held: Option<OwnedSemaphorePermit>,
}

impl Ingested {
    /// Waits out the rule's delay (cut short by shutdown), then answers.
    async fn respond(self, state: &AppState) -> Response {
        if let Some(_held) = self.held {
            tokio::select! {
                () = tokio::time::sleep(Duration::from_millis(self.answer.delay_ms)) => {}
                () = state.shutdown.cancelled() => {}
            }
        }
        crate::server::lab::respond(&self.answer, self.accepted)
    }
}

/// The ingest path after the body is read: decode, validate, count the attempts, choose the answer,
/// store. A refusal is already recorded and broadcast when it comes back, so callers only answer
/// it: `POST /events` over HTTP, and `POST /api/send` to `self` as a delivery. The delivery lab's
/// rules apply when `ruled_path` (the request path they match) is given; attempts are counted and
/// recorded either way.
pub async fn ingest(
    state: &AppState,
    method: &str,
    path: &str,
    pairs: &[(&str, &[u8])],
    body: &[u8],
    received_at: String,
    ruled_path: Option<&str>,
) -> Result<Ingested, ApiError> {
    // Held until the events are stored, so shutdown waits for them before ending the streams.
    let _admitted = state.lifecycle.admit()?;
    // One record per request, shared by its events, their envelopes and a rejection.
    let request = Arc::new(RequestRecord::new(method, path, pairs.iter().copied(), body));
    let limits = Limits { max_batch: usize::try_from(state.config.max_batch).unwrap_or(usize::MAX) };
    let (mode, events) = match cloudevent::decode(pairs, body, &limits) {
        Ok(decoded) => decoded,
        Err(error) => return Err(reject(state, error.into(), request, received_at)),
    };
    if events.is_empty() {
        // No event, so no attempt and no rule: an empty batch is accepted as always.
        return Ok(Ingested { accepted: Accepted::default(), answer: Answer::accepted(), held: None });
    }
    let count = events.len() as u64;
    let keys: Vec<DuplicateKey<'_>> = events.iter().map(|v| v.event.duplicate_key()).collect();
    let unavailable = |why: String| {
        backend_unavailable(&why);
        reject(state, ApiError::Unavailable, Arc::clone(&request), received_at.clone())
    };
    let prepared = state.lab.prepare(&keys).await.map_err(|LogError::Unavailable(why)| unavailable(why))?;
    // A batch is answered by its first event.
    let first = &events[0].event;
    let answer = ruled_path
        .and_then(|path| prepared.rules.choose(path, first))
        .map_or_else(Answer::accepted, |rule| rule.answer(prepared.attempts[0], first.source(), first.id()));
    let held = if answer.delay_ms > 0 { state.lab.hold() } else { None };
    let delay_skipped = answer.delay_ms > 0 && held.is_none();
    let deliveries = prepared.attempts.iter().map(|&attempt| answer.record(attempt, delay_skipped)).collect();
    let batch =
        Batch { mode, events, request: Arc::clone(&request), received_at: received_at.clone(), deliveries };
    let entries = state.log.append(batch).await.map_err(|LogError::Unavailable(why)| unavailable(why))?;
    state.metrics.count_accepted(mode, count);
    if answer.rule.is_some() && answer.status >= 400 {
        state.metrics.events_refused.inc_by(count);
    }
    let ids: Vec<EventId> = entries.iter().map(|e| e.id()).collect();
    Ok(Ingested { accepted: Accepted { accepted: ids.len(), ids }, answer, held })
}

/// Keeps and broadcasts the refused request; gives back `error` to answer.
fn reject(state: &AppState, error: ApiError, request: Arc<RequestRecord>, time: String) -> ApiError {
    tracing::debug!(code = error.code(), "ingest rejected: {error}");
    state.metrics.requests_rejected.get_or_create(&ReasonLabel { reason: error.code() }).inc();
    state.rejections.record(Rejection {
        id: 0,
        time,
        status: error.status().as_u16(),
        error: error.body().error,
        request,
    });
    error
}

/// CloudEvents HTTP webhook spec §4: validation handshake. Any origin may deliver, at any rate.
#[utoipa::path(
    options,
    path = "/",
    tag = "ingest",
    description = "The CloudEvents webhook validation handshake (and CORS preflights from `--cors-origin`s).",
    params(("webhook-request-origin" = Option<String>, Header, description = "The delivering origin")),
    responses(
        (status = 200, description = "Handshake: any origin may deliver at any rate", headers(
            ("webhook-allowed-origin" = String, description = "The origin asked about"),
            ("webhook-allowed-rate" = String, description = "`*`"),
        )),
        (status = 204, description = "No handshake asked (`Allow: OPTIONS, POST`), or a CORS preflight answered"),
    )
)]
async fn webhook_handshake(headers: HeaderMap) -> Response {
    let allow = [(header::ALLOW, HeaderValue::from_static("OPTIONS, POST"))];
    match headers.get("webhook-request-origin") {
        Some(origin) => (
            StatusCode::OK,
            allow,
            [
                ("webhook-allowed-origin", origin.clone()),
                ("webhook-allowed-rate", HeaderValue::from_static("*")),
            ],
        )
            .into_response(),
        None => (StatusCode::NO_CONTENT, allow).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::lab::{RuleSet, Rules};
    use crate::server::config::Config;
    use crate::server::event_log::Range;
    use crate::server::lab::MAX_HELD;
    use leptos::config::LeptosOptions;

    async fn deliver(state: &AppState, id: &str) -> Ingested {
        let body = format!(r#"{{"specversion":"1.0","id":"{id}","source":"/s","type":"t"}}"#);
        let pairs = [("content-type", &b"application/cloudevents+json"[..])];
        let received_at = "2026-12-02T00:00:00.000Z".to_owned();
        ingest(state, "POST", "/", &pairs, body.as_bytes(), received_at, Some("/")).await.unwrap()
    }

    /// The clock is paused: a held answer moves it by the delay, one answered at once does not.
    #[tokio::test(start_paused = true)]
    async fn past_the_cap_on_held_answers_a_delay_is_skipped_and_recorded() {
        let config = Config::try_from_args(["cloudevent-player"]).unwrap();
        let state = AppState::new(config, LeptosOptions::builder().output_name("t").build());
        let rules: Rules =
            serde_json::from_str(r#"{"rules": [{"name": "slow", "action": {"delay": "10s"}}]}"#).unwrap();
        state.lab.replace(rules.clone(), RuleSet::compile(&rules).unwrap()).await.unwrap();

        let started = tokio::time::Instant::now();
        let response = deliver(&state, "a").await.respond(&state).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        assert_eq!(started.elapsed(), Duration::from_secs(10), "held for the rule's delay");

        let others: Vec<_> = std::iter::from_fn(|| state.lab.hold()).collect();
        assert_eq!(others.len(), MAX_HELD, "the cap on held answers");
        let started = tokio::time::Instant::now();
        deliver(&state, "b").await.respond(&state).await;
        assert_eq!(started.elapsed(), Duration::ZERO, "over the cap, answered at once");
        drop(others);

        let page = state.log.range(Range { limit: 10, ..Range::default() }).await.unwrap();
        let records: Vec<_> = page.entries.iter().map(|e| e.envelope.delivery.clone().unwrap()).collect();
        assert_eq!((records[0].delay_ms, records[0].delay_skipped), (Some(10_000), false));
        assert_eq!((records[1].delay_ms, records[1].delay_skipped), (None, true));
    }
}
