//! `GET /customers/{id}` written straight into bytes: the same JSON as
//! serialising `customers::customer(id)` (keys sorted, as serde_json's map
//! keeps them), without building a `Value` of ten small allocations per
//! request. At 0 ms latency the benchmarks run this server next to the
//! engine on the same cores, so its cost per request is kept low.

use std::io::Write;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::customers::TIERS;

/// The customer with this id as JSON bytes.
pub fn customer_bytes(id: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(200);
    // Writes into a Vec cannot fail.
    let _ = write!(
        out,
        r#"{{"active":{},"address":{{"city":"city-{}","zip":"{:05}"}},"customer_id":{id},"ltv":"#,
        id.is_multiple_of(2),
        id % 10,
        id % 100_000,
    );
    // serde_json's own float format (ryu), so the bytes match exactly.
    let _ = serde_json::to_writer(&mut out, &(id as f64 * 1.5));
    let _ = write!(
        out,
        r#","name":"customer-{id}","score":{},"tags":["t{}"],"tier":"{}"}}"#,
        id % 1000,
        id % 5,
        TIERS[(id % 3) as usize],
    );
    out
}

/// A 200 with the customer's JSON.
pub fn customer_response(id: u64) -> Response {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        customer_bytes(id),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customers::customer;

    #[test]
    fn bytes_match_the_serialised_value() {
        for id in [0, 1, 2, 7, 42, 99_999, 100_042, 123_456_789, u64::MAX / 3] {
            assert_eq!(
                String::from_utf8(customer_bytes(id)).unwrap(),
                serde_json::to_string(&customer(id)).unwrap(),
                "id {id}"
            );
        }
    }
}
