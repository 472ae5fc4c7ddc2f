//! A deterministic simulation, for the adaptive limit's tests: a client
//! that always has work keeps `limit` requests in flight against a server
//! that serves `capacity` at once, `service` each, and queues the rest in
//! arrival order (the mock API's `/capacity`). Virtual time, no sleeps.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

use crate::send::adaptive_limit::{AdaptiveLimit, RoundId, Sample};

pub struct Server {
    pub capacity: usize,
    pub service: Duration,
    /// Extra client-side latency added to every `noise_every`-th answer, as
    /// a fraction of `service` (a busy client machine); 0 for none.
    pub noise: f64,
    pub noise_every: u64,
    /// Client-side delay that changes every `service` of virtual time, up
    /// to this fraction of `service` (pseudo-random, seeded): whole rounds
    /// of a busy client come back slower or faster than others.
    pub jitter: f64,
    /// Requests (by send order) delayed on the client by this fraction of
    /// `service`: one pause of the client.
    pub pause: Option<(std::ops::Range<u64>, f64)>,
}

impl Server {
    pub fn new(capacity: usize, service_ms: u64) -> Server {
        Server {
            capacity,
            service: Duration::from_millis(service_ms),
            noise: 0.0,
            noise_every: 1,
            jitter: 0.0,
            pause: None,
        }
    }
}

/// A request on its way: (answer time, send time, in flight at send,
/// sequence number, round), ordered by answer time.
type Request = (u64, u64, usize, u64, RoundId);

/// What the simulation saw, one entry per answer.
pub struct Trace {
    /// (virtual seconds, limit after the answer, requests in flight).
    pub points: Vec<(f64, usize, usize)>,
    /// Latency of every answer, in multiples of `service`.
    pub latencies: Vec<f64>,
    /// Whether slow start was on after each answer.
    pub slow_start: Vec<bool>,
}

impl Trace {
    /// The highest limit at or after `from` seconds.
    pub fn highest_from(&self, from: f64) -> usize {
        let after = self.points.iter().filter(|p| p.0 >= from);
        after.map(|p| p.1).max().unwrap_or(0)
    }

    /// The share of answers at or after `from` seconds that found the limit
    /// within `low..=high` (the rest: slow start, no-load probes).
    pub fn share_within(&self, from: f64, low: usize, high: usize) -> f64 {
        let after: Vec<_> = self.points.iter().filter(|p| p.0 >= from).collect();
        let within = after.iter().filter(|p| (low..=high).contains(&p.1));
        within.count() as f64 / after.len().max(1) as f64
    }

    /// The lowest limit at or after `from` seconds.
    pub fn lowest_from(&self, from: f64) -> usize {
        let after = self.points.iter().filter(|p| p.0 >= from);
        after.map(|p| p.1).min().unwrap_or(0)
    }

    /// The `q` quantile of latency (as a multiple of service).
    pub fn latency_quantile(&self, q: f64) -> f64 {
        let mut sorted = self.latencies.clone();
        sorted.sort_by(f64::total_cmp);
        sorted[((sorted.len() as f64 * q) as usize).min(sorted.len() - 1)]
    }

    /// The first time (seconds) the limit reached `limit`.
    pub fn first_reached(&self, limit: usize) -> Option<f64> {
        self.points.iter().find(|p| p.1 >= limit).map(|p| p.0)
    }
}

/// Answers of a server of `capacity` slots and `service_ms` for about
/// `seconds` at that server's full throughput.
pub fn answers(capacity: usize, service_ms: u64, seconds: u64) -> usize {
    (capacity as u64 * seconds * 1000 / service_ms) as usize
}

/// A fresh limit of `4..=max` against `server` for about `seconds` at the
/// server's full throughput: the trace, and the limit for its peak.
pub fn simulate(max: usize, server: &Server, seconds: u64) -> (Trace, AdaptiveLimit) {
    let start = Instant::now();
    let mut limit = AdaptiveLimit::new(4, max, start);
    let service_ms = server.service.as_millis() as u64;
    let answers = answers(server.capacity, service_ms, seconds);
    let (trace, _) = run(&mut limit, server, answers, start);
    (trace, limit)
}

/// Runs `answers` answers of `server` against `limit`, starting at `start`;
/// returns the trace and the virtual time at the end.
pub fn run(
    limit: &mut AdaptiveLimit,
    server: &Server,
    answers: usize,
    start: Instant,
) -> (Trace, Instant) {
    // Virtual nanoseconds since `start`.
    let mut slots_free: BinaryHeap<Reverse<u64>> =
        (0..server.capacity).map(|_| Reverse(0)).collect();
    let mut pending: BinaryHeap<Reverse<Request>> = BinaryHeap::new();
    let service = server.service.as_nanos() as u64;
    let mut now = 0u64;
    let mut sequence = 0u64;
    let mut trace = Trace {
        points: Vec::new(),
        latencies: Vec::new(),
        slow_start: Vec::new(),
    };
    let send_up_to_limit = |now: u64,
                            limit: &mut AdaptiveLimit,
                            pending: &mut BinaryHeap<_>,
                            slots: &mut BinaryHeap<Reverse<u64>>,
                            sequence: &mut u64| {
        while pending.len() < limit.limit() {
            let round = limit.on_send(start + Duration::from_nanos(now));
            let Reverse(free) = slots.pop().expect("capacity >= 1");
            let begins = free.max(now);
            slots.push(Reverse(begins + service));
            *sequence += 1;
            let noisy = server.noise > 0.0 && (*sequence).is_multiple_of(server.noise_every);
            let mut noise = if noisy {
                (service as f64 * server.noise) as u64
            } else {
                0
            };
            if server.jitter > 0.0 {
                noise += (service as f64 * server.jitter * unit_noise(now / service)) as u64;
            }
            if let Some((sequences, pause)) = &server.pause {
                if sequences.contains(sequence) {
                    noise += (service as f64 * pause) as u64;
                }
            }
            let in_flight = pending.len() + 1;
            pending.push(Reverse((
                begins + service + noise,
                now,
                in_flight,
                *sequence,
                round,
            )));
        }
    };
    send_up_to_limit(now, limit, &mut pending, &mut slots_free, &mut sequence);
    for _ in 0..answers {
        let Reverse((answered, sent, in_flight, _, round)) =
            pending.pop().expect("requests in flight");
        now = answered;
        let latency = Duration::from_nanos(answered - sent);
        let at = start + Duration::from_nanos(now);
        limit.on_sample(round, Sample::Answered { latency, in_flight }, at);
        trace.slow_start.push(limit.in_slow_start());
        trace
            .latencies
            .push(latency.as_secs_f64() / server.service.as_secs_f64());
        trace
            .points
            .push((now as f64 / 1e9, limit.limit(), pending.len()));
        send_up_to_limit(now, limit, &mut pending, &mut slots_free, &mut sequence);
    }
    (trace, start + Duration::from_nanos(now))
}

/// A pseudo-random number in [0, 1) for time slot `slot` (splitmix64):
/// deterministic, so the tests do not flake.
fn unit_noise(slot: u64) -> f64 {
    let mut z = slot.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}
