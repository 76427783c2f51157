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

/// Text of a well-formed expression, so evaluation gets deep trees rather than parse errors.
fn expression() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        prop::sample::select(vec![
            "x", "id", "n", "b", "missing", "TRUE", "false", "0", "-1", "'1'", "'true'", "''"
        ])
        .prop_map(str::to_owned),
        any::<i32>().prop_map(|i| i.to_string()),
        "[a-c%_]{0,4}".prop_map(|s| format!("'{s}'")),
        prop::sample::select(vec!["x", "n", "missing"]).prop_map(|a| format!("EXISTS {a}")),
    ];
    leaf.prop_recursive(6, 64, 4, |inner| {
        prop_oneof![
            (
                inner.clone(),
                prop::sample::select(vec![
                    "+", "-", "*", "/", "%", "=", "!=", "<>", "<", "<=", ">", ">=", "AND", "OR", "XOR"
                ]),
                inner.clone()
            )
                .prop_map(|(l, op, r)| format!("({l}) {op} ({r})")),
            inner.clone().prop_map(|x| format!("NOT ({x})")),
            inner.clone().prop_map(|x| format!("-({x})")),
            (inner.clone(), any::<bool>(), "[a-c1%_\\\\]{0,5}").prop_map(|(x, not, p)| {
                format!("({x}) {}LIKE '{}'", if not { "NOT " } else { "" }, p.replace('\\', "\\\\"))
            }),
            (inner.clone(), any::<bool>(), prop::collection::vec(inner.clone(), 1..4)).prop_map(
                |(x, not, set)| format!("({x}) {}IN ({})", if not { "NOT " } else { "" }, set.join(", "))
            ),
            (
                prop::sample::select(vec![
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
                    "NOPE"
                ]),
                prop::collection::vec(inner, 0..4)
            )
                .prop_map(|(f, args)| format!("{f}({})", args.join(", "))),
        ]
    })
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
    fn generated_expressions_parse_evaluate_and_read_back(text in expression(), events in prop::collection::vec(any_event(), 1..4)) {
        let e = Expression::parse(&text).unwrap_or_else(|err| panic!("{text:?}: {err}"));
        check_round_trip(&e);
        for ev in &events {
            check_evaluation(&e, ev);
        }
    }

    /// The matcher against a plain recursive definition of LIKE.
    #[test]
    fn like_agrees_with_a_reference_matcher(text in "[ab%_\\\\]{0,8}", pattern in "[ab%_\\\\]{0,6}") {
        let expr = format!("'{}' LIKE '{}'", text.replace('\\', "\\\\"), pattern.replace('\\', "\\\\"));
        let got = Expression::parse(&expr).unwrap().evaluate(&event(&[])).value;
        let text: Vec<char> = text.chars().collect();
        prop_assert_eq!(got, Value::Boolean(reference_like(&text, &like_parts(&pattern))), "{}", expr);
    }

    #[test]
    fn string_and_integer_literals_read_back(s in any::<String>(), i in any::<i32>()) {
        let quoted = format!("'{}'", s.replace('\\', "\\\\").replace('\'', "''"));
        let e = Expression::parse(&format!("{quoted} = {i}")).unwrap();
        check_round_trip(&e);
        prop_assert_eq!(Expression::parse(&quoted).unwrap().evaluate(&event(&[])).value, Value::String(s));
    }
}

/// `None` is `%`, `Some(None)` is `_`, `Some(Some(c))` is the character `c`.
fn like_parts(pattern: &str) -> Vec<Option<Option<char>>> {
    let mut parts = Vec::new();
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        parts.push(match c {
            '%' => None,
            '_' => Some(None),
            '\\' if matches!(chars.peek(), Some('%' | '_' | '\\')) => Some(chars.next()),
            c => Some(Some(c)),
        });
    }
    parts
}

fn reference_like(text: &[char], parts: &[Option<Option<char>>]) -> bool {
    match parts.split_first() {
        None => text.is_empty(),
        Some((None, rest)) => (0..=text.len()).any(|skip| reference_like(&text[skip..], rest)),
        Some((Some(one), rest)) => match text.split_first() {
            Some((c, tail)) => one.is_none_or(|want| want == *c) && reference_like(tail, rest),
            None => false,
        },
    }
}

/// The deepest expressions the parser accepts parse, evaluate, print, read back and drop in a
/// quarter of the 1 MiB stack a wasm32 program gets by default (release builds; debug frames are
/// several times larger).
#[test]
fn the_deepest_expressions_fit_a_small_stack() {
    let depth = 127;
    let shapes = [
        format!("{}TRUE", "NOT ".repeat(depth)),
        format!("{}1{}", "(1 + ".repeat(depth), ")".repeat(depth)),
        format!("{}'a'{}", "LOWER(".repeat(depth), ")".repeat(depth)),
        format!("{}1{}", "1 IN (".repeat(depth), ")".repeat(depth)),
        vec!["x"; depth + 1].join(" OR "),
    ];
    std::thread::Builder::new()
        .stack_size(if cfg!(debug_assertions) { 4 << 20 } else { 256 << 10 })
        .spawn(move || {
            for text in shapes {
                let e = Expression::parse(&text).unwrap_or_else(|err| panic!("{}: {err}", &text[..20]));
                assert!(Expression::parse(&format!("NOT ({text})")).is_err(), "one level deeper is refused");
                check_round_trip(&e);
                check_evaluation(&e, &event(&[("x", Value::Boolean(false))]));
            }
        })
        .unwrap()
        .join()
        .unwrap();
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
