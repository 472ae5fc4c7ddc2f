//! The options of adaptive throughput: `concurrency` (a number or `auto`),
//! `concurrencyMin`, `concurrencyMax` and `honorRateLimitHeaders`. Parsed
//! here, apart from the other options, so `engine_options.rs` only calls `parse`.

use std::collections::BTreeMap;

use crate::error::{invalid, Result};

pub const DEFAULT_CONCURRENCY: usize = 32;
pub const DEFAULT_MIN: usize = 4;
pub const DEFAULT_MAX: usize = 512;
const MAX_CONCURRENCY: usize = 100_000;

/// How many requests an executor keeps in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Concurrency {
    /// At most this many, for the whole engine.
    Fixed(usize),
    /// Learned per host between these bounds (`concurrency=auto`).
    Auto { min: usize, max: usize },
}

impl Concurrency {
    /// The most requests that can ever be in flight (sizes the buffers).
    pub fn ceiling(&self) -> usize {
        match *self {
            Concurrency::Fixed(n) => n,
            Concurrency::Auto { max, .. } => max,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throughput {
    pub concurrency: Concurrency,
    /// Pace requests by the servers' rate-limit headers and Retry-After.
    pub honor_rate_limit_headers: bool,
}

pub fn parse(raw: &BTreeMap<String, String>) -> Result<Throughput> {
    let get = |name: &str| raw.get(name).map(|v| v.trim());
    let bound = |name: &str, default: usize| -> Result<usize> {
        match get(name) {
            None => Ok(default),
            Some(v) => match v.parse::<usize>() {
                Ok(n) if (1..=MAX_CONCURRENCY).contains(&n) => Ok(n),
                _ => Err(invalid(format!(
                    "option '{name}' has invalid value '{v}': allowed is a whole number from 1 to {MAX_CONCURRENCY}"
                ))),
            },
        }
    };
    let concurrency = match get("concurrency") {
        Some(v) if v.eq_ignore_ascii_case("auto") => {
            let min = bound("concurrencyMin", DEFAULT_MIN)?;
            let max = bound("concurrencyMax", DEFAULT_MAX)?;
            if min > max {
                return Err(invalid(format!(
                    "option 'concurrencyMin' ({min}) is above 'concurrencyMax' ({max}): the adaptive limit needs min <= max"
                )));
            }
            Concurrency::Auto { min, max }
        }
        other => {
            for name in ["concurrencyMin", "concurrencyMax"] {
                if get(name).is_some() {
                    return Err(invalid(format!(
                        "option '{name}' only applies with concurrency=auto; set 'concurrency' to 'auto' or remove '{name}'"
                    )));
                }
            }
            match other {
                None => Concurrency::Fixed(DEFAULT_CONCURRENCY),
                Some(v) => match v.parse::<usize>() {
                    Ok(n) if (1..=MAX_CONCURRENCY).contains(&n) => Concurrency::Fixed(n),
                    _ => {
                        return Err(invalid(format!(
                            "option 'concurrency' has invalid value '{v}': allowed is auto or a whole number from 1 to {MAX_CONCURRENCY}"
                        )))
                    }
                },
            }
        }
    };
    let honor_rate_limit_headers = match get("honorRateLimitHeaders").map(str::to_ascii_lowercase) {
        None => true,
        Some(v) if v == "true" => true,
        Some(v) if v == "false" => false,
        Some(v) => {
            return Err(invalid(format!(
                "option 'honorRateLimitHeaders' has invalid value '{v}': allowed is true or false"
            )))
        }
    };
    Ok(Throughput {
        concurrency,
        honor_rate_limit_headers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_pairs(pairs: &[(&str, &str)]) -> Result<Throughput> {
        parse(
            &pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn defaults_are_fixed_32_and_honouring_headers() {
        let t = parse_pairs(&[]).unwrap();
        assert_eq!(t.concurrency, Concurrency::Fixed(32));
        assert!(t.honor_rate_limit_headers);
    }

    #[test]
    fn auto_has_bounds() {
        let t = parse_pairs(&[("concurrency", "auto")]).unwrap();
        assert_eq!(t.concurrency, Concurrency::Auto { min: 4, max: 512 });
        assert_eq!(t.concurrency.ceiling(), 512);
        let t = parse_pairs(&[
            ("concurrency", "AUTO"),
            ("concurrencyMin", "2"),
            ("concurrencyMax", "64"),
            ("honorRateLimitHeaders", "false"),
        ])
        .unwrap();
        assert_eq!(t.concurrency, Concurrency::Auto { min: 2, max: 64 });
        assert!(!t.honor_rate_limit_headers);
    }

    #[test]
    fn bad_values_name_the_option_and_the_fix() {
        let err = |pairs: &[(&str, &str)]| parse_pairs(pairs).unwrap_err().to_string();
        let e = err(&[("concurrency", "lots")]);
        assert!(e.contains("'concurrency'") && e.contains("auto or a whole number from 1 to"));
        let e = err(&[("concurrencyMax", "64")]);
        assert!(e.contains("only applies with concurrency=auto"), "{e}");
        let e = err(&[
            ("concurrency", "auto"),
            ("concurrencyMin", "9"),
            ("concurrencyMax", "8"),
        ]);
        assert!(
            e.contains("concurrencyMin") && e.contains("min <= max"),
            "{e}"
        );
        let e = err(&[("concurrency", "auto"), ("concurrencyMin", "0")]);
        assert!(e.contains("'concurrencyMin'") && e.contains("'0'"), "{e}");
        let e = err(&[("honorRateLimitHeaders", "yes")]);
        assert!(e.contains("true or false"), "{e}");
    }
}
