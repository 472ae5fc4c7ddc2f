//! Counters of the work an engine did: per batch (returned to the JVM for the
//! task's SQL metrics) and cumulative per engine (the C ABI's metrics call).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;

use serde::Serialize;

use crate::send::latency::{self, Histogram};
use crate::send::outcome::Outcome;

/// The figures of one `enrich` call, or a sum of them. Every key is a count
/// or a sum except the latency percentiles: per batch they are exact over the
/// batch's attempts; in an engine's totals they come from a histogram of
/// every attempt the engine made (at most 6.25 % above the true value).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BatchMetrics {
    pub rows: u64,
    pub requests: u64,
    pub failed_rows: u64,
    pub retries: u64,
    pub cache_hits: u64,
    pub deduped_rows: u64,
    pub bytes_received: u64,
    pub throttled_nanos: u64,
    pub engine_nanos: u64,
    pub latency_nanos_total: u64,
    pub latency_p50_nanos: u64,
    pub latency_p99_nanos: u64,
    /// Rows failed fast because their host's circuit was open.
    pub circuit_open_rows: u64,
    /// Rows whose final response had a non-2xx status.
    pub failed_rows_http: u64,
    /// Rows whose request got no response (connection error, timeout, body
    /// too large, OAuth2 token failure); circuit-open rows are not counted.
    pub failed_rows_transport: u64,
    /// OAuth2 token requests (the first fetch included).
    pub token_refreshes: u64,
    /// The concurrency limit of the last request (adaptive with
    /// `concurrency=auto`), and the highest limit so far.
    pub concurrency_limit: u64,
    pub concurrency_limit_peak: u64,
}

/// Lock-free counters shared by the concurrent requests of a batch.
#[derive(Debug, Default)]
pub struct Counters {
    pub requests: AtomicU64,
    pub retries: AtomicU64,
    /// Requests that needed at least one retry (for the retry-storm log).
    pub retried_requests: AtomicU64,
    pub cache_hits: AtomicU64,
    pub bytes_received: AtomicU64,
    pub throttled_nanos: AtomicU64,
    pub latency_nanos_total: AtomicU64,
    pub token_refreshes: AtomicU64,
    pub concurrency_limit: AtomicU64,
    pub concurrency_limit_peak: AtomicU64,
    /// Every attempt's latency; bounded by the batch's requests times their
    /// attempts. Locked once per attempt, far below the cost of the request.
    latencies: Mutex<Vec<u64>>,
}

impl Counters {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Relaxed);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Relaxed)
    }

    /// One attempt's latency.
    pub fn record_latency(&self, nanos: u64) {
        Counters::add(&self.latency_nanos_total, nanos);
        self.latencies
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(nanos);
    }

    /// The concurrency limit (and its peak) a request was admitted under.
    pub fn record_limits(&self, (limit, peak): (usize, usize)) {
        self.concurrency_limit.store(limit as u64, Relaxed);
        self.concurrency_limit_peak.fetch_max(peak as u64, Relaxed);
    }

    /// Every attempt's latency so far.
    pub fn latencies(&self) -> Vec<u64> {
        self.latencies
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The request-level figures; rows and timings are filled by the caller.
    pub fn snapshot(&self) -> BatchMetrics {
        let mut latencies = self.latencies();
        BatchMetrics {
            requests: self.requests.load(Relaxed),
            retries: self.retries.load(Relaxed),
            cache_hits: self.cache_hits.load(Relaxed),
            bytes_received: self.bytes_received.load(Relaxed),
            throttled_nanos: self.throttled_nanos.load(Relaxed),
            latency_nanos_total: self.latency_nanos_total.load(Relaxed),
            latency_p50_nanos: latency::percentile(&mut latencies, 50),
            latency_p99_nanos: latency::percentile(&mut latencies, 99),
            token_refreshes: self.token_refreshes.load(Relaxed),
            concurrency_limit: self.concurrency_limit.load(Relaxed),
            concurrency_limit_peak: self.concurrency_limit_peak.load(Relaxed),
            ..BatchMetrics::default()
        }
    }
}

/// Fills the per-row failure counts of `metrics` from the rows' outcomes
/// (`None`: the row had no request, e.g. a null column).
pub fn count_row_failures<'a>(
    metrics: &mut BatchMetrics,
    rows: impl Iterator<Item = Option<&'a Outcome>>,
) {
    for outcome in rows.flatten() {
        match outcome.status {
            _ if outcome.circuit_open => metrics.circuit_open_rows += 1,
            Some(status) if !(200..300).contains(&status) => metrics.failed_rows_http += 1,
            None if outcome.error.is_some() => metrics.failed_rows_transport += 1,
            _ => {}
        }
    }
}

/// The running total of an engine.
#[derive(Debug, Default)]
pub struct Totals {
    inner: Mutex<(BatchMetrics, Histogram)>,
}

impl Totals {
    /// Adds a batch's figures and its attempts' latencies.
    pub fn add(&self, b: &BatchMetrics, latencies: &[u64]) {
        let mut guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let (t, histogram) = &mut *guard;
        t.rows += b.rows;
        t.requests += b.requests;
        t.failed_rows += b.failed_rows;
        t.retries += b.retries;
        t.cache_hits += b.cache_hits;
        t.deduped_rows += b.deduped_rows;
        t.bytes_received += b.bytes_received;
        t.throttled_nanos += b.throttled_nanos;
        t.engine_nanos += b.engine_nanos;
        t.latency_nanos_total += b.latency_nanos_total;
        t.circuit_open_rows += b.circuit_open_rows;
        t.failed_rows_http += b.failed_rows_http;
        t.failed_rows_transport += b.failed_rows_transport;
        t.token_refreshes += b.token_refreshes;
        if b.concurrency_limit > 0 {
            t.concurrency_limit = b.concurrency_limit;
        }
        t.concurrency_limit_peak = t.concurrency_limit_peak.max(b.concurrency_limit_peak);
        for &nanos in latencies {
            histogram.record(nanos);
        }
        t.latency_p50_nanos = histogram.percentile(50);
        t.latency_p99_nanos = histogram.percentile(99);
    }

    pub fn get(&self) -> BatchMetrics {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_percentiles_are_exact_and_totals_accumulate() {
        let counters = Counters::default();
        for ms in 1..=100u64 {
            counters.record_latency(ms * 1_000_000);
        }
        let batch = counters.snapshot();
        assert_eq!(batch.latency_p50_nanos, 50_000_000);
        assert_eq!(batch.latency_p99_nanos, 99_000_000);
        assert_eq!(batch.latency_nanos_total, 5050 * 1_000_000);

        let totals = Totals::default();
        totals.add(&batch, &counters.latencies());
        totals.add(&batch, &counters.latencies());
        let t = totals.get();
        assert_eq!(t.latency_nanos_total, 2 * batch.latency_nanos_total);
        assert!(t.latency_p99_nanos >= 99_000_000 && t.latency_p99_nanos <= 106_000_000);
    }

    #[test]
    fn row_failures_are_classified() {
        let ok = Outcome::from_response(200, b"{}".to_vec());
        let http = Outcome::from_response(404, Vec::new());
        let transport = Outcome::failed("connection failed");
        let open = Outcome::circuit_open("h:1");
        let rows = [
            Some(&ok),
            Some(&http),
            Some(&http),
            Some(&transport),
            Some(&open),
            None,
        ];
        let mut m = BatchMetrics::default();
        count_row_failures(&mut m, rows.into_iter());
        assert_eq!(
            (
                m.failed_rows_http,
                m.failed_rows_transport,
                m.circuit_open_rows
            ),
            (2, 1, 1)
        );
    }
}
