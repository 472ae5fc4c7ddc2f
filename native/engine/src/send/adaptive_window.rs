//! One measurement round of the adaptive limit (`adaptive_limit`): the
//! first requests sent under a limit, judged once every one of them ended.
//!
//! Why whole rounds (TCP's "one window of packets"): a server that queues in
//! arrival order answers some requests at once and makes others wait, so a
//! window closed after a fixed time or count sees the quick answers first
//! and misses the queue. Every request of a round counts, and the round's
//! mean latency is what Little's law relates to the server's capacity:
//! `in flight = throughput x mean latency`.
//!
//! A latency counts at most `cap` (see `adaptive_limit`), so the round need
//! not wait for a straggler: once `cap` has passed since its last request
//! was sent, every request still out would count `cap`, and it ends.

use std::time::{Duration, Instant};

/// Fewest requests in a round.
const MIN_SIZE: usize = 8;

/// Identifies the round a request was counted in; 0 for none.
pub type RoundId = u64;

#[derive(Debug)]
pub struct Round {
    pub id: RoundId,
    size: usize,
    sent: usize,
    ended: usize,
    answered: usize,
    latency_sum: f64,
    max_in_flight: usize,
    last_sent: Option<Instant>,
}

impl Round {
    /// A round of `share` of `limit` requests (at least `MIN_SIZE`).
    pub fn new(id: RoundId, limit: f64, share: f64) -> Round {
        Round {
            id,
            size: MIN_SIZE.max((limit * share).round() as usize),
            sent: 0,
            ended: 0,
            answered: 0,
            latency_sum: 0.0,
            max_in_flight: 0,
            last_sent: None,
        }
    }

    /// Counts a request being sent; the round it belongs to (0 once full).
    pub fn on_send(&mut self, now: Instant) -> RoundId {
        if self.sent < self.size {
            self.sent += 1;
            self.last_sent = Some(now);
            self.id
        } else {
            0
        }
    }

    /// One request of this round ended: answered (`Some`, its latency) or
    /// abandoned (`None`). True once every request of the round ended.
    pub fn on_end(&mut self, answer: Option<(Duration, usize)>, cap: Duration) -> bool {
        self.ended += 1;
        if let Some((latency, in_flight)) = answer {
            self.latency_sum += latency.min(cap).as_secs_f64();
            self.answered += 1;
            self.max_in_flight = self.max_in_flight.max(in_flight);
        }
        self.ended >= self.size
    }

    /// Whether every request of the round was sent at least `cap` ago.
    pub fn overdue(&self, now: Instant, cap: Duration) -> bool {
        self.sent >= self.size
            && self
                .last_sent
                .is_some_and(|sent| now.saturating_duration_since(sent) >= cap)
    }

    /// The round's mean latency in seconds, each latency capped at `cap`
    /// and requests still out counted at `cap`; None when nothing was
    /// answered.
    pub fn mean(&self, cap: Duration) -> Option<f64> {
        let out = self.sent.saturating_sub(self.ended);
        let sum = self.latency_sum + out as f64 * cap.as_secs_f64();
        (self.answered > 0).then(|| sum / (self.answered + out) as f64)
    }

    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight
    }
}
