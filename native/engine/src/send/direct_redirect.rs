//! Redirects on the direct path: a `Location` on the same host and port is
//! followed over the same pool, as reqwest's default policy would (at most
//! 10 hops; 301, 302 and 303 turn a request other than GET or HEAD into a
//! GET without body, 307 and 308 keep method and body). APIs that redirect
//! every call (a trailing slash added, a renamed path) then cost two
//! requests per row, not three. A redirect elsewhere is left to reqwest,
//! which strips credentials when the origin changes.

use std::borrow::Cow;

use reqwest::header::{HeaderMap, LOCATION};
use reqwest::Method;

use crate::send::direct_http::{target, Target};

/// reqwest's default limit.
pub const MAX_REDIRECTS: usize = 10;

/// What one hop sends: the original request, or where a redirect pointed.
pub struct Hop<'a> {
    pub method: Method,
    pub body: Option<&'a str>,
    pub path_and_query: Cow<'a, str>,
}

impl<'a> Hop<'a> {
    /// The next hop after a `status` redirect to `path_and_query`.
    pub fn redirected(self, status: u16, path_and_query: String) -> Hop<'a> {
        let (method, body) = match status {
            301..=303 if self.method != Method::GET && self.method != Method::HEAD => {
                (Method::GET, None)
            }
            301..=303 => (self.method, None),
            _ => (self.method, self.body),
        };
        Hop {
            method,
            body,
            path_and_query: Cow::Owned(path_and_query),
        }
    }
}

/// The `Location` of a redirect answer (3xx other than 304).
pub fn location(status: u16, headers: &HeaderMap) -> Option<&str> {
    if !(300..400).contains(&status) || status == 304 {
        return None;
    }
    headers.get(LOCATION)?.to_str().ok()
}

/// The path and query to follow `location` to, when it stays on `from`'s
/// host and port and can be sent as written; None: reqwest follows it.
pub fn same_origin(from: &Target<'_>, location: &str) -> Option<String> {
    let absolute = if location.starts_with('/') && !location.starts_with("//") {
        Cow::Owned(format!("http://{}{location}", from.host))
    } else {
        Cow::Borrowed(location)
    };
    let next = target(&absolute)?;
    (next.host_port == from.host_port).then(|| next.path_and_query.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_on_the_same_host_and_port_are_followed_here() {
        let from = target("http://api.test:8080/customers/1").unwrap();
        let cases = [
            ("/customers/1/", Some("/customers/1/")),
            ("/v2/customers/1?x=1", Some("/v2/customers/1?x=1")),
            ("http://api.test:8080/other", Some("/other")),
            // Elsewhere, or not sendable as written: reqwest follows.
            ("http://api.test:9090/other", None),
            ("http://elsewhere.test:8080/other", None),
            ("https://api.test:8080/other", None),
            ("//elsewhere.test/other", None),
            ("relative/path", None),
            ("/a b", None),
        ];
        for (location, expected) in cases {
            assert_eq!(
                same_origin(&from, location).as_deref(),
                expected,
                "{location}"
            );
        }
        let default_port = target("http://api.test/x").unwrap();
        assert_eq!(
            same_origin(&default_port, "http://api.test:80/y").as_deref(),
            Some("/y")
        );
    }

    #[test]
    fn see_other_and_friends_turn_a_post_into_a_get_without_body() {
        let post = || Hop {
            method: Method::POST,
            body: Some("{}"),
            path_and_query: Cow::Borrowed("/a"),
        };
        for (status, method, body) in [
            (301, Method::GET, None),
            (302, Method::GET, None),
            (303, Method::GET, None),
            (307, Method::POST, Some("{}")),
            (308, Method::POST, Some("{}")),
        ] {
            let next = post().redirected(status, "/b".into());
            assert_eq!((next.method, next.body), (method, body), "{status}");
            assert_eq!(next.path_and_query, "/b");
        }
    }
}
