//! What the history stores per event (DESIGN §2): the validated event plus how and when it arrived,
//! and the request as received. Shared by the server (which writes it) and the browser (which reads it).

use crate::core::cloudevent::{CloudEvent, Mode, Warning};
use crate::core::id::EventId;
use crate::core::lab::DeliveryRecord;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::sync::Arc;

/// Most bytes of a request body kept "as received" by [`RequestRecord::new`] (DESIGN §2).
pub const MAX_RECORDED_BODY: usize = 64 * 1024;

/// Most bytes of header names and values one record keeps, so no request can make a record large.
pub const MAX_RECORDED_HEADERS: usize = 16 * 1024;

/// Most bytes of path and query one record keeps.
pub const MAX_RECORDED_PATH: usize = 2 * 1024;

/// What a masked header or query value is recorded as.
pub const MASK: &str = "***";

/// Headers never recorded: the credentials of the request itself.
const DROPPED_HEADERS: [&str; 3] = ["authorization", "cookie", "set-cookie"];

/// Credential headers recorded with their value masked, so the UI shows that one was sent.
const MASKED_HEADERS: [&str; 7] = [
    "proxy-authorization",
    "x-api-key",
    "api-key",
    "x-auth-token",
    "x-access-token",
    "x-amz-security-token",
    "x-csrf-token",
];

/// A header whose name contains one of these (case-insensitively) is masked too.
const MASKED_HEADER_PARTS: [&str; 8] =
    ["token", "secret", "password", "passwd", "api-key", "apikey", "signature", "session"];

/// Query parameters whose values are masked in the recorded path: webhook senders and Knative
/// Triggers put tokens in the URL (`?access_token=`).
const MASKED_QUERY_PARAMS: [&str; 9] =
    ["access_token", "token", "api_key", "apikey", "key", "sig", "signature", "password", "secret"];

/// A stored event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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
    /// The answer this delivery got and its attempt number (the delivery lab, DESIGN §11).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<DeliveryRecord>,
}

/// An HTTP request as received, for "as received" views and the rejected lane.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RequestRecord {
    pub method: String,
    /// Path and query, with credential query values masked, cut at [`MAX_RECORDED_PATH`] bytes.
    pub path: String,
    /// Header name (lowercase) and value pairs in arrival order, credentials dropped or masked.
    /// Values that are not UTF-8 are shown lossily. Serialized as `[[name, value], ...]`.
    pub headers: Headers,
    /// True when `headers` holds only the first [`MAX_RECORDED_HEADERS`] bytes of the headers:
    /// the last one kept may be cut, and `headers_dropped` more were left out.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub headers_truncated: bool,
    /// How many headers were left out to stay within [`MAX_RECORDED_HEADERS`] (dropped
    /// credentials are not counted).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub headers_dropped: usize,
    /// The body, when it is UTF-8 (cut at the body limit on a character boundary).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// The body as standard base64, when it is not UTF-8 (cut at the body limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_base64: Option<String>,
    /// Size of the whole body in bytes.
    pub body_size: usize,
    /// True when `body`/`body_base64` hold only the first bytes of the body, up to the limit
    /// ([`MAX_RECORDED_BODY`] unless recorded with [`RequestRecord::with_body_limit`]).
    #[serde(default)]
    pub body_truncated: bool,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl RequestRecord {
    /// Records a request with at most [`MAX_RECORDED_BODY`] bytes of body; see
    /// [`RequestRecord::with_body_limit`].
    pub fn new<'a>(
        method: &str,
        path: &str,
        headers: impl IntoIterator<Item = (&'a str, &'a [u8]), IntoIter: Clone>,
        body: &[u8],
    ) -> Self {
        Self::with_body_limit(method, path, headers, body, MAX_RECORDED_BODY)
    }

    /// Records a request so that it never shows a secret and stays small: `Authorization`,
    /// `Cookie` and `Set-Cookie` are dropped; other credential headers (`Proxy-Authorization`,
    /// `X-Api-Key`, any name containing `token`, `secret`, `session`, …) and credential query
    /// values (`access_token`, `key`, `sig`, …) are kept as [`MASK`]; headers are kept up to
    /// [`MAX_RECORDED_HEADERS`] bytes, the path up to [`MAX_RECORDED_PATH`], the body up to
    /// `max_body` bytes (a rejection may keep less than an event).
    pub fn with_body_limit<'a>(
        method: &str,
        path: &str,
        headers: impl IntoIterator<Item = (&'a str, &'a [u8]), IntoIter: Clone>,
        body: &[u8],
        max_body: usize,
    ) -> Self {
        use base64::Engine as _;
        let headers = record_headers(headers);
        let kept = &body[..body.len().min(max_body)];
        let (text, base64) = match std::str::from_utf8(kept) {
            Ok(text) => (Some(text.to_owned()), None),
            // A cut inside a multi-byte character is still text: keep what is valid.
            Err(e) if e.error_len().is_none() && kept.len() < body.len() => {
                (Some(String::from_utf8_lossy(&kept[..e.valid_up_to()]).into_owned()), None)
            }
            Err(_) => (None, Some(base64::engine::general_purpose::STANDARD.encode(kept))),
        };
        let (body_text, body_base64) = if body.is_empty() { (None, None) } else { (text, base64) };
        let path = mask_query(path);
        Self {
            method: method.to_owned(),
            path: cut(&path, MAX_RECORDED_PATH).to_owned(),
            headers_truncated: headers.truncated,
            headers_dropped: headers.dropped,
            headers: headers.headers,
            body: body_text,
            body_base64,
            body_size: body.len(),
            body_truncated: body.len() > max_body,
        }
    }

    /// The heap bytes this record holds (its strings' capacities), for memory budgets; the record
    /// itself adds `size_of::<RequestRecord>()` wherever it is stored.
    pub fn approx_bytes(&self) -> usize {
        self.method.capacity()
            + self.path.capacity()
            + self.headers.text.capacity()
            + self.body.as_ref().map_or(0, String::capacity)
            + self.body_base64.as_ref().map_or(0, String::capacity)
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v)
    }
}

/// How a header is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Treatment {
    Keep,
    Mask,
    Drop,
}

fn treatment(name: &str) -> Treatment {
    if DROPPED_HEADERS.iter().any(|dropped| name.eq_ignore_ascii_case(dropped)) {
        Treatment::Drop
    } else if MASKED_HEADERS.iter().any(|masked| name.eq_ignore_ascii_case(masked))
        // `ce-*` headers are event attributes, shown parsed anyway: masking them would only hide
        // what was sent (`ce-sessionid`).
        || (!name.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("ce-"))
            && names_a_secret(name))
    {
        Treatment::Mask
    } else {
        Treatment::Keep
    }
}

/// Whether `name` contains one of [`MASKED_HEADER_PARTS`], ignoring ASCII case. Every header of
/// every request is asked: one pass, and only where a part's first letter stands is a part compared.
fn names_a_secret(name: &str) -> bool {
    const FIRST_LETTERS: [bool; 256] = {
        let mut table = [false; 256];
        let mut i = 0;
        while i < MASKED_HEADER_PARTS.len() {
            let first = MASKED_HEADER_PARTS[i].as_bytes()[0];
            table[first.to_ascii_lowercase() as usize] = true;
            table[first.to_ascii_uppercase() as usize] = true;
            i += 1;
        }
        table
    };
    let name = name.as_bytes();
    (0..name.len()).filter(|&at| FIRST_LETTERS[usize::from(name[at])]).any(|at| {
        MASKED_HEADER_PARTS.iter().any(|part| {
            name[at..].get(..part.len()).is_some_and(|window| window.eq_ignore_ascii_case(part.as_bytes()))
        })
    })
}

/// Recorded headers, whether the byte budget cut them, and how many it left out.
struct Recorded {
    headers: Headers,
    truncated: bool,
    dropped: usize,
}

/// The headers as recorded: credentials dropped or masked, then kept in arrival order up to
/// [`MAX_RECORDED_HEADERS`] bytes of names and values. The one that crosses the limit keeps its
/// name and the start of its value; every later one is left out and counted.
fn record_headers<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a [u8]), IntoIter: Clone>) -> Recorded {
    let pairs = pairs.into_iter();
    // One allocation for the lot, instead of one growth step every other header.
    let size = pairs.clone().map(|(name, value)| name.len() + value.len() + 2).sum::<usize>();
    let text = String::with_capacity(size.min(MAX_RECORDED_HEADERS));
    let mut recorded = Recorded { headers: Headers { text }, truncated: false, dropped: 0 };
    let mut room = MAX_RECORDED_HEADERS;
    for (name, value) in pairs {
        let value = match treatment(name) {
            Treatment::Drop => continue,
            Treatment::Mask => MASK.into(),
            // Checked whole first: the lossy decoder's chunking costs more on the usual ASCII value.
            Treatment::Keep => {
                std::str::from_utf8(value).map_or_else(|_| String::from_utf8_lossy(value), Cow::Borrowed)
            }
        };
        if recorded.truncated || name.len() >= room {
            recorded.truncated = true;
            recorded.dropped += 1;
            continue;
        }
        room -= name.len();
        let kept = cut(&value, room);
        recorded.truncated = kept.len() < value.len();
        room -= kept.len();
        recorded.headers.push(name, kept);
    }
    recorded
}

/// `path` with the values of credential query parameters ([`MASKED_QUERY_PARAMS`], names compared
/// case-insensitively after percent-decoding) replaced by [`MASK`]; empty values stay empty.
fn mask_query(path: &str) -> std::borrow::Cow<'_, str> {
    let Some((before, query)) = path.split_once('?') else { return path.into() };
    let secret = |pair: &str| {
        pair.split_once('=').is_some_and(|(name, value)| {
            // As a server reads the name: `%XX` decoded (`+` is a space, and no masked name has one).
            let name: std::borrow::Cow<'_, [u8]> = percent_encoding::percent_decode_str(name).into();
            !value.is_empty()
                && MASKED_QUERY_PARAMS.iter().any(|param| name.eq_ignore_ascii_case(param.as_bytes()))
        })
    };
    if !query.split('&').any(secret) {
        return path.into();
    }
    let mut masked = String::with_capacity(path.len());
    masked.push_str(before);
    masked.push('?');
    for (n, pair) in query.split('&').enumerate() {
        if n > 0 {
            masked.push('&');
        }
        match pair.split_once('=') {
            Some((name, _)) if secret(pair) => {
                masked.push_str(name);
                masked.push('=');
                masked.push_str(MASK);
            }
            _ => masked.push_str(pair),
        }
    }
    masked.into()
}

/// The longest start of `s` of at most `max` bytes that ends on a character boundary.
fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
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
        let mut headers = Self::default();
        for (name, value) in pairs {
            headers.push(name, &String::from_utf8_lossy(value));
        }
        headers
    }

    fn push(&mut self, name: &str, value: &str) {
        self.text.reserve(name.len() + value.len() + 2);
        // Names from the HTTP stack are lower-case already, and neither holds a NUL: copied whole.
        if name.bytes().any(|b| b == 0 || b.is_ascii_uppercase()) {
            self.text.extend(name.chars().filter(|c| *c != '\0').map(|c| c.to_ascii_lowercase()));
        } else {
            self.text.push_str(name);
        }
        self.text.push('\0');
        if value.contains('\0') {
            self.text.extend(value.chars().filter(|c| *c != '\0'));
        } else {
            self.text.push_str(value);
        }
        self.text.push('\0');
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

    fn recorded(headers: &[(&'static str, &'static str)]) -> RequestRecord {
        RequestRecord::new("POST", "/", headers.iter().map(|(n, v)| (*n, v.as_bytes())), b"")
    }

    #[test]
    fn drops_the_requests_own_credentials() {
        let record = recorded(&[
            ("Authorization", "Bearer a"),
            ("cookie", "session=b"),
            ("Set-Cookie", "c=d"),
            ("content-type", "application/json"),
        ]);
        assert_eq!(record.headers.iter().collect::<Vec<_>>(), [("content-type", "application/json")]);
        assert!(!record.headers_truncated);
    }

    #[test]
    fn masks_other_credential_headers_by_name() {
        let names = [
            "Proxy-Authorization",
            "X-Api-Key",
            "api-key",
            "x-auth-token",
            "X-Access-Token",
            "x-amz-security-token",
            "x-csrf-token",
            "x-goog-iap-jwt-assertion-token",
            "x-client-secret",
            "x-password",
            "x-db-passwd",
            "my-apikey",
            "x-hub-signature-256",
            "x-session-id",
        ];
        let pairs: Vec<_> = names.iter().map(|n| (*n, "hunter2")).collect();
        let record = recorded(&pairs);
        let kept: Vec<_> = record.headers.iter().collect();
        let expected: Vec<_> = names.iter().map(|n| (n.to_ascii_lowercase(), MASK)).collect();
        assert_eq!(kept.iter().map(|(n, v)| (n.to_string(), *v)).collect::<Vec<_>>(), expected);
    }

    #[test]
    fn keeps_ordinary_headers_as_received() {
        let headers = [
            ("ce-id", "1"),
            ("ce-source", "/orders"),
            ("ce-sessionid", "s-42"),
            ("traceparent", "00-abc-def-01"),
            ("user-agent", "curl/8"),
            ("x-request-id", "r1"),
            ("keyboard", "k"),
        ];
        let record = recorded(&headers);
        assert_eq!(record.headers.iter().collect::<Vec<_>>(), headers);
    }

    #[test]
    fn masks_credential_query_values_and_keeps_their_names() {
        let path = |path: &str| RequestRecord::new("POST", path, [], b"").path;
        assert_eq!(path("/events?access_token=abc&x=1"), "/events?access_token=***&x=1");
        for name in
            ["token", "api_key", "apikey", "key", "sig", "signature", "password", "secret", "Access_Token"]
        {
            assert_eq!(path(&format!("/?a=1&{name}=s3cr%20t&b")), format!("/?a=1&{name}=***&b"), "{name}");
        }
        assert_eq!(path("/?sig=1&sig=2"), "/?sig=***&sig=***");
        assert_eq!(path("/?api%5Fkey=z"), "/?api%5Fkey=***", "names are compared percent-decoded");
        assert_eq!(path("/?key=&monkey=1&keys=2&tokens=3"), "/?key=&monkey=1&keys=2&tokens=3");
        assert_eq!(path("/events/pub"), "/events/pub");
        assert_eq!(path("/?a=%ZZ&token=%"), "/?a=%ZZ&token=***");
    }

    #[test]
    fn cuts_the_path_at_2_kib_on_a_character_boundary() {
        let long = format!("/events?q={}", "é".repeat(MAX_RECORDED_PATH));
        let record = RequestRecord::new("POST", &long, [], b"");
        assert!(record.path.len() <= MAX_RECORDED_PATH && record.path.len() >= MAX_RECORDED_PATH - 1);
        assert!(long.starts_with(&record.path));
        let masked = format!("/?token=secret&q={}", "x".repeat(MAX_RECORDED_PATH));
        assert!(RequestRecord::new("POST", &masked, [], b"").path.starts_with("/?token=***&q=xxx"));
    }

    #[test]
    fn keeps_at_most_16_kib_of_headers_and_counts_the_rest() {
        let value = "v".repeat(1000);
        let names: Vec<String> = (0..20).map(|n| format!("x-h{n:02}")).collect();
        let pairs: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), value.as_bytes())).collect();
        let record = RequestRecord::new("POST", "/", pairs.iter().copied(), b"");
        let kept: Vec<_> = record.headers.iter().collect();
        let bytes: usize = kept.iter().map(|(n, v)| n.len() + v.len()).sum();
        assert_eq!(bytes, MAX_RECORDED_HEADERS);
        // 1005 bytes a header: 16 whole ones, then the 17th cut, then 3 left out.
        assert_eq!(kept.len(), 17);
        assert_eq!(kept[16].1, &value[..MAX_RECORDED_HEADERS - 16 * 1005 - 5]);
        assert!(record.headers_truncated);
        assert_eq!(record.headers_dropped, 3);

        let json = serde_json::to_value(&record).unwrap();
        assert_eq!(json["headers"][16][0], "x-h16", "headers stay [[name, value], ...]");
        assert_eq!(
            (json["headers_truncated"].clone(), json["headers_dropped"].clone()),
            (true.into(), 3.into())
        );
        assert_eq!(serde_json::from_value::<RequestRecord>(json).unwrap(), record);
    }

    #[test]
    fn one_huge_header_is_cut_to_the_budget() {
        let huge = "é".repeat(MAX_RECORDED_HEADERS);
        let record = RequestRecord::new("POST", "/", [("x-big", huge.as_bytes()), ("ce-id", b"1")], b"");
        let kept: Vec<_> = record.headers.iter().collect();
        assert_eq!(kept.len(), 1);
        assert!(huge.starts_with(kept[0].1) && kept[0].1.len() >= MAX_RECORDED_HEADERS - 5 - 1);
        assert_eq!((record.headers_truncated, record.headers_dropped), (true, 1));
    }

    #[test]
    fn serializes_without_header_flags_when_nothing_was_cut() {
        let json = serde_json::to_value(recorded(&[("ce-id", "1")])).unwrap();
        assert!(json.get("headers_truncated").is_none() && json.get("headers_dropped").is_none(), "{json}");
        let old =
            serde_json::json!({"method": "POST", "path": "/", "headers": [["ce-id", "1"]], "body_size": 0});
        let record = serde_json::from_value::<RequestRecord>(old).unwrap();
        assert_eq!((record.headers_truncated, record.headers_dropped), (false, 0));
    }

    #[test]
    fn keeps_a_smaller_body_excerpt_when_asked() {
        let body = "x".repeat(100);
        let record = RequestRecord::with_body_limit("POST", "/", [], body.as_bytes(), 10);
        assert_eq!(record.body.as_deref(), Some("xxxxxxxxxx"));
        assert_eq!((record.body_size, record.body_truncated), (100, true));
        let whole = RequestRecord::with_body_limit("POST", "/", [], body.as_bytes(), 100);
        assert_eq!((whole.body.as_deref(), whole.body_truncated), (Some(body.as_str()), false));
        assert!(!RequestRecord::new("POST", "/", [], body.as_bytes()).body_truncated);
    }

    #[test]
    fn approx_bytes_counts_the_strings_it_holds() {
        let small = RequestRecord::new("POST", "/events", [("ce-id", &b"1"[..])], b"{}");
        let header = "ce-id".len() + "1".len() + 2; // name and value, each ended by a NUL
        assert!(small.approx_bytes() >= "POST".len() + "/events".len() + header + "{}".len());
        let big = RequestRecord::new("POST", "/events", [("ce-id", &b"1"[..])], &[b'x'; 50_000]);
        assert!(big.approx_bytes() >= small.approx_bytes() + 50_000 - 2);
        let binary = RequestRecord::new("POST", "/", [], &[0xff; 3000]);
        assert!(binary.approx_bytes() >= 4000, "base64 of 3000 bytes is 4000");
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
