//! What the engine reads from an event.

use crate::value::Attribute;

/// A CloudEvent as the engine sees it: its context attributes and extensions by name.
///
/// `name` is always lower-case (CloudEvents attribute names are; expressions are read
/// case-insensitively). Return `None` for an attribute the event does not have; `data` is not
/// an attribute. Lend strings with `Cow::Borrowed` where the event holds them, so evaluating
/// many events does not allocate per attribute read.
pub trait Event {
    /// The value of the attribute or extension `name`, if the event has it.
    fn attribute(&self, name: &str) -> Option<Attribute<'_>>;
}

impl<E: Event + ?Sized> Event for &E {
    fn attribute(&self, name: &str) -> Option<Attribute<'_>> {
        (**self).attribute(name)
    }
}

/// A map from lower-case attribute names to values: handy for tests and small callers.
impl<S: std::hash::BuildHasher> Event for std::collections::HashMap<String, crate::Value, S> {
    fn attribute(&self, name: &str) -> Option<Attribute<'_>> {
        self.get(name).map(Attribute::from)
    }
}

impl Event for std::collections::BTreeMap<String, crate::Value> {
    fn attribute(&self, name: &str) -> Option<Attribute<'_>> {
        self.get(name).map(Attribute::from)
    }
}

/// A structured-mode JSON CloudEvent (`application/cloudevents+json`), as parsed by serde_json.
///
/// Attributes follow the CloudEvents JSON format: a JSON string is a String, an integer in the
/// 32-bit range an Integer, a boolean a Boolean; `null` is an absent attribute. Any other JSON
/// value (a float, an integer out of range, an object, an array) is a String of its JSON text,
/// as the spec asks for values outside its type system. `data` and `data_base64` are not
/// attributes.
#[cfg(feature = "json")]
impl Event for serde_json::Map<String, serde_json::Value> {
    fn attribute(&self, name: &str) -> Option<Attribute<'_>> {
        use serde_json::Value as Json;
        use std::borrow::Cow;
        if name == "data" || name == "data_base64" {
            return None;
        }
        Some(match self.get(name)? {
            Json::Null => return None,
            Json::Bool(b) => Attribute::Boolean(*b),
            Json::String(s) => Attribute::String(Cow::Borrowed(s)),
            Json::Number(n) => match n.as_i64().and_then(|i| i32::try_from(i).ok()) {
                Some(i) => Attribute::Integer(i),
                None => Attribute::String(Cow::Owned(n.to_string())),
            },
            other => Attribute::String(Cow::Owned(other.to_string())),
        })
    }
}

#[cfg(all(test, feature = "json"))]
mod tests {
    use super::*;
    use std::borrow::Cow;

    #[test]
    fn json_events_map_the_cloudevents_types() {
        let event = serde_json::json!({
            "id": "1", "seq": 7, "big": 4_000_000_000u64, "ok": true, "gone": null,
            "ratio": 0.5, "data": {"x": 1}, "data_base64": "AA=="
        });
        let map = event.as_object().unwrap();
        assert_eq!(map.attribute("id"), Some(Attribute::String(Cow::Borrowed("1"))));
        assert!(matches!(map.attribute("id"), Some(Attribute::String(Cow::Borrowed(_)))));
        assert_eq!(map.attribute("seq"), Some(Attribute::Integer(7)));
        assert_eq!(map.attribute("big"), Some(Attribute::String(Cow::Borrowed("4000000000"))));
        assert_eq!(map.attribute("ok"), Some(Attribute::Boolean(true)));
        assert_eq!(map.attribute("ratio"), Some(Attribute::String(Cow::Borrowed("0.5"))));
        assert_eq!(map.attribute("gone"), None);
        assert_eq!(map.attribute("data"), None);
        assert_eq!(map.attribute("data_base64"), None);
        assert_eq!(map.attribute("nope"), None);
    }
}
