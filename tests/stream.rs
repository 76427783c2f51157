//! `/stream` on a real server on an ephemeral port, read with the same `core::sse::Parser` the
//! browser runs: replay, live fan-out, gaps, filters, pings, clears, rejections, slow readers.
#![cfg(feature = "ssr")]

mod common;

use common::event;
use common::live::{PATIENCE, Server, batch, data, ids};
use futures::StreamExt;
use serde_json::{Value, json};
use std::time::Duration;

#[tokio::test]
async fn every_subscriber_receives_every_event_in_order() {
    let server = Server::start(&[]).await;
    let mut subscribers = Vec::new();
    for _ in 0..3 {
        subscribers.push(server.stream("", None).await);
    }
    let mut posted = Vec::new();
    for round in 0..5 {
        posted.extend(server.post_batch(&batch(&format!("r{round}-"), 10)).await);
    }
    for sse in &mut subscribers {
        let frames = sse.events(50).await;
        assert_eq!(ids(&frames), posted);
        assert_eq!(data(&frames[0])["id"], "r0-0");
        assert_eq!(data(&frames[0])["specversion"], "1.0");
    }
}

#[tokio::test]
async fn reconnect_with_last_event_id_mid_burst_receives_exactly_the_rest() {
    let server = Server::start(&[]).await;
    let mut first = server.stream("", None).await;
    let producer = {
        let http = server.http.clone();
        let url = format!("{}/events", server.base);
        tokio::spawn(async move {
            for i in 0..200 {
                let response = http
                    .post(&url)
                    .header("content-type", "application/cloudevents+json")
                    .body(event(&format!("burst-{i}")).to_string())
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 202);
            }
        })
    };
    let seen = first.events(40).await;
    drop(first);
    let last = seen.last().unwrap().id.clone().unwrap();
    let mut second = server.stream("", Some(&last)).await;
    let rest = second.events(160).await;
    producer.await.unwrap();
    let all: Vec<String> =
        seen.iter().chain(rest.iter()).map(|f| data(f)["id"].as_str().unwrap().to_owned()).collect();
    let expected: Vec<String> = (0..200).map(|i| format!("burst-{i}")).collect();
    assert_eq!(all, expected, "no gap and no duplicate across the reconnect");
}

#[tokio::test]
async fn query_last_event_id_works_like_the_header() {
    let server = Server::start(&[]).await;
    let ids = server.post_batch(&batch("q", 5)).await;
    let mut sse = server.stream(&format!("?lastEventId={}", ids[2]), None).await;
    assert_eq!(self::ids(&sse.events(2).await), ids[3..].to_vec());
}

#[tokio::test]
async fn an_id_older_than_the_history_gets_a_gap_then_what_is_left() {
    let server = Server::start(&["--history", "5"]).await;
    let ids = server.post_batch(&batch("old", 10)).await;
    let mut sse = server.stream("", Some(&ids[0])).await;
    let gap = sse.next_non_ping().await;
    assert_eq!(gap.event.as_deref(), Some("gap"));
    assert_eq!(data(&gap)["reason"], "history_exceeded");
    assert_eq!(data(&gap)["last_event_id"], ids[0]);
    assert_eq!(data(&gap)["missed"], 4, "ids[1] to ids[4] were dropped: {gap:?}");
    assert_eq!(self::ids(&sse.events(5).await), ids[5..].to_vec());
}

#[tokio::test]
async fn an_id_from_another_history_gets_a_gap_and_the_whole_history() {
    let server = Server::start(&[]).await;
    let ids = server.post_batch(&batch("h", 3)).await;
    let mut sse = server.stream("", Some("1-0")).await;
    let gap = sse.next_non_ping().await;
    assert_eq!(gap.event.as_deref(), Some("gap"));
    assert_eq!(data(&gap)["reason"], "unknown_id");
    assert_eq!(data(&gap)["missed"], Value::Null, "another history's events cannot be counted");
    assert_eq!(self::ids(&sse.events(3).await), ids);
}

#[tokio::test]
async fn replay_n_sends_the_last_n_then_goes_live() {
    let server = Server::start(&[]).await;
    let ids = server.post_batch(&batch("n", 6)).await;
    let mut sse = server.stream("?replay=2", None).await;
    assert_eq!(self::ids(&sse.events(2).await), ids[4..].to_vec());
    let live = server.post_batch(&batch("live", 1)).await;
    assert_eq!(self::ids(&sse.events(1).await), live);
}

#[tokio::test]
async fn without_replay_the_stream_is_live_only() {
    let server = Server::start(&[]).await;
    server.post_batch(&batch("before", 3)).await;
    let mut sse = server.stream("", None).await;
    let live = server.post_batch(&batch("after", 1)).await;
    assert_eq!(ids(&sse.events(1).await), live);
}

/// 10,000 events of 2 KB (20 MB of frames, more than socket buffers hold), ids `<prefix><round>-<i>`.
async fn post_burst(server: &Server, prefix: &str) -> Vec<String> {
    let padding = "x".repeat(2000);
    let mut posted = Vec::new();
    for round in 0..25 {
        let events: Vec<Value> = (0..400)
            .map(|i| {
                let mut e = event(&format!("{prefix}{round}-{i}"));
                e["data"] = json!({ "pad": padding });
                e
            })
            .collect();
        posted.extend(server.post_batch(&events).await);
    }
    posted
}

#[tokio::test]
async fn a_reader_that_stalls_never_holds_back_the_others() {
    let server = Server::start(&[]).await;
    // Opened and never read during the burst: 20 MB of frames overflow its socket buffers, so it
    // falls far behind the broadcast buffer.
    let mut stalled = server.stream("", None).await;
    let mut fast = server.stream("", None).await;
    let reader = tokio::spawn(async move { ids(&fast.events(10_000).await) });
    let posted = post_burst(&server, "b").await;
    assert_eq!(reader.await.unwrap(), posted, "the fast reader got the whole burst in order");
    let caught_up = stalled.events(10_000).await;
    assert_eq!(ids(&caught_up), posted, "the stalled reader catches up from the history, in order");
    let metrics = server.state.metrics.render();
    let catchups: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("cep_lag_catchups_total "))
        .and_then(|v| v.trim().parse().ok())
        .expect("lag counter");
    assert!(catchups >= 1, "the stalled reader lagged and caught up: {metrics}");
}

#[tokio::test]
async fn a_reader_stalled_past_the_history_is_told_exactly_how_many_it_missed() {
    let server = Server::start(&["--history", "5"]).await;
    // Never read during the burst: 20 MB of frames overflow its socket buffers, so by the time it
    // reads on, the history has dropped what it did not get.
    let mut stalled = server.stream("", None).await;
    let posted = post_burst(&server, "s").await;
    let (mut given, mut missed) = (Vec::new(), 0);
    while given.last() != posted.last() {
        let frame = stalled.next_non_ping().await;
        match frame.event.as_deref() {
            Some("cloudevent") => given.push(frame.id.clone().unwrap()),
            Some("gap") => {
                let gap = data(&frame);
                assert_eq!(gap["reason"], "history_exceeded");
                assert_eq!(gap["last_event_id"].as_str(), given.last().map(String::as_str));
                missed += gap["missed"].as_u64().unwrap_or_else(|| panic!("a counted gap: {gap}"));
            }
            other => panic!("unexpected frame {other:?}"),
        }
    }
    assert!(missed > 0, "the reader fell past the history");
    assert_eq!(given.len() as u64 + missed, posted.len() as u64, "every event given or counted missing");
    assert_eq!(given[given.len() - 5..], posted[posted.len() - 5..], "the history's last five, in order");
    let order: std::collections::HashMap<&String, usize> = posted.iter().zip(0..).collect();
    assert!(given.windows(2).all(|w| order[&w[0]] < order[&w[1]]), "in order, none twice");
}

#[tokio::test]
async fn pings_arrive_at_the_configured_interval() {
    let server = Server::start(&["--ping-interval", "100ms"]).await;
    let mut sse = server.stream("", None).await;
    let ping = sse.next().await;
    assert_eq!(ping.event.as_deref(), Some("ping"));
    assert_eq!(ping.id, None, "pings carry no id");
    let body = data(&ping);
    assert_eq!(body["type"], "ping");
    assert!(body["timestamp"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn server_filters_select_by_type_source_and_subject() {
    let server = Server::start(&[]).await;
    let mut by_type = server.stream("?type=com.example.order.*", None).await;
    let mut by_subject = server.stream("?subject=eu/*&source=https://example.com/*", None).await;
    let mut order = event("o1");
    order["subject"] = json!("eu/1");
    let mut other = event("x1");
    other["type"] = json!("com.example.user.created");
    other["subject"] = json!("eu/2");
    let mut no_subject = event("o2");
    no_subject.as_object_mut().unwrap().remove("subject");
    let ids = server.post_batch(&[order, other, no_subject]).await;
    assert_eq!(self::ids(&by_type.events(2).await), vec![ids[0].clone(), ids[2].clone()]);
    assert_eq!(self::ids(&by_subject.events(2).await), vec![ids[0].clone(), ids[1].clone()]);
}

#[tokio::test]
async fn clearing_the_history_sends_cleared_to_every_stream() {
    let server = Server::start(&[]).await;
    let mut sse = server.stream("", None).await;
    server.post_batch(&batch("c", 2)).await;
    sse.events(2).await;
    let response = server.http.delete(format!("{}/api/events", server.base)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(sse.next_non_ping().await.event.as_deref(), Some("cleared"));
}

#[tokio::test]
async fn a_stream_that_missed_a_clear_is_told_on_reconnect() {
    let server = Server::start(&[]).await;
    let ids = server.post_batch(&batch("m", 2)).await;
    server.http.delete(format!("{}/api/events", server.base)).send().await.unwrap();
    let mut sse = server.stream("", Some(&ids[0])).await;
    assert_eq!(sse.next_non_ping().await.event.as_deref(), Some("cleared"));
}

#[tokio::test]
async fn rejected_requests_are_streamed() {
    let server = Server::start(&[]).await;
    let mut sse = server.stream("", None).await;
    let response = server
        .http
        .post(format!("{}/", server.base))
        .header("content-type", "application/cloudevents+json")
        .body(r#"{"specversion":"1.0","id":"1","source":"s","type":"t","time":"soon"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let frame = sse.next_non_ping().await;
    assert_eq!(frame.event.as_deref(), Some("rejected"));
    let body = data(&frame);
    assert_eq!(body["status"], 400);
    assert_eq!(body["code"], "invalid_event");
    assert_eq!(body["attribute"], "time");
    assert_eq!(body["details"][0]["attribute"], "time");
    assert!(body.get("request").is_none(), "frames carry a summary: {body}");
    let full: Value = server
        .http
        .get(server.url(&format!("/api/rejections/{}", body["id"])))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(full["request"]["body"].as_str().unwrap().contains("soon"), "{full}");
}

#[tokio::test]
async fn bad_stream_parameters_are_400_before_the_stream_starts() {
    let server = Server::start(&[]).await;
    for (query, header, code) in [
        ("?replay=all", None, "invalid_query"),
        ("?lastEventId=yesterday", None, "invalid_query"),
        ("", Some("not-an-id"), "invalid_header"),
    ] {
        let mut request = server.http.get(format!("{}/stream{query}", server.base));
        if let Some(value) = header {
            request = request.header("Last-Event-ID", value);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 400, "{query} {header:?}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], code);
    }
    assert_eq!(server.clients().await, 0);
}

#[tokio::test]
async fn status_counts_open_streams() {
    let server = Server::start(&[]).await;
    let a = server.stream("", None).await;
    let b = server.stream("", None).await;
    assert_eq!(server.clients().await, 2);
    drop(a);
    drop(b);
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while server.clients().await != 0 {
        assert!(tokio::time::Instant::now() < deadline, "closed streams are no longer counted");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn shutdown_ends_open_streams() {
    let server = Server::start(&[]).await;
    let mut sse = server.stream("", None).await;
    server.state.shutdown.cancel();
    let end = tokio::time::timeout(PATIENCE, sse.body.next()).await.expect("the stream ends");
    assert!(end.is_none_or(|chunk| chunk.is_err()), "no more frames after shutdown");
}

#[tokio::test]
async fn cloudevent_frames_name_the_rules_the_event_breaks_live_and_on_replay() {
    let server = Server::start(&[]).await;
    let mut live = server.stream("", None).await;
    let mut sloppy = event("sloppy");
    sloppy["source"] = json!("/orders");
    sloppy["type"] = json!("created");
    server.post_batch(&[event("clean"), sloppy]).await;
    for frames in [live.events(2).await, server.stream("?replay=2", None).await.events(2).await] {
        assert_eq!(frames[0].warnings, None, "a clean event has no warnings field");
        assert_eq!(frames[1].warnings.as_deref(), Some("source-absolute type-prefix"));
        assert_eq!(data(&frames[1])["source"], "/orders", "the data is the event as stored");
    }
}

#[tokio::test]
async fn cloudevent_frames_carry_the_lab_answer_of_a_ruled_or_repeated_delivery() {
    let server = Server::start(&[]).await;
    let rules =
        json!({"rules": [{"name": "once", "match": {"path": "/r/orders"}, "action": {"fail_first": 1}}]});
    let put = server.http.put(server.url("/api/rules")).json(&rules).send().await.unwrap();
    assert_eq!(put.status(), 200);
    let mut live = server.stream("", None).await;
    let post = |path: &'static str, id: &'static str| {
        server
            .http
            .post(server.url(path))
            .header("content-type", "application/cloudevents+json")
            .body(event(id).to_string())
            .send()
    };
    assert_eq!(post("/events", "plain").await.unwrap().status(), 202);
    assert_eq!(post("/r/orders", "retried").await.unwrap().status(), 503);
    assert_eq!(post("/r/orders", "retried").await.unwrap().status(), 202);
    for frames in [live.events(3).await, server.stream("?replay=3", None).await.events(3).await] {
        let answers: Vec<_> = frames.iter().map(|f| f.delivery.as_deref()).collect();
        assert_eq!(answers, [None, Some("503 attempt 1"), Some("202 attempt 2")]);
    }
}
