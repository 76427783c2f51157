//! The detail pane: attributes, extensions, warnings, data pretty-printed, the request as received
//! beside the parsed event, copy JSON and copy as curl (binary and structured).

use crate::client::api::fetch_envelope;
use crate::client::dom::origin;
use crate::client::ui::{UiState, use_ui};
use crate::components::copy_button::CopyButton;
use crate::components::deliveries::DeliveryTimeline;
use crate::core::cloudevent::lint::Rule;
use crate::core::cloudevent::{CloudEvent, Mode, Warning};
use crate::core::compose::Draft;
use crate::core::curl::to_curl;
use crate::core::data_view::DataView;
use crate::core::id::EventId;
use crate::core::marks::Answered;
use crate::core::protocol::Envelope;
use leptos::either::{Either, EitherOf3};
use leptos::prelude::*;
use serde_json::Value;

/// Details of the selected event, or a hint when none is selected.
#[component]
pub fn DetailPane() -> impl IntoView {
    let ui = use_ui();
    // The selection while this tab holds it: a memo, so a burst of new events (each flush updates
    // the view) does not rebuild the pane, only a change of the selected event does.
    // An event the filters hide leaves the pane too; it comes back when they show it again.
    let shown =
        Memo::new(move |_| ui.selected.get().filter(|id| ui.view.with(|v| v.shown_index(*id).is_some())));
    let selected = move || {
        let id = shown.get()?;
        ui.view.with_untracked(|v| v.get(id).map(|row| (id, row.event().clone())))
    };

    view! {
        <aside
            class="detail-pane"
            class:has-event=move || shown.get().is_some()
            data-testid="detail"
            aria-label="Event detail"
            tabindex="0"
        >
            {move || match selected() {
                None => Either::Left(view! { <p class="hint">"Select an event to see its attributes, data and the request as received."</p> }),
                Some((id, event)) => Either::Right(Suspend::new(event_detail(id, event))),
            }}
        </aside>
    }
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// An attribute's label: its own name, with the 1.0 name beside a 0.3 one.
fn label(name: &str) -> String {
    match name {
        "schemaurl" => "schemaurl (1.0: dataschema)".into(),
        "datacontentencoding" => "datacontentencoding (1.0: data_base64)".into(),
        _ => name.into(),
    }
}

/// The detail's code (data view, curl, the request as received and its reader) is a module of
/// its own, fetched the first time an event is selected; after that the future is ready at once.
#[lazy]
fn event_detail(id: EventId, event: CloudEvent) -> AnyView {
    view! { <EventDetail id event /> }.into_any()
}

#[component]
fn EventDetail(id: EventId, event: CloudEvent) -> impl IntoView {
    let ui = use_ui();
    // The request as received: asked for as the pane opens; a pane closed meanwhile drops it.
    let received = RwSignal::new(None::<Result<Envelope, String>>);
    leptos::task::spawn_local(async move {
        let result = fetch_envelope(id).await;
        received.try_set(Some(result));
    });
    let attributes = event
        .attributes()
        .filter(|(name, _)| event.is_standard(name))
        .map(|(name, value)| view! { <tr><th>{label(name)}</th><td>{text_of(value)}</td></tr> })
        .collect_view();
    let extensions: Vec<(String, String)> =
        event.extensions().map(|(name, value)| (name.to_owned(), text_of(value))).collect();
    let has_extensions = !extensions.is_empty();
    let extensions = extensions
        .into_iter()
        .map(|(name, value)| view! { <tr><th>{name}</th><td>{value}</td></tr> })
        .collect_view();
    let data = DataView::of(&event);
    let (data, kind) = (data.text(), data.kind());
    let json = serde_json::to_string_pretty(&event).unwrap_or_default();
    let url = format!("{}/", origin());
    let curl_binary = to_curl(&event, Mode::Binary, &url);
    let curl_structured = to_curl(&event, Mode::Structured, &url);
    let copies = [
        ("Copy JSON", "copy-json", json.clone()),
        ("Copy curl (binary)", "copy-curl-binary", curl_binary.clone()),
        ("Copy curl (structured)", "copy-curl-structured", curl_structured.clone()),
    ]
    .into_iter()
    .map(|(label, testid, text)| view! { <CopyButton label testid text /> })
    .collect_view();
    let title = event.ty().to_owned();
    let resend = {
        let event = event.clone();
        move |_| ui.compose.set(Some(Draft::from_event(&event, Mode::Structured)))
    };

    view! {
        <div class="detail-head">
            <h2 class="detail-title" data-testid="detail-type">{title}</h2>
            <button
                type="button"
                class="icon-button close-detail"
                data-testid="detail-close"
                aria-label="Back: close the detail"
                title="Close (Esc)"
                on:click=move |_| {
                    ui.selected.set(None);
                    crate::client::dom::focus_testid("event-list");
                }
            >
                <span class="back-label" aria-hidden="true">"← Back"</span>
                <span class="close-label" aria-hidden="true">"×"</span>
            </button>
        </div>
        <div class="detail-actions">
            {copies}
            <button type="button" class="button subtle" data-testid="resend" on:click=resend>"Resend …"</button>
        </div>
        <h3>"Attributes"</h3>
        <table class="kv" data-testid="detail-attributes"><tbody>{attributes}</tbody></table>
        {has_extensions.then(|| view! {
            <h3>"Extensions"</h3>
            <table class="kv" data-testid="detail-extensions"><tbody>{extensions}</tbody></table>
        })}
        <h3>"Data " <span class="muted">{kind}</span></h3>
        <pre class="code" data-testid="detail-data">{data}</pre>
        <h3>"As received"</h3>
        {move || match received.get() {
            None => EitherOf3::A(view! { <p class="muted">"Loading the request …"</p> }),
            Some(Err(e)) => EitherOf3::B(view! { <p class="error-text">{format!("Not available: {e}")}</p> }),
            // Type-erased: the pane's view type is otherwise deeper than the compiler's query limit.
            Some(Ok(envelope)) => EitherOf3::C(view! { <Received envelope /> }.into_any()),
        }}
        <details class="curl">
            <summary>"curl"</summary>
            <p class="muted">"Binary mode"</p>
            <pre class="code" data-testid="curl-binary">{curl_binary}</pre>
            <p class="muted">"Structured mode"</p>
            <pre class="code" data-testid="curl-structured">{curl_structured}</pre>
        </details>
        <p class="muted small">{format!("History id {id}")}</p>
    }
}

/// One warning: its rule id, what the event does, the spec's words, and muting the rule in this
/// browser (a muted rule stays listed here, but no badge counts it).
fn warning_item(ui: UiState, warning: Warning) -> impl IntoView {
    let rule = Rule::parse(&warning.rule);
    let muted = move || rule.is_some_and(|rule| ui.muted.get().contains(rule));
    let id = warning.rule;
    let data_rule = id.clone();
    view! {
        <li class:muted-rule=muted data-testid="warning" data-rule=data_rule>
            <code class="rule-id">{id}</code>
            {move || muted().then_some(" (muted)")}
            " "
            {warning.message}
            {rule.map(|rule| view! {
                <span class="rule-reason small muted">{rule.reason()}</span>
                <button
                    type="button"
                    class="link-button"
                    data-testid="mute-rule"
                    on:click=move |_| ui.mute(rule, !muted())
                >
                    {move || if muted() { "Unmute this rule" } else { "Mute this rule in this browser" }}
                </button>
            })}
        </li>
    }
}

/// Mode, arrival time, warnings, headers and raw body as the server received them (the
/// envelope of `GET /api/events/{id}`).
#[component]
fn Received(envelope: Envelope) -> impl IntoView {
    let Envelope { mode, received_at, duplicate_of, warnings, request, delivery, event, .. } = envelope;
    // A rule answered it, or the producer delivered it again: its deliveries are worth a timeline.
    let timeline = delivery
        .as_ref()
        .and_then(Answered::of)
        .map(|_| view! { <DeliveryTimeline source=event.source().to_owned() id=event.id().to_owned() /> });
    let has_warnings = !warnings.is_empty();
    let ui = use_ui();
    let warnings = warnings.into_iter().map(|w| warning_item(ui, w)).collect_view();
    let headers = request
        .headers
        .iter()
        .map(|(name, value)| view! { <tr><th>{name.to_owned()}</th><td>{value.to_owned()}</td></tr> })
        .collect_view();
    let body = match (&request.body, &request.body_base64) {
        (Some(body), _) => body.clone(),
        (None, Some(b64)) => format!("{b64}\n\n(base64; the body is not UTF-8)"),
        (None, None) => "(empty body)".into(),
    };
    let truncated = request.body_truncated.then(|| format!("first 64 KiB of {} bytes", request.body_size));
    let summary = format!("{} {} at {received_at}", request.method, request.path);
    // The original is a click away (while this tab holds it).
    let duplicate = duplicate_of.map(|original| {
        view! {
            " · duplicate of "
            <button
                type="button"
                class="link-button"
                data-testid="duplicate-of"
                on:click=move |_| ui.selected.set(Some(original))
            >
                {original.to_string()}
            </button>
        }
    });
    view! {
        <p class="received-meta" data-testid="detail-mode">
            <span class="badge">{mode.as_str()}</span>
            " "
            {summary}
            {duplicate}
        </p>
        {has_warnings.then(|| view! {
            <div class="warnings" data-testid="detail-warnings">
                <strong>"Warnings"</strong>
                <ul>{warnings}</ul>
            </div>
        })}
        {timeline}
        <table class="kv" data-testid="detail-headers"><tbody>{headers}</tbody></table>
        <pre class="code" data-testid="detail-body">{body}</pre>
        {truncated.map(|t| view! { <p class="muted small">{t}</p> })}
    }
}
