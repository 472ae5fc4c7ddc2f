//! The enrichment target: one customer per numeric id, derived from the id
//! alone so tests can compute the expected row without asking the server.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use crate::reply::{error, json, not_found};
use crate::state::Shared;

const TIERS: [&str; 3] = ["bronze", "silver", "gold"];

/// The customer with this id; nested fields and arrays exercise schema
/// parsing beyond flat columns.
pub fn customer(id: u64) -> Value {
    json!({
        "customer_id": id,
        "name": format!("customer-{id}"),
        "score": id % 1000,
        "tier": TIERS[(id % 3) as usize],
        "ltv": id as f64 * 1.5,
        "active": id.is_multiple_of(2),
        "tags": [format!("t{}", id % 5)],
        "address": {
            "city": format!("city-{}", id % 10),
            "zip": format!("{:05}", id % 100_000),
        },
    })
}

/// `GET /customers/{id}`
pub async fn one(Path(id): Path<String>) -> Response {
    match id.parse::<u64>() {
        Ok(id) => json(StatusCode::OK, customer(id)),
        Err(_) => not_found(),
    }
}

/// `POST /customers/batch` with `{"ids": [...]}`: the customers of the
/// numeric ids (numbers or numeric strings), in request order; others are
/// left out, as real batch APIs do with unknown keys.
pub async fn batch(State(app): State<Shared>, body: axum::body::Bytes) -> Response {
    match batch_customers(&app, &body) {
        Ok(results) => json(StatusCode::OK, json!({ "results": results })),
        Err(why) => error(StatusCode::BAD_REQUEST, why),
    }
}

/// The customers a batch body `{"ids": [...]}` asks for, in request order
/// (ids neither numbers nor numeric strings are left out), with every id
/// counted in `/stats`; `Err` says why a body is malformed (a 400). Each
/// batch endpoint wraps them its own way.
pub fn batch_customers(app: &Shared, body: &[u8]) -> Result<Vec<Value>, &'static str> {
    let ids = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(mut object)) => match object.remove("ids") {
            Some(Value::Array(ids)) => ids,
            _ => return Err("body needs an `ids` array"),
        },
        _ => return Err("body must be a JSON object"),
    };
    app.stats.add_batch_keys(ids.len() as u64);
    Ok(ids
        .iter()
        .filter_map(|id| match id {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        })
        .map(customer)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{get, get_json, request};
    use crate::{Config, MockServer};

    #[test]
    fn customer_is_derived_from_the_id() {
        let c = customer(100_042);
        assert_eq!(c["customer_id"], 100_042);
        assert_eq!(c["name"], "customer-100042");
        assert_eq!(c["score"], 42);
        assert_eq!(c["tier"], "silver");
        assert_eq!(c["ltv"], 150_063.0);
        assert_eq!(c["active"], true);
        assert_eq!(c["tags"], json!(["t2"]));
        assert_eq!(c["address"], json!({"city": "city-2", "zip": "00042"}));
    }

    #[tokio::test]
    async fn serves_customers_and_404s() {
        let server = MockServer::start(Config::default()).await.unwrap();
        let addr = server.addr();
        assert_eq!(get_json(addr, "/customers/7").await, customer(7));
        let missing = get(addr, "/customers/abc").await;
        assert_eq!(missing.status, 404);
        assert_eq!(missing.json(), json!({"error": "not found"}));
        assert_eq!(get(addr, "/no/such/path").await.status, 404);
    }

    #[tokio::test]
    async fn batch_returns_known_ids_in_order() {
        let server = MockServer::start(Config::default()).await.unwrap();
        let body = r#"{"ids": [3, "1", "x", 2]}"#;
        let reply = request(server.addr(), "POST", "/customers/batch", &[], body).await;
        assert_eq!(reply.status, 200);
        assert_eq!(
            reply.json(),
            json!({"results": [customer(3), customer(1), customer(2)]})
        );
        assert_eq!(server.stats().batch_keys, 4);
        let bad = request(server.addr(), "POST", "/customers/batch", &[], "[1]").await;
        assert_eq!(bad.status, 400);
    }
}
