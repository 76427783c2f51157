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
    /// Which event was refused, as far as the request says: its `id`, `type` and `source`
    /// (from `ce-*` headers, the structured body, or the batch member at fault), each cut at 256
    /// bytes, so the lane names it without opening the request.
    #[serde(default, skip_serializing_if = "EventName::is_empty")]
    pub event: EventName,
}

/// An event's `id`, `type` and `source`, each only when the request carried it as a string.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EventName {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub ty: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl EventName {
    pub fn is_empty(&self) -> bool {
        self.id.is_none() && self.ty.is_none() && self.source.is_none()
    }

    /// Best effort, never an error: binary mode's `ce-id`, `ce-type`, `ce-source`; else the JSON
    /// body's event, or for a batch the member at `index` (the first detail's), else the first.
    /// A body cut at the record's limit is not JSON, so it names nothing.
    fn of(request: &RequestRecord, index: Option<usize>) -> EventName {
        let header = |name: &str| request.header(name).map(|v| cut(v, DETAIL_MAX));
        let from_headers =
            EventName { id: header("ce-id"), ty: header("ce-type"), source: header("ce-source") };
        if !from_headers.is_empty() {
            return from_headers;
        }
        let Some(body) = request.body.as_deref().filter(|_| !request.body_truncated) else {
            return EventName::default();
        };
        let value = match serde_json::from_str::<serde_json::Value>(body) {
            Ok(serde_json::Value::Array(mut members)) => {
                let at = index.filter(|i| *i < members.len()).unwrap_or(0);
                if members.is_empty() { return EventName::default() } else { members.swap_remove(at) }
            }
            Ok(value) => value,
            Err(_) => return EventName::default(),
        };
        let text = |name: &str| value.get(name).and_then(|v| v.as_str()).map(|v| cut(v, DETAIL_MAX));
        EventName { id: text("id"), ty: text("type"), source: text("source") }
    }
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
            event: EventName::of(&self.request, details.first().and_then(|d| d.index)),
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

    fn named(headers: &[(&str, &[u8])], body: &str, index: Option<usize>) -> EventName {
        let request = RequestRecord::new("POST", "/", headers.iter().copied(), body.as_bytes());
        EventName::of(&request, index)
    }

    fn name(id: &str, ty: &str, source: &str) -> EventName {
        EventName { id: Some(id.into()), ty: Some(ty.into()), source: Some(source.into()) }
    }

    #[test]
    fn a_summary_names_the_refused_event_from_headers_body_or_batch_member() {
        let binary = [("ce-id", &b"b1"[..]), ("ce-type", &b"t.b"[..]), ("ce-source", &b"/b"[..])];
        assert_eq!(named(&binary, "{}", None), name("b1", "t.b", "/b"));
        let structured = r#"{"specversion":"1.0","id":"s1","type":"t.s","source":"/s","time":"bad"}"#;
        assert_eq!(named(&[], structured, None), name("s1", "t.s", "/s"));
        let batch = r#"[{"id":"m0","type":"t","source":"/m"},{"id":"m1","type":"t","source":"/m"}]"#;
        assert_eq!(named(&[], batch, Some(1)), name("m1", "t", "/m"));
        assert_eq!(named(&[], batch, None), name("m0", "t", "/m"));
        // What is missing, or not a string, or not JSON at all, is simply not named.
        assert_eq!(named(&[], r#"{"id":7,"source":"/x"}"#, None).source.as_deref(), Some("/x"));
        assert_eq!(named(&[], r#"{"id":7,"source":"/x"}"#, None).id, None);
        assert!(named(&[], "{", None).is_empty());
        assert!(named(&[], "[]", Some(3)).is_empty());
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
