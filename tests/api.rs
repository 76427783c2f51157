//! The JSON API: paging, lookup, clear, status, and a 400 with the error shape for every bad query.
#![cfg(feature = "ssr")]

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::json;

async fn seeded(n: usize) -> (axum::Router, Vec<String>) {
    let app = app(&[]);
    let batch = json!((0..n).map(|i| event(&i.to_string())).collect::<Vec<_>>());
    let reply =
        post(&app, "/", &[("content-type", "application/cloudevents-batch+json")], batch.to_string()).await;
    let ids =
        reply.json()["ids"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect();
    (app, ids)
}

fn event_ids(reply: &Reply) -> Vec<String> {
    reply.json()["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"]["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn pages_forward_after_an_id_and_backward_before_one() {
    let (app, ids) = seeded(6).await;
    let reply = get(&app, &format!("/api/events?after={}&limit=2", ids[1])).await;
    assert_eq!(event_ids(&reply), vec!["2", "3"]);
    assert_eq!(reply.json()["has_more"], true);
    let reply = get(&app, &format!("/api/events?before={}&limit=2", ids[5])).await;
    assert_eq!(event_ids(&reply), vec!["3", "4"], "the newest before, oldest first");
    let reply = get(&app, &format!("/api/events?after={}&before={}", ids[0], ids[3])).await;
    assert_eq!(event_ids(&reply), vec!["1", "2"]);
    assert_eq!(reply.json()["has_more"], false);
}

#[tokio::test]
async fn bad_query_values_are_400_with_the_error_shape() {
    let (app, _) = seeded(2).await;
    for uri in [
        "/api/events?limit=abc",
        "/api/events?limit=0",
        "/api/events?limit=1001",
        "/api/events?after=yesterday",
        "/api/events?before=1-2-3",
        "/api/events?after=%FF",
        "/api/rejections?limit=-1",
        "/api/events/not-an-id",
    ] {
        let error = get(&app, uri).await.error(StatusCode::BAD_REQUEST, "invalid_query");
        assert!(!error["message"].as_str().unwrap().is_empty(), "{uri}");
    }
    assert_eq!(history(&app).await.len(), 2, "bad queries change nothing");
}

#[tokio::test]
async fn unknown_ids_and_api_paths_are_json_404s() {
    let (app, _) = seeded(1).await;
    get(&app, "/api/events/1-0").await.error(StatusCode::NOT_FOUND, "not_found");
    get(&app, "/api/nothing-here").await.error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn delete_clears_the_history_and_the_rejected_lane() {
    let (app, ids) = seeded(3).await;
    post(&app, "/", &[("content-type", "application/cloudevents+json")], "{}").await;
    let kept = get(&app, "/api/rejections").await.json();
    assert_eq!(kept["rejections"].as_array().map(Vec::len), Some(1), "{kept}");
    let reply =
        send(&app, axum::http::Request::delete("/api/events").body(axum::body::Body::empty()).unwrap()).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["cleared"], 3);
    assert!(history(&app).await.is_empty());
    get(&app, &format!("/api/events/{}", ids[0])).await.error(StatusCode::NOT_FOUND, "not_found");
    let status = status(&app).await;
    assert_eq!(status["history"]["len"], 0);
    assert_eq!(status["total_events"], 3, "the total counts every event ever accepted");
    let kept = get(&app, "/api/rejections").await.json();
    assert_eq!(kept["rejections"], json!([]), "Clear empties the rejected lane too");
}

#[tokio::test]
async fn status_reports_history_backend_and_version() {
    let (app, ids) = seeded(2).await;
    let status = status(&app).await;
    assert_eq!(status["backend"], "memory");
    assert_eq!(status["clients"], 0);
    assert_eq!(status["history"]["first_id"], ids[0].as_str());
    assert_eq!(status["history"]["last_id"], ids[1].as_str());
    assert_eq!(status["history"]["capacity"], 10_000);
    assert_eq!(status["version"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn metrics_time_each_route_by_its_pattern_and_report_the_history_size() {
    let (app, ids) = seeded(3).await;
    get(&app, &format!("/api/events/{}", ids[0])).await;
    get(&app, &format!("/api/events/{}", ids[1])).await;
    get(&app, "/api/events?limit=abc").await;
    // Ingest is dispatched ahead of the router, and still timed under its route's pattern.
    let structured = [("content-type", "application/cloudevents+json")];
    let named = post(&app, "/r/orders/eu", &structured, event("r1").to_string()).await;
    assert_eq!(named.status, StatusCode::ACCEPTED, "{}", named.text());
    post(&app, "/events", &structured, "{").await.error(StatusCode::BAD_REQUEST, "malformed_json");
    let text = get(&app, "/metrics").await.text();
    let line = |prefix: &str| {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no `{prefix}` in\n{text}"))
            .rsplit(' ')
            .next()
            .unwrap()
            .to_owned()
    };
    let count = |method: &str, route: &str, status: &str| {
        line(&format!(
            "cep_http_request_duration_seconds_count{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}}"
        ))
    };
    assert_eq!(count("POST", "/", "2xx"), "1");
    assert_eq!(count("GET", "/api/events/{id}", "2xx"), "2", "ids are not labels: one series per route");
    assert_eq!(count("GET", "/api/events", "4xx"), "1");
    assert_eq!(count("POST", "/r/{*name}", "2xx"), "1");
    assert_eq!(count("POST", "/events", "4xx"), "1");
    assert!(text.contains("# TYPE cep_http_request_duration_seconds histogram"), "{text}");
    assert!(text.contains("# UNIT cep_http_request_duration_seconds seconds"), "{text}");
    assert_eq!(line("cep_history_events "), "4", "the three seeded and the named route's");
    let bytes: u64 = line("cep_history_bytes ").parse().unwrap();
    assert!(bytes > 3 * 100, "three events take more than 100 bytes each: {bytes}");
}
