//! Typed engine options parsed from the string map every surface passes in
//! (SPEC.md section 4). Validation happens here, once, for all surfaces: the
//! JVM calls it at analysis time so a typo fails before any task starts.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::error::{invalid, Result};
use crate::options::option_body::InputFields;
use crate::options::option_reader::{bad, check_header_name, template_host, Reader};
pub use crate::options::option_redaction::redacted;

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
    pub throughput: crate::options::throughput_options::Throughput,
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
    /// Input columns sent without a template: default body, URL parameters.
    pub input_fields: InputFields,
    /// No `Content-Type` header is given, so bodies are sent as JSON (or
    /// form, see `bodyFormat`, which adds the header).
    pub json_content_type: bool,
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
        let canonical = crate::options::option_aliases::canonical(raw)?;
        let raw = &canonical;
        let opts = Reader { raw, secrets };
        let url = opts.required("url")?;
        let method = opts.method()?;
        let mut headers = opts.headers()?;
        let input_fields =
            crate::options::option_body::parse(raw, &method, opts.optional("body").is_some())?;
        let form = input_fields
            .default_body
            .as_ref()
            .is_some_and(|b| b.format == crate::options::option_body::BodyFormat::Form);
        let has_content_type = headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-type"));
        if form && !has_content_type {
            headers.push((
                "Content-Type".into(),
                "application/x-www-form-urlencoded".into(),
            ));
        }
        opts.int("inputPartitions", 1, 1, 1_000_000)?;
        opts.boolean("includeInputs", true)?;
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
        let throughput = crate::options::throughput_options::parse(raw)?;
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
            json_content_type: !has_content_type && !form,
            input_fields,
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

/// `data.items` -> ["data", "items"].
pub fn split_path(path: &str) -> Vec<String> {
    path.split('.')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
#[path = "engine_options_tests.rs"]
mod tests;
