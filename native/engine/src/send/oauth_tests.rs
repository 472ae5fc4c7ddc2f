//! OAuth2 client credentials against the mock API server's token endpoint.

use std::time::Duration;

use mock_api::Config;

use crate::metrics::Counters;
use crate::send::oauth::OAuth2;
use crate::test_support::{engine, errors, ids, server, statuses};

const ID: &str = "spark-client";
const SECRET: &str = "s3cret-Value";

fn oauth_server(ttl_secs: u64) -> mock_api::MockServer {
    server(Config {
        oauth_client_id: Some(ID.into()),
        oauth_client_secret: Some(SECRET.into()),
        oauth_token_ttl_secs: ttl_secs,
        ..Config::default()
    })
}

fn oauth_options(token_url: String, url: String, secret: &str) -> Vec<(&'static str, String)> {
    vec![
        ("url", url),
        ("auth", "oauth2".into()),
        ("oauth2TokenUrl", token_url),
        ("oauth2ClientId", ID.into()),
        ("oauth2ClientSecret", secret.into()),
        ("oauth2Scope", "read".into()),
    ]
}

#[test]
fn one_token_serves_many_concurrent_requests() {
    let api = oauth_server(3600);
    let e = engine(
        &oauth_options(
            format!("{}/oauth/token", api.url()),
            format!("{}/customers/{{id}}", api.url()),
            SECRET,
        ),
        None,
    );
    let (out, m) = e.enrich(&ids((0..200).map(Some))).unwrap();
    assert_eq!(
        statuses(&out),
        vec![Some(200); 200],
        "{:?}",
        errors(&out)[0]
    );
    assert_eq!(api.stats().tokens_issued, 1);
    assert_eq!(m.token_refreshes, 1);
}

#[test]
fn short_lived_tokens_are_refreshed() {
    let api = oauth_server(1);
    let e = engine(
        &oauth_options(
            format!("{}/oauth/token", api.url()),
            format!("{}/customers/{{id}}", api.url()),
            SECRET,
        ),
        None,
    );
    let (out, _) = e.enrich(&ids((0..10).map(Some))).unwrap();
    assert_eq!(statuses(&out), vec![Some(200); 10]);
    std::thread::sleep(Duration::from_millis(1500));
    let (out, m) = e.enrich(&ids((10..20).map(Some))).unwrap();
    assert_eq!(statuses(&out), vec![Some(200); 10], "{:?}", errors(&out)[0]);
    assert_eq!(api.stats().tokens_issued, 2);
    assert_eq!((m.token_refreshes, e.totals().token_refreshes), (1, 2));
}

#[test]
fn a_wrong_secret_fails_every_row_without_showing_it() {
    let api = oauth_server(3600);
    let wrong = "wr0ng-Secret-xyz";
    let e = engine(
        &oauth_options(
            format!("{}/oauth/token", api.url()),
            format!("{}/customers/{{id}}", api.url()),
            wrong,
        ),
        None,
    );
    let (out, m) = e.enrich(&ids((0..200).map(Some))).unwrap();
    assert_eq!(statuses(&out), vec![None; 200]);
    for error in errors(&out) {
        let error = error.unwrap();
        assert!(
            error.starts_with("oauth2 token request failed: HTTP 401"),
            "{error}"
        );
        assert!(!error.contains(wrong) && !error.contains(SECRET), "{error}");
    }
    let stats = api.stats();
    assert_eq!((stats.tokens_issued, stats.total), (0, 0));
    assert!(m.token_refreshes < 10, "{m:?}");
    assert_eq!(m.failed_rows_transport, 200);
}

#[test]
fn a_refused_token_is_renewed_once_then_the_row_fails() {
    // The API (another server) knows none of the issuer's tokens: 401.
    let issuer = oauth_server(3600);
    let api = oauth_server(3600);
    let e = engine(
        &oauth_options(
            format!("{}/oauth/token", issuer.url()),
            format!("{}/customers/{{id}}", api.url()),
            SECRET,
        ),
        None,
    );
    let (out, m) = e.enrich(&ids([Some(1)])).unwrap();
    assert_eq!(statuses(&out), vec![Some(401)]);
    assert_eq!(issuer.stats().tokens_issued, 2, "renewed once");
    assert_eq!(api.stats().total, 2, "sent again once");
    assert_eq!((m.token_refreshes, m.retries), (2, 1));
}

#[test]
fn token_refreshes_are_logged_without_the_token() {
    let api = oauth_server(3600);
    let oauth = OAuth2::new(
        reqwest::Client::new(),
        &format!("{}/oauth/token", api.url()),
        ID,
        SECRET,
        None,
        Duration::from_secs(5),
    );
    let local = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (bearer, log) =
        crate::test_log::capture(|| local.block_on(oauth.bearer(&Counters::default())));
    let header = bearer.unwrap().header;
    let token = header.to_str().unwrap().trim_start_matches("Bearer ");
    let lines = log.lines_with("oauth2 token fetched");
    assert_eq!(lines.len(), 1, "{}", log.text());
    assert!(lines[0].contains("INFO") && lines[0].contains("expires_in_secs=3600"));
    assert!(!log.text().contains(token) && !log.text().contains(SECRET));
}
