//! The recent refused ingest requests (DESIGN §2), kept apart from the history so a developer
//! whose event "never showed up" can see why. Bounded by count and bytes; each is broadcast as a
//! small `rejected` summary frame, and served in full by `GET /api/rejections/{id}`.

use crate::core::protocol::{FrameKind, Rejection, RejectionSummary};
use crate::server::hub::{Hub, Message};
use bytes::Bytes;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// How many refused requests are kept.
pub const CAPACITY: usize = 1000;
/// Bytes the kept requests may hold; the oldest go first past it.
pub const MAX_BYTES: usize = 32 * 1024 * 1024;

/// The last refused requests, newest at the back.
pub struct Rejections {
    inner: Mutex<Inner>,
    hub: Hub,
}

#[derive(Default)]
struct Inner {
    ring: VecDeque<(usize, Arc<Rejection>)>,
    bytes: usize,
    next_id: u64,
}

impl Rejections {
    pub fn new(hub: Hub) -> Self {
        Self { inner: Mutex::default(), hub }
    }

    /// Keeps `rejection` under a fresh id, dropping the oldest past [`CAPACITY`] or [`MAX_BYTES`],
    /// and broadcasts its summary. Returns the id.
    pub fn record(&self, mut rejection: Rejection) -> u64 {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.next_id += 1;
        rejection.id = inner.next_id;
        let frame = Bytes::from(FrameKind::Rejected.frame(&rejection.summary()).encode());
        let size = rejection.approx_bytes();
        inner.bytes += size;
        inner.ring.push_back((size, Arc::new(rejection)));
        while inner.ring.len() > CAPACITY || (inner.bytes > MAX_BYTES && inner.ring.len() > 1) {
            let (size, _) = inner.ring.pop_front().expect("more than one rejection");
            inner.bytes -= size;
        }
        // Under the lock, so the stream order matches the list order.
        self.hub.publish(Message::Rejected(frame));
        inner.next_id
    }

    /// Forgets every kept rejection (`DELETE /api/events` clears the rejected lane with the
    /// history); ids keep increasing.
    pub fn clear(&self) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.ring.clear();
        inner.bytes = 0;
    }

    /// Summaries of the newest `limit` rejections, newest first.
    pub fn recent(&self, limit: usize) -> Vec<RejectionSummary> {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.ring.iter().rev().take(limit).map(|(_, r)| r.summary()).collect()
    }

    /// One kept rejection in full.
    pub fn get(&self, id: u64) -> Option<Arc<Rejection>> {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let index = inner.ring.binary_search_by_key(&id, |(_, r)| r.id).ok()?;
        Some(Arc::clone(&inner.ring[index].1))
    }

    pub fn len(&self) -> usize {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).ring.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes the kept rejections hold.
    pub fn bytes(&self) -> usize {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::envelope::RequestRecord;
    use crate::core::rejection::ErrorDetail;

    fn rejection(body: usize) -> Rejection {
        Rejection {
            id: 0,
            time: "2026-12-02T00:00:00.000Z".into(),
            status: 400,
            error: ErrorDetail { code: "malformed_json".into(), message: "bad".into(), details: vec![] },
            request: Arc::new(RequestRecord::new("POST", "/", [], &vec![b'x'; body])),
        }
    }

    #[test]
    fn keeps_ids_in_order_and_serves_one_in_full() {
        let hub = Hub::new(16);
        let mut rx = hub.subscribe();
        let list = Rejections::new(hub);
        let first = list.record(rejection(10));
        let second = list.record(rejection(20));
        assert!(first < second);
        assert_eq!(list.get(second).unwrap().request.body_size, 20);
        assert!(list.get(second + 1).is_none());
        assert_eq!(list.recent(10).iter().map(|s| s.id).collect::<Vec<_>>(), [second, first]);
        assert!(matches!(rx.try_recv(), Ok(Message::Rejected(frame)) if frame.len() < 1024));
    }

    #[test]
    fn the_byte_budget_drops_the_oldest() {
        let list = Rejections::new(Hub::new(16));
        for _ in 0..1000 {
            list.record(rejection(64 * 1024));
        }
        assert!(list.bytes() <= MAX_BYTES, "{}", list.bytes());
        assert!(list.len() < 1000 && list.len() > 400, "{}", list.len());
        let newest = list.recent(1)[0].id;
        assert_eq!(newest, 1000);
        assert!(list.get(1).is_none(), "the oldest went first");
    }
}
