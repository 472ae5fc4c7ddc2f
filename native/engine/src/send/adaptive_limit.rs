//! The algorithm of `concurrency=auto`: how many requests one host gets at
//! once, learned from latency and drops alone (no clock of the server's).
//!
//! Learned from Netflix's concurrency-limits and from TCP:
//! - **Slow start** (TCP): while latency stays at its no-load level and
//!   the limit is in use, it grows by half per measurement window (about
//!   one round trip), so a large capacity is found in a few seconds.
//! - **Gradient** (Gradient2, Vegas): afterwards each window compares the
//!   window's mean latency with the no-load latency. Queueing at the
//!   server shows as latency above `TOLERANCE` times no-load; the limit is
//!   then scaled by `tolerance * no_load / mean` (never below half), and a
//!   headroom of `sqrt(limit)` is added while the limit is in use, so it
//!   keeps probing for more. The fixed point sits where mean latency is
//!   about 1.5-1.7x no-load: the server is saturated, its queue is short.
//! - **Multiplicative decrease** (AIMD): a drop (429, 503, timeout,
//!   connection failure) cuts the limit to `BACKOFF` of itself, at most
//!   once per two no-load round trips, since one overload answers many
//!   requests at once.
//!
//! The no-load latency is the minimum of the last two windows of
//! `NO_LOAD_PERIOD`, so a server that becomes slower for good is learned
//! within two periods instead of being read as queueing forever.

use std::time::{Duration, Instant};

/// Mean latency up to this multiple of no-load counts as "no queueing".
const TOLERANCE: f64 = 1.4;
/// The limit after a drop, as a fraction of the limit before it.
const BACKOFF: f64 = 0.75;
/// Growth per window in slow start.
const SLOW_START_GROWTH: f64 = 1.5;
/// Slow start ends once mean latency exceeds this multiple of no-load: the
/// queue it measures was built by a limit up to 1.5x smaller, so waiting
/// for `TOLERANCE` would overshoot the capacity by a step.
const SLOW_START_TOLERANCE: f64 = 1.2;
/// Weight of a window's new limit against the old one (Gradient2's 0.2).
const SMOOTHING: f64 = 0.25;
/// Fewest samples that close a window.
const MIN_WINDOW_SAMPLES: u32 = 8;
/// How long one no-load minimum is kept.
const NO_LOAD_PERIOD: Duration = Duration::from_secs(10);

/// What one finished attempt says about the host's capacity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sample {
    /// An answer (any status but a drop), its latency and how many requests
    /// to the host were in flight when it was sent.
    Answered { latency: Duration, in_flight: usize },
    /// The host is overloaded or limiting us: 429, 503, a timeout or a
    /// refused connection.
    Dropped,
}

/// The adaptive limit of one host. Not thread-safe: the caller locks.
#[derive(Debug)]
pub struct AdaptiveLimit {
    min: f64,
    max: f64,
    limit: f64,
    peak: usize,
    slow_start: bool,
    no_load: NoLoad,
    window: Window,
    /// When a drop last cut the limit.
    last_cut: Option<Instant>,
}

impl AdaptiveLimit {
    /// Starts at `min`; `min <= max`, both at least 1.
    pub fn new(min: usize, max: usize, now: Instant) -> AdaptiveLimit {
        let min = min.max(1) as f64;
        let max = (max as f64).max(min);
        AdaptiveLimit {
            min,
            max,
            limit: min,
            peak: min as usize,
            slow_start: true,
            no_load: NoLoad::new(now),
            window: Window::new(now),
            last_cut: None,
        }
    }

    /// The current limit, a whole number of requests within the bounds.
    pub fn limit(&self) -> usize {
        self.limit.round() as usize
    }

    /// The highest limit so far.
    pub fn peak(&self) -> usize {
        self.peak
    }

    /// Learns from one attempt; returns the new limit when it changed.
    pub fn on_sample(&mut self, sample: Sample, now: Instant) -> Option<usize> {
        let before = self.limit();
        match sample {
            Sample::Dropped => {
                // The answers to one overload arrive within about a round
                // trip: they are one signal, not many.
                let round_trip = (self.no_load.get() * 2).max(Duration::from_millis(1));
                if self
                    .last_cut
                    .is_none_or(|at| now.duration_since(at) >= round_trip)
                {
                    self.last_cut = Some(now);
                    self.slow_start = false;
                    self.set(self.limit * BACKOFF);
                    self.window = Window::new(now);
                }
            }
            Sample::Answered { latency, in_flight } => {
                self.no_load.record(latency, now);
                // Judge a limit by requests sent under it: answers to
                // requests sent before the window began describe the old
                // limit (TCP grows once per round trip for the same reason).
                let sent_in_window = now
                    .checked_sub(latency)
                    .is_some_and(|sent| sent >= self.window.started);
                if !sent_in_window {
                    return None;
                }
                self.window.record(latency, in_flight);
                let no_load = self.no_load.get();
                let long_enough = now.duration_since(self.window.started) >= no_load;
                let enough = self.window.count >= MIN_WINDOW_SAMPLES.max(self.limit() as u32 / 4);
                if long_enough && enough {
                    self.close_window(no_load);
                    self.window = Window::new(now);
                }
            }
        }
        let after = self.limit();
        (after != before).then_some(after)
    }

    fn close_window(&mut self, no_load: Duration) {
        let mean = self.window.sum.as_secs_f64() / f64::from(self.window.count);
        let no_load = no_load.as_secs_f64().max(1e-6);
        // Only a limit that was (nearly) used tells whether more would help.
        let busy = self.window.max_in_flight as f64 >= self.limit * 0.5;
        let gradient = (TOLERANCE * no_load / mean.max(1e-9)).clamp(0.5, 1.0);
        if self.slow_start {
            // The median, not the mean: the first answers of a host carry
            // connection set-up, which is not queueing.
            if self.window.median() > SLOW_START_TOLERANCE * no_load {
                // The queue was built by the last step up: step back (TCP
                // halves its window on leaving slow start for the same reason).
                self.slow_start = false;
                self.set(self.limit / SLOW_START_GROWTH);
                return;
            } else if busy {
                self.set(self.limit * SLOW_START_GROWTH);
                return;
            } else {
                return;
            }
        }
        let headroom = if busy { self.limit.sqrt() } else { 0.0 };
        let target = self.limit * gradient + headroom;
        self.set(self.limit * (1.0 - SMOOTHING) + target * SMOOTHING);
    }

    fn set(&mut self, limit: f64) {
        self.limit = limit.clamp(self.min, self.max);
        self.peak = self.peak.max(self.limit());
    }
}

/// One measurement window: its samples' latency sum and the most requests
/// in flight while they were sent.
#[derive(Debug)]
struct Window {
    started: Instant,
    count: u32,
    sum: Duration,
    max_in_flight: usize,
    /// Latencies in seconds, at most `MAX_KEPT` (for the median).
    kept: Vec<f64>,
}

const MAX_KEPT: usize = 256;

impl Window {
    fn new(started: Instant) -> Window {
        Window {
            started,
            count: 0,
            sum: Duration::ZERO,
            max_in_flight: 0,
            kept: Vec::new(),
        }
    }

    fn record(&mut self, latency: Duration, in_flight: usize) {
        self.count += 1;
        self.sum += latency;
        self.max_in_flight = self.max_in_flight.max(in_flight);
        if self.kept.len() < MAX_KEPT {
            self.kept.push(latency.as_secs_f64());
        }
    }

    fn median(&mut self) -> f64 {
        if self.kept.is_empty() {
            return 0.0;
        }
        self.kept.sort_by(f64::total_cmp);
        self.kept[self.kept.len() / 2]
    }
}

/// The lowest latency of the current and the previous period.
#[derive(Debug)]
struct NoLoad {
    period_started: Instant,
    current: Option<Duration>,
    previous: Option<Duration>,
}

impl NoLoad {
    fn new(now: Instant) -> NoLoad {
        NoLoad {
            period_started: now,
            current: None,
            previous: None,
        }
    }

    fn record(&mut self, latency: Duration, now: Instant) {
        if now.duration_since(self.period_started) >= NO_LOAD_PERIOD {
            self.previous = self.current.take();
            self.period_started = now;
        }
        self.current = Some(self.current.map_or(latency, |c| c.min(latency)));
    }

    fn get(&self) -> Duration {
        match (self.current, self.previous) {
            (Some(c), Some(p)) => c.min(p),
            (Some(d), None) | (None, Some(d)) => d,
            (None, None) => Duration::ZERO,
        }
    }
}

#[cfg(test)]
#[path = "adaptive_limit_tests.rs"]
mod tests;
