//! The connection light: green live, yellow connecting, red offline (with the next retry time).

use crate::client::ui::use_ui;
use leptos::prelude::*;

/// A dot and a word; the tooltip gives state, last event time and reconnect attempts.
#[component]
pub fn ConnectionLight() -> impl IntoView {
    let stream = use_ui().stream;
    view! {
        <span
            class="light"
            data-testid="connection-light"
            data-state=move || stream.with(|s| s.light.as_str())
            title=move || stream.with(|s| s.tooltip.clone())
            role="status"
            aria-label=move || stream.with(|s| format!("Connection: {}", s.tooltip))
        >
            <span class="light-dot" aria-hidden="true"></span>
            <span class="light-label">{move || stream.with(|s| s.label.clone())}</span>
        </span>
    }
}
