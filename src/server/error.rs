//! The one error shape of every HTTP failure (DESIGN §2):
//! `{"error": {"code", "message", "details": [{"index"?, "attribute"?, "message"}]}}`.

use crate::core::cloudevent::{DecodeError, ValidationError};
use crate::core::expression::ParseError;
use crate::core::trigger::TriggerError;
use crate::server::connections::BodyTimeout;
use crate::server::encoding::EncodingError;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::time::Duration;

/// What clients (answers, `rejected` and `gap` frames) hear when the event log fails.
pub const BACKEND_UNAVAILABLE: &str = "the event store is unavailable; retry later";

/// Logs why the event log failed and gives the fixed text clients see instead.
pub fn backend_unavailable(cause: &impl std::fmt::Display) -> &'static str {
    tracing::error!(%cause, "event log unavailable");
    BACKEND_UNAVAILABLE
}

/// An HTTP failure. Each variant's doc names its status.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400, 413 or 415, from decoding or validating CloudEvents.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// 413: the body is over `--max-body`.
    #[error("request body is larger than the limit of {limit} bytes")]
    BodyTooLarge { limit: usize },
    /// 400: the body could not be read.
    #[error("request body could not be read: {0}")]
    BodyUnreadable(String),
    /// 400: a query string value is malformed or out of range.
    #[error("{0}")]
    BadQuery(String),
    /// 400: a header value is malformed.
    #[error("{0}")]
    BadHeader(String),
    /// 404: nothing at this id or path.
    #[error("{0}")]
    NotFound(String),
    /// 405: the path exists but not for this method (`Allow` is set by the router).
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 503: the event log backend cannot store or read right now; retry later. The cause is logged,
    /// never answered: backend errors name hosts and internals.
    #[error("{BACKEND_UNAVAILABLE}")]
    Unavailable,
    /// 400: a JSON request body of the wrong shape (a missing or mistyped field).
    #[error("{0}")]
    InvalidRequest(String),
    /// 415: a JSON API body sent without `Content-Type: application/json`.
    #[error("expected a request body with Content-Type: application/json")]
    ExpectedJson,
    /// 400: `POST /api/send` named a target that is neither `self` nor a configured sink. Nothing
    /// is sent: the player only ever reaches the sinks named at start-up.
    #[error("no sink named `{name}`; the targets are: {}", known.join(", "))]
    UnknownSink { name: String, known: Vec<String> },
    /// 502: the sink could not be reached (connection refused, DNS, TLS, reset before an answer).
    #[error("sink `{sink}` is unreachable: {reason}")]
    SinkUnreachable { sink: String, reason: String },
    /// 504: the sink did not answer within `--send-timeout`.
    #[error("sink `{sink}` did not answer within {}", humantime::format_duration(*.timeout))]
    SinkTimeout { sink: String, timeout: Duration },
    /// 408: a long poll ended without a matching event.
    #[error("{0}")]
    Timeout(String),
    /// 503: the server is shutting down; the request ended early. Retry against another instance.
    #[error("the server is shutting down")]
    ShuttingDown,
    /// 400, 413 or 415: a `Content-Encoding` body that is corrupt, too large decoded, or unknown.
    #[error(transparent)]
    Encoding(#[from] EncodingError),
    /// 400: a header that may appear once appeared twice (e.g. `Content-Type`).
    #[error("the `{0}` header appears more than once")]
    DuplicateHeader(&'static str),
    /// 408: the request body did not arrive within `--body-timeout`.
    #[error("the request body did not arrive within {}", humantime::format_duration(*.0))]
    BodyTimeout(Duration),
    /// 503: the server has as many connections as `--max-connections` allows; retry shortly.
    #[error("the server has too many open connections; retry shortly")]
    TooManyConnections,
    /// 401: `--token` is set and the request carries no right token (`WWW-Authenticate` is set
    /// by `access`, which answers every 401).
    #[error("{0}")]
    Unauthorized(String),
    /// 403: the request's `Host` is not a name this server answers to (DNS rebinding).
    #[error("{0}")]
    HostNotAllowed(String),
    /// 406: `Accept-Encoding` refuses every coding a static file is available in.
    #[error("{0}")]
    NotAcceptable(String),
    /// 400: a CESQL expression that does not parse; `field` names where it came from (`filter`,
    /// `expression`).
    #[error("{field}: {} (at character {})", error.message, error.position)]
    InvalidExpression { field: &'static str, error: ParseError },
    /// 400: a Knative Trigger that Knative would refuse, or a document that is not one.
    #[error("{}", summary(.0))]
    InvalidTrigger(Vec<TriggerError>),
    /// 415: a Trigger manifest in a media type other than YAML, JSON or plain text.
    #[error("unsupported content type {0:?}: expected application/yaml, application/json or text/plain")]
    UnsupportedManifest(String),
    /// 400: a body sent as YAML (or sniffed as such) that does not parse.
    #[error("the body is not YAML: {0}")]
    MalformedYaml(String),
    /// 400: delivery lab rules that do not hold, each problem at its path.
    #[error("{}", crate::server::lab::invalid_rules_summary(.0))]
    InvalidRules(Vec<ValidationError>),
}

/// The first problem, and how many more there are.
fn summary(errors: &[TriggerError]) -> String {
    match errors {
        [] => "invalid Trigger".to_owned(),
        [one] => one.to_string(),
        [first, rest @ ..] => format!("{first} (and {} more problems)", rest.len()),
    }
}

/// `Retry-After` (seconds) of every 503: how soon trying again is worthwhile.
const RETRY_AFTER_S: &str = "5";

pub use crate::core::protocol::{ErrorBody, ErrorDetail};

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Decode(DecodeError::UnsupportedMediaType(_)) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Decode(DecodeError::BatchTooLarge { .. })
            | ApiError::BodyTooLarge { .. }
            | ApiError::Encoding(EncodingError::TooLarge { .. }) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Encoding(EncodingError::Unsupported(_)) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Encoding(EncodingError::Corrupt { .. }) | ApiError::DuplicateHeader(_) => {
                StatusCode::BAD_REQUEST
            }
            ApiError::BodyTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::Decode(_)
            | ApiError::BodyUnreadable(_)
            | ApiError::BadQuery(_)
            | ApiError::BadHeader(_)
            | ApiError::InvalidRequest(_)
            | ApiError::InvalidExpression { .. }
            | ApiError::InvalidTrigger(_)
            | ApiError::MalformedYaml(_)
            | ApiError::InvalidRules(_)
            | ApiError::UnknownSink { .. } => StatusCode::BAD_REQUEST,
            ApiError::ExpectedJson | ApiError::UnsupportedManifest(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Timeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::Unavailable | ApiError::ShuttingDown | ApiError::TooManyConnections => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::SinkUnreachable { .. } => StatusCode::BAD_GATEWAY,
            ApiError::SinkTimeout { .. } => StatusCode::GATEWAY_TIMEOUT,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::HostNotAllowed(_) => StatusCode::FORBIDDEN,
            ApiError::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
        }
    }

    /// Stable machine-readable code, also the `reason` label of the rejection metric.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Decode(DecodeError::UnsupportedMediaType(_)) => "unsupported_media_type",
            ApiError::Decode(DecodeError::MissingSpecVersion) => "missing_specversion",
            ApiError::Decode(DecodeError::MalformedJson(_)) => "malformed_json",
            ApiError::Decode(DecodeError::DuplicateMember { .. }) => "duplicate_member",
            ApiError::Decode(DecodeError::BatchTooLarge { .. }) => "batch_too_large",
            ApiError::Decode(DecodeError::Invalid(_)) => "invalid_event",
            ApiError::BodyTooLarge { .. } => "body_too_large",
            ApiError::BodyUnreadable(_) => "body_unreadable",
            ApiError::BadQuery(_) => "invalid_query",
            ApiError::BadHeader(_) => "invalid_header",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::Unavailable => "backend_unavailable",
            ApiError::InvalidRequest(_) => "invalid_request",
            ApiError::ExpectedJson | ApiError::UnsupportedManifest(_) => "unsupported_media_type",
            ApiError::UnknownSink { .. } => "unknown_sink",
            ApiError::SinkUnreachable { .. } => "sink_unreachable",
            ApiError::SinkTimeout { .. } => "sink_timeout",
            ApiError::Timeout(_) => "timeout",
            ApiError::ShuttingDown => "shutting_down",
            ApiError::Encoding(EncodingError::Unsupported(_)) => "unsupported_encoding",
            ApiError::Encoding(EncodingError::TooLarge { .. }) => "body_too_large",
            ApiError::Encoding(EncodingError::Corrupt { .. }) => "malformed_body",
            ApiError::DuplicateHeader(_) => "duplicate_header",
            ApiError::BodyTimeout(_) => "request_timeout",
            ApiError::TooManyConnections => "too_many_connections",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::HostNotAllowed(_) => "host_not_allowed",
            ApiError::NotAcceptable(_) => "not_acceptable",
            ApiError::InvalidExpression { .. } => "invalid_expression",
            ApiError::InvalidTrigger(_) => "invalid_trigger",
            ApiError::MalformedYaml(_) => "malformed_yaml",
            ApiError::InvalidRules(_) => "invalid_rules",
        }
    }

    pub fn body(&self) -> ErrorBody {
        let details = match self {
            ApiError::Decode(DecodeError::Invalid(errors)) | ApiError::InvalidRules(errors) => errors.clone(),
            ApiError::Decode(DecodeError::DuplicateMember { index, path }) => vec![ValidationError {
                index: *index,
                attribute: Some(path.clone()),
                message: format!("member `{path}` appears twice"),
                ..Default::default()
            }],
            ApiError::InvalidExpression { error, .. } => {
                vec![parse_detail(None, error.position, &error.message)]
            }
            ApiError::InvalidTrigger(errors) => errors
                .iter()
                .map(|e| match e.position {
                    Some(position) => parse_detail(Some(&e.path), position, &e.message),
                    None => ValidationError {
                        path: Some(e.path.clone()).filter(|p| !p.is_empty()),
                        message: e.message.clone(),
                        ..Default::default()
                    },
                })
                .collect(),
            _ => Vec::new(),
        };
        let message = match self {
            ApiError::Decode(DecodeError::Invalid(errors)) if errors.len() == 1 => errors[0].to_string(),
            ApiError::Decode(DecodeError::Invalid(errors)) => {
                format!("{} (and {} more problems)", errors[0], errors.len() - 1)
            }
            other => other.to_string(),
        };
        ErrorBody { error: ErrorDetail { code: self.code().to_owned(), message, details } }
    }
}

impl ApiError {
    /// Our shape for a JSON API body that `axum::Json` refused: not JSON is `malformed_json`, the
    /// wrong shape `invalid_request`, over `max_body` (the route's limit) `body_too_large`, and a
    /// body cut at `--body-timeout` (`body_timeout`) `request_timeout`.
    pub fn from_json_rejection(rejection: JsonRejection, max_body: usize, body_timeout: Duration) -> Self {
        match rejection {
            JsonRejection::JsonSyntaxError(e) => {
                ApiError::Decode(DecodeError::MalformedJson(source_message(&e.body_text())))
            }
            JsonRejection::JsonDataError(e) => ApiError::InvalidRequest(source_message(&e.body_text())),
            JsonRejection::MissingJsonContentType(_) => ApiError::ExpectedJson,
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::BodyTooLarge { limit: max_body }
            }
            other if BodyTimeout::caused(&other) => ApiError::BodyTimeout(body_timeout),
            other => ApiError::BodyUnreadable(other.body_text()),
        }
    }
}

/// A `details` entry for an expression that does not parse: `{"kind": "parse", "position", "message"}`.
fn parse_detail(path: Option<&str>, position: usize, message: &str) -> ValidationError {
    ValidationError {
        kind: Some("parse".to_owned()),
        path: path.map(str::to_owned),
        position: Some(position),
        message: message.to_owned(),
        ..Default::default()
    }
}

impl ApiError {
    /// Our shape for a body that could not be read: over `max_body` `body_too_large`, cut at
    /// `--body-timeout` `request_timeout`, else `body_unreadable`.
    pub fn from_bytes_rejection(rejection: BytesRejection, max_body: usize, body_timeout: Duration) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::BodyTooLarge { limit: max_body }
        } else if BodyTimeout::caused(&rejection) {
            ApiError::BodyTimeout(body_timeout)
        } else {
            ApiError::BodyUnreadable(rejection.body_text())
        }
    }
}

/// axum's rejection text without its generic prefix ("Failed to parse the request body as JSON: ").
fn source_message(text: &str) -> String {
    text.split_once(": ").map_or(text, |(_, cause)| cause).to_owned()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut response = (status, axum::Json(self.body())).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_S));
        }
        if status == StatusCode::REQUEST_TIMEOUT && matches!(self, ApiError::BodyTimeout(_)) {
            // The rest of the body may still be on its way: the connection cannot be reused.
            response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

/// Handler results.
pub type Result<T, E = ApiError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(error: &ApiError) -> (u16, &'static str) {
        (error.status().as_u16(), error.code())
    }

    #[test]
    fn send_and_wait_errors_have_their_status_and_code() {
        let unknown = ApiError::UnknownSink { name: "x".into(), known: vec!["self".into(), "a".into()] };
        assert_eq!(shape(&unknown), (400, "unknown_sink"));
        assert_eq!(unknown.to_string(), "no sink named `x`; the targets are: self, a");
        let unreachable = ApiError::SinkUnreachable { sink: "a".into(), reason: "refused".into() };
        assert_eq!(shape(&unreachable), (502, "sink_unreachable"));
        let timeout = ApiError::SinkTimeout { sink: "a".into(), timeout: Duration::from_millis(200) };
        assert_eq!(shape(&timeout), (504, "sink_timeout"));
        assert_eq!(timeout.to_string(), "sink `a` did not answer within 200ms");
        assert_eq!(shape(&ApiError::Timeout("none".into())), (408, "timeout"));
        assert_eq!(shape(&ApiError::ShuttingDown), (503, "shutting_down"));
        assert_eq!(shape(&ApiError::InvalidRequest("missing field".into())), (400, "invalid_request"));
        assert_eq!(shape(&ApiError::ExpectedJson), (415, "unsupported_media_type"));
        assert_eq!(shape(&ApiError::DuplicateHeader("content-type")), (400, "duplicate_header"));
        assert_eq!(shape(&ApiError::BodyTimeout(Duration::from_secs(1))), (408, "request_timeout"));
        assert_eq!(shape(&ApiError::TooManyConnections), (503, "too_many_connections"));
        assert_eq!(shape(&EncodingError::Unsupported("x".into()).into()), (415, "unsupported_encoding"));
        assert_eq!(shape(&EncodingError::TooLarge { limit: 1 }.into()), (413, "body_too_large"));
    }

    #[test]
    fn every_503_says_when_to_retry() {
        for error in [ApiError::ShuttingDown, ApiError::TooManyConnections, ApiError::Unavailable] {
            let response = error.into_response();
            assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(response.headers()[header::RETRY_AFTER], RETRY_AFTER_S);
        }
    }

    #[test]
    fn backend_failures_answer_a_fixed_message() {
        let body = serde_json::to_value(ApiError::Unavailable.body()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"error": {"code": "backend_unavailable", "message": BACKEND_UNAVAILABLE, "details": []}})
        );
        assert_eq!(
            backend_unavailable(&"redis: connection refused (os error 111) at 10.0.0.7"),
            BACKEND_UNAVAILABLE
        );
    }

    #[test]
    fn access_errors_have_their_status_and_code() {
        assert_eq!(shape(&ApiError::Unauthorized("no token".into())), (401, "unauthorized"));
        assert_eq!(shape(&ApiError::HostNotAllowed("evil.example".into())), (403, "host_not_allowed"));
    }

    #[test]
    fn expression_and_trigger_errors_say_where() {
        let error = ApiError::InvalidExpression {
            field: "filter",
            error: ParseError { position: 4, message: "unexpected end of input".into() },
        };
        assert_eq!(shape(&error), (400, "invalid_expression"));
        assert_eq!(
            serde_json::to_value(error.body()).unwrap(),
            serde_json::json!({"error": {"code": "invalid_expression",
                "message": "filter: unexpected end of input (at character 4)",
                "details": [{"kind": "parse", "position": 4, "message": "unexpected end of input"}]}})
        );
        let trigger = ApiError::InvalidTrigger(vec![
            TriggerError {
                path: "spec.filters[0]".into(),
                message: "unknown dialect".into(),
                position: None,
            },
            TriggerError { path: "spec.filters[1].cesql".into(), message: "bad".into(), position: Some(2) },
        ]);
        assert_eq!(shape(&trigger), (400, "invalid_trigger"));
        assert_eq!(
            serde_json::to_value(trigger.body()).unwrap()["error"],
            serde_json::json!({"code": "invalid_trigger",
                "message": "spec.filters[0]: unknown dialect (and 1 more problems)",
                "details": [{"path": "spec.filters[0]", "message": "unknown dialect"},
                    {"kind": "parse", "path": "spec.filters[1].cesql", "position": 2, "message": "bad"}]})
        );
        assert_eq!(shape(&ApiError::MalformedYaml("x".into())), (400, "malformed_yaml"));
    }

    #[test]
    fn every_error_body_has_the_one_shape() {
        let body = serde_json::to_value(ApiError::ShuttingDown.body()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"error": {"code": "shutting_down", "message": "the server is shutting down", "details": []}})
        );
    }

    #[test]
    fn json_rejection_text_keeps_only_the_cause() {
        assert_eq!(
            source_message("Failed to parse the request body as JSON: expected value at line 1 column 1"),
            "expected value at line 1 column 1"
        );
        assert_eq!(source_message("plain"), "plain");
    }
}
