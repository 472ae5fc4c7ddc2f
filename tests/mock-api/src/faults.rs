//! The fault layer in front of every data endpoint, in the order a real
//! gateway would apply them: the server-side rate limit (429 +
//! `Retry-After`), authentication (401), latency and jitter, then random
//! failures (after the latency, like a backend that times out slowly).

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

use crate::oauth::TokenCheck;
use crate::reply::{error, json};
use crate::state::{AppState, Shared};

/// The randomness and the rate-limit window of the fault layer.
pub struct Faults {
    /// One seeded generator for all requests: with `--seed` the sequence of
    /// draws is reproducible (which request gets which draw still depends on
    /// arrival order).
    rng: Mutex<StdRng>,
    /// (wall-clock second, requests seen in it).
    window: Mutex<(u64, u64)>,
}

impl Faults {
    pub fn new(seed: Option<u64>) -> Faults {
        let rng = match seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_os_rng(),
        };
        Faults {
            rng: Mutex::new(rng),
            window: Mutex::new((0, 0)),
        }
    }

    fn rng(&self) -> MutexGuard<'_, StdRng> {
        self.rng.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts a request in the current wall-clock second; false once more
    /// than `limit` arrived in it. Rejected requests count too, as they do
    /// against a real API's quota.
    fn admit(&self, limit: u64) -> bool {
        let second = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let mut window = self.window.lock().unwrap_or_else(|p| p.into_inner());
        if window.0 != second {
            *window = (second, 0);
        }
        window.1 += 1;
        window.1 <= limit
    }

    fn delay(&self, latency_ms: u64, jitter_ms: u64) -> Duration {
        let jitter = if jitter_ms > 0 {
            self.rng().random_range(0..=jitter_ms)
        } else {
            0
        };
        Duration::from_millis(latency_ms + jitter)
    }

    fn should_fail(&self, rate: f64) -> bool {
        rate > 0.0 && self.rng().random::<f64>() < rate
    }
}

/// Middleware around the data endpoints.
pub async fn inject(State(app): State<Shared>, request: Request, next: Next) -> Response {
    let config = &app.config;
    if config.limit_rps > 0 && !app.faults.admit(config.limit_rps) {
        let mut response = error(StatusCode::TOO_MANY_REQUESTS, "rate limit exceeded");
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return response;
    }
    if let Err(reason) = authorize(&app, request.headers()) {
        let mut response = error(StatusCode::UNAUTHORIZED, reason);
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return response;
    }
    let delay = app.faults.delay(config.latency_ms, config.jitter_ms)
        + crate::stragglers::extra_delay(config, &mut *app.faults.rng());
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if app.faults.should_fail(config.fail_rate) {
        let status =
            StatusCode::from_u16(config.fail_status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        return json(
            status,
            json!({ "error": "injected failure", "status": status.as_u16() }),
        );
    }
    next.run(request).await
}

/// Accepts the static token (`--require-token`) or an unexpired OAuth token
/// (`--oauth-client-id`); anything goes when neither is configured.
fn authorize(app: &AppState, headers: &HeaderMap) -> Result<(), &'static str> {
    let config = &app.config;
    if config.require_token.is_none() && config.oauth_client_id.is_none() {
        return Ok(());
    }
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .ok_or("missing bearer token")?;
    if config.require_token.as_deref() == Some(token) {
        return Ok(());
    }
    if config.oauth_client_id.is_some() {
        return match app.tokens.check(token) {
            TokenCheck::Valid => Ok(()),
            TokenCheck::Expired => Err("token expired"),
            TokenCheck::Unknown => Err("invalid token"),
        };
    }
    Err("invalid token")
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::testutil::{get, request};
    use crate::{Config, MockServer};

    #[tokio::test]
    async fn limit_rps_answers_429_with_retry_after() {
        let config = Config {
            limit_rps: 5,
            ..Config::default()
        };
        let server = MockServer::start(config).await.unwrap();
        let mut throttled = 0;
        for _ in 0..20 {
            let reply = get(server.addr(), "/customers/1").await;
            if reply.status == 429 {
                assert_eq!(reply.header("retry-after"), Some("1"));
                throttled += 1;
            }
        }
        // 20 quick requests span at most two wall-clock seconds: at most 10
        // are admitted.
        assert!(throttled >= 10, "only {throttled} throttled");
        let stats = server.stats();
        assert_eq!(stats.total, 20);
        assert_eq!(stats.by_status["429"], throttled);
    }

    #[tokio::test]
    async fn fail_rate_is_roughly_honoured_and_reproducible() {
        let mut outcomes = Vec::new();
        for _ in 0..2 {
            let config = Config {
                fail_rate: 0.3,
                fail_status: 500,
                seed: Some(42),
                ..Config::default()
            };
            let server = MockServer::start(config).await.unwrap();
            let mut statuses = Vec::new();
            for id in 0..200 {
                statuses.push(get(server.addr(), &format!("/customers/{id}")).await.status);
            }
            outcomes.push(statuses);
        }
        let failed = outcomes[0].iter().filter(|&&s| s == 500).count();
        assert!((30..=90).contains(&failed), "{failed} of 200 failed");
        assert_eq!(
            outcomes[0], outcomes[1],
            "same seed, same sequential outcomes"
        );
    }

    #[tokio::test]
    async fn latency_and_jitter_delay_responses() {
        let config = Config {
            latency_ms: 100,
            jitter_ms: 50,
            ..Config::default()
        };
        let server = MockServer::start(config).await.unwrap();
        let started = Instant::now();
        assert_eq!(get(server.addr(), "/customers/1").await.status, 200);
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(100), "{elapsed:?}");
        // Control endpoints are not delayed.
        let started = Instant::now();
        assert_eq!(get(server.addr(), "/stats").await.status, 200);
        assert!(started.elapsed() < Duration::from_millis(100));
    }

    #[tokio::test]
    async fn require_token_guards_data_endpoints() {
        let config = Config {
            require_token: Some("s3cret".into()),
            ..Config::default()
        };
        let server = MockServer::start(config).await.unwrap();
        let addr = server.addr();
        let missing = get(addr, "/customers/1").await;
        assert_eq!(missing.status, 401);
        assert_eq!(missing.header("www-authenticate"), Some("Bearer"));
        let wrong = request(
            addr,
            "GET",
            "/customers/1",
            &[("Authorization", "Bearer nope")],
            "",
        )
        .await;
        assert_eq!(wrong.status, 401);
        let right = request(
            addr,
            "GET",
            "/customers/1",
            &[("Authorization", "bearer s3cret")],
            "",
        )
        .await;
        assert_eq!(right.status, 200);
        assert_eq!(get(addr, "/stats").await.status, 200);
        assert_eq!(server.stats().by_status["401"], 2);
    }
}
