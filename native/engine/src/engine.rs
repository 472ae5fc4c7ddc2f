//! One engine: the options of a query, its HTTP client, concurrency cap, rate
//! limiter, circuit breakers, OAuth2 token, response cache and counters.
//! `enrich` turns one Arrow batch of input columns into one batch of result
//! columns, row for row.

use std::sync::Arc;
use std::time::Instant;

use arrow::array::{Array, StructArray};
use arrow::datatypes::Fields;
use futures::StreamExt;

use crate::batch_endpoint;
use crate::error::{EngineError, Result};
use crate::input::InputColumns;
use crate::metrics::{self, BatchMetrics, Counters, Totals};
use crate::options::{BatchEndpoint, EngineOptions, OnError};
use crate::outcome::Outcome;
use crate::output::{self, RowResult};
use crate::request::{BatchPlan, RequestSpec, RequestTemplates};
use crate::runtime::runtime;
use crate::transport::Transport;

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
            crate::decode::check_fields(fields)?;
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
    /// own thread as soon as this returns.
    pub fn enrich(&self, input: &StructArray) -> Result<(StructArray, BatchMetrics)> {
        let started = Instant::now();
        let counters = Counters::default();
        let (plan, outcomes, went_out) = match &self.options.batch {
            Some(batch) => self.send_by_keys(input, batch, &counters)?,
            None => self.send_per_row(input, &counters)?,
        };
        let rows: Vec<RowResult<'_>> = plan
            .rows
            .iter()
            .map(|r| match r {
                Ok(i) => RowResult::Response(&outcomes[*i]),
                Err(reason) => RowResult::NoRequest(reason),
            })
            .collect();
        if self.options.on_error == OnError::Fail {
            fail_on_first_error(&rows, &plan.requests, &plan.rows)?;
        }
        let result = match &self.result_fields {
            None => output::raw_result(&rows)?,
            Some(fields) if self.options.explode => {
                crate::explode::exploded_result(&rows, fields, &self.options)?
            }
            Some(fields) => crate::decode::typed_result(&rows, fields, &self.options)?,
        };
        let mut metrics =
            self.batch_metrics(input.len(), &plan, &outcomes, went_out, &counters, &result);
        metrics.engine_nanos = started.elapsed().as_nanos() as u64;
        self.totals.add(&metrics, &counters.latencies());
        Ok((result, metrics))
    }

    /// One request per distinct rendered request: the plan, each request's
    /// outcome, and how many requests went out to the API.
    fn send_per_row(
        &self,
        input: &StructArray,
        counters: &Counters,
    ) -> Result<(BatchPlan, Vec<Outcome>, u64)> {
        let plan = self
            .templates
            .plan_input(input, &self.options.allowed_hosts)?;
        let (outcomes, sent) = self.resolve(&plan.requests, counters);
        let went_out = went_out(&outcomes, &sent);
        Ok((plan, outcomes, went_out))
    }

    /// Batch endpoint: the distinct keys go many per request; the plan maps
    /// rows to keys and each key gets the outcome of its own result.
    fn send_by_keys(
        &self,
        input: &StructArray,
        batch: &BatchEndpoint,
        counters: &Counters,
    ) -> Result<(BatchPlan, Vec<Outcome>, u64)> {
        let columns = InputColumns::read(input, std::slice::from_ref(&batch.key_column))?;
        let keys = batch_endpoint::plan(&columns, 0, batch);
        let (outcomes, sent) = self.resolve(&keys.requests, counters);
        let went_out = went_out(&outcomes, &sent);
        let per_key = batch_endpoint::distribute(&keys, &outcomes, batch);
        let shown = RequestSpec {
            method: reqwest::Method::POST,
            url: batch.url.clone(),
            body: None,
        };
        let plan = BatchPlan {
            requests: vec![shown; keys.keys.len()],
            rows: keys.rows,
        };
        Ok((plan, per_key, went_out))
    }

    /// The outcome of every request, from the cache or the API, and whether
    /// each was sent. Cache lookups and stores block on disk I/O
    /// (`cacheDir`): they run here, on the task thread, around the async work.
    fn resolve(&self, requests: &[RequestSpec], counters: &Counters) -> (Vec<Outcome>, Vec<bool>) {
        let cached = match &self.transport.cache {
            Some(cache) => cache.lookup(requests, counters),
            None => vec![None; requests.len()],
        };
        let sent: Vec<bool> = cached.iter().map(Option::is_none).collect();
        let outcomes = runtime().block_on(self.send_all(requests, cached, counters));
        if let Some(cache) = &self.transport.cache {
            cache.store(requests, &outcomes, &sent);
        }
        (outcomes, sent)
    }

    /// The batch's figures; warns once when the batch was a retry storm.
    fn batch_metrics(
        &self,
        num_rows: usize,
        plan: &BatchPlan,
        outcomes: &[Outcome],
        went_out: u64,
        counters: &Counters,
        result: &StructArray,
    ) -> BatchMetrics {
        let mut metrics = counters.snapshot();
        metrics.rows = num_rows as u64;
        metrics.deduped_rows =
            plan.rows.iter().filter(|r| r.is_ok()).count() as u64 - plan.requests.len() as u64;
        metrics.failed_rows = count_failed(result);
        metrics::count_row_failures(
            &mut metrics,
            plan.rows
                .iter()
                .map(|r| r.as_ref().ok().map(|i| &outcomes[*i])),
        );
        crate::retry_storm::warn_if_storm(
            went_out,
            Counters::get(&counters.retried_requests),
            &metrics,
        );
        metrics
    }

    /// Sends the requests without a cached outcome, at most `concurrency`
    /// at a time, keeping their order.
    async fn send_all(
        &self,
        requests: &[RequestSpec],
        cached: Vec<Option<Outcome>>,
        counters: &Counters,
    ) -> Vec<Outcome> {
        futures::stream::iter(requests.iter().zip(cached))
            .map(|(spec, cached)| async move {
                match cached {
                    Some(outcome) => outcome,
                    None => self.transport.sender.send(spec, counters).await,
                }
            })
            .buffered(self.options.concurrency)
            .collect()
            .await
    }
}

/// Requests that really went to the API (not cached, not circuit-open).
fn went_out(outcomes: &[Outcome], sent: &[bool]) -> u64 {
    outcomes
        .iter()
        .zip(sent)
        .filter(|(o, sent)| **sent && !o.circuit_open)
        .count() as u64
}

/// Rows whose `_error` is set.
fn count_failed(result: &StructArray) -> u64 {
    result
        .column_by_name(output::ERROR_COLUMN)
        .map(|c| (c.len() - c.null_count()) as u64)
        .unwrap_or(0)
}

fn fail_on_first_error(
    rows: &[RowResult<'_>],
    requests: &[RequestSpec],
    plan: &[std::result::Result<usize, String>],
) -> Result<()> {
    for (row, result) in rows.iter().enumerate() {
        let reason = match result {
            RowResult::Response(o) => o.error.as_deref(),
            RowResult::NoRequest(reason) => Some(*reason),
        };
        if let Some(reason) = reason {
            let request = match plan[row] {
                Ok(i) => format!("{} {}", requests[i].method, shown_url(&requests[i].url)),
                Err(_) => "no request".to_string(),
            };
            return Err(EngineError::RequestFailed(format!(
                "onError=fail: row {row} of the batch failed ({request}): {reason}"
            )));
        }
    }
    Ok(())
}

/// The URL without its query, which may hold a key.
fn shown_url(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

#[cfg(test)]
#[path = "engine_tests.rs"]
mod tests;
