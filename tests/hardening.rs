//! The server a team can leave running (DESIGN §9, and the byte budgets of §3), on real sockets
//! where it matters: header and body deadlines, the connection cap, the shutdown order and its
//! deadline, strict request input, the history, rejection and broadcast byte budgets, and a
//! `/stream` subscriber that never reads.
#![cfg(feature = "ssr")]

mod common;

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use cloudevent_player::core::sse::{Frame, Parser};
use cloudevent_player::server::{hub, rejections, router};
use common::live::{PATIENCE, data};
use common::{Reply, Server, event, get, history, post, post_structured, status};
use futures::StreamExt;
use serde_json::{Value, json};
use std::io::Write;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// `--header-timeout` and `--body-timeout` of the deadline tests.
const DEADLINE: Duration = Duration::from_millis(300);
/// How much later than its deadline a connection may close on a shared, busy CI machine.
const SLACK: Duration = Duration::from_secs(3);
const STRUCTURED: &str = "application/cloudevents+json";
const BATCH: &str = "application/cloudevents-batch+json";

// ---------------------------------------------------------------------------------------------
// A hand-written HTTP/1.1 client, for what reqwest never sends: half heads, trickled or abandoned
// bodies, repeated headers, connections held open on purpose.

struct Raw {
    stream: TcpStream,
    host: String,
    /// Bytes read and not yet parsed.
    buffer: Vec<u8>,
    /// The server closed the connection (or reset it).
    closed: bool,
}

impl Raw {
    async fn connect(server: &Server) -> Self {
        let host = server.base.trim_start_matches("http://").to_owned();
        let stream = TcpStream::connect(&host).await.unwrap();
        Self { stream, host, buffer: Vec::new(), closed: false }
    }

    /// A request head with `host` and `headers`.
    fn head(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> Vec<u8> {
        let mut head = format!("{method} {path} HTTP/1.1\r\nhost: {}\r\n", self.host);
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        head.into_bytes()
    }

    async fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
    }

    /// Sends a whole request with a `Content-Length` body.
    async fn request(&mut self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) {
        let length = body.len().to_string();
        let mut all = headers.to_vec();
        all.push(("content-length", &length));
        let mut bytes = self.head(method, path, &all);
        bytes.extend_from_slice(body);
        self.send(&bytes).await;
    }

    /// Reads once, waiting at most `wait`; notes when the server closed the connection.
    async fn fill(&mut self, wait: Duration) {
        let mut chunk = [0u8; 64 * 1024];
        match tokio::time::timeout(wait, self.stream.read(&mut chunk)).await {
            Err(_) => {}
            Ok(Ok(0) | Err(_)) => self.closed = true,
            Ok(Ok(n)) => self.buffer.extend_from_slice(&chunk[..n]),
        }
    }

    /// One answer from the bytes read so far: its head, and its body when it has a
    /// `Content-Length` (a streamed answer's chunks stay unread). `None` until it is all there.
    fn parse(&mut self) -> Option<Reply> {
        let end = self.buffer.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
        let head = String::from_utf8(self.buffer[..end].to_vec()).expect("an ASCII head");
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap();
        let code: u16 = status_line.split(' ').nth(1).and_then(|c| c.parse().ok()).expect(status_line);
        let mut headers = HeaderMap::new();
        for line in lines.filter(|l| !l.is_empty()) {
            let (name, value) = line.split_once(':').expect("a header line");
            headers.append(
                HeaderName::from_bytes(name.trim().as_bytes()).unwrap(),
                HeaderValue::from_str(value.trim()).unwrap(),
            );
        }
        let length =
            headers.get("content-length").map_or(0, |v| v.to_str().unwrap().parse::<usize>().unwrap());
        if self.buffer.len() < end + length {
            return None;
        }
        let body = self.buffer[end..end + length].to_vec();
        self.buffer.drain(..end + length);
        Some(Reply { status: StatusCode::from_u16(code).unwrap(), headers, body })
    }

    /// The next answer; fails if the connection closes first or nothing comes in time.
    async fn reply(&mut self) -> Reply {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(reply) = self.parse() {
                return reply;
            }
            assert!(
                !self.closed,
                "closed before a whole answer: {:?}",
                String::from_utf8_lossy(&self.buffer)
            );
            assert!(Instant::now() < deadline, "no answer in time");
            self.fill(deadline - Instant::now()).await;
        }
    }

    /// Reads and drops whatever comes until the server closes the connection; fails if it is
    /// still open after `within`.
    async fn wait_closed(&mut self, within: Duration) {
        let deadline = Instant::now() + within;
        while !self.closed {
            let left = deadline.checked_duration_since(Instant::now());
            let left = left.unwrap_or_else(|| panic!("the connection is still open after {within:?}"));
            self.fill(left).await;
            self.buffer.clear();
        }
    }
}

/// Polls `check` every 20 ms until it holds; fails after [`PATIENCE`].
async fn eventually<F: Future<Output = bool>>(what: &str, mut check: impl FnMut() -> F) {
    let deadline = Instant::now() + PATIENCE;
    while !check().await {
        assert!(Instant::now() < deadline, "not within {PATIENCE:?}: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every frame of a `/stream` answer, until the server ends it.
async fn frames_until_end(response: reqwest::Response) -> Vec<Frame> {
    let mut body = response.bytes_stream();
    let mut parser = Parser::new();
    let mut frames = Vec::new();
    while let Some(chunk) =
        tokio::time::timeout(PATIENCE, body.next()).await.expect("the stream ends in time")
    {
        frames.extend(parser.push(&chunk.expect("no transport error")));
    }
    frames
}

/// An event whose `data` is `size` bytes of text.
fn sized_event(id: &str, size: usize) -> Value {
    let mut event = event(id);
    event["data"] = json!({ "text": "x".repeat(size) });
    event
}

async fn total_appended(server: &Server) -> u64 {
    server.state.log.stats().await.unwrap().total_appended
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn brotli(data: &[u8]) -> Vec<u8> {
    let mut encoder = brotli::CompressorWriter::new(Vec::new(), 4096, 5, 22);
    encoder.write_all(data).unwrap();
    encoder.into_inner()
}

fn zstd(data: &[u8]) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
}

// ---------------------------------------------------------------------------------------------
// Deadlines

#[tokio::test]
async fn a_half_sent_request_head_is_closed_after_the_header_timeout() {
    let server = Server::start(&["--header-timeout", "300ms"]).await;
    let mut raw = Raw::connect(&server).await;
    let started = Instant::now();
    raw.send(format!("POST /events HTTP/1.1\r\nhost: {}\r\ncontent-type: appli", raw.host).as_bytes()).await;
    raw.wait_closed(DEADLINE + SLACK).await;
    let took = started.elapsed();
    assert!(took >= DEADLINE - Duration::from_millis(50), "closed after {took:?}, before the deadline");
    assert_eq!(total_appended(&server).await, 0);
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_header_timeout() {
    let server = Server::start(&["--header-timeout", "300ms"]).await;
    let mut raw = Raw::connect(&server).await;
    raw.request("GET", "/healthz", &[], b"").await;
    let reply = raw.reply().await;
    assert_eq!((reply.status, reply.text().as_str()), (StatusCode::OK, "ok"));
    assert!(reply.headers.get("connection").is_none(), "a keep-alive answer: {:?}", reply.headers);
    let idle_since = Instant::now();
    raw.wait_closed(DEADLINE + SLACK).await;
    let took = idle_since.elapsed();
    assert!(took >= DEADLINE - Duration::from_millis(50), "closed after {took:?} idle, before the deadline");
}

#[tokio::test]
async fn a_trickling_body_gets_408_request_timeout_and_nothing_is_stored() {
    let server = Server::start(&["--header-timeout", "300ms", "--body-timeout", "300ms"]).await;
    // Ingest, and the JSON API that reads a body (`POST /api/send` to the player itself).
    let send = json!({"target": "self", "event": event("slow")}).to_string();
    for (path, content_type, body) in
        [("/events", STRUCTURED, event("slow").to_string()), ("/api/send", "application/json", send)]
    {
        let mut raw = Raw::connect(&server).await;
        let length = (body.len() + 1000).to_string();
        let mut bytes =
            raw.head("POST", path, &[("content-type", content_type), ("content-length", &length)]);
        bytes.extend_from_slice(&body.as_bytes()[..10]);
        let started = Instant::now();
        raw.send(&bytes).await;
        // One byte every 50 ms: the connection is never idle, the body is just too slow.
        let reply = loop {
            if let Some(reply) = raw.parse() {
                break reply;
            }
            assert!(!raw.closed, "{path}: closed without an answer");
            assert!(started.elapsed() < DEADLINE + SLACK, "{path}: no answer in time");
            let _ = raw.stream.write_all(b" ").await;
            raw.fill(Duration::from_millis(50)).await;
        };
        let took = started.elapsed();
        assert!(
            took >= DEADLINE - Duration::from_millis(50),
            "{path}: answered after {took:?}, before the deadline"
        );
        let error = reply.error(StatusCode::REQUEST_TIMEOUT, "request_timeout");
        assert!(error["message"].as_str().unwrap().contains("300ms"), "{path}: {error}");
        assert_eq!(reply.headers["connection"], "close", "{path}: the rest of the body may still come");
        raw.wait_closed(SLACK).await;
    }
    assert!(server.history().await.is_empty());
    assert_eq!(total_appended(&server).await, 0);
}

// ---------------------------------------------------------------------------------------------
// The connection cap

#[tokio::test]
async fn past_the_connection_cap_api_paths_get_503_with_retry_after_but_healthz_answers() {
    let server = Server::start(&["--max-connections", "2"]).await;
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut raw = Raw::connect(&server).await;
        raw.send(&raw.head("GET", "/stream", &[])).await;
        assert_eq!(raw.reply().await.status, StatusCode::OK, "a stream holds its connection");
        held.push(raw);
    }

    let mut third = Raw::connect(&server).await;
    third.request("GET", "/api/status", &[], b"").await;
    let reply = third.reply().await;
    reply.error(StatusCode::SERVICE_UNAVAILABLE, "too_many_connections");
    assert_eq!(reply.headers["retry-after"], "5");
    assert_eq!(reply.headers["connection"], "close");
    third.wait_closed(SLACK).await;

    let mut probe = Raw::connect(&server).await;
    probe.request("GET", "/healthz", &[], b"").await;
    let reply = probe.reply().await;
    assert_eq!((reply.status, reply.text().as_str()), (StatusCode::OK, "ok"), "probes still get an answer");

    // Once a held connection goes, its place is free again.
    drop(held.pop());
    eventually("a new connection is served again", || async {
        let mut raw = Raw::connect(&server).await;
        raw.request("GET", "/api/status", &[], b"").await;
        raw.reply().await.status == StatusCode::OK
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// Shutdown

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_accepted_up_to_the_shutdown_signal_all_reach_every_stream_before_it_ends() {
    let server = Server::start(&["--shutdown-timeout", "5s"]).await;
    let state = server.state.clone();
    // One stream read as it comes, and one not read until the signal, so that it is far behind
    // then: its frames wait in the socket buffers and its messages in the broadcast ring.
    let keeping_up = server.http.get(server.url("/stream")).send().await.unwrap();
    let behind = server.http.get(server.url("/stream")).send().await.unwrap();
    assert_eq!((keeping_up.status().as_u16(), behind.status().as_u16()), (200, 200));
    let keeping_up = tokio::spawn(frames_until_end(keeping_up));
    let (go, signalled) = tokio::sync::oneshot::channel::<()>();
    let behind = tokio::spawn(async move {
        signalled.await.unwrap();
        frames_until_end(behind).await
    });

    // Producers that keep posting until the server turns them away.
    let producers: Vec<_> = (0..4)
        .map(|p| {
            let (http, url) = (server.http.clone(), server.url("/events"));
            tokio::spawn(async move {
                let mut accepted = Vec::new();
                for n in 0..10_000 {
                    let batch: Vec<Value> =
                        (0..5).map(|i| sized_event(&format!("p{p}-{n}-{i}"), 10_000)).collect();
                    let sent =
                        http.post(&url).header("content-type", BATCH).body(Value::from(batch).to_string());
                    let Ok(response) = sent.send().await else { break };
                    if response.status() != 202 {
                        break;
                    }
                    let body: Value = response.json().await.expect("a 202 is answered in full");
                    accepted.extend(
                        body["ids"].as_array().unwrap().iter().map(|id| id.as_str().unwrap().to_owned()),
                    );
                }
                accepted
            })
        })
        .collect();
    // About 10 MB: more than the unread stream's socket buffers take.
    eventually("the producers are under way", || async { total_appended(&server).await >= 1000 }).await;

    let stopping = tokio::spawn(server.shut_down());
    eventually("shutdown has begun", || async { state.lifecycle.is_draining() }).await;
    go.send(()).unwrap();
    let mut accepted = Vec::new();
    for producer in producers {
        accepted.extend(producer.await.unwrap());
    }
    let keeping_up = keeping_up.await.unwrap();
    let behind = behind.await.unwrap();
    tokio::time::timeout(PATIENCE, stopping).await.expect("the server stops").unwrap();

    assert!(accepted.len() >= 1000, "{} accepted", accepted.len());
    let mut expected = accepted.clone();
    expected.sort_by_key(|id| id.parse::<cloudevent_player::core::id::EventId>().unwrap());
    for (name, frames) in [("keeping up", keeping_up), ("behind", behind)] {
        let streamed: Vec<String> = frames
            .iter()
            .filter(|f| f.event.as_deref() == Some("cloudevent"))
            .map(|f| f.id.clone().unwrap())
            .collect();
        assert_eq!(streamed.len(), accepted.len(), "{name}: every accepted event, once");
        assert!(streamed == expected, "{name}: in history order");
    }
}

#[tokio::test]
async fn after_the_shutdown_signal_ingest_answers_503_shutting_down_with_retry_after() {
    let server = Server::start(&["--body-timeout", "10s", "--shutdown-timeout", "5s"]).await;
    let state = server.state.clone();
    let body = event("late").to_string();
    let length = body.len().to_string();
    let mut raw = Raw::connect(&server).await;
    let headers = [("content-type", STRUCTURED), ("content-length", &length), ("expect", "100-continue")];
    raw.send(&raw.head("POST", "/events", &headers)).await;
    // `100 Continue`: the server is reading this request's body.
    assert_eq!(raw.reply().await.status, StatusCode::CONTINUE);

    let stopping = tokio::spawn(server.shut_down());
    eventually("shutdown has begun", || async { state.lifecycle.is_draining() }).await;
    raw.send(body.as_bytes()).await;
    let reply = raw.reply().await;
    reply.error(StatusCode::SERVICE_UNAVAILABLE, "shutting_down");
    assert_eq!(reply.headers["retry-after"], "5");
    tokio::time::timeout(PATIENCE, stopping).await.expect("the server stops").unwrap();
    assert_eq!(state.log.stats().await.unwrap().total_appended, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_clients_do_not_hold_shutdown_past_its_deadline_and_are_dropped() {
    let timeout = Duration::from_secs(1);
    let server =
        Server::start(&["--shutdown-timeout", "1s", "--body-timeout", "30s", "--max-body", "2MiB"]).await;
    // A stream that is never read, sent more than the socket buffers hold...
    let mut stream = Raw::connect(&server).await;
    stream.send(&stream.head("GET", "/stream", &[])).await;
    assert_eq!(stream.reply().await.status, StatusCode::OK);
    for round in 0..8 {
        let events: Vec<Value> = (0..100).map(|i| sized_event(&format!("s{round}-{i}"), 10_000)).collect();
        server.post_batch(&events).await;
    }
    // ...and an upload whose body never comes.
    let mut upload = Raw::connect(&server).await;
    let headers = [("content-type", STRUCTURED), ("content-length", "1000"), ("expect", "100-continue")];
    upload.send(&upload.head("POST", "/events", &headers)).await;
    assert_eq!(upload.reply().await.status, StatusCode::CONTINUE);

    let started = Instant::now();
    tokio::time::timeout(timeout + SLACK, server.shut_down()).await.expect("shutdown keeps its deadline");
    let took = started.elapsed();
    assert!(took >= timeout - Duration::from_millis(100), "took {took:?}: were the clients stalled?");
    // Past the deadline the server lets go of them.
    upload.wait_closed(SLACK).await;
    stream.wait_closed(SLACK).await;
}

// ---------------------------------------------------------------------------------------------
// Strict input

#[tokio::test]
async fn compressed_structured_bodies_are_stored_decoded() {
    let app = common::app(&[]);
    type Encoder = fn(&[u8]) -> Vec<u8>;
    let codings: [(&str, Encoder); 4] =
        [("gzip", gzip), ("deflate", deflate), ("br", brotli), ("zstd", zstd)];
    for (coding, encode) in codings {
        let original = sized_event(&format!("encoded-{coding}"), 5000);
        let plain = original.to_string();
        let body = encode(plain.as_bytes());
        assert!(body.len() < plain.len() / 4, "{coding} really compresses");
        let headers = [("content-type", STRUCTURED), ("content-encoding", coding)];
        let reply = post(&app, "/events", &headers, body).await;
        assert_eq!(reply.status, StatusCode::ACCEPTED, "{coding}: {}", reply.text());
        let id = reply.json()["ids"][0].as_str().unwrap().to_owned();
        let stored = get(&app, &format!("/api/events/{id}")).await.json();
        assert_eq!(stored["event"], original, "{coding}");
        assert_eq!(stored["request"]["body"], plain, "{coding}: the request is shown decoded");
    }
    assert_eq!(history(&app).await.len(), 4);
}

#[tokio::test]
async fn an_unknown_content_encoding_is_415_unsupported_encoding() {
    let app = common::app(&[]);
    let headers = [("content-type", STRUCTURED), ("content-encoding", "compress")];
    let reply = post(&app, "/events", &headers, event("x").to_string()).await;
    reply.error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_encoding");
    assert!(history(&app).await.is_empty());
}

#[tokio::test]
async fn a_gzip_bomb_is_413_and_nothing_is_stored() {
    let app = common::app(&["--max-body", "64KiB"]);
    let bomb = gzip(sized_event("bomb", 10_000_000).to_string().as_bytes());
    assert!(bomb.len() < 64 * 1024, "the body itself is within the limit: {} bytes", bomb.len());
    let headers = [("content-type", STRUCTURED), ("content-encoding", "gzip")];
    let reply = post(&app, "/events", &headers, bomb).await;
    reply.error(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large");
    assert!(history(&app).await.is_empty());
    assert_eq!(status(&app).await["total_events"], 0);
}

#[tokio::test]
async fn corrupt_gzip_is_400_malformed_body() {
    let app = common::app(&[]);
    let mut body = gzip(event("corrupt").to_string().as_bytes());
    let middle = body.len() / 2;
    body[middle..].iter_mut().for_each(|b| *b ^= 0x5a);
    let headers = [("content-type", STRUCTURED), ("content-encoding", "gzip")];
    let reply = post(&app, "/events", &headers, body).await;
    reply.error(StatusCode::BAD_REQUEST, "malformed_body");
    assert!(history(&app).await.is_empty());
}

#[tokio::test]
async fn two_content_type_headers_are_400_duplicate_header() {
    let server = Server::start(&[]).await;
    let mut raw = Raw::connect(&server).await;
    let headers = [("content-type", STRUCTURED), ("content-type", "application/json")];
    raw.request("POST", "/events", &headers, event("twice").to_string().as_bytes()).await;
    let reply = raw.reply().await;
    let error = reply.error(StatusCode::BAD_REQUEST, "duplicate_header");
    assert!(error["message"].as_str().unwrap().contains("content-type"), "{error}");
    assert!(server.history().await.is_empty());
}

#[tokio::test]
async fn an_undecodable_path_segment_is_a_json_400() {
    let app = common::app(&[]);
    for path in ["/api/events/%FF", "/api/rejections/%FF"] {
        let reply = get(&app, path).await;
        assert_eq!(reply.headers["content-type"], "application/json", "{path}");
        reply.error(StatusCode::BAD_REQUEST, "invalid_query");
    }
}

#[tokio::test]
async fn an_unreachable_redis_answers_503_with_retry_after() {
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let server = Server::start(&["--redis-url", &format!("redis://127.0.0.1:{closed_port}/")]).await;
    let response = server
        .http
        .post(server.url("/events"))
        .header("content-type", STRUCTURED)
        .body(event("nowhere").to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "5");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "backend_unavailable", "{body}");
    let health = server.http.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 503);
    assert_eq!(health.headers()["retry-after"], "5");
    server.stop();
}

// ---------------------------------------------------------------------------------------------
// Byte budgets

#[tokio::test]
async fn the_history_byte_budget_drops_the_oldest_and_keeps_the_newest() {
    let app = common::app(&["--history-bytes", "64KiB"]);
    let mut ids = Vec::new();
    for i in 0..40 {
        let reply = post_structured(&app, &sized_event(&format!("big-{i}"), 4000)).await;
        assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text());
        ids.push(reply.json()["ids"][0].as_str().unwrap().to_owned());
        let history = &status(&app).await["history"];
        assert!(history["bytes"].as_u64().unwrap() <= history["max_bytes"].as_u64().unwrap(), "{history}");
    }
    let history_status = status(&app).await["history"].clone();
    assert_eq!(history_status["max_bytes"], 64 * 1024);
    assert!(history_status["bytes"].as_u64().unwrap() > 32 * 1024, "{history_status}");
    let len = history_status["len"].as_u64().unwrap() as usize;
    assert!((2..40).contains(&len), "{history_status}");
    assert_eq!(history_status["last_id"], ids[39], "the newest stays");
    let kept: Vec<Value> = history(&app).await.iter().map(|e| e["id"].clone()).collect();
    assert_eq!(kept, ids[40 - len..], "the oldest went first");
    get(&app, &format!("/api/events/{}", ids[0])).await.error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn the_rejection_list_stays_within_its_byte_budget() {
    let state = common::state(&[]);
    let app = router(state.clone());
    let refused = || async {
        let reply = post(&app, "/events", &[("content-type", STRUCTURED)], vec![0xff_u8; 100_000]).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text());
    };
    refused().await;
    let each = state.rejections.bytes();
    assert!(each > 64 * 1024, "a large rejection is counted as large: {each}");
    let n = rejections::MAX_BYTES / each + 20;
    for _ in 1..n {
        refused().await;
        assert!(state.rejections.bytes() <= rejections::MAX_BYTES);
    }
    let kept = state.rejections.len();
    assert!(kept < n, "the oldest went: {kept} of {n} kept");
    assert!(state.rejections.bytes() > rejections::MAX_BYTES - each, "as many as fit are kept");
    get(&app, "/api/rejections/1").await.error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(get(&app, &format!("/api/rejections/{n}")).await.status, StatusCode::OK);
    assert_eq!(status(&app).await["rejected"], kept);
}

#[tokio::test]
async fn streams_get_small_rejection_summaries_and_the_full_record_is_served_by_id() {
    let server = Server::start(&[]).await;
    let mut sse = server.stream("", None).await;
    let response = server
        .http
        .post(server.url("/events"))
        .header("content-type", STRUCTURED)
        .body("x".repeat(200_000))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);

    let frame = sse.next_non_ping().await;
    assert_eq!(frame.event.as_deref(), Some("rejected"));
    assert!(frame.data.len() < 2048, "a summary, not the request: {} bytes", frame.data.len());
    let summary = data(&frame);
    assert!(summary.get("request").is_none(), "{summary}");
    assert_eq!(summary["code"], "malformed_json");
    assert_eq!((summary["status"].as_u64(), summary["size"].as_u64()), (Some(400), Some(200_000)));

    let id = summary["id"].as_u64().unwrap();
    let full: Value = server
        .http
        .get(server.url(&format!("/api/rejections/{id}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(full["id"], id);
    assert_eq!(full["error"]["code"], "malformed_json");
    assert_eq!(full["request"]["body_size"], 200_000);
    assert_eq!(full["request"]["body_truncated"], true);
    assert_eq!(full["request"]["body"].as_str().unwrap().len(), 64 * 1024);
    let list: Value =
        server.http.get(server.url("/api/rejections")).send().await.unwrap().json().await.unwrap();
    assert_eq!(list["rejections"][0]["id"], id);
    assert!(list["rejections"][0].get("request").is_none(), "{list}");
}

#[tokio::test]
async fn an_aborted_upload_is_counted_in_metrics_and_not_listed_as_a_rejection() {
    let server = Server::start(&[]).await;
    let mut raw = Raw::connect(&server).await;
    let headers = [("content-type", STRUCTURED), ("content-length", "100000"), ("expect", "100-continue")];
    raw.send(&raw.head("POST", "/events", &headers)).await;
    assert_eq!(raw.reply().await.status, StatusCode::CONTINUE, "the server is reading the body");
    raw.send(&[b' '; 1000]).await;
    drop(raw);

    let metrics =
        || async { server.http.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap() };
    eventually("cep_aborted_uploads_total is 1", || async {
        metrics().await.lines().any(|l| l == "cep_aborted_uploads_total 1")
    })
    .await;
    let list: Value =
        server.http.get(server.url("/api/rejections")).send().await.unwrap().json().await.unwrap();
    assert_eq!(list["rejections"], json!([]), "nobody is left to tell");
    assert!(server.history().await.is_empty());
}

// ---------------------------------------------------------------------------------------------
// A subscriber that never reads

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_subscriber_pins_a_bounded_buffer_and_the_server_keeps_answering() {
    let server = Server::start(&["--max-body", "2MiB", "--history", "1000"]).await;
    let mut stalled = Raw::connect(&server).await;
    stalled.send(&stalled.head("GET", "/stream", &[])).await;
    assert_eq!(stalled.reply().await.status, StatusCode::OK);
    assert_eq!(server.state.hub.subscribers(), 1);

    for round in 0..30 {
        let events: Vec<Value> = (0..100).map(|i| sized_event(&format!("r{round}-{i}"), 10_000)).collect();
        let started = Instant::now();
        server.post_batch(&events).await;
        assert!(started.elapsed() < SLACK, "round {round} took {:?}", started.elapsed());
        let recent = server.state.hub.recent_bytes();
        assert!(recent <= hub::RECENT_BYTES, "round {round}: {recent} bytes pinned");
    }
    assert!(server.state.hub.recent_bytes() > hub::RECENT_BYTES / 2, "the byte bound is what held it");
    let health = server.http.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(server.clients().await, 1, "the stalled client is still there");

    drop(stalled);
    eventually("the stalled client is gone", || async { server.clients().await == 0 }).await;
    assert_eq!(server.state.hub.subscribers(), 0);
    assert!(server.state.hub.recent_bytes() <= hub::RECENT_BYTES);
    assert_eq!(server.post_batch(&[event("after")]).await.len(), 1);
    assert!(server.state.hub.recent_bytes() <= hub::RECENT_BYTES);
}
