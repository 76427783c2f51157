//! The Knative Trigger dry-run (DESIGN §10): a Trigger's filters, read from its manifest (as JSON;
//! the server turns YAML into JSON first), checked as Knative's webhook would, and run over stored
//! events, saying for each refused event which filter refused it and why.
//!
//! Rules followed (Knative Eventing, "Trigger filtering" and "New trigger filters"):
//! - `spec.filters` (the CloudEvents Subscriptions API filters): every filter must hold. Each is an
//!   object with exactly one dialect: `exact`, `prefix`, `suffix` (attribute -> value; the
//!   attribute's value as text must equal, start with or end with it; case-sensitive; a missing
//!   attribute never matches), `all` and `any` (lists of filters), `not` (one filter) and `cesql`
//!   (an expression that must evaluate to `true` without errors).
//! - `spec.filter.attributes` (legacy): every listed attribute must equal its value exactly; an
//!   empty value accepts any value, or none.
//! - When `spec.filters` is non-empty, `spec.filter` is ignored (Knative: `filters` takes
//!   precedence); both are still checked. Without either, every event is delivered.

use crate::core::cloudevent::{CloudEvent, Map, Value};
use crate::core::expression::{Expression, ParseError, attribute_text};
use std::fmt;

/// A checked Trigger.
#[derive(Debug, Clone)]
pub struct Trigger {
    /// `metadata.name`, when the manifest has one.
    pub name: Option<String>,
    /// `spec.broker`, when given.
    pub broker: Option<String>,
    /// Which of the Trigger's filter fields decides delivery.
    pub rule: Rule,
}

/// What decides delivery.
#[derive(Debug, Clone)]
pub enum Rule {
    /// `spec.filters`, all of which must hold.
    Filters(Vec<Node>),
    /// `spec.filter.attributes`: `(path, attribute, value)`, all of which must hold.
    Attributes(Vec<(String, String, String)>),
    /// No filter: every event is delivered.
    Everything,
}

impl Rule {
    /// The field's name, for answers: `filters`, `filter.attributes` or `none`.
    pub fn field(&self) -> &'static str {
        match self {
            Rule::Filters(_) => "filters",
            Rule::Attributes(_) => "filter.attributes",
            Rule::Everything => "none",
        }
    }
}

/// One filter with where it sits in the document (`spec.filters[1].any[0]`).
#[derive(Debug, Clone)]
pub struct Node {
    pub path: String,
    pub filter: Filter,
}

/// A filter of one dialect.
#[derive(Debug, Clone)]
pub enum Filter {
    Exact(Vec<(String, String)>),
    Prefix(Vec<(String, String)>),
    Suffix(Vec<(String, String)>),
    All(Vec<Node>),
    Any(Vec<Node>),
    Not(Box<Node>),
    Cesql(Box<Expression>),
}

impl Filter {
    /// The dialect's name as written in a manifest.
    pub fn dialect(&self) -> &'static str {
        match self {
            Filter::Exact(_) => "exact",
            Filter::Prefix(_) => "prefix",
            Filter::Suffix(_) => "suffix",
            Filter::All(_) => "all",
            Filter::Any(_) => "any",
            Filter::Not(_) => "not",
            Filter::Cesql(_) => "cesql",
        }
    }
}

const DIALECTS: [&str; 7] = ["exact", "prefix", "suffix", "all", "any", "not", "cesql"];

/// One problem of a manifest, at `path` (`spec.filters[0].cesql`; `""` for the whole document).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggerError {
    pub path: String,
    pub message: String,
    /// For a CESQL expression that does not parse: the 0-based character offset in it.
    pub position: Option<usize>,
}

impl fmt::Display for TriggerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// Whether a Trigger delivers an event, and if not, the filter that refused it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub delivered: bool,
    pub refused_by: Option<Refusal>,
}

/// The filter that refused an event: the innermost one that decided, and why, for people.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Refusal {
    /// Where the filter sits in the manifest, e.g. `spec.filters[1].any`.
    pub path: String,
    /// `exact`, `prefix`, `suffix`, `all`, `any`, `not`, `cesql` or `attributes`.
    pub dialect: String,
    /// E.g. `type is "a.b", not "a.c"` or `cesql error: missing attribute "x"`.
    pub reason: String,
}

impl Trigger {
    /// Reads a manifest: a whole `Trigger` (`apiVersion`, `kind`, `metadata`, `spec`), just its
    /// `spec` (an object with `filters` and/or `filter`), or just a `filters` list (an array).
    /// Every problem is reported, each at its path.
    pub fn from_value(document: &Value) -> Result<Self, Vec<TriggerError>> {
        let mut errors = Vec::new();
        let trigger = read_document(document, &mut errors);
        if errors.is_empty() { Ok(trigger) } else { Err(errors) }
    }

    /// Runs the Trigger's filters over `event`.
    pub fn evaluate(&self, event: &CloudEvent) -> Verdict {
        let refusal = match &self.rule {
            Rule::Filters(nodes) => nodes.iter().find_map(|node| node.refusal(event)),
            Rule::Attributes(attributes) => attributes.iter().find_map(|(path, name, value)| {
                attribute_refusal(event, name, value).map(|reason| Refusal {
                    path: path.clone(),
                    dialect: "attributes".to_owned(),
                    reason,
                })
            }),
            Rule::Everything => None,
        };
        Verdict { delivered: refusal.is_none(), refused_by: refusal }
    }
}

impl Node {
    /// `None` when the filter holds for `event`; else why not.
    fn refusal(&self, event: &CloudEvent) -> Option<Refusal> {
        let refuse = |reason: String| {
            Some(Refusal { path: self.path.clone(), dialect: self.filter.dialect().to_owned(), reason })
        };
        match &self.filter {
            Filter::Exact(pairs) => pairs.iter().find_map(|(name, value)| {
                let reason = match attribute_text(event, name) {
                    None => format!("{name} is missing"),
                    Some(text) if text == value.as_str() => return None,
                    Some(text) => format!("{name} is {}, not {}", quote(&text), quote(value)),
                };
                refuse(reason)
            }),
            Filter::Prefix(pairs) => pairs.iter().find_map(|(name, value)| {
                compare(event, name, |text| text.starts_with(value.as_str()), "start", value)
                    .and_then(&refuse)
            }),
            Filter::Suffix(pairs) => pairs.iter().find_map(|(name, value)| {
                compare(event, name, |text| text.ends_with(value.as_str()), "end", value).and_then(&refuse)
            }),
            // The nested filter that refused says more than "not all held".
            Filter::All(nodes) => nodes.iter().find_map(|node| node.refusal(event)),
            Filter::Any(nodes) => {
                let mut reasons = Vec::new();
                for node in nodes {
                    match node.refusal(event) {
                        None => return None,
                        Some(refusal) => reasons.push(format!("{}: {}", refusal.path, refusal.reason)),
                    }
                }
                if reasons.is_empty() {
                    refuse("no nested filter to match".to_owned())
                } else {
                    refuse(format!("no nested filter matched ({})", reasons.join("; ")))
                }
            }
            Filter::Not(node) => match node.refusal(event) {
                Some(_) => None,
                None => refuse(format!("{} matched", node.path)),
            },
            Filter::Cesql(expression) => {
                if expression.matches(event) {
                    return None;
                }
                let evaluation = expression.evaluate(event);
                match evaluation.errors.first() {
                    Some(error) => refuse(format!("cesql error: {}", error.message)),
                    None => refuse(format!("cesql evaluated to {}", show(&evaluation.value))),
                }
            }
        }
    }
}

/// `None` when attribute `name` of `event` passes `test` (as text); else why not: `"<name> is
/// missing"` or `"<name> does not <end> with "<value>""`.
fn compare(
    event: &CloudEvent,
    name: &str,
    test: impl Fn(&str) -> bool,
    end: &str,
    value: &str,
) -> Option<String> {
    match attribute_text(event, name) {
        None => Some(format!("{name} is missing")),
        Some(text) if test(&text) => None,
        Some(_) => Some(format!("{name} does not {end} with {}", quote(value))),
    }
}

/// The legacy filter's rule for one attribute: `None` when it holds.
fn attribute_refusal(event: &CloudEvent, name: &str, value: &str) -> Option<String> {
    if value.is_empty() {
        return None;
    }
    match attribute_text(event, name) {
        None => Some(format!("{name} is missing")),
        Some(text) if text == value => None,
        Some(text) => Some(format!("{name} is {}, not {}", quote(&text), quote(value))),
    }
}

fn quote(text: &str) -> String {
    serde_json::to_string(text).expect("strings serialize")
}

fn show(value: &cesql::Value) -> String {
    match value {
        cesql::Value::Boolean(flag) => flag.to_string(),
        cesql::Value::Integer(n) => n.to_string(),
        cesql::Value::String(text) => quote(text),
    }
}

/// Collects the problems of a manifest while reading it.
fn read_document(document: &Value, errors: &mut Vec<TriggerError>) -> Trigger {
    let mut trigger = Trigger { name: None, broker: None, rule: Rule::Everything };
    match document {
        Value::Array(_) => {
            let nodes = read_list(document, "filters", errors);
            if !nodes.is_empty() {
                trigger.rule = Rule::Filters(nodes);
            }
        }
        Value::Object(object) if object.contains_key("spec") || object.contains_key("kind") => {
            if let Some(kind) = object.get("kind")
                && kind.as_str() != Some("Trigger")
            {
                errors.push(error("kind", format!("expected \"Trigger\", got {}", describe(kind))));
            }
            if let Some(metadata) = object.get("metadata") {
                match metadata.as_object().map(|m| m.get("name")) {
                    None => errors
                        .push(error("metadata", format!("must be an object, got {}", describe(metadata)))),
                    Some(None) => {}
                    Some(Some(Value::String(name))) => trigger.name = Some(name.clone()),
                    Some(Some(other)) => errors
                        .push(error("metadata.name", format!("must be a string, got {}", describe(other)))),
                }
            }
            match object.get("spec") {
                Some(Value::Object(spec)) => read_spec(spec, "spec.", &mut trigger, errors),
                Some(other) => {
                    errors.push(error("spec", format!("must be an object, got {}", describe(other))))
                }
                None => {}
            }
        }
        Value::Object(spec) if spec.contains_key("filters") || spec.contains_key("filter") => {
            read_spec(spec, "", &mut trigger, errors)
        }
        Value::Object(_) => errors.push(error(
            "",
            "expected a Trigger (with `spec`), its `spec` (with `filters` or `filter`) or a `filters` list"
                .to_owned(),
        )),
        other => errors.push(error("", format!("expected a Trigger object, got {}", describe(other)))),
    }
    trigger
}

fn read_spec(spec: &Map<String, Value>, prefix: &str, trigger: &mut Trigger, errors: &mut Vec<TriggerError>) {
    match spec.get("broker") {
        Some(Value::String(broker)) => trigger.broker = Some(broker.clone()),
        Some(other) => errors
            .push(error(&format!("{prefix}broker"), format!("must be a string, got {}", describe(other)))),
        None => {}
    }
    let attributes = spec.get("filter").map(|filter| read_legacy(filter, &format!("{prefix}filter"), errors));
    let filters = spec.get("filters").map(|list| read_list(list, &format!("{prefix}filters"), errors));
    trigger.rule = match (filters, attributes) {
        (Some(nodes), _) if !nodes.is_empty() => Rule::Filters(nodes),
        (_, Some(attributes)) if !attributes.is_empty() => Rule::Attributes(attributes),
        _ => Rule::Everything,
    };
}

/// `filter: {attributes: {name: value}}`.
fn read_legacy(filter: &Value, path: &str, errors: &mut Vec<TriggerError>) -> Vec<(String, String, String)> {
    let Some(filter) = filter.as_object() else {
        errors.push(error(path, format!("must be an object, got {}", describe(filter))));
        return Vec::new();
    };
    for key in filter.keys().filter(|key| *key != "attributes") {
        errors.push(error(
            &format!("{path}.{key}"),
            "unknown field; a filter has only `attributes`".to_owned(),
        ));
    }
    let Some(attributes) = filter.get("attributes") else { return Vec::new() };
    let path = format!("{path}.attributes");
    read_pairs(attributes, &path, errors)
        .into_iter()
        .map(|(name, value)| (format!("{path}.{name}"), name, value))
        .collect()
}

/// A list of filters at `path`.
fn read_list(list: &Value, path: &str, errors: &mut Vec<TriggerError>) -> Vec<Node> {
    let Some(items) = list.as_array() else {
        errors.push(error(path, format!("must be a list of filters, got {}", describe(list))));
        return Vec::new();
    };
    items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| read_filter(item, &format!("{path}[{i}]"), errors))
        .collect()
}

/// One filter object at `path`: exactly one dialect.
fn read_filter(item: &Value, path: &str, errors: &mut Vec<TriggerError>) -> Option<Node> {
    let Some(object) = item.as_object() else {
        errors.push(error(
            path,
            format!("a filter must be an object with one dialect, got {}", describe(item)),
        ));
        return None;
    };
    let mut unknown = false;
    for key in object.keys().filter(|key| !DIALECTS.contains(&key.as_str())) {
        errors.push(error(
            path,
            format!("unknown dialect {}; the dialects are {}", quote(key), DIALECTS.join(", ")),
        ));
        unknown = true;
    }
    let known: Vec<&String> = object.keys().filter(|key| DIALECTS.contains(&key.as_str())).collect();
    let dialect = match known.as_slice() {
        [one] => one.as_str(),
        [] if unknown => return None,
        [] => {
            errors.push(error(path, "a filter needs exactly one dialect, got none".to_owned()));
            return None;
        }
        many => {
            let names: Vec<&str> = many.iter().map(|k| k.as_str()).collect();
            errors.push(error(
                path,
                format!("a filter needs exactly one dialect, got {}: {}", names.len(), names.join(", ")),
            ));
            return None;
        }
    };
    let value = &object[dialect];
    let inner = format!("{path}.{dialect}");
    let filter = match dialect {
        "exact" | "prefix" | "suffix" => {
            let pairs = read_pairs(value, &inner, errors);
            if pairs.is_empty() && value.as_object().is_some_and(Map::is_empty) {
                errors.push(error(&inner, "needs an attribute and its value".to_owned()));
            }
            match dialect {
                "exact" => Filter::Exact(pairs),
                "prefix" => Filter::Prefix(pairs),
                _ => Filter::Suffix(pairs),
            }
        }
        "all" => Filter::All(read_list(value, &inner, errors)),
        "any" => Filter::Any(read_list(value, &inner, errors)),
        "not" => Filter::Not(Box::new(read_filter(value, &inner, errors)?)),
        _ => match value.as_str().map(Expression::parse) {
            Some(Ok(expression)) => Filter::Cesql(Box::new(expression)),
            Some(Err(ParseError { position, message })) => {
                errors.push(TriggerError { path: inner, message, position: Some(position) });
                return None;
            }
            None => {
                errors.push(error(
                    &inner,
                    format!("must be a CESQL expression (a string), got {}", describe(value)),
                ));
                return None;
            }
        },
    };
    Some(Node { path: path.to_owned(), filter })
}

/// An `attribute: value` map of strings; attribute names as CloudEvents allows them.
fn read_pairs(value: &Value, path: &str, errors: &mut Vec<TriggerError>) -> Vec<(String, String)> {
    let Some(object) = value.as_object() else {
        errors.push(error(
            path,
            format!("must be a map of attribute names to strings, got {}", describe(value)),
        ));
        return Vec::new();
    };
    let mut pairs = Vec::new();
    for (name, value) in object {
        let at = format!("{path}.{name}");
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) {
            errors.push(error(&at, "an attribute name is lower-case letters and digits only".to_owned()));
            continue;
        }
        match value {
            Value::String(text) => pairs.push((name.clone(), text.clone())),
            other => errors
                .push(error(&at, format!("must be a string, got {} (quote it in YAML)", describe(other)))),
        }
    }
    pairs
}

fn error(path: &str, message: String) -> TriggerError {
    TriggerError { path: path.to_owned(), message, position: None }
}

/// A value's kind for messages, with short scalars shown.
fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(flag) => format!("the boolean {flag}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(text) => format!("the string {}", quote(text)),
        Value::Array(_) => "a list".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(changes: Value) -> CloudEvent {
        let mut value = json!({"specversion": "1.0", "id": "e1", "source": "/orders/eu", "type": "com.example.order.created"});
        for (name, v) in changes.as_object().unwrap() {
            value[name] = v.clone();
        }
        CloudEvent::from_value(value).unwrap().event
    }

    fn trigger(document: Value) -> Trigger {
        Trigger::from_value(&document).unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn filters(list: Value) -> Trigger {
        trigger(json!({"apiVersion": "eventing.knative.dev/v1", "kind": "Trigger",
            "metadata": {"name": "t"}, "spec": {"broker": "default", "filters": list}}))
    }

    fn errors(document: Value) -> Vec<String> {
        Trigger::from_value(&document).unwrap_err().iter().map(ToString::to_string).collect()
    }

    fn refusal(trigger: &Trigger, event: &CloudEvent) -> Option<(String, String, String)> {
        let verdict = trigger.evaluate(event);
        assert_eq!(verdict.delivered, verdict.refused_by.is_none());
        verdict.refused_by.map(|r| (r.path, r.dialect, r.reason))
    }

    fn refused(path: &str, dialect: &str, reason: &str) -> Option<(String, String, String)> {
        Some((path.to_owned(), dialect.to_owned(), reason.to_owned()))
    }

    #[test]
    fn reads_the_name_broker_and_rule_of_a_whole_trigger() {
        let t = filters(json!([{"exact": {"type": "a"}}]));
        assert_eq!(t.name.as_deref(), Some("t"));
        assert_eq!(t.broker.as_deref(), Some("default"));
        assert_eq!(t.rule.field(), "filters");
        assert_eq!(trigger(json!({"spec": {"broker": "b"}})).rule.field(), "none");
    }

    #[test]
    fn exact_compares_whole_values_case_sensitively() {
        let t = filters(json!([{"exact": {"type": "com.example.order.created"}}]));
        assert_eq!(refusal(&t, &event(json!({}))), None);
        let other = event(json!({"type": "com.example.order.Created"}));
        assert_eq!(
            refusal(&t, &other),
            refused(
                "spec.filters[0]",
                "exact",
                r#"type is "com.example.order.Created", not "com.example.order.created""#
            )
        );
    }

    #[test]
    fn exact_prefix_and_suffix_need_every_listed_attribute_and_refuse_a_missing_one() {
        let t = filters(json!([{"exact": {"type": "com.example.order.created", "region": "eu"}}]));
        assert_eq!(refusal(&t, &event(json!({"region": "eu"}))), None);
        assert_eq!(refusal(&t, &event(json!({}))), refused("spec.filters[0]", "exact", "region is missing"));
        let p = filters(json!([{"prefix": {"tenant": ""}}]));
        assert_eq!(refusal(&p, &event(json!({}))), refused("spec.filters[0]", "prefix", "tenant is missing"));
        assert_eq!(refusal(&p, &event(json!({"tenant": "x"}))), None, "every text starts with \"\"");
    }

    #[test]
    fn prefix_and_suffix_say_what_failed() {
        let t = filters(json!([{"prefix": {"source": "/orders"}}, {"suffix": {"type": ".created"}}]));
        assert_eq!(refusal(&t, &event(json!({}))), None);
        assert_eq!(
            refusal(&t, &event(json!({"source": "/billing"}))),
            refused("spec.filters[0]", "prefix", r#"source does not start with "/orders""#)
        );
        assert_eq!(
            refusal(&t, &event(json!({"type": "com.example.order.deleted"}))),
            refused("spec.filters[1]", "suffix", r#"type does not end with ".created""#)
        );
    }

    #[test]
    fn non_string_attributes_compare_by_their_text() {
        let t = filters(json!([{"exact": {"seq": "42"}}, {"exact": {"sampled": "true"}}]));
        assert_eq!(refusal(&t, &event(json!({"seq": 42, "sampled": true}))), None);
        assert_eq!(
            refusal(&t, &event(json!({"seq": 7, "sampled": true}))),
            refused("spec.filters[0]", "exact", r#"seq is "7", not "42""#)
        );
    }

    #[test]
    fn all_any_and_not_nest() {
        let t = filters(json!([{"all": [
            {"any": [{"exact": {"type": "a"}}, {"prefix": {"source": "/orders"}}]},
            {"not": {"exact": {"subject": "secret"}}}
        ]}]));
        assert_eq!(refusal(&t, &event(json!({}))), None);
        assert_eq!(refusal(&t, &event(json!({"type": "a", "source": "/x"}))), None, "one of any is enough");
        assert_eq!(
            refusal(&t, &event(json!({"subject": "secret"}))),
            refused("spec.filters[0].all[1]", "not", "spec.filters[0].all[1].not matched")
        );
        assert_eq!(
            refusal(&t, &event(json!({"source": "/x"}))),
            refused(
                "spec.filters[0].all[0]",
                "any",
                r#"no nested filter matched (spec.filters[0].all[0].any[0]: type is "com.example.order.created", not "a"; spec.filters[0].all[0].any[1]: source does not start with "/orders")"#
            )
        );
    }

    #[test]
    fn empty_all_holds_and_empty_any_does_not() {
        assert_eq!(refusal(&filters(json!([{"all": []}])), &event(json!({}))), None);
        assert_eq!(
            refusal(&filters(json!([{"any": []}])), &event(json!({}))),
            refused("spec.filters[0]", "any", "no nested filter to match")
        );
    }

    #[test]
    fn cesql_holds_only_when_true_without_errors() {
        let t = filters(json!([{"cesql": "source LIKE '/orders/%' AND seq > 10"}]));
        assert_eq!(refusal(&t, &event(json!({"seq": 11}))), None);
        assert_eq!(
            refusal(&t, &event(json!({"seq": 3}))),
            refused("spec.filters[0]", "cesql", "cesql evaluated to false")
        );
        let (_, dialect, reason) = refusal(&t, &event(json!({}))).unwrap();
        assert_eq!(dialect, "cesql");
        assert!(reason.starts_with("cesql error: ") && reason.contains("seq"), "{reason}");
    }

    #[test]
    fn every_filter_of_the_list_must_hold_and_the_first_refusal_is_named() {
        let t =
            filters(json!([{"exact": {"type": "com.example.order.created"}}, {"exact": {"subject": "1"}}]));
        assert_eq!(refusal(&t, &event(json!({"subject": "1"}))), None);
        assert_eq!(refusal(&t, &event(json!({"subject": "2"}))).unwrap().0, "spec.filters[1]");
    }

    #[test]
    fn legacy_attributes_need_exact_values_and_empty_means_any() {
        let t = trigger(
            json!({"spec": {"filter": {"attributes": {"type": "com.example.order.created", "region": ""}}}}),
        );
        assert_eq!(t.rule.field(), "filter.attributes");
        assert_eq!(refusal(&t, &event(json!({}))), None, "an empty value accepts a missing attribute");
        assert_eq!(refusal(&t, &event(json!({"region": "us"}))), None);
        assert_eq!(
            refusal(&t, &event(json!({"type": "other"}))),
            refused(
                "spec.filter.attributes.type",
                "attributes",
                r#"type is "other", not "com.example.order.created""#
            )
        );
        let ext = trigger(json!({"spec": {"filter": {"attributes": {"myextension": "v"}}}}));
        assert_eq!(
            refusal(&ext, &event(json!({}))),
            refused("spec.filter.attributes.myextension", "attributes", "myextension is missing")
        );
    }

    #[test]
    fn filters_take_precedence_over_the_legacy_filter_unless_empty() {
        let both =
            json!({"spec": {"filters": [{"exact": {"type": "a"}}], "filter": {"attributes": {"type": "b"}}}});
        let t = trigger(both);
        assert_eq!(t.rule.field(), "filters");
        assert_eq!(refusal(&t, &event(json!({"type": "a"}))), None);
        assert!(refusal(&t, &event(json!({"type": "b"}))).is_some());
        let empty = trigger(json!({"spec": {"filters": [], "filter": {"attributes": {"type": "b"}}}}));
        assert_eq!(empty.rule.field(), "filter.attributes");
        let broken =
            json!({"spec": {"filters": [{"exact": {"type": "a"}}], "filter": {"attributes": {"type": 1}}}});
        assert_eq!(
            errors(broken),
            [r#"spec.filter.attributes.type: must be a string, got the number 1 (quote it in YAML)"#]
        );
    }

    #[test]
    fn accepts_a_spec_or_a_filters_list_alone() {
        let spec = trigger(json!({"filters": [{"exact": {"type": "a"}}]}));
        assert_eq!(refusal(&spec, &event(json!({}))).unwrap().0, "filters[0]");
        let list = trigger(json!([{"exact": {"type": "a"}}]));
        assert_eq!(refusal(&list, &event(json!({}))).unwrap().0, "filters[0]");
        assert_eq!(list.name, None);
    }

    #[test]
    fn names_the_path_of_each_problem() {
        let found = errors(json!({"kind": "Trigger", "spec": {"filters": [
            {"exact": {"type": "a"}},
            {"any": [{"regex": {"type": "a.*"}}]},
            {"exact": {"type": "a"}, "prefix": {"type": "a"}},
            {},
            {"exact": {}},
            {"not": [{"exact": {"type": "a"}}]},
            {"all": {"exact": {"type": "a"}}},
            {"exact": {"Type": "a"}},
            "cesql"
        ]}}));
        assert_eq!(
            found,
            [
                r#"spec.filters[1].any[0]: unknown dialect "regex"; the dialects are exact, prefix, suffix, all, any, not, cesql"#,
                "spec.filters[2]: a filter needs exactly one dialect, got 2: exact, prefix",
                "spec.filters[3]: a filter needs exactly one dialect, got none",
                "spec.filters[4].exact: needs an attribute and its value",
                "spec.filters[5].not: a filter must be an object with one dialect, got a list",
                "spec.filters[6].all: must be a list of filters, got an object",
                "spec.filters[7].exact.Type: an attribute name is lower-case letters and digits only",
                r#"spec.filters[8]: a filter must be an object with one dialect, got the string "cesql""#,
            ]
        );
    }

    #[test]
    fn a_bad_expression_is_reported_with_its_position() {
        let found =
            Trigger::from_value(&json!({"spec": {"filters": [{"any": [{"cesql": "type = 'a' AND ("}]}]}}))
                .unwrap_err();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].path, "spec.filters[0].any[0].cesql");
        assert!(found[0].position.is_some());
        let typed = errors(json!({"spec": {"filters": [{"cesql": 1}]}}));
        assert_eq!(typed, ["spec.filters[0].cesql: must be a CESQL expression (a string), got the number 1"]);
    }

    #[test]
    fn refuses_documents_that_are_not_triggers() {
        assert_eq!(
            errors(json!({"kind": "Broker", "spec": {}})),
            [r#"kind: expected "Trigger", got the string "Broker""#]
        );
        assert_eq!(errors(json!("x")), [r#"expected a Trigger object, got the string "x""#]);
        assert_eq!(errors(json!({"a": 1})).len(), 1);
        assert_eq!(errors(json!({"spec": []})), ["spec: must be an object, got a list"]);
        assert_eq!(
            errors(json!({"spec": {"filters": {}}})),
            ["spec.filters: must be a list of filters, got an object"]
        );
        assert_eq!(
            errors(json!({"spec": {"filter": {"attributes": {}, "cesql": "x"}}})),
            ["spec.filter.cesql: unknown field; a filter has only `attributes`"]
        );
    }
}
