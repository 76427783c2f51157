//! Filter inputs (type, source, subject with `*`, free text, extension `key=value`, time range)
//! and "showing X of Y". Matching is `core::filter`.

use crate::app::use_ui;
use crate::client::dom::date_time;
use crate::core::filter::Filter;
use leptos::prelude::*;

/// The filter bar. Edits `filter`; the player applies it and writes it to the URL.
#[component]
pub fn FilterBar(filter: RwSignal<Filter>) -> impl IntoView {
    let ui = use_ui();
    let field = move |label: &'static str,
                      testid: &'static str,
                      placeholder: &'static str,
                      get: fn(&Filter) -> String,
                      set: fn(&mut Filter, String)| {
        view! {
            <label class="filter-field">
                <span class="filter-label">{label}</span>
                <input
                    type="search"
                    data-testid=testid
                    placeholder=placeholder
                    spellcheck="false"
                    autocomplete="off"
                    prop:value=move || filter.with(get)
                    on:input=move |ev| {
                        let value = event_target_value(&ev);
                        filter.update(|f| set(f, value));
                    }
                />
            </label>
        }
    };
    let range = move || {
        filter.with(|f| match (f.from_ms, f.to_ms) {
            (None, None) => None,
            (from, to) => Some(format!(
                "{} – {}",
                from.map_or_else(|| "…".to_owned(), |ms| date_time(ms as f64)),
                to.map_or_else(|| "…".to_owned(), |ms| date_time(ms as f64)),
            )),
        })
    };
    // Kept as typed: a half-written pair like `env` must stay in the box while it parses to nothing.
    let extensions_text = RwSignal::new(filter.with_untracked(|f| Filter::format_extensions(&f.extensions)));
    let showing = move || ui.view.with(|v| (v.shown_len(), v.len()));

    view! {
        <section class="filter-bar" aria-label="Filters">
            {field("Type", "filter-type", "com.example.*", |f| f.ty.clone(), |f, v| f.ty = v)}
            {field("Source", "filter-source", "*/orders", |f| f.source.clone(), |f, v| f.source = v)}
            {field("Subject", "filter-subject", "orders/*", |f| f.subject.clone(), |f, v| f.subject = v)}
            {field("Search", "filter-text", "text anywhere in the event", |f| f.text.clone(), |f, v| f.text = v)}
            <label class="filter-field">
                <span class="filter-label">"Extensions"</span>
                <input
                    type="search"
                    data-testid="filter-extensions"
                    placeholder="key=value, …"
                    spellcheck="false"
                    autocomplete="off"
                    prop:value=move || extensions_text.get()
                    on:input=move |ev| {
                        let text = event_target_value(&ev);
                        filter.update(|f| f.extensions = Filter::parse_extensions(&text));
                        extensions_text.set(text);
                    }
                />
            </label>
            {move || {
                range()
                    .map(|text| {
                        view! {
                            <button
                                type="button"
                                class="chip"
                                data-testid="filter-time-range"
                                title="Clear the time range"
                                on:click=move |_| {
                                    filter
                                        .update(|f| {
                                            f.from_ms = None;
                                            f.to_ms = None;
                                        })
                                }
                            >
                                {text}
                                " ×"
                            </button>
                        }
                    })
            }}
            <span class="showing" data-testid="showing">
                {move || {
                    let (shown, total) = showing();
                    if shown == total { format!("{total} events") } else { format!("showing {shown} of {total}") }
                }}
            </span>
            <button
                type="button"
                class="button subtle"
                data-testid="filter-reset"
                disabled=move || filter.with(Filter::is_empty)
                on:click=move |_| {
                    filter.set(Filter::default());
                    extensions_text.set(String::new());
                }
            >
                "Reset"
            </button>
        </section>
    }
}
