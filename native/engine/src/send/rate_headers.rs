//! What a server says about its rate limit, from its response headers:
//! - the IETF draft "RateLimit header fields for HTTP", both its early
//!   form (`RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`,
//!   reset in delta seconds) and its structured form (`RateLimit:
//!   "default";r=0;t=12` with `RateLimit-Policy: "default";q=100;w=60`,
//!   and the intermediate `RateLimit: limit=100, remaining=0, reset=12`);
//! - GitHub's and Stripe's `X-RateLimit-Limit`, `-Remaining`, `-Reset`,
//!   whose reset is epoch seconds (GitHub), epoch milliseconds, or a delta.
//!
//! `Retry-After` is read by `attempt` (it also drives the retry wait).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;

/// The budget of the current window as the server reported it; any part
/// may be missing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateInfo {
    /// Requests allowed per window (the quota).
    pub limit: Option<u64>,
    /// Requests left in the current window.
    pub remaining: Option<u64>,
    /// Time until the window resets (the budget is full again).
    pub reset: Option<Duration>,
}

impl RateInfo {
    pub fn is_empty(&self) -> bool {
        *self == RateInfo::default()
    }
}

/// `parse` at the current time. The clock is read only for the one header
/// that needs it (`x-ratelimit-reset`, which may be an epoch): most
/// responses carry none, and one read per response showed in the profile.
pub fn parse_now(headers: &HeaderMap) -> RateInfo {
    // Every name read below contains "ratelimit"; most responses carry
    // none, and one pass over their few names is cheaper than eight
    // lookups by name (each hashed and compared: 1.5 % of the engine).
    if !headers
        .keys()
        .any(|name| name.as_str().contains("ratelimit"))
    {
        return RateInfo::default();
    }
    let now = if headers.contains_key("x-ratelimit-reset") {
        SystemTime::now()
    } else {
        UNIX_EPOCH
    };
    parse(headers, now)
}

/// Reads the rate-limit headers of a response; `now` converts epoch resets.
pub fn parse(headers: &HeaderMap, now: SystemTime) -> RateInfo {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let mut info = RateInfo::default();
    // Structured draft first: it is the newest word.
    if let Some(value) = text("ratelimit") {
        info = structured(value);
    }
    if let Some(policy) = text("ratelimit-policy") {
        info.limit = info.limit.or_else(|| policy_quota(policy));
    }
    info.limit = info
        .limit
        .or_else(|| text("ratelimit-limit").and_then(first_number));
    info.remaining = info
        .remaining
        .or_else(|| text("ratelimit-remaining").and_then(first_number));
    info.reset = info.reset.or_else(|| {
        text("ratelimit-reset")
            .and_then(first_number)
            .map(Duration::from_secs)
    });
    info.limit = info
        .limit
        .or_else(|| text("x-ratelimit-limit").and_then(first_number));
    info.remaining = info
        .remaining
        .or_else(|| text("x-ratelimit-remaining").and_then(first_number));
    info.reset = info.reset.or_else(|| {
        text("x-ratelimit-reset")
            .and_then(|v| v.trim().parse::<f64>().ok())
            .map(|v| epoch_or_delta(v, now))
    });
    info
}

/// `"default";r=50;t=30` (draft 08+, the first item when several) or
/// `limit=100, remaining=50, reset=30` (drafts 05-07).
fn structured(value: &str) -> RateInfo {
    let mut info = RateInfo::default();
    let first_item = value.split(',').next().unwrap_or_default();
    for param in first_item.split(';').skip(1) {
        match param.trim().split_once('=') {
            Some(("r", v)) => info.remaining = first_number(v),
            Some(("t", v)) => info.reset = first_number(v).map(Duration::from_secs),
            _ => {}
        }
    }
    for member in value.split(',') {
        match member.trim().split_once('=') {
            Some(("limit", v)) => info.limit = first_number(v),
            Some(("remaining", v)) => info.remaining = first_number(v),
            Some(("reset", v)) => info.reset = first_number(v).map(Duration::from_secs),
            _ => {}
        }
    }
    info
}

/// The quota of the first policy: `"default";q=100;w=60` or `100;w=60`.
fn policy_quota(value: &str) -> Option<u64> {
    let first_item = value.split(',').next()?;
    let mut params = first_item.split(';');
    let head = params.next().unwrap_or_default();
    params
        .find_map(|p| p.trim().strip_prefix("q=").and_then(first_number))
        .or_else(|| first_number(head))
}

/// The leading whole number of a value (`100`, `100, 100;w=60`, `" 7 "`).
fn first_number(value: &str) -> Option<u64> {
    let digits: String = value
        .trim()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// An X-RateLimit-Reset value: epoch milliseconds, epoch seconds (both far
/// above any delta a server would send), else seconds from now.
fn epoch_or_delta(value: f64, now: SystemTime) -> Duration {
    let now_secs = now
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64();
    let secs = if value > 1e12 {
        value / 1000.0 - now_secs
    } else if value > 1e9 {
        value - now_secs
    } else {
        value
    };
    Duration::from_secs_f64(secs.clamp(0.0, 86_400.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    HeaderName::from_bytes(k.as_bytes()).unwrap(),
                    HeaderValue::from_str(v).unwrap(),
                )
            })
            .collect()
    }

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn early_draft_fields() {
        let info = parse(
            &headers(&[
                ("RateLimit-Limit", "100, 100;w=60"),
                ("RateLimit-Remaining", "7"),
                ("RateLimit-Reset", "30"),
            ]),
            SystemTime::now(),
        );
        assert_eq!(
            info,
            RateInfo {
                limit: Some(100),
                remaining: Some(7),
                reset: Some(Duration::from_secs(30)),
            }
        );
    }

    #[test]
    fn structured_draft_fields() {
        let info = parse(
            &headers(&[
                ("RateLimit", r#""default";r=0;t=12, "daily";r=900;t=3600"#),
                (
                    "RateLimit-Policy",
                    r#""default";q=500;w=1, "daily";q=1000;w=86400"#,
                ),
            ]),
            SystemTime::now(),
        );
        assert_eq!(
            info,
            RateInfo {
                limit: Some(500),
                remaining: Some(0),
                reset: Some(Duration::from_secs(12)),
            }
        );
        let older = parse(
            &headers(&[("RateLimit", "limit=100, remaining=50, reset=5")]),
            SystemTime::now(),
        );
        assert_eq!(older.limit, Some(100));
        assert_eq!(older.remaining, Some(50));
        assert_eq!(older.reset, Some(Duration::from_secs(5)));
        let policy_only = parse(&headers(&[("RateLimit-Policy", "10;w=1")]), at(0));
        assert_eq!(policy_only.limit, Some(10));
    }

    #[test]
    fn x_ratelimit_reset_as_epoch_seconds_millis_or_delta() {
        let now = at(1_700_000_000);
        let epoch = parse(
            &headers(&[
                ("X-RateLimit-Limit", "5000"),
                ("X-RateLimit-Remaining", "0"),
                ("X-RateLimit-Reset", "1700000042"),
            ]),
            now,
        );
        assert_eq!(
            epoch,
            RateInfo {
                limit: Some(5000),
                remaining: Some(0),
                reset: Some(Duration::from_secs(42)),
            }
        );
        let millis = parse(&headers(&[("x-ratelimit-reset", "1700000001500")]), now);
        assert_eq!(millis.reset, Some(Duration::from_millis(1500)));
        let delta = parse(&headers(&[("X-RateLimit-Reset", "3")]), now);
        assert_eq!(delta.reset, Some(Duration::from_secs(3)));
        let past = parse(&headers(&[("X-RateLimit-Reset", "1600000000")]), now);
        assert_eq!(past.reset, Some(Duration::ZERO));
    }

    #[test]
    fn nothing_or_garbage_is_empty() {
        assert!(parse(&headers(&[]), at(0)).is_empty());
        assert!(parse(&headers(&[("RateLimit-Remaining", "lots")]), at(0)).is_empty());
    }

    #[test]
    fn parse_now_reads_every_header_parse_reads_and_skips_responses_without_any() {
        let plain = headers(&[("Content-Type", "application/json"), ("Retry-After", "3")]);
        assert!(parse_now(&plain).is_empty());
        for (name, value) in [
            ("RateLimit", "limit=10, remaining=4, reset=3"),
            ("RateLimit-Remaining", "4"),
            ("X-RateLimit-Remaining", "4"),
        ] {
            let h = headers(&[("Content-Type", "application/json"), (name, value)]);
            assert_eq!(parse_now(&h).remaining, Some(4), "{name}");
        }
        let h = headers(&[("X-RateLimit-Reset", "3")]);
        assert_eq!(parse_now(&h).reset, Some(Duration::from_secs(3)));
    }
}
