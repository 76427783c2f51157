//! What a parsed event costs in memory, for the byte budgets of the history (DESIGN §3). An
//! estimate from the shapes `serde_json` builds, not an allocator measurement: it errs high.

use super::{CloudEvent, Data, Map, Value};

/// Size of a `Value` in its parent (enum slot).
const VALUE: usize = std::mem::size_of::<Value>();
/// Per attribute: the name `String` and the value.
const ATTRIBUTE: usize = std::mem::size_of::<(String, Value)>();
/// Per object member: the key `String`, the value, the map's hash and index slots.
const MEMBER: usize = std::mem::size_of::<String>() + VALUE + 3 * std::mem::size_of::<usize>();

impl CloudEvent {
    /// Heap bytes held by the event's attributes and data.
    pub fn heap_bytes(&self) -> usize {
        let data = match self.data() {
            Some(Data::Json(raw)) => raw.get().len(),
            Some(Data::Base64(encoded)) => encoded.len(),
            None => 0,
        };
        self.attributes().map(|(name, value)| ATTRIBUTE + name.len() + value_bytes(value)).sum::<usize>()
            + data
    }
}

fn map_bytes(map: &Map<String, Value>) -> usize {
    map.iter().map(|(key, value)| MEMBER + key.len() + value_bytes(value)).sum()
}

/// Heap bytes below `value` (not counting its own slot).
fn value_bytes(value: &Value) -> usize {
    match value {
        Value::Null | Value::Bool(_) | Value::Number(_) => 0,
        Value::String(text) => text.len(),
        Value::Array(items) => items.iter().map(|item| VALUE + value_bytes(item)).sum(),
        Value::Object(map) => map_bytes(map),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::cloudevent::decode_structured;

    fn event(data: &str) -> CloudEvent {
        let body = format!(r#"{{"specversion":"1.0","id":"1","source":"/s","type":"t","data":{data}}}"#);
        decode_structured(body.as_bytes()).unwrap().event
    }

    #[test]
    fn grows_with_the_data_text() {
        let small = event("1").heap_bytes();
        let text = event(&format!("\"{}\"", "x".repeat(10_000))).heap_bytes();
        assert!(text >= small + 10_000, "{small} {text}");
        // Data is kept as its text: 1,000 numbers cost their ~4 KB, not a value slot each.
        let numbers = format!("[{}]", vec!["123"; 1000].join(","));
        assert!(event(&numbers).heap_bytes() >= small + 4000);
    }
}
