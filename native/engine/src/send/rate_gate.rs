//! Pacing by the server's word (`honorRateLimitHeaders`): per host, the
//! budget its rate-limit headers report, and its `Retry-After`. When the
//! budget is used up, requests to that host wait for the reset instead of
//! being sent and answered 429.
//!
//! The budget is counted in requests let through. A response that says
//! `remaining = R` was counted by the server after the requests that
//! reached it first; assuming none of the requests sent after it were, the
//! budget is gone once `seq + R` requests have been let through (`seq`:
//! its own number). Every report can only lower that mark (the minimum is
//! kept), so answers arriving out of order never raise it.
//!
//! A window ends at the earliest reset any report gave. Then a new epoch
//! starts with the full quota (`limit`) when the server told it, else
//! unknown until the first report; answers to requests let through in an
//! older epoch describe an older window and are ignored.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::send::attempt::Attempt;
use crate::send::rate_headers::RateInfo;

/// The shortest wait for a reset: a server that rounds down says "0 s"
/// while up to a second of its window is left.
const MIN_RESET_WAIT: Duration = Duration::from_millis(50);
/// When the budget is gone and no report said when it resets: wait this
/// long, then let a new epoch probe.
const UNKNOWN_RESET_WAIT: Duration = Duration::from_secs(1);

#[derive(Default)]
pub struct RateGate {
    hosts: Mutex<HashMap<String, Arc<Mutex<HostBudget>>>>,
}

/// Which request a report answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    seq: u64,
    epoch: u64,
}

#[derive(Debug, Default)]
struct HostBudget {
    /// Requests let through so far.
    sent: u64,
    epoch: u64,
    /// `sent` at which the current window's budget is gone.
    exhausted_at: Option<u64>,
    /// The earliest reset reported in this epoch.
    reset_at: Option<Instant>,
    /// The quota per window, once reported.
    quota: Option<u64>,
    /// `Retry-After`: nothing goes out before this.
    closed_until: Option<Instant>,
}

/// What the gate says to a request now.
#[derive(Debug, PartialEq, Eq)]
enum Decision {
    Go(Ticket),
    Wait(Duration),
}

impl RateGate {
    /// Waits until a request to `host` may go; returns its ticket and how
    /// long it waited.
    pub async fn admit(&self, host: &str) -> (Ticket, Duration) {
        let budget = self.budget(host);
        let started = Instant::now();
        // The first decision uses the start's clock reading: a request
        // that need not wait (nearly all) reads the clock once here.
        let mut now = started;
        loop {
            let decision = lock(&budget).decide(now);
            match decision {
                Decision::Go(ticket) => return (ticket, now - started),
                Decision::Wait(wait) => tokio::time::sleep(wait).await,
            }
            now = Instant::now();
        }
    }

    /// Learns from a response to the request of `ticket`.
    pub fn observe(
        &self,
        host: &str,
        ticket: Ticket,
        info: &RateInfo,
        retry_after: Option<Duration>,
    ) {
        if info.is_empty() && retry_after.is_none() {
            return;
        }
        lock(&self.budget(host)).observe(ticket, info, retry_after, Instant::now());
    }

    fn budget(&self, host: &str) -> Arc<Mutex<HostBudget>> {
        let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        // Looked up before inserting: no key allocated per request.
        if let Some(budget) = hosts.get(host) {
            return Arc::clone(budget);
        }
        Arc::clone(hosts.entry(host.to_string()).or_default())
    }
}

/// Feeds a finished attempt to the gate: its rate-limit headers, and its
/// `Retry-After` when the server refused it (429, 503).
pub fn observe_attempt(gate: &RateGate, host: &str, ticket: Ticket, attempt: &Attempt) {
    if let Attempt::Response {
        status,
        retry_after,
        rate,
        ..
    } = attempt
    {
        let refused = matches!(status, 429 | 503);
        gate.observe(host, ticket, rate, retry_after.filter(|_| refused));
    }
}

fn lock(budget: &Mutex<HostBudget>) -> std::sync::MutexGuard<'_, HostBudget> {
    budget.lock().unwrap_or_else(|p| p.into_inner())
}

impl HostBudget {
    fn decide(&mut self, now: Instant) -> Decision {
        if let Some(until) = self.closed_until {
            if until > now {
                return Decision::Wait(until - now);
            }
            self.closed_until = None;
        }
        if self.reset_at.is_some_and(|reset| reset <= now) {
            self.new_epoch();
        }
        if self.exhausted_at.is_some_and(|mark| self.sent >= mark) {
            let reset = *self.reset_at.get_or_insert(now + UNKNOWN_RESET_WAIT);
            return Decision::Wait((reset - now).max(Duration::from_millis(1)));
        }
        self.sent += 1;
        Decision::Go(Ticket {
            seq: self.sent,
            epoch: self.epoch,
        })
    }

    fn new_epoch(&mut self) {
        self.epoch += 1;
        self.reset_at = None;
        self.exhausted_at = self.quota.map(|quota| self.sent + quota);
    }

    fn observe(
        &mut self,
        ticket: Ticket,
        info: &RateInfo,
        retry_after: Option<Duration>,
        now: Instant,
    ) {
        if let Some(wait) = retry_after {
            let until = now + wait;
            self.closed_until = Some(self.closed_until.map_or(until, |u| u.max(until)));
        }
        if info.limit.is_some() {
            self.quota = info.limit;
        }
        if ticket.epoch != self.epoch {
            return;
        }
        if let Some(remaining) = info.remaining {
            let mark = ticket.seq + remaining;
            self.exhausted_at = Some(self.exhausted_at.map_or(mark, |m| m.min(mark)));
        }
        if let Some(reset) = info.reset {
            // "0 s" from a server that rounds down means "within a second".
            let at = now + reset.max(MIN_RESET_WAIT);
            self.reset_at = Some(self.reset_at.map_or(at, |r| r.min(at)));
        }
    }
}

#[cfg(test)]
#[path = "rate_gate_tests.rs"]
mod tests;
