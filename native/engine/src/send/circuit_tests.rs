//! The circuit breaker against the mock API server: what the server sees
//! while a host's circuit is open, half-open and closed again.

use std::time::Duration;

use mock_api::Config;

use crate::test_support::{dead_port, engine, errors, ids, kind_and_ids, server, statuses};

#[test]
fn an_open_circuit_fails_rows_fast_and_a_trial_closes_it() {
    let api = server(Config::default());
    let host = api.url().trim_start_matches("http://").to_string();
    let e = engine(
        &[
            ("url", format!("{}/{{kind}}/{{id}}", api.url())),
            ("circuitBreakerThreshold", "3".into()),
            ("circuitBreakerCooldown", "100".into()),
            ("maxRetries", "0".into()),
            ("concurrency", "1".into()),
        ],
        None,
    );
    // 20 rows to failing statuses: 3 failures open the circuit, 17 rows
    // fail fast without a request.
    let (out, m) = e.enrich(&kind_and_ids("status", 500..520)).unwrap();
    assert_eq!(api.stats().total, 3, "the circuit opened at 3 failures");
    let open = format!("circuit open for host {host}");
    let errs = errors(&out);
    assert_eq!(
        errs.iter().filter(|e| e.as_deref() == Some(&open)).count(),
        17
    );
    assert_eq!((m.circuit_open_rows, m.failed_rows_http), (17, 3));
    assert_eq!(m.failed_rows, 20);
    assert!(statuses(&out)[3..].iter().all(Option::is_none));

    std::thread::sleep(Duration::from_millis(150));
    let (out, m3) = e.enrich(&kind_and_ids("customers", 1..=10)).unwrap();
    assert_eq!(statuses(&out), vec![Some(200); 10], "{:?}", errors(&out));
    assert_eq!((m3.circuit_open_rows, m3.requests), (0, 10));
    assert_eq!(api.stats().total, 3 + 10);
    // Closed again: failures count from zero.
    let (_, m4) = e.enrich(&kind_and_ids("status", 530..532)).unwrap();
    assert_eq!((m4.failed_rows_http, m4.circuit_open_rows), (2, 0));
}

#[test]
fn a_failed_trial_opens_the_circuit_again() {
    let api = server(Config::default());
    let e = engine(
        &[
            ("url", format!("{}/status/{{id}}", api.url())),
            ("circuitBreakerThreshold", "2".into()),
            ("circuitBreakerCooldown", "100".into()),
            ("maxRetries", "0".into()),
            ("concurrency", "8".into()),
        ],
        None,
    );
    e.enrich(&ids([500, 502].map(Some))).unwrap();
    assert_eq!(api.stats().total, 2);
    std::thread::sleep(Duration::from_millis(150));
    // One trial; the other rows wait for its verdict, then fail fast.
    let (out, m) = e.enrich(&ids((503..508).map(Some))).unwrap();
    assert_eq!(api.stats().total, 3, "only the trial reached the server");
    assert_eq!((m.circuit_open_rows, m.failed_rows_http), (4, 1));
    assert_eq!(statuses(&out)[0], Some(503));
}

#[test]
fn transport_errors_open_the_circuit_too() {
    let port = dead_port();
    let e = engine(
        &[
            ("url", format!("http://127.0.0.1:{port}/x/{{id}}")),
            ("circuitBreakerThreshold", "2".into()),
            ("maxRetries", "0".into()),
            ("concurrency", "1".into()),
        ],
        None,
    );
    let (out, m) = e.enrich(&ids((0..5).map(Some))).unwrap();
    assert_eq!((m.failed_rows_transport, m.circuit_open_rows), (2, 3));
    assert_eq!(m.requests, 2);
    assert!(errors(&out)[4]
        .as_deref()
        .unwrap()
        .starts_with("circuit open for host 127.0.0.1:"));
}
