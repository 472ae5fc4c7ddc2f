//! Builds the result columns of a batch: the payload (raw `output` text or
//! the typed fields of `schema`), then `_status` and `_error`.

use std::sync::Arc;

use arrow::array::{ArrayRef, Int32Builder, StringBuilder, StructArray};
use arrow::datatypes::{DataType, Field, Fields};

use crate::error::Result;
use crate::send::outcome::Outcome;

pub const OUTPUT_COLUMN: &str = "output";
pub const STATUS_COLUMN: &str = "_status";
pub const ERROR_COLUMN: &str = "_error";

/// What a row ended with: a request's outcome or a reason it had none.
#[derive(Clone, Copy)]
pub enum RowResult<'a> {
    Response(&'a Outcome),
    NoRequest(&'a str),
}

/// The raw-mode result: `output` holds the body of successful responses.
pub fn raw_result(rows: &[RowResult<'_>]) -> Result<StructArray> {
    let mut output = StringBuilder::new();
    for row in rows {
        match row {
            RowResult::Response(o) if o.is_success() => {
                output.append_option(o.body.as_deref().map(String::from_utf8_lossy))
            }
            _ => output.append_null(),
        }
    }
    let (status, error) = status_and_error(rows, |_| None);
    assemble(
        vec![(
            Field::new(OUTPUT_COLUMN, DataType::Utf8, true),
            Arc::new(output.finish()),
        )],
        status,
        error,
    )
}

/// `_status` and `_error` columns; `extra_error` adds a per-row reason (e.g.
/// a parse error) to rows whose request succeeded.
pub fn status_and_error(
    rows: &[RowResult<'_>],
    extra_error: impl Fn(usize) -> Option<String>,
) -> (ArrayRef, ArrayRef) {
    let mut status = Int32Builder::with_capacity(rows.len());
    let mut error = StringBuilder::new();
    for (i, row) in rows.iter().enumerate() {
        match row {
            RowResult::Response(o) => {
                status.append_option(o.status.map(i32::from));
                error.append_option(o.error.clone().or_else(|| extra_error(i)));
            }
            RowResult::NoRequest(reason) => {
                status.append_null();
                error.append_value(reason);
            }
        }
    }
    (Arc::new(status.finish()), Arc::new(error.finish()))
}

/// The struct handed back to the JVM: payload fields, `_status`, `_error`.
pub fn assemble(
    payload: Vec<(Field, ArrayRef)>,
    status: ArrayRef,
    error: ArrayRef,
) -> Result<StructArray> {
    let mut fields: Vec<Field> = payload.iter().map(|(f, _)| f.clone()).collect();
    let mut columns: Vec<ArrayRef> = payload.into_iter().map(|(_, a)| a).collect();
    fields.push(Field::new(STATUS_COLUMN, DataType::Int32, true));
    fields.push(Field::new(ERROR_COLUMN, DataType::Utf8, true));
    columns.push(status);
    columns.push(error);
    Ok(StructArray::try_new(Fields::from(fields), columns, None)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::Int32Type;

    #[test]
    fn every_row_gets_status_and_error() {
        let ok = Outcome::from_response(200, b"{\"a\":1}".to_vec());
        let bad = Outcome::from_response(503, b"down".to_vec());
        let rows = [
            RowResult::Response(&ok),
            RowResult::Response(&bad),
            RowResult::NoRequest("column 'id' is null"),
        ];
        let out = raw_result(&rows).unwrap();
        assert_eq!(out.len(), 3);
        let output = out.column(0).as_string::<i32>();
        assert_eq!(output.value(0), "{\"a\":1}");
        assert!(output.is_null(1) && output.is_null(2));
        let status = out.column(1).as_primitive::<Int32Type>();
        assert_eq!(
            (status.value(0), status.value(1), status.is_null(2)),
            (200, 503, true)
        );
        let error = out.column(2).as_string::<i32>();
        assert!(error.is_null(0));
        assert_eq!(error.value(1), "HTTP 503: down");
        assert_eq!(error.value(2), "column 'id' is null");
    }
}
