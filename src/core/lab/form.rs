//! The rules panel's words and form (DESIGN §11): a rule as the text fields that edit it, read back
//! into a [`Rule`] (empty fields left out), and a rule in one line for the list. Checking the
//! rule is the server's (`PUT /api/rules`); this only turns text into the document's types.

use super::{DEFAULT_FAILURE_STATUS, FailRate, Match, Reply, ReplyMode, Rule};

/// Every field of a rule as typed: empty text is an absent field.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleForm {
    pub name: String,
    pub enabled: bool,
    pub path: String,
    pub filter: String,
    pub status: String,
    pub body: String,
    pub content_type: String,
    pub retry_after: String,
    pub delay: String,
    pub fail_first: String,
    pub fail_probability: String,
    pub fail_seed: String,
    /// The reply event as JSON text.
    pub reply: String,
    pub reply_mode: ReplyMode,
}

impl Default for RuleForm {
    fn default() -> Self {
        Self::from_rule(&Rule {
            name: String::new(),
            enabled: true,
            matches: Match::default(),
            action: super::Action::default(),
        })
    }
}

impl RuleForm {
    /// A new rule's form: every field empty but a name not yet in `taken`.
    pub fn new_rule(taken: &[Rule]) -> Self {
        let name = (taken.len() + 1..)
            .map(|n| format!("rule-{n}"))
            .find(|name| taken.iter().all(|rule| &rule.name != name))
            .expect("some number is free");
        Self { name, ..Self::default() }
    }

    /// The form of an existing rule.
    pub fn from_rule(rule: &Rule) -> Self {
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        let number = |value: Option<u64>| value.map(|n| n.to_string()).unwrap_or_default();
        let action = &rule.action;
        let rate = action.fail_rate.as_ref();
        Self {
            name: rule.name.clone(),
            enabled: rule.enabled,
            path: text(&rule.matches.path),
            filter: text(&rule.matches.filter),
            status: number(action.status.map(u64::from)),
            body: text(&action.body),
            content_type: text(&action.content_type),
            retry_after: text(&action.retry_after),
            delay: text(&action.delay),
            fail_first: number(action.fail_first.map(u64::from)),
            fail_probability: rate.map(|r| r.probability.to_string()).unwrap_or_default(),
            fail_seed: number(rate.map(|r| r.seed)),
            reply: action
                .reply
                .as_ref()
                .map(|r| serde_json::to_string_pretty(&r.event).expect("a JSON value serializes"))
                .unwrap_or_default(),
            reply_mode: action.reply.as_ref().map(|r| r.mode).unwrap_or_default(),
        }
    }

    /// The rule, as the `index`-th of the document: a field that is not a number (or the reply not
    /// JSON) is an error that names it as the server would (`rules[0].action.status: ...`). Text
    /// fields are sent as typed (trimmed), for the server to check.
    pub fn to_rule(&self, index: usize) -> Result<Rule, String> {
        let at = |field: &str, message: String| format!("rules[{index}].{field}: {message}");
        let text = |value: &str| Some(value.trim()).filter(|v| !v.is_empty()).map(str::to_owned);
        fn number<T: std::str::FromStr>(value: &str) -> Result<Option<T>, String> {
            let value = value.trim();
            if value.is_empty() {
                return Ok(None);
            }
            value.parse().map(Some).map_err(|_| format!("`{value}` is not a whole number"))
        }
        let status = number::<u16>(&self.status).map_err(|m| at("action.status", m))?;
        let fail_first = number::<u32>(&self.fail_first).map_err(|m| at("action.fail_first", m))?;
        let fail_rate = match text(&self.fail_probability) {
            None => None,
            Some(probability) => Some(FailRate {
                probability: probability.parse().map_err(|_| {
                    at("action.fail_rate.probability", format!("`{probability}` is not a number from 0 to 1"))
                })?,
                seed: number::<u64>(&self.fail_seed)
                    .map_err(|m| at("action.fail_rate.seed", m))?
                    .unwrap_or(0),
            }),
        };
        let reply = match text(&self.reply) {
            None => None,
            Some(json) => Some(Reply {
                event: serde_json::from_str(&json)
                    .map_err(|e| at("action.reply.event", format!("not JSON: {e}")))?,
                mode: self.reply_mode,
            }),
        };
        Ok(Rule {
            name: self.name.trim().to_owned(),
            enabled: self.enabled,
            matches: Match { path: text(&self.path), filter: text(&self.filter) },
            action: super::Action {
                status,
                // A body is sent as typed: its spaces may matter to the producer under test.
                body: Some(self.body.clone()).filter(|b| !b.is_empty()),
                content_type: text(&self.content_type),
                retry_after: text(&self.retry_after),
                delay: text(&self.delay),
                fail_first,
                fail_rate,
                reply,
            },
        })
    }
}

/// A rule in one line: what it matches, then how it answers.
/// `/r/orders → 503 to attempts 1-2, then 202 · Retry-After 1`.
pub fn summary(rule: &Rule) -> String {
    let matched = match (&rule.matches.path, &rule.matches.filter) {
        (None, None) => "every request".to_owned(),
        (Some(path), None) => path.clone(),
        (None, Some(filter)) => format!("where {filter}"),
        (Some(path), Some(filter)) => format!("{path} where {filter}"),
    };
    let action = &rule.action;
    let success = match &action.reply {
        Some(reply) => format!("200 with a reply event ({})", mode_name(reply.mode)),
        None => "202".to_owned(),
    };
    let failure = action.status.unwrap_or(DEFAULT_FAILURE_STATUS);
    let attempts = |n: u32| if n == 1 { "attempt 1".to_owned() } else { format!("attempts 1-{n}") };
    let chance = |rate: &FailRate| format!("with probability {} (seed {})", rate.probability, rate.seed);
    let mut answer = match (action.fail_first, &action.fail_rate) {
        (None, None) => action.status.map_or(success, |status| format!("always {status}")),
        (Some(n), None) => format!("{failure} to {}, then {success}", attempts(n)),
        (None, Some(rate)) => format!("{failure} {}, else {success}", chance(rate)),
        (Some(n), Some(rate)) => format!("{failure} to {} and {}, else {success}", attempts(n), chance(rate)),
    };
    if let Some(retry_after) = &action.retry_after {
        answer.push_str(&format!(" · Retry-After {retry_after}"));
    }
    if let Some(delay) = &action.delay {
        answer.push_str(&format!(" · after {delay}"));
    }
    format!("{matched} → {answer}")
}

fn mode_name(mode: ReplyMode) -> &'static str {
    match mode {
        ReplyMode::Binary => "binary",
        ReplyMode::Structured => "structured",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::lab::Rules;
    use serde_json::json;

    fn rule(value: serde_json::Value) -> Rule {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn a_form_with_empty_optional_fields_gives_a_rule_without_them() {
        let form = RuleForm {
            name: " orders ".into(),
            path: "/r/orders".into(),
            status: "503".into(),
            fail_first: " 2".into(),
            ..RuleForm::default()
        };
        let rule = form.to_rule(0).unwrap();
        assert_eq!(
            serde_json::to_value(&rule).unwrap(),
            json!({"name": "orders", "enabled": true, "match": {"path": "/r/orders"}, "action": {"status": 503, "fail_first": 2}})
        );
    }

    #[test]
    fn every_field_goes_there_and_back() {
        let full = rule(json!({"name": "all", "enabled": false,
            "match": {"path": "/r/*", "filter": "type = 'a'"},
            "action": {"status": 429, "body": " busy ", "content_type": "text/plain", "retry_after": "5",
                "delay": "2s", "fail_first": 3, "fail_rate": {"probability": 0.25, "seed": 7},
                "reply": {"event": {"specversion": "1.0", "id": "r", "source": "/lab", "type": "t"}, "mode": "binary"}}}));
        assert_eq!(RuleForm::from_rule(&full).to_rule(0).unwrap(), full);
        let bare = rule(json!({"name": "bare"}));
        assert_eq!(RuleForm::from_rule(&bare).to_rule(0).unwrap(), bare);
    }

    #[test]
    fn a_field_that_is_not_a_number_or_json_is_named_like_the_server_names_it() {
        let form = |f: fn(&mut RuleForm)| {
            let mut form = RuleForm::new_rule(&[]);
            f(&mut form);
            form.to_rule(2).unwrap_err()
        };
        assert!(form(|f| f.status = "abc".into()).starts_with("rules[2].action.status: `abc`"));
        assert!(form(|f| f.status = "70000".into()).starts_with("rules[2].action.status"));
        assert!(form(|f| f.fail_first = "-1".into()).starts_with("rules[2].action.fail_first"));
        assert!(
            form(|f| f.fail_probability = "often".into())
                .starts_with("rules[2].action.fail_rate.probability")
        );
        assert!(form(|f| f.reply = "{".into()).starts_with("rules[2].action.reply.event: not JSON"));
        // Out of range but a number: the server says what is wrong with it.
        assert_eq!(form_ok(|f| f.status = "700".into()).action.status, Some(700));
    }

    fn form_ok(f: fn(&mut RuleForm)) -> Rule {
        let mut form = RuleForm::new_rule(&[]);
        f(&mut form);
        form.to_rule(0).unwrap()
    }

    #[test]
    fn a_new_rule_gets_a_free_name() {
        let taken: Rules =
            serde_json::from_value(json!({"rules": [{"name": "rule-2"}, {"name": "x"}]})).unwrap();
        assert_eq!(RuleForm::new_rule(&taken.rules).name, "rule-3");
        let taken: Rules = serde_json::from_value(json!({"rules": [{"name": "rule-2"}]})).unwrap();
        assert_eq!(RuleForm::new_rule(&taken.rules).name, "rule-3");
        assert_eq!(RuleForm::new_rule(&[]).name, "rule-1");
    }

    #[test]
    fn a_summary_says_what_matches_and_how_it_answers() {
        let line = |value| summary(&rule(value));
        assert_eq!(
            line(
                json!({"name": "a", "match": {"path": "/r/orders"}, "action": {"fail_first": 2, "retry_after": "1"}})
            ),
            "/r/orders → 503 to attempts 1-2, then 202 · Retry-After 1"
        );
        assert_eq!(line(json!({"name": "a", "action": {"status": 500}})), "every request → always 500");
        assert_eq!(line(json!({"name": "a", "action": {"delay": "2s"}})), "every request → 202 · after 2s");
        assert_eq!(
            line(json!({"name": "a", "match": {"path": "/r/*", "filter": "type = 'x'"},
                "action": {"status": 429, "fail_first": 1, "fail_rate": {"probability": 0.3, "seed": 42}}})),
            "/r/* where type = 'x' → 429 to attempt 1 and with probability 0.3 (seed 42), else 202"
        );
        assert_eq!(
            line(
                json!({"name": "a", "match": {"filter": "true"}, "action": {"fail_rate": {"probability": 0.5},
                "reply": {"event": {}, "mode": "binary"}}})
            ),
            "where true → 503 with probability 0.5 (seed 0), else 200 with a reply event (binary)"
        );
    }
}
