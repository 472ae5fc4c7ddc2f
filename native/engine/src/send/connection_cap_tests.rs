use std::sync::Arc;
use std::time::Instant;

use super::*;

fn gate() -> (ConnectionCap, &'static str) {
    (ConnectionCap::default(), "http://127.0.0.1:9/x")
}

fn go(ticket: &Ticket) -> bool {
    matches!(ticket.admit(Instant::now()), Admission::Go)
}

fn pooled_answer(ticket: &Ticket) {
    // A response head on a connection it did not open, which returns.
    let mut state = ticket.state();
    state.returns = true;
    drop(state);
    ticket.mark_responded(true);
}

#[test]
fn a_connect_waits_while_a_connection_is_on_its_way_back() {
    let (cap, url) = gate();
    let a = cap.ticket(url);
    assert!(go(&a), "no spare connection: the first connect starts");
    a.connected(true);
    pooled_answer(&a);
    a.body_ended();
    // `a`'s connection is returning: `b` must not open another.
    let b = cap.ticket(url);
    assert!(matches!(b.admit(Instant::now()), Admission::WaitUntil(_)));
    // `b` got `a`'s connection from the pool: its waiting connect gives up
    // and the next request may connect again.
    b.mark_responded(true);
    assert!(matches!(b.admit(Instant::now()), Admission::Abort));
    assert!(go(&cap.ticket(url)));
}

#[test]
fn a_connect_that_lost_the_race_counts_until_it_lands() {
    let (cap, url) = gate();
    let a = cap.ticket(url);
    let spare = cap.ticket(url);
    spare.state().returns = true;
    spare.body_ended();
    // `a` starts connecting after the spare expired, then the spare wins.
    assert!(matches!(
        a.admit(Instant::now() + RETURN_GRACE),
        Admission::Go
    ));
    a.mark_responded(true);
    // The connect goes on in the background: nobody else may connect.
    let b = cap.ticket(url);
    assert!(matches!(b.admit(Instant::now()), Admission::WaitUntil(_)));
    a.connected(true);
    // It landed idle in the pool: still spare until taken.
    assert!(matches!(b.admit(Instant::now()), Admission::WaitUntil(_)));
    b.mark_responded(true);
    assert!(go(&cap.ticket(url)));
}

#[test]
fn each_spare_connection_holds_back_one_waiting_connect_only() {
    // More requests in flight than connections (the limit grew, or the
    // server closed some): the spare serves one, the other connects.
    let (cap, url) = gate();
    let spare = cap.ticket(url);
    spare.state().returns = true;
    spare.body_ended();
    let a = cap.ticket(url);
    assert!(matches!(a.admit(Instant::now()), Admission::WaitUntil(_)));
    let b = cap.ticket(url);
    assert!(go(&b), "two waiting, one spare: one more connection");
    // `a` is still the one the spare serves.
    assert!(matches!(a.admit(Instant::now()), Admission::WaitUntil(_)));
    // Once the spare is taken by `a`, nothing holds connects back.
    a.mark_responded(true);
    assert!(go(&cap.ticket(url)));
}

#[test]
fn closing_answers_and_failed_connects_never_block_connects() {
    let (cap, url) = gate();
    let a = cap.ticket(url);
    assert!(go(&a));
    a.connected(true);
    a.mark_responded(true); // returns == false: `Connection: close`
    a.body_ended();
    let b = cap.ticket(url);
    assert!(go(&b));
    b.mark_responded(false); // failed while connecting: background
    b.connected(false);
    assert!(go(&cap.ticket(url)));
}

#[test]
fn a_spare_connection_that_never_comes_back_blocks_for_the_grace_only() {
    let (cap, url) = gate();
    let a = cap.ticket(url);
    a.state().returns = true;
    a.body_ended();
    let b = cap.ticket(url);
    let Admission::WaitUntil(until) = b.admit(Instant::now()) else {
        panic!("a returning connection must hold the connect back")
    };
    assert!(until <= Instant::now() + RETURN_GRACE);
    assert!(matches!(b.admit(until), Admission::Go));
}

#[test]
fn the_pool_key_is_scheme_and_authority() {
    assert_eq!(pool_key("http://a:1/x?y=2"), "http://a:1");
    assert_eq!(pool_key("https://user@b/"), "https://user@b");
    assert_eq!(pool_key("http://c?q"), "http://c");
    assert_eq!(pool_key("http://d"), "http://d");
}

#[test]
fn hosts_are_counted_apart() {
    let cap = ConnectionCap::default();
    let a = cap.ticket("http://a:1/x");
    a.state().returns = true;
    a.body_ended();
    assert!(go(&cap.ticket("http://b:1/x")));
    assert!(!go(&cap.ticket("http://a:1/y")));
}

#[tokio::test]
async fn a_waiting_connect_gives_up_once_its_request_is_answered() {
    let (cap, url) = gate();
    let spare = cap.ticket(url);
    spare.state().returns = true;
    spare.body_ended();
    let waiting = cap.ticket(url);
    let turn = tokio::spawn({
        let waiting = Arc::clone(&waiting);
        async move { waiting.wait_for_turn().await.is_ok() }
    });
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    waiting.mark_responded(true);
    assert!(!turn.await.unwrap(), "the connect was not needed any more");
}

/// Through the whole engine, against the mock API on 127.0.0.1.
mod engine {
    use mock_api::{Config, MockServer};

    use crate::test_support::{engine, ids, server, statuses};

    fn customers(api: &MockServer, concurrency: usize) -> crate::engine::Engine {
        engine(
            &[
                ("url", format!("{}/customers/{{id}}", api.url())),
                ("concurrency", concurrency.to_string()),
                ("cache", "false".into()),
            ],
            None,
        )
    }

    #[test]
    fn connections_never_exceed_concurrency_at_0_to_5_ms() {
        // The race this guards against (a request admitted just before the
        // previous one's connection is back in the pool) is likeliest with
        // short, uneven latencies; before the gate 9 and 10 were seen here.
        for run in 0..3 {
            let api = server(Config {
                jitter_ms: 5,
                ..Config::default()
            });
            let e = customers(&api, 8);
            for batch in 0..2 {
                let (out, _) = e
                    .enrich(&ids((batch * 1000..batch * 1000 + 1000).map(Some)))
                    .unwrap();
                assert_eq!(statuses(&out), vec![Some(200); 1000]);
            }
            let stats = api.stats();
            assert_eq!(stats.total, 2000, "run {run}: {stats:?}");
            assert!(stats.max_in_flight <= 8, "run {run}: {stats:?}");
            assert!(
                (1..=8).contains(&stats.max_open_connections),
                "run {run}: {stats:?}"
            );
        }
    }

    #[test]
    fn with_auto_concurrency_connections_stay_within_concurrency_max() {
        // The limit moves per host; a connection opens only while the
        // current limit admits one more request, so never above the max.
        let api = server(Config {
            jitter_ms: 5,
            ..Config::default()
        });
        let e = engine(
            &[
                ("url", format!("{}/customers/{{id}}", api.url())),
                ("concurrency", "auto".into()),
                ("concurrencyMax", "12".into()),
                ("cache", "false".into()),
            ],
            None,
        );
        let (out, _) = e.enrich(&ids((0..2000).map(Some))).unwrap();
        assert_eq!(statuses(&out), vec![Some(200); 2000]);
        let stats = api.stats();
        assert!(stats.max_in_flight <= 12, "{stats:?}");
        assert!((1..=12).contains(&stats.max_open_connections), "{stats:?}");
    }

    #[test]
    fn a_server_closing_connections_every_5_requests_costs_no_capacity() {
        let api = server(Config {
            close_after: 5,
            jitter_ms: 2,
            ..Config::default()
        });
        let e = customers(&api, 8);
        let (out, _) = e.enrich(&ids((0..1000).map(Some))).unwrap();
        assert_eq!(statuses(&out), vec![Some(200); 1000]);
        let stats = api.stats();
        // No request failed or was retried, the server did close its
        // connections, and the fresh ones stayed within the cap.
        assert_eq!(stats.total, 1000, "{stats:?}");
        assert!(stats.connections >= 1000 / 5, "{stats:?}");
        // The server counts a connection open until its own task has torn
        // it down; the engine's replacement may arrive a moment before
        // that (2 of 10 runs saw 9 on a loaded machine), so one closing
        // connection is allowed for here. Keep-alive servers see the strict
        // cap (the test above).
        assert!(stats.max_open_connections <= 8 + 1, "{stats:?}");
        // Capacity: closing answers never hold connects back, so requests
        // still overlap up to the limit.
        assert!(stats.max_in_flight >= 4, "{stats:?}");
    }
}
