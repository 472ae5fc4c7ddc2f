//! OAuth2 client credentials: `POST /oauth/token` issues random bearer
//! tokens with a lifetime, and the fault layer checks them.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use rand::distr::Alphanumeric;
use rand::Rng;
use serde_json::json;

use crate::encoding::{basic_credentials, parse_form};
use crate::reply::{error, json};
use crate::state::Shared;

/// Expired tokens are remembered this long (to answer "token expired"
/// rather than "invalid token"), then forgotten to bound memory.
const FORGET_AFTER: Duration = Duration::from_secs(600);

pub enum TokenCheck {
    Valid,
    Expired,
    Unknown,
}

/// Issued tokens and their expiry instants.
#[derive(Default)]
pub struct TokenStore {
    tokens: Mutex<HashMap<String, Instant>>,
}

impl TokenStore {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Instant>> {
        self.tokens.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn issue(&self, ttl: Duration) -> String {
        let token: String = rand::rng()
            .sample_iter(Alphanumeric)
            .take(32)
            .map(char::from)
            .collect();
        let now = Instant::now();
        let mut tokens = self.lock();
        tokens.retain(|_, expiry| now.saturating_duration_since(*expiry) < FORGET_AFTER);
        tokens.insert(token.clone(), now + ttl);
        token
    }

    pub fn check(&self, token: &str) -> TokenCheck {
        match self.lock().get(token) {
            Some(expiry) if Instant::now() < *expiry => TokenCheck::Valid,
            Some(_) => TokenCheck::Expired,
            None => TokenCheck::Unknown,
        }
    }
}

/// `POST /oauth/token`: client credentials from HTTP Basic auth or from the
/// form body (RFC 6749 §2.3.1 allows both).
pub async fn token(State(app): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let config = &app.config;
    let (Some(expected_id), Some(expected_secret)) =
        (&config.oauth_client_id, &config.oauth_client_secret)
    else {
        return error(
            StatusCode::NOT_FOUND,
            "oauth is not configured (--oauth-client-id)",
        );
    };
    let form = parse_form(&String::from_utf8_lossy(&body));
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return json(
            StatusCode::BAD_REQUEST,
            json!({ "error": "unsupported_grant_type" }),
        );
    }
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(basic_credentials);
    let (id, secret) = match basic {
        Some(credentials) => credentials,
        None => (
            form.get("client_id").cloned().unwrap_or_default(),
            form.get("client_secret").cloned().unwrap_or_default(),
        ),
    };
    if &id != expected_id || &secret != expected_secret {
        return json(
            StatusCode::UNAUTHORIZED,
            json!({ "error": "invalid_client" }),
        );
    }
    let ttl = config.oauth_token_ttl_secs;
    let access_token = app.tokens.issue(Duration::from_secs(ttl));
    app.stats.add_token();
    let mut answer = json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": ttl,
    });
    if let Some(scope) = form.get("scope") {
        answer["scope"] = json!(scope);
    }
    json(StatusCode::OK, answer)
}

#[cfg(test)]
mod tests {
    use crate::testutil::{get, request};
    use crate::{Config, MockServer};

    const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");

    #[tokio::test]
    async fn client_credentials_flow() {
        let config = Config {
            oauth_client_id: Some("my-id".into()),
            oauth_client_secret: Some("my secret".into()),
            oauth_token_ttl_secs: 1,
            ..Config::default()
        };
        let server = MockServer::start(config).await.unwrap();
        let addr = server.addr();
        assert_eq!(get(addr, "/customers/1").await.status, 401);

        let body =
            "grant_type=client_credentials&client_id=my-id&client_secret=my+secret&scope=read";
        let issued = request(addr, "POST", "/oauth/token", &[FORM], body).await;
        assert_eq!(issued.status, 200, "{}", issued.body);
        let issued = issued.json();
        assert_eq!(issued["token_type"], "Bearer");
        assert_eq!(issued["expires_in"], 1);
        assert_eq!(issued["scope"], "read");
        let bearer = format!("Bearer {}", issued["access_token"].as_str().unwrap());

        let auth = [("Authorization", bearer.as_str())];
        assert_eq!(
            request(addr, "GET", "/customers/1", &auth, "").await.status,
            200
        );

        // HTTP Basic client auth: base64("my-id:my secret").
        let basic = [FORM, ("Authorization", "Basic bXktaWQ6bXkgc2VjcmV0")];
        let form = "grant_type=client_credentials";
        assert_eq!(
            request(addr, "POST", "/oauth/token", &basic, form)
                .await
                .status,
            200
        );

        let wrong = "grant_type=client_credentials&client_id=my-id&client_secret=nope";
        assert_eq!(
            request(addr, "POST", "/oauth/token", &[FORM], wrong)
                .await
                .status,
            401
        );
        let password = "grant_type=password&client_id=my-id&client_secret=my+secret";
        assert_eq!(
            request(addr, "POST", "/oauth/token", &[FORM], password)
                .await
                .status,
            400
        );
        assert_eq!(server.stats().tokens_issued, 2);

        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        let expired = request(addr, "GET", "/customers/1", &auth, "").await;
        assert_eq!(expired.status, 401);
        assert_eq!(expired.json()["error"], "token expired");
    }

    #[tokio::test]
    async fn token_endpoint_is_absent_without_oauth() {
        let server = MockServer::start(Config::default()).await.unwrap();
        let reply = request(
            server.addr(),
            "POST",
            "/oauth/token",
            &[FORM],
            "grant_type=client_credentials",
        )
        .await;
        assert_eq!(reply.status, 404);
    }
}
