//! The Trigger dry-run (DESIGN §10): paste a Knative Trigger, see which stored events it would
//! deliver and, for each one it would not, the filter that refused it. The server evaluates
//! (`POST /api/triggers/preview`), so the page and `curl` agree; while the panel is open it asks
//! again as new events arrive. Loaded on first use.

use crate::client::api::preview_trigger;
use crate::client::dom::{load, save};
use crate::client::flight::{SingleFlight, follow_events};
use crate::client::ui::use_ui;
use crate::core::protocol::TriggerPreview;
use leptos::prelude::*;
use std::time::Duration;

/// localStorage key of the last Trigger pasted, so a reload keeps it.
const MANIFEST_KEY: &str = "cep-trigger";

/// What the panel starts with when nothing was pasted before: a Trigger using the new filters.
const EXAMPLE: &str = "apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata:
  name: orders
spec:
  broker: default
  filters:
    - any:
        - exact:
            type: com.example.order.created
        - prefix:
            type: com.example.order.
    - not:
        cesql: \"subject LIKE 'test/%'\"
";

#[component]
pub fn TriggerPanel(open: RwSignal<bool>) -> impl IntoView {
    let ui = use_ui();
    let manifest = RwSignal::new(load(MANIFEST_KEY).unwrap_or_else(|| EXAMPLE.to_owned()));
    let answer = RwSignal::new(None::<Result<TriggerPreview, String>>);
    let follow = RwSignal::new(true);
    let flight = SingleFlight::new(Duration::ZERO);
    // The manifest as it is when each request starts, so a re-ask sends the latest.
    let request = move || {
        let text = manifest.get_untracked();
        save(MANIFEST_KEY, &text);
        preview_trigger(text)
    };
    let run = move || flight.ask(request, move |result| answer.try_set(Some(result)).is_none());
    // Follows the stream once it has an answer: a burst of events asks once more, not once each.
    follow_events(false, move || {
        if follow.get_untracked() && answer.with_untracked(Option::is_some) {
            run();
        }
    });
    let summary = move |preview: &TriggerPreview| {
        let name = preview.trigger.name.as_deref().unwrap_or("This Trigger");
        format!(
            "{name} would deliver {} of the {} newest stored events",
            preview.delivered.len(),
            preview.scanned
        )
    };
    let select = move |id| ui.selected.set(Some(id));

    view! {
        <section class="trigger-panel" aria-labelledby="trigger-title" data-testid="trigger-panel">
            <div class="trigger-head">
                <h2 id="trigger-title">"Trigger dry-run"</h2>
                <button
                    type="button"
                    class="button subtle"
                    data-testid="trigger-close"
                    on:click=move |_| open.set(false)
                >
                    "Close"
                </button>
            </div>
            <form
                class="trigger-form"
                on:submit=move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    run();
                }
            >
                <label class="trigger-label" for="trigger-input">
                    "Knative Trigger, YAML or JSON (spec.filters with exact, prefix, suffix, all, any, not, cesql; or spec.filter.attributes)"
                </label>
                <textarea
                    id="trigger-input"
                    data-testid="trigger-input"
                    rows="10"
                    spellcheck="false"
                    prop:value=move || manifest.get()
                    on:input=move |ev| manifest.set(event_target_value(&ev))
                ></textarea>
                <div class="trigger-actions">
                    <button type="submit" class="button primary" data-testid="trigger-preview" disabled=move || flight.asking()>
                        "Preview"
                    </button>
                    <label class="check">
                        <input
                            type="checkbox"
                            data-testid="trigger-follow"
                            prop:checked=move || follow.get()
                            on:change=move |ev| follow.set(event_target_checked(&ev))
                        />
                        " Update as events arrive"
                    </label>
                </div>
            </form>
            <div aria-live="polite">
                {move || {
                    answer
                        .with(|answer| match answer {
                            None => None,
                            Some(Err(message)) => Some(view! {
                                <p class="error-text" role="alert" data-testid="trigger-error">{message.clone()}</p>
                            }.into_any()),
                            Some(Ok(preview)) => Some(view! {
                                <p class="trigger-summary" data-testid="trigger-summary">{summary(preview)}</p>
                            }.into_any()),
                        })
                }}
            </div>
            <ul class="trigger-results" data-testid="trigger-results">
                {move || {
                    answer
                        .with(|answer| match answer {
                            Some(Ok(preview)) => preview.events.clone(),
                            _ => Vec::new(),
                        })
                        .into_iter()
                        .map(|event| {
                            let id = event.id;
                            let verdict = if event.delivered { "delivered" } else { "refused" };
                            let reason = event.refused_by.map(|refusal| {
                                format!("{} ({}): {}", refusal.path, refusal.dialect, refusal.reason)
                            });
                            view! {
                                <li class="trigger-row" class:refused=!event.delivered data-testid="trigger-row" data-verdict=verdict>
                                    <button type="button" class="trigger-event" on:click=move |_| select(id)>
                                        <span class="verdict">{if event.delivered { "✓ delivers" } else { "✗ refuses" }}</span>
                                        <span class="mono">{event.ty}</span>
                                        <span class="muted mono">{event.source}</span>
                                        <span class="muted mono">{event.event_id}</span>
                                    </button>
                                    {reason.map(|reason| view! { <p class="trigger-reason" data-testid="trigger-reason">{reason}</p> })}
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
        </section>
    }
}
