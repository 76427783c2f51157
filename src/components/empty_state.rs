//! What the main area shows before any event has arrived: how to send one, to this very server.

use crate::client::dom::origin;
use crate::components::copy_button::CopyButton;
use leptos::prelude::*;

/// The first command: a binary-mode POST of a small JSON event to `url`.
fn first_command(url: &str) -> String {
    format!(
        "curl -i -X POST {url}/ \\\n  -H 'ce-specversion: 1.0' -H 'ce-id: 1' \\\n  -H 'ce-source: my/service' -H 'ce-type: com.example.hello' \\\n  -H 'content-type: application/json' -d '{{\"hello\":\"world\"}}'"
    )
}

/// "No events yet", with a ready-to-paste curl command for the host and port the page came from.
#[component]
pub fn EmptyState() -> impl IntoView {
    // The server renders it from the Host it was asked for; the browser from its location.
    let command = first_command(&origin());
    view! {
        <section class="empty" data-testid="empty-state">
            <h2>"No events yet"</h2>
            <p>"POST a CloudEvent to this server and it shows up here at once."</p>
            <pre class="code" data-testid="curl-hint">{command.clone()}</pre>
            <CopyButton label="Copy command" testid="copy-first-command" text=command />
        </section>
    }
}
