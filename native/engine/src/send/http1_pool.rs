//! Keep-alive HTTP/1.1 connections per host for plain `http://` APIs, at
//! most `cap` of them open per host at any time. A request takes a permit
//! and then an idle connection, or opens one when none is idle; it puts the
//! connection back before it gives the permit back. So open connections
//! never outnumber permits: the cap is exact, where reqwest's pool can only
//! be held within it by a heuristic (`connection_cap`).
//!
//! A connection idle for `IDLE_TIMEOUT` is closed, as reqwest's pool does:
//! an engine lives as long as its executor, and a template that reaches
//! many hosts would otherwise keep a socket open to each of them for ever.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::send::http1_wire::Connection;

/// reqwest's (hyper-util's) default idle timeout.
const IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// The pools of one engine, one per `host:port`.
pub struct Http1Pools {
    cap: usize,
    connect_timeout: Duration,
    idle_timeout: Duration,
    hosts: Mutex<Hosts>,
}

struct Hosts {
    pools: HashMap<String, Arc<HostPool>>,
    /// When idle connections were last closed (checked at most once per
    /// `idle_timeout`, on the way to a lease).
    swept: Instant,
}

struct HostPool {
    permits: Arc<Semaphore>,
    /// Idle connections and since when, the most recent last.
    idle: Mutex<Vec<(Connection, Instant)>>,
}

/// A connection lent to one request. Dropped without `reusable()`, it is
/// closed (its response may be half read); with it, it goes back to idle.
pub struct Lease {
    connection: Option<Connection>,
    /// Whether the connection came from idle (a server may have closed it
    /// meanwhile, so a failed send on it is retried once on a new one).
    pub reused: bool,
    reusable: bool,
    /// When the request leased it: its idle time is counted from here (a
    /// request's duration early, which only closes it that much sooner),
    /// so a request reads the clock once, in the sender, not here.
    leased_at: Instant,
    pool: Arc<HostPool>,
    // Declared last: dropped after `Drop::drop` put the connection back.
    _permit: OwnedSemaphorePermit,
}

impl Http1Pools {
    pub fn new(cap: usize, connect_timeout: Duration) -> Http1Pools {
        Http1Pools::with_idle_timeout(cap, connect_timeout, IDLE_TIMEOUT)
    }

    fn with_idle_timeout(cap: usize, connect_timeout: Duration, idle_timeout: Duration) -> Self {
        Http1Pools {
            cap: cap.max(1),
            connect_timeout,
            idle_timeout,
            hosts: Mutex::new(Hosts {
                pools: HashMap::new(),
                swept: Instant::now(),
            }),
        }
    }

    /// A ready connection to `host_port` (`host:port`), waiting while `cap`
    /// are in use. `fresh`: skip idle connections and open a new one.
    /// `now`: the request's start, for idle times.
    pub async fn lease(&self, host_port: &str, fresh: bool, now: Instant) -> Result<Lease, String> {
        let pool = self.host(host_port, now);
        let permit = pool
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| "engine is shutting down".to_string())?;
        if !fresh {
            while let Some(connection) = pool.take_idle(self.idle_timeout, now) {
                if connection.usable() {
                    return Ok(Lease {
                        connection: Some(connection),
                        reused: true,
                        reusable: false,
                        leased_at: now,
                        pool,
                        _permit: permit,
                    });
                }
            }
        }
        let connection = self.connect(host_port).await?;
        Ok(Lease {
            connection: Some(connection),
            reused: false,
            reusable: false,
            leased_at: now,
            pool,
            _permit: permit,
        })
    }

    fn host(&self, host_port: &str, now: Instant) -> Arc<HostPool> {
        let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        if now.duration_since(hosts.swept) >= self.idle_timeout {
            hosts.swept = now;
            self.sweep(&mut hosts.pools);
        }
        if let Some(pool) = hosts.pools.get(host_port) {
            return pool.clone();
        }
        let pool = Arc::new(HostPool {
            permits: Arc::new(Semaphore::new(self.cap)),
            idle: Mutex::new(Vec::new()),
        });
        hosts.pools.insert(host_port.to_string(), pool.clone());
        pool
    }

    /// Closes connections idle for `idle_timeout` and forgets hosts with
    /// nothing left. A host is forgotten only while nobody else holds its
    /// pool (under the hosts lock nobody can take it), so two pools of one
    /// host never coexist and the cap stays exact.
    fn sweep(&self, pools: &mut HashMap<String, Arc<HostPool>>) {
        pools.retain(|_, pool| {
            let mut idle = pool.idle.lock().unwrap_or_else(|e| e.into_inner());
            idle.retain(|(connection, since)| {
                connection.usable() && since.elapsed() < self.idle_timeout
            });
            !idle.is_empty() || Arc::strong_count(pool) > 1
        });
    }

    /// Idle connections and known hosts (for tests).
    #[cfg(test)]
    fn counts(&self) -> (usize, usize) {
        let hosts = self.hosts.lock().unwrap();
        let idle = hosts
            .pools
            .values()
            .map(|p| p.idle.lock().unwrap().len())
            .sum();
        (idle, hosts.pools.len())
    }

    async fn connect(&self, host_port: &str) -> Result<Connection, String> {
        let stream = tokio::time::timeout(
            self.connect_timeout,
            tokio::net::TcpStream::connect(host_port),
        )
        .await
        .map_err(|_| {
            format!(
                "connection failed: no connection within connectTimeout ({} ms)",
                self.connect_timeout.as_millis()
            )
        })?
        .map_err(|e| format!("connection failed: {e}"))?;
        // Small requests and answers: do not wait to fill a segment.
        let _ = stream.set_nodelay(true);
        Ok(Connection::new(stream))
    }
}

impl HostPool {
    /// The most recently used idle connection (the least likely to have
    /// been closed by the server's own idle timeout).
    fn take_idle(&self, idle_timeout: Duration, now: Instant) -> Option<Connection> {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        while let Some((connection, since)) = idle.pop() {
            if now.duration_since(since) < idle_timeout {
                return Some(connection);
            }
        }
        None
    }
}

impl Lease {
    pub fn connection(&mut self) -> &mut Connection {
        self.connection
            .as_mut()
            .expect("a lease holds its connection until dropped")
    }

    /// The response was read to its end: the connection may serve another.
    pub fn reusable(&mut self) {
        self.reusable = true;
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(connection) = self.connection.take() {
            if self.reusable {
                self.pool
                    .idle
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((connection, self.leased_at));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use mock_api::Config;

    use super::Http1Pools;
    use crate::test_support::server;

    #[test]
    fn idle_connections_close_after_the_idle_timeout_and_hosts_are_forgotten() {
        let api = server(Config::default());
        let host_port = api.url().trim_start_matches("http://").to_string();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let pools =
            Http1Pools::with_idle_timeout(4, Duration::from_secs(5), Duration::from_millis(200));
        runtime.block_on(async {
            let mut leases = Vec::new();
            for _ in 0..3 {
                leases.push(
                    pools
                        .lease(&host_port, false, Instant::now())
                        .await
                        .unwrap(),
                );
            }
            for lease in &mut leases {
                lease.reusable();
            }
        });
        assert_eq!(pools.counts(), (3, 1), "three idle connections, one host");
        std::thread::sleep(Duration::from_millis(300));
        // The next lease, to another host, sweeps the expired ones.
        runtime.block_on(async {
            let _ = pools.lease("127.0.0.1:9", false, Instant::now()).await;
        });
        let (idle, _) = pools.counts();
        assert_eq!(idle, 0, "expired idle connections are closed");
        assert!(
            !pools.hosts.lock().unwrap().pools.contains_key(&host_port),
            "a host with nothing left is forgotten"
        );
    }
}
