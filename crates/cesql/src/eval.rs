//! Evaluation (spec §3.2-§3.7): every operator and function returns a value, errors are
//! collected beside it.
//!
//! An operand that failed (a missing attribute, or any error inside it) makes the operator or
//! function around it return the zero value of its own return type, without raising more errors:
//! `1 / missing` is `0` with a missingAttribute error, not a math error, and
//! `TRUE AND (1 != 1 / 0)` is `false` with a math error. An error in the operator's own work (a
//! cast of an operand, a division by zero, an argument out of range) gives the fallback value
//! the spec defines for it: `NOT 10` is `true` with a cast error (10 does not cast to Boolean
//! implicitly, `false` stands in), `ABS(-2147483648)` is `2147483647` with a math error.

use std::borrow::Cow;

use crate::Event;
use crate::ast::{BinOp, Expr};
use crate::error::{ErrorKind, EvalError};
use crate::functions::{self, Builtin, Param};
use crate::value::{Attribute, Type, cast_boolean, cast_integer, cast_string};

/// A result: `None` for a missing attribute (the top level reports it as `false`, the zero
/// value of the type assumed when none can be told, spec §3.2).
type Val<'a> = Option<Attribute<'a>>;

pub(crate) struct Ctx<'a> {
    event: &'a dyn Event,
    /// Whether to keep the errors; filtering only needs to know that one happened, so it
    /// never formats a message.
    collect: bool,
    pub errors: Vec<EvalError>,
    /// Errors met so far, kept or not.
    pub count: usize,
}

impl<'a> Ctx<'a> {
    pub fn new(event: &'a dyn Event, collect: bool) -> Self {
        Ctx { event, collect, errors: Vec::new(), count: 0 }
    }

    fn error(&mut self, kind: ErrorKind, message: impl FnOnce() -> String) {
        self.count += 1;
        if self.collect {
            self.errors.push(EvalError { kind, message: message() });
        }
    }

    fn integer(&mut self, v: &Attribute<'_>) -> i32 {
        cast_integer(v).unwrap_or_else(|| {
            self.error(ErrorKind::Cast, || format!("cannot cast {} to Integer", show(v)));
            0
        })
    }

    /// Implicit Boolean cast: an Integer is a cast error here; `BOOL()` converts it.
    fn boolean(&mut self, v: &Attribute<'_>) -> bool {
        cast_boolean(v, false).unwrap_or_else(|| {
            self.error(ErrorKind::Cast, || match v {
                Attribute::Integer(i) => {
                    format!("cannot cast {i} to Boolean implicitly; BOOL({i}) converts it")
                }
                _ => format!("cannot cast {} to Boolean", show(v)),
            });
            false
        })
    }

    /// Casts `v` to `to`; a failed cast gives the zero value of `to` and a cast error.
    fn cast(&mut self, v: Attribute<'a>, to: Type) -> Attribute<'a> {
        match to {
            _ if v.type_of() == to => v,
            Type::Boolean => Attribute::Boolean(self.boolean(&v)),
            Type::Integer => Attribute::Integer(self.integer(&v)),
            Type::String => Attribute::String(cast_string(v)),
        }
    }
}

/// A value in an error message: strings quoted and cut to a readable length.
fn show(v: &Attribute<'_>) -> String {
    match v {
        // Plain quotes, not `{:?}`: Debug formatting would pull Unicode tables into a wasm build.
        Attribute::String(s) => match s.char_indices().nth(40) {
            Some((cut, _)) => format!("\"{}...\"", &s[..cut]),
            None => format!("\"{s}\""),
        },
        Attribute::Integer(i) => i.to_string(),
        Attribute::Boolean(b) => b.to_string(),
    }
}

fn zero(of: Type) -> Attribute<'static> {
    match of {
        Type::Boolean => Attribute::Boolean(false),
        Type::Integer => Attribute::Integer(0),
        Type::String => Attribute::String(Cow::Borrowed("")),
    }
}

/// An operand: `None` when it is missing or met any error, so the caller returns its zero value.
fn operand<'a>(expr: &'a Expr, cx: &mut Ctx<'a>) -> Val<'a> {
    let before = cx.count;
    let value = eval(expr, cx);
    if cx.count > before { None } else { value }
}

pub(crate) fn eval<'a>(expr: &'a Expr, cx: &mut Ctx<'a>) -> Val<'a> {
    Some(match expr {
        Expr::Literal(v) => Attribute::from(v),
        Expr::Attribute(name) => {
            let found = cx.event.attribute(name);
            if found.is_none() {
                cx.error(ErrorKind::MissingAttribute, || format!("missing attribute '{name}'"));
            }
            return found;
        }
        Expr::Exists(name) => Attribute::Boolean(cx.event.attribute(name).is_some()),
        Expr::Not(x) => match operand(x, cx) {
            Some(v) => Attribute::Boolean(!cx.boolean(&v)),
            None => zero(Type::Boolean),
        },
        Expr::Neg(x) => match operand(x, cx) {
            Some(v) => {
                let i = cx.integer(&v);
                Attribute::Integer(i.checked_neg().unwrap_or_else(|| {
                    cx.error(ErrorKind::Math, || format!("integer overflow in -({i})"));
                    0
                }))
            }
            None => zero(Type::Integer),
        },
        Expr::Binary(op, l, r) => binary(*op, l, r, cx),
        Expr::Like { expr, pattern, negated } => match operand(expr, cx) {
            Some(v) => Attribute::Boolean(pattern.matches(&cast_string(v)) != *negated),
            None => zero(Type::Boolean),
        },
        Expr::In { expr, set, negated } => {
            let x = operand(expr, cx);
            let mut found = false;
            let mut missing = x.is_none();
            for item in set {
                // Every item is evaluated, so its errors are reported even after a match.
                match (operand(item, cx), &x) {
                    (Some(y), Some(x)) => found |= !found && *x == cx.cast(y, x.type_of()),
                    _ => missing = true,
                }
            }
            Attribute::Boolean(!missing && found != *negated)
        }
        Expr::Call { name, builtin: None, args } => {
            cx.error(ErrorKind::MissingFunction, || {
                format!(
                    "no function {name} takes {} argument{}",
                    args.len(),
                    if args.len() == 1 { "" } else { "s" }
                )
            });
            zero(Type::Boolean)
        }
        Expr::Call { builtin: Some(f), args, .. } => call(*f, args, cx),
    })
}

#[inline(never)]
fn binary<'a>(op: BinOp, l: &'a Expr, r: &'a Expr, cx: &mut Ctx<'a>) -> Attribute<'a> {
    // AND and OR stop at the left operand when it decides the result (spec §3.4.2).
    if let BinOp::And | BinOp::Or = op {
        let Some(left) = operand(l, cx) else { return zero(Type::Boolean) };
        let left = cx.boolean(&left);
        if left == (op == BinOp::Or) {
            return Attribute::Boolean(left);
        }
        return match operand(r, cx) {
            Some(right) => Attribute::Boolean(cx.boolean(&right)),
            None => zero(Type::Boolean),
        };
    }
    let (left, right) = (operand(l, cx), operand(r, cx));
    let returns = match op {
        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem => Type::Integer,
        _ => Type::Boolean,
    };
    let (Some(left), Some(right)) = (left, right) else { return zero(returns) };
    match op {
        BinOp::Xor => Attribute::Boolean(cx.boolean(&left) ^ cx.boolean(&right)),
        // `=` is defined for each type: the right operand's type picks the definition and the
        // left operand is cast to it (spec §3.7).
        BinOp::Eq | BinOp::Ne => {
            let left = cx.cast(left, right.type_of());
            Attribute::Boolean((left == right) == (op == BinOp::Eq))
        }
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            let (x, y) = (cx.integer(&left), cx.integer(&right));
            Attribute::Boolean(match op {
                BinOp::Lt => x < y,
                BinOp::Le => x <= y,
                BinOp::Gt => x > y,
                _ => x >= y,
            })
        }
        _ => {
            let (x, y) = (cx.integer(&left), cx.integer(&right));
            if y == 0 && matches!(op, BinOp::Div | BinOp::Rem) {
                let what = if op == BinOp::Div { "division" } else { "remainder" };
                cx.error(ErrorKind::Math, || format!("{what} by zero in {x} {} 0", op.symbol()));
                return zero(Type::Integer);
            }
            let result = match op {
                BinOp::Add => x.checked_add(y),
                BinOp::Sub => x.checked_sub(y),
                BinOp::Mul => x.checked_mul(y),
                BinOp::Div => x.checked_div(y),
                // Truncated: the sign of `x`. i32::MIN % -1 is 0, not an overflow.
                _ => Some(x.wrapping_rem(y)),
            };
            Attribute::Integer(result.unwrap_or_else(|| {
                cx.error(ErrorKind::Math, || format!("integer overflow in {x} {} {y}", op.symbol()));
                0
            }))
        }
    }
}

#[inline(never)]
fn call<'a>(f: Builtin, args: &'a [Expr], cx: &mut Ctx<'a>) -> Attribute<'a> {
    // Up to three arguments (every fixed-arity built-in) stay on the stack: a call in a filter
    // costs no allocation for its argument list.
    let mut first = [const { Attribute::Boolean(false) }; 3];
    let mut rest = Vec::new();
    let mut missing = false;
    for (i, arg) in args.iter().enumerate() {
        let value = match (operand(arg, cx), f.param(i)) {
            (None, _) => {
                missing = true;
                continue;
            }
            (Some(v), Param::Any) => v,
            (Some(v), Param::Of(t)) => cx.cast(v, t),
        };
        match first.get_mut(i) {
            Some(slot) => *slot = value,
            None => rest.push(value),
        }
    }
    if missing {
        return zero(f.returns());
    }
    let mut values = first.into_iter().take(args.len()).chain(rest);
    let mut next = || values.next().unwrap_or(Attribute::Boolean(false));
    match f {
        Builtin::Int => {
            let v = next();
            Attribute::Integer(cx.integer(&v))
        }
        Builtin::Bool => {
            let v = next();
            Attribute::Boolean(cast_boolean(&v, true).unwrap_or_else(|| {
                cx.error(ErrorKind::Cast, || format!("cannot cast {} to Boolean", show(&v)));
                false
            }))
        }
        Builtin::String => Attribute::String(cast_string(next())),
        Builtin::Abs => {
            let i = as_int(next());
            Attribute::Integer(i.checked_abs().unwrap_or_else(|| {
                cx.error(ErrorKind::Math, || format!("integer overflow in ABS({i})"));
                i32::MAX
            }))
        }
        Builtin::Length => Attribute::Integer(functions::length(&string(next()))),
        Builtin::Lower => Attribute::String(change_case(string(next()), false)),
        Builtin::Upper => Attribute::String(change_case(string(next()), true)),
        Builtin::Trim => Attribute::String(match string(next()) {
            Cow::Borrowed(s) => Cow::Borrowed(s.trim()),
            Cow::Owned(s) => Cow::Owned(s.trim().to_owned()),
        }),
        Builtin::Concat => {
            let mut out = String::new();
            for _ in 0..args.len() {
                out.push_str(&string(next()));
            }
            Attribute::String(Cow::Owned(out))
        }
        Builtin::ConcatWs => {
            let separator = string(next());
            let mut out = String::new();
            for i in 1..args.len() {
                if i > 1 {
                    out.push_str(&separator);
                }
                out.push_str(&string(next()));
            }
            Attribute::String(Cow::Owned(out))
        }
        Builtin::Left | Builtin::Right => {
            let (s, n) = (string(next()), as_int(next()));
            let cut = if f == Builtin::Left { functions::left(s, n) } else { functions::right(s, n) };
            Attribute::String(cut.unwrap_or_else(|s| {
                let name = if f == Builtin::Left { "LEFT" } else { "RIGHT" };
                cx.error(ErrorKind::FunctionEvaluation, || {
                    format!("{name} takes a length of 0 or more, not {n}")
                });
                s
            }))
        }
        Builtin::Substring | Builtin::SubstringLen => {
            let s = string(next());
            let pos = as_int(next());
            let len = (f == Builtin::SubstringLen).then(|| as_int(next()));
            // A borrowed argument lends its slice; an owned one is copied.
            let part = match &s {
                Cow::Borrowed(b) => functions::substring(b, pos, len).map(Cow::Borrowed),
                Cow::Owned(o) => functions::substring(o, pos, len).map(|p| Cow::Owned(p.to_owned())),
            };
            Attribute::String(part.unwrap_or_else(|| {
                cx.error(ErrorKind::FunctionEvaluation, || match len {
                    Some(l) if l < 0 => format!("SUBSTRING takes a length of 0 or more, not {l}"),
                    _ => format!(
                        "SUBSTRING position {pos} is outside a string of {} characters",
                        s.chars().count()
                    ),
                });
                Cow::Borrowed("")
            }))
        }
    }
}

/// An argument already cast to String.
fn string(v: Attribute<'_>) -> Cow<'_, str> {
    cast_string(v)
}

/// An argument already cast to Integer.
fn as_int(v: Attribute<'_>) -> i32 {
    cast_integer(&v).unwrap_or_default()
}

/// `LOWER` / `UPPER`: Unicode case mapping with the `unicode-case` feature (the default), ASCII
/// letters only without it; ASCII text already in that case is lent back as it is.
fn change_case(s: Cow<'_, str>, upper: bool) -> Cow<'_, str> {
    let unchanged =
        |b: u8| b.is_ascii() && if upper { !b.is_ascii_lowercase() } else { !b.is_ascii_uppercase() };
    if s.bytes().all(unchanged) {
        return s;
    }
    Cow::Owned(match upper {
        true if cfg!(feature = "unicode-case") => s.to_uppercase(),
        false if cfg!(feature = "unicode-case") => s.to_lowercase(),
        true => s.to_ascii_uppercase(),
        false => s.to_ascii_lowercase(),
    })
}
