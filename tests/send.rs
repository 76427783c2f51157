//! `POST /api/send` and `GET /api/sinks` on real ports: to the player itself, to a second player as
//! the sink, and to sinks that refuse, redirect, are down or are slow. Only configured sinks are reached.
#![cfg(feature = "ssr")]

mod common;

use axum::http::StatusCode;
use common::{Server, event, post};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Bound that only proves a call did not hang; never a speed claim (CI is shared).
const PATIENCE: Duration = Duration::from_secs(20);

/// An event whose attributes survive both modes (binary mode carries extension values as strings,
/// so there is no integer or boolean extension here).
fn rich_event(id: &str) -> Value {
    let mut event = event(id);
    event["subject"] = json!("orders/€42 \"quoted\"");
    event["time"] = json!("2026-11-26T12:34:56.789Z");
    event["traceparent"] = json!("00-abc");
    event["data"] = json!({"total": 42, "items": ["a", "b"]});
    event
}

impl Server {
    /// `POST /api/send` with a JSON body; the status and the JSON answer.
    async fn send(&self, body: &Value) -> (u16, Value) {
        let response =
            tokio::time::timeout(PATIENCE, self.http.post(self.url("/api/send")).json(body).send())
                .await
                .expect("the send call ends")
                .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }
}

fn assert_error(reply: &(u16, Value), status: u16, code: &str) {
    assert_eq!(reply.0, status, "{}", reply.1);
    assert_eq!(reply.1["error"]["code"], code, "{}", reply.1);
    assert!(reply.1["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{}", reply.1);
}

/// A port on which nothing listens.
async fn closed_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

/// A sink that answers by path: `/slow` after 30 s, `/refuse` 422 with a message, `/big` 500 with
/// 10 KB, `/redirect` 307 to another sink.
async fn odd_sink() -> String {
    use axum::routing::post;
    let app = axum::Router::new()
        .route(
            "/slow",
            post(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                "late"
            }),
        )
        .route(
            "/refuse",
            post(|| async { (StatusCode::UNPROCESSABLE_ENTITY, "nope: data.total must be even") }),
        )
        .route("/big", post(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "x".repeat(10_000)) }))
        .route(
            "/redirect",
            post(|| async { (StatusCode::TEMPORARY_REDIRECT, [("location", "http://192.0.2.1/elsewhere")]) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

#[tokio::test]
async fn sending_to_self_stores_an_equal_event_in_either_mode() {
    let player = Server::start(&[]).await;
    for (n, mode) in ["binary", "structured"].into_iter().enumerate() {
        let sent = rich_event(&format!("self-{n}"));
        let (status, answer) = player.send(&json!({"target": "self", "mode": mode, "event": sent})).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["target"], "self");
        assert_eq!(answer["mode"], mode);
        assert_eq!(answer["status"], 202, "{answer}");
        assert_eq!(answer["delivered"], true);
        let ids = serde_json::from_str::<Value>(answer["body"].as_str().unwrap()).unwrap()["ids"].clone();
        let stored = player.history().await;
        assert_eq!(stored.len(), n + 1);
        let last = &stored[n];
        assert_eq!(json!([last["id"]]), ids, "the answer names the stored event");
        assert_eq!(last["event"], sent, "{mode}: stored as sent");
        assert_eq!(last["mode"], mode);
        assert_eq!(last["request"]["path"], "/api/send");
    }
}

#[tokio::test]
async fn sending_to_a_sink_delivers_to_that_server_in_either_mode() {
    let sink = Server::start(&[]).await;
    let player = Server::start(&["--sink", &format!("orders={}/events", sink.base)]).await;
    for (n, mode) in ["binary", "structured"].into_iter().enumerate() {
        let sent = rich_event(&format!("sink-{n}"));
        let (status, answer) = player.send(&json!({"target": "orders", "mode": mode, "event": sent})).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["status"], 202, "{answer}");
        assert_eq!(answer["delivered"], true);
        assert!(answer["elapsed_ms"].is_u64());
        assert!(answer["body"].as_str().unwrap().contains("\"accepted\":1"), "{answer}");
        let received = sink.history().await;
        assert_eq!(received.len(), n + 1);
        assert_eq!(received[n]["event"], sent, "{mode}: the sink stored it as sent");
        assert_eq!(received[n]["mode"], mode);
    }
    assert!(player.history().await.is_empty(), "a send to a sink is not stored here");
}

#[tokio::test]
async fn k_ce_overrides_set_their_extensions_on_events_sent_to_k_sink_only() {
    let sink = Server::start(&[]).await;
    let overrides = r#"{"extensions":{"cluster":"dev","tier":2}}"#;
    let k_sink = format!("{}/events", sink.base);
    let other = format!("other={}/events", sink.base);
    let player = Server::start(&["--k-sink", &k_sink, "--sink", &other, "--ce-overrides", overrides]).await;
    for (n, target) in ["k-sink", "other"].into_iter().enumerate() {
        let sent = rich_event(&format!("override-{n}"));
        let (status, answer) = player.send(&json!({"target": target, "event": sent})).await;
        assert_eq!((status, &answer["status"]), (200, &json!(202)), "{answer}");
        let received = &sink.history().await[n]["event"];
        if target == "k-sink" {
            assert_eq!((&received["cluster"], &received["tier"]), (&json!("dev"), &json!(2)), "{received}");
        } else {
            assert!(received.get("cluster").is_none(), "only k-sink gets the overrides: {received}");
        }
        assert_eq!(received["id"], sent["id"]);
    }
}

#[tokio::test]
async fn an_unknown_target_is_refused_and_nothing_is_sent() {
    let sink = Server::start(&[]).await;
    let player = Server::start(&["--sink", &format!("orders={}/", sink.base)]).await;
    for target in ["billing", &format!("{}/", sink.base), "ORDERS", ""] {
        let reply = player.send(&json!({"target": target, "event": event("u")})).await;
        assert_error(&reply, 400, "unknown_sink");
        assert!(reply.1["error"]["message"].as_str().unwrap().contains("self, orders"), "{}", reply.1);
    }
    assert!(sink.history().await.is_empty(), "the sink received nothing");
    assert!(player.history().await.is_empty());
}

#[tokio::test]
async fn an_invalid_event_is_refused_before_anything_is_sent() {
    let sink = Server::start(&[]).await;
    let player = Server::start(&["--sink", &format!("orders={}/", sink.base)]).await;
    let mut bad = event("bad");
    bad["time"] = json!("yesterday");
    for target in ["orders", "self", "unknown"] {
        let reply = player.send(&json!({"target": target, "event": bad})).await;
        assert_error(&reply, 400, "invalid_event");
        assert_eq!(reply.1["error"]["details"][0]["attribute"], "time", "{}", reply.1);
    }
    assert!(sink.history().await.is_empty());
    assert!(player.history().await.is_empty());
}

#[tokio::test]
async fn a_sink_that_is_down_is_a_502() {
    let port = closed_port().await;
    let player = Server::start(&["--sink", &format!("down=http://127.0.0.1:{port}/?code=s3cret")]).await;
    let reply = player.send(&json!({"target": "down", "event": event("d")})).await;
    assert_error(&reply, 502, "sink_unreachable");
    let message = reply.1["error"]["message"].as_str().unwrap();
    assert!(message.contains("`down`"), "{message}");
    assert!(!message.contains("s3cret"), "the sink URL may carry a key: {message}");
    // The cause a user can act on, not the client library's chain of wrappers.
    assert!(message.to_lowercase().contains("refused"), "{message}");
    assert!(!message.contains("error sending request"), "{message}");
}

#[tokio::test]
async fn a_sink_slower_than_the_send_timeout_is_a_504() {
    let odd = odd_sink().await;
    let player = Server::start(&["--sink", &format!("slow={odd}/slow"), "--send-timeout", "200ms"]).await;
    let started = Instant::now();
    let reply = player.send(&json!({"target": "slow", "event": event("s")})).await;
    assert_error(&reply, 504, "sink_timeout");
    assert!(reply.1["error"]["message"].as_str().unwrap().contains("200ms"), "{}", reply.1);
    assert!(started.elapsed() < Duration::from_secs(30), "ended by the timeout, not by the sink");
}

#[tokio::test]
async fn a_sink_refusal_is_reported_verbatim_and_redirects_are_not_followed() {
    let odd = odd_sink().await;
    let player =
        Server::start(&["--sink", &format!("refuse={odd}/refuse,big={odd}/big,redirect={odd}/redirect")])
            .await;

    let (status, refused) = player.send(&json!({"target": "refuse", "event": event("r")})).await;
    assert_eq!(status, 200, "our call succeeded: {refused}");
    assert_eq!(refused["status"], 422);
    assert_eq!(refused["delivered"], false);
    assert_eq!(refused["body"], "nope: data.total must be even");
    assert_eq!(refused["body_truncated"], false);

    let (_, big) = player.send(&json!({"target": "big", "event": event("b")})).await;
    assert_eq!(big["status"], 500);
    assert_eq!(big["body"].as_str().unwrap().len(), 4096);
    assert_eq!(big["body_truncated"], true);

    let (_, redirected) = player.send(&json!({"target": "redirect", "event": event("x")})).await;
    assert_eq!(redirected["status"], 307, "{redirected}");
    assert_eq!(redirected["delivered"], false);
}

#[tokio::test]
async fn malformed_or_misshapen_bodies_are_400s_in_the_error_shape() {
    let app = common::app(&[]);
    let json = [("content-type", "application/json")];
    post(&app, "/api/send", &json, r#"{"target": "self", "#)
        .await
        .error(StatusCode::BAD_REQUEST, "malformed_json");
    let missing = post(&app, "/api/send", &json, r#"{"target": "self"}"#).await;
    let error = missing.error(StatusCode::BAD_REQUEST, "invalid_request");
    assert!(error["message"].as_str().unwrap().contains("event"), "{error}");
    post(&app, "/api/send", &json, r#"{"target": "self", "mode": "batch", "event": {}}"#)
        .await
        .error(StatusCode::BAD_REQUEST, "invalid_request");
    post(&app, "/api/send", &[], r#"{"target": "self", "event": {}}"#)
        .await
        .error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    let small = common::app(&["--max-body", "64"]);
    let big = json!({"target": "self", "event": rich_event("big")}).to_string();
    post(&small, "/api/send", &json, big).await.error(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large");
    assert!(common::history(&app).await.is_empty());
}

#[tokio::test]
async fn sinks_lists_configured_sinks_with_secrets_masked() {
    let app = common::app(&[
        "--k-sink",
        "http://broker-ingress.knative-eventing.svc.cluster.local/demo/default",
        "--sink",
        "fn=https://fn.example.com/api/ce?code=s3cret",
    ]);
    let reply = common::get(&app, "/api/sinks").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.json(),
        json!({"sinks": [
            {"name": "k-sink", "url": "http://broker-ingress.knative-eventing.svc.cluster.local/demo/default"},
            {"name": "fn", "url": "https://fn.example.com/api/ce?code=***"},
        ]})
    );
    assert_eq!(common::get(&common::app(&[]), "/api/sinks").await.json(), json!({"sinks": []}));
}
