//! Calls to the player's JSON API from the browser. On the server they answer "unavailable".

use crate::core::id::EventId;
use serde_json::Value;

/// Why a call failed, in words for the UI (the server's JSON error message when there is one).
pub type ApiResult<T> = Result<T, String>;

/// `GET /api/events/{id}`: the envelope with the request as received, as JSON (read field by
/// field where shown; a typed decoder would cost bundle size for no gain).
pub async fn fetch_envelope(id: EventId) -> ApiResult<Value> {
    #[cfg(feature = "hydrate")]
    {
        let response = gloo_net::http::Request::get(&format!("/api/events/{id}"))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !response.ok() {
            return Err(error_message(&response).await);
        }
        response.json::<Value>().await.map_err(|e| e.to_string())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = id;
        Err("unavailable on the server".into())
    }
}

/// `DELETE /api/events`: every tab gets `cleared` over its stream.
pub async fn clear_history() -> ApiResult<()> {
    #[cfg(feature = "hydrate")]
    {
        let response =
            gloo_net::http::Request::delete("/api/events").send().await.map_err(|e| e.to_string())?;
        if response.ok() { Ok(()) } else { Err(error_message(&response).await) }
    }
    #[cfg(not(feature = "hydrate"))]
    Err("unavailable on the server".into())
}

/// `GET /api/rejections`: the recent refused requests, newest first.
pub async fn fetch_rejections() -> ApiResult<Vec<serde_json::Value>> {
    #[cfg(feature = "hydrate")]
    {
        let response = gloo_net::http::Request::get("/api/rejections?limit=1000")
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !response.ok() {
            return Err(error_message(&response).await);
        }
        let body: serde_json::Value = response.json().await.map_err(|e| e.to_string())?;
        Ok(body["rejections"].as_array().cloned().unwrap_or_default())
    }
    #[cfg(not(feature = "hydrate"))]
    Err("unavailable on the server".into())
}

#[cfg(feature = "hydrate")]
async fn error_message(response: &gloo_net::http::Response) -> String {
    match response.json::<serde_json::Value>().await {
        Ok(body) => body["error"]["message"].as_str().map_or_else(|| body.to_string(), str::to_owned),
        Err(_) => format!("HTTP {}", response.status()),
    }
}

/// A configured sink, as `GET /api/sinks` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkInfo {
    pub name: String,
    pub url: String,
}

/// `GET /api/sinks`: where `POST /api/send` may deliver besides this player.
pub async fn fetch_sinks() -> ApiResult<Vec<SinkInfo>> {
    #[cfg(feature = "hydrate")]
    {
        let response = gloo_net::http::Request::get("/api/sinks").send().await.map_err(|e| e.to_string())?;
        if !response.ok() {
            return Err(error_message(&response).await);
        }
        let body: Value = response.json().await.map_err(|e| e.to_string())?;
        Ok(body["sinks"]
            .as_array()
            .map(|sinks| {
                sinks
                    .iter()
                    .map(|s| SinkInfo {
                        name: s["name"].as_str().unwrap_or("").to_owned(),
                        url: s["url"].as_str().unwrap_or("").to_owned(),
                    })
                    .collect()
            })
            .unwrap_or_default())
    }
    #[cfg(not(feature = "hydrate"))]
    Err("unavailable on the server".into())
}

/// `POST /api/send`: delivers `event` to `target` (`self` or a sink name) in `mode`. `Ok` holds
/// the target's answer (`{status, delivered, body, …}`), even a refusal; `Err` the player's own
/// error message, verbatim.
pub async fn send_event(target: &str, mode: &str, event: Value) -> ApiResult<Value> {
    #[cfg(feature = "hydrate")]
    {
        let body = serde_json::json!({ "target": target, "mode": mode, "event": event });
        let response = gloo_net::http::Request::post("/api/send")
            .header("content-type", "application/json")
            .body(body.to_string())
            .map_err(|e| e.to_string())?
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !response.ok() {
            return Err(error_message(&response).await);
        }
        response.json::<Value>().await.map_err(|e| e.to_string())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (target, mode, event);
        Err("unavailable on the server".into())
    }
}

/// `POST /events` as one batch (all or nothing): the number stored, or the server's error.
pub async fn post_batch(events: Vec<Value>) -> ApiResult<u64> {
    #[cfg(feature = "hydrate")]
    {
        let response = gloo_net::http::Request::post("/events")
            .header("content-type", "application/cloudevents-batch+json")
            .body(Value::Array(events).to_string())
            .map_err(|e| e.to_string())?
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !response.ok() {
            return Err(error_message(&response).await);
        }
        let body: Value = response.json().await.map_err(|e| e.to_string())?;
        Ok(body["accepted"].as_u64().unwrap_or(0))
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = events;
        Err("unavailable on the server".into())
    }
}
