//! `POST /customers/batch/bare`: the batch endpoint of seed 000's recipes,
//! which answers a bare JSON list (no `results` envelope), one customer per
//! requested id in request order, so clients must match by position or by
//! `customer_id`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

use crate::customers::batch_customers;
use crate::reply::{error, json};
use crate::state::Shared;

pub async fn batch(State(app): State<Shared>, body: Bytes) -> Response {
    match batch_customers(&app, &body) {
        Ok(results) => json(StatusCode::OK, Value::Array(results)),
        Err(why) => error(StatusCode::BAD_REQUEST, why),
    }
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
