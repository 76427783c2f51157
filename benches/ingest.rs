//! Ingest cost against a baseline measured in the same run: parsing the same bytes with
//! `serde_json` alone. Prints ns per event and the ratio to the baseline (ratios, not absolute
//! times, are comparable on a shared machine). Run: `make bench`.

use axum::body::Body;
use axum::http::Request;
use clap::Parser as _;
use cloudevent_player::core::cloudevent::{Limits, decode, decode_structured};
use cloudevent_player::server::{AppState, config::Config, router};
use leptos::config::LeptosOptions;
use std::hint::black_box;
use std::time::{Duration, Instant};
use tower::ServiceExt;

/// Samples per case; the median is reported.
const SAMPLES: usize = 15;
/// Target wall time of one sample.
const SAMPLE_TIME: Duration = Duration::from_millis(100);

const STRUCTURED: &str = r#"{"specversion":"1.0","id":"b7c9-4f1e-9a55","source":"https://orders.example.com/eu-west","type":"com.example.order.created","subject":"orders/42","time":"2026-11-26T12:34:56.789Z","datacontenttype":"application/json","traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","data":{"order":42,"customer":"c-1001","items":[{"sku":"A-1","qty":2},{"sku":"B-7","qty":1}],"total":129.95,"currency":"EUR"}}"#;

/// Median ns per call of `f` over [`SAMPLES`] samples.
fn measure(mut f: impl FnMut()) -> f64 {
    let mut iterations = 1u64;
    loop {
        let start = Instant::now();
        for _ in 0..iterations {
            f();
        }
        if start.elapsed() >= SAMPLE_TIME / 4 {
            break;
        }
        iterations *= 2;
    }
    let per_sample = iterations * 4;
    let mut samples: Vec<f64> = (0..SAMPLES)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..per_sample {
                f();
            }
            start.elapsed().as_nanos() as f64 / per_sample as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[SAMPLES / 2]
}

fn main() {
    let body = STRUCTURED.as_bytes();
    let binary_headers: Vec<(&str, &[u8])> = vec![
        ("ce-specversion", b"1.0"),
        ("ce-id", b"b7c9-4f1e-9a55"),
        ("ce-source", b"https://orders.example.com/eu-west"),
        ("ce-type", b"com.example.order.created"),
        ("ce-subject", b"orders/42"),
        ("ce-time", b"2026-11-26T12:34:56.789Z"),
        ("ce-traceparent", b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
        ("content-type", b"application/json"),
    ];
    let binary_body =
        serde_json::to_vec(&serde_json::from_str::<serde_json::Value>(STRUCTURED).unwrap()["data"]).unwrap();
    let limits = Limits::default();

    let baseline = measure(|| {
        black_box(serde_json::from_slice::<serde_json::Value>(black_box(body)).unwrap());
    });
    let structured = measure(|| {
        black_box(decode_structured(black_box(body)).unwrap());
    });
    let binary = measure(|| {
        black_box(decode(black_box(&binary_headers), black_box(&binary_body), &limits).unwrap());
    });

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let config = Config::try_parse_from(["cloudevent-player"]).unwrap();
    let app =
        router(AppState::new(config, LeptosOptions::builder().output_name("cloudevent-player").build()));
    let handler = measure(|| {
        let request = Request::post("/events")
            .header("content-type", "application/cloudevents+json")
            .body(Body::from(STRUCTURED))
            .unwrap();
        let response = runtime.block_on(app.clone().oneshot(request)).unwrap();
        assert_eq!(response.status(), 202);
    });

    println!("ingest benchmark: one structured event of {} bytes (median of {SAMPLES} samples)", body.len());
    println!("{:<44} {:>10} {:>8}", "case", "ns/event", "ratio");
    for (name, ns) in [
        ("baseline: serde_json::from_slice::<Value>", baseline),
        ("core::cloudevent::decode_structured", structured),
        ("core::cloudevent::decode (binary mode)", binary),
        ("POST /events handler (decode+store+frame)", handler),
    ] {
        println!("{name:<44} {ns:>10.0} {:>7.2}x", ns / baseline);
    }
}
