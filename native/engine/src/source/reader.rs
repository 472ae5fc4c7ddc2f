//! The data source's reads without input rows: pages of an API (batch) and
//! polls of a feed from an offset (streaming). HTTP goes through the same
//! engine as enrichment (pool, limits, retries, auth), without the cache:
//! a poll of the same URL must see new data.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use arrow::array::StructArray;
use arrow::datatypes::Fields;
use serde_json::Value;

use crate::decode::json_path;
use crate::decode::records::records_batch;
use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::metrics::{BatchMetrics, Counters, Totals};
use crate::plan::request::RequestSpec;
use crate::source::offsets;
use crate::source::page_ranges;
use crate::source::pagination::{self, PageState};
use crate::source::source_options::SourceOptions;

pub struct Source {
    pub(crate) engine: Arc<Engine>,
    pub(crate) options: SourceOptions,
    fields: Option<Fields>,
    totals: Totals,
    /// Set once the dataField choice of a body without `dataField` was logged.
    pub(crate) data_field_logged: std::sync::atomic::AtomicBool,
}

/// One page: its records, where the next one is, and the figures.
pub struct Page {
    pub records: StructArray,
    pub next: Option<PageState>,
    pub metrics: BatchMetrics,
}

/// One poll: the records taken, the offset after them (None = unchanged).
pub struct Poll {
    pub records: StructArray,
    pub next_offset: Option<String>,
    pub metrics: BatchMetrics,
}

impl Source {
    pub fn new(raw: &BTreeMap<String, String>, fields: Option<Fields>) -> Result<Source> {
        if let Some(f) = &fields {
            crate::decode::typed::check_fields(f)?;
        }
        let options = SourceOptions::parse(raw)?;
        // Validate the URL's placeholders now, not on the first poll.
        offsets::render_url(&raw_url(raw)?, &options.offset_field, "0")
            .map_err(crate::error::invalid)?;
        let engine = crate::flow::registry::engine_for(raw, None)?;
        Ok(Source {
            engine,
            options,
            fields,
            totals: Totals::default(),
            data_field_logged: Default::default(),
        })
    }

    pub fn totals(&self) -> BatchMetrics {
        self.totals.get()
    }

    /// Reads the first page and splits the rest into parallel page ranges
    /// when the API reports a total; else one sequential reader.
    pub fn plan_pages(&self, max_partitions: u64) -> Result<Vec<PageState>> {
        let first = PageState::first();
        let (body, link, url) = self.get(
            &pagination::page_url(&self.engine.options().url, &first, &self.options)
                .map_err(EngineError::Internal)?,
            &Counters::default(),
        )?;
        let totals = page_ranges::totals(&body, &self.options);
        let mut states = page_ranges::split(totals, &self.options, max_partitions)
            .unwrap_or_else(|| vec![first]);
        let page = crate::source::first_page::Prefetched { body, link, url };
        crate::source::first_page::hand_over(&mut states, page, self.options.start_page);
        Ok(states)
    }

    /// Reads the page at `state`.
    pub fn fetch_page(&self, state: &PageState) -> Result<Page> {
        let started = Instant::now();
        let counters = Counters::default();
        let url = pagination::page_url(&self.engine.options().url, state, &self.options)
            .map_err(EngineError::Internal)?;
        let (body, link, url) = match &state.prefetched {
            Some(page) => {
                // Requested by the driver on this partition's behalf.
                Counters::add(&counters.requests, 1);
                (page.body.clone(), page.link.clone(), page.url.clone())
            }
            None => self.get(&url, &counters)?,
        };
        let found =
            json_path::records(&body, self.data_field()).map_err(EngineError::RequestFailed)?;
        let next = pagination::next_state(
            state,
            &url,
            &body,
            link.as_deref(),
            found.len(),
            &self.options,
        );
        let records = self.batch(&found)?;
        Ok(Page {
            records,
            next,
            metrics: self.finish(&counters, found.len(), started),
        })
    }

    /// Polls from `offset`, taking at most `limit` records in API order.
    pub fn poll(&self, offset: &str, limit: usize) -> Result<Poll> {
        let started = Instant::now();
        let counters = Counters::default();
        let o = &self.options;
        let url = offsets::render_url(&self.engine.options().url, &o.offset_field, offset)
            .map_err(crate::error::invalid)?;
        let (body, _, _) = self.get(&url, &counters)?;
        let mut found =
            json_path::records(&body, self.data_field()).map_err(EngineError::RequestFailed)?;
        let truncated = found.len() > limit;
        let mut next = offsets::next_offset(
            o.offset_type,
            &o.offset_field,
            &body,
            &found[..found.len().min(limit)],
            truncated,
        );
        if truncated && next.is_some() {
            found.truncate(limit);
        } else if truncated {
            // The offset only exists in the envelope, which covers every
            // record returned: take them all rather than stall.
            next = offsets::next_offset(o.offset_type, &o.offset_field, &body, &found, false);
        }
        if next.is_none() {
            // The offset does not move, so nothing may be emitted: the same
            // records would come again from the same offset.
            found.clear();
        }
        let records = self.batch(&found)?;
        Ok(Poll {
            records,
            next_offset: next,
            metrics: self.finish(&counters, found.len(), started),
        })
    }

    pub(crate) fn data_field(&self) -> &[String] {
        self.engine
            .options()
            .data_field
            .as_deref()
            .unwrap_or_default()
    }

    /// GETs `url`: the JSON body, the Link header and the URL, or an error
    /// naming the request (without its query) and the reason.
    pub(crate) fn get(
        &self,
        url: &str,
        counters: &Counters,
    ) -> Result<(Value, Option<String>, String)> {
        let spec = RequestSpec {
            method: self.engine.options().method.clone(),
            url: url.to_string(),
            body: self.engine.options().body.clone(),
        };
        let outcome = self.engine.send_one(&spec, counters);
        let shown = url.split(['?', '#']).next().unwrap_or(url);
        if let Some(reason) = &outcome.error {
            return Err(EngineError::RequestFailed(format!(
                "{} {shown} failed: {reason}",
                spec.method
            )));
        }
        let body =
            serde_json::from_slice(outcome.body.as_deref().unwrap_or_default()).map_err(|e| {
                EngineError::RequestFailed(format!(
                    "{} {shown}: the response is not JSON ({e})",
                    spec.method
                ))
            })?;
        Ok((body, outcome.link, spec.url))
    }

    pub(crate) fn batch(&self, found: &[Value]) -> Result<StructArray> {
        let (records, misfits) = records_batch(found, self.fields.as_ref())?;
        if misfits > 0 {
            tracing::warn!(
                misfits,
                "records had values that do not fit the schema; those values are null"
            );
        }
        Ok(records)
    }

    pub(crate) fn finish(
        &self,
        counters: &Counters,
        records: usize,
        started: Instant,
    ) -> BatchMetrics {
        let mut metrics = counters.snapshot();
        metrics.rows = records as u64;
        metrics.engine_nanos = started.elapsed().as_nanos() as u64;
        self.totals.add(&metrics, &counters.latencies());
        metrics
    }
}

fn raw_url(raw: &BTreeMap<String, String>) -> Result<String> {
    raw.get("url")
        .cloned()
        .ok_or_else(|| crate::error::invalid("option 'url' is required"))
}
