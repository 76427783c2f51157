//! A real server on an ephemeral port and a `/stream` reader built on the browser's
//! `core::sse::Parser`; shared by the stream tests and the Redis replica tests.

use super::event;
use cloudevent_player::core::protocol::Connected;
use cloudevent_player::core::sse::{Frame, Parser};
use cloudevent_player::server::{AppState, config::Config, serve_on};
use futures::StreamExt;
use leptos::config::LeptosOptions;
use serde_json::Value;
use std::collections::VecDeque;
use std::time::Duration;
use tokio::task::JoinHandle;

/// How long any single expected frame may take before the test fails (generous: CI is shared).
pub const PATIENCE: Duration = Duration::from_secs(20);

pub struct Server {
    pub base: String,
    pub http: reqwest::Client,
    pub state: AppState,
    task: JoinHandle<()>,
    signal: tokio_util::sync::CancellationToken,
}

impl Server {
    /// `cloudevent-player <args>` serving on 127.0.0.1 at a free port, with the backend the flags
    /// choose (`AppState::connect`).
    pub async fn start(args: &[&str]) -> Self {
        let config = Config::try_from_args(std::iter::once("cloudevent-player").chain(args.iter().copied()))
            .expect("valid test flags");
        let options = LeptosOptions::builder().output_name("cloudevent-player").build();
        let state = AppState::connect(config, options).await.expect("the state builds");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let signal = tokio_util::sync::CancellationToken::new();
        let task = tokio::spawn(serve_on(listener, state.clone(), signal.clone().cancelled_owned()));
        Self { base, http: reqwest::Client::new(), state, task, signal }
    }

    /// Sends the shutdown signal (as SIGTERM does) and waits until the server has stopped.
    pub async fn shut_down(self) {
        self.signal.cancel();
        self.task.await.expect("the server task ends cleanly");
    }

    /// Ends open streams and stops serving; the state (and a Redis tail) goes once the last
    /// request holding it finishes.
    pub fn stop(self) {
        self.state.shutdown.cancel();
        self.task.abort();
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Posts `events` as one batch; returns the history ids.
    pub async fn post_batch(&self, events: &[Value]) -> Vec<String> {
        let response = self.try_post_batch(events).await;
        assert_eq!(response.0, 202, "{}", response.1);
        response.1["ids"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect()
    }

    /// Posts `events` as one batch; returns the status and the JSON answer.
    pub async fn try_post_batch(&self, events: &[Value]) -> (u16, Value) {
        let response = self
            .http
            .post(self.url("/events"))
            .header("content-type", "application/cloudevents-batch+json")
            .body(Value::from(events.to_vec()).to_string())
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    pub async fn stream(&self, query: &str, last_event_id: Option<&str>) -> Sse {
        let mut request = self.http.get(self.url(&format!("/stream{query}")));
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        assert_eq!(response.headers()["cache-control"], "no-cache");
        let mut sse =
            Sse { body: Box::pin(response.bytes_stream()), parser: Parser::new(), frames: VecDeque::new() };
        let connected = sse.next().await;
        assert_eq!(connected.event.as_deref(), Some("connected"), "the first event is `connected`");
        assert_eq!(sse.parser.retry(), Some(3000), "`retry` comes before it");
        // Read as the browser reads it: a renamed member fails every stream test.
        let connected: Connected = serde_json::from_str(&connected.data).expect("a `connected` frame");
        assert_eq!(connected.server, "cloudevent-player");
        sse
    }

    pub async fn clients(&self) -> i64 {
        let status: Value =
            self.http.get(self.url("/api/status")).send().await.unwrap().json().await.unwrap();
        status["clients"].as_i64().unwrap()
    }

    /// Every stored envelope, oldest first.
    pub async fn history(&self) -> Vec<Value> {
        let response = self.http.get(self.url("/api/events?limit=1000")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        body["events"].as_array().cloned().unwrap_or_default()
    }
}

type Body = std::pin::Pin<Box<dyn futures::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>;

pub struct Sse {
    pub body: Body,
    pub parser: Parser,
    frames: VecDeque<Frame>,
}

impl Sse {
    /// The next frame of any kind.
    pub async fn next(&mut self) -> Frame {
        loop {
            if let Some(frame) = self.frames.pop_front() {
                return frame;
            }
            let chunk = tokio::time::timeout(PATIENCE, self.body.next())
                .await
                .expect("a frame within the patience window")
                .expect("the stream stays open")
                .expect("no transport error");
            self.frames.extend(self.parser.push(&chunk));
        }
    }

    /// The next frame that is not a ping.
    pub async fn next_non_ping(&mut self) -> Frame {
        loop {
            let frame = self.next().await;
            if frame.event.as_deref() != Some("ping") {
                return frame;
            }
        }
    }

    /// The next `n` cloudevent frames, failing on anything else but pings.
    pub async fn events(&mut self, n: usize) -> Vec<Frame> {
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            let frame = self.next_non_ping().await;
            assert_eq!(frame.event.as_deref(), Some("cloudevent"), "unexpected {frame:?}");
            out.push(frame);
        }
        out
    }
}

pub fn ids(frames: &[Frame]) -> Vec<String> {
    frames.iter().map(|f| f.id.clone().expect("cloudevent frames carry the history id")).collect()
}

pub fn data(frame: &Frame) -> Value {
    serde_json::from_str(&frame.data).expect("JSON data")
}

pub fn batch(prefix: &str, n: usize) -> Vec<Value> {
    (0..n).map(|i| event(&format!("{prefix}{i}"))).collect()
}
