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
//!
//! The parts: `pending_batch` (what the stream holds per submitted batch
//! and the events Tokio tasks post), `task_stream_send` (starting requests
//! and batch-endpoint chunks), `task_stream_results` (applying outcomes and
//! building a finished batch's result), `send_shared` (single-flight in
//! front of the sender).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use arrow::array::StructArray;
use tokio::task::AbortHandle;

use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::flow::pending_batch::{Event, PendingBatch};
use crate::flow::runtime::runtime;
use crate::metrics::{BatchMetrics, Counters};
use crate::plan::batch_accumulator::KeyAccumulator;
use crate::plan::input::InputColumns;

pub struct TaskStream {
    pub(crate) state: Mutex<State>,
    cancelled: AtomicBool,
    running: Mutex<HashMap<u64, AbortHandle>>,
    next_job: AtomicU64,
    pub(crate) events: Sender<Event>,
}

pub(crate) struct State {
    pub(crate) receiver: Receiver<Event>,
    pub(crate) batches: VecDeque<PendingBatch>,
    /// The sequence number of the next submitted batch.
    next_batch: u64,
    pub(crate) keys: Option<KeyAccumulator>,
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

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn spawn(&self, work: impl std::future::Future<Output = ()> + Send + 'static) {
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

    pub(crate) fn prune_finished_jobs(&self) {
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
