//! Dotted paths into JSON (`data.items`), shared by `dataField`, cursors,
//! next URLs and offsets.

use serde_json::Value;

/// The value at `path` (empty path = the value itself).
pub fn at<'a>(value: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(value, |v, key| v.get(key))
}

/// The records of a response: the array at `path`, or the single object
/// there; null or missing means no records.
pub fn records(body: &Value, path: &[String]) -> Result<Vec<Value>, String> {
    match at(body, path) {
        None | Some(Value::Null) if !path.is_empty() => Ok(Vec::new()),
        Some(Value::Array(items)) => Ok(items.clone()),
        Some(object @ Value::Object(_)) => Ok(vec![object.clone()]),
        Some(Value::Null) | None => Ok(Vec::new()),
        Some(other) => Err(format!(
            "dataField '{}' holds {}, not records",
            path.join("."),
            kind(other)
        )),
    }
}

/// A scalar as offset/cursor text: strings as they are, numbers as written.
pub fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        _ => "something else",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_and_records() {
        let body = json!({"data": {"items": [{"id": 1}, {"id": 2}]}, "next": null, "n": 5});
        let path = vec!["data".to_string(), "items".to_string()];
        assert_eq!(records(&body, &path).unwrap().len(), 2);
        assert_eq!(records(&body, &["missing".to_string()]).unwrap().len(), 0);
        assert_eq!(records(&json!([{"a": 1}]), &[]).unwrap().len(), 1);
        assert!(records(&body, &["n".to_string()]).is_err());
        assert_eq!(scalar_text(&json!(12)), Some("12".into()));
        assert_eq!(scalar_text(&json!("")), None);
    }
}
