//! RFC 3339 timestamps, the string encoding of the CloudEvents `Timestamp` type (`time`).
//! Strict `date-time` grammar of RFC 3339 §5.6, with calendar-correct day ranges.

/// Milliseconds since the Unix epoch of an RFC 3339 `date-time` (fractions below a millisecond are
/// truncated), or `None` when `timestamp` is not one. Lets views order and bucket events by `time`.
pub fn unix_millis(timestamp: &str) -> Option<i64> {
    parse(timestamp).ok()
}

const SHAPE: &str = "expected the form 2026-11-26T12:34:56Z (fraction optional; Z or ±hh:mm)";

/// Parses `full-date "T" full-time` (RFC 3339 §5.6; `t` and `z` allowed per its §5.6 note), returning
/// Unix milliseconds, or why the value is not a timestamp.
pub(super) fn parse(s: &str) -> Result<i64, String> {
    let b = s.as_bytes();
    let num = |at: usize, len: usize| -> Result<i64, String> {
        let digits = b.get(at..at + len).filter(|d| d.iter().all(u8::is_ascii_digit)).ok_or(SHAPE)?;
        Ok(digits.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
    };
    let one_of =
        |at: usize, allowed: &[u8]| b.get(at).filter(|c| allowed.contains(c)).ok_or_else(|| SHAPE.to_owned());

    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    one_of(4, b"-")?;
    one_of(7, b"-")?;
    one_of(10, b"Tt")?;
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    one_of(13, b":")?;
    one_of(16, b":")?;

    let mut at = 19;
    let mut millis = 0;
    if b.get(at) == Some(&b'.') {
        let digits = b[at + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return Err(SHAPE.into());
        }
        let fraction = &b[at + 1..at + 1 + digits];
        millis = fraction.iter().chain(b"000").take(3).fold(0, |n, d| n * 10 + i64::from(d - b'0'));
        at += 1 + digits;
    }
    let offset_minutes = match one_of(at, b"Zz+-")? {
        b'Z' | b'z' => {
            at += 1;
            0
        }
        sign => {
            one_of(at + 3, b":")?;
            let (oh, om) = (num(at + 1, 2)?, num(at + 4, 2)?);
            if oh > 23 || om > 59 {
                return Err(format!("offset {oh:02}:{om:02} is out of range"));
            }
            at += 6;
            if *sign == b'-' { -(oh * 60 + om) } else { oh * 60 + om }
        }
    };
    if at != b.len() {
        return Err(SHAPE.into());
    }

    if !(1..=12).contains(&month) {
        return Err(format!("month {month:02} is out of range"));
    }
    if day < 1 || day > days_in_month(year, month) {
        return Err(format!("day {day:02} is out of range for {year:04}-{month:02}"));
    }
    // Second 60 is a leap second (RFC 3339 §5.7).
    if hour > 23 || minute > 59 || second > 60 {
        return Err(format!("time {hour:02}:{minute:02}:{second:02} is out of range"));
    }
    let seconds = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
    Ok((seconds - offset_minutes * 60) * 1000 + millis)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_rfc3339_date_times() {
        for ok in [
            "2026-11-26T12:34:56Z",
            "2026-11-26t12:34:56z",
            "2026-11-26T12:34:56.789123+05:30",
            "2024-02-29T00:00:00-00:00",
            "2016-12-31T23:59:60Z",
        ] {
            assert!(parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn rejects_other_date_time_forms() {
        for bad in [
            "yesterday",
            "2026-11-26",
            "2026-11-26 12:34:56Z",
            "2026-11-26T12:34:56",
            "2026-11-26T12:34Z",
            "2026-11-26T12:34:56.Z",
            "2026-11-26T12:34:56+0530",
            "2026-11-26T12:34:56Z ",
            "26-11-26T12:34:56Z",
            "+2026-11-26T12:34:56Z",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rejects_out_of_range_fields() {
        assert_eq!(parse("2026-13-01T00:00:00Z").unwrap_err(), "month 13 is out of range");
        assert_eq!(parse("2025-02-29T00:00:00Z").unwrap_err(), "day 29 is out of range for 2025-02");
        assert!(parse("2026-04-31T00:00:00Z").is_err());
        assert!(parse("2026-01-01T24:00:00Z").is_err());
        assert!(parse("2026-01-01T00:00:61Z").is_err());
        assert!(parse("2026-01-01T00:00:00+24:00").is_err());
    }

    #[test]
    fn converts_to_unix_millis_with_offset_and_fraction() {
        assert_eq!(unix_millis("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(unix_millis("1970-01-01T01:00:00.5+01:00"), Some(500));
        assert_eq!(unix_millis("2026-11-26T12:34:56.789999Z"), Some(1_795_696_496_789));
        assert_eq!(unix_millis("1969-12-31T23:59:59Z"), Some(-1000));
        assert_eq!(unix_millis("nope"), None);
    }
}
