//! Fan-out to `/stream` subscribers: one tokio broadcast of pre-framed SSE bytes, so a frame is
//! serialized once per event however many tabs watch. The event log publishes in id order.
//!
//! Memory (DESIGN §3): the broadcast ring holds only weak references to events. What keeps a
//! just-published event alive for subscribers a little behind is [`Hub`]'s recent buffer, bounded
//! to [`RECENT_BYTES`]; a subscriber that finds an event gone catches up from the history. So a
//! stalled subscriber pins at most that buffer and the ring's small slots, whatever the traffic.

use crate::core::envelope::Envelope;
use crate::core::id::EventId;
use crate::core::marks::Marks;
use crate::core::protocol::FrameKind;
use crate::core::sse::Frame;
use bytes::Bytes;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, Weak};
use tokio::sync::broadcast;

/// Bytes of recent events the hub keeps alive beyond what the history holds.
pub const RECENT_BYTES: usize = 16 * 1024 * 1024;
/// Fixed cost of a stored event besides its text: the envelope, ids, allocator overhead.
const ENTRY_OVERHEAD: usize = 512;

/// A stored event with its `cloudevent` SSE frame, built once and shared.
#[derive(Debug)]
pub struct Entry {
    pub envelope: Envelope,
    /// `id: <history id>\nevent: cloudevent\n[warnings: <rule ids>\n][delivery: <answer>\n]data: <event JSON>\n\n`.
    pub frame: Bytes,
    /// Heap bytes this entry holds (its event, frame and envelope), for byte budgets.
    pub bytes: usize,
}

impl Entry {
    /// `event_json` is `envelope.event` serialized on one line (done before any lock is taken).
    pub fn new(envelope: Envelope, event_json: String) -> Self {
        let frame = Marks::of(&envelope)
            .write(
                Frame::new(FrameKind::CloudEvent.as_str(), event_json).with_id(envelope.id.text().as_str()),
            )
            .encode();
        let bytes = frame.len() + envelope.event.heap_bytes() + ENTRY_OVERHEAD;
        Self { envelope, frame: Bytes::from(frame), bytes }
    }

    pub fn id(&self) -> EventId {
        self.envelope.id
    }
}

/// A published event as the ring carries it: its id, and the event while anything still holds it.
#[derive(Debug, Clone)]
pub struct Live {
    pub id: EventId,
    entry: Weak<Entry>,
}

impl Live {
    /// The event, or `None` once both the history and the recent buffer have let it go: the
    /// subscriber is too far behind and must catch up from the history.
    pub fn entry(&self) -> Option<Arc<Entry>> {
        self.entry.upgrade()
    }
}

/// What subscribers receive, in the order it happened.
#[derive(Debug, Clone)]
pub enum Message {
    /// A new event.
    Event(Live),
    /// The history was cleared; every event up to `through` is gone.
    Cleared { through: Option<EventId> },
    /// An ingest request was refused: a ready `rejected` frame (a bounded summary).
    Rejected(Bytes),
    /// The publisher missed events that the history dropped before it could read them (a Redis
    /// tail cut off while other replicas filled the history): subscribers catch up from the log,
    /// which reports the gap.
    Behind,
}

/// The broadcast channel and the recent buffer. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Hub {
    tx: broadcast::Sender<Message>,
    /// Messages the ring holds: an older event can no longer reach a subscriber through it.
    capacity: usize,
    recent: Arc<Mutex<Recent>>,
}

#[derive(Debug, Default)]
struct Recent {
    entries: VecDeque<Arc<Entry>>,
    bytes: usize,
}

impl Hub {
    /// `capacity` messages are buffered per subscriber before it lags (and catches up from the log).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(16);
        let (tx, _) = broadcast::channel(capacity);
        Self { tx, capacity, recent: Arc::default() }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Message> {
        self.tx.subscribe()
    }

    /// Publishes a stored event: kept alive in the recent buffer, sent to subscribers by reference.
    /// The buffer keeps no more events than the ring holds messages, and no more than
    /// [`RECENT_BYTES`] (always the newest one).
    pub fn publish_event(&self, entry: &Arc<Entry>) {
        if self.tx.receiver_count() == 0 {
            return;
        }
        let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        recent.bytes += entry.bytes;
        recent.entries.push_back(Arc::clone(entry));
        self.publish(Message::Event(Live { id: entry.id(), entry: Arc::downgrade(entry) }));
        while recent.entries.len() > self.capacity
            || (recent.bytes > RECENT_BYTES && recent.entries.len() > 1)
        {
            let oldest = recent.entries.pop_front().expect("more than one entry");
            recent.bytes -= oldest.bytes;
        }
    }

    /// Sends to every current subscriber; never blocks. No subscribers is not an error.
    pub fn publish(&self, message: Message) {
        let _ = self.tx.send(message);
    }

    pub fn subscribers(&self) -> usize {
        self.tx.receiver_count()
    }

    /// Bytes of events the recent buffer holds.
    pub fn recent_bytes(&self) -> usize {
        self.recent.lock().unwrap_or_else(|p| p.into_inner()).bytes
    }
}
