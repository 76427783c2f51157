//! The delivery lab over HTTP (DESIGN §11): `GET`/`PUT /api/rules`, `POST /api/rules/preview`,
//! `GET /api/deliveries`, and what ingest asks of the lab: the attempt number of each event and the rules in force. Rules,
//! answers and verdicts are `core::lab`; this keeps them (memory or Redis) and reads requests.

use crate::core::cloudevent::{CloudEvent, DecodeError, DuplicateKey, Mode, ValidationError, unix_millis};
use crate::core::envelope::RequestRecord;
use crate::core::lab::verdict::{Attempt, Deliveries, DeliveryRow, PolicyQuery, judge};
use crate::core::lab::{Answer, AnswerKind, ReplyMode, RuleSet, Rules, parse_rules};
use crate::core::lab::{PREVIEW_EVENTS, RulesPreview};
use crate::core::protocol::{Accepted, ErrorBody};
use crate::server::AppState;
use crate::server::access::is_ingest_path;
use crate::server::api::query;
use crate::server::error::{ApiError, Result};
use crate::server::event_log::{DigestMap, LogError, LogResult, Range};
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use redis::Script;
use redis::aio::ConnectionManager;
use serde::Deserialize;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, RwLock};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Most answers held back by a rule's `delay` at once; past it, answers go at once and the
/// delivery records `delay_skipped`.
pub const MAX_HELD: usize = 1000;
/// Events read from the history per step while one event's deliveries are gathered.
const SCAN_CHUNK: usize = 1000;

pub fn routes(max_body: usize) -> Router<AppState> {
    Router::new()
        .route("/api/rules", get(get_rules).put(put_rules))
        .route("/api/rules/preview", post(preview_rules))
        .route("/api/deliveries", get(get_deliveries))
        .layer(DefaultBodyLimit::max(max_body))
}

/// The rules in force on this replica and the version they were read at (Redis).
struct Active {
    version: u64,
    rules: Arc<Rules>,
    set: Arc<RuleSet>,
}

/// Where rules and attempt counts live.
enum Store {
    /// This process only: attempts in a bounded map, oldest key out first.
    Memory(Mutex<Attempts>),
    /// Shared by every replica on the same stream, and kept across restarts.
    Redis { conn: ConnectionManager, keys: Keys, attempts: Script },
}

/// Delivery counts per `source`+`id` (digest), at most `capacity` of them.
#[derive(Default)]
struct Attempts {
    counts: DigestMap<u32>,
    order: VecDeque<u64>,
    capacity: usize,
}

/// The lab's Redis keys, beside the history's (every key starts with the stream's).
struct Keys {
    /// Hash: duplicate key -> deliveries counted.
    attempts: String,
    /// List of the hash's keys, oldest first, to keep it bounded.
    order: String,
    /// The rules document (JSON).
    rules: String,
    /// Bumped by every `PUT /api/rules`: replicas compare it with theirs on each ingest.
    version: String,
    capacity: usize,
}

/// Rules, attempt counts and the cap on held answers.
pub struct Lab {
    store: Store,
    active: RwLock<Arc<Active>>,
    held: Arc<Semaphore>,
}

/// What ingest needs of the lab for one request.
pub struct Prepared {
    /// Per event, its attempt number.
    pub attempts: Vec<u32>,
    pub rules: Arc<RuleSet>,
}

impl Lab {
    fn new(store: Store) -> Self {
        let active = Active { version: 0, rules: Arc::default(), set: Arc::default() };
        Self { store, active: RwLock::new(Arc::new(active)), held: Arc::new(Semaphore::new(MAX_HELD)) }
    }

    /// Rules and attempts in this process, counting at most `capacity` events (the history's).
    pub fn memory(capacity: usize) -> Self {
        Self::new(Store::Memory(Mutex::new(Attempts { capacity: capacity.max(1), ..Attempts::default() })))
    }

    /// Rules and attempts in the Redis of `conn`, under the keys of `stream`.
    pub fn redis(conn: ConnectionManager, stream: &str, capacity: usize) -> Self {
        let keys = Keys {
            attempts: format!("{stream}:attempts"),
            order: format!("{stream}:attempts-order"),
            rules: format!("{stream}:rules"),
            version: format!("{stream}:rules-version"),
            capacity: capacity.max(1),
        };
        Self::new(Store::Redis { conn, keys, attempts: Script::new(include_str!("lab/attempts.lua")) })
    }

    fn active(&self) -> Arc<Active> {
        Arc::clone(&self.active.read().unwrap_or_else(|p| p.into_inner()))
    }

    fn set_active(&self, active: Active) {
        *self.active.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(active);
    }

    /// Counts one delivery of each event (`keys`: their duplicate keys) and gives the rules in force.
    pub async fn prepare(&self, keys: &[DuplicateKey<'_>]) -> LogResult<Prepared> {
        match &self.store {
            Store::Memory(attempts) => {
                let mut attempts = attempts.lock().unwrap_or_else(|p| p.into_inner());
                let counted = keys.iter().map(|key| attempts.count(key.digest())).collect();
                Ok(Prepared { attempts: counted, rules: Arc::clone(&self.active().set) })
            }
            Store::Redis { conn, keys: names, attempts } => {
                let mut invocation = attempts.prepare_invoke();
                invocation.key(&names.attempts).key(&names.order).key(&names.version).arg(names.capacity);
                for key in keys {
                    invocation.arg(key.to_string());
                }
                let reply: Vec<u64> =
                    invocation.invoke_async(&mut conn.clone()).await.map_err(unavailable)?;
                let [version, counted @ ..] = reply.as_slice() else {
                    return Err(LogError::Unavailable("unexpected Redis answer: attempts".into()));
                };
                let counted = counted.iter().map(|n| u32::try_from(*n).unwrap_or(u32::MAX)).collect();
                let active = self.active();
                let rules = if active.version == *version {
                    Arc::clone(&active.set)
                } else {
                    Arc::clone(&self.reload().await?.set)
                };
                Ok(Prepared { attempts: counted, rules })
            }
        }
    }

    /// Reads the rules from Redis and makes them the ones in force here.
    async fn reload(&self) -> LogResult<Arc<Active>> {
        let Store::Redis { conn, keys, .. } = &self.store else { return Ok(self.active()) };
        let (json, version): (Option<String>, Option<u64>) = redis::pipe()
            .atomic()
            .get(&keys.rules)
            .get(&keys.version)
            .query_async(&mut conn.clone())
            .await
            .map_err(unavailable)?;
        let compiled = json
            .map_or_else(|| Ok(Rules::default()), |json| parse_rules(json.as_bytes()))
            .and_then(|rules| RuleSet::compile(&rules).map(|set| (rules, set)));
        let (rules, set) = match compiled {
            Ok(compiled) => compiled,
            // Written by another version of the player: answer by default rather than fail ingest.
            Err(_) => {
                tracing::warn!("the stored response rules do not compile here; answering without rules");
                (Rules::default(), RuleSet::default())
            }
        };
        let active = Active { version: version.unwrap_or(0), rules: Arc::new(rules), set: Arc::new(set) };
        self.set_active(active);
        Ok(self.active())
    }

    /// The rules in force (on Redis, as stored now).
    pub async fn rules(&self) -> LogResult<Arc<Rules>> {
        match &self.store {
            Store::Memory(_) => Ok(Arc::clone(&self.active().rules)),
            Store::Redis { .. } => Ok(Arc::clone(&self.reload().await?.rules)),
        }
    }

    /// Replaces the rules, checked and compiled by the caller.
    pub async fn replace(&self, rules: Rules, set: RuleSet) -> LogResult<()> {
        let version = match &self.store {
            Store::Memory(_) => self.active().version + 1,
            Store::Redis { conn, keys, .. } => {
                let json = serde_json::to_string(&rules).expect("rules serialize");
                let ((), version): ((), u64) = redis::pipe()
                    .atomic()
                    .set(&keys.rules, json)
                    .incr(&keys.version, 1)
                    .query_async(&mut conn.clone())
                    .await
                    .map_err(unavailable)?;
                version
            }
        };
        self.set_active(Active { version, rules: Arc::new(rules), set: Arc::new(set) });
        Ok(())
    }

    /// Forgets every attempt count (`DELETE /api/events`).
    pub async fn reset_attempts(&self) -> LogResult<()> {
        match &self.store {
            Store::Memory(attempts) => {
                let mut attempts = attempts.lock().unwrap_or_else(|p| p.into_inner());
                attempts.counts.clear();
                attempts.order.clear();
                Ok(())
            }
            Store::Redis { conn, keys, .. } => redis::cmd("DEL")
                .arg(&keys.attempts)
                .arg(&keys.order)
                .query_async::<()>(&mut conn.clone())
                .await
                .map_err(unavailable),
        }
    }

    /// A place for one held answer; `None` when [`MAX_HELD`] are held already.
    pub fn hold(&self) -> Option<OwnedSemaphorePermit> {
        Arc::clone(&self.held).try_acquire_owned().ok()
    }
}

impl Attempts {
    fn count(&mut self, digest: u64) -> u32 {
        let count = self.counts.entry(digest).or_insert(0);
        *count = count.saturating_add(1);
        let count = *count;
        if count == 1 {
            self.order.push_back(digest);
            while self.order.len() > self.capacity {
                if let Some(oldest) = self.order.pop_front() {
                    self.counts.remove(&oldest);
                }
            }
        }
        count
    }
}

fn unavailable(error: redis::RedisError) -> LogError {
    LogError::Unavailable(format!("redis: {error}"))
}

/// The HTTP answer of an ingest request that stored `accepted`.
pub fn respond(answer: &Answer, accepted: Accepted) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::ACCEPTED);
    let mut response = match &answer.kind {
        AnswerKind::Accepted => {
            let mut response = Response::new(accepted.to_json().into());
            *response.status_mut() = status;
            response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response
        }
        AnswerKind::Status { body, content_type } => {
            (status, [(header::CONTENT_TYPE, content_type.as_str())], body.clone()).into_response()
        }
        AnswerKind::Reply { event, mode } => reply(status, event, *mode),
    };
    if let Some(value) = answer.retry_after.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// A Knative reply: the event in binary or structured mode.
fn reply(status: StatusCode, event: &CloudEvent, mode: ReplyMode) -> Response {
    let mode = match mode {
        ReplyMode::Binary => Mode::Binary,
        ReplyMode::Structured => Mode::Structured,
    };
    let (headers, body) = crate::server::send::encode(event, mode);
    let mut response = (status, body).into_response();
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

/// `GET /api/rules`: the response rules, in order.
#[utoipa::path(
    get,
    path = "/api/rules",
    tag = "lab",
    responses(
        (status = 200, description = "The response rules, in order", body = Rules),
        (status = 503, description = "`backend_unavailable`: the Redis that keeps the rules is unreachable", body = ErrorBody),
    )
)]
async fn get_rules(State(state): State<AppState>) -> Result<Json<Rules>> {
    Ok(Json(state.lab.rules().await?.as_ref().clone()))
}

/// `PUT /api/rules`: replaces the whole ordered list.
#[utoipa::path(
    put,
    path = "/api/rules",
    tag = "lab",
    description = "Replaces the response rules with this ordered list and answers it. The first enabled \
rule whose `match` holds answers an ingest request (a batch by its first event); without one, ingest \
answers `202` as usual. With the Redis backend the rules are kept there and every replica uses them.",
    request_body(content = Rules, content_type = "application/json"),
    responses(
        (status = 200, description = "The rules now in force", body = Rules),
        (status = 400, description = "`invalid_rules`: a rule is wrong (`details[].path` says where, e.g. \
`rules[2].action.retry_after`; a filter that does not parse has `kind: parse` and `position`); `malformed_json`: \
not JSON; `body_unreadable`: the body broke off", body = ErrorBody),
        (status = 408, description = "`request_timeout`: the body did not arrive within `--body-timeout`", body = ErrorBody),
        (status = 413, description = "`body_too_large`: over `--max-body`", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: not `Content-Type: application/json`", body = ErrorBody),
        (status = 503, description = "`backend_unavailable`: the Redis that keeps the rules is unreachable", body = ErrorBody),
    )
)]
async fn put_rules(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Result<Json<Rules>> {
    let (rules, set) = read_rules(&state, &headers, body)?;
    state.lab.replace(rules.clone(), set).await?;
    Ok(Json(rules))
}

/// A rules document from a request body, checked and compiled: `415` unless JSON,
/// `malformed_json` when not JSON at all, `invalid_rules` naming each wrong field.
fn read_rules(
    state: &AppState,
    headers: &HeaderMap,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Result<(Rules, RuleSet)> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| {
            let essence = essence.trim().to_ascii_lowercase();
            essence == "application/json" || essence.ends_with("+json")
        });
    if !json {
        return Err(ApiError::ExpectedJson);
    }
    let body = body
        .map_err(|e| ApiError::from_bytes_rejection(e, state.config.max_body, state.config.body_timeout))?;
    // Not JSON at all is `malformed_json`, as for every JSON body; a wrong field is `invalid_rules`.
    if let Err(error) = serde_json::from_slice::<serde::de::IgnoredAny>(&body) {
        return Err(ApiError::Decode(DecodeError::MalformedJson(error.to_string())));
    }
    let rules = parse_rules(&body).map_err(ApiError::InvalidRules)?;
    let set = RuleSet::compile(&rules).map_err(ApiError::InvalidRules)?;
    Ok((rules, set))
}

/// `POST /api/rules/preview`: what a rules document would do with the newest stored events.
#[utoipa::path(
    post,
    path = "/api/rules/preview",
    tag = "lab",
    description = "A dry run of a rules document (checked as `PUT /api/rules` checks it, and not put in \
force) over the newest 100 stored events: for each rule, in order, how many events its `match` holds for \
(the request path each was posted to, and its `filter`), enabled or not, and how many it would answer, being \
the first enabled rule that holds. Each event counts alone (ingest answers a batch by its first event); \
events the page sent to itself (`POST /api/send`) are never ruled.",
    request_body(content = Rules, content_type = "application/json"),
    responses(
        (status = 200, description = "The count of each rule over the scanned events", body = RulesPreview),
        (status = 400, description = "`invalid_rules`: a rule is wrong (`details[].path` says where, e.g. \
`rules[2].action.retry_after`; a filter that does not parse has `kind: parse` and `position`); `malformed_json`: \
not JSON; `body_unreadable`: the body broke off", body = ErrorBody),
        (status = 408, description = "`request_timeout`: the body did not arrive within `--body-timeout`", body = ErrorBody),
        (status = 413, description = "`body_too_large`: over `--max-body`", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: not `Content-Type: application/json`", body = ErrorBody),
        (status = 503, description = "`backend_unavailable`: the history backend is unreachable", body = ErrorBody),
    )
)]
async fn preview_rules(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Result<Json<RulesPreview>> {
    let (_, set) = read_rules(&state, &headers, body)?;
    let range = Range { after: None, before: None, limit: PREVIEW_EVENTS, from_end: true };
    let page = state.log.range(range).await?;
    let events =
        page.entries.iter().map(|entry| (ruled_path(&entry.envelope.request), &entry.envelope.event));
    Ok(Json(set.preview(events)))
}

/// The path rules matched a stored event's request against: its path without the query, when it
/// came in on an ingest route (the page's own sends are never ruled).
fn ruled_path(request: &RequestRecord) -> Option<&str> {
    let path = request.path.split('?').next().unwrap_or_default();
    is_ingest_path(path).then_some(path)
}

/// `GET /api/deliveries` query: the event, and optionally a policy to judge its deliveries by.
#[derive(Debug, Default, Deserialize)]
pub struct DeliveriesQuery {
    source: Option<String>,
    id: Option<String>,
    #[serde(flatten)]
    policy: PolicyQuery,
}

/// `GET /api/deliveries?source=&id=`: every delivery of one event in the history, and a verdict.
#[utoipa::path(
    get,
    path = "/api/deliveries",
    tag = "lab",
    description = "Every delivery of the event `source`+`id` in the history, oldest first, with the answer \
each got and the interval since the previous answer. With a policy (Knative's `retry`, `backoffPolicy`, \
`backoffDelay`, `retryAfterMax`, or `intervals`), a verdict: each interval within `tolerance`, the number of \
retries, and `Retry-After` honoured after 429 and 503 answers.",
    params(
        ("source" = String, Query, description = "The event's source"),
        ("id" = String, Query, description = "The event's id"),
        ("retry" = Option<u32>, Query, description = "Most retries after the first attempt"),
        ("backoffPolicy" = Option<String>, Query, description = "`linear` or `exponential`"),
        ("backoffDelay" = Option<String>, Query, description = "ISO-8601, e.g. `PT0.2S`"),
        ("retryAfterMax" = Option<String>, Query, description = "ISO-8601 cap on `Retry-After`; `PT0S` ignores it"),
        ("intervals" = Option<String>, Query, description = "Comma-separated ISO-8601 waits before each retry, instead of a backoff policy"),
        ("tolerance" = Option<f64>, Query, description = "Fraction of each expected interval an actual one may differ by, default 0.25 (at least 50 ms)"),
    ),
    responses(
        (status = 200, description = "The deliveries, and the verdict when a policy is given", body = Deliveries),
        (status = 400, description = "`invalid_query`: `source` or `id` missing, or a malformed policy parameter (named)", body = ErrorBody),
        (status = 503, description = "`backend_unavailable`: the history backend is unreachable", body = ErrorBody),
    )
)]
async fn get_deliveries(
    State(state): State<AppState>,
    raw: std::result::Result<Query<DeliveriesQuery>, QueryRejection>,
) -> Result<Json<Deliveries>> {
    let q = query(raw)?;
    let (Some(source), Some(id)) = (q.source, q.id) else {
        return Err(ApiError::BadQuery("source and id are both required".into()));
    };
    let policy =
        q.policy.policy().map_err(|(field, message)| ApiError::BadQuery(format!("{field}: {message}")))?;
    let mut deliveries = Vec::new();
    let mut attempts = Vec::new();
    let mut after = None;
    loop {
        let page = state.log.range(Range { after, before: None, limit: SCAN_CHUNK, from_end: false }).await?;
        after = page.entries.last().map(|e| e.id());
        for entry in &page.entries {
            let envelope = &entry.envelope;
            if envelope.event.source() != source || envelope.event.id() != id {
                continue;
            }
            let record = envelope.delivery.as_ref();
            let arrived_ms = unix_millis(&envelope.received_at).unwrap_or_default();
            let delay_ms = record.and_then(|r| r.delay_ms).unwrap_or(0);
            let attempt = Attempt {
                arrived_ms,
                status: record.map_or(202, |r| r.status),
                delay_ms,
                retry_after: record.and_then(|r| r.retry_after.clone()),
            };
            deliveries.push(DeliveryRow {
                history_id: envelope.id,
                received_at: envelope.received_at.clone(),
                attempt: record.map(|r| r.attempt),
                status: record.map(|r| r.status),
                rule: record.and_then(|r| r.rule.clone()),
                delay_ms,
                retry_after: attempt.retry_after.clone(),
                delay_skipped: record.is_some_and(|r| r.delay_skipped),
                interval_ms: attempts.last().map(|previous: &Attempt| arrived_ms - previous.answered_ms()),
            });
            attempts.push(attempt);
        }
        if !page.has_more {
            break;
        }
    }
    let verdict = policy.map(|policy| judge(&attempts, &policy));
    Ok(Json(Deliveries { source, id, deliveries, verdict }))
}

/// The error of a rules document that does not hold.
pub fn invalid_rules_summary(errors: &[ValidationError]) -> String {
    let place = |e: &ValidationError| match &e.path {
        Some(path) => format!("{path}: {}", e.message),
        None => e.message.clone(),
    };
    match errors {
        [] => "invalid rules".to_owned(),
        [one] => place(one),
        [first, rest @ ..] => format!("{} (and {} more problems)", place(first), rest.len()),
    }
}
