use super::*;

/// A server that serves `capacity` requests at once in `base` each and
/// queues the rest: with `limit` requests in flight, each takes
/// `base * max(1, limit / capacity)`. Runs `rounds` round trips of a client
/// that always keeps `limit` requests in flight; returns the limit per round.
fn run_against_capacity(
    limit: &mut AdaptiveLimit,
    capacity: usize,
    base: Duration,
    rounds: usize,
    now: &mut Instant,
) -> Vec<usize> {
    let mut history = Vec::new();
    for _ in 0..rounds {
        let in_flight = limit.limit();
        let load = (in_flight as f64 / capacity as f64).max(1.0);
        let latency = base.mul_f64(load);
        let step = latency / in_flight as u32;
        for _ in 0..in_flight {
            *now += step;
            limit.on_sample(Sample::Answered { latency, in_flight }, *now);
        }
        history.push(limit.limit());
    }
    history
}

#[test]
fn starts_at_the_minimum() {
    let limit = AdaptiveLimit::new(4, 512, Instant::now());
    assert_eq!((limit.limit(), limit.peak()), (4, 4));
}

#[test]
fn finds_a_capacity_limited_servers_throughput_without_a_long_queue() {
    let mut now = Instant::now();
    let mut limit = AdaptiveLimit::new(4, 512, now);
    let base = Duration::from_millis(20);
    let history = run_against_capacity(&mut limit, 64, base, 200, &mut now);
    let settled = &history[100..];
    let lowest = *settled.iter().min().unwrap();
    let highest = *settled.iter().max().unwrap();
    // At or above capacity: the server's whole throughput is used...
    assert!(lowest >= 64, "settled too low: {history:?}");
    // ...with latency at most ~2x no-load (3x is the acceptance bound).
    assert!(highest <= 128, "queue too long: {history:?}");
    // Slow start found the capacity within a few dozen round trips.
    assert!(history[..30].iter().any(|&l| l >= 64), "{history:?}");
}

#[test]
fn grows_no_further_than_the_maximum_on_an_unbounded_server() {
    let mut now = Instant::now();
    let mut limit = AdaptiveLimit::new(4, 100, now);
    let history = run_against_capacity(
        &mut limit,
        1_000_000,
        Duration::from_millis(5),
        100,
        &mut now,
    );
    assert_eq!(*history.last().unwrap(), 100);
    assert_eq!(limit.peak(), 100);
}

#[test]
fn drops_cut_the_limit_once_per_round_trip_and_never_below_the_minimum() {
    let mut now = Instant::now();
    let mut limit = AdaptiveLimit::new(4, 512, now);
    run_against_capacity(
        &mut limit,
        1_000_000,
        Duration::from_millis(5),
        40,
        &mut now,
    );
    let before = limit.limit();
    assert!(before > 40, "{before}");
    // A burst of 429s from one overload: one cut.
    let changed = limit.on_sample(Sample::Dropped, now);
    assert_eq!(changed, Some((before as f64 * BACKOFF).round() as usize));
    for _ in 0..20 {
        assert_eq!(limit.on_sample(Sample::Dropped, now), None);
    }
    now += Duration::from_millis(10);
    // Persistent drops, round trip after round trip, bring it down to the
    // minimum.
    for _ in 0..100 {
        limit.on_sample(Sample::Dropped, now);
        for _ in 0..MIN_WINDOW_SAMPLES {
            now += Duration::from_millis(5);
            limit.on_sample(
                Sample::Answered {
                    latency: Duration::from_millis(5),
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
        limit.on_sample(
            Sample::Answered {
                latency: Duration::from_millis(5),
                in_flight: 1,
            },
            now,
        );
    }
    assert_eq!(limit.limit(), 4);
}

#[test]
fn a_server_that_becomes_slower_for_good_is_relearned() {
    let mut now = Instant::now();
    let mut limit = AdaptiveLimit::new(4, 512, now);
    run_against_capacity(&mut limit, 32, Duration::from_millis(5), 100, &mut now);
    // Ten times slower, same capacity: after two no-load periods the limit
    // is back near the capacity instead of at the minimum.
    let history = run_against_capacity(&mut limit, 32, Duration::from_millis(50), 600, &mut now);
    let last = *history.last().unwrap();
    assert!((32..=80).contains(&last), "{history:?}");
}
