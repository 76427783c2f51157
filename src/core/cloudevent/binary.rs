//! Binary content mode (HTTP binding §3.1): `ce-*` headers and `Content-Type` to attributes and the
//! body to data, checked by the shared rules; and the same mapping back for sending an event.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use percent_encoding::{AsciiSet, CONTROLS, percent_decode, utf8_percent_encode};
use serde_json::Value;
use std::borrow::Cow;

use super::data::Data;
use super::json::{self, JsonError};
use super::lint::Rule;
use super::media_type::{self, DataKind};
use super::validate::{self, Origin, Report};
use super::{CloudEvent, DecodeError, Name, STANDARD_ATTRIBUTES, Validated};

/// Decodes a binary-mode request: every `ce-<name>` header (name in any case) is attribute `<name>`
/// with its value decoded as §3.1.3.2 says and kept as a string, `Content-Type` is `datacontenttype`,
/// and the body is the data (none when empty): its JSON text for a JSON type, a string for a textual
/// one, bytes otherwise. Header problems and rule violations are all reported together; JSON
/// data that names a member twice is refused on its own, as [`DecodeError::DuplicateMember`].
pub fn decode_binary(headers: &[(&str, &[u8])], body: &[u8]) -> Result<Validated, DecodeError> {
    let mut report = Report::default();
    let mut members = attributes_from_headers(headers, &mut report);
    let content_type = content_type(headers, &mut report);
    if let Some(content_type) = content_type {
        members.push(("datacontenttype".into(), content_type.into()));
    }
    let data = if body.is_empty() { None } else { data_from_body(content_type, body, &mut report)? };
    validate::validate(members, data, Origin::Binary, report).map_err(DecodeError::Invalid)
}

/// The attributes of the `ce-*` headers, as strings (§3.1.3), in header order and each once: a
/// value that fails to decode is reported and left out; so is a second header for the same
/// attribute. A list, not a map: the rules take each attribute out once, by name.
fn attributes_from_headers(headers: &[(&str, &[u8])], r: &mut Report) -> Vec<(Name, Value)> {
    let mut members = Vec::with_capacity(headers.len());
    // Names as sent (the HTTP stack lower-cases them), compared ignoring case: no copy per header.
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for (name, raw) in headers {
        let Some(prefix) = name.get(..3).filter(|prefix| prefix.eq_ignore_ascii_case("ce-")) else {
            continue;
        };
        let sent = &name[prefix.len()..];
        if let Some((_, count)) = counts.iter_mut().find(|(seen, _)| seen.eq_ignore_ascii_case(sent)) {
            *count += 1;
            continue;
        }
        counts.push((sent, 1));
        let attribute = match STANDARD_ATTRIBUTES.iter().find(|name| name.eq_ignore_ascii_case(sent)) {
            Some(name) => Name::Borrowed(name),
            None => Name::Owned(sent.to_ascii_lowercase()),
        };
        match attribute.as_ref() {
            "datacontenttype" => r.error(
                "ce-datacontenttype",
                "ce-datacontenttype: not allowed in binary mode, where Content-Type carries datacontenttype \
                 (HTTP binding §3.1.1)"
                    .into(),
            ),
            "data" | "data_base64" => {
                let why = validate::name_problem(&attribute).unwrap_or_default();
                r.error(&attribute, format!("ce-{attribute}: {why}"));
            }
            _ => match header_value(raw) {
                Ok(value) => members.push((attribute, value.into())),
                Err(why) => r.error(&attribute, format!("{attribute}: header ce-{attribute}: {why}")),
            },
        }
    }
    for (sent, count) in counts.iter().filter(|(_, count)| *count > 1) {
        let attribute = sent.to_ascii_lowercase();
        let message = format!(
            "{attribute}: {count} ce-{attribute} headers; an attribute maps to exactly one header (HTTP binding §3.1.3)"
        );
        r.error(&attribute, message);
    }
    members
}

/// The one `Content-Type` header, which carries `datacontenttype` in binary mode (§3.1.1).
fn content_type<'a>(headers: &[(&str, &'a [u8])], r: &mut Report) -> Option<&'a str> {
    let mut values = headers.iter().filter(|(name, _)| name.eq_ignore_ascii_case("content-type"));
    let first = values.next()?;
    let extra = values.count();
    if extra > 0 {
        r.error(
            "datacontenttype",
            format!("datacontenttype: {} Content-Type headers; expected one", extra + 1),
        );
    }
    let content_type = std::str::from_utf8(first.1.trim_ascii());
    if content_type.is_err() {
        r.error("datacontenttype", "datacontenttype: the Content-Type header is not valid UTF-8".into());
    }
    content_type.ok()
}

/// The data of a non-empty body, by media type (JSON format §3.1). With no Content-Type a JSON
/// body stays JSON, the JSON format's default type; any other body is kept as bytes. JSON data is
/// checked strictly (a member named twice, at any depth, refuses the event) and kept as its text.
fn data_from_body(
    content_type: Option<&str>,
    body: &[u8],
    r: &mut Report,
) -> Result<Option<Data>, DecodeError> {
    let base64 = || Data::Base64(STANDARD.encode(body));
    let duplicate = |path: json::JsonPath| DecodeError::DuplicateMember {
        index: None,
        path: path.under("data").to_string(),
    };
    // Strict JSON is UTF-8 (RFC 8259 §8.1), so its text is the body's.
    let json = || match json::check_strict(body) {
        Ok(_) => Ok(std::str::from_utf8(body).map(Data::from_json_text).map_err(|e| e.to_string())),
        Err(JsonError::DuplicateMember(path)) => Err(duplicate(path)),
        Err(JsonError::Malformed(why)) => Ok(Err(why)),
    };
    let Some(content_type) = content_type else {
        let (data, kept) = match json()? {
            Ok(data) => (data, "read as JSON"),
            Err(_) => (base64(), "kept as data_base64"),
        };
        let message = format!(
            "datacontenttype: no Content-Type header for a non-empty body (RFC 9110 §8.3: a sender SHOULD send one); \
             the body is {kept}"
        );
        r.warn(Rule::ContentType, "datacontenttype", message);
        return Ok(Some(data));
    };
    // A malformed media type is reported by the attribute rules; its body is opaque bytes.
    let Ok(media_type) = media_type::parse(content_type) else { return Ok(Some(base64())) };
    Ok(match media_type.kind() {
        DataKind::Json => match json()? {
            Ok(data) => Some(data),
            Err(why) => {
                r.error(
                    "data",
                    format!(
                        "data: the body is not the JSON that Content-Type {content_type} declares: {why}"
                    ),
                );
                None
            }
        },
        DataKind::Text if media_type.is_utf8() => match std::str::from_utf8(body) {
            Ok(text) => Some(Data::from_text(text)),
            Err(_) => {
                let message = format!(
                    "data: the body is not the UTF-8 text that Content-Type {content_type} declares; kept as data_base64"
                );
                r.warn(Rule::TextEncoding, "data", message);
                Some(base64())
            }
        },
        DataKind::Text | DataKind::Binary => Some(base64()),
    })
}

/// A `ce-*` header value decoded as HTTP binding §3.1.3.2 says: surrounding whitespace dropped, an RFC
/// 7230 §3.2.6 quoted-string unescaped, then one round of percent-decoding, which must give UTF-8.
/// Raw spaces and quotes, which senders of older spec versions put in, are kept as they are.
fn header_value(raw: &[u8]) -> Result<String, String> {
    let raw = raw.trim_ascii();
    let unquoted = unquote(raw);
    let text = unquoted.as_deref().unwrap_or(raw);
    // Most values hold no `%`: nothing to check or decode.
    let decoded: Cow<'_, [u8]> = match text.iter().position(|&b| b == b'%') {
        None => Cow::Borrowed(text),
        Some(first) => {
            // `percent_decode` keeps a stray `%` as it is; the binding has no such leniency.
            let hex = |at: usize| text.get(at).is_some_and(u8::is_ascii_hexdigit);
            if let Some(at) =
                (first..text.len()).find(|&at| text[at] == b'%' && !(hex(at + 1) && hex(at + 2)))
            {
                return Err(format!(
                    "'%' at position {at} is not followed by two hex digits (a literal % is sent as %25)"
                ));
            }
            percent_decode(text).into()
        }
    };
    String::from_utf8(decoded.into_owned()).map_err(|e| {
        format!(
            "the percent-decoded value is not valid UTF-8 (from byte {}), which the HTTP binding rejects",
            e.utf8_error().valid_up_to()
        )
    })
}

/// The content of `raw` if it is exactly one quoted-string, else `None`.
fn unquote(raw: &[u8]) -> Option<Vec<u8>> {
    media_type::quoted_string(raw, 0).and_then(|(content, end)| (end == raw.len()).then_some(content))
}

/// The headers `to_binary` puts first, in this order; the other attributes follow by name.
const HEADER_ORDER: [&str; 4] = ["ce-specversion", "ce-id", "ce-source", "ce-type"];

/// The binary-mode form of `event` (HTTP binding §3.1), for "copy as curl", the send form and tests:
/// `ce-*` headers with percent-encoded values (§3.1.3.2), `content-type` from `datacontenttype`, and
/// the data as body bytes, JSON data as its received text. JSON data without a `datacontenttype` is
/// sent as `application/json`, the type it implies (JSON format §3.1.2). A 0.3 event keeps its names
/// (`ce-schemaurl`); its `datacontentencoding` is not sent, as the body is the bytes themselves.
/// In this mode empty text or bytes read back as no data, and a `datacontenttype` that is itself a
/// CloudEvents media type reads back as structured mode.
pub fn to_binary(event: &CloudEvent) -> (Vec<(String, String)>, Vec<u8>) {
    let legacy = event.is_legacy();
    let mut headers: Vec<(String, String)> = event
        .attributes()
        .filter(|(name, _)| *name != "datacontenttype" && !(legacy && *name == "datacontentencoding"))
        .map(|(name, value)| {
            // Booleans and integers in their canonical form need no encoding.
            let encoded = match value {
                Value::String(s) => percent_encode(s),
                other => other.to_string(),
            };
            (format!("ce-{name}"), encoded)
        })
        .collect();
    headers
        .sort_by_key(|(name, _)| HEADER_ORDER.iter().position(|h| h == name).unwrap_or(HEADER_ORDER.len()));

    let as_text = media_type::kind_of(event.datacontenttype()) != DataKind::Json;
    let body = event.data().map(|data| data.body(as_text)).unwrap_or_default();
    let implied = matches!(event.data(), Some(Data::Json(_))).then_some("application/json");
    if let Some(content_type) = event.datacontenttype().or(implied) {
        headers.push(("content-type".into(), content_type.into()));
    }
    (headers, body)
}

/// What §3.1.3.2 percent-encodes besides every non-ASCII byte: space, `"`, `%` and controls.
const HEADER_VALUE: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b'%');

/// Percent-encodes a `ce-*` header value (§3.1.3.2), in upper-case hex.
fn percent_encode(value: &str) -> String {
    utf8_percent_encode(value, HEADER_VALUE).to_string()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::{Map, json};

    use super::super::{Limits, Mode, STANDARD_ATTRIBUTES, ValidationError, Warning, decode};
    use super::*;

    const BASE: [(&str, &[u8]); 4] = [
        ("ce-specversion", b"1.0"),
        ("ce-id", b"1"),
        ("ce-source", b"https://example.com/orders"),
        ("ce-type", b"com.example.created"),
    ];

    /// Decodes the base headers plus `extra`, with `body`.
    fn binary(extra: &[(&str, &[u8])], body: &[u8]) -> Result<Validated, DecodeError> {
        let headers: Vec<(&str, &[u8])> = BASE.iter().chain(extra).copied().collect();
        decode_binary(&headers, body)
    }

    /// The event as its JSON object, data parsed.
    fn decoded(extra: &[(&str, &[u8])], body: &[u8]) -> Map<String, Value> {
        match serde_json::to_value(binary(extra, body).expect("a valid binary event").event) {
            Ok(Value::Object(members)) => members,
            other => panic!("an event serializes as an object, got {other:?}"),
        }
    }

    fn invalid(extra: &[(&str, &[u8])], body: &[u8]) -> Vec<ValidationError> {
        match binary(extra, body) {
            Err(DecodeError::Invalid(errors)) => errors,
            other => panic!("expected an invalid event, got {other:?}"),
        }
    }

    fn attributes(errors: &[ValidationError]) -> Vec<&str> {
        errors.iter().map(|e| e.attribute.as_deref().unwrap_or_default()).collect()
    }

    #[test]
    fn maps_headers_case_insensitively_and_content_type_to_datacontenttype() {
        let headers: [(&str, &[u8]); 6] = [
            ("CE-SpecVersion", b"1.0"),
            ("Ce-Id", b"1"),
            ("ce-source", b"https://example.com/orders"),
            ("CE-TYPE", b"com.example.created"),
            ("Content-Type", b"application/json; charset=utf-8"),
            ("X-Other", b"ignored"),
        ];
        let validated = decode_binary(&headers, br#"{"total": 42}"#).unwrap();
        let expected = json!({
            "specversion": "1.0", "id": "1", "source": "https://example.com/orders", "type": "com.example.created",
            "datacontenttype": "application/json; charset=utf-8", "data": {"total": 42},
        });
        assert_eq!(serde_json::to_value(&validated.event).unwrap(), expected);
        assert!(validated.warnings.is_empty());
    }

    #[test]
    fn percent_decodes_header_values_exactly_once() {
        assert_eq!(header_value(b"Euro%20%E2%82%AC%20%F0%9F%98%80"), Ok("Euro € 😀".into()));
        assert_eq!(header_value(b"%2541"), Ok("%41".into()));
        assert_eq!(header_value(b"caf%c3%a9"), Ok("café".into()));
        assert_eq!(header_value(b"%41%42"), Ok("AB".into()));
    }

    #[test]
    fn unescapes_quoted_string_header_values_before_percent_decoding() {
        assert_eq!(header_value(br#""a \"b\" c""#), Ok(r#"a "b" c"#.into()));
        assert_eq!(header_value(br#""caf%C3%A9 \\ x""#), Ok(r"café \ x".into()));
        assert_eq!(header_value(br#""""#), Ok(String::new()));
    }

    #[test]
    fn tolerates_raw_spaces_and_quotes_in_header_values() {
        assert_eq!(header_value(b"  hello world  "), Ok("hello world".into()));
        assert_eq!(header_value(br#"say "hi""#), Ok(r#"say "hi""#.into()));
        assert_eq!(header_value(br#""open"#), Ok(r#""open"#.into()));
        assert_eq!(header_value(br#""a"b""#), Ok(r#""a"b""#.into()));
        assert_eq!(header_value(br#""ends with escape\""#), Ok(r#""ends with escape\""#.into()));
    }

    #[test]
    fn rejects_invalid_utf8_after_percent_decoding() {
        for raw in [&b"%C0%A0"[..], b"%FF", b"ok%E2%82", b"\"%C3\""] {
            assert!(header_value(raw).unwrap_err().contains("not valid UTF-8"), "{raw:?}");
        }
        let errors = invalid(&[("ce-subject", b"%C0%A0")], b"");
        assert_eq!(
            errors[0].message,
            "subject: header ce-subject: the percent-decoded value is not valid UTF-8 (from byte 0), which the HTTP binding rejects"
        );
    }

    #[test]
    fn rejects_a_percent_sign_without_two_hex_digits() {
        assert_eq!(
            header_value(b"100%"),
            Err("'%' at position 3 is not followed by two hex digits (a literal % is sent as %25)".into())
        );
        for raw in [&b"%4"[..], b"%zz", b"%+1", b"a%"] {
            assert!(header_value(raw).is_err(), "{raw:?}");
        }
    }

    #[test]
    fn does_not_report_a_required_attribute_missing_when_its_header_failed_to_decode() {
        let headers: [(&str, &[u8]); 4] = [
            ("ce-specversion", b"1.0"),
            ("ce-id", b"%"),
            ("ce-source", b"https://example.com/orders"),
            ("ce-type", b"com.example.created"),
        ];
        let Err(DecodeError::Invalid(errors)) = decode_binary(&headers, b"") else { panic!("invalid") };
        assert_eq!(attributes(&errors), ["id"]);
    }

    #[test]
    fn rejects_a_ce_datacontenttype_header() {
        let errors = invalid(&[("ce-datacontenttype", b"application/json")], b"");
        assert_eq!(attributes(&errors), ["ce-datacontenttype"]);
    }

    #[test]
    fn rejects_two_headers_for_one_attribute() {
        let errors = invalid(&[("ce-subject", b"a"), ("CE-Subject", b"b")], b"");
        assert_eq!(
            errors[0].message,
            "subject: 2 ce-subject headers; an attribute maps to exactly one header (HTTP binding §3.1.3)"
        );
        assert_eq!(attributes(&invalid(&[("ce-id", b"2")], b"")), ["id"]);
        let two_types = [("Content-Type", &b"text/plain"[..]), ("content-type", b"text/html")];
        assert_eq!(attributes(&invalid(&two_types, b"")), ["datacontenttype"]);
    }

    #[test]
    fn keeps_binary_extension_values_as_strings() {
        let event = decoded(&[("ce-count", b"5"), ("ce-flag", b"true"), ("ce-empty", b"")], b"");
        assert_eq!(
            (&event["count"], &event["flag"], &event["empty"]),
            (&json!("5"), &json!("true"), &json!(""))
        );
    }

    #[test]
    fn rejects_extension_headers_with_invalid_names() {
        let errors = invalid(&[("ce-", b"z"), ("ce-data", b"y"), ("ce-my-ext", b"x")], b"");
        assert_eq!(attributes(&errors), ["data", "", "my-ext"]);
        assert_eq!(
            errors[0].message,
            "ce-data: \"data\" is reserved for the event data and cannot be an attribute name"
        );
    }

    #[test]
    fn reads_an_empty_body_as_no_data() {
        let event = decoded(&[("content-type", b"application/json")], b"");
        assert_eq!(event.get("data"), None);
        assert_eq!(event["datacontenttype"], "application/json");
    }

    #[test]
    fn rejects_a_json_content_type_with_a_body_that_is_not_json() {
        let errors = invalid(&[("content-type", b"application/cloudevents+json")], b"{oops");
        assert_eq!(attributes(&errors), ["data"]);
        assert!(
            errors[0].message.starts_with("data: the body is not the JSON that Content-Type"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn refuses_json_data_that_names_a_member_twice() {
        let body = br#"{"items": [{"sku": 1}, {"sku": 2, "sku": 3}]}"#;
        for content_type in [&b"application/json"[..], b"application/vnd.example+json; charset=utf-8"] {
            assert_eq!(
                binary(&[("content-type", content_type)], body).map(|_| ()),
                Err(DecodeError::DuplicateMember { index: None, path: "data.items[1].sku".into() })
            );
        }
        assert_eq!(
            binary(&[], br#"{"a": 1, "a": 2}"#).map(|_| ()),
            Err(DecodeError::DuplicateMember { index: None, path: "data.a".into() }),
            "without a Content-Type a JSON body is read as JSON, strictly"
        );
        let text = decoded(&[("content-type", b"text/plain")], br#"{"a": 1, "a": 2}"#);
        assert_eq!(text["data"], r#"{"a": 1, "a": 2}"#, "text is not parsed");
    }

    #[test]
    fn keeps_textual_bodies_as_strings() {
        assert_eq!(decoded(&[("content-type", b"text/plain")], b"hello\nworld")["data"], "hello\nworld");
        assert_eq!(decoded(&[("content-type", b"application/xml")], b"<a/>")["data"], "<a/>");
        assert_eq!(decoded(&[("content-type", b"text/json")], b"\"s\"")["data"], "s");
    }

    #[test]
    fn keeps_binary_bodies_as_base64() {
        let event = decoded(&[("content-type", b"image/png")], &[0x89, b'P', b'N', b'G', 0, 0xff]);
        assert_eq!(event["data_base64"], "iVBORwD/");
        assert_eq!(event.get("data"), None);
        let latin1 = decoded(&[("content-type", b"text/plain; charset=iso-8859-1")], b"caf\xe9");
        assert_eq!(latin1["data_base64"], "Y2Fm6Q==");
    }

    #[test]
    fn keeps_text_that_is_not_utf8_as_base64_with_a_warning() {
        let validated = binary(&[("content-type", b"text/plain")], b"caf\xe9").unwrap();
        assert_eq!(validated.event.data().and_then(Data::base64), Some("Y2Fm6Q=="));
        assert_eq!(validated.warnings[0].attribute.as_deref(), Some("data"));
    }

    #[test]
    fn reads_a_body_without_content_type_as_json_or_base64_with_a_warning() {
        let json_body = binary(&[], b"[1, 2]").unwrap();
        assert_eq!(json_body.event.data().and_then(Data::json), Some("[1,2]"));
        assert_eq!(json_body.event.datacontenttype(), None);
        assert_eq!(
            json_body.warnings,
            [Warning {
                rule: "content-type".into(),
                attribute: Some("datacontenttype".into()),
                message: "datacontenttype: no Content-Type header for a non-empty body (RFC 9110 §8.3: a sender SHOULD \
                          send one); the body is read as JSON"
                    .into()
            }]
        );
        let opaque = binary(&[], b"\x00\x01").unwrap();
        assert_eq!(opaque.event.data().and_then(Data::base64), Some("AAE="));
    }

    #[test]
    fn reports_header_and_attribute_problems_together() {
        let errors =
            invalid(&[("ce-subject", b"%zz"), ("ce-time", b"today"), ("content-type", b"json")], b"x");
        assert_eq!(attributes(&errors), ["subject", "datacontenttype", "time"]);
    }

    #[test]
    fn keeps_0_3_binary_header_names() {
        let headers: [(&str, &[u8]); 6] = [
            ("ce-specversion", b"0.3"),
            ("ce-id", b"1"),
            ("ce-source", b"/orders"),
            ("ce-type", b"com.example.created"),
            ("ce-schemaurl", b"https://example.com/schema"),
            ("ce-datacontentencoding", b"base64"),
        ];
        let validated = decode_binary(&headers, b"").unwrap();
        assert_eq!(validated.event.attribute("schemaurl"), Some(&json!("https://example.com/schema")));
        assert_eq!(validated.event.dataschema(), Some("https://example.com/schema"));
        assert_eq!(validated.event.attribute("dataschema"), None);
        assert_eq!(validated.event.attribute("datacontentencoding"), None, "ignored in binary mode");
        let warned: Vec<_> = validated.warnings.iter().filter_map(|w| w.attribute.as_deref()).collect();
        assert_eq!(warned, ["specversion", "source", "datacontentencoding"]);

        let with_bytes: Vec<(&str, &[u8])> =
            headers.iter().copied().chain([("content-type", &b"application/octet-stream"[..])]).collect();
        let event = decode_binary(&with_bytes, &[0, 1]).unwrap().event;
        let json: Value = serde_json::from_str(&event.to_json()).unwrap();
        assert_eq!((&json["datacontentencoding"], &json["data"]), (&json!("base64"), &json!("AAE=")));
        assert_eq!(json.get("data_base64"), None, "0.3 has no data_base64");
        assert_eq!(to_binary(&event).1, [0, 1]);
    }

    #[test]
    fn encodes_header_values_as_the_http_binding_example_shows() {
        assert_eq!(percent_encode("Euro € 😀"), "Euro%20%E2%82%AC%20%F0%9F%98%80");
        assert_eq!(percent_encode("100% \"sure\""), "100%25%20%22sure%22");
    }

    #[test]
    fn encodes_an_event_as_ordered_headers_and_body() {
        let event = CloudEvent::from_value(json!({
            "specversion": "1.0", "id": "1", "source": "/a", "type": "t", "count": 5, "ok": true,
            "datacontenttype": "text/plain", "data": "hi",
        }))
        .unwrap()
        .event;
        let (headers, body) = to_binary(&event);
        let names: Vec<_> = headers.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(
            names,
            ["ce-specversion", "ce-id", "ce-source", "ce-type", "ce-count", "ce-ok", "content-type"]
        );
        assert_eq!(headers[4].1, "5");
        assert_eq!(body, b"hi");
    }

    #[test]
    fn sends_json_data_without_datacontenttype_as_application_json() {
        let event = CloudEvent::from_value(
            json!({"specversion": "1.0", "id": "1", "source": "/a", "type": "t", "data": "s"}),
        )
        .unwrap()
        .event;
        let (headers, body) = to_binary(&event);
        assert_eq!(headers.last(), Some(&("content-type".into(), "application/json".into())));
        assert_eq!(body, b"\"s\"");
    }

    #[test]
    fn sends_0_3_bytes_as_raw_bytes_and_schemaurl_by_its_name() {
        let event = CloudEvent::from_value(json!({
            "specversion": "0.3", "id": "1", "source": "/a", "type": "t", "schemaurl": "s.json",
            "datacontenttype": "application/octet-stream", "datacontentencoding": "base64", "data": "AAE=",
        }))
        .unwrap()
        .event;
        let (headers, body) = to_binary(&event);
        assert!(headers.contains(&("ce-schemaurl".into(), "s.json".into())));
        assert!(!headers.iter().any(|(name, _)| name == "ce-datacontentencoding" || name == "ce-dataschema"));
        assert_eq!(body, [0, 1]);
    }

    #[test]
    fn keeps_a_json_body_as_its_text() {
        let body = b"{ \"n\" : 123456789012345678901234567890, \"z\": 1, \"a\": \"\\u00e9 \" }";
        let event = binary(&[("content-type", b"application/json")], body).unwrap().event;
        let data = r#"{"n":123456789012345678901234567890,"z":1,"a":"\u00e9 "}"#;
        assert_eq!(event.data().and_then(Data::json), Some(data));
        assert!(event.to_json().ends_with(&format!(r#""data":{data}}}"#)));
        assert_eq!(to_binary(&event).1, data.as_bytes(), "sent back as received, compacted");
    }

    fn text(min: usize) -> impl Strategy<Value = String> {
        let regex = |pattern: String| proptest::string::string_regex(&pattern).expect("a valid regex");
        prop_oneof![regex(format!("\\PC{{{min},24}}")), regex(format!("[%\"\\\\ a-zé€😀]{{{min},12}}"))]
    }

    fn source() -> BoxedStrategy<String> {
        let piece = prop_oneof!["[a-zA-Z0-9._~!$&'()*+,;=:@/-]", "%[0-9A-Fa-f]{2}"];
        let prefix = prop_oneof![Just("https://example.com/"), Just("/sensors/"), Just("urn:example:")];
        (prefix, prop::collection::vec(piece, 0..8))
            .prop_map(|(prefix, path)| prefix.to_owned() + &path.concat())
            .boxed()
    }

    fn json_data() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            text(0).prop_map(Value::from)
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(text(0), inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// `(datacontenttype, member, value)` for data of each kind; text and bytes are non-empty, since
    /// an empty body means no data. Bytes are `data_base64`, renamed for 0.3 below.
    fn data() -> impl Strategy<Value = Option<(&'static str, &'static str, Value)>> {
        prop_oneof![
            Just(None),
            json_data().prop_map(|json| Some(("application/json", "data", json))),
            "[\\PC\n\t]{1,40}".prop_map(|text| Some((
                "text/plain; charset=utf-8",
                "data",
                Value::from(text)
            ))),
            prop::collection::vec(any::<u8>(), 1..48).prop_map(|bytes| Some((
                "application/octet-stream",
                "data_base64",
                STANDARD.encode(bytes).into()
            ))),
        ]
    }

    fn valid_event() -> impl Strategy<Value = Value> {
        let extension_name = "[a-z0-9]{1,24}".prop_filter("not a standard attribute", |name: &String| {
            !STANDARD_ATTRIBUTES.contains(&name.as_str())
                && !["data", "schemaurl", "datacontentencoding"].contains(&name.as_str())
        });
        let time = (1970..2100u32, 1..=12u32, 1..=28u32, 0..24u32, 0..60u32, 0..=60u32)
            .prop_map(|(y, mo, d, h, mi, s)| format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.5+01:00"));
        (
            (prop_oneof![Just("1.0"), Just("0.3")], text(1), source(), text(1)),
            (proptest::option::of(text(1)), proptest::option::of(time), proptest::option::of("[a-z]{1,8}")),
            prop::collection::btree_map(extension_name, text(0), 0..4),
            data(),
        )
            .prop_map(
                |((specversion, id, source, ty), (subject, time, schema), extensions, data)| {
                    let mut event =
                        json!({"specversion": specversion, "id": id, "source": source, "type": ty});
                    let legacy = specversion == "0.3";
                    let optional = [
                        ("subject", subject),
                        ("time", time),
                        (
                            if legacy { "schemaurl" } else { "dataschema" },
                            schema.map(|s| format!("https://example.com/{s}")),
                        ),
                    ];
                    for (name, value) in optional {
                        if let Some(value) = value {
                            event[name] = value.into();
                        }
                    }
                    for (name, value) in extensions {
                        event[name] = value.into();
                    }
                    if let Some((content_type, member, value)) = data {
                        event["datacontenttype"] = content_type.into();
                        if legacy && member == "data_base64" {
                            event["datacontentencoding"] = "base64".into();
                            event["data"] = value;
                        } else {
                            event[member] = value;
                        }
                    }
                    event
                },
            )
    }

    proptest! {
        #[test]
        fn binary_encoding_decodes_back_to_the_same_event(value in valid_event()) {
            let original = CloudEvent::from_value(value).expect("generated events are valid").event;
            let (headers, body) = to_binary(&original);
            let headers: Vec<(&str, &[u8])> = headers.iter().map(|(name, value)| (name.as_str(), value.as_bytes())).collect();
            let (mode, events) = decode(&headers, &body, &Limits::default()).expect("decodes");
            prop_assert_eq!(mode, Mode::Binary);
            prop_assert_eq!(events.len(), 1);
            prop_assert_eq!(&events[0].event, &original);
        }
    }
}
