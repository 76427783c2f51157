//! The recent refused ingest requests (DESIGN §2), kept apart from the history so a developer
//! whose event "never showed up" can see why. Each is also broadcast as a `rejected` frame.

use crate::core::envelope::RequestRecord;
use crate::core::sse::Frame;
use crate::server::error::ErrorBody;
use crate::server::hub::{Hub, Message};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// How many refused requests are kept.
pub const CAPACITY: usize = 1000;

/// One refused request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rejection {
    /// RFC 3339 time of arrival.
    pub time: String,
    /// HTTP status answered.
    pub status: u16,
    /// The JSON error answered, as sent.
    #[serde(flatten)]
    pub error: ErrorBody,
    /// The request as received (credentials removed, body cut at 64 KiB).
    pub request: RequestRecord,
}

/// Ring of the last [`CAPACITY`] rejections.
pub struct Rejections {
    ring: Mutex<VecDeque<Arc<Rejection>>>,
    hub: Hub,
}

impl Rejections {
    pub fn new(hub: Hub) -> Self {
        Self { ring: Mutex::new(VecDeque::with_capacity(64)), hub }
    }

    /// Keeps `rejection`, dropping the oldest past [`CAPACITY`], and broadcasts it.
    pub fn record(&self, rejection: Rejection) {
        let json = serde_json::to_string(&rejection).expect("a rejection always serializes");
        let frame = Bytes::from(Frame::new("rejected", json).encode());
        let mut ring = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        ring.push_back(Arc::new(rejection));
        if ring.len() > CAPACITY {
            ring.pop_front();
        }
        // Under the lock, so the stream order matches the list order.
        self.hub.publish(Message::Rejected(frame));
    }

    /// The newest `limit` rejections, newest first.
    pub fn recent(&self, limit: usize) -> Vec<Arc<Rejection>> {
        let ring = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        ring.iter().rev().take(limit).cloned().collect()
    }

    pub fn len(&self) -> usize {
        self.ring.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
