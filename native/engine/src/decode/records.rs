//! Records read by the data source (pages, polls) as an Arrow batch: the
//! fields of `schema`, or one `output` column holding each record's JSON.

use std::sync::Arc;

use arrow::array::{StringBuilder, StructArray};
use arrow::datatypes::{DataType, Field, Fields};
use serde_json::Value;

use crate::decode::output::OUTPUT_COLUMN;
use crate::decode::typed::{conform, decode};
use crate::error::Result;

/// The batch of `records`. Values that do not fit `fields` become null; the
/// returned count says how many records had such a value (logged by the
/// caller, since a source has no `_error` column per record).
pub fn records_batch(records: &[Value], fields: Option<&Fields>) -> Result<(StructArray, usize)> {
    match fields {
        None => {
            let mut output = StringBuilder::new();
            for record in records {
                output.append_value(record.to_string());
            }
            let field = Field::new(OUTPUT_COLUMN, DataType::Utf8, true);
            let array = StructArray::try_new(
                Fields::from(vec![field]),
                vec![Arc::new(output.finish())],
                None,
            )?;
            Ok((array, 0))
        }
        Some(fields) => {
            let mut misfits = 0;
            let rows: Vec<Value> = records
                .iter()
                .map(|r| {
                    let mut problems = Vec::new();
                    let v = conform(r, &DataType::Struct(fields.clone()), "", &mut problems);
                    misfits += usize::from(!problems.is_empty());
                    v
                })
                .collect();
            let columns = if rows.is_empty() {
                fields
                    .iter()
                    .map(|f| arrow::array::new_empty_array(f.data_type()))
                    .collect()
            } else {
                decode(&rows, fields)?
            };
            Ok((
                StructArray::try_new(fields.clone(), columns, None)?,
                misfits,
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::Int64Type;
    use serde_json::json;

    #[test]
    fn raw_and_typed_records() {
        let records = vec![json!({"id": 1, "name": "a"}), json!({"id": "x"})];
        let (raw, _) = records_batch(&records, None).unwrap();
        assert_eq!(
            raw.column(0).as_string::<i32>().value(0),
            r#"{"id":1,"name":"a"}"#
        );
        let fields = Fields::from(vec![
            Field::new("id", DataType::Int64, true),
            Field::new("name", DataType::Utf8, true),
        ]);
        let (typed, misfits) = records_batch(&records, Some(&fields)).unwrap();
        assert_eq!(typed.column(0).as_primitive::<Int64Type>().value(0), 1);
        assert!(typed.column(0).is_null(1));
        assert_eq!(misfits, 1);
        let (empty, _) = records_batch(&[], Some(&fields)).unwrap();
        assert_eq!(empty.len(), 0);
    }
}
