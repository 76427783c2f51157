//! The delivery lab (DESIGN §11): response rules that decide how ingest answers, the record of
//! each delivery, and the verdict on a producer's retries ([`verdict`]).
//!
//! Rules are an ordered list; the first enabled rule whose match holds answers the request. The
//! match is the request path (exact, or with `*` wildcards) and/or a CESQL expression on the
//! request's first event. The answer for one attempt of a `source`+`id` is a pure function of the
//! rule and the attempt number, so every replica answers a retry alike.

pub mod duration;
pub mod form;
pub mod verdict;

use crate::core::cloudevent::{CloudEvent, DecodeError, ValidationError, decode_structured};
use crate::core::expression::{EventPredicate, compile_optional};
use crate::core::glob::Glob;
use crate::core::protocol::{ErrorBody, ErrorDetail};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Most rules in the list.
pub const MAX_RULES: usize = 100;
/// Longest `delay` of a rule: a lab, not a way to hold connections for ever.
pub const MAX_DELAY_MS: u64 = 60_000;
/// Most bytes of a rule's `body`.
pub const MAX_BODY: usize = 64 * 1024;
/// Longest rule name.
pub const MAX_NAME: usize = 100;
/// The failure status of a rule with `fail_first` or `fail_rate` but no `status`.
pub const DEFAULT_FAILURE_STATUS: u16 = 503;
/// Stored events a rules preview looks at: the newest ones.
pub const PREVIEW_EVENTS: usize = 100;

/// `GET` and `PUT /api/rules`: the ordered response rules.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Rules {
    pub rules: Vec<Rule>,
}

/// One response rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Unique and non-empty; recorded with each delivery it answered.
    pub name: String,
    /// A disabled rule is kept but never chosen.
    #[serde(default = "enabled")]
    pub enabled: bool,
    /// Which requests the rule answers; both fields absent: every request.
    #[serde(default, rename = "match")]
    pub matches: Match,
    /// How it answers.
    #[serde(default)]
    pub action: Action,
}

fn enabled() -> bool {
    true
}

/// A rule's match: every given field must hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Match {
    /// The request path, exact or with `*` wildcards (`/r/orders`, `/r/*`), query excluded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// CESQL, evaluated on the request's first event (a batch is answered by its first event).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
}

/// A rule's answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Action {
    /// 200-599. Without `fail_first`/`fail_rate`, every attempt gets it; with them, the failing
    /// attempts do (503 when absent). Absent and neither given: the success answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The body of a `status` answer; default: the JSON error shape, code `rule_answer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Content-Type of `body`; default `text/plain; charset=utf-8` with a body, else JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// `Retry-After` of a `status` answer: seconds (`5`) or an HTTP date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<String>,
    /// Wait before answering (`500ms`, `2s`, `PT2S`), at most 60 s; every answer of the rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<String>,
    /// Attempts 1..=N of each `source`+`id` get `status`; later ones the success answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_first: Option<u32>,
    /// Each attempt fails with this probability, decided by a hash of (seed, source, id, attempt).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_rate: Option<FailRate>,
    /// The success answer is this event (200, as a Knative reply) instead of `202 Accepted`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<Reply>,
}

/// A seeded failure probability: the same seed fails the same attempts, on any replica.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FailRate {
    /// 0 to 1.
    pub probability: f64,
    #[serde(default)]
    pub seed: u64,
}

/// A reply event and its HTTP binding mode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Reply {
    /// A CloudEvent in the JSON event format, validated as ingest would.
    #[cfg_attr(feature = "ssr", schema(value_type = crate::core::cloudevent::CloudEvent))]
    pub event: serde_json::Value,
    #[serde(default)]
    pub mode: ReplyMode,
}

/// How a reply event is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ReplyMode {
    Binary,
    #[default]
    Structured,
}

/// What the history records of one delivery: the answer it got and its attempt number.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DeliveryRecord {
    /// 1 for the first delivery of this `source`+`id`, 2 for the next, and so on.
    pub attempt: u32,
    /// The HTTP status answered.
    pub status: u16,
    /// The rule that answered; none for the default answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// How long the answer was held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// The `Retry-After` answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<String>,
    /// The rule asked for a delay, but too many answers were held already: answered at once.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub delay_skipped: bool,
}

/// `POST /api/rules/preview` answer: what a rules document would have done with the newest
/// stored events, rule by rule and in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RulesPreview {
    /// Stored events looked at: the newest [`PREVIEW_EVENTS`], or all of them when fewer.
    pub scanned: usize,
    /// One per rule of the document, in its order.
    pub rules: Vec<RulePreview>,
}

/// One rule's share of a [`RulesPreview`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RulePreview {
    pub name: String,
    /// Events whose path and filter the rule's match holds for, enabled or not.
    pub matches: usize,
    /// Events it would answer: it is the first enabled rule whose match holds, as ingest chooses.
    pub decides: usize,
}

/// The rules, checked and compiled: what ingest consults.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<Compiled>,
}

#[derive(Debug, Clone)]
struct Compiled {
    name: Arc<str>,
    enabled: bool,
    path: Option<Glob>,
    filter: Option<Arc<dyn EventPredicate>>,
    status: Option<u16>,
    body: Option<String>,
    content_type: Option<String>,
    retry_after: Option<String>,
    delay_ms: u64,
    fail_first: Option<u32>,
    fail_rate: Option<FailRate>,
    reply: Option<(Arc<CloudEvent>, ReplyMode)>,
}

/// The answer to one request.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The rule that chose it; `None`: no rule held, the default `202`.
    pub rule: Option<Arc<str>>,
    pub status: u16,
    pub kind: AnswerKind,
    pub retry_after: Option<String>,
    pub delay_ms: u64,
}

/// What the answer carries.
#[derive(Debug, Clone, PartialEq)]
pub enum AnswerKind {
    /// `202` with the ingest body (`{"accepted", "ids"}`).
    Accepted,
    /// A status with this body and Content-Type.
    Status { body: String, content_type: String },
    /// `200` with this event.
    Reply { event: Arc<CloudEvent>, mode: ReplyMode },
}

impl Answer {
    /// The answer when no rule holds: today's `202`.
    pub fn accepted() -> Self {
        Self { rule: None, status: 202, kind: AnswerKind::Accepted, retry_after: None, delay_ms: 0 }
    }

    /// What the history records for a delivery answered so, at `attempt`; `delay_skipped` when
    /// the delay could not be held.
    pub fn record(&self, attempt: u32, delay_skipped: bool) -> DeliveryRecord {
        DeliveryRecord {
            attempt,
            status: self.status,
            rule: self.rule.as_deref().map(str::to_owned),
            delay_ms: (self.delay_ms > 0 && !delay_skipped).then_some(self.delay_ms),
            retry_after: self.retry_after.clone(),
            delay_skipped,
        }
    }
}

impl RuleSet {
    /// Checks every rule and compiles its match: every problem is reported, each at its path
    /// (`rules[2].action.retry_after`), or the set is ready to answer.
    pub fn compile(rules: &Rules) -> Result<Self, Vec<ValidationError>> {
        let mut errors = Vec::new();
        if rules.rules.len() > MAX_RULES {
            errors.push(problem("rules", format!("at most {MAX_RULES} rules, not {}", rules.rules.len())));
        }
        let compiled = rules
            .rules
            .iter()
            .enumerate()
            .filter_map(|(i, rule)| compile_rule(i, rule, &rules.rules[..i], &mut errors))
            .collect();
        if errors.is_empty() { Ok(Self { rules: compiled }) } else { Err(errors) }
    }

    /// The first enabled rule whose match holds for a request to `path` whose first event is `event`.
    pub fn choose(&self, path: &str, event: &CloudEvent) -> Option<RuleRef<'_>> {
        self.rules.iter().find(|rule| rule.enabled && rule.holds(path, event)).map(RuleRef)
    }

    /// What the rules would have done with `events`, each given with the request path it was
    /// posted to (`None`: an event ingest never rules, such as one the page sent to itself).
    /// Every event counts alone: ingest answers a batch by its first event.
    pub fn preview<'a>(
        &self,
        events: impl IntoIterator<Item = (Option<&'a str>, &'a CloudEvent)>,
    ) -> RulesPreview {
        let mut rules: Vec<RulePreview> = self
            .rules
            .iter()
            .map(|rule| RulePreview { name: rule.name.to_string(), ..RulePreview::default() })
            .collect();
        let mut scanned = 0;
        for (path, event) in events {
            scanned += 1;
            let Some(path) = path else { continue };
            let mut decided = false;
            for (rule, counts) in self.rules.iter().zip(&mut rules) {
                if rule.holds(path, event) {
                    counts.matches += 1;
                    if rule.enabled && !decided {
                        counts.decides += 1;
                        decided = true;
                    }
                }
            }
        }
        RulesPreview { scanned, rules }
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

impl Compiled {
    /// Whether the match holds for a request to `path` whose first event is `event`.
    fn holds(&self, path: &str, event: &CloudEvent) -> bool {
        self.path.as_ref().is_none_or(|glob| glob.is_match(path))
            && self.filter.as_ref().is_none_or(|filter| filter.matches(event))
    }
}

/// A chosen rule.
#[derive(Debug, Clone, Copy)]
pub struct RuleRef<'a>(&'a Compiled);

impl RuleRef<'_> {
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// The answer to attempt `attempt` (1-based) of the event `source`+`id`.
    pub fn answer(&self, attempt: u32, source: &str, id: &str) -> Answer {
        let rule = self.0;
        let fails = match (rule.fail_first, &rule.fail_rate) {
            (None, None) => rule.status.is_some(),
            (first, rate) => {
                first.is_some_and(|n| attempt <= n)
                    || rate.as_ref().is_some_and(|rate| rate.fails(source, id, attempt))
            }
        };
        let (status, kind, retry_after) = if fails {
            let status = rule.status.unwrap_or(DEFAULT_FAILURE_STATUS);
            let (body, content_type) = match &rule.body {
                Some(body) => (
                    body.clone(),
                    rule.content_type.clone().unwrap_or_else(|| "text/plain; charset=utf-8".into()),
                ),
                None => (
                    default_body(&rule.name, status, attempt),
                    rule.content_type.clone().unwrap_or_else(|| "application/json".into()),
                ),
            };
            (status, AnswerKind::Status { body, content_type }, rule.retry_after.clone())
        } else {
            match &rule.reply {
                Some((event, mode)) => {
                    (200, AnswerKind::Reply { event: Arc::clone(event), mode: *mode }, None)
                }
                None => (202, AnswerKind::Accepted, None),
            }
        };
        Answer { rule: Some(Arc::clone(&rule.name)), status, kind, retry_after, delay_ms: rule.delay_ms }
    }
}

/// The JSON error shape naming the rule and the attempt.
fn default_body(rule: &str, status: u16, attempt: u32) -> String {
    let body = ErrorBody {
        error: ErrorDetail {
            code: "rule_answer".into(),
            message: format!("rule `{rule}` answers {status} to attempt {attempt}"),
            details: Vec::new(),
        },
    };
    serde_json::to_string(&body).expect("plain data serializes")
}

impl FailRate {
    /// Whether this attempt fails: a stable hash of (seed, source, id, attempt) under the
    /// probability, so the outcome depends on nothing else (order of arrival, replica, version).
    pub fn fails(&self, source: &str, id: &str, attempt: u32) -> bool {
        let mut hash = Fnv::default();
        hash.write(&self.seed.to_le_bytes());
        hash.write(&(source.len() as u64).to_le_bytes());
        hash.write(source.as_bytes());
        hash.write(id.as_bytes());
        hash.write(&attempt.to_le_bytes());
        // The top 53 bits as a fraction in [0, 1).
        let unit = (mix(hash.0) >> 11) as f64 / (1u64 << 53) as f64;
        unit < self.probability
    }
}

/// FNV-1a, 64 bits: fixed by its definition, unlike `std`'s hasher, which may change between
/// Rust versions (replicas of different builds must agree).
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// SplitMix64's finalizer: spreads FNV's weak low bits over the whole word.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A detail at `path`; `attribute` is the path's last field.
fn problem(path: &str, message: String) -> ValidationError {
    let attribute = path.rsplit('.').next().map(|last| last.split('[').next().unwrap_or(last).to_owned());
    ValidationError { attribute, path: Some(path.to_owned()), message, ..ValidationError::default() }
}

fn compile_rule(
    i: usize,
    rule: &Rule,
    earlier: &[Rule],
    errors: &mut Vec<ValidationError>,
) -> Option<Compiled> {
    let before = errors.len();
    let at = |field: &str| format!("rules[{i}].{field}");
    let name = rule.name.trim();
    if name.is_empty() {
        errors.push(problem(&at("name"), "a rule needs a name".into()));
    } else if rule.name.len() > MAX_NAME {
        errors.push(problem(&at("name"), format!("at most {MAX_NAME} bytes")));
    } else if earlier.iter().any(|other| other.name == rule.name) {
        errors.push(problem(
            &at("name"),
            format!("`{}` names an earlier rule too; names are unique", rule.name),
        ));
    }
    let path = rule.matches.path.as_deref().and_then(|path| {
        if path.starts_with('/') || path.starts_with('*') {
            Some(Glob::new(path))
        } else {
            errors.push(problem(&at("match.path"), format!("`{path}` is not a path: it starts with `/`")));
            None
        }
    });
    let filter = match rule.matches.filter.as_deref().map(compile_optional) {
        None | Some(Ok(None)) => None,
        Some(Ok(Some(filter))) => Some(filter),
        Some(Err(error)) => {
            errors.push(ValidationError {
                kind: Some("parse".into()),
                position: Some(error.position),
                ..problem(&at("match.filter"), error.message)
            });
            None
        }
    };
    let action = &rule.action;
    if let Some(status) = action.status
        && !(200..=599).contains(&status)
    {
        errors.push(problem(&at("action.status"), format!("{status} is not a status from 200 to 599")));
    }
    if action.body.as_ref().is_some_and(|body| body.len() > MAX_BODY) {
        errors.push(problem(&at("action.body"), format!("at most {MAX_BODY} bytes")));
    }
    if let Some(content_type) = &action.content_type
        && (content_type.trim().is_empty() || !is_header_value(content_type))
    {
        errors.push(problem(&at("action.content_type"), "a media type such as text/plain".into()));
    }
    if let Some(retry_after) = &action.retry_after
        && let Err(message) = retry_after_ms(retry_after, 0)
    {
        errors.push(problem(&at("action.retry_after"), message));
    }
    let delay_ms = match action.delay.as_deref().map(duration::parse_short) {
        None => 0,
        Some(Ok(ms)) if ms <= MAX_DELAY_MS => ms,
        Some(Ok(_)) => {
            errors.push(problem(&at("action.delay"), format!("at most {}s", MAX_DELAY_MS / 1000)));
            0
        }
        Some(Err(message)) => {
            errors.push(problem(&at("action.delay"), message));
            0
        }
    };
    if action.fail_first == Some(0) {
        errors.push(problem(&at("action.fail_first"), "at least 1 (omit it to fail no attempt)".into()));
    }
    if let Some(rate) = &action.fail_rate
        && !(0.0..=1.0).contains(&rate.probability)
    {
        errors.push(problem(&at("action.fail_rate.probability"), "a probability from 0 to 1".into()));
    }
    let reply = action.reply.as_ref().and_then(|reply| {
        let text = serde_json::to_vec(&reply.event).expect("a JSON value serializes");
        match decode_structured(&text) {
            Ok(valid) => Some((Arc::new(valid.event), reply.mode)),
            Err(error) => {
                let message = match error {
                    DecodeError::Invalid(details) => {
                        details.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
                    }
                    other => other.to_string(),
                };
                errors.push(problem(&at("action.reply.event"), format!("not a valid CloudEvent: {message}")));
                None
            }
        }
    });
    (errors.len() == before).then(|| Compiled {
        name: rule.name.as_str().into(),
        enabled: rule.enabled,
        path,
        filter,
        status: action.status,
        body: action.body.clone(),
        content_type: action.content_type.clone(),
        retry_after: action.retry_after.clone(),
        delay_ms,
        fail_first: action.fail_first,
        fail_rate: action.fail_rate.clone(),
        reply,
    })
}

/// Visible ASCII and spaces: what an HTTP header value may hold.
fn is_header_value(text: &str) -> bool {
    text.bytes().all(|b| b == b' ' || b == b'\t' || (0x21..0x7f).contains(&b))
}

/// Milliseconds a `Retry-After` value asks to wait when answered at `answered_ms` (Unix ms):
/// delay-seconds, or an HTTP date (RFC 9110 §10.2.3); a date in the past asks for no wait.
pub fn retry_after_ms(value: &str, answered_ms: i64) -> Result<u64, String> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return value
            .parse::<u64>()
            .ok()
            .and_then(|s| s.checked_mul(1000))
            .ok_or_else(|| format!("`{value}` seconds is too long"));
    }
    let date = httpdate::parse_http_date(value).map_err(|_| {
        format!(
            "`{value}` is neither a number of seconds nor an HTTP date such as Wed, 21 Oct 2026 07:28:00 GMT"
        )
    })?;
    let at = date.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
    Ok(u64::try_from(at - answered_ms).unwrap_or(0))
}

/// Reads a rules document, reporting a field of the wrong type (or unknown) at its path: one
/// problem, as a list like [`RuleSet::compile`]'s.
pub fn parse_rules(json: &[u8]) -> Result<Rules, Vec<ValidationError>> {
    let mut deserializer = serde_json::Deserializer::from_slice(json);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let message = error.inner().to_string();
        // serde_json appends " at line L column C"; the path says where already.
        let message = message.split(" at line ").next().unwrap_or(&message).to_owned();
        vec![if path == "." {
            ValidationError { message, ..ValidationError::default() }
        } else {
            problem(&path, message)
        }]
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rules(value: serde_json::Value) -> Rules {
        serde_json::from_value(value).unwrap()
    }

    fn event(ty: &str) -> CloudEvent {
        let body = json!({"specversion": "1.0", "id": "1", "source": "/s", "type": ty}).to_string();
        decode_structured(body.as_bytes()).unwrap().event
    }

    fn paths(errors: &[ValidationError]) -> Vec<&str> {
        errors.iter().filter_map(|e| e.path.as_deref()).collect()
    }

    #[test]
    fn the_first_enabled_rule_whose_match_holds_answers() {
        let set = RuleSet::compile(&rules(json!({"rules": [
            {"name": "off", "enabled": false, "action": {"status": 500}},
            {"name": "orders", "match": {"path": "/r/orders"}, "action": {"status": 503}},
            {"name": "typed", "match": {"path": "/r/*", "filter": "type LIKE 'com.example.%'"}, "action": {"status": 429}},
            {"name": "rest", "action": {"status": 500}}
        ]})))
        .unwrap();
        let name = |path, ty| set.choose(path, &event(ty)).map(|r| r.name().to_owned());
        assert_eq!(name("/r/orders", "x").as_deref(), Some("orders"));
        assert_eq!(name("/r/other", "com.example.a").as_deref(), Some("typed"));
        assert_eq!(name("/r/other", "org.x").as_deref(), Some("rest"));
        assert_eq!(name("/", "com.example.a").as_deref(), Some("rest"));
        assert!(RuleSet::default().choose("/", &event("x")).is_none());
    }

    #[test]
    fn a_preview_counts_matches_of_every_rule_and_decisions_of_the_first_enabled_one() {
        let set = RuleSet::compile(&rules(json!({"rules": [
            {"name": "off", "enabled": false, "match": {"path": "/r/*"}},
            {"name": "orders", "match": {"path": "/r/orders"}},
            {"name": "typed", "match": {"filter": "type = 'a'"}},
            {"name": "rest"}
        ]})))
        .unwrap();
        let (a, b) = (event("a"), event("b"));
        let events = [(Some("/r/orders"), &a), (Some("/r/other"), &a), (Some("/events"), &b), (None, &a)];
        let preview = set.preview(events);
        assert_eq!(preview.scanned, 4);
        let counts: Vec<(&str, usize, usize)> =
            preview.rules.iter().map(|r| (r.name.as_str(), r.matches, r.decides)).collect();
        assert_eq!(counts, [("off", 2, 0), ("orders", 1, 1), ("typed", 2, 1), ("rest", 3, 1)]);
        assert_eq!(
            serde_json::to_value(&preview.rules[1]).unwrap(),
            json!({"name": "orders", "matches": 1, "decides": 1})
        );
        assert_eq!(RuleSet::default().preview([(Some("/"), &a)]), RulesPreview { scanned: 1, rules: vec![] });
    }

    #[test]
    fn fail_first_fails_the_first_attempts_then_accepts() {
        let set = RuleSet::compile(&rules(json!({"rules": [
            {"name": "flaky", "action": {"fail_first": 2, "retry_after": "1", "delay": "5ms"}}
        ]})))
        .unwrap();
        let rule = set.choose("/", &event("t")).unwrap();
        let statuses: Vec<u16> = (1..=4).map(|n| rule.answer(n, "/s", "1").status).collect();
        assert_eq!(statuses, [503, 503, 202, 202]);
        let first = rule.answer(1, "/s", "1");
        assert_eq!(first.retry_after.as_deref(), Some("1"));
        assert_eq!(first.delay_ms, 5);
        let AnswerKind::Status { body, content_type } = &first.kind else { panic!("{first:?}") };
        assert_eq!(content_type, "application/json");
        let body: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(body["error"]["code"], "rule_answer");
        assert_eq!(body["error"]["message"], "rule `flaky` answers 503 to attempt 1");
        assert_eq!(rule.answer(3, "/s", "1").retry_after, None, "success carries no Retry-After");
        let record = first.record(1, false);
        assert_eq!(
            record,
            DeliveryRecord {
                attempt: 1,
                status: 503,
                rule: Some("flaky".into()),
                delay_ms: Some(5),
                retry_after: Some("1".into()),
                delay_skipped: false
            }
        );
        assert_eq!(first.record(1, true).delay_ms, None);
    }

    #[test]
    fn a_status_alone_answers_every_attempt_and_a_reply_replaces_202() {
        let reply = json!({"specversion": "1.0", "id": "r", "source": "/lab", "type": "reply"});
        let set = RuleSet::compile(&rules(json!({"rules": [
            {"name": "always", "match": {"path": "/a"}, "action": {"status": 418, "body": "tea"}},
            {"name": "reply", "match": {"path": "/b"}, "action": {"reply": {"event": reply, "mode": "binary"}}},
            {"name": "slow", "action": {"delay": "1s"}}
        ]})))
        .unwrap();
        let e = event("t");
        let always = set.choose("/a", &e).unwrap().answer(7, "/s", "1");
        assert_eq!(always.status, 418);
        assert_eq!(
            always.kind,
            AnswerKind::Status { body: "tea".into(), content_type: "text/plain; charset=utf-8".into() }
        );
        let reply = set.choose("/b", &e).unwrap().answer(1, "/s", "1");
        assert_eq!(reply.status, 200);
        assert!(
            matches!(&reply.kind, AnswerKind::Reply { event, mode: ReplyMode::Binary } if event.id() == "r")
        );
        let slow = set.choose("/c", &e).unwrap().answer(1, "/s", "1");
        assert_eq!((slow.status, slow.delay_ms, &slow.kind), (202, 1000, &AnswerKind::Accepted));
    }

    #[test]
    fn a_seeded_fail_rate_is_deterministic_and_near_its_probability() {
        let rate = FailRate { probability: 0.3, seed: 42 };
        let first: Vec<bool> = (1..=200).map(|n| rate.fails("/s", "id", n)).collect();
        let again: Vec<bool> = (1..=200).rev().map(|n| rate.fails("/s", "id", n)).rev().collect();
        assert_eq!(first, again, "the order of asking changes nothing");
        let failed = first.iter().filter(|f| **f).count();
        assert!((40..=80).contains(&failed), "{failed} of 200 at 0.3");
        let other = FailRate { probability: 0.3, seed: 43 };
        assert_ne!(first, (1..=200).map(|n| other.fails("/s", "id", n)).collect::<Vec<_>>());
        assert!(!(1..=50).any(|n| FailRate { probability: 0.0, seed: 1 }.fails("/s", "x", n)));
        assert!((1..=50).all(|n| FailRate { probability: 1.0, seed: 1 }.fails("/s", "x", n)));
        // Pinned: a change of hash would answer a replica's retries differently.
        assert_eq!((1..=8).map(|n| u8::from(rate.fails("/s", "id", n))).collect::<Vec<_>>(), PINNED_FAILS);
    }

    const PINNED_FAILS: [u8; 8] = [0, 0, 0, 0, 0, 0, 1, 1];

    #[test]
    fn every_bad_field_is_reported_at_its_path() {
        let errors = RuleSet::compile(&rules(json!({"rules": [
            {"name": "", "match": {"path": "orders", "filter": "type ="}, "action": {
                "status": 700, "content_type": "a\nb", "retry_after": "soon", "delay": "2h",
                "fail_first": 0, "fail_rate": {"probability": 1.5, "seed": 1},
                "reply": {"event": {"specversion": "1.0", "id": "1"}}}},
            {"name": "dup", "action": {"delay": "61s"}},
            {"name": "dup"}
        ]})))
        .unwrap_err();
        assert_eq!(
            paths(&errors),
            [
                "rules[0].name",
                "rules[0].match.path",
                "rules[0].match.filter",
                "rules[0].action.status",
                "rules[0].action.content_type",
                "rules[0].action.retry_after",
                "rules[0].action.delay",
                "rules[0].action.fail_first",
                "rules[0].action.fail_rate.probability",
                "rules[0].action.reply.event",
                "rules[1].action.delay",
                "rules[2].name",
            ]
        );
        assert_eq!(errors[2].kind.as_deref(), Some("parse"));
        assert_eq!(errors[3].attribute.as_deref(), Some("status"));
        assert!(errors[9].message.contains("source"), "{}", errors[9].message);
    }

    #[test]
    fn a_field_of_the_wrong_type_is_reported_at_its_path() {
        let error = parse_rules(br#"{"rules":[{"name":"a"},{"name":"b","action":{"status":"503"}}]}"#)
            .unwrap_err()
            .remove(0);
        assert_eq!(error.path.as_deref(), Some("rules[1].action.status"));
        assert!(error.message.contains("expected u16"), "{}", error.message);
        let error = parse_rules(br#"{"rules":[{"name":"a","acton":{}}]}"#).unwrap_err().remove(0);
        assert_eq!(error.path.as_deref(), Some("rules[0].acton"));
        assert!(parse_rules(br#"{"rules":[]}"#).unwrap().rules.is_empty());
    }

    #[test]
    fn retry_after_is_seconds_or_an_http_date() {
        assert_eq!(retry_after_ms("5", 0), Ok(5000));
        let at = 1_792_567_680_000; // Wed, 21 Oct 2026 07:28:00 GMT
        assert_eq!(retry_after_ms("Wed, 21 Oct 2026 07:28:00 GMT", at - 3000), Ok(3000));
        assert_eq!(retry_after_ms("Wed, 21 Oct 2026 07:28:00 GMT", at + 1), Ok(0));
        assert!(retry_after_ms("soon", 0).is_err());
        assert!(retry_after_ms("-1", 0).is_err());
    }
}
