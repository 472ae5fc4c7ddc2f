//! `explode=true`: each element of an array response becomes its own row
//! (an empty array gives one row of nulls, a non-array response one row).
//! The result carries `_row`, the index of the input row each output row
//! belongs to, so the JVM can repeat that row's columns.

use std::sync::Arc;

use arrow::array::{ArrayRef, Int32Array, StructArray};
use arrow::datatypes::{DataType, Field, Fields};
use serde_json::{Map, Value};

use crate::decode::json_path;
use crate::decode::output::{self, RowResult};
use crate::decode::typed::{conform, decode};
use crate::error::Result;
use crate::options::engine_options::EngineOptions;

pub const ROW_COLUMN: &str = "_row";

pub fn exploded_result(
    rows: &[RowResult<'_>],
    fields: &Fields,
    options: &EngineOptions,
) -> Result<StructArray> {
    let mut expanded: Vec<RowResult<'_>> = Vec::with_capacity(rows.len());
    let mut row_index: Vec<i32> = Vec::with_capacity(rows.len());
    let mut values: Vec<Value> = Vec::with_capacity(rows.len());
    let mut errors: Vec<Option<String>> = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let elements = match row {
            RowResult::Response(o) if o.is_success() => {
                elements(o.body.as_deref().unwrap_or_default(), fields, options)
            }
            _ => vec![(Value::Object(Map::new()), None)],
        };
        for (value, error) in elements {
            expanded.push(*row);
            row_index.push(i as i32);
            values.push(value);
            errors.push(error);
        }
    }
    let payload = decode(&values, fields)?;
    let (status, error) = output::status_and_error(&expanded, |i| errors[i].clone());
    let payload = fields
        .iter()
        .map(|f| f.as_ref().clone())
        .zip(payload)
        .collect();
    let with_status = output::assemble(payload, status, error)?;
    let (mut all_fields, mut columns, _) = with_status.into_parts();
    let mut field_list: Vec<Field> = all_fields.iter().map(|f| f.as_ref().clone()).collect();
    field_list.push(Field::new(ROW_COLUMN, DataType::Int32, false));
    columns.push(Arc::new(Int32Array::from(row_index)) as ArrayRef);
    all_fields = Fields::from(field_list);
    Ok(StructArray::try_new(all_fields, columns, None)?)
}

/// The conformed elements of one successful body, each with its problems.
fn elements(body: &[u8], fields: &Fields, options: &EngineOptions) -> Vec<(Value, Option<String>)> {
    let empty = || Value::Object(Map::new());
    let parsed: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return vec![(
                empty(),
                Some(format!("parse error: response is not JSON ({e})")),
            )]
        }
    };
    let path = options.data_field.as_deref().unwrap_or_default();
    let Some(data) = json_path::at(&parsed, path) else {
        return vec![(
            empty(),
            Some(format!(
                "parse error: dataField '{}' is not in the response",
                path.join(".")
            )),
        )];
    };
    let items: Vec<&Value> = match data {
        Value::Array(items) if items.is_empty() => return vec![(empty(), None)],
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    let shape = DataType::Struct(fields.clone());
    items
        .into_iter()
        .map(|item| {
            let mut problems = Vec::new();
            let value = conform(item, &shape, "", &mut problems);
            let error =
                (!problems.is_empty()).then(|| format!("parse error: {}", problems.join("; ")));
            (value, error)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::send::outcome::Outcome;
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::{Int32Type, Int64Type};
    use std::collections::BTreeMap;

    #[test]
    fn arrays_become_rows_that_point_back_to_their_input_row() {
        let raw: BTreeMap<String, String> = [
            ("url", "http://127.0.0.1/x"),
            ("explode", "true"),
            ("dataField", "results"),
            ("schema", "id BIGINT"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let options =
            EngineOptions::parse(&raw, crate::options::engine_options::Secrets::Resolve).unwrap();
        let fields = Fields::from(vec![Field::new("id", DataType::Int64, true)]);
        let two = Outcome::from_response(200, br#"{"results": [{"id": 1}, {"id": 2}]}"#.to_vec());
        let none = Outcome::from_response(200, br#"{"results": []}"#.to_vec());
        let failed = Outcome::from_response(503, b"down".to_vec());
        let rows = [
            RowResult::Response(&two),
            RowResult::Response(&none),
            RowResult::Response(&failed),
        ];
        let out = exploded_result(&rows, &fields, &options).unwrap();
        assert_eq!(out.len(), 4);
        let ids = out.column(0).as_primitive::<Int64Type>();
        assert_eq!(
            (ids.value(0), ids.value(1), ids.is_null(2), ids.is_null(3)),
            (1, 2, true, true)
        );
        let row: Vec<i32> = out
            .column_by_name(ROW_COLUMN)
            .unwrap()
            .as_primitive::<Int32Type>()
            .values()
            .to_vec();
        assert_eq!(row, vec![0, 0, 1, 2]);
        let status = out
            .column_by_name("_status")
            .unwrap()
            .as_primitive::<Int32Type>();
        assert_eq!(status.value(3), 503);
    }
}
