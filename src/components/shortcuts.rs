//! The page-wide keys (`/` search, `?` shortcuts, Escape closes) and the `?` dialog that lists
//! them. A native modal `<dialog>`: the browser traps focus in it, closes it on Escape and gives
//! focus back to where it was.

use crate::client::dom::{focus_testid, typing};
use crate::client::ui::{UiState, use_ui};
use crate::core::shortcuts::{LIST, Pane, Shortcut, escape_closes};
use leptos::html::Dialog;
use leptos::prelude::*;

/// The page's key handler, and the shortcuts dialog while it is open (`?` or the header's `?`).
#[component]
pub fn Shortcuts() -> impl IntoView {
    let ui = use_ui();
    #[cfg(feature = "hydrate")]
    let keys = window_event_listener(leptos::ev::keydown, move |ev| on_key(ui, &ev));
    #[cfg(feature = "hydrate")]
    on_cleanup(move || keys.remove());
    move || ui.shortcuts.get().then(|| Suspend::new(shortcuts_dialog()))
}

/// The dialog is a module of its own, fetched the first time it opens.
#[lazy]
fn shortcuts_dialog() -> AnyView {
    view! { <ShortcutsDialog /> }.into_any()
}

/// Opens as a modal as soon as it is on the page; closing it (Escape, the button) removes it.
#[component]
fn ShortcutsDialog() -> impl IntoView {
    let ui = use_ui();
    let dialog = NodeRef::<Dialog>::new();
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(dialog) = dialog.get()
            && !dialog.open()
        {
            let _ = dialog.show_modal();
        }
    });
    // `close()` hands focus back to where it was before the dialog opened; then it goes.
    let close = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(dialog) = dialog.get_untracked() {
            dialog.close();
        }
    };
    let rows = LIST
        .iter()
        .map(|(keys, what)| view! { <tr><th scope="row"><kbd>{*keys}</kbd></th><td>{*what}</td></tr> })
        .collect_view();
    view! {
        <dialog
            class="shortcuts"
            node_ref=dialog
            data-testid="shortcuts"
            aria-labelledby="shortcuts-title"
            on:close=move |_| ui.shortcuts.set(false)
        >
            <div class="detail-head">
                <h2 class="detail-title" id="shortcuts-title">"Keyboard shortcuts"</h2>
                <button type="button" class="icon-button" aria-label="Close" data-testid="shortcuts-close" on:click=close>
                    "×"
                </button>
            </div>
            <table class="kv shortcut-list"><tbody>{rows}</tbody></table>
        </dialog>
    }
}

/// The page-wide keys: `/` focuses search, `?` opens the shortcuts, Escape closes the innermost
/// open pane and puts focus where the pane was opened from.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
fn on_key(ui: UiState, ev: &leptos::ev::KeyboardEvent) {
    let modifier = ev.ctrl_key() || ev.alt_key() || ev.meta_key();
    // While the dialog is open it handles its keys itself.
    if ui.shortcuts.get_untracked() {
        return;
    }
    match Shortcut::from_key(&ev.key(), typing(ev), modifier) {
        Some(Shortcut::Search) => {
            ev.prevent_default();
            focus_testid("filter-text");
        }
        Some(Shortcut::Help) => {
            ev.prevent_default();
            ui.shortcuts.set(true);
        }
        Some(Shortcut::Close) => {
            let closes = escape_closes(
                ui.menu_open.get_untracked(),
                ui.compose.with_untracked(Option::is_some),
                ui.selected.with_untracked(Option::is_some),
            );
            match closes {
                Some(Pane::Menu) => {
                    ui.menu_open.set(false);
                    focus_testid("menu-toggle");
                }
                Some(Pane::SendForm) => {
                    ui.compose.set(None);
                    focus_testid("send-open");
                }
                Some(Pane::Detail) => {
                    ui.selected.set(None);
                    focus_testid("event-list");
                }
                None => {}
            }
        }
        None => {}
    }
}
