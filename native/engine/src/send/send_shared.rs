//! Sending through single-flight: an identical request in flight anywhere
//! in the engine is joined instead of sent again; a fresh answer goes into
//! the memory cache before the flight ends.

use std::sync::Arc;

use crate::metrics::Counters;
use crate::plan::request::RequestSpec;
use crate::send::outcome::Outcome;
use crate::send::single_flight::Role;
use crate::send::transport::Transport;

impl Transport {
    /// Sends through single-flight: joins an identical request in flight
    /// anywhere in the engine, or sends it (counted in `counters`).
    pub async fn send_shared(
        self: &Arc<Self>,
        spec: &RequestSpec,
        counters: &Arc<Counters>,
    ) -> (Arc<Outcome>, Role) {
        self.single_flight
            .run(spec, || async {
                // An identical flight may have ended (and stored its answer)
                // between the task thread's lookup and now.
                if let Some(cache) = &self.cache {
                    if let Some(hit) = cache.lookup_in_memory(spec, counters) {
                        return hit;
                    }
                }
                let outcome = self.sender.send(spec, counters).await;
                // Into the memory cache before the flight ends: a batch
                // looked up between the end of the flight and the task
                // thread's store would otherwise send it again.
                if let Some(cache) = &self.cache {
                    cache.store_in_memory(spec, &outcome);
                }
                outcome
            })
            .await
    }
}
