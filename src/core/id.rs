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

    pub const fn new(ms: u64, seq: u64) -> Self {
        Self { ms, seq }
    }

    /// The id to issue after `self` at wall-clock time `now_ms`. Strictly greater than `self` even
    /// when the clock stands still or steps back, so ids stay unique across restarts as long as
    /// the previous last id is known or the clock has moved on.
    pub fn next(self, now_ms: u64) -> Self {
        if now_ms > self.ms { Self { ms: now_ms, seq: 0 } } else { Self { ms: self.ms, seq: self.seq + 1 } }
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
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
        serializer.collect_str(self)
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
