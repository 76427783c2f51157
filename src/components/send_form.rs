//! The send form: compose a CloudEvent (JSON data checked as typed), pick binary or structured
//! mode and a target (this player or a configured sink), keep templates in localStorage. The
//! server's answer is shown as it came.

use crate::client::api::{fetch_sinks, send_event};
use crate::client::dom::{load, random_bytes, save};
use crate::client::ui::use_ui;
use crate::core::cloudevent::Mode;
use crate::core::compose::{Draft, Template, default_templates, new_id};
use crate::core::protocol::SinkInfo;
use leptos::prelude::*;

/// localStorage key of the saved templates.
const TEMPLATES_KEY: &str = "cep-templates";

/// The templates saved in this browser, or the defaults on first use.
fn stored_templates() -> Vec<Template> {
    load(TEMPLATES_KEY).and_then(|text| serde_json::from_str(&text).ok()).unwrap_or_else(default_templates)
}

/// A fresh draft: the last template's fields with a new id. Loaded with the form (the templates
/// and the id generator are the form's code), so the first page does not carry them.
#[lazy]
pub fn fresh_draft() -> Draft {
    let mut draft = stored_templates().into_iter().next().map(|t| t.draft).unwrap_or_default();
    draft.id = new_id(random_bytes());
    draft
}

/// The send panel, shown while `UiState::compose` holds a draft. The form's inputs are plain
/// HTML read with `FormData` on submit (one reactive binding per field would cost bundle size);
/// choosing a template or a new id renders the form again from a new draft.
#[component]
pub fn SendPanel() -> impl IntoView {
    let ui = use_ui();
    let sinks = RwSignal::new(Vec::<SinkInfo>::new());
    let result = RwSignal::new(None::<Result<String, String>>);
    Effect::new(move |loaded: Option<()>| {
        if loaded.is_none() {
            leptos::task::spawn_local(async move {
                if let Ok(list) = fetch_sinks().await {
                    sinks.set(list);
                }
            });
        }
    });
    // A closed form forgets its last answer: reopened, it starts clean.
    Effect::new(move |_| {
        if ui.compose.with(Option::is_none) {
            result.set(None);
        }
    });
    move || ui.compose.get().map(|draft| Suspend::new(send_form(draft, sinks, result)))
}

/// The form's code is a module of its own, fetched the first time the form opens; after that the
/// future is ready at once, so choosing a template renders the new draft without a gap.
#[lazy]
fn send_form(
    draft: Draft,
    sinks: RwSignal<Vec<SinkInfo>>,
    result: RwSignal<Option<Result<String, String>>>,
) -> AnyView {
    view! { <SendForm draft sinks result /> }.into_any()
}

/// Reads a form's fields back into a draft and the target (`name` attributes match the fields).
#[cfg(feature = "hydrate")]
fn read_form(form: &web_sys::HtmlFormElement) -> Option<(Draft, String)> {
    let data = web_sys::FormData::new_with_form(form).ok()?;
    let field = |name: &str| data.get(name).as_string().unwrap_or_default();
    let draft = Draft {
        ty: field("type"),
        source: field("source"),
        subject: field("subject"),
        id: field("id"),
        datacontenttype: field("datacontenttype"),
        data: field("data"),
        extensions: field("extensions"),
        mode: if field("mode") == "binary" { Mode::Binary } else { Mode::Structured },
    };
    Some((draft, field("target")))
}

/// The form an event happened in: the form itself (submit) or a button's form.
fn form_of(ev: &leptos::ev::Event) -> Option<(Draft, String)> {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let target = ev.target()?;
        let form = match target.dyn_ref::<web_sys::HtmlButtonElement>() {
            Some(button) => button.form()?,
            None => target.dyn_into::<web_sys::HtmlFormElement>().ok()?,
        };
        read_form(&form)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = ev;
        None
    }
}

#[component]
fn SendForm(
    draft: Draft,
    sinks: RwSignal<Vec<SinkInfo>>,
    result: RwSignal<Option<Result<String, String>>>,
) -> impl IntoView {
    let ui = use_ui();
    let templates = stored_templates();
    let data_error = RwSignal::new(draft.data_error());
    let sending = RwSignal::new(false);
    let content_type = RwSignal::new(draft.datacontenttype.clone());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some((draft, target)) = form_of(&ev) else { return };
        let event = match draft.to_event() {
            Ok(event) => event,
            Err(errors) => {
                let text = errors.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join("; ");
                result.set(Some(Err(text)));
                return;
            }
        };
        sending.set(true);
        leptos::task::spawn_local(async move {
            let answer = send_event(target, draft.mode, event).await.and_then(|delivery| {
                let (target, status) = (delivery.target, delivery.status);
                if delivery.delivered {
                    Ok(format!("Sent to {target} in {} mode: HTTP {status}", delivery.mode.as_str()))
                } else {
                    Err(format!("{target} answered HTTP {status}: {}", delivery.body))
                }
            });
            sending.set(false);
            // Ready for the next one: the same fields with a new id.
            let next = if answer.is_ok() { Draft { id: new_id(random_bytes()), ..draft } } else { draft };
            result.set(Some(answer));
            ui.compose.set(Some(next));
        });
    };
    let apply_template = move |ev| {
        let name = event_target_value(&ev);
        if let Some(template) = stored_templates().into_iter().find(|t| t.name == name) {
            ui.compose.set(Some(Draft { id: new_id(random_bytes()), ..template.draft }));
        }
    };
    let save_template = move |ev: leptos::ev::MouseEvent| {
        let Some((draft, _)) = form_of(&ev) else { return };
        let mut templates = stored_templates();
        templates.retain(|t| t.name != draft.ty);
        templates.insert(0, Template { name: draft.ty.clone(), draft: Draft { id: String::new(), ..draft } });
        if let Ok(text) = serde_json::to_string(&templates) {
            save(TEMPLATES_KEY, &text);
        }
        result.set(Some(Ok("Saved as a template".into())));
    };
    let check_data = move |ev| {
        let data = event_target_value(&ev);
        let checked = Draft { data, datacontenttype: content_type.get_untracked(), ..Draft::default() };
        data_error.set(checked.data_error());
    };
    let field = |label: &'static str, name: &'static str, value: String| {
        view! {
            <label class="form-field">
                <span class="filter-label">{label}</span>
                <input type="text" name=name data-testid=format!("send-{name}") spellcheck="false" value=value />
            </label>
        }
    };
    // Keyboard users land in the form, not at the far end of the page behind it.
    Effect::new(move |_| crate::client::dom::focus_testid("send-type"));
    let is_binary = draft.mode == Mode::Binary;
    let template_options = templates
        .iter()
        .map(|t| view! { <option value=t.name.clone()>{t.name.clone()}</option> })
        .collect_view();

    view! {
        <aside class="send-panel" data-testid="send-panel" aria-label="Send an event">
            <form class="send-form" on:submit=submit>
                <div class="detail-head">
                    <h2 class="detail-title">"Send an event"</h2>
                    <button
                        type="button"
                        class="icon-button"
                        aria-label="Close the form"
                        title="Close (Esc)"
                        data-testid="send-close"
                        on:click=move |_| {
                            ui.compose.set(None);
                            crate::client::dom::focus_testid("send-open");
                        }
                    >
                        "×"
                    </button>
                </div>
                // The answer sits at the top, where it is seen without scrolling.
                {move || {
                    result
                        .get()
                        .map(|r| match r {
                            Ok(text) => leptos::either::Either::Left(view! { <p class="ok-text" data-testid="send-result" role="status">{text}</p> }),
                            Err(text) => leptos::either::Either::Right(view! { <p class="error-text" data-testid="send-error" role="alert">{text}</p> }),
                        })
                }}

                <label class="form-field">
                    <span class="filter-label">"Template"</span>
                    <select data-testid="send-template" on:change=apply_template>
                        <option value="">"Choose a template …"</option>
                        {template_options}
                    </select>
                </label>
                {field("Type", "type", draft.ty.clone())}
                {field("Source", "source", draft.source.clone())}
                {field("Subject", "subject", draft.subject.clone())}
                <div class="form-row">
                    {field("Id", "id", draft.id.clone())}
                    <button
                        type="button"
                        class="button subtle"
                        data-testid="send-new-id"
                        on:click={
                            let draft = draft.clone();
                            move |_| ui.compose.set(Some(Draft { id: new_id(random_bytes()), ..draft.clone() }))
                        }
                    >
                        "New id"
                    </button>
                </div>
                <label class="form-field">
                    <span class="filter-label">"Data content type"</span>
                    <input
                        type="text"
                        name="datacontenttype"
                        data-testid="send-datacontenttype"
                        spellcheck="false"
                        value=draft.datacontenttype.clone()
                        on:input=move |ev| content_type.set(event_target_value(&ev))
                    />
                </label>
                <label class="form-field">
                    <span class="filter-label">"Data"</span>
                    <textarea name="data" data-testid="send-data" rows="8" spellcheck="false" on:input=check_data>
                        {draft.data.clone()}
                    </textarea>
                    {move || data_error.get().map(|e| view! { <span class="error-text small" data-testid="data-error">{e}</span> })}
                </label>
                <label class="form-field">
                    <span class="filter-label">"Extensions (key=value per line)"</span>
                    <textarea name="extensions" data-testid="send-extensions" rows="3" spellcheck="false">
                        {draft.extensions.clone()}
                    </textarea>
                </label>
                <fieldset class="form-row">
                    <legend class="filter-label">"Mode"</legend>
                    <label class="radio">
                        <input type="radio" name="mode" value="structured" data-testid="send-mode-structured" checked=!is_binary />
                        "structured"
                    </label>
                    <label class="radio">
                        <input type="radio" name="mode" value="binary" data-testid="send-mode-binary" checked=is_binary />
                        "binary"
                    </label>
                </fieldset>
                <label class="form-field">
                    <span class="filter-label">"Target"</span>
                    <select name="target" data-testid="send-target">
                        <option value="self">"This player"</option>
                        {move || {
                            sinks
                                .get()
                                .into_iter()
                                .map(|s| view! { <option value=s.name.clone()>{format!("{} ({})", s.name, s.url)}</option> })
                                .collect_view()
                        }}
                    </select>
                </label>
                <div class="form-row">
                    <button
                        type="submit"
                        class="button primary"
                        data-testid="send-submit"
                        disabled=move || sending.get() || data_error.with(Option::is_some)
                    >
                        "Send"
                    </button>
                    <button
                        type="button"
                        class="button subtle"
                        data-testid="send-save-template"
                        title="Saved under the event type"
                        on:click=save_template
                    >
                        "Save as template"
                    </button>
                </div>
            </form>
        </aside>
    }
}
