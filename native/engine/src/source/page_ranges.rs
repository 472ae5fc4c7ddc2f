//! What the envelope of a page says about the whole result (totals under
//! their common names), and the page ranges that partitions read in
//! parallel when the total is known.

use serde::Serialize;
use serde_json::Value;

use crate::source::pagination::{PageState, Step};
use crate::source::source_options::{PaginationType, SourceOptions};

/// What the envelope of a page says about the whole result.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub total_pages: Option<u64>,
    pub total_records: Option<u64>,
}

/// Totals the API reports, under common names.
pub fn totals(envelope: &Value, o: &SourceOptions) -> Totals {
    let find = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| envelope.get(*n).and_then(Value::as_u64))
    };
    let total_records = find(&[
        "total",
        "total_count",
        "totalCount",
        "total_results",
        "totalResults",
    ]);
    let total_pages = find(&["total_pages", "totalPages", "page_count", "pageCount"])
        .or_else(|| total_records.map(|t| t.div_ceil(o.page_size)));
    Totals {
        total_pages,
        total_records,
    }
}

/// Page ranges for `partitions` parallel readers when the total is known
/// (page and offset pagination only); None means read sequentially.
pub fn split(totals: Totals, o: &SourceOptions, partitions: u64) -> Option<Vec<PageState>> {
    let mut pages = totals.total_pages?;
    if o.max_pages > 0 {
        pages = pages.min(o.max_pages);
    }
    if !matches!(o.pagination, PaginationType::Page | PaginationType::Offset) || pages == 0 {
        return None;
    }
    let parts = partitions.clamp(1, pages);
    let per_part = pages.div_ceil(parts);
    let stride = if o.pagination == PaginationType::Offset {
        o.page_size
    } else {
        1
    };
    let states = (0..parts)
        .map(|i| {
            let first = i * per_part;
            let last = ((i + 1) * per_part).min(pages);
            (first, last)
        })
        .filter(|(first, last)| first < last)
        .map(|(first, last)| PageState {
            step: Step::At {
                position: o.start_page + first * stride,
            },
            end: Some(o.start_page + last * stride),
            pages_read: 0,
            prefetched: None,
        })
        .collect();
    Some(states)
}
