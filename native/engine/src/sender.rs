//! Sends one request the way the options say: under the engine's concurrency
//! cap and rate limit, retried with exponential backoff and full jitter, with
//! `Retry-After` honoured and the body size bounded.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use rand::Rng;
use tokio::sync::Semaphore;

use crate::metrics::Counters;
use crate::options::{EngineOptions, RetryPolicy};
use crate::outcome::Outcome;
use crate::request::RequestSpec;

/// Everything needed to send requests; shared by all tasks of an engine.
pub struct Sender {
    client: reqwest::Client,
    in_flight: Arc<Semaphore>,
    limiter: Option<DefaultDirectRateLimiter>,
    retry: RetryPolicy,
    max_response_bytes: usize,
    request_timeout: Duration,
}

/// One attempt's result before the retry decision.
enum Attempt {
    Response {
        status: u16,
        body: Vec<u8>,
        retry_after: Option<Duration>,
    },
    /// Connection errors and timeouts: always retried.
    Transport(String),
    /// Not worth retrying (e.g. the body is too large).
    Fatal(String),
}

impl Sender {
    pub fn new(client: reqwest::Client, options: &EngineOptions) -> Sender {
        Sender {
            client,
            in_flight: Arc::new(Semaphore::new(options.concurrency)),
            limiter: rate_limiter(options.rate_limit, options.rate_limit_burst),
            retry: options.retry.clone(),
            max_response_bytes: options.max_response_bytes,
            request_timeout: options.request_timeout,
        }
    }

    /// Sends `spec` until it succeeds, fails for good, or retries run out.
    pub async fn send(&self, spec: &RequestSpec, counters: &Counters) -> Outcome {
        let mut retries = 0;
        loop {
            let attempt = self.attempt(spec, counters).await;
            let (outcome, retry_after) = match attempt {
                Attempt::Response {
                    status,
                    body,
                    retry_after,
                } => {
                    let retryable = self.retry.on_status.contains(&status);
                    let outcome = Outcome::from_response(status, body);
                    if !retryable {
                        return outcome;
                    }
                    (outcome, retry_after)
                }
                Attempt::Transport(reason) => (Outcome::failed(reason), None),
                Attempt::Fatal(reason) => return Outcome::failed(reason),
            };
            if retries >= self.retry.max_retries {
                return with_attempts(outcome, retries);
            }
            let wait = retry_after.unwrap_or_else(|| self.backoff(retries));
            retries += 1;
            Counters::add(&counters.retries, 1);
            tokio::time::sleep(wait).await;
        }
    }

    async fn attempt(&self, spec: &RequestSpec, counters: &Counters) -> Attempt {
        if let Some(limiter) = &self.limiter {
            let waited = Instant::now();
            limiter.until_ready().await;
            Counters::add(
                &counters.throttled_nanos,
                waited.elapsed().as_nanos() as u64,
            );
        }
        // The permit bounds requests in flight for the whole engine, i.e.
        // for every task of this executor with these options.
        let Ok(_permit) = self.in_flight.acquire().await else {
            return Attempt::Fatal("engine is shutting down".into());
        };
        Counters::add(&counters.requests, 1);
        let started = Instant::now();
        let mut request = self.client.request(spec.method.clone(), &spec.url);
        if let Some(body) = &spec.body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let result = self.read(request).await;
        Counters::add(
            &counters.latency_nanos_total,
            started.elapsed().as_nanos() as u64,
        );
        if let Attempt::Response { body, .. } = &result {
            Counters::add(&counters.bytes_received, body.len() as u64);
        }
        result
    }

    async fn read(&self, request: reqwest::RequestBuilder) -> Attempt {
        let mut response = match request.send().await {
            Ok(r) => r,
            Err(e) => return Attempt::Transport(self.describe(&e)),
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let limit = self.max_response_bytes;
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Attempt::Fatal(too_large(limit));
        }
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > limit {
                        return Attempt::Fatal(too_large(limit));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return Attempt::Transport(self.describe(&e)),
            }
        }
        Attempt::Response {
            status,
            body,
            retry_after,
        }
    }

    /// Full jitter: uniform in [0, min(cap, base * 2^retry)].
    fn backoff(&self, retry: u32) -> Duration {
        let base = self.retry.backoff.as_millis() as u64;
        let ceiling = base
            .saturating_mul(1u64 << retry.min(30))
            .min(self.retry.max_backoff.as_millis() as u64);
        Duration::from_millis(rand::rng().random_range(0..=ceiling))
    }

    /// A one-line reason without the URL (it may carry a key in its query).
    fn describe(&self, e: &reqwest::Error) -> String {
        if e.is_timeout() {
            return format!(
                "timeout: no complete response within requestTimeout ({} ms)",
                self.request_timeout.as_millis()
            );
        }
        let mut chain = Vec::new();
        let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
        while let Some(s) = source {
            chain.push(s.to_string());
            source = s.source();
        }
        let detail = chain
            .last()
            .cloned()
            .unwrap_or_else(|| "request failed".into());
        if e.is_connect() {
            format!("connection failed: {detail}")
        } else {
            format!("request failed: {detail}")
        }
    }
}

fn too_large(limit: usize) -> String {
    format!("response larger than maxResponseBytes ({limit} bytes)")
}

fn with_attempts(mut outcome: Outcome, retries: u32) -> Outcome {
    if retries > 0 {
        if let Some(e) = &outcome.error {
            outcome.error = Some(format!("{e} (after {} attempts)", retries + 1));
        }
    }
    outcome
}

fn rate_limiter(rate: f64, burst: u32) -> Option<DefaultDirectRateLimiter> {
    if rate <= 0.0 {
        return None;
    }
    // A period a hair longer than 1/rate keeps any one-second window at or
    // below the limit even when the first and last request sit on its edges.
    let period = Duration::from_secs_f64(1.0 / rate * 1.01);
    let quota = Quota::with_period(period)?.allow_burst(std::num::NonZeroU32::new(burst)?);
    Some(RateLimiter::direct(quota))
}

/// `Retry-After`: delay seconds or an HTTP date.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_accepts_seconds_and_dates() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        let later = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(5));
        let d = parse_retry_after(&later).unwrap();
        assert!(
            d <= Duration::from_secs(5) && d >= Duration::from_secs(3),
            "{d:?}"
        );
        assert_eq!(parse_retry_after("soon"), None);
    }
}
