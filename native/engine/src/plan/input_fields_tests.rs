//! Input columns sent without a template, against the mock's `/echo`: the
//! default body of POST (all columns or `bodyColumns`, JSON or form) and
//! `queryType=querystring`; and a batch endpoint answering a bare array.

use std::sync::Arc;

use arrow::array::{Array, AsArray, Float64Array, Int64Array, StringArray, StructArray};
use arrow::datatypes::{DataType, Field, Fields};
use mock_api::Config;
use serde_json::{json, Value};

use crate::test_support::{engine, server, statuses};

fn rows() -> StructArray {
    StructArray::new(
        Fields::from(vec![
            Field::new("id", DataType::Int64, true),
            Field::new("name", DataType::Utf8, true),
            Field::new("score", DataType::Float64, true),
        ]),
        vec![
            Arc::new(Int64Array::from(vec![Some(1), Some(2)])),
            Arc::new(StringArray::from(vec![Some("a b"), None])),
            Arc::new(Float64Array::from(vec![Some(2.5), Some(1e300)])),
        ],
        None,
    )
}

fn echoed(pairs: &[(&str, &str)]) -> Vec<Value> {
    let api = server(Config::default());
    let mut options: Vec<(&str, String)> = vec![("url", format!("{}/echo/x", api.url()))];
    options.extend(pairs.iter().map(|(k, v)| (*k, v.to_string())));
    let e = engine(&options, None);
    let (out, _) = e.enrich(&rows()).unwrap();
    assert_eq!(statuses(&out), vec![Some(200), Some(200)]);
    let output = out.column_by_name("output").unwrap().as_string::<i32>();
    (0..out.len())
        .map(|i| serde_json::from_str(output.value(i)).unwrap())
        .collect()
}

#[test]
fn post_without_body_sends_every_input_column_json_typed() {
    let echo = echoed(&[("method", "POST")]);
    let body: Value = serde_json::from_str(echo[0]["body"].as_str().unwrap()).unwrap();
    assert_eq!(body, json!({"id": 1, "name": "a b", "score": 2.5}));
    let body: Value = serde_json::from_str(echo[1]["body"].as_str().unwrap()).unwrap();
    assert_eq!(body, json!({"id": 2, "name": null, "score": 1e300}));
    assert_eq!(echo[0]["headers"]["content-type"], "application/json");
}

#[test]
fn body_columns_and_form_pick_and_encode() {
    let echo = echoed(&[
        ("method", "PUT"),
        ("bodyColumns", "name,id"),
        ("bodyFormat", "form"),
    ]);
    assert_eq!(echo[0]["body"], "id=1&name=a+b");
    assert_eq!(echo[1]["body"], "id=2");
    assert_eq!(
        echo[0]["headers"]["content-type"],
        "application/x-www-form-urlencoded"
    );
}

#[test]
fn query_string_appends_the_input_columns() {
    let echo = echoed(&[("queryType", "querystring")]);
    assert_eq!(
        echo[0]["args"],
        json!({"id": "1", "name": "a b", "score": "2.5"})
    );
    assert_eq!(echo[1]["args"]["name"], Value::Null);
}

#[test]
fn a_bare_array_batch_answer_needs_no_options() {
    let api = server(Config::default());
    let e = engine(
        &[
            ("url", format!("{}/customers/batch/bare", api.url())),
            ("batchKey", "id".into()),
            ("batchRequestSize", "2".into()),
        ],
        None,
    );
    let (out, _) = e
        .enrich(&crate::test_support::ids([Some(4), Some(5), Some(6)]))
        .unwrap();
    let output = out.column_by_name("output").unwrap().as_string::<i32>();
    for (row, id) in [4, 5, 6].into_iter().enumerate() {
        let body: Value = serde_json::from_str(output.value(row)).unwrap();
        assert_eq!(body["customer_id"], id);
    }
    assert_eq!(api.stats().total, 2);
}
