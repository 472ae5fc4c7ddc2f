//! Batch endpoints (`batchKey`): the distinct keys of a batch are sent many
//! per request (`batchRequestSize`) in `batchBody`, and each result is
//! mapped back to its key, by `batchResultKey` or by position. Each key then
//! gets an outcome of its own, whose body is its result object, so typed
//! output, `_status` and `_error` work as for one request per row.

use std::collections::HashMap;

use serde_json::Value;

use crate::decode::json_path;
use crate::options::engine_options::BatchEndpoint;
use crate::plan::input::InputColumns;
use crate::plan::request::RequestSpec;
use crate::send::outcome::Outcome;

/// The requests of one batch in batch-endpoint mode.
pub struct KeyPlan {
    /// Distinct keys in first-seen order.
    pub keys: Vec<String>,
    /// Each row's key index, or why it has none.
    pub rows: Vec<Result<usize, String>>,
    /// One request per chunk of `request_size` keys.
    pub requests: Vec<RequestSpec>,
}

/// Groups the rows' keys (`input` holds the key column first) into requests.
pub fn plan(input: &InputColumns, key_index: usize, batch: &BatchEndpoint) -> KeyPlan {
    let (keys, rows) = distinct_keys(input, key_index, batch);
    let literal = input.json_literal[key_index];
    let requests = keys
        .chunks(batch.request_size)
        .map(|chunk| chunk_request(chunk, literal, batch))
        .collect();
    KeyPlan {
        keys,
        rows,
        requests,
    }
}

/// The distinct keys of a batch in first-seen order, and each row's key
/// index or why it has none.
pub fn distinct_keys(
    input: &InputColumns,
    key_index: usize,
    batch: &BatchEndpoint,
) -> (Vec<String>, Vec<Result<usize, String>>) {
    let mut keys: Vec<String> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let rows = (0..input.num_rows)
        .map(|row| match &input.values[key_index][row] {
            None => Err(format!(
                "column '{}' is null: no request sent",
                batch.key_column
            )),
            Some(key) => Ok(*index.entry(key.clone()).or_insert_with(|| {
                keys.push(key.clone());
                keys.len() - 1
            })),
        })
        .collect();
    (keys, rows)
}

/// The request of one chunk of keys (`literal`: the key column is numeric).
pub fn chunk_request<S: AsRef<str>>(
    chunk: &[S],
    literal: bool,
    batch: &BatchEndpoint,
) -> RequestSpec {
    let array: Vec<Value> = chunk
        .iter()
        .map(|k| key_json(k.as_ref(), literal))
        .collect();
    RequestSpec {
        method: reqwest::Method::POST,
        url: batch.url.clone(),
        body: Some(
            batch
                .body
                .replace("{keys}", &Value::Array(array).to_string()),
        ),
    }
}

/// Numbers stay numbers when the key column is numeric.
fn key_json(key: &str, literal: bool) -> Value {
    if literal {
        if let Ok(v) = serde_json::from_str::<Value>(key) {
            return v;
        }
    }
    Value::String(key.to_string())
}

/// One outcome per key from the outcomes of the chunk requests.
pub fn distribute(plan: &KeyPlan, outcomes: &[Outcome], batch: &BatchEndpoint) -> Vec<Outcome> {
    let mut per_key = Vec::with_capacity(plan.keys.len());
    for (chunk, outcome) in plan.keys.chunks(batch.request_size).zip(outcomes) {
        per_key.extend(chunk_outcomes(chunk, outcome, batch));
    }
    per_key
}

/// One outcome per key of a chunk from the chunk request's outcome.
pub fn chunk_outcomes<S: AsRef<str>>(
    keys: &[S],
    outcome: &Outcome,
    batch: &BatchEndpoint,
) -> Vec<Outcome> {
    let same_for_all = |o: Outcome| vec![o; keys.len()];
    if !outcome.is_success() {
        return same_for_all(outcome.clone());
    }
    let status = outcome.status.unwrap_or(200);
    let failed = |reason: String| Outcome {
        status: Some(status),
        body: None,
        ..Outcome::failed(reason)
    };
    let body: Value = match serde_json::from_slice(outcome.body.as_deref().unwrap_or_default()) {
        Ok(v) => v,
        Err(e) => {
            return same_for_all(failed(format!(
                "parse error: batch response is not JSON ({e})"
            )))
        }
    };
    // A bare JSON array is the results, whatever batchResultsField says
    // (seed 000's batch endpoint answers that way).
    let results = match (json_path::at(&body, &batch.results_field), &body) {
        (Some(Value::Array(results)), _) => results,
        (_, Value::Array(results)) => results,
        _ => {
            let path = batch.results_field.join(".");
            return same_for_all(failed(format!(
                "parse error: batchResultsField '{path}' is not an array in the batch response, \
                 which is {}; set batchResultsField to the dotted path of the result array \
                 (\"\" for the whole body)",
                top_level_shape(&body)
            )));
        }
    };
    let found: Vec<Option<&Value>> = match &batch.result_key {
        Some(field) => {
            let by_key: HashMap<String, &Value> = results
                .iter()
                .filter_map(|r| Some((json_path::scalar_text(r.get(field)?)?, r)))
                .collect();
            keys.iter()
                .map(|k| by_key.get(k.as_ref()).copied())
                .collect()
        }
        None => keys
            .iter()
            .enumerate()
            .map(|(i, _)| results.get(i))
            .collect(),
    };
    keys.iter()
        .zip(found)
        .map(|(key, result)| match result {
            Some(value) => Outcome {
                status: Some(status),
                body: Some(value.to_string().into_bytes()),
                ..Outcome::failed("")
            }
            .succeeded(),
            None => failed(format!(
                "key '{}' is missing from the batch response",
                key.as_ref()
            )),
        })
        .collect()
}

/// The response's top level in a few words, for errors: its keys (and
/// their kinds) or its kind.
pub fn top_level_shape(body: &Value) -> String {
    fn kind(v: &Value) -> &'static str {
        match v {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }
    match body {
        Value::Object(map) => {
            let keys: Vec<String> = map
                .iter()
                .take(10)
                .map(|(k, v)| format!("{k}: {}", kind(v)))
                .collect();
            let more = if map.len() > 10 { ", ..." } else { "" };
            format!("an object {{{}{more}}}", keys.join(", "))
        }
        other => format!("a JSON {}", kind(other)),
    }
}

/// A batch endpoint for tests: key column `id`, `{"ids": {keys}}` posted to
/// `http://h/batch` two keys at a time, results under `results`.
#[cfg(test)]
pub(crate) fn test_endpoint(result_key: Option<&str>) -> BatchEndpoint {
    BatchEndpoint {
        key_column: "id".into(),
        url: "http://h/batch".into(),
        request_size: 2,
        body: r#"{"ids": {keys}}"#.into(),
        results_field: vec!["results".into()],
        result_key: result_key.map(str::to_string),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input(keys: &[Option<&str>]) -> InputColumns {
        InputColumns {
            names: vec!["id".into()],
            values: vec![keys.iter().map(|k| k.map(str::to_string)).collect()],
            json_literal: vec![true],
            num_rows: keys.len(),
        }
    }

    #[test]
    fn distinct_keys_are_chunked_into_bodies() {
        let p = plan(
            &input(&[Some("1"), Some("2"), Some("1"), None, Some("3")]),
            0,
            &test_endpoint(None),
        );
        assert_eq!(p.keys, vec!["1", "2", "3"]);
        assert_eq!(p.rows[2], Ok(0));
        assert!(p.rows[3].is_err());
        let bodies: Vec<_> = p.requests.iter().map(|r| r.body.clone().unwrap()).collect();
        assert_eq!(bodies, vec![r#"{"ids": [1,2]}"#, r#"{"ids": [3]}"#]);
    }

    #[test]
    fn results_map_back_by_key_or_position() {
        let p = plan(
            &input(&[Some("1"), Some("2"), Some("3")]),
            0,
            &test_endpoint(Some("id")),
        );
        let first = Outcome::from_response(
            200,
            json!({"results": [{"id": 2, "v": "b"}, {"id": 1, "v": "a"}]})
                .to_string()
                .into_bytes(),
        );
        let second = Outcome::from_response(200, json!({"results": []}).to_string().into_bytes());
        let per_key = distribute(&p, &[first, second], &test_endpoint(Some("id")));
        assert_eq!(
            per_key[0].body.as_deref(),
            Some(br#"{"id":1,"v":"a"}"#.as_slice())
        );
        assert!(per_key[0].is_success());
        assert!(per_key[2]
            .error
            .as_deref()
            .unwrap()
            .contains("'3' is missing"));

        let by_position = Outcome::from_response(
            200,
            json!({"results": [{"v": "x"}, {"v": "y"}]})
                .to_string()
                .into_bytes(),
        );
        let failed = Outcome::from_response(503, b"down".to_vec());
        let bare = Outcome::from_response(
            200,
            json!([{"v": "p"}, {"v": "q"}]).to_string().into_bytes(),
        );
        let per_key_bare = distribute(
            &p,
            &[bare, Outcome::from_response(200, b"[]".to_vec())],
            &test_endpoint(None),
        );
        assert_eq!(
            per_key_bare[1].body.as_deref(),
            Some(br#"{"v":"q"}"#.as_slice())
        );
        let odd = Outcome::from_response(
            200,
            json!({"data": {"x": 1}, "n": 2}).to_string().into_bytes(),
        );
        let per_key_odd = distribute(&p, &[odd.clone(), odd], &test_endpoint(None));
        let error = per_key_odd[0].error.as_deref().unwrap();
        assert!(
            error.contains("batchResultsField 'results'")
                && error.contains("data: object, n: number"),
            "{error}"
        );
        let per_key = distribute(&p, &[by_position, failed], &test_endpoint(None));
        assert_eq!(per_key[1].body.as_deref(), Some(br#"{"v":"y"}"#.as_slice()));
        assert_eq!(per_key[2].status, Some(503));
    }
}
