//! Asking the server again as things change, one request at a time. The panels that follow the
//! stream (the Trigger dry-run, the delivery lab's rules, the retry timeline) ask on every
//! change; a burst of changes must not become a burst of requests.

use crate::client::ui::use_ui;
use leptos::prelude::*;
use std::future::Future;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Idle,
    Asking,
    /// Answered; the next request waits for the rest to end.
    Resting,
}

/// One request at a time. Asked while one is under way (or resting after it), it asks once more
/// when that is over: a burst of calls makes two requests, not one per call.
#[derive(Clone, Copy)]
pub struct SingleFlight {
    state: RwSignal<State>,
    /// Bumped as each request starts: a rest that ends after a newer start is stale.
    started: StoredValue<u64>,
    again: StoredValue<bool>,
    rest: Duration,
}

impl SingleFlight {
    /// `rest`: the least time from an answer to the next request (zero: none).
    pub fn new(rest: Duration) -> Self {
        Self {
            state: RwSignal::new(State::Idle),
            started: StoredValue::new(0),
            again: StoredValue::new(false),
            rest,
        }
    }

    /// Runs `request` and hands its answer to `settle`, or, while one is under way or resting,
    /// once more after it (with the `request` of that one: it reads what to send as it starts).
    /// `settle` returns `false` when its panel is gone: no more requests then.
    pub fn ask<Fut, R, S>(self, request: R, settle: S)
    where
        Fut: Future + 'static,
        R: Fn() -> Fut + Copy + 'static,
        S: Fn(Fut::Output) -> bool + Copy + 'static,
    {
        match self.state.try_get_untracked() {
            Some(State::Idle) => {}
            Some(_) => {
                self.again.set_value(true);
                return;
            }
            None => return,
        }
        self.state.set(State::Asking);
        self.again.set_value(false);
        let ticket = self.started.get_value().wrapping_add(1);
        self.started.set_value(ticket);
        leptos::task::spawn_local(async move {
            if !settle(request().await) {
                return;
            }
            let done = move || {
                // A request the user asked for meanwhile owns the flight, or the panel is gone.
                if self.started.try_get_value() != Some(ticket) {
                    return;
                }
                self.state.set(State::Idle);
                if self.again.get_value() {
                    self.ask(request, settle);
                }
            };
            if self.rest.is_zero() {
                done();
            } else {
                self.state.set(State::Resting);
                set_timeout(done, self.rest);
            }
        });
    }

    /// Whether a request is under way (tracked: a button can say so).
    pub fn asking(self) -> bool {
        self.state.with(|state| *state == State::Asking)
    }

    /// [`ask`](Self::ask) for a user's own click: answered without waiting out the rest.
    pub fn ask_now<Fut, R, S>(self, request: R, settle: S)
    where
        Fut: Future + 'static,
        R: Fn() -> Fut + Copy + 'static,
        S: Fn(Fut::Output) -> bool + Copy + 'static,
    {
        if self.state.try_get_untracked() == Some(State::Resting) {
            self.state.set(State::Idle);
        }
        self.ask(request, settle);
    }
}

/// Calls `then` each time this tab has received more events (and once at first, with
/// `at_first`): a panel that follows the stream asks again then.
pub fn follow_events(at_first: bool, then: impl Fn() + 'static) {
    let ui = use_ui();
    Effect::new(move |seen: Option<u64>| {
        let received = ui.view.with(|view| view.received());
        if seen.map_or(at_first, |seen| seen != received) {
            then();
        }
        received
    });
}
