//! Prints how long `matches` takes per event for typical filters over 50,000 events, the
//! load of one keystroke in a filter box over a full history.
//!
//! `cargo run --release -p cesql --example throughput`

use std::borrow::Cow;
use std::hint::black_box;
use std::time::Instant;

use cesql::{Attribute, Event, Expression};

/// An event as an app keeps it: its own strings, lent to the engine.
struct Stored {
    id: String,
    source: String,
    kind: String,
    subject: Option<String>,
    seq: i32,
}

impl Event for Stored {
    fn attribute(&self, name: &str) -> Option<Attribute<'_>> {
        fn lend(s: &str) -> Option<Attribute<'_>> {
            Some(Attribute::String(Cow::Borrowed(s)))
        }
        match name {
            "specversion" => lend("1.0"),
            "id" => lend(&self.id),
            "source" => lend(&self.source),
            "type" => lend(&self.kind),
            "subject" => self.subject.as_deref().and_then(lend),
            "seq" => Some(Attribute::Integer(self.seq)),
            _ => None,
        }
    }
}

fn main() {
    let events: Vec<Stored> = (0..50_000)
        .map(|i| Stored {
            id: format!("evt-{i}"),
            source: format!("/services/{}", ["orders", "billing", "shipping"][i / 7 % 3]),
            kind: format!(
                "com.example.{}.{}",
                ["order", "invoice"][i % 2],
                ["created", "updated", "error"][i % 3]
            ),
            subject: (i % 4 == 0).then(|| format!("customer-{}", i % 97)),
            seq: i32::try_from(i).unwrap_or(i32::MAX),
        })
        .collect();
    for text in [
        "type = 'com.example.order.created'",
        "type LIKE 'com.example.%.error' AND source = '/services/billing'",
        "source IN ('/services/orders', '/services/shipping') AND seq > 1000",
        "EXISTS subject AND subject LIKE 'customer-1%'",
        "LOWER(type) LIKE '%invoice%' OR seq % 1000 = 0",
        "subject = 'customer-5'",
    ] {
        let expression = Expression::parse(text).expect("example filters parse");
        // Warm up, then take the best of five runs.
        let mut best = f64::MAX;
        let mut matched = 0;
        for _ in 0..6 {
            let start = Instant::now();
            matched = events.iter().filter(|e| expression.matches(black_box(*e))).count();
            best = best.min(start.elapsed().as_secs_f64());
        }
        let per_event = best * 1e9 / events.len() as f64;
        println!("{per_event:7.1} ns/event, {:6.2} ms per 50k, {matched:5} match: {text}", best * 1e3);
    }
}
