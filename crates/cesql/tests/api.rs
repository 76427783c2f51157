//! The public API: filtering, attribute lists, canonical text, errors, the optional features.

mod common;

use std::borrow::Cow;

use cesql::{Attribute, Event};
use common::*;

#[test]
fn matches_only_a_boolean_true_without_errors() {
    let ev = event(&[("n", Value::Integer(5))]);
    let m = |text: &str| Expression::parse(text).unwrap().matches(&ev);
    assert!(m("n > 4"));
    assert!(!m("n > 5"));
    assert!(!m("missing = 1 OR TRUE"), "an error means no match");
    assert!(!m("NOT 10"), "true with a cast error is no match");
    assert!(!m("n"), "an Integer is not a match");
    assert!(!m("'true'"), "a String is not a match");
    assert!(!m("UNKNOWN(n)"));
    assert!(m("TRUE OR missing = 1"), "the short-circuited operand is never read");
}

#[test]
fn evaluate_and_matches_agree() {
    let ev = event(&[("n", Value::Integer(5))]);
    for text in ["n > 4", "n = '5'", "n / 0 = 0", "x", "NOT x", "TRUE", "'a' LIKE 'a'", "BOOL(n)"] {
        let e = Expression::parse(text).unwrap();
        let out = e.evaluate(&ev);
        assert_eq!(e.matches(&ev), out.errors.is_empty() && out.value == Value::Boolean(true), "{text}");
    }
}

#[test]
fn attributes_lists_each_name_once_in_order() {
    let e: Expression =
        "Type LIKE 'a%' AND (EXISTS subject OR type IN (id, 'x')) AND LENGTH(Data1) > 0".parse().unwrap();
    assert_eq!(e.attributes().collect::<Vec<_>>(), ["type", "subject", "id", "data1"]);
    assert_eq!(Expression::parse("1 + 1").unwrap().attributes().count(), 0);
}

#[test]
fn canonical_text_reads_back_equal() {
    for (text, canon) in [
        ("a=1 and not b", "(a = 1) AND (NOT b)"),
        ("x not like 'it''s \\%'", r"x NOT LIKE 'it\'s \\%'"),
        ("-(5) - -5", "(-(5)) - -5"),
        ("concat_ws(',', 'a', b) in ('a,b')", "CONCAT_WS(',', 'a', b) IN ('a,b')"),
        ("\"x\\\\y\"", r"'x\\y'"),
        ("NOT exists X", "NOT EXISTS x"),
    ] {
        let e = Expression::parse(text).unwrap();
        assert_eq!(e.to_string(), canon, "{text}");
        assert_eq!(Expression::parse(canon).unwrap(), e, "{text}");
    }
}

#[test]
fn parse_errors_count_characters() {
    assert_eq!(parse_error("'é' = é"), (6, "unexpected character 'é'".into()));
    assert_eq!(
        parse_error("'ü' IN ('a'"),
        (11, "expected ',' or ')' after IN list, found end of expression".into())
    );
    let e = Expression::parse("1 +").unwrap_err();
    assert_eq!(e.to_string(), "expected an expression, found end of expression at position 3");
}

#[test]
fn parse_error_messages_are_lower_case_without_a_period() {
    for text in [
        "",
        "(",
        "1 +",
        "x LIKE 1",
        "x IN 1",
        "x IN ()",
        "x NOT 1",
        "a_b",
        "f(",
        "1 2",
        "!",
        "'x",
        "9999999999",
        "EXISTS",
    ] {
        let e = Expression::parse(text).unwrap_err();
        let first = e.message.chars().next().unwrap();
        assert!(!first.is_uppercase() && !e.message.ends_with('.'), "{text}: {}", e.message);
        assert!(e.position <= text.chars().count(), "{text}");
    }
}

/// An event that lends every attribute and counts nothing: `matches` must not need owned strings.
struct Borrowing<'s>(&'s [(&'s str, &'s str)]);

impl Event for Borrowing<'_> {
    fn attribute(&self, name: &str) -> Option<Attribute<'_>> {
        self.0.iter().find(|(k, _)| *k == name).map(|(_, v)| Attribute::String(Cow::Borrowed(*v)))
    }
}

#[test]
fn custom_events_lend_their_strings() {
    let ev = Borrowing(&[("type", "com.example.a"), ("seq", "12")]);
    let e = Expression::parse("type LIKE 'com.%' AND seq > 10 AND type IN ('x', 'com.example.a')").unwrap();
    assert!(e.matches(&ev));
    assert!(e.matches(&&ev), "references to events are events");
    let dyn_ev: &dyn Event = &ev;
    assert!(e.matches(dyn_ev));
}

#[cfg(feature = "json")]
#[test]
fn json_events() {
    let ev: serde_json::Value = serde_json::from_str(
        r#"{"specversion":"1.0","id":"1","source":"/s","type":"t","count":3,"urgent":true,"data":{"id":"x"}}"#,
    )
    .unwrap();
    let ev = ev.as_object().unwrap();
    let m = |text: &str| Expression::parse(text).unwrap().matches(ev);
    assert!(m("count = 3 AND urgent AND id = '1'"));
    assert!(!m("EXISTS data"));
    assert!(m("count + 1 = '4'"));
}

#[cfg(feature = "serde")]
#[test]
fn serde_shapes() {
    let out = Expression::parse("x + 1").unwrap().evaluate(&event(&[]));
    assert_eq!(
        serde_json::to_value(&out).unwrap(),
        serde_json::json!({"value": 0, "errors": [{"kind": "missingAttribute", "message": "missing attribute 'x'"}]})
    );
    let kinds = [
        (ErrorKind::Cast, "cast"),
        (ErrorKind::Math, "math"),
        (ErrorKind::MissingFunction, "missingFunction"),
        (ErrorKind::FunctionEvaluation, "functionEvaluation"),
        (ErrorKind::Generic, "generic"),
    ];
    for (kind, name) in kinds {
        assert_eq!(serde_json::to_value(kind).unwrap(), serde_json::json!(name));
    }
    assert_eq!(serde_json::to_value(Value::from("a")).unwrap(), serde_json::json!("a"));
    assert_eq!(serde_json::to_value(Value::Boolean(true)).unwrap(), serde_json::json!(true));
    let e = Expression::parse("(").unwrap_err();
    assert_eq!(
        serde_json::to_value(&e).unwrap(),
        serde_json::json!({"position": 1, "message": "expected an expression, found end of expression"})
    );
}

/// The example at the top of the README.
#[test]
fn readme_example() -> Result<(), cesql::ParseError> {
    use std::collections::HashMap;

    let filter: Expression = "type LIKE 'com.example.%' AND int(seq) > 10".parse()?;
    let event = HashMap::from([
        ("type".to_string(), Value::from("com.example.created")),
        ("seq".to_string(), Value::from("11")),
    ]);
    assert!(filter.matches(&event));
    let result = filter.evaluate(&event);
    assert_eq!(result.value, Value::Boolean(true));
    assert!(result.errors.is_empty());
    assert_eq!(filter.to_string(), "(type LIKE 'com.example.%') AND (INT(seq) > 10)");
    Ok(())
}
