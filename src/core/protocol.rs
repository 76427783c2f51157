//! The wire format (DESIGN §4, §5): the `data` of every `/stream` frame and every JSON API body, as
//! serde types the server serializes and the browser deserializes, so neither reads the other's
//! JSON by key. Shapes that live beside their logic are re-exported: this is the one place to look.
//!
//! Browser cost: every type here that the page decodes adds WASM. No `deny_unknown_fields`,
//! `untagged` or `flatten` (each makes serde buffer or compare more), and unknown members are
//! ignored, so an older page keeps reading a newer server's bodies.

pub use crate::core::cloudevent::{CloudEvent, Mode, ValidationError, Warning};
pub use crate::core::envelope::{Envelope, Headers, RequestRecord};
pub use crate::core::rejection::{ErrorDetail, EventName, Rejection, RejectionSummary};
pub use crate::core::trigger::Refusal;

use crate::core::id::EventId;
use crate::core::sse;
use serde::de::{Deserializer, Error as _, Unexpected};
use serde::{Deserialize, Serialize};

/// The `event:` name of a `/stream` frame; its `data` is the type named in each variant's doc.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameKind {
    /// [`CloudEvent`], exactly as stored; the frame's `id:` is the history id.
    CloudEvent,
    /// [`Connected`]: the first frame of every stream.
    Connected,
    /// [`Ping`]: the line is alive.
    Ping,
    /// [`Gap`]: replay could not be complete.
    Gap,
    /// [`Cleared`]: the history was cleared.
    Cleared,
    /// [`RejectionSummary`]: an ingest request was refused.
    Rejected,
}

impl FrameKind {
    /// Every kind, in the order of the variants.
    pub const ALL: [FrameKind; 6] = [
        FrameKind::CloudEvent,
        FrameKind::Connected,
        FrameKind::Ping,
        FrameKind::Gap,
        FrameKind::Cleared,
        FrameKind::Rejected,
    ];

    /// The `event:` field's value.
    pub const fn as_str(self) -> &'static str {
        match self {
            FrameKind::CloudEvent => "cloudevent",
            FrameKind::Connected => "connected",
            FrameKind::Ping => "ping",
            FrameKind::Gap => "gap",
            FrameKind::Cleared => "cleared",
            FrameKind::Rejected => "rejected",
        }
    }

    /// The kind named `name`; `None` for a name this version does not know (readers skip those
    /// frames, so a newer server can add kinds).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }

    /// A frame of this kind carrying `data` as one line of JSON (compact JSON has no newline).
    pub fn frame(self, data: &impl Serialize) -> sse::Frame {
        let json = serde_json::to_string(data).expect("protocol types serialize infallibly");
        sse::Frame::new(self.as_str(), json)
    }
}

/// `connected` frame: who is speaking, and how often it pings (the browser declares the line
/// dead after two intervals without a frame).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Connected {
    /// Always `cloudevent-player`.
    pub server: String,
    /// The server's crate version.
    pub version: String,
    /// This history's identity: ids from another history mean nothing here.
    pub stream_id: String,
    pub ping_interval_ms: u64,
    /// The newest stored id when the stream opened; `null` when the history is empty.
    pub last_id: Option<EventId>,
}

/// `ping` frame. `type` is kept from the seed format, for readers of `data` alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Ping {
    #[serde(rename = "type")]
    pub ty: PingType,
    /// RFC 3339 UTC with milliseconds.
    pub timestamp: String,
}

impl Ping {
    pub fn at(timestamp: String) -> Self {
        Self { ty: PingType::Ping, timestamp }
    }
}

/// The one value of [`Ping::ty`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum PingType {
    Ping,
}

/// `gap` frame: events after `last_event_id` that this stream cannot give (DESIGN §4: nothing is
/// silently lost).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Gap {
    pub reason: GapReason,
    /// The client's position when the gap was found.
    pub last_event_id: EventId,
    /// How many events were lost; `null` only where the backend cannot count them. Always
    /// written, so readers can tell "uncounted" from an old server's frame.
    #[serde(default)]
    pub missed: Option<u64>,
    /// The backend's error, for [`GapReason::BackendUnavailable`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Why a [`Gap`] happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum GapReason {
    /// `Last-Event-ID` is not from this history (a restart of the memory log, another server).
    UnknownId,
    /// The history dropped events after the client's position (count or byte budget).
    HistoryExceeded,
    /// The event log could not be read.
    BackendUnavailable,
    /// A reason this version does not know (from a newer server).
    #[serde(other)]
    Other,
}

/// `cleared` frame: the history was cleared through `through` (`null`: it was empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Cleared {
    #[serde(default)]
    pub through: Option<EventId>,
}

/// `DELETE /api/events` answer: how many events were removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ClearedCount {
    pub cleared: usize,
}

/// Every failure's body (DESIGN §2): `{"error": {"code", "message", "details"}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// `202 Accepted` body of ingest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Accepted {
    pub accepted: usize,
    /// History ids of the stored events, in order.
    pub ids: Vec<EventId>,
}

impl Accepted {
    /// The body as serde writes it (`{"accepted":1,"ids":["…"]}`), written directly: it answers
    /// nearly every ingest request, and serde's map and string escaping cost as much as the rest
    /// of the answer. Ids are digits and a dash, so nothing needs escaping.
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(26 + self.ids.len() * 24);
        out.extend_from_slice(br#"{"accepted":"#);
        out.extend_from_slice(itoa::Buffer::new().format(self.accepted).as_bytes());
        out.extend_from_slice(br#","ids":["#);
        for (i, id) in self.ids.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.push(b'"');
            out.extend_from_slice(id.text().as_str().as_bytes());
            out.push(b'"');
        }
        out.extend_from_slice(b"]}");
        out
    }
}

/// `POST /api/send` body.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SendRequest {
    /// A sink name from `GET /api/sinks`, or `self`.
    pub target: String,
    /// `binary` or `structured` (the default: every event round-trips exactly, while binary mode
    /// reads empty data back as none). `batch` is refused: a send is one event.
    #[serde(default = "structured", deserialize_with = "send_mode")]
    #[cfg_attr(feature = "ssr", schema(schema_with = send_mode_schema))]
    pub mode: Mode,
    /// A CloudEvent in the JSON event format, validated before anything is sent. Kept as the text
    /// that arrived, so its data is sent exactly as written.
    #[cfg_attr(feature = "ssr", schema(value_type = CloudEvent))]
    pub event: Box<serde_json::value::RawValue>,
}

fn structured() -> Mode {
    Mode::Structured
}

fn send_mode<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Mode, D::Error> {
    match Mode::deserialize(deserializer)? {
        Mode::Batch => Err(D::Error::invalid_value(Unexpected::Str("batch"), &"`binary` or `structured`")),
        mode => Ok(mode),
    }
}

/// The modes [`send_mode`] takes, for the OpenAPI document (server only).
#[cfg(feature = "ssr")]
fn send_mode_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some([Mode::Binary, Mode::Structured].map(Mode::as_str)))
        .default(Some(serde_json::json!(structured().as_str())))
        .build()
}

/// `POST /api/send` answer when the target answered, whatever its status: the UI shows a sink's
/// refusal verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Delivery {
    pub target: String,
    pub mode: Mode,
    /// The target's HTTP status.
    pub status: u16,
    /// The status is 2xx.
    pub delivered: bool,
    /// The start of the target's answer (4 KiB at most), as text.
    pub body: String,
    /// The answer was longer than `body`.
    pub body_truncated: bool,
    pub elapsed_ms: u64,
}

/// `GET /api/sinks` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Sinks {
    pub sinks: Vec<SinkInfo>,
}

/// A configured sink. Passwords and query values in the URL are masked: they are often keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SinkInfo {
    pub name: String,
    pub url: String,
}

/// `GET /api/events` answer, oldest first. `E` lets the server write borrowed envelopes
/// (`EventsPage<&Envelope>`); readers use the default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EventsPage<E = Envelope> {
    pub events: Vec<E>,
    /// More events of the asked range exist beyond these.
    pub has_more: bool,
}

/// `GET /api/rejections` answer: summaries (the `rejected` frame's shape), newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RejectionList {
    pub rejections: Vec<RejectionSummary>,
}

/// `GET /api/status` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Status {
    /// Open `/stream` connections on this server.
    pub clients: i64,
    /// Events stored since start.
    pub total_events: u64,
    /// Refused ingest requests kept for the rejected lane.
    pub rejected: usize,
    /// Events stored since start that a delivery lab rule answered with a 4xx or 5xx: kept, and
    /// counted apart from the invalid requests of `rejected`.
    pub refused: u64,
    pub history: HistoryStatus,
    /// `memory` or `redis`.
    pub backend: String,
    pub uptime_s: u64,
    pub version: String,
}

/// Size and bounds of the history, in [`Status`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HistoryStatus {
    pub len: usize,
    pub capacity: usize,
    /// Bytes the history holds in this process and its budget; `null` with the Redis backend.
    pub bytes: Option<usize>,
    pub max_bytes: Option<usize>,
    pub first_id: Option<EventId>,
    pub last_id: Option<EventId>,
}

/// `POST /api/cesql/evaluate` body.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EvaluateRequest {
    /// A CESQL v1.0.0 expression.
    pub expression: String,
    /// A CloudEvent in the JSON event format, validated as ingest validates it. Kept as the text
    /// that arrived, so its numbers are read exactly as written.
    #[cfg_attr(feature = "ssr", schema(value_type = CloudEvent))]
    pub event: Box<serde_json::value::RawValue>,
}

/// `POST /api/cesql/evaluate` answer: the expression's value and every error met on the way
/// (CESQL evaluates to a value even when it meets errors; a filter matches only on `true` with none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Evaluated {
    pub value: ExpressionValue,
    pub errors: Vec<ExpressionError>,
}

/// A CESQL value, written as the JSON value of its type: `true`, `123` or `"text"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpressionValue {
    Boolean(bool),
    Integer(i32),
    String(String),
}

impl From<cesql::Value> for ExpressionValue {
    fn from(value: cesql::Value) -> Self {
        match value {
            cesql::Value::Boolean(flag) => Self::Boolean(flag),
            cesql::Value::Integer(n) => Self::Integer(n),
            cesql::Value::String(text) => Self::String(text),
        }
    }
}

impl Serialize for ExpressionValue {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Boolean(flag) => serializer.serialize_bool(*flag),
            Self::Integer(n) => serializer.serialize_i32(*n),
            Self::String(text) => serializer.serialize_str(text),
        }
    }
}

impl<'de> Deserialize<'de> for ExpressionValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = ExpressionValue;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a boolean, a 32-bit integer or a string")
            }
            fn visit_bool<E: serde::de::Error>(self, flag: bool) -> Result<Self::Value, E> {
                Ok(ExpressionValue::Boolean(flag))
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Self::Value, E> {
                i32::try_from(n)
                    .map(ExpressionValue::Integer)
                    .map_err(|_| E::invalid_value(Unexpected::Signed(n), &self))
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Self::Value, E> {
                i32::try_from(n)
                    .map(ExpressionValue::Integer)
                    .map_err(|_| E::invalid_value(Unexpected::Unsigned(n), &self))
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Self::Value, E> {
                Ok(ExpressionValue::String(text.to_owned()))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// One error met while evaluating an expression.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ExpressionError {
    pub kind: ExpressionErrorKind,
    pub message: String,
}

impl From<cesql::EvalError> for ExpressionError {
    fn from(error: cesql::EvalError) -> Self {
        let kind = match error.kind {
            cesql::ErrorKind::MissingAttribute => ExpressionErrorKind::MissingAttribute,
            cesql::ErrorKind::Cast => ExpressionErrorKind::Cast,
            cesql::ErrorKind::Math => ExpressionErrorKind::Math,
            cesql::ErrorKind::MissingFunction => ExpressionErrorKind::MissingFunction,
            cesql::ErrorKind::FunctionEvaluation => ExpressionErrorKind::FunctionEvaluation,
            cesql::ErrorKind::Generic => ExpressionErrorKind::Generic,
        };
        Self { kind, message: error.message }
    }
}

/// The CESQL error kinds (spec §4.x), named as the CESQL conformance suite names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum ExpressionErrorKind {
    MissingAttribute,
    Cast,
    Math,
    MissingFunction,
    FunctionEvaluation,
    Generic,
}

/// `POST /api/triggers/preview` answer: what a Knative Trigger would have delivered of the newest
/// stored events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TriggerPreview {
    pub trigger: TriggerSummary,
    /// How many stored events were run through the filters.
    pub scanned: usize,
    /// History ids of the events the Trigger delivers, newest first.
    pub delivered: Vec<EventId>,
    /// Every scanned event with its verdict, newest first.
    pub events: Vec<PreviewedEvent>,
}

/// The Trigger as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TriggerSummary {
    /// `metadata.name`.
    pub name: Option<String>,
    /// `spec.broker`.
    pub broker: Option<String>,
    /// The field that decided: `filters`, `filter.attributes` (the legacy filter, used only when
    /// `filters` is absent or empty) or `none` (every event is delivered).
    pub rule: String,
}

/// One scanned event and the Trigger's verdict on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PreviewedEvent {
    /// The history id.
    pub id: EventId,
    /// The event's own `id`.
    pub event_id: String,
    #[serde(rename = "type")]
    pub ty: String,
    pub source: String,
    pub delivered: bool,
    /// The filter that refused the event; `null` when delivered.
    pub refused_by: Option<Refusal>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::DeserializeOwned;
    use serde_json::{Value, json};
    use std::fmt::Debug;
    use std::sync::Arc;

    #[test]
    fn the_accepted_body_is_what_serde_writes() {
        let ids = [
            EventId::new(1_733_000_000_000, 0),
            EventId::new(1_733_000_000_001, 17),
            EventId::new(0, u64::MAX),
        ];
        for n in 0..=ids.len() {
            let accepted = Accepted { accepted: n, ids: ids[..n].to_vec() };
            assert_eq!(
                String::from_utf8(accepted.to_json()).unwrap(),
                serde_json::to_string(&accepted).unwrap()
            );
        }
    }

    /// `value` survives a round trip, serializes to exactly `literal` (so a renamed or dropped
    /// member fails here), and `literal` reads back as `value`.
    fn assert_wire<T: Serialize + DeserializeOwned + PartialEq + Debug>(value: &T, literal: Value) {
        let text = serde_json::to_string(value).unwrap();
        assert_eq!(&serde_json::from_str::<T>(&text).unwrap(), value, "round trip");
        assert_eq!(serde_json::to_value(value).unwrap(), literal, "serialized shape");
        assert_eq!(&serde_json::from_value::<T>(literal).unwrap(), value, "documented shape");
    }

    fn id(ms: u64, seq: u64) -> EventId {
        EventId::new(ms, seq)
    }

    fn event() -> CloudEvent {
        CloudEvent::from_value(json!({"specversion": "1.0", "id": "a1", "source": "/s", "type": "t"}))
            .unwrap()
            .event
    }

    #[test]
    fn expression_answers_write_values_as_json_values() {
        let answer = |value| Evaluated { value, errors: vec![] };
        assert_wire(&answer(ExpressionValue::Boolean(true)), json!({"value": true, "errors": []}));
        assert_wire(&answer(ExpressionValue::Integer(-7)), json!({"value": -7, "errors": []}));
        assert_wire(&answer(ExpressionValue::String("x".into())), json!({"value": "x", "errors": []}));
        let failed = Evaluated {
            value: ExpressionValue::Boolean(false),
            errors: vec![ExpressionError {
                kind: ExpressionErrorKind::MissingAttribute,
                message: "m".into(),
            }],
        };
        assert_wire(
            &failed,
            json!({"value": false, "errors": [{"kind": "missingAttribute", "message": "m"}]}),
        );
        assert!(serde_json::from_value::<ExpressionValue>(json!(2_147_483_648u64)).is_err(), "32-bit only");
        assert!(serde_json::from_value::<ExpressionValue>(json!(1.5)).is_err());
    }

    #[test]
    fn a_trigger_preview_names_each_verdict() {
        let preview = TriggerPreview {
            trigger: TriggerSummary { name: Some("t".into()), broker: None, rule: "filters".into() },
            scanned: 2,
            delivered: vec![id(2, 0)],
            events: vec![
                PreviewedEvent {
                    id: id(2, 0),
                    event_id: "b".into(),
                    ty: "t".into(),
                    source: "/s".into(),
                    delivered: true,
                    refused_by: None,
                },
                PreviewedEvent {
                    id: id(1, 0),
                    event_id: "a".into(),
                    ty: "u".into(),
                    source: "/s".into(),
                    delivered: false,
                    refused_by: Some(Refusal {
                        path: "spec.filters[0]".into(),
                        dialect: "exact".into(),
                        reason: "type is \"u\", not \"t\"".into(),
                    }),
                },
            ],
        };
        assert_wire(
            &preview,
            json!({
                "trigger": {"name": "t", "broker": null, "rule": "filters"},
                "scanned": 2,
                "delivered": ["2-0"],
                "events": [
                    {"id": "2-0", "event_id": "b", "type": "t", "source": "/s", "delivered": true, "refused_by": null},
                    {"id": "1-0", "event_id": "a", "type": "u", "source": "/s", "delivered": false,
                     "refused_by": {"path": "spec.filters[0]", "dialect": "exact", "reason": "type is \"u\", not \"t\""}}
                ]
            }),
        );
    }

    #[test]
    fn frame_kinds_parse_their_own_names_only() {
        for kind in FrameKind::ALL {
            assert_eq!(FrameKind::parse(kind.as_str()), Some(kind));
        }
        let names: Vec<_> = FrameKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names, ["cloudevent", "connected", "ping", "gap", "cleared", "rejected"]);
        assert_eq!(FrameKind::parse("message"), None);
        assert_eq!(FrameKind::parse("Gap"), None);
    }

    #[test]
    fn a_frame_carries_its_kind_and_one_line_of_json() {
        let gap = Gap {
            reason: GapReason::UnknownId,
            last_event_id: id(1, 0),
            missed: None,
            message: Some("line\nbreak".into()),
        };
        let frame = FrameKind::Gap.frame(&gap);
        assert_eq!(frame.event.as_deref(), Some("gap"));
        assert!(!frame.data.contains('\n'));
        assert_eq!(serde_json::from_str::<Gap>(&frame.data).unwrap(), gap);
    }

    #[test]
    fn connected_wire_shape() {
        let connected = Connected {
            server: "cloudevent-player".into(),
            version: "0.1.0".into(),
            stream_id: "s-1".into(),
            ping_interval_ms: 30_000,
            last_id: Some(id(1_764_130_000_123, 0)),
        };
        assert_wire(
            &connected,
            json!({"server": "cloudevent-player", "version": "0.1.0", "stream_id": "s-1",
                   "ping_interval_ms": 30000, "last_id": "1764130000123-0"}),
        );
        let empty = Connected { last_id: None, ..connected };
        assert_wire(
            &empty,
            json!({"server": "cloudevent-player", "version": "0.1.0", "stream_id": "s-1",
                   "ping_interval_ms": 30000, "last_id": null}),
        );
    }

    #[test]
    fn ping_wire_shape() {
        assert_wire(
            &Ping::at("2026-11-26T12:34:56.789Z".into()),
            json!({"type": "ping", "timestamp": "2026-11-26T12:34:56.789Z"}),
        );
        assert!(serde_json::from_value::<Ping>(json!({"type": "pong", "timestamp": ""})).is_err());
    }

    #[test]
    fn gap_wire_shape() {
        let counted = Gap {
            reason: GapReason::HistoryExceeded,
            last_event_id: id(5, 1),
            missed: Some(9315),
            message: None,
        };
        assert_wire(&counted, json!({"reason": "history_exceeded", "last_event_id": "5-1", "missed": 9315}));
        let uncounted = Gap { reason: GapReason::UnknownId, missed: None, ..counted.clone() };
        assert_wire(&uncounted, json!({"reason": "unknown_id", "last_event_id": "5-1", "missed": null}));
        let failed = Gap {
            reason: GapReason::BackendUnavailable,
            missed: None,
            message: Some("redis: connection refused".into()),
            ..counted
        };
        assert_wire(
            &failed,
            json!({"reason": "backend_unavailable", "last_event_id": "5-1", "missed": null,
                   "message": "redis: connection refused"}),
        );
    }

    #[test]
    fn gap_reasons_from_a_newer_server_still_read() {
        let gap: Gap =
            serde_json::from_value(json!({"reason": "sharded_away", "last_event_id": "1-0"})).unwrap();
        assert_eq!((gap.reason, gap.missed), (GapReason::Other, None));
    }

    #[test]
    fn cleared_wire_shapes() {
        assert_wire(&Cleared { through: Some(id(9, 2)) }, json!({"through": "9-2"}));
        assert_wire(&Cleared { through: None }, json!({"through": null}));
        assert_wire(&ClearedCount { cleared: 42 }, json!({"cleared": 42}));
    }

    #[test]
    fn error_body_wire_shape() {
        let body = ErrorBody {
            error: ErrorDetail {
                code: "invalid_event".into(),
                message: "event 0: time: not RFC 3339".into(),
                details: vec![ValidationError {
                    index: Some(0),
                    attribute: Some("time".into()),
                    message: "time: not RFC 3339".into(),
                    ..Default::default()
                }],
            },
        };
        assert_wire(
            &body,
            json!({"error": {"code": "invalid_event", "message": "event 0: time: not RFC 3339",
                   "details": [{"index": 0, "attribute": "time", "message": "time: not RFC 3339"}]}}),
        );
    }

    #[test]
    fn accepted_wire_shape() {
        let accepted = Accepted { accepted: 2, ids: vec![id(7, 0), id(7, 1)] };
        assert_wire(&accepted, json!({"accepted": 2, "ids": ["7-0", "7-1"]}));
    }

    #[test]
    fn send_request_wire_shape() {
        let event =
            serde_json::value::RawValue::from_string(r#"{"id":"1","data":{"n":1.10}}"#.into()).unwrap();
        let request = SendRequest { target: "self".into(), mode: Mode::Binary, event };
        let text = serde_json::to_string(&request).unwrap();
        assert_eq!(text, r#"{"target":"self","mode":"binary","event":{"id":"1","data":{"n":1.10}}}"#);
        let back: SendRequest = serde_json::from_str(&text).unwrap();
        assert_eq!(
            (back.target.as_str(), back.mode, back.event.get()),
            ("self", Mode::Binary, request.event.get())
        );
    }

    #[test]
    fn send_mode_defaults_to_structured_and_refuses_batch() {
        let request: SendRequest = serde_json::from_str(r#"{"target": "self", "event": {}}"#).unwrap();
        assert_eq!(request.mode, Mode::Structured);
        let batch =
            serde_json::from_str::<SendRequest>(r#"{"target": "self", "mode": "batch", "event": {}}"#);
        assert!(batch.unwrap_err().to_string().contains("`binary` or `structured`"));
    }

    #[test]
    fn delivery_wire_shape() {
        let delivery = Delivery {
            target: "k-sink".into(),
            mode: Mode::Structured,
            status: 202,
            delivered: true,
            body: "{}".into(),
            body_truncated: false,
            elapsed_ms: 12,
        };
        assert_wire(
            &delivery,
            json!({"target": "k-sink", "mode": "structured", "status": 202, "delivered": true,
                   "body": "{}", "body_truncated": false, "elapsed_ms": 12}),
        );
    }

    #[test]
    fn sinks_wire_shape() {
        let sinks = Sinks {
            sinks: vec![SinkInfo { name: "k-sink".into(), url: "http://broker.example/?key=***".into() }],
        };
        assert_wire(&sinks, json!({"sinks": [{"name": "k-sink", "url": "http://broker.example/?key=***"}]}));
    }

    #[test]
    fn events_page_wire_shape() {
        let request = RequestRecord::new("POST", "/events", [("ce-id", &b"a1"[..])], b"");
        let envelope = Envelope {
            id: id(3, 0),
            received_at: "2026-12-02T00:00:00.000Z".into(),
            mode: Mode::Binary,
            duplicate_of: Some(id(2, 0)),
            warnings: vec![Warning {
                rule: "source-absolute".into(),
                attribute: Some("source".into()),
                message: "relative".into(),
            }],
            event: event(),
            request: Arc::new(request),
            delivery: None,
        };
        let page = EventsPage { events: vec![envelope], has_more: true };
        assert_wire(
            &page,
            json!({"events": [{
                "id": "3-0", "received_at": "2026-12-02T00:00:00.000Z", "mode": "binary",
                "duplicate_of": "2-0",
                "warnings": [{"rule": "source-absolute", "attribute": "source", "message": "relative"}],
                "event": {"specversion": "1.0", "id": "a1", "source": "/s", "type": "t"},
                "request": {"method": "POST", "path": "/events", "headers": [["ce-id", "a1"]],
                            "body_size": 0, "body_truncated": false}
            }], "has_more": true}),
        );
        // The server writes borrowed envelopes; readers get the same JSON.
        let borrowed = EventsPage { events: page.events.iter().collect(), has_more: true };
        assert_eq!(serde_json::to_value(&borrowed).unwrap(), serde_json::to_value(&page).unwrap());
    }

    fn summary() -> RejectionSummary {
        RejectionSummary {
            id: 4,
            time: "2026-12-02T00:00:00.000Z".into(),
            status: 415,
            code: "unsupported_media_type".into(),
            message: "application/avro".into(),
            attribute: None,
            details: vec![],
            details_total: 0,
            method: "POST".into(),
            path: "/".into(),
            size: 3,
            event: EventName { id: Some("a1".into()), ty: Some("t".into()), source: None },
        }
    }

    #[test]
    fn rejection_summary_and_list_wire_shapes() {
        let literal = json!({"id": 4, "time": "2026-12-02T00:00:00.000Z", "status": 415,
            "code": "unsupported_media_type", "message": "application/avro", "details": [],
            "details_total": 0, "method": "POST", "path": "/", "size": 3,
            "event": {"id": "a1", "type": "t"}});
        assert_wire(&summary(), literal.clone());
        assert_wire(&RejectionList { rejections: vec![summary()] }, json!({"rejections": [literal]}));
    }

    #[test]
    fn rejection_wire_shape() {
        let rejection = Rejection {
            id: 4,
            time: "2026-12-02T00:00:00.000Z".into(),
            status: 400,
            error: ErrorDetail { code: "malformed_json".into(), message: "EOF".into(), details: vec![] },
            request: RequestRecord::new("POST", "/", [("content-type", &b"application/json"[..])], b"{")
                .into(),
        };
        assert_wire(
            &rejection,
            json!({"id": 4, "time": "2026-12-02T00:00:00.000Z", "status": 400,
                   "error": {"code": "malformed_json", "message": "EOF", "details": []},
                   "request": {"method": "POST", "path": "/", "headers": [["content-type", "application/json"]],
                               "body": "{", "body_size": 1, "body_truncated": false}}),
        );
    }

    #[test]
    fn status_wire_shape() {
        let status = Status {
            clients: 2,
            total_events: 10,
            rejected: 1,
            refused: 4,
            history: HistoryStatus {
                len: 3,
                capacity: 10_000,
                bytes: Some(900),
                max_bytes: None,
                first_id: Some(id(1, 0)),
                last_id: Some(id(3, 0)),
            },
            backend: "memory".into(),
            uptime_s: 5,
            version: "0.1.0".into(),
        };
        assert_wire(
            &status,
            json!({"clients": 2, "total_events": 10, "rejected": 1, "refused": 4,
                   "history": {"len": 3, "capacity": 10000, "bytes": 900, "max_bytes": null,
                               "first_id": "1-0", "last_id": "3-0"},
                   "backend": "memory", "uptime_s": 5, "version": "0.1.0"}),
        );
    }

    #[test]
    fn cloudevent_frame_data_is_the_event_as_stored() {
        assert_wire(&event(), json!({"specversion": "1.0", "id": "a1", "source": "/s", "type": "t"}));
    }
}
