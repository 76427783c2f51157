//! `GET /api/openapi.json`: the OpenAPI 3.1 document of every route, built by utoipa from the
//! handlers' `#[utoipa::path]` attributes and the wire types' `ToSchema` derives, so it changes
//! with the code. What no derive can say is written here once: the types with a hand-written
//! serde shape, the frames of `/stream`, the routes that share a handler, and the access rules.

use crate::core::cloudevent::CloudEvent;
use crate::core::envelope::Headers;
use crate::core::id::EventId;
use crate::core::lab::verdict::{Deliveries, DeliveryRow, IntervalCheck, Verdict};
use crate::core::lab::{Action, DeliveryRecord, FailRate, Match, Reply, ReplyMode, Rule, Rules};
use crate::core::lab::{RulePreview, RulesPreview};
use crate::core::protocol::{
    Accepted, Cleared, ClearedCount, Connected, Delivery, Envelope, ErrorBody, ErrorDetail, EvaluateRequest,
    Evaluated, EventName, EventsPage, ExpressionError, ExpressionErrorKind, ExpressionValue, FrameKind, Gap,
    GapReason, HistoryStatus, Mode, Ping, PingType, PreviewedEvent, Refusal, Rejection, RejectionList,
    RejectionSummary, RequestRecord, SendRequest, SinkInfo, Sinks, Status, TriggerPreview, TriggerSummary,
    ValidationError, Warning,
};
use crate::server::access::{
    self, HEALTH_PATHS, INGEST_PATHS, NAMED_INGEST_ROUTE, QUERY_PARAM, SESSION_COOKIE, SESSION_PATH,
};
use crate::server::{api, expressions, ingest, lab, send, stream, wait};
use axum::http::header;
use axum::response::IntoResponse;
use serde_json::json;
use std::borrow::Cow;
use std::sync::LazyLock;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, SchemaType, Type,
};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, Ref, RefOr};
use utoipa::{Modify, OpenApi, PartialSchema, ToSchema};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "CloudEvent Player",
        description = "An HTTP sink for CloudEvents that streams what it receives to browser tabs. \
Every error answers `{\"error\":{\"code\",\"message\",\"details\"}}`; the codes of each status are \
named in its description. Any route answers `405 method_not_allowed` to a method it lacks, and \
`503 too_many_connections` when the server is at its connection cap.",
        license(name = "MIT OR Apache-2.0")
    ),
    paths(
        ingest::post_events,
        ingest::webhook_handshake,
        api::list_events,
        api::clear_events,
        api::get_event,
        wait::wait_event,
        api::list_rejections,
        api::get_rejection,
        api::get_status,
        send::post_send,
        send::list_sinks,
        expressions::post_evaluate,
        expressions::post_preview,
        lab::get_rules,
        lab::put_rules,
        lab::preview_rules,
        lab::get_deliveries,
        stream::get_stream,
        access::post_session,
        access::delete_session,
        get_openapi,
        super::healthz,
        api::get_metrics,
    ),
    components(schemas(
        Accepted, Cleared, ClearedCount, CloudEvent, Connected, Delivery, Envelope, ErrorBody,
        ErrorDetail, EvaluateRequest, Evaluated, EventId, EventName, EventsPage, ExpressionError, ExpressionErrorKind, ExpressionValue, Gap, GapReason, Headers, HistoryStatus, Mode, Ping, PingType, PreviewedEvent, Refusal, Rejection, RejectionList, RejectionSummary, RequestRecord, SendRequest, SinkInfo, Sinks, Status, StreamFrame, TriggerPreview, TriggerSummary, ValidationError, Warning,
        Rules, Rule, Match, Action, FailRate, Reply, ReplyMode, DeliveryRecord, Deliveries, DeliveryRow, Verdict, IntervalCheck,
        RulesPreview, RulePreview,
    )),
    modifiers(&SharedHandlers, &AccessRules),
    tags(
        (name = "ingest", description = "CloudEvents in: binary, structured and batch mode"),
        (name = "history", description = "The stored events and the refused requests"),
        (name = "stream", description = "Live events as Server-Sent Events"),
        (name = "send", description = "Send an event to a configured sink or to this player"),
        (name = "expressions", description = "CESQL expressions and Knative Trigger filters over events"),
        (name = "lab", description = "The delivery lab: response rules, and each event's deliveries judged against a retry policy"),
        (name = "access", description = "Sign-in for browsers when the server has a token"),
        (name = "operations", description = "Health, metrics and this document"),
    )
)]
pub struct ApiDoc;

/// The document, built once: every answer of the route is the same bytes.
static DOCUMENT: LazyLock<String> =
    LazyLock::new(|| ApiDoc::openapi().to_json().expect("the OpenAPI document serializes"));

/// The document as served.
pub fn document() -> &'static str {
    &DOCUMENT
}

/// `GET /api/openapi.json`: this document.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 document of this server", content_type = "application/json", body = Object))
)]
pub async fn get_openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], document())
}

impl PartialSchema for EventId {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(r"^[0-9]+-[0-9]+$"))
            .description(Some(
                "History id `<ms>-<seq>`: the store time in Unix milliseconds and a sequence \
                 within that millisecond. Ids grow in store order.",
            ))
            .examples([json!("1764130000123-0")])
            .into()
    }
}

impl ToSchema for EventId {}

impl PartialSchema for ExpressionValue {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::from_iter([Type::Boolean, Type::Integer, Type::String]))
            .description(Some("A CESQL value: a boolean, a 32-bit integer or a string"))
            .examples([json!(true), json!(123), json!("text")])
            .into()
    }
}

impl ToSchema for ExpressionValue {}

impl PartialSchema for Headers {
    fn schema() -> RefOr<Schema> {
        let text = || ObjectBuilder::new().schema_type(Type::String);
        let pair = ArrayBuilder::new()
            .prefix_items([text().build(), text().build()])
            .items(utoipa::openapi::schema::ArrayItems::False)
            .min_items(Some(2));
        ArrayBuilder::new()
            .items(pair)
            .description(Some(
                "The request's headers as `[name, value]` pairs in arrival order, names lowercased; \
                 credentials (`authorization`, `cookie`) are not kept.",
            ))
            .into()
    }
}

impl ToSchema for Headers {}

impl PartialSchema for CloudEvent {
    fn schema() -> RefOr<Schema> {
        let text = || ObjectBuilder::new().schema_type(Type::String);
        let extension = ObjectBuilder::new()
            .schema_type(SchemaType::from_iter([Type::String, Type::Boolean, Type::Integer]))
            .description(Some("An extension attribute"));
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(
                "A CloudEvent in the CloudEvents 1.0 JSON event format: the context attributes, then \
                 `data` (JSON) or `data_base64` (binary data), and any extension attributes.",
            ))
            .property("specversion", text().enum_values(Some(["1.0"])))
            .property("id", text().min_length(Some(1)))
            .property("source", text().min_length(Some(1)))
            .property("type", text().min_length(Some(1)))
            .property("datacontenttype", text())
            .property("dataschema", text())
            .property("subject", text())
            .property("time", text().description(Some("RFC 3339")))
            .property(
                "data",
                ObjectBuilder::new().schema_type(SchemaType::AnyValue).description(Some("Any JSON value")),
            )
            .property("data_base64", text().description(Some("Binary data, base64")))
            .required("specversion")
            .required("id")
            .required("source")
            .required("type")
            .additional_properties(Some(AdditionalProperties::RefOr(RefOr::T(extension.into()))))
            .examples([json!({
                "specversion": "1.0", "id": "a1", "source": "https://example.com/orders",
                "type": "com.example.order.created", "datacontenttype": "application/json",
                "data": {"n": 1}
            })])
            .into()
    }
}

impl ToSchema for CloudEvent {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("CloudEvent")
    }
}

/// The routes that share a handler, and so an operation: each path of `INGEST_PATHS` and
/// `HEALTH_PATHS` gets a copy of the first one's operations under its own `operationId`, and so
/// does named ingest (`/r/{name}`, with its path parameter).
struct SharedHandlers;

impl Modify for SharedHandlers {
    fn modify(&self, openapi: &mut Document) {
        if let Some(mut named) = openapi.paths.paths.get(INGEST_PATHS[0]).cloned() {
            let name = utoipa::openapi::path::ParameterBuilder::new()
                .name("name")
                .parameter_in(utoipa::openapi::path::ParameterIn::Path)
                .required(utoipa::openapi::Required::True)
                .schema(Some(String::schema()))
                .description(Some("Any name (it may hold `/`): delivery lab rules match the path"))
                .build();
            for operation in operations(&mut named) {
                if let Some(id) = &mut operation.operation_id {
                    *id = format!("{id}_named");
                }
                operation.parameters.get_or_insert_with(Vec::new).insert(0, name.clone());
            }
            openapi.paths.paths.insert(NAMED_INGEST_ROUTE.replace("{*", "{"), named);
        }
        for group in [&INGEST_PATHS[..], &HEALTH_PATHS[..]] {
            let Some(item) = openapi.paths.paths.get(group[0]).cloned() else { continue };
            for path in &group[1..] {
                let mut copy = item.clone();
                let suffix = path.trim_matches('/').replace(['/', '.'], "_");
                for operation in operations(&mut copy) {
                    if let Some(id) = &mut operation.operation_id {
                        *id = format!("{id}_{suffix}");
                    }
                }
                openapi.paths.paths.insert((*path).to_owned(), copy);
            }
        }
    }
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
    ]
    .into_iter()
    .filter_map(Option::as_mut)
}

/// `/stream`'s body: one schema per frame kind, keyed by the frame's `event` field. Built from
/// [`FrameKind::ALL`], so a new kind cannot go undocumented (the match below is exhaustive).
pub struct StreamFrame;

impl StreamFrame {
    fn data(kind: FrameKind) -> (&'static str, &'static str) {
        match kind {
            FrameKind::CloudEvent => (
                "CloudEvent",
                "A stored event; the frame's `id` is its history id (for `Last-Event-ID`). An event that \
                     breaks SHOULD-level rules also has a `warnings:` field: their ids, space-separated; a delivery a lab \
                     rule answered, or a redelivery, a `delivery:` field: the status answered and the attempt \
                     (`503 attempt 3`)",
            ),
            FrameKind::Connected => ("Connected", "First frame of every connection"),
            FrameKind::Ping => ("Ping", "Keep-alive, every `ping_interval_ms`"),
            FrameKind::Gap => ("Gap", "Events this stream could not deliver (see `reason`)"),
            FrameKind::Cleared => ("Cleared", "The history was cleared"),
            FrameKind::Rejected => ("RejectionSummary", "A request to an ingest route was refused"),
        }
    }
}

impl PartialSchema for StreamFrame {
    fn schema() -> RefOr<Schema> {
        let mut frames = OneOfBuilder::new().description(Some(
            "One frame of `/stream` with its `data` parsed as JSON. The stream opens with a bare \
             `retry:` frame (no event, no data) and `connected`.",
        ));
        for kind in FrameKind::ALL {
            let (schema, description) = Self::data(kind);
            let frame = ObjectBuilder::new()
                .schema_type(Type::Object)
                .description(Some(format!("`event: {}`: {description}", kind.as_str())))
                .property(
                    "event",
                    ObjectBuilder::new().schema_type(Type::String).enum_values(Some([kind.as_str()])),
                )
                .property("id", EventId::schema())
                .property("data", Ref::from_schema_name(schema))
                .required("event")
                .required("data");
            frames = frames.item(frame);
        }
        frames.into()
    }
}

impl ToSchema for StreamFrame {}

/// The rules of [`access`] as the document states them: the token's three forms, the routes that
/// need none, and the answers every other route may give before its handler runs.
struct AccessRules;

impl Modify for AccessRules {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "query",
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::new(QUERY_PARAM))),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(SESSION_COOKIE))),
        );
        let required = ["bearer", "query", "session"]
            .map(|name| SecurityRequirement::new(name, Vec::<String>::new()))
            .to_vec();
        let error = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new().schema(Some(ErrorBody::schema_ref())).build(),
                )
                .build()
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            let open = HEALTH_PATHS.contains(&path.as_str()) || path == SESSION_PATH;
            let health = HEALTH_PATHS.contains(&path.as_str());
            for operation in operations(item) {
                if open {
                    operation.security = Some(Vec::new());
                    if health {
                        continue;
                    }
                } else {
                    operation.security = Some(required.clone());
                    operation.responses.responses.entry("401".to_owned()).or_insert_with(|| {
                        error("`unauthorized`: the server has a `--token` and the request carries none or another").into()
                    });
                }
                operation.responses.responses.entry("403".to_owned()).or_insert_with(|| {
                    error("`host_not_allowed`: the `Host` is not this server's (see `--allowed-host`)").into()
                });
            }
        }
    }
}

trait SchemaRef {
    fn schema_ref() -> RefOr<Schema>;
}

impl<T: ToSchema> SchemaRef for T {
    fn schema_ref() -> RefOr<Schema> {
        Ref::from_schema_name(T::name()).into()
    }
}
