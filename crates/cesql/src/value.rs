//! The three CESQL types, the values an event hands in, and the spec's casts between them.

use std::borrow::Cow;
use std::fmt;

/// The type of a CESQL value (spec §3.1). URI, URI-reference and Timestamp attributes are Strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum Type {
    /// `true` or `false`; zero value `false`.
    Boolean,
    /// A signed 32-bit integer; zero value `0`.
    Integer,
    /// A sequence of Unicode characters; zero value `""`.
    String,
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Type::Boolean => "Boolean",
            Type::Integer => "Integer",
            Type::String => "String",
        })
    }
}

/// The result of an evaluation: a Boolean, an Integer or a String.
///
/// With the `serde` feature it serializes as the bare JSON value (`true`, `5`, `"abc"`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(untagged))]
pub enum Value {
    /// A Boolean.
    Boolean(bool),
    /// A 32-bit signed Integer.
    Integer(i32),
    /// A String.
    String(String),
}

impl Value {
    /// The type of this value.
    pub fn type_of(&self) -> Type {
        match self {
            Value::Boolean(_) => Type::Boolean,
            Value::Integer(_) => Type::Integer,
            Value::String(_) => Type::String,
        }
    }

    /// The zero value of a type (spec §3.1): `false`, `0` or `""`.
    pub fn zero(of: Type) -> Value {
        match of {
            Type::Boolean => Value::Boolean(false),
            Type::Integer => Value::Integer(0),
            Type::String => Value::String(String::new()),
        }
    }
}

/// Displays the value as the String cast does: `true`, `-5`, `abc` (no quotes).
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Boolean(b) => write!(f, "{b}"),
            Value::Integer(i) => write!(f, "{i}"),
            Value::String(s) => f.write_str(s),
        }
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Boolean(b)
    }
}

impl From<i32> for Value {
    fn from(i: i32) -> Self {
        Value::Integer(i)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

/// The value of one attribute, as an [`Event`](crate::Event) hands it to the engine.
///
/// Strings are a `Cow` so an event can lend its own text: filtering many events then reads
/// attributes without allocating. The evaluator uses the same type for intermediate values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attribute<'a> {
    /// A Boolean attribute or extension.
    Boolean(bool),
    /// An Integer attribute or extension.
    Integer(i32),
    /// Any other attribute: String, URI, URI-reference, Timestamp, Binary (as its text form).
    String(Cow<'a, str>),
}

impl Attribute<'_> {
    /// The type of this value.
    pub fn type_of(&self) -> Type {
        match self {
            Attribute::Boolean(_) => Type::Boolean,
            Attribute::Integer(_) => Type::Integer,
            Attribute::String(_) => Type::String,
        }
    }

    /// An owned [`Value`] with the same content.
    pub fn to_value(&self) -> Value {
        match self {
            Attribute::Boolean(b) => Value::Boolean(*b),
            Attribute::Integer(i) => Value::Integer(*i),
            Attribute::String(s) => Value::String(s.clone().into_owned()),
        }
    }
}

impl<'a> From<&'a Value> for Attribute<'a> {
    fn from(v: &'a Value) -> Self {
        match v {
            Value::Boolean(b) => Attribute::Boolean(*b),
            Value::Integer(i) => Attribute::Integer(*i),
            Value::String(s) => Attribute::String(Cow::Borrowed(s)),
        }
    }
}

impl From<Attribute<'_>> for Value {
    fn from(a: Attribute<'_>) -> Self {
        match a {
            Attribute::Boolean(b) => Value::Boolean(b),
            Attribute::Integer(i) => Value::Integer(i),
            Attribute::String(s) => Value::String(s.into_owned()),
        }
    }
}

/// The String cast (spec §3.7): base-10 integers, `true` / `false`; never fails.
pub(crate) fn cast_string(v: Attribute<'_>) -> Cow<'_, str> {
    match v {
        Attribute::String(s) => s,
        Attribute::Boolean(b) => Cow::Borrowed(if b { "true" } else { "false" }),
        Attribute::Integer(i) => Cow::Owned(i.to_string()),
    }
}

/// The Integer cast (spec §3.7): `None` when a String is not a base-10 32-bit integer.
pub(crate) fn cast_integer(v: &Attribute<'_>) -> Option<i32> {
    match v {
        Attribute::Integer(i) => Some(*i),
        Attribute::Boolean(b) => Some(i32::from(*b)),
        Attribute::String(s) => parse_integer(s),
    }
}

/// An optional `+` or `-` then ASCII digits, in range; nothing else (no spaces, no `0x`).
pub(crate) fn parse_integer(s: &str) -> Option<i32> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // `i32::from_str` takes the same sign rules and checks the range.
    s.parse().ok()
}

/// The Boolean cast (spec §3.7): a String must be `true` or `false` in any case.
///
/// `explicit` is false for the operators' implicit casts, where an Integer does not become a
/// Boolean: the conformance suite expects `NOT 10` to be a cast error; `BOOL(10)` is `true`.
pub(crate) fn cast_boolean(v: &Attribute<'_>, explicit: bool) -> Option<bool> {
    match v {
        Attribute::Boolean(b) => Some(*b),
        Attribute::Integer(i) if explicit => Some(*i != 0),
        Attribute::Integer(_) => None,
        Attribute::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Attribute::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        Attribute::String(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Attribute<'_> {
        Attribute::String(Cow::Borrowed(text))
    }

    #[test]
    fn integer_cast_takes_a_sign_and_digits_only() {
        assert_eq!(cast_integer(&s("+7")), Some(7));
        assert_eq!(cast_integer(&s("-2147483648")), Some(i32::MIN));
        assert_eq!(cast_integer(&s("2147483648")), None);
        for bad in ["", "+", "-", " 1", "1 ", "0x1", "1.0", "++1", "١"] {
            assert_eq!(cast_integer(&s(bad)), None, "{bad:?}");
        }
        assert_eq!(cast_integer(&Attribute::Boolean(true)), Some(1));
    }

    #[test]
    fn boolean_cast_is_case_insensitive_and_exact() {
        assert_eq!(cast_boolean(&s("TrUe"), false), Some(true));
        assert_eq!(cast_boolean(&s("FALSE"), false), Some(false));
        assert_eq!(cast_boolean(&s("yes"), true), None);
        assert_eq!(cast_boolean(&s(" true"), true), None);
        assert_eq!(cast_boolean(&Attribute::Integer(-3), true), Some(true));
        assert_eq!(cast_boolean(&Attribute::Integer(0), true), Some(false));
        assert_eq!(cast_boolean(&Attribute::Integer(1), false), None);
    }

    #[test]
    fn string_cast_borrows_strings_and_prints_the_rest() {
        assert!(matches!(cast_string(s("x")), Cow::Borrowed("x")));
        assert_eq!(cast_string(Attribute::Integer(-12)), "-12");
        assert_eq!(cast_string(Attribute::Boolean(false)), "false");
    }

    #[test]
    fn values_display_as_the_string_cast() {
        assert_eq!(Value::Integer(-3).to_string(), "-3");
        assert_eq!(Value::Boolean(true).to_string(), "true");
        assert_eq!(Value::zero(Type::String), Value::String(String::new()));
        assert_eq!(Value::from("a").type_of(), Type::String);
    }
}
