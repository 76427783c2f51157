//! A Pratt parser over the lexer's tokens, with the spec's precedence (§3.6).
//!
//! From tightest to loosest: function calls and `EXISTS`; prefix `NOT` and `-`; `LIKE`; `IN`;
//! `* / %`; `+ -`; comparisons; `AND OR XOR`. Operators of one level group left to right.

use crate::ast::{BinOp, Expr};
use crate::error::ParseError;
use crate::functions::Builtin;
use crate::lexer::{Keyword, Kind, Token, tokenize};
use crate::like::Pattern;
use crate::value::Value;

/// How deep expressions may nest. Evaluation, printing and dropping recurse over the tree, so
/// a bound keeps every input, however hostile, from overflowing the stack (a browser's too).
pub(crate) const MAX_DEPTH: u32 = 128;

// Binding powers: an infix operator of level `n` binds left with `2n`, right with `2n + 1`.
const LOGIC: u8 = 2;
const COMPARE: u8 = 4;
const ADD: u8 = 6;
const MUL: u8 = 8;
const IN: u8 = 10;
const LIKE: u8 = 12;
const PREFIX: u8 = 14;

/// An expression and how deep its tree is (a leaf is 1).
type Parsed = (Expr, u32);

struct Parser<'s> {
    tokens: Vec<Token<'s>>,
    next: usize,
    /// Length of the text in characters: the position of "end of expression".
    end: usize,
    /// Calls to `expr` in progress: parentheses nest without adding tree depth.
    nesting: u32,
}

pub(crate) fn parse(text: &str) -> Result<Expr, ParseError> {
    let (tokens, end) = tokenize(text)?;
    let mut p = Parser { tokens, next: 0, end, nesting: 0 };
    let (expr, _) = p.expr(0)?;
    match p.peek() {
        None => Ok(expr),
        Some(Kind::RParen) => Err(p.error_here("unbalanced ')'")),
        Some(_) => Err(p.expected("expected an operator or the end of the expression")),
    }
}

fn node(expr: Expr, depth: u32, at: usize) -> Result<Parsed, ParseError> {
    if depth > MAX_DEPTH {
        return Err(too_deep(at));
    }
    Ok((expr, depth))
}

impl<'s> Parser<'s> {
    fn peek(&self) -> Option<&Kind<'s>> {
        self.tokens.get(self.next).map(|t| &t.kind)
    }

    fn peek_at(&self, ahead: usize) -> Option<&Kind<'s>> {
        self.tokens.get(self.next + ahead).map(|t| &t.kind)
    }

    fn pos(&self) -> usize {
        self.tokens.get(self.next).map_or(self.end, |t| t.pos)
    }

    fn bump(&mut self) -> Option<Token<'s>> {
        let t = self.tokens.get(self.next).cloned();
        self.next += 1;
        t
    }

    fn error_here(&self, message: impl Into<String>) -> ParseError {
        ParseError::new(self.pos(), message)
    }

    /// "`expected`, found `<next token>`" at the next token. Cold and out of line, so message
    /// formatting takes no room in the recursive functions' stack frames.
    #[cold]
    #[inline(never)]
    fn expected(&self, expected: &str) -> ParseError {
        self.error_here(format!("{expected}, found {}", self.describe()))
    }

    /// The next token, for messages: `'*'`, `keyword AND`, `end of expression`.
    fn describe(&self) -> String {
        match self.peek() {
            None => "end of expression".into(),
            Some(Kind::LParen) => "'('".into(),
            Some(Kind::RParen) => "')'".into(),
            Some(Kind::Comma) => "','".into(),
            Some(Kind::Symbol(s)) => format!("'{s}'"),
            Some(Kind::Keyword(k)) => format!("keyword {}", k.name()),
            Some(Kind::Digits(d)) => format!("integer {d}"),
            Some(Kind::Word(w)) => format!("'{w}'"),
            Some(Kind::Str(_)) => "a string literal".into(),
        }
    }

    fn expect(&mut self, kind: &Kind<'_>, message: &str) -> Result<(), ParseError> {
        if self.peek() == Some(kind) {
            self.next += 1;
            Ok(())
        } else {
            Err(self.expected(message))
        }
    }

    fn expr(&mut self, min_bp: u8) -> Result<Parsed, ParseError> {
        self.nesting += 1;
        if self.nesting > 2 * MAX_DEPTH {
            return Err(too_deep(self.pos()));
        }
        let result = self.expr_inner(min_bp);
        self.nesting -= 1;
        result
    }

    #[inline(never)]
    fn expr_inner(&mut self, min_bp: u8) -> Result<Parsed, ParseError> {
        let (mut lhs, mut depth) = self.prefix()?;
        loop {
            let at = self.pos();
            let (op, lbp) = match self.peek() {
                Some(Kind::Keyword(Keyword::And)) => (BinOp::And, LOGIC),
                Some(Kind::Keyword(Keyword::Or)) => (BinOp::Or, LOGIC),
                Some(Kind::Keyword(Keyword::Xor)) => (BinOp::Xor, LOGIC),
                Some(Kind::Symbol(s)) => match *s {
                    "=" => (BinOp::Eq, COMPARE),
                    "!=" | "<>" => (BinOp::Ne, COMPARE),
                    "<" => (BinOp::Lt, COMPARE),
                    "<=" => (BinOp::Le, COMPARE),
                    ">" => (BinOp::Gt, COMPARE),
                    ">=" => (BinOp::Ge, COMPARE),
                    "+" => (BinOp::Add, ADD),
                    "-" => (BinOp::Sub, ADD),
                    "*" => (BinOp::Mul, MUL),
                    "/" => (BinOp::Div, MUL),
                    _ => (BinOp::Rem, MUL),
                },
                Some(Kind::Keyword(Keyword::Like | Keyword::In | Keyword::Not)) => {
                    let negated = self.peek() == Some(&Kind::Keyword(Keyword::Not));
                    let like = match self.peek_at(usize::from(negated)) {
                        Some(Kind::Keyword(Keyword::Like)) => true,
                        Some(Kind::Keyword(Keyword::In)) => false,
                        _ => {
                            self.next += 1;
                            return Err(self.expected("expected LIKE or IN after NOT"));
                        }
                    };
                    if (if like { LIKE } else { IN }) < min_bp {
                        break;
                    }
                    self.next += 1 + usize::from(negated);
                    (lhs, depth) = if like {
                        self.like(lhs, depth, negated, at)?
                    } else {
                        self.in_set(lhs, depth, negated, at)?
                    };
                    continue;
                }
                _ => break,
            };
            if lbp < min_bp {
                break;
            }
            self.next += 1;
            let (rhs, rdepth) = self.expr(lbp + 1)?;
            (lhs, depth) = node(Expr::Binary(op, Box::new(lhs), Box::new(rhs)), 1 + depth.max(rdepth), at)?;
        }
        Ok((lhs, depth))
    }

    #[inline(never)]
    fn like(&mut self, lhs: Expr, depth: u32, negated: bool, at: usize) -> Result<Parsed, ParseError> {
        let Some(Kind::Str(pattern)) = self.peek().cloned() else {
            return Err(self.expected("expected a string literal pattern after LIKE"));
        };
        self.next += 1;
        node(Expr::Like { expr: Box::new(lhs), pattern: Pattern::new(pattern), negated }, depth + 1, at)
    }

    #[inline(never)]
    fn in_set(&mut self, lhs: Expr, depth: u32, negated: bool, at: usize) -> Result<Parsed, ParseError> {
        self.expect(&Kind::LParen, "expected '(' after IN")?;
        if self.peek() == Some(&Kind::RParen) {
            return Err(self.error_here("expected at least one expression in the IN list"));
        }
        let (set, set_depth) = self.list("expected ',' or ')' after IN list")?;
        node(Expr::In { expr: Box::new(lhs), set, negated }, 1 + depth.max(set_depth), at)
    }

    /// Comma-separated expressions up to and including `)`; the `(` is already consumed.
    #[inline(never)]
    fn list(&mut self, unclosed: &str) -> Result<(Vec<Expr>, u32), ParseError> {
        let mut items = Vec::new();
        let mut depth = 0;
        if self.peek() == Some(&Kind::RParen) {
            self.next += 1;
            return Ok((items, depth));
        }
        loop {
            let (item, d) = self.expr(0)?;
            items.push(item);
            depth = depth.max(d);
            match self.peek() {
                Some(Kind::Comma) => self.next += 1,
                Some(Kind::RParen) => {
                    self.next += 1;
                    return Ok((items, depth));
                }
                _ => return Err(self.expected(unclosed)),
            }
        }
    }

    #[inline(never)]
    fn prefix(&mut self) -> Result<Parsed, ParseError> {
        let at = self.pos();
        let Some(token) = self.bump() else {
            return Err(self.expected("expected an expression"));
        };
        match token.kind {
            Kind::Keyword(Keyword::True) => Ok((Expr::Literal(Value::Boolean(true)), 1)),
            Kind::Keyword(Keyword::False) => Ok((Expr::Literal(Value::Boolean(false)), 1)),
            Kind::Keyword(Keyword::Not) => {
                let (x, d) = self.expr(PREFIX)?;
                node(Expr::Not(Box::new(x)), d + 1, at)
            }
            Kind::Keyword(Keyword::Exists) => match self.bump().map(|t| t.kind) {
                Some(Kind::Word(w)) if is_identifier(w) => Ok((Expr::Exists(w.to_ascii_lowercase()), 1)),
                _ => {
                    self.next -= 1;
                    Err(self.expected("expected an attribute name after EXISTS"))
                }
            },
            // A sign directly before digits belongs to the literal, so -2147483648 is in range.
            Kind::Symbol(sign @ ("-" | "+")) => match self.peek() {
                Some(&Kind::Digits(d)) => {
                    self.next += 1;
                    integer(sign, d, at)
                }
                _ if sign == "-" => {
                    let (x, d) = self.expr(PREFIX)?;
                    node(Expr::Neg(Box::new(x)), d + 1, at)
                }
                _ => Err(ParseError::new(at, "expected an integer after '+'")),
            },
            Kind::Digits(d) => integer("", d, at),
            Kind::Str(s) => Ok((Expr::Literal(Value::String(s)), 1)),
            Kind::LParen => {
                let inner = self.expr(0)?;
                self.expect(&Kind::RParen, "expected ')' to close '('")?;
                Ok(inner)
            }
            Kind::Word(w) if self.peek() == Some(&Kind::LParen) => {
                if !is_function_name(w) {
                    return Err(bad_name(at, w, "a function name (letters and '_', starting with a letter)"));
                }
                self.next += 1;
                let (args, d) = self.list("expected ',' or ')' after function argument")?;
                let name = w.to_ascii_uppercase();
                let builtin = Builtin::resolve(&name, args.len());
                node(Expr::Call { name, builtin, args }, d + 1, at)
            }
            Kind::Word(w) if is_identifier(w) => Ok((Expr::Attribute(w.to_ascii_lowercase()), 1)),
            Kind::Word(w) => Err(bad_name(at, w, "an attribute name (letters and digits only)")),
            _ => {
                self.next -= 1;
                Err(self.expected("expected an expression"))
            }
        }
    }
}

fn integer(sign: &str, digits: &str, at: usize) -> Result<Parsed, ParseError> {
    // Digits only (the lexer saw to that): accumulate negatively so i32::MIN fits.
    let mut value: i32 = 0;
    for d in digits.bytes() {
        match value.checked_mul(10).and_then(|v| v.checked_sub(i32::from(d - b'0'))) {
            Some(v) => value = v,
            None => return Err(out_of_range(at, sign, digits)),
        }
    }
    let value = if sign == "-" { Some(value) } else { value.checked_neg() };
    value.map(|i| (Expr::Literal(Value::Integer(i)), 1)).ok_or_else(|| out_of_range(at, sign, digits))
}

#[cold]
#[inline(never)]
fn too_deep(at: usize) -> ParseError {
    ParseError::new(at, format!("expression nested too deeply (more than {MAX_DEPTH} levels)"))
}

#[cold]
#[inline(never)]
fn out_of_range(at: usize, sign: &str, digits: &str) -> ParseError {
    ParseError::new(at, format!("integer {sign}{digits} is outside the 32-bit range"))
}

#[cold]
#[inline(never)]
fn bad_name(at: usize, word: &str, what: &str) -> ParseError {
    ParseError::new(at, format!("'{word}' is not {what}"))
}

/// Attribute names: ASCII letters and digits (matched in any case, read as lower-case).
fn is_identifier(w: &str) -> bool {
    w.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Function names: a letter, then letters and underscores.
fn is_function_name(w: &str) -> bool {
    w.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && w.bytes().all(|b| b.is_ascii_alphabetic() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(text: &str) -> String {
        parse(text).unwrap().to_string()
    }

    fn err(text: &str) -> (usize, String) {
        let e = parse(text).unwrap_err();
        (e.position, e.message)
    }

    #[test]
    fn precedence_follows_the_spec() {
        assert_eq!(canon("4 * 2 + 4 / 2"), "(4 * 2) + (4 / 2)");
        assert_eq!(canon("a = 1 and b or c"), "((a = 1) AND b) OR c");
        assert_eq!(canon("NOT a = b"), "(NOT a) = b");
        assert_eq!(canon("not exists x"), "NOT EXISTS x");
        assert_eq!(canon("a + b like 'x'"), "a + (b LIKE 'x')");
        assert_eq!(canon("a in (1) like 'x'"), "(a IN (1)) LIKE 'x'");
        assert_eq!(canon("a like 'x' in (true)"), "(a LIKE 'x') IN (TRUE)");
        assert_eq!(canon("1 - 2 - 3"), "(1 - 2) - 3");
        assert_eq!(canon("x NOT IN (1, 'a') not like 'b'"), "(x NOT IN (1, 'a')) NOT LIKE 'b'");
    }

    #[test]
    fn signs_fold_into_literals() {
        assert_eq!(parse("-2147483648").unwrap(), Expr::Literal(Value::Integer(i32::MIN)));
        assert_eq!(parse("+5").unwrap(), Expr::Literal(Value::Integer(5)));
        assert_eq!(canon("4-1"), "4 - 1");
        assert_eq!(canon("--10"), "--10");
        assert_eq!(canon("-(10)"), "-(10)");
        assert_eq!(canon("-x * 2"), "(-x) * 2");
        assert_eq!(err("2147483648").0, 0);
        assert_eq!(err("1 + -2147483649").0, 4);
    }

    #[test]
    fn names_are_case_insensitive() {
        assert_eq!(canon("SOURCE = 'a' AnD concat_ws(',', Id)"), "(source = 'a') AND CONCAT_WS(',', id)");
        assert_eq!(canon("unknown_fn(1)"), "UNKNOWN_FN(1)");
    }

    #[test]
    fn errors_have_positions_and_messages() {
        assert_eq!(err("ABC("), (4, "expected an expression, found end of expression".into()));
        assert_eq!(err("x LIKE 123").0, 7);
        assert_eq!(err("x IN ()"), (6, "expected at least one expression in the IN list".into()));
        assert_eq!(
            err("x IN (1, 2"),
            (10, "expected ',' or ')' after IN list, found end of expression".into())
        );
        assert_eq!(err("x IN 1").0, 5);
        assert_eq!(err("(1 + 2").0, 6);
        assert_eq!(err("1 + 2)").0, 5);
        assert_eq!(err("1 2").0, 2);
        assert_eq!(err("x NOT 1").0, 6);
        assert_eq!(err("EXISTS 1").0, 7);
        assert_eq!(err("EXISTS").0, 6);
        assert_eq!(err("a_b").0, 0);
        assert_eq!(err("f1(2)").0, 0);
        assert_eq!(err("").0, 0);
        assert_eq!(err("+x").0, 0);
        assert_eq!(err("NOT").0, 3);
        assert_eq!(err("f(1,)").0, 4);
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(err(&deep).1.contains("nested too deeply"));
        let long = vec!["1"; 500].join(" + ");
        assert!(err(&long).1.contains("nested too deeply"));
        let not = "NOT ".repeat(1000) + "TRUE";
        assert!(err(&not).1.contains("nested too deeply"));
        let ok = vec!["1"; 100].join(" + ");
        assert!(parse(&ok).is_ok());
    }
}
