//! The direct path (`direct_http`) against the mock server: what it sends,
//! redirects (followed here on the same host, by reqwest elsewhere), the
//! connection cap held exactly, and servers that close idle connections.

use mock_api::Config;
use serde_json::Value;

use crate::test_support::{engine, ids, outputs, server, statuses};

fn echoed(pairs: &[(&str, String)]) -> Value {
    let e = engine(pairs, None);
    let (out, _) = e.enrich(&ids([Some(1)])).unwrap();
    assert_eq!(statuses(&out), vec![Some(200)]);
    serde_json::from_str(outputs(&out)[0].as_deref().unwrap()).unwrap()
}

#[test]
fn a_plain_request_carries_host_agent_and_credentials() {
    let api = server(Config::default());
    let echo = echoed(&[
        ("url", format!("{}/echo/a?id={{id}}", api.url())),
        ("auth", "bearer".into()),
        ("token", "t0ken".into()),
        ("header.X-Trace", "abc".into()),
    ]);
    let headers = &echo["headers"];
    let authority = api.url().trim_start_matches("http://").to_string();
    assert_eq!(headers["host"], authority.as_str());
    assert!(headers["user-agent"]
        .as_str()
        .unwrap()
        .starts_with("spark-rest/"));
    assert_eq!(headers["authorization"], "Bearer t0ken");
    assert_eq!(headers["x-trace"], "abc");
    assert_eq!(headers["accept"], "*/*");
    assert_eq!(
        (echo["path"].as_str(), echo["query"].as_str()),
        (Some("/echo/a"), Some("id=1"))
    );
}

#[test]
fn a_host_in_headers_wins_and_the_body_is_framed_by_its_own_length() {
    // An API reached by its address but served by name (a virtual host
    // behind an IP) needs the `Host` the user gives, once. A stray
    // `Content-Length` in `headers` must not frame the body: the server
    // would wait for 999 bytes that never come.
    let api = server(Config::default());
    let echo = echoed(&[
        ("url", format!("{}/echo/h", api.url())),
        ("method", "POST".into()),
        ("body", r#"{"id": {id}}"#.into()),
        ("header.Host", "api.internal".into()),
        ("header.Content-Length", "999".into()),
    ]);
    let headers = &echo["headers"];
    assert_eq!(headers["host"], "api.internal");
    assert_eq!(headers["content-length"], r#"{"id": 1}"#.len().to_string());
    assert_eq!(echo["body"], r#"{"id": 1}"#);
    // reqwest (a URL the URL parser rewrites) keeps the user's Host too.
    let echo = echoed(&[
        ("url", format!("{}/echo/h?q=a b", api.url())),
        ("header.Host", "api.internal".into()),
    ]);
    assert_eq!(echo["headers"]["host"], "api.internal");
}

#[test]
fn a_user_agent_in_headers_replaces_ours() {
    // Some APIs (OpenStreetMap's Nominatim, GitHub) ask callers to name
    // themselves; the option must win on both transports.
    let api = server(Config::default());
    for url in [
        format!("{}/echo?id={{id}}", api.url()),
        // A URL the direct path leaves to reqwest (the URL parser escapes
        // the space).
        format!("{}/echo?id={{id}}&q=a b", api.url()),
    ] {
        let echo = echoed(&[
            ("url", url),
            (
                "header.User-Agent",
                "acme-geocoder/1.0 (ops@acme.test)".into(),
            ),
        ]);
        assert_eq!(
            echo["headers"]["user-agent"],
            "acme-geocoder/1.0 (ops@acme.test)"
        );
    }
}

#[test]
fn a_json_body_is_sent_with_its_length_and_type() {
    let api = server(Config::default());
    let echo = echoed(&[
        ("url", format!("{}/echo/post", api.url())),
        ("method", "POST".into()),
        ("body", r#"{"id": {id}}"#.into()),
    ]);
    assert_eq!(echo["method"], "POST");
    assert_eq!(echo["body"], r#"{"id": 1}"#);
    assert_eq!(echo["headers"]["content-type"], "application/json");
    assert_eq!(echo["headers"]["content-length"], "9");
}

#[test]
fn redirects_on_the_same_host_are_followed_here_and_sent_once() {
    let api = server(Config::default());
    let echo = echoed(&[(
        "url",
        format!("{}/redirect/302/echo/moved?id={{id}}", api.url()),
    )]);
    assert_eq!(
        (echo["path"].as_str(), echo["query"].as_str()),
        (Some("/echo/moved"), Some("id=1"))
    );
    // 307 and 308 keep the method and the body; 301, 302 and 303 turn a
    // POST into a GET without body, as reqwest does.
    for (code, method, body) in [
        (307, "POST", r#"{"id": 1}"#),
        (308, "POST", r#"{"id": 1}"#),
        (303, "GET", ""),
        (301, "GET", ""),
    ] {
        let echo = echoed(&[
            ("url", format!("{}/redirect/{code}/echo/kept", api.url())),
            ("method", "POST".into()),
            ("body", r#"{"id": {id}}"#.into()),
        ]);
        assert_eq!(
            (echo["method"].as_str(), echo["path"].as_str()),
            (Some(method), Some("/echo/kept")),
            "{code}"
        );
        assert_eq!(echo["body"], body, "{code}");
    }
    // Each redirect reached the server once: not again through reqwest.
    let stats = api.stats();
    assert_eq!(stats.by_path.get("/redirect"), Some(&5), "{stats:?}");
    assert_eq!(stats.by_path.get("/echo"), Some(&5), "{stats:?}");
}

#[test]
fn a_redirect_loop_ends_after_ten_hops() {
    let api = server(Config::default());
    let e = engine(
        &[
            (
                "url",
                format!("{}/{}echo?id={{id}}", api.url(), "redirect/302/".repeat(11)),
            ),
            ("maxRetries", "0".into()),
        ],
        None,
    );
    let (out, _) = e.enrich(&ids([Some(1)])).unwrap();
    let error = crate::test_support::errors(&out)[0].clone().unwrap();
    assert!(error.contains("redirect"), "{error}");
    // Ten hops followed: the eleventh answer was one redirect too many.
    assert_eq!(api.stats().by_path.get("/redirect"), Some(&11));
    // Ten are fine.
    let e = engine(
        &[(
            "url",
            format!("{}/{}echo?id={{id}}", api.url(), "redirect/302/".repeat(10)),
        )],
        None,
    );
    let (out, _) = e.enrich(&ids([Some(1)])).unwrap();
    assert_eq!(statuses(&out), vec![Some(200)]);
}

#[test]
fn a_redirect_to_another_server_goes_through_reqwest_without_credentials() {
    // reqwest strips `Authorization` when the origin changes (here the
    // port): a token for one API must not reach another.
    let (api, other) = (server(Config::default()), server(Config::default()));
    let echo = echoed(&[
        (
            "url",
            format!(
                "{}/redirect/302/{}/echo/there?id={{id}}",
                api.url(),
                other.url()
            ),
        ),
        ("auth", "bearer".into()),
        ("token", "t0ken".into()),
    ]);
    assert_eq!(echo["path"], "/echo/there");
    assert!(echo["headers"].get("authorization").is_none(), "{echo}");
    assert_eq!(other.stats().total, 1);
    // The cost of leaving it to reqwest: the first server is asked twice.
    assert_eq!(api.stats().by_path.get("/redirect"), Some(&2));
}

#[test]
fn connections_never_outnumber_concurrency_over_many_runs() {
    // The pool opens a connection only while no idle one exists and holds
    // one permit per connection, so the cap is exact, not a heuristic.
    let api = server(Config {
        jitter_ms: 3,
        ..Config::default()
    });
    let e = engine(
        &[
            ("url", format!("{}/customers/{{id}}", api.url())),
            ("concurrency", "8".into()),
            ("cache", "false".into()),
        ],
        None,
    );
    for run in 0..5 {
        let (out, _) = e
            .enrich(&ids((run * 1000..run * 1000 + 1000).map(Some)))
            .unwrap();
        assert_eq!(statuses(&out), vec![Some(200); 1000]);
    }
    let stats = api.stats();
    assert_eq!(stats.total, 5000, "{stats:?}");
    assert!((1..=8).contains(&stats.max_open_connections), "{stats:?}");
    // Keep-alive: a handful of connections served every request.
    assert!(stats.connections <= 8, "{stats:?}");
}

#[test]
fn a_compressed_body_is_bounded_after_decoding() {
    // The limit is on what the engine would hold (20 kB decoded), not on
    // the bytes on the wire.
    let api = server(Config::default());
    let e = engine(
        &[
            ("url", format!("{}/compressed/20000?id={{id}}", api.url())),
            ("maxResponseBytes", "2000".into()),
        ],
        None,
    );
    let (out, _) = e.enrich(&ids([Some(1)])).unwrap();
    let error = crate::test_support::errors(&out)[0].clone().unwrap();
    assert!(error.contains("maxResponseBytes (2000 bytes)"), "{error}");
}

/// Both transports: the direct path, and reqwest (a URL the URL parser
/// would rewrite, here the space in the query, goes there).
fn both_transports(api: &mock_api::MockServer) -> [String; 2] {
    [
        format!("{}/customers/{{id}}", api.url()),
        format!("{}/customers/{{id}}?q=a b", api.url()),
    ]
}

#[test]
fn connections_the_server_closed_while_idle_are_not_used() {
    // Like an API with a short keep-alive timeout: the server closes a
    // quiet connection without a `Connection: close`. The pool must notice
    // before it sends, so even with no retries no row fails.
    let api = server(Config {
        idle_close_ms: 100,
        ..Config::default()
    });
    for url in both_transports(&api) {
        api.reset_stats();
        let e = engine(
            &[
                ("url", url.clone()),
                ("concurrency", "4".into()),
                ("maxRetries", "0".into()),
                ("cache", "false".into()),
            ],
            None,
        );
        for wave in 0..3 {
            let (out, _) = e.enrich(&ids((wave * 8..wave * 8 + 8).map(Some))).unwrap();
            assert_eq!(statuses(&out), vec![Some(200); 8], "{url}, wave {wave}");
            // Long enough for the server to close every connection.
            std::thread::sleep(std::time::Duration::from_millis(300));
        }
        let stats = api.stats();
        assert_eq!(stats.total, 24, "{url}: {stats:?}");
        // Each wave found its connections closed and opened new ones.
        assert!(stats.connections > 4, "{url}: {stats:?}");
    }
}

#[test]
fn a_server_closing_connections_as_they_are_reused_loses_no_row() {
    // The keep-alive race: waves arrive just as the server closes quiet
    // connections. On the direct path a GET that the closing connection
    // never answered is sent again on a new one, so even with no retries
    // every row comes back; through reqwest the retries recover it.
    let api = server(Config {
        idle_close_ms: 100,
        ..Config::default()
    });
    let [direct, through_reqwest] = both_transports(&api);
    for (url, retries) in [(direct, "0"), (through_reqwest, "3")] {
        api.reset_stats();
        let e = engine(
            &[
                ("url", url.clone()),
                ("concurrency", "4".into()),
                ("maxRetries", retries.into()),
                ("retryBackoff", "1".into()),
                ("cache", "false".into()),
            ],
            None,
        );
        for wave in 0..30 {
            let (out, _) = e.enrich(&ids((wave * 4..wave * 4 + 4).map(Some))).unwrap();
            let errors = crate::test_support::errors(&out);
            assert_eq!(
                statuses(&out),
                vec![Some(200); 4],
                "{url}, wave {wave}: {errors:?}"
            );
            // Around the server's idle time, so some waves meet the close.
            std::thread::sleep(std::time::Duration::from_millis(92 + wave as u64 % 16));
        }
        let stats = api.stats();
        assert!(stats.total >= 120, "{url}: {stats:?}");
        assert!(stats.connections > 4, "{url}: {stats:?}");
    }
}
