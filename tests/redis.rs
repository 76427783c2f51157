//! Replicas on one Redis (`--redis-url`): fan-out across servers, restarts, a Redis outage, and
//! start-up with Redis unreachable. Real servers on ephemeral ports, streams read with `sse::Parser`.
#![cfg(feature = "ssr")]

mod common;

use common::live::{PATIENCE, Server, Sse, batch, data, ids};
use common::unique_stream;
use serde_json::Value;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Two or more servers on the stream `stream` of the test Redis.
async fn replicas(url: &str, stream: &str, n: usize) -> Vec<Server> {
    let mut servers = Vec::new();
    for _ in 0..n {
        servers.push(Server::start(&["--redis-url", url, "--redis-stream", stream]).await);
    }
    servers
}

/// Asserts that nothing but pings arrives before the next event, which must be `sentinel`'s.
async fn next_event_is(sse: &mut Sse, sentinel: &[String]) {
    let frames = sse.events(1).await;
    assert_eq!(ids(&frames), sentinel, "no event twice, none unexpected");
}

#[tokio::test]
async fn an_event_posted_to_one_replica_reaches_streams_on_every_replica_in_order_once() {
    let Some(url) = common::redis_url() else { return };
    let servers = replicas(&url, &unique_stream("fanout"), 2).await;
    let (a, b) = (&servers[0], &servers[1]);
    let mut on_b = b.stream("", None).await;
    let mut on_a = a.stream("", None).await;
    let mut posted = Vec::new();
    for round in 0..5 {
        posted.extend(a.post_batch(&batch(&format!("a{round}-"), 4)).await);
        posted.extend(b.post_batch(&batch(&format!("b{round}-"), 1)).await);
    }
    for sse in [&mut on_b, &mut on_a] {
        let frames = sse.events(posted.len()).await;
        assert_eq!(ids(&frames), posted, "every replica streams every event in history order");
        assert_eq!(data(&frames[0])["id"], "a0-0");
    }
    let sentinel = a.post_batch(&batch("sentinel", 1)).await;
    next_event_is(&mut on_b, &sentinel).await;
    next_event_is(&mut on_a, &sentinel).await;
    let history: Vec<Value> = b.history().await;
    assert_eq!(history.len(), posted.len() + 1, "one shared history");
}

#[tokio::test]
async fn clearing_on_one_replica_clears_streams_on_every_replica() {
    let Some(url) = common::redis_url() else { return };
    let servers = replicas(&url, &unique_stream("clear"), 2).await;
    let (a, b) = (&servers[0], &servers[1]);
    let mut on_b = b.stream("", None).await;
    a.post_batch(&batch("c", 2)).await;
    on_b.events(2).await;
    let response = a.http.delete(a.url("/api/events")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["cleared"], 2);
    assert_eq!(on_b.next_non_ping().await.event.as_deref(), Some("cleared"));
    assert!(b.history().await.is_empty());
    let after = b.post_batch(&batch("after", 1)).await;
    next_event_is(&mut on_b, &after).await;
}

#[tokio::test]
async fn a_live_stream_gets_only_events_stored_after_it_connected() {
    let Some(url) = common::redis_url() else { return };
    let servers = replicas(&url, &unique_stream("live"), 1).await;
    // Posted just before connecting: the tail may still be publishing them when the stream starts.
    servers[0].post_batch(&batch("before-", 200)).await;
    let mut sse = servers[0].stream("", None).await;
    let live = servers[0].post_batch(&batch("live", 1)).await;
    next_event_is(&mut sse, &live).await;
}

#[tokio::test]
async fn an_id_trimmed_from_the_redis_history_gets_a_gap_then_what_is_left() {
    let Some(url) = common::redis_url() else { return };
    let stream = unique_stream("trimmed");
    let server = Server::start(&["--redis-url", &url, "--redis-stream", &stream, "--history", "5"]).await;
    let mut posted = Vec::new();
    for round in 0..3 {
        posted.extend(server.post_batch(&batch(&format!("r{round}-"), 100)).await);
    }
    let kept: Vec<String> =
        server.history().await.iter().map(|e| e["id"].as_str().unwrap().to_owned()).collect();
    assert!(kept.len() >= 5 && kept.len() < posted.len(), "MAXLEN ~ trimmed to about 5: {}", kept.len());
    let mut sse = server.stream("", Some(&posted[0])).await;
    let gap = sse.next_non_ping().await;
    assert_eq!(gap.event.as_deref(), Some("gap"));
    assert_eq!(data(&gap)["reason"], "history_exceeded");
    let dropped = posted.len() - kept.len() - 1;
    assert_eq!(data(&gap)["missed"], dropped, "every event after posted[0] and before the history: {gap:?}");
    assert_eq!(ids(&sse.events(kept.len()).await), kept);
}

#[tokio::test]
async fn a_restarted_server_replays_the_next_burst_after_last_event_id_exactly() {
    let Some(url) = common::redis_url() else { return };
    let stream = unique_stream("restart");
    let first = Server::start(&["--redis-url", &url, "--redis-stream", &stream]).await;
    let mut sse = first.stream("", None).await;
    let burst1 = first.post_batch(&batch("one-", 10)).await;
    let seen = sse.events(10).await;
    assert_eq!(ids(&seen), burst1);
    drop(sse);
    first.stop();

    let second = Server::start(&["--redis-url", &url, "--redis-stream", &stream]).await;
    let mut burst2 = Vec::new();
    for i in 0..10 {
        burst2.extend(second.post_batch(&batch(&format!("two-{i}-"), 1)).await);
    }
    let mut resumed = second.stream("", Some(burst1.last().unwrap())).await;
    assert_eq!(ids(&resumed.events(10).await), burst2, "every event of the second burst, in order");
    let sentinel = second.post_batch(&batch("sentinel", 1)).await;
    next_event_is(&mut resumed, &sentinel).await;
}

#[tokio::test]
async fn a_redis_outage_answers_503_and_loses_no_acknowledged_event() {
    let Some(binary) = common::redis_server() else { return };
    let mut redis = OwnRedis::start(&binary);
    let url = redis.url();
    let server = Server::start(&["--redis-url", &url, "--redis-stream", &unique_stream("outage")]).await;
    let mut sse = server.stream("", None).await;
    let mut acknowledged = server.post_batch(&batch("before-", 3)).await;
    assert_eq!(ids(&sse.events(3).await), acknowledged);

    redis.kill();
    let (status, body) = server.try_post_batch(&batch("down-", 2)).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "backend_unavailable");
    let health = server.http.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 503);
    assert!(health.text().await.unwrap().starts_with("unavailable"));

    redis.restart();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let (status, body) = server.try_post_batch(&batch("after-", 3)).await;
        if status == 202 {
            acknowledged
                .extend(body["ids"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()));
            break;
        }
        assert_eq!(status, 503, "{body}");
        assert!(tokio::time::Instant::now() < deadline, "Redis is back within the patience window");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let stored: Vec<String> =
        server.history().await.iter().map(|e| e["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(stored, acknowledged, "every acknowledged event, and nothing refused");
    let mut caught_up = Vec::new();
    while caught_up.len() < 3 {
        let frame = sse.next_non_ping().await;
        match frame.event.as_deref() {
            Some("rejected") => assert_eq!(data(&frame)["status"], 503, "refused POSTs are shown as such"),
            Some("cloudevent") => caught_up.push(frame),
            _ => panic!("unexpected {frame:?}"),
        }
    }
    assert_eq!(ids(&caught_up), acknowledged[3..], "the open stream caught up");
    let health = server.http.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!((health.status().as_u16(), health.text().await.unwrap()), (200, "ok".into()));
}

#[tokio::test]
async fn a_stream_whose_server_fell_behind_the_history_gets_a_gap_then_what_is_left() {
    let Some(binary) = common::redis_server() else { return };
    let mut redis = OwnRedis::start(&binary);
    let url = redis.url();
    let server =
        Server::start(&["--redis-url", &url, "--redis-stream", &unique_stream("behind"), "--history", "5"])
            .await;
    let mut sse = server.stream("", None).await;
    let first = server.post_batch(&batch("first", 1)).await;
    assert_eq!(ids(&sse.events(1).await), first);
    // Down long enough for the tail's backoff to reach seconds; commands reconnect at once, so
    // the history is refilled past its capacity before the tail reads again.
    redis.kill();
    tokio::time::sleep(Duration::from_millis(3300)).await;
    redis.restart();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while server.http.get(server.url("/healthz")).send().await.unwrap().status() != 200 {
        assert!(tokio::time::Instant::now() < deadline, "Redis is back within the patience window");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for round in 0..3 {
        server.post_batch(&batch(&format!("r{round}-"), 100)).await;
    }
    let kept: Vec<String> =
        server.history().await.iter().map(|e| e["id"].as_str().unwrap().to_owned()).collect();
    let gap = sse.next_non_ping().await;
    assert_eq!(gap.event.as_deref(), Some("gap"), "the tail must not have read the refill: {gap:?}");
    assert_eq!(data(&gap)["reason"], "history_exceeded");
    assert_eq!(data(&gap)["last_event_id"], first[0]);
    assert_eq!(data(&gap)["missed"], 300 - kept.len(), "the refill less what the history kept: {gap:?}");
    assert_eq!(ids(&sse.events(kept.len()).await), kept, "then every event the history still holds");
    let sentinel = server.post_batch(&batch("sentinel", 1)).await;
    next_event_is(&mut sse, &sentinel).await;
}

#[tokio::test]
async fn a_server_starts_with_redis_unreachable_and_reports_it() {
    let port = free_port();
    let server = Server::start(&["--redis-url", &format!("redis://127.0.0.1:{port}/")]).await;
    let health = server.http.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 503);
    let (status, body) = server.try_post_batch(&batch("x", 1)).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "backend_unavailable");
    let status = server.http.get(server.url("/api/status")).send().await.unwrap();
    assert_eq!(status.status(), 503);
    let stream = server.http.get(server.url("/stream")).send().await.unwrap();
    assert_eq!(stream.status(), 503);
}

#[tokio::test]
async fn status_names_the_redis_backend_and_counts_the_shared_history() {
    let Some(url) = common::redis_url() else { return };
    let servers = replicas(&url, &unique_stream("status"), 2).await;
    let ids = servers[0].post_batch(&batch("s", 3)).await;
    let status: Value =
        servers[1].http.get(servers[1].url("/api/status")).send().await.unwrap().json().await.unwrap();
    assert_eq!(status["backend"], "redis");
    assert_eq!(status["total_events"], 3);
    let history = &status["history"];
    assert_eq!((history["len"].as_u64(), history["capacity"].as_u64()), (Some(3), Some(10_000)));
    assert_eq!((history["first_id"].as_str(), history["last_id"].as_str()), (Some(&*ids[0]), Some(&*ids[2])));
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A `redis-server` of this test alone, on a free loopback port, with every write fsynced to its
/// append-only file, so a kill loses nothing it acknowledged. Killed when dropped.
struct OwnRedis {
    binary: String,
    port: u16,
    dir: std::path::PathBuf,
    child: Option<Child>,
}

impl OwnRedis {
    fn start(binary: &str) -> Self {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let dir = std::env::temp_dir().join(format!("cep-redis-{}-{nanos:x}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut redis = Self { binary: binary.to_owned(), port: free_port(), dir, child: None };
        redis.restart();
        redis
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Starts it on the same port and data directory, and waits until it answers.
    fn restart(&mut self) {
        let child = Command::new(&self.binary)
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", ""])
            .args(["--appendonly", "yes", "--appendfsync", "always"])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        self.child = Some(child);
        let deadline = std::time::Instant::now() + PATIENCE;
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(std::time::Instant::now() < deadline, "redis-server listens");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL: no chance to flush anything more.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test]
async fn response_rules_and_attempts_are_shared_by_replicas_and_kept_across_restarts() {
    let Some(url) = common::redis_url() else { return };
    let stream = unique_stream("lab");
    let servers = replicas(&url, &stream, 2).await;
    let (a, b) = (&servers[0], &servers[1]);
    let rules = serde_json::json!({"rules": [{"name": "flaky", "match": {"path": "/r/orders"},
        "action": {"fail_first": 1, "retry_after": "2"}}]});
    let put = a.http.put(a.url("/api/rules")).json(&rules).send().await.unwrap();
    assert_eq!(put.status(), 200);
    let on_b: Value = b.http.get(b.url("/api/rules")).send().await.unwrap().json().await.unwrap();
    assert_eq!(on_b["rules"][0]["name"], "flaky", "{on_b}");
    let deliver = |server: &Server| {
        server
            .http
            .post(server.url("/r/orders"))
            .header("content-type", "application/cloudevents+json")
            .body(common::event("shared").to_string())
            .send()
    };
    let first = deliver(b).await.unwrap();
    assert_eq!(
        (first.status().as_u16(), first.headers()["retry-after"].to_str().unwrap()),
        (503, "2"),
        "B uses A's rule"
    );
    assert_eq!(deliver(a).await.unwrap().status(), 202, "attempt 2, counted across replicas");
    let answer: Value = a
        .http
        .get(a.url("/api/deliveries?source=https%3A%2F%2Fexample.com%2Forders&id=shared"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let attempts: Vec<_> =
        answer["deliveries"].as_array().unwrap().iter().map(|d| d["attempt"].clone()).collect();
    assert_eq!(attempts, [1, 2], "{answer}");
    assert_eq!(answer["deliveries"][0]["retry_after"], "2", "the answer is stored in Redis");

    let restarted = Server::start(&["--redis-url", &url, "--redis-stream", &stream]).await;
    let kept: Value =
        restarted.http.get(restarted.url("/api/rules")).send().await.unwrap().json().await.unwrap();
    assert_eq!(
        kept["rules"],
        rules["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let mut r = r.clone();
                r["enabled"] = serde_json::json!(true);
                r
            })
            .collect::<Value>(),
        "kept in Redis"
    );
    assert_eq!(restarted.http.delete(restarted.url("/api/events")).send().await.unwrap().status(), 200);
    assert_eq!(deliver(a).await.unwrap().status(), 503, "a clear starts the attempts over for every replica");
}
