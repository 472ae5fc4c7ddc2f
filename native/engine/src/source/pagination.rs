//! Pagination as pure functions: where a page request goes, and where the
//! next one goes after a response. The state is JSON so the JVM can carry
//! it between calls and across partitions without knowing its insides.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::decode::json_path;
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

/// What the envelope of a page says about the whole result.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub total_pages: Option<u64>,
    pub total_records: Option<u64>,
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

/// The target of `rel="next"` in an RFC 5988 Link header.
pub fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let is_next = params.split(';').any(|p| {
            let p = p.trim().to_ascii_lowercase().replace(' ', "");
            p == "rel=\"next\"" || p == "rel=next"
        });
        is_next.then(|| {
            target
                .trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
    })
}

fn resolve(base: &str, next: &str) -> Option<String> {
    let base = reqwest::Url::parse(base).ok()?;
    base.join(next).ok().map(|u| u.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn options(pairs: &[(&str, &str)]) -> SourceOptions {
        SourceOptions::parse(
            &pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
        .unwrap()
    }

    #[test]
    fn page_urls_replace_their_parameters() {
        let o = options(&[("paginationType", "page"), ("pageSize", "50")]);
        let state = PageState {
            step: Step::At { position: 3 },
            end: None,
            pages_read: 0,
            prefetched: None,
        };
        let url = page_url("http://h/items?page=9&x=1", &state, &o).unwrap();
        assert_eq!(url, "http://h/items?x=1&page=3&per_page=50");
    }

    #[test]
    fn page_pagination_stops_at_the_total_or_an_empty_page() {
        let o = options(&[("paginationType", "page")]);
        let first = PageState::first();
        let next = next_state(
            &first,
            "http://h/i",
            &json!({"total_pages": 3}),
            None,
            100,
            &o,
        )
        .unwrap();
        assert_eq!(next.step, Step::At { position: 2 });
        let last = PageState {
            step: Step::At { position: 3 },
            ..first.clone()
        };
        assert_eq!(
            next_state(
                &last,
                "http://h/i",
                &json!({"total_pages": 3}),
                None,
                100,
                &o
            ),
            None
        );
        assert_eq!(
            next_state(&first, "http://h/i", &json!({}), None, 0, &o),
            None
        );
    }

    #[test]
    fn cursor_link_next_url_and_has_more() {
        let o = options(&[("paginationType", "cursor")]);
        let s = next_state(
            &PageState::first(),
            "http://h/c",
            &json!({"next_cursor": "abc"}),
            None,
            5,
            &o,
        )
        .unwrap();
        assert_eq!(
            s.step,
            Step::Cursor {
                cursor: "abc".into()
            }
        );
        assert_eq!(
            page_url("http://h/c?limit=5", &s, &o).unwrap(),
            "http://h/c?limit=5&cursor=abc"
        );
        assert_eq!(
            next_state(&s, "http://h/c", &json!({"next_cursor": null}), None, 5, &o),
            None
        );

        let o = options(&[("paginationType", "link")]);
        let link = r#"<http://h/l?page=2>; rel="next", <http://h/l?page=9>; rel="last""#;
        let s = next_state(
            &PageState::first(),
            "http://h/l",
            &json!([]),
            Some(link),
            5,
            &o,
        )
        .unwrap();
        assert_eq!(
            s.step,
            Step::Url {
                url: "http://h/l?page=2".into()
            }
        );

        let o = options(&[("paginationType", "nextUrl")]);
        let s = next_state(
            &PageState::first(),
            "http://h/n/a",
            &json!({"next": "/n/b"}),
            None,
            5,
            &o,
        )
        .unwrap();
        assert_eq!(
            s.step,
            Step::Url {
                url: "http://h/n/b".into()
            }
        );
        assert_eq!(
            next_state(
                &s,
                "http://h/n/b",
                &json!({"next": "/n/c", "has_more": false}),
                None,
                5,
                &o
            ),
            None
        );
    }

    #[test]
    fn max_pages_and_ranges() {
        let o = options(&[("paginationType", "page"), ("maxPages", "2")]);
        let s = next_state(&PageState::first(), "http://h", &json!({}), None, 1, &o).unwrap();
        assert_eq!(next_state(&s, "http://h", &json!({}), None, 1, &o), None);

        let o = options(&[("paginationType", "offset"), ("pageSize", "10")]);
        let parts = split(totals(&json!({"total": 95}), &o), &o, 3).unwrap();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0].step, Step::At { position: 0 });
        assert_eq!(parts[0].end, Some(40));
        assert_eq!(parts[2].end, Some(100));
        let inside =
            next_state(&parts[0], "http://h", &json!({"total": 95}), None, 10, &o).unwrap();
        assert_eq!(inside.step, Step::At { position: 10 });
        let at_end = PageState {
            step: Step::At { position: 30 },
            ..parts[0].clone()
        };
        assert_eq!(
            next_state(&at_end, "http://h", &json!({"total": 95}), None, 10, &o),
            None
        );
    }
}
