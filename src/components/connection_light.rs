//! The connection light: green live, yellow connecting, red offline with a countdown to the next
//! retry, the attempt number and "Retry now".

use crate::client::stream::retry_now;
use crate::client::ui::use_ui;
use crate::core::connection::Light;
use leptos::prelude::*;

/// A dot and a few words; the tooltip gives state, last event time and reconnect attempts.
#[component]
pub fn ConnectionLight() -> impl IntoView {
    let stream = use_ui().stream;
    let red = move || stream.with(|s| s.light == Light::Red);
    view! {
        <span class="light-group">
            <span
                class="light"
                data-testid="connection-light"
                data-state=move || stream.with(|s| s.light.as_str())
                title=move || stream.with(|s| s.tooltip.clone())
                role="status"
                aria-label=move || stream.with(|s| format!("Connection: {}", s.tooltip))
            >
                <span class="light-dot" aria-hidden="true"></span>
                <span class="light-label" data-testid="connection-label">{move || stream.with(|s| s.label.clone())}</span>
            </span>
            {move || {
                red()
                    .then(|| {
                        view! {
                            <button type="button" class="button subtle light-retry" data-testid="retry-now" on:click=move |_| retry_now()>
                                "Retry now"
                            </button>
                        }
                    })
            }}
        </span>
    }
}
