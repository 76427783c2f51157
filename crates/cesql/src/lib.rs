//! CloudEvents SQL Expression Language (CESQL) v1.0.0: a parser and an evaluator.
//!
//! ```ignore
//! use cesql::{Expression, Value};
//! use std::collections::HashMap;
//!
//! let filter: Expression = "type LIKE 'com.example.%' AND int(seq) > 10".parse()?;
//! let event = HashMap::from([
//!     ("type".to_string(), Value::from("com.example.created")),
//!     ("seq".to_string(), Value::from("11")),
//! ]);
//! assert!(filter.matches(&event));
//! assert_eq!(filter.evaluate(&event).value, Value::Boolean(true));
//! ```
//!
//! Evaluation never fails and never panics: like the spec, it returns a value together with the
//! errors met on the way ([`Evaluation`]). Parsing fails with a [`ParseError`] that gives the
//! character position of the problem. Events are anything that implements [`Event`]; the
//! `json` feature implements it for a structured-mode JSON CloudEvent.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod ast;
mod error;
mod eval;
mod event;
mod functions;
mod lexer;
mod like;
mod parser;
mod value;

use std::fmt;
use std::str::FromStr;

pub use error::{ErrorKind, EvalError, ParseError};
pub use event::Event;
pub use value::{Attribute, Type, Value};

/// A parsed CESQL expression, ready to evaluate against any number of events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expression {
    root: ast::Expr,
    /// Names read by the expression (attributes and `EXISTS`), each once, in order of appearance.
    attributes: Vec<String>,
}

/// The outcome of evaluating an expression: always a value, and the errors met (spec §3.3).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Evaluation {
    /// The value. When an error occurred, the zero value of the failing operation's type stood
    /// in for its result (`false`, `0`, `""`) and evaluation went on.
    pub value: Value,
    /// Every error met, in evaluation order; empty when there was none.
    pub errors: Vec<EvalError>,
}

impl Expression {
    /// Parses CESQL text. Keywords, function names and attribute names are case-insensitive.
    /// An unknown function, or a known one with the wrong number of arguments, parses: calling
    /// it is a missingFunction evaluation error, as the spec says.
    pub fn parse(text: &str) -> Result<Expression, ParseError> {
        let root = parser::parse(text)?;
        let mut attributes = Vec::new();
        collect_attributes(&root, &mut attributes);
        Ok(Expression { root, attributes })
    }

    /// Evaluates against `event` in complete-evaluation mode (spec §4.1): the value and every
    /// error met.
    pub fn evaluate(&self, event: &dyn Event) -> Evaluation {
        let mut cx = eval::Ctx::new(event, true);
        let value = eval::eval(&self.root, &mut cx).map_or(Value::Boolean(false), Value::from);
        Evaluation { value, errors: cx.errors }
    }

    /// Filter semantics (spec §1.2): `true` only when the expression evaluates to the Boolean
    /// `true` with no error at all. Any error (a missing attribute, a failed cast, a division by
    /// zero, an unknown function) means "does not match", as does a value that is not a Boolean
    /// (`'true'` or `1` do not pass). Allocates nothing for comparisons of attributes that the
    /// event lends (`Cow::Borrowed`) to literals, and formats no error message.
    pub fn matches(&self, event: &dyn Event) -> bool {
        let mut cx = eval::Ctx::new(event, false);
        let value = eval::eval(&self.root, &mut cx);
        cx.count == 0 && value == Some(Attribute::Boolean(true))
    }

    /// The attribute names the expression reads (lower-case, each once, in order of appearance),
    /// including those only tested with `EXISTS`. An event without any of them cannot change
    /// which of them are missing, so callers can skip or index work by them.
    pub fn attributes(&self) -> impl Iterator<Item = &str> {
        self.attributes.iter().map(String::as_str)
    }
}

fn collect_attributes(expr: &ast::Expr, out: &mut Vec<String>) {
    use ast::Expr;
    match expr {
        Expr::Literal(_) => {}
        Expr::Attribute(name) | Expr::Exists(name) => {
            if !out.contains(name) {
                out.push(name.clone());
            }
        }
        Expr::Not(x) | Expr::Neg(x) | Expr::Like { expr: x, .. } => collect_attributes(x, out),
        Expr::Binary(_, l, r) => {
            collect_attributes(l, out);
            collect_attributes(r, out);
        }
        Expr::In { expr, set: items, .. } => {
            collect_attributes(expr, out);
            items.iter().for_each(|x| collect_attributes(x, out));
        }
        Expr::Call { args: items, .. } => items.iter().for_each(|x| collect_attributes(x, out)),
    }
}

impl FromStr for Expression {
    type Err = ParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Expression::parse(text)
    }
}

/// Canonical text: keywords and function names upper-case, attribute names lower-case, strings
/// in single quotes, every nested operation in parentheses. Parsing it gives an equal expression.
impl fmt::Display for Expression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.root, f)
    }
}
