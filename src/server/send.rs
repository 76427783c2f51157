//! `POST /api/send` and `GET /api/sinks`: the UI sends an event to a sink configured at start-up
//! (`--sink`, `K_SINK`) or to this player (`self`). A URL never comes from the request.

use crate::core::cloudevent::{CloudEvent, Map, Mode, decode_structured_with, to_binary};
use crate::core::protocol::{Delivery, ErrorBody, SendRequest, SinkInfo, Sinks as SinkList};
use crate::server::AppState;
use crate::server::config::{Config, K_SINK_NAME, SELF_TARGET, Sink};
use crate::server::error::{ApiError, Result};
use crate::server::ingest::{self, now_rfc3339};
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use reqwest::Url;
use std::time::{Duration, Instant};

/// Most bytes of a sink's answer reported back: enough for any error message, bounded for the UI.
pub const MAX_ANSWER: usize = 4 * 1024;

/// Path recorded as the request of events sent to `self`, so the UI can tell them from producers'.
const SELF_PATH: &str = "/api/send";

pub fn routes(max_body: usize) -> Router<AppState> {
    Router::new()
        .route("/api/send", post(post_send))
        .route("/api/sinks", get(list_sinks))
        .layer(DefaultBodyLimit::max(max_body))
}

/// The configured sinks and the HTTP client that reaches them. Cheap to share.
#[derive(Debug)]
pub struct Sinks {
    sinks: Vec<Sink>,
    client: reqwest::Client,
    timeout: Duration,
}

/// Where a send goes.
enum Target<'a> {
    Player,
    Sink(&'a Sink),
}

/// A target's answer.
struct Answer {
    status: u16,
    body: Vec<u8>,
    truncated: bool,
}

impl Sinks {
    /// Sinks of `config`, answering within `--send-timeout`. Redirects are not followed: a sink's
    /// `3xx` is reported, so a sink cannot forward the player to a URL nobody configured.
    pub fn new(config: &Config) -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("cloudevent-player/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the HTTP client builds with static settings");
        Self { sinks: config.all_sinks(), client, timeout: config.send_timeout }
    }

    /// The configured sinks, URLs masked.
    pub fn list(&self) -> Vec<SinkInfo> {
        self.sinks.iter().map(|s| SinkInfo { name: s.name.clone(), url: masked(&s.url) }).collect()
    }

    fn resolve(&self, name: &str) -> Result<Target<'_>> {
        if name == SELF_TARGET {
            return Ok(Target::Player);
        }
        self.sinks.iter().find(|s| s.name == name).map(Target::Sink).ok_or_else(|| ApiError::UnknownSink {
            name: name.to_owned(),
            known: std::iter::once(SELF_TARGET)
                .chain(self.sinks.iter().map(|s| s.name.as_str()))
                .map(str::to_owned)
                .collect(),
        })
    }

    /// POSTs to `sink` and reads at most [`MAX_ANSWER`] bytes of the answer, all within the timeout.
    async fn deliver(&self, sink: &Sink, headers: Vec<(String, String)>, body: Vec<u8>) -> Result<Answer> {
        let mut request = self.client.post(sink.url.clone()).timeout(self.timeout).body(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let mut response = request.send().await.map_err(|e| self.failure(sink, e))?;
        let status = response.status().as_u16();
        let mut answer = Vec::new();
        let mut truncated = false;
        // An answer cut short by the timeout or a reset is still the sink's answer: keep what came.
        while let Ok(Some(chunk)) = response.chunk().await {
            answer.extend_from_slice(&chunk);
            if answer.len() > MAX_ANSWER {
                answer.truncate(MAX_ANSWER);
                truncated = true;
                break;
            }
        }
        Ok(Answer { status, body: answer, truncated })
    }

    /// The error for a send that got no answer. The URL is left out: it may carry a key.
    fn failure(&self, sink: &Sink, error: reqwest::Error) -> ApiError {
        if error.is_timeout() {
            return ApiError::SinkTimeout { sink: sink.name.clone(), timeout: self.timeout };
        }
        // The innermost cause says what happened ("Connection refused (os error 111)"); the layers
        // around it ("error sending request: client error (Connect): tcp connect error") tell a
        // user nothing they can act on.
        let error = error.without_url();
        let mut reason = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            reason = cause.to_string();
            source = cause.source();
        }
        ApiError::SinkUnreachable { sink: sink.name.clone(), reason }
    }
}

/// `url` with its password and query values replaced by `***`.
fn masked(url: &Url) -> String {
    let mut url = url.clone();
    if url.password().is_some() {
        let _ = url.set_password(Some("***"));
    }
    if url.query().is_some() {
        let keys: Vec<String> = url.query_pairs().map(|(k, _)| k.into_owned()).collect();
        url.query_pairs_mut().clear().extend_pairs(keys.iter().map(|k| (k, "***")));
    }
    url.to_string()
}

/// The HTTP message for `event` in `mode`: headers and body (HTTP binding §3.1, §3.2). Sends use
/// it for requests, the delivery lab for reply events.
pub(crate) fn encode(event: &CloudEvent, mode: Mode) -> (Vec<(String, String)>, Vec<u8>) {
    match mode {
        Mode::Binary => to_binary(event),
        // `SendRequest` refuses `batch`: one event goes as itself.
        Mode::Structured | Mode::Batch => (
            vec![("content-type".into(), "application/cloudevents+json".into())],
            event.to_json().into_bytes(),
        ),
    }
}

/// Stores the request through the ingest path, in-process, and reports the outcome as a sink's
/// answer: the status and JSON body `POST /events` would have given.
async fn deliver_to_self(state: &AppState, headers: &[(String, String)], body: &[u8]) -> Answer {
    let pairs: Vec<(&str, &[u8])> = headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())).collect();
    // Sent from the page, not by a producer under test: the delivery lab's rules do not apply.
    let (status, body) =
        match ingest::ingest(state, "POST", SELF_PATH, &pairs, body, now_rfc3339(), None).await {
            Ok(ingested) => (StatusCode::ACCEPTED, serde_json::to_vec(&ingested.accepted)),
            Err(error) => (error.status(), serde_json::to_vec(&error.body())),
        };
    let mut body = body.expect("answers are plain data and always serialize");
    let truncated = body.len() > MAX_ANSWER;
    body.truncate(MAX_ANSWER);
    Answer { status: status.as_u16(), body, truncated }
}

/// Text of an answer cut at [`MAX_ANSWER`]: a character split by the cut is dropped, other
/// invalid UTF-8 is replaced.
fn answer_text(body: &[u8], truncated: bool) -> String {
    match std::str::from_utf8(body) {
        Ok(text) => text.to_owned(),
        Err(e) if truncated && e.error_len().is_none() => {
            String::from_utf8_lossy(&body[..e.valid_up_to()]).into_owned()
        }
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    }
}

/// `POST /api/send`: validate the event, resolve the target, deliver, report the target's answer.
#[utoipa::path(
    post,
    path = "/api/send",
    tag = "send",
    description = "Validates the event, sends it to the named target in the chosen mode and reports the \
target's answer. The target is `self` (this player) or a sink configured with `--sink` or `K_SINK`; \
a URL never comes from the request.",
    request_body(content = SendRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The target answered (any status: see `delivered`)", body = Delivery),
        (status = 400, description = "`invalid_request`: the body is not a send request; `malformed_json`: not JSON; \
`unknown_sink`: no target of that name; `invalid_event`, `missing_specversion`, `duplicate_member`: the event is \
not a valid CloudEvent; `body_unreadable`: the body broke off", body = ErrorBody),
        (status = 408, description = "`request_timeout`: the body did not arrive within `--body-timeout`", body = ErrorBody),
        (status = 413, description = "`body_too_large`: over `--max-body`", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: not `Content-Type: application/json`", body = ErrorBody),
        (status = 502, description = "`sink_unreachable`: the sink could not be reached", body = ErrorBody),
        (status = 504, description = "`sink_timeout`: the sink did not answer within `--send-timeout`", body = ErrorBody),
    )
)]
async fn post_send(
    State(state): State<AppState>,
    body: std::result::Result<Json<SendRequest>, JsonRejection>,
) -> Result<Json<Delivery>> {
    let Json(request) =
        body.map_err(|e| ApiError::from_json_rejection(e, state.config.max_body, state.config.body_timeout))?;
    // Knative SinkBinding: `K_CE_OVERRIDES` extensions go on every event sent to the sink.
    let overrides = match &state.config.ce_overrides {
        Some(overrides) if request.target == K_SINK_NAME => overrides.extensions.clone(),
        _ => Map::new(),
    };
    let event: CloudEvent = decode_structured_with(request.event.get().as_bytes(), overrides)?.event;
    let target = state.sinks.resolve(&request.target)?;
    let (headers, body) = encode(&event, request.mode);
    let started = Instant::now();
    let answer = match target {
        Target::Player => deliver_to_self(&state, &headers, &body).await,
        Target::Sink(sink) => state.sinks.deliver(sink, headers, body).await?,
    };
    let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    Ok(Json(Delivery {
        target: request.target,
        mode: request.mode,
        status: answer.status,
        delivered: (200..300).contains(&answer.status),
        body: answer_text(&answer.body, answer.truncated),
        body_truncated: answer.truncated,
        elapsed_ms,
    }))
}

/// `GET /api/sinks`: the configured sinks (`self` is always a target too).
#[utoipa::path(
    get,
    path = "/api/sinks",
    tag = "send",
    responses((status = 200, description = "The configured sinks, URLs masked; `self` is always a target too", body = SinkList))
)]
async fn list_sinks(State(state): State<AppState>) -> Json<SinkList> {
    Json(SinkList { sinks: state.sinks.list() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn masks_passwords_and_query_values_of_listed_urls() {
        let url: Url = "https://user:secret@fn.example.com/api/ce?code=k3y&x=1".parse().unwrap();
        assert_eq!(masked(&url), "https://user:***@fn.example.com/api/ce?code=***&x=***");
        let plain: Url = "http://localhost:9000/events".parse().unwrap();
        assert_eq!(masked(&plain), "http://localhost:9000/events");
    }

    #[test]
    fn structured_mode_sends_the_event_as_cloudevents_json() {
        let event =
            CloudEvent::from_value(json!({"specversion": "1.0", "id": "1", "source": "/s", "type": "t"}))
                .unwrap()
                .event;
        let (headers, body) = encode(&event, Mode::Structured);
        assert_eq!(headers, [("content-type".to_owned(), "application/cloudevents+json".to_owned())]);
        assert_eq!(serde_json::from_slice::<serde_json::Value>(&body).unwrap()["id"], "1");
        let (headers, _) = encode(&event, Mode::Binary);
        assert!(headers.iter().any(|(n, v)| n == "ce-id" && v == "1"));
    }

    #[test]
    fn answer_text_drops_a_character_split_by_the_cut() {
        let euro = "€".as_bytes();
        assert_eq!(answer_text(&[b'a', euro[0], euro[1]], true), "a");
        assert_eq!(answer_text(&[b'a', 0xff], false), "a\u{fffd}");
        assert_eq!(answer_text(b"ok", false), "ok");
    }
}
