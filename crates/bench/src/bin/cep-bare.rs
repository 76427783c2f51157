//! The bare reference server of DESIGN §8: `POST /` and `POST /events` answer 202 and put the body,
//! framed once as an SSE `data:` line, into a broadcast; `GET /stream` sends those frames. No
//! validation, no history, no pings: the least a player could do.

use std::convert::Infallible;
use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use clap::Parser;
use tokio::sync::broadcast;

#[derive(Parser)]
#[command(about = "Bare reference server: POST -> broadcast -> SSE, no validation")]
struct Args {
    #[arg(long, default_value = "127.0.0.1:3090")]
    listen: SocketAddr,
}

/// Frames a slow subscriber may fall behind by before it skips ahead.
const CAPACITY: usize = 65_536;

#[tokio::main]
async fn main() {
    let args = Args::parse();
    cep_bench::procfs::raise_nofile();
    let (tx, _) = broadcast::channel::<Bytes>(CAPACITY);
    let app = Router::new()
        .route("/", post(ingest))
        .route("/events", post(ingest))
        .route("/stream", get(stream))
        .with_state(tx);
    let listener =
        tokio::net::TcpListener::bind(args.listen).await.unwrap_or_else(|e| panic!("{}: {e}", args.listen));
    axum::serve(listener, app).await.expect("serve");
}

async fn ingest(State(tx): State<broadcast::Sender<Bytes>>, body: Bytes) -> StatusCode {
    let mut frame = Vec::with_capacity(body.len() + 8);
    frame.extend_from_slice(b"data: ");
    frame.extend(body.iter().map(|&b| if b == b'\n' || b == b'\r' { b' ' } else { b }));
    frame.extend_from_slice(b"\n\n");
    let _ = tx.send(Bytes::from(frame));
    StatusCode::ACCEPTED
}

async fn stream(State(tx): State<broadcast::Sender<Bytes>>) -> Response {
    let frames = futures_util::stream::unfold(tx.subscribe(), |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(frame) => return Some((Ok::<_, Infallible>(frame), rx)),
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    (
        [(header::CONTENT_TYPE, "text/event-stream"), (header::CACHE_CONTROL, "no-cache")],
        Body::from_stream(frames),
    )
        .into_response()
}
