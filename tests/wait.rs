//! `GET /api/events/wait` on a real port: the long poll end-to-end tests use to wait on the player.
//! Waits are started, then events posted once the wait has subscribed, so no test depends on timing.
#![cfg(feature = "ssr")]

mod common;

use axum::http::StatusCode;
use common::{Server, event};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::task::JoinHandle;

/// Bound that only proves a call did not hang; never a speed claim (CI is shared).
const PATIENCE: Duration = Duration::from_secs(20);

impl Server {
    /// Starts `GET /api/events/wait{query}` and returns once it listens for new events.
    async fn wait(&self, query: &str) -> JoinHandle<(u16, Value)> {
        let before = self.state.hub.subscribers();
        let request = self.http.get(self.url(&format!("/api/events/wait{query}")));
        let call = tokio::spawn(async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.json().await.unwrap())
        });
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while self.state.hub.subscribers() == before {
            assert!(tokio::time::Instant::now() < deadline, "the wait subscribes");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        call
    }

    /// Posts one structured event; returns its history id.
    async fn post(&self, event: &Value) -> String {
        let response = self
            .http
            .post(self.url("/events"))
            .header("content-type", "application/cloudevents+json")
            .body(event.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 202);
        response.json::<Value>().await.unwrap()["ids"][0].as_str().unwrap().to_owned()
    }
}

async fn outcome(call: JoinHandle<(u16, Value)>) -> (u16, Value) {
    tokio::time::timeout(PATIENCE, call).await.expect("the wait ends").unwrap()
}

fn typed(id: &str, ty: &str, subject: Option<&str>) -> Value {
    let mut event = event(id);
    event["type"] = json!(ty);
    if let Some(subject) = subject {
        event["subject"] = json!(subject);
    }
    event
}

#[tokio::test]
async fn returns_an_event_posted_after_the_call_began() {
    let server = Server::start(&[]).await;
    server.post(&event("before")).await;
    let call = server.wait("").await;
    let id = server.post(&event("after")).await;
    let (status, envelope) = outcome(call).await;
    assert_eq!(status, 200, "{envelope}");
    assert_eq!(envelope["id"], id);
    assert_eq!(envelope["event"]["id"], "after", "not the event stored before the call");
    let by_id: Value =
        server.http.get(server.url(&format!("/api/events/{id}"))).send().await.unwrap().json().await.unwrap();
    assert_eq!(envelope, by_id, "the same envelope as GET /api/events/{{id}}");
}

#[tokio::test]
async fn honours_type_source_and_subject_filters() {
    let server = Server::start(&[]).await;
    let call = server
        .wait("?type=com.example.order.*&source=https://example.com/*&subject=eu/*&timeout_ms=20000")
        .await;
    server.post(&typed("wrong-type", "com.example.user.created", Some("eu/1"))).await;
    server.post(&typed("no-subject", "com.example.order.shipped", None)).await;
    server.post(&typed("wrong-subject", "com.example.order.shipped", Some("us/1"))).await;
    let mut other_source = typed("wrong-source", "com.example.order.shipped", Some("eu/1"));
    other_source["source"] = json!("https://other.example.com/orders");
    server.post(&other_source).await;
    server.post(&typed("match", "com.example.order.shipped", Some("eu/7"))).await;
    let (status, envelope) = outcome(call).await;
    assert_eq!(status, 200, "{envelope}");
    assert_eq!(envelope["event"]["id"], "match");
}

#[tokio::test]
async fn empty_filter_values_do_not_filter() {
    let server = Server::start(&[]).await;
    let call = server.wait("?type=&source=&subject=").await;
    server.post(&event("any")).await;
    assert_eq!(outcome(call).await.1["event"]["id"], "any");
}

#[tokio::test]
async fn a_match_behind_a_burst_that_overflows_the_broadcast_is_found_in_the_history() {
    // One batch publishes every event before the waiting task runs again (one-thread runtime), so
    // 5,000 events overflow the 4,096-message broadcast buffer: the match, first, is dropped from
    // the wait's receiver and only the history has it.
    let server = Server::start(&["--max-batch", "5000", "--max-body", "4MiB"]).await;
    let call = server.wait("?type=com.example.first").await;
    let burst: Vec<Value> = std::iter::once(typed("first", "com.example.first", None))
        .chain((1..5000).map(|i| event(&format!("burst-{i}"))))
        .collect();
    let response = server
        .http
        .post(server.url("/events"))
        .header("content-type", "application/cloudevents-batch+json")
        .body(Value::from(burst).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let (status, envelope) = outcome(call).await;
    assert_eq!(status, 200, "{envelope}");
    assert_eq!(envelope["event"]["id"], "first");
}

#[tokio::test]
async fn after_finds_an_event_that_is_already_stored() {
    let server = Server::start(&[]).await;
    let first = server.post(&typed("a", "com.example.a", None)).await;
    let second = server.post(&typed("b", "com.example.b", None)).await;
    server.post(&typed("c", "com.example.b", None)).await;
    let url = server.url(&format!("/api/events/wait?after={first}&type=com.example.b&timeout_ms=0"));
    let response = server.http.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let envelope: Value = response.json().await.unwrap();
    assert_eq!(envelope["id"], second, "the first match after `after`");
}

#[tokio::test]
async fn after_the_newest_event_waits_for_the_next() {
    let server = Server::start(&[]).await;
    let last = server.post(&event("old")).await;
    let call = server.wait(&format!("?after={last}")).await;
    server.post(&event("new")).await;
    assert_eq!(outcome(call).await.1["event"]["id"], "new");
}

#[tokio::test]
async fn no_match_in_time_is_a_408() {
    let server = Server::start(&[]).await;
    server.post(&event("other")).await;
    let call = server.wait("?type=never&timeout_ms=50").await;
    let (status, body) = outcome(call).await;
    assert_eq!(status, 408, "{body}");
    assert_eq!(body["error"]["code"], "timeout");
    assert!(body["error"]["details"].is_array());
}

#[tokio::test]
async fn bad_queries_are_400s() {
    let app = common::app(&[]);
    for query in ["timeout_ms=soon", "timeout_ms=60001", "timeout_ms=-1", "after=yesterday"] {
        common::get(&app, &format!("/api/events/wait?{query}"))
            .await
            .error(StatusCode::BAD_REQUEST, "invalid_query");
    }
}

#[tokio::test]
async fn shutdown_ends_a_waiting_call() {
    let server = Server::start(&[]).await;
    let call = server.wait("?timeout_ms=60000").await;
    server.state.shutdown.cancel();
    let (status, body) = outcome(call).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "shutting_down");
}
