//! History ids in the Redis Streams form `<unix-ms>-<n>` (DESIGN §3). Both backends make them the
//! same way, so a `Last-Event-ID` means the same thing whichever backend issued it.

use std::fmt;
use std::str::FromStr;

/// A history id: milliseconds since the Unix epoch, then a sequence within that millisecond.
/// Ordered as the pair `(ms, seq)`, which is the order of the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct EventId {
    /// Unix time in milliseconds when the id was issued (or the previous id's, if the clock lagged).
    pub ms: u64,
    /// Sequence number within `ms`, starting at 0.
    pub seq: u64,
}

/// Why a string is not an [`EventId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("event id `{0}` is not of the form <unix-ms>-<n>")]
    Malformed(String),
}

impl EventId {
    /// The smallest id; every issued id is greater.
    pub const ZERO: EventId = EventId { ms: 0, seq: 0 };
    /// The largest id; never issued (the clock would have to read the year 584 million).
    pub const MAX: EventId = EventId { ms: u64::MAX, seq: u64::MAX };

    pub const fn new(ms: u64, seq: u64) -> Self {
        Self { ms, seq }
    }

    /// The id to issue after `self` at wall-clock time `now_ms`. Strictly greater than `self` even
    /// when the clock stands still or steps back, so ids stay unique across restarts as long as
    /// the previous last id is known or the clock has moved on.
    pub fn next(self, now_ms: u64) -> Self {
        if now_ms > self.ms { Self { ms: now_ms, seq: 0 } } else { Self { ms: self.ms, seq: self.seq + 1 } }
    }

    /// The smallest id after `self`, crossing into the next millisecond after the largest sequence;
    /// [`EventId::MAX`] stays itself. Turns "after `self`" into an inclusive bound (Redis `XRANGE`).
    pub fn successor(self) -> Self {
        match self.seq.checked_add(1) {
            Some(seq) => Self { seq, ..self },
            None if self.ms < u64::MAX => Self { ms: self.ms + 1, seq: 0 },
            None => self,
        }
    }

    /// The largest id before `self`, crossing into the previous millisecond at sequence 0;
    /// [`EventId::ZERO`] stays itself. Turns "before `self`" into an inclusive bound, and "from
    /// `self` on" into "after its predecessor".
    pub fn predecessor(self) -> Self {
        match self.seq.checked_sub(1) {
            Some(seq) => Self { seq, ..self },
            None if self.ms > 0 => Self { ms: self.ms - 1, seq: u64::MAX },
            None => self,
        }
    }
}

/// Where a run of ids starts in the count of ids a history issued. A run is dense: the same
/// millisecond, `seq` going up by one (as [`EventId::next`] and Redis issue them, until a Redis
/// clear marker takes a `seq`), so one mark per run counts any id exactly: how many events a
/// reader missed (`gap` frames).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    /// The run's first id.
    pub start: EventId,
    /// Its 1-based ordinal among the ids issued.
    pub first: u64,
}

impl Mark {
    /// Whether `id`, issued right after `previous` (`None` for the first), starts a run.
    pub fn starts_run(previous: Option<EventId>, id: EventId) -> bool {
        previous.is_none_or(|p| p.ms != id.ms || p.seq.checked_add(1) != Some(id.seq))
    }

    /// How many ids were issued up to and including `id`, given `floor`, the last mark at or
    /// before `id`, `next_first`, the `first` of the mark after `id` (of the oldest mark kept
    /// when there is no floor), and `total` issued. `None` when the marks no longer reach back
    /// to `id`.
    pub fn issued_through(
        id: EventId,
        floor: Option<Mark>,
        next_first: Option<u64>,
        total: u64,
    ) -> Option<u64> {
        let next_first = next_first.unwrap_or(total + 1);
        let Some(floor) = floor else {
            // Before every mark: nothing was issued yet if the marks go back to the first id.
            return (next_first == 1).then_some(0);
        };
        let last = next_first.saturating_sub(1);
        Some(if id.ms == floor.start.ms {
            floor.first.saturating_add(id.seq.saturating_sub(floor.start.seq)).min(last)
        } else {
            last
        })
    }
}

impl EventId {
    /// `<ms>-<seq>` on the stack, without the formatting machinery: every stored event's id is
    /// written into its frame and its answer.
    pub fn text(&self) -> IdText {
        let (mut ms, mut seq) = (itoa::Buffer::new(), itoa::Buffer::new());
        let (ms, seq) = (ms.format(self.ms).as_bytes(), seq.format(self.seq).as_bytes());
        let mut text = IdText { bytes: [0; ID_TEXT_MAX], len: ms.len() + 1 + seq.len() };
        text.bytes[..ms.len()].copy_from_slice(ms);
        text.bytes[ms.len()] = b'-';
        text.bytes[ms.len() + 1..text.len].copy_from_slice(seq);
        text
    }
}

/// The longest id: two 20-digit numbers and the dash.
const ID_TEXT_MAX: usize = 41;

/// An id's text, from [`EventId::text`].
pub struct IdText {
    bytes: [u8; ID_TEXT_MAX],
    len: usize,
}

impl IdText {
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len]).expect("digits and a dash")
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text().as_str())
    }
}

impl FromStr for EventId {
    type Err = IdError;

    /// Accepts exactly `<digits>-<digits>`, each fitting in a u64 (no sign, spaces or extra parts).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let malformed = || IdError::Malformed(s.chars().take(64).collect());
        let (ms, seq) = s.split_once('-').ok_or_else(malformed)?;
        let number = |part: &str| {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(malformed());
            }
            part.parse::<u64>().map_err(|_| malformed())
        };
        Ok(Self { ms: number(ms)?, seq: number(seq)? })
    }
}

impl serde::Serialize for EventId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.text().as_str())
    }
}

impl<'de> serde::Deserialize<'de> for EventId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_and_displays_the_redis_form() {
        let id: EventId = "1764130000123-7".parse().unwrap();
        assert_eq!(id, EventId::new(1_764_130_000_123, 7));
        assert_eq!(id.to_string(), "1764130000123-7");
    }

    #[test]
    fn writes_the_longest_and_shortest_ids() {
        assert_eq!(EventId::MAX.text().as_str(), "18446744073709551615-18446744073709551615");
        assert_eq!(EventId::ZERO.text().as_str(), "0-0");
        assert_eq!(serde_json::to_string(&EventId::MAX).unwrap(), format!("\"{}\"", EventId::MAX));
    }

    #[test]
    fn rejects_malformed_ids() {
        for bad in [
            "",
            "-",
            "1-",
            "-1",
            "1",
            "1-2-3",
            "a-1",
            "1-b",
            "+1-2",
            " 1-2",
            "1-2 ",
            "99999999999999999999-0",
        ] {
            assert!(bad.parse::<EventId>().is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn orders_as_a_pair_of_integers_not_as_text() {
        let a: EventId = "9-10".parse().unwrap();
        let b: EventId = "10-2".parse().unwrap();
        let c: EventId = "10-10".parse().unwrap();
        assert!(a < b && b < c);
    }

    #[test]
    fn next_moves_to_a_later_clock_or_bumps_the_sequence() {
        let id = EventId::new(100, 4);
        assert_eq!(id.next(250), EventId::new(250, 0));
        assert_eq!(id.next(100), EventId::new(100, 5));
        assert_eq!(id.next(50), EventId::new(100, 5), "a clock that steps back must not reuse ids");
    }

    #[test]
    fn successor_and_predecessor_cross_millisecond_bounds() {
        assert_eq!(EventId::new(5, 1).successor(), EventId::new(5, 2));
        assert_eq!(EventId::new(5, u64::MAX).successor(), EventId::new(6, 0));
        assert_eq!(EventId::new(5, 0).predecessor(), EventId::new(4, u64::MAX));
        assert_eq!(EventId::new(5, 3).predecessor(), EventId::new(5, 2));
    }

    #[test]
    fn successor_and_predecessor_saturate_at_the_ends() {
        assert_eq!(EventId::MAX.successor(), EventId::MAX);
        assert_eq!(EventId::ZERO.predecessor(), EventId::ZERO);
        assert_eq!(EventId::new(u64::MAX, 7).successor(), EventId::new(u64::MAX, 8));
        assert_eq!(EventId::new(0, 7).predecessor(), EventId::new(0, 6));
    }

    /// Marks of `issued` (in order) and the count `Mark::issued_through` gives for `id`.
    fn count(issued: &[EventId], id: EventId) -> Option<u64> {
        let mut marks = Vec::new();
        for (i, &issued_id) in issued.iter().enumerate() {
            if Mark::starts_run(i.checked_sub(1).map(|p| issued[p]), issued_id) {
                marks.push(Mark { start: issued_id, first: i as u64 + 1 });
            }
        }
        let at = marks.partition_point(|m| m.start <= id);
        let floor = at.checked_sub(1).map(|f| marks[f]);
        Mark::issued_through(id, floor, marks.get(at).map(|m| m.first), issued.len() as u64)
    }

    #[test]
    fn marks_count_the_ids_issued_up_to_any_id() {
        let issued =
            [(10, 0), (10, 1), (10, 2), (12, 0), (15, 0), (15, 1)].map(|(ms, seq)| EventId::new(ms, seq));
        for (probe, expected) in [
            ((9, 0), 0),
            ((10, 0), 1),
            ((10, 2), 3),
            ((10, 9), 3),
            ((11, 0), 3),
            ((12, 0), 4),
            ((15, 1), 6),
            ((99, 0), 6),
        ] {
            assert_eq!(count(&issued, EventId::new(probe.0, probe.1)), Some(expected), "{probe:?}");
        }
    }

    #[test]
    fn a_seq_taken_by_something_else_starts_a_new_run() {
        // Redis: events 7-0 and 7-1, a clear marker at 7-2, then events 7-3 and 7-4.
        let issued = [(7, 0), (7, 1), (7, 3), (7, 4)].map(|(ms, seq)| EventId::new(ms, seq));
        assert!(Mark::starts_run(Some(issued[1]), issued[2]));
        assert_eq!(count(&issued, EventId::new(7, 2)), Some(2));
        assert_eq!(count(&issued, EventId::new(7, 3)), Some(3));
    }

    #[test]
    fn without_a_floor_the_count_is_known_only_if_the_marks_reach_the_first_id() {
        assert_eq!(Mark::issued_through(EventId::new(1, 0), None, Some(1), 5), Some(0));
        assert_eq!(Mark::issued_through(EventId::new(1, 0), None, Some(40), 50), None, "marks trimmed");
        assert_eq!(Mark::issued_through(EventId::new(1, 0), None, None, 0), Some(0), "nothing issued");
    }

    #[test]
    fn serializes_as_a_json_string() {
        let id = EventId::new(5, 6);
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"5-6\"");
        assert_eq!(serde_json::from_str::<EventId>("\"5-6\"").unwrap(), id);
        assert!(serde_json::from_str::<EventId>("\"5_6\"").is_err());
    }

    proptest! {
        #[test]
        fn display_then_parse_is_identity(ms: u64, seq: u64) {
            let id = EventId::new(ms, seq);
            prop_assert_eq!(id.to_string().parse::<EventId>().unwrap(), id);
        }

        #[test]
        fn successor_and_predecessor_are_the_neighbours(ms: u64, seq: u64) {
            let id = EventId::new(ms, seq);
            if id != EventId::MAX {
                prop_assert!(id.successor() > id);
                prop_assert_eq!(id.successor().predecessor(), id);
            }
            if id != EventId::ZERO {
                prop_assert!(id.predecessor() < id);
                prop_assert_eq!(id.predecessor().successor(), id);
            }
        }

        #[test]
        fn marks_agree_with_counting_the_issued_ids(
            clock in proptest::collection::vec((0u64..40, 0u64..3), 1..60),
            probe: (u64, u64),
        ) {
            // `skip` > 0 leaves seqs out, as a Redis clear marker does.
            let mut issued = Vec::new();
            let mut last = EventId::new(5, 0);
            for (now, skip) in clock {
                last = last.next(now);
                last.seq += if last.seq > 0 { skip } else { 0 };
                issued.push(last);
            }
            let id = EventId::new(probe.0 % 45, probe.1 % 12);
            let expected = issued.iter().filter(|i| **i <= id).count() as u64;
            prop_assert_eq!(count(&issued, id), Some(expected));
        }

        #[test]
        fn issued_ids_strictly_increase(clock in proptest::collection::vec(0u64..1_000, 1..200)) {
            let mut last = EventId::ZERO;
            for now in clock {
                let next = last.next(now);
                prop_assert!(next > last);
                last = next;
            }
        }
    }
}
