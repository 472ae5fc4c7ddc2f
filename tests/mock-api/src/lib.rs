//! The project's mock REST API server: a loopback-only HTTP server with
//! fault injection (latency, failures, server-side rate limit, auth),
//! pagination in every style, an event feed, and `/stats` reporting what it
//! saw, so tests can assert the engine's concurrency and rate from outside.
//!
//! Used as a library by Rust tests (`MockServer::start`) and as the
//! `mock-api` binary by the pytest suites, the demo and the benchmarks.

mod bare_batch;
mod chunked;
mod clock;
mod compressed;
mod config;
mod connections;
mod customer_json;
mod customers;
mod encoding;
mod events;
mod faults;
mod growing;
mod idle_close;
mod misc;
mod oauth;
mod pagination;
mod params;
mod per_connection;
mod reply;
mod routes;
mod state;
mod stats;
mod stragglers;
#[cfg(test)]
mod testutil;
mod throttle;
mod tls;

use std::fmt::Debug;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::serve::{Listener, ListenerExt};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub use compressed::compressed_body;
pub use config::{Config, USAGE};
use state::AppState;
pub use stats::Stats;

/// A running server. Dropping it stops accepting connections and closes
/// the open ones once their in-flight requests are answered.
pub struct MockServer {
    addr: SocketAddr,
    state: Arc<AppState>,
    /// In TLS mode, the certificate (its PEM file is removed on drop).
    tls: Option<tls::Identity>,
    /// Dropping the sender is the shutdown signal.
    _shutdown: oneshot::Sender<()>,
}

impl MockServer {
    /// Binds 127.0.0.1:`config.port` (0 = a free port) and serves on the
    /// current Tokio runtime.
    pub async fn start(config: Config) -> io::Result<MockServer> {
        config
            .validate()
            .map_err(|message| io::Error::new(io::ErrorKind::InvalidInput, message))?;
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, config.port)).await?;
        let addr = listener.local_addr()?;
        let identity = if config.tls {
            Some(tls::Identity::generate(addr.port())?)
        } else {
            None
        };
        let state = Arc::new(AppState::new(config, addr));
        let app = routes::router(Arc::clone(&state));
        let app = per_connection::PerConnection::new(
            app,
            state.config.close_after,
            Arc::clone(&state.stats),
        );
        let (shutdown, signal) = oneshot::channel::<()>();
        match &identity {
            Some(identity) => {
                let listener = tls::TlsListener::new(listener, identity, Arc::clone(&state.stats))?;
                spawn_server(listener, app, signal);
            }
            None => {
                let recorder = Arc::clone(&state.stats);
                let counting = connections::CountingListener::new(listener, Arc::clone(&recorder));
                let idle = (state.config.idle_close_ms > 0)
                    .then(|| Duration::from_millis(state.config.idle_close_ms));
                let closing = idle_close::IdleCloseListener::new(counting, idle);
                let listener = closing.tap_io(move |_| recorder.add_connection());
                spawn_server(listener, app, signal);
            }
        }
        Ok(MockServer {
            addr,
            state,
            tls: identity,
            _shutdown: shutdown,
        })
    }

    /// `http://127.0.0.1:PORT`, or `https://127.0.0.1:PORT` in TLS mode.
    pub fn url(&self) -> String {
        self.state.base_url.clone()
    }

    /// In TLS mode, the server's self-signed certificate (PEM), to trust
    /// as a root.
    pub fn ca_pem(&self) -> Option<String> {
        self.tls.as_ref().map(|identity| identity.pem.clone())
    }

    /// In TLS mode, a temp file holding `ca_pem()`; removed when the server
    /// is dropped.
    pub fn ca_pem_path(&self) -> Option<&Path> {
        self.tls.as_ref().map(tls::Identity::pem_path)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The same numbers as `GET /stats`.
    pub fn stats(&self) -> Stats {
        self.state.stats.snapshot()
    }

    /// The same as `POST /stats/reset`: zeroes the counters and forgets the
    /// attempt counts of the retry endpoints.
    pub fn reset_stats(&self) {
        self.state.reset();
    }
}

/// Serves `app` on `listener` (plain TCP or TLS) until `signal` resolves.
fn spawn_server<L>(listener: L, app: per_connection::PerConnection, signal: oneshot::Receiver<()>)
where
    L: Listener,
    L::Addr: Debug,
    L::Io: connections::ControlMark,
{
    tokio::spawn(async move {
        let serve = axum::serve(listener, app).with_graceful_shutdown(async {
            // Resolves (with an error) when the sender is dropped.
            let _ = signal.await;
        });
        if let Err(error) = serve.await {
            eprintln!("mock-api: server error: {error}");
        }
    });
}
