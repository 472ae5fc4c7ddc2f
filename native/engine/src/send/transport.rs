//! What sends requests and remembers answers: the HTTP client and its
//! limits (sender) and the response cache. Engines whose options differ only
//! in how responses are *read* (`schema`, `dataField`, `explode`,
//! `arrayColumn`) share one transport, so schema inference's sampled
//! responses are served from the cache to the query that follows, and one
//! executor keeps one concurrency cap and one rate limiter per API.

use std::collections::BTreeMap;

use crate::cache::response_cache::ResponseCache;
use crate::error::Result;
use crate::options::engine_options::EngineOptions;
use crate::send::oauth::OAuth2;
use crate::send::sender::Sender;
use crate::send::single_flight::SingleFlight;

/// Options that only change how a response is decoded.
const READ_ONLY_OPTIONS: &[&str] = &[
    "schema",
    "dataField",
    "explode",
    "arrayColumn",
    "inferSchema",
    "schemaSampleSize",
];

pub struct Transport {
    pub sender: Sender,
    /// None when `cache=false`.
    pub cache: Option<ResponseCache>,
    /// Identical requests in flight at once are sent once.
    pub single_flight: SingleFlight,
}

impl Transport {
    pub fn new(options: &EngineOptions) -> Result<Transport> {
        let client = crate::send::client::build_client(options)?;
        let direct = crate::send::direct_http::DirectHttp::new(
            options.throughput.concurrency.ceiling(),
            options.connect_timeout,
            crate::send::client::direct_headers(options)?,
        );
        Ok(Transport {
            sender: Sender::new(client, direct, OAuth2::from_options(options)?, options),
            cache: ResponseCache::new(options),
            single_flight: SingleFlight::default(),
        })
    }
}

/// The registry key of the transport for these raw options.
pub fn transport_key(raw: &BTreeMap<String, String>) -> String {
    let sending: BTreeMap<&String, &String> = raw
        .iter()
        .filter(|(k, _)| !READ_ONLY_OPTIONS.contains(&k.as_str()))
        .collect();
    serde_json::to_string(&sending).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_options_do_not_change_the_transport() {
        let base: BTreeMap<String, String> =
            [("url".to_string(), "http://h/{id}".to_string())].into();
        let mut typed = base.clone();
        typed.insert("schema".into(), "a INT".into());
        typed.insert("dataField".into(), "data".into());
        let mut faster = base.clone();
        faster.insert("concurrency".into(), "64".into());
        assert_eq!(transport_key(&base), transport_key(&typed));
        assert_ne!(transport_key(&base), transport_key(&faster));
    }
}
