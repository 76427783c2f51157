//! The verdict on one event's deliveries against a delivery policy the caller states: each interval
//! within tolerance or not, retries stopped at the right count or not, `Retry-After` honoured or not.
//!
//! Knative Eventing's delivery rules, as its dispatcher applies them (knative/eventing
//! `pkg/kncloudevents/retries.go`: `RetryConfigFromDeliverySpec`, `SelectiveRetry`; the
//! dispatcher's `generateBackoffFn`; the retry loop of hashicorp/go-retryablehttp, which calls the
//! backoff with the 0-based index of the retry):
//! - retry `n` (1-based) waits `backoffDelay * 2^(n-1)` when exponential, so the first retry waits
//!   `backoffDelay`; `backoffDelay * (n-1)` when linear, so the first retry is immediate. Without
//!   both `backoffPolicy` and `backoffDelay`, retries do not wait.
//! - answers retried: 5xx, 404, 408, 409 and 429; any other answer ends the delivery, and so does
//!   the `retry`-th retry.
//! - after a 429 or 503 with `Retry-After`, the wait is the larger of the backoff and the
//!   `Retry-After`, the latter capped by `retryAfterMax` when given; `retryAfterMax: PT0S` ignores
//!   `Retry-After`.

use super::duration::parse_iso8601;
use super::retry_after_ms;
use crate::core::id::EventId;
use serde::{Deserialize, Serialize};

/// Tolerance of `tolerance` absent: a quarter of the expected interval…
pub const DEFAULT_TOLERANCE: f64 = 0.25;
/// …but never less than this, for network and scheduling jitter.
pub const TOLERANCE_FLOOR_MS: u64 = 50;

/// A stated delivery policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Most retries after the first attempt.
    pub retry: u32,
    pub schedule: Schedule,
    /// `retryAfterMax`: `Some(0)` ignores `Retry-After`.
    pub retry_after_max_ms: Option<u64>,
    /// Fraction of the expected interval an actual one may differ by (at least the floor).
    pub tolerance: f64,
}

/// How long each retry waits.
#[derive(Debug, Clone, PartialEq)]
pub enum Schedule {
    Exponential(u64),
    Linear(u64),
    /// The wait before retry `n` is the `n-1`-th entry.
    Intervals(Vec<u64>),
    Immediate,
}

impl Schedule {
    /// The wait before retry `n` (1-based).
    fn backoff_ms(&self, n: u32) -> Option<u64> {
        match self {
            Schedule::Exponential(delay) => Some(delay.saturating_mul(1u64 << (n - 1).min(63))),
            Schedule::Linear(delay) => Some(delay.saturating_mul(u64::from(n - 1))),
            Schedule::Intervals(list) => list.get(n as usize - 1).copied(),
            Schedule::Immediate => Some(0),
        }
    }
}

/// The policy parameters of `GET /api/deliveries`, by their Knative names, as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyQuery {
    pub retry: Option<String>,
    #[serde(rename = "backoffPolicy")]
    pub backoff_policy: Option<String>,
    #[serde(rename = "backoffDelay")]
    pub backoff_delay: Option<String>,
    #[serde(rename = "retryAfterMax")]
    pub retry_after_max: Option<String>,
    /// Comma-separated ISO-8601 durations: the wait before each retry.
    pub intervals: Option<String>,
    pub tolerance: Option<String>,
}

impl PolicyQuery {
    /// The query string of `GET /api/deliveries` for the event `source`+`id` under this policy;
    /// empty parameters are left out.
    pub fn deliveries_query(&self, source: &str, id: &str) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("source", source).append_pair("id", id);
        let named = [
            ("retry", &self.retry),
            ("backoffPolicy", &self.backoff_policy),
            ("backoffDelay", &self.backoff_delay),
            ("retryAfterMax", &self.retry_after_max),
            ("intervals", &self.intervals),
            ("tolerance", &self.tolerance),
        ];
        for (name, value) in named {
            if let Some(value) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                query.append_pair(name, value);
            }
        }
        query.finish()
    }

    /// The stated policy; `None` when no parameter states one. The error names the parameter.
    pub fn policy(&self) -> Result<Option<Policy>, (&'static str, String)> {
        let stated =
            [&self.retry, &self.backoff_policy, &self.backoff_delay, &self.retry_after_max, &self.intervals];
        if stated.iter().all(|p| p.is_none()) {
            return match &self.tolerance {
                Some(_) => Err((
                    "tolerance",
                    "a tolerance needs a policy (retry, backoffPolicy, … or intervals)".into(),
                )),
                None => Ok(None),
            };
        }
        let retry = self
            .retry
            .as_deref()
            .map(|r| {
                r.parse::<u32>().map_err(|_| ("retry", format!("`{r}` is not a whole number of retries")))
            })
            .transpose()?;
        let delay =
            self.backoff_delay.as_deref().map(parse_iso8601).transpose().map_err(|e| ("backoffDelay", e))?;
        let schedule = match (self.backoff_policy.as_deref(), delay, self.intervals.as_deref()) {
            (Some(_), _, Some(_)) | (_, Some(_), Some(_)) => {
                return Err((
                    "intervals",
                    "either intervals or backoffPolicy and backoffDelay, not both".into(),
                ));
            }
            (Some("exponential"), Some(delay), None) => Schedule::Exponential(delay),
            (Some("linear"), Some(delay), None) => Schedule::Linear(delay),
            (Some(policy @ ("exponential" | "linear")), None, None) => {
                return Err((
                    "backoffDelay",
                    format!("backoffPolicy {policy} needs a backoffDelay such as PT0.2S"),
                ));
            }
            (Some(other), _, None) => {
                return Err(("backoffPolicy", format!("`{other}` is neither linear nor exponential")));
            }
            (None, Some(_), None) => {
                return Err((
                    "backoffPolicy",
                    "a backoffDelay needs a backoffPolicy (linear or exponential)".into(),
                ));
            }
            (None, None, Some(list)) => Schedule::Intervals(
                list.split(',')
                    .map(|d| parse_iso8601(d.trim()))
                    .collect::<Result<_, _>>()
                    .map_err(|e| ("intervals", e))?,
            ),
            (None, None, None) => Schedule::Immediate,
        };
        let retry = match (&schedule, retry) {
            (_, Some(retry)) => retry,
            (Schedule::Intervals(list), None) => u32::try_from(list.len()).unwrap_or(u32::MAX),
            (_, None) => 0,
        };
        let retry_after_max_ms = self
            .retry_after_max
            .as_deref()
            .map(parse_iso8601)
            .transpose()
            .map_err(|e| ("retryAfterMax", e))?;
        let tolerance = match self.tolerance.as_deref() {
            None => DEFAULT_TOLERANCE,
            Some(t) => t
                .parse::<f64>()
                .ok()
                .filter(|t| (0.0..=10.0).contains(t))
                .ok_or(("tolerance", format!("`{t}` is not a fraction from 0 to 10 (0.25 is a quarter)")))?,
        };
        Ok(Some(Policy { retry, schedule, retry_after_max_ms, tolerance }))
    }
}

/// One delivery as the verdict needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    /// Unix ms of its arrival.
    pub arrived_ms: i64,
    pub status: u16,
    /// How long its answer was held.
    pub delay_ms: u64,
    pub retry_after: Option<String>,
}

impl Attempt {
    /// Unix ms of its answer: what the next attempt's interval is measured from.
    pub fn answered_ms(&self) -> i64 {
        self.arrived_ms.saturating_add(i64::try_from(self.delay_ms).unwrap_or(i64::MAX))
    }
}

/// Whether a Knative dispatcher retries after this status (`SelectiveRetry`).
pub fn retryable(status: u16) -> bool {
    status >= 500 || matches!(status, 404 | 408 | 409 | 429)
}

/// The checks of one interval: the wait before `attempt`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct IntervalCheck {
    /// The attempt that came after this interval (2 for the first retry).
    pub attempt: u32,
    /// From the previous answer to this arrival; negative when it came before that answer.
    pub actual_ms: i64,
    /// What the policy asks; none past the policy's retries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_ms: Option<u64>,
    /// Within tolerance of `expected_ms`.
    pub ok: bool,
    /// The wait the previous answer's `Retry-After` asked for (429 or 503 only, capped by `retryAfterMax`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
    /// Whether this attempt waited at least that long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_honoured: Option<bool>,
}

/// The verdict against a policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Verdict {
    /// Every check held.
    pub matches: bool,
    /// Retries the policy asks for, given the answers: it stops at the first answer not retried
    /// or after `retry` retries.
    pub expected_retries: u32,
    pub actual_retries: u32,
    pub intervals: Vec<IntervalCheck>,
    /// Each failed check, for people.
    pub reasons: Vec<String>,
    /// The tolerance applied: this fraction of each expected interval, at least `tolerance_floor_ms`.
    pub tolerance: f64,
    pub tolerance_floor_ms: u64,
}

/// One delivery of an event, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DeliveryRow {
    pub history_id: EventId,
    pub received_at: String,
    /// Its attempt number; none for events stored before deliveries were recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
    /// The status answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// How long the answer was held.
    pub delay_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<String>,
    /// The rule's delay was not held: too many answers were held already.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub delay_skipped: bool,
    /// From the previous delivery's answer (its arrival plus its delay) to this arrival.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_ms: Option<i64>,
}

/// `GET /api/deliveries` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Deliveries {
    pub source: String,
    pub id: String,
    pub deliveries: Vec<DeliveryRow>,
    /// The verdict against the policy of the query; none without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
}

/// Judges `attempts` (oldest first) against `policy`.
pub fn judge(attempts: &[Attempt], policy: &Policy) -> Verdict {
    let mut reasons = Vec::new();
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let limit = policy.retry.saturating_add(1);
    let stop = attempts.iter().position(|a| !retryable(a.status)).map_or(limit, |i| count(i + 1));
    let expected_attempts = stop.min(limit);
    let actual_attempts = count(attempts.len());
    if actual_attempts == 0 {
        reasons.push("no delivery of this event is in the history".to_owned());
    } else if actual_attempts > expected_attempts {
        let why = match attempts.get(expected_attempts as usize - 1) {
            Some(last) if !retryable(last.status) => {
                format!("after a {} answer, which is not retried", last.status)
            }
            _ => format!("after {} retries, the policy's limit", policy.retry),
        };
        reasons.push(format!(
            "went on too long: {actual_attempts} attempts, where the policy stops at {expected_attempts} ({why})"
        ));
    } else if actual_attempts < expected_attempts {
        reasons.push(format!(
            "stopped early (or is still retrying): {actual_attempts} attempts, where the policy makes {expected_attempts}"
        ));
    }
    let mut intervals = Vec::new();
    for (i, pair) in attempts.windows(2).enumerate() {
        let (previous, this) = (&pair[0], &pair[1]);
        let attempt = count(i + 2);
        let retry = attempt - 1;
        let answered = previous.answered_ms();
        let actual_ms = this.arrived_ms - answered;
        let retry_after_ms = previous
            .retry_after
            .as_deref()
            .filter(|_| matches!(previous.status, 429 | 503))
            .and_then(|value| retry_after_ms(value, answered).ok())
            .and_then(|wait| match policy.retry_after_max_ms {
                Some(0) => None,
                Some(max) => Some(wait.min(max)),
                None => Some(wait),
            });
        let backoff = (attempt <= expected_attempts).then(|| policy.schedule.backoff_ms(retry)).flatten();
        let expected_ms = backoff.map(|backoff| backoff.max(retry_after_ms.unwrap_or(0)));
        let ok = expected_ms.is_some_and(|expected| {
            let allowance = ((expected as f64 * policy.tolerance) as u64).max(TOLERANCE_FLOOR_MS);
            actual_ms.abs_diff(i64::try_from(expected).unwrap_or(i64::MAX)) <= allowance
        });
        let retry_after_honoured = retry_after_ms
            .map(|wait| actual_ms + i64::try_from(TOLERANCE_FLOOR_MS).unwrap_or(0) >= wait as i64);
        if retry_after_honoured == Some(false) {
            reasons.push(format!(
                "ignores Retry-After: attempt {attempt} came {actual_ms} ms after a {} answer that asked for {} ms \
                 (Retry-After: {})",
                previous.status,
                retry_after_ms.unwrap_or(0),
                previous.retry_after.as_deref().unwrap_or_default()
            ));
        }
        if let (Some(expected), false) = (expected_ms, ok) {
            reasons.push(format!("attempt {attempt} came {actual_ms} ms after the previous answer; the policy waits {expected} ms"));
        }
        intervals.push(IntervalCheck {
            attempt,
            actual_ms,
            expected_ms,
            ok,
            retry_after_ms,
            retry_after_honoured,
        });
    }
    Verdict {
        matches: reasons.is_empty(),
        expected_retries: expected_attempts.saturating_sub(1),
        actual_retries: actual_attempts.saturating_sub(1),
        intervals,
        reasons,
        tolerance: policy.tolerance,
        tolerance_floor_ms: TOLERANCE_FLOOR_MS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn knative(retry: u32, schedule: Schedule) -> Policy {
        Policy { retry, schedule, retry_after_max_ms: None, tolerance: DEFAULT_TOLERANCE }
    }

    /// Attempts arriving at these ms, answered with these statuses at once.
    fn attempts(at: &[(i64, u16)]) -> Vec<Attempt> {
        at.iter()
            .map(|&(arrived_ms, status)| Attempt { arrived_ms, status, delay_ms: 0, retry_after: None })
            .collect()
    }

    #[test]
    fn knative_exponential_and_linear_backoff() {
        let exponential = Schedule::Exponential(200);
        assert_eq!(
            (1..=4).map(|n| exponential.backoff_ms(n).unwrap()).collect::<Vec<_>>(),
            [200, 400, 800, 1600]
        );
        let linear = Schedule::Linear(200);
        assert_eq!((1..=4).map(|n| linear.backoff_ms(n).unwrap()).collect::<Vec<_>>(), [0, 200, 400, 600]);
        let list = Schedule::Intervals(vec![10, 20]);
        assert_eq!((list.backoff_ms(2), list.backoff_ms(3)), (Some(20), None));
    }

    #[test]
    fn a_producer_retrying_like_knative_matches() {
        let verdict =
            judge(&attempts(&[(0, 503), (205, 503), (610, 202)]), &knative(3, Schedule::Exponential(200)));
        assert!(verdict.matches, "{verdict:?}");
        assert_eq!((verdict.expected_retries, verdict.actual_retries), (2, 2));
        let got: Vec<_> =
            verdict.intervals.iter().map(|i| (i.attempt, i.actual_ms, i.expected_ms, i.ok)).collect();
        assert_eq!(got, [(2, 205, Some(200), true), (3, 405, Some(400), true)]);
    }

    #[test]
    fn early_late_and_miscounted_retries_are_called_out() {
        let early =
            judge(&attempts(&[(0, 503), (10, 503), (420, 202)]), &knative(3, Schedule::Exponential(200)));
        assert!(!early.matches);
        assert!(!early.intervals[0].ok && early.intervals[1].ok);
        assert!(early.reasons[0].contains("attempt 2 came 10 ms"), "{:?}", early.reasons);

        let too_long =
            judge(&attempts(&[(0, 503), (200, 503), (600, 202)]), &knative(1, Schedule::Exponential(200)));
        assert_eq!((too_long.expected_retries, too_long.actual_retries), (1, 2));
        assert!(too_long.reasons[0].starts_with("went on too long"), "{:?}", too_long.reasons);
        assert_eq!(too_long.intervals[1].expected_ms, None);

        let after_success =
            judge(&attempts(&[(0, 202), (200, 202)]), &knative(3, Schedule::Exponential(200)));
        assert!(after_success.reasons[0].contains("not retried"), "{:?}", after_success.reasons);

        let early_stop = judge(&attempts(&[(0, 503), (200, 503)]), &knative(3, Schedule::Exponential(200)));
        assert_eq!((early_stop.expected_retries, early_stop.actual_retries), (3, 1));
        assert!(early_stop.reasons[0].starts_with("stopped early"), "{:?}", early_stop.reasons);

        let bad_request = judge(&attempts(&[(0, 400)]), &knative(3, Schedule::Exponential(200)));
        assert!(bad_request.matches, "a 400 is not retried: {bad_request:?}");
        assert!(!judge(&[], &knative(0, Schedule::Immediate)).matches);
    }

    #[test]
    fn retry_after_on_429_and_503_is_honoured_or_called_out() {
        let mut list = attempts(&[(0, 503), (20, 202)]);
        list[0].retry_after = Some("1".into());
        let ignored = judge(&list, &knative(3, Schedule::Exponential(10)));
        assert_eq!(ignored.intervals[0].retry_after_ms, Some(1000));
        assert_eq!(ignored.intervals[0].retry_after_honoured, Some(false));
        assert!(
            ignored.reasons.iter().any(|r| r.starts_with("ignores Retry-After")),
            "{:?}",
            ignored.reasons
        );

        list[1].arrived_ms = 1010;
        let honoured = judge(&list, &knative(3, Schedule::Exponential(10)));
        assert!(honoured.matches, "{honoured:?}");
        assert_eq!(honoured.intervals[0].expected_ms, Some(1000), "the larger of backoff and Retry-After");

        let capped =
            judge(&list, &Policy { retry_after_max_ms: Some(500), ..knative(3, Schedule::Exponential(10)) });
        assert_eq!(capped.intervals[0].retry_after_ms, Some(500));
        list[1].arrived_ms = 20;
        let off =
            judge(&list, &Policy { retry_after_max_ms: Some(0), ..knative(3, Schedule::Exponential(10)) });
        assert!(off.matches, "retryAfterMax PT0S ignores Retry-After: {off:?}");

        list[0].status = 500;
        let not_read = judge(&list, &knative(3, Schedule::Exponential(10)));
        assert_eq!(
            not_read.intervals[0].retry_after_ms, None,
            "Knative reads Retry-After on 429 and 503 only"
        );
    }

    #[test]
    fn intervals_are_measured_from_the_held_answer() {
        let mut list = attempts(&[(0, 503), (1200, 202)]);
        list[0].delay_ms = 1000;
        let verdict = judge(&list, &knative(1, Schedule::Exponential(200)));
        assert_eq!(verdict.intervals[0].actual_ms, 200);
        assert!(verdict.matches, "{verdict:?}");
    }

    #[test]
    fn the_deliveries_query_names_the_event_and_only_the_stated_parameters() {
        let policy = PolicyQuery {
            retry: Some("3".into()),
            backoff_policy: Some("exponential".into()),
            backoff_delay: Some(" PT0.2S ".into()),
            intervals: Some(String::new()),
            ..PolicyQuery::default()
        };
        assert_eq!(
            policy.deliveries_query("/orders?x=1", "a&b"),
            "source=%2Forders%3Fx%3D1&id=a%26b&retry=3&backoffPolicy=exponential&backoffDelay=PT0.2S"
        );
    }

    #[test]
    fn policy_parameters_by_their_knative_names() {
        let query = |pairs: &[(&str, &str)]| {
            let text: String = pairs.iter().map(|(k, v)| format!("{k}={v}&")).collect();
            serde_json::from_value::<PolicyQuery>(serde_json::Value::Object(
                form_urlencoded::parse(text.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned().into()))
                    .collect(),
            ))
            .unwrap()
            .policy()
        };
        assert_eq!(query(&[]), Ok(None));
        assert_eq!(
            query(&[
                ("retry", "3"),
                ("backoffPolicy", "exponential"),
                ("backoffDelay", "PT0.2S"),
                ("retryAfterMax", "PT5S")
            ]),
            Ok(Some(Policy {
                retry: 3,
                schedule: Schedule::Exponential(200),
                retry_after_max_ms: Some(5000),
                tolerance: DEFAULT_TOLERANCE
            }))
        );
        assert_eq!(
            query(&[("intervals", "PT1S,PT2S"), ("tolerance", "0.5")]),
            Ok(Some(Policy {
                retry: 2,
                schedule: Schedule::Intervals(vec![1000, 2000]),
                retry_after_max_ms: None,
                tolerance: 0.5
            }))
        );
        assert_eq!(query(&[("retry", "2")]).unwrap().unwrap().schedule, Schedule::Immediate);
        for (pairs, field) in [
            (&[("retry", "x")][..], "retry"),
            (&[("backoffPolicy", "fibonacci"), ("backoffDelay", "PT1S")], "backoffPolicy"),
            (&[("backoffPolicy", "linear")], "backoffDelay"),
            (&[("backoffDelay", "PT1S")], "backoffPolicy"),
            (&[("backoffPolicy", "linear"), ("backoffDelay", "1s")], "backoffDelay"),
            (&[("intervals", "PT1S,soon")], "intervals"),
            (&[("intervals", "PT1S"), ("backoffPolicy", "linear")], "intervals"),
            (&[("retry", "1"), ("retryAfterMax", "5")], "retryAfterMax"),
            (&[("retry", "1"), ("tolerance", "-1")], "tolerance"),
            (&[("tolerance", "0.5")], "tolerance"),
        ] {
            assert_eq!(query(pairs).unwrap_err().0, field, "{pairs:?}");
        }
    }
}
