//! Shared helpers for the router tests: build the app from flags, send requests without a socket,
//! serve it on an ephemeral port, and find the Redis that Redis-backed tests run against.
#![allow(dead_code)]

pub mod live;

// Each test crate uses only some helpers.
#[allow(unused_imports)]
pub use live::Server;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use cloudevent_player::server::{AppState, assets::Assets, config::Config, router};
use http_body_util::BodyExt;
use leptos::config::LeptosOptions;
use serde_json::Value;
use tower::ServiceExt;

/// The state of `cloudevent-player <args>`.
pub fn state(args: &[&str]) -> AppState {
    let config = Config::try_from_args(std::iter::once("cloudevent-player").chain(args.iter().copied()))
        .expect("valid test flags");
    let options = LeptosOptions::builder().output_name("cloudevent-player").build();
    AppState::new(config, options)
}

/// The app as `cloudevent-player <args>` would serve it.
pub fn app(args: &[&str]) -> Router {
    router(state(args))
}

/// The routes of `cloudevent-player <args>`, without the access rules and body deadline around them.
pub fn routes(args: &[&str]) -> Router {
    cloudevent_player::server::routes(state(args))
}

/// The app with its static files read from `site_root` (relative to the crate root), so tests
/// of static answers need no prior `make build`.
pub fn app_serving(site_root: &str, args: &[&str]) -> Router {
    router(state(args).with_assets(Assets::from_dir(site_root, "pkg")))
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Asserts the DESIGN error shape with this status and code, and returns the error object.
    pub fn error(&self, status: StatusCode, code: &str) -> Value {
        assert_eq!(self.status, status, "{}", self.text());
        let json = self.json();
        let error = json["error"].clone();
        assert_eq!(error["code"], code, "{json}");
        assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()), "{json}");
        assert!(error["details"].is_array(), "{json}");
        error
    }
}

pub async fn send(app: &Router, request: Request<Body>) -> Reply {
    let response = app.clone().oneshot(request).await.expect("router never fails");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.expect("body").to_bytes().to_vec();
    Reply { status, headers, body }
}

pub async fn get(app: &Router, uri: &str) -> Reply {
    send(app, Request::get(uri).body(Body::empty()).unwrap()).await
}

/// POST with the given headers and body.
pub async fn post(app: &Router, uri: &str, headers: &[(&str, &str)], body: impl Into<Body>) -> Reply {
    let mut request = Request::post(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    send(app, request.body(body.into()).unwrap()).await
}

pub async fn post_structured(app: &Router, event: &Value) -> Reply {
    post(app, "/events", &[("content-type", "application/cloudevents+json")], event.to_string()).await
}

/// A minimal valid structured event.
pub fn event(id: &str) -> Value {
    serde_json::json!({
        "specversion": "1.0", "id": id, "source": "https://example.com/orders",
        "type": "com.example.order.created", "datacontenttype": "application/json", "data": {"n": 1}
    })
}

/// Stored envelopes, oldest first.
pub async fn history(app: &Router) -> Vec<Value> {
    let reply = get(app, "/api/events?limit=1000").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    reply.json()["events"].as_array().cloned().unwrap_or_default()
}

pub async fn status(app: &Router) -> Value {
    get(app, "/api/status").await.json()
}

/// The Redis that tests of the Redis backend use: `CEP_TEST_REDIS_URL` (`make test` starts one).
/// Without it these tests fail under CI (`CI=true`), where skipping would hide a broken setup,
/// and elsewhere are skipped with a note.
pub fn redis_url() -> Option<String> {
    match std::env::var("CEP_TEST_REDIS_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => needs("CEP_TEST_REDIS_URL is not set (`make test` starts a Redis and sets it)"),
    }
}

/// The `redis-server` binary for tests that start and stop their own Redis: `CEP_TEST_REDIS_SERVER`
/// or `redis-server` on the PATH; missing, it fails under CI and skips elsewhere, like [`redis_url`].
pub fn redis_server() -> Option<String> {
    let binary = std::env::var("CEP_TEST_REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
    let runs = std::process::Command::new(&binary)
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if runs { Some(binary) } else { needs(&format!("`{binary}` does not run (`make test` installs it)")) }
}

fn needs<T>(what: &str) -> Option<T> {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{what}: CI must test the Redis backend");
    }
    eprintln!("skipped: {what}");
    None
}

/// A stream key no other test uses, so tests sharing one Redis never see each other's events.
pub fn unique_stream(test: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("cep-test:{test}:{}-{nanos:x}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}
