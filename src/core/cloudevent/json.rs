//! Strict JSON for events (DESIGN §2 "Strict framing"): the `Value` serde_json builds, except that
//! an object naming a member twice is refused with the member's path. One pass, no second parse.

use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::map::Entry;
use serde_json::value::RawValue;
use serde_json::{Map, Number, Value};

use super::data::Data;

/// One step into a JSON document: an object member or an array element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Member(String),
    Index(usize),
}

/// Where a member sits, outermost step first. Displays as `data.items[2].sku`; a name that is not
/// plain letters, digits, `_`, `-` or `$` is shown quoted (`data["a.b"]`), cut after 80 characters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JsonPath(pub Vec<Step>);

impl JsonPath {
    /// Splits off a leading array index: a batch member's position and the path inside it.
    pub fn split_index(mut self) -> (Option<usize>, JsonPath) {
        match self.0.first() {
            Some(&Step::Index(index)) => {
                self.0.remove(0);
                (Some(index), self)
            }
            _ => (None, self),
        }
    }

    /// The same path inside member `name`, e.g. `data` for a binary-mode body.
    pub fn under(mut self, name: &str) -> JsonPath {
        self.0.insert(0, Step::Member(name.to_owned()));
        self
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (at, step) in self.0.iter().enumerate() {
            match step {
                Step::Index(index) => write!(f, "[{index}]")?,
                Step::Member(name) if is_plain(name) => {
                    if at > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(&super::validate::cut(name))?;
                }
                Step::Member(name) => {
                    let quoted = serde_json::to_string(&*super::validate::cut(name))
                        .expect("a string always serializes");
                    write!(f, "[{quoted}]")?;
                }
            }
        }
        Ok(())
    }
}

fn is_plain(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'$'))
}

/// Why bytes are not strict JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonError {
    /// Not JSON at all: serde_json's message, which says where (line and column).
    #[error("{0}")]
    Malformed(String),
    /// An object names this member a second time. RFC 8259 §4 only says names SHOULD be unique,
    /// and parsers then disagree on which value counts, so an event that does it is ambiguous.
    #[error("member `{0}` appears twice")]
    DuplicateMember(JsonPath),
}

/// Parses `bytes` as serde_json's `from_slice::<Value>` does (same numbers, member order,
/// recursion limit, trailing-character check) but refuses a member name repeated in any object,
/// at any depth. Unlike serde_json, a member literally named `$serde_json::private::RawValue` is
/// kept as a member.
pub fn parse_strict(bytes: &[u8]) -> Result<Value, JsonError> {
    let mut trail = Vec::new();
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let parsed = Strict { trail: &mut trail }.deserialize(&mut deserializer).and_then(|value| {
        deserializer.end()?;
        Ok(value)
    });
    parsed.map_err(|error| strict_error(&error, trail))
}

/// A strict parse's failure: the repeated member's path when `trail` holds one (innermost step
/// first), else serde_json's own error.
fn strict_error(error: &serde_json::Error, mut trail: Vec<Step>) -> JsonError {
    if trail.is_empty() {
        JsonError::Malformed(error.to_string())
    } else {
        trail.reverse();
        JsonError::DuplicateMember(JsonPath(trail))
    }
}

/// Checks `bytes` as [`parse_strict`] does (same errors, same duplicate paths) without building the
/// value: for data that is kept as its text, so a body is not turned into a tree only to be dropped.
pub fn check_strict(bytes: &[u8]) -> Result<(), JsonError> {
    let mut trail = Vec::new();
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let checked =
        Check { trail: &mut trail }.deserialize(&mut deserializer).and_then(|()| deserializer.end());
    checked.map_err(|error| strict_error(&error, trail))
}

/// One event's JSON, strictly parsed: an object's members, with `data` kept as its own text.
#[derive(Debug, PartialEq)]
pub(super) enum EventJson {
    /// The members other than `data`, in order and each once, and `data` as received (compacted).
    Object { members: Vec<(String, Value)>, data: Option<Data> },
    /// Any other JSON value: not an event, named in the error.
    Other(Value),
}

impl EventJson {
    /// A value already parsed (tests, `CloudEvent::from_value`): `data` is its serde_json text.
    pub(super) fn from_value(value: Value) -> EventJson {
        match value {
            Value::Object(mut members) => {
                let data = members.remove("data").map(|data| Data::from_json_text(&data.to_string()));
                EventJson::Object { members: members.into_iter().collect(), data }
            }
            other => EventJson::Other(other),
        }
    }
}

/// Parses one event as [`parse_strict`] does (same errors, same duplicate paths), except that
/// `data` is not turned into a `Value`: its text is kept, so no number or escape changes.
pub(super) fn parse_event(bytes: &[u8]) -> Result<EventJson, JsonError> {
    parse_valid_event(bytes).map_or_else(|| parse_event_in_two_passes(bytes), Ok)
}

/// [`parse_event`] of any input: the members as text first, then each member strictly, so the
/// first problem in document order is the one named.
fn parse_event_in_two_passes(bytes: &[u8]) -> Result<EventJson, JsonError> {
    let Ok(RawMembers(raw)) = serde_json::from_slice::<RawMembers>(bytes) else {
        // Not an object, or not JSON: the strict parse names the problem or the value.
        return parse_strict(bytes).map(EventJson::from_value);
    };
    let repeat = first_repeat(raw.iter().map(|(name, _)| name.as_str()));
    let mut members = Vec::with_capacity(raw.len());
    let mut data = None;
    for (at, (name, value)) in raw.into_iter().enumerate() {
        // What is inside a member is checked before the member's own name, as one pass would.
        let under = |error| match error {
            JsonError::DuplicateMember(path) => JsonError::DuplicateMember(path.under(&name)),
            malformed => malformed,
        };
        let text = value.get().as_bytes();
        let parsed =
            if name == "data" { check_strict(text).map(|()| None) } else { parse_strict(text).map(Some) };
        let parsed = parsed.map_err(under)?;
        if repeat == Some(at) {
            return Err(JsonError::DuplicateMember(JsonPath(vec![Step::Member(name)])));
        }
        match parsed {
            None => data = Some(Data::from_raw(value)),
            Some(parsed) => members.push((name, parsed)),
        }
    }
    Ok(EventJson::Object { members, data })
}

/// [`parse_event`] of a well-formed object without repeated members, in one pass: each attribute
/// is parsed as it is read, `data` kept as its text. `None` on any problem, which
/// [`parse_event_in_two_passes`] then names.
fn parse_valid_event(bytes: &[u8]) -> Option<EventJson> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let OneObject { members, data } = OneObject::deserialize(&mut deserializer).ok()?;
    deserializer.end().ok()?;
    let names = members.iter().map(|(name, _)| name.as_str()).chain(data.map(|_| "data"));
    if first_repeat(names).is_some() {
        return None;
    }
    let data = match data {
        Some(raw) => {
            check_strict(raw.get().as_bytes()).ok()?;
            Some(Data::from_raw(raw))
        }
        None => None,
    };
    Some(EventJson::Object { members, data })
}

/// A JSON object's members other than `data`, strictly parsed, and `data` as borrowed text; a
/// second `data` fails.
struct OneObject<'a> {
    members: Vec<(String, Value)>,
    data: Option<&'a RawValue>,
}

impl<'de> Deserialize<'de> for OneObject<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Members;
        impl<'de> Visitor<'de> for Members {
            type Value = OneObject<'de>;

            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OneObject<'de>, A::Error> {
                let (mut members, mut data) = (Vec::with_capacity(8), None);
                while let Some(name) = map.next_key::<String>()? {
                    if name == "data" {
                        if data.replace(map.next_value::<&'de RawValue>()?).is_some() {
                            return Err(de::Error::custom("member `data` appears twice"));
                        }
                    } else {
                        let value = map.next_value_seed(Strict { trail: &mut Vec::new() })?;
                        members.push((name, value));
                    }
                }
                Ok(OneObject { members, data })
            }
        }
        deserializer.deserialize_map(Members)
    }
}

/// Where a one-pass parse of `names` meets a name for the second time, if it does. Sorting
/// the names costs an event's handful of members less than hashing them into a map, and stays
/// `n log n` for an object of a hundred thousand.
fn first_repeat<'a>(names: impl Iterator<Item = &'a str>) -> Option<usize> {
    let mut names: Vec<(&str, usize)> = names.enumerate().map(|(at, name)| (name, at)).collect();
    names.sort_unstable();
    names.windows(2).filter(|pair| pair[0].0 == pair[1].0).map(|pair| pair[1].1).min()
}

/// A JSON object's members as borrowed text, in order, repeats included.
struct RawMembers<'a>(Vec<(String, &'a RawValue)>);

impl<'de> Deserialize<'de> for RawMembers<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Members;
        impl<'de> Visitor<'de> for Members {
            type Value = RawMembers<'de>;

            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawMembers<'de>, A::Error> {
                let mut members = Vec::new();
                while let Some(name) = map.next_key::<String>()? {
                    members.push((name, map.next_value::<&'de RawValue>()?));
                }
                Ok(RawMembers(members))
            }
        }
        deserializer.deserialize_map(Members)
    }
}

/// A stored or served event's members, for `CloudEvent`'s `Deserialize`: `data` as its text, a
/// repeated member an error. Strictness inside `data` was checked when the event was received.
pub(super) struct StoredMembers {
    pub(super) members: Map<String, Value>,
    pub(super) data: Option<Data>,
}

impl<'de> Deserialize<'de> for StoredMembers {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Members;
        impl<'de> Visitor<'de> for Members {
            type Value = StoredMembers;

            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a CloudEvent in the JSON event format")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StoredMembers, A::Error> {
                let (mut members, mut data) = (Map::new(), None);
                let repeated = |name: &str| de::Error::custom(format_args!("member `{name}` appears twice"));
                while let Some(name) = map.next_key::<String>()? {
                    if name == "data" {
                        let raw = map.next_value::<Box<RawValue>>()?;
                        if data.replace(Data::from_json_text(raw.get())).is_some() {
                            return Err(repeated("data"));
                        }
                        continue;
                    }
                    match members.entry(name) {
                        Entry::Vacant(entry) => {
                            entry.insert(map.next_value::<Value>()?);
                        }
                        Entry::Occupied(entry) => return Err(repeated(entry.key())),
                    }
                }
                Ok(StoredMembers { members, data })
            }
        }
        deserializer.deserialize_map(Members)
    }
}

/// Builds a `Value` like serde_json's own visitor. On a duplicate it fails with `trail` holding the
/// member's name; every enclosing level then adds its own step while the error unwinds, so the
/// path costs nothing unless there is a duplicate. An empty `trail` on failure means malformed JSON.
struct Strict<'t> {
    trail: &'t mut Vec<Step>,
}

impl<'de> DeserializeSeed<'de> for Strict<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_> {
    type Value = Value;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("any valid JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        Ok(Number::from_f64(value).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut elements = Vec::new();
        loop {
            match seq.next_element_seed(Strict { trail: &mut *self.trail }) {
                Ok(Some(element)) => elements.push(element),
                Ok(None) => return Ok(Value::Array(elements)),
                Err(error) => {
                    if !self.trail.is_empty() {
                        self.trail.push(Step::Index(elements.len()));
                    }
                    return Err(error);
                }
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut members = Map::new();
        while let Some(name) = map.next_key::<String>()? {
            let value = match map.next_value_seed(Strict { trail: &mut *self.trail }) {
                Ok(value) => value,
                Err(error) => {
                    if !self.trail.is_empty() {
                        self.trail.push(Step::Member(name));
                    }
                    return Err(error);
                }
            };
            // One lookup, as `Map::insert` would do: a vacant entry takes the value, an occupied one
            // is the duplicate.
            match members.entry(name) {
                Entry::Vacant(entry) => {
                    entry.insert(value);
                }
                Entry::Occupied(entry) => {
                    self.trail.push(Step::Member(entry.key().clone()));
                    return Err(de::Error::custom("duplicate member name"));
                }
            }
        }
        Ok(Value::Object(members))
    }
}

/// [`Strict`] without the value: member names are borrowed from the text where it has no escape,
/// and each object's names are compared with those before it (objects in events are small; a
/// large one switches to a hash set).
struct Check<'t> {
    trail: &'t mut Vec<Step>,
}

impl<'de> DeserializeSeed<'de> for Check<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// An object member's name: borrowed from the input unless it had to be unescaped.
struct Name<'de>(std::borrow::Cow<'de, str>);

impl<'de> Deserialize<'de> for Name<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NameVisitor;
        impl<'de> Visitor<'de> for NameVisitor {
            type Value = Name<'de>;

            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a member name")
            }

            fn visit_borrowed_str<E>(self, value: &'de str) -> Result<Name<'de>, E> {
                Ok(Name(value.into()))
            }

            fn visit_str<E>(self, value: &str) -> Result<Name<'de>, E> {
                Ok(Name(value.to_owned().into()))
            }

            fn visit_string<E>(self, value: String) -> Result<Name<'de>, E> {
                Ok(Name(value.into()))
            }
        }
        deserializer.deserialize_str(NameVisitor)
    }
}

/// Names compared one by one up to this many members; a set beyond.
const LINEAR_NAMES: usize = 32;

impl<'de> Visitor<'de> for Check<'_> {
    type Value = ();

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("any valid JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_some<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        loop {
            match seq.next_element_seed(Check { trail: &mut *self.trail }) {
                Ok(Some(())) => index += 1,
                Ok(None) => return Ok(()),
                Err(error) => {
                    if !self.trail.is_empty() {
                        self.trail.push(Step::Index(index));
                    }
                    return Err(error);
                }
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut names: Vec<Name<'de>> = Vec::new();
        let mut set: std::collections::HashSet<std::borrow::Cow<'de, str>> = std::collections::HashSet::new();
        while let Some(Name(name)) = map.next_key::<Name<'de>>()? {
            if let Err(error) = map.next_value_seed(Check { trail: &mut *self.trail }) {
                if !self.trail.is_empty() {
                    self.trail.push(Step::Member(name.into_owned()));
                }
                return Err(error);
            }
            let repeated = if names.len() < LINEAR_NAMES {
                names.iter().any(|seen| seen.0 == name)
            } else {
                if set.is_empty() {
                    set.extend(names.iter().map(|seen| seen.0.clone()));
                }
                !set.insert(name.clone())
            };
            if repeated {
                self.trail.push(Step::Member(name.into_owned()));
                return Err(de::Error::custom("duplicate member name"));
            }
            if names.len() < LINEAR_NAMES {
                names.push(Name(name));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    fn duplicate(text: &str) -> String {
        match parse_strict(text.as_bytes()) {
            Err(JsonError::DuplicateMember(path)) => path.to_string(),
            other => panic!("expected a duplicate member in {text}, got {other:?}"),
        }
    }

    #[test]
    fn parses_like_serde_json() {
        let text = r#"{"b": 1, "a": [true, null, -2, 3.5, 18446744073709551615, "x\u00e9"], "c": {"d": {}}}"#;
        let strict = parse_strict(text.as_bytes()).unwrap();
        assert_eq!(strict, serde_json::from_str::<Value>(text).unwrap());
        let names: Vec<_> = strict.as_object().unwrap().keys().collect();
        assert_eq!(names, ["b", "a", "c"], "member order is kept");
    }

    /// `parse_strict` gives what serde_json's `from_slice::<Value>` gives, value or error.
    fn same_as_serde_json(text: &[u8]) {
        let expected = serde_json::from_slice::<Value>(text).map_err(|e| JsonError::Malformed(e.to_string()));
        assert_eq!(parse_strict(text), expected, "{}", String::from_utf8_lossy(text));
    }

    #[test]
    fn numbers_are_exactly_serde_jsons() {
        for text in
            ["1e400", "-0", "0.1", "18446744073709551616", "-9223372036854775809", "1.7976931348623157e308"]
        {
            same_as_serde_json(text.as_bytes());
        }
    }

    #[test]
    fn refuses_a_top_level_member_named_twice() {
        assert_eq!(duplicate(r#"{"id": "a", "source": "s", "id": "b"}"#), "id");
        assert_eq!(duplicate(r#"{"id": "a", "id": "a"}"#), "id", "even with the same value");
    }

    #[test]
    fn names_a_nested_duplicate_by_its_path() {
        let text = r#"{"id": "a", "data": {"items": [{"sku": 1}, {}, {"sku": 2, "n": 1, "sku": 3}]}}"#;
        assert_eq!(duplicate(text), "data.items[2].sku");
        assert_eq!(duplicate(r#"[[1], [{"a": {"b": 1, "b": 2}}]]"#), "[1][0].a.b");
    }

    #[test]
    fn quotes_names_that_would_make_the_path_ambiguous() {
        assert_eq!(duplicate(r#"{"data": {"a.b": 1, "a.b": 2}}"#), r#"data["a.b"]"#);
        assert_eq!(duplicate(r#"{"": {"": 1, "": 2}}"#), r#"[""][""]"#);
        let long = "x".repeat(100);
        assert_eq!(duplicate(&format!(r#"{{"{long}": 1, "{long}": 2}}"#)), format!("{}…", "x".repeat(80)));
    }

    #[test]
    fn names_that_differ_only_by_escapes_are_the_same_name() {
        assert_eq!(duplicate(r#"{"id": 1, "\u0069d": 2}"#), "id");
    }

    #[test]
    fn malformed_json_keeps_serde_jsons_message() {
        for text in [&b"{\"id\": }"[..], b"[1,", b"{} x", b"", b"\"\xff\""] {
            assert!(serde_json::from_slice::<Value>(text).is_err());
            same_as_serde_json(text);
        }
    }

    #[test]
    fn keeps_serde_jsons_recursion_limit() {
        for depth in [127, 128, 129, 1000] {
            same_as_serde_json(format!("{}{}", "[".repeat(depth), "]".repeat(depth)).as_bytes());
            same_as_serde_json(format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth)).as_bytes());
        }
        assert!(parse_strict(format!("{}{}", "[".repeat(100), "]".repeat(100)).as_bytes()).is_ok());
    }

    #[test]
    fn a_batch_members_index_splits_off_the_path() {
        let Err(JsonError::DuplicateMember(path)) = parse_strict(br#"[{}, {"data": {"x": 1, "x": 2}}]"#)
        else {
            panic!("duplicate expected")
        };
        let (index, inside) = path.split_index();
        assert_eq!((index, inside.to_string()), (Some(1), "data.x".to_owned()));
        let (index, inside) = JsonPath(vec![Step::Member("id".into())]).split_index();
        assert_eq!((index, inside.to_string()), (None, "id".to_owned()));
        assert_eq!(
            JsonPath(vec![Step::Index(0), Step::Member("a".into())]).under("data").to_string(),
            "data[0].a"
        );
    }

    /// Any JSON value: numbers of every kind, strings with escapes, nested arrays and objects.
    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            ".{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(5, 64, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec(("[a-z\"\\\\é]{0,3}", inner), 0..6)
                    .prop_map(|members| Value::Object(members.into_iter().collect())),
            ]
        })
    }

    #[test]
    fn one_pass_leaves_every_repeated_member_to_the_two_passes() {
        for text in [
            r#"{"id":"a","id":"b"}"#,
            r#"{"data":1,"id":"a","data":2}"#,
            r#"{"id":"a","data":{"k":1,"k":2}}"#,
            r#"{"x":{"k":1,"k":2},"id":"a"}"#,
        ] {
            assert_eq!(parse_valid_event(text.as_bytes()), None, "{text}");
            assert!(matches!(parse_event(text.as_bytes()), Err(JsonError::DuplicateMember(_))), "{text}");
        }
    }

    proptest! {
        /// Without duplicates, strict parsing is serde_json's parsing: value, order and errors.
        #[test]
        fn equals_serde_json_when_no_name_repeats(value in any_json(), pretty in any::<bool>()) {
            let text = if pretty { serde_json::to_vec_pretty(&value) } else { serde_json::to_vec(&value) }.unwrap();
            let expected = serde_json::from_slice::<Value>(&text).unwrap();
            let strict = parse_strict(&text).unwrap();
            prop_assert_eq!(check_strict(&text), Ok(()));
            prop_assert_eq!(serde_json::to_string(&strict).unwrap(), serde_json::to_string(&expected).unwrap());
            prop_assert_eq!(strict, expected);
        }

        /// An event read in one pass is the event read in two; any document the two passes refuse,
        /// the one pass leaves to them.
        #[test]
        fn one_pass_reads_events_as_two_passes_do(members in any_json(), data in any_json(), cut in any::<prop::sample::Index>()) {
            let mut event = match members { Value::Object(members) => members, other => Map::from_iter([("x".to_owned(), other)]) };
            event.insert("data".into(), data);
            let text = serde_json::to_vec(&Value::Object(event)).unwrap();
            for text in [&text[..], &text[..cut.index(text.len() + 1)]] {
                match parse_event_in_two_passes(text) {
                    Ok(expected) => prop_assert_eq!(parse_valid_event(text), Some(expected)),
                    Err(_) => prop_assert_eq!(parse_valid_event(text), None),
                }
            }
        }

        /// Cutting a document anywhere gives serde_json's error, never a duplicate or a panic.
        #[test]
        fn truncated_documents_fail_as_serde_json_does(value in any_json(), cut in any::<prop::sample::Index>()) {
            let text = serde_json::to_vec(&value).unwrap();
            let text = &text[..cut.index(text.len() + 1)];
            match serde_json::from_slice::<Value>(text) {
                Ok(expected) => {
                    prop_assert_eq!(check_strict(text), Ok(()));
                    prop_assert_eq!(parse_strict(text), Ok(expected));
                }
                Err(e) => {
                    prop_assert_eq!(check_strict(text), Err(JsonError::Malformed(e.to_string())));
                    prop_assert_eq!(parse_strict(text), Err(JsonError::Malformed(e.to_string())));
                }
            }
        }

        /// Repeating any member of any object is found, and the path leads to that object.
        #[test]
        fn finds_a_repeated_member_anywhere(value in any_json(), pick in any::<prop::sample::Index>()) {
            let mut objects = Vec::new();
            collect_objects(&value, &mut Vec::new(), &mut objects);
            prop_assume!(!objects.is_empty());
            let (path, name) = objects.swap_remove(pick.index(objects.len()));
            let text = with_member_repeated(&value, &path, &name);
            let mut expected = path;
            expected.push(Step::Member(name));
            prop_assert_eq!(check_strict(text.as_bytes()), Err(JsonError::DuplicateMember(JsonPath(expected.clone()))));
            prop_assert_eq!(parse_strict(text.as_bytes()), Err(JsonError::DuplicateMember(JsonPath(expected))));
        }
    }

    #[test]
    fn the_check_finds_repeats_among_many_members_and_escaped_names() {
        let many: Vec<String> = (0..40).map(|n| format!(r#""m{n}": {n}"#)).collect();
        let text = format!(r#"{{"data": {{{}, "m35": 0}}}}"#, many.join(", "));
        let expected = JsonError::DuplicateMember(JsonPath(vec![
            Step::Member("data".into()),
            Step::Member("m35".into()),
        ]));
        assert_eq!(check_strict(text.as_bytes()), Err(expected.clone()));
        assert_eq!(parse_strict(text.as_bytes()).map(|_| ()), Err(expected));
        let escaped = br#"{"a": [{"x": 1, "x": 2}]}"#;
        assert_eq!(check_strict(escaped), parse_strict(escaped).map(|_| ()));
        assert!(check_strict(escaped).is_err());
        assert_eq!(check_strict(&format!(r#"{{{}}}"#, many.join(", ")).into_bytes()), Ok(()));
    }

    /// Every (path to a non-empty object, first member name).
    fn collect_objects(value: &Value, at: &mut Vec<Step>, out: &mut Vec<(Vec<Step>, String)>) {
        match value {
            Value::Object(members) => {
                if let Some(first) = members.keys().next() {
                    out.push((at.clone(), first.clone()));
                }
                for (name, member) in members {
                    at.push(Step::Member(name.clone()));
                    collect_objects(member, at, out);
                    at.pop();
                }
            }
            Value::Array(elements) => {
                for (index, element) in elements.iter().enumerate() {
                    at.push(Step::Index(index));
                    collect_objects(element, at, out);
                    at.pop();
                }
            }
            _ => {}
        }
    }

    /// `value` as JSON text with `"name": null` appended to the object at `path`.
    fn with_member_repeated(value: &Value, path: &[Step], name: &str) -> String {
        match (value, path.split_first()) {
            (Value::Object(members), None) => {
                let mut text = serde_json::to_string(members).unwrap();
                text.pop();
                format!("{text},{}:null}}", json!(name))
            }
            (Value::Object(members), Some((Step::Member(next), rest))) => {
                let parts: Vec<_> = members
                    .iter()
                    .map(|(n, v)| {
                        let v = if n == next { with_member_repeated(v, rest, name) } else { v.to_string() };
                        format!("{}:{v}", json!(n))
                    })
                    .collect();
                format!("{{{}}}", parts.join(","))
            }
            (Value::Array(elements), Some((Step::Index(next), rest))) => {
                let parts: Vec<_> = elements
                    .iter()
                    .enumerate()
                    .map(
                        |(i, v)| if i == *next { with_member_repeated(v, rest, name) } else { v.to_string() },
                    )
                    .collect();
                format!("[{}]", parts.join(","))
            }
            _ => unreachable!("the path was collected from this value"),
        }
    }
}
