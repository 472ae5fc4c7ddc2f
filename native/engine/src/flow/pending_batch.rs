//! What a task's stream holds per submitted batch until its result is
//! taken, and the events its Tokio tasks post back to the task thread.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use crate::metrics::Counters;
use crate::plan::request::RequestSpec;
use crate::send::outcome::Outcome;
use crate::send::single_flight::Role;

/// What a Tokio task posts back to the task thread.
pub(crate) enum Event {
    /// Every request of batch `batch` (per-row mode) finished: one event
    /// (one wake-up of the task thread) per batch, not per request.
    Requests {
        batch: u64,
        done: Vec<(usize, Arc<Outcome>, Role)>,
    },
    /// A batch-endpoint chunk finished.
    Chunk {
        chunk: u64,
        outcome: Arc<Outcome>,
        role: Role,
    },
    /// `cancel` was called: wake up.
    Wake,
}

/// A submitted batch whose results are not yet taken.
pub(crate) struct PendingBatch {
    pub(crate) seq: u64,
    pub(crate) started: Instant,
    /// Each row's request (or key) index, or why it has none.
    pub(crate) rows: Vec<std::result::Result<usize, String>>,
    /// Per-row mode: the distinct requests; empty for batch endpoints.
    /// Shared with the Tokio task that sends them (no copy per request).
    pub(crate) requests: Arc<Vec<RequestSpec>>,
    /// The outcome of each distinct request (or key), once known.
    pub(crate) outcomes: Vec<Option<Arc<Outcome>>>,
    pub(crate) remaining: usize,
    /// Keys of this batch not yet sent (batch endpoints).
    pub(crate) unsent_keys: usize,
    pub(crate) went_out: u64,
    /// Requests answered by joining an identical one in flight elsewhere
    /// (single-flight): their rows count as deduplicated.
    pub(crate) joined: u64,
    pub(crate) counters: Arc<Counters>,
}

impl PendingBatch {
    pub(crate) fn set(&mut self, index: usize, outcome: Arc<Outcome>, went_out: bool) {
        if self.outcomes[index].is_none() {
            self.remaining -= 1;
        }
        if went_out && !outcome.circuit_open {
            self.went_out += 1;
        }
        self.outcomes[index] = Some(outcome);
    }
}

/// The pending batch with sequence number `seq` (batches are contiguous).
pub(crate) fn batch_mut(
    batches: &mut VecDeque<PendingBatch>,
    seq: u64,
) -> Option<&mut PendingBatch> {
    let offset = seq.checked_sub(batches.front()?.seq)?;
    batches.get_mut(offset as usize)
}
