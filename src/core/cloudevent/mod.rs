//! CloudEvents over HTTP (DESIGN §2): mode detection, binary / structured / batch decoding, strict
//! CloudEvents 1.0 validation with SHOULD-level warnings, and the binary encoding back. No I/O.

mod binary;
mod data;
mod duplicate;
mod json;
pub mod lint;
mod media_type;
mod size;
mod time;
mod uri;
mod validate;

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
pub use serde_json::{Map, Value};

pub use binary::{decode_binary, to_binary};
pub use data::{Data, compact, pretty};
pub use duplicate::DuplicateKey;
pub use json::{JsonError, JsonPath, Step, parse_strict};
pub use time::unix_millis;

/// Whether data of this `datacontenttype` is JSON (`application/json`, `*/*+json`, …), as the
/// JSON event format decides it; for UIs that edit or show data.
pub fn media_type_is_json(datacontenttype: &str) -> bool {
    matches!(media_type::kind_of(Some(datacontenttype)), media_type::DataKind::Json)
}
use serde_json::value::RawValue;
use validate::{Origin, Report};

/// How an event arrived (HTTP binding §1.3). Serialized as `"binary"`, `"structured"` or `"batch"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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

/// A validated event in the CloudEvents JSON event format, serialized as that object with the
/// attribute names of its own `specversion`: a 0.3 event keeps `schemaurl`, and its bytes are `data`
/// beside `datacontentencoding: "base64"`, as 0.3 readers expect. Data is kept exactly as received
/// (see [`Data`]). Built only by validation: decoding a request, [`CloudEvent::from_value`], or
/// deserializing, which runs the same rules, so an invalid event cannot exist.
#[derive(Debug, Clone, PartialEq)]
pub struct CloudEvent {
    /// Attributes in order, each name once, data excluded. A list, not a map: an event has a
    /// handful, and scanning them beats hashing each name on every insert and lookup.
    attributes: Vec<(Name, Value)>,
    data: Option<Data>,
}

/// An attribute's name. The spec's own names are borrowed where a decoder can, so a binary-mode
/// event allocates nothing for them.
type Name = std::borrow::Cow<'static, str>;

/// The attributes the CloudEvents 1.0 spec defines; every other attribute is an extension.
const STANDARD_ATTRIBUTES: [&str; 8] =
    ["specversion", "id", "source", "type", "datacontenttype", "dataschema", "subject", "time"];

impl CloudEvent {
    /// `source` and `id`, which together identify an event (CloudEvents 1.0 §3.1.1): what
    /// duplicate detection compares, in the history and in each tab.
    pub fn duplicate_key(&self) -> DuplicateKey<'_> {
        DuplicateKey { source: self.source(), id: self.id() }
    }

    /// REQUIRED `id`.
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

    /// REQUIRED `specversion`: `"1.0"`, or `"0.3"` for a legacy event.
    pub fn specversion(&self) -> &str {
        self.string("specversion").unwrap_or_default()
    }

    /// A CloudEvents 0.3 event, which keeps its 0.3 attribute names.
    pub fn is_legacy(&self) -> bool {
        self.specversion() == "0.3"
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

    /// OPTIONAL `dataschema` (1.0), or `schemaurl` of a 0.3 event: the same attribute.
    pub fn dataschema(&self) -> Option<&str> {
        self.string(self.dataschema_name())
    }

    /// The name this event gives `dataschema`: `schemaurl` in 0.3, so a UI can show both names.
    pub fn dataschema_name(&self) -> &'static str {
        if self.is_legacy() { "schemaurl" } else { "dataschema" }
    }

    /// Any attribute by its JSON-format name (not `data`; see [`CloudEvent::data`]).
    pub fn attribute(&self, name: &str) -> Option<&Value> {
        lookup(&self.attributes, name)
    }

    /// Whether `name` is a context attribute of this event's version rather than an extension:
    /// a 0.3 event also has `schemaurl` and `datacontentencoding`.
    pub fn is_standard(&self, name: &str) -> bool {
        STANDARD_ATTRIBUTES.contains(&name)
            || (self.is_legacy() && matches!(name, "schemaurl" | "datacontentencoding"))
    }

    /// Extension attributes (neither standard attributes nor data), by name.
    pub fn extensions(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.attributes
            .iter()
            .filter(|(name, _)| !self.is_standard(name))
            .map(|(name, value)| (name.as_ref(), value))
    }

    /// Every attribute in order, data excluded.
    pub fn attributes(&self) -> impl ExactSizeIterator<Item = (&str, &Value)> {
        self.attributes.iter().map(|(name, value)| (name.as_ref(), value))
    }

    /// The data, exactly as received.
    pub fn data(&self) -> Option<&Data> {
        self.data.as_ref()
    }

    /// The event as one line of JSON (no newlines), as stored and as sent in `cloudevent` frames.
    pub fn to_json(&self) -> String {
        // Sized up front: growing from serde_json's 128 bytes took three reallocations per event.
        let data = self.data.as_ref().map_or(0, |data| data.json().or(data.base64()).map_or(0, str::len));
        let members: usize = self
            .attributes
            .iter()
            .map(|(name, value)| name.len() + value.as_str().map_or(16, str::len) + 6)
            .sum();
        let mut json = Vec::with_capacity(members + data + 16);
        serde_json::to_writer(&mut json, self)
            .expect("a JSON object of strings and values always serializes");
        String::from_utf8(json).expect("serde_json writes UTF-8")
    }

    /// Validates a JSON value with the structured-mode rules. The value has been parsed, so its
    /// numbers are what serde_json made of them; received bytes go through [`decode_structured`].
    pub fn from_value(value: Value) -> Result<Validated, DecodeError> {
        check_event(json::EventJson::from_value(value)).map_err(DecodeError::Invalid)
    }

    fn string(&self, name: &str) -> Option<&str> {
        self.attribute(name).and_then(Value::as_str)
    }
}

/// The value of attribute `name` in a list of attributes.
fn lookup<'a>(attributes: &'a [(Name, Value)], name: &str) -> Option<&'a Value> {
    attributes.iter().find(|(member, _)| member == name).map(|(_, value)| value)
}

impl Serialize for CloudEvent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut map =
            serializer.serialize_map(Some(self.attributes.len() + usize::from(self.data.is_some())))?;
        for (name, value) in &self.attributes {
            map.serialize_entry(name, value)?;
        }
        match &self.data {
            Some(Data::Json(raw)) => map.serialize_entry("data", raw)?,
            Some(Data::Base64(encoded)) if self.is_legacy() => map.serialize_entry("data", encoded)?,
            Some(Data::Base64(encoded)) => map.serialize_entry("data_base64", encoded)?,
            None => {}
        }
        map.end()
    }
}

/// Runs the structured-mode rules: what the server stored reads back as the same event, and
/// anything invalid is an error, never an unchecked event.
impl<'de> Deserialize<'de> for CloudEvent {
    /// Reads a stored event. The server runs every rule. The page reads only events that server
    /// validated (from `/stream`, the API, other tabs or its cache), so it checks the invariants
    /// its accessors rely on ([`stored_invariants`]) and leaves the full rules, about 9 KiB of the
    /// bundle, to the server.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json::StoredMembers { mut members, mut data } = json::StoredMembers::deserialize(deserializer)?;
        upgrade_stored_0_3(&mut members, &mut data);
        #[cfg(feature = "hydrate")]
        let checked = stored_invariants(&members).map(|()| CloudEvent {
            attributes: members.into_iter().map(|(k, v)| (Name::Owned(k), v)).collect(),
            data,
        });
        #[cfg(not(feature = "hydrate"))]
        let checked = validate::validate(members, data, Origin::Structured, Report::default())
            .map(|validated| validated.event);
        checked.map_err(|errors| serde::de::Error::custom(DecodeError::Invalid(errors)))
    }
}

/// What every event the server stored has, whatever else it holds: a known `specversion` and
/// non-empty `id`, `source` and `type` strings.
pub fn stored_invariants(members: &Map<String, Value>) -> Result<(), Vec<ValidationError>> {
    let errors: Vec<ValidationError> = ["specversion", "id", "source", "type"]
        .into_iter()
        .filter(|name| match (members.get(*name), *name) {
            (Some(Value::String(v)), "specversion") => v != "1.0" && v != "0.3",
            (Some(Value::String(v)), _) => v.is_empty(),
            _ => true,
        })
        .map(|name| ValidationError {
            index: None,
            attribute: Some(name.to_owned()),
            message: format!("{name}: required, a non-empty string"),
            ..Default::default()
        })
        .collect();
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

/// Earlier versions stored a 0.3 event under 1.0 names (`dataschema`, `data_base64`); such an
/// event, from a Redis history or a browser cache, reads back with its 0.3 names.
fn upgrade_stored_0_3(members: &mut Map<String, Value>, data: &mut Option<Data>) {
    if members.get("specversion").and_then(Value::as_str) != Some("0.3") {
        return;
    }
    if !members.contains_key("schemaurl")
        && let Some(url) = members.shift_remove("dataschema")
    {
        members.insert("schemaurl".into(), url);
    }
    if data.is_none()
        && let Some(Value::String(encoded)) = members.shift_remove("data_base64")
    {
        members.insert("datacontentencoding".into(), "base64".into());
        *data = Some(Data::Base64(encoded));
    }
}

/// A SHOULD-level finding: shown to the developer, never a reason to reject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Warning {
    /// The rule's stable id ([`lint::Rule::id`]), by which a browser mutes it. Empty in records
    /// older than rule ids.
    #[serde(default)]
    pub rule: String,
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
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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
    /// What kind of problem, where `message` alone does not say: `parse` for an expression that
    /// does not parse.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Where in a document the problem is, e.g. `spec.filters[1].any[0]` of a Knative Trigger.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// For `kind: parse`: the 0-based character offset in the expression where parsing failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<usize>,
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
        let essence = content_type.split(';').next().unwrap_or_default().trim();
        // Compared ignoring ASCII case, in place: every request asks.
        let format = |mode, prefix: &str| {
            let head = essence.get(..prefix.len()).filter(|head| head.eq_ignore_ascii_case(prefix))?;
            Some(if essence[head.len()..].eq_ignore_ascii_case("+json") {
                Ok(mode)
            } else {
                Err(DecodeError::UnsupportedMediaType(validate::cut(content_type).into_owned()))
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
    decode_structured_with(body, Map::new())
}

/// [`decode_structured`] with `extra` attributes set over the received ones before validation
/// (Knative `K_CE_OVERRIDES` on sends).
pub fn decode_structured_with(body: &[u8], extra: Map<String, Value>) -> Result<Validated, DecodeError> {
    let mut event = json::parse_event(body).map_err(|error| json_error(error, false))?;
    if let json::EventJson::Object { members, .. } = &mut event {
        for (name, value) in extra {
            match members.iter_mut().find(|(member, _)| *member == name) {
                Some(member) => member.1 = value,
                None => members.push((name, value)),
            }
        }
    }
    check_event(event).map_err(DecodeError::Invalid)
}

/// Decodes a batch-mode body: a JSON array of events in the JSON event format (JSON format §4),
/// all of one `specversion` (HTTP binding §3.3.2). All or nothing; errors carry the event's index.
/// The length is checked against `limits` before any event is validated.
pub fn decode_batch(body: &[u8], limits: &Limits) -> Result<Vec<Validated>, DecodeError> {
    let members: Vec<json::EventJson> = match serde_json::from_slice::<Vec<&RawValue>>(body) {
        Ok(members) => {
            if members.len() > limits.max_batch {
                return Err(DecodeError::BatchTooLarge { len: members.len(), max: limits.max_batch });
            }
            let mut events = Vec::with_capacity(members.len());
            for (index, member) in members.into_iter().enumerate() {
                let event = json::parse_event(member.get().as_bytes()).map_err(|error| match error {
                    JsonError::DuplicateMember(path) => {
                        DecodeError::DuplicateMember { index: Some(index), path: path.to_string() }
                    }
                    malformed => json_error(malformed, false),
                })?;
                events.push(event);
            }
            events
        }
        // Not an array of JSON values: the strict parse says what it is.
        Err(_) => match parse_strict(body).map_err(|error| json_error(error, true))? {
            Value::Array(members) if members.len() > limits.max_batch => {
                return Err(DecodeError::BatchTooLarge { len: members.len(), max: limits.max_batch });
            }
            Value::Array(members) => members.into_iter().map(json::EventJson::from_value).collect(),
            other => {
                return Err(DecodeError::Invalid(vec![ValidationError {
                    index: None,
                    attribute: None,
                    message: format!(
                        "a batch must be a JSON array of events, got {}",
                        validate::describe(&other)
                    ),
                    ..Default::default()
                }]));
            }
        },
    };

    let specversion_of = |member: &json::EventJson| match member {
        json::EventJson::Object { members, .. } => members
            .iter()
            .find(|(name, _)| name == "specversion")
            .and_then(|(_, value)| value.as_str())
            .map(str::to_owned),
        json::EventJson::Other(_) => None,
    };
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
                ..Default::default()
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

/// The structured-mode rules for one event's JSON, which must be an object.
fn check_event(event: json::EventJson) -> Result<Validated, Vec<ValidationError>> {
    match event {
        json::EventJson::Object { members, data } => {
            validate::validate(members, data, Origin::Structured, Report::default())
        }
        json::EventJson::Other(other) => Err(vec![ValidationError {
            index: None,
            attribute: None,
            message: format!("an event must be a JSON object, got {}", validate::describe(&other)),
            ..Default::default()
        }]),
    }
}

/// A structured or batch body's JSON error. In a batch, a duplicate's leading array index is the
/// member's position.
fn json_error(error: JsonError, batch: bool) -> DecodeError {
    match error {
        JsonError::Malformed(why) => DecodeError::MalformedJson(why),
        JsonError::DuplicateMember(path) => {
            let (index, path) = if batch { path.split_index() } else { (None, path) };
            DecodeError::DuplicateMember { index, path: path.to_string() }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn stored_invariants_are_the_required_attributes_as_non_empty_strings() {
        let members = |value: Value| value.as_object().unwrap().clone();
        let ok = members(serde_json::json!({"specversion": "0.3", "id": "1", "source": "/s", "type": "t"}));
        assert_eq!(stored_invariants(&ok), Ok(()));
        let bad = members(serde_json::json!({"specversion": "2.0", "id": "", "source": 1}));
        let named: Vec<_> =
            stored_invariants(&bad).unwrap_err().into_iter().filter_map(|e| e.attribute).collect();
        assert_eq!(named, ["specversion", "id", "source", "type"]);
    }

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
        assert_eq!(validated.event.data().and_then(Data::base64), Some("iVBORw0KGgo="));
        assert_eq!(serde_json::to_value(&validated.event).unwrap(), sent);
    }

    /// The issue's example, in every form JSON data can take.
    const EXACT: &str = r#"{"n": 123456789012345678901234567890, "f": 0.1000000000000000000000001, "e": 1E+2,
        "z": -0.0, "order": {"b": 1, "a": 2}, "s": "caf\u00e9 \" \\ \/ \n", "inside": "  two  spaces\t"}"#;
    const EXACT_COMPACT: &str = r#"{"n":123456789012345678901234567890,"f":0.1000000000000000000000001,"e":1E+2,"z":-0.0,"order":{"b":1,"a":2},"s":"caf\u00e9 \" \\ \/ \n","inside":"  two  spaces\t"}"#;

    #[test]
    fn keeps_structured_json_data_exactly_as_received_on_one_line() {
        let text = format!(
            "{{\"specversion\": \"1.0\", \"id\": \"a\", \"source\": \"/s\", \"type\": \"t.x\",\n \"data\": {EXACT}}}"
        );
        let event = decode_structured(text.as_bytes()).unwrap().event;
        assert_eq!(event.data().and_then(Data::json), Some(EXACT_COMPACT));
        let line = event.to_json();
        assert_eq!(
            line,
            format!(r#"{{"specversion":"1.0","id":"a","source":"/s","type":"t.x","data":{EXACT_COMPACT}}}"#)
        );
        let again: CloudEvent = serde_json::from_str(&line).unwrap();
        assert_eq!(again, event, "what is served reads back as the same event");
        assert_eq!(again.to_json(), line);
    }

    #[test]
    fn keeps_batch_data_exactly_and_still_finds_duplicates_inside_it() {
        let text = format!(r#"[{{"specversion":"1.0","id":"a","source":"/s","type":"t","data":{EXACT}}}]"#);
        let events = decode_batch(text.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(events[0].event.data().and_then(Data::json), Some(EXACT_COMPACT));
        let twice = text.replace(r#""b": 1"#, r#""b": 1, "b": 1"#);
        assert_eq!(
            decode_batch(twice.as_bytes(), &Limits::default()),
            Err(DecodeError::DuplicateMember { index: Some(0), path: "data.order.b".into() })
        );
    }

    #[test]
    fn keeps_0_3_names_in_structured_mode() {
        let sent = r#"{"specversion":"0.3","id":"a","source":"/s","type":"t.x","datacontenttype":"application/octet-stream","schemaurl":"https://example.com/s.json","datacontentencoding":"base64","data":"AAEC"}"#;
        let event = decode_structured(sent.as_bytes()).unwrap().event;
        assert_eq!(event.to_json(), sent, "served with its own names, in spec order");
        assert_eq!(event.dataschema(), Some("https://example.com/s.json"));
        assert_eq!(event.dataschema_name(), "schemaurl");
        assert_eq!(event.data().and_then(Data::base64), Some("AAEC"));
        assert_eq!(event.extensions().count(), 0, "schemaurl and datacontentencoding are 0.3 attributes");
        assert_eq!(serde_json::from_str::<CloudEvent>(sent).unwrap(), event);
    }

    #[test]
    fn reads_0_3_events_stored_under_1_0_names_with_their_own_names() {
        let stored = r#"{"specversion":"0.3","id":"a","source":"/s","type":"t.x","datacontenttype":"image/png","dataschema":"https://example.com/s","data_base64":"AAEC"}"#;
        let event: CloudEvent = serde_json::from_str(stored).unwrap();
        assert_eq!(
            event.to_json(),
            r#"{"specversion":"0.3","id":"a","source":"/s","type":"t.x","datacontenttype":"image/png","schemaurl":"https://example.com/s","datacontentencoding":"base64","data":"AAEC"}"#
        );
    }

    #[test]
    fn deserializing_runs_the_rules() {
        let valid = r#"{"specversion":"1.0","id":"a","source":"/s","type":"t.x"}"#;
        assert!(serde_json::from_str::<CloudEvent>(valid).is_ok());
        let error =
            serde_json::from_str::<CloudEvent>(r#"{"specversion":"1.0","id":"","source":"/s","type":"t"}"#)
                .unwrap_err();
        assert!(error.to_string().starts_with("invalid event: id: must not be empty"), "{error}");
        let twice = r#"{"specversion":"1.0","id":"a","source":"/s","type":"t","id":"b"}"#;
        assert!(
            serde_json::from_str::<CloudEvent>(twice).unwrap_err().to_string().contains("`id` appears twice")
        );
        assert!(serde_json::from_str::<CloudEvent>("[]").is_err());
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
    fn names_the_repeat_a_one_pass_parse_meets_first() {
        let path = |body: &str| match decode_structured(body.as_bytes()) {
            Err(DecodeError::DuplicateMember { path, .. }) => path,
            other => panic!("{other:?}"),
        };
        assert_eq!(path(r#"{"b": 1, "a": 1, "b": 2, "a": 2}"#), "b");
        assert_eq!(path(r#"{"a": 1, "b": 1, "b": 2, "a": 2}"#), "b");
        assert_eq!(path(r#"{"a": 1, "c": {"x": 1, "x": 2}, "a": 2}"#), "c.x");
        // Inside the repeated member comes before its name, and `data` is a member like any other.
        assert_eq!(path(r#"{"a": 1, "a": {"x": 1, "x": 2}}"#), "a.x");
        assert_eq!(path(r#"{"data": 1, "id": "a", "data": 2}"#), "data");
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
        let error =
            ValidationError { attribute: Some("time".into()), message: "m".into(), ..Default::default() };
        assert_eq!(serde_json::to_value(&error).unwrap(), json!({"attribute": "time", "message": "m"}));
        let warning = Warning { rule: "type-prefix".into(), attribute: None, message: "w".into() };
        assert_eq!(serde_json::to_value(&warning).unwrap(), json!({"rule": "type-prefix", "message": "w"}));
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
