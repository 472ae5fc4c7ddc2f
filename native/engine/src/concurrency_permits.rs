//! The one place a request takes its concurrency slot. Every attempt of
//! every task of an engine (i.e. of an executor, for equal options) holds a
//! permit from here while it is on the wire, and only then: a request that
//! sleeps before a retry, waits for the rate limiter or waits for a circuit
//! breaker holds none. The permit is taken *before* the connection is
//! checked out or opened, so connections opened per host stay at most
//! `concurrency` (see `client.rs` for the pool side).
//!
//! Kept small and alone on purpose: an adaptive limit (`concurrency=auto`)
//! replaces the fixed semaphore here without touching the send path.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub struct ConcurrencyPermits {
    semaphore: Arc<Semaphore>,
    limit: usize,
}

/// A slot on the wire; released when dropped.
pub struct Permit {
    _permit: OwnedSemaphorePermit,
}

impl ConcurrencyPermits {
    pub fn new(limit: usize) -> ConcurrencyPermits {
        ConcurrencyPermits {
            semaphore: Arc::new(Semaphore::new(limit.max(1))),
            limit: limit.max(1),
        }
    }

    /// Waits (FIFO) for a slot; None once the engine is shutting down.
    pub async fn acquire(&self) -> Option<Permit> {
        let permit = Arc::clone(&self.semaphore).acquire_owned().await.ok()?;
        Some(Permit { _permit: permit })
    }

    /// The most requests on the wire at once.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Requests on the wire now.
    pub fn in_use(&self) -> usize {
        self.limit - self.semaphore.available_permits()
    }
}

/// Gives hyper's pool task the chance to take back the connection of a
/// finished response before its slot is released (see `Sender::attempt`).
pub async fn let_connection_return() {
    for _ in 0..3 {
        tokio::task::yield_now().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn permits_cap_and_release() {
        let permits = ConcurrencyPermits::new(2);
        let a = permits.acquire().await.unwrap();
        let _b = permits.acquire().await.unwrap();
        assert_eq!(permits.in_use(), 2);
        let third = tokio::time::timeout(std::time::Duration::from_millis(20), permits.acquire());
        assert!(third.await.is_err(), "a third permit must wait");
        drop(a);
        assert!(permits.acquire().await.is_some());
    }
}
