//! The continuous flow of one Spark task (DESIGN.md section 1). The task
//! thread `submit`s Arrow batches while earlier batches' requests are still
//! in flight, and `take`s results back in input order as soon as the oldest
//! batch is complete. Inside the engine completion is unordered: every
//! request of every queued batch waits for a concurrency permit (FIFO, so
//! older batches go first), a slow request holds one slot, and a request
//! sleeping before a retry holds none. Order is restored here, when results
//! are handed back.
//!
//! The task thread does everything that touches the JVM's memory or blocks
//! on disk (reading the input, cache lookups and stores, building the result
//! columns); Tokio tasks only send and post their outcomes on a channel.
//! Memory per task: the queued batches (the JVM bounds their number) plus
//! the responses in flight.
//!
//! `cancel` (any thread) aborts every request of the task at once and wakes
//! a waiting `take`; dropping the stream cancels too.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use arrow::array::StructArray;
use futures::stream::{FuturesUnordered, StreamExt};
use futures::FutureExt;
use tokio::task::AbortHandle;

use crate::decode::batch_result::{self, CompletedBatch};
use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::flow::runtime::runtime;
use crate::metrics::{BatchMetrics, Counters};
use crate::plan::batch_accumulator::KeyAccumulator;
use crate::plan::input::InputColumns;
use crate::plan::request::RequestSpec;
use crate::send::outcome::Outcome;
use crate::send::single_flight::Role;
use crate::send::transport::Transport;

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

pub struct TaskStream {
    state: Mutex<State>,
    cancelled: AtomicBool,
    running: Mutex<HashMap<u64, AbortHandle>>,
    next_job: AtomicU64,
    events: Sender<Event>,
}

struct State {
    receiver: Receiver<Event>,
    batches: VecDeque<PendingBatch>,
    /// The sequence number of the next submitted batch.
    next_batch: u64,
    keys: Option<KeyAccumulator>,
}

/// A submitted batch whose results are not yet taken.
pub(crate) struct PendingBatch {
    seq: u64,
    pub(crate) started: Instant,
    /// Each row's request (or key) index, or why it has none.
    pub(crate) rows: Vec<std::result::Result<usize, String>>,
    /// Per-row mode: the distinct requests; empty for batch endpoints.
    /// Shared with the Tokio task that sends them (no copy per request).
    requests: Arc<Vec<RequestSpec>>,
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

impl Default for TaskStream {
    fn default() -> Self {
        TaskStream::new()
    }
}

impl TaskStream {
    pub fn new() -> TaskStream {
        let (events, receiver) = mpsc::channel();
        TaskStream {
            state: Mutex::new(State {
                receiver,
                batches: VecDeque::new(),
                next_batch: 0,
                keys: None,
            }),
            cancelled: AtomicBool::new(false),
            running: Mutex::new(HashMap::new()),
            next_job: AtomicU64::new(0),
            events,
        }
    }

    /// Batches submitted and not yet taken.
    pub fn queued(&self) -> usize {
        self.lock().batches.len()
    }

    /// Plans `input`'s requests and starts sending them. Reads the input
    /// before returning, so the caller may release its buffers at once.
    pub fn submit(&self, engine: &Engine, input: &StructArray) -> Result<()> {
        self.check_cancelled()?;
        let mut guard = self.lock();
        let state = &mut *guard;
        let started = Instant::now();
        let seq = state.next_batch;
        state.next_batch += 1;
        let counters = Arc::new(Counters::default());
        let batch = match &engine.options().batch {
            Some(endpoint) => {
                let columns =
                    InputColumns::read(input, std::slice::from_ref(&endpoint.key_column))?;
                let (keys, rows) =
                    crate::plan::batch_endpoint::distinct_keys(&columns, 0, endpoint);
                let accumulator = state
                    .keys
                    .get_or_insert_with(|| KeyAccumulator::new(columns.json_literal[0]));
                accumulator.add(seq, &keys);
                PendingBatch {
                    seq,
                    started,
                    rows,
                    requests: Arc::default(),
                    outcomes: vec![None; keys.len()],
                    remaining: keys.len(),
                    unsent_keys: keys.len(),
                    went_out: 0,
                    joined: 0,
                    counters,
                }
            }
            None => {
                let templates = engine.templates();
                // plan_input, not plan: the default body and queryType=querystring
                // need each row's JSON object besides the template columns.
                let plan = templates.plan_input(input, &engine.options().allowed_hosts)?;
                let mut batch = PendingBatch {
                    seq,
                    started,
                    rows: plan.rows,
                    outcomes: vec![None; plan.requests.len()],
                    remaining: plan.requests.len(),
                    requests: Arc::new(plan.requests),
                    unsent_keys: 0,
                    went_out: 0,
                    joined: 0,
                    counters,
                };
                self.send_requests(engine, seq, &mut batch);
                batch
            }
        };
        state.batches.push_back(batch);
        if let Some(mut accumulator) = state.keys.take() {
            let result = self.send_full_chunks(engine, state, &mut accumulator, false);
            state.keys = Some(accumulator);
            result?;
        }
        Ok(())
    }

    /// The oldest batch's result once all its requests are done; None when
    /// `wait` passed first (or nothing is queued). `wait` None: no limit.
    pub fn take(
        &self,
        engine: &Engine,
        wait: Option<Duration>,
    ) -> Result<Option<(StructArray, BatchMetrics)>> {
        let deadline = wait.map(|w| Instant::now() + w);
        let mut guard = self.lock();
        loop {
            let state = &mut *guard;
            self.check_cancelled()?;
            while let Ok(event) = state.receiver.try_recv() {
                self.apply(engine, state, event)?;
            }
            let Some(front) = state.batches.front() else {
                return Ok(None);
            };
            if front.remaining == 0 {
                let Some(batch) = state.batches.pop_front() else {
                    return Ok(None);
                };
                drop(guard);
                self.prune_finished_jobs();
                return self.finish(engine, batch).map(Some);
            }
            // The oldest batch waits for keys no full chunk will take: send
            // them now, in a short chunk.
            if front.unsent_keys > 0 {
                if let Some(mut accumulator) = state.keys.take() {
                    let result = self.send_full_chunks(engine, state, &mut accumulator, true);
                    state.keys = Some(accumulator);
                    result?;
                    continue;
                }
            }
            let event = match deadline {
                None => state.receiver.recv().ok(),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    match state.receiver.recv_timeout(left) {
                        Ok(event) => Some(event),
                        Err(RecvTimeoutError::Timeout) => return Ok(None),
                        Err(RecvTimeoutError::Disconnected) => None,
                    }
                }
            };
            match event {
                Some(event) => self.apply(engine, state, event)?,
                None => {
                    return Err(EngineError::Internal(
                        "the task's request stream closed unexpectedly".into(),
                    ))
                }
            }
        }
    }

    /// Aborts every request of this task (in flight or waiting for a slot)
    /// and makes `submit`/`take` fail. Safe from any thread.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        let handles: Vec<AbortHandle> = self
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain()
            .map(|(_, h)| h)
            .collect();
        for handle in handles {
            handle.abort();
        }
        let _ = self.events.send(Event::Wake);
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }

    fn check_cancelled(&self) -> Result<()> {
        if self.is_cancelled() {
            Err(EngineError::Internal("the task was cancelled".into()))
        } else {
            Ok(())
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Cache lookups here on the task thread (the disk cache blocks), then
    /// one Tokio task sends the batch's misses, each through single-flight.
    fn send_requests(&self, engine: &Engine, seq: u64, batch: &mut PendingBatch) {
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
        self.spawn(async move {
            let transport = &transport;
            let counters = &counters;
            let requests = &requests;
            let mut done = Vec::with_capacity(to_send.len());
            let mut pending: FuturesUnordered<_> = to_send
                .into_iter()
                .map(|index| async move {
                    let (outcome, role) = transport.send_shared(&requests[index], counters).await;
                    (index, outcome, role)
                })
                .collect();
            // The task thread can only hand the batch back once every
            // request is done, so it is woken once, with all of them.
            while let Some(finished) = pending.next().await {
                done.push(finished);
            }
            let _ = events.send(Event::Requests { batch: seq, done });
        });
    }

    /// Sends the accumulator's full chunks (and with `flush`, the short
    /// rest too).
    fn send_full_chunks(
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

    fn apply(&self, engine: &Engine, state: &mut State, event: Event) -> Result<()> {
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

    fn finish(&self, engine: &Engine, batch: PendingBatch) -> Result<(StructArray, BatchMetrics)> {
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

    fn spawn(&self, work: impl std::future::Future<Output = ()> + Send + 'static) {
        let handle = runtime().spawn(work).abort_handle();
        let id = self.next_job.fetch_add(1, Ordering::Relaxed);
        self.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, handle);
        // A cancel that ran between the spawn and the insert missed it.
        if self.is_cancelled() {
            self.cancel();
        }
    }

    fn prune_finished_jobs(&self) {
        self.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|_, h| !h.is_finished());
    }
}

impl Drop for TaskStream {
    fn drop(&mut self) {
        self.cancel();
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

impl Transport {
    /// Sends through single-flight: joins an identical request in flight
    /// anywhere in the engine, or sends it (counted in `counters`).
    pub async fn send_shared(
        self: &Arc<Self>,
        spec: &RequestSpec,
        counters: &Arc<Counters>,
    ) -> (Arc<Outcome>, Role) {
        let transport = Arc::clone(self);
        let counters = Arc::clone(counters);
        let owned = spec.clone();
        self.single_flight
            .run(spec, move || {
                async move {
                    // An identical flight may have ended (and stored its
                    // answer) between the task thread's lookup and now.
                    if let Some(cache) = &transport.cache {
                        if let Some(hit) = cache.lookup_in_memory(&owned, &counters) {
                            return hit;
                        }
                    }
                    let outcome = transport.sender.send(&owned, &counters).await;
                    // Into the memory cache before the flight ends: a batch
                    // looked up between the end of the flight and the task
                    // thread's store would otherwise send it again.
                    if let Some(cache) = &transport.cache {
                        cache.store_in_memory(&owned, &outcome);
                    }
                    outcome
                }
                .boxed()
            })
            .await
    }
}
