//! The `/stream` connection state machine, its reconnect backoff and the header light (DESIGN §6).
//! Time (`now_ms`, milliseconds as from `Date.now()`) and randomness (`random` in `[0, 1)`) are passed in;
//! the browser shell owns fetch, timers and the clock.

/// Ping interval assumed until the server's `connected` frame states one (DESIGN §4).
const DEFAULT_PING_INTERVAL_MS: f64 = 30_000.0;

/// Colour of the header light.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Light {
    /// Stream open and alive.
    Green,
    /// Connecting or reconnecting: a request is in flight.
    Yellow,
    /// Failed: waiting to retry, or stopped until the user acts.
    Red,
}

impl Light {
    /// `"green"`, `"yellow"` or `"red"`, for CSS classes and `data-*` attributes that tests read.
    pub fn as_str(self) -> &'static str {
        match self {
            Light::Green => "green",
            Light::Yellow => "yellow",
            Light::Red => "red",
        }
    }
}

/// Where the stream connection is.
///
/// `attempt` numbers the requests made since the last successful open (or since start), from 1, so the
/// first reconnect after a drop is attempt 1 and the page's very first request is attempt 1 too.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    /// A request is in flight (yellow).
    Connecting { attempt: u32 },
    /// The stream is open and alive (green).
    Open,
    /// The last request failed; request number `attempt` starts at `retry_at_ms` (red, "retrying at …").
    Waiting { attempt: u32, retry_at_ms: f64, reason: String },
    /// The server refused access (401/403): no retries until the user acts (red).
    Stopped { reason: String },
}

impl Status {
    /// The light for this status: open is green, connecting yellow, waiting and stopped red.
    pub fn light(&self) -> Light {
        match self {
            Status::Open => Light::Green,
            Status::Connecting { .. } => Light::Yellow,
            Status::Waiting { .. } | Status::Stopped { .. } => Light::Red,
        }
    }
}

/// Reconnect schedule (DESIGN §6): immediately, then `base`, 2 x `base`, 4 x `base`, … capped at `cap`,
/// each spread by ±`jitter` so that tabs dropped by one server restart do not all return at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    /// Delay after the second consecutive failure. Defaults to 3000 ms.
    pub base_ms: f64,
    /// Largest delay before jitter. Defaults to 30000 ms.
    pub cap_ms: f64,
    /// Relative spread: 0.2 means the delay is scaled by a factor in `[0.8, 1.2]`. Defaults to 0.2.
    pub jitter: f64,
}

impl Default for Backoff {
    fn default() -> Self {
        Self { base_ms: 3_000.0, cap_ms: 30_000.0, jitter: 0.2 }
    }
}

impl Backoff {
    /// Delay before the next try after `failures` consecutive failures: 0 for the first (and for 0), then
    /// `base * 2^(failures - 2)` capped at `cap`, scaled by `1 + jitter * (2 * random - 1)`.
    ///
    /// `random = 0.5` means no jitter. `random` is clamped to `[0, 1]` (NaN counts as 0.5). The result is
    /// always in `[0, cap * (1 + jitter)]`, never decreases as `failures` grows with `random` fixed, and
    /// does not overflow for any `failures`.
    pub fn delay_ms(&self, failures: u32, random: f64) -> f64 {
        if failures <= 1 {
            return 0.0;
        }
        let base = self.base_ms.max(0.0);
        let cap = self.cap_ms.max(0.0);
        // 2^64 times any sane base is far past any cap, so larger exponents change nothing.
        let exponent = (failures - 2).min(64) as i32;
        let nominal = (base * 2f64.powi(exponent)).min(cap);
        let random = if random.is_nan() { 0.5 } else { random.clamp(0.0, 1.0) };
        let jitter = self.jitter.max(0.0);
        (nominal * (1.0 + jitter * (2.0 * random - 1.0))).max(0.0)
    }
}

/// The connection state machine behind the light and its tooltip. Every transition takes `now_ms`.
///
/// The shell reports facts (a request started, a 200 arrived, a frame, a failure, a 401) and follows
/// the answers: [`Connection::failed`] says how long to wait, [`Connection::is_dead`] says when to drop a
/// silent line. Duplicate reports are harmless: repeating a fact does not double-count it.
#[derive(Debug, Clone)]
pub struct Connection {
    status: Status,
    backoff: Backoff,
    /// Consecutive failures since the last successful open; the backoff input.
    failures: u32,
    /// Requests started since the last successful open: the `attempt` of the current or next request.
    tries: u32,
    /// Successful opens in total, the first included.
    opens: u32,
    ping_interval_ms: f64,
    /// When the line last showed life: the request start, the open, or the latest frame.
    last_heard_ms: Option<f64>,
    last_event_ms: Option<f64>,
    events: u64,
}

impl Connection {
    /// A connection about to make its first request: `Connecting { attempt: 1 }`, ping interval 30 s.
    pub fn new(backoff: Backoff) -> Self {
        Self {
            status: Status::Connecting { attempt: 1 },
            backoff,
            failures: 0,
            tries: 1,
            opens: 0,
            ping_interval_ms: DEFAULT_PING_INTERVAL_MS,
            last_heard_ms: None,
            last_event_ms: None,
            events: 0,
        }
    }

    /// The current status.
    pub fn status(&self) -> &Status {
        &self.status
    }

    /// The header light for the current status; see [`Status::light`].
    pub fn light(&self) -> Light {
        self.status.light()
    }

    /// A request starts now.
    ///
    /// While already `Connecting` this keeps the attempt number and only restarts the silence clock, so
    /// the shell may call it for every request, including the first and the immediate retry that
    /// [`Connection::failed`] already moved to `Connecting`. From `Waiting` it starts the scheduled
    /// attempt; from `Open` (a forced reconnect) it is attempt 1; from `Stopped` (the user acted) it
    /// starts afresh with no failures counted.
    pub fn connecting(&mut self, now_ms: f64) {
        match self.status {
            Status::Connecting { .. } => {}
            Status::Waiting { attempt, .. } => {
                self.tries = attempt;
                self.status = Status::Connecting { attempt };
            }
            Status::Open | Status::Stopped { .. } => {
                self.failures = 0;
                self.tries = 1;
                self.status = Status::Connecting { attempt: 1 };
            }
        }
        self.last_heard_ms = Some(now_ms);
    }

    /// The response is a 200 with a body: the stream is open. Resets the failure count, so the next drop
    /// retries immediately. Allowed from any status, `Stopped` included (a retry the user started
    /// succeeded); a repeated call while `Open` changes nothing and counts no reconnect.
    pub fn opened(&mut self, now_ms: f64) {
        self.last_heard_ms = Some(now_ms);
        if self.status == Status::Open {
            return;
        }
        self.status = Status::Open;
        self.failures = 0;
        self.tries = 0;
        self.opens = self.opens.saturating_add(1);
    }

    /// A frame arrived (a ping included): the line is alive. `is_event` marks an event frame, which sets
    /// [`Connection::last_event_ms`] and the event count.
    ///
    /// While `Connecting`, a frame proves the response arrived, so it counts as [`Connection::opened`].
    /// While `Waiting` or `Stopped`, the frame comes from a connection already given up on (the shell
    /// should have aborted it): events are still counted, but the status does not change, so a stale
    /// reader cannot turn the light green while a retry is pending.
    pub fn frame(&mut self, now_ms: f64, is_event: bool) {
        if is_event {
            self.last_event_ms = Some(now_ms);
            self.events = self.events.saturating_add(1);
        }
        match self.status {
            Status::Connecting { .. } => self.opened(now_ms),
            Status::Open => self.last_heard_ms = Some(now_ms),
            Status::Waiting { .. } | Status::Stopped { .. } => {}
        }
    }

    /// Sets the server's ping interval, from the `connected` frame's `ping_interval_ms`. Values that are
    /// not finite and positive are ignored, keeping the previous interval (30 s by default).
    pub fn set_ping_interval(&mut self, ms: f64) {
        if ms.is_finite() && ms > 0.0 {
            self.ping_interval_ms = ms;
        }
    }

    /// The ping interval in use, in milliseconds; a dead line is one silent for twice this.
    pub fn ping_interval_ms(&self) -> f64 {
        self.ping_interval_ms
    }

    /// The request or stream failed: a network error, a non-2xx answer other than 401/403, the stream
    /// ended, or a dead line. Returns the delay in milliseconds before the next request.
    ///
    /// A delay of 0 (the first failure after an open, or at start) moves straight to `Connecting`: the
    /// shell starts the next request at once, and the light never shows red for it. Otherwise the status
    /// becomes `Waiting` until `now_ms + delay`, when the shell calls [`Connection::connecting`].
    ///
    /// While already `Waiting`, a second report of the same failure (say, the body reader erroring after
    /// the dead-line check gave up) is ignored: it returns the time left until the pending retry and
    /// counts nothing. While `Stopped` it is ignored too and returns `f64::INFINITY`: schedule nothing.
    pub fn failed(&mut self, now_ms: f64, reason: impl Into<String>, random: f64) -> f64 {
        match self.status {
            Status::Waiting { retry_at_ms, .. } => return (retry_at_ms - now_ms).max(0.0),
            Status::Stopped { .. } => return f64::INFINITY,
            Status::Connecting { .. } | Status::Open => {}
        }
        self.failures = self.failures.saturating_add(1);
        let attempt = self.tries.saturating_add(1);
        let delay = self.backoff.delay_ms(self.failures, random);
        if delay <= 0.0 {
            self.tries = attempt;
            self.status = Status::Connecting { attempt };
            self.last_heard_ms = Some(now_ms);
        } else {
            self.status = Status::Waiting { attempt, retry_at_ms: now_ms + delay, reason: reason.into() };
        }
        delay
    }

    /// The server answered 401 or 403: stop retrying until the user acts (sets a token, presses retry),
    /// since every retry would get the same answer. The failure count is cleared, so the user's retry
    /// starts the schedule afresh.
    pub fn unauthorized(&mut self, status: u16) {
        let reason = match status {
            401 => format!("server requires a token (HTTP {status})"),
            403 => format!("server refused the token (HTTP {status})"),
            _ => format!("server refused access (HTTP {status})"),
        };
        self.status = Status::Stopped { reason };
        self.failures = 0;
        self.tries = 0;
    }

    /// True when the line has been silent for more than 2 x the ping interval (DESIGN §6: dead line, so
    /// abort and report [`Connection::failed`]). Applies while `Open` (no frame) and also while
    /// `Connecting` (no response since the request started), since `fetch` itself never times out.
    pub fn is_dead(&self, now_ms: f64) -> bool {
        match (&self.status, self.last_heard_ms) {
            (Status::Open | Status::Connecting { .. }, Some(heard)) => {
                now_ms - heard > 2.0 * self.ping_interval_ms
            }
            _ => false,
        }
    }

    /// Consecutive failures since the last successful open; each one caused one reconnect attempt
    /// (started or scheduled). 0 while open, and after a 401/403.
    pub fn attempts(&self) -> u32 {
        self.failures
    }

    /// Successful opens after the first: how often the stream came back.
    pub fn reconnects(&self) -> u32 {
        self.opens.saturating_sub(1)
    }

    /// When the latest event frame arrived, if any has.
    pub fn last_event_ms(&self) -> Option<f64> {
        self.last_event_ms
    }

    /// Event frames received over every connection so far.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// The words beside the light, short enough for a phone's header: `live`, `connecting`,
    /// `reconnecting · attempt 2`, `retrying in 12 s · attempt 4` (a countdown the shell refreshes
    /// each second), `stopped`.
    pub fn label(&self, now_ms: f64) -> String {
        match &self.status {
            Status::Open => "live".to_owned(),
            Status::Connecting { attempt: 1 } if self.opens == 0 => "connecting".to_owned(),
            Status::Connecting { attempt } => format!("reconnecting · attempt {attempt}"),
            Status::Waiting { attempt, retry_at_ms, .. } => {
                format!("retrying in {} s · attempt {attempt}", seconds_until(*retry_at_ms, now_ms))
            }
            Status::Stopped { .. } => "stopped".to_owned(),
        }
    }

    /// Whether a wait can be cut short: a retry is pending (`Waiting`) or retries have stopped.
    /// The shell starts the next request at once when the user presses "Retry now", the browser
    /// comes back `online` or the tab becomes visible again: the server may have come back long
    /// before the backoff (up to 30 s) would look.
    pub fn can_retry_now(&self) -> bool {
        matches!(self.status, Status::Waiting { .. } | Status::Stopped { .. })
    }

    /// Tooltip text: the state, then the last event time and the reconnect count when there are any,
    /// joined by ` · `. `format_time` renders a `now_ms`-style time, such as `12:03:04`. Examples:
    /// `Connected · last event 12:03:04 · 2 reconnects`, `Reconnecting (attempt 3) …`,
    /// `Disconnected: stream ended · retrying at 12:03:10 (in 6 s) · attempt 3`.
    pub fn describe(&self, now_ms: f64, format_time: impl Fn(f64) -> String) -> String {
        let mut parts = vec![match &self.status {
            Status::Open => "Connected".to_owned(),
            Status::Connecting { attempt } => {
                let verb = if self.opens > 0 { "Reconnecting" } else { "Connecting" };
                if self.opens > 0 || *attempt > 1 {
                    format!("{verb} (attempt {attempt}) …")
                } else {
                    format!("{verb} …")
                }
            }
            Status::Waiting { retry_at_ms, reason, attempt } => {
                // Whole seconds as an integer: formatting an f64 would pull float printing into the bundle.
                let seconds = seconds_until(*retry_at_ms, now_ms);
                format!("Disconnected: {reason} · retrying at {} (in {seconds} s)", format_time(*retry_at_ms))
                    + &format!(" · attempt {attempt}")
            }
            Status::Stopped { reason } => format!("Disconnected: {reason} · not retrying"),
        }];
        if let Some(at) = self.last_event_ms {
            parts.push(format!("last event {}", format_time(at)));
        }
        match self.reconnects() {
            0 => {}
            1 => parts.push("1 reconnect".to_owned()),
            n => parts.push(format!("{n} reconnects")),
        }
        parts.join(" · ")
    }
}

/// Whole seconds from `now_ms` to `at_ms`, rounded up, never negative. An integer: formatting an
/// f64 would pull float printing into the bundle.
fn seconds_until(at_ms: f64, now_ms: f64) -> u64 {
    ((at_ms - now_ms) / 1000.0).ceil().max(0.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NO_JITTER: f64 = 0.5;

    fn connection() -> Connection {
        Connection::new(Backoff::default())
    }

    /// An open connection at `now`.
    fn open_at(now: f64) -> Connection {
        let mut c = connection();
        c.connecting(now);
        c.opened(now);
        c
    }

    /// Formats times as whole seconds, enough to see which time was used.
    fn secs(ms: f64) -> String {
        format!("t{}", ms / 1000.0)
    }

    #[test]
    fn light_names_are_the_css_words() {
        assert_eq!(Light::Green.as_str(), "green");
        assert_eq!(Light::Yellow.as_str(), "yellow");
        assert_eq!(Light::Red.as_str(), "red");
    }

    #[test]
    fn status_lights_are_green_open_yellow_connecting_red_otherwise() {
        assert_eq!(Status::Open.light(), Light::Green);
        assert_eq!(Status::Connecting { attempt: 4 }.light(), Light::Yellow);
        let waiting = Status::Waiting { attempt: 2, retry_at_ms: 1.0, reason: "x".into() };
        assert_eq!(waiting.light(), Light::Red);
        assert_eq!(Status::Stopped { reason: "x".into() }.light(), Light::Red);
    }

    #[test]
    fn default_backoff_is_3s_base_30s_cap_20_percent_jitter() {
        assert_eq!(Backoff::default(), Backoff { base_ms: 3000.0, cap_ms: 30000.0, jitter: 0.2 });
    }

    #[test]
    fn backoff_retries_immediately_then_doubles_from_3s_to_the_30s_cap() {
        let b = Backoff::default();
        let delays: Vec<f64> = (0..=8).map(|n| b.delay_ms(n, NO_JITTER)).collect();
        assert_eq!(delays, [0.0, 0.0, 3000.0, 6000.0, 12000.0, 24000.0, 30000.0, 30000.0, 30000.0]);
    }

    #[test]
    fn backoff_jitter_spans_plus_minus_20_percent() {
        let b = Backoff::default();
        assert_eq!(b.delay_ms(2, 0.0), 2400.0);
        assert!((b.delay_ms(2, 0.999_999) - 3600.0).abs() < 0.01);
        assert_eq!(b.delay_ms(2, 1.0), 3600.0);
        assert_eq!(b.delay_ms(10, 0.0), 24000.0);
        assert_eq!(b.delay_ms(10, 1.0), 36000.0);
    }

    #[test]
    fn backoff_never_jitters_the_immediate_retry() {
        let b = Backoff::default();
        assert_eq!(b.delay_ms(1, 0.0), 0.0);
        assert_eq!(b.delay_ms(1, 1.0), 0.0);
    }

    #[test]
    fn backoff_clamps_random_out_of_range_and_treats_nan_as_no_jitter() {
        let b = Backoff::default();
        assert_eq!(b.delay_ms(2, -5.0), 2400.0);
        assert_eq!(b.delay_ms(2, 7.0), 3600.0);
        assert_eq!(b.delay_ms(2, f64::NAN), 3000.0);
    }

    #[test]
    fn backoff_survives_huge_failure_counts() {
        let b = Backoff::default();
        assert_eq!(b.delay_ms(u32::MAX, NO_JITTER), 30000.0);
        assert_eq!(b.delay_ms(u32::MAX, 1.0), 36000.0);
    }

    #[test]
    fn backoff_jitter_above_one_never_goes_negative() {
        let b = Backoff { jitter: 3.0, ..Backoff::default() };
        assert_eq!(b.delay_ms(3, 0.0), 0.0);
    }

    #[test]
    fn a_new_connection_is_connecting_attempt_1_and_yellow() {
        let c = connection();
        assert_eq!(c.status(), &Status::Connecting { attempt: 1 });
        assert_eq!(c.light(), Light::Yellow);
        assert_eq!(c.attempts(), 0);
        assert_eq!(c.reconnects(), 0);
        assert_eq!(c.last_event_ms(), None);
        assert_eq!(c.ping_interval_ms(), 30000.0);
    }

    #[test]
    fn connecting_again_while_connecting_keeps_the_attempt() {
        let mut c = connection();
        c.connecting(10.0);
        c.connecting(20.0);
        assert_eq!(c.status(), &Status::Connecting { attempt: 1 });
    }

    #[test]
    fn opened_is_green_and_counts_no_reconnect_the_first_time() {
        let c = open_at(0.0);
        assert_eq!(c.status(), &Status::Open);
        assert_eq!(c.light(), Light::Green);
        assert_eq!(c.reconnects(), 0);
    }

    #[test]
    fn opened_twice_counts_once() {
        let mut c = open_at(0.0);
        c.opened(5.0);
        assert_eq!(c.reconnects(), 0);
    }

    #[test]
    fn first_failure_after_open_reconnects_at_once_without_showing_red() {
        let mut c = open_at(0.0);
        let delay = c.failed(1000.0, "stream ended", 0.9);
        assert_eq!(delay, 0.0);
        assert_eq!(c.status(), &Status::Connecting { attempt: 1 });
        assert_eq!(c.light(), Light::Yellow);
        assert_eq!(c.attempts(), 1);
    }

    #[test]
    fn first_request_failing_retries_at_once_as_attempt_2() {
        let mut c = connection();
        c.connecting(0.0);
        assert_eq!(c.failed(10.0, "network error", NO_JITTER), 0.0);
        assert_eq!(c.status(), &Status::Connecting { attempt: 2 });
    }

    #[test]
    fn second_failure_waits_3s_in_red() {
        let mut c = open_at(0.0);
        c.failed(1000.0, "stream ended", NO_JITTER);
        c.connecting(1000.0);
        let delay = c.failed(1500.0, "HTTP 502", NO_JITTER);
        assert_eq!(delay, 3000.0);
        assert_eq!(
            c.status(),
            &Status::Waiting { attempt: 2, retry_at_ms: 4500.0, reason: "HTTP 502".into() }
        );
        assert_eq!(c.light(), Light::Red);
        assert_eq!(c.attempts(), 2);
    }

    #[test]
    fn connecting_from_waiting_starts_the_scheduled_attempt() {
        let mut c = open_at(0.0);
        c.failed(0.0, "a", NO_JITTER);
        c.failed(0.0, "b", NO_JITTER);
        c.connecting(3000.0);
        assert_eq!(c.status(), &Status::Connecting { attempt: 2 });
        assert_eq!(c.failed(3100.0, "c", NO_JITTER), 6000.0);
        assert!(matches!(c.status(), Status::Waiting { attempt: 3, .. }));
    }

    #[test]
    fn failing_repeatedly_follows_the_backoff_schedule() {
        let mut c = connection();
        let mut now = 0.0;
        let mut delays = Vec::new();
        for _ in 0..7 {
            c.connecting(now);
            let delay = c.failed(now, "down", NO_JITTER);
            delays.push(delay);
            now += delay;
        }
        assert_eq!(delays, [0.0, 3000.0, 6000.0, 12000.0, 24000.0, 30000.0, 30000.0]);
        assert_eq!(c.attempts(), 7);
    }

    #[test]
    fn a_second_failure_report_while_waiting_is_ignored() {
        let mut c = open_at(0.0);
        c.failed(0.0, "stream ended", NO_JITTER);
        c.failed(100.0, "HTTP 502", NO_JITTER);
        let before = c.status().clone();
        assert_eq!(c.failed(1100.0, "reader error", NO_JITTER), 2000.0);
        assert_eq!(c.status(), &before);
        assert_eq!(c.attempts(), 2);
        assert_eq!(c.failed(9000.0, "late", NO_JITTER), 0.0);
    }

    #[test]
    fn reopening_resets_failures_and_counts_a_reconnect() {
        let mut c = open_at(0.0);
        c.failed(0.0, "a", NO_JITTER);
        c.failed(0.0, "b", NO_JITTER);
        c.connecting(3000.0);
        c.opened(3100.0);
        assert_eq!(c.status(), &Status::Open);
        assert_eq!(c.attempts(), 0);
        assert_eq!(c.reconnects(), 1);
        assert_eq!(c.failed(4000.0, "c", NO_JITTER), 0.0);
    }

    #[test]
    fn connecting_from_open_is_attempt_1() {
        let mut c = open_at(0.0);
        c.connecting(10.0);
        assert_eq!(c.status(), &Status::Connecting { attempt: 1 });
    }

    #[test]
    fn a_frame_while_connecting_counts_as_opened() {
        let mut c = connection();
        c.connecting(0.0);
        c.frame(50.0, false);
        assert_eq!(c.status(), &Status::Open);
        assert_eq!(c.last_event_ms(), None);
    }

    #[test]
    fn event_frames_set_last_event_time_and_count_pings_do_not() {
        let mut c = open_at(0.0);
        c.frame(100.0, true);
        c.frame(200.0, false);
        c.frame(300.0, true);
        assert_eq!(c.last_event_ms(), Some(300.0));
        assert_eq!(c.events(), 2);
    }

    #[test]
    fn a_stale_frame_while_waiting_counts_the_event_but_stays_red() {
        let mut c = open_at(0.0);
        c.failed(0.0, "a", NO_JITTER);
        c.failed(0.0, "b", NO_JITTER);
        c.frame(500.0, true);
        assert!(matches!(c.status(), Status::Waiting { .. }));
        assert_eq!(c.events(), 1);
    }

    #[test]
    fn unauthorized_stops_in_red_with_the_status_in_the_reason() {
        let mut c = connection();
        c.unauthorized(401);
        assert_eq!(c.status(), &Status::Stopped { reason: "server requires a token (HTTP 401)".into() });
        assert_eq!(c.light(), Light::Red);
        c.unauthorized(403);
        assert_eq!(c.status(), &Status::Stopped { reason: "server refused the token (HTTP 403)".into() });
    }

    #[test]
    fn failures_while_stopped_schedule_nothing() {
        let mut c = connection();
        c.unauthorized(401);
        assert_eq!(c.failed(0.0, "stream ended", NO_JITTER), f64::INFINITY);
        assert!(matches!(c.status(), Status::Stopped { .. }));
        assert_eq!(c.attempts(), 0);
    }

    #[test]
    fn a_stale_frame_while_stopped_stays_stopped() {
        let mut c = connection();
        c.unauthorized(401);
        c.frame(0.0, false);
        assert!(matches!(c.status(), Status::Stopped { .. }));
    }

    #[test]
    fn a_user_retry_after_stop_starts_afresh() {
        let mut c = open_at(0.0);
        c.failed(0.0, "a", NO_JITTER);
        c.unauthorized(401);
        c.connecting(100.0);
        assert_eq!(c.status(), &Status::Connecting { attempt: 1 });
        assert_eq!(c.failed(200.0, "network error", NO_JITTER), 0.0);
    }

    #[test]
    fn opened_after_stop_is_allowed() {
        let mut c = connection();
        c.unauthorized(401);
        c.opened(10.0);
        assert_eq!(c.status(), &Status::Open);
    }

    #[test]
    fn an_open_line_is_dead_after_two_silent_ping_intervals() {
        let mut c = open_at(0.0);
        assert!(!c.is_dead(60_000.0));
        assert!(c.is_dead(60_001.0));
        c.frame(50_000.0, false);
        assert!(!c.is_dead(60_001.0));
        assert!(c.is_dead(110_001.0));
    }

    #[test]
    fn the_dead_line_follows_the_server_ping_interval() {
        let mut c = open_at(0.0);
        c.set_ping_interval(5000.0);
        assert!(c.is_dead(10_001.0));
    }

    #[test]
    fn invalid_ping_intervals_are_ignored() {
        let mut c = open_at(0.0);
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            c.set_ping_interval(bad);
        }
        assert_eq!(c.ping_interval_ms(), 30000.0);
    }

    #[test]
    fn a_request_without_response_is_dead_after_two_ping_intervals() {
        let mut c = connection();
        assert!(!c.is_dead(1e12), "no request started yet");
        c.connecting(1000.0);
        assert!(!c.is_dead(61_000.0));
        assert!(c.is_dead(61_001.0));
    }

    #[test]
    fn waiting_and_stopped_are_never_dead() {
        let mut c = open_at(0.0);
        c.failed(0.0, "a", NO_JITTER);
        c.failed(0.0, "b", NO_JITTER);
        assert!(!c.is_dead(1e9));
        c.unauthorized(401);
        assert!(!c.is_dead(1e9));
    }

    #[test]
    fn label_counts_down_to_the_retry_and_names_the_attempt() {
        let mut c = connection();
        assert_eq!(c.label(0.0), "connecting");
        c.opened(0.0);
        assert_eq!(c.label(0.0), "live");
        c.failed(1000.0, "stream ended", NO_JITTER);
        assert_eq!(c.label(1000.0), "reconnecting · attempt 1");
        c.failed(1000.0, "the server could not be reached", NO_JITTER);
        assert_eq!(c.label(1000.0), "retrying in 3 s · attempt 2");
        assert_eq!(c.label(2500.0), "retrying in 2 s · attempt 2");
        c.unauthorized(401);
        assert_eq!(c.label(2500.0), "stopped");
    }

    #[test]
    fn a_retry_can_be_started_early_only_while_waiting_or_stopped() {
        let mut c = open_at(0.0);
        assert!(!c.can_retry_now());
        c.failed(1000.0, "stream ended", NO_JITTER);
        assert!(!c.can_retry_now(), "the immediate retry is already under way");
        c.failed(1000.0, "the server could not be reached", NO_JITTER);
        assert!(c.can_retry_now());
        // Started early, the scheduled attempt keeps its number and the backoff goes on from it.
        c.connecting(1200.0);
        assert_eq!(c.status(), &Status::Connecting { attempt: 2 });
        assert_eq!(c.failed(1300.0, "the server could not be reached", NO_JITTER), 6000.0);
        c.unauthorized(403);
        assert!(c.can_retry_now());
    }

    #[test]
    fn describe_connected_with_last_event_and_reconnects() {
        let mut c = open_at(0.0);
        assert_eq!(c.describe(0.0, secs), "Connected");
        c.frame(12_000.0, true);
        assert_eq!(c.describe(13_000.0, secs), "Connected · last event t12");
        c.failed(20_000.0, "a", NO_JITTER);
        c.opened(20_100.0);
        assert_eq!(c.describe(21_000.0, secs), "Connected · last event t12 · 1 reconnect");
        c.failed(22_000.0, "a", NO_JITTER);
        c.opened(22_100.0);
        assert_eq!(c.describe(23_000.0, secs), "Connected · last event t12 · 2 reconnects");
    }

    #[test]
    fn describe_connecting_first_and_retrying_before_any_open() {
        let mut c = connection();
        assert_eq!(c.describe(0.0, secs), "Connecting …");
        c.failed(0.0, "a", NO_JITTER);
        assert_eq!(c.describe(0.0, secs), "Connecting (attempt 2) …");
    }

    #[test]
    fn describe_reconnecting_after_a_drop() {
        let mut c = open_at(0.0);
        c.failed(1000.0, "stream ended", NO_JITTER);
        assert_eq!(c.describe(1000.0, secs), "Reconnecting (attempt 1) …");
    }

    #[test]
    fn describe_waiting_states_reason_retry_time_and_seconds_left() {
        let mut c = open_at(0.0);
        c.failed(0.0, "stream ended", NO_JITTER);
        c.failed(4000.0, "HTTP 502", NO_JITTER);
        assert_eq!(c.describe(4000.0, secs), "Disconnected: HTTP 502 · retrying at t7 (in 3 s) · attempt 2");
        assert_eq!(c.describe(5500.0, secs), "Disconnected: HTTP 502 · retrying at t7 (in 2 s) · attempt 2");
        assert_eq!(c.describe(9000.0, secs), "Disconnected: HTTP 502 · retrying at t7 (in 0 s) · attempt 2");
    }

    #[test]
    fn describe_stopped_says_it_is_not_retrying() {
        let mut c = connection();
        c.unauthorized(401);
        assert_eq!(c.describe(0.0, secs), "Disconnected: server requires a token (HTTP 401) · not retrying");
    }

    proptest! {
        #[test]
        fn delays_stay_within_zero_and_jittered_cap(
            failures: u32,
            random in 0.0f64..1.0,
            base in 0.0f64..100_000.0,
            cap in 0.0f64..1_000_000.0,
            jitter in 0.0f64..1.0,
        ) {
            let b = Backoff { base_ms: base, cap_ms: cap, jitter };
            let d = b.delay_ms(failures, random);
            prop_assert!(d >= 0.0 && d <= cap * (1.0 + jitter), "{d}");
        }

        #[test]
        fn delays_never_shrink_as_failures_grow(failures in 0u32..u32::MAX, random in 0.0f64..1.0) {
            let b = Backoff::default();
            prop_assert!(b.delay_ms(failures, random) <= b.delay_ms(failures + 1, random));
        }

        #[test]
        fn a_fresh_failure_waits_in_red_exactly_when_its_delay_is_positive(
            steps in proptest::collection::vec((0u8..5, 0.0f64..1.0), 0..60),
        ) {
            let mut c = Connection::new(Backoff::default());
            let mut now = 0.0;
            for (step, random) in steps {
                now += 1000.0;
                let before = c.status().clone();
                match step {
                    0 => c.connecting(now),
                    1 => c.opened(now),
                    2 => c.frame(now, random < 0.5),
                    3 => {
                        let delay = c.failed(now, "x", random);
                        prop_assert!(delay >= 0.0);
                        if matches!(before, Status::Open | Status::Connecting { .. }) {
                            prop_assert_eq!(delay > 0.0, c.light() == Light::Red);
                            prop_assert_eq!(delay == 0.0, c.light() == Light::Yellow);
                        } else {
                            prop_assert_eq!(c.status(), &before);
                        }
                    }
                    _ => c.unauthorized(401),
                }
                match c.status() {
                    Status::Connecting { attempt } | Status::Waiting { attempt, .. } => {
                        prop_assert!(*attempt >= 1)
                    }
                    Status::Open => prop_assert_eq!(c.attempts(), 0),
                    Status::Stopped { .. } => {}
                }
            }
        }
    }
}
