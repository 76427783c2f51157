//! One keep-alive HTTP/1.1 connection per simulated client (hyper's client conn, no pool), so the
//! connection count is exactly what was asked for.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{Request, Response, StatusCode, header};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::time::timeout;

use crate::event;
use crate::target::Target;

/// Connecting and each answer's head are bounded, so a stuck server cannot hang a phase.
pub const TIMEOUT: Duration = Duration::from_secs(10);

pub type Conn = SendRequest<Full<Bytes>>;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// `ce-*` headers, the data as the body.
    Binary,
    /// `application/cloudevents+json`, the whole event as the body.
    Structured,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Binary => "binary",
            Mode::Structured => "structured",
        }
    }
}

pub async fn connect(t: &Target) -> crate::Result<Conn> {
    let stream = timeout(TIMEOUT, TcpStream::connect(t.addr))
        .await
        .map_err(|_| format!("{}: connect timed out", t.addr))?
        .map_err(|e| format!("{}: {e}", t.addr))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let (sender, conn) =
        http1::handshake(TokioIo::new(stream)).await.map_err(|e| format!("{}: {e}", t.addr))?;
    tokio::spawn(conn);
    Ok(sender)
}

/// Sends a request and waits for the answer's head.
pub async fn send(conn: &mut Conn, req: Request<Full<Bytes>>) -> crate::Result<Response<Incoming>> {
    timeout(TIMEOUT, async {
        conn.ready().await.map_err(|e| e.to_string())?;
        conn.send_request(req).await.map_err(|e| e.to_string())
    })
    .await
    .map_err(|_| "no answer in time".to_owned())?
}

/// Posts one event and reads the whole answer, so the connection is ready for the next.
pub async fn post_event(
    conn: &mut Conn,
    t: &Target,
    mode: Mode,
    id: &str,
    seq: u64,
) -> crate::Result<StatusCode> {
    let data = event::data(id, seq, event::now_us());
    let builder = Request::post(&t.path).header(header::HOST, &t.authority);
    let req = match mode {
        Mode::Binary => builder
            .header("ce-specversion", "1.0")
            .header("ce-id", id)
            .header("ce-source", event::SOURCE)
            .header("ce-type", event::TYPE)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(data))),
        Mode::Structured => builder
            .header(header::CONTENT_TYPE, "application/cloudevents+json")
            .body(Full::new(Bytes::from(event::structured(id, &data)))),
    }
    .map_err(|e| e.to_string())?;
    let res = send(conn, req).await?;
    let status = res.status();
    timeout(TIMEOUT, res.into_body().collect())
        .await
        .map_err(|_| "answer body timed out".to_owned())?
        .map_err(|e| e.to_string())?;
    Ok(status)
}

/// Opens `GET` on an SSE URL and returns the streaming answer once its head has arrived.
pub async fn open_stream(t: &Target) -> crate::Result<Response<Incoming>> {
    let mut conn = connect(t).await?;
    let req = Request::get(&t.path)
        .header(header::HOST, &t.authority)
        .header(header::ACCEPT, "text/event-stream")
        .body(Full::new(Bytes::new()))
        .map_err(|e| e.to_string())?;
    let res = send(&mut conn, req).await?;
    if res.status() != StatusCode::OK {
        return Err(format!("{}: GET {} answered {}", t.addr, t.path, res.status()));
    }
    Ok(res)
}
