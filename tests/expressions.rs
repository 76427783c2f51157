//! CESQL and Knative Trigger filters on a real server over HTTP (DESIGN §10): `?filter=` on
//! `/stream`, `/api/events` and `/api/events/wait`, `POST /api/cesql/evaluate` and
//! `POST /api/triggers/preview`, with good and bad input. No test depends on timing: a stream
//! proves a refused event never arrives by receiving the matching event posted after it.
#![cfg(feature = "ssr")]

mod common;

use common::event;
use common::live::{Server, data, ids};
use serde_json::{Value, json};

const TOKEN: &str = "s3cret-token";

/// An order event with `seq` (an Integer extension) and `subject`.
fn order(id: &str, ty: &str, source: &str, seq: i64) -> Value {
    let mut e = event(id);
    e["type"] = json!(ty);
    e["source"] = json!(source);
    e["subject"] = json!(format!("order-{seq}"));
    e["seq"] = json!(seq);
    e
}

/// Status and JSON body of a request.
async fn call(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}")))
}

/// Asserts the error shape with this status and code; returns the error object.
fn refused(answer: &(u16, Value), status: u16, code: &str) -> Value {
    assert_eq!(answer.0, status, "{}", answer.1);
    let error = answer.1["error"].clone();
    assert_eq!(error["code"], code, "{}", answer.1);
    assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()), "{}", answer.1);
    assert!(error["details"].is_array(), "{}", answer.1);
    error
}

fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

async fn get(server: &Server, path: &str) -> (u16, Value) {
    call(server.http.get(server.url(path))).await
}

async fn evaluate(server: &Server, body: &Value) -> (u16, Value) {
    call(server.http.post(server.url("/api/cesql/evaluate")).json(body)).await
}

async fn preview(server: &Server, content_type: Option<&str>, body: &str) -> (u16, Value) {
    let mut request = server.http.post(server.url("/api/triggers/preview")).body(body.to_owned());
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    call(request).await
}

// ---- ?filter= ----

#[tokio::test]
async fn a_stream_with_a_filter_gets_matching_events_only() {
    let server = Server::start(&[]).await;
    let query = format!("?type=com.example.*&filter={}", encode("source LIKE '/orders/%' AND seq > 10"));
    let mut sse = server.stream(&query, None).await;
    let posted = server
        .post_batch(&[
            order("low", "com.example.order.created", "/orders/eu", 3),
            order("elsewhere", "com.example.order.created", "/billing", 50),
            order("other-type", "org.other.created", "/orders/eu", 50),
            order("hit", "com.example.order.created", "/orders/eu", 11),
        ])
        .await;
    let frames = sse.events(1).await;
    assert_eq!(data(&frames[0])["id"], "hit", "the three refused events never arrive before it");
    assert_eq!(ids(&frames), [posted[3].clone()]);
    // And live after a replay: a second matching event comes next.
    server
        .post_batch(&[
            order("miss", "com.example.x", "/x", 0),
            order("hit2", "com.example.y", "/orders/us", 99),
        ])
        .await;
    assert_eq!(data(&sse.events(1).await[0])["id"], "hit2");
}

#[tokio::test]
async fn a_replay_is_filtered_too_and_an_empty_filter_is_no_filter() {
    let server = Server::start(&[]).await;
    server.post_batch(&[order("a", "t.a", "/orders/1", 1), order("b", "t.b", "/orders/2", 2)]).await;
    let mut filtered = server.stream(&format!("?replay=10&filter={}", encode("type = 't.b'")), None).await;
    assert_eq!(data(&filtered.events(1).await[0])["id"], "b");
    let mut all = server.stream("?replay=10&filter=", None).await;
    let frames = all.events(2).await;
    assert_eq!((data(&frames[0])["id"].clone(), data(&frames[1])["id"].clone()), (json!("a"), json!("b")));
}

#[tokio::test]
async fn a_bad_filter_is_a_400_with_its_position_before_any_stream() {
    let server = Server::start(&[]).await;
    for path in ["/stream", "/api/events", "/api/events/wait"] {
        let answer = get(&server, &format!("{path}?filter={}", encode("type = 'a' AND ("))).await;
        let error = refused(&answer, 400, "invalid_expression");
        let detail = &error["details"][0];
        assert_eq!(detail["kind"], "parse", "{path}: {error}");
        assert!(detail["position"].as_u64().is_some_and(|p| p >= 13), "{path}: {error}");
        assert!(detail["message"].as_str().is_some_and(|m| !m.is_empty()), "{path}: {error}");
        assert!(error["message"].as_str().unwrap().starts_with("filter: "), "{error}");
    }
    assert_eq!(server.clients().await, 0, "no stream was opened");
}

#[tokio::test]
async fn api_events_pages_through_matching_events_only() {
    let server = Server::start(&[]).await;
    let events: Vec<Value> = (0..30).map(|i| order(&format!("e{i}"), "t", "/orders/x", i)).collect();
    let ids = server.post_batch(&events).await;
    let filter = encode("seq % 3 = 0");
    let (status, first) = get(&server, &format!("/api/events?filter={filter}&limit=4")).await;
    assert_eq!(status, 200, "{first}");
    let seqs = |page: &Value| -> Vec<i64> {
        page["events"].as_array().unwrap().iter().map(|e| e["event"]["seq"].as_i64().unwrap()).collect()
    };
    assert_eq!(seqs(&first), [0, 3, 6, 9]);
    assert_eq!(first["has_more"], true);
    let last = first["events"][3]["id"].as_str().unwrap();
    let (_, rest) = get(&server, &format!("/api/events?filter={filter}&after={last}&limit=100")).await;
    assert_eq!(seqs(&rest), [12, 15, 18, 21, 24, 27]);
    assert_eq!(rest["has_more"], false, "nothing matching is left");
    let (_, newest) = get(&server, &format!("/api/events?filter={filter}&before={}&limit=2", ids[29])).await;
    assert_eq!(seqs(&newest), [24, 27], "paging backwards keeps the newest matches, oldest first");
    assert_eq!(newest["has_more"], true);
    let (_, typed) =
        get(&server, &format!("/api/events?subject=order-1*&filter={}", encode("seq > 12"))).await;
    assert_eq!(seqs(&typed), [13, 14, 15, 16, 17, 18, 19], "patterns and the expression combine");
}

#[tokio::test]
async fn wait_returns_the_first_event_the_filter_accepts() {
    let server = Server::start(&[]).await;
    let ids = server
        .post_batch(&[
            order("x", "t", "/orders/1", 1),
            order("y", "t", "/orders/2", 20),
            order("z", "t", "/o", 30),
        ])
        .await;
    let before_all = "0-0";
    let path = format!("/api/events/wait?after={before_all}&timeout_ms=0&filter={}", encode("seq >= 20"));
    let (status, found) = get(&server, &path).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["id"], ids[1]);
    assert_eq!(found["event"]["id"], "y");
    let none = format!("/api/events/wait?after={before_all}&timeout_ms=0&filter={}", encode("seq > 100"));
    refused(&get(&server, &none).await, 408, "timeout");
}

// ---- POST /api/cesql/evaluate ----

#[tokio::test]
async fn evaluate_answers_the_value_and_the_errors() {
    let server = Server::start(&[]).await;
    let e = order("a", "com.example.order.created", "/orders/eu", 12);
    let cases = [
        ("type = 'com.example.order.created' AND seq > 10", json!(true)),
        ("seq + 1", json!(13)),
        ("UPPER(source)", json!("/ORDERS/EU")),
        ("subject LIKE 'order-%'", json!(true)),
    ];
    for (expression, value) in cases {
        let (status, answer) = evaluate(&server, &json!({"expression": expression, "event": e})).await;
        assert_eq!(status, 200, "{expression}: {answer}");
        assert_eq!(answer, json!({"value": value, "errors": []}), "{expression}");
    }
    let (status, answer) = evaluate(&server, &json!({"expression": "missing = 1", "event": e})).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["errors"][0]["kind"], "missingAttribute", "{answer}");
    assert!(answer["errors"][0]["message"].as_str().unwrap().contains("missing"), "{answer}");
    let (_, math) = evaluate(&server, &json!({"expression": "seq / 0", "event": e})).await;
    assert_eq!(math["errors"][0]["kind"], "math", "{math}");
}

#[tokio::test]
async fn evaluate_refuses_bad_expressions_events_and_bodies() {
    let server = Server::start(&["--max-body", "2KiB"]).await;
    let e = event("a");
    let parse = evaluate(&server, &json!({"expression": "type = ", "event": e})).await;
    let detail = refused(&parse, 400, "invalid_expression")["details"][0].clone();
    assert_eq!(detail["kind"], "parse");
    assert!(detail["position"].as_u64().is_some(), "{detail}");

    let mut bad = event("a");
    bad["time"] = json!("yesterday");
    let invalid = evaluate(&server, &json!({"expression": "true", "event": bad})).await;
    assert_eq!(refused(&invalid, 400, "invalid_event")["details"][0]["attribute"], "time");

    let missing = evaluate(&server, &json!({"expression": "true"})).await;
    refused(&missing, 400, "invalid_request");
    let not_json = call(
        server
            .http
            .post(server.url("/api/cesql/evaluate"))
            .header("content-type", "application/json")
            .body("{"),
    )
    .await;
    refused(&not_json, 400, "malformed_json");
    let untyped = call(server.http.post(server.url("/api/cesql/evaluate")).body("{}")).await;
    refused(&untyped, 415, "unsupported_media_type");
    let large = json!({"expression": format!("'{}' = 'x'", "a".repeat(4096)), "event": e});
    refused(&evaluate(&server, &large).await, 413, "body_too_large");
}

// ---- POST /api/triggers/preview ----

const TRIGGER_YAML: &str = "\
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata:
  name: orders-eu
spec:
  broker: default
  filters:
    - prefix:
        source: /orders
    - any:
        - exact:
            type: com.example.order.created
        - cesql: \"seq > 100\"
  subscriber:
    ref: {apiVersion: serving.knative.dev/v1, kind: Service, name: orders}
";

#[tokio::test]
async fn preview_runs_a_yaml_trigger_over_the_newest_events() {
    let server = Server::start(&[]).await;
    let ids = server
        .post_batch(&[
            order("created", "com.example.order.created", "/orders/eu", 1),
            order("billing", "com.example.order.created", "/billing", 2),
            order("big", "com.example.order.updated", "/orders/us", 500),
            order("small", "com.example.order.updated", "/orders/us", 5),
        ])
        .await;
    let (status, answer) = preview(&server, Some("application/yaml"), TRIGGER_YAML).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["trigger"], json!({"name": "orders-eu", "broker": "default", "rule": "filters"}));
    assert_eq!(answer["scanned"], 4);
    assert_eq!(answer["delivered"], json!([ids[2], ids[0]]), "newest first");
    let events = answer["events"].as_array().unwrap();
    assert_eq!(events.len(), 4);
    assert_eq!(
        events[0],
        json!({"id": ids[3], "event_id": "small", "type": "com.example.order.updated", "source": "/orders/us",
            "delivered": false, "refused_by": {"path": "spec.filters[1]", "dialect": "any",
            "reason": "no nested filter matched (spec.filters[1].any[0]: type is \"com.example.order.updated\", not \"com.example.order.created\"; spec.filters[1].any[1]: cesql evaluated to false)"}})
    );
    assert_eq!(events[1]["delivered"], true);
    assert_eq!(events[1]["refused_by"], Value::Null);
    assert_eq!(
        events[2]["refused_by"],
        json!({"path": "spec.filters[0]", "dialect": "prefix", "reason": "source does not start with \"/orders\""})
    );

    let limited = call(
        server
            .http
            .post(server.url("/api/triggers/preview?limit=1"))
            .header("content-type", "text/yaml")
            .body(TRIGGER_YAML),
    )
    .await;
    assert_eq!(limited.1["scanned"], 1, "{}", limited.1);
    assert_eq!(limited.1["events"][0]["event_id"], "small");
}

#[tokio::test]
async fn preview_reads_json_sniffs_untyped_bodies_and_takes_a_spec_or_a_list() {
    let server = Server::start(&[]).await;
    server.post_batch(&[order("a", "t.a", "/s", 1), order("b", "t.b", "/s", 2)]).await;
    let legacy =
        json!({"kind": "Trigger", "spec": {"filter": {"attributes": {"type": "t.a", "subject": ""}}}});
    let (status, answer) = preview(&server, Some("application/json"), &legacy.to_string()).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["trigger"]["rule"], "filter.attributes");
    assert_eq!(answer["events"][0]["refused_by"]["path"], "spec.filter.attributes.type");
    assert_eq!(answer["events"][1]["delivered"], true);

    let list = json!([{"not": {"exact": {"type": "t.a"}}}]).to_string();
    let (status, answer) = preview(&server, None, &list).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["delivered"].as_array().unwrap().len(), 1);
    assert_eq!(answer["events"][1]["refused_by"]["path"], "filters[0]");

    let spec = "filters:\n  - suffix: {type: .b}\nfilter:\n  attributes: {type: t.a}\n";
    let (status, answer) = preview(&server, Some("text/plain"), spec).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["trigger"]["rule"], "filters", "filters win over the legacy filter");
    assert_eq!(answer["events"][0]["event_id"], "b");
    assert_eq!(answer["events"][0]["delivered"], true);

    let everything = preview(&server, Some("application/yaml"), "spec:\n  broker: default\n").await;
    assert_eq!(everything.1["delivered"].as_array().unwrap().len(), 2, "{}", everything.1);
}

#[tokio::test]
async fn preview_refuses_invalid_triggers_naming_the_path() {
    let server = Server::start(&[]).await;
    let yaml = "spec:\n  filters:\n    - exact: {type: a}\n    - any:\n        - regex: {type: a.*}\n    - cesql: \"type = 'a' AND (\"\n";
    let answer = preview(&server, Some("application/yaml"), yaml).await;
    let error = refused(&answer, 400, "invalid_trigger");
    let details = error["details"].as_array().unwrap();
    assert_eq!(details.len(), 2, "{error}");
    assert_eq!(details[0]["path"], "spec.filters[1].any[0]");
    assert!(details[0]["message"].as_str().unwrap().starts_with("unknown dialect \"regex\""), "{error}");
    assert_eq!(details[1]["path"], "spec.filters[2].cesql");
    assert_eq!(details[1]["kind"], "parse");
    assert!(details[1]["position"].as_u64().is_some_and(|p| p >= 13), "{error}");
    assert!(
        error["message"].as_str().unwrap().starts_with("spec.filters[1].any[0]: unknown dialect"),
        "{error}"
    );

    let two = preview(
        &server,
        Some("application/json"),
        r#"{"spec": {"filters": [{"exact": {"type": "a"}, "not": {"exact": {"type": "b"}}}]}}"#,
    )
    .await;
    assert_eq!(
        refused(&two, 400, "invalid_trigger")["details"][0]["message"],
        "a filter needs exactly one dialect, got 2: exact, not"
    );
    refused(&preview(&server, Some("application/yaml"), "spec: [unclosed").await, 400, "malformed_yaml");
    // Aliases that would expand to 10^9 nodes, and nesting far past any Trigger's depth, are
    // refused while parsing, before they can take memory.
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..9u8 {
        let (name, previous) = (char::from(b'a' + level), char::from(b'a' + level - 1));
        bomb.push_str(&format!("{name}: &{name} [{}]\n", vec![format!("*{previous}"); 10].join(", ")));
    }
    bomb.push_str("spec:\n  filters:\n    - exact:\n        type: *i\n");
    refused(&preview(&server, Some("application/yaml"), &bomb).await, 400, "malformed_yaml");
    let deep = format!("spec: {}{}", "[".repeat(10_000), "]".repeat(10_000));
    refused(&preview(&server, Some("application/yaml"), &deep).await, 400, "malformed_yaml");
    refused(&preview(&server, Some("application/json"), "{\"spec\": ").await, 400, "malformed_json");
    refused(
        &preview(&server, Some("application/json"), r#"{"spec": {}, "spec": {}}"#).await,
        400,
        "duplicate_member",
    );
    refused(&preview(&server, Some("application/xml"), "<trigger/>").await, 415, "unsupported_media_type");
    refused(
        &preview(&server, Some("application/yaml"), "kind: Broker\nspec: {}\n").await,
        400,
        "invalid_trigger",
    );
    for limit in ["0", "10001", "many"] {
        let answer = call(
            server.http.post(server.url(&format!("/api/triggers/preview?limit={limit}"))).body("spec: {}"),
        )
        .await;
        refused(&answer, 400, "invalid_query");
    }
}

// ---- access ----

#[tokio::test]
async fn both_endpoints_and_filters_need_the_token_when_one_is_set() {
    let server = Server::start(&["--token", TOKEN]).await;
    let body = json!({"expression": "true", "event": event("a")});
    let bare = call(server.http.post(server.url("/api/cesql/evaluate")).json(&body)).await;
    refused(&bare, 401, "unauthorized");
    let bare = call(server.http.post(server.url("/api/triggers/preview")).body("spec: {}")).await;
    refused(&bare, 401, "unauthorized");
    let bare = get(&server, &format!("/api/events?filter={}", encode("true"))).await;
    refused(&bare, 401, "unauthorized");

    let signed =
        call(server.http.post(server.url("/api/cesql/evaluate")).bearer_auth(TOKEN).json(&body)).await;
    assert_eq!(signed, (200, json!({"value": true, "errors": []})));
    let signed =
        call(server.http.post(server.url("/api/triggers/preview")).bearer_auth(TOKEN).body("spec: {}")).await;
    assert_eq!(signed.0, 200, "{}", signed.1);
    let query =
        call(server.http.post(server.url(&format!("/api/triggers/preview?access_token={TOKEN}"))).body("[]"))
            .await;
    assert_eq!(query.0, 200, "{}", query.1);
}
