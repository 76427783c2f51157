//! The delivery lab on a real server over HTTP (DESIGN §11): response rules (`GET`/`PUT
//! /api/rules`), the answers they give on every ingest path and `/r/<name>`, the delivery records,
//! and `/api/deliveries` judging producers written here: one that retries like Knative, one that
//! ignores `Retry-After`. Time is only ever asserted as "waited at least".
#![cfg(feature = "ssr")]

mod common;

use common::event;
use common::live::Server;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const SOURCE: &str = "https%3A%2F%2Fexample.com%2Forders";
const STRUCTURED: &str = "application/cloudevents+json";

/// Status, headers and body text of a request.
async fn call(request: reqwest::RequestBuilder) -> (u16, reqwest::header::HeaderMap, String) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

async fn put_rules(server: &Server, rules: &Value) -> (u16, Value) {
    let (status, _, body) = call(server.http.put(server.url("/api/rules")).json(rules)).await;
    (status, json_of(&body))
}

/// Puts rules that must be accepted.
async fn rules(server: &Server, rules: Value) {
    let (status, body) = put_rules(server, &json!({ "rules": rules })).await;
    assert_eq!(status, 200, "{body}");
}

/// Posts `event` in structured mode to `path`; the status and body.
async fn deliver(server: &Server, path: &str, event: &Value) -> (u16, reqwest::header::HeaderMap, String) {
    call(server.http.post(server.url(path)).header("content-type", STRUCTURED).body(event.to_string())).await
}

async fn deliveries(server: &Server, id: &str, policy: &str) -> Value {
    let (status, _, body) =
        call(server.http.get(server.url(&format!("/api/deliveries?source={SOURCE}&id={id}&{policy}")))).await;
    assert_eq!(status, 200, "{body}");
    json_of(&body)
}

/// Delivers `event` to `path` as a Knative dispatcher would: retried after 5xx, 404, 408, 409 and
/// 429, at most `retry` times, retry `n` waiting `delay * 2^(n-1)` (exponential backoff).
async fn knative_producer(
    server: &Server,
    path: &str,
    event: &Value,
    retry: u32,
    delay: Duration,
) -> Vec<u16> {
    let mut statuses = Vec::new();
    for n in 0..=retry {
        if n > 0 {
            tokio::time::sleep(delay * 2u32.pow(n - 1)).await;
        }
        let (status, _, _) = deliver(server, path, event).await;
        statuses.push(status);
        if !(status >= 500 || [404, 408, 409, 429].contains(&status)) {
            break;
        }
    }
    statuses
}

fn statuses(answer: &Value) -> Vec<u64> {
    answer["deliveries"].as_array().unwrap().iter().map(|d| d["status"].as_u64().unwrap()).collect()
}

#[tokio::test]
async fn a_producer_retrying_like_knative_matches_its_policy_and_a_wrong_count_does_not() {
    let server = Server::start(&[]).await;
    rules(&server, json!([{"name": "flaky", "match": {"path": "/r/orders"}, "action": {"fail_first": 2}}]))
        .await;
    let sent = knative_producer(&server, "/r/orders", &event("k1"), 3, Duration::from_millis(200)).await;
    assert_eq!(sent, [503, 503, 202]);
    // Refused by a rule is not rejected: all three are kept, two counted as refused.
    let (_, _, body) = call(server.http.get(server.url("/api/status"))).await;
    let status = json_of(&body);
    assert_eq!(
        (&status["total_events"], &status["refused"], &status["rejected"]),
        (&json!(3), &json!(2), &json!(0))
    );

    // A loaded test machine stretches each wait by its own scheduling: a wide tolerance.
    let policy = "retry=3&backoffPolicy=exponential&backoffDelay=PT0.2S&tolerance=0.9";
    let answer = deliveries(&server, "k1", policy).await;
    assert_eq!(statuses(&answer), [503, 503, 202]);
    let rows = answer["deliveries"].as_array().unwrap();
    let attempts: Vec<_> = rows.iter().map(|d| d["attempt"].as_u64().unwrap()).collect();
    assert_eq!(attempts, [1, 2, 3]);
    assert!(rows.iter().all(|d| d["rule"] == "flaky"), "{answer}");
    assert!(rows[0].get("interval_ms").is_none());
    // Arrival times are kept to the millisecond: a wait of 200 ms may read 199.
    assert!(rows[1]["interval_ms"].as_i64().unwrap() >= 199, "{answer}");
    assert!(rows[2]["interval_ms"].as_i64().unwrap() >= 399, "{answer}");
    let verdict = &answer["verdict"];
    assert_eq!(verdict["matches"], true, "{answer}");
    assert_eq!(
        (verdict["expected_retries"].as_u64(), verdict["actual_retries"].as_u64()),
        (Some(2), Some(2))
    );
    let expected: Vec<_> =
        verdict["intervals"].as_array().unwrap().iter().map(|i| i["expected_ms"].clone()).collect();
    assert_eq!(expected, [json!(200), json!(400)]);

    let one_retry = deliveries(&server, "k1", "retry=1&backoffPolicy=exponential&backoffDelay=PT0.2S").await;
    assert_eq!(one_retry["verdict"]["matches"], false);
    assert!(
        one_retry["verdict"]["reasons"][0].as_str().unwrap().starts_with("went on too long"),
        "{one_retry}"
    );

    let without_policy = deliveries(&server, "k1", "").await;
    assert!(without_policy.get("verdict").is_none(), "{without_policy}");
    let (status, _, body) = call(server.http.get(server.url("/api/deliveries?id=k1"))).await;
    assert_eq!((status, json_of(&body)["error"]["code"].clone()), (400, json!("invalid_query")));
    let (status, _, body) = call(
        server.http.get(server.url(&format!("/api/deliveries?source={SOURCE}&id=k1&backoffDelay=soon"))),
    )
    .await;
    assert_eq!(status, 400);
    assert!(json_of(&body)["error"]["message"].as_str().unwrap().starts_with("backoffDelay"), "{body}");
}

#[tokio::test]
async fn a_producer_ignoring_retry_after_is_called_out_and_one_honouring_it_is_not() {
    let server = Server::start(&[]).await;
    rules(&server, json!([{"name": "busy", "action": {"status": 429, "retry_after": "1", "fail_first": 1}}]))
        .await;
    let (status, headers, _) = deliver(&server, "/events", &event("hasty")).await;
    assert_eq!((status, headers["retry-after"].to_str().unwrap()), (429, "1"));
    assert_eq!(deliver(&server, "/events", &event("hasty")).await.0, 202, "retried at once");
    let policy = "retry=3&backoffPolicy=exponential&backoffDelay=PT0.01S";
    let hasty = deliveries(&server, "hasty", policy).await;
    let verdict = &hasty["verdict"];
    assert_eq!(verdict["matches"], false, "{hasty}");
    assert_eq!(verdict["intervals"][0]["retry_after_ms"], 1000);
    assert_eq!(verdict["intervals"][0]["retry_after_honoured"], false);
    assert!(
        verdict["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.as_str().unwrap().starts_with("ignores Retry-After")),
        "{hasty}"
    );
    assert_eq!(hasty["deliveries"][0]["retry_after"], "1");

    deliver(&server, "/events", &event("patient")).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    deliver(&server, "/events", &event("patient")).await;
    let patient = deliveries(&server, "patient", &format!("{policy}&tolerance=0.5")).await;
    assert_eq!(patient["verdict"]["intervals"][0]["retry_after_honoured"], true, "{patient}");
    assert_eq!(patient["verdict"]["matches"], true, "{patient}");
}

#[tokio::test]
async fn a_delay_holds_the_answer_and_is_recorded() {
    let server = Server::start(&[]).await;
    rules(&server, json!([{"name": "slow", "action": {"delay": "300ms"}}])).await;
    let started = Instant::now();
    let (status, _, body) = deliver(&server, "/events", &event("d1")).await;
    assert_eq!(status, 202, "{body}");
    assert!(started.elapsed() >= Duration::from_millis(300), "answered after {:?}", started.elapsed());
    let history = server.history().await;
    assert_eq!(history[0]["delivery"], json!({"attempt": 1, "status": 202, "rule": "slow", "delay_ms": 300}));
    let (status, body) =
        put_rules(&server, &json!({"rules": [{"name": "long", "action": {"delay": "61s"}}]})).await;
    assert_eq!((status, body["error"]["details"][0]["path"].clone()), (400, json!("rules[0].action.delay")));
}

#[tokio::test]
async fn a_seeded_fail_rate_answers_alike_on_every_server() {
    let rule = json!([{"name": "coin", "action": {"fail_rate": {"probability": 0.5, "seed": 7}}}]);
    let mut runs = Vec::new();
    for _ in 0..2 {
        let server = Server::start(&[]).await;
        rules(&server, rule.clone()).await;
        let mut run = Vec::new();
        for _ in 0..10 {
            run.push(deliver(&server, "/events", &event("coin")).await.0);
        }
        runs.push(run);
    }
    assert_eq!(runs[0], runs[1], "the same seed fails the same attempts");
    assert!(runs[0].contains(&503) && runs[0].contains(&202), "{:?}", runs[0]);
}

#[tokio::test]
async fn a_reply_event_comes_back_in_binary_or_structured_mode() {
    let server = Server::start(&[]).await;
    let mut reply = event("reply-1");
    reply["type"] = json!("com.example.order.confirmed");
    rules(
        &server,
        json!([
            {"name": "binary", "match": {"path": "/r/binary"}, "action": {"reply": {"event": reply, "mode": "binary"}}},
            {"name": "structured", "match": {"path": "/r/structured"}, "action": {"reply": {"event": reply}}}
        ]),
    )
    .await;
    let (status, headers, body) = deliver(&server, "/r/binary", &event("q1")).await;
    assert_eq!(status, 200);
    assert_eq!(headers["ce-id"], "reply-1");
    assert_eq!(headers["ce-type"], "com.example.order.confirmed");
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(json_of(&body), json!({"n": 1}));
    let (status, headers, body) = deliver(&server, "/r/structured", &event("q2")).await;
    assert_eq!((status, headers["content-type"].to_str().unwrap()), (200, STRUCTURED));
    assert_eq!(json_of(&body)["id"], "reply-1");
    let history = server.history().await;
    assert_eq!(history.len(), 2, "the deliveries are stored, the replies are not");
    assert_eq!(history[0]["delivery"]["status"], 200);

    let mut broken = reply.clone();
    broken.as_object_mut().unwrap().remove("source");
    let (status, body) =
        put_rules(&server, &json!({"rules": [{"name": "r", "action": {"reply": {"event": broken}}}]})).await;
    assert_eq!(
        (status, body["error"]["details"][0]["path"].clone()),
        (400, json!("rules[0].action.reply.event"))
    );
}

#[tokio::test]
async fn every_bad_rule_field_is_a_400_naming_its_path_and_changes_nothing() {
    let server = Server::start(&[]).await;
    rules(&server, json!([{"name": "kept", "action": {"status": 500}}])).await;
    let cases = [
        (json!({"rules": [{"name": ""}]}), "rules[0].name"),
        (json!({"rules": [{"name": "a"}, {"name": "a"}]}), "rules[1].name"),
        (json!({"rules": [{"name": "a", "match": {"path": "orders"}}]}), "rules[0].match.path"),
        (json!({"rules": [{"name": "a", "match": {"filter": "type = "}}]}), "rules[0].match.filter"),
        (json!({"rules": [{"name": "a", "action": {"status": 99}}]}), "rules[0].action.status"),
        (json!({"rules": [{"name": "a", "action": {"status": "503"}}]}), "rules[0].action.status"),
        (json!({"rules": [{"name": "a", "action": {"retry_after": "soon"}}]}), "rules[0].action.retry_after"),
        (json!({"rules": [{"name": "a", "action": {"delay": "forever"}}]}), "rules[0].action.delay"),
        (json!({"rules": [{"name": "a", "action": {"fail_first": -1}}]}), "rules[0].action.fail_first"),
        (
            json!({"rules": [{"name": "a", "action": {"fail_rate": {"probability": 2}}}]}),
            "rules[0].action.fail_rate.probability",
        ),
        (json!({"rules": [{"name": "a", "action": {"content_type": ""}}]}), "rules[0].action.content_type"),
        (json!({"rules": [{"name": "a", "action": {"colour": "red"}}]}), "rules[0].action.colour"),
    ];
    for (document, path) in cases {
        let (status, body) = put_rules(&server, &document).await;
        assert_eq!(status, 400, "{document}: {body}");
        assert_eq!(body["error"]["code"], "invalid_rules", "{body}");
        assert_eq!(body["error"]["details"][0]["path"], path, "{document}: {body}");
    }
    let (status, _, body) = call(server.http.put(server.url("/api/rules")).body("{}")).await;
    assert_eq!((status, json_of(&body)["error"]["code"].clone()), (415, json!("unsupported_media_type")));
    let (status, _, body) = call(server.http.get(server.url("/api/rules"))).await;
    assert_eq!(status, 200);
    assert_eq!(json_of(&body)["rules"][0]["name"], "kept", "a refused PUT changes nothing");
}

#[tokio::test]
async fn paths_and_filters_choose_the_rule_and_a_batch_is_answered_by_its_first_event() {
    let server = Server::start(&[]).await;
    rules(
        &server,
        json!([
            {"name": "orders", "match": {"path": "/r/orders"}, "action": {"status": 503}},
            {"name": "teams", "match": {"path": "/r/team-*"}, "action": {"status": 500, "body": "down", "content_type": "text/plain"}},
            {"name": "first-b1", "match": {"filter": "id = 'b1'"}, "action": {"status": 429}}
        ]),
    )
    .await;
    assert_eq!(deliver(&server, "/r/orders", &event("p1")).await.0, 503);
    let (status, headers, body) = deliver(&server, "/r/team-a", &event("p2")).await;
    assert_eq!(
        (status, headers["content-type"].to_str().unwrap(), body.as_str()),
        (500, "text/plain", "down")
    );
    assert_eq!(deliver(&server, "/r/other", &event("p3")).await.0, 202);
    assert_eq!(deliver(&server, "/events", &event("p4")).await.0, 202);

    let batch = |ids: [&str; 2]| json!([event(ids[0]), event(ids[1])]).to_string();
    let post_batch = |body: String| {
        server
            .http
            .post(server.url("/events"))
            .header("content-type", "application/cloudevents-batch+json")
            .body(body)
    };
    assert_eq!(call(post_batch(batch(["b1", "b2"]))).await.0, 429);
    assert_eq!(call(post_batch(batch(["b2", "b1"]))).await.0, 202, "b1 is not first");
    let history = server.history().await;
    assert_eq!(history.len(), 8, "every delivery is stored, whatever it was answered");
    let last: Vec<_> = history[6..].iter().map(|e| e["delivery"]["attempt"].as_u64().unwrap()).collect();
    assert_eq!(last, [2, 2], "attempts count per source and id");

    let (status, _, body) =
        call(server.http.post(server.url("/r/orders")).header("content-type", STRUCTURED).body("{")).await;
    assert_eq!(
        (status, json_of(&body)["error"]["code"].clone()),
        (400, json!("malformed_json")),
        "rules never answer invalid requests"
    );
    let (_, _, metrics) = call(server.http.get(server.url("/metrics"))).await;
    assert!(metrics.contains("cep_events_refused_total 4"), "{metrics}");
    let (status, headers, _) = call(
        server
            .http
            .request(reqwest::Method::OPTIONS, server.url("/r/orders"))
            .header("webhook-request-origin", "x.example"),
    )
    .await;
    assert_eq!((status, headers["webhook-allowed-origin"].to_str().unwrap()), (200, "x.example"));
}

#[tokio::test]
async fn clearing_the_history_starts_the_attempts_over() {
    let server = Server::start(&[]).await;
    rules(&server, json!([{"name": "once", "action": {"fail_first": 1}}])).await;
    assert_eq!(deliver(&server, "/events", &event("c1")).await.0, 503);
    assert_eq!(deliver(&server, "/events", &event("c1")).await.0, 202);
    assert_eq!(call(server.http.delete(server.url("/api/events"))).await.0, 200);
    assert_eq!(deliver(&server, "/events", &event("c1")).await.0, 503, "attempt 1 again");
}

#[tokio::test]
async fn rules_need_the_token_like_every_other_route() {
    let server = Server::start(&["--token", "s3cret"]).await;
    let document = json!({"rules": [{"name": "a", "action": {"status": 503}}]});
    assert_eq!(call(server.http.put(server.url("/api/rules")).json(&document)).await.0, 401);
    assert_eq!(call(server.http.get(server.url("/api/rules"))).await.0, 401);
    let (status, _, body) =
        call(server.http.put(server.url("/api/rules")).bearer_auth("s3cret").json(&document)).await;
    assert_eq!(status, 200, "{body}");
    let stored = json_of(&body);
    assert_eq!(stored["rules"][0]["action"], document["rules"][0]["action"]);
    assert_eq!(stored["rules"][0]["enabled"], true, "answered with its defaults filled in");
    // A preview reads the history: it needs the token too.
    assert_eq!(call(server.http.post(server.url("/api/rules/preview")).json(&document)).await.0, 401);
    let (status, _, body) =
        call(server.http.post(server.url("/api/rules/preview")).bearer_auth("s3cret").json(&document)).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_rules_preview_counts_the_newest_events_each_rule_matches_and_decides_without_applying_it() {
    let server = Server::start(&[]).await;
    let mut user = event("u1");
    user["type"] = json!("com.example.user.created");
    for (path, event) in [
        ("/r/orders", event("p1")),
        ("/r/orders?token=x", event("p2")),
        ("/r/other", user),
        ("/events", event("p3")),
    ] {
        assert_eq!(deliver(&server, path, &event).await.0, 202);
    }
    let to_self = json!({"target": "self", "event": event("p4")});
    let (status, _, body) = call(server.http.post(server.url("/api/send")).json(&to_self)).await;
    assert_eq!(status, 200, "{body}");
    let preview = |document: Value| {
        let request = server.http.post(server.url("/api/rules/preview")).json(&document);
        async move {
            let (status, _, body) = call(request).await;
            (status, json_of(&body))
        }
    };
    let (status, answer) = preview(json!({"rules": [
        {"name": "off", "enabled": false, "match": {"path": "/r/*"}},
        {"name": "orders", "match": {"path": "/r/orders"}, "action": {"status": 503}},
        {"name": "users", "match": {"filter": "type = 'com.example.user.created'"}},
        {"name": "rest"}
    ]}))
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer,
        json!({"scanned": 5, "rules": [
            {"name": "off", "matches": 3, "decides": 0},
            {"name": "orders", "matches": 2, "decides": 2},
            {"name": "users", "matches": 1, "decides": 1},
            {"name": "rest", "matches": 4, "decides": 1}
        ]}),
        "the page's own send is scanned but never ruled"
    );
    let (_, _, body) = call(server.http.get(server.url("/api/rules"))).await;
    assert_eq!(json_of(&body), json!({"rules": []}), "a preview puts nothing in force");
    assert_eq!(deliver(&server, "/r/orders", &event("p5")).await.0, 202);

    let (status, answer) =
        preview(json!({"rules": [{"name": "a"}, {"name": "b", "action": {"status": 700}}]})).await;
    assert_eq!((status, &answer["error"]["code"]), (400, &json!("invalid_rules")), "{answer}");
    assert_eq!(answer["error"]["details"][0]["path"], "rules[1].action.status");
    assert!(answer["error"]["message"].as_str().unwrap().starts_with("rules[1].action.status"), "{answer}");
    let (status, _, body) = call(server.http.post(server.url("/api/rules/preview")).body("{}")).await;
    assert_eq!((status, json_of(&body)["error"]["code"].clone()), (415, json!("unsupported_media_type")));

    // Only the newest 100 count: the orders above are older than these.
    server.post_batch(&common::live::batch("n", 100)).await;
    let (status, answer) =
        preview(json!({"rules": [{"name": "orders", "match": {"path": "/r/orders"}}]})).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer, json!({"scanned": 100, "rules": [{"name": "orders", "matches": 0, "decides": 0}]}));
}
