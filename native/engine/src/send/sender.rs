//! Sends one request the way the options say: through the host's circuit
//! breaker, under the engine's concurrency cap and rate limit, with the
//! OAuth2 token when configured, retried with exponential backoff and full
//! jitter, with `Retry-After` honoured and the body size bounded.

use std::borrow::Cow;
use std::time::{Duration, Instant};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use rand::Rng;
use reqwest::header::HeaderValue;

use crate::metrics::Counters;
use crate::options::engine_options::{EngineOptions, RetryPolicy};
use crate::plan::request::RequestSpec;
use crate::send::attempt::{self, Attempt};
use crate::send::circuit::{host_of, CircuitBreaker, Verdict};
use crate::send::connection_cap::ConnectionCap;
use crate::send::direct_http::{self, DirectHttp, Exchange, Target};
use crate::send::host_limits::{InFlight, Slot};
use crate::send::oauth::OAuth2;
use crate::send::outcome::Outcome;
use crate::send::rate_gate::RateGate;

/// Everything needed to send requests; shared by all tasks of an engine.
pub struct Sender {
    client: reqwest::Client,
    /// Plain `http://` requests skip reqwest (None with proxies set).
    direct: Option<DirectHttp>,
    /// Fixed `concurrency`, or adaptive per host with `concurrency=auto`.
    in_flight: InFlight,
    /// Connections per host within the requests in flight.
    connections: ConnectionCap,
    /// Per-host pacing by rate-limit headers (`honorRateLimitHeaders`).
    gate: Option<RateGate>,
    limiter: Option<DefaultDirectRateLimiter>,
    retry: RetryPolicy,
    max_response_bytes: usize,
    request_timeout: Duration,
    breaker: Option<CircuitBreaker>,
    oauth: Option<OAuth2>,
    /// Bodies are JSON unless a `Content-Type` header (or `bodyFormat`) says otherwise.
    json_content_type: bool,
}

/// How a request ended: its outcome, the verdict for the circuit breaker,
/// and how many attempts it took.
struct Finished {
    outcome: Outcome,
    verdict: Verdict,
    attempts: u32,
}

impl Sender {
    /// The engine's concurrency slots (shared by every task of the engine).
    pub fn permits(&self) -> &InFlight {
        &self.in_flight
    }

    pub fn new(
        client: reqwest::Client,
        direct: Option<DirectHttp>,
        oauth: Option<OAuth2>,
        options: &EngineOptions,
    ) -> Sender {
        Sender {
            client,
            direct,
            in_flight: InFlight::new(&options.throughput.concurrency),
            connections: ConnectionCap::default(),
            gate: options
                .throughput
                .honor_rate_limit_headers
                .then(RateGate::default),
            limiter: rate_limiter(options.rate_limit, options.rate_limit_burst),
            retry: options.retry.clone(),
            max_response_bytes: options.max_response_bytes,
            request_timeout: options.request_timeout,
            breaker: CircuitBreaker::new(
                options.circuit_breaker_threshold,
                options.circuit_breaker_cooldown,
            ),
            oauth,
            json_content_type: options.json_content_type,
        }
    }

    /// Sends `spec` until it succeeds, fails for good, or retries run out;
    /// fails fast while its host's circuit is open.
    pub async fn send(&self, spec: &RequestSpec, counters: &Counters) -> Outcome {
        // With a breaker, a request first waits for its slot and only then
        // asks the breaker: requests queued behind failing ones fail fast
        // once the circuit opened, instead of all being admitted up front.
        let mut first_slot = None;
        let ticket = match &self.breaker {
            Some(breaker) => {
                first_slot = self.in_flight.acquire(&spec.url).await;
                let host = host_of(&spec.url);
                match breaker.admit(&host).await {
                    Ok(ticket) => Some(ticket),
                    Err(()) => return Outcome::circuit_open(&host),
                }
            }
            None => None,
        };
        let finished = self.send_with_retries(spec, counters, first_slot).await;
        if let Some(ticket) = ticket {
            ticket.record(finished.verdict);
        }
        if finished.attempts > 1 {
            Counters::add(&counters.retried_requests, 1);
        }
        finished.outcome
    }

    async fn send_with_retries(
        &self,
        spec: &RequestSpec,
        counters: &Counters,
        mut slot: Option<Slot>,
    ) -> Finished {
        let mut retries = 0;
        let mut attempts = 0;
        let mut renewed_token = false;
        loop {
            let (attempt, token_generation) = self.attempt(spec, counters, slot.take()).await;
            attempts += 1;
            let done = |outcome, verdict| Finished {
                outcome,
                verdict,
                attempts,
            };
            let (outcome, retry_after, verdict) = match attempt {
                // The token may have been revoked or have expired early: get
                // a new one and send once more at once, whatever maxRetries.
                Attempt::Response { status: 401, .. }
                    if !renewed_token && token_generation.is_some() =>
                {
                    renewed_token = true;
                    if let (Some(oauth), Some(generation)) = (&self.oauth, token_generation) {
                        oauth.invalidate(generation).await;
                    }
                    Counters::add(&counters.retries, 1);
                    continue;
                }
                Attempt::Response {
                    status,
                    body,
                    retry_after,
                    link,
                    ..
                } => {
                    let verdict = if status == 429 || status >= 500 {
                        Verdict::Failure
                    } else {
                        Verdict::Success
                    };
                    let outcome = Outcome {
                        link,
                        ..Outcome::from_response(status, body)
                    };
                    if !self.retry.on_status.contains(&status) {
                        return done(outcome, verdict);
                    }
                    (outcome, retry_after, verdict)
                }
                Attempt::Transport(reason) => (Outcome::failed(reason), None, Verdict::Failure),
                // The host answered, with too much.
                Attempt::Fatal(reason) => return done(Outcome::failed(reason), Verdict::Success),
                Attempt::Token(e) if !e.retryable => {
                    return done(Outcome::failed(e.message), Verdict::Neutral)
                }
                Attempt::Token(e) => (Outcome::failed(e.message), None, Verdict::Neutral),
            };
            if retries >= self.retry.max_retries {
                return done(with_attempts(outcome, attempts), verdict);
            }
            let wait = retry_after.unwrap_or_else(|| self.backoff(retries));
            retries += 1;
            Counters::add(&counters.retries, 1);
            tokio::time::sleep(wait).await;
        }
    }

    /// One attempt, and the generation of the OAuth2 token it carried.
    /// `slot`: a slot already taken for this attempt (else taken here).
    async fn attempt(
        &self,
        spec: &RequestSpec,
        counters: &Counters,
        slot: Option<Slot>,
    ) -> (Attempt, Option<u64>) {
        // The slot bounds requests in flight for the whole engine (every
        // task of this executor with these options), per host when adaptive.
        let slot = match slot {
            Some(slot) => Some(slot),
            None => self.in_flight.acquire(&spec.url).await,
        };
        let Some(mut slot) = slot else {
            return (Attempt::Fatal("engine is shutting down".into()), None);
        };
        // Where a plain http:// URL goes, read once: its `host:port` is also
        // the gate's key (reading it twice was 3% of the engine at 0 ms).
        let target = self
            .direct
            .as_ref()
            .and_then(|_| direct_http::target(&spec.url));
        // Then the server's own word: wait while its budget is used up. Last
        // before sending, so tickets are numbered in the order requests go.
        let host: Option<Cow<'_, str>> = self.gate.as_ref().map(|_| match &target {
            Some(target) => Cow::Borrowed(target.host_port.as_str()),
            None => Cow::Owned(host_of(&spec.url)),
        });
        let ticket = match (&self.gate, &host) {
            (Some(gate), Some(host)) => {
                let (ticket, waited) = gate.admit(host).await;
                Counters::add(&counters.throttled_nanos, waited.as_nanos() as u64);
                slot.restart_clock();
                Some(ticket)
            }
            _ => None,
        };
        // The query's own rate last: requests released together by the
        // gate (a reset, a Retry-After) are still spaced by `rateLimit`.
        if let Some(limiter) = &self.limiter {
            let waited = Instant::now();
            limiter.until_ready().await;
            Counters::add(
                &counters.throttled_nanos,
                waited.elapsed().as_nanos() as u64,
            );
            slot.restart_clock();
        }
        counters.record_limits(slot.limits());
        // Taken after the waits above, so the token's refresh margin need
        // not cover time spent queueing.
        let bearer = match &self.oauth {
            Some(oauth) => match oauth.bearer(counters).await {
                Ok(bearer) => Some(bearer),
                Err(e) => return (Attempt::Token(e), None),
            },
            None => None,
        };
        Counters::add(&counters.requests, 1);
        let started = Instant::now();
        let result = self
            .exchange(
                spec,
                target.as_ref(),
                bearer.as_ref().map(|b| &b.header),
                started,
            )
            .await;
        counters.record_latency(started.elapsed().as_nanos() as u64);
        slot.finish(&result);
        if let (Some(gate), Some(host), Some(ticket)) = (&self.gate, &host, ticket) {
            crate::send::rate_gate::observe_attempt(gate, host, ticket, &result);
        }
        if let Attempt::Response { body, .. } = &result {
            Counters::add(&counters.bytes_received, body.len() as u64);
        }
        (result, bearer.map(|b| b.generation))
    }

    /// One HTTP exchange: plain `http://` URLs over our own HTTP/1.1
    /// (`direct_http`), everything else and redirects through reqwest.
    async fn exchange(
        &self,
        spec: &RequestSpec,
        target: Option<&Target<'_>>,
        bearer: Option<&HeaderValue>,
        started: Instant,
    ) -> Attempt {
        if let (Some(direct), Some(target)) = (&self.direct, target) {
            let exchange = Exchange {
                method: &spec.method,
                body: spec.body.as_deref(),
                json_content_type: self.json_content_type,
                bearer,
                limit: self.max_response_bytes,
                timeout: self.request_timeout,
                started,
            };
            if let Some(attempt) = direct.read(target, &exchange).await {
                return attempt;
            }
        }
        let mut request = self.client.request(spec.method.clone(), &spec.url);
        if let Some(bearer) = bearer {
            request = request.header(reqwest::header::AUTHORIZATION, bearer.clone());
        }
        if let Some(body) = &spec.body {
            if self.json_content_type {
                request = request.header(reqwest::header::CONTENT_TYPE, "application/json");
            }
            request = request.body(body.clone());
        }
        // The ticket keeps connections to the host within the requests in
        // flight (`connection_cap`): 256 slots once made 495 connections.
        let connection = self.connections.ticket(&spec.url);
        attempt::read(
            request,
            self.max_response_bytes,
            self.request_timeout,
            &connection,
        )
        .await
    }

    /// Full jitter: uniform in [0, min(cap, base * 2^retry)].
    fn backoff(&self, retry: u32) -> Duration {
        let base = self.retry.backoff.as_millis() as u64;
        let ceiling = base
            .saturating_mul(1u64 << retry.min(30))
            .min(self.retry.max_backoff.as_millis() as u64);
        Duration::from_millis(rand::rng().random_range(0..=ceiling))
    }
}

fn with_attempts(mut outcome: Outcome, attempts: u32) -> Outcome {
    if attempts > 1 {
        if let Some(e) = &outcome.error {
            outcome.error = Some(format!("{e} (after {attempts} attempts)"));
        }
    }
    outcome
}

fn rate_limiter(rate: f64, burst: u32) -> Option<DefaultDirectRateLimiter> {
    if rate <= 0.0 {
        return None;
    }
    // Spacing requests 5% wider than 1/rate keeps every one-second window
    // the API sees at or below the limit even when requests released on
    // time reach the server up to 50 ms apart from each other (a loaded
    // machine), and still reaches 95% of the limit.
    let period = Duration::from_secs_f64(1.05 / rate);
    let quota = Quota::with_period(period)?.allow_burst(std::num::NonZeroU32::new(burst)?);
    Some(RateLimiter::direct(quota))
}
