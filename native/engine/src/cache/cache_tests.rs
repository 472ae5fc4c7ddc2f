//! The response cache against the mock API server: what the server sees
//! when batches repeat, with and without `cacheDir`.

use std::time::Duration;

use mock_api::Config;

use crate::test_support::{engine, ids, outputs, server, statuses, temp_dir};

#[test]
fn repeated_batches_are_answered_from_the_cache() {
    let api = server(Config::default());
    let e = engine(&[("url", format!("{}/customers/{{id}}", api.url()))], None);
    let (first, m1) = e.enrich(&ids((0..50).map(Some))).unwrap();
    let (second, m2) = e.enrich(&ids((0..50).map(Some))).unwrap();
    assert_eq!(api.stats().total, 50, "the second batch sent nothing");
    assert_eq!((m1.cache_hits, m1.requests), (0, 50));
    assert_eq!((m2.cache_hits, m2.requests), (50, 0));
    assert_eq!(outputs(&first), outputs(&second));
    assert_eq!(statuses(&second), vec![Some(200); 50]);
    assert_eq!(e.totals().cache_hits, 50);
}

#[test]
fn cache_false_sends_every_batch_again() {
    let api = server(Config::default());
    let e = engine(
        &[
            ("url", format!("{}/customers/{{id}}", api.url())),
            ("cache", "false".into()),
        ],
        None,
    );
    e.enrich(&ids((0..20).map(Some))).unwrap();
    let (_, m) = e.enrich(&ids((0..20).map(Some))).unwrap();
    assert_eq!(api.stats().total, 40);
    assert_eq!((m.cache_hits, m.requests), (0, 20));
}

#[test]
fn only_deterministic_answers_are_cached() {
    let api = server(Config::default());
    let e = engine(
        &[
            ("url", format!("{}/status/{{id}}", api.url())),
            ("maxRetries", "0".into()),
        ],
        None,
    );
    let batch = ids([200, 404, 408, 429, 503].map(Some));
    e.enrich(&batch).unwrap();
    let (out, m) = e.enrich(&batch).unwrap();
    // 200 and 404 come from the cache; 408, 429 and 503 are asked again.
    assert_eq!(api.stats().total, 5 + 3);
    assert_eq!(m.cache_hits, 2);
    assert_eq!(statuses(&out), [200, 404, 408, 429, 503].map(Some).to_vec());
}

#[test]
fn cache_dir_answers_a_fresh_engine_without_requests() {
    let api = server(Config::default());
    let dir = temp_dir("cache-dir");
    let options = |extra: (&'static str, &str)| {
        vec![
            ("url", format!("{}/customers/{{id}}", api.url())),
            ("cacheDir", dir.display().to_string()),
            (extra.0, extra.1.to_string()),
        ]
    };
    let a = engine(&options(("arrowBatchSize", "1024")), None);
    let (from_api, _) = a.enrich(&ids((0..20).map(Some))).unwrap();
    assert_eq!(api.stats().total, 20);

    // Another engine (other options, as after a restart) reads the disk.
    let b = engine(&options(("arrowBatchSize", "7")), None);
    let (from_disk, m) = b.enrich(&ids((0..20).map(Some))).unwrap();
    assert_eq!(api.stats().total, 20, "no request after the restart");
    assert_eq!((m.cache_hits, m.requests), (20, 0));
    assert_eq!(outputs(&from_api), outputs(&from_disk));

    // Other credentials are another identity: no hit.
    let c = engine(&options(("header.X-Api-Key", "other")), None);
    let (_, m) = c.enrich(&ids((0..20).map(Some))).unwrap();
    assert_eq!((m.cache_hits, api.stats().total), (0, 40));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn expired_disk_entries_are_ignored() {
    let api = server(Config::default());
    let dir = temp_dir("cache-dir-ttl");
    let options = |batch_size: &str| {
        vec![
            ("url", format!("{}/customers/{{id}}", api.url())),
            ("cacheDir", dir.display().to_string()),
            ("cacheTtlSeconds", "1".to_string()),
            ("arrowBatchSize", batch_size.to_string()),
        ]
    };
    engine(&options("1"), None)
        .enrich(&ids((0..5).map(Some)))
        .unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    let (_, m) = engine(&options("2"), None)
        .enrich(&ids((0..5).map(Some)))
        .unwrap();
    assert_eq!((m.cache_hits, api.stats().total), (0, 10));
    let _ = std::fs::remove_dir_all(&dir);
}
