//! A copy-to-clipboard button that says it worked ("Copied") or did not, in place and to screen
//! readers, then goes back to its label.

use crate::client::dom::copy_text;
use leptos::prelude::*;

/// How long the button says "Copied" before showing its label again.
const FEEDBACK_MS: u64 = 2000;

/// A button copying `text`, labelled `label`. Its answer is announced politely (`aria-live`).
#[component]
pub fn CopyButton(label: &'static str, testid: &'static str, text: String) -> impl IntoView {
    // None: the label; Some(true): copied; Some(false): the browser refused.
    let outcome = RwSignal::new(None::<bool>);
    let copy = move |_| {
        let text = text.clone();
        leptos::task::spawn_local(async move {
            let copied = copy_text(text).await;
            outcome.set(Some(copied));
            set_timeout(
                move || {
                    let _ = outcome.try_set(None);
                },
                std::time::Duration::from_millis(FEEDBACK_MS),
            );
        });
    };
    view! {
        <button
            type="button"
            class="button subtle"
            class:copied=move || outcome.get() == Some(true)
            data-testid=testid
            data-copied=move || outcome.get().map(|ok| ok.to_string())
            on:click=copy
        >
            <span aria-live="polite">
                {move || match outcome.get() {
                    None => label,
                    Some(true) => "Copied ✓",
                    Some(false) => "Copy refused by the browser",
                }}
            </span>
        </button>
    }
}
