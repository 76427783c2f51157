//! CloudEvents 1.0 rules over one event in the JSON event format, shared by every mode: an error for
//! each broken MUST, a warning for each ignored SHOULD, and the 0.3 attribute names.

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use super::data::Data;
use super::lint::Rule;
use super::media_type::{self, DataKind};
use super::uri::{self, Kind};
use super::{CloudEvent, Name, Validated, ValidationError, Warning, lookup, time};

/// Where the members came from. Binary mode has already turned headers into string attributes and
/// the body into data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Origin {
    Structured,
    Binary,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    V1,
    V03,
    Unsupported,
}

/// The findings for one event, in the order they were found.
#[derive(Debug, Default)]
pub(super) struct Report {
    errors: Vec<ValidationError>,
    warnings: Vec<Warning>,
}

impl Report {
    pub(super) fn error(&mut self, attribute: &str, message: String) {
        self.errors.push(ValidationError {
            attribute: Some(attribute.to_owned()),
            message,
            ..Default::default()
        });
    }

    pub(super) fn warn(&mut self, rule: Rule, attribute: &str, message: String) {
        self.warnings.push(Warning {
            rule: rule.id().to_owned(),
            attribute: Some(attribute.to_owned()),
            message,
        });
    }

    fn mentions(&self, attribute: &str) -> bool {
        self.errors.iter().any(|e| e.attribute.as_deref() == Some(attribute))
    }
}

/// Longest attribute name the spec recommends (CloudEvents 1.0, naming conventions).
const MAX_NAME_LEN: usize = 20;

/// A standard attribute's value rule: `Err` says why the value is invalid, `Ok(Some(_))` which SHOULD
/// it ignores. Both are phrased to follow the quoted value.
type ValueRule = fn(&str, Version) -> Result<Option<(Rule, &'static str)>, String>;

/// The standard attributes after `specversion`, in the order they are checked, with what a required
/// one must be and the rule for its value (CloudEvents 1.0, context attributes).
const ATTRIBUTES: [(&str, Option<&str>, ValueRule); 7] = [
    ("id", Some("a non-empty string"), any_string),
    ("source", Some("a non-empty URI-reference"), source_rule),
    ("type", Some("a non-empty string"), type_rule),
    ("datacontenttype", None, media_type_rule),
    ("dataschema", None, dataschema_rule),
    ("subject", None, any_string),
    ("time", None, time_rule),
];

/// Validates `members` (JSON-format member names and values, `data` apart, each name once) and
/// builds the event with the names of its version: standard attributes in spec order, then
/// extensions in the order of `members`. Findings already in `report` (from binary-mode header decoding) come first.
pub(super) fn validate<K: Into<Name>>(
    members: impl IntoIterator<Item = (K, Value)>,
    data: Option<Data>,
    origin: Origin,
    mut report: Report,
) -> Result<Validated, Vec<ValidationError>> {
    let mut members = Members(members.into_iter().map(|(name, value)| Some((name.into(), value))).collect());
    let mut event = Vec::with_capacity(members.0.len());
    let r = &mut report;

    let specversion = take_string(&mut members, "specversion", r, Some("\"1.0\""));
    let version = match specversion.as_ref().map(|(_, value)| value.as_str()) {
        Some("1.0") => Version::V1,
        Some("0.3") => {
            r.warn(
                Rule::Version03,
                "specversion",
                "CloudEvents 0.3 is deprecated; 1.0 names schemaurl dataschema".into(),
            );
            Version::V03
        }
        Some(other) => {
            let message =
                format!("specversion: {} is not supported; expected \"1.0\" (or \"0.3\")", quote(other));
            r.error("specversion", message);
            Version::Unsupported
        }
        None => Version::Unsupported,
    };
    if let Some((key, specversion)) = specversion.filter(|_| version != Version::Unsupported) {
        event.push((key, specversion.into()));
    }

    for (name, required, rule) in ATTRIBUTES {
        // CloudEvents 0.3 §3.1: `schemaurl`, a URI-reference, where 1.0 has `dataschema`.
        let name = if version == Version::V03 && name == "dataschema" { "schemaurl" } else { name };
        let Some((key, value)) = take_string(&mut members, name, r, required) else { continue };
        match rule(&value, version) {
            Ok(advice) => {
                if let Some((rule, advice)) = advice {
                    r.warn(rule, name, format!("{name}: {} {advice}", quote(&value)));
                }
                event.push((key, value.into()));
            }
            Err(why) => r.error(name, format!("{name}: {} {why}", quote(&value))),
        }
    }
    let encoding = if version == Version::V03 { legacy_encoding(&mut members, origin, r) } else { None };

    let mut data_base64 = None;
    for (name, value) in members.rest() {
        match name.as_ref() {
            "data_base64" => data_base64 = Some(value).filter(|v| !v.is_null()),
            "dataschema" if version == Version::V03 => r.error(
                "dataschema",
                "dataschema: not a CloudEvents 0.3 attribute; a 0.3 event names it schemaurl".into(),
            ),
            _ => extension(name, value, r, &mut event),
        }
    }
    let data = if version == Version::V03 {
        legacy_data(data, data_base64, encoding, r, &mut event)
    } else {
        add_data(data, data_base64, origin, r, &event)
    };

    if report.errors.is_empty() {
        Ok(Validated { event: CloudEvent { attributes: event, data }, warnings: report.warnings })
    } else {
        Err(report.errors)
    }
}

fn any_string(_: &str, _: Version) -> Result<Option<(Rule, &'static str)>, String> {
    Ok(None)
}

/// `source`: a URI-reference; an absolute URI is RECOMMENDED.
fn source_rule(source: &str, _: Version) -> Result<Option<(Rule, &'static str)>, String> {
    match uri::check(source) {
        Ok(Kind::Absolute) => Ok(None),
        Ok(Kind::Relative) => Ok(Some((
            Rule::SourceAbsolute,
            "is a relative reference; an absolute URI is RECOMMENDED (e.g. https://example.com/orders)",
        ))),
        Err(why) => Err(format!("is not a URI-reference (RFC 3986): {why}")),
    }
}

/// `type` SHOULD be prefixed with a reverse-DNS name: here, a DNS label, a dot, and more.
fn type_rule(ty: &str, _: Version) -> Result<Option<(Rule, &'static str)>, String> {
    let prefixed = ty.split_once('.').is_some_and(|(label, rest)| {
        !label.is_empty() && !rest.is_empty() && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    });
    Ok((!prefixed).then_some((
        Rule::TypePrefix,
        "has no reverse-DNS prefix; event types SHOULD start with one (e.g. com.example.order.created)",
    )))
}

fn media_type_rule(content_type: &str, _: Version) -> Result<Option<(Rule, &'static str)>, String> {
    match media_type::parse(content_type) {
        Ok(_) => Ok(None),
        Err(why) => Err(format!("is not an RFC 2046 media type: {why} (e.g. application/json)")),
    }
}

/// `dataschema`: an absolute URI in 1.0; 0.3 `schemaurl` was a URI-reference.
fn dataschema_rule(schema: &str, version: Version) -> Result<Option<(Rule, &'static str)>, String> {
    match uri::check(schema) {
        Ok(Kind::Relative) if version != Version::V03 => {
            Err("is not an absolute URI; expected a scheme (e.g. https://example.com/schemas/order.json)"
                .into())
        }
        Ok(_) => Ok(None),
        Err(why) => Err(format!("is not a URI (RFC 3986): {why}")),
    }
}

fn time_rule(time: &str, _: Version) -> Result<Option<(Rule, &'static str)>, String> {
    match time::parse(time) {
        Ok(_) => Ok(None),
        Err(why) => Err(format!("is not an RFC 3339 timestamp: {why}")),
    }
}

/// `data` or `data_base64`, never both (JSON format §3.1.1). `data` may be an explicit null; a null
/// `data_base64` is simply unset.
fn add_data(
    data: Option<Data>,
    data_base64: Option<Value>,
    origin: Origin,
    r: &mut Report,
    event: &[(Name, Value)],
) -> Option<Data> {
    match (data, data_base64) {
        (Some(_), Some(_)) => {
            r.error(
                "data_base64",
                "data and data_base64 are both present; an event carries its data in one of them (JSON format §3.1.1)"
                    .into(),
            );
            None
        }
        (Some(data), None) => {
            let content_type = lookup(event, "datacontenttype").and_then(Value::as_str);
            let not_a_string = data.json().is_some_and(|json| !json.starts_with('"'));
            if origin == Origin::Structured
                && not_a_string
                && media_type::kind_of(content_type) != DataKind::Json
            {
                let message = format!(
                    "data: datacontenttype {} is not JSON, so data SHOULD be a string (JSON format §3.1.2); got {}",
                    content_type.unwrap_or_default(),
                    data.json().map_or("bytes", describe_json)
                );
                r.warn(Rule::DataString, "data", message);
            }
            Some(data)
        }
        (None, Some(Value::String(encoded))) => match STANDARD.decode(&encoded) {
            Ok(_) => Some(Data::Base64(encoded)),
            Err(why) => {
                r.error("data_base64", format!("data_base64: not valid base64 (RFC 4648, padded): {why}"));
                None
            }
        },
        (None, Some(other)) => {
            r.error("data_base64", format!("data_base64: must be a base64 string, got {}", describe(&other)));
            None
        }
        (None, None) => None,
    }
}

/// A JSON text's kind, for messages.
fn describe_json(json: &str) -> &'static str {
    match json.as_bytes().first() {
        Some(b'{') => "an object",
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        _ => "a number",
    }
}

/// CloudEvents 0.3 `datacontentencoding` (0.3 §3.1): only `"base64"`, kept as received, in
/// structured mode. In binary mode the body is the data as is, and 0.3 says the attribute MUST
/// then be ignored.
fn legacy_encoding(members: &mut Members, origin: Origin, r: &mut Report) -> Option<String> {
    match members.take("datacontentencoding").map(|(_, value)| value) {
        None | Some(Value::Null) => None,
        Some(_) if origin == Origin::Binary => {
            r.warn(
                Rule::EncodingIgnored,
                "datacontentencoding",
                "datacontentencoding: ignored in binary mode, where the body is the data as is (CloudEvents 0.3)"
                    .into(),
            );
            None
        }
        Some(Value::String(encoding)) if encoding.eq_ignore_ascii_case("base64") => Some(encoding),
        Some(other) => {
            r.error(
                "datacontentencoding",
                format!(
                    "datacontentencoding: {} is not supported; CloudEvents 0.3 defines only \"base64\"",
                    describe(&other)
                ),
            );
            None
        }
    }
}

/// The data of a 0.3 event (0.3 JSON format §3.1): a base64 string in `data` under
/// `datacontentencoding`, which binary-mode bytes get too; 0.3 has no `data_base64`.
fn legacy_data(
    data: Option<Data>,
    data_base64: Option<Value>,
    encoding: Option<String>,
    r: &mut Report,
    event: &mut Vec<(Name, Value)>,
) -> Option<Data> {
    if data_base64.is_some() {
        r.error(
            "data_base64",
            "data_base64: not part of CloudEvents 0.3, which carries bytes in data with datacontentencoding \"base64\""
                .into(),
        );
        return None;
    }
    let data = match (encoding.as_ref(), data) {
        (Some(_), Some(data @ Data::Json(_))) => match data.text() {
            Some(encoded) if STANDARD.decode(&encoded).is_ok() => Some(Data::Base64(encoded)),
            Some(_) => {
                r.error(
                    "data",
                    "data: not valid base64 (RFC 4648, padded), as datacontentencoding says".into(),
                );
                return None;
            }
            None => {
                r.error(
                    "data",
                    "data: datacontentencoding \"base64\" needs data to be a base64 string".into(),
                );
                return None;
            }
        },
        (_, data) => data,
    };
    let encoding = match (&data, encoding) {
        (_, Some(encoding)) => Some(encoding),
        (Some(Data::Base64(_)), None) => Some("base64".to_owned()),
        _ => None,
    };
    if let Some(encoding) = encoding {
        event.push(("datacontentencoding".into(), encoding.into()));
    }
    data
}

/// The members not checked yet, in received order. Taking one leaves a hole, so the others keep
/// their order (which `Map::remove` does not promise: with `preserve_order` it swaps) and nothing
/// shifts.
struct Members(Vec<Option<(Name, Value)>>);

impl Members {
    /// The member named `name`.
    fn take(&mut self, name: &str) -> Option<(Name, Value)> {
        let slot = self.0.iter_mut().find(|slot| slot.as_ref().is_some_and(|(member, _)| member == name))?;
        slot.take()
    }

    /// The members not taken, in received order.
    fn rest(self) -> impl Iterator<Item = (Name, Value)> {
        self.0.into_iter().flatten()
    }
}

/// Removes a standard attribute and returns it when it is a non-empty string of allowed characters;
/// reports anything else. `required` names what is expected when it must be present. Null means
/// unset (JSON format §2.2). Gives back the spec's name, borrowed, with the value.
fn take_string(
    members: &mut Members,
    name: &'static str,
    r: &mut Report,
    required: Option<&str>,
) -> Option<(Name, String)> {
    let problem = match members.take(name) {
        Some((_, Value::String(s))) if s.is_empty() => format!("{name}: must not be empty"),
        Some((_, Value::String(s))) => match check_chars(&s) {
            Ok(()) => return Some((Name::Borrowed(name), s)),
            Err(why) => format!("{name}: {why}"),
        },
        Some((_, other @ (Value::Bool(_) | Value::Number(_) | Value::Array(_) | Value::Object(_)))) => {
            format!("{name}: must be a string, got {}", describe(&other))
        }
        absent => {
            // Unset is fine when optional, and a binary header that failed to decode is not missing.
            let expected = required.filter(|_| !r.mentions(name))?;
            let state = if absent.is_some() { "null" } else { "missing" };
            format!("{name}: required attribute is {state}; expected {expected}")
        }
    };
    r.error(name, problem);
    None
}

/// An extension attribute: a valid name, and a value of a CloudEvents type that JSON can carry:
/// string, boolean, or integer in the 32-bit range (JSON format §2.2). Null means unset.
fn extension(name: Name, value: Value, r: &mut Report, event: &mut Vec<(Name, Value)>) {
    if let Some(why) = name_problem(&name) {
        r.error(&name, why);
        return;
    }
    if name.len() > MAX_NAME_LEN {
        let message = format!(
            "{name}: attribute names SHOULD NOT exceed {MAX_NAME_LEN} characters; this one has {}",
            name.len()
        );
        r.warn(Rule::NameLength, &name, message);
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        r.warn(Rule::NameLetter, &name, format!("{name}: attribute names SHOULD start with a letter"));
    }
    let problem = match &value {
        Value::Null => return,
        Value::Bool(_) => None,
        Value::String(s) => check_chars(s).err(),
        Value::Number(n) if n.is_f64() => Some(format!(
            "{n} is not an integer; extension values are strings, booleans or 32-bit integers (no floats)"
        )),
        Value::Number(n) if n.as_i64().and_then(|i| i32::try_from(i).ok()).is_none() => {
            Some(format!("{n} is outside the 32-bit integer range {}..={}", i32::MIN, i32::MAX))
        }
        Value::Number(_) => None,
        Value::Array(_) | Value::Object(_) => Some(format!(
            "{} is not a CloudEvents type; extension values are strings, booleans or 32-bit integers",
            describe(&value)
        )),
    };
    match problem {
        Some(why) => r.error(&name, format!("{name}: {why}")),
        None => event.push((name, value)),
    }
}

/// Why `name` cannot be an attribute name, if it cannot: names are `[a-z0-9]+` and not `data`
/// (CloudEvents 1.0, naming conventions).
pub(super) fn name_problem(name: &str) -> Option<String> {
    if name == "data" {
        Some("\"data\" is reserved for the event data and cannot be an attribute name".into())
    } else if name.is_empty() || !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) {
        Some(format!(
            "{} is not a valid attribute name: names are lower-case ASCII letters and digits ([a-z0-9]+)",
            quote(name)
        ))
    } else {
        None
    }
}

/// CloudEvents strings exclude control characters (U+0000–U+001F, U+007F–U+009F: exactly
/// `char::is_control`) and Unicode noncharacters (CloudEvents 1.0, type system).
fn check_chars(s: &str) -> Result<(), String> {
    // Printable ASCII, nearly every attribute, has neither: one pass over bytes instead of chars.
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Ok(());
    }
    let is_noncharacter = |c: char| matches!(c as u32, 0xFDD0..=0xFDEF) || c as u32 & 0xFFFE == 0xFFFE;
    match s.chars().enumerate().find(|&(_, c)| c.is_control() || is_noncharacter(c)) {
        None => Ok(()),
        Some((at, c)) => {
            let what = if c.is_control() { "a control character" } else { "a Unicode noncharacter" };
            Err(format!(
                "contains U+{:04X}, {what}, at position {at}; CloudEvents strings exclude it",
                c as u32
            ))
        }
    }
}

/// A received value for a message: cut after 80 characters.
pub(super) fn cut(s: &str) -> Cow<'_, str> {
    const MAX_CHARS: usize = 80;
    match s.char_indices().nth(MAX_CHARS) {
        Some((end, _)) => format!("{}…", &s[..end]).into(),
        None => s.into(),
    }
}

/// A received value for a message: cut, quoted and escaped, so control characters stay visible.
pub(super) fn quote(s: &str) -> String {
    format!("{:?}", cut(s))
}

/// A JSON value's kind, with the value when short, for messages.
pub(super) fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {}", quote(s)),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, json};

    use super::*;

    fn minimal() -> Value {
        json!({"specversion": "1.0", "id": "1", "source": "https://example.com/orders", "type": "com.example.created"})
    }

    /// The minimal event with `changes` merged in (null values are kept, to test them).
    fn event_with(changes: Value) -> Value {
        let mut event = minimal();
        for (name, value) in changes.as_object().expect("changes are an object") {
            event[name] = value.clone();
        }
        event
    }

    fn without(name: &str) -> Value {
        let mut event = minimal();
        event.as_object_mut().expect("an object").remove(name);
        event
    }

    fn check(value: Value) -> Result<Validated, Vec<ValidationError>> {
        match value {
            Value::Object(mut members) => {
                let data = members.remove("data").map(|data| Data::from_json_text(&data.to_string()));
                validate(members, data, Origin::Structured, Report::default())
            }
            _ => panic!("test events are objects"),
        }
    }

    /// The `(attribute, message)` of every error, or a panic if the event is valid.
    fn errors(value: Value) -> Vec<(String, String)> {
        let errors = check(value).expect_err("the event should be invalid");
        errors.into_iter().map(|e| (e.attribute.unwrap_or_default(), e.message)).collect()
    }

    fn error_attributes(value: Value) -> Vec<String> {
        errors(value).into_iter().map(|(attribute, _)| attribute).collect()
    }

    fn warnings(value: Value) -> Vec<(String, String)> {
        let validated = check(value).expect("the event should be valid");
        validated.warnings.into_iter().map(|w| (w.attribute.unwrap_or_default(), w.message)).collect()
    }

    /// The event's attributes as a JSON object.
    fn attributes(event: &CloudEvent) -> Map<String, Value> {
        event.attributes().map(|(name, value)| (name.to_owned(), value.clone())).collect()
    }

    #[test]
    fn accepts_a_minimal_event_without_warnings() {
        let validated = check(minimal()).unwrap();
        assert_eq!(&attributes(&validated.event), minimal().as_object().unwrap());
        assert!(validated.warnings.is_empty());
    }

    #[test]
    fn reports_every_missing_required_attribute_in_order() {
        assert_eq!(error_attributes(json!({})), ["specversion", "id", "source", "type"]);
        assert_eq!(
            errors(without("id")),
            [("id".into(), "id: required attribute is missing; expected a non-empty string".into())]
        );
    }

    #[test]
    fn rejects_null_empty_and_non_string_required_attributes() {
        assert_eq!(
            errors(event_with(json!({"id": null})))[0].1,
            "id: required attribute is null; expected a non-empty string"
        );
        assert_eq!(errors(event_with(json!({"type": ""})))[0].1, "type: must not be empty");
        assert_eq!(errors(event_with(json!({"id": 5})))[0].1, "id: must be a string, got the number 5");
        assert_eq!(error_attributes(event_with(json!({"subject": true, "time": 1}))), ["subject", "time"]);
    }

    #[test]
    fn accepts_specversion_1_0_and_rejects_others() {
        assert!(check(minimal()).is_ok());
        for other in [json!("2.0"), json!("1"), json!(1.0)] {
            assert_eq!(error_attributes(event_with(json!({ "specversion": other }))), ["specversion"]);
        }
        assert_eq!(
            errors(event_with(json!({"specversion": "2.0"})))[0].1,
            "specversion: \"2.0\" is not supported; expected \"1.0\" (or \"0.3\")"
        );
    }

    #[test]
    fn keeps_0_3_names_and_labels_the_event() {
        let legacy = event_with(json!({
            "specversion": "0.3", "schemaurl": "schemas/order.json",
            "datacontentencoding": "Base64", "datacontenttype": "application/octet-stream", "data": "AAEC",
        }));
        let validated = check(legacy).unwrap();
        let event = attributes(&validated.event);
        assert_eq!(event["specversion"], "0.3");
        assert_eq!(event["schemaurl"], "schemas/order.json", "0.3 schemaurl is a URI-reference");
        assert_eq!(event["datacontentencoding"], "Base64", "kept as received");
        assert!(!event.contains_key("dataschema"));
        assert_eq!(validated.event.data(), Some(&Data::Base64("AAEC".into())));
        assert_eq!(
            validated.warnings,
            [Warning {
                rule: "version-0.3".into(),
                attribute: Some("specversion".into()),
                message: "CloudEvents 0.3 is deprecated; 1.0 names schemaurl dataschema".into()
            }]
        );
    }

    #[test]
    fn revalidates_a_stored_0_3_event_unchanged() {
        let stored = check(event_with(json!({
            "specversion": "0.3", "schemaurl": "https://example.com/s",
            "datacontentencoding": "base64", "data": "AAEC",
        })))
        .unwrap();
        let again = check(serde_json::to_value(&stored.event).unwrap()).unwrap();
        assert_eq!(again, stored);
    }

    #[test]
    fn rejects_1_0_names_and_encodings_other_than_base64_in_0_3_events() {
        let legacy = |changes: Value| {
            let mut event = event_with(changes);
            event["specversion"] = "0.3".into();
            event
        };
        assert_eq!(
            error_attributes(legacy(json!({"datacontentencoding": "gzip", "data": "x"}))),
            ["datacontentencoding"]
        );
        assert_eq!(error_attributes(legacy(json!({"dataschema": "https://b.example"}))), ["dataschema"]);
        assert_eq!(error_attributes(legacy(json!({"data_base64": "AAEC"}))), ["data_base64"]);
        assert_eq!(
            error_attributes(legacy(json!({"datacontentencoding": "base64", "data": "not base64!"}))),
            ["data"]
        );
        assert_eq!(
            error_attributes(legacy(json!({"datacontentencoding": "base64", "data": {"a": 1}}))),
            ["data"]
        );
    }

    #[test]
    fn accepts_uri_reference_sources_and_warns_on_relative_ones() {
        assert!(
            warnings(event_with(json!({"source": "urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66"})))
                .is_empty()
        );
        assert_eq!(
            warnings(event_with(json!({"source": "/sensors/tn-1234567"}))),
            [(
                "source".into(),
                "source: \"/sensors/tn-1234567\" is a relative reference; an absolute URI is RECOMMENDED (e.g. https://example.com/orders)"
                    .into()
            )]
        );
    }

    #[test]
    fn rejects_sources_that_are_not_uri_references() {
        assert_eq!(
            errors(event_with(json!({"source": "order service"}))),
            [(
                "source".into(),
                "source: \"order service\" is not a URI-reference (RFC 3986): ' ' at position 5 is not allowed; percent-encode it"
                    .into()
            )]
        );
        assert_eq!(error_attributes(event_with(json!({"source": "http://[::1/"}))), ["source"]);
    }

    #[test]
    fn accepts_absolute_dataschema_and_rejects_relative_ones() {
        assert!(
            check(event_with(json!({"dataschema": "https://example.com/schemas/order.json#v1"}))).is_ok()
        );
        assert_eq!(error_attributes(event_with(json!({"dataschema": "schemas/order.json"}))), ["dataschema"]);
        assert_eq!(error_attributes(event_with(json!({"dataschema": ""}))), ["dataschema"]);
        assert_eq!(
            error_attributes(event_with(json!({"dataschema": "https://exa mple.com"}))),
            ["dataschema"]
        );
    }

    #[test]
    fn accepts_rfc_3339_time_and_rejects_other_forms() {
        assert!(check(event_with(json!({"time": "2026-11-26T12:34:56.789+01:00"}))).is_ok());
        assert_eq!(
            errors(event_with(json!({"time": "yesterday"})))[0].1,
            "time: \"yesterday\" is not an RFC 3339 timestamp: expected the form 2026-11-26T12:34:56Z (fraction optional; Z or ±hh:mm)"
        );
        assert_eq!(
            errors(event_with(json!({"time": "2026-02-30T00:00:00Z"})))[0].1,
            "time: \"2026-02-30T00:00:00Z\" is not an RFC 3339 timestamp: day 30 is out of range for 2026-02"
        );
    }

    #[test]
    fn accepts_media_type_datacontenttype_and_rejects_others() {
        assert!(check(event_with(json!({"datacontenttype": "application/json; charset=utf-8"}))).is_ok());
        assert_eq!(
            errors(event_with(json!({"datacontenttype": "json"})))[0].1,
            "datacontenttype: \"json\" is not an RFC 2046 media type: expected '/' at the end (e.g. application/json)"
        );
    }

    #[test]
    fn accepts_a_subject_and_rejects_an_empty_one() {
        assert!(check(event_with(json!({"subject": "orders/42"}))).is_ok());
        assert_eq!(errors(event_with(json!({"subject": ""})))[0].1, "subject: must not be empty");
    }

    #[test]
    fn drops_null_optional_attributes_and_keeps_null_data() {
        let validated =
            check(event_with(json!({"subject": null, "comexample": null, "data": null}))).unwrap();
        let event = attributes(&validated.event);
        assert!(!event.contains_key("subject") && !event.contains_key("comexample"));
        assert_eq!(validated.event.data().and_then(Data::json), Some("null"));
    }

    #[test]
    fn accepts_lowercase_alphanumeric_extension_names_only() {
        assert!(check(event_with(json!({"comexample1": "x", "42": "y"}))).is_ok());
        assert_eq!(
            error_attributes(event_with(json!({"Data": 1, "MyExt": "z", "ext_1": "y", "my-ext": "x"}))),
            ["Data", "MyExt", "ext_1", "my-ext"]
        );
        assert_eq!(
            errors(event_with(json!({"my-ext": "x"})))[0].1,
            "\"my-ext\" is not a valid attribute name: names are lower-case ASCII letters and digits ([a-z0-9]+)"
        );
    }

    #[test]
    fn warns_on_attribute_names_that_start_with_a_digit() {
        let validated = check(event_with(json!({"42": "y", "x42": "z"}))).unwrap();
        let rules: Vec<_> =
            validated.warnings.iter().map(|w| (w.rule.as_str(), w.attribute.as_deref())).collect();
        assert_eq!(rules, [("name-letter", Some("42"))]);
    }

    #[test]
    fn every_warning_names_a_known_rule() {
        let validated = check(event_with(json!({
            "source": "/relative", "type": "unprefixed", "abcdefghijklmnopqrstu": 1,
            "datacontenttype": "text/plain", "data": {"not": "a string"}
        })))
        .unwrap();
        let rules: Vec<_> = validated.warnings.iter().map(|w| w.rule.as_str()).collect();
        assert_eq!(rules, ["source-absolute", "type-prefix", "name-length", "data-string"]);
        assert!(rules.iter().all(|id| super::super::lint::Rule::parse(id).is_some()));
    }

    #[test]
    fn warns_on_attribute_names_longer_than_20_characters() {
        assert!(warnings(event_with(json!({"abcdefghijklmnopqrst": 1}))).is_empty());
        assert_eq!(
            warnings(event_with(json!({"abcdefghijklmnopqrstu": 1}))),
            [(
                "abcdefghijklmnopqrstu".into(),
                "abcdefghijklmnopqrstu: attribute names SHOULD NOT exceed 20 characters; this one has 21"
                    .into()
            )]
        );
    }

    #[test]
    fn accepts_string_boolean_and_32_bit_integer_extension_values() {
        let values = json!({"s": "x", "b": false, "min": i32::MIN, "max": i32::MAX});
        let validated = check(event_with(values.clone())).unwrap();
        for (name, value) in values.as_object().unwrap() {
            assert_eq!(validated.event.attribute(name), Some(value));
        }
    }

    #[test]
    fn rejects_float_extension_values() {
        assert_eq!(
            errors(event_with(json!({"ratio": 1.0})))[0].1,
            "ratio: 1.0 is not an integer; extension values are strings, booleans or 32-bit integers (no floats)"
        );
    }

    #[test]
    fn rejects_integers_outside_the_32_bit_range() {
        let big = i64::from(i32::MAX) + 1;
        assert_eq!(
            error_attributes(event_with(
                json!({"big": big, "huge": u64::MAX, "small": i64::from(i32::MIN) - 1})
            )),
            ["big", "huge", "small"]
        );
        assert_eq!(
            errors(event_with(json!({"big": big})))[0].1,
            "big: 2147483648 is outside the 32-bit integer range -2147483648..=2147483647"
        );
    }

    #[test]
    fn rejects_object_and_array_extension_values() {
        assert_eq!(error_attributes(event_with(json!({"arr": [1], "obj": {"a": 1}}))), ["arr", "obj"]);
    }

    #[test]
    fn rejects_control_characters_and_noncharacters_in_strings() {
        assert!(check(event_with(json!({"subject": "ünïcødé ✓ \" % 😀"}))).is_ok());
        assert_eq!(
            errors(event_with(json!({"subject": "a\nb"})))[0].1,
            "subject: contains U+000A, a control character, at position 1; CloudEvents strings exclude it"
        );
        assert_eq!(
            error_attributes(event_with(json!({"id": "\u{7f}", "ext": "\u{9f}", "other": "\u{fffe}"}))),
            ["id", "ext", "other"]
        );
    }

    #[test]
    fn accepts_data_base64_and_rejects_it_beside_data_or_malformed() {
        assert!(check(event_with(json!({"data_base64": "aGVsbG8="}))).is_ok());
        assert!(check(event_with(json!({"data": {"a": 1}, "data_base64": null}))).is_ok());
        assert_eq!(
            error_attributes(event_with(json!({"data": 1, "data_base64": "aGVsbG8="}))),
            ["data_base64"]
        );
        assert_eq!(error_attributes(event_with(json!({"data_base64": "aGVsbG8"}))), ["data_base64"]);
        assert_eq!(error_attributes(event_with(json!({"data_base64": "a b="}))), ["data_base64"]);
        assert_eq!(error_attributes(event_with(json!({"data_base64": 12}))), ["data_base64"]);
    }

    #[test]
    fn warns_on_non_string_data_with_a_non_json_content_type() {
        assert!(warnings(event_with(json!({"datacontenttype": "text/plain", "data": "hi"}))).is_empty());
        assert!(
            warnings(event_with(json!({"datacontenttype": "application/cloudevents+json", "data": {}})))
                .is_empty()
        );
        assert_eq!(
            warnings(event_with(json!({"datacontenttype": "text/plain", "data": {"a": 1}}))),
            [(
                "data".into(),
                "data: datacontenttype text/plain is not JSON, so data SHOULD be a string (JSON format §3.1.2); got an object"
                    .into()
            )]
        );
    }

    #[test]
    fn warns_when_type_has_no_reverse_dns_prefix() {
        assert!(warnings(event_with(json!({"type": "io.github.order-created"}))).is_empty());
        assert_eq!(error_attributes(event_with(json!({"type": 7}))), ["type"]);
        assert_eq!(warnings(event_with(json!({"type": "OrderCreated"})))[0].0, "type");
        assert_eq!(warnings(event_with(json!({"type": "order."})))[0].0, "type");
    }

    #[test]
    fn cuts_long_values_in_messages() {
        let long = "x".repeat(200);
        let message = &errors(event_with(json!({"time": long})))[0].1;
        assert!(message.starts_with(&format!("time: \"{}…\" is not", "x".repeat(80))), "{message}");
    }

    #[test]
    fn reports_all_broken_rules_of_one_event() {
        let broken = json!({
            "specversion": "1.0", "id": "", "source": "a b", "type": "com.example.t",
            "time": "now", "myext": 1.5, "data": 1, "data_base64": "AA==",
        });
        assert_eq!(error_attributes(broken), ["id", "source", "time", "myext", "data_base64"]);
    }
}
