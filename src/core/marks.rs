//! What a `cloudevent` frame carries besides the event, for the list's badges: the SHOULD-level
//! rules it breaks (`warnings:`) and the delivery lab's answer (`delivery:`). The frame's `data`
//! stays the event exactly as stored, so these travel in fields of their own, which SSE clients
//! that do not know them ignore (WHATWG §9.2.6). Rows, the tab cache and tab relays keep them too.

use crate::core::cloudevent::lint::RuleSet;
use crate::core::envelope::Envelope;
use crate::core::lab::DeliveryRecord;
use crate::core::sse::Frame;

/// The badges' part of a stored event: a few bytes, `Copy`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Marks {
    pub warnings: RuleSet,
    /// The lab's answer, when it says something: a rule answered, or a producer delivered again.
    pub answer: Option<Answered>,
}

/// The answer a delivery got and its attempt number for its `source`+`id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answered {
    pub status: u16,
    pub attempt: u32,
}

impl Answered {
    /// Worth a badge: a rule answered, or this is a redelivery. The first delivery answered by
    /// default (`202`, attempt 1) is every other event, and gets none.
    pub fn of(record: &DeliveryRecord) -> Option<Self> {
        (record.rule.is_some() || record.attempt > 1)
            .then_some(Answered { status: record.status, attempt: record.attempt })
    }

    /// The `delivery:` field's value, `503 attempt 3`.
    pub fn to_field(self) -> String {
        format!("{} attempt {}", self.status, self.attempt)
    }

    /// Reads [`Answered::to_field`]'s form; anything else is `None`. (One integer parser for
    /// both numbers, the one the SSE reader has anyway: this runs in the page's first module.)
    pub fn parse(text: &str) -> Option<Self> {
        let (status, attempt) = text.split_once(" attempt ")?;
        let number = |text: &str, range: std::ops::RangeInclusive<u64>| {
            text.parse::<u64>().ok().filter(|n| range.contains(n))
        };
        Some(Answered {
            status: number(status, 100..=599)? as u16,
            attempt: number(attempt, 1..=u64::from(u32::MAX))? as u32,
        })
    }

    /// The producer was told to try again or give up (a 4xx or 5xx).
    pub fn is_failure(self) -> bool {
        self.status >= 400
    }
}

impl Marks {
    /// The marks of a stored event.
    pub fn of(envelope: &Envelope) -> Self {
        Marks {
            warnings: RuleSet::of(&envelope.warnings),
            answer: envelope.delivery.as_ref().and_then(Answered::of),
        }
    }

    /// The marks a `cloudevent` frame carries; unknown rule ids and malformed answers are left out.
    pub fn read(frame: &Frame) -> Self {
        Marks {
            warnings: frame.warnings.as_deref().map(RuleSet::parse).unwrap_or_default(),
            answer: frame.delivery.as_deref().and_then(Answered::parse),
        }
    }

    /// `frame` with these marks' fields; empty marks write none.
    pub fn write(self, frame: Frame) -> Frame {
        frame.with_warnings(self.warnings.to_ids()).with_delivery(self.answer.map(Answered::to_field))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::cloudevent::lint::Rule;

    fn record(attempt: u32, status: u16, rule: Option<&str>) -> DeliveryRecord {
        DeliveryRecord { attempt, status, rule: rule.map(Into::into), ..DeliveryRecord::default() }
    }

    #[test]
    fn a_rule_or_a_redelivery_gets_a_badge_a_plain_first_delivery_none() {
        assert_eq!(Answered::of(&record(1, 202, None)), None);
        assert_eq!(Answered::of(&record(2, 202, None)), Some(Answered { status: 202, attempt: 2 }));
        assert_eq!(Answered::of(&record(1, 503, Some("flaky"))), Some(Answered { status: 503, attempt: 1 }));
    }

    #[test]
    fn marks_travel_through_a_frame_and_back() {
        let marks = Marks {
            warnings: [Rule::TypePrefix, Rule::SourceAbsolute].into_iter().collect(),
            answer: Some(Answered { status: 503, attempt: 3 }),
        };
        let frame = marks.write(Frame::new("cloudevent", "{}"));
        assert_eq!(frame.delivery.as_deref(), Some("503 attempt 3"));
        assert_eq!(Marks::read(&frame), marks);
        let plain = Marks::default().write(Frame::new("cloudevent", "{}"));
        assert_eq!((plain.warnings, plain.delivery), (None, None));
    }

    #[test]
    fn a_malformed_answer_is_left_out() {
        for text in [
            "",
            "503",
            "503 attempt",
            "503 attempt 0",
            "99 attempt 1",
            "503 try 3",
            "503 attempt 3 x",
            "x attempt 1",
        ] {
            assert_eq!(Answered::parse(text), None, "{text:?}");
        }
        assert!(Answered::parse("429 attempt 1").is_some_and(Answered::is_failure));
        assert!(!Answered::parse("200 attempt 2").is_some_and(Answered::is_failure));
    }
}
