//! The new batch metrics and the retry-storm log against the mock server.

use mock_api::Config;

use crate::test_log::capture;
use crate::test_support::{engine, ids, server};

#[test]
fn latency_percentiles_come_from_the_attempts() {
    let api = server(Config {
        latency_ms: 20,
        ..Config::default()
    });
    let e = engine(&[("url", format!("{}/customers/{{id}}", api.url()))], None);
    let (_, m) = e.enrich(&ids((0..20).map(Some))).unwrap();
    assert!(m.latency_p50_nanos >= 20_000_000, "{m:?}");
    assert!(m.latency_p99_nanos >= m.latency_p50_nanos);
    assert!(m.latency_p99_nanos <= m.latency_nanos_total);
    let t = e.totals();
    assert!(t.latency_p50_nanos >= 20_000_000 && t.latency_p99_nanos >= t.latency_p50_nanos);
}

#[test]
fn failed_rows_are_split_by_kind() {
    let api = server(Config::default());
    let e = engine(
        &[
            ("url", format!("{}/status/{{id}}", api.url())),
            ("maxRetries", "0".into()),
        ],
        None,
    );
    let (_, m) = e
        .enrich(&ids([Some(200), Some(404), Some(500), Some(500), None]))
        .unwrap();
    // The two 500 rows are one request but two failed rows; the null row
    // sent nothing and is only in failed_rows.
    assert_eq!(m.failed_rows, 4);
    assert_eq!((m.failed_rows_http, m.failed_rows_transport), (3, 0));
    assert_eq!((m.circuit_open_rows, m.token_refreshes), (0, 0));
}

#[test]
fn a_retry_storm_logs_one_warning_per_batch() {
    let api = server(Config::default());
    let flaky = engine(
        &[
            ("url", format!("{}/flaky/{{id}}?fail_first=1", api.url())),
            ("retryBackoff", "1".into()),
        ],
        None,
    );
    let (result, log) = capture(|| flaky.enrich(&ids((0..30).map(Some))));
    assert_eq!(result.unwrap().1.retries, 30);
    let lines = log.lines_with("retry storm");
    assert_eq!(lines.len(), 1, "{}", log.text());
    assert!(lines[0].contains("WARN") && lines[0].contains("retried_requests=30"));
    assert!(lines[0].contains("requests=30"), "{}", lines[0]);

    let healthy = engine(&[("url", format!("{}/customers/{{id}}", api.url()))], None);
    let (_, log) = capture(|| healthy.enrich(&ids((0..30).map(Some))));
    assert!(log.lines_with("retry storm").is_empty());
}
