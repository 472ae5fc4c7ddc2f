//! The response cache of an engine (`cache`, `cacheTtlSeconds`,
//! `cacheMaxEntries`, `cacheDir`), shared by all its batches. A hit sends no
//! request. Only final, deterministic answers are kept: 2xx, and 4xx except
//! 408 and 429 (which say "try again"); never 5xx, transport errors or
//! circuit-open rows.
//!
//! The memory cache belongs to one engine, so its key is the request alone
//! (method, URL, body): the auth identity and headers are fixed per engine.
//! The disk cache is shared by every engine with the same `cacheDir`, so its
//! key also holds the identity: the auth kind, the user or client id, and a
//! hash of the secret and of the extra headers, never the secret itself.
//!
//! Lookups and stores run on the Spark task thread, before and after the
//! batch's async work, because the disk cache blocks on file I/O.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use moka::sync::Cache;
use moka::Expiry;
use sha2::{Digest as _, Sha256};

use crate::cache::disk_cache::{Digest, DiskCache, Entry};
use crate::metrics::Counters;
use crate::options::engine_options::{AuthConfig, EngineOptions};
use crate::plan::request::RequestSpec;
use crate::send::outcome::Outcome;

pub struct ResponseCache {
    memory: Cache<RequestSpec, Arc<Entry>>,
    disk: Option<DiskCache>,
    identity: String,
    ttl: Duration,
    /// Under OAuth2 a 401 may come from a revoked token, not the request.
    oauth2: bool,
}

/// Each entry lives until its own `expires_at`: entries read back from disk
/// have less than the full TTL left.
struct UntilExpiry;

impl Expiry<RequestSpec, Arc<Entry>> for UntilExpiry {
    fn expire_after_create(
        &self,
        _key: &RequestSpec,
        value: &Arc<Entry>,
        _created_at: Instant,
    ) -> Option<Duration> {
        Some(remaining(value))
    }

    fn expire_after_update(
        &self,
        _key: &RequestSpec,
        value: &Arc<Entry>,
        _updated_at: Instant,
        _duration_until_expiry: Option<Duration>,
    ) -> Option<Duration> {
        Some(remaining(value))
    }
}

fn remaining(entry: &Entry) -> Duration {
    entry
        .expires_at
        .duration_since(SystemTime::now())
        .unwrap_or(Duration::ZERO)
}

impl ResponseCache {
    /// None when caching is off (`cache=false`, a zero TTL or size).
    pub fn new(options: &EngineOptions) -> Option<ResponseCache> {
        let c = &options.cache;
        if !c.enabled || c.ttl.is_zero() || c.max_entries == 0 {
            return None;
        }
        Some(ResponseCache {
            memory: Cache::builder()
                .max_capacity(c.max_entries)
                .expire_after(UntilExpiry)
                .build(),
            disk: c.dir.clone().map(DiskCache::new),
            identity: identity(options),
            ttl: c.ttl,
            oauth2: matches!(options.auth, AuthConfig::OAuth2 { .. }),
        })
    }

    /// The cached outcome of each request, memory first, then disk; counts
    /// the hits.
    pub fn lookup(&self, requests: &[RequestSpec], counters: &Counters) -> Vec<Option<Outcome>> {
        let now = SystemTime::now();
        requests
            .iter()
            .map(|spec| {
                let entry = match self.memory.get(spec) {
                    Some(entry) if entry.expires_at > now => Some(entry),
                    _ => self.read_disk(spec),
                }?;
                Counters::add(&counters.cache_hits, 1);
                Some(Outcome::from_response(entry.status, entry.body.clone()))
            })
            .collect()
    }

    /// The cached outcome of one request; counts the hit in `counters`.
    pub fn lookup_one(&self, spec: &RequestSpec, counters: &Counters) -> Option<Outcome> {
        self.lookup(std::slice::from_ref(spec), counters)
            .pop()
            .flatten()
    }

    /// Keeps one sent request's outcome if it is cacheable.
    pub fn store_one(&self, spec: &RequestSpec, outcome: &Outcome) {
        if outcome.status.is_some_and(|s| self.cacheable(s)) {
            self.store(
                std::slice::from_ref(spec),
                std::slice::from_ref(outcome),
                &[true],
            );
        }
    }

    /// The memory cache's outcome of one request (never blocks); counts
    /// the hit in `counters`.
    pub fn lookup_in_memory(&self, spec: &RequestSpec, counters: &Counters) -> Option<Outcome> {
        let entry = self.memory.get(spec)?;
        if entry.expires_at <= SystemTime::now() {
            return None;
        }
        Counters::add(&counters.cache_hits, 1);
        Some(Outcome::from_response(entry.status, entry.body.clone()))
    }

    /// Keeps a sent request's cacheable outcome in memory only (never
    /// blocks, so it runs on the runtime as the answer arrives; the disk
    /// store follows on the task thread through `store_one`).
    pub fn store_in_memory(&self, spec: &RequestSpec, outcome: &Outcome) {
        let (Some(status), Some(body)) = (outcome.status, &outcome.body) else {
            return;
        };
        if self.cacheable(status) {
            let entry = Entry {
                status,
                body: body.clone(),
                expires_at: SystemTime::now() + self.ttl,
            };
            self.memory.insert(spec.clone(), Arc::new(entry));
        }
    }

    fn read_disk(&self, spec: &RequestSpec) -> Option<Arc<Entry>> {
        let entry = Arc::new(self.disk.as_ref()?.get(&self.digest(spec))?);
        self.memory.insert(spec.clone(), Arc::clone(&entry));
        Some(entry)
    }

    /// Keeps the cacheable outcomes of the requests that were sent.
    pub fn store(&self, requests: &[RequestSpec], outcomes: &[Outcome], sent: &[bool]) {
        let expires_at = SystemTime::now() + self.ttl;
        let mut to_disk = Vec::new();
        for ((spec, outcome), sent) in requests.iter().zip(outcomes).zip(sent) {
            let (true, Some(status), Some(body)) = (*sent, outcome.status, &outcome.body) else {
                continue;
            };
            if !self.cacheable(status) {
                continue;
            }
            let entry = Entry {
                status,
                body: body.clone(),
                expires_at,
            };
            if self.disk.is_some() {
                to_disk.push((self.digest(spec), entry.clone()));
            }
            self.memory.insert(spec.clone(), Arc::new(entry));
        }
        if let Some(disk) = &self.disk {
            disk.put_all(&to_disk);
        }
    }

    fn cacheable(&self, status: u16) -> bool {
        match status {
            200..=299 => true,
            401 if self.oauth2 => false,
            408 | 429 => false,
            400..=499 => true,
            _ => false,
        }
    }

    /// The disk key: SHA-256 over the length-prefixed request and identity.
    fn digest(&self, spec: &RequestSpec) -> Digest {
        let body = spec.body.as_deref();
        sha256(&[
            "spark-rest-cache-v1",
            spec.method.as_str(),
            &spec.url,
            if body.is_some() { "body" } else { "no body" },
            body.unwrap_or_default(),
            &self.identity,
        ])
    }
}

/// Who asks, as far as the answer may depend on it: the auth kind, the
/// public part of the credentials, and a hash of the secret part and of the
/// extra headers (which may hold credentials too).
pub fn identity(options: &EngineOptions) -> String {
    let auth = match &options.auth {
        AuthConfig::None => "none".to_string(),
        AuthConfig::Bearer { token } => format!("bearer:{}", short_hash(token)),
        AuthConfig::Basic { user, password } => {
            format!("basic:{user}:{}", short_hash(password))
        }
        AuthConfig::ApiKey { header, key } => format!("apikey:{header}:{}", short_hash(key)),
        AuthConfig::OAuth2 {
            token_url,
            client_id,
            client_secret,
            scope,
        } => format!(
            "oauth2:{token_url}:{client_id}:{}:{}",
            scope.as_deref().unwrap_or_default(),
            short_hash(client_secret)
        ),
    };
    let headers: Vec<String> = options
        .headers
        .iter()
        .map(|(name, value)| format!("{}={value}", name.to_ascii_lowercase()))
        .collect();
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    format!("{auth}|headers:{}", hex(&sha256(&headers)[..8]))
}

fn short_hash(secret: &str) -> String {
    hex(&sha256(&[secret])[..8])
}

/// SHA-256 of the parts, each prefixed by its length so that no two lists
/// of parts hash alike.
fn sha256(parts: &[&str]) -> Digest {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hasher.finalize().into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(pairs: &[(&str, &str)]) -> EngineOptions {
        crate::test_support::parsed_options("http://127.0.0.1:1/c/{id}", pairs)
    }

    fn get(url: &str) -> RequestSpec {
        RequestSpec {
            method: reqwest::Method::GET,
            url: url.into(),
            body: None,
        }
    }

    #[test]
    fn only_deterministic_sent_answers_are_kept() {
        let cache = ResponseCache::new(&options(&[])).unwrap();
        let requests: Vec<_> = ["/a", "/b", "/c", "/d", "/e"].map(get).into();
        let outcomes = [
            Outcome::from_response(200, b"ok".to_vec()),
            Outcome::from_response(404, b"nope".to_vec()),
            Outcome::from_response(503, Vec::new()),
            Outcome::failed("connection failed"),
            Outcome::from_response(200, b"from cache".to_vec()),
        ];
        cache.store(&requests, &outcomes, &[true, true, true, true, false]);
        let counters = Counters::default();
        let hits = cache.lookup(&requests, &counters);
        assert_eq!(hits[0].as_ref().unwrap().body.as_deref(), Some(&b"ok"[..]));
        assert_eq!(hits[1].as_ref().unwrap().status, Some(404));
        assert!(hits[2].is_none() && hits[3].is_none() && hits[4].is_none());
        assert_eq!(Counters::get(&counters.cache_hits), 2);
        for (status, kept) in [
            (204, true),
            (400, true),
            (408, false),
            (429, false),
            (500, false),
        ] {
            assert_eq!(cache.cacheable(status), kept, "{status}");
        }
        let oauth = options(&[
            ("auth", "oauth2"),
            ("oauth2TokenUrl", "http://127.0.0.1:1/t"),
            ("oauth2ClientId", "id"),
            ("oauth2ClientSecret", "s"),
        ]);
        assert!(!ResponseCache::new(&oauth).unwrap().cacheable(401));
    }

    #[test]
    fn expired_entries_are_misses_and_off_means_none() {
        let cache = ResponseCache::new(&options(&[])).unwrap();
        let stale = Entry {
            status: 200,
            body: Vec::new(),
            expires_at: SystemTime::now() - Duration::from_secs(1),
        };
        cache.memory.insert(get("/x"), Arc::new(stale));
        assert!(cache.lookup(&[get("/x")], &Counters::default())[0].is_none());
        assert!(ResponseCache::new(&options(&[("cache", "false")])).is_none());
        assert!(ResponseCache::new(&options(&[("cacheMaxEntries", "0")])).is_none());
    }

    #[test]
    fn identity_tells_credentials_apart_without_holding_them() {
        let basic = |password: &str| {
            identity(&options(&[
                ("auth", "basic"),
                ("userId", "ann"),
                ("userPassword", password),
            ]))
        };
        let a = basic("hunter2");
        assert!(a.starts_with("basic:ann:") && !a.contains("hunter2"), "{a}");
        assert_eq!(a, basic("hunter2"));
        assert_ne!(a, basic("hunter3"));
        let with_header = identity(&options(&[("header.X-Api-Key", "k3y")]));
        assert!(!with_header.contains("k3y"));
        assert_ne!(with_header, identity(&options(&[])));
    }
}
