//! Sends requests to plain `http://` APIs straight over HTTP/1.1
//! keep-alive connections (`http1_pool`, `http1_wire`). At one request per
//! row and a fast API, reqwest's per-request work (its URL parser, request
//! builder, layers and pool, and the `connection_cap` bookkeeping around
//! it) was most of the engine's CPU; here a request is its bytes, one pool
//! lease and the exchange. What this path does not do goes through reqwest as before:
//! HTTPS, proxies from the environment, URLs the URL parser would rewrite,
//! and redirects to another host (`direct_redirect`: the request is sent
//! again through reqwest, which follows them).

use std::time::{Duration, Instant};

use reqwest::header::{
    HeaderMap, HeaderValue, CONTENT_ENCODING, CONTENT_LENGTH, HOST, TRANSFER_ENCODING,
};

use crate::send::attempt::{answered, too_large, Attempt};
use crate::send::direct_redirect::{location, same_origin, Hop, MAX_REDIRECTS};
use crate::send::http1_pool::{Http1Pools, Lease};
use crate::send::http1_wire::{BodyError, Head, WireError};

/// The plain-HTTP client of one engine.
pub struct DirectHttp {
    pools: Http1Pools,
    /// User agent, accepted encodings, the `headers` option and static
    /// credentials, as the lines every request carries.
    header_lines: Vec<u8>,
    /// No `Host` in the `headers` option: the URL's authority is sent. One
    /// there wins, as through reqwest (an API reached by its address but
    /// served by name).
    url_host: bool,
}

/// Where a URL goes, when the direct path can send it as written.
pub struct Target<'a> {
    /// `host:port`, the pool's key.
    pub host_port: String,
    /// The `Host` header: the authority without the default port.
    pub host: &'a str,
    pub path_and_query: &'a str,
}

/// One request's parts besides its URL.
pub struct Exchange<'a> {
    pub method: &'a reqwest::Method,
    pub body: Option<&'a str>,
    pub json_content_type: bool,
    pub bearer: Option<&'a HeaderValue>,
    pub limit: usize,
    pub timeout: Duration,
    /// When the attempt started (the pool's clock for idle connections).
    pub started: Instant,
}

/// Proxy variables reqwest reads for `http://` URLs: with any of them set,
/// every request goes through reqwest so that the proxy is used.
const PROXY_VARIABLES: &[&str] = &["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"];

impl DirectHttp {
    /// None when proxies are configured in the environment.
    pub fn new(cap: usize, connect_timeout: Duration, headers: HeaderMap) -> Option<DirectHttp> {
        if proxy_configured(|name| std::env::var_os(name)) {
            return None;
        }
        Some(DirectHttp {
            pools: Http1Pools::new(cap, connect_timeout),
            header_lines: header_lines(&headers),
            url_host: !headers.contains_key(HOST),
        })
    }

    /// Sends one request and reads its whole body. None: a redirect, to be
    /// sent again through reqwest.
    pub async fn read(&self, target: &Target<'_>, exchange: &Exchange<'_>) -> Option<Attempt> {
        match tokio::time::timeout(exchange.timeout, self.exchange(target, exchange)).await {
            Ok(attempt) => attempt,
            Err(_) => Some(Attempt::Transport(format!(
                "timeout: no complete response within requestTimeout ({} ms)",
                exchange.timeout.as_millis()
            ))),
        }
    }

    async fn exchange(&self, target: &Target<'_>, exchange: &Exchange<'_>) -> Option<Attempt> {
        let mut hop = Hop {
            method: exchange.method.clone(),
            body: exchange.body,
            path_and_query: target.path_and_query.into(),
        };
        for _ in 0..=MAX_REDIRECTS {
            let (head, mut lease) = match self.send_once(target, &hop, exchange).await {
                Ok(sent) => sent,
                Err(attempt) => return Some(attempt),
            };
            let Some(location) = location(head.status, &head.headers) else {
                return Some(read_response(head, &mut lease, exchange.limit).await);
            };
            let next = same_origin(target, location)?;
            let status = head.status;
            // Read to its end, so the connection can carry the next hop.
            let drained = read_response(head, &mut lease, exchange.limit).await;
            if !matches!(drained, Attempt::Response { .. }) {
                return Some(drained);
            }
            hop = hop.redirected(status, next);
        }
        Some(Attempt::Transport(format!(
            "request failed: more than {MAX_REDIRECTS} redirects"
        )))
    }

    /// One request on a pooled connection: its response head and the lease.
    async fn send_once(
        &self,
        target: &Target<'_>,
        hop: &Hop<'_>,
        exchange: &Exchange<'_>,
    ) -> Result<(Head, Lease), Attempt> {
        let request = self.request(target, hop, exchange);
        let head_request = hop.method == reqwest::Method::HEAD;
        let mut fresh = false;
        loop {
            let mut lease = self
                .pools
                .lease(&target.host_port, fresh, exchange.started)
                .await
                .map_err(Attempt::Transport)?;
            let (unsent, reason) = match lease.connection().send(&request, head_request).await {
                Ok(head) => return Ok((head, lease)),
                Err(WireError::Unsent(e)) => (true, format!("request failed: {e}")),
                Err(WireError::ClosedBeforeAnswer(reason)) => (false, reason),
                Err(WireError::Failed(reason)) => return Err(Attempt::Transport(reason)),
            };
            // The keep-alive race: the server closed an idle connection just
            // as we took it. Sent once more on a new connection, not counted
            // as a retry, when nothing went out, or when the connection ended
            // before any answer to a safe method, which changes nothing on
            // the server (Go's net/http replays such requests too). A new
            // connection is never reused, so this happens at most once.
            if !(lease.reused && (unsent || safe_method(&hop.method))) {
                return Err(Attempt::Transport(reason));
            }
            fresh = true;
        }
    }

    /// The request's bytes: request line, headers and body. Every part was
    /// checked before (`target` for the host and path, `HeaderValue` for
    /// the rest), so nothing here can break the framing.
    fn request(&self, target: &Target<'_>, hop: &Hop<'_>, exchange: &Exchange<'_>) -> Vec<u8> {
        let body = hop.body.unwrap_or("").as_bytes();
        let mut out = Vec::with_capacity(128 + self.header_lines.len() + body.len());
        for part in [
            hop.method.as_str().as_bytes(),
            b" ",
            hop.path_and_query.as_bytes(),
            b" HTTP/1.1\r\n",
        ] {
            out.extend_from_slice(part);
        }
        if self.url_host {
            for part in [&b"host: "[..], target.host.as_bytes(), b"\r\n"] {
                out.extend_from_slice(part);
            }
        }
        out.extend_from_slice(&self.header_lines);
        if let Some(bearer) = exchange.bearer {
            header_line(&mut out, "authorization", bearer);
        }
        if hop.body.is_some() && exchange.json_content_type {
            out.extend_from_slice(b"content-type: application/json\r\n");
        }
        // A length whenever a body is sent, and for the methods that carry
        // one (some servers answer 411 to a POST without it).
        let carries_body = matches!(hop.method.as_str(), "POST" | "PUT" | "PATCH");
        if hop.body.is_some() || carries_body {
            out.extend_from_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(body);
        out
    }
}

/// The fixed header lines, without the ones that frame the body: this
/// client writes its own `Content-Length` and never a chunked body.
fn header_lines(headers: &HeaderMap) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in headers {
        if name != CONTENT_LENGTH && name != TRANSFER_ENCODING {
            header_line(&mut out, name.as_str(), value);
        }
    }
    out
}

fn header_line(out: &mut Vec<u8>, name: &str, value: &HeaderValue) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_bytes());
    out.extend_from_slice(b"\r\n");
}

async fn read_response(head: Head, lease: &mut Lease, limit: usize) -> Attempt {
    let encoding = head
        .headers
        .get(CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    // The limit is on the decoded body; a compressed one is checked after decoding.
    let wire_limit = encoding.is_none().then_some(limit);
    let bytes = match lease.connection().read_body(&head, wire_limit).await {
        Ok((bytes, reusable)) => {
            if reusable {
                lease.reusable();
            }
            bytes
        }
        Err(BodyError::TooLarge) => return Attempt::Fatal(too_large(limit)),
        Err(BodyError::Failed(reason)) => return Attempt::Transport(reason),
    };
    let body = match crate::send::body_decode::decode(encoding.as_deref(), bytes, limit) {
        Ok(body) => body,
        Err(reason) => return Attempt::Fatal(reason),
    };
    answered(head.status, body, &head.headers)
}

fn proxy_configured(var: impl Fn(&str) -> Option<std::ffi::OsString>) -> bool {
    PROXY_VARIABLES
        .iter()
        .any(|name| var(name).is_some_and(|value| !value.is_empty()))
}

/// The URL's parts when it can be sent as written: `http://`, a plain
/// host (see `url_host`), and a path and query of characters the URL
/// parser leaves as they are (no spaces, quotes, brackets, backslashes,
/// fragments, non-ASCII or dot segments to rewrite).
pub fn target(url: &str) -> Option<Target<'_>> {
    let rest = url.strip_prefix("http://")?;
    let host_port = crate::send::url_host::simple_host_port(url)?;
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path_and_query) = rest.split_at(end);
    // `http://h?q` has an empty path: rare enough to leave to the URL parser.
    if path_and_query.starts_with('?')
        || !path_and_query.bytes().all(sent_as_written)
        || has_dot_segment(path_and_query)
    {
        return None;
    }
    let host = authority.strip_suffix(":80").unwrap_or(authority);
    Some(Target {
        host_port,
        host,
        path_and_query: if path_and_query.is_empty() {
            "/"
        } else {
            path_and_query
        },
    })
}

fn sent_as_written(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&()*+,;=:@/?%".contains(&b)
}

fn has_dot_segment(path_and_query: &str) -> bool {
    let path = path_and_query.split('?').next().unwrap_or("");
    path.split('/').any(|segment| {
        let s = segment.to_ascii_lowercase();
        matches!(s.as_str(), "." | ".." | "%2e" | ".%2e" | "%2e." | "%2e%2e")
    })
}

/// GET, HEAD, OPTIONS and TRACE: methods that do not change the server's
/// state (RFC 9110 section 9.2.1), so sending one twice is harmless.
fn safe_method(method: &reqwest::Method) -> bool {
    use reqwest::Method;
    [Method::GET, Method::HEAD, Method::OPTIONS, Method::TRACE].contains(method)
}

#[cfg(test)]
mod tests {
    use super::{proxy_configured, target};

    #[test]
    fn a_proxy_in_the_environment_sends_everything_through_reqwest() {
        let env = |set: &'static str, value: &'static str| {
            move |name: &str| (name == set).then(|| value.into())
        };
        assert!(proxy_configured(env("HTTP_PROXY", "http://proxy:3128")));
        assert!(proxy_configured(env("all_proxy", "socks5://proxy:1080")));
        assert!(!proxy_configured(env("HTTP_PROXY", "")));
        // HTTPS proxies do not concern plain http:// requests.
        assert!(!proxy_configured(env("HTTPS_PROXY", "http://proxy:3128")));
    }

    #[test]
    fn plain_urls_are_sent_as_written() {
        let t = target("http://127.0.0.1:8080/customers/7?x=1&y=a%20b").unwrap();
        assert_eq!(t.host_port, "127.0.0.1:8080");
        assert_eq!(t.host, "127.0.0.1:8080");
        assert_eq!(t.path_and_query, "/customers/7?x=1&y=a%20b");
        let t = target("http://api.example.com:80").unwrap();
        assert_eq!((t.host, t.path_and_query), ("api.example.com", "/"));
        assert_eq!(t.host_port, "api.example.com:80");
    }

    #[test]
    fn urls_the_url_parser_would_rewrite_go_through_reqwest() {
        for url in [
            "https://h/x",
            "http://H/x",
            "http://h/a b",
            "http://h/x#frag",
            "http://h/a/../b",
            "http://h/a/%2E/b",
            "http://h/é",
            "http://h/x?q='a'",
            "http://h/{id}",
            "http://h\\x",
            "http://user@h/x",
            "http://h?q=1",
        ] {
            assert!(target(url).is_none(), "{url}");
        }
    }
}
