//! The main page: filters, timeline, and either the event list with its detail pane or the
//! rejected lane. The filter lives in the URL query, so a link reproduces the view.

use crate::client::api::fetch_rejections;
use crate::client::dom::{page_query, replace_query};
use crate::client::ui::{Lane, use_ui};
use crate::components::detail::DetailPane;
use crate::components::event_list::EventList;
use crate::components::filter_bar::FilterBar;
use crate::components::rejected::rejected_lane;
use crate::components::timeline::TimelineView;
use crate::core::filter::Filter;
use leptos::either::Either;
use leptos::prelude::*;

/// The player view at `/`.
#[component]
pub fn Player() -> impl IntoView {
    let ui = use_ui();
    // Read on the server and in the browser alike, so hydration sees the same inputs.
    let initial = Filter::from_query(&page_query());
    let filter = RwSignal::new(initial);
    Effect::new(move |previous: Option<()>| {
        let current = filter.get();
        if previous.is_some() {
            replace_query(&current.to_query());
        }
        ui.view.update(|view| view.set_filter(current));
    });
    // The rejected lane starts with what the server kept before this tab opened.
    Effect::new(move |loaded: Option<()>| {
        if loaded.is_none() {
            leptos::task::spawn_local(async move {
                match fetch_rejections().await {
                    Ok(items) => ui.rejections.update(|list| {
                        for item in items.into_iter().rev() {
                            list.push(item);
                        }
                    }),
                    Err(e) => leptos::logging::warn!("could not load rejections: {e}"),
                }
            });
        }
    });

    view! {
        <FilterBar filter />
        <TimelineView filter />
        {move || match ui.lane.get() {
            Lane::Events => Either::Left(view! {
                <div class="workspace">
                    <EventList filter />
                    <DetailPane />
                </div>
            }),
            Lane::Rejected => Either::Right(Suspend::new(rejected_lane())),
        }}
    }
}
