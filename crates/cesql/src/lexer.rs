//! Splits expression text into tokens, each with its character offset.

use crate::error::ParseError;

/// A keyword; recognised in any case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Keyword {
    And,
    Or,
    Xor,
    Not,
    Like,
    Exists,
    In,
    True,
    False,
}

const KEYWORDS: [(&str, Keyword); 9] = [
    ("AND", Keyword::And),
    ("OR", Keyword::Or),
    ("XOR", Keyword::Xor),
    ("NOT", Keyword::Not),
    ("LIKE", Keyword::Like),
    ("EXISTS", Keyword::Exists),
    ("IN", Keyword::In),
    ("TRUE", Keyword::True),
    ("FALSE", Keyword::False),
];

impl Keyword {
    fn of(word: &str) -> Option<Keyword> {
        KEYWORDS.iter().find(|(k, _)| k.eq_ignore_ascii_case(word)).map(|&(_, k)| k)
    }

    /// The keyword in upper case, as the canonical text writes it.
    pub fn name(self) -> &'static str {
        KEYWORDS.iter().find(|&&(_, k)| k == self).map_or("", |&(name, _)| name)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Kind<'s> {
    LParen,
    RParen,
    Comma,
    /// One of `* / % + - = != <> < <= > >=`.
    Symbol(&'static str),
    Keyword(Keyword),
    /// Unsigned decimal digits; the parser applies a sign and checks the range.
    Digits(&'s str),
    /// A run of `[A-Za-z0-9_]` that is not a keyword or all digits: an identifier or a function.
    Word(&'s str),
    /// A string literal, quotes removed and escapes resolved.
    Str(String),
}

#[derive(Clone, Debug)]
pub(crate) struct Token<'s> {
    pub kind: Kind<'s>,
    /// 0-based character offset of the token's first character.
    pub pos: usize,
}

/// The tokens of `text` and its length in characters.
pub(crate) fn tokenize(text: &str) -> Result<(Vec<Token<'_>>, usize), ParseError> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    let mut pos = 0; // in characters
    while let Some((start, c)) = chars.next() {
        let token_pos = pos;
        pos += 1;
        let kind = match c {
            ' ' | '\t' | '\r' | '\n' => continue,
            '(' => Kind::LParen,
            ')' => Kind::RParen,
            ',' => Kind::Comma,
            '*' => Kind::Symbol("*"),
            '/' => Kind::Symbol("/"),
            '%' => Kind::Symbol("%"),
            '+' => Kind::Symbol("+"),
            '-' => Kind::Symbol("-"),
            '=' => Kind::Symbol("="),
            '!' | '<' | '>' => {
                let next = chars.peek().map(|&(_, n)| n);
                let two = match (c, next) {
                    ('!', Some('=')) => Some("!="),
                    ('<', Some('>')) => Some("<>"),
                    ('<', Some('=')) => Some("<="),
                    ('>', Some('=')) => Some(">="),
                    _ => None,
                };
                match (two, c) {
                    (Some(op), _) => {
                        chars.next();
                        pos += 1;
                        Kind::Symbol(op)
                    }
                    (None, '<') => Kind::Symbol("<"),
                    (None, '>') => Kind::Symbol(">"),
                    _ => return Err(ParseError::new(token_pos, "unexpected '!'; did you mean '!='?")),
                }
            }
            '\'' | '"' => {
                let mut value = String::new();
                loop {
                    let Some((_, d)) = chars.next() else {
                        return Err(ParseError::new(
                            token_pos,
                            format!("unterminated string literal; expected a closing {c}"),
                        ));
                    };
                    pos += 1;
                    if d == c {
                        // A doubled quote stands for one quote character.
                        if chars.peek().is_some_and(|&(_, n)| n == c) {
                            chars.next();
                            pos += 1;
                            value.push(c);
                            continue;
                        }
                        break;
                    }
                    if d == '\\' {
                        match chars.peek() {
                            // `\'`, `\"` and `\\` stand for the character itself; any other
                            // backslash stays, so LIKE patterns keep their `\%` and `\_` escapes.
                            Some(&(_, n)) if n == '\'' || n == '"' || n == '\\' => {
                                chars.next();
                                pos += 1;
                                value.push(n);
                            }
                            _ => value.push('\\'),
                        }
                        continue;
                    }
                    value.push(d);
                }
                Kind::Str(value)
            }
            c if c.is_ascii_alphanumeric() || c == '_' => {
                let mut end = start + 1;
                while let Some(&(i, n)) = chars.peek() {
                    if !(n.is_ascii_alphanumeric() || n == '_') {
                        break;
                    }
                    chars.next();
                    pos += 1;
                    end = i + 1;
                }
                let word = &text[start..end];
                if word.bytes().all(|b| b.is_ascii_digit()) {
                    Kind::Digits(word)
                } else if let Some(k) = Keyword::of(word) {
                    Kind::Keyword(k)
                } else {
                    Kind::Word(word)
                }
            }
            c => return Err(ParseError::new(token_pos, format!("unexpected character '{c}'"))),
        };
        tokens.push(Token { kind, pos: token_pos });
    }
    Ok((tokens, pos))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<Kind<'_>> {
        tokenize(text).unwrap().0.into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn splits_operators_words_and_numbers_with_character_positions() {
        let (tokens, len) = tokenize("'é' <= 10 AnD x1").unwrap();
        assert_eq!(len, 16);
        let got: Vec<_> = tokens.into_iter().map(|t| (t.kind, t.pos)).collect();
        assert_eq!(
            got,
            [
                (Kind::Str("é".into()), 0),
                (Kind::Symbol("<="), 4),
                (Kind::Digits("10"), 7),
                (Kind::Keyword(Keyword::And), 10),
                (Kind::Word("x1"), 14)
            ]
        );
    }

    #[test]
    fn string_escapes() {
        assert_eq!(kinds(r#"'a\'b''c'"#), [Kind::Str("a'b'c".into())]);
        assert_eq!(kinds(r#""a\"b""c""#), [Kind::Str("a\"b\"c".into())]);
        assert_eq!(kinds(r"'\\ \% \_ \c'"), [Kind::Str(r"\ \% \_ \c".into())]);
        assert_eq!(kinds(r#"'"' "'""#), [Kind::Str("\"".into()), Kind::Str("'".into())]);
    }

    #[test]
    fn errors_point_at_the_character() {
        assert_eq!(tokenize("ab ! c").unwrap_err().position, 3);
        assert_eq!(tokenize("1 = 'abc").unwrap_err().position, 4);
        assert_eq!(tokenize("'ü' = ü").unwrap_err().position, 6);
    }

    #[test]
    fn words_digits_and_keywords() {
        assert_eq!(
            kinds("123 1a CONCAT_WS exists"),
            [Kind::Digits("123"), Kind::Word("1a"), Kind::Word("CONCAT_WS"), Kind::Keyword(Keyword::Exists)]
        );
    }
}
