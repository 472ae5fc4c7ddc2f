//! Pagination as pure functions: where a page request goes, and where the
//! next one goes after a response. The state is JSON so the JVM can carry
//! it between calls and across partitions without knowing its insides.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::decode::json_path;
use crate::source::link_header::next_link;
use crate::source::page_ranges::totals;
use crate::source::source_options::{PaginationType, SourceOptions};

/// Where the next page request goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Step {
    /// The first request: the URL as configured.
    First,
    /// Page number (page) or record offset (offset pagination).
    At {
        position: u64,
    },
    Cursor {
        cursor: String,
    },
    Url {
        url: String,
    },
}

/// A partition's position in the pagination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageState {
    pub step: Step,
    /// Stop before this position (page ranges read in parallel).
    #[serde(default)]
    pub end: Option<u64>,
    /// Pages this partition has read, for `maxPages`.
    #[serde(default)]
    pub pages_read: u64,
    /// The page the driver already read while planning, handed to the
    /// partition that starts there so no page is requested twice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefetched: Option<crate::source::first_page::Prefetched>,
}

impl PageState {
    pub fn first() -> PageState {
        PageState {
            step: Step::First,
            end: None,
            pages_read: 0,
            prefetched: None,
        }
    }
}

/// The URL of the page request for `state`.
pub fn page_url(base: &str, state: &PageState, o: &SourceOptions) -> Result<String, String> {
    let position = match &state.step {
        Step::Url { url } => return Ok(url.clone()),
        Step::First => o.start_page,
        Step::At { position } => *position,
        Step::Cursor { .. } => 0,
    };
    let mut url = reqwest::Url::parse(base).map_err(|e| format!("invalid url '{base}': {e}"))?;
    let mut params: Vec<(String, String)> = Vec::new();
    match (&o.pagination, &state.step) {
        (PaginationType::Page | PaginationType::Offset, _) => {
            params.push((o.page_param.clone(), position.to_string()));
            params.push((o.page_size_param.clone(), o.page_size.to_string()));
        }
        (PaginationType::Cursor, Step::Cursor { cursor }) => {
            params.push((o.cursor_param.clone(), cursor.clone()))
        }
        _ => {}
    }
    if !params.is_empty() {
        let names: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| !names.contains(&k.as_ref()))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        url.query_pairs_mut()
            .clear()
            .extend_pairs(kept)
            .extend_pairs(params);
    }
    Ok(url.to_string())
}

/// The state after a page with `records_on_page` records, or None when the
/// pagination (or this partition's range) is over.
pub fn next_state(
    state: &PageState,
    current_url: &str,
    envelope: &Value,
    link_header: Option<&str>,
    records_on_page: usize,
    o: &SourceOptions,
) -> Option<PageState> {
    let pages_read = state.pages_read + 1;
    let capped = o.max_pages > 0 && pages_read >= o.max_pages;
    let no_more =
        json_path::at(envelope, &o.has_more_field).and_then(Value::as_bool) == Some(false);
    if capped || no_more || records_on_page == 0 || o.pagination == PaginationType::None {
        return None;
    }
    let totals = totals(envelope, o);
    let step = match o.pagination {
        PaginationType::Page => {
            let page = position(state, o) + 1;
            let last = totals.total_pages.map(|t| o.start_page + t);
            if last.is_some_and(|last| page >= last) {
                return None;
            }
            Step::At { position: page }
        }
        PaginationType::Offset => {
            let offset = position(state, o) + records_on_page as u64;
            if totals
                .total_records
                .is_some_and(|t| offset >= o.start_page + t)
            {
                return None;
            }
            Step::At { position: offset }
        }
        PaginationType::Cursor => Step::Cursor {
            cursor: json_path::at(envelope, &o.cursor_field).and_then(json_path::scalar_text)?,
        },
        PaginationType::Link => Step::Url {
            url: resolve(current_url, &next_link(link_header?)?)?,
        },
        PaginationType::NextUrl => {
            let next = json_path::at(envelope, &o.next_url_field).and_then(Value::as_str)?;
            Step::Url {
                url: resolve(current_url, next)?,
            }
        }
        PaginationType::None => return None,
    };
    if let (Some(end), Step::At { position }) = (state.end, &step) {
        if *position >= end {
            return None;
        }
    }
    Some(PageState {
        step,
        end: state.end,
        pages_read,
        prefetched: None,
    })
}

fn position(state: &PageState, o: &SourceOptions) -> u64 {
    match state.step {
        Step::At { position } => position,
        _ => o.start_page,
    }
}

fn resolve(base: &str, next: &str) -> Option<String> {
    let base = reqwest::Url::parse(base).ok()?;
    base.join(next).ok().map(|u| u.to_string())
}

#[cfg(test)]
#[path = "pagination_tests.rs"]
mod tests;
