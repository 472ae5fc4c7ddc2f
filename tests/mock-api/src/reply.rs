//! Response helpers: every answer of the mock is JSON (except `/garbage`),
//! errors included, so clients always have a body to put in `_error`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// `value` as a JSON body with `status`.
pub fn json(status: StatusCode, value: Value) -> Response {
    (status, Json(value)).into_response()
}

/// `{"error": message}` with `status`.
pub fn error(status: StatusCode, message: &str) -> Response {
    json(status, json!({ "error": message }))
}

/// The JSON 404 for unknown paths and ids.
pub fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "not found")
}
