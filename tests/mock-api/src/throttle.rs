//! APIs with a limited throughput, for adaptive concurrency and rate-limit
//! headers:
//! - `GET /capacity/{slots}/{ms}/{id}`: a server that works on at most
//!   `slots` requests at once, `ms` each, and queues the rest in arrival
//!   order, so latency grows with load once more than `slots` are in flight
//!   and throughput never exceeds `slots * 1000 / ms` per second.
//! - `GET /ratelimited/{rps}/{style}/{id}`: at most `rps` requests per
//!   wall-clock second (the rest get 429 with `Retry-After`), announcing
//!   its budget in the headers of `style`: `draft` (`RateLimit-Limit`,
//!   `-Remaining`, `-Reset` in delta seconds), `structured` (`RateLimit:
//!   "default";r=..;t=..` and `RateLimit-Policy: "default";q=..;w=1`), `x`
//!   (`X-RateLimit-Limit`, `-Remaining`, `-Reset` as epoch seconds) or
//!   `none` (429 and `Retry-After` only).
//!
//! Each distinct `slots` (or `rps/style`) is its own server, so tests do
//! not share a budget by accident. `/stats` counts them like every data
//! endpoint (by path `/capacity`, `/ratelimited`; 429s by status).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{Path, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::json;
use tokio::sync::Semaphore;

use crate::reply::{error, json};
use crate::state::Shared;

const MAX_SLOTS: usize = 100_000;
const MAX_MS: u64 = 60_000;

#[derive(Default)]
pub struct Throttle {
    capacities: Mutex<HashMap<usize, Arc<Semaphore>>>,
    /// Per `rps/style`: (wall-clock second, requests in it).
    windows: Mutex<HashMap<String, (u64, u64)>>,
}

impl Throttle {
    fn slots(&self, slots: usize) -> Arc<Semaphore> {
        let mut map = self.capacities.lock().unwrap_or_else(|p| p.into_inner());
        Arc::clone(
            map.entry(slots)
                .or_insert_with(|| Arc::new(Semaphore::new(slots))),
        )
    }

    /// Counts a request in `second` for `key`; its number in that second.
    fn count(&self, key: String, second: u64) -> u64 {
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let window = windows.entry(key).or_insert((second, 0));
        if window.0 != second {
            *window = (second, 0);
        }
        window.1 += 1;
        window.1
    }
}

/// `GET /capacity/{slots}/{ms}/{id}`.
pub async fn capacity(
    State(app): State<Shared>,
    Path((slots, ms, id)): Path<(usize, u64, String)>,
) -> Response {
    if !(1..=MAX_SLOTS).contains(&slots) || ms > MAX_MS {
        return error(
            StatusCode::BAD_REQUEST,
            "slots must be 1..=100000 and ms at most 60000",
        );
    }
    let Ok(_slot) = app.throttle.slots(slots).acquire_owned().await else {
        return error(StatusCode::SERVICE_UNAVAILABLE, "shutting down");
    };
    tokio::time::sleep(Duration::from_millis(ms)).await;
    json(StatusCode::OK, json!({ "id": id, "slots": slots }))
}

/// `GET /ratelimited/{rps}/{style}/{id}`.
pub async fn rate_limited(
    State(app): State<Shared>,
    Path((rps, style, id)): Path<(u64, String, String)>,
) -> Response {
    if !["draft", "structured", "x", "none"].contains(&style.as_str()) {
        return error(
            StatusCode::BAD_REQUEST,
            "style must be draft, structured, x or none",
        );
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let second = now.as_secs();
    let count = app.throttle.count(format!("{rps}/{style}"), second);
    let remaining = rps.saturating_sub(count);
    let mut response = if count > rps {
        let mut refused = error(StatusCode::TOO_MANY_REQUESTS, "rate limit exceeded");
        refused
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        refused
    } else {
        json(StatusCode::OK, json!({ "id": id, "remaining": remaining }))
    };
    // Delta seconds are rounded up, as the draft asks: never promise a
    // reset before it happens.
    let reset_delta = 1;
    let headers: Vec<(&str, String)> = match style.as_str() {
        "draft" => vec![
            ("ratelimit-limit", rps.to_string()),
            ("ratelimit-remaining", remaining.to_string()),
            ("ratelimit-reset", reset_delta.to_string()),
        ],
        "structured" => vec![
            (
                "ratelimit",
                format!("\"default\";r={remaining};t={reset_delta}"),
            ),
            ("ratelimit-policy", format!("\"default\";q={rps};w=1")),
        ],
        "x" => vec![
            ("x-ratelimit-limit", rps.to_string()),
            ("x-ratelimit-remaining", remaining.to_string()),
            ("x-ratelimit-reset", (second + 1).to_string()),
        ],
        _ => Vec::new(),
    };
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response
                .headers_mut()
                .insert(HeaderName::from_static(name), value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use crate::testutil::get;
    use crate::{Config, MockServer};

    #[tokio::test]
    async fn capacity_queues_beyond_its_slots() {
        let server = MockServer::start(Config::default()).await.unwrap();
        let addr = server.addr();
        let started = Instant::now();
        let replies = (0..4).map(|i| {
            let path = format!("/capacity/2/100/{i}");
            tokio::spawn(async move { get(addr, &path).await.status })
        });
        for reply in replies.collect::<Vec<_>>() {
            assert_eq!(reply.await.unwrap(), 200);
        }
        // Two rounds of 100 ms: the last two waited for the first two.
        assert!(started.elapsed().as_millis() >= 190);
        assert_eq!(get(addr, "/capacity/0/1/x").await.status, 400);
    }

    #[tokio::test]
    async fn rate_limited_announces_its_budget_then_refuses() {
        let server = MockServer::start(Config::default()).await.unwrap();
        let addr = server.addr();
        let mut statuses = Vec::new();
        let mut remaining = Vec::new();
        for i in 0..12 {
            let reply = get(addr, &format!("/ratelimited/5/draft/{i}")).await;
            statuses.push(reply.status);
            remaining.push(reply.header("ratelimit-remaining").unwrap().to_string());
            assert_eq!(reply.header("ratelimit-limit"), Some("5"));
        }
        // Within one or two wall-clock seconds: at most 10 pass.
        let passed = statuses.iter().filter(|s| **s == 200).count();
        assert!((5..=10).contains(&passed), "{statuses:?}");
        assert!(statuses.contains(&429), "{statuses:?}");
        assert!(remaining.iter().any(|r| r == "0"), "{remaining:?}");
        let x = get(addr, "/ratelimited/5/x/0").await;
        let reset: u64 = x.header("x-ratelimit-reset").unwrap().parse().unwrap();
        assert!(reset > 1_700_000_000);
        let s = get(addr, "/ratelimited/5/structured/0").await;
        assert_eq!(s.header("ratelimit-policy"), Some("\"default\";q=5;w=1"));
        assert!(s.header("ratelimit").unwrap().starts_with("\"default\";r="));
        assert_eq!(get(addr, "/ratelimited/5/weird/0").await.status, 400);
    }
}
