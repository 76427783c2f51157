//! The CloudEvents the load generator sends: valid 1.0 events (absolute `source`, an id unique to
//! the run) whose data carries when it was sent, so a receiver can time the delivery.

use std::time::{SystemTime, UNIX_EPOCH};

pub const SOURCE: &str = "https://bench.example/cep-load";
pub const TYPE: &str = "com.example.bench.load";

/// Wall-clock microseconds: sender and subscribers are one process, so their clocks agree.
pub fn now_us() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_micros() as u64)
}

/// An id prefix unique to this run, so repeated runs against one server never collide.
pub fn run_prefix() -> String {
    format!("{:x}-{:x}", std::process::id(), now_us())
}

/// The event's data: `{"bench_id":..,"seq":..,"sent_us":..}`.
pub fn data(id: &str, seq: u64, sent_us: u64) -> String {
    format!(r#"{{"bench_id":"{id}","seq":{seq},"sent_us":{sent_us}}}"#)
}

/// The whole event in structured mode (`application/cloudevents+json`).
pub fn structured(id: &str, data: &str) -> String {
    format!(
        r#"{{"specversion":"1.0","id":"{id}","source":"{SOURCE}","type":"{TYPE}","datacontenttype":"application/json","data":{data}}}"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structured_event_is_valid_json_with_the_timing_fields() {
        let body = structured("r-1", &data("r-1", 3, 99));
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["specversion"], "1.0");
        assert_eq!(v["source"], SOURCE);
        assert_eq!(v["data"]["seq"], 3);
        assert_eq!(crate::sse::find_u64(body.as_bytes(), "sent_us"), Some(99));
    }
}
