//! The state every handler shares, built once per server from its `Config`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use crate::config::Config;
use crate::events::EventFeed;
use crate::faults::Faults;
use crate::oauth::TokenStore;
use crate::stats::Recorder;
use crate::throttle::Throttle;

pub type Shared = Arc<AppState>;

pub struct AppState {
    pub config: Config,
    /// `http://127.0.0.1:PORT` (`https://` in TLS mode), for the absolute
    /// URLs of link and nextUrl pagination.
    pub base_url: String,
    pub stats: Arc<Recorder>,
    pub faults: Faults,
    pub tokens: TokenStore,
    pub hits: HitCounter,
    pub feed: EventFeed,
    /// `/capacity` and `/ratelimited` (capacity queues, rate windows).
    pub throttle: Throttle,
    pub growing: crate::growing::Feeds,
}

impl AppState {
    pub fn new(config: Config, addr: SocketAddr) -> AppState {
        AppState {
            base_url: format!("{}://{addr}", if config.tls { "https" } else { "http" }),
            stats: Arc::default(),
            faults: Faults::new(config.seed),
            tokens: TokenStore::default(),
            hits: HitCounter::default(),
            feed: EventFeed::starting_now(config.event_rate, config.event_max),
            throttle: Throttle::default(),
            growing: Default::default(),
            config,
        }
    }

    /// What `POST /stats/reset` clears: counters and hit counts. Issued
    /// tokens stay valid (an engine under test may hold one) and the event
    /// feed keeps its clock.
    pub fn reset(&self) {
        self.stats.reset();
        self.hits.clear();
    }
}

/// How many times each key was hit, for the endpoints whose answer depends
/// on the attempt number (`/flaky`, `/retry-after*`).
#[derive(Default)]
pub struct HitCounter {
    hits: Mutex<HashMap<String, u64>>,
}

impl HitCounter {
    /// Counts a hit on `key` and returns its number, starting at 1.
    pub fn hit(&self, key: String) -> u64 {
        let mut hits = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        let count = hits.entry(key).or_default();
        *count += 1;
        *count
    }

    pub fn clear(&self) {
        self.hits.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}
