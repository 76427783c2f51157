//! The language, section by section of the CESQL v1.0.0 specification.

mod common;

use ErrorKind::*;
use common::*;

// §2.2 Literals and identifiers

#[test]
fn integer_literals_cover_the_32_bit_range() {
    ok("2147483647", 2147483647);
    ok("-2147483648", i32::MIN);
    ok("+17", 17);
    ok("007", 7);
    assert_eq!(parse_error("2147483648").0, 0);
    assert_eq!(parse_error("x = -2147483649").0, 4);
}

#[test]
fn string_literals_in_both_quotes_with_escapes() {
    ok("'it''s'", "it's");
    ok(r"'it\'s'", "it's");
    ok(r#""say \"hi\"""#, "say \"hi\"");
    ok(r#""a""b""#, "a\"b");
    ok(r#"'"' = "\"""#, true);
    ok(r"'back\\slash'", r"back\slash");
    ok(r"'keeps \n as is'", r"keeps \n as is");
    ok("'ünïcödé ✓'", "ünïcödé ✓");
    ok("''", "");
}

#[test]
fn boolean_literals_in_any_case() {
    ok("TrUe", true);
    ok("fALSE", false);
}

#[test]
fn attributes_by_name_in_any_case() {
    let ev = event(&[("seq", Value::Integer(3)), ("flag", Value::Boolean(true)), ("x9", Value::from("v"))]);
    assert_eq!(eval_on("SEQ", &ev), (Value::Integer(3), vec![]));
    assert_eq!(eval_on("Flag", &ev), (Value::Boolean(true), vec![]));
    assert_eq!(eval_on("x9", &ev), (Value::from("v"), vec![]));
    assert_eq!(eval_on("ID", &ev), (Value::from("e-1"), vec![]));
}

// §3.2 Missing attributes

#[test]
fn a_missing_attribute_gives_the_zero_value_of_the_enclosing_operation() {
    fails("nope", false, &[MissingAttribute]);
    fails("(nope)", false, &[MissingAttribute]);
    fails("nope + 1", 0, &[MissingAttribute]);
    fails("10 % nope", 0, &[MissingAttribute]);
    fails("-nope", 0, &[MissingAttribute]);
    fails("nope = ''", false, &[MissingAttribute]);
    fails("nope != ''", false, &[MissingAttribute]);
    fails("NOT nope", false, &[MissingAttribute]);
    fails("nope NOT LIKE 'x'", false, &[MissingAttribute]);
    fails("nope NOT IN ('x')", false, &[MissingAttribute]);
    fails("'x' IN ('x', nope)", false, &[MissingAttribute]);
    fails("LENGTH(nope)", 0, &[MissingAttribute]);
    fails("UPPER(nope)", "", &[MissingAttribute]);
    fails("CONCAT('a', nope)", "", &[MissingAttribute]);
    fails("BOOL(nope)", false, &[MissingAttribute]);
    fails("NOT (nope = 1)", false, &[MissingAttribute]);
}

#[test]
fn every_missing_attribute_is_reported() {
    fails("a = 1 XOR b = 2", false, &[MissingAttribute, MissingAttribute]);
    fails("CONCAT(a, b)", "", &[MissingAttribute, MissingAttribute]);
}

#[test]
fn exists_never_raises_an_error() {
    let ev = event(&[("opt", Value::from(""))]);
    assert_eq!(eval_on("EXISTS opt AND EXISTS ID", &ev), (Value::Boolean(true), vec![]));
    assert_eq!(eval_on("exists other", &ev), (Value::Boolean(false), vec![]));
}

// §3.4.1 Unary operators

#[test]
fn unary_operators() {
    ok("NOT FALSE", true);
    ok("NOT NOT TRUE", true);
    ok("NOT 'False'", true);
    fails("NOT 'yes'", true, &[Cast]);
    fails("NOT 0", true, &[Cast]);
    ok("-(3)", -3);
    ok("- -3", 3);
    ok("-'7'", -7);
    ok("-FALSE", 0);
    fails("-'x'", 0, &[Cast]);
    fails("-(-2147483647 - 1)", 0, &[Math]);
}

// §3.4.2 Binary operators

#[test]
fn arithmetic() {
    ok("7 / 2", 3);
    ok("-7 / 2", -3);
    ok("7 % -3", 1);
    ok("-7 % 3", -1);
    ok("2 * 3 - 4 * 5", -14);
    ok("'12' * TRUE", 12);
    ok("-2147483648 % -1", 0);
    fails("1 / 0", 0, &[Math]);
    fails("1 % 0", 0, &[Math]);
    fails("2147483647 + 1", 0, &[Math]);
    fails("-2147483648 - 1", 0, &[Math]);
    fails("65536 * 65536", 0, &[Math]);
    fails("-2147483648 / -1", 0, &[Math]);
    fails("'one' + 1", 1, &[Cast]);
}

#[test]
fn an_error_inside_an_operand_gives_the_zero_value_above_it() {
    fails("(1 / 0) = 0", false, &[Math]);
    fails("TRUE AND 1 / 0 = 0", false, &[Math]);
    fails("LENGTH(STRING(1 / 0))", 0, &[Math]);
    fails("(1 / 0) + 5", 0, &[Math]);
}

#[test]
fn math_error_messages_name_the_operation() {
    let out = Expression::parse("2147483647 + 1").unwrap().evaluate(&event(&[]));
    assert_eq!(out.errors[0].message, "integer overflow in 2147483647 + 1");
    let out = Expression::parse("5 / (2 - 2)").unwrap().evaluate(&event(&[]));
    assert_eq!(out.errors[0].message, "division by zero in 5 / 0");
}

#[test]
fn comparisons_cast_the_left_operand_to_the_right_type() {
    ok("'10' = 10", true);
    ok("10 = '10'", true);
    ok("10 = '010'", false);
    ok("'010' = 10", true);
    ok("TRUE = 'true'", true);
    ok("'tRUE' = TRUE", true);
    ok("TRUE = 1", true);
    ok("FALSE = 0", true);
    ok("'a' <> 'A'", true);
    ok("'abc' != 'abc'", false);
    fails("'x' = 0", true, &[Cast]);
}

#[test]
fn implicit_integer_to_boolean_is_a_cast_error() {
    fails("1 = TRUE", false, &[Cast]);
    fails("1 AND TRUE", false, &[Cast]);
    fails("FALSE OR 2", false, &[Cast]);
    fails("TRUE XOR 0", true, &[Cast]);
    ok("BOOL(1) AND TRUE", true);
}

#[test]
fn ordering_is_on_integers() {
    ok("'9' < '10'", true);
    ok("-1 < 0", true);
    ok("TRUE > FALSE", true);
    ok("3 >= 3 AND 3 <= 3", true);
    fails("'b' > 'a'", false, &[Cast, Cast]);
}

#[test]
fn logic_and_short_circuits() {
    ok("TRUE XOR TRUE", false);
    ok("'true' AND 'TRUE'", true);
    ok("FALSE AND nope", false);
    ok("TRUE OR nope", true);
    ok("FALSE AND 1 / 0 = 1", false);
    fails("TRUE AND nope", false, &[MissingAttribute]);
    fails("FALSE OR nope", false, &[MissingAttribute]);
    fails("FALSE XOR nope", false, &[MissingAttribute]);
    fails("nope OR TRUE", false, &[MissingAttribute]);
}

// §3.4.3 LIKE

#[test]
fn like_patterns() {
    let ev = event(&[("path", Value::from("/a/b_c/100%"))]);
    let like = |p: &str| eval_on(&format!("path LIKE '{p}'"), &ev).0;
    assert_eq!(like("/a/%"), Value::Boolean(true));
    assert_eq!(like("%/100\\%"), Value::Boolean(true));
    assert_eq!(like("%/1000\\%"), Value::Boolean(false));
    assert_eq!(like("/a/b\\_c/%"), Value::Boolean(true));
    assert_eq!(like("/_/___/%"), Value::Boolean(true));
    assert_eq!(like("/_/__/%"), Value::Boolean(false));
    assert_eq!(like("/A/%"), Value::Boolean(false));
    assert_eq!(like("%%%"), Value::Boolean(true));
    ok("'' LIKE ''", true);
    ok("'x' LIKE ''", false);
    ok("'日本' LIKE '__'", true);
    ok("-12 LIKE '-1_'", true);
    ok("FALSE NOT LIKE 'f%'", false);
    ok("'a\\b' LIKE 'a\\\\b'", true);
}

#[test]
fn like_needs_a_string_literal_pattern() {
    assert_eq!(parse_error("id LIKE pattern").0, 8);
    assert_eq!(parse_error("id LIKE ('a')").0, 8);
    assert_eq!(parse_error("id NOT LIKE 1").0, 12);
    assert_eq!(parse_error("id LIKE").0, 7);
}

// §3.4.4 EXISTS

#[test]
fn exists_takes_an_attribute_name() {
    ok("EXISTS source", true);
    ok("EXISTS specversion AND NOT EXISTS dataschema", true);
    assert_eq!(parse_error("EXISTS 'id'").0, 7);
    assert_eq!(parse_error("EXISTS (id)").0, 7);
}

// §3.4.5 IN

#[test]
fn in_casts_the_set_to_the_left_type() {
    ok("3 IN (1, 2, 3)", true);
    ok("3 NOT IN (1, 2)", true);
    ok("'3' IN (3)", true);
    ok("3 IN ('03')", true);
    ok("'03' IN (3)", false);
    ok("TRUE IN ('TRUE')", true);
    ok("id IN ('e-0', 'e-1')", true);
    ok("type IN (source, id)", false);
    // IN binds tighter than `+`: 1 + (1 IN (2)) is 1 + FALSE.
    ok("1 + 1 IN (2)", 1);
    ok("(1 + 1) IN (2)", true);
    fails("3 IN ('three', 3)", true, &[Cast]);
    fails("3 IN (1 / 0, 3)", false, &[Math]);
}

// §3.5 Functions

#[test]
fn string_functions() {
    ok("LENGTH('héllo')", 5);
    ok("LENGTH(12345)", 5);
    ok("CONCAT('a', 1, TRUE)", "a1true");
    ok("CONCAT_WS('-', 'a', 'b')", "a-b");
    ok("CONCAT_WS('', 'a', 'b')", "ab");
    ok("CONCAT_WS(0, 1, 2, 3)", "10203");
    if cfg!(feature = "unicode-case") {
        ok("LOWER('ÀBC')", "àbc");
        ok("UPPER('straße')", "STRASSE");
    } else {
        ok("LOWER('ÀBC')", "Àbc");
        ok("UPPER('straße')", "STRAßE");
    }
    ok("TRIM('\u{2003} \t x y \n')", "x y");
    ok("TRIM('\u{0001}x')", "\u{0001}x");
    ok("LEFT('héllo', 2)", "hé");
    ok("LEFT('abc', 0)", "");
    ok("RIGHT('héllo', 3)", "llo");
    ok("RIGHT(12345, 2)", "45");
    fails("LEFT('abc', -1)", "abc", &[FunctionEvaluation]);
    fails("RIGHT('abc', -5)", "abc", &[FunctionEvaluation]);
    fails("LEFT('abc', 'x')", "", &[Cast]);
}

#[test]
fn substring() {
    ok("SUBSTRING('cloudevents', 6)", "events");
    ok("SUBSTRING('cloudevents', -6)", "events");
    ok("SUBSTRING('cloudevents', 1, 5)", "cloud");
    ok("SUBSTRING('cloudevents', -6, 2)", "ev");
    ok("SUBSTRING('cloudevents', 6, 100)", "events");
    ok("SUBSTRING('cloudevents', 11)", "s");
    ok("SUBSTRING('cloudevents', 0, 3)", "");
    ok("SUBSTRING('', 0)", "");
    fails("SUBSTRING('cloudevents', 12)", "", &[FunctionEvaluation]);
    fails("SUBSTRING('cloudevents', -12, 1)", "", &[FunctionEvaluation]);
    fails("SUBSTRING('cloudevents', 1, -1)", "", &[FunctionEvaluation]);
}

#[test]
fn math_and_casting_functions() {
    ok("ABS(-7)", 7);
    ok("ABS('-7')", 7);
    fails("ABS(-2147483648)", i32::MAX, &[Math]);
    ok("INT('+42')", 42);
    ok("INT(FALSE)", 0);
    fails("INT('4 2')", 0, &[Cast]);
    fails("INT('2147483648')", 0, &[Cast]);
    ok("BOOL('FaLsE')", false);
    ok("BOOL(-1)", true);
    fails("BOOL('1')", false, &[Cast]);
    ok("STRING(-0)", "0");
    ok("STRING(FALSE)", "false");
}

#[test]
fn function_names_in_any_case_and_dispatch_on_arity() {
    ok("length('ab') = Length('cd')", true);
    ok("concat_ws(',', 'a')", "a");
    fails("LENGTH()", false, &[MissingFunction]);
    fails("LENGTH('a', 'b')", false, &[MissingFunction]);
    fails("SUBSTRING('a')", false, &[MissingFunction]);
    fails("MY_FUNCTION(1)", false, &[MissingFunction]);
    fails("NOT MY_FUNCTION(1)", false, &[MissingFunction]);
    let out = Expression::parse("nope(1, 2)").unwrap().evaluate(&event(&[]));
    assert_eq!(out.errors[0].message, "no function NOPE takes 2 arguments");
}

// §3.6 Precedence

#[test]
fn precedence_and_grouping() {
    ok("2 + 3 * 4", 14);
    ok("(2 + 3) * 4", 20);
    ok("10 - 4 - 3", 3);
    ok("100 / 10 / 5", 2);
    ok("1 + 2 = 3", true);
    ok("1 < 2 = TRUE", true);
    ok("NOT TRUE = FALSE", true);
    // AND, OR and XOR share one level and group left to right.
    ok("TRUE OR FALSE AND FALSE", false);
    ok("TRUE OR (FALSE AND FALSE)", true);
    ok("FALSE AND FALSE OR TRUE", true);
    ok("  1\t+\r\n1 ", 2);
}

// §3.7 Casting

#[test]
fn casts_between_every_pair_of_types() {
    ok("STRING(-120)", "-120");
    ok("STRING(TRUE)", "true");
    ok("INT('-0')", 0);
    ok("INT(TRUE) + INT(FALSE)", 1);
    ok("BOOL(0)", false);
    ok("BOOL('true')", true);
    fails("BOOL('t')", false, &[Cast]);
    fails("INT('')", 0, &[Cast]);
}
