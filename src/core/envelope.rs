//! What the history stores per event (DESIGN §2): the validated event plus how and when it arrived,
//! and the request as received. Shared by the server (which writes it) and the browser (which reads it).

use crate::core::cloudevent::{CloudEvent, Mode, Warning};
use crate::core::id::EventId;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Most bytes of a request body kept "as received" (DESIGN §2).
pub const MAX_RECORDED_BODY: usize = 64 * 1024;

/// Headers that never leave the server: credentials.
const REDACTED_HEADERS: [&str; 3] = ["authorization", "cookie", "proxy-authorization"];

/// A stored event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// History id, `<unix-ms>-<n>`.
    pub id: EventId,
    /// When the server accepted it, RFC 3339 UTC with milliseconds.
    pub received_at: String,
    /// The HTTP binding mode it arrived in.
    pub mode: Mode,
    /// The history id of an earlier event with the same `source` and `id`: a producer's retry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<EventId>,
    /// SHOULD-level findings, shown as a badge.
    #[serde(default)]
    pub warnings: Vec<Warning>,
    /// The event in the JSON event format, exactly as streamed.
    pub event: CloudEvent,
    /// The request it came in, as received (one allocation shared by every event of a batch).
    pub request: Arc<RequestRecord>,
}

/// An HTTP request as received, for "as received" views and the rejected lane.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct RequestRecord {
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Header name (lowercase) and value pairs in arrival order, credentials removed. Values that
    /// are not UTF-8 are shown lossily. Serialized as `[[name, value], ...]`.
    pub headers: Headers,
    /// The body, when it is UTF-8 (cut at [`MAX_RECORDED_BODY`] on a character boundary).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// The body as standard base64, when it is not UTF-8 (cut at [`MAX_RECORDED_BODY`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_base64: Option<String>,
    /// Size of the whole body in bytes.
    pub body_size: usize,
    /// True when `body`/`body_base64` hold only the first [`MAX_RECORDED_BODY`] bytes.
    #[serde(default)]
    pub body_truncated: bool,
}

impl RequestRecord {
    /// Records a request: drops credentials, keeps at most [`MAX_RECORDED_BODY`] bytes of body.
    pub fn new<'a>(
        method: &str,
        path: &str,
        headers: impl IntoIterator<Item = (&'a str, &'a [u8])>,
        body: &[u8],
    ) -> Self {
        use base64::Engine as _;
        let headers = Headers::from_pairs(
            headers
                .into_iter()
                .filter(|(name, _)| !REDACTED_HEADERS.iter().any(|r| name.eq_ignore_ascii_case(r))),
        );
        let kept = &body[..body.len().min(MAX_RECORDED_BODY)];
        let (text, base64) = match std::str::from_utf8(kept) {
            Ok(text) => (Some(text.to_owned()), None),
            // A cut inside a multi-byte character is still text: keep what is valid.
            Err(e) if e.error_len().is_none() && kept.len() < body.len() => {
                (Some(String::from_utf8_lossy(&kept[..e.valid_up_to()]).into_owned()), None)
            }
            Err(_) => (None, Some(base64::engine::general_purpose::STANDARD.encode(kept))),
        };
        let (body_text, body_base64) = if body.is_empty() { (None, None) } else { (text, base64) };
        Self {
            method: method.to_owned(),
            path: path.to_owned(),
            headers,
            body: body_text,
            body_base64,
            body_size: body.len(),
            body_truncated: body.len() > MAX_RECORDED_BODY,
        }
    }

    /// Heap bytes this record holds, for memory budgets.
    pub fn approx_bytes(&self) -> usize {
        self.method.len()
            + self.path.len()
            + self.headers.text.len()
            + self.body.as_ref().map_or(0, String::len)
            + self.body_base64.as_ref().map_or(0, String::len)
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v)
    }
}

/// Header pairs in one buffer (`name\0value\0...`): a request's headers cost one allocation
/// instead of two per header, which matters at tens of thousands of events per second.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Headers {
    text: String,
}

impl Headers {
    /// Names are lowercased; NUL bytes (impossible in HTTP header values) are dropped so the
    /// separator stays unambiguous.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> Self {
        let mut text = String::new();
        for (name, value) in pairs {
            text.extend(name.chars().filter(|c| *c != '\0').map(|c| c.to_ascii_lowercase()));
            text.push('\0');
            text.extend(String::from_utf8_lossy(value).chars().filter(|c| *c != '\0'));
            text.push('\0');
        }
        Self { text }
    }

    /// `(name, value)` pairs in arrival order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        let mut parts = self.text.split('\0');
        std::iter::from_fn(move || Some((parts.next()?, parts.next()?)))
    }

    pub fn len(&self) -> usize {
        self.iter().count()
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }
}

impl Serialize for Headers {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Headers {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let pairs = Vec::<(String, String)>::deserialize(deserializer)?;
        Ok(Self::from_pairs(pairs.iter().map(|(n, v)| (n.as_str(), v.as_bytes()))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_credentials_and_lowercases_names() {
        let record = RequestRecord::new(
            "POST",
            "/events",
            [("Authorization", &b"Bearer secret"[..]), ("Cookie", b"a=b"), ("CE-ID", b"1"), ("ce-id", b"2")],
            b"{}",
        );
        assert_eq!(record.headers.iter().collect::<Vec<_>>(), vec![("ce-id", "1"), ("ce-id", "2")]);
        let json = serde_json::to_value(&record.headers).unwrap();
        assert_eq!(json, serde_json::json!([["ce-id", "1"], ["ce-id", "2"]]));
        assert_eq!(serde_json::from_value::<Headers>(json).unwrap(), record.headers);
        assert_eq!(record.header("CE-Id"), Some("1"));
        assert_eq!(record.body.as_deref(), Some("{}"));
        assert!(!record.body_truncated);
    }

    #[test]
    fn keeps_binary_bodies_as_base64_and_cuts_large_ones() {
        let record = RequestRecord::new("POST", "/", [], &[0xff, 0x00, 0x01]);
        assert_eq!(record.body, None);
        assert_eq!(record.body_base64.as_deref(), Some("/wAB"));

        let big = "é".repeat(MAX_RECORDED_BODY); // 2 bytes each: the cut falls inside characters
        let record = RequestRecord::new("POST", "/", [], big.as_bytes());
        assert!(record.body_truncated);
        assert_eq!(record.body_size, big.len());
        let kept = record.body.expect("text stays text when cut mid-character");
        assert!(kept.len() <= MAX_RECORDED_BODY && kept.len() >= MAX_RECORDED_BODY - 1);
    }

    #[test]
    fn empty_body_records_nothing() {
        let record = RequestRecord::new("POST", "/", [], b"");
        assert_eq!((record.body, record.body_base64, record.body_size), (None, None, 0));
    }
}
