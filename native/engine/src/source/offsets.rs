//! Streaming offsets (SPEC.md section 5): where the next poll starts after a
//! response, for each `offsetType`.

use serde_json::Value;

use crate::decode::json_path;
use crate::source::source_options::OffsetType;

/// The offset after these records, or None when it does not move (no new
/// data). `truncated` says the records were cut to the batch size, so the
/// envelope's offset (which covers everything returned) must not be used.
pub fn next_offset(
    kind: OffsetType,
    field: &str,
    envelope: &Value,
    records: &[Value],
    truncated: bool,
) -> Option<String> {
    let path: Vec<String> = crate::options::engine_options::split_path(field);
    let from_envelope = || json_path::at(envelope, &path).and_then(json_path::scalar_text);
    match kind {
        // A cursor covers everything the response returned: it cannot
        // describe a cut, so a truncated poll has no cursor of its own.
        OffsetType::Cursor if truncated => None,
        OffsetType::Cursor => from_envelope(),
        OffsetType::Timestamp => {
            if records.is_empty() {
                return None;
            }
            if truncated { None } else { from_envelope() }
                .or_else(|| max_of(records, &path).map(|m| m.text()))
        }
        OffsetType::Incremental => max_of(records, &path).and_then(|m| m.plus_one()),
        OffsetType::MaxField => max_of(records, &path).map(|m| m.text()),
    }
}

/// A record's offset value: numbers compare as numbers, strings as
/// ISO-8601 timestamps (else as text).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum OffsetValue {
    Number(serde_json::Number),
    Text(String),
}

impl OffsetValue {
    pub(crate) fn key(&self) -> (i128, String) {
        match self {
            OffsetValue::Number(n) => (
                n.as_i64()
                    .map(i128::from)
                    .unwrap_or_else(|| n.as_f64().unwrap_or(0.0) as i128),
                String::new(),
            ),
            OffsetValue::Text(s) => {
                let nanos = arrow::compute::kernels::cast_utils::string_to_timestamp_nanos(s)
                    .map(i128::from)
                    .unwrap_or(i128::MIN);
                (nanos, s.clone())
            }
        }
    }

    pub(crate) fn text(&self) -> String {
        match self {
            OffsetValue::Number(n) => n.to_string(),
            OffsetValue::Text(s) => s.clone(),
        }
    }

    pub(crate) fn plus_one(&self) -> Option<String> {
        match self {
            OffsetValue::Number(n) => n.as_i64().map(|i| (i + 1).to_string()),
            OffsetValue::Text(s) => s.parse::<i64>().ok().map(|i| (i + 1).to_string()),
        }
    }
}

pub(crate) fn max_of(records: &[Value], path: &[String]) -> Option<OffsetValue> {
    records
        .iter()
        .filter_map(|r| match json_path::at(r, path)? {
            Value::Number(n) => Some(OffsetValue::Number(n.clone())),
            Value::String(s) => Some(OffsetValue::Text(s.clone())),
            _ => None,
        })
        .max_by(|a, b| a.key().cmp(&b.key()))
}

/// Replaces `{offset}` and `{<offsetField>}` in a source URL with the
/// URL-encoded offset.
pub fn render_url(url: &str, field: &str, offset: &str) -> Result<String, String> {
    let mut columns = Vec::new();
    let template = crate::plan::template::Template::parse(
        url,
        crate::plan::template::Escape::Url,
        &mut columns,
    );
    if let Some(other) = columns
        .iter()
        .find(|c| *c != "offset" && c.as_str() != field)
    {
        return Err(format!(
            "option 'url' uses {{{other}}}, but a source URL may only use {{offset}} or {{{field}}} (the offsetField)"
        ));
    }
    let values: Vec<Option<&str>> = columns.iter().map(|_| Some(offset)).collect();
    template
        .render(&values, &columns)
        .map_err(|e| format!("column '{}' is null", e.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_offset_type() {
        let records = vec![
            json!({"timestamp": 5, "seq": 1}),
            json!({"timestamp": 9, "seq": 2}),
        ];
        let envelope = json!({"latest_timestamp": 12, "next_cursor": "c2"});
        assert_eq!(
            next_offset(
                OffsetType::Timestamp,
                "timestamp",
                &envelope,
                &records,
                false
            ),
            Some("9".into())
        );
        assert_eq!(
            next_offset(
                OffsetType::Timestamp,
                "latest_timestamp",
                &envelope,
                &records,
                false
            ),
            Some("12".into())
        );
        assert_eq!(
            next_offset(
                OffsetType::Timestamp,
                "latest_timestamp",
                &envelope,
                &records,
                true
            ),
            None
        );
        assert_eq!(
            next_offset(
                OffsetType::Cursor,
                "next_cursor",
                &envelope,
                &records,
                false
            ),
            Some("c2".into())
        );
        assert_eq!(
            next_offset(
                OffsetType::Cursor,
                "next_cursor",
                &json!({"next_cursor": null}),
                &[],
                false
            ),
            None
        );
        assert_eq!(
            next_offset(OffsetType::Incremental, "seq", &envelope, &records, false),
            Some("3".into())
        );
        assert_eq!(
            next_offset(OffsetType::MaxField, "seq", &envelope, &records, false),
            Some("2".into())
        );
        assert_eq!(
            next_offset(OffsetType::MaxField, "seq", &envelope, &[], false),
            None
        );
    }

    #[test]
    fn iso_timestamps_compare_as_times() {
        let records = vec![
            json!({"t": "2024-01-02T00:00:00Z"}),
            json!({"t": "2024-01-10T00:00:00+05:00"}),
            json!({"t": "2024-01-03T00:00:00Z"}),
        ];
        assert_eq!(
            next_offset(OffsetType::MaxField, "t", &json!({}), &records, false),
            Some("2024-01-10T00:00:00+05:00".into())
        );
    }

    #[test]
    fn source_urls_take_only_the_offset() {
        assert_eq!(
            render_url("http://h/e?since={timestamp}", "timestamp", "1 2").unwrap(),
            "http://h/e?since=1%202"
        );
        assert_eq!(
            render_url("http://h/e?after={offset}", "seq", "7").unwrap(),
            "http://h/e?after=7"
        );
        assert!(render_url("http://h/e/{id}", "seq", "7")
            .unwrap_err()
            .contains("{id}"));
    }
}
