//! Refused ingest requests (DESIGN §2 "Rejections are visible"): the bounded summary every tab
//! hears of over `/stream`, and the full record the server keeps and serves on demand.

use crate::core::cloudevent::ValidationError;
use crate::core::envelope::RequestRecord;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Most bytes of the message, path and each detail a summary carries.
const MESSAGE_MAX: usize = 512;
const PATH_MAX: usize = 256;
const DETAIL_MAX: usize = 256;
/// Most details a summary carries; the full record has them all.
const DETAILS_MAX: usize = 8;

/// The error answered, as in DESIGN's error shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    #[serde(default)]
    pub details: Vec<ValidationError>,
}

/// One refused request in full: what was answered and the request as received. The server keeps
/// the recent ones within a byte budget; `GET /api/rejections/{id}` serves one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Rejection {
    /// Increasing per server; the key of `GET /api/rejections/{id}`.
    pub id: u64,
    /// RFC 3339 time of arrival.
    pub time: String,
    /// HTTP status answered.
    pub status: u16,
    /// The JSON error answered.
    pub error: ErrorDetail,
    /// The request as received (credentials removed, body cut), shared with the ingest path.
    pub request: Arc<RequestRecord>,
}

/// What a `rejected` frame and `GET /api/rejections` carry: a few hundred bytes whatever the
/// request was, so neither the broadcast ring nor a slow tab holds large requests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RejectionSummary {
    pub id: u64,
    pub time: String,
    pub status: u16,
    pub code: String,
    /// The error message, cut at 512 bytes.
    pub message: String,
    /// The first attribute (or header) named by the error, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute: Option<String>,
    /// The first eight details, each cut at 256 bytes.
    #[serde(default)]
    pub details: Vec<ValidationError>,
    /// How many details the full record has.
    #[serde(default)]
    pub details_total: usize,
    pub method: String,
    /// Path and query as recorded, cut at 256 bytes.
    pub path: String,
    /// Size of the request body in bytes.
    pub size: usize,
}

impl Rejection {
    /// The bounded summary of this rejection.
    pub fn summary(&self) -> RejectionSummary {
        let details = &self.error.details;
        RejectionSummary {
            id: self.id,
            time: self.time.clone(),
            status: self.status,
            code: self.error.code.clone(),
            message: cut(&self.error.message, MESSAGE_MAX),
            attribute: details.iter().find_map(|d| d.attribute.as_deref()).map(|a| cut(a, DETAIL_MAX)),
            details: details
                .iter()
                .take(DETAILS_MAX)
                .map(|d| ValidationError {
                    index: d.index,
                    attribute: d.attribute.as_deref().map(|a| cut(a, DETAIL_MAX)),
                    message: cut(&d.message, DETAIL_MAX),
                    ..Default::default()
                })
                .collect(),
            details_total: details.len(),
            method: cut(&self.request.method, 16),
            path: cut(&self.request.path, PATH_MAX),
            size: self.request.body_size,
        }
    }

    /// Heap bytes this record holds, for the rejection list's byte budget.
    pub fn approx_bytes(&self) -> usize {
        let details: usize = self
            .error
            .details
            .iter()
            .map(|d| 64 + d.message.len() + d.attribute.as_ref().map_or(0, String::len))
            .sum();
        256 + self.time.len()
            + self.error.code.len()
            + self.error.message.len()
            + details
            + self.request.approx_bytes()
    }
}

/// `text` cut to at most `max` bytes on a character boundary, with `…` when cut.
fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejection(message: &str, details: usize, path: &str) -> Rejection {
        Rejection {
            id: 7,
            time: "2026-12-02T00:00:00.000Z".into(),
            status: 400,
            error: ErrorDetail {
                code: "invalid_event".into(),
                message: message.into(),
                details: (0..details)
                    .map(|i| ValidationError {
                        index: Some(i),
                        attribute: Some("time".into()),
                        message: "é".repeat(1000),
                        ..Default::default()
                    })
                    .collect(),
            },
            request: Arc::new(RequestRecord::new("POST", path, [("ce-id", &b"1"[..])], &vec![b'x'; 100_000])),
        }
    }

    #[test]
    fn a_summary_is_small_whatever_the_request() {
        let full = rejection(&"m".repeat(100_000), 1000, &format!("/events?{}", "q".repeat(10_000)));
        let summary = full.summary();
        let json = serde_json::to_string(&summary).unwrap();
        assert!(json.len() < 4 * 1024, "{} bytes", json.len());
        assert_eq!((summary.id, summary.status, summary.size), (7, 400, 100_000));
        assert_eq!(summary.details.len(), 8);
        assert_eq!(summary.details_total, 1000);
        assert_eq!(summary.attribute.as_deref(), Some("time"));
        assert!(summary.message.ends_with('…') && summary.message.len() <= MESSAGE_MAX);
        assert!(summary.details[0].message.len() <= DETAIL_MAX, "cut on a character boundary");
        assert!(full.approx_bytes() > 100_000 / 2, "the record's body counts");
    }

    #[test]
    fn short_values_are_kept_as_they_are() {
        let summary = rejection("bad time", 1, "/events").summary();
        assert_eq!(summary.message, "bad time");
        assert_eq!(summary.path, "/events");
        assert_eq!(summary.method, "POST");
        let json = serde_json::to_value(&summary).unwrap();
        assert_eq!(serde_json::from_value::<RejectionSummary>(json).unwrap(), summary);
    }
}
