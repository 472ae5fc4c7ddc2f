//! The algorithm of `concurrency=auto`: how many requests one host gets at
//! once, learned from latency and drops alone (no clock of the server's).
//!
//! Learned from TCP (slow start, HyStart, BBR's min-RTT probe), Vegas and
//! Netflix's Gradient2. Everything is judged once per round
//! (`adaptive_window`): the first `limit` requests sent under a limit, once
//! all of them ended. A round's mean latency over the host's no-load
//! latency is the `ratio` below; by Little's law, in flight over `ratio` is
//! what the server serves at once.
//! - **Slow start**: while the limit is in use and latency stays at
//!   no-load, the limit grows by half per round, by less as latency creeps
//!   up (HyStart), so the step that crosses the capacity overshoots it by at
//!   most half. At the first sign of queueing (`SLOW_START_EXIT`), not at
//!   the first drop, it ends and jumps to the gradient's target. If that
//!   was a false alarm (a pause of a busy client), it resumes after two
//!   rounds that use the whole limit without queueing (HyStart++).
//! - **Gradient**: `target = limit * min(1, TOLERANCE / ratio) + sqrt(limit)`.
//!   Below the capacity latency is flat and the limit grows by `sqrt(limit)`
//!   per round; above it the first term is the capacity itself (Vegas), so
//!   the limit settles at the capacity plus a queue of about `sqrt(limit)`
//!   (72 for a server of 64 slots): the server is never idle and its queue
//!   stays short. Increases are taken at once, decreases smoothed, so one
//!   noisy round costs little.
//! - **Multiplicative decrease** (AIMD): a drop (429, 503, timeout,
//!   connection failure) cuts the limit to `BACKOFF` of itself, at most
//!   once per two no-load round trips, since one overload answers many
//!   requests at once.
//! - **No-load probe** (BBR's ProbeRTT): the no-load latency is the lowest
//!   round mean seen. At the fixed point a short queue always stands, so no
//!   round shows no-load again; without one for `PROBE_INTERVAL` the limit
//!   is halved for one round, whose latency becomes the new no-load, and is
//!   then restored. A server that became slower for good is learned that
//!   way; a no-load read on a cold start (connection set-up, a busy JVM) is
//!   corrected by the first faster round.

use std::time::{Duration, Instant};

use crate::send::adaptive_window::Round;
pub use crate::send::adaptive_window::RoundId;

/// Latency up to this multiple of no-load is not queueing (noise allowance).
const TOLERANCE: f64 = 1.0;
/// Slow start ends once a round's latency exceeds this multiple of no-load.
const SLOW_START_EXIT: f64 = 1.25;
/// Growth per round in slow start while latency is at no-load.
const SLOW_START_GROWTH: f64 = 1.5;
/// Weight of a round's lower target against the limit (Gradient2's 0.2).
const SMOOTHING: f64 = 0.25;
/// The limit after a drop, as a fraction of the limit before it.
const BACKOFF: f64 = 0.75;
/// A round within this multiple of no-load confirms it.
const NO_LOAD_CONFIRMED: f64 = 1.05;
/// Calm rounds in a row after which slow start resumes.
const RESUME_AFTER_CALM_ROUNDS: u32 = 2;
/// How long the no-load latency is trusted without being confirmed.
const PROBE_INTERVAL: Duration = Duration::from_secs(10);
/// A round is this share of the limit: half is enough for a mean (the
/// requests sent first after a change see the queue it made) and ends the
/// round sooner than a whole limit would.
const ROUND_SHARE: f64 = 1.0;
/// One latency counts at most this multiple of no-load in a round's mean:
/// one stalled request (a pause of the client) must not read as a queue,
/// and twice no-load already gives the gradient's largest step down.
const LATENCY_CAP: f64 = 2.0;
/// Rounds of slow start whose median is the no-load latency.
const EARLY_ROUNDS: usize = 5;
/// After those, a round this much faster than no-load replaces it (the
/// server got faster); smaller differences are the client's own noise.
const FASTER: f64 = 0.9;

/// What one finished attempt says about the host's capacity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sample {
    /// An answer (any status but a drop), its latency and how many requests
    /// to the host were in flight when it was sent.
    Answered { latency: Duration, in_flight: usize },
    /// The host is overloaded or limiting us: 429, 503, a timeout or a
    /// refused connection.
    Dropped,
    /// Ended without a word from the host (a failure of our own, or the
    /// request was abandoned): it only closes its round.
    Nothing,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    SlowStart,
    Gradient,
    /// Measuring no-load at half the limit; the limit to return to.
    Probe {
        restore: f64,
    },
}

/// The adaptive limit of one host. Not thread-safe: the caller locks.
#[derive(Debug)]
pub struct AdaptiveLimit {
    min: f64,
    max: f64,
    limit: f64,
    peak: usize,
    phase: Phase,
    /// The no-load round mean latency, in seconds (see `learn_no_load`).
    no_load: Option<f64>,
    /// Round means of slow start before any queueing, at most `EARLY_ROUNDS`.
    early_means: Vec<f64>,
    /// When a round last showed the no-load latency.
    no_load_seen: Instant,
    /// The lowest single latency (the round trip before no-load is known).
    fastest: Duration,
    round: Round,
    /// When a drop last cut the limit.
    last_cut: Option<Instant>,
    /// Rounds in a row that kept the limit in use without queueing.
    calm_rounds: u32,
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
            phase: Phase::SlowStart,
            no_load: None,
            early_means: Vec::with_capacity(EARLY_ROUNDS),
            no_load_seen: now,
            fastest: Duration::MAX,
            round: Round::new(1, min, ROUND_SHARE),
            last_cut: None,
            calm_rounds: 0,
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

    /// Whether slow start is still on.
    pub fn in_slow_start(&self) -> bool {
        self.phase == Phase::SlowStart
    }

    /// A request is sent now; the round it counts in, to give back with its
    /// sample.
    pub fn on_send(&mut self, now: Instant) -> RoundId {
        self.round.on_send(now)
    }

    /// Learns from one ended request; returns the new limit when it changed.
    pub fn on_sample(&mut self, round: RoundId, sample: Sample, now: Instant) -> Option<usize> {
        let before = self.limit();
        if let Sample::Answered { latency, .. } = sample {
            self.fastest = self.fastest.min(latency);
        }
        if sample == Sample::Dropped {
            self.on_drop(now);
        } else {
            let cap = self.latency_cap();
            let ended = round == self.round.id && {
                let answer = match sample {
                    Sample::Answered { latency, in_flight } => Some((latency, in_flight)),
                    _ => None,
                };
                self.round.on_end(answer, cap)
            };
            if ended || self.round.overdue(now, cap) {
                self.close_round(now, cap);
            }
        }
        let after = self.limit();
        (after != before).then_some(after)
    }

    fn on_drop(&mut self, now: Instant) {
        // The answers to one overload arrive within about a round trip:
        // they are one signal, not many.
        let round_trip = self.round_trip() * 2;
        if self
            .last_cut
            .is_some_and(|at| now.duration_since(at) < round_trip)
        {
            return;
        }
        self.last_cut = Some(now);
        let from = match self.phase {
            Phase::Probe { restore } => restore,
            _ => self.limit,
        };
        self.phase = Phase::Gradient;
        self.set(from * BACKOFF);
        self.next_round();
    }

    fn round_trip(&self) -> Duration {
        match self.no_load {
            Some(seconds) => Duration::from_secs_f64(seconds),
            None if self.fastest < Duration::MAX => self.fastest,
            None => Duration::ZERO,
        }
        .max(Duration::from_millis(1))
    }

    /// The most one latency counts in a round (unbounded before no-load is
    /// known).
    fn latency_cap(&self) -> Duration {
        self.no_load
            .map_or(Duration::MAX, |n| Duration::from_secs_f64(n * LATENCY_CAP))
    }

    fn next_round(&mut self) {
        self.round = Round::new(self.round.id + 1, self.limit, ROUND_SHARE);
    }

    fn close_round(&mut self, now: Instant, cap: Duration) {
        let Some(mean) = self.round.mean(cap) else {
            self.next_round();
            return;
        };
        let busy = self.round.max_in_flight() as f64 >= self.limit * 0.5;
        let full = self.round.max_in_flight() as f64 >= self.limit * 0.9;
        let no_load = self.learn_no_load(mean);
        if mean <= no_load * NO_LOAD_CONFIRMED {
            self.no_load_seen = now;
        }
        let ratio = mean / no_load.max(1e-9);
        tracing::debug!(
            limit = self.limit,
            phase = ?self.phase,
            busy,
            mean_ms = mean * 1e3,
            no_load_ms = no_load * 1e3,
            ratio,
            "adaptive round"
        );
        match self.phase {
            Phase::Probe { restore } => {
                // The probe's round is the no-load now, higher or lower.
                self.no_load = Some(mean);
                self.no_load_seen = now;
                self.phase = Phase::Gradient;
                self.set(restore);
            }
            Phase::SlowStart => self.slow_start(ratio, busy),
            Phase::Gradient => {
                // HyStart++: slow start that ended on a noisy round (a
                // pause of the client) resumes once rounds that use the
                // whole limit show no queue again. By Little's law that
                // cannot happen above the capacity; after a drop the limit
                // grows additively only (AIMD).
                let calm = full && ratio <= NO_LOAD_CONFIRMED && self.last_cut.is_none();
                self.calm_rounds = if calm { self.calm_rounds + 1 } else { 0 };
                if self.calm_rounds >= RESUME_AFTER_CALM_ROUNDS {
                    self.calm_rounds = 0;
                    self.phase = Phase::SlowStart;
                    self.slow_start(ratio, busy);
                } else {
                    self.gradient(ratio, busy);
                }
            }
        }
        if self.phase == Phase::Gradient && now.duration_since(self.no_load_seen) >= PROBE_INTERVAL
        {
            self.phase = Phase::Probe {
                restore: self.limit,
            };
            self.limit = (self.limit / 2.0).max(self.min);
        }
        self.next_round();
    }

    /// The no-load latency after a round of `mean`. The rounds of slow start
    /// before any queueing are all at no-load, so their median is it, with
    /// the client's own noise in it: the lowest round would be biased low
    /// by that noise (round means of a busy 2-core client scatter by 20 %),
    /// and every later round would read as queueing where there is none.
    /// The median also drops a cold first round. Later, only a round
    /// clearly faster (the server got faster) or the probe change it.
    fn learn_no_load(&mut self, mean: f64) -> f64 {
        let early = self.phase == Phase::SlowStart && self.early_means.len() < EARLY_ROUNDS;
        match self.no_load {
            Some(no_load) if early && mean <= no_load * SLOW_START_EXIT => {
                self.early_means.push(mean);
                self.no_load = Some(lower_median(&self.early_means));
            }
            Some(no_load) if mean >= no_load * FASTER => {}
            _ => {
                if early {
                    self.early_means.push(mean);
                }
                self.no_load = Some(mean);
            }
        }
        self.no_load.unwrap_or(mean)
    }

    fn slow_start(&mut self, ratio: f64, busy: bool) {
        if ratio > SLOW_START_EXIT {
            // Queueing: the last step crossed the capacity. Jump to the
            // gradient's target, which is about the capacity.
            self.phase = Phase::Gradient;
            let target = self.target(ratio, true);
            self.set(target);
        } else if busy {
            // HyStart's caution: grow less as latency creeps towards the exit.
            let room = ((SLOW_START_EXIT - ratio) / (SLOW_START_EXIT - 1.0)).clamp(0.0, 1.0);
            self.set(self.limit * (1.0 + (SLOW_START_GROWTH - 1.0) * room));
        }
    }

    fn gradient(&mut self, ratio: f64, busy: bool) {
        let target = self.target(ratio, busy);
        if target >= self.limit {
            self.set(target);
        } else {
            self.set(self.limit * (1.0 - SMOOTHING) + target * SMOOTHING);
        }
    }

    /// The gradient's limit: the limit scaled down by the queueing seen, and
    /// a queue allowance of `sqrt(limit)` when the limit was in use (only a
    /// limit in use tells whether more would help).
    fn target(&self, ratio: f64, busy: bool) -> f64 {
        let gradient = (TOLERANCE / ratio).clamp(0.5, 1.0);
        let allowance = if busy { self.limit.sqrt() } else { 0.0 };
        self.limit * gradient + allowance
    }

    fn set(&mut self, limit: f64) {
        self.limit = limit.clamp(self.min, self.max);
        self.peak = self.peak.max(self.limit());
    }
}

/// The middle value, the lower one of the two middle values for an even
/// count (no-load errs low rather than high).
fn lower_median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[(sorted.len() - 1) / 2]
}

#[cfg(test)]
#[path = "adaptive_limit_tests.rs"]
mod tests;
