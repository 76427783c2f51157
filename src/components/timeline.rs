//! The timeline: events per time bucket stacked by type, as SVG (`core::timeline` does the
//! bucketing). Each bar is a button: clicking it (or Enter or Space on it) narrows the time-range
//! filter to it. Redrawn at most once a second.

use crate::client::dom::{clock, now_ms};
use crate::client::ui::use_ui;
use crate::core::filter::Filter;
use crate::core::timeline::{self, Timeline};
use leptos::prelude::*;

const MAX_BUCKETS: usize = 60;
/// The shortest time span drawn.
const MIN_SPAN_MS: i64 = 60_000;
const MAX_TYPES: usize = 6;
/// Width of one bar slot and the chart height, in SVG units. Integers throughout: the chart is
/// scaled by the viewBox anyway, and float formatting would add kilobytes to the bundle.
const SLOT: u32 = 10;
const HEIGHT: u32 = 560;
/// The shortest bar, in SVG units (4 px of the 56 px strip), so a bucket of one event among
/// hundreds still shows.
const MIN_BAR: u64 = 40;
/// Colours by stack position.
const PALETTE: [&str; 6] = ["#6366f1", "#0ea5e9", "#10b981", "#f59e0b", "#ef4444", "#a855f7"];
/// Colour of the merged "other" types.
const OTHER_COLOUR: &str = "#94a3b8";

/// The colour of `types[index]`: merged types are grey, the rest by position.
fn colour(types: &[String], index: usize) -> &'static str {
    if index + 1 == types.len() && types.len() >= MAX_TYPES && types[index] == timeline::OTHER {
        OTHER_COLOUR
    } else {
        PALETTE[index % PALETTE.len()]
    }
}

/// The timeline strip over the shown events.
#[component]
pub fn TimelineView(filter: RwSignal<Filter>) -> impl IntoView {
    let ui = use_ui();
    // A one-second tick bounds the cost: bucketing 50,000 rows each frame of a burst would not.
    let tick = RwSignal::new(0u32);
    #[cfg(feature = "hydrate")]
    {
        let handle =
            set_interval_with_handle(move || tick.update(|t| *t += 1), std::time::Duration::from_secs(1));
        on_cleanup(move || {
            if let Ok(handle) = handle {
                handle.clear();
            }
        });
    }
    let data = Memo::new(move |_| {
        tick.track();
        let range = filter.with(|f| (f.from_ms, f.to_ms));
        ui.view.with_untracked(|view| {
            let first = view.shown().next().map(|r| r.id().ms as i64);
            let last = view.shown().next_back().map(|r| r.id().ms as i64);
            let (Some(first), Some(last)) = (first, last) else { return None };
            // At least a minute up to now, so a few events do not fill the strip as one bar.
            let end = range.1.unwrap_or_else(|| last.max(now_ms() as i64) + 1);
            let start = range.0.unwrap_or_else(|| first.min(end - MIN_SPAN_MS));
            let events = view.shown().map(|r| (r.id().ms as i64, r.event().ty()));
            Some(timeline::build(events, start, end.max(start + 1), MAX_BUCKETS, MAX_TYPES))
        })
    });

    // With events held but none shown, the strip keeps its height: the layout does not jump.
    let placeholder = move || {
        ui.view.with(|v| !v.is_empty()).then(|| {
            view! {
                <div class="timeline-placeholder" data-testid="timeline-placeholder" aria-hidden="true">
                    <div class="timeline-chart"></div>
                    <div class="timeline-axis">"\u{a0}"</div>
                    <div class="timeline-legend">"\u{a0}"</div>
                </div>
            }
        })
    };
    view! {
        <section class="timeline" data-testid="timeline" aria-label="Events over time">
            {move || match data.get() {
                Some(t) => leptos::either::Either::Left(view! { <TimelineChart timeline=t filter /> }),
                None => leptos::either::Either::Right(placeholder()),
            }}
        </section>
    }
}

#[component]
fn TimelineChart(timeline: Timeline, filter: RwSignal<Filter>) -> impl IntoView {
    let width = SLOT * u32::try_from(timeline.buckets.len().max(1)).unwrap_or(u32::MAX / SLOT);
    let step = timeline.bucket_ms;
    // The bars go in as one string the browser parses natively: built element by element, the
    // chart's few hundred nodes cost a tab tens of milliseconds once a second during a burst.
    let bars = bars_markup(&timeline, clock);
    // One listener for every bar: the bar under the event names its bucket in `data-start`.
    let narrow = move |target: Option<leptos::web_sys::EventTarget>| {
        use wasm_bindgen::JsCast as _;
        let start = target
            .and_then(|t| t.dyn_into::<leptos::web_sys::Element>().ok())
            .and_then(|t| t.closest("[data-start]").ok().flatten())
            .and_then(|bar| bar.get_attribute("data-start"))
            .and_then(|start| start.parse::<i64>().ok());
        if let Some(start) = start {
            filter.update(|f| {
                f.from_ms = Some(start);
                f.to_ms = Some(start + step);
            });
        }
        start.is_some()
    };
    let legend = timeline
        .types
        .iter()
        .enumerate()
        .map(|(i, ty)| {
            let colour = format!("background: {}", colour(&timeline.types, i));
            view! {
                <span class="legend-item">
                    <span class="legend-swatch" style=colour></span>
                    {ty.clone()}
                </span>
            }
        })
        .collect_view();
    view! {
        <svg
            class="timeline-chart"
            viewBox=format!("0 0 {width} {HEIGHT}")
            preserveAspectRatio="none"
            role="group"
            aria-label="Events per time bucket"
            inner_html=bars
            on:click=move |ev| {
                narrow(ev.target());
            }
            on:keydown=move |ev| {
                if (ev.key() == "Enter" || ev.key() == " ") && narrow(ev.target()) {
                    ev.prevent_default();
                }
            }
        ></svg>
        <div class="timeline-axis" aria-hidden="true">
            <span data-testid="timeline-start">{clock(timeline.start_ms as f64)[..8].to_owned()}</span>
            <span data-testid="timeline-end">
                {clock((timeline.start_ms + step * timeline.buckets.len() as i64) as f64)[..8].to_owned()}
            </span>
        </div>
        <div class="timeline-legend">
            <span class="legend-step">{format!("per {}", timeline::format_step(step))}</span>
            {legend}
        </div>
    }
}

/// The chart's bars as SVG markup: per bucket with events, a `<g>` button with its title, a
/// transparent hit area and one segment per type, stacked from the bottom. `clock` formats a
/// bucket's start. The text is times and counts only, never event data.
fn bars_markup(timeline: &Timeline, clock: impl Fn(f64) -> String) -> String {
    use std::fmt::Write as _;
    let max_total = u64::from(timeline.max_total.max(1));
    let step = timeline.bucket_ms;
    let mut out = String::with_capacity(timeline.buckets.len() * 512);
    for bucket in timeline.buckets.iter().filter(|b| b.total > 0) {
        let x = u32::try_from((bucket.start_ms - timeline.start_ms) / step).unwrap_or(0) * SLOT;
        let start = bucket.start_ms;
        let title = format!("{} · {} events", clock(start as f64), bucket.total);
        let _ = write!(
            out,
            r#"<g class="bar" data-testid="timeline-bar" data-start="{start}" role="button" tabindex="0" aria-label="{title}: show only these"><title>{title}</title><rect class="bar-hit" x="{x}" y="0" width="{SLOT}" height="{HEIGHT}" fill="transparent"/>"#
        );
        // Cumulative rounding keeps the stack exactly `bar` high.
        let total = u64::from(bucket.total);
        let bar = (total * u64::from(HEIGHT) / max_total).max(MIN_BAR);
        let mut below = 0u64;
        for (type_index, n) in bucket.counts.iter().enumerate().filter(|(_, n)| **n > 0) {
            let bottom = (below * bar / total) as u32;
            below += u64::from(*n);
            let top = (below * bar / total) as u32;
            let _ = write!(
                out,
                r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>"#,
                x + 1,
                HEIGHT - top,
                SLOT - 2,
                (top - bottom).max(1),
                colour(&timeline.types, type_index)
            );
        }
        out.push_str("</g>");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `height`s of a bar's segments (every rect after its hit area).
    fn segment_heights(bar: &str) -> Vec<u32> {
        bar.split("<rect ")
            .skip(2)
            .map(|rect| {
                rect.split("height=\"").nth(1).and_then(|h| h.split('"').next()).unwrap().parse().unwrap()
            })
            .collect()
    }

    #[test]
    fn one_button_per_bucket_with_events_stacked_to_its_share_of_the_tallest() {
        let events = [(0, "a"), (10, "b"), (20, "a"), (2_500, "a")];
        let timeline = timeline::build(events, 0, 3_000, 3, MAX_TYPES);
        let markup = bars_markup(&timeline, |ms| format!("t{ms}"));
        let bars: Vec<&str> = markup.split("</g>").filter(|bar| !bar.is_empty()).collect();
        assert_eq!(bars.len(), 2, "the empty middle bucket draws nothing: {markup}");
        assert_eq!(markup.matches(r#"data-testid="timeline-bar""#).count(), 2);
        assert!(bars[0].contains(r#"data-start="0""#) && bars[1].contains(r#"data-start="2000""#));
        assert!(bars[0].contains(r#"aria-label="t0 · 3 events: show only these""#));
        assert!(bars[0].contains("<title>t0 · 3 events</title>"));
        assert_eq!(segment_heights(bars[0]), [373, 187], "two of a, one of b, filling the height");
        assert_eq!(segment_heights(bars[1]), [186], "one third of the tallest");
        assert!(bars[1].contains(&format!(r#"fill="{}""#, PALETTE[0])), "a keeps its colour");
    }
}
