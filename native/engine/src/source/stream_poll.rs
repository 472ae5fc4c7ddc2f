//! A stream's poll for its record log (DESIGN.md section 6): the driver's
//! poll that plans a micro-batch returns the records themselves (raw JSON),
//! which the JVM writes to the checkpoint; the batch's partition hands that
//! log back to `decode_log`. The API is asked once per planned poll.

use std::sync::atomic::Ordering;
use std::time::Instant;

use arrow::array::StructArray;
use serde_json::Value;

use crate::error::{invalid, EngineError, Result};
use crate::metrics::{BatchMetrics, Counters};
use crate::options::engine_options::split_path;
use crate::plan::template::{Escape, Template};
use crate::source::reader::Source;
use crate::source::stream_offset::{self, StreamOffset};
use crate::{decode::json_path, source::offsets};

/// One poll's delivery: at most `limit` records, in API order.
pub struct LogPoll {
    pub records: Vec<Value>,
    /// None when the offset does not move (nothing new).
    pub next: Option<StreamOffset>,
    /// More records were available than the limit: poll again at once.
    pub truncated: bool,
    pub metrics: BatchMetrics,
}

/// Array fields an object body commonly keeps its records in.
const USUAL_DATA_FIELDS: &[&str] = &["data", "events", "results", "items", "records"];

impl Source {
    /// Polls from `at`. `first` is the stream's first poll: a misconfigured
    /// offsetField fails it instead of returning nothing forever.
    pub fn poll_log(&self, at: &StreamOffset, limit: usize, first: bool) -> Result<LogPoll> {
        let started = Instant::now();
        let counters = Counters::default();
        let o = &self.options;
        let template = &self.engine.options().url;
        check_placeholder(template, &o.offset_field)?;
        let url = offsets::render_url(template, &o.offset_field, &at.value).map_err(invalid)?;
        let (body, _, _) = self.get(&url, &counters)?;
        let found = self.stream_records(&body)?;
        let field = split_path(&o.offset_field);
        if first
            && !found.is_empty()
            && !stream_offset::field_found(o.offset_type, &field, &body, &found)
        {
            return Err(invalid(format!(
                "option 'offsetField' is '{}', but the first poll's response has it neither in \
                 its envelope nor in its records; the response's top-level keys are [{}]{}",
                o.offset_field,
                top_level_keys(&body),
                record_keys(&found)
            )));
        }
        let cut = stream_offset::cut(o.offset_type, &field, &body, found, at, limit);
        let metrics = self.finish(&counters, cut.records.len(), started);
        Ok(LogPoll {
            records: cut.records,
            next: cut.next,
            truncated: cut.truncated,
            metrics,
        })
    }

    /// Decodes a record log (one record's JSON per line) into the read's rows.
    pub fn decode_log(&self, lines: &str) -> Result<StructArray> {
        let records = lines
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(serde_json::from_str::<Value>)
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| EngineError::Internal(format!("a record log line is not JSON: {e}")))?;
        self.batch(&records)
    }

    /// The records of a poll's body: `dataField` when set; else an array body,
    /// or the one array field of an object (logged once), or the body itself.
    fn stream_records(&self, body: &Value) -> Result<Vec<Value>> {
        if !self.data_field().is_empty() {
            return json_path::records(body, self.data_field()).map_err(EngineError::RequestFailed);
        }
        match body {
            Value::Array(items) => Ok(items.clone()),
            Value::Object(map) => {
                let arrays: Vec<&String> = map
                    .iter()
                    .filter(|(_, v)| v.is_array())
                    .map(|(k, _)| k)
                    .collect();
                let chosen = match arrays.as_slice() {
                    [one] => Some(*one),
                    many => many
                        .iter()
                        .find(|k| USUAL_DATA_FIELDS.contains(&k.as_str()))
                        .copied(),
                };
                if !self.data_field_logged.swap(true, Ordering::Relaxed) {
                    match chosen {
                        Some(k) => tracing::info!(
                            "option dataField is not set: the records are the array field '{k}' of the response (set dataField to choose another)"
                        ),
                        None => tracing::info!(
                            "option dataField is not set and the response has no array field of records: each response is one record"
                        ),
                    }
                }
                Ok(match chosen.and_then(|k| map.get(k)) {
                    Some(Value::Array(items)) => items.clone(),
                    _ => vec![body.clone()],
                })
            }
            Value::Null => Ok(Vec::new()),
            other => Ok(vec![other.clone()]),
        }
    }
}

/// A stream URL must carry its offset, else every poll asks the same thing.
fn check_placeholder(url: &str, field: &str) -> Result<()> {
    let mut columns = Vec::new();
    Template::parse(url, Escape::Url, &mut columns);
    if columns.iter().any(|c| c == "offset" || c == field) {
        return Ok(());
    }
    Err(invalid(format!(
        "option 'url' has no offset placeholder: a stream sends its offset in the url as \
         {{offset}} or {{{field}}} (the offsetField), e.g. https://api.example.com/events?since={{offset}}"
    )))
}

fn top_level_keys(body: &Value) -> String {
    match body {
        Value::Object(map) => map.keys().cloned().collect::<Vec<_>>().join(", "),
        Value::Array(_) => "(the body is an array)".into(),
        _ => String::new(),
    }
}

fn record_keys(records: &[Value]) -> String {
    match records.first() {
        Some(Value::Object(map)) => format!(
            " and its records' keys are [{}]",
            map.keys().cloned().collect::<Vec<_>>().join(", ")
        ),
        _ => String::new(),
    }
}
