//! Prometheus metrics (`GET /metrics`). One registry per server instance, so tests that build many
//! routers in one process never share counters.

use crate::core::cloudevent::Mode;
use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram};
use prometheus_client::registry::{Registry, Unit};
use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, ready};
use std::time::Instant;

/// Request-duration buckets in seconds: from half a millisecond (an ingest on loopback) to a
/// minute (the longest `/api/events/wait`).
const DURATION_BUCKETS: [f64; 16] =
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

/// A request's route (the router's pattern, e.g. `/api/events/{id}`, so ids do not explode the
/// label set), method and status code class.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabel {
    /// The method, or `other` for one outside RFC 9110's.
    pub method: &'static str,
    /// Borrowed for the ingest routes, which name theirs with a constant: no copy per event.
    pub route: Cow<'static, str>,
    /// `2xx`, `4xx`, `5xx`…
    pub status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ModeLabel {
    pub mode: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabel {
    pub reason: &'static str,
}

/// Every counter the server keeps. Handles are cheap clones of atomics.
pub struct Metrics {
    registry: Registry,
    /// Events stored, by binding mode: counted through [`Metrics::count_accepted`].
    events_accepted: Family<ModeLabel, Counter>,
    /// `events_accepted`'s counter of each mode once it has one: the family hashes the label on
    /// every lookup, and every ingest counts.
    accepted_by_mode: [OnceLock<Counter>; 3],
    /// Ingest requests refused, by error code.
    pub requests_rejected: Family<ReasonLabel, Counter>,
    /// Open `/stream` connections.
    pub stream_clients: Gauge,
    /// SSE frames written to clients (replay and live, not pings).
    pub frames_sent: Counter,
    /// Times a slow subscriber fell behind the broadcast buffer and caught up from the history.
    pub lag_catchups: Counter,
    /// `gap` frames sent: events a client could not be given.
    pub gaps: Counter,
    /// Events stored but answered with a failure (status >= 400) by a delivery lab rule, apart
    /// from `requests_rejected` (invalid requests, nothing stored).
    pub events_refused: Counter,
    /// Ingest requests whose client broke off its upload (no answer could reach it).
    pub aborted_uploads: Counter,
    /// Time from a request's arrival to its response head, by route (for `/stream`, until the
    /// stream opens).
    pub request_duration: Family<RouteLabel, Histogram, fn() -> Histogram>,
    /// Events the history holds, read at each scrape.
    pub history_events: Gauge,
    /// Bytes the history holds, read at each scrape (the memory log; Redis reports none).
    pub history_bytes: Gauge,
}

impl Metrics {
    /// Counts `events` stored in `mode`.
    pub fn count_accepted(&self, mode: Mode, events: u64) {
        self.accepted_by_mode[mode as usize]
            .get_or_init(|| self.events_accepted.get_or_create(&ModeLabel { mode: mode.as_str() }).clone())
            .inc_by(events);
    }

    /// Records one answered request.
    pub fn observe_request(&self, method: &Method, route: Cow<'static, str>, status: u16, seconds: f64) {
        let status = match status {
            100..=199 => "1xx",
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        };
        let method = match *method {
            Method::GET => "GET",
            Method::POST => "POST",
            Method::PUT => "PUT",
            Method::DELETE => "DELETE",
            Method::HEAD => "HEAD",
            Method::OPTIONS => "OPTIONS",
            Method::PATCH => "PATCH",
            Method::CONNECT => "CONNECT",
            Method::TRACE => "TRACE",
            _ => "other",
        };
        let label = RouteLabel { method, route, status };
        self.request_duration.get_or_create(&label).observe(seconds);
    }
}

/// Times every request of the routes it wraps to its response head, labelled with the route's
/// pattern; static files and unknown paths (the fallback) are not routes and are not timed. A tower
/// layer of its own: `from_fn` boxed a future and a clone of the route per request.
#[derive(Clone)]
pub struct ObserveLayer(pub Arc<Metrics>);

impl<S> tower::Layer<S> for ObserveLayer {
    type Service = Observe<S>;

    fn layer(&self, inner: S) -> Observe<S> {
        Observe { inner, metrics: Arc::clone(&self.0) }
    }
}

#[derive(Clone)]
pub struct Observe<S> {
    inner: S,
    metrics: Arc<Metrics>,
}

impl<S> tower::Service<Request> for Observe<S>
where
    S: tower::Service<Request, Response = Response, Future: Unpin>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Observed<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        Observed {
            route: request.extensions().get::<MatchedPath>().cloned(),
            method: request.method().clone(),
            started: Instant::now(),
            metrics: Arc::clone(&self.metrics),
            inner: self.inner.call(request),
        }
    }
}

/// A wrapped route's answer, timed when its head is ready.
pub struct Observed<F> {
    inner: F,
    metrics: Arc<Metrics>,
    method: Method,
    route: Option<MatchedPath>,
    started: Instant,
}

impl<F, E> Future for Observed<F>
where
    F: Future<Output = Result<Response, E>> + Unpin,
{
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        let output = ready!(Pin::new(&mut this.inner).poll(cx));
        if let (Ok(response), Some(route)) = (&output, &this.route) {
            let seconds = this.started.elapsed().as_secs_f64();
            let route = Cow::Owned(route.as_str().to_owned());
            this.metrics.observe_request(&this.method, route, response.status().as_u16(), seconds);
        }
        Poll::Ready(output)
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("cep");
        let events_accepted = Family::<ModeLabel, Counter>::default();
        let requests_rejected = Family::<ReasonLabel, Counter>::default();
        let stream_clients = Gauge::default();
        let frames_sent = Counter::default();
        let lag_catchups = Counter::default();
        let gaps = Counter::default();
        let aborted_uploads = Counter::default();
        let events_refused = Counter::default();
        let request_duration: Family<RouteLabel, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(|| Histogram::new(DURATION_BUCKETS));
        let history_events = Gauge::default();
        let history_bytes = Gauge::default();
        registry.register("events_accepted", "Events stored, by binding mode", events_accepted.clone());
        registry.register(
            "requests_rejected",
            "Ingest requests refused, by error code",
            requests_rejected.clone(),
        );
        registry.register("stream_clients", "Open /stream connections", stream_clients.clone());
        registry.register("frames_sent", "SSE frames written to stream clients", frames_sent.clone());
        registry.register(
            "lag_catchups",
            "Slow subscribers caught up from the history",
            lag_catchups.clone(),
        );
        registry.register("gaps", "Gap frames sent to stream clients", gaps.clone());
        registry.register(
            "aborted_uploads",
            "Ingest requests whose client broke off the upload",
            aborted_uploads.clone(),
        );
        registry.register(
            "events_refused",
            "Events stored but answered with a failure by a delivery lab rule",
            events_refused.clone(),
        );
        registry.register_with_unit(
            "http_request_duration",
            "Time from a request's arrival to its response head, by route",
            Unit::Seconds,
            request_duration.clone(),
        );
        registry.register("history_events", "Events the history holds", history_events.clone());
        registry.register_with_unit(
            "history",
            "Bytes the history holds (memory backend)",
            Unit::Bytes,
            history_bytes.clone(),
        );
        Self {
            registry,
            request_duration,
            history_events,
            history_bytes,
            events_accepted,
            accepted_by_mode: Default::default(),
            requests_rejected,
            stream_clients,
            frames_sent,
            lag_catchups,
            gaps,
            aborted_uploads,
            events_refused,
        }
    }
}

impl Metrics {
    /// The OpenMetrics text exposition, which Prometheus scrapes.
    pub fn render(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }
}
