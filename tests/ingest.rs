//! Ingest over every mode of the CloudEvents HTTP binding, and every way it refuses a request:
//! each refusal has its status, its JSON error code, and leaves the history unchanged.
#![cfg(feature = "ssr")]

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::json;

/// Asserts that nothing was stored or counted and that the refusal was recorded for the UI.
async fn assert_nothing_stored(app: &axum::Router, rejected: u64) {
    assert!(history(app).await.is_empty());
    let status = status(app).await;
    assert_eq!(status["total_events"], 0, "{status}");
    assert_eq!(status["rejected"], rejected, "{status}");
    assert!(!get(app, "/metrics").await.text().contains("cep_events_accepted_total{"));
}

#[tokio::test]
async fn binary_mode_builds_the_event_from_headers_and_body() {
    let app = app(&[]);
    let reply = post(
        &app,
        "/",
        &[
            ("ce-specversion", "1.0"),
            ("ce-id", "abc-1"),
            ("ce-source", "order-service"),
            ("ce-type", "com.example.order.created"),
            ("ce-subject", "orders/%E2%82%AC42"),
            ("ce-traceparent", "00-abc"),
            ("content-type", "application/json"),
            ("authorization", "Bearer secret"),
        ],
        r#"{"total": 42}"#,
    )
    .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text());
    let body = reply.json();
    assert_eq!(body["accepted"], 1);
    let id = body["ids"][0].as_str().unwrap().to_owned();

    let stored = get(&app, &format!("/api/events/{id}")).await.json();
    assert_eq!(stored["mode"], "binary");
    assert_eq!(stored["event"]["id"], "abc-1");
    assert_eq!(stored["event"]["subject"], "orders/€42", "header values are percent-decoded");
    assert_eq!(stored["event"]["traceparent"], "00-abc");
    assert_eq!(stored["event"]["datacontenttype"], "application/json");
    assert_eq!(stored["event"]["data"], json!({"total": 42}), "JSON data stays JSON");
    assert_eq!(stored["request"]["body"], r#"{"total": 42}"#);
    let headers = stored["request"]["headers"].as_array().unwrap();
    assert!(headers.iter().any(|h| h[0] == "ce-id" && h[1] == "abc-1"));
    assert!(!headers.iter().any(|h| h[0] == "authorization"), "credentials are never kept");
    assert!(
        stored["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["attribute"] == "source" && w["rule"] == "source-absolute")
    );
}

#[tokio::test]
async fn all_three_ingest_paths_accept_structured_events() {
    let app = app(&[]);
    for (n, path) in ["/", "/events", "/events/pub"].iter().enumerate() {
        let reply = post(
            &app,
            path,
            &[("content-type", "Application/CloudEvents+JSON; charset=utf-8")],
            event(&n.to_string()).to_string(),
        )
        .await;
        assert_eq!(reply.status, StatusCode::ACCEPTED, "{path}: {}", reply.text());
    }
    let stored = history(&app).await;
    assert_eq!(stored.len(), 3);
    assert!(stored.iter().all(|e| e["mode"] == "structured" && e["event"]["data"] == json!({"n": 1})));
}

#[tokio::test]
async fn batch_mode_stores_every_member_in_order() {
    let app = app(&[]);
    let batch = json!([event("a"), event("b"), event("c")]);
    let reply =
        post(&app, "/events", &[("content-type", "application/cloudevents-batch+json")], batch.to_string())
            .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text());
    assert_eq!(reply.json()["accepted"], 3);
    let ids: Vec<_> = history(&app).await.iter().map(|e| e["event"]["id"].clone()).collect();
    assert_eq!(ids, vec![json!("a"), json!("b"), json!("c")]);
}

#[tokio::test]
async fn empty_batch_is_accepted_with_nothing_stored() {
    let app = app(&[]);
    let reply = post(&app, "/events", &[("content-type", "application/cloudevents-batch+json")], "[]").await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    assert_eq!(reply.json(), json!({"accepted": 0, "ids": []}));
    assert!(history(&app).await.is_empty());
}

#[tokio::test]
async fn invalid_structured_event_is_refused_with_the_attribute_named() {
    let app = app(&[]);
    let mut bad = event("x");
    bad["time"] = json!("yesterday");
    let error = post_structured(&app, &bad).await.error(StatusCode::BAD_REQUEST, "invalid_event");
    assert_eq!(error["details"][0]["attribute"], "time", "{error}");
    assert_nothing_stored(&app, 1).await;
    let rejections = get(&app, "/api/rejections").await.json();
    let first = &rejections["rejections"][0];
    assert_eq!(first["status"], 400);
    assert_eq!(first["code"], "invalid_event");
    assert_eq!(first["attribute"], "time");
    assert!(first.get("request").is_none(), "the list has summaries: {first}");
    let full = get(&app, &format!("/api/rejections/{}", first["id"])).await.json();
    assert_eq!(full["error"]["code"], "invalid_event");
    assert!(full["request"]["body"].as_str().unwrap().contains("yesterday"));
}

#[tokio::test]
async fn one_bad_batch_member_rejects_the_whole_batch() {
    let app = app(&[]);
    let batch = json!([event("a"), {"specversion": "1.0", "id": "", "source": "s", "type": "t"}, event("c")]);
    let reply =
        post(&app, "/", &[("content-type", "application/cloudevents-batch+json")], batch.to_string()).await;
    let error = reply.error(StatusCode::BAD_REQUEST, "invalid_event");
    assert_eq!(error["details"][0]["index"], 1, "{error}");
    assert_eq!(error["details"][0]["attribute"], "id", "{error}");
    assert_nothing_stored(&app, 1).await;
}

#[tokio::test]
async fn malformed_json_is_a_400() {
    let app = app(&[]);
    let reply =
        post(&app, "/", &[("content-type", "application/cloudevents+json")], "{\"specversion\":").await;
    reply.error(StatusCode::BAD_REQUEST, "malformed_json");
    let reply = post(&app, "/", &[("content-type", "application/cloudevents-batch+json")], "{}").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "a batch must be an array: {}", reply.text());
    assert_nothing_stored(&app, 2).await;
}

#[tokio::test]
async fn binary_mode_without_specversion_is_a_400() {
    let app = app(&[]);
    let reply = post(
        &app,
        "/events",
        &[("ce-id", "1"), ("ce-source", "s"), ("ce-type", "t"), ("content-type", "text/plain")],
        "hi",
    )
    .await;
    reply.error(StatusCode::BAD_REQUEST, "missing_specversion");
    assert_nothing_stored(&app, 1).await;
}

#[tokio::test]
async fn binary_mode_refuses_a_datacontenttype_header_and_repeated_attributes() {
    let app = app(&[]);
    let base = [("ce-specversion", "1.0"), ("ce-id", "1"), ("ce-source", "s"), ("ce-type", "t")];
    let with = |extra: (&'static str, &'static str)| {
        let mut headers = base.to_vec();
        headers.push(extra);
        headers
    };
    let reply = post(&app, "/", &with(("ce-datacontenttype", "text/plain")), "x").await;
    reply.error(StatusCode::BAD_REQUEST, "invalid_event");
    let reply = post(&app, "/", &with(("ce-id", "2")), "x").await;
    let error = reply.error(StatusCode::BAD_REQUEST, "invalid_event");
    assert_eq!(error["details"][0]["attribute"], "id", "{error}");
    assert_nothing_stored(&app, 2).await;
}

#[tokio::test]
async fn unsupported_event_format_is_a_415() {
    let app = app(&[]);
    let reply = post(&app, "/", &[("content-type", "application/cloudevents+avro")], "binary").await;
    reply.error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    assert_nothing_stored(&app, 1).await;
}

#[tokio::test]
async fn body_over_the_limit_is_a_413() {
    let app = app(&["--max-body", "1KiB"]);
    let mut big = event("big");
    big["data"] = json!("x".repeat(2000));
    let reply = post_structured(&app, &big).await;
    reply.error(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large");
    assert_nothing_stored(&app, 1).await;
    assert_eq!(post_structured(&app, &event("small")).await.status, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn batch_over_the_limit_is_a_413() {
    let app = app(&["--max-batch", "2"]);
    let batch = json!([event("a"), event("b"), event("c")]);
    let reply =
        post(&app, "/", &[("content-type", "application/cloudevents-batch+json")], batch.to_string()).await;
    reply.error(StatusCode::PAYLOAD_TOO_LARGE, "batch_too_large");
    assert_nothing_stored(&app, 1).await;
}

#[tokio::test]
async fn wrong_method_is_a_405_with_allow() {
    let app = app(&[]);
    let reply = send(
        &app,
        axum::http::Request::put("/events").body(axum::body::Body::from(event("a").to_string())).unwrap(),
    )
    .await;
    reply.error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    let allow = reply.headers.get("allow").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    assert!(allow.contains("POST"), "Allow: {allow}");
    assert!(history(&app).await.is_empty());
}

#[tokio::test]
async fn duplicates_are_stored_and_marked() {
    let app = app(&[]);
    let first = post_structured(&app, &event("same")).await.json()["ids"][0].clone();
    post_structured(&app, &event("same")).await;
    let stored = history(&app).await;
    assert_eq!(stored.len(), 2);
    assert!(stored[0].get("duplicate_of").is_none());
    assert_eq!(stored[1]["duplicate_of"], first);
}

#[tokio::test]
async fn history_keeps_only_the_newest_events() {
    let app = app(&["--history", "3"]);
    for n in 0..5 {
        post_structured(&app, &event(&n.to_string())).await;
    }
    let ids: Vec<_> = history(&app).await.iter().map(|e| e["event"]["id"].clone()).collect();
    assert_eq!(ids, vec![json!("2"), json!("3"), json!("4")]);
    let status = status(&app).await;
    assert_eq!(status["history"]["len"], 3);
    assert_eq!(status["history"]["capacity"], 3);
    assert_eq!(status["total_events"], 5);
}

#[tokio::test]
async fn webhook_handshake_allows_the_requesting_origin() {
    let app = app(&[]);
    let request = axum::http::Request::options("/events")
        .header("WebHook-Request-Origin", "eventemitter.example.com")
        .body(axum::body::Body::empty())
        .unwrap();
    let reply = send(&app, request).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.headers["webhook-allowed-origin"], "eventemitter.example.com");
    assert_eq!(reply.headers["webhook-allowed-rate"], "*");
    assert!(reply.headers["allow"].to_str().unwrap().contains("POST"));
}

#[tokio::test]
async fn metrics_count_accepted_events_by_mode_and_rejections_by_reason() {
    let app = app(&[]);
    post_structured(&app, &event("a")).await;
    post(&app, "/", &[("content-type", "application/cloudevents+avro")], "x").await;
    let text = get(&app, "/metrics").await.text();
    assert!(text.contains(r#"cep_events_accepted_total{mode="structured"} 1"#), "{text}");
    assert!(text.contains(r#"cep_requests_rejected_total{reason="unsupported_media_type"} 1"#), "{text}");
}

#[tokio::test]
async fn a_member_named_twice_in_a_structured_event_is_a_400_naming_it() {
    let app = app(&[]);
    let body = event("a").to_string().replacen(r#""id":"a""#, r#""id":"a","id":"b""#, 1);
    let error = post(&app, "/", &[("content-type", "application/cloudevents+json")], body)
        .await
        .error(StatusCode::BAD_REQUEST, "duplicate_member");
    assert_eq!(error["message"], "member `id` appears twice", "{error}");
    assert_eq!(error["details"], json!([{"attribute": "id", "message": "member `id` appears twice"}]));

    let body = event("a").to_string().replacen(r#"{"n":1}"#, r#"{"items":[{"sku":1},{"sku":2,"sku":3}]}"#, 1);
    let error = post(&app, "/", &[("content-type", "application/cloudevents+json")], body)
        .await
        .error(StatusCode::BAD_REQUEST, "duplicate_member");
    assert_eq!(error["details"][0]["attribute"], "data.items[1].sku", "{error}");
    assert_nothing_stored(&app, 2).await;
}

#[tokio::test]
async fn a_member_named_twice_in_one_batch_event_rejects_the_batch_with_its_index() {
    let app = app(&[]);
    let third = event("c").to_string().replacen('{', r#"{"x":1,"x":2,"#, 1);
    let body = format!("[{},{},{third}]", event("a"), event("b"));
    let error = post(&app, "/events", &[("content-type", "application/cloudevents-batch+json")], body)
        .await
        .error(StatusCode::BAD_REQUEST, "duplicate_member");
    assert_eq!(
        error["details"],
        json!([{"index": 2, "attribute": "x", "message": "member `x` appears twice"}]),
        "{error}"
    );
    assert_eq!(error["message"], "event 2: member `x` appears twice");
    assert_nothing_stored(&app, 1).await;
}

#[tokio::test]
async fn a_member_named_twice_in_binary_json_data_is_a_400() {
    let app = app(&[]);
    let headers = [
        ("ce-specversion", "1.0"),
        ("ce-id", "1"),
        ("ce-source", "https://example.com/orders"),
        ("ce-type", "com.example.order.created"),
        ("content-type", "application/json"),
    ];
    let error = post(&app, "/", &headers, r#"{"total": 1, "total": 2}"#)
        .await
        .error(StatusCode::BAD_REQUEST, "duplicate_member");
    assert_eq!(error["details"][0]["attribute"], "data.total", "{error}");
    assert_eq!(error["message"], "member `data.total` appears twice");
    assert_nothing_stored(&app, 1).await;
}

#[tokio::test]
async fn stored_requests_mask_credential_headers_and_query_values() {
    let app = app(&[]);
    let reply = post(
        &app,
        "/events?access_token=t0k3n&x=1",
        &[
            ("content-type", "application/cloudevents+json"),
            ("x-api-key", "k3y"),
            ("cookie", "session=s"),
            ("x-request-id", "r1"),
        ],
        event("a").to_string(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text());
    let request = history(&app).await[0]["request"].clone();
    assert_eq!(request["path"], "/events?access_token=***&x=1");
    let headers = request["headers"].as_array().unwrap();
    assert!(headers.contains(&json!(["x-api-key", "***"])), "{request}");
    assert!(headers.contains(&json!(["x-request-id", "r1"])), "{request}");
    assert!(!headers.iter().any(|h| h[0] == "cookie"), "{request}");
    assert!(!request.to_string().contains("t0k3n") && !request.to_string().contains("k3y"), "{request}");
}
