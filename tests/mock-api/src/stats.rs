//! What the server saw, so tests can assert concurrency and rate from the
//! outside: counts by status and path, requests in flight (and their
//! maximum), and the most requests started within one second.
//!
//! One mutex guards everything: it is held for a few counter updates per
//! request, far below the cost of the HTTP work around it, and a single lock
//! keeps a snapshot self-consistent.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::{Request, State};
use axum::http::{StatusCode, Version};
use axum::middleware::Next;
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::state::Shared;

/// A snapshot of the counters, as served by `GET /stats`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Data requests started.
    pub total: u64,
    /// Data responses by status code ("200", "429", ...).
    pub by_status: BTreeMap<String, u64>,
    /// Data requests by first path segment ("/customers", "/items", ...).
    pub by_path: BTreeMap<String, u64>,
    pub in_flight: u64,
    pub max_in_flight: u64,
    /// Most requests started within one wall-clock second (`12:00:01.000` to
    /// `12:00:01.999`).
    pub max_per_second: u64,
    /// Most requests started within any sliding one-second window; never
    /// below `max_per_second`, and the number to compare with a rate limit.
    pub max_per_second_sliding: u64,
    /// Keys received by `POST /customers/batch`.
    pub batch_keys: u64,
    /// Tokens issued by `POST /oauth/token`.
    pub tokens_issued: u64,
    /// TCP connections accepted (all of them, control endpoints and failed
    /// TLS handshakes included): with keep-alive, far fewer than requests.
    pub connections: u64,
    /// Plain-TCP connections open now, and the most open at once (since
    /// the last reset): an engine must keep these within `concurrency`.
    /// Connections that carry `/stats` calls are left out.
    #[serde(default)]
    pub open_connections: u64,
    #[serde(default)]
    pub max_open_connections: u64,
    /// Data requests that came over HTTP/2 (the rest were HTTP/1.x).
    pub http2_requests: u64,
    /// `/compressed` responses by content coding (`"gzip"`, `"br"`,
    /// `"identity"`).
    pub by_encoding: BTreeMap<String, u64>,
    /// Microseconds the server spent on answered data requests, summed:
    /// divided by the answered count it is the API's real mean latency, so
    /// a benchmark's ideal (`concurrency / mean latency`) does not assume
    /// the nominal `--latency-ms` that timers and a loaded machine stretch.
    #[serde(default)]
    pub busy_micros: u64,
}

/// Caps the sliding window's memory; only reached above a million requests
/// per second, which this server cannot serve anyway.
const MAX_WINDOW: usize = 1_000_000;

#[derive(Default)]
struct Inner {
    stats: Stats,
    /// The wall-clock second being counted and its count so far.
    second: u64,
    second_count: u64,
    /// Start instants of the requests of the last second, oldest first.
    window: VecDeque<Instant>,
}

#[derive(Default)]
pub struct Recorder {
    inner: Mutex<Inner>,
}

impl Recorder {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain counters behind:
        // still fine to read and update.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn snapshot(&self) -> Stats {
        self.lock().stats.clone()
    }

    /// Zeroes everything except the requests still in flight, which will
    /// decrement `in_flight` when they finish.
    pub fn reset(&self) {
        let mut inner = self.lock();
        let in_flight = inner.stats.in_flight;
        let open = inner.stats.open_connections;
        *inner = Inner::default();
        inner.stats.in_flight = in_flight;
        inner.stats.max_in_flight = in_flight;
        inner.stats.open_connections = open;
        inner.stats.max_open_connections = open;
    }

    pub fn add_batch_keys(&self, keys: u64) {
        self.lock().stats.batch_keys += keys;
    }

    pub fn add_token(&self) {
        self.lock().stats.tokens_issued += 1;
    }

    pub fn add_connection(&self) {
        self.lock().stats.connections += 1;
    }

    /// Returns the open count after this one and the most before it.
    pub fn open_connection(&self) -> (u64, u64) {
        let mut inner = self.lock();
        let stats = &mut inner.stats;
        let before = stats.max_open_connections;
        stats.open_connections += 1;
        stats.max_open_connections = stats.max_open_connections.max(stats.open_connections);
        (stats.open_connections, before)
    }

    /// A connection whose first request was `/stats`: the test asking, not
    /// the client under test. It leaves the open count, and the most open
    /// at once if its own accept set it.
    pub fn forget_control_connection(&self, (open_after, max_before): (u64, u64)) {
        let mut inner = self.lock();
        let stats = &mut inner.stats;
        stats.open_connections = stats.open_connections.saturating_sub(1);
        if stats.max_open_connections == open_after {
            stats.max_open_connections = max_before.max(stats.open_connections);
        }
    }

    pub fn close_connection(&self) {
        let mut inner = self.lock();
        inner.stats.open_connections = inner.stats.open_connections.saturating_sub(1);
    }

    pub fn add_encoding(&self, encoding: &str) {
        *self
            .lock()
            .stats
            .by_encoding
            .entry(encoding.to_string())
            .or_default() += 1;
    }

    /// Counts a request starting now; the guard counts its end.
    fn begin(self: &Arc<Self>, path: &str, http2: bool) -> InFlight {
        let unix_second = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        self.record_start(path, unix_second, Instant::now());
        if http2 {
            self.lock().stats.http2_requests += 1;
        }
        InFlight {
            recorder: Arc::clone(self),
            started: Instant::now(),
        }
    }

    fn record_start(&self, path: &str, unix_second: u64, now: Instant) {
        let mut inner = self.lock();
        let inner = &mut *inner;
        let stats = &mut inner.stats;
        stats.total += 1;
        // Looked up before inserting: no allocation once the path is known.
        match stats.by_path.get_mut(path) {
            Some(n) => *n += 1,
            None => {
                stats.by_path.insert(path.to_string(), 1);
            }
        }
        stats.in_flight += 1;
        stats.max_in_flight = stats.max_in_flight.max(stats.in_flight);

        if inner.second != unix_second {
            inner.second = unix_second;
            inner.second_count = 0;
        }
        inner.second_count += 1;
        stats.max_per_second = stats.max_per_second.max(inner.second_count);

        // The window is (now - 1s, now]: a limiter spacing requests exactly
        // 1/N s apart shows N, not N + 1.
        while let Some(&oldest) = inner.window.front() {
            if now.duration_since(oldest) >= Duration::from_secs(1)
                || inner.window.len() >= MAX_WINDOW
            {
                inner.window.pop_front();
            } else {
                break;
            }
        }
        inner.window.push_back(now);
        stats.max_per_second_sliding = stats
            .max_per_second_sliding
            .max(inner.window.len() as u64)
            .max(stats.max_per_second);
    }
}

/// Decrements `in_flight` when dropped, so requests whose client went away
/// (the handler future is dropped) are not counted in flight forever.
struct InFlight {
    recorder: Arc<Recorder>,
    started: Instant,
}

impl InFlight {
    fn finish(self, status: StatusCode) {
        let busy = self.started.elapsed().as_micros() as u64;
        let mut inner = self.recorder.lock();
        inner.stats.busy_micros += busy;
        let by_status = &mut inner.stats.by_status;
        match by_status.get_mut(status.as_str()) {
            Some(n) => *n += 1,
            None => {
                by_status.insert(status.as_str().to_string(), 1);
            }
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut inner = self.recorder.lock();
        inner.stats.in_flight = inner.stats.in_flight.saturating_sub(1);
    }
}

/// `/customers/42` -> `/customers` (borrowed from the path when it starts
/// with a single slash, as request paths do).
fn first_segment(path: &str) -> std::borrow::Cow<'_, str> {
    if let Some(rest) = path.strip_prefix('/').filter(|r| !r.starts_with('/')) {
        let end = rest.find('/').unwrap_or(rest.len());
        return std::borrow::Cow::Borrowed(&path[..end + 1]);
    }
    let rest = path.trim_start_matches('/');
    std::borrow::Cow::Owned(format!("/{}", rest.split('/').next().unwrap_or_default()))
}

/// Middleware around the data endpoints (outside the fault layer, so
/// injected 429s, 401s and failures are counted too).
pub async fn track(
    State(recorder): State<Arc<Recorder>>,
    request: Request,
    next: Next,
) -> Response {
    let http2 = request.version() == Version::HTTP_2;
    let guard = recorder.begin(&first_segment(request.uri().path()), http2);
    let response = next.run(request).await;
    guard.finish(response.status());
    response
}

/// `GET /stats`
pub async fn get(State(app): State<Shared>) -> Json<Stats> {
    Json(app.stats.snapshot())
}

/// `POST /stats/reset`: the counters and the per-path hit counts of the
/// retry endpoints, so a test starts from a clean server.
pub async fn reset(State(app): State<Shared>) -> Json<Value> {
    app.reset();
    Json(json!({ "reset": true }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{get, get_json};
    use crate::{Config, MockServer};

    #[test]
    fn windows_count_starts_per_second() {
        let recorder = Recorder::default();
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        // Three in second 10 (late in it), two in second 11 (early): the
        // wall-clock max is 3, but the sliding window sees all 5.
        for offset in [700, 800, 900] {
            recorder.record_start("/a", 10, t0 + ms(offset));
        }
        for offset in [1000, 1100] {
            recorder.record_start("/b", 11, t0 + ms(offset));
        }
        // 2.2s: everything before 1.2s has left the sliding window.
        recorder.record_start("/b", 12, t0 + ms(2200));
        let stats = recorder.snapshot();
        assert_eq!(stats.total, 6);
        assert_eq!(stats.max_per_second, 3);
        assert_eq!(stats.max_per_second_sliding, 5);
        assert_eq!(stats.by_path["/a"], 3);
        assert_eq!(stats.in_flight, 6);

        recorder.reset();
        let stats = recorder.snapshot();
        assert_eq!(
            (stats.total, stats.in_flight, stats.max_in_flight),
            (0, 6, 6)
        );
    }

    #[test]
    fn paths_group_by_first_segment() {
        assert_eq!(first_segment("/customers/42"), "/customers");
        assert_eq!(first_segment("/items"), "/items");
        assert_eq!(first_segment("/"), "/");
    }

    #[tokio::test]
    async fn counts_requests_and_max_in_flight() {
        let server = MockServer::start(Config::default()).await.unwrap();
        let addr = server.addr();
        let slow: Vec<_> = (0..5)
            .map(|_| tokio::spawn(async move { get(addr, "/slow/300").await.status }))
            .collect();
        // Wait (bounded) for all five to arrive: a loaded machine may be slow.
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while server.stats().in_flight < 5 && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(server.stats().in_flight, 5);
        for task in slow {
            assert_eq!(task.await.unwrap(), 200);
        }
        assert_eq!(get(addr, "/customers/x").await.status, 404);

        let stats: Stats = serde_json::from_value(get_json(addr, "/stats").await).unwrap();
        // Open connections move as the client's connections close.
        let settled = |s: Stats| Stats {
            open_connections: 0,
            max_open_connections: 0,
            ..s
        };
        assert_eq!(settled(stats.clone()), settled(server.stats()));
        assert!(stats.max_open_connections >= 5, "{stats:?}");
        assert_eq!(stats.total, 6);
        assert_eq!(stats.in_flight, 0);
        assert_eq!(stats.max_in_flight, 5);
        assert_eq!(stats.by_status["200"], 5);
        assert_eq!(stats.by_status["404"], 1);
        assert_eq!(stats.by_path["/slow"], 5);
        // Five answers that each took at least 300 ms.
        assert!(stats.busy_micros >= 5 * 300_000, "{stats:?}");
        assert!(stats.max_per_second >= 3, "{stats:?}");
        assert_eq!(stats.max_per_second_sliding, 6);

        server.reset_stats();
        assert_eq!(settled(server.stats()), Stats::default());
    }
}
