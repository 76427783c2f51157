//! Fan-out to `/stream` subscribers: one tokio broadcast of pre-framed SSE bytes, so a frame is
//! serialized once per event however many tabs watch. The event log publishes in id order.

use crate::core::envelope::Envelope;
use crate::core::id::EventId;
use crate::core::sse::Frame;
use bytes::Bytes;
use std::sync::Arc;
use tokio::sync::broadcast;

/// A stored event with its `cloudevent` SSE frame, built once and shared.
#[derive(Debug)]
pub struct Entry {
    pub envelope: Envelope,
    /// `id: <history id>\nevent: cloudevent\ndata: <event JSON>\n\n`.
    pub frame: Bytes,
}

impl Entry {
    /// `event_json` is `envelope.event` serialized on one line (done before any lock is taken).
    pub fn new(envelope: Envelope, event_json: String) -> Self {
        let frame = Frame::new("cloudevent", event_json).with_id(envelope.id.to_string()).encode();
        Self { envelope, frame: Bytes::from(frame) }
    }

    pub fn id(&self) -> EventId {
        self.envelope.id
    }
}

/// What subscribers receive, in the order it happened.
#[derive(Debug, Clone)]
pub enum Message {
    /// A new event.
    Event(Arc<Entry>),
    /// The history was cleared; every event up to `through` is gone.
    Cleared { through: Option<EventId> },
    /// An ingest request was refused: a ready `rejected` frame.
    Rejected(Bytes),
    /// The publisher missed events that the history dropped before it could read them (a Redis
    /// tail cut off while other replicas filled the history): subscribers catch up from the log,
    /// which reports the gap.
    Behind,
}

/// The broadcast channel. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Hub {
    tx: broadcast::Sender<Message>,
}

impl Hub {
    /// `capacity` messages are buffered per subscriber before it lags (and catches up from the log).
    pub fn new(capacity: usize) -> Self {
        let (tx, _) = broadcast::channel(capacity.max(16));
        Self { tx }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Message> {
        self.tx.subscribe()
    }

    /// Sends to every current subscriber; never blocks. No subscribers is not an error.
    pub fn publish(&self, message: Message) {
        let _ = self.tx.send(message);
    }

    pub fn subscribers(&self) -> usize {
        self.tx.receiver_count()
    }
}
