//! The transport against the mock server: TLS (`tlsCaCert`, `tlsInsecure`),
//! HTTP/2 negotiated by ALPN, compressed responses and keep-alive.

use mock_api::{compressed_body, Config, MockServer};
use serde_json::Value;

use crate::test_support::{engine, errors, ids, outputs, server, statuses, temp_dir, try_engine};

fn tls_server() -> MockServer {
    server(Config {
        tls: true,
        ..Config::default()
    })
}

fn ca_path(api: &MockServer) -> String {
    api.ca_pem_path().unwrap().display().to_string()
}

fn customers_url(api: &MockServer) -> String {
    format!("{}/customers/{{id}}", api.url())
}

#[test]
fn tls_without_trust_fails_every_row_on_the_certificate() {
    let api = tls_server();
    assert!(api.url().starts_with("https://127.0.0.1:"));
    let e = engine(
        &[("url", customers_url(&api)), ("maxRetries", "0".into())],
        None,
    );
    let (out, m) = e.enrich(&ids((0..5).map(Some))).unwrap();
    assert_eq!(statuses(&out), vec![None; 5]);
    for error in errors(&out) {
        let error = error.expect("every row has an _error");
        assert!(error.to_lowercase().contains("certificate"), "{error}");
    }
    assert_eq!((m.failed_rows, m.failed_rows_transport), (5, 5));
    // The handshakes failed: no request reached the handlers.
    assert_eq!(api.stats().total, 0);
    assert!(api.stats().connections >= 1);
}

#[test]
fn tls_ca_cert_trusts_the_mock_certificate() {
    let api = tls_server();
    let e = engine(
        &[("url", customers_url(&api)), ("tlsCaCert", ca_path(&api))],
        None,
    );
    let (out, _) = e.enrich(&ids((0..20).map(Some))).unwrap();
    assert_eq!(statuses(&out), vec![Some(200); 20]);
    assert_eq!(errors(&out), vec![None; 20]);
    let first: Value = serde_json::from_str(outputs(&out)[3].as_deref().unwrap()).unwrap();
    assert_eq!(first["name"], "customer-3");
}

#[test]
fn tls_insecure_accepts_the_self_signed_certificate() {
    let api = tls_server();
    let e = engine(
        &[("url", customers_url(&api)), ("tlsInsecure", "true".into())],
        None,
    );
    let (out, _) = e.enrich(&ids((0..20).map(Some))).unwrap();
    assert_eq!(statuses(&out), vec![Some(200); 20]);
}

#[test]
fn tls_ca_cert_must_be_a_readable_pem_bundle() {
    let dir = temp_dir("tls-ca");
    std::fs::create_dir_all(&dir).unwrap();
    let not_pem = dir.join("not.pem");
    std::fs::write(&not_pem, "this is not a certificate\n").unwrap();
    let missing = dir.join("missing.pem");
    for path in [&missing, &not_pem] {
        let result = try_engine(
            &[
                ("url", "https://127.0.0.1:1/x/{id}".into()),
                ("tlsCaCert", path.display().to_string()),
            ],
            None,
        );
        let message = result.err().expect("engine creation fails").to_string();
        assert!(message.contains("tlsCaCert"), "{message}");
        assert!(message.contains(&path.display().to_string()), "{message}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn tls_negotiates_http2_and_plain_http_stays_http1() {
    let secure = tls_server();
    let e = engine(
        &[
            ("url", customers_url(&secure)),
            ("tlsCaCert", ca_path(&secure)),
            ("concurrency", "4".into()),
        ],
        None,
    );
    let (out, _) = e.enrich(&ids((0..40).map(Some))).unwrap();
    assert_eq!(statuses(&out), vec![Some(200); 40]);
    let stats = secure.stats();
    assert_eq!((stats.total, stats.http2_requests), (40, 40), "{stats:?}");
    // HTTP/2 multiplexes over one connection; before the first handshake
    // says h2 (ALPN), each of the 4 concurrent requests may open its own.
    assert!(stats.connections <= 4, "{stats:?}");

    // No h2c prior knowledge: cleartext is HTTP/1.1.
    let plain = server(Config::default());
    let e = engine(&[("url", customers_url(&plain))], None);
    let (out, _) = e.enrich(&ids((0..40).map(Some))).unwrap();
    assert_eq!(statuses(&out), vec![Some(200); 40]);
    let stats = plain.stats();
    assert_eq!((stats.total, stats.http2_requests), (40, 0), "{stats:?}");
}

/// A plain server (the direct path) and a TLS one (reqwest), with the
/// option that makes the engine trust the latter.
fn both_transports() -> Vec<(MockServer, Vec<(&'static str, String)>)> {
    vec![
        (server(Config::default()), vec![]),
        (tls_server(), vec![("tlsInsecure", "true".into())]),
    ]
}

#[test]
fn both_transports_offer_gzip_and_br() {
    for (api, trust) in both_transports() {
        let mut pairs = trust.clone();
        pairs.push(("url", format!("{}/echo?id={{id}}", api.url())));
        let e = engine(&pairs, None);
        let (out, _) = e.enrich(&ids([Some(1)])).unwrap();
        let echo: Value = serde_json::from_str(outputs(&out)[0].as_deref().unwrap()).unwrap();
        let accept = echo["headers"]["accept-encoding"].as_str().unwrap();
        let codings: Vec<&str> = accept.split(',').map(str::trim).collect();
        assert!(
            codings.contains(&"gzip") && codings.contains(&"br"),
            "{}: {accept}",
            api.url()
        );
    }
}

#[test]
fn both_transports_decode_compressed_responses() {
    const N: usize = 20_000;
    let expected = compressed_body(N);
    for (api, trust) in both_transports() {
        let url = format!("{}/compressed/{N}?id={{id}}", api.url());
        // The engine's own Accept-Encoding ("gzip, br") gets gzip; asking
        // for brotli only is decoded just the same.
        for (rows, accept, encoding) in [(0..10, None, "gzip"), (10..20, Some("br"), "br")] {
            let mut pairs = trust.clone();
            pairs.push(("url", url.clone()));
            if let Some(accept) = accept {
                pairs.push(("header.Accept-Encoding", accept.into()));
            }
            let e = engine(&pairs, None);
            let (out, m) = e.enrich(&ids(rows.map(Some))).unwrap();
            assert_eq!(statuses(&out), vec![Some(200); 10], "{}", api.url());
            assert!(outputs(&out)
                .iter()
                .all(|o| o.as_deref() == Some(&*expected)));
            // Counted after decoding: the compressed bodies are far smaller.
            assert_eq!(m.bytes_received, 10 * expected.len() as u64);
            assert_eq!(api.stats().by_encoding.get(encoding), Some(&10));
        }
    }
}

#[test]
fn tls_transport_keeps_connections_alive() {
    let api = server(Config::default());
    let e = engine(
        &[("url", customers_url(&api)), ("concurrency", "4".into())],
        None,
    );
    let (out, _) = e.enrich(&ids((0..200).map(Some))).unwrap();
    assert_eq!(statuses(&out), vec![Some(200); 200]);
    let stats = api.stats();
    assert_eq!(stats.total, 200);
    assert!(stats.max_in_flight <= 4, "{stats:?}");
    // Without keep-alive this would be 200. hyper's pool may open a spare
    // connection when a request starts just before a finished one is back
    // in the pool (4 to 9 seen over 30 runs under load), hence the margin.
    assert!(stats.connections <= 16, "{stats:?}");
}
