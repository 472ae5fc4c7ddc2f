//! A semaphore whose number of permits can change while permits are out:
//! the in-flight cap of `concurrency=auto`.
//!
//! Growing adds permits at once. Shrinking takes back the free permits it
//! can and records the rest as a debt: permits returned while a debt is
//! open are destroyed instead of released, so requests already in flight
//! finish undisturbed and the new limit holds once they are done.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub struct ResizableSemaphore {
    semaphore: Arc<Semaphore>,
    sizes: Mutex<Sizes>,
    in_flight: AtomicUsize,
}

#[derive(Debug)]
struct Sizes {
    limit: usize,
    /// Permits to destroy as they come back.
    debt: usize,
}

/// One request's place under the limit; returned on drop.
pub struct Permit {
    owner: Arc<ResizableSemaphore>,
    permit: Option<OwnedSemaphorePermit>,
    /// Requests in flight when this one was admitted, itself included.
    pub in_flight: usize,
}

impl ResizableSemaphore {
    pub fn new(limit: usize) -> Arc<ResizableSemaphore> {
        Arc::new(ResizableSemaphore {
            semaphore: Arc::new(Semaphore::new(limit)),
            sizes: Mutex::new(Sizes { limit, debt: 0 }),
            in_flight: AtomicUsize::new(0),
        })
    }

    /// Waits for a permit, in arrival order. None once closed.
    pub async fn acquire(self: &Arc<Self>) -> Option<Permit> {
        let permit = Arc::clone(&self.semaphore).acquire_owned().await.ok()?;
        let in_flight = self.in_flight.fetch_add(1, Relaxed) + 1;
        Some(Permit {
            owner: Arc::clone(self),
            permit: Some(permit),
            in_flight,
        })
    }

    pub fn limit(&self) -> usize {
        self.sizes().limit
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Relaxed)
    }

    /// Sets the number of permits; takes effect for waiting requests at once.
    pub fn resize(&self, limit: usize) {
        let mut sizes = self.sizes();
        if limit > sizes.limit {
            let grow = limit - sizes.limit;
            let repaid = grow.min(sizes.debt);
            sizes.debt -= repaid;
            self.semaphore.add_permits(grow - repaid);
        } else {
            let mut shrink = sizes.limit - limit;
            while shrink > 0 {
                match self.semaphore.try_acquire() {
                    Ok(permit) => permit.forget(),
                    Err(_) => break,
                }
                shrink -= 1;
            }
            sizes.debt += shrink;
        }
        sizes.limit = limit;
    }

    fn sizes(&self) -> std::sync::MutexGuard<'_, Sizes> {
        self.sizes.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.owner.in_flight.fetch_sub(1, Relaxed);
        let Some(permit) = self.permit.take() else {
            return;
        };
        let mut sizes = self.owner.sizes();
        if sizes.debt > 0 {
            sizes.debt -= 1;
            permit.forget();
        } else {
            drop(sizes);
            drop(permit);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    async fn try_acquire(s: &Arc<ResizableSemaphore>) -> Option<Permit> {
        tokio::time::timeout(Duration::from_millis(20), s.acquire())
            .await
            .ok()
            .flatten()
    }

    #[test]
    fn growing_admits_waiting_requests() {
        rt().block_on(async {
            let s = ResizableSemaphore::new(1);
            let a = s.acquire().await.unwrap();
            assert_eq!(a.in_flight, 1);
            assert!(try_acquire(&s).await.is_none());
            s.resize(2);
            let b = try_acquire(&s).await.unwrap();
            assert_eq!((b.in_flight, s.in_flight(), s.limit()), (2, 2, 2));
        });
    }

    #[test]
    fn shrinking_below_the_permits_out_waits_for_them() {
        rt().block_on(async {
            let s = ResizableSemaphore::new(3);
            let a = s.acquire().await.unwrap();
            let b = s.acquire().await.unwrap();
            // One free permit is taken back, one more is owed.
            s.resize(1);
            assert!(try_acquire(&s).await.is_none());
            drop(a); // paid to the debt
            assert!(try_acquire(&s).await.is_none());
            drop(b); // released: the one permit of the new limit
            let c = try_acquire(&s).await.unwrap();
            assert!(try_acquire(&s).await.is_none());
            drop(c);
            // Growing again repays nothing (no debt left) and adds permits.
            s.resize(3);
            let held: Vec<_> = [(); 3].iter().map(|_| s.clone()).collect();
            let mut permits = Vec::new();
            for s in &held {
                permits.push(try_acquire(s).await.unwrap());
            }
            assert!(try_acquire(&s).await.is_none());
        });
    }

    #[test]
    fn growing_while_in_debt_repays_first() {
        rt().block_on(async {
            let s = ResizableSemaphore::new(2);
            let a = s.acquire().await.unwrap();
            let b = s.acquire().await.unwrap();
            s.resize(1); // debt 1
            s.resize(2); // debt repaid, no new permit
            assert!(try_acquire(&s).await.is_none());
            drop(a);
            assert!(try_acquire(&s).await.is_some());
            drop(b);
        });
    }
}
