//! CESQL (DESIGN §10) over stored events: the one adapter that lets the `cesql` engine read a
//! [`CloudEvent`], shared by the server's `?filter=`, the Trigger dry-run and the page's filter bar.

use crate::core::cloudevent::{CloudEvent, Value};
use cesql::Attribute;
use std::borrow::Cow;

pub use cesql::{ErrorKind, EvalError, Evaluation, Expression, ParseError};

/// Attributes by the CloudEvents type system: every context attribute and extension under the name
/// the event was stored with (a 0.3 event's `schemaurl` and `datacontentencoding` as they are),
/// strings borrowed, so matching a history allocates nothing per attribute read. `data` is not an
/// attribute. Validation admits only strings, booleans and 32-bit integers, so nothing else occurs.
impl cesql::Event for CloudEvent {
    fn attribute(&self, name: &str) -> Option<Attribute<'_>> {
        match CloudEvent::attribute(self, name)? {
            Value::String(text) => Some(Attribute::String(Cow::Borrowed(text))),
            Value::Bool(flag) => Some(Attribute::Boolean(*flag)),
            Value::Number(number) => {
                number.as_i64().and_then(|n| i32::try_from(n).ok()).map(Attribute::Integer)
            }
            _ => None,
        }
    }
}

/// What a filter asks of an event beyond its patterns: a compiled expression. Held as a trait
/// object so the page can load the engine's evaluator with the parser, on first use (a `#[lazy]`
/// function makes the object, and nothing on the first page calls the engine directly).
pub trait EventPredicate: Send + Sync + std::fmt::Debug {
    /// Whether `event` passes: CESQL filter semantics, `true` without errors.
    fn matches(&self, event: &CloudEvent) -> bool;
}

impl EventPredicate for Expression {
    fn matches(&self, event: &CloudEvent) -> bool {
        Expression::matches(self, event)
    }
}

/// `text` compiled for a filter: `None` when empty.
pub fn compile_optional(text: &str) -> Result<Option<std::sync::Arc<dyn EventPredicate>>, ParseError> {
    Ok(parse_optional(Some(text))?.map(|expression| std::sync::Arc::new(expression) as _))
}

/// `?filter=`'s text: `None` when empty (no filter), else the parsed expression.
pub fn parse_optional(text: Option<&str>) -> Result<Option<Expression>, ParseError> {
    match text {
        None => Ok(None),
        Some(text) if text.trim().is_empty() => Ok(None),
        // Parsed as sent, so error positions count from the start of what the client wrote.
        Some(text) => Expression::parse(text).map(Some),
    }
}

/// The attribute's value as text, as Knative's `exact`, `prefix` and `suffix` dialects compare it:
/// a string as is, a boolean or integer as written.
pub fn attribute_text<'a>(event: &'a CloudEvent, name: &str) -> Option<Cow<'a, str>> {
    match <CloudEvent as cesql::Event>::attribute(event, name)? {
        Attribute::String(text) => Some(text),
        Attribute::Boolean(flag) => Some(Cow::Borrowed(if flag { "true" } else { "false" })),
        Attribute::Integer(n) => Some(Cow::Owned(n.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// What the engine reads for `name`, written out: `s:text` (borrowed), `S:text` (owned),
    /// `i:11`, `b:true`.
    fn read(event: &CloudEvent, name: &str) -> Option<String> {
        Some(match <CloudEvent as cesql::Event>::attribute(event, name)? {
            Attribute::String(Cow::Borrowed(text)) => format!("s:{text}"),
            Attribute::String(Cow::Owned(text)) => format!("S:{text}"),
            Attribute::Integer(n) => format!("i:{n}"),
            Attribute::Boolean(flag) => format!("b:{flag}"),
        })
    }

    fn event(value: serde_json::Value) -> CloudEvent {
        CloudEvent::from_value(value).unwrap().event
    }

    #[test]
    fn reads_context_attributes_and_extensions_by_their_types() {
        let e = event(json!({
            "specversion": "1.0", "id": "a1", "source": "/orders", "type": "t.created",
            "subject": "42", "time": "2026-11-26T12:34:56Z", "seq": 11, "urgent": true, "region": "eu",
            "datacontenttype": "application/json", "data": {"x": 1}
        }));
        assert_eq!(read(&e, "id").as_deref(), Some("s:a1"));
        assert_eq!(read(&e, "specversion").as_deref(), Some("s:1.0"));
        assert_eq!(read(&e, "subject").as_deref(), Some("s:42"));
        assert_eq!(read(&e, "time").as_deref(), Some("s:2026-11-26T12:34:56Z"));
        assert_eq!(read(&e, "seq").as_deref(), Some("i:11"));
        assert_eq!(read(&e, "urgent").as_deref(), Some("b:true"));
        assert_eq!(read(&e, "region").as_deref(), Some("s:eu"));
        assert_eq!(read(&e, "data"), None, "data is not an attribute");
        assert_eq!(read(&e, "dataschema"), None);
    }

    #[test]
    fn reads_0_3_attributes_under_their_own_names() {
        let e = event(json!({
            "specversion": "0.3", "id": "a", "source": "/s", "type": "t",
            "schemaurl": "https://example.com/s.json", "datacontenttype": "application/octet-stream",
            "datacontentencoding": "base64", "data": "AAEC"
        }));
        assert_eq!(read(&e, "schemaurl").as_deref(), Some("s:https://example.com/s.json"));
        assert_eq!(read(&e, "datacontentencoding").as_deref(), Some("s:base64"));
        assert_eq!(read(&e, "dataschema"), None, "stored names only");
    }

    #[test]
    fn extreme_integers_stay_integers() {
        let e = event(json!({"specversion": "1.0", "id": "a", "source": "/s", "type": "t",
            "low": -2147483648i64, "high": 2147483647}));
        assert_eq!(read(&e, "low").as_deref(), Some("i:-2147483648"));
        assert_eq!(read(&e, "high").as_deref(), Some("i:2147483647"));
    }

    #[test]
    fn texts_of_attributes_are_as_written() {
        let e =
            event(json!({"specversion": "1.0", "id": "a", "source": "/s", "type": "t", "n": -5, "b": false}));
        assert_eq!(attribute_text(&e, "n").as_deref(), Some("-5"));
        assert_eq!(attribute_text(&e, "b").as_deref(), Some("false"));
        assert_eq!(attribute_text(&e, "type").as_deref(), Some("t"));
        assert_eq!(attribute_text(&e, "missing"), None);
    }

    #[test]
    fn an_empty_filter_is_no_filter() {
        assert!(parse_optional(None).unwrap().is_none());
        assert!(parse_optional(Some("")).unwrap().is_none());
        assert!(parse_optional(Some("  ")).unwrap().is_none());
    }
}
