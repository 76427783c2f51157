//! The event list, newest first, virtualized: only the rows in view (plus overscan) are in the
//! DOM, whatever the number of events (`core::viewport` picks them). A WAI-ARIA grid and one tab
//! stop: focus stays on the grid, the active row is its `aria-activedescendant` (a row scrolled
//! out of the DOM cannot hold focus), and the arrow, page, Home and End keys move it.

use crate::client::dom::clock;
use crate::client::keyed::use_keyed_window;
use crate::client::ui::use_ui;
use crate::components::empty_state::EmptyState;
use crate::core::filter::Filter;
use crate::core::id::EventId;
use crate::core::view::Row;
use crate::core::viewport::{self, Move};
use leptos::html::Div;
use leptos::prelude::*;
use std::sync::Arc;

/// Row height in px at desktop widths; fixed, so the window is a division, not a measurement.
pub const ROW_HEIGHT: u32 = 30;
/// Row height in the phone layout: two lines (type; source and time), and a finger-sized target.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
const PHONE_ROW_HEIGHT: u32 = 44;
/// Widest viewport that gets the phone layout; the same breakpoint as `style/main.css`.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
const PHONE_MAX_WIDTH: f64 = 640.0;
/// Rows rendered beyond each edge of the viewport, so fast scrolling shows no blank.
const OVERSCAN: usize = 10;

/// The DOM id of an event's row, for `aria-activedescendant`.
fn row_dom_id(id: EventId) -> String {
    format!("row-{id}")
}

/// The virtualized list of shown events. `filter` is the page's, for the "nothing matches" reset.
#[component]
pub fn EventList(filter: RwSignal<Filter>) -> impl IntoView {
    let ui = use_ui();
    let scroller = NodeRef::<Div>::new();
    let head = NodeRef::<Div>::new();
    let scroll_top = RwSignal::new(0.0f64);
    // The rows' part of the viewport: the grid's height less its sticky header.
    let height = RwSignal::new(800.0f64);
    let row_height = RwSignal::new(ROW_HEIGHT);
    // The row the keyboard is on; the detail opens on Enter.
    let active = RwSignal::new(None::<EventId>);
    let total = Memo::new(move |_| ui.view.with(|v| v.shown_len()));
    let empty = Memo::new(move |_| ui.view.with(|v| v.is_empty()));
    let window = Memo::new(move |_| {
        viewport::window(total.get(), row_height.get(), scroll_top.get(), height.get(), OVERSCAN)
    });
    let rows = move || {
        // Muting a rule, or an older copy that makes a row a duplicate, rebuilds the rows it
        // changes (their key includes both), so badges are plain markup, not reactive per row.
        ui.muted.track();
        let w = window.get();
        ui.view.with(|v| v.shown_slice(w.first, w.count))
    };
    let active_index = move || active.get().and_then(|id| ui.view.with(|v| v.shown_index(id)));
    let rows_end = NodeRef::<Div>::new();
    use_keyed_window(
        scroller,
        rows_end,
        rows,
        move |row| (row.id(), ui.muted.get_untracked(), row.is_duplicate()),
        move |row| view! { <EventRow row active /> },
    );

    #[cfg(feature = "hydrate")]
    {
        // Measure the viewport, and keep the reader's place when new rows land above it.
        let measure = move || {
            if let Some(el) = scroller.get_untracked() {
                let head_height = head.get_untracked().map_or(0, |h| h.offset_height());
                height.set(f64::from(el.client_height() - head_height).max(1.0));
            }
            let phone = leptos::prelude::window()
                .inner_width()
                .ok()
                .and_then(|w| w.as_f64())
                .is_some_and(|w| w <= PHONE_MAX_WIDTH);
            row_height.set(if phone { PHONE_ROW_HEIGHT } else { ROW_HEIGHT });
        };
        Effect::new(move |_| {
            scroller.track();
            measure();
        });
        let resize = window_event_listener(leptos::ev::resize, move |_| measure());
        on_cleanup(move || resize.remove());
        Effect::new(move |previous: Option<usize>| {
            let now = total.get();
            if let Some(before) = previous
                && now > before
                && !ui.at_top.get_untracked()
                && let Some(el) = scroller.get_untracked()
            {
                let shift = (now - before) as f64 * f64::from(row_height.get_untracked());
                el.set_scroll_top(el.scroll_top() + shift);
            }
            now
        });
    }
    // Only browsers scroll (and web-sys' scroll types differ by target), so these are hydrate-only.
    let on_scroll = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(el) = scroller.get_untracked() {
            let top = el.scroll_top();
            scroll_top.set(top);
            let at_top = top < f64::from(row_height.get_untracked()) / 2.0;
            ui.at_top.set(at_top);
            if at_top {
                ui.unseen.set(0);
            }
        }
    };
    let jump_to_top = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(el) = scroller.get_untracked() {
            el.set_scroll_top(0.0);
        }
        ui.unseen.set(0);
    };
    // Scrolls the least that shows row `index` whole.
    let reveal = move |index: usize| {
        let to = viewport::reveal(
            index,
            row_height.get_untracked(),
            scroll_top.get_untracked(),
            height.get_untracked(),
        );
        #[cfg(feature = "hydrate")]
        if let (Some(to), Some(el)) = (to, scroller.get_untracked()) {
            el.set_scroll_top(to);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = to;
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        let key = ev.key();
        if key == "Enter" {
            if let Some(id) = active.get_untracked() {
                ev.prevent_default();
                ui.selected.set(Some(id));
            }
            return;
        }
        let Some(step) = Move::from_key(&key) else { return };
        ev.prevent_default();
        let page = (height.get_untracked() / f64::from(row_height.get_untracked())).floor() as usize;
        let current = active.get_untracked().and_then(|id| ui.view.with_untracked(|v| v.shown_index(id)));
        let next = ui.view.with_untracked(|v| {
            viewport::step(current, step, v.shown_len(), page)
                .and_then(|i| v.shown_newest_first(i).map(|row| (i, row.id())))
        });
        if let Some((index, id)) = next {
            active.set(Some(id));
            reveal(index);
        }
    };
    // Focus lands on the selected event, or the newest, unless a row is active already.
    let on_focus = move |_| {
        if active_index().is_some() {
            return;
        }
        let start =
            ui.selected.get_untracked().filter(|id| ui.view.with_untracked(|v| v.shown_index(*id).is_some()));
        let start = start.or_else(|| ui.view.with_untracked(|v| v.shown_newest_first(0).map(|r| r.id())));
        active.set(start);
    };
    let active_descendant = move || {
        let index = active_index()?;
        let id = active.get()?;
        window.get().rows().contains(&index).then(|| row_dom_id(id))
    };
    let no_match = move || !empty.get() && total.get() == 0;

    view! {
        <section class="list-pane" aria-label="Events">
            {move || {
                (ui.unseen.get() != 0)
                    .then(|| {
                        view! {
                            <button type="button" class="new-pill" data-testid="new-events" on:click=jump_to_top>
                                {move || format!("↑ {} new", ui.unseen.get())}
                            </button>
                        }
                    })
            }}
            {move || {
                ui.view
                    .with(|v| v.pending_gap().map(str::to_owned))
                    .map(|text| view! { <div class="gap-banner" data-testid="gap-banner" role="status">{text}</div> })
            }}
            {move || {
                ui.paused
                    .get()
                    .then(|| {
                        view! {
                            <div class="paused-banner" data-testid="paused-banner" role="status">
                                {move || match ui.held.get() {
                                    0 => "Paused: new events are collected and shown on resume.".to_owned(),
                                    1 => "Paused: 1 new event is waiting; it shows on resume.".to_owned(),
                                    n => format!("Paused: {n} new events are waiting; they show on resume."),
                                }}
                            </div>
                        }
                    })
            }}
            <div
                class="list"
                node_ref=scroller
                on:scroll=on_scroll
                on:keydown=on_keydown
                on:focus=on_focus
                data-testid="event-list"
                role="grid"
                tabindex="0"
                aria-label="Events, newest first"
                aria-rowcount=move || total.get() + 1
                aria-activedescendant=active_descendant
            >
                <div class="list-head" role="row" aria-rowindex="1" node_ref=head>
                    <span class="cell time" role="columnheader">"Received"</span>
                    <span class="cell type" role="columnheader">"Type"</span>
                    <span class="cell source" role="columnheader">"Source"</span>
                    <span class="cell subject" role="columnheader">"Subject"</span>
                    <span class="cell id" role="columnheader">"Id"</span>
                    <span class="cell badges" role="columnheader"><span class="visually-hidden">"Notes"</span></span>
                </div>
                <div aria-hidden="true" style=move || format!("height: {}px", window.get().top_px)></div>
                // The rows go here (`use_keyed_window`).
                <div aria-hidden="true" node_ref=rows_end style=move || format!("height: {}px", window.get().bottom_px)></div>
            </div>
            {move || empty.get().then(|| view! { <EmptyState /> })}
            {move || {
                no_match()
                    .then(|| {
                        view! {
                            <div class="no-match" data-testid="no-match" role="status">
                                <p>"No event matches these filters."</p>
                                <button
                                    type="button"
                                    class="button"
                                    data-testid="no-match-reset"
                                    on:click=move |_| filter.set(Filter::default())
                                >
                                    "Reset filters"
                                </button>
                            </div>
                        }
                    })
            }}
        </section>
    }
}

/// One event: received time, type, source, subject, id, badges. Text only, never HTML.
#[component]
fn EventRow(row: Arc<Row>, active: RwSignal<Option<EventId>>) -> impl IntoView {
    let ui = use_ui();
    let id = row.id();
    let event = row.event();
    let legacy = event.specversion() != "1.0";
    let gap = row.gap_before.clone();
    let has_gap = gap.is_some();
    let counted = row.marks.warnings.without(ui.muted.get_untracked());
    let answer = row.marks.answer;
    // Rows above it come and go as events arrive, so its place is read, not fixed.
    let row_index = move || ui.view.with(|v| v.shown_index(id)).map(|i| i + 2);
    view! {
        <div
            class="row"
            class:gap-before=has_gap
            class:selected=move || ui.selected.get() == Some(id)
            class:active=move || active.get() == Some(id)
            role="row"
            id=row_dom_id(id)
            aria-rowindex=row_index
            aria-selected=move || (ui.selected.get() == Some(id)).to_string()
            data-testid="event-row"
            data-id=id.to_string()
            on:click=move |_| {
                active.set(Some(id));
                ui.selected.set(Some(id));
            }
        >
            <span class="cell time" role="gridcell">{clock(id.ms as f64)}</span>
            <span class="cell type" role="gridcell" data-testid="row-type">{event.ty().to_owned()}</span>
            <span class="cell source" role="gridcell" data-testid="row-source">{event.source().to_owned()}</span>
            <span class="cell subject" role="gridcell" data-testid="row-subject">{event.subject().unwrap_or("").to_owned()}</span>
            <span class="cell id" role="gridcell" data-testid="row-id">{event.id().to_owned()}</span>
            <span class="cell badges" role="gridcell">
                {gap.map(|text| view! { <span class="badge badge-alert" data-testid="gap-marker" title=text.clone()>"gap"</span> })}
                {row.is_duplicate().then(|| view! { <span class="badge badge-warn" title="Same source and id as an earlier event">"dup"</span> })}
                {legacy.then(|| view! { <span class="badge" title="CloudEvents 0.3, shown with 1.0 names">"0.3"</span> })}
                {answer.map(|answer| view! {
                    <span
                        class=if answer.is_failure() { "badge badge-alert" } else { "badge" }
                        data-testid="delivery-badge"
                        title="The status the delivery lab answered, and which delivery of this source and id it was"
                    >
                        {format!("{} · attempt {}", answer.status, answer.attempt)}
                    </span>
                })}
                {(!counted.is_empty()).then(|| {
                    let title = format!("Warnings: {}", counted.to_ids());
                    view! {
                        <span class="badge badge-warn" data-testid="warning-badge" title=title.clone() aria-label=title>
                            {format!("⚠ {}", counted.len())}
                        </span>
                    }
                })}
            </span>
        </div>
    }
}
