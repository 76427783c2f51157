//! The event list filter (DESIGN §6): its criteria, their URL query form, and the compiled matcher
//! run over every stored event on each keystroke and over each new event as it arrives.

use crate::core::cloudevent::{CloudEvent, Value, unix_millis};
use crate::core::expression::{EventPredicate, ParseError, compile_optional};
use crate::core::glob::Glob;
use crate::core::id::EventId;
use std::sync::Arc;

/// The list filter (DESIGN §6): every set criterion must hold (AND). Kept in the page URL query
/// ([`Filter::from_query`], [`Filter::to_query`]) so a shared link reproduces the view.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Pattern for `type`, `*` wildcards, case-sensitive; `""` matches any. Query key `type`.
    pub ty: String,
    /// Pattern for `source`, as for `ty`. Query key `source`.
    pub source: String,
    /// Pattern for `subject`, as for `ty`; an event without a subject never matches a non-empty
    /// pattern. Query key `subject`.
    pub subject: String,
    /// Case-insensitive substring of the event's whole JSON (attributes and data); `""` matches any.
    /// Query key `q`.
    pub text: String,
    /// Received time (the history id's `ms`) must be at or after this (inclusive). Query key `from`.
    pub from_ms: Option<i64>,
    /// Received time must be before this (exclusive), so adjacent ranges never share an event.
    /// Query key `to`.
    pub to_ms: Option<i64>,
    /// `(name, pattern)`: the extension `name` must be present and its value, as text (a string as
    /// is, a boolean or integer as written in JSON), must match `pattern` (`*` wildcards). A name
    /// never contains `=`. Query key `ext`, repeated, value `name=pattern`.
    pub extensions: Vec<(String, String)>,
    /// A CESQL expression (DESIGN §10), the same language as `/stream?filter=`; an event matches
    /// when it evaluates to `true` without errors. Text that does not parse filters nothing (the
    /// filter bar shows where it fails). Query key `filter`.
    pub expression: String,
}

impl Filter {
    /// Whether no criterion is set, so every event matches.
    pub fn is_empty(&self) -> bool {
        self.ty.is_empty()
            && self.source.is_empty()
            && self.subject.is_empty()
            && self.text.is_empty()
            && self.from_ms.is_none()
            && self.to_ms.is_none()
            && self.extensions.is_empty()
            && self.expression.is_empty()
    }

    /// The expression, compiled: `Ok(None)` when there is none, the parse error when it does not
    /// parse.
    pub fn compiled_expression(&self) -> Result<Option<Arc<dyn EventPredicate>>, ParseError> {
        compile_optional(&self.expression)
    }

    /// Parses a URL query string, with or without its leading `?`, decoding it as
    /// `application/x-www-form-urlencoded` (`+` is a space, `%XX` a byte, invalid UTF-8 replaced),
    /// as the browser's `URLSearchParams` does. `from` and `to` take Unix milliseconds or an RFC 3339
    /// timestamp. Unknown keys, unparsable times and `ext` values without `=` are ignored, so a
    /// shared or hand-edited link never breaks the page. A repeated key other than `ext`: the last
    /// usable value wins.
    pub fn from_query(query: &str) -> Self {
        let mut filter = Self::default();
        let query = query.strip_prefix('?').unwrap_or(query);
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            let value = value.into_owned();
            match &*key {
                "type" => filter.ty = value,
                "source" => filter.source = value,
                "subject" => filter.subject = value,
                "q" => filter.text = value,
                "filter" => filter.expression = value,
                "from" => filter.from_ms = parse_time(&value).or(filter.from_ms),
                "to" => filter.to_ms = parse_time(&value).or(filter.to_ms),
                "ext" => {
                    if let Some((name, pattern)) = value.split_once('=') {
                        filter.extensions.push((name.to_owned(), pattern.to_owned()));
                    }
                }
                _ => {}
            }
        }
        filter
    }

    /// The canonical query string, without `?` (`""` for an empty filter): set criteria only, keys in
    /// the order `type source subject q from to ext... filter`, times as Unix milliseconds, values
    /// form-urlencoded (`*` kept readable). `from_query(&f.to_query()) == f` for every filter whose
    /// extension names contain no `=`.
    pub fn to_query(&self) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        let texts =
            [("type", &self.ty), ("source", &self.source), ("subject", &self.subject), ("q", &self.text)];
        for (key, value) in texts {
            if !value.is_empty() {
                query.append_pair(key, value);
            }
        }
        if let Some(from) = self.from_ms {
            query.append_pair("from", &from.to_string());
        }
        if let Some(to) = self.to_ms {
            query.append_pair("to", &to.to_string());
        }
        for (name, pattern) in &self.extensions {
            query.append_pair("ext", &format!("{name}={pattern}"));
        }
        if !self.expression.is_empty() {
            query.append_pair("filter", &self.expression);
        }
        query.finish()
    }

    /// Parses the extension text box: `name=pattern` pairs separated by commas or whitespace. Pairs
    /// without `=` or with an empty name are ignored (they could never match), so half-typed input
    /// filters by what is complete.
    pub fn parse_extensions(text: &str) -> Vec<(String, String)> {
        text.split(|c: char| c == ',' || c.is_whitespace())
            .filter_map(|pair| pair.split_once('='))
            .filter(|(name, _)| !name.is_empty())
            .map(|(name, pattern)| (name.to_owned(), pattern.to_owned()))
            .collect()
    }

    /// The extension text box content for `pairs`: `name=pattern` joined by `", "`. Inverse of
    /// [`Filter::parse_extensions`] for names and patterns without commas or whitespace.
    pub fn format_extensions(pairs: &[(String, String)]) -> String {
        let pairs: Vec<String> = pairs.iter().map(|(name, pattern)| format!("{name}={pattern}")).collect();
        pairs.join(", ")
    }

    /// Compiles the patterns and case-folds the text once, so matching an event allocates nothing
    /// (except to print an integer extension value).
    pub fn compile(&self) -> Matcher {
        self.compile_with(self.compiled_expression().ok().flatten())
    }

    /// [`Filter::compile`] with the expression compiled already ([`Filter::compiled_expression`]):
    /// the page compiles it where the engine is loaded on first use.
    pub fn compile_with(&self, expression: Option<Arc<dyn EventPredicate>>) -> Matcher {
        Matcher {
            attributes: Criteria::new(&self.ty, &self.source, &self.subject).with_expression(expression),
            text: (!self.text.is_empty()).then(|| fold_case(&self.text)),
            from_ms: self.from_ms,
            to_ms: self.to_ms,
            extensions: self
                .extensions
                .iter()
                .map(|(name, pattern)| (name.clone(), Glob::new(pattern)))
                .collect(),
        }
    }
}

/// One event as the filter sees it: the event with its history id and the JSON it arrived as. The
/// JSON is the row's one copy of the text (shared with the cache and relays); the free-text filter
/// searches it in place instead of keeping a case-folded second copy of every event.
#[derive(Debug, Clone, PartialEq)]
pub struct Searchable {
    /// The history id; its `ms` is the received time the time range applies to.
    pub id: EventId,
    /// The event.
    pub event: CloudEvent,
    /// The event's JSON as received (one line, as the `cloudevent` frame carries it).
    pub json: Arc<str>,
    /// `json` is ASCII, so the search can compare bytes without folding.
    ascii: bool,
}

impl Searchable {
    /// Wraps `event` with the JSON it was parsed from.
    pub fn new(id: EventId, event: CloudEvent, json: Arc<str>) -> Self {
        let ascii = json.is_ascii();
        Self { id, event, json, ascii }
    }

    /// Whether the JSON contains `folded` (already case-folded), ignoring case.
    fn contains_folded(&self, folded: &str) -> bool {
        if !self.ascii {
            return fold_case(&self.json).contains(folded);
        }
        // ASCII folds to ASCII: a needle with other characters is in no ASCII text, and must not
        // cost a folded copy of every event per keystroke to find that out.
        let needle = folded.as_bytes();
        needle.is_empty()
            || folded.is_ascii()
                && self.json.as_bytes().windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle))
    }
}

/// A compiled [`Filter`], built by [`Filter::compile`] once per filter change and then run per event.
#[derive(Debug, Clone)]
pub struct Matcher {
    attributes: Criteria,
    /// Case-folded search text.
    text: Option<String>,
    from_ms: Option<i64>,
    to_ms: Option<i64>,
    extensions: Vec<(String, Glob)>,
}

impl Matcher {
    /// Whether `item` meets every criterion. Cheap checks run first; the substring search over the
    /// whole JSON runs only for events that pass the rest.
    pub fn matches(&self, item: &Searchable) -> bool {
        let received = i64::try_from(item.id.ms).unwrap_or(i64::MAX);
        let event = &item.event;
        self.from_ms.is_none_or(|from| received >= from)
            && self.to_ms.is_none_or(|to| received < to)
            && self.attributes.matches(event)
            && self.extensions.iter().all(|(name, glob)| extension_matches(event, name, glob))
            && self.text.as_deref().is_none_or(|text| item.contains_folded(text))
    }

    /// Whether every event matches, so a caller can skip filtering altogether.
    pub fn is_all(&self) -> bool {
        self.attributes.is_all()
            && self.text.is_none()
            && self.from_ms.is_none()
            && self.to_ms.is_none()
            && self.extensions.is_empty()
    }
}

/// Patterns for `type`, `source` and `subject` (`*` wildcards, case-sensitive) and a CESQL
/// expression, AND-combined: the filter bar's attribute fields, and `?type=&source=&subject=&filter=`
/// of `/stream`, `/api/events` and `/api/events/wait`, so a filter means the same in the page, in a
/// stream and in a wait.
#[derive(Debug, Clone, Default)]
pub struct Criteria {
    ty: Option<Glob>,
    source: Option<Glob>,
    subject: Option<Glob>,
    /// Shared: one compiled expression serves every copy of the criteria (each stream's follow).
    expression: Option<Arc<dyn EventPredicate>>,
}

impl Criteria {
    /// An empty pattern constrains nothing (`?type=&source=x` filters by source only).
    pub fn new(ty: &str, source: &str, subject: &str) -> Self {
        // Every event has a type and a source, so an all-`*` pattern for them constrains nothing.
        let any_value = |pattern: &str| (!pattern.bytes().all(|b| b == b'*')).then(|| Glob::new(pattern));
        Self {
            ty: any_value(ty),
            source: any_value(source),
            subject: (!subject.is_empty()).then(|| Glob::new(subject)),
            expression: None,
        }
    }

    /// These criteria and `expression` too (`None` adds nothing), compiled by
    /// [`crate::core::expression::compile_optional`].
    pub fn with_expression(mut self, expression: Option<Arc<dyn EventPredicate>>) -> Self {
        self.expression = expression;
        self
    }

    /// An event without a subject never matches a subject pattern, not even `*`. The expression
    /// matches only when it evaluates to `true` without errors (CESQL filter semantics), and runs
    /// last, after the cheaper patterns.
    pub fn matches(&self, event: &CloudEvent) -> bool {
        self.ty.as_ref().is_none_or(|glob| glob.is_match(event.ty()))
            && self.source.as_ref().is_none_or(|glob| glob.is_match(event.source()))
            && self.subject.as_ref().is_none_or(|glob| event.subject().is_some_and(|s| glob.is_match(s)))
            && self.expression.as_ref().is_none_or(|expression| expression.matches(event))
    }

    /// Whether every event matches.
    pub fn is_all(&self) -> bool {
        self.ty.is_none() && self.source.is_none() && self.subject.is_none() && self.expression.is_none()
    }
}

/// Whether `event` has the extension `name` with a value whose text matches `glob`.
fn extension_matches(event: &CloudEvent, name: &str, glob: &Glob) -> bool {
    // The map lookup rejects most events; only a present member is checked to be an extension
    // rather than a standard attribute or data.
    let Some(value) = event.attribute(name) else { return false };
    if !event.extensions().any(|(extension, _)| extension == name) {
        return false;
    }
    match value {
        Value::String(s) => glob.is_match(s),
        Value::Bool(true) => glob.is_match("true"),
        Value::Bool(false) => glob.is_match("false"),
        other => glob.is_match(&other.to_string()),
    }
}

/// Lowercases character by character, without context rules such as the Greek final sigma, so a
/// substring of a text is still a substring after folding both. ASCII, the common case, is fast.
fn fold_case(text: &str) -> String {
    if text.is_ascii() {
        text.to_ascii_lowercase()
    } else {
        text.chars().flat_map(char::to_lowercase).collect()
    }
}

/// A `from`/`to` value: Unix milliseconds, or an RFC 3339 timestamp.
fn parse_time(value: &str) -> Option<i64> {
    value.parse::<i64>().ok().or_else(|| unix_millis(value))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::{Map, json};

    use super::*;

    fn searchable(id: EventId, event: CloudEvent) -> Searchable {
        let json = event.to_json();
        Searchable::new(id, event, json.into())
    }

    fn event(changes: Value) -> CloudEvent {
        let mut value = json!({
            "specversion": "1.0", "id": "e1", "source": "https://example.com/orders", "type": "com.example.order.created",
        });
        value.as_object_mut().unwrap().extend(changes.as_object().unwrap().clone());
        CloudEvent::from_value(value).expect("a valid test event").event
    }

    fn item(ms: u64, changes: Value) -> Searchable {
        searchable(EventId::new(ms, 0), event(changes))
    }

    fn matches(filter: Filter, item: &Searchable) -> bool {
        filter.compile().matches(item)
    }

    fn pairs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(name, pattern)| ((*name).to_owned(), (*pattern).to_owned())).collect()
    }

    #[test]
    fn an_empty_filter_matches_everything() {
        let filter = Filter::default();
        assert!(filter.is_empty());
        assert!(filter.compile().is_all());
        assert!(matches(filter, &item(5, json!({}))));
    }

    #[test]
    fn any_set_criterion_makes_the_filter_non_empty() {
        let filters = [
            Filter { ty: "a".into(), ..Filter::default() },
            Filter { source: "a".into(), ..Filter::default() },
            Filter { subject: "a".into(), ..Filter::default() },
            Filter { text: "a".into(), ..Filter::default() },
            Filter { from_ms: Some(0), ..Filter::default() },
            Filter { to_ms: Some(0), ..Filter::default() },
            Filter { extensions: pairs(&[("a", "b")]), ..Filter::default() },
            Filter { expression: "seq > 1".into(), ..Filter::default() },
        ];
        for filter in filters {
            assert!(!filter.is_empty(), "{filter:?}");
            assert!(!filter.compile().is_all(), "{filter:?}");
        }
    }

    #[test]
    fn an_expression_filters_with_the_rest_and_one_that_does_not_parse_filters_nothing() {
        let e = item(5, json!({"subject": "orders/42", "seq": 12}));
        let with = |expression: &str| Filter { expression: expression.into(), ..Filter::default() };
        assert!(matches(with("seq > 10 AND subject LIKE 'orders/%'"), &e));
        assert!(!matches(with("seq > 20"), &e));
        assert!(!matches(with("missing = 'x'"), &e), "an evaluation error is no match");
        assert!(!matches(Filter { ty: "other".into(), ..with("seq > 10") }, &e), "AND-ed with the patterns");
        let broken = with("seq > ");
        assert_eq!(broken.compiled_expression().unwrap_err().position, 6);
        assert!(broken.compile().is_all(), "text that does not parse filters nothing");
        assert!(matches(broken, &e));
        assert!(with("").compiled_expression().unwrap().is_none());
    }

    #[test]
    fn a_star_type_or_source_pattern_constrains_nothing() {
        let filter = Filter { ty: "*".into(), source: "**".into(), ..Filter::default() };
        assert!(filter.compile().is_all());
        assert!(!Filter { subject: "*".into(), ..Filter::default() }.compile().is_all());
    }

    #[test]
    fn criteria_alone_treat_empty_patterns_as_unset() {
        let e = item(1, json!({"subject": "orders/42"})).event;
        assert!(Criteria::new("", "", "").is_all());
        assert!(Criteria::new("", "https://example.com/*", "").matches(&e));
        assert!(!Criteria::new("", "https://example.org/*", "").matches(&e));
        assert!(Criteria::new("com.example.*", "", "orders/*").matches(&e));
        assert!(!Criteria::new("", "", "*").matches(&item(1, json!({})).event));
    }

    #[test]
    fn criteria_and_their_expression_must_all_hold() {
        let e = item(1, json!({"subject": "orders/42", "seq": 12})).event;
        let with =
            |ty: &str, text: &str| Criteria::new(ty, "", "").with_expression(compile_optional(text).unwrap());
        assert!(!with("", "seq > 10").is_all());
        assert!(with("", "seq > 10").matches(&e));
        assert!(!with("", "seq > 20").matches(&e));
        assert!(with("com.example.*", "subject LIKE 'orders/%'").matches(&e));
        assert!(!with("other.*", "seq > 10").matches(&e), "the pattern still applies");
        assert!(!with("", "missing = 1").matches(&e), "an evaluation error never matches");
        assert!(!with("", "seq").matches(&e), "only true matches: 12 is not a boolean filter");
    }

    #[test]
    fn type_pattern_matches_with_wildcards() {
        let e = item(1, json!({}));
        assert!(matches(Filter { ty: "com.example.order.created".into(), ..Filter::default() }, &e));
        assert!(matches(Filter { ty: "com.example.*".into(), ..Filter::default() }, &e));
        assert!(!matches(Filter { ty: "com.example.order".into(), ..Filter::default() }, &e));
        assert!(!matches(Filter { ty: "*.deleted".into(), ..Filter::default() }, &e));
        assert!(!matches(Filter { ty: "COM.example.*".into(), ..Filter::default() }, &e), "case-sensitive");
    }

    #[test]
    fn source_pattern_matches_with_wildcards() {
        let e = item(1, json!({}));
        assert!(matches(Filter { source: "https://example.com/*".into(), ..Filter::default() }, &e));
        assert!(!matches(Filter { source: "https://example.org/*".into(), ..Filter::default() }, &e));
    }

    #[test]
    fn subject_pattern_matches_with_wildcards() {
        let e = item(1, json!({"subject": "orders/42"}));
        assert!(matches(Filter { subject: "orders/*".into(), ..Filter::default() }, &e));
        assert!(!matches(Filter { subject: "users/*".into(), ..Filter::default() }, &e));
    }

    #[test]
    fn an_event_without_subject_never_matches_a_subject_pattern() {
        let e = item(1, json!({}));
        assert!(!matches(Filter { subject: "*".into(), ..Filter::default() }, &e));
        assert!(matches(Filter { subject: String::new(), ..Filter::default() }, &e));
    }

    #[test]
    fn text_matches_any_part_of_the_json_case_insensitively() {
        let e = item(1, json!({"subject": "Orders/42", "data": {"customer": "Ada LOVELACE", "total": 12.5}}));
        for text in
            ["ada lovelace", "ADA", "orders/42", "12.5", "customer", "com.example.order", "\"id\":\"e1\""]
        {
            assert!(matches(Filter { text: text.into(), ..Filter::default() }, &e), "{text:?}");
        }
        assert!(!matches(Filter { text: "grace".into(), ..Filter::default() }, &e));
    }

    #[test]
    fn text_folds_non_ascii_case() {
        let e = item(1, json!({"data": "ΟΔΟΣ Straße ÉTÉ"}));
        for text in ["οδοσ", "ΟΔΟΣ", "straße", "été", "ÉtÉ"] {
            assert!(matches(Filter { text: text.into(), ..Filter::default() }, &e), "{text:?}");
        }
    }

    #[test]
    fn text_searches_base64_data_as_written() {
        let e = item(1, json!({"datacontenttype": "application/octet-stream", "data_base64": "aGVsbG8="}));
        assert!(matches(Filter { text: "agvsbg8".into(), ..Filter::default() }, &e));
        assert!(!matches(Filter { text: "hello".into(), ..Filter::default() }, &e));
    }

    #[test]
    fn time_range_includes_from_and_excludes_to() {
        let range = Filter { from_ms: Some(100), to_ms: Some(200), ..Filter::default() };
        let at = |ms| matches(range.clone(), &item(ms, json!({})));
        assert!(!at(99));
        assert!(at(100));
        assert!(at(199));
        assert!(!at(200));
        assert!(matches(Filter { from_ms: Some(100), ..Filter::default() }, &item(u64::MAX, json!({}))));
        assert!(matches(Filter { to_ms: Some(1), ..Filter::default() }, &item(0, json!({}))));
    }

    #[test]
    fn time_range_uses_the_received_time_not_the_event_time() {
        let e = item(1_000, json!({"time": "2000-01-01T00:00:00Z"}));
        assert!(matches(Filter { from_ms: Some(1_000), ..Filter::default() }, &e));
        assert!(!matches(Filter { to_ms: Some(1_000), ..Filter::default() }, &e));
    }

    #[test]
    fn extension_pattern_matches_string_values() {
        let e = item(1, json!({"tenant": "acme-eu", "region": "eu"}));
        let ext = |list: &[(&str, &str)]| Filter { extensions: pairs(list), ..Filter::default() };
        assert!(matches(ext(&[("tenant", "acme-eu")]), &e));
        assert!(matches(ext(&[("tenant", "acme-*")]), &e));
        assert!(matches(ext(&[("tenant", "acme-*"), ("region", "eu")]), &e));
        assert!(!matches(ext(&[("tenant", "acme-*"), ("region", "us")]), &e), "all pairs must hold");
        assert!(!matches(ext(&[("tenant", "acme")]), &e));
        assert!(!matches(ext(&[("missing", "*")]), &e));
    }

    #[test]
    fn extension_pattern_matches_booleans_and_integers_as_json_text() {
        let e = item(1, json!({"sampled": true, "retries": 42, "delta": -3}));
        let ext =
            |name: &str, pattern: &str| Filter { extensions: pairs(&[(name, pattern)]), ..Filter::default() };
        assert!(matches(ext("sampled", "true"), &e));
        assert!(!matches(ext("sampled", "false"), &e));
        assert!(!matches(ext("sampled", "\"true\""), &e));
        assert!(matches(ext("retries", "42"), &e));
        assert!(matches(ext("retries", "4*"), &e));
        assert!(!matches(ext("retries", "4"), &e));
        assert!(matches(ext("delta", "-3"), &e));
        let f = item(1, json!({"sampled": false}));
        assert!(matches(ext("sampled", "false"), &f));
    }

    #[test]
    fn extension_pattern_ignores_standard_attributes_and_data() {
        let e = item(1, json!({"subject": "x", "data": "x"}));
        for name in ["type", "subject", "data", "specversion"] {
            let filter = Filter { extensions: pairs(&[(name, "*")]), ..Filter::default() };
            assert!(!matches(filter, &e), "{name}");
        }
    }

    #[test]
    fn criteria_combine_with_and() {
        let e = item(150, json!({"subject": "orders/42", "tenant": "acme", "data": {"note": "rush"}}));
        let all = Filter {
            ty: "com.example.*".into(),
            source: "https://*".into(),
            subject: "orders/*".into(),
            text: "RUSH".into(),
            from_ms: Some(100),
            to_ms: Some(200),
            extensions: pairs(&[("tenant", "ac*")]),
            expression: "tenant = 'acme'".into(),
        };
        assert!(matches(all.clone(), &e));
        let broken = [
            Filter { ty: "org.*".into(), ..all.clone() },
            Filter { source: "http://*".into(), ..all.clone() },
            Filter { subject: "users/*".into(), ..all.clone() },
            Filter { text: "slow".into(), ..all.clone() },
            Filter { expression: "tenant <> 'acme'".into(), ..all.clone() },
            Filter { from_ms: Some(151), ..all.clone() },
            Filter { to_ms: Some(150), ..all.clone() },
            Filter { extensions: pairs(&[("tenant", "other")]), ..all.clone() },
        ];
        for filter in broken {
            assert!(!matches(filter.clone(), &e), "{filter:?}");
        }
    }

    #[test]
    fn writes_the_canonical_query_in_key_order() {
        let filter = Filter {
            ty: "com.example.*".into(),
            source: "https://example.com/a b".into(),
            subject: "a&b=c".into(),
            text: "50% + more".into(),
            from_ms: Some(1_700_000_000_000),
            to_ms: Some(-5),
            extensions: pairs(&[("tenant", "ac*"), ("sampled", "true")]),
            expression: "seq >= 2 AND type LIKE 'a%'".into(),
        };
        assert_eq!(
            filter.to_query(),
            "type=com.example.*&source=https%3A%2F%2Fexample.com%2Fa+b&subject=a%26b%3Dc&q=50%25+%2B+more\
             &from=1700000000000&to=-5&ext=tenant%3Dac*&ext=sampled%3Dtrue&filter=seq+%3E%3D+2+AND+type+LIKE+%27a%25%27"
        );
        assert_eq!(Filter::from_query(&filter.to_query()), filter);
        assert_eq!(Filter::default().to_query(), "");
    }

    #[test]
    fn parses_a_query_with_or_without_question_mark() {
        let expected = Filter { ty: "a b".into(), text: "x".into(), ..Filter::default() };
        assert_eq!(Filter::from_query("?type=a+b&q=x"), expected);
        assert_eq!(Filter::from_query("type=a%20b&q=x"), expected);
        assert_eq!(Filter::from_query(""), Filter::default());
        assert_eq!(Filter::from_query("?"), Filter::default());
    }

    #[test]
    fn parses_times_as_unix_millis_or_rfc_3339() {
        let filter = Filter::from_query("from=2026-11-26T12:00:00Z&to=1795694400001");
        assert_eq!(filter.from_ms, Some(1_795_694_400_000));
        assert_eq!(filter.to_ms, Some(1_795_694_400_001));
        assert_eq!(
            Filter::from_query("from=2026-11-26T13%3A00%3A00%2B01%3A00").from_ms,
            Some(1_795_694_400_000)
        );
    }

    #[test]
    fn ignores_unknown_keys_and_malformed_values() {
        let filter = Filter::from_query(
            "utm=1&from=yesterday&to=12abc&ext=novalue&ext=ok%3D1&type=%zz%&&=x&source&q=%E2%82&from=7&from=bad",
        );
        assert_eq!(
            filter,
            Filter {
                ty: "%zz%".into(),
                text: "\u{fffd}".into(),
                from_ms: Some(7),
                extensions: pairs(&[("ok", "1")]),
                ..Filter::default()
            }
        );
    }

    #[test]
    fn the_last_value_of_a_repeated_key_wins_and_ext_accumulates() {
        let filter = Filter::from_query("type=a&type=b&ext=k%3D1&ext=k%3D2");
        assert_eq!(filter.ty, "b");
        assert_eq!(filter.extensions, pairs(&[("k", "1"), ("k", "2")]));
    }

    #[test]
    fn an_ext_value_splits_at_its_first_equals_sign() {
        let filter = Filter::from_query("ext=k%3Da%3Db&ext=%3Dv");
        assert_eq!(filter.extensions, pairs(&[("k", "a=b"), ("", "v")]));
    }

    #[test]
    fn parses_the_extension_box_by_commas_and_whitespace() {
        assert_eq!(
            Filter::parse_extensions(" tenant=acme,region=eu*  sampled=true,\n, retries= flag =x noequals"),
            pairs(&[("tenant", "acme"), ("region", "eu*"), ("sampled", "true"), ("retries", "")])
        );
        assert_eq!(Filter::parse_extensions("a=b=c"), pairs(&[("a", "b=c")]));
        assert!(Filter::parse_extensions("").is_empty());
    }

    #[test]
    fn formats_the_extension_box_for_parsing_back() {
        let list = pairs(&[("tenant", "acme"), ("region", "eu*")]);
        assert_eq!(Filter::format_extensions(&list), "tenant=acme, region=eu*");
        assert_eq!(Filter::parse_extensions(&Filter::format_extensions(&list)), list);
        assert_eq!(Filter::format_extensions(&[]), "");
    }

    /// Strings that stress the query encoding: reserved characters, `%` escapes, `+`, spaces, and
    /// arbitrary unicode.
    fn query_text() -> impl Strategy<Value = String> {
        prop_oneof![any::<String>(), "[a&=%+ ?#*é\u{1F600}2B0]{0,8}"]
    }

    fn any_filter() -> impl Strategy<Value = Filter> {
        let name = prop_oneof![any::<String>(), "[a&%+ é2B]{0,4}"].prop_map(|s| s.replace('=', ""));
        (
            (query_text(), query_text(), query_text(), query_text()),
            any::<Option<i64>>(),
            any::<Option<i64>>(),
            proptest::collection::vec((name, query_text()), 0..4),
            query_text(),
        )
            .prop_map(|((ty, source, subject, text), from_ms, to_ms, extensions, expression)| {
                Filter { ty, source, subject, text, from_ms, to_ms, extensions, expression }
            })
    }

    // A naive matcher, written straight from the contract, to check `Matcher` against.

    const STANDARD: [&str; 10] = [
        "specversion",
        "id",
        "source",
        "type",
        "datacontenttype",
        "dataschema",
        "subject",
        "time",
        "data",
        "data_base64",
    ];

    /// `*` wildcard matching by recursion over characters.
    fn wildcard(pattern: &[char], text: &[char]) -> bool {
        match pattern.split_first() {
            None => text.is_empty(),
            Some(('*', rest)) => (0..=text.len()).any(|skip| wildcard(rest, &text[skip..])),
            Some((c, rest)) => text.first() == Some(c) && wildcard(rest, &text[1..]),
        }
    }

    fn chars(text: &str) -> Vec<char> {
        text.chars().collect()
    }

    fn lower(text: &str) -> Vec<char> {
        text.chars().flat_map(char::to_lowercase).collect()
    }

    fn reference(filter: &Filter, id: EventId, map: &Map<String, Value>) -> bool {
        let string = |name: &str| map.get(name).and_then(Value::as_str);
        let pattern_holds = |pattern: &str, value: Option<&str>| {
            pattern.is_empty() || value.is_some_and(|v| wildcard(&chars(pattern), &chars(v)))
        };
        let received = i128::from(id.ms);
        let text_holds = {
            let needle = lower(&filter.text);
            let haystack = lower(&serde_json::to_string(map).unwrap());
            needle.is_empty() || haystack.windows(needle.len()).any(|window| window == needle.as_slice())
        };
        let extensions_hold = filter.extensions.iter().all(|(name, pattern)| {
            !STANDARD.contains(&name.as_str())
                && map.get(name).is_some_and(|value| {
                    let text = match value {
                        Value::String(s) => s.clone(),
                        other => serde_json::to_string(other).unwrap(),
                    };
                    wildcard(&chars(pattern), &chars(&text))
                })
        });
        // The engine through its own JSON adapter, not this crate's `CloudEvent` one.
        let expression_holds = crate::core::expression::parse_optional(Some(&filter.expression))
            .ok()
            .flatten()
            .is_none_or(|expression| expression.matches(map));
        expression_holds
            && pattern_holds(&filter.ty, string("type"))
            && pattern_holds(&filter.source, string("source"))
            && pattern_holds(&filter.subject, string("subject"))
            && filter.from_ms.is_none_or(|from| received >= i128::from(from))
            && filter.to_ms.is_none_or(|to| received < i128::from(to))
            && extensions_hold
            && text_holds
    }

    fn small_event() -> impl Strategy<Value = CloudEvent> {
        let extension = prop_oneof![
            "[ab*]{0,2}".prop_map(Value::from),
            any::<bool>().prop_map(Value::from),
            (-12i32..30).prop_map(Value::from),
        ];
        (
            "[ab.]{1,3}",
            "[ab][ab/]{0,2}",
            proptest::option::of("[abAΣσς]{1,3}"),
            proptest::collection::vec((prop_oneof!["env", "n", "flag"], extension), 0..3),
            proptest::option::of("[aBΣİ\"é ]{0,4}"),
        )
            .prop_map(|(ty, source, subject, extensions, data)| {
                let mut map = Map::new();
                map.insert("specversion".into(), "1.0".into());
                map.insert("id".into(), "x".into());
                map.insert("source".into(), source.into());
                map.insert("type".into(), ty.into());
                if let Some(subject) = subject {
                    map.insert("subject".into(), subject.into());
                }
                for (name, value) in extensions {
                    map.insert(name, value);
                }
                if let Some(data) = data {
                    map.insert("data".into(), data.into());
                }
                CloudEvent::from_value(Value::Object(map)).expect("a valid generated event").event
            })
    }

    fn small_filter() -> impl Strategy<Value = Filter> {
        let pattern = prop_oneof![Just(String::new()), "[ab.*]{1,3}"];
        let ext_pattern = prop_oneof!["true", "false", "[0-9*-]{1,2}", "[ab*]{0,2}"];
        (
            (pattern.clone(), "[ab/*]{0,3}", prop_oneof![Just(String::new()), "[abAΣσς*]{1,3}"]),
            prop_oneof![Just(String::new()), "[aAbBσΣi̇İé\" ]{1,3}"],
            proptest::option::of(0i64..12),
            proptest::option::of(0i64..12),
            proptest::collection::vec((prop_oneof!["env", "n", "flag", "type", "data"], ext_pattern), 0..2),
            prop_oneof![
                Just(String::new()),
                "(type|source|subject|env|n|flag) (=|<>|LIKE) '[ab%]{0,2}'",
                "(NOT )?EXISTS (subject|env|n|flag)",
                "n (<|>=) -?[0-9]",
                "flag (AND|OR) type = 'a'",
                "type =",
            ],
        )
            .prop_map(|((ty, source, subject), text, from_ms, to_ms, extensions, expression)| {
                Filter { ty, source, subject, text, from_ms, to_ms, extensions, expression }
            })
    }

    proptest! {
        #[test]
        fn query_round_trips(filter in any_filter()) {
            let query = filter.to_query();
            prop_assert!(query.bytes().all(|b| b.is_ascii_graphic() && b != b'#'), "{query}");
            prop_assert_eq!(Filter::from_query(&query), filter.clone());
            prop_assert_eq!(Filter::from_query(&format!("?{query}")), filter);
        }

        #[test]
        fn any_query_parses_without_panicking(query in any::<String>()) {
            let filter = Filter::from_query(&query);
            prop_assert_eq!(Filter::from_query(&filter.to_query()), filter);
        }

        #[test]
        fn extension_box_round_trips(list in proptest::collection::vec(("[a-z0-9]{1,6}", "[^,\\s]{0,6}"), 0..4)) {
            let list: Vec<(String, String)> = list;
            prop_assert_eq!(Filter::parse_extensions(&Filter::format_extensions(&list)), list);
        }

        #[test]
        fn matcher_agrees_with_the_reference(
            filter in small_filter(),
            events in proptest::collection::vec((0u64..12, small_event()), 1..8),
        ) {
            let matcher = filter.compile();
            for (ms, event) in events {
                let id = EventId::new(ms, 0);
                let json = serde_json::to_value(&event).unwrap();
                let expected = reference(&filter, id, json.as_object().unwrap());
                let item = searchable(id, event);
                prop_assert_eq!(matcher.matches(&item), expected, "{:?} on {}", filter, item.event.to_json());
            }
        }
    }
}
