use super::*;
use crate::send::adaptive_sim::{answers, run, simulate, Server};

#[test]
fn starts_at_the_minimum() {
    let limit = AdaptiveLimit::new(4, 512, Instant::now());
    assert_eq!((limit.limit(), limit.peak()), (4, 4));
    assert!(limit.in_slow_start());
}

#[test]
fn settles_at_the_capacity_of_a_queueing_server_without_overshooting() {
    let (trace, limit) = simulate(512, &Server::new(64, 50), 60);
    // Slow start found the capacity within a second (about 20 round trips)...
    let reached = trace.first_reached(64).expect("never reached the capacity");
    assert!(reached < 1.0, "reached 64 after {reached:.2} s");
    // ...left slow start at the first queueing, not at a drop: the step that
    // crossed the capacity is at most half of it.
    assert!(
        limit.peak() <= 96,
        "slow start overshot to {}",
        limit.peak()
    );
    // Settled: every slot busy, a short queue (at most 30 % of capacity),
    // but for the no-load probe's round every 10 s, at half the limit.
    let settled = trace.share_within(2.0, 64, 83);
    assert!(
        settled >= 0.97,
        "{:.1} % of the time in 64..=83",
        settled * 100.0
    );
    assert!(trace.highest_from(2.0) <= 83, "{}", trace.highest_from(2.0));
    assert!(trace.lowest_from(2.0) >= 32, "{}", trace.lowest_from(2.0));
    // Latency: no request waited for more than one turn of the server
    // (3x the unloaded latency is the acceptance bound).
    let p99 = trace.latency_quantile(0.99);
    assert!(p99 <= 2.0, "p99 {p99:.2}x the service time");
    let mean = trace.latencies.iter().sum::<f64>() / trace.latencies.len() as f64;
    assert!(mean <= 1.2, "mean latency {mean:.2}x the service time");
}

#[test]
fn settles_within_a_third_above_capacity_for_small_and_large_servers() {
    // A queue of sqrt(limit) is a larger share of a small capacity: 16 + 4.
    for (capacity, service_ms, bound) in [
        (16, 20, 1.4),
        (32, 100, 1.3),
        (256, 50, 1.3),
        (400, 10, 1.3),
    ] {
        let (trace, limit) = simulate(1024, &Server::new(capacity, service_ms), 60);
        let high = (capacity as f64 * bound) as usize;
        let settled = trace.share_within(5.0, capacity, high);
        assert!(
            settled >= 0.95,
            "capacity {capacity}: {:.1} % of the time in {capacity}..={high}",
            settled * 100.0
        );
        assert!(
            limit.peak() as f64 <= capacity as f64 * 1.5,
            "capacity {capacity}: slow start overshot to {}",
            limit.peak()
        );
    }
}

#[test]
fn a_noisy_client_still_uses_the_capacity() {
    // Every third answer is delayed by half the service time on the client
    // (a loaded machine). The client holds a slot for that delay too, so
    // the limit settles higher by that share (a sixth), and no further.
    let server = Server {
        noise: 0.5,
        noise_every: 3,
        ..Server::new(64, 50)
    };
    let (trace, _) = simulate(512, &server, 60);
    let settled = trace.share_within(3.0, 64, 96);
    assert!(
        settled >= 0.95,
        "{:.1} % of the time in 64..=96",
        settled * 100.0
    );
}

#[test]
fn a_client_whose_rounds_scatter_still_ramps_and_uses_the_capacity() {
    // A busy client: every 50 ms of virtual time its answers come back up
    // to 50 % late, so whole rounds scatter (as the rounds of a busy 2-core
    // machine did, 51 to 63 ms for a 50 ms API). With no-load taken as the
    // lowest round, rounds read as queueing where there was none: the limit
    // took 9.5 s to reach 64 here and spent 36 % of the time in 64..=110.
    // The median of slow start's rounds reaches 64 in under a second.
    let server = Server {
        jitter: 0.5,
        ..Server::new(64, 50)
    };
    let (trace, _) = simulate(512, &server, 60);
    let reached = trace.first_reached(64).expect("reaches 64");
    assert!(reached < 1.5, "reached 64 after {reached:.2} s");
    let settled = trace.share_within(3.0, 64, 110);
    assert!(
        settled >= 0.9,
        "{:.1} % of the time in 64..=110",
        settled * 100.0
    );
}

#[test]
fn a_standing_queue_does_not_creep_into_the_no_load_latency() {
    // At the fixed point a queue of about sqrt(limit) always stands; the
    // periodic no-load probe keeps it from being learned as no-load.
    let (trace, _) = simulate(512, &Server::new(64, 50), 300);
    let highest = trace.highest_from(60.0);
    assert!(highest <= 83, "crept up to {highest} in 5 minutes");
    assert!(trace.share_within(60.0, 64, 83) >= 0.97);
    assert!(trace.lowest_from(60.0) >= 32, "a probe halves it, no more");
}

#[test]
fn grows_no_further_than_the_maximum_on_an_unbounded_server() {
    let start = Instant::now();
    let mut limit = AdaptiveLimit::new(4, 100, start);
    let server = Server::new(1_000_000, 5);
    let (trace, _) = run(&mut limit, &server, 20_000, start);
    assert_eq!(trace.points.last().unwrap().1, 100);
    assert_eq!(limit.peak(), 100);
}

#[test]
fn drops_cut_the_limit_once_per_round_trip_and_never_below_the_minimum() {
    let start = Instant::now();
    let mut limit = AdaptiveLimit::new(4, 512, start);
    let (_, mut now) = run(&mut limit, &Server::new(1_000_000, 5), 5_000, start);
    let before = limit.limit();
    assert!(before > 40, "{before}");
    // A burst of 429s from one overload: one cut.
    let changed = limit.on_sample(0, Sample::Dropped, now);
    assert_eq!(changed, Some((before as f64 * BACKOFF).round() as usize));
    assert!(!limit.in_slow_start());
    for _ in 0..20 {
        assert_eq!(limit.on_sample(0, Sample::Dropped, now), None);
    }
    now += Duration::from_millis(10);
    // Persistent drops, round trip after round trip, bring it down to the
    // minimum.
    for _ in 0..100 {
        limit.on_sample(0, Sample::Dropped, now);
        for _ in 0..8 {
            now += Duration::from_millis(5);
            let latency = Duration::from_millis(5);
            let round = limit.on_send(now);
            limit.on_sample(
                round,
                Sample::Answered {
                    latency,
                    in_flight: 1,
                },
                now,
            );
        }
    }
    assert_eq!(limit.limit(), 4);
    assert!(limit.peak() >= before);
}

#[test]
fn an_idle_limit_does_not_grow() {
    let mut now = Instant::now();
    let mut limit = AdaptiveLimit::new(4, 512, now);
    for _ in 0..1000 {
        now += Duration::from_millis(5);
        let latency = Duration::from_millis(5);
        let round = limit.on_send(now);
        limit.on_sample(
            round,
            Sample::Answered {
                latency,
                in_flight: 1,
            },
            now,
        );
    }
    assert_eq!(limit.limit(), 4);
}

#[test]
fn a_server_that_becomes_slower_for_good_is_relearned() {
    let start = Instant::now();
    let mut limit = AdaptiveLimit::new(4, 512, start);
    let (_, now) = run(&mut limit, &Server::new(32, 5), answers(32, 5, 20), start);
    // Ten times slower, same capacity: the limit first falls (all of it
    // reads as queueing), then a no-load probe learns the new latency and
    // it grows back to the capacity.
    let slower = Server::new(32, 50);
    let (trace, _) = run(&mut limit, &slower, answers(32, 50, 120), now);
    let last = trace.points.last().unwrap().1;
    assert!((32..=42).contains(&last), "{last}");
}

#[test]
fn a_cold_first_round_does_not_pollute_the_no_load_latency() {
    // The first round carries connection set-up and a cold client: three
    // times slower. It becomes the first no-load, and the next (faster)
    // round replaces it, so slow start still ends at the first queueing.
    let mut now = Instant::now();
    let mut limit = AdaptiveLimit::new(4, 512, now);
    let cold = Duration::from_millis(150);
    let mut sent = Vec::new();
    for _ in 0..8 {
        sent.push(limit.on_send(now));
    }
    for round in sent {
        now += cold / 4;
        let answer = Sample::Answered {
            latency: cold,
            in_flight: 4,
        };
        limit.on_sample(round, answer, now);
    }
    let (trace, _) = run(&mut limit, &Server::new(64, 50), answers(64, 50, 20), now);
    assert!(
        limit.peak() <= 96,
        "slow start overshot to {}",
        limit.peak()
    );
    let settled = trace.share_within(2.0, 64, 83);
    assert!(settled >= 0.97, "{:.1} % in 64..=83", settled * 100.0);
}

#[test]
fn a_stalled_request_now_and_then_does_not_end_slow_start() {
    // Every 16th answer stalls for four service times on the client: a
    // capped latency keeps one stall from reading as a queue, and a round
    // does not wait for its stragglers (about 1 s without the stalls).
    let server = Server {
        noise: 4.0,
        noise_every: 16,
        ..Server::new(256, 50)
    };
    let (trace, _) = simulate(512, &server, 10);
    let reached = trace
        .first_reached(256)
        .expect("never reached the capacity");
    assert!(reached < 2.5, "reached 256 after {reached:.2} s");
}

#[test]
fn slow_start_resumes_after_a_false_alarm() {
    // The client pauses during slow start: about 40 answers in a row are
    // late by two service times, which reads as queueing and ends slow
    // start at about 20. Rounds that then use the whole limit without
    // queueing resume it, so the capacity of 256 is found about as fast as
    // without the pause, not sqrt(limit) at a time.
    let server = Server {
        pause: Some((60..100, 2.0)),
        ..Server::new(256, 50)
    };
    let (trace, limit) = simulate(1024, &server, 10);
    let ended = trace.slow_start.iter().position(|on| !on);
    let ended = ended.expect("the pause did not end slow start");
    let paused_at = trace.points[ended].1;
    assert!(paused_at < 64, "slow start ended at {paused_at}");
    assert!(
        trace.slow_start[ended..].contains(&true),
        "slow start never resumed"
    );
    let reached = trace
        .first_reached(256)
        .expect("never reached the capacity");
    assert!(reached < 2.0, "reached 256 after {reached:.2} s");
    assert!(limit.peak() <= 384, "overshot to {}", limit.peak());
}
