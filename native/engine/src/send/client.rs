//! Builds the one reqwest client (keep-alive pool, TLS, timeouts, static
//! credentials) of an engine, and the headers the direct HTTP path sends.

use reqwest::header::{
    HeaderMap, HeaderName, HeaderValue, ACCEPT, ACCEPT_ENCODING, AUTHORIZATION, USER_AGENT,
};

use crate::error::{invalid, Result};
use crate::options::engine_options::{AuthConfig, EngineOptions};

pub fn build_client(options: &EngineOptions) -> Result<reqwest::Client> {
    let builder = reqwest::Client::builder()
        .default_headers(request_headers(options)?)
        .pool_max_idle_per_host(options.concurrency)
        // Connects wait while a connection is on its way back to the pool,
        // so connections per host stay within the requests in flight.
        .connector_layer(crate::send::connection_cap::GateLayer);
    with_transport(builder, options)
}

/// The client of the OAuth2 token endpoint: the same TLS settings and
/// timeouts, but none of the API's headers (they may hold credentials
/// meant for the API only).
pub fn build_token_client(options: &EngineOptions) -> Result<reqwest::Client> {
    with_transport(
        reqwest::Client::builder().user_agent(SPARK_REST_AGENT),
        options,
    )
}

const SPARK_REST_AGENT: &str = concat!("spark-rest/", env!("CARGO_PKG_VERSION"));

/// The headers of every API request on the direct path (`direct_http`):
/// what reqwest adds by itself (accepted types and encodings) plus
/// `request_headers`.
pub fn direct_headers(options: &EngineOptions) -> Result<HeaderMap> {
    let mut map = request_headers(options)?;
    for (name, value) in [(ACCEPT, "*/*"), (ACCEPT_ENCODING, "gzip, br")] {
        if !map.contains_key(&name) {
            map.insert(name, HeaderValue::from_static(value));
        }
    }
    Ok(map)
}

/// Our user agent, then the `headers` option (a `User-Agent` there wins:
/// some APIs ask callers to name themselves) and the static credentials.
fn request_headers(options: &EngineOptions) -> Result<HeaderMap> {
    let mut map = default_headers(options)?;
    if !map.contains_key(USER_AGENT) {
        map.insert(USER_AGENT, HeaderValue::from_static(SPARK_REST_AGENT));
    }
    Ok(map)
}

/// Timeouts and TLS roots, shared by both clients.
fn with_transport(
    builder: reqwest::ClientBuilder,
    options: &EngineOptions,
) -> Result<reqwest::Client> {
    let mut builder = builder
        .connect_timeout(options.connect_timeout)
        .timeout(options.request_timeout)
        .tcp_nodelay(true)
        .danger_accept_invalid_certs(options.tls_insecure);
    if let Some(path) = &options.tls_ca_cert {
        let pem = std::fs::read(path).map_err(|e| {
            invalid(format!(
                "option 'tlsCaCert': cannot read '{}': {e}",
                path.display()
            ))
        })?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
            invalid(format!(
                "option 'tlsCaCert': '{}' is not a PEM bundle: {e}",
                path.display()
            ))
        })?;
        // A file without any PEM certificate parses as an empty bundle:
        // refuse it rather than silently trusting nothing extra.
        if certs.is_empty() {
            return Err(invalid(format!(
                "option 'tlsCaCert': '{}' holds no PEM certificate",
                path.display()
            )));
        }
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    builder.build().map_err(|e| {
        crate::error::EngineError::Internal(format!("cannot build the HTTP client: {e}"))
    })
}

/// Extra headers plus the static credentials, secrets marked sensitive so
/// that reqwest never prints them.
fn default_headers(options: &EngineOptions) -> Result<HeaderMap> {
    let mut map = HeaderMap::new();
    for (name, value) in &options.headers {
        insert(
            &mut map,
            name,
            value,
            crate::options::option_names::is_secret_header(name),
        )?;
    }
    match &options.auth {
        AuthConfig::Bearer { token } => insert(
            &mut map,
            AUTHORIZATION.as_str(),
            &format!("Bearer {token}"),
            true,
        )?,
        AuthConfig::Basic { user, password } => {
            let encoded = base64(format!("{user}:{password}").as_bytes());
            insert(
                &mut map,
                AUTHORIZATION.as_str(),
                &format!("Basic {encoded}"),
                true,
            )?
        }
        AuthConfig::ApiKey { header, key } => insert(&mut map, header, key, true)?,
        AuthConfig::None | AuthConfig::OAuth2 { .. } => {}
    }
    Ok(map)
}

fn insert(map: &mut HeaderMap, name: &str, value: &str, sensitive: bool) -> Result<()> {
    let name = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| invalid(format!("header name '{name}' is not valid")))?;
    let mut value = HeaderValue::from_str(value).map_err(|_| {
        invalid(format!(
            "the value of header '{name}' is not a valid header value"
        ))
    })?;
    value.set_sensitive(sensitive);
    map.insert(name, value);
    Ok(())
}

/// Standard base64 with padding (RFC 4648), for basic auth.
pub fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(super::base64(b"user:pass"), "dXNlcjpwYXNz");
        assert_eq!(super::base64(b"a"), "YQ==");
        assert_eq!(super::base64(b"ab"), "YWI=");
        assert_eq!(super::base64(b""), "");
    }
}
