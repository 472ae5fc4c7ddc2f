//! Keeps the connections an engine opens to one host within the requests
//! it lets in flight to that host (so within `concurrency`, or within
//! `concurrencyMax` with `concurrency=auto`), for requests sent through
//! reqwest: HTTPS, proxies and URLs the direct path leaves to it. Plain
//! `http://` requests use `http1_pool`, whose cap is exact.
//!
//! Why a gate is needed: hyper's pool gives a finished response's
//! connection back from a task of its own, a moment after the body ended.
//! A request admitted in that moment finds no idle connection, and hyper
//! then races its pool checkout against a new connect; when the old
//! connection comes back the checkout wins, but the connect still completes
//! in the background and parks one more connection in the pool.
//!
//! reqwest 0.13 hides the connection type from connector layers
//! (`Conn` is sealed), so a permit cannot ride on the connection itself.
//! Instead each host keeps a count of its *spare* connections: ones that
//! are idle or on their way back to the pool, or connects that lost the
//! race and will land there; and of the requests whose connect waits. A
//! connect may start only while the waiting requests outnumber the spare
//! connections (each spare will serve one of them); otherwise it waits,
//! and is dropped as soon as its request got a pooled connection. Counting
//! connections as in use (one per request holding one), connecting (one
//! per request without one) and spare: a connect starts only when spare <
//! waiting, so connections never exceed the requests in flight to the host.
//!
//! Spare connections that die unseen (the server closes an idle
//! connection) would block connects for ever, so a spare entry counts for
//! `RETURN_GRACE` only: long enough for hyper's pool task to run on a
//! loaded machine, short enough that a dead connection costs a connect at
//! most that long. Responses that say `Connection: close` never count as
//! spare, so a server that closes every N requests costs nothing.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use reqwest::header::CONNECTION;
use reqwest::Version;
use tokio::sync::Notify;

/// How long a connection on its way back to the pool keeps new connects
/// to its host waiting (see the module comment).
pub const RETURN_GRACE: Duration = Duration::from_secs(1);

type BoxError = Box<dyn std::error::Error + Send + Sync>;

tokio::task_local! {
    /// The attempt whose request is being sent on this task: hyper calls the
    /// connector while the request's future is polled, so the connector
    /// layer knows which request (and host) a connect is for.
    static ATTEMPT: Arc<Ticket>;
}

/// The spare-connection counts of every host an engine talks to.
#[derive(Default)]
pub struct ConnectionCap {
    hosts: Mutex<HashMap<String, Arc<HostConns>>>,
}

#[derive(Default)]
struct HostConns {
    state: Mutex<Spare>,
    /// Woken whenever a waiting connect may have to re-check.
    changed: Notify,
}

#[derive(Default)]
struct Spare {
    /// When each idle or returning connection was seen finishing, oldest first.
    returning: VecDeque<Instant>,
    /// Connects whose request got a pooled connection first: they land in
    /// the pool when they complete. They never expire (the connect timeout
    /// ends them).
    background: usize,
    /// Requests whose connect waits for its turn: each spare connection
    /// will serve one of them, the others may connect.
    waiting: usize,
}

impl Spare {
    fn prune(&mut self, now: Instant) {
        while self
            .returning
            .front()
            .is_some_and(|t| now.duration_since(*t) >= RETURN_GRACE)
        {
            self.returning.pop_front();
        }
    }
}

/// One attempt's claim on its host's connections, shared by the sender
/// and the connect it may start.
pub struct Ticket {
    host: Arc<HostConns>,
    state: Mutex<TicketState>,
}

#[derive(Default)]
struct TicketState {
    phase: Phase,
    /// The request has its answer (or gave up): it needs no connect any more.
    done: bool,
    /// Its connect went on after the request was done (counted in `background`).
    background: bool,
    /// Its connection goes back to the pool once the body ends.
    returns: bool,
}

#[derive(Default, Clone, Copy, PartialEq, Debug)]
enum Phase {
    #[default]
    None,
    Waiting,
    Connecting,
    Connected,
}

enum Admission {
    Go,
    Abort,
    WaitUntil(Instant),
}

impl ConnectionCap {
    /// The ticket of one attempt to `url`.
    pub fn ticket(&self, url: &str) -> Arc<Ticket> {
        let key = pool_key(url);
        let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        // Looked up by &str first: no allocation per request.
        let host = match hosts.get(key) {
            Some(host) => Arc::clone(host),
            None => Arc::clone(hosts.entry(key.to_string()).or_default()),
        };
        drop(hosts);
        Arc::new(Ticket {
            host,
            state: Mutex::default(),
        })
    }
}

/// `scheme://authority` of `url`, as hyper's pool keys its connections
/// (without parsing the URL: this runs once per request).
fn pool_key(url: &str) -> &str {
    let start = url.find("://").map_or(0, |i| i + 3);
    let end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| start + i);
    &url[..end]
}

impl HostConns {
    fn spare(&self) -> MutexGuard<'_, Spare> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Ticket {
    fn state(&self) -> MutexGuard<'_, TicketState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sends `request` and waits for its head, with any connect it starts
    /// gated by this ticket.
    pub async fn send(
        self: &Arc<Self>,
        request: reqwest::RequestBuilder,
    ) -> reqwest::Result<reqwest::Response> {
        let mut cancelled = DoneOnDrop(Some(self));
        let result = ATTEMPT.scope(Arc::clone(self), request.send()).await;
        cancelled.0 = None;
        if let Ok(response) = &result {
            self.state().returns = returns_to_pool(response);
        }
        self.mark_responded(result.is_ok());
        result
    }

    /// The request has its response head (`answered`) or gave up.
    fn mark_responded(&self, answered: bool) {
        {
            let mut state = self.state();
            if !state.done {
                state.done = true;
                let mut spare = self.host.spare();
                let now = Instant::now();
                spare.prune(now);
                if answered && state.phase != Phase::Connected {
                    // It was answered on a connection it did not open: one
                    // spare connection is in use again.
                    spare.returning.pop_front();
                }
                match state.phase {
                    Phase::Connecting => {
                        state.background = true;
                        spare.background += 1;
                    }
                    Phase::Waiting => {
                        spare.waiting -= 1;
                        state.phase = Phase::None;
                    }
                    Phase::None | Phase::Connected => {}
                }
            }
        }
        self.host.changed.notify_waiters();
    }

    /// The body was read to its end: the connection is on its way back.
    pub fn body_ended(&self) {
        if self.state().returns {
            self.host.spare().returning.push_back(Instant::now());
        }
    }

    /// Whether a connect may start now (taking the connect phase if so).
    fn admit(&self, now: Instant) -> Admission {
        let mut state = self.state();
        if state.done {
            return Admission::Abort;
        }
        let mut spare = self.host.spare();
        spare.prune(now);
        if state.phase != Phase::Waiting {
            state.phase = Phase::Waiting;
            spare.waiting += 1;
        }
        // Every spare connection serves one waiting request; one more
        // connect keeps connections within the requests in flight.
        if spare.returning.len() + spare.background < spare.waiting {
            spare.waiting -= 1;
            state.phase = Phase::Connecting;
            return Admission::Go;
        }
        let next = spare
            .returning
            .front()
            .map_or(now + RETURN_GRACE, |t| *t + RETURN_GRACE);
        Admission::WaitUntil(next)
    }

    /// The connect ended (`ok`: with a connection).
    fn connected(&self, ok: bool) {
        {
            let mut state = self.state();
            if state.phase != Phase::Connecting {
                return;
            }
            state.phase = if ok { Phase::Connected } else { Phase::None };
            if state.background {
                state.background = false;
                let mut spare = self.host.spare();
                spare.background -= 1;
                if ok {
                    // It lands in the pool as an idle connection.
                    spare.returning.push_back(Instant::now());
                }
            }
        }
        self.host.changed.notify_waiters();
    }

    /// Waits until a connect may start; Err when the request no longer
    /// needs one.
    async fn wait_for_turn(&self) -> Result<(), BoxError> {
        let _undo = WaitGuard(self);
        loop {
            let notified = self.host.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            match self.admit(Instant::now()) {
                Admission::Go => return Ok(()),
                Admission::Abort => {
                    return Err("not needed: a pooled connection was free first".into())
                }
                Admission::WaitUntil(until) => {
                    tokio::select! {
                        _ = &mut notified => {}
                        _ = tokio::time::sleep_until(until.into()) => {}
                    }
                }
            }
        }
    }
}

/// Marks the attempt done if its send future is dropped (a timeout, a
/// cancelled task), so a connect still waiting for its turn gives up.
struct DoneOnDrop<'a>(Option<&'a Ticket>);

impl Drop for DoneOnDrop<'_> {
    fn drop(&mut self) {
        if let Some(ticket) = self.0 {
            ticket.mark_responded(false);
        }
    }
}

/// Leaves the waiting count if a waiting connect's future is dropped.
struct WaitGuard<'a>(&'a Ticket);

impl Drop for WaitGuard<'_> {
    fn drop(&mut self) {
        let mut state = self.0.state();
        if state.phase == Phase::Waiting {
            state.phase = Phase::None;
            self.0.host.spare().waiting -= 1;
        }
    }
}

/// Ends a started connect's phase if its future is dropped half-way.
struct ConnectGuard(Option<Arc<Ticket>>);

impl Drop for ConnectGuard {
    fn drop(&mut self) {
        if let Some(ticket) = self.0.take() {
            ticket.connected(false);
        }
    }
}

/// HTTP/1.1 keeps the connection unless the server says `close`; HTTP/1.0
/// only with `keep-alive`; HTTP/2 shares one connection and never returns it.
fn returns_to_pool(response: &reqwest::Response) -> bool {
    let says = |token: &str| {
        response.headers().get_all(CONNECTION).iter().any(|v| {
            v.to_str()
                .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
        })
    };
    match response.version() {
        Version::HTTP_11 => !says("close"),
        Version::HTTP_10 => says("keep-alive"),
        _ => false,
    }
}

/// The connector layer of the engine's client (`ClientBuilder::connector_layer`).
#[derive(Clone, Default)]
pub struct GateLayer;

impl<S> tower_layer::Layer<S> for GateLayer {
    type Service = Gate<S>;

    fn layer(&self, inner: S) -> Gate<S> {
        Gate { inner }
    }
}

#[derive(Clone)]
pub struct Gate<S> {
    inner: S,
}

impl<S, R> tower_service::Service<R> for Gate<S>
where
    S: tower_service::Service<R, Error = BoxError> + Clone + Send + 'static,
    S::Future: Send + 'static,
    R: Send + 'static,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        // The ready service goes with the future; a clone stays for the next call.
        let clone = self.inner.clone();
        let mut ready = std::mem::replace(&mut self.inner, clone);
        // None outside an engine attempt (e.g. a test client): not gated.
        let ticket = ATTEMPT.try_with(Arc::clone).ok();
        Box::pin(async move {
            if let Some(ticket) = &ticket {
                ticket.wait_for_turn().await?;
            }
            let mut guard = ConnectGuard(ticket);
            let result = ready.call(request).await;
            if let Some(ticket) = guard.0.take() {
                ticket.connected(result.is_ok());
            }
            result
        })
    }
}

#[cfg(test)]
#[path = "connection_cap_tests.rs"]
mod tests;
