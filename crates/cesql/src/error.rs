//! Parse errors and the evaluation errors the spec names (§3.3).

use std::fmt;

/// The expression text is not CESQL.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ParseError {
    /// Where the problem is: a 0-based offset in characters (Unicode scalar values, not bytes);
    /// the length of the text when it ends too early.
    pub position: usize,
    /// What is wrong, for people: lower-case, no trailing period.
    pub message: String,
}

impl ParseError {
    pub(crate) fn new(position: usize, message: impl Into<String>) -> Self {
        ParseError { position, message: message.into() }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at position {}", self.message, self.position)
    }
}

impl std::error::Error for ParseError {}

/// The kinds of evaluation error (spec §3.3; a parse error is a [`ParseError`]).
///
/// With the `serde` feature they serialize in camelCase, as the conformance suite names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "camelCase"))]
pub enum ErrorKind {
    /// The expression reads an attribute the event does not have.
    MissingAttribute,
    /// An implicit or explicit cast failed, e.g. `'abc'` to Integer.
    Cast,
    /// Division or remainder by zero, or a result outside the 32-bit range.
    Math,
    /// No function of that name takes that many arguments.
    MissingFunction,
    /// A function was called with arguments outside its domain, e.g. `LEFT('abc', -1)`.
    FunctionEvaluation,
    /// Any other error.
    Generic,
}

/// One error met while evaluating; the evaluation still produced a value.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct EvalError {
    /// Which kind of error.
    pub kind: ErrorKind,
    /// What happened, for people: lower-case, no trailing period.
    pub message: String,
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EvalError {}
