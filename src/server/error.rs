//! The one error shape of every HTTP failure (DESIGN §2):
//! `{"error": {"code", "message", "details": [{"index"?, "attribute"?, "message"}]}}`.

use crate::core::cloudevent::{DecodeError, ValidationError};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

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
    /// 503: the event log backend cannot store or read right now; retry later.
    #[error("event log unavailable: {0}")]
    Unavailable(String),
}

/// Serialized form of an [`ApiError`].
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    pub details: Vec<ValidationError>,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Decode(DecodeError::UnsupportedMediaType(_)) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Decode(DecodeError::BatchTooLarge { .. }) | ApiError::BodyTooLarge { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            ApiError::Decode(_)
            | ApiError::BodyUnreadable(_)
            | ApiError::BadQuery(_)
            | ApiError::BadHeader(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// Stable machine-readable code, also the `reason` label of the rejection metric.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Decode(DecodeError::UnsupportedMediaType(_)) => "unsupported_media_type",
            ApiError::Decode(DecodeError::MissingSpecVersion) => "missing_specversion",
            ApiError::Decode(DecodeError::MalformedJson(_)) => "malformed_json",
            ApiError::Decode(DecodeError::BatchTooLarge { .. }) => "batch_too_large",
            ApiError::Decode(DecodeError::Invalid(_)) => "invalid_event",
            ApiError::BodyTooLarge { .. } => "body_too_large",
            ApiError::BodyUnreadable(_) => "body_unreadable",
            ApiError::BadQuery(_) => "invalid_query",
            ApiError::BadHeader(_) => "invalid_header",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::Unavailable(_) => "backend_unavailable",
        }
    }

    pub fn body(&self) -> ErrorBody {
        let details = match self {
            ApiError::Decode(DecodeError::Invalid(errors)) => errors.clone(),
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

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status(), axum::Json(self.body())).into_response()
    }
}

/// Handler results.
pub type Result<T, E = ApiError> = std::result::Result<T, E>;
