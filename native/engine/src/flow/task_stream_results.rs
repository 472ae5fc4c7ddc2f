//! The task thread's side of completion: applying the outcomes Tokio tasks
//! post (storing fresh answers in the cache), and building the Arrow result
//! and metrics of a batch whose requests are all done.

use arrow::array::StructArray;

use crate::decode::batch_result::{self, CompletedBatch};
use crate::engine::Engine;
use crate::error::Result;
use crate::flow::pending_batch::{batch_mut, Event, PendingBatch};
use crate::flow::task_stream::{State, TaskStream};
use crate::metrics::BatchMetrics;
use crate::plan::request::RequestSpec;
use crate::send::outcome::Outcome;
use crate::send::single_flight::Role;

impl TaskStream {
    pub(crate) fn apply(&self, engine: &Engine, state: &mut State, event: Event) -> Result<()> {
        match event {
            Event::Requests { batch, done } => {
                if let Some(pending) = batch_mut(&mut state.batches, batch) {
                    for (index, outcome, role) in done {
                        if role == Role::Sent {
                            if let Some(cache) = &engine.transport().cache {
                                cache.store_one(&pending.requests[index], &outcome);
                            }
                        }
                        pending.set(index, outcome, role == Role::Sent);
                        if role == Role::Joined {
                            pending.joined += 1;
                        }
                    }
                }
            }
            Event::Chunk {
                chunk,
                outcome,
                role,
            } => {
                if let Some(mut accumulator) = state.keys.take() {
                    if role == Role::Sent {
                        if let Some(cache) = &engine.transport().cache {
                            cache.store_one(&accumulator.spec(chunk), &outcome);
                        }
                    }
                    let result =
                        accumulator.complete(engine, &mut state.batches, chunk, outcome, role);
                    state.keys = Some(accumulator);
                    result?;
                }
            }
            Event::Wake => {}
        }
        Ok(())
    }

    pub(crate) fn finish(
        &self,
        engine: &Engine,
        batch: PendingBatch,
    ) -> Result<(StructArray, BatchMetrics)> {
        let outcomes: Vec<&Outcome> = batch.outcomes.iter().flatten().map(|o| &**o).collect();
        let shown = |i: usize| match &engine.options().batch {
            Some(endpoint) => RequestSpec {
                method: reqwest::Method::POST,
                url: endpoint.url.clone(),
                body: None,
            },
            None => batch.requests[i].clone(),
        };
        let completed = CompletedBatch {
            rows: &batch.rows,
            outcomes: &outcomes,
            shown: &shown,
            went_out: batch.went_out,
            counters: &batch.counters,
        };
        let (result, mut metrics) =
            batch_result::finish(&completed, engine.options(), engine.result_fields())?;
        metrics.deduped_rows += batch.joined;
        metrics.engine_nanos = batch.started.elapsed().as_nanos() as u64;
        engine.record(&metrics, &batch.counters);
        Ok((result, metrics))
    }
}
