//! Event data kept exactly as received (DESIGN §2): JSON data as its own text, compacted to one
//! line, never re-encoded through a parse; bytes as base64. No I/O.

use std::borrow::Cow;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::value::RawValue;

/// The data of an event.
#[derive(Clone)]
pub enum Data {
    /// `data` as the JSON text that arrived (compacted): numbers of any size and precision, member
    /// order and string escapes unchanged. Text data is a JSON string.
    Json(Box<RawValue>),
    /// Bytes, as base64: `data_base64` in 1.0, `data` beside `datacontentencoding: "base64"` in 0.3.
    Base64(String),
}

impl Data {
    /// `data` from JSON text already checked to be one JSON value; compacted to one line.
    pub(super) fn from_json_text(text: &str) -> Data {
        let raw = RawValue::from_string(compact(text).into_owned()).expect("the text is one JSON value");
        Data::Json(raw)
    }

    /// `data` from a value the parser already read: copied as it is when it is compact, without
    /// checking its text again.
    pub(super) fn from_raw(raw: &RawValue) -> Data {
        match compact(raw.get()) {
            Cow::Borrowed(_) => Data::Json(raw.to_owned()),
            Cow::Owned(text) => Data::Json(RawValue::from_string(text).expect("the text is one JSON value")),
        }
    }

    /// `data` holding `text` as a JSON string.
    pub(super) fn from_text(text: &str) -> Data {
        Data::from_json_text(&serde_json::to_string(text).expect("a string always serializes"))
    }

    /// The JSON text of `data`, one line, as received; `None` for bytes.
    pub fn json(&self) -> Option<&str> {
        match self {
            Data::Json(raw) => Some(raw.get()),
            Data::Base64(_) => None,
        }
    }

    /// The text when `data` is a JSON string (text data); `None` otherwise.
    pub fn text(&self) -> Option<String> {
        self.json().filter(|json| json.starts_with('"')).and_then(|json| serde_json::from_str(json).ok())
    }

    /// The base64 text of bytes data; `None` for JSON data.
    pub fn base64(&self) -> Option<&str> {
        match self {
            Data::Base64(encoded) => Some(encoded),
            Data::Json(_) => None,
        }
    }

    /// The data as the body of a binary-mode message: bytes decoded, a string as its text when
    /// `as_text` (a non-JSON media type), any other JSON as its text.
    pub fn body(&self, as_text: bool) -> Vec<u8> {
        match self {
            Data::Base64(encoded) => STANDARD.decode(encoded).unwrap_or_default(),
            Data::Json(raw) => match self.text().filter(|_| as_text) {
                Some(text) => text.into_bytes(),
                None => raw.get().as_bytes().to_vec(),
            },
        }
    }
}

/// Equal when the same JSON text or the same base64 text.
impl PartialEq for Data {
    fn eq(&self, other: &Data) -> bool {
        match (self, other) {
            (Data::Json(a), Data::Json(b)) => a.get() == b.get(),
            (Data::Base64(a), Data::Base64(b)) => a == b,
            _ => false,
        }
    }
}

impl fmt::Debug for Data {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Data::Json(raw) => f.debug_tuple("Json").field(&raw.get()).finish(),
            Data::Base64(encoded) => f.debug_tuple("Base64").field(encoded).finish(),
        }
    }
}

/// JSON text without the whitespace between tokens (RFC 8259 §2), so an event stays one line in
/// an SSE frame; strings, numbers and order are left as they are. `text` must be valid JSON.
pub fn compact(text: &str) -> Cow<'_, str> {
    let insignificant = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    if !text.bytes().any(insignificant) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut strings = Strings::default();
    for c in text.chars() {
        if !strings.inside(c) && c.is_ascii() && insignificant(c as u8) {
            continue;
        }
        out.push(c);
    }
    Cow::Owned(out)
}

/// Tracks whether a scan of JSON text is inside a string, escapes included.
#[derive(Default)]
struct Strings {
    in_string: bool,
    escaped: bool,
}

impl Strings {
    /// Whether `c`, the next character, belongs to a string (its quotes included).
    fn inside(&mut self, c: char) -> bool {
        if self.in_string {
            if self.escaped {
                self.escaped = false;
            } else if c == '\\' {
                self.escaped = true;
            } else if c == '"' {
                self.in_string = false;
            }
            true
        } else {
            self.in_string = c == '"';
            self.in_string
        }
    }
}

/// Compact JSON text indented by two spaces per level, token for token: unlike a parse and
/// re-encode, every number and escape reads as received. For the detail pane and the send form.
pub fn pretty(json: &str) -> String {
    let json = compact(json);
    let mut out = String::with_capacity(json.len() * 2);
    let mut depth = 0usize;
    let mut strings = Strings::default();
    let mut chars = json.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.extend(std::iter::repeat_n(' ', depth * 2));
    };
    while let Some(c) = chars.next() {
        if strings.inside(c) {
            out.push(c);
            continue;
        }
        match c {
            '{' | '[' => {
                out.push(c);
                if matches!(chars.peek(), Some('}' | ']')) {
                    out.extend(chars.next());
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compacts_whitespace_between_tokens_only() {
        let text = "{\n  \"a b\" : [ 1 , 2.50 ],\t\"c\":\"x\\\" y\\n\" ,\"d\" : \" \t \"\r\n}";
        assert_eq!(compact(text), r#"{"a b":[1,2.50],"c":"x\" y\n","d":" 	 "}"#);
        assert!(matches!(compact(r#"{"a":1}"#), Cow::Borrowed(_)), "compact text is not copied");
        assert_eq!(compact(r#"["\\", " "]"#), r#"["\\"," "]"#, "an escaped backslash ends no string");
    }

    #[test]
    fn a_parsed_value_is_kept_as_its_compact_text() {
        for text in [r#"{"a":[1,2.50],"b":"x y"}"#, "{ \"a\" : [ 1 , 2.50 ] ,\n \"b\" : \"x y\" }"] {
            let raw: &RawValue = serde_json::from_str(text).unwrap();
            assert_eq!(Data::from_raw(raw), Data::from_json_text(text), "{text}");
            assert_eq!(Data::from_raw(raw).json(), Some(r#"{"a":[1,2.50],"b":"x y"}"#));
        }
    }

    #[test]
    fn keeps_big_numbers_member_order_and_escapes() {
        let text =
            r#"{"z": 123456789012345678901234567890, "a": 1.000000000000000000001, "e": "caf\u00e9 \/"}"#;
        let data = Data::from_json_text(text);
        assert_eq!(
            data.json(),
            Some(r#"{"z":123456789012345678901234567890,"a":1.000000000000000000001,"e":"caf\u00e9 \/"}"#)
        );
        assert_eq!(Data::from_json_text(" -0.0e+00 ").json(), Some("-0.0e+00"));
    }

    #[test]
    fn reads_text_and_bytes() {
        let text = Data::from_text("line 1\nline \"2\"");
        assert_eq!(text.json(), Some(r#""line 1\nline \"2\"""#));
        assert_eq!(text.text().as_deref(), Some("line 1\nline \"2\""));
        assert_eq!(text.body(true), b"line 1\nline \"2\"");
        assert_eq!(text.body(false), br#""line 1\nline \"2\"""#);
        assert_eq!(Data::from_json_text("{}").text(), None);
        let bytes = Data::Base64("AAE=".into());
        assert_eq!((bytes.base64(), bytes.json(), bytes.body(true)), (Some("AAE="), None, vec![0, 1]));
    }

    #[test]
    fn pretty_prints_without_changing_a_number_or_an_escape() {
        let json = r#"{"n":123456789012345678901234567890,"f":0.10000000000000000001,"s":"a,b:{c}\"[","e":[],"o":{},"l":[1,{"x":null}]}"#;
        let expected = "{\n  \"n\": 123456789012345678901234567890,\n  \"f\": 0.10000000000000000001,\n  \
                        \"s\": \"a,b:{c}\\\"[\",\n  \"e\": [],\n  \"o\": {},\n  \"l\": [\n    1,\n    {\n      \
                        \"x\": null\n    }\n  ]\n}";
        assert_eq!(pretty(json), expected);
        assert_eq!(compact(&pretty(json)), json, "pretty text compacts back to the original");
        assert_eq!(pretty("42"), "42");
    }
}
