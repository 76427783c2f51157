//! The rejected lane: requests the player refused, newest first, with the error, its details and
//! the request as received, so "my event never showed up" is answered on screen.

use crate::app::use_ui;
use leptos::prelude::*;
use serde_json::Value;
use std::sync::Arc;

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

fn str_of<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

#[component]
fn RejectionCard(item: Arc<Value>) -> impl IntoView {
    let details = item["error"]["details"].as_array().map(|details| {
        details
            .iter()
            .map(|d| {
                let place = match (d["index"].as_u64(), d["attribute"].as_str()) {
                    (Some(i), Some(a)) => format!("event {i}, {a}: "),
                    (Some(i), None) => format!("event {i}: "),
                    (None, Some(a)) => format!("{a}: "),
                    (None, None) => String::new(),
                };
                view! { <li data-testid="rejection-detail">{place}{str_of(d, "/message").to_owned()}</li> }
            })
            .collect_view()
    });
    let headers = item["request"]["headers"]
        .as_array()
        .map(|headers| {
            headers
                .iter()
                .map(|h| view! { <tr><th>{str_of(h, "/0").to_owned()}</th><td>{str_of(h, "/1").to_owned()}</td></tr> })
                .collect_view()
        });
    let body = item["request"]["body"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| item["request"]["body_base64"].as_str().map(|b| format!("{b}\n\n(base64)")))
        .unwrap_or_else(|| "(empty body)".into());
    view! {
        <article class="rejection" data-testid="rejection">
            <header class="rejection-head">
                <span class="badge badge-alert" data-testid="rejection-status">{item["status"].to_string()}</span>
                <code data-testid="rejection-code">{str_of(&item, "/error/code").to_owned()}</code>
                <span class="muted">{str_of(&item, "/time").to_owned()}</span>
                <span class="muted">{format!("{} {}", str_of(&item, "/request/method"), str_of(&item, "/request/path"))}</span>
            </header>
            <p class="rejection-message" data-testid="rejection-message">{str_of(&item, "/error/message").to_owned()}</p>
            <ul class="rejection-details">{details}</ul>
            <details>
                <summary>"Request as received"</summary>
                <table class="kv"><tbody>{headers}</tbody></table>
                <pre class="code">{body}</pre>
            </details>
        </article>
    }
}
