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

    /// One `next_offset` call and the offset it must give.
    struct Case<'a> {
        name: &'a str,
        kind: OffsetType,
        field: &'a str,
        envelope: &'a Value,
        records: &'a [Value],
        truncated: bool,
        expected: Option<&'a str>,
    }

    #[test]
    fn next_offset_of_each_offset_type() {
        let records = [
            json!({"timestamp": 5, "seq": 1}),
            json!({"timestamp": 9, "seq": 2}),
        ];
        let envelope = json!({"latest_timestamp": 12, "next_cursor": "c2"});
        let iso_records = [
            json!({"t": "2024-01-02T00:00:00Z"}),
            json!({"t": "2024-01-10T00:00:00+05:00"}),
            json!({"t": "2024-01-03T00:00:00Z"}),
        ];
        let cases = [
            Case {
                name: "timestamp: the records' highest",
                kind: OffsetType::Timestamp,
                field: "timestamp",
                envelope: &envelope,
                records: &records,
                truncated: false,
                expected: Some("9"),
            },
            Case {
                name: "timestamp: the envelope's",
                kind: OffsetType::Timestamp,
                field: "latest_timestamp",
                envelope: &envelope,
                records: &records,
                truncated: false,
                expected: Some("12"),
            },
            Case {
                name: "timestamp: not the envelope's when truncated",
                kind: OffsetType::Timestamp,
                field: "latest_timestamp",
                envelope: &envelope,
                records: &records,
                truncated: true,
                expected: None,
            },
            Case {
                name: "cursor: the envelope's",
                kind: OffsetType::Cursor,
                field: "next_cursor",
                envelope: &envelope,
                records: &records,
                truncated: false,
                expected: Some("c2"),
            },
            Case {
                name: "cursor: a null cursor does not move",
                kind: OffsetType::Cursor,
                field: "next_cursor",
                envelope: &json!({"next_cursor": null}),
                records: &[],
                truncated: false,
                expected: None,
            },
            Case {
                name: "incremental: the highest plus one",
                kind: OffsetType::Incremental,
                field: "seq",
                envelope: &envelope,
                records: &records,
                truncated: false,
                expected: Some("3"),
            },
            Case {
                name: "max field: the highest",
                kind: OffsetType::MaxField,
                field: "seq",
                envelope: &envelope,
                records: &records,
                truncated: false,
                expected: Some("2"),
            },
            Case {
                name: "max field: no records, no move",
                kind: OffsetType::MaxField,
                field: "seq",
                envelope: &envelope,
                records: &[],
                truncated: false,
                expected: None,
            },
            Case {
                name: "max field: ISO timestamps compare as times",
                kind: OffsetType::MaxField,
                field: "t",
                envelope: &json!({}),
                records: &iso_records,
                truncated: false,
                expected: Some("2024-01-10T00:00:00+05:00"),
            },
        ];
        for c in cases {
            let offset = next_offset(c.kind, c.field, c.envelope, c.records, c.truncated);
            assert_eq!(offset.as_deref(), c.expected, "case '{}'", c.name);
        }
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
