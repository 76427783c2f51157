//! The built-in functions (spec §3.5), chosen by name and arity at parse time.

use std::borrow::Cow;

use crate::value::Type;

/// A built-in function with a fixed arity, or a variadic one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Builtin {
    Length,
    Concat,
    ConcatWs,
    Lower,
    Upper,
    Trim,
    Left,
    Right,
    Substring,
    SubstringLen,
    Abs,
    Int,
    Bool,
    String,
}

/// What a function's argument is cast to before the call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Param {
    /// Passed as it is: the casting functions convert it themselves.
    Any,
    Of(Type),
}

impl Builtin {
    /// The function called `name` (upper-case) that takes `arity` arguments.
    pub fn resolve(name: &str, arity: usize) -> Option<Builtin> {
        Some(match (name, arity) {
            ("LENGTH", 1) => Builtin::Length,
            ("CONCAT", _) => Builtin::Concat,
            ("CONCAT_WS", 1..) => Builtin::ConcatWs,
            ("LOWER", 1) => Builtin::Lower,
            ("UPPER", 1) => Builtin::Upper,
            ("TRIM", 1) => Builtin::Trim,
            ("LEFT", 2) => Builtin::Left,
            ("RIGHT", 2) => Builtin::Right,
            ("SUBSTRING", 2) => Builtin::Substring,
            ("SUBSTRING", 3) => Builtin::SubstringLen,
            ("ABS", 1) => Builtin::Abs,
            ("INT", 1) => Builtin::Int,
            ("BOOL", 1) => Builtin::Bool,
            ("STRING", 1) => Builtin::String,
            _ => return None,
        })
    }

    /// The type of argument `index` (0-based).
    pub fn param(self, index: usize) -> Param {
        match (self, index) {
            (Builtin::Int | Builtin::Bool | Builtin::String, _) => Param::Any,
            (Builtin::Left | Builtin::Right | Builtin::Substring | Builtin::SubstringLen, 1..)
            | (Builtin::Abs, _) => Param::Of(Type::Integer),
            _ => Param::Of(Type::String),
        }
    }

    /// The type it returns; its zero value is the result when an argument is a missing attribute.
    pub fn returns(self) -> Type {
        match self {
            Builtin::Length | Builtin::Abs | Builtin::Int => Type::Integer,
            Builtin::Bool => Type::Boolean,
            _ => Type::String,
        }
    }
}

/// Characters in a String, as an Integer (saturating: no String of 2^31 characters fits anyway).
pub(crate) fn length(s: &str) -> i32 {
    i32::try_from(s.chars().count()).unwrap_or(i32::MAX)
}

/// The byte offset after the first `n` characters of `s` (its length when it is shorter).
fn offset_of_char(s: &str, n: usize) -> usize {
    s.char_indices().nth(n).map_or(s.len(), |(i, _)| i)
}

/// `LEFT(s, n)`: the first `n` characters; `Err` when `n < 0` (the caller returns `s`).
pub(crate) fn left(s: Cow<'_, str>, n: i32) -> Result<Cow<'_, str>, Cow<'_, str>> {
    let Ok(n) = usize::try_from(n) else { return Err(s) };
    Ok(match s {
        Cow::Borrowed(b) => Cow::Borrowed(&b[..offset_of_char(b, n)]),
        Cow::Owned(mut o) => {
            o.truncate(offset_of_char(&o, n));
            Cow::Owned(o)
        }
    })
}

/// `RIGHT(s, n)`: the last `n` characters; `Err` when `n < 0` (the caller returns `s`).
pub(crate) fn right(s: Cow<'_, str>, n: i32) -> Result<Cow<'_, str>, Cow<'_, str>> {
    let Ok(n) = usize::try_from(n) else { return Err(s) };
    let count = s.chars().count();
    let start = offset_of_char(&s, count.saturating_sub(n));
    Ok(match s {
        Cow::Borrowed(b) => Cow::Borrowed(&b[start..]),
        Cow::Owned(o) => Cow::Owned(o[start..].to_owned()),
    })
}

/// `SUBSTRING(s, pos[, len])`: 1-based `pos`, negative from the end, 0 gives `""`. `None` when
/// `pos` is beyond either end or `len` is negative (the caller returns `""` and an error).
pub(crate) fn substring(s: &str, pos: i32, len: Option<i32>) -> Option<&str> {
    let count = i64::try_from(s.chars().count()).unwrap_or(i64::MAX);
    let (pos, len) = (i64::from(pos), len.map(i64::from));
    if pos > count || pos < -count || len.is_some_and(|l| l < 0) {
        return None;
    }
    if pos == 0 {
        return Some("");
    }
    // 0-based index of the first character.
    let first = if pos > 0 { pos - 1 } else { count + pos };
    let last = len.map_or(count, |l| (first + l).min(count));
    let to_usize = |i: i64| usize::try_from(i).unwrap_or(0);
    let start = offset_of_char(s, to_usize(first));
    let end = start + offset_of_char(&s[start..], to_usize(last - first));
    Some(&s[start..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_by_name_and_arity() {
        assert_eq!(Builtin::resolve("CONCAT", 0), Some(Builtin::Concat));
        assert_eq!(Builtin::resolve("CONCAT_WS", 0), None);
        assert_eq!(Builtin::resolve("SUBSTRING", 3), Some(Builtin::SubstringLen));
        assert_eq!(Builtin::resolve("SUBSTRING", 4), None);
        assert_eq!(Builtin::resolve("NOPE", 1), None);
        assert_eq!(Builtin::Left.param(1), Param::Of(Type::Integer));
        assert_eq!(Builtin::Left.param(0), Param::Of(Type::String));
        assert_eq!(Builtin::Bool.param(0), Param::Any);
    }

    #[test]
    fn left_and_right_count_characters() {
        assert_eq!(left(Cow::Borrowed("héllo"), 2), Ok(Cow::Borrowed("hé")));
        assert_eq!(right(Cow::Owned("héllo".into()), 4), Ok(Cow::Borrowed("éllo")));
        assert_eq!(left(Cow::Borrowed("ab"), 9), Ok(Cow::Borrowed("ab")));
        assert_eq!(right(Cow::Borrowed("ab"), 0), Ok(Cow::Borrowed("")));
        assert_eq!(left(Cow::Borrowed("ab"), -1), Err(Cow::Borrowed("ab")));
    }

    #[test]
    fn substring_positions() {
        assert_eq!(substring("abcdef", 6, None), Some("f"));
        assert_eq!(substring("abcdef", -6, None), Some("abcdef"));
        assert_eq!(substring("abcdef", 7, None), None);
        assert_eq!(substring("abcdef", -7, None), None);
        assert_eq!(substring("abcdef", 3, Some(0)), Some(""));
        assert_eq!(substring("abcdef", 3, Some(i32::MAX)), Some("cdef"));
        assert_eq!(substring("abcdef", 0, Some(-1)), None);
        assert_eq!(substring("ñandú", -2, Some(1)), Some("d"));
        assert_eq!(substring("", 0, None), Some(""));
        assert_eq!(substring("x", i32::MIN, Some(1)), None);
    }
}
