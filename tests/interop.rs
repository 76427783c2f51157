//! Interop with the CloudEvents Rust SDK (`cloudevents-sdk`) on a real server: events it builds and
//! sends through its reqwest binding (binary, structured, batch; 1.0 and 0.3) are accepted, and
//! every event the player serves, over `/api/events` and over `/stream` (read with
//! `core::sse::Parser`), decodes with the SDK to the event that was sent.
#![cfg(feature = "ssr")]

mod common;

use cloudevent_player::core::cloudevent::Data as PlayerData;
use cloudevent_player::core::envelope::Envelope;
use cloudevents::binding::reqwest::{RequestBuilderExt, RequestSerializer};
use cloudevents::message::StructuredDeserializer;
use cloudevents::{Event, EventBuilder, EventBuilderV03, EventBuilderV10};
use common::live::Server;
use serde::Deserialize;
use serde_json::{Value, json};

const SOURCE: &str = "https://example.com/interop";
const SCHEMA: &str = "https://example.com/schemas/order.json";
/// More digits than an f64 holds: the SDK (serde_json without `arbitrary_precision`) rounds it,
/// the player must not.
const BIG: &str = r#"{"n":123456789012345678901234567890,"z":0.1000000000000000000000001,"a":"\u00e9"}"#;

#[derive(Deserialize)]
struct Page {
    events: Vec<Envelope>,
}

/// 1.0 events of every data kind, with string extensions only: binary mode carries extensions as
/// header strings, so typed ones are covered by the structured tests.
fn v10_events(prefix: &str) -> Vec<Event> {
    let base = |id: &str| {
        EventBuilderV10::new()
            .id(format!("{prefix}-{id}"))
            .source(SOURCE)
            .ty("com.example.interop")
            .time("2026-12-02T10:00:00.123Z")
            .subject("orders/42")
            .extension("region", "eu west")
    };
    vec![
        base("json")
            .data("application/json", json!({"b": [1, 2.5, "x", null], "a": {"nested": true}}))
            .build(),
        base("schema").data_with_schema("application/json", SCHEMA, json!({"total": 129.95})).build(),
        base("text").data("text/plain; charset=utf-8", "hello \"world\"\nline 2 é").build(),
        base("bytes").data("application/octet-stream", vec![0u8, 1, 2, 254, 255]).build(),
        base("none").build(),
    ]
    .into_iter()
    .map(|event| event.expect("a valid SDK event"))
    .collect()
}

/// 0.3 events: `schemaurl`, and bytes that the JSON format carries with `datacontentencoding`.
fn v03_events(prefix: &str) -> Vec<Event> {
    let base = |id: &str| {
        EventBuilderV03::new()
            .id(format!("{prefix}-{id}"))
            .source(SOURCE)
            .ty("com.example.interop.legacy")
            .time("2026-12-02T10:00:00Z")
    };
    vec![
        base("json").data_with_schema("application/json", SCHEMA, json!({"legacy": [1, 2]})).build(),
        base("bytes").data("application/octet-stream", vec![0u8, 1, 2, 255]).build(),
        base("text").data("text/plain", "plain 0.3").build(),
    ]
    .into_iter()
    .map(|event| event.expect("a valid SDK event"))
    .collect()
}

/// A 1.0 event with typed extensions, for the modes that keep JSON types.
fn typed_extensions(prefix: &str) -> Event {
    EventBuilderV10::new()
        .id(format!("{prefix}-typed"))
        .source(SOURCE)
        .ty("com.example.interop")
        .extension("count", 7i64)
        .extension("urgent", true)
        .data("application/json", json!({"k": "v"}))
        .build()
        .expect("a valid SDK event")
}

fn post(server: &Server) -> reqwest::RequestBuilder {
    server.http.post(server.url("/events"))
}

async fn accepted(request: reqwest::RequestBuilder, count: usize) {
    let response = request.send().await.unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["accepted"], count, "{body}");
}

/// Every stored event, decoded by the SDK from what `/api/events` serves; it must decode.
async fn served_by_api(server: &Server) -> Vec<Event> {
    let text =
        server.http.get(server.url("/api/events?limit=1000")).send().await.unwrap().text().await.unwrap();
    let page: Page = serde_json::from_str(&text).unwrap();
    page.events.iter().map(|e| sdk_decode(&e.event.to_json())).collect()
}

fn sdk_decode(json: &str) -> Event {
    serde_json::from_str(json).unwrap_or_else(|e| panic!("the SDK cannot read {json}: {e}"))
}

/// Sends `events` one request each (`mode` builds the request), then checks that the stream and
/// the API serve exactly them, as the SDK reads them.
async fn round_trip(events: Vec<Event>, send: impl Fn(&Server, Event) -> reqwest::RequestBuilder) {
    let server = Server::start(&[]).await;
    let mut sse = server.stream("", None).await;
    for event in &events {
        accepted(send(&server, event.clone()), 1).await;
    }
    let streamed: Vec<Event> = sse.events(events.len()).await.iter().map(|f| sdk_decode(&f.data)).collect();
    assert_eq!(streamed, events, "over /stream");
    assert_eq!(served_by_api(&server).await, events, "over /api/events");
}

fn binary(server: &Server, event: Event) -> reqwest::RequestBuilder {
    post(server).event(event).expect("the SDK encodes the event")
}

fn structured(server: &Server, event: Event) -> reqwest::RequestBuilder {
    StructuredDeserializer::deserialize_structured(event, RequestSerializer::new(post(server)))
        .expect("the SDK encodes the event")
}

#[tokio::test]
async fn sdk_events_in_binary_mode_read_back_equal() {
    round_trip([v10_events("bin"), v03_events("bin03")].concat(), binary).await;
}

#[tokio::test]
async fn sdk_events_in_structured_mode_read_back_equal() {
    let mut events = [v10_events("st"), v03_events("st03")].concat();
    events.push(typed_extensions("st"));
    round_trip(events, structured).await;
}

#[tokio::test]
async fn sdk_batches_read_back_equal() {
    let server = Server::start(&[]).await;
    let mut sse = server.stream("", None).await;
    let mut v10 = v10_events("batch");
    v10.push(typed_extensions("batch"));
    let v03 = v03_events("batch03");
    accepted(post(&server).events(v10.clone()).unwrap(), v10.len()).await;
    accepted(post(&server).events(v03.clone()).unwrap(), v03.len()).await;
    let sent = [v10, v03].concat();
    let streamed: Vec<Event> = sse.events(sent.len()).await.iter().map(|f| sdk_decode(&f.data)).collect();
    assert_eq!(streamed, sent, "over /stream");
    assert_eq!(served_by_api(&server).await, sent, "over /api/events");
}

#[tokio::test]
async fn big_numbers_reach_sdk_readers_as_sent_in_both_modes() {
    let server = Server::start(&[]).await;
    let mut sse = server.stream("", None).await;
    // Binary: the SDK sends bytes as the body, so the JSON text arrives as written.
    let event = EventBuilderV10::new()
        .id("big-binary")
        .source(SOURCE)
        .ty("com.example.interop")
        .data("application/json", BIG.as_bytes().to_vec())
        .build()
        .unwrap();
    accepted(binary(&server, event.clone()), 1).await;
    // Structured: the SDK would re-encode a parsed value, so the text is sent by hand.
    let text = format!(
        r#"{{"specversion":"1.0","id":"big-structured","source":"{SOURCE}","type":"com.example.interop","datacontenttype":"application/json","data":{BIG}}}"#
    );
    accepted(post(&server).header("content-type", "application/cloudevents+json").body(text.clone()), 1)
        .await;

    // What an SDK reader expects: the data as JSON, as the SDK decodes JSON data.
    let mut expected_binary = event;
    expected_binary.set_data("application/json", serde_json::from_str::<Value>(BIG).unwrap());
    let expected = vec![expected_binary, sdk_decode(&text)];

    let frames = sse.events(2).await;
    for frame in &frames {
        assert!(frame.data.ends_with(&format!(r#""data":{BIG}}}"#)), "exact on the wire: {}", frame.data);
    }
    let streamed: Vec<Event> = frames.iter().map(|f| sdk_decode(&f.data)).collect();
    assert_eq!(streamed, expected);
    assert_eq!(served_by_api(&server).await, expected);
    let text = server.http.get(server.url("/api/events")).send().await.unwrap().text().await.unwrap();
    let page: Page = serde_json::from_str(&text).unwrap();
    for envelope in page.events {
        assert_eq!(envelope.event.data().and_then(PlayerData::json), Some(BIG));
    }
}
