//! One engine: the options of a query, its HTTP client, concurrency cap, rate
//! limiter and counters. `enrich` turns one Arrow batch of input columns into
//! one batch of result columns, row for row.

use std::time::Instant;

use arrow::array::{Array, StructArray};
use arrow::datatypes::Fields;
use futures::StreamExt;

use crate::error::{EngineError, Result};
use crate::input::InputColumns;
use crate::metrics::{BatchMetrics, Counters, Totals};
use crate::options::{EngineOptions, OnError};
use crate::outcome::Outcome;
use crate::output::{self, RowResult};
use crate::request::{RequestSpec, RequestTemplates};
use crate::runtime::runtime;
use crate::sender::Sender;

pub struct Engine {
    options: EngineOptions,
    templates: RequestTemplates,
    sender: Sender,
    /// Typed output fields (`schema`); None means raw `output` text.
    result_fields: Option<Fields>,
    totals: Totals,
}

impl Engine {
    pub fn new(options: EngineOptions, result_fields: Option<Fields>) -> Result<Engine> {
        if let Some(fields) = &result_fields {
            crate::decode::check_fields(fields)?;
        }
        let client = crate::client::build_client(&options)?;
        let sender = Sender::new(client, &options);
        let templates = RequestTemplates::new(&options);
        Ok(Engine {
            options,
            templates,
            sender,
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
        let columns = InputColumns::read(input, &self.templates.columns)?;
        let plan = self.templates.plan(&columns, &self.options.allowed_hosts);
        let counters = Counters::default();
        let outcomes = runtime().block_on(self.send_all(&plan.requests, &counters));
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
            Some(fields) => crate::decode::typed_result(&rows, fields, &self.options)?,
        };
        let mut metrics = counters.snapshot();
        metrics.rows = input.len() as u64;
        metrics.deduped_rows =
            plan.rows.iter().filter(|r| r.is_ok()).count() as u64 - plan.requests.len() as u64;
        metrics.failed_rows = count_failed(&result);
        metrics.engine_nanos = started.elapsed().as_nanos() as u64;
        self.totals.add(&metrics);
        Ok((result, metrics))
    }

    async fn send_all(&self, requests: &[RequestSpec], counters: &Counters) -> Vec<Outcome> {
        futures::stream::iter(requests)
            .map(|spec| self.sender.send(spec, counters))
            .buffered(self.options.concurrency)
            .collect()
            .await
    }
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
