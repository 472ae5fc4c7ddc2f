//! The continuous flow against the mock API: batches overlap, a straggler
//! blocks nobody, a request asleep before its retry holds up nobody,
//! identical requests of two tasks go out once, batch
//! endpoints fill full requests across batches, connections stay within
//! `concurrency`, and a cancelled task leaves nothing in flight. Counts and
//! bounds with margin only: the machine may be loaded.

use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::Array;
use mock_api::Config;

use crate::flow::task_stream::TaskStream;
use crate::test_support::{engine, ids, kinds_and_ids, server, statuses};

/// Takes every queued result (no limit on waiting).
fn take_all(stream: &TaskStream, e: &crate::Engine) -> Vec<usize> {
    let mut sizes = Vec::new();
    while stream.queued() > 0 {
        let (out, _) = stream.take(e, None).unwrap().unwrap();
        assert!(statuses(&out).iter().all(|s| *s == Some(200)));
        sizes.push(out.len());
    }
    sizes
}

#[test]
fn consecutive_batches_are_in_flight_together_and_come_back_in_order() {
    let api = server(Config {
        latency_ms: 30,
        ..Config::default()
    });
    let e = engine(
        &[
            ("url", format!("{}/customers/{{id}}", api.url())),
            ("concurrency", "16".into()),
        ],
        None,
    );
    let stream = TaskStream::new();
    // Batches of 6 rows: one batch alone could never fill 16 slots.
    for b in 0..8 {
        stream
            .submit(&e, &ids((b * 6..b * 6 + 6).map(Some)))
            .unwrap();
    }
    let mut next = 0;
    while stream.queued() > 0 {
        let (out, _) = stream.take(&e, None).unwrap().unwrap();
        let output = out.column_by_name("output").unwrap();
        let output = arrow::array::AsArray::as_string::<i32>(output.as_ref());
        for row in 0..out.len() {
            let body: serde_json::Value = serde_json::from_str(output.value(row)).unwrap();
            assert_eq!(body["customer_id"], next);
            next += 1;
        }
    }
    assert_eq!(next, 48);
    let stats = api.stats();
    assert_eq!(stats.total, 48);
    assert!(stats.max_in_flight <= 16, "{stats:?}");
    assert!(stats.max_in_flight > 6, "batches must overlap: {stats:?}");
}

#[test]
fn a_straggler_holds_one_slot_and_blocks_nobody() {
    let api = server(Config::default());
    // One row of the first batch takes 1.5 s; the other 119 take 1 or 2 ms.
    // The cache stays on: single-flight joins an identical request only
    // while it is in flight, so on a loaded machine batch 3's /slow/2 could
    // go out again after batch 2's was answered (4 requests were seen); the
    // cache answers it then. One request per distinct URL either way.
    let e = engine(
        &[
            ("url", format!("{}/slow/{{id}}", api.url())),
            ("concurrency", "4".into()),
        ],
        None,
    );
    let stream = TaskStream::new();
    let mut first = vec![Some(1500)];
    first.extend((0..39).map(|_| Some(1)));
    stream.submit(&e, &ids(first)).unwrap();
    for _ in 1..3 {
        stream.submit(&e, &ids((0..40).map(|_| Some(2)))).unwrap();
    }
    // Sent once each: 1500, 1 and 2 ms. Waits for a state (two answered,
    // one on the wire), not a time: the server counts an answer a moment
    // before it stops counting the request in flight, so a check right
    // after the second answer could see two in flight. 12 to 24 test
    // processes on one core took at most 0.2 s to get here: the straggler's
    // 1.5 s is the margin.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let stats = api.stats();
        let answered = stats.by_status.get("200").copied().unwrap_or(0);
        if answered == 2 && stats.in_flight == 1 {
            break;
        }
        assert!(answered < 3, "never only the straggler out: {stats:?}");
        assert!(Instant::now() < deadline, "{stats:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
    // Batches 2 and 3 are complete while the straggler is still out: the
    // first batch is not (had the straggler blocked the short requests,
    // they would have gone out after it, and it would be).
    assert!(
        stream
            .take(&e, Some(Duration::from_millis(10)))
            .unwrap()
            .is_none(),
        "the straggler was answered first"
    );
    assert_eq!(take_all(&stream, &e), vec![40, 40, 40]);
    assert_eq!(api.stats().total, 3);
}

#[test]
fn a_request_asleep_before_its_retry_does_not_hold_up_the_rest_of_its_batch() {
    let api = server(Config::default());
    // Concurrency 1: a batch starts at most 2 requests at once
    // (`send_requests`). Row 0 is answered 429 with `Retry-After: 3` and
    // sleeps; the other 19 rows must go out meanwhile, through the place
    // it leaves. Without rate-limit headers honoured, the 429 pauses
    // only its own request, not the host.
    let e = engine(
        &[
            ("url", format!("{}/{{kind}}/{{id}}", api.url())),
            ("concurrency", "1".into()),
            ("honorRateLimitHeaders", "false".into()),
        ],
        None,
    );
    let rows = kinds_and_ids(
        std::iter::once(("retry-after", 3)).chain((0..19).map(|id| ("customers", id))),
    );
    let stream = TaskStream::new();
    stream.submit(&e, &rows).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let stats = api.stats();
        let customers = stats.by_path.get("/customers").copied().unwrap_or(0);
        if customers == 19 {
            assert_eq!(
                stats.by_path.get("/retry-after"),
                Some(&1),
                "the other rows waited for the retry: {stats:?}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "{stats:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(take_all(&stream, &e), vec![20]);
    assert_eq!(api.stats().by_path["/retry-after"], 2);
}

#[test]
fn identical_requests_of_two_tasks_in_flight_are_sent_once() {
    let api = server(Config {
        latency_ms: 100,
        ..Config::default()
    });
    let e = Arc::new(engine(
        &[
            ("url", format!("{}/customers/{{id}}", api.url())),
            ("concurrency", "10".into()),
            ("cache", "false".into()),
        ],
        None,
    ));
    let tasks: Vec<_> = (0..2)
        .map(|_| {
            let e = Arc::clone(&e);
            std::thread::spawn(move || {
                let stream = TaskStream::new();
                stream.submit(&e, &ids((0..100).map(Some))).unwrap();
                take_all(&stream, &e)
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.join().unwrap(), vec![100]);
    }
    assert_eq!(api.stats().total, 100);
}

#[test]
fn batch_endpoint_keys_fill_full_requests_across_batches() {
    let api = server(Config::default());
    let e = engine(
        &[
            ("url", format!("{}/customers/batch", api.url())),
            ("batchKey", "id".into()),
            ("batchRequestSize", "100".into()),
            ("batchBody", r#"{"ids": {keys}}"#.into()),
            ("batchResultsField", "results".into()),
            ("batchResultKey", "customer_id".into()),
        ],
        None,
    );
    let stream = TaskStream::new();
    for b in 0..4 {
        stream
            .submit(&e, &ids((b * 250..b * 250 + 250).map(Some)))
            .unwrap();
    }
    assert_eq!(take_all(&stream, &e), vec![250; 4]);
    let stats = api.stats();
    assert_eq!(stats.batch_keys, 1000);
    // 1000 keys in requests of 100: 10 requests, not 4 x 3 = 12.
    assert_eq!(stats.total, 10, "{stats:?}");
}

#[test]
fn connections_stay_within_concurrency() {
    let api = server(Config::default());
    let e = engine(
        &[
            ("url", format!("{}/customers/{{id}}", api.url())),
            ("concurrency", "8".into()),
            ("cache", "false".into()),
        ],
        None,
    );
    let stream = TaskStream::new();
    for b in 0..6 {
        stream
            .submit(&e, &ids((b * 500..b * 500 + 500).map(Some)))
            .unwrap();
    }
    take_all(&stream, &e);
    let stats = api.stats();
    assert_eq!(stats.total, 3000);
    // Strictly `concurrency` (`connection_cap`); before: up to 10 seen here.
    assert!(stats.max_open_connections <= 8, "{stats:?}");
}

#[test]
fn a_cancelled_task_leaves_nothing_in_flight() {
    let api = server(Config::default());
    let e = engine(
        &[
            ("url", format!("{}/slow/{{id}}", api.url())),
            ("concurrency", "4".into()),
            ("requestTimeout", "120000".into()),
        ],
        None,
    );
    let stream = TaskStream::new();
    // 30 s each: without cancellation these would hold the server.
    stream.submit(&e, &ids((30_000..30_010).map(Some))).unwrap();
    stream.submit(&e, &ids((30_010..30_020).map(Some))).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while api.stats().in_flight < 4 {
        assert!(Instant::now() < deadline, "{:?}", api.stats());
        assert!(stream
            .take(&e, Some(Duration::from_millis(50)))
            .unwrap()
            .is_none());
    }
    stream.cancel();
    assert!(stream.take(&e, Some(Duration::from_millis(50))).is_err());
    // Aborting is asynchronous: waits (up to 10 s, for a loaded machine)
    // until nothing is on the wire and no slot is held, both together: the
    // server can see a connection close a moment before the aborted future
    // has dropped its slot. Had the queued requests not been aborted, they
    // would take the slots and hold the server 30 s each.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (stats, slots) = (api.stats(), e.permits_in_use());
        if stats.in_flight == 0 && slots == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{slots} slots held, {stats:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
    // A queued request may take a slot freed by an aborted one before its
    // own abort lands: one task per batch, so at most the other batch's
    // share of the 4 slots, never all of them.
    let total = api.stats().total;
    assert!(
        (4..=8).contains(&total),
        "{total} of 20 queued requests were sent"
    );
    // The engine serves the next task at once (/slow/1 .. /slow/5).
    let next = TaskStream::new();
    next.submit(&e, &ids((1..6).map(Some))).unwrap();
    assert_eq!(take_all(&next, &e), vec![5]);
}
