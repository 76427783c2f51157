//! The event list, newest first, virtualized: only the rows in view (plus overscan) are in the
//! DOM, whatever the number of events (`core::viewport` picks them).

use crate::client::dom::clock;
use crate::client::ui::use_ui;
use crate::components::empty_state::EmptyState;
use crate::core::view::Row;
use crate::core::viewport;
use leptos::html::Div;
use leptos::prelude::*;
use std::sync::Arc;

/// Row height in px; fixed, so the window is a division, not a measurement.
pub const ROW_HEIGHT: u32 = 30;
/// Rows rendered beyond each edge of the viewport, so fast scrolling shows no blank.
const OVERSCAN: usize = 10;

/// The virtualized list of shown events.
#[component]
pub fn EventList() -> impl IntoView {
    let ui = use_ui();
    let scroller = NodeRef::<Div>::new();
    let scroll_top = RwSignal::new(0.0f64);
    let height = RwSignal::new(800.0f64);
    let total = Memo::new(move |_| ui.view.with(|v| v.shown_len()));
    let empty = Memo::new(move |_| ui.view.with(|v| v.is_empty()));
    let window = Memo::new(move |_| {
        viewport::window(total.get(), ROW_HEIGHT, scroll_top.get(), height.get(), OVERSCAN)
    });
    let rows = move || {
        let w = window.get();
        ui.view.with(|v| v.shown_slice(w.first, w.count))
    };

    #[cfg(feature = "hydrate")]
    {
        // Measure the viewport, and keep the reader's place when new rows land above it.
        let measure = move || {
            if let Some(el) = scroller.get_untracked() {
                height.set(f64::from(el.client_height()).max(1.0));
            }
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
                let shift = (now - before) as f64 * f64::from(ROW_HEIGHT);
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
            let at_top = top < f64::from(ROW_HEIGHT) / 2.0;
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

    view! {
        <section class="list-pane" aria-label="Events">
            <div class="list-head" role="row">
                <span class="cell time">"Received"</span>
                <span class="cell type">"Type"</span>
                <span class="cell source">"Source"</span>
                <span class="cell subject">"Subject"</span>
                <span class="cell id">"Id"</span>
                <span class="cell badges"></span>
            </div>
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
                            <div class="paused-banner" data-testid="paused-banner">
                                "Paused: new events are collected and shown on resume."
                            </div>
                        }
                    })
            }}
            <div class="list" node_ref=scroller on:scroll=on_scroll data-testid="event-list" role="table">
                {move || empty.get().then(|| view! { <EmptyState /> })}
                <div style=move || format!("height: {}px", window.get().top_px)></div>
                <For each=rows key=|row| row.id() children=move |row| view! { <EventRow row /> } />
                <div style=move || format!("height: {}px", window.get().bottom_px)></div>
            </div>
        </section>
    }
}

/// One event: received time, type, source, subject, id, badges. Text only, never HTML.
#[component]
fn EventRow(row: Arc<Row>) -> impl IntoView {
    let ui = use_ui();
    let id = row.id();
    let event = row.event();
    let legacy = event.specversion() != "1.0";
    let gap = row.gap_before.clone();
    let has_gap = gap.is_some();
    view! {
        <div
            class="row"
            class:gap-before=has_gap
            class:selected=move || ui.selected.get() == Some(id)
            role="row"
            data-testid="event-row"
            data-id=id.to_string()
            on:click=move |_| ui.selected.set(Some(id))
        >
            <span class="cell time">{clock(id.ms as f64)}</span>
            <span class="cell type" data-testid="row-type">{event.ty().to_owned()}</span>
            <span class="cell source" data-testid="row-source">{event.source().to_owned()}</span>
            <span class="cell subject" data-testid="row-subject">{event.subject().unwrap_or("").to_owned()}</span>
            <span class="cell id" data-testid="row-id">{event.id().to_owned()}</span>
            <span class="cell badges">
                {gap.map(|text| view! { <span class="badge badge-alert" data-testid="gap-marker" title=text.clone()>"gap"</span> })}
                {row.duplicate.then(|| view! { <span class="badge badge-warn" title="Same source and id as an earlier event">"dup"</span> })}
                {legacy.then(|| view! { <span class="badge" title="CloudEvents 0.3, shown with 1.0 names">"0.3"</span> })}
            </span>
        </div>
    }
}
