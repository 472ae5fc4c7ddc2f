//! Composite stream offsets (SPEC.md section 5, DESIGN.md section 6): an
//! offset value plus how many records of the answer at that value were
//! already delivered, so a micro-batch boundary inside a run of records that
//! share an offset value (equal timestamps, a page split by `batchSize`, a
//! last page with a null cursor) neither loses nor repeats a record.
//!
//! Two ways to count what was delivered, because APIs differ in whether
//! `since=V` includes the records at V:
//! - `first`: the first `skip` records of the answer at `value` (a page that
//!   was cut, a cursor page). Exact when the API answers the same request with
//!   the same records in the same order, plus new ones at the end.
//! - `equal`: the leading records whose offsetField equals `value` (the run at
//!   the max value of the last batch). Exact for inclusive APIs (they return
//!   that run again) and harmless for exclusive ones (they do not).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::decode::json_path;
use crate::source::offsets::max_of;
use crate::source::source_options::OffsetType;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SkipMode {
    #[default]
    First,
    Equal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamOffset {
    pub value: String,
    #[serde(default)]
    pub skip: u64,
    #[serde(default)]
    pub mode: SkipMode,
}

impl StreamOffset {
    pub fn at(value: &str) -> StreamOffset {
        StreamOffset {
            value: value.to_string(),
            skip: 0,
            mode: SkipMode::First,
        }
    }
}

/// The records one poll delivers and the offset after them.
#[derive(Debug)]
pub struct Cut {
    pub records: Vec<Value>,
    /// None when the offset does not move (then `records` is empty).
    pub next: Option<StreamOffset>,
    /// More records than the limit were available: poll again at once.
    pub truncated: bool,
}

/// Drops what `at` says was delivered, keeps at most `limit` records and
/// computes the next offset for `kind`.
pub fn cut(
    kind: OffsetType,
    field: &[String],
    envelope: &Value,
    mut found: Vec<Value>,
    at: &StreamOffset,
    limit: usize,
) -> Cut {
    let dropped = match at.mode {
        SkipMode::First => (at.skip as usize).min(found.len()),
        SkipMode::Equal => found
            .iter()
            .take(at.skip as usize)
            .take_while(|r| text_at(r, field).as_deref() == Some(at.value.as_str()))
            .count(),
    };
    found.drain(..dropped);
    let truncated = found.len() > limit;
    // A cut between two offset values ends a run: the next poll may start after it.
    let after_cut = found.get(limit).and_then(|r| text_at(r, field));
    found.truncate(limit);
    let cut_ends_run = truncated
        && found
            .last()
            .and_then(|r| text_at(r, field))
            .is_some_and(|last| {
                after_cut.as_ref() != Some(&last)
                    && max_of(&found, field).map(|m| m.text()) == Some(last)
            });
    let taken = found.len() as u64;
    // Same request next time, skipping everything delivered from it so far.
    let stay = || {
        (taken > 0).then(|| StreamOffset {
            value: at.value.clone(),
            skip: dropped as u64 + taken,
            mode: SkipMode::First,
        })
    };
    let envelope_value = || {
        envelope
            .is_object()
            .then(|| json_path::at(envelope, field).and_then(json_path::scalar_text))
            .flatten()
    };
    let next = match kind {
        OffsetType::Cursor => moved(envelope_value(), at, truncated).or_else(stay),
        OffsetType::Timestamp if envelope_value().is_some() => {
            moved(envelope_value(), at, truncated).or_else(stay)
        }
        _ if truncated && !cut_ends_run => stay(),
        _ if taken == 0 => None,
        OffsetType::Incremental => match max_of(&found, field).and_then(|m| m.plus_one()) {
            Some(next) => Some(StreamOffset::at(&next)),
            None => stay(),
        },
        OffsetType::Timestamp | OffsetType::MaxField => match max_of(&found, field) {
            Some(max) => {
                let value = max.text();
                let at_max = found
                    .iter()
                    .filter(|r| text_at(r, field).as_deref() == Some(value.as_str()))
                    .count() as u64;
                let before = if value == at.value { dropped as u64 } else { 0 };
                Some(StreamOffset {
                    value,
                    skip: at_max + before,
                    mode: SkipMode::Equal,
                })
            }
            None => stay(),
        },
    };
    if next.is_none() {
        found.clear();
    }
    Cut {
        records: found,
        next,
        truncated,
    }
}

/// An envelope offset other than the current one, unless the page was cut.
fn moved(value: Option<String>, at: &StreamOffset, truncated: bool) -> Option<StreamOffset> {
    value
        .filter(|v| !truncated && *v != at.value)
        .map(|v| StreamOffset::at(&v))
}

fn text_at(record: &Value, field: &[String]) -> Option<String> {
    json_path::at(record, field).and_then(json_path::scalar_text)
}

/// Where the offsetField is: for the error of a stream that cannot find it.
pub fn field_found(
    kind: OffsetType,
    field: &[String],
    envelope: &Value,
    records: &[Value],
) -> bool {
    let in_envelope = envelope.is_object() && json_path::at(envelope, field).is_some();
    let in_records = records
        .iter()
        .any(|r| json_path::at(r, field).is_some_and(|v| !v.is_null()));
    match kind {
        OffsetType::Cursor => in_envelope,
        OffsetType::Timestamp => in_envelope || in_records,
        OffsetType::Incremental | OffsetType::MaxField => in_records,
    }
}

// The offset value and the max over records are the batch poll's
// (`offsets.rs`): one comparison rule for both.

#[cfg(test)]
#[path = "stream_offset_tests.rs"]
mod tests;
