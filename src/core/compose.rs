//! The send form's logic: a draft as a person types it, turned into a CloudEvent; saved templates;
//! and export/import of events as a CloudEvents batch (JSON array) or NDJSON.

use crate::core::cloudevent::{CloudEvent, Mode, compact, media_type_is_json, pretty};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// What the send form holds, field by field, as typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Draft {
    #[serde(rename = "type")]
    pub ty: String,
    pub source: String,
    pub subject: String,
    pub id: String,
    pub datacontenttype: String,
    pub data: String,
    /// One `key=value` per line.
    pub extensions: String,
    pub mode: Mode,
}

impl Default for Draft {
    fn default() -> Self {
        Self {
            ty: "com.example.test".into(),
            source: "/cloudevent-player".into(),
            subject: String::new(),
            id: String::new(),
            datacontenttype: "application/json".into(),
            data: "{}".into(),
            extensions: String::new(),
            mode: Mode::Structured,
        }
    }
}

/// A problem with one field of a draft, shown next to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

impl Draft {
    /// The data as JSON when the content type is JSON; the parse error otherwise. Shown as the
    /// person types, before anything is sent.
    pub fn data_error(&self) -> Option<String> {
        if !self.data_is_json() || self.data.trim().is_empty() {
            return None;
        }
        serde_json::from_str::<Value>(&self.data).err().map(|e| format!("not valid JSON: {e}"))
    }

    fn data_is_json(&self) -> bool {
        self.datacontenttype.trim().is_empty() || media_type_is_json(self.datacontenttype.trim())
    }

    /// Extension lines that are not `key=value`.
    fn extension_pairs(&self) -> Result<Vec<(String, String)>, String> {
        let mut pairs = Vec::new();
        for (n, line) in self.extensions.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            match line.split_once('=') {
                Some((key, value)) if !key.trim().is_empty() => {
                    pairs.push((key.trim().to_owned(), value.trim().to_owned()))
                }
                _ => return Err(format!("line {}: `{line}` is not key=value", n + 1)),
            }
        }
        Ok(pairs)
    }

    /// The event as JSON event format text, JSON data as typed (compacted, so every number is
    /// sent as written), or every field problem found. Attribute rules beyond the form's own (URI
    /// syntax, extension names, …) are left to validation, whose messages the UI shows as the
    /// server words them.
    pub fn to_event(&self) -> Result<String, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut event = Map::new();
        event.insert("specversion".into(), "1.0".into());
        for (field, value) in [("id", &self.id), ("source", &self.source), ("type", &self.ty)] {
            if value.trim().is_empty() {
                errors.push(FieldError { field, message: format!("{field} is required") });
            }
            event.insert(field.into(), value.trim().into());
        }
        if !self.subject.trim().is_empty() {
            event.insert("subject".into(), self.subject.trim().into());
        }
        match self.extension_pairs() {
            Ok(pairs) => {
                for (key, value) in pairs {
                    event.insert(key, value.into());
                }
            }
            Err(message) => errors.push(FieldError { field: "extensions", message }),
        }
        let mut data = None;
        if !self.data.is_empty() {
            let content_type = self.datacontenttype.trim();
            if !content_type.is_empty() {
                event.insert("datacontenttype".into(), content_type.into());
            }
            if self.data_is_json() {
                match serde_json::from_str::<Value>(&self.data) {
                    Ok(_) => data = Some(compact(self.data.trim()).into_owned()),
                    Err(e) => {
                        errors.push(FieldError { field: "data", message: format!("not valid JSON: {e}") })
                    }
                }
            } else {
                event.insert("data".into(), self.data.clone().into());
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut text = Value::Object(event).to_string();
        if let Some(data) = data {
            // The object is never empty (it has specversion): the data member goes before its `}`.
            text.pop();
            text.push_str(",\"data\":");
            text.push_str(&data);
            text.push('}');
        }
        Ok(text)
    }

    /// A draft that sends `event` again (resend from the detail pane); binary data is not
    /// editable as text, so it is left out.
    pub fn from_event(event: &CloudEvent, mode: Mode) -> Self {
        let text = |name: &str| match event.attribute(name) {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => String::new(),
        };
        const FORM: [&str; 9] = [
            "specversion",
            "id",
            "source",
            "type",
            "subject",
            "datacontenttype",
            "data",
            "data_base64",
            "time",
        ];
        let extensions = event
            .extensions()
            .filter(|(name, _)| !FORM.contains(name))
            .map(|(name, value)| match value {
                Value::String(s) => format!("{name}={s}"),
                other => format!("{name}={other}"),
            })
            .collect::<Vec<_>>()
            .join("\n");
        let data = match event.data().map(|data| (data.json(), data.text())) {
            None | Some((None, _)) => String::new(),
            Some((_, Some(text)))
                if !media_type_is_json(event.datacontenttype().unwrap_or("application/json")) =>
            {
                text
            }
            Some((Some(json), _)) => pretty(json),
        };
        Self {
            ty: event.ty().to_owned(),
            source: event.source().to_owned(),
            subject: event.subject().unwrap_or("").to_owned(),
            id: event.id().to_owned(),
            datacontenttype: text("datacontenttype"),
            data,
            extensions,
            mode,
        }
    }
}

/// A random id in the UUID v4 text form, from 16 random bytes (the browser supplies them).
pub fn new_id(mut bytes: [u8; 16]) -> String {
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

/// A named draft kept in the browser (localStorage).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    pub name: String,
    pub draft: Draft,
}

/// The templates a first-time user starts with.
pub fn default_templates() -> Vec<Template> {
    let template =
        |name: &str, ty: &str, source: &str, subject: &str, content_type: &str, data: &str| Template {
            name: name.into(),
            draft: Draft {
                ty: ty.into(),
                source: source.into(),
                subject: subject.into(),
                datacontenttype: content_type.into(),
                data: data.into(),
                ..Draft::default()
            },
        };
    vec![
        template(
            "Order created",
            "com.example.order.created",
            "https://example.com/orders",
            "orders/42",
            "application/json",
            "{\n  \"order\": 42,\n  \"total\": 129.95,\n  \"currency\": \"EUR\"\n}",
        ),
        template(
            "User signed up",
            "com.example.user.created",
            "https://example.com/accounts",
            "users/1001",
            "application/json",
            "{\n  \"user\": 1001,\n  \"plan\": \"trial\"\n}",
        ),
        template(
            "Plain text",
            "com.example.note",
            "/notes",
            "",
            "text/plain",
            "Hello from CloudEvent Player",
        ),
    ]
}

/// Events as a CloudEvents JSON batch (`application/cloudevents-batch+json`), oldest first.
pub fn to_batch_json<'a>(events: impl IntoIterator<Item = &'a CloudEvent>) -> String {
    let events: Vec<&CloudEvent> = events.into_iter().collect();
    serde_json::to_string_pretty(&events).expect("events always serialize")
}

/// Events as NDJSON: one JSON event per line.
pub fn to_ndjson<'a>(events: impl IntoIterator<Item = &'a CloudEvent>) -> String {
    events.into_iter().map(|e| e.to_json() + "\n").collect()
}

/// Reads an export back: a JSON array of events, or NDJSON (blank lines ignored). Each event is
/// returned as its JSON text, unchanged, for the server to validate; the error names the line that
/// is not JSON.
pub fn parse_import(text: &str) -> Result<Vec<Box<RawValue>>, String> {
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    if trimmed.starts_with('[') {
        return serde_json::from_str(trimmed).map_err(|e| format!("not valid JSON: {e}"));
    }
    trimmed
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| {
            serde_json::from_str(line).map_err(|e| format!("line {}: not valid JSON: {e}", n + 1))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::cloudevent::decode_structured;

    fn draft() -> Draft {
        Draft {
            id: "1".into(),
            subject: "orders/1".into(),
            extensions: "region=eu\ntraceparent = 00-ab".into(),
            data: "{\"n\": 1}".into(),
            ..Draft::default()
        }
    }

    #[test]
    fn builds_a_valid_event_from_a_draft() {
        let text = draft().to_event().unwrap();
        let event = decode_structured(text.as_bytes()).unwrap().event;
        assert_eq!(event.data().and_then(|d| d.json()), Some(r#"{"n":1}"#));
        assert_eq!(event.attribute("region").unwrap(), "eu");
        assert_eq!(event.attribute("traceparent").unwrap(), "00-ab");
        assert_eq!(event.subject(), Some("orders/1"));
    }

    #[test]
    fn sends_json_data_exactly_as_typed() {
        let typed = "{\n  \"n\": 123456789012345678901234567890,\n  \"s\": \"a  b\\u00e9\"\n}";
        let text = Draft { data: typed.into(), ..draft() }.to_event().unwrap();
        assert!(
            text.ends_with(r#","data":{"n":123456789012345678901234567890,"s":"a  b\u00e9"}}"#),
            "{text}"
        );
    }

    #[test]
    fn reports_json_errors_as_typed_and_refuses_to_build() {
        let broken = Draft { data: "{\"n\": ".into(), ..draft() };
        assert!(broken.data_error().unwrap().starts_with("not valid JSON"));
        let errors = broken.to_event().unwrap_err();
        assert_eq!(errors[0].field, "data");
        let text = Draft { datacontenttype: "text/plain".into(), data: "{\"n\": ".into(), ..draft() };
        assert_eq!(text.data_error(), None, "text data is not JSON-checked");
        let event = decode_structured(text.to_event().unwrap().as_bytes()).unwrap().event;
        assert_eq!(event.data().and_then(|d| d.text()).as_deref(), Some("{\"n\": "));
    }

    #[test]
    fn requires_id_source_type_and_well_formed_extensions() {
        let empty = Draft { id: " ".into(), extensions: "nonsense".into(), ..draft() };
        let fields: Vec<_> = empty.to_event().unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["id", "extensions"]);
    }

    #[test]
    fn a_resend_draft_rebuilds_the_same_event() {
        let original = decode_structured(
            br#"{"specversion":"1.0","id":"r1","source":"/s","type":"t.x","subject":"a","region":"eu",
                "datacontenttype":"application/json","data":{"k":[1,2]}}"#,
        )
        .unwrap()
        .event;
        let draft = Draft::from_event(&original, Mode::Binary);
        assert_eq!(draft.mode, Mode::Binary);
        let rebuilt = decode_structured(draft.to_event().unwrap().as_bytes()).unwrap().event;
        assert_eq!(rebuilt, original);
    }

    #[test]
    fn new_ids_have_the_uuid_v4_form() {
        let id = new_id([0xff; 16]);
        assert_eq!(id, "ffffffff-ffff-4fff-bfff-ffffffffffff");
        assert_eq!(new_id([0; 16]).len(), 36);
    }

    #[test]
    fn exports_read_back_as_the_same_events() {
        let events: Vec<CloudEvent> = (0..3)
            .map(|n| {
                let json = format!(
                    r#"{{"specversion":"1.0","id":"{n}","source":"/s","type":"t.x","data":{{"n":{n}}}}}"#
                );
                decode_structured(json.as_bytes()).unwrap().event
            })
            .collect();
        for text in [to_batch_json(&events), to_ndjson(&events)] {
            let back: Vec<CloudEvent> = parse_import(&text)
                .unwrap()
                .into_iter()
                .map(|raw| decode_structured(raw.get().as_bytes()).unwrap().event)
                .collect();
            assert_eq!(back, events);
        }
        assert!(parse_import("").unwrap().is_empty());
        assert!(parse_import("{\"a\":1}\nnot json").unwrap_err().starts_with("line 2"));
        assert!(parse_import("[1,").is_err());
    }

    #[test]
    fn templates_survive_storage_as_json() {
        let templates = default_templates();
        let text = serde_json::to_string(&templates).unwrap();
        assert_eq!(serde_json::from_str::<Vec<Template>>(&text).unwrap(), templates);
        assert!(templates.iter().all(|t| Draft { id: "x".into(), ..t.draft.clone() }.to_event().is_ok()));
    }
}
