//! Keep-alive HTTP/1.1 connections per host for plain `http://` APIs, at
//! most `cap` of them open per host at any time. A request takes a permit
//! and then an idle connection, or opens one when none is idle; it puts the
//! connection back before it gives the permit back. So open connections
//! never outnumber permits: the cap is exact, where reqwest's pool can only
//! be held within it by a heuristic (`connection_cap`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::client::conn::http1::SendRequest;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub type Connection = SendRequest<Full<Bytes>>;

/// The pools of one engine, one per `host:port`.
pub struct Http1Pools {
    cap: usize,
    connect_timeout: Duration,
    hosts: Mutex<HashMap<String, Arc<HostPool>>>,
}

struct HostPool {
    permits: Arc<Semaphore>,
    idle: Mutex<Vec<Connection>>,
}

/// A connection lent to one request. Dropped without `reusable()`, it is
/// closed (its response may be half read); with it, it goes back to idle.
pub struct Lease {
    connection: Option<Connection>,
    /// Whether the connection came from idle (a server may have closed it
    /// meanwhile, so a failed send on it is retried once on a new one).
    pub reused: bool,
    reusable: bool,
    pool: Arc<HostPool>,
    // Declared last: dropped after `Drop::drop` put the connection back.
    _permit: OwnedSemaphorePermit,
}

impl Http1Pools {
    pub fn new(cap: usize, connect_timeout: Duration) -> Http1Pools {
        Http1Pools {
            cap: cap.max(1),
            connect_timeout,
            hosts: Mutex::new(HashMap::new()),
        }
    }

    /// A ready connection to `host_port` (`host:port`), waiting while `cap`
    /// are in use. `fresh`: skip idle connections and open a new one.
    pub async fn lease(&self, host_port: &str, fresh: bool) -> Result<Lease, String> {
        let pool = self.host(host_port);
        let permit = pool
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| "engine is shutting down".to_string())?;
        if !fresh {
            while let Some(mut connection) = pool.take_idle() {
                // Ready at once unless the server closed it.
                if connection.ready().await.is_ok() {
                    return Ok(Lease {
                        connection: Some(connection),
                        reused: true,
                        reusable: false,
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
            pool,
            _permit: permit,
        })
    }

    fn host(&self, host_port: &str) -> Arc<HostPool> {
        let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(pool) = hosts.get(host_port) {
            return pool.clone();
        }
        let pool = Arc::new(HostPool {
            permits: Arc::new(Semaphore::new(self.cap)),
            idle: Mutex::new(Vec::new()),
        });
        hosts.insert(host_port.to_string(), pool.clone());
        pool
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
        let io = hyper_util::rt::TokioIo::new(stream);
        let (sender, connection) = hyper::client::conn::http1::handshake(io)
            .await
            .map_err(|e| format!("connection failed: {e}"))?;
        // The connection's own task reads and writes the socket; it ends
        // when the server closes or the last `SendRequest` is dropped.
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(sender)
    }
}

impl HostPool {
    fn take_idle(&self) -> Option<Connection> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop()
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
            if self.reusable && !connection.is_closed() {
                self.pool
                    .idle
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(connection);
            }
        }
    }
}
