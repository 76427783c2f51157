//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::collections::BTreeMap;

pub use cesql::{ErrorKind, Expression, Value};

/// An event with the required attributes and the given extras.
pub fn event(extra: &[(&str, Value)]) -> BTreeMap<String, Value> {
    let mut map: BTreeMap<String, Value> = [
        ("specversion", Value::from("1.0")),
        ("id", Value::from("e-1")),
        ("source", Value::from("/orders")),
        ("type", Value::from("com.example.order.created")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    for (k, v) in extra {
        map.insert((*k).to_owned(), v.clone());
    }
    map
}

/// Value and error kinds of `text` against `ev`; panics when `text` does not parse.
pub fn eval_on(text: &str, ev: &BTreeMap<String, Value>) -> (Value, Vec<ErrorKind>) {
    let expr = Expression::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
    let out = expr.evaluate(ev);
    (out.value, out.errors.iter().map(|e| e.kind).collect())
}

/// Value and error kinds of `text` against the default event.
pub fn eval(text: &str) -> (Value, Vec<ErrorKind>) {
    eval_on(text, &event(&[]))
}

/// Asserts `text` evaluates to `want` without errors.
#[track_caller]
pub fn ok(text: &str, want: impl Into<Value>) {
    assert_eq!(eval(text), (want.into(), vec![]), "{text}");
}

/// Asserts `text` evaluates to `want` with exactly the error kinds `kinds`.
#[track_caller]
pub fn fails(text: &str, want: impl Into<Value>, kinds: &[ErrorKind]) {
    assert_eq!(eval(text), (want.into(), kinds.to_vec()), "{text}");
}

/// The position and message of the parse error of `text`.
#[track_caller]
pub fn parse_error(text: &str) -> (usize, String) {
    let e = Expression::parse(text).expect_err(text);
    (e.position, e.message)
}
