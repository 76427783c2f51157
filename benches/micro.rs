//! The core's hot paths, each against a baseline in the same group and run (ratios, not absolute
//! times, compare on a shared machine): validation against parsing the same bytes with
//! `serde_json` alone, SSE framing against copying the same bytes, SSE parsing against splitting
//! the same stream into lines, and the CESQL filter against the wildcard patterns over 50,000
//! varied events. `make bench` reads criterion's estimates into its table. Run: `make bench`, or
//! `cargo bench --no-default-features --features ssr --bench micro`.

use axum::body::Body;
use axum::http::Request;
use clap::Parser as _;
use cloudevent_player::core::cloudevent::{CloudEvent, Limits, decode, decode_structured};
use cloudevent_player::core::expression::compile_optional;
use cloudevent_player::core::filter::Criteria;
use cloudevent_player::core::sse::{Frame, Parser};
use cloudevent_player::server::{AppState, config::Config, router};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use leptos::config::LeptosOptions;
use serde_json::json;
use std::hint::black_box;
use std::time::Duration;
use tower::ServiceExt;

const STRUCTURED: &str = r#"{"specversion":"1.0","id":"b7c9-4f1e-9a55","source":"https://orders.example.com/eu-west","type":"com.example.order.created","subject":"orders/42","time":"2026-11-26T12:34:56.789Z","datacontenttype":"application/json","traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","data":{"order":42,"customer":"c-1001","items":[{"sku":"A-1","qty":2},{"sku":"B-7","qty":1}],"total":129.95,"currency":"EUR"}}"#;

/// Events in the filter group: they vary in every attribute the filters read.
const EVENTS: usize = 50_000;
/// Frames in the SSE parsing group's stream.
const FRAMES: usize = 1_000;

const EXPRESSION: &str =
    "type = 'com.example.order.created' AND source LIKE '/orders/%' AND subject <> 'x' AND seq > 10";

fn ingest(c: &mut Criterion) {
    let body = STRUCTURED.as_bytes();
    let headers: Vec<(&str, &[u8])> = vec![
        ("ce-specversion", b"1.0"),
        ("ce-id", b"b7c9-4f1e-9a55"),
        ("ce-source", b"https://orders.example.com/eu-west"),
        ("ce-type", b"com.example.order.created"),
        ("ce-subject", b"orders/42"),
        ("ce-time", b"2026-11-26T12:34:56.789Z"),
        ("ce-traceparent", b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
        ("content-type", b"application/json"),
    ];
    let data =
        serde_json::to_vec(&serde_json::from_str::<serde_json::Value>(STRUCTURED).unwrap()["data"]).unwrap();
    let limits = Limits::default();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let config = Config::try_parse_from(["cloudevent-player"]).unwrap();
    let app =
        router(AppState::new(config, LeptosOptions::builder().output_name("cloudevent-player").build()));

    let mut group = c.benchmark_group("ingest, one event");
    group.bench_function("baseline: serde_json::Value", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(body)).unwrap())
    });
    group.bench_function("validate structured", |b| b.iter(|| decode_structured(black_box(body)).unwrap()));
    group.bench_function("validate binary", |b| {
        b.iter(|| decode(black_box(&headers), black_box(&data), &limits).unwrap())
    });
    group.bench_function("POST /events handler (validate, store, frame)", |b| {
        b.iter(|| {
            let request = Request::post("/events")
                .header("content-type", "application/cloudevents+json")
                .body(Body::from(STRUCTURED))
                .unwrap();
            let response = runtime.block_on(app.clone().oneshot(request)).unwrap();
            assert_eq!(response.status(), 202);
        })
    });
    group.finish();
}

fn sse(c: &mut Criterion) {
    let mut group = c.benchmark_group("sse framing, one event");
    group.bench_function("baseline: copy the data line", |b| {
        b.iter(|| {
            let json = black_box(STRUCTURED);
            let mut out = String::with_capacity(json.len() + 8);
            out.push_str("data: ");
            out.push_str(json);
            out.push_str("\n\n");
            out
        })
    });
    group.bench_function("frame", |b| {
        b.iter(|| Frame::new("cloudevent", black_box(STRUCTURED)).with_id("1733230000000-7").encode())
    });
    group.finish();

    let stream: String = (0..FRAMES)
        .map(|i| Frame::new("cloudevent", STRUCTURED).with_id(format!("1733230000000-{i}")).encode())
        .collect();
    let mut group = c.benchmark_group("sse parsing, 1,000 events");
    group.throughput(Throughput::Elements(FRAMES as u64));
    group.bench_function("baseline: split into lines", |b| {
        b.iter(|| black_box(stream.as_bytes()).split(|&byte| byte == b'\n').filter(|l| !l.is_empty()).count())
    });
    group.bench_function("parse", |b| {
        b.iter(|| {
            let mut frames = 0;
            Parser::new().push_with(black_box(stream.as_bytes()), |frame| {
                black_box(frame);
                frames += 1;
            });
            assert_eq!(frames, FRAMES);
        })
    });
    group.finish();
}

fn events() -> Vec<CloudEvent> {
    let types = [
        "com.example.order.created",
        "com.example.order.updated",
        "com.example.payment.done",
        "org.other.ping",
    ];
    let sources = ["/orders/eu", "/orders/us", "/billing/eu"];
    (0..EVENTS)
        .map(|i| {
            let value = json!({
                "specversion": "1.0", "id": format!("e-{i}"), "source": sources[i % 3],
                "type": types[(i / 3) % 4], "subject": format!("order-{}", i % 97),
                "time": "2026-11-26T12:34:56.789Z", "seq": (i % 20) as i64,
                "datacontenttype": "application/json", "data": {"n": i}
            });
            CloudEvent::from_value(value).expect("valid event").event
        })
        .collect()
}

fn filter(c: &mut Criterion) {
    let events = events();
    let wildcard = Criteria::new("com.example.order.*", "/orders/*", "order-*");
    let cesql = Criteria::new("", "", "")
        .with_expression(compile_optional(EXPRESSION).expect("the expression parses"));
    // Both let some through and hold some back: neither short-cuts on every event.
    let matched = |criteria: &Criteria| events.iter().filter(|e| criteria.matches(e)).count();
    assert!((1..EVENTS).contains(&matched(&wildcard)) && (1..EVENTS).contains(&matched(&cesql)));

    let mut group = c.benchmark_group("filter, 50,000 events");
    group.throughput(Throughput::Elements(EVENTS as u64));
    group.sample_size(20);
    group.bench_function("baseline: type/source/subject wildcards", |b| {
        b.iter(|| events.iter().filter(|e| wildcard.matches(black_box(e))).count())
    });
    group.bench_function("CESQL: 3 comparisons and a LIKE", |b| {
        b.iter(|| events.iter().filter(|e| cesql.matches(black_box(e))).count())
    });
    group.finish();
}

/// Short phases: the ratios settle well within them, and `make bench` has much else to run.
fn config() -> Criterion {
    Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3))
}

criterion_group! { name = micro; config = config(); targets = ingest, sse, filter }
criterion_main!(micro);
