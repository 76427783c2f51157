//! `GET /api/openapi.json` against the router it describes: the document names exactly the
//! router's routes, and real answers of every route (errors included) and every `/stream` frame
//! kind are valid against the document's schemas.
#![cfg(feature = "ssr")]
// The router it builds holds every page's view type, deeper than the default limit of 128.
#![recursion_limit = "256"]

mod common;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::routing::get as get_route;
use cloudevent_player::app::App;
use cloudevent_player::core::protocol::FrameKind;
use cloudevent_player::core::sse::{Frame, Parser};
use common::live::{Server, data};
use common::{Reply, app, event, get, post, routes, send};
use futures::StreamExt;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use tower::ServiceExt;

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// The served document.
async fn document() -> Value {
    let reply = get(&app(&[]), "/api/openapi.json").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.headers["content-type"], "application/json");
    reply.json()
}

/// `(METHOD, path)` of every operation the document names.
fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut operations = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            if item.get(method).is_some() {
                operations.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    operations
}

/// `(METHOD, path)` of every route of `router`, read from axum's `Debug` of it: the path node's
/// patterns and each method router's `Allow` list (`HEAD` comes with `GET`). A route that takes
/// any method (no `Allow` list) is listed as `*`.
fn routes_of(router: &Router) -> BTreeSet<(String, String)> {
    let text = format!("{router:?}");
    let node = text.find("node: Node { paths: {").expect("axum's Debug shows the path node");
    let (endpoints, mut paths) = (&text[..node], &text[node + "node: Node { paths: {".len()..]);
    let mut routes = BTreeSet::new();
    // Entries `RouteId(n): "pattern"`; a pattern's own braces (`{id}`) sit inside its quotes.
    while let Some(rest) = paths.trim_start_matches(", ").strip_prefix("RouteId(") {
        let (number, rest) = rest.split_once("): \"").expect("`RouteId(n): \"pattern\"`");
        let (path, rest) = rest.split_once('"').expect("end of the pattern");
        paths = rest;
        let id = format!("RouteId({number})");
        let path = path.to_owned();
        let at = endpoints.find(&format!("{id}: ")).unwrap_or_else(|| panic!("endpoint of {id}"));
        let endpoint = &endpoints[at..];
        let next = endpoint[id.len()..].find("RouteId(").map_or(endpoint.len(), |n| n + id.len());
        let endpoint = &endpoint[..next];
        let allow = endpoint
            .find("allow_header: Bytes(b\"")
            .map(|start| &endpoint[start + "allow_header: Bytes(b\"".len()..])
            .map(|rest| &rest[..rest.find('"').expect("end of the Allow list")]);
        match allow {
            Some(methods) => {
                for method in methods.split(',').filter(|m| *m != "HEAD") {
                    routes.insert((method.to_owned(), path.clone()));
                }
            }
            None => {
                routes.insert(("*".to_owned(), path));
            }
        }
    }
    routes
}

/// The routes that are not API: the Leptos pages (`GET`) and the JSON 404 of unknown API paths.
fn not_api() -> BTreeSet<(String, String)> {
    let mut skip: BTreeSet<_> = leptos_axum::generate_route_list(App)
        .iter()
        .map(|route| ("GET".to_owned(), route.path().to_owned()))
        .collect();
    skip.insert(("*".to_owned(), "/api/{*rest}".to_owned()));
    skip
}

#[tokio::test]
async fn the_document_names_exactly_the_routes_of_the_router() {
    let doc = document().await;
    assert_eq!(doc["openapi"], "3.1.0");
    // OpenAPI has no catch-all parameter: `/r/{*name}` is documented as `/r/{name}`.
    let routed: BTreeSet<_> = routes_of(&routes(&[]))
        .difference(&not_api())
        .map(|(method, path)| (method.clone(), path.replace("{*", "{")))
        .collect();
    let documented = documented(&doc);
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(undocumented.is_empty(), "routes missing from the document: {undocumented:?}");
    assert!(unrouted.is_empty(), "the document names routes the router lacks: {unrouted:?}");
    // Ingest on `/` is API even though the page answers GET there.
    assert!(routed.contains(&("POST".to_owned(), "/".to_owned())));
    assert!(routed.contains(&("GET".to_owned(), "/api/openapi.json".to_owned())));
}

#[tokio::test]
async fn the_route_listing_sees_every_route_added_to_the_router() {
    let before = routes_of(&routes(&[]));
    let extra = routes(&[]).route("/api/extra/{id}", get_route(|| async { "x" }).delete(|| async { "y" }));
    let added: Vec<_> = routes_of(&extra).difference(&before).cloned().collect();
    let expected = [("DELETE", "/api/extra/{id}"), ("GET", "/api/extra/{id}")];
    assert_eq!(added, expected.map(|(m, p)| (m.to_owned(), p.to_owned())));
}

/// The document as a JSON Schema (2020-12) resource, so `$ref`s to `#/components/schemas/..`
/// resolve against it, and the operations each check has covered.
struct Checker {
    doc: Value,
    covered: BTreeSet<(String, String)>,
}

/// `text` as one token of a JSON pointer in a URI fragment (RFC 6901 §3 and §6).
fn pointer_token(text: &str) -> String {
    text.replace('~', "~0").replace('/', "~1").replace('{', "%7B").replace('}', "%7D")
}

impl Checker {
    async fn new() -> Self {
        Self { doc: document().await, covered: BTreeSet::new() }
    }

    /// Asserts that `value` is valid against the schema at the JSON pointer `pointer`.
    fn validate(&self, pointer: &str, value: &Value, what: &str) {
        let mut schema = self.doc.clone();
        schema["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
        schema["$ref"] = json!(format!("#{pointer}"));
        let validator =
            jsonschema::draft202012::new(&schema).unwrap_or_else(|e| panic!("{what}: schema: {e}"));
        let errors: Vec<String> =
            validator.iter_errors(value).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{what}: {value} does not match {pointer}: {errors:#?}");
    }

    /// Asserts that `body` is valid against the request body `method path` documents for
    /// `content_type`.
    fn check_request(&self, method: &str, path: &str, content_type: &str, body: &Value) {
        let op = method.to_lowercase();
        let content = &self.doc["paths"][path][&op]["requestBody"]["content"][content_type];
        assert!(content.is_object(), "{method} {path}: no `{content_type}` request body documented");
        let pointer = format!(
            "/paths/{}/{op}/requestBody/content/{}/schema",
            pointer_token(path),
            pointer_token(content_type)
        );
        self.validate(&pointer, body, &format!("{method} {path} request"));
    }

    /// Asserts the reply's status and content type are documented for `method path` and its
    /// JSON body is valid against that response's schema; an error's code is named in the
    /// status's description.
    fn check(&mut self, method: &str, path: &str, reply: &Reply) {
        let what = format!("{method} {path} -> {}", reply.status);
        let op = method.to_lowercase();
        let status = reply.status.as_u16().to_string();
        let response = &self.doc["paths"][path][&op]["responses"][&status];
        assert!(response.is_object(), "{what} is not documented: {}", reply.text());
        let content_type = reply.headers.get("content-type").map(|v| v.to_str().unwrap().to_owned());
        if let Some(content_type) = content_type.filter(|_| !reply.body.is_empty()) {
            let media = content_type.split(';').next().unwrap().trim();
            let content =
                response["content"].as_object().unwrap_or_else(|| panic!("{what}: no content documented"));
            let key = content
                .keys()
                .find(|k| *k == &content_type || k.split(';').next().unwrap().trim() == media)
                .unwrap_or_else(|| panic!("{what}: `{content_type}` is not among {:?}", content.keys()));
            if media == "application/json" {
                let pointer = format!(
                    "/paths/{}/{op}/responses/{status}/content/{}/schema",
                    pointer_token(path),
                    pointer_token(key)
                );
                self.validate(&pointer, &reply.json(), &what);
            }
        }
        if reply.status.is_client_error() || reply.status.is_server_error() {
            let code = reply.json()["error"]["code"]
                .as_str()
                .unwrap_or_else(|| panic!("{what}: error shape"))
                .to_owned();
            let description = response["description"].as_str().unwrap_or_default();
            assert!(
                description.contains(&format!("`{code}`")),
                "{what}: `{code}` is not named in {description:?}"
            );
        }
        self.covered.insert((method.to_owned(), path.to_owned()));
    }
}

async fn request(app: &Router, method: Method, uri: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    let mut request = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    send(app, request.body(Body::from(body.to_owned())).unwrap()).await
}

const STRUCTURED: (&str, &str) = ("content-type", "application/cloudevents+json");
const JSON: (&str, &str) = ("content-type", "application/json");

#[tokio::test]
async fn real_answers_of_every_route_match_the_document() {
    let mut c = Checker::new().await;
    let app = app(&["--max-body", "4KiB"]);

    // Ingest, in each mode and on each path, and its refusals.
    c.check_request("POST", "/", STRUCTURED.1, &event("a1"));
    c.check("POST", "/", &post(&app, "/", &[STRUCTURED], event("a1").to_string()).await);
    c.check_request(
        "POST",
        "/events",
        "application/cloudevents-batch+json",
        &json!([event("b1"), event("b2")]),
    );
    let batch = json!([event("b1"), event("b2")]).to_string();
    let reply = post(&app, "/events", &[("content-type", "application/cloudevents-batch+json")], batch).await;
    c.check("POST", "/events", &reply);
    let binary = [
        ("ce-specversion", "1.0"),
        ("ce-id", "c1"),
        ("ce-source", "/s"),
        ("ce-type", "t"),
        ("content-type", "text/plain"),
    ];
    c.check("POST", "/events/pub", &post(&app, "/events/pub", &binary, "hello").await);
    let mut invalid = event("bad");
    invalid["time"] = json!("soon");
    c.check("POST", "/events", &post(&app, "/events", &[STRUCTURED], invalid.to_string()).await);
    c.check("POST", "/events", &post(&app, "/events", &[STRUCTURED], "{not json").await);
    c.check("POST", "/events", &post(&app, "/events", &[("content-type", "text/plain")], "no event").await);
    let big = post(&app, "/events", &[STRUCTURED], "x".repeat(8 * 1024)).await;
    assert_eq!(big.status, StatusCode::PAYLOAD_TOO_LARGE);
    c.check("POST", "/events", &big);
    let xml = post(&app, "/events", &[("content-type", "application/cloudevents+xml")], "<e/>").await;
    c.check("POST", "/events", &xml);
    let zip = post(&app, "/events", &[STRUCTURED, ("content-encoding", "compress")], "x").await;
    c.check("POST", "/events", &zip);
    let handshake = [("webhook-request-origin", "eventgrid.azure.net")];
    c.check("OPTIONS", "/", &request(&app, Method::OPTIONS, "/", &handshake, "").await);
    c.check("OPTIONS", "/events", &request(&app, Method::OPTIONS, "/events", &[], "").await);
    c.check("OPTIONS", "/events/pub", &request(&app, Method::OPTIONS, "/events/pub", &[], "").await);
    c.check("POST", "/r/{name}", &post(&app, "/r/orders/eu", &[STRUCTURED], event("r1").to_string()).await);
    c.check("OPTIONS", "/r/{name}", &request(&app, Method::OPTIONS, "/r/orders", &handshake, "").await);

    // The delivery lab: rules, a rule's answers, and the deliveries they recorded.
    let rules = json!({"rules": [{"name": "flaky", "match": {"path": "/r/flaky"},
        "action": {"fail_first": 1, "retry_after": "1"}},
        {"name": "reply", "match": {"path": "/r/reply"}, "action": {"reply": {"event": event("re1")}}}]});
    c.check_request("PUT", "/api/rules", JSON.1, &rules);
    c.check(
        "PUT",
        "/api/rules",
        &request(&app, Method::PUT, "/api/rules", &[JSON], &rules.to_string()).await,
    );
    let unnamed = r#"{"rules": [{"name": "", "match": {"filter": "type ="}}]}"#;
    c.check("PUT", "/api/rules", &request(&app, Method::PUT, "/api/rules", &[JSON], unnamed).await);
    c.check("PUT", "/api/rules", &request(&app, Method::PUT, "/api/rules", &[JSON], "{not json").await);
    let plain = [("content-type", "text/plain")];
    c.check("PUT", "/api/rules", &request(&app, Method::PUT, "/api/rules", &plain, "{}").await);
    c.check("GET", "/api/rules", &get(&app, "/api/rules").await);
    let refused = post(&app, "/r/flaky", &[STRUCTURED], event("l1").to_string()).await;
    assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE, "{}", refused.text());
    c.check("POST", "/r/{name}", &refused);
    c.check("POST", "/r/{name}", &post(&app, "/r/flaky", &[STRUCTURED], event("l1").to_string()).await);
    let replied = post(&app, "/r/reply", &[STRUCTURED], event("l2").to_string()).await;
    assert_eq!(replied.status, StatusCode::OK, "{}", replied.text());
    c.check("POST", "/r/{name}", &replied);
    let policy = "retry=1&backoffPolicy=linear&backoffDelay=PT1S";
    let source = "https%3A%2F%2Fexample.com%2Forders";
    let deliveries = get(&app, &format!("/api/deliveries?source={source}&id=l1&{policy}")).await;
    assert_eq!(deliveries.json()["deliveries"].as_array().map(Vec::len), Some(2), "{}", deliveries.text());
    c.check("GET", "/api/deliveries", &deliveries);
    c.check("GET", "/api/deliveries", &get(&app, "/api/deliveries?source=x").await);
    c.check_request("POST", "/api/rules/preview", JSON.1, &rules);
    let preview = post(&app, "/api/rules/preview", &[JSON], rules.to_string()).await;
    assert_eq!(preview.json()["rules"][0]["matches"], 2, "{}", preview.text());
    c.check("POST", "/api/rules/preview", &preview);
    c.check("POST", "/api/rules/preview", &post(&app, "/api/rules/preview", &[JSON], unnamed).await);
    c.check("POST", "/api/rules/preview", &post(&app, "/api/rules/preview", &plain, "{}").await);
    c.check(
        "PUT",
        "/api/rules",
        &request(&app, Method::PUT, "/api/rules", &[JSON], r#"{"rules": []}"#).await,
    );

    // The history.
    let page = get(&app, "/api/events").await;
    c.check("GET", "/api/events", &page);
    let first = page.json()["events"][0]["id"].as_str().unwrap().to_owned();
    c.check("GET", "/api/events", &get(&app, "/api/events?limit=0").await);
    c.check("GET", "/api/events/{id}", &get(&app, &format!("/api/events/{first}")).await);
    c.check("GET", "/api/events/{id}", &get(&app, "/api/events/1-0").await);
    c.check("GET", "/api/events/{id}", &get(&app, "/api/events/yesterday").await);
    c.check("GET", "/api/events/wait", &get(&app, "/api/events/wait?after=0-0&timeout_ms=0").await);
    c.check("GET", "/api/events/wait", &get(&app, "/api/events/wait?timeout_ms=0").await);
    c.check("GET", "/api/events/wait", &get(&app, "/api/events/wait?timeout_ms=soon").await);
    let rejections = get(&app, "/api/rejections").await;
    c.check("GET", "/api/rejections", &rejections);
    c.check("GET", "/api/rejections", &get(&app, "/api/rejections?limit=x").await);
    let rejection = rejections.json()["rejections"][0]["id"].clone();
    c.check("GET", "/api/rejections/{id}", &get(&app, &format!("/api/rejections/{rejection}")).await);
    c.check("GET", "/api/rejections/{id}", &get(&app, "/api/rejections/999999").await);
    c.check("GET", "/api/rejections/{id}", &get(&app, "/api/rejections/x").await);

    // Sending.
    let to_self = json!({"target": "self", "mode": "binary", "event": event("s1")});
    c.check_request("POST", "/api/send", "application/json", &to_self);
    let to_self = to_self.to_string();
    c.check("POST", "/api/send", &post(&app, "/api/send", &[JSON], to_self).await);
    let nowhere = json!({"target": "nowhere", "event": event("s2")}).to_string();
    c.check("POST", "/api/send", &post(&app, "/api/send", &[JSON], nowhere).await);
    let invalid = json!({"target": "self", "event": invalid}).to_string();
    c.check("POST", "/api/send", &post(&app, "/api/send", &[JSON], invalid).await);
    c.check("POST", "/api/send", &post(&app, "/api/send", &[JSON], r#"{"target": 1}"#).await);
    c.check("POST", "/api/send", &post(&app, "/api/send", &[("content-type", "text/plain")], "{}").await);
    c.check("GET", "/api/sinks", &get(&app, "/api/sinks").await);

    // CESQL and the Trigger dry-run (the history still holds the events posted above).
    let filtered = get(&app, "/api/events?filter=type%20%3D%20%27com.example.order.created%27").await;
    assert_eq!(filtered.status, StatusCode::OK, "{}", filtered.text());
    c.check("GET", "/api/events", &filtered);
    c.check("GET", "/api/events", &get(&app, "/api/events?filter=type%20%3D").await);
    c.check("GET", "/api/events/wait", &get(&app, "/api/events/wait?filter=(&timeout_ms=0").await);
    let evaluate = json!({"expression": "id = 'e1'", "event": event("e1")});
    c.check_request("POST", "/api/cesql/evaluate", "application/json", &evaluate);
    let answer = post(&app, "/api/cesql/evaluate", &[JSON], evaluate.to_string()).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    c.check("POST", "/api/cesql/evaluate", &answer);
    let missing = json!({"expression": "nothere", "event": event("e1")}).to_string();
    let with_errors = post(&app, "/api/cesql/evaluate", &[JSON], missing).await;
    assert!(with_errors.json()["errors"].as_array().is_some_and(|e| !e.is_empty()), "{}", with_errors.text());
    c.check("POST", "/api/cesql/evaluate", &with_errors);
    let unparsable = json!({"expression": "id = ", "event": event("e1")}).to_string();
    c.check("POST", "/api/cesql/evaluate", &post(&app, "/api/cesql/evaluate", &[JSON], unparsable).await);
    let bad_event = json!({"expression": "true", "event": {"id": 1}}).to_string();
    c.check("POST", "/api/cesql/evaluate", &post(&app, "/api/cesql/evaluate", &[JSON], bad_event).await);
    c.check("POST", "/api/cesql/evaluate", &post(&app, "/api/cesql/evaluate", &[], "{}").await);
    let yaml = [("content-type", "application/yaml")];
    let trigger = "kind: Trigger\nmetadata: {name: t}\nspec:\n  filters:\n    - exact: {type: com.example.order.created}\n";
    let preview = post(&app, "/api/triggers/preview", &yaml, trigger).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.text());
    assert!(preview.json()["events"].as_array().is_some_and(|e| !e.is_empty()), "{}", preview.text());
    c.check("POST", "/api/triggers/preview", &preview);
    let refusing = post(&app, "/api/triggers/preview", &[JSON], r#"[{"exact": {"type": "other"}}]"#).await;
    assert!(refusing.json()["events"][0]["refused_by"].is_object(), "{}", refusing.text());
    c.check("POST", "/api/triggers/preview", &refusing);
    let invalid_trigger = "spec:\n  filters:\n    - regex: {type: a}\n    - cesql: \"type = \"\n";
    c.check(
        "POST",
        "/api/triggers/preview",
        &post(&app, "/api/triggers/preview", &yaml, invalid_trigger).await,
    );
    c.check("POST", "/api/triggers/preview", &post(&app, "/api/triggers/preview", &yaml, "a: [").await);
    c.check("POST", "/api/triggers/preview", &post(&app, "/api/triggers/preview?limit=0", &yaml, "[]").await);
    let xml = [("content-type", "application/xml")];
    c.check("POST", "/api/triggers/preview", &post(&app, "/api/triggers/preview", &xml, "<t/>").await);
    let oversized = format!("# {}\nspec: {{}}\n", "x".repeat(8 * 1024));
    c.check("POST", "/api/triggers/preview", &post(&app, "/api/triggers/preview", &yaml, oversized).await);

    // The stream's head (its frames: `stream_frames_match_the_document`), and its refusals.
    let head = app.clone().oneshot(Request::get("/stream").body(Body::empty()).unwrap()).await.unwrap();
    let head = Reply { status: head.status(), headers: head.headers().clone(), body: Vec::new() };
    assert_eq!(head.headers["content-type"], "text/event-stream");
    c.check("GET", "/stream", &head);
    c.check("GET", "/stream", &get(&app, "/stream?replay=all").await);
    let bad_header = Request::get("/stream").header("last-event-id", "nope").body(Body::empty()).unwrap();
    c.check("GET", "/stream", &send(&app, bad_header).await);
    c.check("GET", "/stream", &get(&app, "/stream?filter=%28").await);

    // Operations, sign-in, and clearing last.
    c.check("GET", "/api/status", &get(&app, "/api/status").await);
    c.check("GET", "/metrics", &get(&app, "/metrics").await);
    c.check("GET", "/healthz", &get(&app, "/healthz").await);
    c.check("GET", "/health", &get(&app, "/health").await);
    c.check("GET", "/api/openapi.json", &get(&app, "/api/openapi.json").await);
    let form = [("content-type", "application/x-www-form-urlencoded")];
    c.check(
        "POST",
        "/api/session",
        &request(&app, Method::POST, "/api/session", &form, "token=&next=%2F").await,
    );
    c.check("DELETE", "/api/session", &request(&app, Method::DELETE, "/api/session", &[], "").await);
    c.check("DELETE", "/api/events", &request(&app, Method::DELETE, "/api/events", &[], "").await);

    // The access rules every route but health keeps.
    let guarded = common::app(&["--token", "t0k3n"]);
    c.check("GET", "/api/events", &get(&guarded, "/api/events").await);
    c.check("GET", "/api/openapi.json", &get(&guarded, "/api/openapi.json").await);
    let json_accept = [("accept", "application/json"), form[0]];
    let wrong = request(&guarded, Method::POST, "/api/session", &json_accept, "token=wrong").await;
    c.check("POST", "/api/session", &wrong);
    let elsewhere = request(&app, Method::GET, "/api/status", &[("host", "evil.example")], "").await;
    assert_eq!(elsewhere.status, StatusCode::FORBIDDEN);
    c.check("GET", "/api/status", &elsewhere);

    let unchecked: Vec<_> = documented(&c.doc).difference(&c.covered).cloned().collect();
    assert!(unchecked.is_empty(), "operations without a real answer checked here: {unchecked:?}");
}

/// A frame as the document's `StreamFrame` describes it: the `event`, the `id` if any, and the
/// `data` parsed as JSON.
fn frame_value(frame: &Frame) -> Value {
    let mut value = json!({"event": frame.event, "data": data(frame)});
    if let Some(id) = &frame.id {
        value["id"] = json!(id);
    }
    value
}

#[tokio::test]
async fn stream_frames_match_the_document() {
    let c = Checker::new().await;
    let server = Server::start(&["--ping-interval", "100ms"]).await;
    let mut seen = BTreeSet::new();
    let check = |seen: &mut BTreeSet<String>, frame: &Frame| {
        c.validate("/components/schemas/StreamFrame", &frame_value(frame), "a /stream frame");
        seen.insert(frame.event.clone().unwrap_or_default());
    };

    // `connected` (the helper below reads it too, but only checks some members).
    let response = server.http.get(server.url("/stream")).send().await.unwrap();
    let mut body = response.bytes_stream();
    let mut parser = Parser::new();
    let connected = loop {
        let chunk = body.next().await.expect("the stream stays open").unwrap();
        if let Some(frame) = parser.push(&chunk).into_iter().next() {
            break frame;
        }
    };
    check(&mut seen, &connected);
    drop(body);

    // An id of another history: `gap`, then the history (`cloudevent`).
    let posted = server.post_batch(&[event("f1")]).await;
    let mut sse = server.stream("", Some("1-0")).await;
    let reply = server
        .http
        .post(server.url("/events"))
        .header("content-type", "application/cloudevents+json")
        .body(r#"{"specversion":"1.0","id":"1","source":"s","type":"t","time":"soon"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 400);
    assert_eq!(server.http.delete(server.url("/api/events")).send().await.unwrap().status(), 200);
    while seen.len() < FrameKind::ALL.len() {
        let frame = sse.next().await;
        if frame.event.as_deref() == Some("cloudevent") {
            assert_eq!(frame.id.as_deref(), Some(posted[0].as_str()));
        }
        check(&mut seen, &frame);
    }
    let kinds: BTreeSet<String> = FrameKind::ALL.iter().map(|k| k.as_str().to_owned()).collect();
    assert_eq!(seen, kinds, "every frame kind was checked");
}

#[tokio::test]
async fn shapes_the_document_does_not_describe_fail_the_check() {
    let c = Checker::new().await;
    let frame = json!({"event": "cloudevent", "id": "1-0", "data": {"id": "x"}});
    let schema = "/components/schemas/StreamFrame";
    let result = std::panic::catch_unwind(|| c.validate(schema, &frame, "an event without specversion"));
    assert!(result.is_err(), "a CloudEvent without its required attributes is refused");
    let send = json!({"target": "self", "mode": "batch", "event": event("x")});
    let result = std::panic::catch_unwind(|| c.check_request("POST", "/api/send", "application/json", &send));
    assert!(result.is_err(), "`batch` is not a mode of /api/send");
    let unknown = json!({"event": "presence", "data": {}});
    assert!(std::panic::catch_unwind(|| c.validate(schema, &unknown, "an unknown kind")).is_err());
}
