//! Input rows as JSON objects with JSON-typed values (numbers stay numbers,
//! structs become objects, arrays become arrays, null is null), for the
//! default request body and `queryType=querystring`. Arrow's own JSON writer
//! does the typing, so every type the JVM can send is covered.

use arrow::array::{Array, StructArray};
use arrow::json::writer::{LineDelimited, WriterBuilder};
use std::sync::Arc;

use arrow::datatypes::Schema;
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use serde_json::{Map, Value};

use crate::error::{EngineError, Result};

/// One JSON object per row of `batch`, with the fields `columns` (all of
/// the batch's fields when None).
pub fn row_objects(
    batch: &StructArray,
    columns: Option<&[String]>,
) -> Result<Vec<Map<String, Value>>> {
    let picked = match columns {
        None => batch.clone(),
        Some(names) => {
            let mut fields = Vec::with_capacity(names.len());
            let mut arrays = Vec::with_capacity(names.len());
            for name in names {
                let (i, field) = batch.fields().find(name).ok_or_else(|| {
                    let available: Vec<_> =
                        batch.fields().iter().map(|f| f.name().as_str()).collect();
                    EngineError::InvalidInput(format!(
                        "option 'bodyColumns' names column '{name}', which the input does not have (it has: {})",
                        available.join(", ")
                    ))
                })?;
                fields.push(field.clone());
                arrays.push(batch.column(i).clone());
            }
            StructArray::try_new(fields.into(), arrays, None)?
        }
    };
    let rows = picked.len();
    if picked.num_columns() == 0 {
        return Ok(vec![Map::new(); rows]);
    }
    // Not RecordBatch::from, which panics on a struct with top-level nulls.
    let (fields, arrays, _) = picked.into_parts();
    let record = RecordBatch::try_new_with_options(
        Arc::new(Schema::new(fields)),
        arrays,
        &RecordBatchOptions::new().with_row_count(Some(rows)),
    )?;
    let mut out = Vec::new();
    {
        let mut writer = WriterBuilder::new()
            .with_explicit_nulls(true)
            .build::<_, LineDelimited>(&mut out);
        writer.write(&record)?;
        writer.finish()?;
    }
    // JSON strings cannot hold a raw newline, so lines are rows.
    let objects = out
        .split(|b| *b == b'\n')
        .filter(|line| !line.is_empty())
        .map(|line| match serde_json::from_slice::<Value>(line) {
            Ok(Value::Object(map)) => Ok(map),
            _ => Err(EngineError::Internal(
                "the JSON writer produced a row that is not an object".into(),
            )),
        })
        .collect::<Result<Vec<_>>>()?;
    if objects.len() != rows {
        return Err(EngineError::Internal(format!(
            "{} JSON rows for {rows} input rows",
            objects.len()
        )));
    }
    Ok(objects)
}

/// A value as URL parameter or form text: strings as they are, everything
/// else as its JSON text; None for null (the parameter is left out).
pub fn param_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// `name=value&...` of the object's non-null values, URL-encoded.
pub fn form_encode(object: &Map<String, Value>) -> String {
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (name, value) in object {
        if let Some(text) = param_text(value) {
            form.append_pair(name, &text);
        }
    }
    form.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{ArrayRef, Int64Array, ListArray, StringArray};
    use arrow::datatypes::{DataType, Field, Fields, Int64Type};

    fn batch() -> StructArray {
        let inner = StructArray::new(
            Fields::from(vec![Field::new("city", DataType::Utf8, true)]),
            vec![Arc::new(StringArray::from(vec![Some("Oslo"), None])) as ArrayRef],
            None,
        );
        let tags = ListArray::from_iter_primitive::<Int64Type, _, _>(vec![
            Some(vec![Some(1), Some(2)]),
            None,
        ]);
        StructArray::new(
            Fields::from(vec![
                Field::new("id", DataType::Int64, true),
                Field::new("name", DataType::Utf8, true),
                Field::new("address", inner.data_type().clone(), true),
                Field::new("tags", tags.data_type().clone(), true),
            ]),
            vec![
                Arc::new(Int64Array::from(vec![Some(7), None])),
                Arc::new(StringArray::from(vec![Some("a\"b"), Some("x")])),
                Arc::new(inner),
                Arc::new(tags),
            ],
            None,
        )
    }

    #[test]
    fn rows_become_json_typed_objects() {
        let rows = row_objects(&batch(), None).unwrap();
        assert_eq!(
            Value::Object(rows[0].clone()),
            serde_json::json!({"id": 7, "name": "a\"b", "address": {"city": "Oslo"}, "tags": [1, 2]})
        );
        assert_eq!(rows[1]["id"], Value::Null);
        let picked = row_objects(&batch(), Some(&["name".into(), "id".into()])).unwrap();
        assert_eq!(picked[0].len(), 2);
        let err = row_objects(&batch(), Some(&["nope".into()]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("bodyColumns") && err.contains("'nope'"),
            "{err}"
        );
    }

    #[test]
    fn form_encoding_leaves_nulls_out() {
        let rows = row_objects(&batch(), Some(&["id".into(), "name".into()])).unwrap();
        assert_eq!(form_encode(&rows[0]), "id=7&name=a%22b");
        assert_eq!(form_encode(&rows[1]), "name=x");
    }
}
