//! The top bar: product name and the theme toggle.

use crate::client::theme::{Theme, UseThemeReturn};
use leptos::prelude::*;

/// The page header. `theme` comes from [`crate::client::theme::use_theme`].
#[component]
pub fn Header(theme: UseThemeReturn) -> impl IntoView {
    let label = move || match theme.theme.get() {
        Theme::Light => "Dark theme",
        Theme::Dark => "Light theme",
    };
    view! {
        <header class="header">
            <h1 class="brand" data-testid="brand">
                <span class="brand-mark" aria-hidden="true"></span>
                "CloudEvent Player"
            </h1>
            <div class="header-actions">
                <button
                    type="button"
                    class="icon-button"
                    data-testid="theme-toggle"
                    aria-label=label
                    title=label
                    on:click=move |_| theme.toggle.run(())
                >
                    <span class="theme-icon" aria-hidden="true"></span>
                </button>
            </div>
        </header>
    }
}
