//! The in-flight cap the sender takes before each attempt: a fixed
//! `concurrency` shared by the whole engine, or with `concurrency=auto` one
//! adaptive limit per host (`adaptive_limit`), fed by every attempt's
//! latency and outcome.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::options::throughput_options::Concurrency;
use crate::send::adaptive_limit::{AdaptiveLimit, RoundId, Sample};
use crate::send::attempt::Attempt;
use crate::send::circuit::host_of;
use crate::send::concurrency::{Permit, ResizableSemaphore};

pub struct InFlight {
    mode: Mode,
}

enum Mode {
    Fixed(Arc<ResizableSemaphore>),
    Auto {
        min: usize,
        max: usize,
        hosts: Mutex<HashMap<String, Arc<HostLimit>>>,
    },
}

/// The adaptive limit of one host and the permits it sizes.
struct HostLimit {
    host: String,
    permits: Arc<ResizableSemaphore>,
    state: Mutex<HostState>,
}

struct HostState {
    algorithm: AdaptiveLimit,
    /// The limit last written to the log.
    logged: usize,
}

/// One attempt's place under the cap.
pub struct Slot {
    _permit: Permit,
    in_flight: usize,
    /// With `auto`: the host's limit, and the round this request counts in
    /// (reported when the slot ends, whether answered or abandoned).
    host: Option<(Arc<HostLimit>, RoundId)>,
    /// When the attempt started, for the host's latency samples (`auto`
    /// only: a fixed limit learns nothing, so it reads no clock).
    started: Option<Instant>,
    limit: usize,
    peak: usize,
}

impl InFlight {
    pub fn new(concurrency: &Concurrency) -> InFlight {
        let mode = match *concurrency {
            Concurrency::Fixed(n) => Mode::Fixed(ResizableSemaphore::new(n)),
            Concurrency::Auto { min, max } => Mode::Auto {
                min,
                max,
                hosts: Mutex::default(),
            },
        };
        InFlight { mode }
    }

    /// Waits for a place for a request to `url`; None once shutting down.
    pub async fn acquire(&self, url: &str) -> Option<Slot> {
        match &self.mode {
            Mode::Fixed(permits) => {
                let permit = permits.acquire().await?;
                let limit = permits.limit();
                Some(Slot {
                    in_flight: permit.in_flight,
                    _permit: permit,
                    host: None,
                    started: None,
                    limit,
                    peak: limit,
                })
            }
            Mode::Auto { min, max, hosts } => {
                let host = Arc::clone(
                    hosts
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .entry(host_of(url))
                        .or_insert_with_key(|host| HostLimit::new(host, *min, *max)),
                );
                let permit = host.permits.acquire().await?;
                let (limit, peak, round) = {
                    let mut state = host.state();
                    let round = state.algorithm.on_send(Instant::now());
                    (state.algorithm.limit(), state.algorithm.peak(), round)
                };
                Some(Slot {
                    in_flight: permit.in_flight,
                    _permit: permit,
                    host: Some((host, round)),
                    started: Some(Instant::now()),
                    limit,
                    peak,
                })
            }
        }
    }
}

impl InFlight {
    /// Requests on the wire now, over every host.
    pub fn in_use(&self) -> usize {
        match &self.mode {
            Mode::Fixed(permits) => permits.in_flight(),
            Mode::Auto { hosts, .. } => hosts
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .values()
                .map(|h| h.permits.in_flight())
                .sum(),
        }
    }
}

impl HostLimit {
    fn new(host: &str, min: usize, max: usize) -> Arc<HostLimit> {
        Arc::new(HostLimit {
            host: host.to_string(),
            permits: ResizableSemaphore::new(min),
            state: Mutex::new(HostState {
                algorithm: AdaptiveLimit::new(min, max, Instant::now()),
                logged: min,
            }),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, HostState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn learn(&self, round: RoundId, sample: Sample) {
        let mut state = self.state();
        let Some(limit) = state.algorithm.on_sample(round, sample, Instant::now()) else {
            return;
        };
        self.permits.resize(limit);
        // One line per doubling or halving, never one per request.
        let logged = state.logged;
        if limit > logged * 2 || limit * 2 < logged {
            state.logged = limit;
            tracing::info!(
                host = %self.host,
                from = logged,
                to = limit,
                peak = state.algorithm.peak(),
                "adaptive concurrency limit of host changed more than 2x"
            );
        }
    }
}

impl Slot {
    /// The limit when this request was admitted, and its peak so far.
    pub fn limits(&self) -> (usize, usize) {
        (self.limit, self.peak)
    }

    /// Starts the latency clock now (after waits that are not the server's).
    pub fn restart_clock(&mut self) {
        if self.started.is_some() {
            self.started = Some(Instant::now());
        }
    }

    /// Feeds the attempt's outcome and latency to the host's limit.
    pub fn finish(self, attempt: &Attempt) {
        if let Some(started) = self.started {
            let latency = started.elapsed();
            self.finish_after(attempt, latency);
        }
    }

    fn finish_after(mut self, attempt: &Attempt, latency: Duration) {
        if let Some((host, round)) = self.host.take() {
            host.learn(round, sample_of(attempt, latency, self.in_flight));
        }
    }
}

impl Drop for Slot {
    /// A slot given up without an attempt (a cancelled task, an open
    /// circuit) still ends its round, or the round would never close.
    fn drop(&mut self) {
        if let Some((host, round)) = self.host.take() {
            host.learn(round, Sample::Nothing);
        }
    }
}

/// What an attempt says about the host's capacity: 429, 503, timeouts and
/// connection failures are drops; other answers are latency samples;
/// failures of our own (token, body too large) say nothing.
fn sample_of(attempt: &Attempt, latency: Duration, in_flight: usize) -> Sample {
    match attempt {
        Attempt::Response {
            status: 429 | 503, ..
        } => Sample::Dropped,
        Attempt::Response { .. } => Sample::Answered { latency, in_flight },
        Attempt::Transport(_) => Sample::Dropped,
        Attempt::Fatal(_) | Attempt::Token(_) => Sample::Nothing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_log::capture;

    fn answered() -> Attempt {
        Attempt::Response {
            status: 200,
            body: Vec::new(),
            retry_after: None,
            link: None,
            rate: Default::default(),
        }
    }

    #[test]
    fn auto_grows_per_host_and_logs_each_doubling_once() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (peak, log) = capture(|| {
            rt.block_on(async {
                let limits = InFlight::new(&Concurrency::Auto { min: 4, max: 64 });
                // Keep the limit in use, with a constant (no queueing)
                // latency: the same for every answer, whatever the load of
                // the machine running the test. The limit also reads the
                // wall clock: a round whose requests are still out twice
                // the no-load latency after its last send is closed with
                // them counted as queued. With a 2 ms latency and a 2 ms
                // sleep per round, a loaded machine's pauses crossed that
                // line, and the limit stalled below 64 or fell and climbed
                // back, logging each time (12 copies of the test on one
                // core: 23 of 36 failed). So: no sleep, a latency no pause
                // comes near, and rounds until the limit is at its maximum
                // rather than a fixed number, within a generous deadline.
                let latency = Duration::from_secs(1);
                let deadline = Instant::now() + Duration::from_secs(10);
                loop {
                    let limit = limits.acquire("http://a:1/x").await.unwrap().limits().0;
                    if limit == 64 {
                        break;
                    }
                    assert!(Instant::now() < deadline, "the limit is still {limit}");
                    let mut slots = Vec::new();
                    for _ in 0..limit {
                        slots.push(limits.acquire("http://a:1/x").await.unwrap());
                    }
                    for slot in slots {
                        slot.finish_after(&answered(), latency);
                    }
                }
                let a = limits.acquire("http://a:1/x").await.unwrap().limits();
                let b = limits.acquire("http://b:1/x").await.unwrap().limits();
                assert_eq!(b, (4, 4), "another host starts at the minimum");
                a.1
            })
        });
        assert_eq!(peak, 64);
        let lines = log.lines_with("adaptive concurrency limit");
        // 4 -> >8 -> >16 -> >32 -> 64: at most one line per doubling.
        assert!((2..=5).contains(&lines.len()), "{}", log.text());
        assert!(lines
            .iter()
            .all(|l| l.contains("INFO") && l.contains("a:1")));
    }

    #[test]
    fn drops_are_429_503_and_transport_failures() {
        let d = Duration::from_millis(1);
        let with_status = |status| Attempt::Response {
            status,
            body: Vec::new(),
            retry_after: None,
            link: None,
            rate: Default::default(),
        };
        assert_eq!(sample_of(&with_status(429), d, 1), Sample::Dropped);
        assert_eq!(sample_of(&with_status(503), d, 1), Sample::Dropped);
        assert_eq!(
            sample_of(&Attempt::Transport("timeout".into()), d, 1),
            Sample::Dropped
        );
        assert!(matches!(
            sample_of(&with_status(404), d, 1),
            Sample::Answered { .. }
        ));
        assert_eq!(
            sample_of(&Attempt::Fatal("too big".into()), d, 1),
            Sample::Nothing
        );
    }
}
