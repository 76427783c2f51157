//! `?filter=` cost: a typical CESQL expression (three comparisons and a LIKE) against the wildcard
//! `Criteria` patterns, over the same 50,000 varied events, measured in the same run. Prints ns per
//! event for both and their ratio (ratios, not absolute times, compare across machines), and how
//! many events each lets through. Run: `make bench`.

use cloudevent_player::core::cloudevent::CloudEvent;
use cloudevent_player::core::expression::compile_optional;
use cloudevent_player::core::filter::Criteria;
use serde_json::json;
use std::hint::black_box;
use std::time::Instant;

const EVENTS: usize = 50_000;
/// Passes over the events per sample; the median sample is reported.
const PASSES: usize = 5;
const SAMPLES: usize = 9;

const EXPRESSION: &str =
    "type = 'com.example.order.created' AND source LIKE '/orders/%' AND subject <> 'x' AND seq > 10";

/// Events that vary in every attribute the filters read: 4 types, 3 sources, a sequence number.
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

/// Median ns per event of matching every event with `criteria`, and how many matched.
fn measure(events: &[CloudEvent], criteria: &Criteria) -> (f64, usize) {
    let matched = events.iter().filter(|e| criteria.matches(e)).count();
    let mut samples: Vec<f64> = (0..SAMPLES)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..PASSES {
                black_box(events.iter().filter(|e| criteria.matches(black_box(e))).count());
            }
            start.elapsed().as_nanos() as f64 / (PASSES * events.len()) as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    (samples[SAMPLES / 2], matched)
}

fn main() {
    let events = events();
    let expression = compile_optional(EXPRESSION).expect("the expression parses");
    let wildcard = Criteria::new("com.example.order.*", "/orders/*", "order-*");
    let cesql = Criteria::new("", "", "").with_expression(expression);
    let (baseline, baseline_matched) = measure(&events, &wildcard);
    let (expression_ns, expression_matched) = measure(&events, &cesql);
    println!("filter benchmark: {EVENTS} events, median of {SAMPLES} samples of {PASSES} passes");
    println!("{:<52} {:>9} {:>8} {:>9}", "case", "ns/event", "ratio", "matched");
    for (name, ns, matched) in [
        ("baseline: Criteria type/source/subject wildcards", baseline, baseline_matched),
        ("CESQL: 3 comparisons + LIKE", expression_ns, expression_matched),
    ] {
        println!("{name:<52} {ns:>9.1} {:>7.2}x {matched:>9}", ns / baseline);
    }
    println!("expression: {EXPRESSION}");
}
