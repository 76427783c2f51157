//! Timeline bars (DESIGN §6): received events counted per time bucket, stacked by type. Buckets are
//! aligned to multiples of their width, so bars keep still while the time window slides.

use std::collections::HashMap;

const SECOND: i64 = 1_000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
const WEEK: i64 = 7 * DAY;

/// Bucket widths a reader takes in at a glance; wider ones are whole weeks.
const STEPS: [i64; 20] = [
    SECOND,
    2 * SECOND,
    5 * SECOND,
    10 * SECOND,
    15 * SECOND,
    30 * SECOND,
    MINUTE,
    2 * MINUTE,
    5 * MINUTE,
    10 * MINUTE,
    15 * MINUTE,
    30 * MINUTE,
    HOUR,
    2 * HOUR,
    3 * HOUR,
    6 * HOUR,
    12 * HOUR,
    DAY,
    2 * DAY,
    WEEK,
];

/// The type name under which types beyond `max_types` are merged.
pub const OTHER: &str = "other";

/// Events per time bucket, stacked by type (DESIGN §6: timeline; clicking a bar sets the time filter
/// to `[bucket.start_ms, bucket.start_ms + bucket_ms)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    /// Width of every bucket, in milliseconds.
    pub bucket_ms: i64,
    /// Start of the first bucket: the range start rounded down to a multiple of `bucket_ms`.
    pub start_ms: i64,
    /// Consecutive buckets from `start_ms` covering the whole range, empty ones included (bucket `i`
    /// starts at `start_ms + i * bucket_ms`); no buckets at all when no event fell in the range.
    pub buckets: Vec<Bucket>,
    /// The stacked types, most frequent first (ties by name); the last is [`OTHER`] when types were
    /// merged.
    pub types: Vec<String>,
    /// The largest bucket total (0 without buckets), for scaling the bars.
    pub max_total: u32,
}

/// One bar: `counts[i]` is the count for `types[i]`; the last type may be [`OTHER`] when there are
/// more than `max_types` types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    /// Start of the bucket (inclusive); it ends at `start_ms + bucket_ms` (exclusive).
    pub start_ms: i64,
    /// Events per type, parallel to [`Timeline::types`].
    pub counts: Vec<u32>,
    /// Events in the bucket: the sum of `counts`.
    pub total: u32,
}

/// The bucket width for a time range: the smallest "nice" step (1s, 2s, 5s, 10s, 15s, 30s, 1m, 2m, 5m,
/// 10m, 15m, 30m, 1h, 2h, 3h, 6h, 12h, 1d, 2d, 7d, then whole weeks) giving at most `max_buckets`
/// buckets (at least 1). At least 1s, even for an empty or negative range.
pub fn bucket_size(range_ms: i64, max_buckets: usize) -> i64 {
    step_for(range_ms.max(0).unsigned_abs(), max_buckets)
}

/// [`bucket_size`] for a range given as a `u64`, which holds any `to - from` of two `i64`s.
fn step_for(range: u64, max_buckets: usize) -> i64 {
    let needed = range.div_ceil(u64::try_from(max_buckets.max(1)).unwrap_or(u64::MAX));
    let week = WEEK.unsigned_abs();
    match STEPS.iter().find(|step| step.unsigned_abs() >= needed) {
        Some(&step) => step,
        None => needed
            .div_ceil(week)
            .checked_mul(week)
            .and_then(|weeks| i64::try_from(weeks).ok())
            .unwrap_or(i64::MAX / WEEK * WEEK),
    }
}

/// Counts `(received_ms, type)` pairs over `[from_ms, to_ms)` (others are ignored) in buckets of
/// [`bucket_size`]`(to_ms - from_ms, max_buckets)`, aligned to multiples of that width so bars don't
/// jitter as time passes. The alignment can add one partial bucket, so there are at most
/// `max_buckets + 1`. Types are ordered by total count (descending) then name; beyond `max_types`
/// (at least 1), the least frequent are merged as [`OTHER`] in the last place. Without events in the
/// range: no buckets and no types, with `bucket_ms` and `start_ms` still set.
pub fn build<'a>(
    events: impl IntoIterator<Item = (i64, &'a str)>,
    from_ms: i64,
    to_ms: i64,
    max_buckets: usize,
    max_types: usize,
) -> Timeline {
    let bucket_ms = step_for(if to_ms > from_ms { to_ms.abs_diff(from_ms) } else { 0 }, max_buckets);
    let first = from_ms.div_euclid(bucket_ms);
    let start_ms = first.saturating_mul(bucket_ms);
    let mut timeline = Timeline { bucket_ms, start_ms, buckets: Vec::new(), types: Vec::new(), max_total: 0 };

    // One pass over the events: index the types and keep (bucket, type index) per event, because the
    // columns are only known once every type's total is.
    let mut names: Vec<&'a str> = Vec::new();
    let mut totals: Vec<u64> = Vec::new();
    let mut index: HashMap<&'a str, usize> = HashMap::new();
    let events = events.into_iter();
    let mut hits: Vec<(usize, usize)> = Vec::with_capacity(events.size_hint().0);
    for (ms, ty) in events {
        if ms < from_ms || ms >= to_ms {
            continue;
        }
        let ty_index = *index.entry(ty).or_insert_with(|| {
            names.push(ty);
            totals.push(0);
            names.len() - 1
        });
        totals[ty_index] += 1;
        hits.push((slot(ms.div_euclid(bucket_ms) - first), ty_index));
    }
    if hits.is_empty() {
        return timeline;
    }

    let mut ranked: Vec<usize> = (0..names.len()).collect();
    ranked.sort_unstable_by(|&a, &b| totals[b].cmp(&totals[a]).then_with(|| names[a].cmp(names[b])));
    let max_types = max_types.max(1);
    let named = if names.len() > max_types { max_types - 1 } else { names.len() };
    let mut column = vec![named; names.len()];
    for (rank, &ty_index) in ranked.iter().take(named).enumerate() {
        column[ty_index] = rank;
    }
    timeline.types = ranked[..named].iter().map(|&ty_index| names[ty_index].to_owned()).collect();
    if named < names.len() {
        timeline.types.push(OTHER.to_owned());
    }

    let slots = slot((to_ms - 1).div_euclid(bucket_ms) - first) + 1;
    timeline.buckets = (0..slots)
        .map(|i| Bucket {
            start_ms: (first + i64::try_from(i).expect("slots fit in i64")).saturating_mul(bucket_ms),
            counts: vec![0; timeline.types.len()],
            total: 0,
        })
        .collect();
    for (bucket, ty_index) in hits {
        let bucket = &mut timeline.buckets[bucket];
        bucket.counts[column[ty_index]] = bucket.counts[column[ty_index]].saturating_add(1);
        bucket.total = bucket.total.saturating_add(1);
    }
    timeline.max_total = timeline.buckets.iter().map(|bucket| bucket.total).max().unwrap_or(0);
    timeline
}

/// A bucket offset from the first bucket as an index; never negative for an event in the range.
fn slot(offset: i64) -> usize {
    usize::try_from(offset).expect("an event in the range lies at or after the first bucket")
}

/// Human label for a bucket width: the largest whole unit (`"1s"`, `"5m"`, `"1h"`, `"2d"`), or
/// milliseconds (`"250ms"`) when no unit divides it.
pub fn format_step(bucket_ms: i64) -> String {
    [("d", DAY), ("h", HOUR), ("m", MINUTE), ("s", SECOND)]
        .into_iter()
        .find(|&(_, unit)| bucket_ms != 0 && bucket_ms % unit == 0)
        .map_or_else(|| format!("{bucket_ms}ms"), |(name, unit)| format!("{}{name}", bucket_ms / unit))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn bucket_size_picks_the_smallest_nice_step_that_fits() {
        assert_eq!(bucket_size(60 * SECOND, 60), SECOND);
        assert_eq!(bucket_size(60 * SECOND + 1, 60), 2 * SECOND);
        assert_eq!(bucket_size(HOUR, 60), MINUTE);
        assert_eq!(bucket_size(HOUR, 59), 2 * MINUTE);
        assert_eq!(bucket_size(HOUR, 5), 15 * MINUTE);
        assert_eq!(bucket_size(DAY, 24), HOUR);
        assert_eq!(bucket_size(DAY, 7), 6 * HOUR);
        assert_eq!(bucket_size(30 * DAY, 10), WEEK);
    }

    #[test]
    fn bucket_size_walks_every_step_in_order() {
        for pair in STEPS.windows(2) {
            let (step, next) = (pair[0], pair[1]);
            assert_eq!(bucket_size(step * 40, 40), step);
            assert_eq!(bucket_size(step * 40 + 1, 40), next, "after {}", format_step(step));
        }
    }

    #[test]
    fn bucket_size_continues_in_whole_weeks() {
        assert_eq!(bucket_size(WEEK * 10 + 1, 10), 2 * WEEK);
        assert_eq!(bucket_size(365 * DAY, 10), 6 * WEEK);
        assert_eq!(bucket_size(i64::MAX, 1), i64::MAX / WEEK * WEEK);
    }

    #[test]
    fn bucket_size_is_at_least_a_second() {
        assert_eq!(bucket_size(0, 60), SECOND);
        assert_eq!(bucket_size(-5, 60), SECOND);
        assert_eq!(bucket_size(10, 60), SECOND);
        assert_eq!(bucket_size(5 * SECOND, 0), 5 * SECOND, "zero buckets counts as one");
    }

    #[test]
    fn buckets_align_to_multiples_of_their_width() {
        let events = [(12_345, "a"), (71_999, "a")];
        let timeline = build(events, 12_345, 72_345, 60, 5);
        assert_eq!(timeline.bucket_ms, SECOND);
        assert_eq!(timeline.start_ms, 12_000);
        assert_eq!(timeline.buckets.len(), 61, "the unaligned range adds one partial bucket");
        for (i, bucket) in timeline.buckets.iter().enumerate() {
            assert_eq!(bucket.start_ms, 12_000 + i as i64 * SECOND);
        }
        assert_eq!(timeline.buckets[0].total, 1);
        assert_eq!(timeline.buckets[59].total, 1);
        assert_eq!(timeline.buckets[60].total, 0);
    }

    #[test]
    fn sliding_the_window_keeps_bucket_boundaries() {
        let events: Vec<(i64, &str)> = (0..200).map(|i| (i * 700, "a")).collect();
        let earlier = build(events.iter().copied(), 10_000, 70_000, 60, 5);
        let later = build(events.iter().copied(), 10_400, 70_400, 60, 5);
        let count_at = |timeline: &Timeline, start: i64| {
            timeline.buckets.iter().find(|b| b.start_ms == start).map(|b| b.total)
        };
        for start in (11_000..70_000).step_by(1_000) {
            assert_eq!(count_at(&earlier, start), count_at(&later, start), "bucket at {start}");
        }
    }

    #[test]
    fn aligns_negative_times_downwards() {
        let timeline = build([(-1_500, "a")], -1_500, 500, 60, 5);
        assert_eq!(timeline.start_ms, -2_000);
        assert_eq!(timeline.buckets.len(), 3);
        assert_eq!(timeline.buckets[0].total, 1);
    }

    #[test]
    fn ignores_events_outside_the_range() {
        let events = [(999, "a"), (1_000, "a"), (1_999, "b"), (2_000, "c"), (-5, "d")];
        let timeline = build(events, 1_000, 2_000, 10, 5);
        assert_eq!(timeline.types, ["a", "b"]);
        assert_eq!(timeline.buckets.iter().map(|b| b.total).sum::<u32>(), 2);
    }

    #[test]
    fn no_events_in_range_gives_no_buckets() {
        let empty = build([], 0, 60_000, 60, 5);
        assert_eq!(
            empty,
            Timeline { bucket_ms: SECOND, start_ms: 0, buckets: vec![], types: vec![], max_total: 0 }
        );
        assert!(build([(70_000, "a")], 0, 60_000, 60, 5).buckets.is_empty());
        assert!(build([(5, "a")], 10, 10, 60, 5).buckets.is_empty(), "an empty range holds nothing");
    }

    #[test]
    fn stacks_types_by_count_then_name() {
        let events = [(0, "b"), (0, "a"), (1_000, "c"), (1_000, "c"), (1_500, "b"), (2_000, "a")];
        let timeline = build(events, 0, 3_000, 3, 5);
        assert_eq!(timeline.types, ["a", "b", "c"]);
        let counts: Vec<&[u32]> = timeline.buckets.iter().map(|b| b.counts.as_slice()).collect();
        assert_eq!(counts, [&[1, 1, 0][..], &[0, 1, 2], &[1, 0, 0]]);
        assert_eq!(timeline.buckets.iter().map(|b| b.total).collect::<Vec<_>>(), [2, 3, 1]);
        assert_eq!(timeline.max_total, 3);
    }

    #[test]
    fn merges_the_least_frequent_types_into_other() {
        let events = [(0, "x"), (0, "x"), (0, "x"), (0, "y"), (0, "y"), (0, "z"), (1_000, "w")];
        let timeline = build(events, 0, 2_000, 2, 3);
        assert_eq!(timeline.types, ["x", "y", OTHER]);
        assert_eq!(timeline.buckets[0].counts, [3, 2, 1]);
        assert_eq!(timeline.buckets[1].counts, [0, 0, 1]);
    }

    #[test]
    fn keeps_every_type_when_they_fit() {
        let events = [(0, "x"), (0, "y"), (0, "z")];
        assert_eq!(build(events, 0, 1_000, 1, 3).types, ["x", "y", "z"]);
        assert_eq!(build(events, 0, 1_000, 1, 0).types, [OTHER], "zero types counts as one");
        assert_eq!(build([(0, "x")], 0, 1_000, 1, 1).types, ["x"]);
    }

    #[test]
    fn survives_extreme_ranges() {
        let timeline = build([(i64::MIN, "a"), (0, "b"), (i64::MAX - 1, "c")], i64::MIN, i64::MAX, 60, 5);
        assert_eq!(timeline.buckets.iter().map(|b| b.total).sum::<u32>(), 3);
        assert!(timeline.buckets.len() <= 61);
        let one = build([(i64::MIN, "a"), (i64::MAX - 1, "a")], i64::MIN, i64::MAX, 1, 1);
        assert_eq!(one.buckets.iter().map(|b| b.total).sum::<u32>(), 2);
    }

    #[test]
    fn formats_steps_in_their_largest_whole_unit() {
        assert_eq!(format_step(SECOND), "1s");
        assert_eq!(format_step(30 * SECOND), "30s");
        assert_eq!(format_step(5 * MINUTE), "5m");
        assert_eq!(format_step(90 * MINUTE), "90m");
        assert_eq!(format_step(HOUR), "1h");
        assert_eq!(format_step(2 * DAY), "2d");
        assert_eq!(format_step(WEEK), "7d");
        assert_eq!(format_step(250), "250ms");
        assert_eq!(format_step(0), "0ms");
    }

    proptest! {
        #[test]
        fn bucket_totals_sum_to_the_events_in_range(
            events in proptest::collection::vec((-5_000i64..200_000, "[a-f]"), 0..300),
            from in -5_000i64..100_000,
            len in 0i64..150_000,
            max_buckets in 1usize..80,
            max_types in 1usize..5,
        ) {
            let to = from + len;
            let timeline = build(events.iter().map(|(ms, ty)| (*ms, ty.as_str())), from, to, max_buckets, max_types);
            let in_range = events.iter().filter(|(ms, _)| (from..to).contains(ms)).count();
            prop_assert_eq!(timeline.buckets.iter().map(|b| b.total as usize).sum::<usize>(), in_range);
            prop_assert!(timeline.types.len() <= max_types);
            prop_assert!(timeline.buckets.len() <= max_buckets + 1);
            prop_assert_eq!(timeline.start_ms.rem_euclid(timeline.bucket_ms), 0);
            prop_assert!(timeline.start_ms <= from && from < timeline.start_ms + timeline.bucket_ms);
            if !timeline.buckets.is_empty() {
                let end = timeline.start_ms + timeline.buckets.len() as i64 * timeline.bucket_ms;
                prop_assert!(to <= end && end < to + timeline.bucket_ms);
            }
            for bucket in &timeline.buckets {
                prop_assert_eq!(bucket.counts.len(), timeline.types.len());
                prop_assert_eq!(bucket.counts.iter().sum::<u32>(), bucket.total);
                prop_assert!(bucket.total <= timeline.max_total);
            }
            prop_assert_eq!(timeline.buckets.iter().map(|b| b.total).max().unwrap_or(0), timeline.max_total);
        }
    }
}
