//! The main page: filters, timeline, and either the event list with its detail pane or the
//! rejected lane. The filter lives in the URL query, so a link reproduces the view.

use crate::client::api::fetch_rejections;
use crate::client::dom::{page_query, replace_query};
use crate::client::ui::{Lane, use_ui};
use crate::components::detail::DetailPane;
use crate::components::event_list::EventList;
use crate::components::filter_bar::FilterBar;
use crate::components::rejected::rejected_lane;
use crate::components::rules::RulesPanel;
use crate::components::timeline::TimelineView;
use crate::components::trigger::TriggerPanel;
use crate::core::expression::{EventPredicate, ParseError, compile_optional};
use crate::core::filter::Filter;
use leptos::either::Either;
use leptos::prelude::*;
use std::sync::Arc;

/// Parses and compiles a filter expression. The CESQL engine is loaded with this function, the
/// first time an expression is typed or a link carries one.
#[lazy]
fn compile_expression(text: String) -> Result<Option<Arc<dyn EventPredicate>>, ParseError> {
    compile_optional(&text)
}

/// The panels that open beside the filter bar.
#[derive(Debug, Clone, Copy)]
enum SidePanel {
    Trigger,
    Lab,
}

/// A side panel, fetched with its code the first time either opens. Both panels are one module:
/// they share most of their code, and each module costs the first page its loader and its share
/// of the function table.
#[lazy]
fn side_panel(panel: SidePanel, open: RwSignal<bool>) -> AnyView {
    match panel {
        SidePanel::Trigger => view! { <TriggerPanel open /> }.into_any(),
        SidePanel::Lab => view! { <RulesPanel open /> }.into_any(),
    }
}

/// The side panel `panel`, shown while `open`.
fn lazy_panel(panel: SidePanel, open: RwSignal<bool>) -> impl IntoView {
    move || open.get().then(|| Suspend::new(side_panel(panel, open)))
}

/// The player view at `/`.
#[component]
pub fn Player() -> impl IntoView {
    let ui = use_ui();
    // Read on the server and in the browser alike, so hydration sees the same inputs.
    let initial = Filter::from_query(&page_query());
    let filter = RwSignal::new(initial);
    let trigger_open = RwSignal::new(false);
    let lab_open = RwSignal::new(false);
    let expression_error = RwSignal::new(None::<ParseError>);
    Effect::new(move |previous: Option<()>| {
        let current = filter.get();
        if previous.is_some() {
            replace_query(&current.to_query());
        }
        if current.expression.is_empty() {
            expression_error.set(None);
            ui.view.update(|view| view.set_filter(current, None));
            return;
        }
        leptos::task::spawn_local(async move {
            let compiled = compile_expression(current.expression.clone()).await;
            // Typed on meanwhile: the newer filter's own task applies it.
            if filter.with_untracked(|f| *f != current) {
                return;
            }
            let expression = compiled.unwrap_or_else(|error| {
                expression_error.set(Some(error));
                None
            });
            if expression.is_some() {
                expression_error.set(None);
            }
            ui.view.update(|view| view.set_filter(current, expression));
        });
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
        <FilterBar filter trigger_open lab_open expression_error />
        {(
            lazy_panel(SidePanel::Trigger, trigger_open),
            lazy_panel(SidePanel::Lab, lab_open),
        )}
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
