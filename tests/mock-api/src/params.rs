//! Query parameters and opaque cursors, shared by the pagination and event
//! endpoints.

use std::collections::HashMap;
use std::str::FromStr;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::reply::error;

/// Decoded query parameters (extract with `Query<Params>`) with typed,
/// defaulted lookups that fail as a JSON 400 naming the parameter (axum's own
/// typed `Query<T>` rejection is plain text).
#[derive(Deserialize)]
#[serde(transparent)]
pub struct Params(pub HashMap<String, String>);

/// A query parameter that does not parse; answered as a JSON 400.
#[derive(Debug)]
pub struct BadParam {
    name: String,
    value: String,
}

pub fn bad_param(name: &str, value: &str) -> BadParam {
    BadParam {
        name: name.to_string(),
        value: value.to_string(),
    }
}

impl IntoResponse for BadParam {
    fn into_response(self) -> Response {
        let message = format!(
            "invalid value `{}` for parameter `{}`",
            self.value, self.name
        );
        error(StatusCode::BAD_REQUEST, &message)
    }
}

impl Params {
    /// The parameter parsed as `T`, or `default` when absent or empty.
    pub fn get<T: FromStr>(&self, name: &str, default: T) -> Result<T, BadParam> {
        match self.0.get(name).map(String::as_str) {
            None | Some("") => Ok(default),
            Some(raw) => raw.parse().map_err(|_| bad_param(name, raw)),
        }
    }

    /// Like `get`, but also rejects values below `min`.
    pub fn at_least(&self, name: &str, default: u64, min: u64) -> Result<u64, BadParam> {
        let value = self.get(name, default)?;
        if value < min {
            return Err(bad_param(name, &value.to_string()));
        }
        Ok(value)
    }

    /// The raw string value, if present and non-empty.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }

    /// An opaque cursor made by [`encode_cursor`] with the same `kind`; absent
    /// means the start (0).
    pub fn cursor(&self, name: &str, kind: &str) -> Result<u64, BadParam> {
        match self.str(name) {
            // "0" is how streaming clients say "from the start" (their
            // default initial offset); real APIs often accept that too.
            None | Some("0") => Ok(0),
            Some(raw) => decode_cursor(kind, raw).ok_or_else(|| bad_param(name, raw)),
        }
    }
}

/// Cursors look opaque (`<kind>_<hex>`) so clients are not tempted to do
/// arithmetic on them, but stay readable when debugging a test.
pub fn encode_cursor(kind: &str, position: u64) -> String {
    format!("{kind}_{position:x}")
}

fn decode_cursor(kind: &str, raw: &str) -> Option<u64> {
    let hex = raw.strip_prefix(kind)?.strip_prefix('_')?;
    u64::from_str_radix(hex, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn typed_lookups_default_and_reject() {
        let p = params(&[("page", "3"), ("empty", ""), ("bad", "x")]);
        assert_eq!(p.get("page", 1u64).unwrap(), 3);
        assert_eq!(p.get("missing", 7u64).unwrap(), 7);
        assert_eq!(p.get("empty", 7u64).unwrap(), 7);
        assert_eq!(
            p.get("bad", 1u64).unwrap_err().into_response().status(),
            400
        );
        assert_eq!(
            p.at_least("page", 1, 4)
                .unwrap_err()
                .into_response()
                .status(),
            400
        );
    }

    #[test]
    fn cursors_round_trip_and_check_their_kind() {
        let c = encode_cursor("it", 250);
        assert_eq!(decode_cursor("it", &c), Some(250));
        assert_eq!(decode_cursor("ev", &c), None);
        assert_eq!(decode_cursor("it", "garbage"), None);
        let p = params(&[("cursor", &c)]);
        assert_eq!(p.cursor("cursor", "it").unwrap(), 250);
        assert_eq!(p.cursor("other", "it").unwrap(), 0);
    }
}
