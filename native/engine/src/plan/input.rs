//! Reads the referenced input columns of an Arrow batch into owned text, on
//! the calling thread, so the JVM's buffers can be released before any async
//! work starts.

use arrow::array::{Array, ArrayRef, StructArray};
use arrow::datatypes::DataType;
use arrow::util::display::{ArrayFormatter, FormatOptions};

use crate::error::{EngineError, Result};

/// The values of the referenced columns, column-major, as template text.
pub struct InputColumns {
    pub names: Vec<String>,
    /// `values[column][row]`
    pub values: Vec<Vec<Option<String>>>,
    /// Whether the column's values are JSON literals as they are (numbers,
    /// booleans), used for default JSON bodies.
    pub json_literal: Vec<bool>,
    pub num_rows: usize,
}

impl InputColumns {
    /// Extracts `names` from `batch`; every name must be a field of it.
    pub fn read(batch: &StructArray, names: &[String]) -> Result<InputColumns> {
        let mut values = Vec::with_capacity(names.len());
        let mut json_literal = Vec::with_capacity(names.len());
        for name in names {
            let column = batch.column_by_name(name).ok_or_else(|| {
                let available: Vec<_> = batch.fields().iter().map(|f| f.name().as_str()).collect();
                EngineError::InvalidInput(format!(
                    "the templates use column '{name}', which the input does not have (it has: {})",
                    available.join(", ")
                ))
            })?;
            json_literal.push(is_json_literal(column.data_type()));
            values.push(column_text(column)?);
        }
        Ok(InputColumns {
            names: names.to_vec(),
            values,
            json_literal,
            num_rows: batch.len(),
        })
    }

    /// Row `row`'s values, indexed like `names`.
    pub fn row(&self, row: usize) -> Vec<Option<&str>> {
        self.values.iter().map(|c| c[row].as_deref()).collect()
    }
}

fn is_json_literal(t: &DataType) -> bool {
    t.is_numeric() || matches!(t, DataType::Boolean)
}

/// Every value of one column as text (null stays null).
fn column_text(column: &ArrayRef) -> Result<Vec<Option<String>>> {
    if let Some(strings) = column.as_any().downcast_ref::<arrow::array::StringArray>() {
        return Ok(strings.iter().map(|v| v.map(str::to_string)).collect());
    }
    let formatter = ArrayFormatter::try_new(column.as_ref(), &FormatOptions::default())?;
    Ok((0..column.len())
        .map(|i| column.is_valid(i).then(|| formatter.value(i).to_string()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{Field, Fields};
    use std::sync::Arc;

    #[test]
    fn reads_strings_and_numbers_with_nulls() {
        let fields = Fields::from(vec![
            Field::new("id", DataType::Int64, true),
            Field::new("name", DataType::Utf8, true),
        ]);
        let batch = StructArray::new(
            fields,
            vec![
                Arc::new(Int64Array::from(vec![Some(1), None])),
                Arc::new(StringArray::from(vec![Some("a"), Some("b")])),
            ],
            None,
        );
        let cols = InputColumns::read(&batch, &["name".into(), "id".into()]).unwrap();
        assert_eq!(cols.row(0), vec![Some("a"), Some("1")]);
        assert_eq!(cols.row(1), vec![Some("b"), None]);
        assert_eq!(cols.json_literal, vec![false, true]);
        let err = InputColumns::read(&batch, &["nope".into()])
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("'nope'") && err.contains("id, name"), "{err}");
    }
}
