//! `POST /customers/batch/bare`: the batch endpoint of seed 000's recipes,
//! which answers a bare JSON list (no `results` envelope), one customer per
//! requested id in request order, so clients must match by position or by
//! `customer_id`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

use crate::customers::customer;
use crate::reply::{error, json};
use crate::state::Shared;

pub async fn batch(State(app): State<Shared>, body: Bytes) -> Response {
    let ids = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(mut object)) => match object.remove("ids") {
            Some(Value::Array(ids)) => ids,
            _ => return error(StatusCode::BAD_REQUEST, "body needs an `ids` array"),
        },
        _ => return error(StatusCode::BAD_REQUEST, "body must be a JSON object"),
    };
    app.stats.add_batch_keys(ids.len() as u64);
    let results: Vec<Value> = ids
        .iter()
        .filter_map(|id| match id {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        })
        .map(customer)
        .collect();
    json(StatusCode::OK, Value::Array(results))
}

#[cfg(test)]
mod tests {
    use crate::customers::customer;
    use crate::testutil::request;
    use crate::{Config, MockServer};
    use serde_json::json;

    #[tokio::test]
    async fn answers_a_bare_list_in_request_order() {
        let server = MockServer::start(Config::default()).await.unwrap();
        let body = r#"{"ids": [3, "1"]}"#;
        let reply = request(server.addr(), "POST", "/customers/batch/bare", &[], body).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.json(), json!([customer(3), customer(1)]));
        let bad = request(server.addr(), "POST", "/customers/batch/bare", &[], "{}").await;
        assert_eq!(bad.status, 400);
    }
}
