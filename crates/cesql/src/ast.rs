//! The parsed form of an expression and its canonical text.

use std::fmt::{self, Write as _};

use crate::functions::Builtin;
use crate::like::Pattern;
use crate::value::Value;

/// A binary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BinOp {
    And,
    Or,
    Xor,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::And => "AND",
            BinOp::Or => "OR",
            BinOp::Xor => "XOR",
            BinOp::Eq => "=",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Expr {
    Literal(Value),
    /// An attribute or extension, by its lower-case name.
    Attribute(String),
    Exists(String),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Like {
        expr: Box<Expr>,
        pattern: Pattern,
        negated: bool,
    },
    In {
        expr: Box<Expr>,
        set: Vec<Expr>,
        negated: bool,
    },
    /// `name` upper-case; `builtin` is `None` when no function has that name and arity, which
    /// is an evaluation error (missingFunction), not a parse error.
    Call {
        name: String,
        builtin: Option<Builtin>,
        args: Vec<Expr>,
    },
}

/// A String literal in single quotes that the lexer reads back to the same text.
pub(crate) fn write_string(f: &mut impl fmt::Write, s: &str) -> fmt::Result {
    f.write_char('\'')?;
    for c in s.chars() {
        if c == '\'' || c == '\\' {
            f.write_char('\\')?;
        }
        f.write_char(c)?;
    }
    f.write_char('\'')
}

impl Expr {
    /// Prints `self` as an operand: anything with an operator goes in parentheses, so the
    /// canonical text never depends on precedence or associativity.
    fn fmt_operand(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Literal(_) | Expr::Attribute(_) | Expr::Exists(_) | Expr::Call { .. } => {
                fmt::Display::fmt(self, f)
            }
            _ => write!(f, "({self})"),
        }
    }
}

/// Canonical text: keywords and function names upper-case, strings single-quoted, every nested
/// operation parenthesized. It parses back to an equal expression.
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Literal(Value::Boolean(b)) => f.write_str(if *b { "TRUE" } else { "FALSE" }),
            Expr::Literal(Value::Integer(i)) => write!(f, "{i}"),
            Expr::Literal(Value::String(s)) => write_string(f, s),
            Expr::Attribute(name) => f.write_str(name),
            Expr::Exists(name) => write!(f, "EXISTS {name}"),
            Expr::Not(x) => {
                f.write_str("NOT ")?;
                x.fmt_operand(f)
            }
            // `-5` would read back as the literal -5, so a negated non-negative literal keeps
            // its parentheses.
            Expr::Neg(x) => match **x {
                Expr::Literal(Value::Integer(i)) if i >= 0 => write!(f, "-({i})"),
                _ => {
                    f.write_char('-')?;
                    x.fmt_operand(f)
                }
            },
            Expr::Binary(op, l, r) => {
                l.fmt_operand(f)?;
                write!(f, " {} ", op.symbol())?;
                r.fmt_operand(f)
            }
            Expr::Like { expr, pattern, negated } => {
                expr.fmt_operand(f)?;
                f.write_str(if *negated { " NOT LIKE " } else { " LIKE " })?;
                write_string(f, &pattern.source)
            }
            Expr::In { expr, set, negated } => {
                expr.fmt_operand(f)?;
                f.write_str(if *negated { " NOT IN (" } else { " IN (" })?;
                write_list(f, set)?;
                f.write_char(')')
            }
            Expr::Call { name, args, .. } => {
                write!(f, "{name}(")?;
                write_list(f, args)?;
                f.write_char(')')
            }
        }
    }
}

fn write_list(f: &mut fmt::Formatter<'_>, items: &[Expr]) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}
