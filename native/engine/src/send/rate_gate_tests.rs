use super::*;

fn go(budget: &mut HostBudget, now: Instant) -> Ticket {
    match budget.decide(now) {
        Decision::Go(ticket) => ticket,
        Decision::Wait(w) => panic!("expected to go, told to wait {w:?}"),
    }
}

fn waits(budget: &mut HostBudget, now: Instant) -> Duration {
    match budget.decide(now) {
        Decision::Wait(w) => w,
        Decision::Go(t) => panic!("expected to wait, let through {t:?}"),
    }
}

fn report(remaining: u64, reset_secs: u64, limit: Option<u64>) -> RateInfo {
    RateInfo {
        limit,
        remaining: Some(remaining),
        reset: Some(Duration::from_secs(reset_secs)),
    }
}

#[test]
fn without_reports_everything_goes() {
    let mut b = HostBudget::default();
    let now = Instant::now();
    for _ in 0..1000 {
        go(&mut b, now);
    }
}

#[test]
fn a_used_up_budget_waits_for_the_reset_then_gets_the_full_quota() {
    let mut b = HostBudget::default();
    let t0 = Instant::now();
    let first = go(&mut b, t0);
    // The server counted it: 4 of 5 left, window ends in 1 s.
    b.observe(first, &report(4, 1, Some(5)), None, t0);
    for _ in 0..4 {
        go(&mut b, t0);
    }
    let wait = waits(&mut b, t0);
    assert!(wait > Duration::from_millis(900) && wait <= Duration::from_secs(1));
    // After the reset: a new epoch with the full quota of 5, then wait again.
    let t1 = t0 + wait;
    for _ in 0..5 {
        go(&mut b, t1);
    }
    assert!(waits(&mut b, t1) > Duration::ZERO);
}

#[test]
fn requests_in_flight_are_counted_against_a_report() {
    let mut b = HostBudget::default();
    let now = Instant::now();
    let first = go(&mut b, now);
    // Nine more went out before the first answer arrived...
    for _ in 0..9 {
        go(&mut b, now);
    }
    // ...which says 10 are left: only 1 more may go (the 9 may each use one).
    b.observe(first, &report(10, 1, None), None, now);
    go(&mut b, now);
    waits(&mut b, now);
    // A later, higher report (out of order) does not raise the mark.
    let ticket = Ticket { seq: 5, epoch: 0 };
    b.observe(ticket, &report(50, 1, None), None, now);
    waits(&mut b, now);
}

#[test]
fn answers_from_an_older_window_are_ignored() {
    let mut b = HostBudget::default();
    let t0 = Instant::now();
    let old = go(&mut b, t0);
    let first = go(&mut b, t0);
    b.observe(first, &report(0, 1, Some(100)), None, t0);
    let t1 = t0 + Duration::from_secs(1);
    go(&mut b, t1); // new epoch, full quota
                    // A late answer of the old window says 0 left: not about this window.
    b.observe(old, &report(0, 1, Some(100)), None, t1);
    go(&mut b, t1);
}

#[test]
fn retry_after_closes_the_host() {
    let mut b = HostBudget::default();
    let now = Instant::now();
    let t = go(&mut b, now);
    b.observe(t, &RateInfo::default(), Some(Duration::from_secs(2)), now);
    assert_eq!(waits(&mut b, now), Duration::from_secs(2));
    go(&mut b, now + Duration::from_secs(2));
}

#[test]
fn a_budget_without_reset_waits_a_second_then_probes() {
    let mut b = HostBudget::default();
    let now = Instant::now();
    let t = go(&mut b, now);
    b.observe(
        t,
        &RateInfo {
            remaining: Some(0),
            ..RateInfo::default()
        },
        None,
        now,
    );
    assert_eq!(waits(&mut b, now), UNKNOWN_RESET_WAIT);
    go(&mut b, now + UNKNOWN_RESET_WAIT);
}

#[test]
fn a_reset_rounded_down_to_zero_still_waits_a_little() {
    let mut b = HostBudget::default();
    let now = Instant::now();
    let t = go(&mut b, now);
    b.observe(t, &report(0, 0, None), None, now);
    assert_eq!(waits(&mut b, now), MIN_RESET_WAIT);
}

#[test]
fn the_async_gate_holds_requests_until_the_reset() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let gate = RateGate::default();
        let (ticket, waited) = gate.admit("h:1").await;
        assert!(waited < Duration::from_millis(50));
        gate.observe(
            "h:1",
            ticket,
            &RateInfo {
                remaining: Some(0),
                reset: Some(Duration::from_millis(300)),
                limit: None,
            },
            None,
        );
        // Another host is not affected.
        let (_, other) = gate.admit("other:1").await;
        assert!(other < Duration::from_millis(50));
        let (_, waited) = gate.admit("h:1").await;
        assert!(waited >= Duration::from_millis(250), "{waited:?}");
    });
}
