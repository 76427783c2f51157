//! Calls to the player's JSON API from the browser. On the server they answer "unavailable".

use crate::core::cloudevent::Mode;
use crate::core::id::EventId;
use crate::core::lab::verdict::{Deliveries, PolicyQuery};
use crate::core::lab::{Rules, RulesPreview};
use crate::core::protocol::{
    Accepted, Delivery, Envelope, Rejection, RejectionList, RejectionSummary, SendRequest, SinkInfo, Sinks,
    TriggerPreview,
};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

/// Why a call failed, in words for the UI (the server's JSON error message when there is one).
pub type ApiResult<T> = Result<T, String>;

/// Why a call failed: the HTTP status when the server answered, and the words for the UI.
struct Failure {
    status: Option<u16>,
    message: String,
}

impl From<Failure> for String {
    fn from(failure: Failure) -> Self {
        failure.message
    }
}

/// One call, the only place that does HTTP: `method` on `path`, with a body (`content_type`)
/// when given. `Ok` is a 2xx answer's body; a non-2xx answer fails with its `error.message`,
/// verbatim.
async fn call(method: &str, path: &str, body: Option<(&str, String)>) -> Result<String, Failure> {
    #[cfg(feature = "hydrate")]
    {
        use gloo_net::http::RequestBuilder;
        let failed = |message: String| Failure { status: None, message };
        let builder = RequestBuilder::new(path)
            .method(method.parse().map_err(|_| failed(format!("bad method {method}")))?);
        let request = match body {
            Some((content_type, body)) => builder.header("content-type", content_type).body(body),
            None => builder.build(),
        };
        let response =
            request.map_err(|e| failed(e.to_string()))?.send().await.map_err(|e| failed(e.to_string()))?;
        let text = response.text().await.map_err(|e| failed(e.to_string()));
        if response.ok() {
            return text;
        }
        let status = response.status();
        let message = text
            .ok()
            .and_then(|text| serde_json::from_str::<crate::core::protocol::ErrorBody>(&text).ok())
            .map_or_else(|| format!("HTTP {status}"), |body| body.error.message);
        Err(Failure { status: Some(status), message })
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (method, path, body);
        Err(Failure { status: None, message: "unavailable on the server".into() })
    }
}

/// [`call`], with the answer read as JSON into `T`.
async fn call_as<T: DeserializeOwned>(
    method: &str,
    path: &str,
    body: Option<(&str, String)>,
) -> Result<T, Failure> {
    let text = call(method, path, body).await?;
    serde_json::from_str(&text).map_err(|e| Failure { status: None, message: e.to_string() })
}

/// `GET /api/events/{id}`: the envelope with the request as received.
pub async fn fetch_envelope(id: EventId) -> ApiResult<Envelope> {
    Ok(call_as("GET", &format!("/api/events/{id}"), None).await?)
}

/// `DELETE /api/events`: every tab gets `cleared` over its stream.
pub async fn clear_history() -> ApiResult<()> {
    Ok(call("DELETE", "/api/events", None).await.map(drop)?)
}

/// `GET /api/rejections`: summaries of the recent refused requests, newest first.
pub async fn fetch_rejections() -> ApiResult<Vec<RejectionSummary>> {
    let page: RejectionList = call_as("GET", "/api/rejections?limit=1000", None).await?;
    Ok(page.rejections)
}

/// `GET /api/rejections/{id}`: one refused request in full, with the request as received.
/// `Ok(None)` when the server no longer keeps it (404): it keeps the recent ones within a byte
/// budget, and forgets them all when it restarts.
pub async fn fetch_rejection(id: u64) -> ApiResult<Option<Rejection>> {
    match call_as("GET", &format!("/api/rejections/{id}"), None).await {
        Ok(rejection) => Ok(Some(rejection)),
        Err(Failure { status: Some(404), .. }) => Ok(None),
        Err(failure) => Err(failure.into()),
    }
}

/// `GET /api/sinks`: where `POST /api/send` may deliver besides this player.
pub async fn fetch_sinks() -> ApiResult<Vec<SinkInfo>> {
    let list: Sinks = call_as("GET", "/api/sinks", None).await?;
    Ok(list.sinks)
}

/// `POST /api/send`: delivers `event` to `target` (`self` or a sink name) in `mode`. `Ok` holds
/// the target's answer, even a refusal; `Err` the player's own error message, verbatim. `event` is
/// JSON text, sent as it is, so its data keeps every number.
pub async fn send_event(target: String, mode: Mode, event: String) -> ApiResult<Delivery> {
    let event = RawValue::from_string(event).map_err(|e| e.to_string())?;
    let body = serde_json::to_string(&SendRequest { target, mode, event }).map_err(|e| e.to_string())?;
    Ok(call_as("POST", "/api/send", Some(("application/json", body))).await?)
}

/// `POST /events` as one batch (all or nothing), each event's JSON text as it is: the number
/// stored, or the server's error.
pub async fn post_batch(events: Vec<Box<RawValue>>) -> ApiResult<usize> {
    let body = format!("[{}]", events.iter().map(|e| e.get()).collect::<Vec<_>>().join(","));
    let answer: Accepted =
        call_as("POST", "/events", Some(("application/cloudevents-batch+json", body))).await?;
    Ok(answer.accepted)
}

/// `POST /api/triggers/preview`: which of the newest stored events a Knative Trigger (YAML or
/// JSON, as pasted; the server tells them apart) would deliver, and what refused the others.
pub async fn preview_trigger(manifest: String) -> ApiResult<TriggerPreview> {
    Ok(call_as("POST", "/api/triggers/preview", Some(("text/plain; charset=utf-8", manifest))).await?)
}

/// `GET /api/deliveries`: every delivery of the event `source`+`id`, and the verdict against
/// `policy` when it states one.
pub async fn fetch_deliveries(source: &str, id: &str, policy: &PolicyQuery) -> ApiResult<Deliveries> {
    Ok(call_as("GET", &format!("/api/deliveries?{}", policy.deliveries_query(source, id)), None).await?)
}

/// `GET /api/rules`: the delivery lab's response rules in force, in order.
pub async fn fetch_rules() -> ApiResult<Rules> {
    Ok(call_as("GET", "/api/rules", None).await?)
}

/// `PUT /api/rules`: puts `rules` in force; the rules as stored, or the server's error, which
/// names the wrong field (`rules[0].action.status: ...`).
pub async fn save_rules(rules: &Rules) -> ApiResult<Rules> {
    let body = serde_json::to_string(rules).map_err(|e| e.to_string())?;
    Ok(call_as("PUT", "/api/rules", Some(("application/json", body))).await?)
}

/// `POST /api/rules/preview`: how many of the newest stored events each of `rules` would match
/// and answer, without putting them in force.
pub async fn preview_rules(rules: &Rules) -> ApiResult<RulesPreview> {
    let body = serde_json::to_string(rules).map_err(|e| e.to_string())?;
    Ok(call_as("POST", "/api/rules/preview", Some(("application/json", body))).await?)
}
