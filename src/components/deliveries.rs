//! The retry timeline of the detail pane (DESIGN §11): every delivery of the selected event's
//! `source`+`id` on a time axis with the answer each got and the waits between them, checked
//! against a delivery policy the user states (kept in this browser). The server judges
//! (`GET /api/deliveries`), so the page and a test asserting on the API agree. Part of the
//! detail's chunk; it asks again as events arrive, so retries appear while the user watches.

use crate::client::api::fetch_deliveries;
use crate::client::dom::{clock, load, save};
use crate::client::flight::{SingleFlight, follow_events};
use crate::client::ui::use_ui;
use crate::core::cloudevent::unix_millis;
use crate::core::lab::verdict::{Deliveries, DeliveryRow, IntervalCheck, PolicyQuery, Verdict};
use leptos::prelude::*;
use std::time::Duration;

/// localStorage key of the policy last checked against (JSON of [`PolicyQuery`]).
const POLICY_KEY: &str = "cep-delivery-policy";
/// SVG units: the axis runs from `PAD` to `WIDTH - PAD`.
const WIDTH: i64 = 1000;
const PAD: i64 = 40;
const HEIGHT: i64 = 70;
const AXIS_Y: i64 = 44;
/// Styles of this chunk's markup, here rather than in the page's stylesheet, which every visit loads.
const SECTION_STYLE: &str = "margin:10px 0;padding:8px 10px;border:1px solid var(--border);border-radius:8px";
const TEXT_STYLE: &str = "fill:var(--muted);font:20px var(--mono)";

/// `205 ms`, `1.6 s`, `-40 ms`: integer arithmetic, no float formatting.
fn span(ms: i64) -> String {
    if ms.abs() < 1000 {
        format!("{ms} ms")
    } else {
        let tenths = (ms.abs() + 50) / 100;
        format!("{}{}.{} s", if ms < 0 { "-" } else { "" }, tenths / 10, tenths % 10)
    }
}

/// One policy field: label, input, and the parameter it sets.
fn field(
    policy: RwSignal<PolicyQuery>,
    label: &'static str,
    hint: &'static str,
    get: fn(&PolicyQuery) -> &Option<String>,
    set: fn(&mut PolicyQuery) -> &mut Option<String>,
) -> impl IntoView {
    let id = format!("policy-{label}");
    view! {
        <label class="form-field policy-field" for=format!("policy-{label}")>
            <span>{label}</span>
            <input
                id=id
                type="text"
                placeholder=hint
                autocomplete="off"
                spellcheck="false"
                data-testid=format!("policy-{label}")
                prop:value=move || policy.with(|p| get(p).clone().unwrap_or_default())
                on:input=move |ev| {
                    let value = event_target_value(&ev);
                    policy.update(|p| *set(p) = Some(value).filter(|v| !v.trim().is_empty()));
                }
            />
        </label>
    }
}

/// Every delivery of `source`+`id`, and the verdict against the stated policy.
#[component]
pub fn DeliveryTimeline(source: String, id: String) -> impl IntoView {
    let stored = || load(POLICY_KEY).and_then(|text| serde_json::from_str::<PolicyQuery>(&text).ok());
    let policy = RwSignal::new(stored().unwrap_or_default());
    let checked = StoredValue::new(policy.get_untracked());
    // The last answer, kept while a refused policy shows its error.
    let found = RwSignal::new(None::<Deliveries>);
    let error = RwSignal::new(None::<String>);
    let (source, id) = (StoredValue::new(source), StoredValue::new(id));
    // One request at a time and at most one a second (each scans the history).
    let flight = SingleFlight::new(Duration::from_secs(1));
    let request = move || {
        let (source, id, policy) = (source.get_value(), id.get_value(), checked.get_value());
        async move { fetch_deliveries(&source, &id, &policy).await }
    };
    // The pane may have moved on to another event: its signals are gone then.
    let settle = move |result: Result<Deliveries, String>| match result {
        Ok(deliveries) => found.try_set(Some(deliveries)).is_none() && error.try_set(None).is_none(),
        Err(message) => error.try_set(Some(message)).is_none(),
    };
    // First on mount, then whenever the tab has received more events (a retry may be among them).
    follow_events(true, move || flight.ask(request, settle));
    let check = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let stated = policy.get_untracked();
        save(POLICY_KEY, &serde_json::to_string(&stated).unwrap_or_default());
        checked.set_value(stated);
        // Answered at once, even within a second of the last answer.
        flight.ask_now(request, settle);
    };
    let set_backoff = move |ev| {
        let value = event_target_value(&ev);
        policy.update(|p| p.backoff_policy = Some(value).filter(|v| !v.is_empty()));
    };

    view! {
        <section class="deliveries" style=SECTION_STYLE aria-labelledby="deliveries-title" data-testid="deliveries">
            <h3 id="deliveries-title">"Deliveries of this source and id"</h3>
            <form class="policy" on:submit=check data-testid="policy-form">
                <label class="form-field policy-field" for="policy-backoffPolicy">
                    <span>"backoffPolicy"</span>
                    <select
                        id="policy-backoffPolicy"
                        data-testid="policy-backoffPolicy"
                        prop:value=move || policy.with(|p| p.backoff_policy.clone().unwrap_or_default())
                        on:change=set_backoff
                    >
                        <option value="">"none"</option>
                        <option value="exponential">"exponential"</option>
                        <option value="linear">"linear"</option>
                    </select>
                </label>
                {field(policy, "retry", "3", |p| &p.retry, |p| &mut p.retry)}
                {field(policy, "backoffDelay", "PT0.2S", |p| &p.backoff_delay, |p| &mut p.backoff_delay)}
                {field(policy, "retryAfterMax", "PT5S", |p| &p.retry_after_max, |p| &mut p.retry_after_max)}
                {field(policy, "intervals", "PT1S, PT5S", |p| &p.intervals, |p| &mut p.intervals)}
                {field(policy, "tolerance", "0.25", |p| &p.tolerance, |p| &mut p.tolerance)}
                <button type="submit" class="button" data-testid="policy-check">"Check"</button>
            </form>
            {move || error.get().map(|message| view! {
                <p class="error-text" role="alert" data-testid="deliveries-error">{message}</p>
            })}
            <div aria-live="polite">
                {move || found.with(|found| match found {
                    None => view! { <p class="muted">"Loading the deliveries …"</p> }.into_any(),
                    Some(found) => verdict_view(found.verdict.as_ref(), found.deliveries.len()).into_any(),
                })}
            </div>
            {move || found.with(|found| match found {
                Some(found) if !found.deliveries.is_empty() => {
                    let checks = found.verdict.as_ref().map(|v| v.intervals.as_slice()).unwrap_or_default();
                    Some(view! {
                        {axis(&found.deliveries, checks)}
                        <ol class="attempts" style="padding:0;list-style:none;font-size:12.5px" data-testid="delivery-attempts">
                            {found.deliveries.iter().enumerate().map(|(i, row)| {
                                attempt_item(row, i.checked_sub(1).and_then(|i| checks.get(i)))
                            }).collect_view()}
                        </ol>
                    })
                }
                _ => None,
            })}
        </section>
    }
}

/// The verdict in words: matches or not, and each failed check.
fn verdict_view(verdict: Option<&Verdict>, count: usize) -> impl IntoView + use<> {
    let Some(verdict) = verdict else {
        return view! {
            <p class="muted" data-testid="verdict">
                {format!("{count} deliveries. State the producer's delivery policy above to check its retries.")}
            </p>
        }
        .into_any();
    };
    let summary = format!(
        "{} the policy: {} of {} retries",
        if verdict.matches { "✓ Matches" } else { "✗ Does not match" },
        verdict.actual_retries,
        verdict.expected_retries,
    );
    view! {
        <p class="policy-verdict" class:bad=!verdict.matches data-testid="verdict" data-matches=verdict.matches.to_string()>
            {summary}
        </p>
        <ul class="verdict-reasons">
            {verdict.reasons.iter().map(|reason| view! { <li data-testid="verdict-reason">{reason.clone()}</li> }).collect_view()}
        </ul>
    }
    .into_any()
}

/// One delivery in the list: attempt, answer, arrival, and the wait before it against the policy.
fn attempt_item(row: &DeliveryRow, check: Option<&IntervalCheck>) -> impl IntoView + use<> {
    let ui = use_ui();
    let history_id = row.history_id;
    let status = row.status.unwrap_or(202);
    let arrived = unix_millis(&row.received_at).map(|ms| clock(ms as f64)).unwrap_or_default();
    let mut words = format!("#{} · {status} · {arrived}", row.attempt.unwrap_or(0));
    if let Some(rule) = &row.rule {
        words.push_str(&format!(" · rule {rule}"));
    }
    if row.delay_ms > 0 {
        words.push_str(&format!(" · held {}", span(row.delay_ms as i64)));
    }
    if let Some(retry_after) = &row.retry_after {
        words.push_str(&format!(" · Retry-After {retry_after}"));
    }
    let wait = row.interval_ms.map(|actual| {
        let mut text = format!("after {}", span(actual));
        let mut ok = true;
        if let Some(check) = check {
            if let Some(expected) = check.expected_ms {
                text.push_str(&format!(", policy {}", span(expected as i64)));
            }
            if check.retry_after_honoured == Some(false) {
                text.push_str(", Retry-After ignored");
            }
            ok = check.ok && check.retry_after_honoured != Some(false);
            text.push_str(if ok { " ✓" } else { " ✗" });
        }
        view! { <span class="wait" class:bad=!ok>{text}</span> }
    });
    view! {
        <li data-testid="delivery-attempt" data-status=status.to_string()>
            <button type="button" class="link-button" on:click=move |_| ui.selected.set(Some(history_id))>
                {words}
            </button>
            " "
            {wait}
        </li>
    }
}

/// The time axis: a dot per arrival (red when it was refused), the held answer as a bar, and the
/// time the policy expected each retry as a dashed tick.
fn axis(rows: &[DeliveryRow], checks: &[IntervalCheck]) -> impl IntoView + use<> {
    let arrivals: Vec<i64> = rows.iter().map(|r| unix_millis(&r.received_at).unwrap_or_default()).collect();
    let answered = |i: usize| arrivals[i] + rows[i].delay_ms as i64;
    let expected: Vec<Option<i64>> = (1..rows.len())
        .map(|i| checks.get(i - 1).and_then(|c| c.expected_ms).map(|ms| answered(i - 1) + ms as i64))
        .collect();
    let start = arrivals[0];
    let end = (0..rows.len()).map(answered).chain(expected.iter().flatten().copied()).max().unwrap_or(start);
    let scale = (end - start).max(1);
    let x = move |t: i64| PAD + (t - start) * (WIDTH - 2 * PAD) / scale;
    let label = format!(
        "{} deliveries over {}, answered {}",
        rows.len(),
        span(end - start),
        rows.iter().map(|r| r.status.unwrap_or(202).to_string()).collect::<Vec<_>>().join(", ")
    );
    let marks = rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let status = row.status.unwrap_or(202);
            let (from, to) = (x(arrivals[i]), x(answered(i)));
            let (class, fill) = if status >= 400 { ("dot bad", "fill:var(--red)") } else { ("dot", "fill:var(--green)") };
            view! {
                <line class="held" style="stroke:var(--yellow);stroke-width:6" x1=from y1=AXIS_Y x2=to y2=AXIS_Y />
                <circle class=class style=fill cx=from cy=AXIS_Y r="7" />
                <text style=TEXT_STYLE x=from y=AXIS_Y - 14 text-anchor="middle">{status.to_string()}</text>
            }
        })
        .collect_view();
    let ticks = expected
        .into_iter()
        .flatten()
        .map(|t| view! { <line class="expected" style="stroke:var(--muted);stroke-width:2;stroke-dasharray:4 3" x1=x(t) y1=AXIS_Y - 12 x2=x(t) y2=AXIS_Y + 12 /> })
        .collect_view();
    let gaps = (1..rows.len())
        .filter_map(|i| {
            let actual = rows[i].interval_ms?;
            let mid = (x(answered(i - 1)) + x(arrivals[i])) / 2;
            Some(view! { <text class="gap" style=TEXT_STYLE x=mid y=AXIS_Y + 22 text-anchor="middle">{format!("+{}", span(actual))}</text> })
        })
        .collect_view();
    view! {
        <svg
            class="delivery-axis"
            style="width:100%;overflow:visible"
            viewBox=format!("0 0 {WIDTH} {HEIGHT}")
            role="img"
            aria-label=label
            data-testid="delivery-axis"
        >
            <line class="axis" style="stroke:var(--border);stroke-width:2" x1=PAD y1=AXIS_Y x2=WIDTH - PAD y2=AXIS_Y />
            {ticks}
            {marks}
            {gaps}
        </svg>
    }
}

#[cfg(test)]
mod tests {
    use super::span;

    #[test]
    fn spans_read_as_people_say_them() {
        assert_eq!(span(205), "205 ms");
        assert_eq!(span(-40), "-40 ms");
        assert_eq!(span(1600), "1.6 s");
        assert_eq!(span(12_049), "12.0 s");
        assert_eq!(span(-2500), "-2.5 s");
    }
}
