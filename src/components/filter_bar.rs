//! Filter inputs (type, source, subject with `*`, free text, extension `key=value`, time range)
//! and "showing X of Y". Matching is `core::filter`.

use crate::client::api::post_batch;
use crate::client::dom::{clock, date_time, download};
use crate::client::ui::{UiState, use_ui};
use crate::core::compose::{parse_import, to_batch_json, to_ndjson};
use crate::core::expression::ParseError;
use crate::core::filter::Filter;
use leptos::prelude::*;

/// The filter bar. Edits `filter`; the player applies it and writes it to the URL.
/// `trigger_open` shows the Trigger dry-run panel, `lab_open` the delivery lab's rules;
/// `expression_error` says why the expression does not parse (the player compiles it).
#[component]
pub fn FilterBar(
    filter: RwSignal<Filter>,
    trigger_open: RwSignal<bool>,
    lab_open: RwSignal<bool>,
    expression_error: RwSignal<Option<ParseError>>,
) -> impl IntoView {
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
    // Short on the chip (times of day), whole in its tooltip (dates too), so it fits the bar.
    let range = move || {
        filter.with(|f| match (f.from_ms, f.to_ms) {
            (None, None) => None,
            (from, to) => {
                let text = |at: Option<i64>, format: fn(f64) -> String| {
                    at.map_or_else(|| "…".to_owned(), |ms| format(ms as f64))
                };
                let short = |ms: f64| clock(ms)[..8].to_owned();
                Some((
                    format!("{} – {}", text(from, short), text(to, short)),
                    format!("{} – {}: clear the time range", text(from, date_time), text(to, date_time)),
                ))
            }
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
            <div class="filter-field expression-field">
                <label class="filter-label" for="filter-expression">"Expression (CESQL)"</label>
                <input
                    id="filter-expression"
                    type="text"
                    data-testid="filter-expression"
                    placeholder="type LIKE 'com.example.%' AND sequence > 10"
                    spellcheck="false"
                    autocomplete="off"
                    aria-describedby="filter-expression-error"
                    aria-invalid=move || expression_error.with(Option::is_some).to_string()
                    prop:value=move || filter.with(|f| f.expression.clone())
                    on:input=move |ev| {
                        let value = event_target_value(&ev);
                        filter.update(|f| f.expression = value);
                    }
                />
                <span id="filter-expression-error" class="error-text small" data-testid="filter-expression-error">
                    {move || {
                        expression_error
                            .get()
                            .map(|e| format!("Column {}: {}", e.position + 1, e.message))
                    }}
                </span>
            </div>
            {move || {
                range()
                    .map(|(text, title)| {
                        view! {
                            <button
                                type="button"
                                class="chip"
                                data-testid="filter-time-range"
                                aria-label=title.clone()
                                title=title
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
            <ExportImport />
            {(
                panel_button(trigger_open, "trigger-open", "Which events would a Knative Trigger deliver?", "Trigger dry-run"),
                panel_button(lab_open, "lab-open", "How the player answers producers: response rules", "Delivery lab"),
            )}
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

/// A button that opens and closes a panel, saying which in `aria-expanded`. One function for
/// every panel, so they share its code on the first page.
fn panel_button(
    open: RwSignal<bool>,
    testid: &'static str,
    title: &'static str,
    label: &'static str,
) -> impl IntoView {
    view! {
        <button
            type="button"
            class="button subtle"
            data-testid=testid
            aria-expanded=move || open.get().to_string()
            title=title
            on:click=move |_| open.update(|open| *open = !*open)
        >
            {label}
        </button>
    }
}

/// What the export and import module is asked to do.
enum Exchange {
    /// Save the shown events as a batch JSON or NDJSON file.
    Export { ndjson: bool },
    /// Post an exported file's events as one batch (all or nothing).
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    Import(Option<String>),
}

/// Export and import, loaded on first use: the first page carries neither the writers nor the
/// reader. One module for both, since each module costs the first page its loader. An import
/// answers what it did, or the server's error verbatim; an export answers nothing.
#[lazy]
async fn exchange(ui: UiState, what: Exchange) -> Option<Result<String, String>> {
    match what {
        Exchange::Export { ndjson } => {
            let text = ui.view.with_untracked(|view| {
                let events = view.shown().map(|row| row.event());
                if ndjson { to_ndjson(events) } else { to_batch_json(events) }
            });
            let (name, mime) = if ndjson {
                ("cloudevents.ndjson", "application/x-ndjson")
            } else {
                ("cloudevents.json", "application/cloudevents-batch+json")
            };
            download(name, mime, &text);
            None
        }
        Exchange::Import(text) => Some(
            async {
                let events = parse_import(&text.ok_or("the file could not be read")?)?;
                post_batch(events).await.map(|n| format!("Imported {n} events"))
            }
            .await,
        ),
    }
}

/// Export the shown events (batch JSON or NDJSON) and import such a file as one batch.
#[component]
fn ExportImport() -> impl IntoView {
    let ui = use_ui();
    let status = RwSignal::new(None::<Result<String, String>>);
    let export = move |ndjson: bool| {
        leptos::task::spawn_local(async move {
            exchange(ui, Exchange::Export { ndjson }).await;
        })
    };
    let picker = NodeRef::<leptos::html::Input>::new();
    let pick = move || {
        #[cfg(feature = "hydrate")]
        if let Some(input) = picker.get_untracked() {
            input.click();
        }
    };
    let import = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else {
                return;
            };
            let Some(file) = input.files().and_then(|files| files.get(0)) else { return };
            input.set_value("");
            leptos::task::spawn_local(async move {
                let text =
                    wasm_bindgen_futures::JsFuture::from(file.text()).await.ok().and_then(|t| t.as_string());
                status.set(exchange(ui, Exchange::Import(text)).await);
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    view! {
        <div class="export-import">
            <button type="button" class="button subtle" data-testid="export-json" on:click=move |_| export(false)>
                "Export JSON"
            </button>
            <button type="button" class="button subtle" data-testid="export-ndjson" on:click=move |_| export(true)>
                "NDJSON"
            </button>
            // A real button opens the picker: a bare file input cannot be styled or well labelled.
            <button type="button" class="button subtle" data-testid="import-button" on:click=move |_| pick()>
                "Import …"
            </button>
            <input
                type="file"
                class="file-input"
                node_ref=picker
                tabindex="-1"
                aria-hidden="true"
                accept=".json,.ndjson,application/json"
                data-testid="import-file"
                on:change=import
            />
            {move || {
                status
                    .get()
                    .map(|s| match s {
                        Ok(text) => leptos::either::Either::Left(view! { <span class="ok-text small" data-testid="import-result">{text}</span> }),
                        Err(text) => leptos::either::Either::Right(view! { <span class="error-text small" data-testid="import-error" role="alert">{text}</span> }),
                    })
            }}
        </div>
    }
}
