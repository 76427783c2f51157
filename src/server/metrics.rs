//! Prometheus metrics (`GET /metrics`). One registry per server instance, so tests that build many
//! routers in one process never share counters.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::{counter::Counter, family::Family, gauge::Gauge};
use prometheus_client::registry::Registry;

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
    /// Events stored, by binding mode.
    pub events_accepted: Family<ModeLabel, Counter>,
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
    /// Ingest requests whose client broke off its upload (no answer could reach it).
    pub aborted_uploads: Counter,
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
        Self {
            registry,
            events_accepted,
            requests_rejected,
            stream_clients,
            frames_sent,
            lag_catchups,
            gaps,
            aborted_uploads,
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
