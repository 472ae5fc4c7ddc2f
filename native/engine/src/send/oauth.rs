//! OAuth2 client credentials (`auth=oauth2`). One token per engine, shared by
//! every request of every task: the first request that needs a token fetches
//! it while the others wait on the same lock (single flight), and it is
//! fetched again shortly before it expires or after the API answered 401.
//! Neither the secret nor the token ever reaches a log line or an `_error`.

use std::time::{Duration, Instant};

use reqwest::header::HeaderValue;
use tokio::sync::Mutex;

use crate::error::Result;
use crate::metrics::Counters;
use crate::options::engine_options::{AuthConfig, EngineOptions};
use crate::send::attempt::describe;

/// A failed token request lets the rows that wait for a token fail with the
/// same reason for this long instead of each asking the token endpoint again
/// (200 rows with a wrong secret make one token request, not 200).
const FAILURE_HOLD: Duration = Duration::from_secs(1);

/// Why there is no token; `retryable` for 5xx, 429 and transport errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenError {
    pub message: String,
    pub retryable: bool,
}

/// A token to send: the `Authorization` value and which fetch produced it
/// (so a 401 invalidates that token, not a newer one).
pub struct Bearer {
    pub header: HeaderValue,
    pub generation: u64,
}

pub struct OAuth2 {
    client: reqwest::Client,
    token_url: String,
    /// The urlencoded form, secret included; never shown.
    form: String,
    secret: String,
    timeout: Duration,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    token: Option<Token>,
    failure: Option<(Instant, TokenError)>,
    generation: u64,
}

struct Token {
    header: HeaderValue,
    /// None when the server gave no `expires_in`: used until a 401.
    refresh_at: Option<Instant>,
}

impl OAuth2 {
    /// The token source of `auth=oauth2`; None for other auth kinds.
    pub fn from_options(options: &EngineOptions) -> Result<Option<OAuth2>> {
        let AuthConfig::OAuth2 {
            token_url,
            client_id,
            client_secret,
            scope,
        } = &options.auth
        else {
            return Ok(None);
        };
        Ok(Some(OAuth2::new(
            crate::send::client::build_token_client(options)?,
            token_url,
            client_id,
            client_secret,
            scope.as_deref(),
            options.request_timeout,
        )))
    }

    pub fn new(
        client: reqwest::Client,
        token_url: &str,
        client_id: &str,
        client_secret: &str,
        scope: Option<&str>,
        timeout: Duration,
    ) -> OAuth2 {
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("grant_type", "client_credentials")
            .append_pair("client_id", client_id)
            .append_pair("client_secret", client_secret);
        if let Some(scope) = scope.filter(|s| !s.is_empty()) {
            form.append_pair("scope", scope);
        }
        OAuth2 {
            client,
            token_url: token_url.to_string(),
            form: form.finish(),
            secret: client_secret.to_string(),
            timeout,
            state: Mutex::new(State::default()),
        }
    }

    /// The current token, fetched first when there is none or it is due.
    pub async fn bearer(&self, counters: &Counters) -> std::result::Result<Bearer, TokenError> {
        let mut state = self.state.lock().await;
        if let Some(token) = &state.token {
            if token.refresh_at.is_none_or(|at| Instant::now() < at) {
                return Ok(Bearer {
                    header: token.header.clone(),
                    generation: state.generation,
                });
            }
        }
        if let Some((at, error)) = &state.failure {
            if at.elapsed() < FAILURE_HOLD {
                return Err(error.clone());
            }
        }
        Counters::add(&counters.token_refreshes, 1);
        match self.fetch().await {
            Ok((token, lifetime)) => {
                tracing::info!(
                    token_url = %shown_url(&self.token_url),
                    expires_in_secs = lifetime.map(|d| d.as_secs()),
                    "oauth2 token fetched"
                );
                state.generation += 1;
                state.failure = None;
                let header = token.header.clone();
                state.token = Some(token);
                Ok(Bearer {
                    header,
                    generation: state.generation,
                })
            }
            Err(error) => {
                tracing::warn!(token_url = %shown_url(&self.token_url), reason = %error.message, "oauth2 token request failed");
                state.token = None;
                state.failure = Some((Instant::now(), error.clone()));
                Err(error)
            }
        }
    }

    /// Forgets the token of `generation` after the API refused it (401), so
    /// the next `bearer` fetches a new one. A newer token is kept.
    pub async fn invalidate(&self, generation: u64) {
        let mut state = self.state.lock().await;
        if state.generation == generation {
            state.token = None;
        }
    }

    async fn fetch(&self) -> std::result::Result<(Token, Option<Duration>), TokenError> {
        let sent = Instant::now();
        let response = self
            .client
            .post(&self.token_url)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .body(self.form.clone())
            .send()
            .await
            .map_err(|e| self.error(describe(&e, self.timeout), true))?;
        let status = response.status().as_u16();
        let body = response
            .bytes()
            .await
            .map_err(|e| self.error(describe(&e, self.timeout), true))?;
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        if !(200..300).contains(&status) {
            // The RFC 6749 error code (e.g. invalid_client) helps; the rest
            // of the body might echo the request, so it is not shown.
            let code = json["error"].as_str().filter(|c| c.len() <= 64);
            let reason = match code {
                Some(code) => format!("HTTP {status} ({code})"),
                None => format!("HTTP {status}"),
            };
            return Err(self.error(reason, status == 429 || status >= 500));
        }
        let Some(access_token) = json["access_token"].as_str() else {
            return Err(self.error(format!("HTTP {status} without an access_token"), false));
        };
        let mut header = HeaderValue::from_str(&format!("Bearer {access_token}"))
            .map_err(|_| self.error("the access_token is not a valid header value", false))?;
        header.set_sensitive(true);
        let lifetime = expires_in(&json["expires_in"]);
        let token = Token {
            header,
            refresh_at: lifetime.and_then(|l| sent.checked_add(l - refresh_margin(l))),
        };
        Ok((token, lifetime))
    }

    fn error(&self, reason: impl Into<String>, retryable: bool) -> TokenError {
        let mut message = format!("oauth2 token request failed: {}", reason.into());
        if !self.secret.is_empty() {
            message = message.replace(&self.secret, crate::options::option_names::REDACTED);
        }
        TokenError { message, retryable }
    }
}

/// How long before expiry a token is replaced: 10 % of its lifetime, at
/// most 30 s. The margin covers the time between taking the token and the
/// API checking it (one request's latency, taken after the rate limiter and
/// concurrency wait, so it does not include queueing) plus the token
/// response's own travel time. 30 s is far above that for hour-long tokens;
/// 10 % keeps short-lived tokens useful (a 1 s token serves 0.9 s instead
/// of being fetched again for every request).
pub fn refresh_margin(lifetime: Duration) -> Duration {
    (lifetime / 10).min(Duration::from_secs(30))
}

/// `expires_in` as a number or a numeric string (both are seen in the wild).
fn expires_in(value: &serde_json::Value) -> Option<Duration> {
    let secs = value
        .as_u64()
        .or_else(|| value.as_f64().map(|f| f.max(0.0) as u64))
        .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))?;
    Some(Duration::from_secs(secs))
}

/// The URL without its query.
fn shown_url(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margin_is_a_tenth_capped_at_thirty_seconds() {
        assert_eq!(
            refresh_margin(Duration::from_secs(1)),
            Duration::from_millis(100)
        );
        assert_eq!(
            refresh_margin(Duration::from_secs(3600)),
            Duration::from_secs(30)
        );
        assert_eq!(refresh_margin(Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn expires_in_accepts_numbers_and_strings() {
        assert_eq!(
            expires_in(&serde_json::json!(60)),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            expires_in(&serde_json::json!("60")),
            Some(Duration::from_secs(60))
        );
        assert_eq!(expires_in(&serde_json::Value::Null), None);
    }

    #[test]
    fn the_form_and_errors_keep_the_secret_out_of_sight() {
        let o = OAuth2::new(
            reqwest::Client::new(),
            "http://127.0.0.1:1/token?x=1",
            "id 1",
            "s3cr&t",
            Some("read"),
            Duration::from_secs(1),
        );
        assert_eq!(
            o.form,
            "grant_type=client_credentials&client_id=id+1&client_secret=s3cr%26t&scope=read"
        );
        let e = o.error("HTTP 400: echo s3cr&t", false);
        assert!(!e.message.contains("s3cr&t"), "{}", e.message);
        assert_eq!(shown_url(&o.token_url), "http://127.0.0.1:1/token");
    }
}
