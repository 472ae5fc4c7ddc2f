//! The end of a batch's path: each row's outcome (or why it had none)
//! becomes the result columns (raw, typed or exploded), `onError=fail` is
//! enforced, and the batch's metrics are counted.

use arrow::array::{Array, StructArray};

use crate::decode::output::{self, RowResult};
use crate::error::{EngineError, Result};
use crate::metrics::{self, BatchMetrics, Counters};
use crate::options::engine_options::{EngineOptions, OnError};
use crate::plan::request::RequestSpec;
use crate::send::outcome::Outcome;

/// A batch whose every request has an outcome.
pub struct CompletedBatch<'a> {
    /// Each row's request index, or why it had none.
    pub rows: &'a [std::result::Result<usize, String>],
    /// The outcome of each distinct request (or key, for batch endpoints).
    pub outcomes: &'a [&'a Outcome],
    /// The request of each index, as shown in an `onError=fail` message.
    pub shown: &'a dyn Fn(usize) -> RequestSpec,
    /// Requests that went to the API for this batch (not cached, not
    /// circuit-open, not joined): for the retry-storm warning.
    pub went_out: u64,
    pub counters: &'a Counters,
}

/// The result columns and metrics of a completed batch.
pub fn finish(
    batch: &CompletedBatch<'_>,
    options: &EngineOptions,
    result_fields: Option<&arrow::datatypes::Fields>,
) -> Result<(StructArray, BatchMetrics)> {
    let rows: Vec<RowResult<'_>> = batch
        .rows
        .iter()
        .map(|r| match r {
            Ok(i) => RowResult::Response(batch.outcomes[*i]),
            Err(reason) => RowResult::NoRequest(reason),
        })
        .collect();
    if options.on_error == OnError::Fail {
        fail_on_first_error(&rows, batch.rows, batch.shown)?;
    }
    let result = match result_fields {
        None => output::raw_result(&rows)?,
        Some(fields) if options.explode => {
            crate::decode::explode::exploded_result(&rows, fields, options)?
        }
        Some(fields) => crate::decode::typed::typed_result(&rows, fields, options)?,
    };
    let counters = batch.counters;
    let mut metrics = counters.snapshot();
    metrics.rows = batch.rows.len() as u64;
    metrics.deduped_rows =
        batch.rows.iter().filter(|r| r.is_ok()).count() as u64 - batch.outcomes.len() as u64;
    metrics.failed_rows = count_failed(&result);
    metrics::count_row_failures(
        &mut metrics,
        batch
            .rows
            .iter()
            .map(|r| r.as_ref().ok().map(|i| batch.outcomes[*i])),
    );
    crate::send::retry_storm::warn_if_storm(
        batch.went_out,
        Counters::get(&counters.retried_requests),
        &metrics,
    );
    Ok((result, metrics))
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
    plan: &[std::result::Result<usize, String>],
    shown: &dyn Fn(usize) -> RequestSpec,
) -> Result<()> {
    for (row, result) in rows.iter().enumerate() {
        let reason = match result {
            RowResult::Response(o) => o.error.as_deref(),
            RowResult::NoRequest(reason) => Some(*reason),
        };
        if let Some(reason) = reason {
            let request = match plan[row] {
                Ok(i) => {
                    let spec = shown(i);
                    format!("{} {}", spec.method, shown_url(&spec.url))
                }
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
