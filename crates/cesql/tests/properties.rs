//! Properties over generated input: nothing panics, canonical text reads back equal.

mod common;

use std::collections::BTreeMap;

use common::*;
use proptest::prelude::*;

/// Pieces of CESQL, so generated text reaches deep into the parser rather than failing at once.
fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "(",
            ")",
            ",",
            "+",
            "-",
            "*",
            "/",
            "%",
            "=",
            "!=",
            "<>",
            "<",
            "<=",
            ">",
            ">=",
            "AND",
            "or",
            "Xor",
            "NOT",
            "LIKE",
            "IN",
            "EXISTS",
            "TRUE",
            "false",
            "x",
            "id",
            "type",
            "n",
            "b",
            "missing",
            "LENGTH",
            "CONCAT",
            "CONCAT_WS",
            "LOWER",
            "UPPER",
            "TRIM",
            "LEFT",
            "RIGHT",
            "SUBSTRING",
            "ABS",
            "INT",
            "BOOL",
            "STRING",
            "NOPE",
            "0",
            "1",
            "-1",
            "2147483647",
            "2147483648",
            "'%a_'",
            "'\\%'",
            "''",
            "\"x\"",
            "'1'",
            "'true'",
            "'",
        ])
        .prop_map(str::to_owned),
        any::<i32>().prop_map(|i| i.to_string()),
        "[a-z%_\\\\']{0,6}".prop_map(|s| format!("'{}'", s.replace('\'', "''"))),
    ]
}

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(token(), 0..24).prop_map(|t| t.join(" "))
}

fn attribute_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<bool>().prop_map(Value::Boolean),
        any::<i32>().prop_map(Value::Integer),
        prop_oneof![Just(0), Just(1), Just(-1), Just(i32::MIN), Just(i32::MAX)].prop_map(Value::Integer),
        "(true|FALSE|[0-9]{1,3}|-?[0-9]{1,11}|[a-z%_]{0,5}| [0-9] |.{0,8})".prop_map(Value::String),
    ]
}

fn any_event() -> impl Strategy<Value = BTreeMap<String, Value>> {
    prop::collection::btree_map(
        prop::sample::select(vec!["x", "id", "type", "n", "b"]).prop_map(str::to_owned),
        attribute_value(),
        0..5,
    )
}

/// Evaluation and filtering agree, and neither panics.
fn check_evaluation(e: &Expression, ev: &BTreeMap<String, Value>) {
    let out = e.evaluate(ev);
    assert_eq!(e.matches(ev), out.errors.is_empty() && out.value == Value::Boolean(true));
    for err in &out.errors {
        assert!(!err.message.is_empty() && !err.message.ends_with('.'));
    }
}

fn check_round_trip(e: &Expression) {
    let text = e.to_string();
    let again = Expression::parse(&text).unwrap_or_else(|err| panic!("{text:?}: {err}"));
    assert_eq!(&again, e, "{text}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings_never_panic_the_parser(text in any::<String>()) {
        if let Err(e) = Expression::parse(&text) {
            prop_assert!(e.position <= text.chars().count());
        }
    }

    #[test]
    fn token_soup_parses_evaluates_and_reads_back(text in soup(), events in prop::collection::vec(any_event(), 1..4)) {
        match Expression::parse(&text) {
            Ok(e) => {
                check_round_trip(&e);
                for ev in &events {
                    check_evaluation(&e, ev);
                }
            }
            Err(err) => prop_assert!(err.position <= text.chars().count()),
        }
    }

    #[test]
    fn string_and_integer_literals_read_back(s in any::<String>(), i in any::<i32>()) {
        let quoted = format!("'{}'", s.replace('\\', "\\\\").replace('\'', "''"));
        let e = Expression::parse(&format!("{quoted} = {i}")).unwrap();
        check_round_trip(&e);
        prop_assert_eq!(Expression::parse(&quoted).unwrap().evaluate(&event(&[])).value, Value::String(s));
    }
}

#[test]
fn deep_and_long_inputs_are_parse_errors_not_crashes() {
    for text in [
        "(".repeat(100_000),
        "NOT ".repeat(100_000),
        "-".repeat(100_000) + "1",
        "1 + ".repeat(10_000) + "1",
        "f(".repeat(10_000),
        "x IN (".repeat(10_000),
    ] {
        assert!(Expression::parse(&text).is_err());
    }
    let wide = format!("x IN ({})", vec!["1"; 10_000].join(","));
    assert!(Expression::parse(&wide).is_ok());
}
