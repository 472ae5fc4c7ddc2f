//! Starting a task's requests: per-row requests of a submitted batch (cache
//! lookups on the task thread, then one Tokio task sends the misses), and
//! full batch-endpoint chunks cut from the keys of every queued batch.

use std::sync::Arc;

use futures::stream::{FuturesUnordered, StreamExt};

use crate::engine::Engine;
use crate::error::Result;
use crate::flow::pending_batch::{batch_mut, Event, PendingBatch};
use crate::flow::task_stream::{State, TaskStream};
use crate::metrics::Counters;
use crate::plan::batch_accumulator::KeyAccumulator;
use crate::send::single_flight::Role;

impl TaskStream {
    /// Cache lookups on the task thread, then one Tokio task sends the
    /// batch's misses, each through single-flight, starting at most twice
    /// what can be in flight at once.
    pub(crate) fn send_requests(&self, engine: &Engine, seq: u64, batch: &mut PendingBatch) {
        let transport = engine.transport();
        let mut to_send = Vec::new();
        match &transport.cache {
            Some(cache) => {
                let cached = cache.lookup(&batch.requests, &batch.counters);
                for (index, hit) in cached.into_iter().enumerate() {
                    match hit {
                        Some(outcome) => batch.set(index, Arc::new(outcome), false),
                        None => to_send.push(index),
                    }
                }
            }
            None => to_send.extend(0..batch.requests.len()),
        }
        if to_send.is_empty() {
            return;
        }
        let transport = Arc::clone(transport);
        let counters = Arc::clone(&batch.counters);
        let requests = Arc::clone(&batch.requests);
        let events = self.events.clone();
        let started_at_once = 2 * engine.options().throughput.concurrency.ceiling();
        self.spawn(async move {
            let transport = &transport;
            let counters = &counters;
            let requests = &requests;
            let request = |index: usize| async move {
                let (outcome, role) = transport.send_shared(&requests[index], counters).await;
                (index, outcome, role)
            };
            // A request's future is about 2.5 KB. Started all at once, a
            // batch's 1,024 would mostly wait for a slot, megabytes that the
            // CPU caches lose (at 0 ms the engine alone took 1.14x the time). Twice
            // what can be in flight keeps every slot busy, with room for
            // requests asleep before a retry, which hold no slot.
            let mut done = Vec::with_capacity(to_send.len());
            let mut unstarted = to_send.into_iter();
            let mut pending: FuturesUnordered<_> = unstarted
                .by_ref()
                .take(started_at_once)
                .map(request)
                .collect();
            // The task thread can only hand the batch back once every
            // request is done, so it is woken once, with all of them.
            while let Some(finished) = pending.next().await {
                done.push(finished);
                if let Some(index) = unstarted.next() {
                    pending.push(request(index));
                }
            }
            let _ = events.send(Event::Requests { batch: seq, done });
        });
    }

    /// Sends the accumulator's full chunks (and with `flush`, the short
    /// rest too).
    pub(crate) fn send_full_chunks(
        &self,
        engine: &Engine,
        state: &mut State,
        accumulator: &mut KeyAccumulator,
        flush: bool,
    ) -> Result<()> {
        let Some(endpoint) = &engine.options().batch else {
            return Ok(());
        };
        while let Some(chunk) = accumulator.next_chunk(endpoint, flush) {
            for (seq, _) in &chunk.members {
                if let Some(batch) = batch_mut(&mut state.batches, *seq) {
                    batch.unsent_keys -= 1;
                }
            }
            let cached = engine
                .transport()
                .cache
                .as_ref()
                .and_then(|cache| cache.lookup_one(&chunk.spec, &Counters::default()));
            // The chunk's requests count in the batch its last key came from.
            let counters = chunk
                .members
                .last()
                .and_then(|(seq, _)| batch_mut(&mut state.batches, *seq))
                .map(|b| Arc::clone(&b.counters))
                .unwrap_or_default();
            let id = accumulator.start(chunk);
            match cached {
                Some(outcome) => {
                    Counters::add(&counters.cache_hits, 1);
                    accumulator.complete(
                        engine,
                        &mut state.batches,
                        id,
                        Arc::new(outcome),
                        Role::Joined,
                    )?;
                }
                None => {
                    let transport = Arc::clone(engine.transport());
                    let events = self.events.clone();
                    let spec = accumulator.spec(id);
                    self.spawn(async move {
                        let (outcome, role) = transport.send_shared(&spec, &counters).await;
                        let _ = events.send(Event::Chunk {
                            chunk: id,
                            outcome,
                            role,
                        });
                    });
                }
            }
        }
        Ok(())
    }
}
