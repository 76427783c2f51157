//! The top bar: product name, connection light, counters, pause, clear, rejected lane, theme,
//! shortcuts. On a phone the actions fold into a menu behind one button.

use crate::client::api::clear_history;
use crate::client::dom::confirm;
use crate::client::theme::{Theme, UseThemeReturn};
use crate::client::ui::{Lane, use_ui};
use crate::components::connection_light::ConnectionLight;
use crate::components::send_form::fresh_draft;
use leptos::prelude::*;

/// The page header. `theme` comes from [`crate::client::theme::use_theme`].
#[component]
pub fn Header(theme: UseThemeReturn) -> impl IntoView {
    let ui = use_ui();
    let theme_label = move || match theme.theme.get() {
        Theme::Light => "Dark theme",
        Theme::Dark => "Light theme",
    };
    let count = move || ui.view.with(|v| v.len());
    // Past the tab's capacity the oldest go; the counter says how many arrived all the same.
    let evicted = move || ui.view.with(|v| v.evicted());
    let arrived = move || {
        let evicted = evicted();
        (evicted > 0).then(|| format!(" (of {} received)", count() as u64 + evicted))
    };
    let rejected = move || ui.rejections.with(|r| r.len());
    let (clear_error, set_clear_error) = signal(None::<String>);
    let clear = move |_| {
        if confirm("Clear every event and rejected request from the player? Every open tab is cleared too.") {
            leptos::task::spawn_local(async move {
                set_clear_error.set(clear_history().await.err());
            });
        }
    };
    // Only the phone layout hides the actions behind the menu button (CSS decides who sees it).
    let menu_open = ui.menu_open;
    let toggle_lane = move |_| {
        ui.lane.update(|lane| *lane = if *lane == Lane::Rejected { Lane::Events } else { Lane::Rejected })
    };

    view! {
        <header class="header">
            <h1 class="brand" data-testid="brand">
                <span class="brand-mark" aria-hidden="true"></span>
                <span class="brand-name">"CloudEvent Player"</span>
            </h1>
            <ConnectionLight />
            <span class="counter" data-testid="event-count" title="Events held by this tab, and received when more arrived than it holds">
                <strong>{count}</strong>
                " events"
                <span data-testid="event-received">{arrived}</span>
            </span>
            <button
                type="button"
                class="icon-button menu-button"
                data-testid="menu-toggle"
                aria-label="Menu"
                aria-expanded=move || menu_open.get().to_string()
                aria-controls="header-actions"
                on:click=move |_| menu_open.update(|open| *open = !*open)
            >
                <span class="menu-icon" aria-hidden="true"></span>
            </button>
            // An action taken from the phone menu closes it.
            <div
                class="header-actions"
                id="header-actions"
                class:open=move || menu_open.get()
                on:click=move |ev| {
                    if crate::client::dom::from_button(&ev) {
                        menu_open.set(false);
                    }
                }
            >
                <button
                    type="button"
                    class="button primary"
                    data-testid="send-open"
                    on:click=move |_| {
                        if ui.compose.with_untracked(Option::is_some) {
                            ui.compose.set(None);
                        } else {
                            leptos::task::spawn_local(async move { ui.compose.set(Some(fresh_draft().await)) });
                        }
                    }
                >
                    "Send event"
                </button>
                {move || clear_error.get().map(|e| view! { <span class="error-text" role="alert">{e}</span> })}
                <button
                    type="button"
                    class="button"
                    class:active=move || ui.lane.get() == Lane::Rejected
                    data-testid="rejected-toggle"
                    aria-pressed=move || (ui.lane.get() == Lane::Rejected).to_string()
                    on:click=toggle_lane
                    title="Requests the player refused, and why"
                >
                    "Rejected "
                    <span class="badge" class:badge-alert=move || { rejected() > 0 } data-testid="rejected-count">
                        {rejected}
                    </span>
                </button>
                <button
                    type="button"
                    class="button"
                    data-testid="pause-toggle"
                    aria-pressed=move || ui.paused.get().to_string()
                    on:click=move |_| ui.paused.update(|p| *p = !*p)
                >
                    {move || if ui.paused.get() { "Resume" } else { "Pause" }}
                </button>
                <button type="button" class="button danger" data-testid="clear-events" on:click=clear>
                    "Clear"
                </button>
                <button
                    type="button"
                    class="icon-button"
                    data-testid="shortcuts-open"
                    aria-label="Keyboard shortcuts"
                    title="Keyboard shortcuts (?)"
                    on:click=move |_| ui.shortcuts.set(true)
                >
                    <span aria-hidden="true">"?"</span>
                </button>
                <button
                    type="button"
                    class="icon-button"
                    data-testid="theme-toggle"
                    aria-label=theme_label
                    title=theme_label
                    on:click=move |_| theme.toggle.run(())
                >
                    <span class="theme-icon" aria-hidden="true"></span>
                </button>
            </div>
        </header>
    }
}
