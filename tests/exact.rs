//! Exactness on a real server: JSON data keeps every number, member order and escape, and a 0.3
//! event keeps its own attribute names, in binary and structured mode, over `/api/events`,
//! `/api/events/{id}` and `/stream`; a failing backend reaches clients only as a fixed message.
#![cfg(feature = "ssr")]

mod common;

use cloudevent_player::core::cloudevent::{CloudEvent, Data};
use cloudevent_player::core::envelope::Envelope;
use common::live::Server;
use serde::Deserialize;
use serde_json::{Value, json};

/// The issue's number, with a precision f64 cannot hold, members out of order and escapes.
const DATA: &str = "{\n  \"n\": 123456789012345678901234567890,\n  \"f\": 0.1000000000000000000000001,\n  \
                    \"z\": 1, \"a\": \"caf\\u00e9 \\\"x\\\"  y\"\n}";
const DATA_COMPACT: &str =
    r#"{"n":123456789012345678901234567890,"f":0.1000000000000000000000001,"z":1,"a":"caf\u00e9 \"x\"  y"}"#;

const STRUCTURED: &str = "application/cloudevents+json";

#[derive(Deserialize)]
struct Page {
    events: Vec<Envelope>,
}

async fn post(server: &Server, headers: &[(&str, &str)], body: impl Into<reqwest::Body>) -> Value {
    let mut request = server.http.post(server.url("/events")).body(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let answer: Value = response.json().await.unwrap();
    assert_eq!(status, 202, "{answer}");
    answer
}

/// The raw text of `GET path`: numbers are checked in it, before any parse.
async fn api_text(server: &Server, path: &str) -> String {
    let response = server.http.get(server.url(path)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

fn binary_headers<'a>(specversion: &'a str, id: &'a str, content_type: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("ce-specversion", specversion),
        ("ce-id", id),
        ("ce-source", "https://example.com/exact"),
        ("ce-type", "com.example.exact"),
        ("content-type", content_type),
    ]
}

#[tokio::test]
async fn big_numbers_come_back_exactly_over_the_api_and_the_stream_in_both_modes() {
    let server = Server::start(&[]).await;
    let mut sse = server.stream("", None).await;
    let structured = format!(
        "{{\"specversion\": \"1.0\", \"id\": \"s\", \"source\": \"https://example.com/exact\",\n \
         \"type\": \"com.example.exact\", \"datacontenttype\": \"application/json\", \"data\": {DATA}}}"
    );
    post(&server, &[("content-type", STRUCTURED)], structured).await;
    post(&server, &binary_headers("1.0", "b", "application/json"), DATA).await;
    let tail = format!(r#""data":{DATA_COMPACT}}}"#);

    let frames = sse.events(2).await;
    for frame in &frames {
        assert!(frame.data.ends_with(&tail), "one line, data as received: {}", frame.data);
        let event: CloudEvent = serde_json::from_str(&frame.data).unwrap();
        assert_eq!(event.data().and_then(Data::json), Some(DATA_COMPACT));
    }

    let text = api_text(&server, "/api/events").await;
    assert_eq!(text.matches(&tail).count(), 2, "{text}");
    let page: Page = serde_json::from_str(&text).unwrap();
    assert_eq!(page.events.len(), 2);
    for envelope in &page.events {
        assert_eq!(envelope.event.data().and_then(Data::json), Some(DATA_COMPACT));
        let one = api_text(&server, &format!("/api/events/{}", envelope.id)).await;
        assert!(one.contains(&tail), "{one}");
    }
    assert_eq!(page.events[1].event.to_json(), frames[1].data, "the API and the stream agree");
}

#[tokio::test]
async fn a_0_3_event_keeps_its_own_names_over_the_api_and_the_stream_in_both_modes() {
    let server = Server::start(&[]).await;
    let mut sse = server.stream("", None).await;
    let structured = json!({
        "specversion": "0.3", "id": "s", "source": "https://example.com/exact", "type": "com.example.exact",
        "schemaurl": "https://example.com/schema.json", "datacontenttype": "application/octet-stream",
        "datacontentencoding": "base64", "data": "AAEC",
    });
    post(&server, &[("content-type", STRUCTURED)], structured.to_string()).await;
    let mut headers = binary_headers("0.3", "b", "application/octet-stream");
    headers.push(("ce-schemaurl", "https://example.com/schema.json"));
    post(&server, &headers, vec![0u8, 1, 2]).await;

    let legacy = |event: &Value| {
        assert_eq!(event["specversion"], "0.3", "{event}");
        assert_eq!(event["schemaurl"], "https://example.com/schema.json", "{event}");
        assert_eq!(event["datacontentencoding"], "base64", "{event}");
        assert_eq!(event["data"], "AAEC", "{event}");
        for name in ["dataschema", "data_base64"] {
            assert!(event.get(name).is_none(), "no 1.0 name {name} on a 0.3 event: {event}");
        }
    };
    for frame in sse.events(2).await {
        legacy(&serde_json::from_str(&frame.data).unwrap());
    }
    let history = server.history().await;
    assert_eq!(history.len(), 2);
    for envelope in &history {
        legacy(&envelope["event"]);
        let one: Value = serde_json::from_str(
            &api_text(&server, &format!("/api/events/{}", envelope["id"].as_str().unwrap())).await,
        )
        .unwrap();
        legacy(&one["event"]);
    }
    assert_eq!(structured, history[0]["event"], "the structured event is served as it was sent");
}

#[tokio::test]
async fn sending_to_self_keeps_big_numbers() {
    let server = Server::start(&[]).await;
    let event = format!(
        r#"{{"specversion":"1.0","id":"x","source":"/ui","type":"com.example.exact","datacontenttype":"application/json","data":{DATA}}}"#
    );
    for mode in ["structured", "binary"] {
        let body = format!(r#"{{"target":"self","mode":"{mode}","event":{event}}}"#);
        let response = server
            .http
            .post(server.url("/api/send"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let delivery: Value = response.json().await.unwrap();
        assert_eq!(delivery["status"], 202, "{delivery}");
        let accepted: Value = serde_json::from_str(delivery["body"].as_str().unwrap()).unwrap();
        assert_eq!(accepted["accepted"], 1, "{delivery}");
    }
    let text = api_text(&server, "/api/events").await;
    assert_eq!(text.matches(&format!(r#""data":{DATA_COMPACT}}}"#)).count(), 2, "{text}");
}

#[tokio::test]
async fn backend_failures_reach_clients_as_a_fixed_message() {
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let server = Server::start(&["--redis-url", &format!("redis://127.0.0.1:{closed_port}/")]).await;
    let fixed = "the event store is unavailable; retry later";
    let response = server
        .http
        .post(server.url("/events"))
        .header("content-type", STRUCTURED)
        .body(common::event("nowhere").to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], json!({"code": "backend_unavailable", "message": fixed, "details": []}));

    let send = json!({"target": "self", "event": common::event("via-send")});
    let delivery: Value =
        server.http.post(server.url("/api/send")).json(&send).send().await.unwrap().json().await.unwrap();
    assert_eq!(delivery["status"], 503, "{delivery}");
    let answer: Value = serde_json::from_str(delivery["body"].as_str().unwrap()).unwrap();
    assert_eq!(answer["error"]["message"], fixed, "{delivery}");

    let rejections: Value =
        server.http.get(server.url("/api/rejections")).send().await.unwrap().json().await.unwrap();
    let text = rejections.to_string();
    assert!(text.contains(fixed), "{text}");
    assert!(!text.contains(&closed_port.to_string()) && !text.to_lowercase().contains("redis"), "{text}");
    server.stop();
}
