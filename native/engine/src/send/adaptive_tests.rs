//! Adaptive throughput end to end in the engine, against the mock API's
//! capacity-limited and rate-limited endpoints on 127.0.0.1. Bounds are
//! loose (a loaded machine); speed is measured in `bench/adaptive.py`.

use crate::test_support::{engine, ids, server, statuses};
use mock_api::Config;

#[test]
fn auto_grows_to_the_capacity_of_the_api_and_keeps_its_queue_short() {
    let api = server(Config::default());
    // 8 at once, 20 ms each: 400 requests/s at most.
    let e = engine(
        &[
            ("url", format!("{}/capacity/8/20/{{id}}", api.url())),
            ("concurrency", "auto".into()),
            ("cache", "false".into()),
        ],
        None,
    );
    let mut peak = 0;
    for batch in 0..3 {
        let (out, metrics) = e
            .enrich(&ids((0..300).map(|i| Some(batch * 300 + i))))
            .unwrap();
        assert!(statuses(&out).iter().all(|s| *s == Some(200)));
        peak = peak.max(metrics.concurrency_limit_peak);
    }
    let stats = api.stats();
    assert!(peak >= 8, "the limit never reached the capacity: {peak}");
    assert!(stats.max_in_flight >= 8, "{stats:?}");
    assert!(stats.max_in_flight <= 32, "queue too long: {stats:?}");
}

#[test]
fn rate_limit_headers_keep_requests_within_the_budget() {
    let api = server(Config::default());
    for style in ["draft", "structured", "x"] {
        api.reset_stats();
        let e = engine(
            &[
                (
                    "url",
                    format!("{}/ratelimited/100/{style}/{{id}}", api.url()),
                ),
                ("concurrency", "16".into()),
                ("maxRetries", "0".into()),
                ("cache", "false".into()),
            ],
            None,
        );
        let (out, metrics) = e.enrich(&ids((0..250).map(Some))).unwrap();
        let refused = statuses(&out).iter().filter(|s| **s == Some(429)).count();
        // 250 requests against 100 per second without pacing: 150 refused.
        assert!(refused <= 5, "{style}: {refused} refused");
        assert!(
            metrics.throttled_nanos > 500_000_000,
            "{style}: never waited"
        );
    }
}

#[test]
fn honor_rate_limit_headers_false_sends_into_429s() {
    let api = server(Config::default());
    let e = engine(
        &[
            ("url", format!("{}/ratelimited/50/draft/{{id}}", api.url())),
            ("concurrency", "16".into()),
            ("maxRetries", "0".into()),
            ("cache", "false".into()),
            ("honorRateLimitHeaders", "false".into()),
        ],
        None,
    );
    let (out, _) = e.enrich(&ids((0..200).map(Some))).unwrap();
    let refused = statuses(&out).iter().filter(|s| **s == Some(429)).count();
    assert!(refused >= 50, "{refused}");
}
