//! One HTTP attempt: sends a built request, reads the body up to
//! `maxResponseBytes`, and classifies what happened for the retry loop.
//! Failure reasons are one line and never contain the URL (its query may
//! carry a key).

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

use crate::send::connection_cap::Ticket;
use crate::send::oauth::TokenError;

/// One attempt's result before the retry decision.
pub enum Attempt {
    Response {
        status: u16,
        body: Vec<u8>,
        retry_after: Option<Duration>,
        /// The `Link` header, for RFC 5988 pagination.
        link: Option<String>,
        /// The server's rate-limit headers (`rate_headers`).
        rate: crate::send::rate_headers::RateInfo,
    },
    /// Connection errors and timeouts: always retried.
    Transport(String),
    /// Not worth retrying (e.g. the body is too large).
    Fatal(String),
    /// No OAuth2 token, so no request was sent.
    Token(TokenError),
}

/// Sends `request` and reads its whole body, at most `limit` bytes.
/// `ticket` keeps the connections within the requests in flight.
pub async fn read(
    request: reqwest::RequestBuilder,
    limit: usize,
    timeout: Duration,
    ticket: &std::sync::Arc<Ticket>,
) -> Attempt {
    let mut response = match ticket.send(request).await {
        Ok(r) => r,
        Err(e) => return Attempt::Transport(describe(&e, timeout)),
    };
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Attempt::Fatal(too_large(limit));
    }
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > limit {
                    return Attempt::Fatal(too_large(limit));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => {
                ticket.body_ended();
                break;
            }
            Err(e) => return Attempt::Transport(describe(&e, timeout)),
        }
    }
    answered(response.status().as_u16(), body, response.headers())
}

/// A whole response, with what the retry loop, pagination and the rate
/// gate read from its headers (both HTTP paths end here).
pub(crate) fn answered(status: u16, body: Vec<u8>, headers: &HeaderMap) -> Attempt {
    Attempt::Response {
        status,
        body,
        retry_after: headers
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after),
        link: headers
            .get(reqwest::header::LINK)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        rate: crate::send::rate_headers::parse_now(headers),
    }
}

/// A one-line reason without the URL (it may carry a key in its query).
pub fn describe(e: &reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        return format!(
            "timeout: no complete response within requestTimeout ({} ms)",
            timeout.as_millis()
        );
    }
    let mut chain = Vec::new();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = source {
        chain.push(s.to_string());
        source = s.source();
    }
    let detail = chain
        .last()
        .cloned()
        .unwrap_or_else(|| "request failed".into());
    if e.is_connect() {
        format!("connection failed: {detail}")
    } else {
        format!("request failed: {detail}")
    }
}

pub(crate) fn too_large(limit: usize) -> String {
    format!("response larger than maxResponseBytes ({limit} bytes)")
}

/// `Retry-After`: delay seconds or an HTTP date.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_accepts_seconds_and_dates() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        let later = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(5));
        let d = parse_retry_after(&later).unwrap();
        assert!(
            d <= Duration::from_secs(5) && d >= Duration::from_secs(3),
            "{d:?}"
        );
        assert_eq!(parse_retry_after("soon"), None);
    }
}
