//! Light/dark theme: read from the `data-theme` the boot script set, written to localStorage.

use leptos::prelude::*;

/// localStorage key of the saved theme.
pub const STORAGE_KEY: &str = "cep-theme";

/// The colour theme of the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Theme {
    #[default]
    Light,
    Dark,
}

impl Theme {
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    /// `"dark"` is dark; anything else is light, so a corrupted setting falls back safely.
    pub fn parse(value: &str) -> Self {
        if value == "dark" { Theme::Dark } else { Theme::Light }
    }

    pub fn toggled(self) -> Self {
        match self {
            Theme::Light => Theme::Dark,
            Theme::Dark => Theme::Light,
        }
    }
}

/// What [`use_theme`] returns.
#[derive(Clone, Copy)]
pub struct UseThemeReturn {
    /// The current theme. `Light` on the server; the real one once hydrated.
    pub theme: Signal<Theme>,
    /// True once the WASM has hydrated the page (effects never run on the server).
    pub hydrated: Signal<bool>,
    /// Switches theme, applies it to `<html data-theme>` and saves it.
    pub toggle: Callback<()>,
}

/// The page theme, kept in localStorage so it survives reloads.
///
/// ## Server-Side Rendering
/// On the server the theme is `Light` and `toggle` does nothing; the boot script in the shell
/// applies the saved theme before paint, and hydration then reads it back.
pub fn use_theme() -> UseThemeReturn {
    let (theme, set_theme) = signal(Theme::default());
    let (hydrated, set_hydrated) = signal(false);

    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(current) = browser::current() {
            set_theme.set(current);
        }
        set_hydrated.set(true);
    });

    let toggle = Callback::new(move |()| {
        let next = theme.get_untracked().toggled();
        set_theme.set(next);
        #[cfg(feature = "hydrate")]
        browser::apply(next);
    });

    UseThemeReturn { theme: theme.into(), hydrated: hydrated.into(), toggle }
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::{STORAGE_KEY, Theme};

    fn root() -> Option<web_sys::Element> {
        web_sys::window()?.document()?.document_element()
    }

    /// The theme the boot script put on `<html>`.
    pub fn current() -> Option<Theme> {
        root()?.get_attribute("data-theme").map(|t| Theme::parse(&t))
    }

    /// Shows `theme` and saves it; storage may be unavailable (private mode), which only costs
    /// persistence.
    pub fn apply(theme: Theme) {
        if let Some(root) = root() {
            let _ = root.set_attribute("data-theme", theme.as_str());
        }
        if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            let _ = storage.set_item(STORAGE_KEY, theme.as_str());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Theme;

    #[test]
    fn parses_saved_values_and_falls_back_to_light() {
        assert_eq!(Theme::parse("dark"), Theme::Dark);
        assert_eq!(Theme::parse("light"), Theme::Light);
        assert_eq!(Theme::parse("purple"), Theme::Light);
        assert_eq!(Theme::Dark.toggled().as_str(), "light");
    }
}
