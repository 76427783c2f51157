//! The one UI context, [`UiState`]: signals every component shares, and the one place frames
//! become state ([`UiState::publish`], a thin shell around the core reducer).

use crate::client::dom;
use crate::client::stream::StreamStatus;
use crate::core::cloudevent::lint::{Rule, RuleSet};
use crate::core::compose::Draft;
use crate::core::id::EventId;
use crate::core::view::{EventView, Incoming, RejectionList};
use leptos::prelude::*;

/// Events a tab holds (DESIGN §6: memory store bounded at 50,000).
pub const TAB_CAPACITY: usize = 50_000;
/// Rejections the rejected lane keeps, like the server.
pub const REJECTION_CAPACITY: usize = 1000;

/// localStorage key of the rules muted in this browser (their ids, space-separated).
const MUTED_KEY: &str = "cep-muted-rules";

/// Which list the main area shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    Events,
    Rejected,
}

/// Everything the components share. Provided once by the root component; signals are `Copy`.
#[derive(Clone, Copy)]
pub struct UiState {
    /// The tab's events and the filtered subset (updated at most once per animation frame).
    pub view: RwSignal<EventView>,
    /// Refused ingest requests, newest first.
    pub rejections: RwSignal<RejectionList>,
    /// The stream connection, for the light; set only when it changes.
    pub stream: RwSignal<StreamStatus>,
    /// Rendering is frozen; events keep arriving in the buffer.
    pub paused: RwSignal<bool>,
    /// Frames waiting in the buffer while paused (events, and the odd rejection or gap).
    pub held: RwSignal<usize>,
    /// The event shown in the detail pane.
    pub selected: RwSignal<Option<EventId>>,
    pub lane: RwSignal<Lane>,
    /// The list is scrolled to its top (the newest events).
    pub at_top: RwSignal<bool>,
    /// Events that arrived while scrolled away from the top ("N new").
    pub unseen: RwSignal<usize>,
    /// The send form's draft while the form is open.
    pub compose: RwSignal<Option<Draft>>,
    /// The header's menu is open (it is a menu on a phone only).
    pub menu_open: RwSignal<bool>,
    /// The keyboard shortcuts dialog is open.
    pub shortcuts: RwSignal<bool>,
    /// Warning rules muted in this browser: no badge counts them.
    pub muted: RwSignal<RuleSet>,
}

impl UiState {
    /// Creates the signals and provides them as context.
    pub fn provide() -> Self {
        let state = Self {
            view: RwSignal::new(EventView::new(TAB_CAPACITY)),
            rejections: RwSignal::new(RejectionList::new(REJECTION_CAPACITY)),
            stream: RwSignal::new(StreamStatus::default()),
            paused: RwSignal::new(false),
            held: RwSignal::new(0),
            selected: RwSignal::new(None),
            lane: RwSignal::new(Lane::Events),
            at_top: RwSignal::new(true),
            unseen: RwSignal::new(0),
            compose: RwSignal::new(None),
            menu_open: RwSignal::new(false),
            shortcuts: RwSignal::new(false),
            muted: RwSignal::new(dom::load(MUTED_KEY).as_deref().map(RuleSet::parse).unwrap_or_default()),
        };
        provide_context(state);
        state
    }

    /// Applies a batch of frames: one update of each signal it touches.
    pub fn publish(&self, items: Vec<Incoming>) {
        if items.is_empty() {
            return;
        }
        let applied = self.view.try_update(|view| view.apply(items)).unwrap_or_default();
        for skipped in &applied.skipped {
            leptos::logging::warn!("skipping {skipped}");
        }
        if applied.cleared || !applied.rejected.is_empty() {
            self.rejections.update(|list| {
                if applied.cleared {
                    list.clear();
                }
                applied.rejected.into_iter().for_each(|summary| list.push(summary));
            });
        }
        if applied.shown > 0 && !self.at_top.get_untracked() {
            self.unseen.update(|n| *n += applied.shown);
        }
    }

    /// Mutes or unmutes `rule` in this browser (kept in localStorage).
    pub fn mute(&self, rule: Rule, mute: bool) {
        self.muted.update(|muted| if mute { muted.insert(rule) } else { muted.remove(rule) });
        dom::save(MUTED_KEY, &self.muted.get_untracked().to_ids());
    }

    /// Sets the connection status unless it is unchanged, so the light and its tooltip re-render
    /// only on news.
    pub fn set_stream(&self, status: StreamStatus) {
        if self.stream.with_untracked(|current| *current != status) {
            self.stream.set(status);
        }
    }
}

/// The [`UiState`] provided by the root component.
pub fn use_ui() -> UiState {
    expect_context::<UiState>()
}
