//! Options of the `rest` data source when it reads an API directly (no
//! input rows): pagination (batch reads) and offsets (streaming).

use std::collections::BTreeMap;

use crate::error::{invalid, Result};
use crate::options::engine_options::split_path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaginationType {
    None,
    Page,
    Offset,
    Cursor,
    Link,
    NextUrl,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetType {
    Timestamp,
    Cursor,
    Incremental,
    MaxField,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceOptions {
    pub pagination: PaginationType,
    /// Query parameter of the page number (page) or the offset (offset).
    pub page_param: String,
    /// Query parameter of the page size (page) or the limit (offset).
    pub page_size_param: String,
    pub page_size: u64,
    /// First page (page) or first offset (offset).
    pub start_page: u64,
    pub cursor_param: String,
    pub cursor_field: Vec<String>,
    pub next_url_field: Vec<String>,
    pub has_more_field: Vec<String>,
    /// 0 = no cap.
    pub max_pages: u64,
    pub offset_type: OffsetType,
    pub offset_field: String,
    pub initial_offset: String,
    pub batch_size: u64,
    /// Consecutive failed polls after which a stream fails (JVM side).
    pub max_poll_failures: u64,
}

impl SourceOptions {
    pub fn parse(raw: &BTreeMap<String, String>) -> Result<SourceOptions> {
        let get = |name: &str| raw.get(name).map(String::as_str);
        let number = |name: &str, default: u64| -> Result<u64> {
            match get(name) {
                None => Ok(default),
                Some(v) => v.trim().parse::<u64>().map_err(|_| {
                    invalid(format!("option '{name}' has invalid value '{v}': allowed is a whole number of 0 or more"))
                }),
            }
        };
        let pagination = match get("paginationType").unwrap_or("none").to_ascii_lowercase().as_str() {
            "none" => PaginationType::None,
            "page" => PaginationType::Page,
            "offset" => PaginationType::Offset,
            "cursor" => PaginationType::Cursor,
            "link" => PaginationType::Link,
            "nexturl" => PaginationType::NextUrl,
            other => {
                return Err(invalid(format!(
                    "option 'paginationType' has invalid value '{other}': allowed is none, page, offset, cursor, link or nextUrl"
                )))
            }
        };
        let offset_type = match get("offsetType").unwrap_or("timestamp").to_ascii_lowercase().as_str() {
            "timestamp" => OffsetType::Timestamp,
            "cursor" => OffsetType::Cursor,
            "incremental" => OffsetType::Incremental,
            "max_field" => OffsetType::MaxField,
            other => {
                return Err(invalid(format!(
                    "option 'offsetType' has invalid value '{other}': allowed is timestamp, cursor, incremental or max_field"
                )))
            }
        };
        // Offset pagination speaks offset/limit unless told otherwise.
        let offset_style = pagination == PaginationType::Offset;
        let page_size = number("pageSize", 100)?;
        if page_size == 0 {
            return Err(invalid(
                "option 'pageSize' has invalid value '0': allowed is a whole number of 1 or more",
            ));
        }
        let batch_size = number("batchSize", 1000)?;
        if batch_size == 0 {
            return Err(invalid(
                "option 'batchSize' has invalid value '0': allowed is a whole number of 1 or more",
            ));
        }
        let max_poll_failures = number("maxPollFailures", 10)?;
        if max_poll_failures == 0 {
            return Err(invalid(
                "option 'maxPollFailures' has invalid value '0': allowed is a whole number of 1 or more",
            ));
        }
        // Seed 002's `streaming=true` marks a stream; accepted, it changes nothing.
        if let Some(v) = get("streaming") {
            if !matches!(v.trim().to_ascii_lowercase().as_str(), "true" | "false") {
                return Err(invalid(format!(
                    "option 'streaming' has invalid value '{v}': allowed is true or false (it is accepted for seed 002's code and changes nothing)"
                )));
            }
        }
        Ok(SourceOptions {
            pagination,
            page_param: get("pageParam")
                .unwrap_or(if offset_style { "offset" } else { "page" })
                .to_string(),
            page_size_param: get("pageSizeParam")
                .unwrap_or(if offset_style { "limit" } else { "per_page" })
                .to_string(),
            page_size,
            start_page: number("startPage", if offset_style { 0 } else { 1 })?,
            cursor_param: get("cursorParam").unwrap_or("cursor").to_string(),
            cursor_field: split_path(get("cursorField").unwrap_or("next_cursor")),
            next_url_field: split_path(get("nextUrlField").unwrap_or("next")),
            has_more_field: split_path(get("hasMoreField").unwrap_or("has_more")),
            max_pages: number("maxPages", 0)?,
            offset_type,
            offset_field: get("offsetField").unwrap_or("timestamp").to_string(),
            initial_offset: get("initialOffset").unwrap_or("0").to_string(),
            batch_size,
            max_poll_failures,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pairs: &[(&str, &str)]) -> Result<SourceOptions> {
        SourceOptions::parse(
            &pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn defaults_and_offset_style_names() {
        let page = parse(&[("paginationType", "page")]).unwrap();
        assert_eq!(
            (
                page.page_param.as_str(),
                page.page_size_param.as_str(),
                page.start_page
            ),
            ("page", "per_page", 1)
        );
        let offset = parse(&[("paginationType", "offset")]).unwrap();
        assert_eq!(
            (
                offset.page_param.as_str(),
                offset.page_size_param.as_str(),
                offset.start_page
            ),
            ("offset", "limit", 0)
        );
        assert_eq!(parse(&[]).unwrap().offset_type, OffsetType::Timestamp);
    }

    #[test]
    fn bad_values_are_named() {
        let err = parse(&[("paginationType", "pages")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("paginationType") && err.contains("'pages'") && err.contains("cursor"),
            "{err}"
        );
        let err = parse(&[("offsetType", "ts")]).unwrap_err().to_string();
        assert!(
            err.contains("offsetType") && err.contains("max_field"),
            "{err}"
        );
        assert!(parse(&[("pageSize", "0")]).is_err());
    }
}
