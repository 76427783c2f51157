//! Calls to the player's JSON API from the browser. On the server they answer "unavailable".

use crate::core::id::EventId;
use serde_json::Value;

/// Why a call failed, in words for the UI (the server's JSON error message when there is one).
pub type ApiResult<T> = Result<T, String>;

/// A configured sink, as `GET /api/sinks` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkInfo {
    pub name: String,
    pub url: String,
}

/// One JSON call: `method` on `path`, with a JSON body (`content_type`) when given. A non-2xx
/// answer becomes its `error.message`, verbatim.
async fn call(method: &str, path: &str, body: Option<(&str, String)>) -> ApiResult<Value> {
    #[cfg(feature = "hydrate")]
    {
        use gloo_net::http::RequestBuilder;
        let builder =
            RequestBuilder::new(path).method(method.parse().map_err(|_| format!("bad method {method}"))?);
        let request = match body {
            Some((content_type, body)) => builder.header("content-type", content_type).body(body),
            None => builder.build(),
        };
        let response = request.map_err(|e| e.to_string())?.send().await.map_err(|e| e.to_string())?;
        if response.ok() {
            return response.json::<Value>().await.map_err(|e| e.to_string());
        }
        Err(match response.json::<Value>().await {
            Ok(body) => body["error"]["message"].as_str().map_or_else(|| body.to_string(), str::to_owned),
            Err(_) => format!("HTTP {}", response.status()),
        })
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (method, path, body);
        Err("unavailable on the server".into())
    }
}

/// `GET /api/events/{id}`: the envelope with the request as received, as JSON (read field by
/// field where shown; a typed decoder would cost bundle size for no gain).
pub async fn fetch_envelope(id: EventId) -> ApiResult<Value> {
    call("GET", &format!("/api/events/{id}"), None).await
}

/// `DELETE /api/events`: every tab gets `cleared` over its stream.
pub async fn clear_history() -> ApiResult<()> {
    call("DELETE", "/api/events", None).await.map(drop)
}

/// `GET /api/rejections`: the recent refused requests, newest first.
pub async fn fetch_rejections() -> ApiResult<Vec<Value>> {
    let body = call("GET", "/api/rejections?limit=1000", None).await?;
    Ok(body["rejections"].as_array().cloned().unwrap_or_default())
}

/// `GET /api/sinks`: where `POST /api/send` may deliver besides this player.
pub async fn fetch_sinks() -> ApiResult<Vec<SinkInfo>> {
    let body = call("GET", "/api/sinks", None).await?;
    let text = |sink: &Value, key: &str| sink[key].as_str().unwrap_or("").to_owned();
    Ok(body["sinks"]
        .as_array()
        .map(|sinks| sinks.iter().map(|s| SinkInfo { name: text(s, "name"), url: text(s, "url") }).collect())
        .unwrap_or_default())
}

/// `POST /api/send`: delivers `event` to `target` (`self` or a sink name) in `mode`. `Ok` holds
/// the target's answer (`{status, delivered, body, …}`), even a refusal; `Err` the player's own
/// error message, verbatim.
pub async fn send_event(target: &str, mode: &str, event: Value) -> ApiResult<Value> {
    let body = serde_json::json!({ "target": target, "mode": mode, "event": event });
    call("POST", "/api/send", Some(("application/json", body.to_string()))).await
}

/// `POST /events` as one batch (all or nothing): the number stored, or the server's error.
pub async fn post_batch(events: Vec<Value>) -> ApiResult<u64> {
    let body = Value::Array(events).to_string();
    let answer = call("POST", "/events", Some(("application/cloudevents-batch+json", body))).await?;
    Ok(answer["accepted"].as_u64().unwrap_or(0))
}
