//! The page's keyboard shortcuts (DESIGN §6, usable by everyone): what a key asks for, what Escape
//! closes, and the list the `?` overlay shows. The list's own keys live with the list's moves in
//! `core::viewport`.

/// A page-wide shortcut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shortcut {
    /// `/`: focus the search field.
    Search,
    /// `?`: show the shortcuts.
    Help,
    /// `Escape`: close the innermost open pane.
    Close,
}

impl Shortcut {
    /// The shortcut a `KeyboardEvent.key` asks for. In a text field (`typing`) only Escape counts,
    /// so `/` and `?` can be typed; with Ctrl, Alt or Meta held nothing counts (the browser's own).
    pub fn from_key(key: &str, typing: bool, modifier: bool) -> Option<Shortcut> {
        if modifier {
            return None;
        }
        match key {
            "Escape" => Some(Shortcut::Close),
            "/" if !typing => Some(Shortcut::Search),
            "?" if !typing => Some(Shortcut::Help),
            _ => None,
        }
    }
}

/// A pane Escape can close.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    /// The header's menu on a phone.
    Menu,
    /// The send form's drawer.
    SendForm,
    /// The event detail.
    Detail,
}

/// What Escape closes, given what is open: the innermost first (the menu over the drawer over the
/// detail), one per press. `None` when nothing is open.
pub fn escape_closes(menu: bool, send_form: bool, detail: bool) -> Option<Pane> {
    [(menu, Pane::Menu), (send_form, Pane::SendForm), (detail, Pane::Detail)]
        .into_iter()
        .find_map(|(open, pane)| open.then_some(pane))
}

/// Every shortcut as the `?` overlay lists it: keys, then what they do. README lists the same.
pub const LIST: &[(&str, &str)] = &[
    ("Tab", "Move between controls; the event list is one stop"),
    ("↑ ↓", "Previous or next event (in the list)"),
    ("Page Up / Page Down", "A screen of events up or down"),
    ("Home / End", "Newest or oldest event"),
    ("Enter", "Open the event's detail"),
    ("Esc", "Close the menu, the send form or the detail"),
    ("/", "Search the events"),
    ("?", "Show these shortcuts"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slash_and_question_mark_count_outside_text_fields_only() {
        assert_eq!(Shortcut::from_key("/", false, false), Some(Shortcut::Search));
        assert_eq!(Shortcut::from_key("?", false, false), Some(Shortcut::Help));
        assert_eq!(Shortcut::from_key("/", true, false), None);
        assert_eq!(Shortcut::from_key("?", true, false), None);
        assert_eq!(Shortcut::from_key("a", false, false), None);
    }

    #[test]
    fn escape_counts_everywhere_and_modifiers_leave_keys_to_the_browser() {
        assert_eq!(Shortcut::from_key("Escape", true, false), Some(Shortcut::Close));
        assert_eq!(Shortcut::from_key("Escape", false, false), Some(Shortcut::Close));
        assert_eq!(Shortcut::from_key("/", false, true), None);
    }

    #[test]
    fn escape_closes_the_innermost_pane_first() {
        assert_eq!(escape_closes(true, true, true), Some(Pane::Menu));
        assert_eq!(escape_closes(false, true, true), Some(Pane::SendForm));
        assert_eq!(escape_closes(false, false, true), Some(Pane::Detail));
        assert_eq!(escape_closes(false, false, false), None);
    }
}
