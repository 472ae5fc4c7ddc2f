//! Every option name of SPEC.md section 4, which options hold secrets, and the
//! "did you mean" suggestion for unknown names.

/// All option names the project accepts (case-sensitive, as in SPEC.md).
#[rustfmt::skip]
pub const KNOWN_OPTIONS: &[&str] = &[
    // request
    "url", "method", "headers", "body", "bodyColumns", "bodyFormat", "queryType",
    // input (data source only; accepted here so one validator serves all surfaces)
    "input", "inputData", "inputPartitions", "includeInputs",
    // throughput
    "concurrency", "rateLimit", "rateLimitBurst", "arrowBatchSize",
    // adaptive throughput (issue 11)
    "concurrencyMin", "concurrencyMax", "honorRateLimitHeaders",
    // batch endpoint
    "batchKey", "batchUrl", "batchRequestSize", "batchBody", "batchResultsField", "batchResultKey",
    // resilience
    "maxRetries", "retryBackoff", "retryMaxBackoff", "retryOnStatus", "connectTimeout",
    "requestTimeout", "circuitBreakerThreshold", "circuitBreakerCooldown", "onError",
    "maxResponseBytes",
    // cache
    "cache", "cacheTtlSeconds", "cacheMaxEntries", "cacheDir",
    // auth
    "auth", "token", "userId", "userPassword", "apiKey", "apiKeyHeader", "oauth2TokenUrl",
    "oauth2ClientId", "oauth2ClientSecret", "oauth2Scope",
    // response
    "schema", "dataField", "inferSchema", "schemaSampleSize", "explode", "arrayColumn",
    // pagination
    "paginationType", "pageParam", "pageSizeParam", "pageSize", "startPage", "cursorParam",
    "cursorField", "nextUrlField", "hasMoreField", "maxPages",
    // streaming
    "streamingInterval", "offsetType", "offsetField", "initialOffset", "batchSize",
    "maxPollFailures", "streaming",
    // security
    "allowedHosts", "tlsCaCert", "tlsInsecure",
];

/// Prefix of per-header options (`header.X-Trace: abc`).
pub const HEADER_PREFIX: &str = "header.";

/// Options whose values are secrets: never logged, shown or put in an error.
const SECRET_OPTIONS: &[&str] = &["token", "userPassword", "apiKey", "oauth2ClientSecret"];

/// Header names whose values are credentials.
const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "x-api-key",
    "cookie",
];

pub const REDACTED: &str = "*****";

/// True when the value of this option must never be shown.
pub fn is_secret_option(name: &str) -> bool {
    if SECRET_OPTIONS.contains(&name) {
        return true;
    }
    name.strip_prefix(HEADER_PREFIX)
        .is_some_and(is_secret_header)
}

/// True for header names that carry credentials.
pub fn is_secret_header(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    SECRET_HEADERS.contains(&lower.as_str()) || lower.contains("token") || lower.contains("secret")
}

/// True when `name` is an option the project knows.
pub fn is_known(name: &str) -> bool {
    KNOWN_OPTIONS.contains(&name) || name.starts_with(HEADER_PREFIX)
}

/// The known option closest to `name` (edit distance, case-insensitive), if
/// it is close enough to be a likely typo.
pub fn suggest(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    KNOWN_OPTIONS
        .iter()
        .map(|k| (edit_distance(&lower, &k.to_ascii_lowercase()), *k))
        .filter(|(d, k)| *d <= (k.len() / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Levenshtein distance over chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names() {
        assert_eq!(suggest("concurency"), Some("concurrency"));
        assert_eq!(suggest("ratelimit"), Some("rateLimit"));
        assert_eq!(suggest("max_retries"), Some("maxRetries"));
        assert_eq!(suggest("zzzzzzzzzzzz"), None);
    }

    #[test]
    fn secrets_are_recognised() {
        assert!(is_secret_option("token"));
        assert!(is_secret_option("header.Authorization"));
        assert!(is_secret_option("header.X-Api-Key"));
        assert!(!is_secret_option("header.X-Trace"));
        assert!(!is_secret_option("url"));
    }
}
