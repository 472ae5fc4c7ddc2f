//! Unit tests of `engine_options.rs`: defaults, errors naming the option, secrets.
use super::*;

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn parse(pairs: &[(&str, &str)]) -> Result<EngineOptions> {
    EngineOptions::parse(&map(pairs), Secrets::Resolve)
}

#[test]
fn defaults_follow_the_spec() {
    let o = parse(&[("url", "http://127.0.0.1:1/c/{id}")]).unwrap();
    assert_eq!(o.concurrency, 32);
    assert_eq!(o.method, reqwest::Method::GET);
    assert_eq!(o.retry.max_retries, 3);
    assert_eq!(o.retry.on_status, vec![429, 500, 502, 503, 504]);
    assert_eq!(o.max_response_bytes, 10_485_760);
    assert_eq!(o.allowed_hosts, vec!["127.0.0.1".to_string()]);
    assert_eq!(o.on_error, OnError::Null);
    assert!(o.cache.enabled);
}

#[test]
fn unknown_option_names_a_suggestion() {
    let err = parse(&[("url", "http://h/x"), ("concurency", "4")])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("'concurency'") && err.contains("concurrency"),
        "{err}"
    );
}

#[test]
fn bad_values_name_option_value_and_allowed() {
    let err = parse(&[("url", "http://h/x"), ("concurrency", "lots")])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("concurrency") && err.contains("lots") && err.contains("1 to"),
        "{err}"
    );
    let err = parse(&[("url", "http://h/x"), ("method", "FETCH")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("FETCH") && err.contains("GET, POST"), "{err}");
    assert!(parse(&[])
        .unwrap_err()
        .to_string()
        .contains("'url' is required"));
}

#[test]
fn secrets_are_never_echoed() {
    let err = parse(&[
        ("url", "http://h/x"),
        ("header.Authorization", "Bearer abc\r\nX: y"),
    ])
    .unwrap_err()
    .to_string();
    assert!(!err.contains("abc"), "{err}");
    let shown = redacted(&map(&[
        ("token", "s3cret"),
        ("headers", r#"{"Authorization":"s3cret","X":"1"}"#),
    ]));
    assert!(!format!("{shown:?}").contains("s3cret"));
}

#[test]
fn env_values_are_read_only_when_resolving() {
    std::env::set_var("SPARK_REST_TEST_TOKEN", "from-env");
    let pairs = map(&[
        ("url", "http://h/x"),
        ("auth", "bearer"),
        ("token", "env:SPARK_REST_TEST_TOKEN"),
    ]);
    let o = EngineOptions::parse(&pairs, Secrets::Resolve).unwrap();
    assert_eq!(
        o.auth,
        AuthConfig::Bearer {
            token: "from-env".into()
        }
    );
    let o = EngineOptions::parse(&pairs, Secrets::Keep).unwrap();
    assert_eq!(
        o.auth,
        AuthConfig::Bearer {
            token: "env:SPARK_REST_TEST_TOKEN".into()
        }
    );
}

#[test]
fn templated_hosts_need_allowed_hosts() {
    assert!(parse(&[("url", "http://{host}/x")]).is_err());
    let o = parse(&[
        ("url", "http://{host}/x"),
        ("allowedHosts", "a.example, B.example"),
    ])
    .unwrap();
    assert_eq!(o.allowed_hosts, vec!["a.example", "b.example"]);
}
