//! Helpers of the tests that run the engine against the mock API server.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{AsArray, Int64Array, StringArray, StructArray};
use arrow::datatypes::{DataType, Field, Fields, Int32Type};
use mock_api::{Config, MockServer};

use crate::engine::Engine;
use crate::flow::runtime::runtime;
use crate::options::engine_options::{EngineOptions, Secrets};

/// A mock server on the shared runtime; dropping it stops it.
pub fn server(config: Config) -> MockServer {
    runtime()
        .block_on(MockServer::start(config))
        .expect("mock server starts")
}

pub fn engine(pairs: &[(&str, String)], fields: Option<Fields>) -> Engine {
    try_engine(pairs, fields).unwrap()
}

/// `engine` for options that parse but may fail engine creation (e.g. a
/// `tlsCaCert` that cannot be read).
pub fn try_engine(pairs: &[(&str, String)], fields: Option<Fields>) -> crate::Result<Engine> {
    let raw: BTreeMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    Engine::new(
        EngineOptions::parse(&raw, Secrets::Resolve).unwrap(),
        fields,
    )
}

/// One nullable `id` column.
pub fn ids(values: impl IntoIterator<Item = Option<i64>>) -> StructArray {
    let column = Int64Array::from_iter(values);
    StructArray::new(
        Fields::from(vec![Field::new("id", DataType::Int64, true)]),
        vec![Arc::new(column)],
        None,
    )
}

/// A `kind` column (the same value on every row) and an `id` column, for
/// URLs like `/{kind}/{id}` that reach several endpoints of one host.
pub fn kind_and_ids(kind: &str, values: impl IntoIterator<Item = i64>) -> StructArray {
    kinds_and_ids(values.into_iter().map(|id| (kind, id)))
}

/// `kind` and `id` columns, a row per pair (a kind per row).
pub fn kinds_and_ids<'a>(rows: impl IntoIterator<Item = (&'a str, i64)>) -> StructArray {
    let (kinds, ids): (Vec<&str>, Vec<i64>) = rows.into_iter().unzip();
    let ids = Int64Array::from(ids);
    let kinds = StringArray::from(kinds);
    StructArray::new(
        Fields::from(vec![
            Field::new("kind", DataType::Utf8, true),
            Field::new("id", DataType::Int64, true),
        ]),
        vec![Arc::new(kinds), Arc::new(ids)],
        None,
    )
}

pub fn statuses(out: &StructArray) -> Vec<Option<i32>> {
    out.column_by_name("_status")
        .unwrap()
        .as_primitive::<Int32Type>()
        .iter()
        .collect()
}

pub fn errors(out: &StructArray) -> Vec<Option<String>> {
    out.column_by_name("_error")
        .unwrap()
        .as_string::<i32>()
        .iter()
        .map(|e| e.map(str::to_string))
        .collect()
}

/// The raw `output` column.
pub fn outputs(out: &StructArray) -> Vec<Option<String>> {
    out.column_by_name("output")
        .unwrap()
        .as_string::<i32>()
        .iter()
        .map(|e| e.map(str::to_string))
        .collect()
}

/// A fresh, empty directory under the system temp dir.
pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir =
        std::env::temp_dir().join(format!("spark-rest-{name}-{}-{nanos}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A port nothing listens on.
pub fn dead_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Parsed options for unit tests: `url` plus `pairs`.
pub fn parsed_options(url: &str, pairs: &[(&str, &str)]) -> EngineOptions {
    let mut raw: BTreeMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    raw.insert("url".into(), url.into());
    EngineOptions::parse(&raw, Secrets::Resolve).unwrap()
}
