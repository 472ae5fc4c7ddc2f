//! Typed engine options parsed from the string map every surface passes in
//! (SPEC.md section 4). Validation happens here, once, for all surfaces: the
//! JVM calls it at analysis time so a typo fails before any task starts.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::error::{invalid, Result};
use crate::option_names::{self, HEADER_PREFIX, REDACTED};

/// What to do when a row's request finally failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnError {
    /// Keep the row: nulls plus `_status`/`_error`.
    Null,
    /// Fail the query naming the request and the reason.
    Fail,
}

/// The credentials attached to every request.
#[derive(Clone, PartialEq, Eq)]
pub enum AuthConfig {
    None,
    Bearer {
        token: String,
    },
    Basic {
        user: String,
        password: String,
    },
    ApiKey {
        header: String,
        key: String,
    },
    OAuth2 {
        token_url: String,
        client_id: String,
        client_secret: String,
        scope: Option<String>,
    },
}

// Never print a secret, not even in a debug log.
impl std::fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self {
            AuthConfig::None => "none",
            AuthConfig::Bearer { .. } => "bearer",
            AuthConfig::Basic { .. } => "basic",
            AuthConfig::ApiKey { .. } => "apikey",
            AuthConfig::OAuth2 { .. } => "oauth2",
        };
        write!(f, "AuthConfig({kind})")
    }
}

/// Retries: how often, how long to wait, on which statuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_retries: u32,
    pub backoff: Duration,
    pub max_backoff: Duration,
    pub on_status: Vec<u16>,
}

/// Many keys per request to a batch endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchEndpoint {
    pub key_column: String,
    pub url: String,
    pub request_size: usize,
    pub body: String,
    pub results_field: Vec<String>,
    pub result_key: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheOptions {
    pub enabled: bool,
    pub ttl: Duration,
    pub max_entries: u64,
    pub dir: Option<PathBuf>,
}

/// The parsed, validated options of one engine.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    pub url: String,
    pub method: reqwest::Method,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    /// The most requests in flight (`concurrencyMax` with `concurrency=auto`).
    pub concurrency: usize,
    pub throughput: crate::throughput_options::Throughput,
    pub rate_limit: f64,
    pub rate_limit_burst: u32,
    pub arrow_batch_size: usize,
    pub batch: Option<BatchEndpoint>,
    pub retry: RetryPolicy,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    pub circuit_breaker_threshold: u32,
    pub circuit_breaker_cooldown: Duration,
    pub on_error: OnError,
    pub max_response_bytes: usize,
    pub cache: CacheOptions,
    pub auth: AuthConfig,
    pub data_field: Option<Vec<String>>,
    pub explode: bool,
    pub array_column: String,
    /// `arrayColumn` was given: an array response is one list column.
    pub array_mode: bool,
    pub allowed_hosts: Vec<String>,
    pub tls_ca_cert: Option<PathBuf>,
    pub tls_insecure: bool,
}

/// Whether `env:NAME` values are read now. The driver validates without
/// reading (the variable lives on the executors); engines read them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secrets {
    Keep,
    Resolve,
}

impl EngineOptions {
    /// Parses and validates; every error names the option, the value (unless
    /// secret) and what is allowed.
    pub fn parse(raw: &BTreeMap<String, String>, secrets: Secrets) -> Result<Self> {
        check_names(raw)?;
        let opts = Reader { raw, secrets };
        let url = opts.required("url")?;
        let method = opts.method()?;
        let mut headers = opts.headers()?;
        let auth = opts.auth()?;
        if let AuthConfig::ApiKey { header, .. } = &auth {
            check_header_name("apiKeyHeader", header)?;
        }
        headers.sort();
        let retry = RetryPolicy {
            max_retries: opts.int("maxRetries", 3, 0, 100)? as u32,
            backoff: Duration::from_millis(opts.int("retryBackoff", 200, 0, 3_600_000)?),
            max_backoff: Duration::from_millis(opts.int(
                "retryMaxBackoff",
                30_000,
                0,
                3_600_000,
            )?),
            on_status: opts.statuses("retryOnStatus", &[429, 500, 502, 503, 504])?,
        };
        let cache = CacheOptions {
            enabled: opts.boolean("cache", true)?,
            ttl: Duration::from_secs(opts.int("cacheTtlSeconds", 300, 0, 365 * 86_400)?),
            max_entries: opts.int("cacheMaxEntries", 100_000, 0, 1 << 40)?,
            dir: opts.optional("cacheDir").map(PathBuf::from),
        };
        let on_error = match opts.optional("onError").unwrap_or("null") {
            "null" => OnError::Null,
            "fail" => OnError::Fail,
            other => return Err(bad("onError", other, "null or fail")),
        };
        let allowed_hosts = match opts.optional("allowedHosts") {
            Some(list) => list
                .split(',')
                .map(|h| h.trim().to_ascii_lowercase())
                .filter(|h| !h.is_empty())
                .collect(),
            None => vec![template_host("url", &url)?],
        };
        let batch = opts.batch_endpoint(&url)?;
        let explode = opts.boolean("explode", false)?;
        if explode && opts.optional("schema").is_none() && !opts.boolean("inferSchema", false)? {
            return Err(invalid(
                "option 'explode' is true, which needs 'schema' (or inferSchema=true): elements are typed rows",
            ));
        }
        let throughput = crate::throughput_options::parse(raw)?;
        Ok(EngineOptions {
            body: opts.optional("body").map(str::to_string),
            concurrency: throughput.concurrency.ceiling(),
            throughput,
            rate_limit: opts.float("rateLimit", 0.0, 0.0, 1e9)?,
            rate_limit_burst: opts.int("rateLimitBurst", 1, 1, 1_000_000)? as u32,
            arrow_batch_size: opts.int("arrowBatchSize", 1024, 1, 1 << 24)? as usize,
            connect_timeout: Duration::from_millis(opts.int(
                "connectTimeout",
                5_000,
                1,
                3_600_000,
            )?),
            request_timeout: Duration::from_millis(opts.int(
                "requestTimeout",
                30_000,
                1,
                86_400_000,
            )?),
            circuit_breaker_threshold: opts.int("circuitBreakerThreshold", 0, 0, 1_000_000)? as u32,
            circuit_breaker_cooldown: Duration::from_millis(opts.int(
                "circuitBreakerCooldown",
                30_000,
                0,
                86_400_000,
            )?),
            max_response_bytes: opts.int("maxResponseBytes", 10_485_760, 1, 1 << 40)? as usize,
            data_field: opts.optional("dataField").map(split_path),
            explode,
            array_column: opts
                .optional("arrayColumn")
                .unwrap_or("results")
                .to_string(),
            array_mode: opts.optional("arrayColumn").is_some() && !explode,
            tls_ca_cert: opts.optional("tlsCaCert").map(PathBuf::from),
            tls_insecure: opts.boolean("tlsInsecure", false)?,
            url,
            method,
            headers,
            retry,
            cache,
            on_error,
            auth,
            allowed_hosts,
            batch,
        })
    }
}

/// The options as they may be shown: secret values replaced.
pub fn redacted(raw: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    raw.iter()
        .map(|(k, v)| {
            let shown = if option_names::is_secret_option(k) {
                REDACTED.to_string()
            } else if k == "headers" {
                redact_headers_json(v)
            } else {
                v.clone()
            };
            (k.clone(), shown)
        })
        .collect()
}

fn redact_headers_json(v: &str) -> String {
    match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(v) {
        Ok(map) => {
            let shown: serde_json::Map<_, _> = map
                .into_iter()
                .map(|(k, v)| {
                    let v = if option_names::is_secret_header(&k) {
                        REDACTED.into()
                    } else {
                        v
                    };
                    (k, v)
                })
                .collect();
            serde_json::Value::Object(shown).to_string()
        }
        Err(_) => REDACTED.to_string(),
    }
}

fn check_names(raw: &BTreeMap<String, String>) -> Result<()> {
    for name in raw.keys() {
        if !option_names::is_known(name) {
            let hint = match option_names::suggest(name) {
                Some(s) => format!(" Did you mean '{s}'?"),
                None => String::new(),
            };
            return Err(invalid(format!(
                "unknown option '{name}'.{hint} See the options table in the README for every option."
            )));
        }
    }
    Ok(())
}

fn bad(option: &str, value: &str, allowed: &str) -> crate::error::EngineError {
    let shown = if option_names::is_secret_option(option) {
        REDACTED
    } else {
        value
    };
    invalid(format!(
        "option '{option}' has invalid value '{shown}': allowed is {allowed}"
    ))
}

/// `data.items` -> ["data", "items"].
pub fn split_path(path: &str) -> Vec<String> {
    path.split('.')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The host of a URL template; templated hosts need `allowedHosts`.
fn template_host(option: &str, url: &str) -> Result<String> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| bad(option, url, "an http:// or https:// URL"))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('{') {
        return Err(invalid(format!(
            "option '{option}' puts a column into the host ('{url}'): set 'allowedHosts' to the hosts it may reach"
        )));
    }
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    if host.is_empty() {
        return Err(bad(option, url, "a URL with a host"));
    }
    Ok(host.to_ascii_lowercase())
}

fn check_header_name(option: &str, name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(bad(
            option,
            name,
            "a header name of letters, digits and !#$%&'*+-.^_`|~",
        ))
    }
}

fn check_header_value(option: &str, value: &str) -> Result<()> {
    if value.contains(['\r', '\n', '\0']) {
        // Never echo the value: it may be a credential.
        return Err(invalid(format!(
            "option '{option}' has a header value with CR, LF or NUL, which is not allowed"
        )));
    }
    Ok(())
}

/// Typed access to the raw map, with the error wording in one place.
struct Reader<'a> {
    raw: &'a BTreeMap<String, String>,
    secrets: Secrets,
}

impl Reader<'_> {
    fn optional(&self, name: &str) -> Option<&str> {
        self.raw.get(name).map(String::as_str)
    }

    fn required(&self, name: &str) -> Result<String> {
        match self.optional(name) {
            Some(v) if !v.trim().is_empty() => Ok(v.to_string()),
            _ => Err(invalid(format!("option '{name}' is required"))),
        }
    }

    /// A value that may be `env:NAME`, read from the environment on engines.
    fn secret(&self, name: &str) -> Result<Option<String>> {
        let Some(v) = self.optional(name) else {
            return Ok(None);
        };
        resolve_env(name, v, self.secrets).map(Some)
    }

    fn required_secret(&self, name: &str, auth: &str) -> Result<String> {
        self.secret(name)?
            .filter(|v| !v.is_empty())
            .ok_or_else(|| invalid(format!("auth '{auth}' needs option '{name}'")))
    }

    fn int(&self, name: &str, default: u64, min: u64, max: u64) -> Result<u64> {
        let Some(v) = self.optional(name) else {
            return Ok(default);
        };
        match v.trim().parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(bad(name, v, &format!("a whole number from {min} to {max}"))),
        }
    }

    fn float(&self, name: &str, default: f64, min: f64, max: f64) -> Result<f64> {
        let Some(v) = self.optional(name) else {
            return Ok(default);
        };
        match v.trim().parse::<f64>() {
            Ok(n) if n.is_finite() && n >= min && n <= max => Ok(n),
            _ => Err(bad(name, v, &format!("a number from {min} to {max}"))),
        }
    }

    fn boolean(&self, name: &str, default: bool) -> Result<bool> {
        match self.optional(name).map(|v| v.trim().to_ascii_lowercase()) {
            None => Ok(default),
            Some(v) if v == "true" => Ok(true),
            Some(v) if v == "false" => Ok(false),
            Some(v) => Err(bad(name, &v, "true or false")),
        }
    }

    fn statuses(&self, name: &str, default: &[u16]) -> Result<Vec<u16>> {
        let Some(v) = self.optional(name) else {
            return Ok(default.to_vec());
        };
        v.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| match s.parse::<u16>() {
                Ok(n) if (100..=599).contains(&n) => Ok(n),
                _ => Err(bad(
                    name,
                    v,
                    "a comma-separated list of HTTP statuses (100-599)",
                )),
            })
            .collect()
    }

    fn method(&self) -> Result<reqwest::Method> {
        let v = self.optional("method").unwrap_or("GET");
        match v.to_ascii_uppercase().as_str() {
            "GET" => Ok(reqwest::Method::GET),
            "POST" => Ok(reqwest::Method::POST),
            "PUT" => Ok(reqwest::Method::PUT),
            "PATCH" => Ok(reqwest::Method::PATCH),
            "DELETE" => Ok(reqwest::Method::DELETE),
            _ => Err(bad("method", v, "GET, POST, PUT, PATCH or DELETE")),
        }
    }

    /// `headers` (a JSON object) plus every `header.<Name>` option.
    fn headers(&self) -> Result<Vec<(String, String)>> {
        let mut out = Vec::new();
        if let Some(json) = self.optional("headers") {
            let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(json)
                .map_err(|_| {
                    invalid(
                        "option 'headers' must be a JSON object of header names to string values",
                    )
                })?;
            for (name, value) in map {
                let serde_json::Value::String(value) = value else {
                    return Err(invalid(format!(
                        "option 'headers' has a non-string value for header '{name}'"
                    )));
                };
                out.push((name, value));
            }
        }
        for (key, value) in self.raw {
            if let Some(name) = key.strip_prefix(HEADER_PREFIX) {
                out.push((name.to_string(), value.clone()));
            }
        }
        out.into_iter()
            .map(|(name, value)| {
                let option = format!("{HEADER_PREFIX}{name}");
                check_header_name(&option, &name)?;
                let value = resolve_env(&option, &value, self.secrets)?;
                check_header_value(&option, &value)?;
                Ok((name, value))
            })
            .collect()
    }

    fn auth(&self) -> Result<AuthConfig> {
        let kind = self.optional("auth").unwrap_or("none").to_ascii_lowercase();
        let auth = match kind.as_str() {
            "none" => AuthConfig::None,
            "bearer" => AuthConfig::Bearer {
                token: self.required_secret("token", "bearer")?,
            },
            "basic" => AuthConfig::Basic {
                user: self.required_secret("userId", "basic")?,
                password: self.secret("userPassword")?.unwrap_or_default(),
            },
            "apikey" => AuthConfig::ApiKey {
                header: self
                    .optional("apiKeyHeader")
                    .unwrap_or("X-API-Key")
                    .to_string(),
                key: self.required_secret("apiKey", "apikey")?,
            },
            "oauth2" => AuthConfig::OAuth2 {
                token_url: self.required("oauth2TokenUrl")?,
                client_id: self.required_secret("oauth2ClientId", "oauth2")?,
                client_secret: self.required_secret("oauth2ClientSecret", "oauth2")?,
                scope: self.optional("oauth2Scope").map(str::to_string),
            },
            _ => return Err(bad("auth", &kind, "none, bearer, basic, apikey or oauth2")),
        };
        for secret in ["token", "userPassword", "apiKey"] {
            if let Some(v) = self.secret(secret)? {
                check_header_value(secret, &v)?;
            }
        }
        Ok(auth)
    }

    fn batch_endpoint(&self, url: &str) -> Result<Option<BatchEndpoint>> {
        let Some(key_column) = self.optional("batchKey") else {
            return Ok(None);
        };
        let body = self
            .optional("batchBody")
            .unwrap_or(r#"{"ids": {keys}}"#)
            .to_string();
        if !body.contains("{keys}") {
            return Err(bad("batchBody", &body, "a body template containing {keys}"));
        }
        Ok(Some(BatchEndpoint {
            key_column: key_column.to_string(),
            url: self.optional("batchUrl").unwrap_or(url).to_string(),
            request_size: self.int("batchRequestSize", 100, 1, 100_000)? as usize,
            body,
            results_field: split_path(self.optional("batchResultsField").unwrap_or("results")),
            result_key: self.optional("batchResultKey").map(str::to_string),
        }))
    }
}

/// `env:NAME` -> the variable's value (when resolving), else the value itself.
fn resolve_env(option: &str, value: &str, secrets: Secrets) -> Result<String> {
    match (value.strip_prefix("env:"), secrets) {
        (Some(var), Secrets::Resolve) => std::env::var(var).map_err(|_| {
            invalid(format!("option '{option}' reads environment variable '{var}', which is not set on this executor"))
        }),
        _ => Ok(value.to_string()),
    }
}

#[cfg(test)]
mod tests {
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
}
