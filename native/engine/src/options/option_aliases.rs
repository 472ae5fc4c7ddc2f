//! The option names users bring with them, and what spark-rest makes of
//! them (SPEC.md section 4, README "Migrating"):
//!
//! - names of the rwforest `rest` data source (seed 002's origin) are
//!   aliases with the same meaning (`authType`, `oauthToken`, `readTimeout`,
//!   `cookie`, `postInputFormat`, ...), their values converted;
//! - names of seed 000's Python recipes either work the same way
//!   (`status_forcelist`, `concurrent_requests`, `rate_limit_per_second`) or
//!   fail naming the spark-rest option and its unit (`timeout` is seconds in
//!   `requests`, `requestTimeout` is milliseconds);
//! - `streaming` (rwforest's switch for streams) is accepted and ignored.
//!
//! Aliases are matched ignoring case and underscores, so `status_forcelist`,
//! `statusForcelist` and Spark Connect's lower-cased `statusforcelist` are
//! one name. Canonical names are looked up only in `option_names::is_known`.

use std::collections::BTreeMap;

use crate::error::{invalid, Result};
use crate::options::option_names;

/// What an alias becomes.
enum Alias {
    /// Same value under the canonical name.
    Rename(&'static str),
    /// Converted value under the canonical name.
    Convert(&'static str, fn(&str, &str) -> Result<String>),
    /// A header (`cookie` -> `header.Cookie`).
    Header(&'static str),
    /// Refused with a message naming the spark-rest option and its unit.
    Refused(fn(&str) -> String),
}

/// (lower-case name without underscores, what it becomes).
fn alias(name: &str) -> Option<Alias> {
    let key: String = name
        .chars()
        .filter(|c| *c != '_')
        .flat_map(char::to_lowercase)
        .collect();
    Some(match key.as_str() {
        // rwforest `rest` data source
        "authtype" => Alias::Convert("auth", auth_type),
        "oauthtoken" => Alias::Rename("token"),
        "cookie" => Alias::Header("Cookie"),
        "readtimeout" => Alias::Rename("requestTimeout"),
        "connectiontimeout" => Alias::Rename("connectTimeout"),
        "postinputformat" => Alias::Convert("bodyFormat", body_format),
        "includeinputsinoutput" => Alias::Convert("includeInputs", yes_no),
        "jsonpath" => Alias::Convert("dataField", json_path),
        "partitions" => Alias::Rename("inputPartitions"),
        // seed 000's Python recipes: same meaning, same unit
        "statusforcelist" => Alias::Rename("retryOnStatus"),
        "concurrentrequests" => Alias::Rename("concurrency"),
        "ratelimitpersecond" => Alias::Rename("rateLimit"),
        "usecache" => Alias::Rename("cache"),
        "perpage" => Alias::Rename("pageSize"),
        // seed 000's Python recipes: another unit or another idea
        "timeout" => Alias::Refused(timeout_hint),
        "backofffactor" => Alias::Refused(backoff_hint),
        "cachefile" => Alias::Refused(|_| {
            "spark-rest keeps its persistent cache in a directory: use cacheDir=<directory> \
             (one file per directory; cacheTtlSeconds sets how long answers stay)"
                .into()
        }),
        "sleepseconds" => Alias::Refused(sleep_hint),
        "batchsize" if name.contains('_') => Alias::Refused(|_| batch_size_hint().into()),
        _ => return None,
    })
}

/// Where `batchSize`/`batch_size` users usually mean something else.
pub fn batch_size_hint() -> &'static str {
    "batchSize caps streaming micro-batches; for a batch endpoint use batchRequestSize \
     (keys per request) with batchKey"
}

/// The options as the engine reads them: aliases replaced (`normalize`),
/// and `auth` set from the credentials when not given
/// (`option_auth::imply_auth`). Idempotent.
pub fn canonical(raw: &BTreeMap<String, String>) -> Result<BTreeMap<String, String>> {
    let mut out = normalize(raw)?;
    crate::options::option_auth::imply_auth(&mut out)?;
    Ok(out)
}

/// The options with every alias replaced by its canonical name and value;
/// fails on unknown names (with a "did you mean"), on refused recipe names
/// (with the spark-rest option to use), and when an option is given twice
/// under two names.
pub fn normalize(raw: &BTreeMap<String, String>) -> Result<BTreeMap<String, String>> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    let mut given_as: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in raw {
        let (canonical, value) = if option_names::is_known(name) {
            // Seed 002's `streaming` is a known option (streams accept it
            // and change nothing); its value is checked on every surface.
            if name == "streaming" {
                check_boolean(name, value)?;
            }
            (name.clone(), value.clone())
        } else {
            match alias(name) {
                Some(Alias::Rename(to)) => (to.to_string(), value.clone()),
                Some(Alias::Convert(to, convert)) => (to.to_string(), convert(name, value)?),
                Some(Alias::Header(header)) => (
                    format!("{}{header}", option_names::HEADER_PREFIX),
                    value.clone(),
                ),
                Some(Alias::Refused(hint)) => {
                    return Err(invalid(format!(
                        "option '{name}' is not a spark-rest option: {}",
                        hint(value)
                    )))
                }
                None => return Err(unknown(name)),
            }
        };
        if let Some(first) = given_as.get(&canonical) {
            return Err(invalid(format!(
                "options '{first}' and '{name}' both set '{canonical}'; give one of them"
            )));
        }
        given_as.insert(canonical.clone(), name.clone());
        out.insert(canonical, value);
    }
    Ok(out)
}

fn unknown(name: &str) -> crate::error::EngineError {
    let hint = match option_names::suggest(name) {
        Some(s) => format!(" Did you mean '{s}'?"),
        None => String::new(),
    };
    invalid(format!(
        "unknown option '{name}'.{hint} See the options table in the README for every option \
         (and its migration table for names of other tools)."
    ))
}

fn check_boolean(name: &str, value: &str) -> Result<()> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "false" => Ok(()),
        _ => Err(invalid(format!(
            "option '{name}' has invalid value '{value}': allowed is true or false"
        ))),
    }
}

/// rwforest `authType`: Basic, Bearer (OAuth1 is not supported).
fn auth_type(name: &str, value: &str) -> Result<String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "basic" => Ok("basic".into()),
        "bearer" => Ok("bearer".into()),
        "none" => Ok("none".into()),
        "oauth1" => Err(invalid(format!(
            "option '{name}' is 'OAuth1', which spark-rest does not support: use auth=oauth2 \
             (client credentials: oauth2TokenUrl, oauth2ClientId, oauth2ClientSecret), \
             auth=bearer with token, or header.Authorization"
        ))),
        _ => Err(invalid(format!(
            "option '{name}' has invalid value '{value}': allowed is Basic or Bearer \
             (spark-rest's own option auth also takes apikey and oauth2)"
        ))),
    }
}

/// rwforest `postInputFormat`: json, or form (URL-encoded).
fn body_format(name: &str, value: &str) -> Result<String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "json" => Ok("json".into()),
        "form" => Ok("form".into()),
        _ => Err(invalid(format!(
            "option '{name}' has invalid value '{value}': allowed is json or form"
        ))),
    }
}

/// rwforest `includeInputsInOutput`: Y or N.
fn yes_no(name: &str, value: &str) -> Result<String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" | "true" => Ok("true".into()),
        "n" | "no" | "false" => Ok("false".into()),
        _ => Err(invalid(format!(
            "option '{name}' has invalid value '{value}': allowed is Y or N"
        ))),
    }
}

/// rwforest `jsonPath`: `$.data.items` or `data.items` -> `data.items`.
fn json_path(name: &str, value: &str) -> Result<String> {
    let path = value.trim();
    let path = path.strip_prefix('$').unwrap_or(path);
    let path = path.strip_prefix('.').unwrap_or(path);
    if path.contains(['[', ']', '*']) {
        return Err(invalid(format!(
            "option '{name}' has invalid value '{value}': spark-rest's dataField takes a dotted \
             path of field names such as data.items (no [index] or *)"
        )));
    }
    Ok(path.to_string())
}

fn seconds(value: &str) -> Option<f64> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
}

fn timeout_hint(value: &str) -> String {
    let example = seconds(value)
        .map(|s| {
            format!(
                " (timeout={value} seconds is requestTimeout={:.0})",
                s * 1000.0
            )
        })
        .unwrap_or_default();
    format!(
        "timeout is seconds in requests; spark-rest's requestTimeout is milliseconds per \
         attempt{example}, and connectTimeout (milliseconds) bounds connecting"
    )
}

fn backoff_hint(value: &str) -> String {
    let example = seconds(value)
        .map(|s| {
            format!(
                " (backoff_factor={value} waits about {:.0} ms first: retryBackoff={:.0})",
                s * 1000.0,
                s * 1000.0
            )
        })
        .unwrap_or_default();
    format!(
        "use retryBackoff, the first backoff in milliseconds (exponential with full jitter, \
         capped by retryMaxBackoff){example}; maxRetries sets how many retries"
    )
}

fn sleep_hint(value: &str) -> String {
    let example = seconds(value)
        .filter(|s| *s > 0.0)
        .map(|s| {
            format!(
                " (sleep_seconds={value} is rateLimit={})",
                trim_float(1.0 / s)
            )
        })
        .unwrap_or_default();
    format!(
        "spark-rest paces requests with rateLimit, in requests per second for the whole \
         query{example}"
    )
}

fn trim_float(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(pairs: &[(&str, &str)]) -> Result<BTreeMap<String, String>> {
        normalize(
            &pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    fn get(m: &BTreeMap<String, String>, k: &str) -> Option<String> {
        m.get(k).cloned()
    }

    #[test]
    fn rwforest_names_become_spark_rest_options() {
        let m = norm(&[
            ("authType", "Bearer"),
            ("oauthToken", "t"),
            ("cookie", "a=1"),
            ("readTimeout", "1500"),
            ("connectionTimeout", "700"),
            ("postInputFormat", "form"),
            ("includeInputsInOutput", "N"),
            ("jsonPath", "$.data.items"),
            ("partitions", "4"),
            ("streaming", "true"),
            ("queryType", "querystring"),
        ])
        .unwrap();
        assert_eq!(get(&m, "auth").as_deref(), Some("bearer"));
        assert_eq!(get(&m, "token").as_deref(), Some("t"));
        assert_eq!(get(&m, "header.Cookie").as_deref(), Some("a=1"));
        assert_eq!(get(&m, "requestTimeout").as_deref(), Some("1500"));
        assert_eq!(get(&m, "connectTimeout").as_deref(), Some("700"));
        assert_eq!(get(&m, "bodyFormat").as_deref(), Some("form"));
        assert_eq!(get(&m, "includeInputs").as_deref(), Some("false"));
        assert_eq!(get(&m, "dataField").as_deref(), Some("data.items"));
        assert_eq!(get(&m, "inputPartitions").as_deref(), Some("4"));
        assert_eq!(get(&m, "streaming").as_deref(), Some("true"));
        assert_eq!(get(&m, "queryType").as_deref(), Some("querystring"));
    }

    #[test]
    fn oauth1_and_bad_values_fail_clearly() {
        let err = norm(&[("authType", "OAuth1")]).unwrap_err().to_string();
        assert!(err.contains("OAuth1") && err.contains("oauth2"), "{err}");
        assert!(norm(&[("includeInputsInOutput", "maybe")]).is_err());
        assert!(norm(&[("streaming", "yes please")]).is_err());
    }

    #[test]
    fn recipe_names_work_or_name_the_option_and_unit() {
        let m = norm(&[
            ("status_forcelist", "429,503"),
            ("concurrentRequests", "8"),
            ("rate_limit_per_second", "10"),
            ("use_cache", "false"),
            ("per_page", "50"),
        ])
        .unwrap();
        assert_eq!(get(&m, "retryOnStatus").as_deref(), Some("429,503"));
        assert_eq!(get(&m, "concurrency").as_deref(), Some("8"));
        assert_eq!(get(&m, "rateLimit").as_deref(), Some("10"));
        assert_eq!(get(&m, "cache").as_deref(), Some("false"));
        assert_eq!(get(&m, "pageSize").as_deref(), Some("50"));
        let err = norm(&[("timeout", "5")]).unwrap_err().to_string();
        assert!(
            err.contains("requestTimeout=5000") && err.contains("milliseconds"),
            "{err}"
        );
        let err = norm(&[("backoffFactor", "1")]).unwrap_err().to_string();
        assert!(
            err.contains("retryBackoff") && err.contains("milliseconds"),
            "{err}"
        );
        let err = norm(&[("sleep_seconds", "0.1")]).unwrap_err().to_string();
        assert!(
            err.contains("rateLimit=10") && err.contains("per second"),
            "{err}"
        );
        let err = norm(&[("cache_file", "x.db")]).unwrap_err().to_string();
        assert!(err.contains("cacheDir"), "{err}");
        let err = norm(&[("batch_size", "100")]).unwrap_err().to_string();
        assert!(
            err.contains("batchRequestSize") && err.contains("batchKey"),
            "{err}"
        );
    }

    #[test]
    fn one_option_under_two_names_fails_naming_both() {
        let err = norm(&[("readTimeout", "1"), ("requestTimeout", "2")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("readTimeout") && err.contains("requestTimeout"),
            "{err}"
        );
    }

    #[test]
    fn unknown_names_still_get_a_suggestion() {
        let err = norm(&[("concurency", "1")]).unwrap_err().to_string();
        assert!(err.contains("Did you mean 'concurrency'"), "{err}");
    }
}
