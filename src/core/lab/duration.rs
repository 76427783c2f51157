//! Durations of the delivery lab: ISO-8601 (`PT0.2S`, as Knative writes `backoffDelay` and
//! `retryAfterMax`) and the short form of the rest of the player (`500ms`, `2s`, `1m`).

/// Milliseconds of an ISO-8601 duration: `P[nW]` or `P[nD][T[nH][nM][nS]]`, each number with an
/// optional fraction (`PT0.2S`, `PT1.5M`). Years and months are refused: they have no fixed length,
/// and no retry policy is written in them.
pub fn parse_iso8601(text: &str) -> Result<u64, String> {
    let shape = || format!("`{text}` is not an ISO-8601 duration such as PT0.2S, PT5S or P1D");
    let rest = text.strip_prefix(['P', 'p']).ok_or_else(shape)?;
    if rest.is_empty() {
        return Err(shape());
    }
    let (mut total, mut in_time, mut any) = (0f64, false, false);
    let mut number = String::new();
    // Units in the order they must appear; `M` means months before `T` and minutes after it.
    let mut last_rank = 0;
    for c in rest.chars() {
        match c {
            '0'..='9' | '.' | ',' => number.push(if c == ',' { '.' } else { c }),
            'T' | 't' if !in_time && number.is_empty() => {
                in_time = true;
                last_rank = 3;
            }
            unit => {
                let value: f64 = number.parse().map_err(|_| shape())?;
                number.clear();
                let (rank, ms) = match (unit.to_ascii_uppercase(), in_time) {
                    ('Y', false) | ('M', false) => {
                        return Err(format!(
                            "`{text}`: years and months have no fixed length; use days or weeks"
                        ));
                    }
                    ('W', false) => (1, 604_800_000.0),
                    ('D', false) => (2, 86_400_000.0),
                    ('H', true) => (4, 3_600_000.0),
                    ('M', true) => (5, 60_000.0),
                    ('S', true) => (6, 1000.0),
                    _ => return Err(shape()),
                };
                if rank <= last_rank {
                    return Err(shape());
                }
                last_rank = rank;
                total += value * ms;
                any = true;
            }
        }
    }
    if !number.is_empty()
        || !any
        || (in_time && last_rank == 3)
        || !total.is_finite()
        || total > u64::MAX as f64
    {
        return Err(shape());
    }
    Ok(total.round() as u64)
}

/// Milliseconds of `500ms`, `2s`, `1.5s`, `1m`, or of an ISO-8601 duration (`PT2S`).
pub fn parse_short(text: &str) -> Result<u64, String> {
    let text = text.trim();
    if text.starts_with(['P', 'p']) {
        return parse_iso8601(text);
    }
    let shape = || format!("`{text}` is not a duration such as 500ms, 2s or 1m (or ISO-8601 PT2S)");
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).ok_or_else(shape)?;
    let (number, unit) = text.split_at(split);
    let value: f64 = number.parse().map_err(|_| shape())?;
    let scale = match unit.trim() {
        "ms" => 1.0,
        "s" => 1000.0,
        "m" | "min" => 60_000.0,
        _ => return Err(shape()),
    };
    let ms = value * scale;
    if !ms.is_finite() || ms > u64::MAX as f64 {
        return Err(shape());
    }
    Ok(ms.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_durations_as_knative_writes_them() {
        assert_eq!(parse_iso8601("PT0.2S"), Ok(200));
        assert_eq!(parse_iso8601("PT5S"), Ok(5000));
        assert_eq!(parse_iso8601("PT1M30S"), Ok(90_000));
        assert_eq!(parse_iso8601("PT1.5M"), Ok(90_000));
        assert_eq!(parse_iso8601("PT2H"), Ok(7_200_000));
        assert_eq!(parse_iso8601("P1D"), Ok(86_400_000));
        assert_eq!(parse_iso8601("P1DT1S"), Ok(86_401_000));
        assert_eq!(parse_iso8601("P2W"), Ok(1_209_600_000));
        assert_eq!(parse_iso8601("PT0,5S"), Ok(500));
        assert_eq!(parse_iso8601("PT0S"), Ok(0));
    }

    #[test]
    fn malformed_iso8601_durations_say_why() {
        for bad in ["", "P", "PT", "5S", "PT5", "PTS", "PT5X", "P5S", "PT5S1M", "PT1.2.3S", "P1DT", "PT-1S"] {
            assert!(parse_iso8601(bad).is_err(), "{bad}");
        }
        assert!(parse_iso8601("P1M").unwrap_err().contains("no fixed length"));
        assert!(parse_iso8601("P1Y").unwrap_err().contains("no fixed length"));
    }

    #[test]
    fn short_durations_and_iso8601_alike() {
        assert_eq!(parse_short("500ms"), Ok(500));
        assert_eq!(parse_short("2s"), Ok(2000));
        assert_eq!(parse_short("1.5s"), Ok(1500));
        assert_eq!(parse_short("1m"), Ok(60_000));
        assert_eq!(parse_short("PT2S"), Ok(2000));
        for bad in ["", "2", "s", "2h", "-1s", "2 seconds"] {
            assert!(parse_short(bad).is_err(), "{bad}");
        }
    }
}
