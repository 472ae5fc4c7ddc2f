//! Conforming one JSON value to an Arrow type before decoding: a value of
//! the wrong type becomes null and a line naming its path (`_error`), so
//! one bad field never fails a batch. Used by typed output, `explode` and
//! the data source's records.

use arrow::compute::kernels::cast_utils::{string_to_timestamp_nanos, Parser};
use arrow::datatypes::{DataType, Date32Type, TimeUnit};
use serde_json::Value;

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
