//! Counters of the work an engine did: per batch (returned to the JVM for the
//! task's SQL metrics) and cumulative per engine (the C ABI's metrics call).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use serde::Serialize;

/// The figures of one `enrich` call, or a sum of them.
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
}

/// Lock-free counters shared by the concurrent requests of a batch.
#[derive(Debug, Default)]
pub struct Counters {
    pub requests: AtomicU64,
    pub retries: AtomicU64,
    pub cache_hits: AtomicU64,
    pub bytes_received: AtomicU64,
    pub throttled_nanos: AtomicU64,
    pub latency_nanos_total: AtomicU64,
}

impl Counters {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Relaxed);
    }

    /// The request-level figures; rows and timings are filled by the caller.
    pub fn snapshot(&self) -> BatchMetrics {
        BatchMetrics {
            requests: self.requests.load(Relaxed),
            retries: self.retries.load(Relaxed),
            cache_hits: self.cache_hits.load(Relaxed),
            bytes_received: self.bytes_received.load(Relaxed),
            throttled_nanos: self.throttled_nanos.load(Relaxed),
            latency_nanos_total: self.latency_nanos_total.load(Relaxed),
            ..BatchMetrics::default()
        }
    }
}

/// The running total of an engine.
#[derive(Debug, Default)]
pub struct Totals {
    inner: std::sync::Mutex<BatchMetrics>,
}

impl Totals {
    pub fn add(&self, b: &BatchMetrics) {
        let mut t = self.inner.lock().unwrap_or_else(|p| p.into_inner());
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
    }

    pub fn get(&self) -> BatchMetrics {
        *self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}
