//! Per-host circuit breaker (`circuitBreakerThreshold`,
//! `circuitBreakerCooldown`). After `threshold` consecutive failed requests
//! (transport errors, or 5xx/429 after retries) a host's circuit opens: its
//! rows fail fast, without a request, for `cooldown`. Then one trial request
//! goes through (half-open) while the host's other requests wait for its
//! verdict: success closes the circuit, failure opens it again. Waiting
//! rather than failing them keeps the rows of the batch that arrives after
//! the cooldown from failing just because the trial is still in flight.
//!
//! The state lives in the engine, so every task of an executor shares it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::watch;

pub struct CircuitBreaker {
    threshold: u32,
    cooldown: Duration,
    hosts: Mutex<HashMap<String, State>>,
}

enum State {
    Closed {
        failures: u32,
    },
    Open {
        until: Instant,
    },
    /// A trial is in flight; its ticket holds the sender, whose drop (after
    /// the verdict is recorded) wakes the waiters.
    HalfOpen {
        settled: watch::Receiver<()>,
    },
}

/// How a request that was let through ended, for the breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The host answered (2xx, 4xx other than 429, or a too-large body).
    Success,
    /// Transport error or 5xx/429 after retries.
    Failure,
    /// The host was not asked (e.g. the OAuth2 token request failed).
    Neutral,
}

/// Permission to send one request to a host; record its verdict.
pub struct Ticket<'a> {
    breaker: &'a CircuitBreaker,
    host: String,
    /// Set for the half-open trial; dropping it wakes the waiters.
    trial: Option<watch::Sender<()>>,
}

impl CircuitBreaker {
    /// None when `threshold` is 0 (the breaker is off).
    pub fn new(threshold: u32, cooldown: Duration) -> Option<CircuitBreaker> {
        (threshold > 0).then(|| CircuitBreaker {
            threshold,
            cooldown,
            hosts: Mutex::new(HashMap::new()),
        })
    }

    /// A ticket for one request to `host`, or `Err(())` while its circuit is
    /// open. During a trial this waits for the trial's verdict.
    pub async fn admit(&self, host: &str) -> Result<Ticket<'_>, ()> {
        loop {
            let mut settled = {
                let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
                let state = hosts
                    .entry(host.to_string())
                    .or_insert(State::Closed { failures: 0 });
                match state {
                    State::Closed { .. } => return Ok(self.ticket(host, None)),
                    State::Open { until } if Instant::now() < *until => return Err(()),
                    State::Open { .. } => {
                        let (sender, receiver) = watch::channel(());
                        *state = State::HalfOpen { settled: receiver };
                        return Ok(self.ticket(host, Some(sender)));
                    }
                    // A clone taken under the lock cannot miss the close.
                    State::HalfOpen { settled } => settled.clone(),
                }
            };
            // Returns when the trial's sender is dropped, i.e. once the
            // verdict is recorded; then the state is read again.
            while settled.changed().await.is_ok() {}
        }
    }

    fn ticket(&self, host: &str, trial: Option<watch::Sender<()>>) -> Ticket<'_> {
        Ticket {
            breaker: self,
            host: host.to_string(),
            trial,
        }
    }

    fn settle(&self, host: &str, trial: bool, verdict: Verdict) {
        let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        let Some(state) = hosts.get_mut(host) else {
            return;
        };
        let cooldown_ms = self.cooldown.as_millis() as u64;
        if trial {
            *state = match verdict {
                // The host was not asked: the next request tries instead.
                Verdict::Neutral => State::Open {
                    until: Instant::now(),
                },
                Verdict::Success => {
                    tracing::info!(host, "circuit closed: the trial request succeeded");
                    State::Closed { failures: 0 }
                }
                Verdict::Failure => {
                    tracing::warn!(
                        host,
                        cooldown_ms,
                        "circuit opened again: the trial request failed; failing the host's rows fast"
                    );
                    State::Open {
                        until: Instant::now() + self.cooldown,
                    }
                }
            };
            return;
        }
        // A late verdict of a request let through before the circuit opened
        // says nothing about the host now.
        let State::Closed { failures } = state else {
            return;
        };
        match verdict {
            Verdict::Success => *failures = 0,
            Verdict::Neutral => {}
            Verdict::Failure => {
                *failures += 1;
                let failures = *failures;
                if failures >= self.threshold {
                    *state = State::Open {
                        until: Instant::now() + self.cooldown,
                    };
                    tracing::warn!(
                        host,
                        failures,
                        cooldown_ms,
                        "circuit opened after consecutive failures; failing the host's rows fast"
                    );
                }
            }
        }
    }
}

impl Ticket<'_> {
    pub fn record(mut self, verdict: Verdict) {
        let trial = self.trial.take();
        self.breaker.settle(&self.host, trial.is_some(), verdict);
        // `trial` drops here, after the state changed: the waiters wake.
    }
}

impl Drop for Ticket<'_> {
    /// A trial dropped without a verdict (its request was cancelled) must
    /// not leave the host half-open forever.
    fn drop(&mut self) {
        if self.trial.take().is_some() {
            self.breaker.settle(&self.host, true, Verdict::Neutral);
        }
    }
}

/// `host:port` of a URL, the unit the breaker tracks (two services on one
/// host are two circuits).
pub fn host_of(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) => match (u.host_str(), u.port_or_known_default()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            _ => String::new(),
        },
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_log::capture;

    fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn opens_after_threshold_then_trial_closes_it() {
        let ((), log) = capture(|| {
            block_on(async {
                let b = CircuitBreaker::new(2, Duration::from_millis(50)).unwrap();
                b.admit("h:1").await.unwrap().record(Verdict::Failure);
                b.admit("h:1").await.unwrap().record(Verdict::Success); // resets
                b.admit("h:1").await.unwrap().record(Verdict::Failure);
                b.admit("h:1").await.unwrap().record(Verdict::Failure);
                assert!(b.admit("h:1").await.is_err(), "open");
                assert!(b.admit("h:2").await.is_ok(), "other hosts are not affected");
                tokio::time::sleep(Duration::from_millis(60)).await;
                let trial = b.admit("h:1").await.unwrap();
                assert!(trial.trial.is_some());
                trial.record(Verdict::Success);
                assert!(b.admit("h:1").await.unwrap().trial.is_none(), "closed");
            })
        });
        assert_eq!(log.lines_with("circuit opened").len(), 1, "{}", log.text());
        assert_eq!(log.lines_with("circuit closed").len(), 1, "{}", log.text());
        assert!(log.text().contains("WARN") && log.text().contains("h:1"));
    }

    #[test]
    fn a_failed_trial_reopens_and_waiters_follow_the_verdict() {
        block_on(async {
            let b = CircuitBreaker::new(1, Duration::from_millis(30)).unwrap();
            b.admit("h").await.unwrap().record(Verdict::Failure);
            tokio::time::sleep(Duration::from_millis(40)).await;
            let trial = b.admit("h").await.unwrap();
            // A second request waits for the trial's verdict ...
            let waiter = b.admit("h");
            let record_later = async {
                tokio::time::sleep(Duration::from_millis(10)).await;
                trial.record(Verdict::Failure);
            };
            let (waited, ()) = tokio::join!(waiter, record_later);
            // ... and fails fast once the trial reopened the circuit.
            assert!(waited.is_err());
            assert!(b.admit("h").await.is_err());
        });
    }

    #[test]
    fn a_dropped_trial_lets_the_next_request_try() {
        block_on(async {
            let b = CircuitBreaker::new(1, Duration::ZERO).unwrap();
            b.admit("h").await.unwrap().record(Verdict::Failure);
            drop(b.admit("h").await.unwrap());
            let next = b.admit("h").await.unwrap();
            assert!(next.trial.is_some());
        });
        assert!(CircuitBreaker::new(0, Duration::ZERO).is_none());
    }

    #[test]
    fn hosts_include_the_port() {
        assert_eq!(host_of("http://127.0.0.1:8080/x"), "127.0.0.1:8080");
        assert_eq!(host_of("https://api.example.com/x"), "api.example.com:443");
    }
}
