//! The delivery lab's rules panel (DESIGN §11): the response rules in order, each with what it
//! would match of the newest stored events (`POST /api/rules/preview`, asked again as the draft
//! changes and as events arrive), edited as a draft and put in force by Save (`PUT /api/rules`,
//! whose checks are the only ones). Loaded on first use.

use crate::client::api::{fetch_rules, preview_rules, save_rules};
use crate::client::dom::{confirm, focus_testid};
use crate::client::flight::{SingleFlight, follow_events};
use crate::core::lab::form::{RuleForm, summary};
use crate::core::lab::{ReplyMode, Rule, Rules, RulesPreview};
use leptos::prelude::*;
use std::time::Duration;

/// Quiet time after the last change of the draft before its preview is asked for.
const PREVIEW_DEBOUNCE: Duration = Duration::from_millis(300);

/// Which rule the form edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Editing {
    New,
    At(usize),
}

/// Moves keyboard focus to the element with this `id` once the views just changed are drawn.
fn focus(id: String) {
    #[cfg(feature = "hydrate")]
    request_animation_frame(move || crate::client::dom::focus_selector(&format!("#{id}")));
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}

/// The preview's words for rule `index` named `name`; none while there is no answer for it.
fn preview_text(preview: &RulesPreview, index: usize, name: &str) -> Option<String> {
    let counts = preview.rules.get(index).filter(|r| r.name == name)?;
    Some(match preview.scanned {
        0 => "no stored events to preview yet".to_owned(),
        scanned => format!(
            "would match {} of the last {scanned} events (answers {})",
            counts.matches, counts.decides
        ),
    })
}

#[component]
pub fn RulesPanel(open: RwSignal<bool>) -> impl IntoView {
    // The rules in force as last read or saved (`None` until loaded), and the list being edited.
    let saved = RwSignal::new(None::<Vec<Rule>>);
    let draft = RwSignal::new(Vec::<Rule>::new());
    let editing = RwSignal::new(None::<Editing>);
    let error = RwSignal::new(None::<String>);
    let just_saved = RwSignal::new(false);
    let saving = RwSignal::new(false);
    let preview = RwSignal::new(None::<Result<RulesPreview, String>>);
    let follow = RwSignal::new(true);
    let dirty =
        move || saved.with(|saved| draft.with(|draft| saved.as_ref().is_some_and(|saved| saved != draft)));
    let flight = SingleFlight::new(Duration::ZERO);
    // The draft as it is when each request starts, so a re-ask previews the latest.
    let request = move || {
        let rules = Rules { rules: draft.get_untracked() };
        async move { preview_rules(&rules).await }
    };
    let run = move || flight.ask(request, move |answer| preview.try_set(Some(answer)).is_none());

    Effect::new(move |loaded: Option<()>| {
        if loaded.is_none() {
            leptos::task::spawn_local(async move {
                match fetch_rules().await {
                    Ok(rules) => {
                        draft.set(rules.rules.clone());
                        saved.set(Some(rules.rules));
                    }
                    Err(message) => error.set(Some(message)),
                }
            });
        }
    });
    // The draft's preview, a moment after its last change (a few quick clicks ask once): each
    // change starts a wait, and only the wait of the latest change asks.
    let changes = StoredValue::new(0u32);
    Effect::new(move |_| {
        draft.track();
        if saved.with_untracked(Option::is_none) {
            return;
        }
        let ticket = changes.get_value().wrapping_add(1);
        changes.set_value(ticket);
        set_timeout(
            move || {
                if changes.try_get_value() == Some(ticket) {
                    run();
                }
            },
            PREVIEW_DEBOUNCE,
        );
    });
    // Follows the stream once it has a preview: a burst of events asks once more, not once each.
    follow_events(false, move || {
        if follow.get_untracked() && preview.with_untracked(Option::is_some) {
            run();
        }
    });

    // Every edit of the list goes through here: the last answer no longer applies to it.
    let change = move |edit: &dyn Fn(&mut Vec<Rule>)| {
        draft.update(|rules| edit(rules));
        just_saved.set(false);
        error.set(None);
    };
    let save = move |_| {
        let rules = draft.get_untracked();
        saving.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            match save_rules(&Rules { rules: rules.clone() }).await {
                Ok(stored) => {
                    // Edited while saving: the newer draft stays, unsaved.
                    if draft.try_with_untracked(|now| *now == rules).unwrap_or(false) {
                        draft.set(stored.rules.clone());
                    }
                    saved.set(Some(stored.rules));
                    just_saved.set(true);
                }
                Err(message) => error.set(Some(message)),
            }
            saving.set(false);
        });
    };
    let close = move |_| {
        if !dirty() || confirm("Close the delivery lab and lose the unsaved rule changes?") {
            open.set(false);
            focus_testid("lab-open");
        }
    };
    let moved = move |from: usize, to: usize, up: bool| {
        change(&|rules| rules.swap(from, to));
        let last = draft.with_untracked(Vec::len).saturating_sub(1);
        // The same button on the rule's new row, or its other move button at either end.
        let button = match (up, to) {
            (true, 0) => "down",
            (false, to) if to == last => "up",
            (true, _) => "up",
            (false, _) => "down",
        };
        focus(format!("rule-{to}-{button}"));
    };
    let delete = move |index: usize| {
        change(&|rules| {
            rules.remove(index);
        });
        let left = draft.with_untracked(Vec::len);
        focus(if left == 0 { "rules-add".into() } else { format!("rule-{}-edit", index.min(left - 1)) });
    };
    let apply = move |at: Editing, rule: Rule| {
        let index = match at {
            Editing::New => {
                change(&|rules| rules.push(rule.clone()));
                draft.with_untracked(Vec::len) - 1
            }
            Editing::At(index) => {
                change(&|rules| rules[index] = rule.clone());
                index
            }
        };
        editing.set(None);
        focus(format!("rule-{index}-edit"));
    };
    let cancel = move |at: Editing| {
        editing.set(None);
        focus(match at {
            Editing::New => "rules-add".into(),
            Editing::At(index) => format!("rule-{index}-edit"),
        });
    };

    let row = move |index: usize, rule: &Rule, count: usize| {
        let name = rule.name.clone();
        let id = |what: &str| format!("rule-{index}-{what}");
        let hidden = move || view! { <span class="visually-hidden">{format!(" {name}")}</span> };
        let name = rule.name.clone();
        let counted = move || {
            preview.with(|answer| match answer {
                Some(Ok(preview)) => preview_text(preview, index, &name),
                _ => None,
            })
        };
        view! {
            <li class="trigger-row" data-testid="rule-row" data-name=rule.name.clone()>
                <h3 class="detail-title">{rule.name.clone()}</h3>
                <p data-testid="rule-summary">{summary(rule)}</p>
                <div class="trigger-actions">
                    <span class="counter" data-testid="rule-preview">{counted}</span>
                    <span class="check">
                        <input
                            type="checkbox"
                            id=id("enabled")
                            data-testid="rule-enabled"
                            checked=rule.enabled
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                change(&|rules| rules[index].enabled = on);
                                focus(format!("rule-{index}-enabled"));
                            }
                        />
                        <label for=id("enabled")>" Enabled" {hidden()}</label>
                    </span>
                    <button type="button" class="button subtle" id=id("up") data-testid="rule-up" disabled={index == 0} on:click=move |_| moved(index, index.saturating_sub(1), true)>
                        "Move up" {hidden()}
                    </button>
                    <button type="button" class="button subtle" id=id("down") data-testid="rule-down" disabled={index + 1 == count} on:click=move |_| moved(index, index + 1, false)>
                        "Move down" {hidden()}
                    </button>
                    <button type="button" class="button subtle" id=id("edit") data-testid="rule-edit" on:click=move |_| editing.set(Some(Editing::At(index)))>
                        "Edit" {hidden()}
                    </button>
                    <button type="button" class="button subtle danger" id=id("delete") data-testid="rule-delete" on:click=move |_| delete(index)>
                        "Delete" {hidden()}
                    </button>
                </div>
            </li>
        }
    };
    let list = move || {
        draft.with(|rules| {
            let count = rules.len();
            rules.iter().enumerate().map(|(index, rule)| row(index, rule, count)).collect_view()
        })
    };
    let status = move || {
        if saving.get() {
            "Saving …"
        } else if dirty() {
            "Unsaved changes"
        } else if just_saved.get() {
            "Saved"
        } else {
            ""
        }
    };

    view! {
        <section class="trigger-panel" aria-labelledby="rules-title" data-testid="rules-panel">
            <div class="trigger-head">
                <h2 id="rules-title">"Delivery lab: response rules"</h2>
                <button type="button" class="button subtle" data-testid="rules-close" on:click=close>
                    "Close"
                </button>
            </div>
            <p class="trigger-label">
                "The first enabled rule whose match holds answers an ingest request (POST /r/<name> to match by path); no rule: 202."
            </p>
            <p class="small" role="status" data-testid="rules-status">{status}</p>
            {move || {
                error.get().map(|message| view! { <p class="error-text" role="alert" data-testid="rules-error">{message}</p> })
            }}
            // Type-erased: the panel's view type is otherwise deeper than the compiler's query limit.
            {move || match editing.get() {
                Some(at) => {
                    let (index, form) = match at {
                        Editing::New => draft.with_untracked(|rules| (rules.len(), RuleForm::new_rule(rules))),
                        Editing::At(index) => (index, draft.with_untracked(|rules| RuleForm::from_rule(&rules[index]))),
                    };
                    view! { <RuleEditor at index form apply cancel /> }.into_any()
                }
                None => view! {
                    <ol class="trigger-results" data-testid="rules-list" aria-label="Rules, first to last">
                        {list}
                    </ol>
                    {move || {
                        (saved.with(Option::is_some) && draft.with(Vec::is_empty))
                            .then(|| view! { <p class="muted small" data-testid="rules-empty">"No rules: every request is answered 202."</p> })
                    }}
                    {move || match preview.get() {
                        Some(Err(message)) => Some(view! { <p class="muted small" data-testid="rules-preview-error">{format!("No preview: {message}")}</p> }),
                        _ => None,
                    }}
                    <div class="trigger-actions">
                        <button
                            type="button"
                            class="button subtle"
                            id="rules-add"
                            data-testid="rules-add"
                            disabled=move || saved.with(Option::is_none)
                            on:click=move |_| editing.set(Some(Editing::New))
                        >
                            "Add rule"
                        </button>
                        <button
                            type="button"
                            class="button primary"
                            data-testid="rules-save"
                            disabled=move || saving.get() || !dirty()
                            on:click=save
                        >
                            "Save"
                        </button>
                        <span class="check">
                            <input
                                type="checkbox"
                                id="rules-follow"
                                data-testid="rules-follow"
                                prop:checked=move || follow.get()
                                on:change=move |ev| follow.set(event_target_checked(&ev))
                            />
                            <label for="rules-follow">" Update as events arrive"</label>
                        </span>
                    </div>
                }
                .into_any(),
            }}
        </section>
    }
}

/// The form of one rule: every field, empty ones left out of the rule. Apply puts the rule in the
/// draft; a field that is not a number (or a reply that is not JSON) is named in an alert.
#[component]
fn RuleEditor(
    at: Editing,
    index: usize,
    form: RuleForm,
    apply: impl Fn(Editing, Rule) + Copy + Send + Sync + 'static,
    cancel: impl Fn(Editing) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let title = match at {
        Editing::New => "Add a rule".to_owned(),
        Editing::At(_) => format!("Edit rule {}", form.name),
    };
    let binary = form.reply_mode == ReplyMode::Binary;
    let enabled = form.enabled;
    let form = RwSignal::new(form);
    let problem = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match form.with_untracked(|form| form.to_rule(index)) {
            Ok(rule) => apply(at, rule),
            Err(message) => problem.set(Some(message)),
        }
    };
    let field = move |label: &'static str,
                      key: &'static str,
                      placeholder: &'static str,
                      get: fn(&RuleForm) -> &String,
                      set: fn(&mut RuleForm, String)| {
        let id = format!("rule-form-{key}");
        view! {
            <div class="form-field">
                <label class="filter-label" for=id.clone()>{label}</label>
                <input
                    type="text"
                    id=id.clone()
                    data-testid=id
                    size="10"
                    placeholder=placeholder
                    spellcheck="false"
                    autocomplete="off"
                    value=form.with_untracked(|f| get(f).clone())
                    on:input=move |ev| form.update(|f| set(f, event_target_value(&ev)))
                />
            </div>
        }
    };
    let area = move |label: &'static str,
                     key: &'static str,
                     get: fn(&RuleForm) -> &String,
                     set: fn(&mut RuleForm, String)| {
        let id = format!("rule-form-{key}");
        view! {
            <div class="form-field">
                <label class="filter-label" for=id.clone()>{label}</label>
                <textarea
                    id=id.clone()
                    data-testid=id
                    rows="3"
                    spellcheck="false"
                    on:input=move |ev| form.update(|f| set(f, event_target_value(&ev)))
                >
                    {form.with_untracked(|f| get(f).clone())}
                </textarea>
            </div>
        }
    };
    let mode = move |value: &'static str, checked: bool, reply_mode: ReplyMode| {
        let id = format!("rule-form-mode-{value}");
        view! {
            <span class="radio">
                <input
                    type="radio"
                    name="rule-form-mode"
                    id=id.clone()
                    data-testid=id.clone()
                    value=value
                    checked=checked
                    on:change=move |_| form.update(|f| f.reply_mode = reply_mode)
                />
                <label for=id>{value}</label>
            </span>
        }
    };
    // Keyboard users land in the form, not where the list was.
    focus("rule-form-name".into());

    view! {
        // A sheet like the send form's: a rule has many fields, and a phone is narrow.
        <div class="send-panel">
        <form class="send-form" data-testid="rule-form" aria-labelledby="rule-form-title" on:submit=submit>
            <h3 class="detail-title" id="rule-form-title">{title}</h3>
            {move || problem.get().map(|message| view! { <p class="error-text" role="alert" data-testid="rule-form-error">{message}</p> })}
            <div class="form-row">
                {field("Name", "name", "flaky-orders", |f| &f.name, |f, v| f.name = v)}
                <span class="check">
                    <input
                        type="checkbox"
                        id="rule-form-enabled"
                        data-testid="rule-form-enabled"
                        checked=enabled
                        on:change=move |ev| form.update(|f| f.enabled = event_target_checked(&ev))
                    />
                    <label for="rule-form-enabled">" Enabled"</label>
                </span>
            </div>
            <div class="form-row">
                {field("Path (* wildcards)", "path", "/r/orders", |f| &f.path, |f, v| f.path = v)}
                {field("Filter (CESQL)", "filter", "type LIKE 'com.example.%'", |f| &f.filter, |f, v| f.filter = v)}
            </div>
            <div class="form-row">
                {field("Status", "status", "200-599; 503 when failing", |f| &f.status, |f, v| f.status = v)}
                {field("Retry-After", "retry-after", "seconds or an HTTP date", |f| &f.retry_after, |f, v| f.retry_after = v)}
                {field("Delay", "delay", "500ms, 2s, PT2S", |f| &f.delay, |f, v| f.delay = v)}
            </div>
            <div class="form-row">
                {field("Fail first N", "fail-first", "2", |f| &f.fail_first, |f, v| f.fail_first = v)}
                {field("Fail rate (0 to 1)", "fail-probability", "0.3", |f| &f.fail_probability, |f, v| f.fail_probability = v)}
                {field("Seed", "fail-seed", "42", |f| &f.fail_seed, |f, v| f.fail_seed = v)}
            </div>
            {area("Body", "body", |f| &f.body, |f, v| f.body = v)}
            {field("Content type", "content-type", "text/plain; charset=utf-8", |f| &f.content_type, |f, v| f.content_type = v)}
            {area("Reply event (JSON)", "reply", |f| &f.reply, |f, v| f.reply = v)}
            <fieldset class="form-row">
                <legend class="filter-label">"Reply mode"</legend>
                {mode("structured", !binary, ReplyMode::Structured)}
                {mode("binary", binary, ReplyMode::Binary)}
            </fieldset>
            <div class="trigger-actions">
                <button type="submit" class="button primary" data-testid="rule-form-apply">
                    {match at {
                        Editing::New => "Add to the list",
                        Editing::At(_) => "Apply",
                    }}
                </button>
                <button type="button" class="button subtle" data-testid="rule-form-cancel" on:click=move |_| cancel(at)>
                    "Cancel"
                </button>
            </div>
        </form>
        </div>
    }
}
