//! The rejected lane: requests the player refused, newest first, with the error and its details
//! from the streamed summary; the request as received is fetched when the reader opens it.

use crate::client::api::fetch_rejection;
use crate::client::ui::use_ui;
use crate::core::protocol::{EventName, RejectionSummary, RequestRecord};
use crate::core::view::{
    body_note, body_view, detail_line, headers_note, is_record_of, more_details, size_text,
};
use leptos::either::Either;
use leptos::prelude::*;
use std::sync::Arc;

/// The lane's code is a module of its own, fetched the first time the lane opens.
#[lazy]
pub fn rejected_lane() -> AnyView {
    view! { <RejectedLane /> }.into_any()
}

/// Every refused request this tab knows of.
#[component]
pub fn RejectedLane() -> impl IntoView {
    let ui = use_ui();
    let items = move || ui.rejections.with(|r| r.iter().cloned().collect::<Vec<_>>());
    view! {
        <section class="rejected-lane" data-testid="rejected-lane" aria-label="Rejected requests">
            {move || {
                ui.rejections
                    .with(|r| r.is_empty())
                    .then(|| {
                        view! {
                            <p class="hint">"No request has been refused. Invalid events show up here with the reason."</p>
                        }
                    })
            }}
            <For
                each=items
                key=|item| Arc::as_ptr(item) as usize
                children=move |item| view! { <RejectionCard item /> }
            />
        </section>
    }
}

/// Where the full record of one rejection stands once the reader has opened it.
enum Record {
    Loading,
    Loaded(std::sync::Arc<RequestRecord>),
    /// The server no longer keeps it.
    Gone,
    Failed(String),
}

/// One refused request: what the summary says, and "Request as received", fetched in full the
/// first time it is opened.
#[component]
fn RejectionCard(item: Arc<RejectionSummary>) -> impl IntoView {
    let details = item
        .details
        .iter()
        .map(|d| view! { <li data-testid="rejection-detail">{detail_line(d)}</li> })
        .collect_view();
    let more = more_details(&item).map(|more| view! { <li class="muted">{more}</li> });
    let record = RwSignal::new(None::<Record>);
    let summary = Arc::clone(&item);
    // `toggle` follows every open and close, by mouse or keyboard (Enter or Space on the
    // summary); a failed fetch is tried again on the next open.
    let on_toggle = move |ev: leptos::ev::Event| {
        let open = event_target::<leptos::web_sys::HtmlDetailsElement>(&ev).open();
        if !open
            || record
                .with_untracked(|r| matches!(r, Some(Record::Loading | Record::Loaded(_) | Record::Gone)))
        {
            return;
        }
        record.set(Some(Record::Loading));
        let summary = Arc::clone(&summary);
        leptos::task::spawn_local(async move {
            let result = match fetch_rejection(summary.id).await {
                Ok(Some(full)) if is_record_of(&summary, &full) => Record::Loaded(full.request),
                Ok(_) => Record::Gone,
                Err(e) => Record::Failed(format!("Could not load the request: {e}")),
            };
            // The card may be gone by now (the lane was switched): then there is nothing to show.
            let _ = record.try_set(Some(result));
        });
    };
    // Every state but the loaded one is one line of text (the same element type each time).
    let content = move || {
        record.with(|record| {
            let (class, testid, text) = match record.as_ref()? {
                Record::Loaded(full) => return Some(Either::Left(received(full))),
                Record::Loading => ("muted", "rejection-loading", "Loading the request …".to_owned()),
                Record::Gone => ("muted", "rejection-gone", GONE.to_owned()),
                Record::Failed(e) => ("error-text", "rejection-error", e.clone()),
            };
            Some(Either::Right(view! { <p class=class data-testid=testid>{text}</p> }))
        })
    };
    view! {
        <article class="rejection" data-testid="rejection">
            <header class="rejection-head">
                <span class="badge badge-alert" data-testid="rejection-status">{item.status}</span>
                <code data-testid="rejection-code">{item.code.clone()}</code>
                <span class="muted">{item.time.clone()}</span>
                <span class="muted">{format!("{} {}", item.method, item.path)}</span>
                <span class="muted">{format!("body {}", size_text(item.size))}</span>
            </header>
            {(!item.event.is_empty()).then(|| view! { <p class="rejection-event" data-testid="rejection-event">{event_name(&item.event)}</p> })}
            <p class="rejection-message" data-testid="rejection-message">{item.message.clone()}</p>
            <ul class="rejection-details">{details}{more}</ul>
            <details data-testid="rejection-request" on:toggle=on_toggle>
                <summary>"Request as received"</summary>
                {content}
            </details>
        </article>
    }
}

/// What a card says once the server has dropped the record (404), or kept another one under its id.
const GONE: &str =
    "The server no longer keeps this request: it keeps only the recent ones, and none from before a restart.";

/// Headers and body of a refused request, as the server recorded them.
fn received(request: &RequestRecord) -> impl IntoView + use<> {
    let headers = request
        .headers
        .iter()
        .map(|(name, value)| view! { <tr><th>{name.to_owned()}</th><td>{value.to_owned()}</td></tr> })
        .collect_view();
    let note = |text: Option<String>| text.map(|t| view! { <p class="muted small">{t}</p> });
    let (body, label) = body_view(request);
    view! {
        <table class="kv" data-testid="rejection-headers"><tbody>{headers}</tbody></table>
        {note(request.headers.is_empty().then(|| "No headers were kept.".to_owned()))}
        {note(headers_note(request))}
        {note(label.map(str::to_owned))}
        <pre class="code" data-testid="rejection-body">{body.to_owned()}</pre>
        {note(body_note(request))}
    }
}

/// `com.example.order.created from /orders, id 42`: what the request says the event was.
fn event_name(name: &EventName) -> String {
    let mut parts = Vec::new();
    if let Some(ty) = &name.ty {
        parts.push(ty.clone());
    }
    if let Some(source) = &name.source {
        parts.push(format!("from {source}"));
    }
    if let Some(id) = &name.id {
        parts.push(format!("id {id}"));
    }
    parts.join(" · ")
}
