//! Typed access to an options map with the error wording in one place, and
//! the checks of URLs and header names/values that option parsing shares.

use std::collections::BTreeMap;

use crate::error::{invalid, Result};
use crate::options::engine_options::{split_path, AuthConfig, BatchEndpoint, Secrets};
use crate::options::option_names::{self, HEADER_PREFIX, REDACTED};

pub(crate) fn bad(option: &str, value: &str, allowed: &str) -> crate::error::EngineError {
    let shown = if option_names::is_secret_option(option) {
        REDACTED
    } else {
        value
    };
    invalid(format!(
        "option '{option}' has invalid value '{shown}': allowed is {allowed}"
    ))
}

/// The host of a URL template; templated hosts need `allowedHosts`.
pub(crate) fn template_host(option: &str, url: &str) -> Result<String> {
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

pub(crate) fn check_header_name(option: &str, name: &str) -> Result<()> {
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
pub(crate) struct Reader<'a> {
    pub(crate) raw: &'a BTreeMap<String, String>,
    pub(crate) secrets: Secrets,
}

impl Reader<'_> {
    pub(crate) fn optional(&self, name: &str) -> Option<&str> {
        self.raw.get(name).map(String::as_str)
    }

    pub(crate) fn required(&self, name: &str) -> Result<String> {
        match self.optional(name) {
            Some(v) if !v.trim().is_empty() => Ok(v.to_string()),
            _ => Err(invalid(format!("option '{name}' is required"))),
        }
    }

    /// A value that may be `env:NAME`, read from the environment on engines.
    pub(crate) fn secret(&self, name: &str) -> Result<Option<String>> {
        let Some(v) = self.optional(name) else {
            return Ok(None);
        };
        resolve_env(name, v, self.secrets).map(Some)
    }

    pub(crate) fn required_secret(&self, name: &str, auth: &str) -> Result<String> {
        self.secret(name)?
            .filter(|v| !v.is_empty())
            .ok_or_else(|| invalid(format!("auth '{auth}' needs option '{name}'")))
    }

    pub(crate) fn int(&self, name: &str, default: u64, min: u64, max: u64) -> Result<u64> {
        let Some(v) = self.optional(name) else {
            return Ok(default);
        };
        match v.trim().parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(bad(name, v, &format!("a whole number from {min} to {max}"))),
        }
    }

    pub(crate) fn float(&self, name: &str, default: f64, min: f64, max: f64) -> Result<f64> {
        let Some(v) = self.optional(name) else {
            return Ok(default);
        };
        match v.trim().parse::<f64>() {
            Ok(n) if n.is_finite() && n >= min && n <= max => Ok(n),
            _ => Err(bad(name, v, &format!("a number from {min} to {max}"))),
        }
    }

    pub(crate) fn boolean(&self, name: &str, default: bool) -> Result<bool> {
        match self.optional(name).map(|v| v.trim().to_ascii_lowercase()) {
            None => Ok(default),
            Some(v) if v == "true" => Ok(true),
            Some(v) if v == "false" => Ok(false),
            Some(v) => Err(bad(name, &v, "true or false")),
        }
    }

    pub(crate) fn statuses(&self, name: &str, default: &[u16]) -> Result<Vec<u16>> {
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

    pub(crate) fn method(&self) -> Result<reqwest::Method> {
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
    pub(crate) fn headers(&self) -> Result<Vec<(String, String)>> {
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

    pub(crate) fn auth(&self) -> Result<AuthConfig> {
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

    pub(crate) fn batch_endpoint(&self, url: &str) -> Result<Option<BatchEndpoint>> {
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
