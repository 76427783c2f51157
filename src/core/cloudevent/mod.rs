//! CloudEvents over HTTP (DESIGN §2): mode detection, binary / structured / batch decoding, strict
//! CloudEvents 1.0 validation with SHOULD-level warnings, and the binary encoding back. No I/O.

mod binary;
mod duplicate;
mod json;
mod media_type;
mod size;
mod time;
mod uri;
mod validate;

use std::fmt;

use serde::{Deserialize, Serialize};
pub use serde_json::{Map, Value};

pub use binary::{decode_binary, to_binary};
pub use duplicate::DuplicateKey;
pub use json::{JsonError, JsonPath, Step, parse_strict};
pub use time::unix_millis;

/// Whether data of this `datacontenttype` is JSON (`application/json`, `*/*+json`, …), as the
/// JSON event format decides it; for UIs that edit or show data.
pub fn media_type_is_json(datacontenttype: &str) -> bool {
    matches!(media_type::kind_of(Some(datacontenttype)), media_type::DataKind::Json)
}
use validate::{Origin, Report};

/// How an event arrived (HTTP binding §1.3). Serialized as `"binary"`, `"structured"` or `"batch"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Binary,
    Structured,
    Batch,
}

impl Mode {
    /// The serialized name, also a metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Binary => "binary",
            Mode::Structured => "structured",
            Mode::Batch => "batch",
        }
    }
}

/// A validated event in the CloudEvents JSON event format, with 1.0 attribute names, serialized
/// transparently as that object. A 0.3 event keeps `"specversion": "0.3"`, but its `schemaurl` is
/// `dataschema` and its base64-encoded `data` is `data_base64`. Data is a JSON value under a JSON
/// `datacontenttype` (or none), a string under a textual one, and `data_base64` otherwise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CloudEvent(Map<String, Value>);

/// The attributes the CloudEvents 1.0 spec defines; every other attribute is an extension.
const STANDARD_ATTRIBUTES: [&str; 8] =
    ["specversion", "id", "source", "type", "datacontenttype", "dataschema", "subject", "time"];

impl CloudEvent {
    /// `source` and `id`, which together identify an event (CloudEvents 1.0 §3.1.1): what
    /// duplicate detection compares, in the history and in each tab.
    pub fn duplicate_key(&self) -> DuplicateKey<'_> {
        DuplicateKey { source: self.source(), id: self.id() }
    }

    /// REQUIRED `id` (empty only for an event that was not validated).
    pub fn id(&self) -> &str {
        self.string("id").unwrap_or_default()
    }

    /// REQUIRED `source`, a URI-reference.
    pub fn source(&self) -> &str {
        self.string("source").unwrap_or_default()
    }

    /// REQUIRED `type` (`type` is a Rust keyword).
    pub fn ty(&self) -> &str {
        self.string("type").unwrap_or_default()
    }

    /// REQUIRED `specversion`: `"1.0"`, or `"0.3"` for a mapped legacy event.
    pub fn specversion(&self) -> &str {
        self.string("specversion").unwrap_or_default()
    }

    /// OPTIONAL `subject`, never empty.
    pub fn subject(&self) -> Option<&str> {
        self.string("subject")
    }

    /// OPTIONAL `time`, an RFC 3339 timestamp as received (see [`unix_millis`]).
    pub fn time(&self) -> Option<&str> {
        self.string("time")
    }

    /// OPTIONAL `datacontenttype`, an RFC 2046 media type.
    pub fn datacontenttype(&self) -> Option<&str> {
        self.string("datacontenttype")
    }

    /// Any member by its JSON-format name: an attribute, `data` or `data_base64`.
    pub fn attribute(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    /// Extension attributes (neither standard attributes nor data), by name.
    pub fn extensions(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0
            .iter()
            .filter(|(name, _)| {
                !STANDARD_ATTRIBUTES.contains(&name.as_str()) && *name != "data" && *name != "data_base64"
            })
            .map(|(name, value)| (name.as_str(), value))
    }

    /// The whole event as its JSON object.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    /// The event as one line of JSON (no newlines), as stored and as sent in `cloudevent` frames.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.0).expect("a JSON object of strings and values always serializes")
    }

    /// Validates a stored or received JSON value with the structured-mode rules; a valid event comes
    /// back unchanged, so the browser and tests can re-check what the server stored.
    pub fn from_value(value: Value) -> Result<Validated, DecodeError> {
        check_event(value).map_err(DecodeError::Invalid)
    }

    fn string(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(Value::as_str)
    }
}

/// A SHOULD-level finding: shown to the developer, never a reason to reject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// The attribute concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute: Option<String>,
    /// What the spec recommends and how the event differs, naming the attribute.
    pub message: String,
}

/// A valid event and what it does that the spec advises against.
#[derive(Debug, Clone, PartialEq)]
pub struct Validated {
    pub event: CloudEvent,
    pub warnings: Vec<Warning>,
}

/// One broken rule: the `details` entries of DESIGN §2's error shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{}{message}", index.map(|i| format!("event {i}: ")).unwrap_or_default())]
pub struct ValidationError {
    /// Position in the batch; `None` outside batch mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    /// The attribute (or, for header-only rules, the header) concerned; `None` for the whole event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute: Option<String>,
    /// What is wrong and what was expected, naming the attribute, with values cut at 80 characters.
    pub message: String,
}

/// Why a request carries no acceptable events. Each variant's doc names the HTTP status it maps to.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DecodeError {
    /// 415: a CloudEvents media type with a format other than JSON, e.g. `application/cloudevents+avro`
    /// or `application/cloudevents-batch+xml`. Holds the Content-Type as received (cut at 80 chars).
    #[error(
        "unsupported content type {0:?}: expected application/cloudevents+json, \
         application/cloudevents-batch+json, or binary mode with ce-* headers"
    )]
    UnsupportedMediaType(String),
    /// 400: neither a structured nor a batch Content-Type, and no `ce-specversion` header.
    #[error(
        "not a CloudEvent: no ce-specversion header for binary mode, and the Content-Type is neither \
         application/cloudevents+json nor application/cloudevents-batch+json"
    )]
    MissingSpecVersion,
    /// 400: a structured or batch body that is not JSON; says where (line and column).
    #[error("malformed JSON: {0}")]
    MalformedJson(String),
    /// 400: an object in the event's JSON (its attributes, its `data`, at any depth) names a member
    /// twice, which readers resolve differently (DESIGN §2 "Strict framing"). `path` locates the
    /// second one within the event, e.g. `id` or `data.items[2].sku`; `index` is the batch position.
    #[error(
        "{}member `{path}` appears twice",
        index.map(|i| format!("event {i}: ")).unwrap_or_default()
    )]
    DuplicateMember { index: Option<usize>, path: String },
    /// 413: a batch with more events than [`Limits::max_batch`].
    #[error("batch of {len} events is over the limit of {max}")]
    BatchTooLarge { len: usize, max: usize },
    /// 400: every broken rule of every event, in order (batch errors carry their `index`).
    #[error("{}", Invalid(.0))]
    Invalid(Vec<ValidationError>),
}

/// Display of [`DecodeError::Invalid`]: the first problem and how many more there are.
struct Invalid<'a>(&'a [ValidationError]);

impl fmt::Display for Invalid<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            [] => f.write_str("invalid event"),
            [only] => write!(f, "invalid event: {only}"),
            [first, rest @ ..] => write!(f, "invalid event: {first} (and {} more problems)", rest.len()),
        }
    }
}

/// Limits on what one request may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most events a batch may hold (DESIGN §2 `--max-batch`). Defaults to 1000.
    pub max_batch: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_batch: 1000 }
    }
}

/// The content mode of a request (HTTP binding §3): a Content-Type prefixed with
/// `application/cloudevents-batch` is batch (checked first), one prefixed with `application/cloudevents`
/// is structured; either is accepted only with the `+json` format. Anything else is binary when a
/// `ce-specversion` header is present. Media types compare case-insensitively, parameters ignored.
pub fn detect_mode(content_type: Option<&str>, has_ce_specversion: bool) -> Result<Mode, DecodeError> {
    if let Some(content_type) = content_type {
        let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        let format = |mode, prefix| {
            essence.strip_prefix(prefix).map(|format| match format {
                "+json" => Ok(mode),
                _ => Err(DecodeError::UnsupportedMediaType(validate::cut(content_type).into_owned())),
            })
        };
        if let Some(result) = format(Mode::Batch, "application/cloudevents-batch") {
            return result;
        }
        if let Some(result) = format(Mode::Structured, "application/cloudevents") {
            return result;
        }
    }
    if has_ce_specversion { Ok(Mode::Binary) } else { Err(DecodeError::MissingSpecVersion) }
}

/// Decodes a whole request: `headers` as received (names in any case, possibly repeated; values as
/// raw bytes) and the body. All or nothing: the mode and every event (a batch may be empty), or why
/// none is accepted.
pub fn decode(
    headers: &[(&str, &[u8])],
    body: &[u8],
    limits: &Limits,
) -> Result<(Mode, Vec<Validated>), DecodeError> {
    let content_type = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-type"))
        .map(|(_, value)| String::from_utf8_lossy(value));
    let has_ce_specversion = headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("ce-specversion"));
    let mode = detect_mode(content_type.as_deref(), has_ce_specversion)?;
    let events = match mode {
        Mode::Binary => vec![decode_binary(headers, body)?],
        Mode::Structured => vec![decode_structured(body)?],
        Mode::Batch => decode_batch(body, limits)?,
    };
    Ok((mode, events))
}

/// Decodes a structured-mode body: one event in the JSON event format.
pub fn decode_structured(body: &[u8]) -> Result<Validated, DecodeError> {
    CloudEvent::from_value(parse_json(body, false)?)
}

/// Decodes a batch-mode body: a JSON array of events in the JSON event format (JSON format §4),
/// all of one `specversion` (HTTP binding §3.3.2). All or nothing; errors carry the event's index.
/// The length is checked against `limits` before any event is validated.
pub fn decode_batch(body: &[u8], limits: &Limits) -> Result<Vec<Validated>, DecodeError> {
    let members = match parse_json(body, true)? {
        Value::Array(members) => members,
        other => {
            return Err(DecodeError::Invalid(vec![ValidationError {
                index: None,
                attribute: None,
                message: format!(
                    "a batch must be a JSON array of events, got {}",
                    validate::describe(&other)
                ),
            }]));
        }
    };
    if members.len() > limits.max_batch {
        return Err(DecodeError::BatchTooLarge { len: members.len(), max: limits.max_batch });
    }

    let specversion_of =
        |member: &Value| member.get("specversion").and_then(Value::as_str).map(str::to_owned);
    let batch_version = members.iter().find_map(specversion_of);
    let mut events = Vec::with_capacity(members.len());
    let mut errors = Vec::new();
    for (index, member) in members.into_iter().enumerate() {
        let mut found = Vec::new();
        if let (Some(own), Some(batch)) = (specversion_of(&member), &batch_version)
            && own != *batch
        {
            found.push(ValidationError {
                index: None,
                attribute: Some("specversion".into()),
                message: format!(
                    "specversion: {} differs from {}, the batch's first; all events of a batch share one (HTTP binding §3.3.2)",
                    validate::quote(&own),
                    validate::quote(batch)
                ),
            });
        }
        match check_event(member) {
            Ok(validated) if found.is_empty() => events.push(validated),
            Ok(_) => {}
            Err(invalid) => found.extend(invalid),
        }
        errors.extend(found.into_iter().map(|error| ValidationError { index: Some(index), ..error }));
    }
    if errors.is_empty() { Ok(events) } else { Err(DecodeError::Invalid(errors)) }
}

/// The structured-mode rules for one JSON value, which must be an object.
fn check_event(value: Value) -> Result<Validated, Vec<ValidationError>> {
    match value {
        Value::Object(members) => validate::validate(members, Origin::Structured, Report::default()),
        other => Err(vec![ValidationError {
            index: None,
            attribute: None,
            message: format!("an event must be a JSON object, got {}", validate::describe(&other)),
        }]),
    }
}

/// A structured or batch body as strict JSON. In a batch, a duplicate's leading array index is the
/// member's position.
fn parse_json(body: &[u8], batch: bool) -> Result<Value, DecodeError> {
    parse_strict(body).map_err(|error| match error {
        JsonError::Malformed(why) => DecodeError::MalformedJson(why),
        JsonError::DuplicateMember(path) => {
            let (index, path) = if batch { path.split_index() } else { (None, path) };
            DecodeError::DuplicateMember { index, path: path.to_string() }
        }
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const STRUCTURED: &str = "application/cloudevents+json";
    const BATCH: &str = "application/cloudevents-batch+json";

    fn event(id: &str) -> Value {
        json!({"specversion": "1.0", "id": id, "source": "https://example.com/orders", "type": "com.example.created"})
    }

    fn body(value: &Value) -> Vec<u8> {
        serde_json::to_vec(value).unwrap()
    }

    fn invalid(result: Result<impl fmt::Debug, DecodeError>) -> Vec<ValidationError> {
        match result {
            Err(DecodeError::Invalid(errors)) => errors,
            other => panic!("expected DecodeError::Invalid, got {other:?}"),
        }
    }

    #[test]
    fn detects_modes_from_content_type_case_insensitively_with_params() {
        assert_eq!(detect_mode(Some("application/cloudevents+json"), false), Ok(Mode::Structured));
        assert_eq!(
            detect_mode(Some("Application/CloudEvents+JSON; charset=UTF-8"), false),
            Ok(Mode::Structured)
        );
        assert_eq!(detect_mode(Some("application/cloudevents-batch+json"), true), Ok(Mode::Batch));
        assert_eq!(
            detect_mode(Some(" APPLICATION/CLOUDEVENTS-BATCH+JSON ;charset=utf-8"), false),
            Ok(Mode::Batch)
        );
        assert_eq!(detect_mode(Some("application/json"), true), Ok(Mode::Binary));
        assert_eq!(detect_mode(None, true), Ok(Mode::Binary));
    }

    #[test]
    fn rejects_cloudevents_formats_other_than_json() {
        for other in
            ["application/cloudevents+avro", "application/cloudevents-batch+xml", "application/cloudevents"]
        {
            assert_eq!(
                detect_mode(Some(other), true),
                Err(DecodeError::UnsupportedMediaType(other.into())),
                "{other}"
            );
        }
    }

    #[test]
    fn requires_ce_specversion_outside_structured_and_batch_modes() {
        assert_eq!(detect_mode(Some("application/json"), false), Err(DecodeError::MissingSpecVersion));
        assert_eq!(detect_mode(None, false), Err(DecodeError::MissingSpecVersion));
        let headers: [(&str, &[u8]); 1] = [("content-type", b"application/json")];
        assert_eq!(decode(&headers, b"{}", &Limits::default()), Err(DecodeError::MissingSpecVersion));
    }

    #[test]
    fn decodes_a_structured_event_with_json_data() {
        let mut sent = event("a");
        sent["data"] = json!({"total": 42});
        let headers: [(&str, &[u8]); 1] = [("Content-Type", STRUCTURED.as_bytes())];
        let (mode, events) = decode(&headers, &body(&sent), &Limits::default()).unwrap();
        assert_eq!(mode, Mode::Structured);
        assert_eq!(events.len(), 1);
        assert_eq!(serde_json::to_value(&events[0].event).unwrap(), sent);
    }

    #[test]
    fn keeps_structured_data_base64_as_received() {
        let mut sent = event("a");
        sent["datacontenttype"] = "image/png".into();
        sent["data_base64"] = "iVBORw0KGgo=".into();
        let validated = decode_structured(&body(&sent)).unwrap();
        assert_eq!(validated.event.attribute("data_base64"), Some(&json!("iVBORw0KGgo=")));
        assert_eq!(validated.event.attribute("data"), None);
    }

    #[test]
    fn reports_where_json_is_malformed() {
        assert_eq!(
            decode_structured(b"{\"id\": }"),
            Err(DecodeError::MalformedJson("expected value at line 1 column 8".into()))
        );
        assert!(matches!(decode_batch(b"[", &Limits::default()), Err(DecodeError::MalformedJson(_))));
    }

    #[test]
    fn refuses_structured_events_that_name_a_member_twice() {
        let body = br#"{"specversion": "1.0", "id": "a", "source": "s", "type": "t", "id": "b"}"#;
        let error = decode_structured(body).unwrap_err();
        assert_eq!(error, DecodeError::DuplicateMember { index: None, path: "id".into() });
        assert_eq!(error.to_string(), "member `id` appears twice");

        let mut sent = event("a");
        sent["data"] = json!({"items": [{"sku": 1}, {"sku": 2}, {"sku": 3}]});
        let text = sent.to_string().replace(r#"{"sku":3}"#, r#"{"sku":3,"sku":4}"#);
        assert_eq!(
            decode_structured(text.as_bytes()),
            Err(DecodeError::DuplicateMember { index: None, path: "data.items[2].sku".into() })
        );
    }

    #[test]
    fn refuses_a_whole_batch_when_a_member_names_a_member_twice() {
        let text = json!([event("a"), event("b"), event("c")]).to_string().replacen(
            r#""id":"c""#,
            r#""id":"c","data":{"x":1,"x":2}"#,
            1,
        );
        let error = decode_batch(text.as_bytes(), &Limits::default()).unwrap_err();
        assert_eq!(error, DecodeError::DuplicateMember { index: Some(2), path: "data.x".into() });
        assert_eq!(error.to_string(), "event 2: member `data.x` appears twice");
        assert_eq!(
            decode_batch(br#"{"a": 1, "a": 2}"#, &Limits::default()),
            Err(DecodeError::DuplicateMember { index: None, path: "a".into() }),
            "a batch body that is not an array has no member index"
        );
    }

    #[test]
    fn rejects_structured_bodies_that_are_not_objects() {
        let errors = invalid(decode_structured(b"[1]"));
        assert_eq!(errors[0].message, "an event must be a JSON object, got an array");
    }

    #[test]
    fn accepts_an_empty_batch() {
        let headers: [(&str, &[u8]); 1] = [("content-type", BATCH.as_bytes())];
        assert_eq!(decode(&headers, b"[]", &Limits::default()), Ok((Mode::Batch, vec![])));
    }

    #[test]
    fn decodes_every_event_of_a_valid_batch_in_order() {
        let events = decode_batch(&body(&json!([event("a"), event("b")])), &Limits::default()).unwrap();
        assert_eq!(events.iter().map(|v| v.event.id()).collect::<Vec<_>>(), ["a", "b"]);
    }

    #[test]
    fn rejects_a_whole_batch_for_one_invalid_event_with_its_index() {
        let errors =
            invalid(decode_batch(&body(&json!([event("a"), event(""), event("c"), 7])), &Limits::default()));
        let found: Vec<_> = errors.iter().map(|e| (e.index, e.attribute.as_deref())).collect();
        assert_eq!(found, [(Some(1), Some("id")), (Some(3), None)]);
        assert_eq!(errors[0].to_string(), "event 1: id: must not be empty");
    }

    #[test]
    fn rejects_batches_that_mix_specversions() {
        let mut legacy = event("b");
        legacy["specversion"] = "0.3".into();
        let errors = invalid(decode_batch(&body(&json!([event("a"), legacy])), &Limits::default()));
        assert_eq!(errors.len(), 1);
        assert_eq!((errors[0].index, errors[0].attribute.as_deref()), (Some(1), Some("specversion")));
    }

    #[test]
    fn rejects_batches_over_the_limit_before_validating_events() {
        let limits = Limits { max_batch: 2 };
        assert_eq!(decode_batch(b"[1, 2, 3]", &limits), Err(DecodeError::BatchTooLarge { len: 3, max: 2 }));
        assert!(decode_batch(&body(&json!([event("a"), event("b")])), &limits).is_ok());
    }

    #[test]
    fn rejects_batch_bodies_that_are_not_arrays() {
        let errors = invalid(decode_batch(&body(&event("a")), &Limits::default()));
        assert_eq!(errors[0].message, "a batch must be a JSON array of events, got an object");
    }

    #[test]
    fn serializes_errors_and_warnings_without_absent_fields() {
        let error = ValidationError { index: None, attribute: Some("time".into()), message: "m".into() };
        assert_eq!(serde_json::to_value(&error).unwrap(), json!({"attribute": "time", "message": "m"}));
        let warning = Warning { attribute: None, message: "w".into() };
        assert_eq!(serde_json::to_value(&warning).unwrap(), json!({"message": "w"}));
        assert_eq!(serde_json::to_value(Mode::Structured).unwrap(), json!("structured"));
    }

    #[test]
    fn summarizes_invalid_events_in_one_line() {
        let errors = invalid(decode_structured(b"{}"));
        assert_eq!(
            DecodeError::Invalid(errors).to_string(),
            "invalid event: specversion: required attribute is missing; expected \"1.0\" (and 3 more problems)"
        );
    }

    #[test]
    fn serializes_an_event_as_one_line_of_its_json_object() {
        let mut sent = event("a");
        sent["data"] = "line 1\nline 2".into();
        let validated = CloudEvent::from_value(sent.clone()).unwrap();
        let line = validated.event.to_json();
        assert!(!line.contains('\n'));
        assert_eq!(serde_json::from_str::<Value>(&line).unwrap(), sent);
        assert_eq!(validated.event.ty(), "com.example.created");
        assert_eq!(validated.event.extensions().count(), 0);
    }
}
