//! How the detail pane shows an event's data (DESIGN §6): pretty JSON, text, or base64 with its size
//! and a decoded preview. Which data is JSON follows the one media-type rule of `core::cloudevent`.

use crate::core::cloudevent::{CloudEvent, Data, media_type_is_json, pretty};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// Characters of decoded base64 shown as a preview.
const PREVIEW_CHARS: usize = 2048;

/// An event's data, ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataView {
    /// No `data` and no `data_base64`.
    None,
    /// JSON data (no `datacontenttype`, `application/json`, `*/*+json`), indented token for token
    /// from the received text, so every number reads as it was sent.
    Json(String),
    /// Text data, as is.
    Text(String),
    /// `data_base64` as received, its decoded size, and the decoded bytes when they are UTF-8 text
    /// (cut at [`PREVIEW_CHARS`] characters).
    Base64 { encoded: String, size: usize, preview: Option<String> },
}

impl DataView {
    pub fn of(event: &CloudEvent) -> Self {
        match event.data() {
            None => Self::None,
            Some(Data::Base64(encoded)) => {
                let bytes = STANDARD.decode(encoded).unwrap_or_default();
                let preview =
                    std::str::from_utf8(&bytes).ok().map(|text| text.chars().take(PREVIEW_CHARS).collect());
                Self::Base64 { encoded: encoded.clone(), size: bytes.len(), preview }
            }
            Some(data @ Data::Json(raw)) => match data.text() {
                Some(text) if !event.datacontenttype().is_none_or(media_type_is_json) => Self::Text(text),
                _ => Self::Json(pretty(raw.get())),
            },
        }
    }

    /// A one-word label: `json`, `text`, `base64` or `none`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Json(_) => "json",
            Self::Text(_) => "text",
            Self::Base64 { .. } => "base64",
        }
    }

    /// The text the pane shows.
    pub fn text(&self) -> String {
        match self {
            Self::None => "(no data)".into(),
            Self::Json(text) | Self::Text(text) => text.clone(),
            Self::Base64 { encoded, size, preview: None } => format!("{encoded}\n\n({size} bytes, base64)"),
            Self::Base64 { encoded, size, preview: Some(preview) } => {
                format!("{encoded}\n\n({size} bytes, base64; as UTF-8 text:)\n{preview}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::cloudevent::Value;
    use serde_json::json;

    fn view(extra: Value) -> DataView {
        let mut value = json!({"specversion": "1.0", "id": "1", "source": "/s", "type": "t"});
        value.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        DataView::of(&CloudEvent::from_value(value).expect("a valid test event").event)
    }

    #[test]
    fn json_data_under_any_json_media_type_is_pretty_printed() {
        for content_type in [
            None,
            Some("application/json"),
            Some("application/vnd.x+json"),
            Some("application/json; charset=utf-8"),
        ] {
            let mut extra = json!({"data": {"a": [1, 2]}});
            if let Some(content_type) = content_type {
                extra["datacontenttype"] = content_type.into();
            }
            assert_eq!(
                view(extra),
                DataView::Json("{\n  \"a\": [\n    1,\n    2\n  ]\n}".into()),
                "{content_type:?}"
            );
        }
        let string = view(json!({"datacontenttype": "application/vnd.x+json", "data": "s"}));
        assert_eq!(string, DataView::Json("\"s\"".into()), "a JSON string is JSON, not text");
    }

    #[test]
    fn numbers_of_any_size_and_precision_read_as_sent() {
        let event = br#"{"specversion":"1.0","id":"1","source":"/s","type":"t","data":{"n":123456789012345678901234567890,"x":1.10}}"#;
        let event = crate::core::cloudevent::decode_structured(event).unwrap().event;
        assert_eq!(
            DataView::of(&event).text(),
            "{\n  \"n\": 123456789012345678901234567890,\n  \"x\": 1.10\n}"
        );
    }

    #[test]
    fn large_integers_stay_exact() {
        let data = view(json!({"data": {"big": u64::MAX, "small": i64::MIN}}));
        assert_eq!(data.text(), format!("{{\n  \"big\": {},\n  \"small\": {}\n}}", u64::MAX, i64::MIN));
    }

    #[test]
    fn text_data_is_shown_as_is() {
        let data = view(json!({"datacontenttype": "text/plain", "data": "line 1\nline 2"}));
        assert_eq!((data.kind(), data.text()), ("text", "line 1\nline 2".into()));
    }

    #[test]
    fn base64_data_shows_its_size_and_a_preview_when_it_is_text() {
        let text = view(json!({"datacontenttype": "application/octet-stream", "data_base64": "aGVsbG8="}));
        assert_eq!(
            text,
            DataView::Base64 { encoded: "aGVsbG8=".into(), size: 5, preview: Some("hello".into()) }
        );
        assert!(text.text().ends_with("(5 bytes, base64; as UTF-8 text:)\nhello"), "{}", text.text());
        let binary = view(json!({"datacontenttype": "image/png", "data_base64": "iVBORwD/"}));
        assert_eq!((binary.kind(), binary.text()), ("base64", "iVBORwD/\n\n(6 bytes, base64)".into()));
    }

    #[test]
    fn no_data_says_so() {
        assert_eq!((view(json!({})).kind(), view(json!({})).text()), ("none", "(no data)".into()));
    }
}
