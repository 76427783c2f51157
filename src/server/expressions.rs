//! CESQL and Knative Trigger filters over HTTP (DESIGN §10): `POST /api/cesql/evaluate` runs one
//! expression on one event; `POST /api/triggers/preview` runs a Trigger's filters over the newest
//! stored events. The rules live in `core::expression` and `core::trigger`; this reads bodies.

use crate::core::cloudevent::{DecodeError, JsonError, decode_structured, parse_strict};
use crate::core::expression::Expression;
use crate::core::protocol::{
    ErrorBody, EvaluateRequest, Evaluated, PreviewedEvent, TriggerPreview, TriggerSummary,
};
use crate::core::trigger::Trigger;
use crate::server::AppState;
use crate::server::api::query;
use crate::server::error::{ApiError, Result};
use crate::server::event_log::Range;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, header};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;

/// Stored events a preview scans when `limit` is absent.
pub const DEFAULT_PREVIEW_LIMIT: usize = 1000;
/// Most stored events one preview may scan.
pub const MAX_PREVIEW_LIMIT: usize = 10_000;

pub fn routes(max_body: usize) -> Router<AppState> {
    Router::new()
        .route("/api/cesql/evaluate", post(post_evaluate))
        .route("/api/triggers/preview", post(post_preview))
        .layer(DefaultBodyLimit::max(max_body))
}

/// `POST /api/cesql/evaluate`: the value of an expression for an event, with every error met.
#[utoipa::path(
    post,
    path = "/api/cesql/evaluate",
    tag = "expressions",
    description = "Evaluates a CESQL v1.0.0 expression against one CloudEvent. The answer is the value \
(boolean, integer or string) and every evaluation error met on the way; as a filter, the expression \
would match only when the value is `true` and there are no errors.",
    request_body(content = EvaluateRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The expression's value and the errors met", body = Evaluated),
        (status = 400, description = "`invalid_expression`: the expression does not parse (`details[0].position` \
says where); `invalid_event`, `duplicate_member`: the event is not a valid CloudEvent; `invalid_request`: the body \
is not an evaluate request; `malformed_json`: not JSON; `body_unreadable`: the body broke off", body = ErrorBody),
        (status = 408, description = "`request_timeout`: the body did not arrive within `--body-timeout`", body = ErrorBody),
        (status = 413, description = "`body_too_large`: over `--max-body`", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: not `Content-Type: application/json`", body = ErrorBody),
    )
)]
async fn post_evaluate(
    State(state): State<AppState>,
    body: std::result::Result<Json<EvaluateRequest>, JsonRejection>,
) -> Result<Json<Evaluated>> {
    let Json(request) =
        body.map_err(|e| ApiError::from_json_rejection(e, state.config.max_body, state.config.body_timeout))?;
    let expression = Expression::parse(&request.expression)
        .map_err(|error| ApiError::InvalidExpression { field: "expression", error })?;
    // The rules of ingest: an event the player would refuse is refused here the same way.
    let event = decode_structured(request.event.get().as_bytes())?.event;
    let evaluation = expression.evaluate(&event);
    Ok(Json(Evaluated {
        value: evaluation.value.into(),
        errors: evaluation.errors.into_iter().map(Into::into).collect(),
    }))
}

/// Raw query values, parsed by hand so a bad one is a 400 in our error shape.
#[derive(Debug, Default, Deserialize)]
pub struct PreviewQuery {
    limit: Option<String>,
}

/// `limit`: 1 to [`MAX_PREVIEW_LIMIT`], default [`DEFAULT_PREVIEW_LIMIT`].
fn parse_preview_limit(value: Option<&str>) -> Result<usize> {
    let Some(value) = value else { return Ok(DEFAULT_PREVIEW_LIMIT) };
    match value.parse::<usize>() {
        Ok(n) if (1..=MAX_PREVIEW_LIMIT).contains(&n) => Ok(n),
        _ => Err(ApiError::BadQuery(format!(
            "limit: `{value}` is not a whole number from 1 to {MAX_PREVIEW_LIMIT}"
        ))),
    }
}

/// How a manifest is written, from its `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Syntax {
    Json,
    Yaml,
    /// No type, or `text/plain`: JSON when it starts like JSON, else YAML.
    Sniff,
}

fn syntax(headers: &HeaderMap) -> Result<Syntax> {
    let mut types = headers.get_all(header::CONTENT_TYPE).iter();
    let Some(value) = types.next() else { return Ok(Syntax::Sniff) };
    if types.next().is_some() {
        return Err(ApiError::DuplicateHeader("content-type"));
    }
    let text = value.to_str().unwrap_or_default();
    let essence = text.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    match essence.as_str() {
        "application/json" => Ok(Syntax::Json),
        "application/yaml" | "application/x-yaml" | "text/yaml" | "text/x-yaml" => Ok(Syntax::Yaml),
        "" | "text/plain" => Ok(Syntax::Sniff),
        _ => Err(ApiError::UnsupportedManifest(text.chars().take(80).collect())),
    }
}

/// The manifest as a JSON value. JSON is read strictly (a member named twice is a 400, as at
/// ingest); YAML by `serde_yaml_ng`, which refuses duplicate keys too.
fn read_manifest(syntax: Syntax, body: &[u8]) -> Result<Value> {
    let looks_like_json =
        || body.iter().find(|b| !b.is_ascii_whitespace()).is_some_and(|b| matches!(b, b'{' | b'['));
    let json = match syntax {
        Syntax::Json => true,
        Syntax::Yaml => false,
        Syntax::Sniff => looks_like_json(),
    };
    if json {
        parse_strict(body).map_err(|error| match error {
            JsonError::Malformed(why) => ApiError::Decode(DecodeError::MalformedJson(why)),
            JsonError::DuplicateMember(path) => {
                ApiError::Decode(DecodeError::DuplicateMember { index: None, path: path.to_string() })
            }
        })
    } else {
        // Through YAML's own value, which refuses a key given twice (straight into JSON the last
        // one would win) and keys that are not text.
        let yaml: serde_yaml_ng::Value =
            serde_yaml_ng::from_slice(body).map_err(|e| ApiError::MalformedYaml(e.to_string()))?;
        serde_json::to_value(yaml).map_err(|e| ApiError::MalformedYaml(e.to_string()))
    }
}

/// `POST /api/triggers/preview?limit=`: which of the newest stored events a Knative Trigger delivers.
#[utoipa::path(
    post,
    path = "/api/triggers/preview",
    tag = "expressions",
    description = "A dry run of a Knative Trigger over the newest stored events. The body is a `Trigger` \
manifest (YAML or JSON), its `spec` alone, or a `filters` list alone. `spec.filters` (dialects `exact`, \
`prefix`, `suffix`, `all`, `any`, `not`, `cesql`) decides when it is non-empty, else the legacy \
`spec.filter.attributes`; without either every event is delivered. Each refused event names the filter \
that refused it and why.",
    params(("limit" = Option<u32>, Query, minimum = 1, maximum = 10000, description = "How many of the newest stored events to scan, default 1000")),
    request_body(
        description = "A Knative Trigger; without a Content-Type (or with `text/plain`) JSON or YAML is recognised",
        content(
            (Object = "application/yaml"),
            (Object = "application/x-yaml"),
            (Object = "text/yaml"),
            (Object = "application/json"),
            (String = "text/plain"),
        )
    ),
    responses(
        (status = 200, description = "The verdict on each scanned event, newest first", body = TriggerPreview),
        (status = 400, description = "`invalid_trigger`: Knative would refuse the Trigger (`details[].path` says where; \
a CESQL expression that does not parse has `kind: parse` and `position`); `malformed_json`, `malformed_yaml`, \
`duplicate_member`: the body does not parse; `invalid_query`: a malformed limit; `duplicate_header`: two \
`Content-Type` headers; `body_unreadable`: the body broke off", body = ErrorBody),
        (status = 408, description = "`request_timeout`: the body did not arrive within `--body-timeout`", body = ErrorBody),
        (status = 413, description = "`body_too_large`: over `--max-body`", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: neither YAML, JSON nor plain text", body = ErrorBody),
        (status = 503, description = "`backend_unavailable`: the history backend is unreachable", body = ErrorBody),
    )
)]
async fn post_preview(
    State(state): State<AppState>,
    headers: HeaderMap,
    raw: std::result::Result<Query<PreviewQuery>, QueryRejection>,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Result<Json<TriggerPreview>> {
    let limit = parse_preview_limit(query(raw)?.limit.as_deref())?;
    let syntax = syntax(&headers)?;
    let body = body
        .map_err(|e| ApiError::from_bytes_rejection(e, state.config.max_body, state.config.body_timeout))?;
    let trigger = Trigger::from_value(&read_manifest(syntax, &body)?).map_err(ApiError::InvalidTrigger)?;
    let page = state.log.range(Range { after: None, before: None, limit, from_end: true }).await?;
    let mut delivered = Vec::new();
    let events: Vec<PreviewedEvent> = page
        .entries
        .iter()
        .rev()
        .map(|entry| {
            let event = &entry.envelope.event;
            let verdict = trigger.evaluate(event);
            if verdict.delivered {
                delivered.push(entry.id());
            }
            PreviewedEvent {
                id: entry.id(),
                event_id: event.id().to_owned(),
                ty: event.ty().to_owned(),
                source: event.source().to_owned(),
                delivered: verdict.delivered,
                refused_by: verdict.refused_by,
            }
        })
        .collect();
    Ok(Json(TriggerPreview {
        trigger: TriggerSummary {
            name: trigger.name,
            broker: trigger.broker,
            rule: trigger.rule.field().to_owned(),
        },
        scanned: events.len(),
        delivered,
        events,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn typed(value: &str) -> Result<Syntax> {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_str(value).unwrap());
        syntax(&headers)
    }

    #[test]
    fn reads_the_syntax_from_the_content_type() {
        assert_eq!(syntax(&HeaderMap::new()).unwrap(), Syntax::Sniff);
        assert_eq!(typed("application/json; charset=utf-8").unwrap(), Syntax::Json);
        for yaml in ["application/yaml", "application/x-yaml", "Text/YAML"] {
            assert_eq!(typed(yaml).unwrap(), Syntax::Yaml, "{yaml}");
        }
        assert_eq!(typed("text/plain").unwrap(), Syntax::Sniff);
        assert_eq!(typed("application/xml").unwrap_err().code(), "unsupported_media_type");
    }

    #[test]
    fn sniffs_json_and_yaml() {
        let json = read_manifest(Syntax::Sniff, br#" {"spec": {"broker": "b"}}"#).unwrap();
        assert_eq!(json["spec"]["broker"], "b");
        let yaml = read_manifest(Syntax::Sniff, b"spec:\n  broker: b\n  filters:\n    - exact: {type: a}\n")
            .unwrap();
        assert_eq!(yaml["spec"]["filters"][0]["exact"]["type"], "a");
        assert_eq!(
            read_manifest(Syntax::Json, b"{\"a\": 1, \"a\": 2}").unwrap_err().code(),
            "duplicate_member"
        );
        assert_eq!(read_manifest(Syntax::Json, b"spec: {}").unwrap_err().code(), "malformed_json");
        assert_eq!(read_manifest(Syntax::Yaml, b"spec: [unclosed").unwrap_err().code(), "malformed_yaml");
        assert_eq!(read_manifest(Syntax::Yaml, b"a: 1\na: 2\n").unwrap_err().code(), "malformed_yaml");
    }

    #[test]
    fn preview_limits_are_bounded() {
        assert_eq!(parse_preview_limit(None).unwrap(), DEFAULT_PREVIEW_LIMIT);
        assert_eq!(parse_preview_limit(Some("10000")).unwrap(), 10_000);
        for bad in ["0", "10001", "x", "-1"] {
            assert_eq!(parse_preview_limit(Some(bad)).unwrap_err().code(), "invalid_query", "{bad}");
        }
    }
}
