//! `*` wildcard patterns for the `type`, `source` and `subject` filters (DESIGN §4 `?type=com.example.*`,
//! §6 filter bar). Matching only: which attribute a pattern applies to is the filter's business.

/// Whether `text` matches `pattern`, where `*` matches any run of characters (including none) and every
/// other character matches itself, case-sensitively. There is no escape: a pattern cannot match a
/// literal `*` except through a `*`.
///
/// Runs in linear time, with no backtracking blow-up on patterns like `*a*a*a*b`. Filters run against
/// every event of a burst, and patterns come from URLs, so the cost must not depend on their shape.
pub fn matches(pattern: &str, text: &str) -> bool {
    match (pattern.find('*'), pattern.rfind('*')) {
        (Some(first), Some(last)) => matches_stars(pattern, first, last, text),
        _ => pattern == text,
    }
}

/// A pattern parsed once for matching many texts, such as a filter applied to every incoming event.
/// Same semantics as [`matches`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Glob {
    pattern: String,
    /// Byte offsets of the first and last `*`, or `None` for a literal pattern.
    stars: Option<(usize, usize)>,
}

impl Glob {
    /// Parses `pattern`. Every string is a valid pattern.
    pub fn new(pattern: &str) -> Self {
        let stars = pattern.find('*').zip(pattern.rfind('*'));
        Self { pattern: pattern.to_owned(), stars }
    }

    /// Whether `text` matches this pattern; see [`matches`].
    pub fn is_match(&self, text: &str) -> bool {
        match self.stars {
            Some((first, last)) => matches_stars(&self.pattern, first, last, text),
            None => self.pattern == text,
        }
    }

    /// Whether the pattern has no `*`, so it matches exactly one text (itself).
    pub fn is_literal(&self) -> bool {
        self.stars.is_none()
    }

    /// The pattern as given.
    pub fn as_str(&self) -> &str {
        &self.pattern
    }
}

/// Matches a pattern whose first and last `*` are at byte offsets `first` and `last`. The text must
/// start with the part before the first star and end with the part after the last; the literal runs
/// between stars must then occur in order, without overlap, in what lies between. Taking the leftmost
/// occurrence of each run is enough (it leaves the most room for the rest), so there is no backtracking,
/// and `str::find` (two-way search) keeps each step linear in the text it scans.
fn matches_stars(pattern: &str, first: usize, last: usize, text: &str) -> bool {
    let (prefix, suffix) = (&pattern[..first], &pattern[last + 1..]);
    if text.len() < prefix.len() + suffix.len() || !text.starts_with(prefix) || !text.ends_with(suffix) {
        return false;
    }
    let mut rest = &text[prefix.len()..text.len() - suffix.len()];
    for run in pattern[first..last].split('*').filter(|run| !run.is_empty()) {
        match rest.find(run) {
            Some(at) => rest = &rest[at + run.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Checks `matches` and `Glob` together, so both stay in agreement.
    fn check(pattern: &str, text: &str) -> bool {
        let result = matches(pattern, text);
        assert_eq!(Glob::new(pattern).is_match(text), result, "{pattern:?} on {text:?}");
        result
    }

    #[test]
    fn a_literal_pattern_matches_only_itself() {
        assert!(check("com.example.order", "com.example.order"));
        assert!(!check("com.example.order", "com.example.orders"));
        assert!(!check("com.example.order", "com.example.orde"));
        assert!(Glob::new("a.b").is_literal());
    }

    #[test]
    fn matching_is_case_sensitive() {
        assert!(!check("Com.Example", "com.example"));
        assert!(!check("com.*", "COM.example"));
    }

    #[test]
    fn a_trailing_star_matches_a_prefix() {
        assert!(check("com.example.*", "com.example.order.created"));
        assert!(check("com.example.*", "com.example."));
        assert!(!check("com.example.*", "com.example"));
        assert!(!check("com.example.*", "org.example.order"));
    }

    #[test]
    fn a_leading_star_matches_a_suffix() {
        assert!(check("*.created", "com.example.order.created"));
        assert!(check("*.created", ".created"));
        assert!(!check("*.created", "com.example.order.created.v2"));
    }

    #[test]
    fn a_middle_star_matches_any_run_between_prefix_and_suffix() {
        assert!(check("com.*.created", "com.example.order.created"));
        assert!(check("com.*.created", "com..created"));
        assert!(!check("com.*.created", "com.created"));
        assert!(!check("a*a", "a"));
        assert!(check("a*a", "aa"));
    }

    #[test]
    fn several_stars_match_their_runs_in_order() {
        assert!(check("*order*created*", "com.example.order.created.v1"));
        assert!(!check("*created*order*", "com.example.order.created.v1"));
        assert!(check("a*b*c", "abc"));
        assert!(check("a*b*c", "axxbyybzc"));
        assert!(!check("a*b*c", "acb"));
        assert!(check("**", ""));
        assert!(check("a**b", "ab"));
    }

    #[test]
    fn middle_runs_do_not_overlap() {
        assert!(!check("*aba*aba*", "ababa"));
        assert!(check("*aba*aba*", "abaaba"));
    }

    #[test]
    fn a_star_alone_matches_everything() {
        assert!(check("*", ""));
        assert!(check("*", "anything at all"));
    }

    #[test]
    fn the_empty_pattern_matches_only_the_empty_text() {
        assert!(check("", ""));
        assert!(!check("", "x"));
    }

    #[test]
    fn unicode_characters_are_matched_whole() {
        assert!(check("caf\u{e9}.*", "caf\u{e9}.order"));
        assert!(check("*\u{1F600}*", "a\u{1F600}b"));
        assert!(check("\u{1F600}*\u{1F600}", "\u{1F600}\u{1F600}"));
        assert!(!check("\u{1F600}*\u{1F600}", "\u{1F600}"));
        assert!(!check("caf\u{e9}", "cafe\u{301}"));
    }

    #[test]
    fn many_stars_against_a_long_text_stay_fast() {
        let pattern = format!("{}*b*", "*a".repeat(50));
        let text = "a".repeat(100_000);
        assert!(!check(&pattern, &text));
        assert!(check(&pattern, &format!("{text}b")));
    }

    #[test]
    fn glob_keeps_its_pattern() {
        assert_eq!(Glob::new("a*").as_str(), "a*");
        assert!(!Glob::new("a*").is_literal());
    }

    /// The definition, directly: exponential in the worst case, so only for small inputs.
    fn reference(pattern: &[char], text: &[char]) -> bool {
        match pattern.split_first() {
            None => text.is_empty(),
            Some(('*', rest)) => (0..=text.len()).any(|skip| reference(rest, &text[skip..])),
            Some((c, rest)) => text.first() == Some(c) && reference(rest, &text[1..]),
        }
    }

    proptest! {
        #[test]
        fn agrees_with_the_reference_matcher(pattern in "[ab*\u{e9}]{0,8}", text in "[ab\u{e9}*]{0,12}") {
            let p: Vec<char> = pattern.chars().collect();
            let t: Vec<char> = text.chars().collect();
            prop_assert_eq!(check(&pattern, &text), reference(&p, &t));
        }

        #[test]
        fn a_pattern_matches_a_text_built_from_it(
            pattern in "[a-c.*]{0,10}",
            fills in proptest::collection::vec("[a-c.*]{0,4}", 10),
        ) {
            let mut fills = fills.into_iter();
            let text: String =
                pattern.chars().map(|c| if c == '*' { fills.next().unwrap_or_default() } else { c.to_string() }).collect();
            prop_assert!(check(&pattern, &text));
        }
    }
}
