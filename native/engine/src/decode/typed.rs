//! Typed output: the JSON at `dataField` of each successful response becomes
//! the fields of `schema`. Each row's JSON is first conformed to the schema
//! (a value of the wrong type becomes null and is named in `_error`), then all
//! rows of the batch are decoded in one go by arrow-json's decoder.

use std::sync::Arc;

use arrow::array::{ArrayRef, StructArray};
use arrow::compute::kernels::cast_utils::{string_to_timestamp_nanos, Parser};
use arrow::datatypes::{DataType, Date32Type, Fields, Schema, TimeUnit};
use arrow::json::ReaderBuilder;
use serde_json::{Map, Value};

use crate::decode::output::{self, RowResult};
use crate::error::{EngineError, Result};
use crate::options::engine_options::EngineOptions;

/// Builds the typed result of a batch: the schema's fields (or one list
/// column named `arrayColumn` of them), `_status`, `_error`.
pub fn typed_result(
    rows: &[RowResult<'_>],
    fields: &Fields,
    options: &EngineOptions,
) -> Result<StructArray> {
    let array_mode = options.array_mode
        && fields.len() == 1
        && fields[0].name() == &options.array_column
        && matches!(fields[0].data_type(), DataType::List(_));
    let mut conformed = Vec::with_capacity(rows.len());
    let mut errors: Vec<Option<String>> = Vec::with_capacity(rows.len());
    for row in rows {
        let (value, error) = match row {
            RowResult::Response(o) if o.is_success() => row_value(
                o.body.as_deref().unwrap_or_default(),
                fields,
                options,
                array_mode,
            ),
            _ => (Value::Object(Map::new()), None),
        };
        conformed.push(value);
        errors.push(error);
    }
    let payload = decode(&conformed, fields)?;
    let (status, error) = output::status_and_error(rows, |i| errors[i].clone());
    let payload = fields
        .iter()
        .map(|f| f.as_ref().clone())
        .zip(payload)
        .collect();
    output::assemble(payload, status, error)
}

/// One response body as an object of conformed fields, plus the reason when
/// anything had to be dropped.
fn row_value(
    body: &[u8],
    fields: &Fields,
    options: &EngineOptions,
    array_mode: bool,
) -> (Value, Option<String>) {
    let parsed: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return (
                Value::Object(Map::new()),
                Some(format!("parse error: response is not JSON ({e})")),
            )
        }
    };
    let mut data = &parsed;
    for key in options.data_field.iter().flatten() {
        match data.get(key) {
            Some(v) => data = v,
            None => {
                let path = options.data_field.as_deref().unwrap_or_default().join(".");
                return (
                    Value::Object(Map::new()),
                    Some(format!(
                        "parse error: dataField '{path}' is not in the response"
                    )),
                );
            }
        }
    }
    let mut problems = Vec::new();
    let value = if array_mode {
        let mut object = Map::new();
        object.insert(
            options.array_column.clone(),
            conform(
                data,
                fields[0].data_type(),
                &options.array_column,
                &mut problems,
            ),
        );
        Value::Object(object)
    } else if data.is_array() {
        problems.push(format!(
            "response is a JSON array: set arrayColumn (or explode=true) to read it as {}",
            options.array_column
        ));
        Value::Object(Map::new())
    } else {
        conform(data, &DataType::Struct(fields.clone()), "", &mut problems)
    };
    let error = (!problems.is_empty()).then(|| format!("parse error: {}", problems.join("; ")));
    // A `null` record (found by the property tests) is a row of nulls, not a failed batch.
    let value = match value {
        Value::Object(_) => value,
        _ => Value::Object(Map::new()),
    };
    (value, error)
}

/// `value` reshaped to `data_type`; anything that does not fit becomes null
/// and a line in `problems`.
pub(crate) fn conform(
    value: &Value,
    data_type: &DataType,
    path: &str,
    problems: &mut Vec<String>,
) -> Value {
    if value.is_null() {
        return Value::Null;
    }
    let fitted = match data_type {
        DataType::Boolean => value.as_bool().map(Value::Bool),
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => {
            integer(value, data_type)
        }
        DataType::Float32 | DataType::Float64 => value.as_f64().map(|_| value.clone()),
        DataType::Decimal128(precision, scale) => decimal(value, *precision, *scale),
        DataType::Utf8 | DataType::LargeUtf8 => Some(match value {
            Value::String(_) => value.clone(),
            other => Value::String(other.to_string()),
        }),
        DataType::Date32 => value.as_str().and_then(Date32Type::parse).map(Value::from),
        DataType::Timestamp(unit, _) => timestamp(value, unit),
        DataType::Struct(fields) => value.as_object().map(|object| {
            let shaped = fields
                .iter()
                .map(|f| {
                    let child = object.get(f.name()).unwrap_or(&Value::Null);
                    (
                        f.name().clone(),
                        conform(child, f.data_type(), &join(path, f.name()), problems),
                    )
                })
                .collect();
            Value::Object(shaped)
        }),
        DataType::List(item) => value.as_array().map(|items| {
            let path = format!("{path}[]");
            Value::Array(
                items
                    .iter()
                    .map(|v| conform(v, item.data_type(), &path, problems))
                    .collect(),
            )
        }),
        DataType::Map(entries, _) => value.as_object().and_then(|object| {
            let DataType::Struct(kv) = entries.data_type() else {
                return None;
            };
            let value_type = kv.get(1)?.data_type();
            let shaped = object
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        conform(v, value_type, &format!("{path}.{k}"), problems),
                    )
                })
                .collect();
            Some(Value::Object(shaped))
        }),
        _ => None,
    };
    fitted.unwrap_or_else(|| {
        problems.push(format!(
            "field '{path}' expected {}, got {}",
            type_name(data_type),
            excerpt(value)
        ));
        Value::Null
    })
}

fn integer(value: &Value, data_type: &DataType) -> Option<Value> {
    let n = value.as_i64().or_else(|| {
        value
            .as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 9.2e18)
            .map(|f| f as i64)
    })?;
    let fits = match data_type {
        DataType::Int8 => i8::try_from(n).is_ok(),
        DataType::Int16 => i16::try_from(n).is_ok(),
        DataType::Int32 => i32::try_from(n).is_ok(),
        _ => true,
    };
    fits.then(|| Value::from(n))
}

/// Numbers or numeric strings that fit the precision; passed on as text so
/// no digit is lost to floating point.
fn decimal(value: &Value, precision: u8, scale: i8) -> Option<Value> {
    let text = match value {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_string(),
        _ => return None,
    };
    let digits = text.trim_start_matches(['-', '+']);
    let integer_part = digits.split(['.', 'e', 'E']).next()?;
    if integer_part.is_empty()
        || !integer_part.bytes().all(|b| b.is_ascii_digit())
        || digits.contains(['e', 'E'])
    {
        return None;
    }
    let integer_digits = integer_part.trim_start_matches('0').len() as i32;
    (integer_digits <= i32::from(precision) - i32::from(scale)).then_some(Value::String(text))
}

/// ISO-8601 text, or a number of seconds since the epoch, in the type's unit.
fn timestamp(value: &Value, unit: &TimeUnit) -> Option<Value> {
    let nanos: i128 = match value {
        Value::String(s) => i128::from(string_to_timestamp_nanos(s).ok()?),
        Value::Number(n) => (n.as_f64()? * 1e9) as i128,
        _ => return None,
    };
    let per_unit: i128 = match unit {
        TimeUnit::Second => 1_000_000_000,
        TimeUnit::Millisecond => 1_000_000,
        TimeUnit::Microsecond => 1_000,
        TimeUnit::Nanosecond => 1,
    };
    i64::try_from(nanos / per_unit).ok().map(Value::from)
}

pub(crate) fn decode(rows: &[Value], fields: &Fields) -> Result<Vec<ArrayRef>> {
    let schema = Arc::new(Schema::new(fields.clone()));
    let mut decoder = ReaderBuilder::new(schema)
        .with_batch_size(rows.len().max(1))
        .build_decoder()?;
    decoder.serialize(rows)?;
    let batch = decoder
        .flush()?
        .ok_or_else(|| EngineError::Internal("the JSON decoder produced no batch".into()))?;
    Ok(batch.columns().to_vec())
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

fn type_name(data_type: &DataType) -> String {
    match data_type {
        DataType::Boolean => "BOOLEAN".into(),
        DataType::Int8 => "TINYINT".into(),
        DataType::Int16 => "SMALLINT".into(),
        DataType::Int32 => "INT".into(),
        DataType::Int64 => "BIGINT".into(),
        DataType::Float32 => "FLOAT".into(),
        DataType::Float64 => "DOUBLE".into(),
        DataType::Decimal128(p, s) => format!("DECIMAL({p},{s})"),
        DataType::Utf8 | DataType::LargeUtf8 => "STRING".into(),
        DataType::Date32 => "DATE (yyyy-mm-dd)".into(),
        DataType::Timestamp(..) => "TIMESTAMP (ISO-8601 or epoch seconds)".into(),
        DataType::Struct(_) => "STRUCT (a JSON object)".into(),
        DataType::List(_) => "ARRAY (a JSON array)".into(),
        DataType::Map(..) => "MAP (a JSON object)".into(),
        other => format!("{other}"),
    }
}

fn excerpt(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 40 {
        format!("{}...", text.chars().take(40).collect::<String>())
    } else {
        text
    }
}

/// Checks at engine creation that every field type can be decoded.
pub fn check_fields(fields: &Fields) -> Result<()> {
    fn supported(t: &DataType) -> bool {
        match t {
            DataType::Boolean
            | DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::Float32
            | DataType::Float64
            | DataType::Decimal128(..)
            | DataType::Utf8
            | DataType::LargeUtf8
            | DataType::Date32
            | DataType::Timestamp(..) => true,
            DataType::Struct(fs) => fs.iter().all(|f| supported(f.data_type())),
            DataType::List(f) => supported(f.data_type()),
            DataType::Map(entries, _) => supported(entries.data_type()),
            _ => false,
        }
    }
    for f in fields.iter() {
        if !supported(f.data_type()) {
            return Err(crate::error::invalid(format!(
                "option 'schema': field '{}' has type {}, which responses cannot be decoded into (allowed: boolean, integers, float, double, decimal, string, date, timestamp, struct, array, map)",
                f.name(),
                f.data_type()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::send::outcome::Outcome;
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::Field;
    use arrow::datatypes::Int32Type;

    fn fields(list: Vec<Field>) -> Fields {
        Fields::from(list)
    }

    fn options(pairs: &[(&str, &str)]) -> EngineOptions {
        crate::test_support::parsed_options("http://127.0.0.1/x", pairs)
    }

    #[test]
    fn wrong_types_become_null_and_are_named() {
        let fields = fields(vec![
            Field::new("score", DataType::Int32, true),
            Field::new("tier", DataType::Utf8, true),
            Field::new("ltv", DataType::Decimal128(10, 2), true),
        ]);
        let good = Outcome::from_response(
            200,
            br#"{"score": 7, "tier": "gold", "ltv": 12.5}"#.to_vec(),
        );
        let bad = Outcome::from_response(200, br#"{"score": "high", "tier": 3}"#.to_vec());
        let garbage = Outcome::from_response(200, b"not json".to_vec());
        let rows = [
            RowResult::Response(&good),
            RowResult::Response(&bad),
            RowResult::Response(&garbage),
        ];
        let out = typed_result(&rows, &fields, &options(&[])).unwrap();
        let score = out.column(0).as_primitive::<Int32Type>();
        assert_eq!(score.value(0), 7);
        assert!(score.is_null(1) && score.is_null(2));
        assert_eq!(out.column(1).as_string::<i32>().value(1), "3");
        let error = out.column(4).as_string::<i32>();
        assert!(error.is_null(0));
        assert!(
            error.value(1).contains("'score' expected INT"),
            "{}",
            error.value(1)
        );
        assert!(error.value(2).contains("not JSON"));
    }

    #[test]
    fn data_field_and_nested_types() {
        let address = Field::new(
            "address",
            DataType::Struct(fields(vec![Field::new("city", DataType::Utf8, true)])),
            true,
        );
        let tags = Field::new(
            "tags",
            DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
            true,
        );
        let when = Field::new(
            "when",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            true,
        );
        let day = Field::new("day", DataType::Date32, true);
        let fs = fields(vec![address, tags, when, day]);
        let body = br#"{"data": {"address": {"city": "x"}, "tags": ["a", "b"], "when": "2024-01-02T03:04:05Z", "day": "2024-01-02"}}"#;
        let ok = Outcome::from_response(200, body.to_vec());
        let out = typed_result(
            &[RowResult::Response(&ok)],
            &fs,
            &options(&[("dataField", "data")]),
        )
        .unwrap();
        assert_eq!(out.column(1).as_list::<i32>().value(0).len(), 2);
        assert!(out.column(5).is_null(0), "{:?}", out.column(5));
        assert_eq!(
            out.column(2)
                .as_primitive::<arrow::datatypes::TimestampMicrosecondType>()
                .value(0),
            1_704_164_645_000_000
        );
    }

    #[test]
    fn unsupported_types_are_refused_up_front() {
        assert!(check_fields(&fields(vec![Field::new("b", DataType::Binary, true)])).is_err());
    }
}
