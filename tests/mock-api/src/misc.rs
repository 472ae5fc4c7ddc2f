//! Endpoints that misbehave on purpose, for the engine's resilience tests:
//! echo, arbitrary statuses, slowness, big and broken bodies, and retry
//! scenarios that depend on the attempt number.
//!
//! Attempt-dependent endpoints count hits per key in `AppState::hits`; the
//! key includes the query string, so a test can isolate itself with e.g.
//! `?id=<unique>`. `POST /stats/reset` clears the counts.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

use crate::reply::{error, json};
use crate::state::Shared;

/// Longest `/slow` sleep and largest `/bytes` body, so a typo in a test
/// cannot hang or exhaust the machine.
const MAX_SLOW_MS: u64 = 600_000;
const MAX_BYTES: usize = 256 << 20;

/// `ANY /echo/...`: the request as the server received it.
pub async fn echo(method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let mut names = Map::new();
    for name in headers.keys() {
        // Repeated headers are joined the way RFC 9110 §5.3 allows.
        let values: Vec<_> = headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        names.insert(name.as_str().to_string(), json!(values.join(", ")));
    }
    let query = uri.query().unwrap_or_default();
    let args: HashMap<String, String> = crate::encoding::parse_form(query);
    json(
        StatusCode::OK,
        json!({
            "method": method.as_str(),
            "path": uri.path(),
            "query": query,
            "args": args,
            "headers": names,
            "body": String::from_utf8_lossy(&body),
        }),
    )
}

/// `ANY /redirect/{code}/{*rest}`: a redirect (301, 302, 303, 307 or
/// 308) to `/{rest}` with the same query; to `rest` itself when it is an
/// absolute `http://` or `https://` URL (another server).
pub async fn redirect(Path((code, rest)): Path<(u16, String)>, uri: Uri) -> Response {
    let Some(status) = [301, 302, 303, 307, 308]
        .contains(&code)
        .then(|| StatusCode::from_u16(code).ok())
        .flatten()
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "redirect code must be 301, 302, 303, 307 or 308",
        );
    };
    let target = if rest.starts_with("http://") || rest.starts_with("https://") {
        rest
    } else {
        format!("/{rest}")
    };
    let location = match uri.query() {
        Some(query) => format!("{target}?{query}"),
        None => target,
    };
    let mut response = status.into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// `GET /status/{code}` for 200..=599; 204 and 304 come without a body as
/// HTTP requires (1xx cannot be a final response, so they are refused).
pub async fn status(Path(code): Path<String>) -> Response {
    match code
        .parse::<u16>()
        .ok()
        .and_then(|c| StatusCode::from_u16(c).ok())
    {
        Some(status) if status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED => {
            status.into_response()
        }
        Some(status) if (200..=599).contains(&status.as_u16()) => {
            json(status, json!({ "status": status.as_u16() }))
        }
        _ => error(StatusCode::BAD_REQUEST, "not a status code in 200..=599"),
    }
}

/// `GET /slow/{ms}`
pub async fn slow(Path(ms): Path<u64>) -> Response {
    let ms = ms.min(MAX_SLOW_MS);
    tokio::time::sleep(Duration::from_millis(ms)).await;
    json(StatusCode::OK, json!({ "slept_ms": ms }))
}

/// `GET /bytes/{n}`: a body of exactly n bytes that is valid JSON, a string
/// `"xxx…"` (n = 1 is `0`, n = 0 empty), for response-size limits.
pub async fn bytes(Path(n): Path<usize>) -> Response {
    if n > MAX_BYTES {
        return error(StatusCode::BAD_REQUEST, "at most 256 MiB");
    }
    let body = match n {
        0 => Vec::new(),
        1 => b"0".to_vec(),
        _ => {
            let mut body = vec![b'x'; n];
            body[0] = b'"';
            body[n - 1] = b'"';
            body
        }
    };
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// `GET /garbage`: a 200 that claims JSON but is not.
pub async fn garbage() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], "not json <<<").into_response()
}

/// `GET /retry-after/{secs}`: 429 with `Retry-After: secs` on odd hits, 200
/// on even ones (per path and query).
pub async fn retry_after(State(app): State<Shared>, Path(secs): Path<u64>, uri: Uri) -> Response {
    let attempt = app.hits.hit(format!("retry-after {uri}"));
    if attempt % 2 == 1 {
        let mut response = json(
            StatusCode::TOO_MANY_REQUESTS,
            json!({ "error": "rate limited", "retry_after": secs, "attempt": attempt }),
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        return response;
    }
    json(StatusCode::OK, json!({ "status": 200, "attempt": attempt }))
}

/// `GET /retry-after-date?id=X`: first hit per id is a 503 whose
/// `Retry-After` is an HTTP date; later hits are 200.
pub async fn retry_after_date(
    State(app): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let id = query.get("id").cloned().unwrap_or_default();
    let attempt = app.hits.hit(format!("retry-after-date {id}"));
    if attempt == 1 {
        // HTTP dates have whole seconds: the next second boundary plus one
        // keeps the date at least 1s (at most 2s) ahead, never in the past.
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let when = UNIX_EPOCH + Duration::from_secs(now.as_secs() + 2);
        let mut response = json(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({ "error": "try again later", "attempt": attempt }),
        );
        if let Ok(value) = HeaderValue::from_str(&httpdate::fmt_http_date(when)) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        return response;
    }
    json(StatusCode::OK, json!({ "id": id, "attempts": attempt }))
}

/// `GET /flaky/{id}?fail_first=K` (K defaults to 1): the first K hits for
/// the id are 503s, then 200 with the attempt count.
pub async fn flaky(
    State(app): State<Shared>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Ok(fail_first) = query.get("fail_first").map_or(Ok(1), |k| k.parse::<u64>()) else {
        return error(StatusCode::BAD_REQUEST, "fail_first must be a number");
    };
    let attempt = app.hits.hit(format!("flaky {id}"));
    if attempt <= fail_first {
        return json(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({ "error": "flaky failure", "attempt": attempt }),
        );
    }
    // Numeric ids come back as numbers, like the customer endpoint.
    let id = id.parse::<u64>().map_or(Value::String(id), Value::from);
    json(StatusCode::OK, json!({ "id": id, "attempts": attempt }))
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::testutil::{get, get_json, request};
    use crate::{Config, MockServer};

    #[tokio::test]
    async fn echo_reflects_the_request() {
        let server = MockServer::start(Config::default()).await.unwrap();
        let headers = [("X-Test", "a"), ("Content-Type", "text/plain")];
        let reply = request(
            server.addr(),
            "PUT",
            "/echo/a/b?x=1&y=%20z",
            &headers,
            "hello",
        )
        .await;
        let body = reply.json();
        assert_eq!(body["method"], "PUT");
        assert_eq!(body["path"], "/echo/a/b");
        assert_eq!(body["query"], "x=1&y=%20z");
        assert_eq!(body["args"], json!({"x": "1", "y": " z"}));
        assert_eq!(body["headers"]["x-test"], "a");
        assert_eq!(body["body"], "hello");
        assert_eq!(get_json(server.addr(), "/echo").await["path"], "/echo");
        assert_eq!(server.stats().by_path["/echo"], 2);
    }

    #[tokio::test]
    async fn statuses_bytes_and_garbage() {
        let server = MockServer::start(Config::default()).await.unwrap();
        let addr = server.addr();
        let teapot = get(addr, "/status/418").await;
        assert_eq!(
            (teapot.status, teapot.json()),
            (418, json!({"status": 418}))
        );
        assert_eq!(get(addr, "/status/42").await.status, 400);
        assert_eq!(get(addr, "/status/100").await.status, 400);
        let empty = get(addr, "/status/204").await;
        assert_eq!((empty.status, empty.body.as_str()), (204, ""));
        let big = get(addr, "/bytes/1000").await;
        assert_eq!(big.body.len(), 1000);
        assert_eq!(big.json().as_str().unwrap().len(), 998);
        assert_eq!(get(addr, "/bytes/1").await.body, "0");
        let garbage = get(addr, "/garbage").await;
        assert_eq!(
            (garbage.status, garbage.body.as_str()),
            (200, "not json <<<")
        );
        let started = Instant::now();
        assert_eq!(get(addr, "/slow/50").await.status, 200);
        assert!(started.elapsed() >= Duration::from_millis(50));
    }

    #[tokio::test]
    async fn retry_scenarios_depend_on_the_attempt() {
        let server = MockServer::start(Config::default()).await.unwrap();
        let addr = server.addr();
        let first = get(addr, "/retry-after/2?id=a").await;
        assert_eq!(
            (first.status, first.header("retry-after")),
            (429, Some("2"))
        );
        assert_eq!(get(addr, "/retry-after/2?id=a").await.status, 200);
        assert_eq!(get(addr, "/retry-after/2?id=b").await.status, 429);
        assert_eq!(get(addr, "/retry-after/2?id=a").await.status, 429);

        let dated = get(addr, "/retry-after-date?id=1").await;
        assert_eq!(dated.status, 503);
        let when = httpdate::parse_http_date(dated.header("retry-after").unwrap()).unwrap();
        assert!(when > SystemTime::now());
        assert_eq!(get(addr, "/retry-after-date?id=1").await.status, 200);

        for attempt in 1..=2 {
            assert_eq!(
                get(addr, "/flaky/9?fail_first=2").await.status,
                503,
                "attempt {attempt}"
            );
        }
        assert_eq!(
            get_json(addr, "/flaky/9?fail_first=2").await,
            json!({"id": 9, "attempts": 3})
        );

        // Reset forgets the attempts.
        server.reset_stats();
        assert_eq!(get(addr, "/flaky/9?fail_first=2").await.status, 503);
    }
}
