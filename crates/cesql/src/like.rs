//! LIKE patterns (spec §3.4.3): `%` any run of characters, `_` one character, `\` escapes.

/// One element of a compiled pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    /// `%`: zero or more characters (consecutive `%` are folded into one).
    Any,
    /// `_`: exactly one character.
    One,
    /// A character matched as itself, case-sensitively.
    Char(char),
}

/// A LIKE pattern, compiled once at parse time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Pattern {
    /// The pattern as written (after string-literal unescaping); printed back by `Display`.
    pub source: String,
    parts: Vec<Part>,
}

impl Pattern {
    /// `\%`, `\_` and `\\` match `%`, `_` and `\`; any other `\` matches a backslash, so
    /// `'ab\c'` matches the text `ab\c`.
    pub fn new(source: String) -> Pattern {
        let mut parts = Vec::new();
        let mut chars = source.chars().peekable();
        while let Some(c) = chars.next() {
            let part = match c {
                '%' if parts.last() == Some(&Part::Any) => continue,
                '%' => Part::Any,
                '_' => Part::One,
                '\\' => match chars.peek() {
                    Some(&n @ ('%' | '_' | '\\')) => {
                        chars.next();
                        Part::Char(n)
                    }
                    _ => Part::Char('\\'),
                },
                c => Part::Char(c),
            };
            parts.push(part);
        }
        Pattern { source, parts }
    }

    /// Whether the whole of `text` matches. Greedy with one backtrack point (the last `%`), so
    /// the time is at most O(len(text) * len(pattern)) and nothing is allocated.
    pub fn matches(&self, text: &str) -> bool {
        let parts = &self.parts;
        let (mut p, mut t) = (0, 0); // index into parts, byte offset into text
        // After a `%`: the part following it, and where in the text it is tried next.
        let mut retry: Option<(usize, usize)> = None;
        while t < text.len() {
            let c = text[t..].chars().next().unwrap_or_default();
            match parts.get(p) {
                Some(Part::One) => {
                    p += 1;
                    t += c.len_utf8();
                    continue;
                }
                Some(Part::Char(want)) if *want == c => {
                    p += 1;
                    t += c.len_utf8();
                    continue;
                }
                Some(Part::Any) => {
                    p += 1;
                    retry = Some((p, t));
                    continue;
                }
                _ => {}
            }
            // Mismatch: let the last `%` swallow one more character, or fail.
            let Some((after_any, from)) = retry else {
                return false;
            };
            let skipped = text[from..].chars().next().map_or(1, char::len_utf8);
            retry = Some((after_any, from + skipped));
            p = after_any;
            t = from + skipped;
        }
        parts[p..].iter().all(|part| *part == Part::Any)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn like(text: &str, pattern: &str) -> bool {
        Pattern::new(pattern.to_owned()).matches(text)
    }

    #[test]
    fn wildcards() {
        assert!(like("", ""));
        assert!(like("", "%"));
        assert!(!like("", "_"));
        assert!(like("héllo", "h_llo"));
        assert!(like("héllo", "%llo"));
        assert!(like("mississippi", "%iss%ppi"));
        assert!(!like("mississippi", "%iss%ppx"));
        assert!(like("abcabc", "%abc"));
        assert!(like("aXbXc", "a%b%c"));
        assert!(!like("abc", "ab"));
        assert!(!like("ab", "abc"));
        assert!(!like("Abc", "abc"));
    }

    #[test]
    fn escapes() {
        assert!(like("50%", r"50\%"));
        assert!(!like("500", r"50\%"));
        assert!(like("a_b", r"a\_b"));
        assert!(!like("axb", r"a\_b"));
        assert!(like(r"a\b", r"a\\b"));
        assert!(like(r"a\b", r"a\b"));
        assert!(like(r"a\", r"a\"));
        assert!(!like(r"a\xyz", r"a\%"));
        assert!(like(r"a\xyz", r"a\\%"));
    }

    #[test]
    fn worst_case_stays_quadratic() {
        let text = "a".repeat(2000);
        let pattern = format!("{}b", "%a".repeat(500));
        assert!(!like(&text, &pattern));
    }
}
