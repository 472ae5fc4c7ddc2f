//! One engine: the options of a query, its HTTP client, concurrency cap, rate
//! limiter, circuit breakers, OAuth2 token, response cache and counters.
//! `enrich` turns one Arrow batch of input columns into one batch of result
//! columns, row for row; a task's stream of batches goes through a
//! `TaskStream`. This file only composes the stages: requests are planned in
//! `plan`, sent in `send` (answers remembered in `cache`), turned into
//! columns in `decode`, and `flow::task_stream` runs them for a task.

use std::sync::Arc;

use arrow::array::StructArray;
use arrow::datatypes::Fields;

use crate::error::{EngineError, Result};
use crate::flow::runtime::runtime;
use crate::flow::task_stream::TaskStream;
use crate::metrics::{BatchMetrics, Counters, Totals};
use crate::options::engine_options::EngineOptions;
use crate::plan::request::{RequestSpec, RequestTemplates};
use crate::send::outcome::Outcome;
use crate::send::transport::Transport;

pub struct Engine {
    options: EngineOptions,
    templates: RequestTemplates,
    /// Sender and cache, shared with engines that differ only in how they
    /// read responses. Identical requests of one batch are sent once even
    /// without a cache (the batch plan de-duplicates them).
    transport: Arc<Transport>,
    /// Typed output fields (`schema`); None means raw `output` text.
    result_fields: Option<Fields>,
    totals: Totals,
}

impl Engine {
    pub fn new(options: EngineOptions, result_fields: Option<Fields>) -> Result<Engine> {
        let transport = Arc::new(Transport::new(&options)?);
        Engine::with_transport(options, result_fields, transport)
    }

    /// An engine that sends through an existing (shared) transport.
    pub fn with_transport(
        options: EngineOptions,
        result_fields: Option<Fields>,
        transport: Arc<Transport>,
    ) -> Result<Engine> {
        if let Some(fields) = &result_fields {
            crate::decode::typed::check_fields(fields)?;
        }
        let templates = RequestTemplates::new(&options);
        Ok(Engine {
            options,
            templates,
            transport,
            result_fields,
            totals: Totals::default(),
        })
    }

    /// The input columns the templates reference, in first-use order.
    pub fn input_columns(&self) -> &[String] {
        &self.templates.columns
    }

    pub fn options(&self) -> &EngineOptions {
        &self.options
    }

    /// Sends one request (no cache: sources poll URLs whose answers change),
    /// under this engine's concurrency cap, rate limit, retries and auth.
    pub fn send_one(&self, spec: &RequestSpec, counters: &Counters) -> Outcome {
        runtime().block_on(self.transport.sender.send(spec, counters))
    }

    /// The cumulative figures of every batch this engine enriched.
    pub fn totals(&self) -> BatchMetrics {
        self.totals.get()
    }

    /// Enriches one batch. Blocks the calling thread (a Spark task thread)
    /// while the requests run on the shared runtime. Reads the input before
    /// any async work, so the caller may release the input buffers on its
    /// own thread as soon as this returns. Tasks that stream many batches
    /// use a [`TaskStream`] instead, which keeps several batches in flight.
    pub fn enrich(&self, input: &StructArray) -> Result<(StructArray, BatchMetrics)> {
        let stream = TaskStream::new();
        stream.submit(self, input)?;
        stream
            .take(self, None)?
            .ok_or_else(|| EngineError::Internal("the batch produced no result".into()))
    }

    pub(crate) fn templates(&self) -> &RequestTemplates {
        &self.templates
    }

    pub(crate) fn transport(&self) -> &Arc<Transport> {
        &self.transport
    }

    pub(crate) fn result_fields(&self) -> Option<&Fields> {
        self.result_fields.as_ref()
    }

    /// Adds a finished batch to the engine's totals.
    pub(crate) fn record(&self, metrics: &BatchMetrics, counters: &Counters) {
        self.totals.add(metrics, &counters.latencies());
    }

    /// The engine's concurrency slots (for tests and diagnostics).
    pub fn permits_in_use(&self) -> usize {
        self.transport.sender.permits().in_use()
    }
}

#[cfg(test)]
#[path = "engine_tests.rs"]
mod tests;
