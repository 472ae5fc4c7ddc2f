//! Single-flight: identical requests (same method, URL and body) in flight
//! at the same time anywhere in one engine (every task of an executor) are
//! sent once, and every waiter gets the same outcome. It sits in front of
//! the sender and behind the cache: a cache hit never gets here, and an
//! answer that is in flight is joined rather than paid for twice.
//!
//! The shared future is driven by whichever waiter polls it; when a waiter
//! is cancelled (its task was killed) the others keep driving it, and when
//! the last one goes the request is dropped, which cancels it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::future::{BoxFuture, FutureExt, Shared};

use crate::plan::request::RequestSpec;
use crate::send::outcome::Outcome;

type Flight = Shared<BoxFuture<'static, Arc<Outcome>>>;

#[derive(Default)]
pub struct SingleFlight {
    in_flight: Mutex<HashMap<RequestSpec, Flight>>,
}

/// Whether this caller sent the request or joined one already in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Sent,
    Joined,
}

impl SingleFlight {
    /// The outcome of `spec`: joins the identical request in flight, or
    /// starts `send` and lets later identical calls join it.
    pub async fn run(
        &self,
        spec: &RequestSpec,
        send: impl FnOnce() -> BoxFuture<'static, Outcome>,
    ) -> (Arc<Outcome>, Role) {
        let (flight, role) = {
            let mut map = self.lock();
            match map.get(spec) {
                Some(flight) => (flight.clone(), Role::Joined),
                None => {
                    let flight = send().map(Arc::new).boxed().shared();
                    map.insert(spec.clone(), flight.clone());
                    (flight, Role::Sent)
                }
            }
        };
        // Declared before `waiting`, so dropped after it: when the guard
        // counts the waiters, ours is already gone.
        let _guard = Forget {
            owner: self,
            spec,
            flight: &flight,
        };
        let mut waiting = flight.clone();
        let outcome = (&mut waiting).await;
        (outcome, role)
    }

    /// Requests in flight now (distinct).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<RequestSpec, Flight>> {
        self.in_flight.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Removes the map's entry when the flight is over or its last waiter gave
/// up (the future was dropped, e.g. a cancelled task), so a later identical
/// request is sent afresh rather than joining a dead or finished flight.
struct Forget<'a> {
    owner: &'a SingleFlight,
    spec: &'a RequestSpec,
    flight: &'a Flight,
}

impl Drop for Forget<'_> {
    fn drop(&mut self) {
        let mut map = self.owner.lock();
        let finished = self.flight.peek().is_some();
        // Our clone plus the map's: nobody else waits on it.
        let abandoned = self.flight.strong_count().is_some_and(|n| n <= 2);
        if let Some(current) = map.get(self.spec) {
            if Shared::ptr_eq(current, self.flight) && (finished || abandoned) {
                map.remove(self.spec);
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
                        .boxed()
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
            .run(&spec("/x/0"), || async { Outcome::failed("x") }.boxed())
            .await;
        assert_eq!(role, Role::Sent);
    }

    #[tokio::test]
    async fn an_abandoned_flight_is_forgotten() {
        let flights = SingleFlight::default();
        let slow_spec = spec("/slow");
        let slow = flights.run(&slow_spec, || {
            async {
                tokio::time::sleep(Duration::from_secs(60)).await;
                Outcome::failed("late")
            }
            .boxed()
        });
        assert!(tokio::time::timeout(Duration::from_millis(20), slow)
            .await
            .is_err());
        assert!(flights.is_empty());
    }
}
