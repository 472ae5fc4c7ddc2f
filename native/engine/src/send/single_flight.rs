//! Single-flight: identical requests (same method, URL and body) in flight
//! at the same time anywhere in one engine (every task of an executor) are
//! sent once, and every waiter gets the same outcome. It sits in front of
//! the sender and behind the cache: a cache hit never gets here, and an
//! answer that is in flight is joined rather than paid for twice.
//!
//! The first caller (the leader) sends in its own task; later identical
//! callers leave a channel and wait. Nothing is boxed or shared per request
//! that nobody joins: at one request per row that is most requests. When
//! the leader is cancelled (its task was killed) its request is dropped at
//! once, and the waiters, told by their closed channels, start over: one of
//! them sends it.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use crate::plan::request::RequestSpec;
use crate::send::outcome::Outcome;

type Waiters = Vec<oneshot::Sender<Arc<Outcome>>>;
/// Per request in flight, the callers that joined it.
type Flights = HashMap<RequestSpec, Waiters, foldhash::fast::RandomState>;

#[derive(Default)]
pub struct SingleFlight {
    in_flight: Mutex<Flights>,
}

/// Whether this caller sent the request or joined one already in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Sent,
    Joined,
}

impl SingleFlight {
    /// The outcome of `spec`: joins the identical request in flight, or
    /// sends it with `send` and hands its outcome to those who joined.
    pub async fn run<F>(&self, spec: &RequestSpec, send: impl FnOnce() -> F) -> (Arc<Outcome>, Role)
    where
        F: Future<Output = Outcome>,
    {
        loop {
            let joined = {
                let mut map = self.lock();
                match map.get_mut(spec) {
                    Some(waiters) => {
                        let (sender, receiver) = oneshot::channel();
                        waiters.push(sender);
                        receiver
                    }
                    None => {
                        map.insert(spec.clone(), Vec::new());
                        break;
                    }
                }
            };
            match joined.await {
                Ok(outcome) => return (outcome, Role::Joined),
                // The leader was cancelled: start over.
                Err(_) => continue,
            }
        }
        // Dropped on every way out: a cancelled leader's entry goes too,
        // and its waiters see their channels closed.
        let mut leader = Leader {
            owner: self,
            spec,
            outcome: None,
        };
        let outcome = Arc::new(send().await);
        leader.outcome = Some(Arc::clone(&outcome));
        drop(leader);
        (outcome, Role::Sent)
    }

    /// Requests in flight now (distinct).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Flights> {
        self.in_flight.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Ends the flight: removes the map's entry, so a later identical request
/// is sent afresh, and gives the outcome (if there is one) to the waiters.
struct Leader<'a> {
    owner: &'a SingleFlight,
    spec: &'a RequestSpec,
    outcome: Option<Arc<Outcome>>,
}

impl Drop for Leader<'_> {
    fn drop(&mut self) {
        let waiters = self.owner.lock().remove(self.spec).unwrap_or_default();
        if let Some(outcome) = &self.outcome {
            for waiter in waiters {
                let _ = waiter.send(Arc::clone(outcome));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    fn spec(url: &str) -> RequestSpec {
        RequestSpec {
            method: reqwest::Method::GET,
            url: url.into(),
            body: None,
        }
    }

    #[tokio::test]
    async fn identical_requests_in_flight_are_sent_once() {
        let flights = Arc::new(SingleFlight::default());
        let sent = Arc::new(AtomicUsize::new(0));
        let mut joins = Vec::new();
        for i in 0..20 {
            let (flights, sent) = (Arc::clone(&flights), Arc::clone(&sent));
            joins.push(tokio::spawn(async move {
                let url = format!("/x/{}", i % 5);
                flights
                    .run(&spec(&url), || {
                        sent.fetch_add(1, Ordering::SeqCst);
                        async move {
                            tokio::time::sleep(Duration::from_millis(100)).await;
                            Outcome::from_response(200, url.into_bytes())
                        }
                    })
                    .await
            }));
        }
        for (i, join) in joins.into_iter().enumerate() {
            let (outcome, _) = join.await.unwrap();
            assert_eq!(
                outcome.body.as_deref(),
                Some(format!("/x/{}", i % 5).as_bytes())
            );
        }
        assert_eq!(sent.load(Ordering::SeqCst), 5);
        assert!(flights.is_empty(), "finished flights are forgotten");
        // Once finished, the same request is sent again.
        let (_, role) = flights
            .run(&spec("/x/0"), || async { Outcome::failed("x") })
            .await;
        assert_eq!(role, Role::Sent);
    }

    #[tokio::test]
    async fn an_abandoned_flight_is_forgotten() {
        let flights = SingleFlight::default();
        let slow_spec = spec("/slow");
        let slow = flights.run(&slow_spec, || async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Outcome::failed("late")
        });
        assert!(tokio::time::timeout(Duration::from_millis(20), slow)
            .await
            .is_err());
        assert!(flights.is_empty());
    }

    #[tokio::test]
    async fn when_the_sender_is_cancelled_a_waiter_sends_instead() {
        let flights = Arc::new(SingleFlight::default());
        let leader = {
            let flights = Arc::clone(&flights);
            tokio::spawn(async move {
                flights
                    .run(&spec("/y"), || async {
                        tokio::time::sleep(Duration::from_secs(60)).await;
                        Outcome::failed("never")
                    })
                    .await
            })
        };
        while flights.is_empty() {
            tokio::task::yield_now().await;
        }
        let waiter = {
            let flights = Arc::clone(&flights);
            tokio::spawn(async move {
                flights
                    .run(&spec("/y"), || async {
                        Outcome::from_response(200, b"second".to_vec())
                    })
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        leader.abort();
        let (outcome, role) = tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("the waiter is not left waiting")
            .unwrap();
        assert_eq!(role, Role::Sent);
        assert_eq!(outcome.body.as_deref(), Some(&b"second"[..]));
        assert!(flights.is_empty());
    }
}
