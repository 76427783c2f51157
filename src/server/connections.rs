//! The accept loop (DESIGN §9 "Connections"): header and body deadlines, a connection cap that
//! still answers `/healthz`, the open-files limit, and a shutdown with a deadline. Owns sockets
//! only; what a request means is the router's business.

use crate::server::HttpService;
use crate::server::error::ApiError;
use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, Sleep};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt as _;

/// Connections past the cap that are still served one answer (`/healthz`, or 503 for the rest),
/// so probes and clients learn why instead of hanging; past these, a connection is closed at once.
pub const OVERFLOW: usize = 64;
/// Descriptors kept free for what is not a client connection (Redis, sinks, files).
const RESERVED_FDS: u64 = 128;
/// Pause after an accept error such as EMFILE, so a full descriptor table is not a busy loop.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// How the accept loop treats connections.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub header_timeout: Duration,
    pub max_connections: usize,
    pub shutdown_timeout: Duration,
}

/// Raises the open-files soft limit to the hard limit and returns the connection cap that fits
/// in it (`wanted` at most), so the server never runs out of descriptors before it reaches its cap.
pub fn fit_connection_cap(wanted: usize) -> usize {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => {
            let usable = limit.saturating_sub(RESERVED_FDS + OVERFLOW as u64).max(16);
            let cap = wanted.min(usize::try_from(usable).unwrap_or(usize::MAX));
            if cap < wanted {
                tracing::warn!(
                    "open-files limit is {limit}: serving at most {cap} connections instead of {wanted}"
                );
            }
            cap
        }
        Err(e) => {
            tracing::warn!("cannot read or raise the open-files limit: {e}");
            wanted
        }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then runs `drain` (which stops ingest
/// and ends streams once they have every stored event), stops accepting, lets open connections
/// finish their answers, and drops those still open after `limits.shutdown_timeout`.
pub async fn serve(
    listener: TcpListener,
    app: impl HttpService,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
    drain: impl Future<Output = ()>,
) {
    let open = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let graceful = GracefulShutdown::new();
    // HTTP/1.1 only, as producers and browsers speak it here; the head timer also runs while a
    // keep-alive connection waits for its next request, so it doubles as the idle timeout.
    let mut builder = http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
    let mut overflow_builder = builder.clone();
    overflow_builder.keep_alive(false);
    let overflow_app = overflow_router(app.clone());
    let _trimmer = tokio_util::task::AbortOnDropHandle::new(tokio::spawn(give_back_memory(
        Arc::clone(&open),
        Arc::clone(&peak),
    )));
    // Cancelled past the shutdown deadline: each connection task then drops its connection.
    let cut_off = CancellationToken::new();

    tokio::pin!(shutdown);
    loop {
        let (stream, _peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // EMFILE, ENFILE, ECONNABORTED...: the listener stays usable; wait a moment.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let count = open.fetch_add(1, Ordering::AcqRel) + 1;
        peak.fetch_max(count, Ordering::AcqRel);
        let guard = OpenGuard(Arc::clone(&open));
        if count <= limits.max_connections {
            spawn_connection(&builder, stream, app.clone(), &graceful, &cut_off, guard);
        } else if count <= limits.max_connections + OVERFLOW {
            spawn_connection(&overflow_builder, stream, overflow_app.clone(), &graceful, &cut_off, guard);
        }
        // Past both, the stream and its guard are dropped here: the connection is closed at once.
    }

    drain.await;
    drop(listener);
    if tokio::time::timeout(limits.shutdown_timeout, graceful.shutdown()).await.is_err() {
        tracing::warn!(
            "{} connections still open after {}: dropping them",
            open.load(Ordering::Acquire),
            humantime::format_duration(limits.shutdown_timeout)
        );
        cut_off.cancel();
    }
}

/// How often the open-connection count is checked, and by how much it must have fallen since the
/// last trim for the next one.
const TRIM_EVERY: Duration = Duration::from_secs(5);
const TRIM_AFTER_CLOSED: usize = 256;

/// Returns freed heap pages to the system after many connections have closed: an idle server
/// otherwise never purges them (10,000 closed streams: 0% given back without, 76% with).
async fn give_back_memory(open: Arc<AtomicUsize>, peak: Arc<AtomicUsize>) {
    loop {
        tokio::time::sleep(TRIM_EVERY).await;
        let now = open.load(Ordering::Acquire);
        if peak.load(Ordering::Acquire).saturating_sub(now) >= TRIM_AFTER_CLOSED {
            trim_heap();
            peak.store(now, Ordering::Release);
        }
    }
}

fn trim_heap() {
    // SAFETY: mi_collect takes no pointers; it returns the allocator's free pages to the system.
    unsafe { libmimalloc_sys::mi_collect(true) }
}

/// Decrements the open-connection count when a connection ends.
struct OpenGuard(Arc<AtomicUsize>);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Serves one connection on a task of its own, watched for shutdown and cut off past its deadline;
/// `guard` counts it open until it ends.
fn spawn_connection(
    builder: &http1::Builder,
    stream: TcpStream,
    app: impl HttpService,
    graceful: &GracefulShutdown,
    cut_off: &CancellationToken,
    guard: OpenGuard,
) {
    let service =
        TowerToHyperService::new(app.map_request(|request: Request<Incoming>| request.map(Body::new)));
    let watched = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
    let cut_off = cut_off.clone();
    tokio::spawn(async move {
        tokio::select! {
            _ = watched => {}
            () = cut_off.cancelled() => {}
        }
        drop(guard);
    });
}

/// What a connection past the cap gets: health checks as usual, a 503 for anything else.
fn overflow_router(app: impl HttpService) -> Router {
    let health = Router::new().route("/healthz", axum::routing::any_service(app.clone()));
    let health = health.route("/health", axum::routing::any_service(app));
    health.fallback(|| async {
        let mut response = ApiError::TooManyConnections.into_response();
        response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        response
    })
}

/// Gives a request body a deadline (`--body-timeout`), counted from when its head arrived: a
/// body that trickles in is cut with [`BodyTimeout`], which the handlers answer with 408.
pub fn with_body_deadline(request: Request, timeout: Duration) -> Request {
    if request.body().is_end_stream() {
        return request;
    }
    let deadline = Instant::now() + timeout;
    request.map(|inner| Body::new(DeadlineBody { inner, deadline, timer: None }))
}

/// The error a request body yields once its deadline passed.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive in time")]
pub struct BodyTimeout;

impl BodyTimeout {
    /// Whether `error` (or anything it wraps) is a [`BodyTimeout`].
    pub fn caused(error: &(dyn std::error::Error + 'static)) -> bool {
        let mut cause = Some(error);
        while let Some(e) = cause {
            if e.is::<BodyTimeout>() {
                return true;
            }
            cause = e.source();
        }
        false
    }
}

/// A request body that fails with [`BodyTimeout`] once `deadline` passes. The timer starts only
/// when the body has to be waited for: most bodies arrive with their head, and a timer per
/// request (allocated, registered, cancelled) was a measurable share of ingest. Every field is
/// `Unpin`, so no projection is needed.
struct DeadlineBody {
    inner: Body,
    deadline: Instant,
    timer: Option<Pin<Box<Sleep>>>,
}

impl HttpBody for DeadlineBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        let deadline = self.deadline;
        let timer = self.timer.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        ready!(timer.as_mut().poll(cx));
        Poll::Ready(Some(Err(axum::Error::new(BodyTimeout))))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
