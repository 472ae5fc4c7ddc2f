//! The engine against the project's mock API server on 127.0.0.1: real
//! HTTP, real concurrency, real faults.

use std::sync::Arc;

use arrow::array::{Array, AsArray, StringArray, StructArray};
use arrow::datatypes::{DataType, Field, Fields, Int32Type};
use mock_api::Config;

use crate::test_support::{dead_port, engine, errors, ids, server, statuses};

#[test]
fn every_row_gets_its_own_response_in_order() {
    let api = server(Config::default());
    let e = engine(&[("url", format!("{}/customers/{{id}}", api.url()))], None);
    let (out, metrics) = e.enrich(&ids((0..500).map(Some))).unwrap();
    assert_eq!(out.len(), 500);
    let output = out.column_by_name("output").unwrap().as_string::<i32>();
    for row in 0..500 {
        let body: serde_json::Value = serde_json::from_str(output.value(row)).unwrap();
        assert_eq!(body["customer_id"], row as i64);
        assert_eq!(body["score"], (row % 1000) as i64);
    }
    assert!(statuses(&out).iter().all(|s| *s == Some(200)));
    assert_eq!(metrics.requests, 500);
    assert_eq!(api.stats().total, 500);
}

#[test]
fn duplicates_of_a_batch_and_null_values_send_no_extra_request() {
    let api = server(Config::default());
    let e = engine(&[("url", format!("{}/customers/{{id}}", api.url()))], None);
    let (out, metrics) = e
        .enrich(&ids([Some(1), Some(1), None, Some(2), Some(1)]))
        .unwrap();
    assert_eq!(api.stats().total, 2);
    assert_eq!(metrics.deduped_rows, 2);
    assert_eq!(
        statuses(&out),
        vec![Some(200), Some(200), None, Some(200), Some(200)]
    );
    assert!(errors(&out)[2].as_deref().unwrap().contains("'id' is null"));
}

#[test]
fn in_flight_requests_stay_within_concurrency() {
    let api = server(Config {
        latency_ms: 20,
        ..Config::default()
    });
    let e = engine(
        &[
            ("url", format!("{}/customers/{{id}}", api.url())),
            ("concurrency", "6".into()),
        ],
        None,
    );
    e.enrich(&ids((0..120).map(Some))).unwrap();
    let stats = api.stats();
    assert!(
        stats.max_in_flight > 1 && stats.max_in_flight <= 6,
        "{stats:?}"
    );
}

#[test]
fn failed_requests_are_rows_with_status_and_error() {
    let api = server(Config::default());
    let e = engine(
        &[
            ("url", format!("{}/status/{{id}}", api.url())),
            ("maxRetries", "0".into()),
        ],
        None,
    );
    let (out, _) = e.enrich(&ids([Some(503), Some(200), Some(404)])).unwrap();
    assert_eq!(statuses(&out), vec![Some(503), Some(200), Some(404)]);
    let errs = errors(&out);
    assert!(errs[0].as_deref().unwrap().starts_with("HTTP 503"));
    assert!(errs[1].is_none());
    assert!(errs[2].as_deref().unwrap().starts_with("HTTP 404"));
}

#[test]
fn a_dead_host_fails_rows_not_the_batch() {
    let port = dead_port();
    let e = engine(
        &[
            ("url", format!("http://127.0.0.1:{port}/x/{{id}}")),
            ("maxRetries", "1".into()),
            ("retryBackoff", "1".into()),
        ],
        None,
    );
    let (out, metrics) = e.enrich(&ids([Some(1), Some(2)])).unwrap();
    assert_eq!(statuses(&out), vec![None, None]);
    assert!(
        errors(&out)
            .iter()
            .all(|e| e.as_deref().unwrap().contains("connection")),
        "{:?}",
        errors(&out)
    );
    assert_eq!(metrics.retries, 2);
    assert_eq!(metrics.failed_rows, 2);
}

#[test]
fn retries_recover_flaky_rows_and_honour_retry_after() {
    let api = server(Config::default());
    let e = engine(
        &[
            ("url", format!("{}/flaky/{{id}}?fail_first=2", api.url())),
            ("retryBackoff", "1".into()),
        ],
        None,
    );
    let (out, metrics) = e.enrich(&ids([Some(1), Some(2)])).unwrap();
    assert_eq!(statuses(&out), vec![Some(200), Some(200)]);
    assert_eq!(metrics.retries, 4);

    let e = engine(
        &[
            ("url", format!("{}/retry-after/1?id={{id}}", api.url())),
            ("retryBackoff", "1".into()),
        ],
        None,
    );
    let started = std::time::Instant::now();
    let (out, _) = e.enrich(&ids([Some(7)])).unwrap();
    assert_eq!(statuses(&out), vec![Some(200)]);
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(900),
        "Retry-After: 1 was not honoured"
    );
}

#[test]
fn oversized_and_non_json_bodies_fail_only_their_row() {
    let api = server(Config::default());
    let e = engine(
        &[
            ("url", format!("{}/bytes/{{id}}", api.url())),
            ("maxResponseBytes", "1000".into()),
        ],
        None,
    );
    let (out, _) = e.enrich(&ids([Some(10), Some(5000)])).unwrap();
    let errs = errors(&out);
    assert!(errs[0].is_none());
    assert!(errs[1].as_deref().unwrap().contains("maxResponseBytes"));

    let fields = Fields::from(vec![Field::new("score", DataType::Int32, true)]);
    let e = engine(
        &[("url", format!("{}/garbage?id={{id}}", api.url()))],
        Some(fields),
    );
    let (out, _) = e.enrich(&ids([Some(1)])).unwrap();
    assert_eq!(statuses(&out), vec![Some(200)]);
    assert!(errors(&out)[0].as_deref().unwrap().contains("not JSON"));
}

#[test]
fn typed_output_from_the_schema() {
    let api = server(Config::default());
    let fields = Fields::from(vec![
        Field::new("score", DataType::Int32, true),
        Field::new("tier", DataType::Utf8, true),
        Field::new("ltv", DataType::Float64, true),
    ]);
    let e = engine(
        &[("url", format!("{}/customers/{{id}}", api.url()))],
        Some(fields),
    );
    let (out, _) = e.enrich(&ids([Some(1234), Some(5)])).unwrap();
    assert_eq!(out.column(0).as_primitive::<Int32Type>().value(0), 234);
    assert_eq!(out.column(1).as_string::<i32>().value(1), "gold");
    assert_eq!(
        out.column(2)
            .as_primitive::<arrow::datatypes::Float64Type>()
            .value(0),
        1851.0
    );
}

#[test]
fn bearer_token_reaches_the_server_and_on_error_fail_names_the_request() {
    let api = server(Config {
        require_token: Some("t0k3n".into()),
        ..Config::default()
    });
    let url = format!("{}/customers/{{id}}", api.url());
    let e = engine(
        &[
            ("url", url.clone()),
            ("auth", "bearer".into()),
            ("token", "t0k3n".into()),
        ],
        None,
    );
    assert_eq!(
        statuses(&e.enrich(&ids([Some(1)])).unwrap().0),
        vec![Some(200)]
    );

    let e = engine(
        &[
            ("url", url),
            ("onError", "fail".into()),
            ("maxRetries", "0".into()),
        ],
        None,
    );
    let err = e.enrich(&ids([Some(1)])).unwrap_err().to_string();
    assert!(
        err.contains("GET") && err.contains("/customers/1") && err.contains("HTTP 401"),
        "{err}"
    );
    assert!(!err.contains("t0k3n"));
}

#[test]
fn string_columns_are_url_encoded() {
    let api = server(Config::default());
    let e = engine(&[("url", format!("{}/echo/{{name}}", api.url()))], None);
    let names = StringArray::from(vec!["a/b?c=d"]);
    let batch = StructArray::new(
        Fields::from(vec![Field::new("name", DataType::Utf8, true)]),
        vec![Arc::new(names)],
        None,
    );
    let (out, _) = e.enrich(&batch).unwrap();
    let body: serde_json::Value =
        serde_json::from_str(out.column(0).as_string::<i32>().value(0)).unwrap();
    assert_eq!(body["path"], "/echo/a%2Fb%3Fc%3Dd");
    assert_eq!(body["query"], "");
}

#[test]
fn batch_endpoint_sends_distinct_keys_many_per_request() {
    let api = server(Config::default());
    let fields = Fields::from(vec![
        Field::new("customer_id", DataType::Int64, true),
        Field::new("score", DataType::Int32, true),
    ]);
    let e = engine(
        &[
            ("url", format!("{}/customers/{{id}}", api.url())),
            ("batchKey", "id".into()),
            ("batchUrl", format!("{}/customers/batch", api.url())),
            ("batchRequestSize", "50".into()),
            ("batchResultKey", "customer_id".into()),
            ("cache", "false".into()),
        ],
        Some(fields),
    );
    // 250 rows over 120 distinct ids, plus a null key.
    let keys = (0..250).map(|i| Some(i % 120)).chain([None]);
    let (out, metrics) = e.enrich(&ids(keys)).unwrap();
    let stats = api.stats();
    assert_eq!(stats.total, 3, "ceil(120 / 50) requests: {stats:?}");
    assert_eq!(stats.batch_keys, 120);
    assert_eq!(metrics.requests, 3);
    let score = out.column(1).as_primitive::<Int32Type>();
    for row in 0..250 {
        assert_eq!(score.value(row), (row % 120) as i32, "row {row}");
    }
    assert_eq!(statuses(&out)[250], None);
    assert!(errors(&out)[250]
        .as_deref()
        .unwrap()
        .contains("'id' is null"));
}

#[test]
fn batch_endpoint_names_keys_missing_from_the_response() {
    let api = server(Config::default());
    let names = StringArray::from(vec![Some("7"), Some("not-a-number")]);
    let batch = StructArray::new(
        Fields::from(vec![Field::new("id", DataType::Utf8, true)]),
        vec![Arc::new(names)],
        None,
    );
    let e = engine(
        &[
            ("url", format!("{}/customers/batch", api.url())),
            ("batchKey", "id".into()),
            ("batchResultKey", "customer_id".into()),
        ],
        None,
    );
    let (out, _) = e.enrich(&batch).unwrap();
    let errs = errors(&out);
    assert!(errs[0].is_none(), "{errs:?}");
    assert!(
        errs[1]
            .as_deref()
            .unwrap()
            .contains("'not-a-number' is missing"),
        "{errs:?}"
    );
    assert_eq!(statuses(&out), vec![Some(200), Some(200)]);
}

#[test]
fn a_slow_answer_times_out_the_row_after_its_retries() {
    let api = server(Config::default());
    let e = engine(
        &[
            ("url", format!("{}/slow/{{id}}", api.url())),
            ("requestTimeout", "100".into()),
            ("maxRetries", "1".into()),
            ("retryBackoff", "1".into()),
        ],
        None,
    );
    let (out, metrics) = e.enrich(&ids([Some(2000), Some(1)])).unwrap();
    assert_eq!(statuses(&out), vec![None, Some(200)]);
    let slow = errors(&out)[0].clone().unwrap();
    assert!(
        slow.starts_with("timeout") && slow.contains("100 ms") && slow.contains("after 2 attempts"),
        "{slow}"
    );
    assert_eq!(metrics.retries, 1);
}

#[test]
fn retry_after_as_an_http_date_is_honoured() {
    let api = server(Config::default());
    let e = engine(
        &[
            ("url", format!("{}/retry-after-date?id={{id}}", api.url())),
            ("retryBackoff", "1".into()),
        ],
        None,
    );
    let started = std::time::Instant::now();
    let (out, metrics) = e.enrich(&ids([Some(3)])).unwrap();
    assert_eq!(statuses(&out), vec![Some(200)]);
    assert_eq!(metrics.retries, 1);
    // The date lies 1-2 s ahead in whole seconds; a 1 ms backoff would not wait.
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
}
