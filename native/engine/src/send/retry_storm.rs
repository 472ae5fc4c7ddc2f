//! The retry-storm warning: one line per batch when more than half of the
//! requests it sent needed a retry, a sign that the API is overloaded or
//! throttling and that `concurrency` or `rateLimit` should come down. One
//! line per batch, with counts, instead of a line per retried request keeps
//! an executor log readable when every request of a large job retries.

use crate::metrics::BatchMetrics;

/// `sent`: requests of the batch that went to the network (cache hits and
/// circuit-open rows excluded); `retried`: those that needed a retry.
pub fn is_storm(sent: u64, retried: u64) -> bool {
    sent > 0 && retried * 2 > sent
}

/// Logs the warning when the batch was a retry storm; true when it did.
pub fn warn_if_storm(sent: u64, retried: u64, metrics: &BatchMetrics) -> bool {
    if !is_storm(sent, retried) {
        return false;
    }
    tracing::warn!(
        retried_requests = retried,
        requests = sent,
        retries = metrics.retries,
        rows = metrics.rows,
        failed_rows = metrics.failed_rows,
        "retry storm: more than half of the batch's requests needed a retry; \
         the API may be overloaded or throttling, consider lowering concurrency or setting rateLimit"
    );
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_than_half_is_a_storm() {
        assert!(!is_storm(0, 0));
        assert!(!is_storm(10, 5));
        assert!(is_storm(10, 6));
        assert!(is_storm(1, 1));
    }

    #[test]
    fn one_warning_line_with_counts() {
        let metrics = BatchMetrics {
            retries: 9,
            rows: 10,
            ..BatchMetrics::default()
        };
        let (logged, log) = crate::test_log::capture(|| warn_if_storm(10, 9, &metrics));
        assert!(logged);
        let lines = log.lines_with("retry storm");
        assert_eq!(lines.len(), 1, "{}", log.text());
        assert!(lines[0].contains("WARN") && lines[0].contains("retried_requests=9"));
        let (logged, log) = crate::test_log::capture(|| warn_if_storm(10, 2, &metrics));
        assert!(!logged && log.text().is_empty());
    }
}
