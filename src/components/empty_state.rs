//! What the main area shows before any event has arrived: how to send one.

use leptos::prelude::*;

/// "No events yet", with a ready-to-paste curl command.
#[component]
pub fn EmptyState() -> impl IntoView {
    view! {
        <section class="empty" data-testid="empty-state">
            <h2>"No events yet"</h2>
            <p>"POST a CloudEvent to this server and it shows up here at once."</p>
            <pre class="code" data-testid="curl-hint">
                "curl -i -X POST http://127.0.0.1:8080/ \\\n"
                "  -H 'ce-specversion: 1.0' -H 'ce-id: 1' \\\n"
                "  -H 'ce-source: my/service' -H 'ce-type: com.example.hello' \\\n"
                "  -H 'content-type: application/json' -d '{\"hello\":\"world\"}'"
            </pre>
        </section>
    }
}
