//! Server configuration: the fault knobs, the datasets' sizes and the
//! command-line parser of the `mock-api` binary.
//!
//! The parser is hand-written (a dozen flags do not justify clap) and lives
//! in the library so it is unit-tested like the rest.

/// Everything the server can be told. `Config::default()` is a well-behaved
/// API: no latency, no failures, no limits, no auth.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Port to bind on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Fixed delay added to every data request.
    pub latency_ms: u64,
    /// Extra uniform random delay in `0..=jitter_ms` on top of `latency_ms`.
    pub jitter_ms: u64,
    /// Fraction (0..=1) of data requests answered `straggler_ms` later.
    pub straggler_rate: f64,
    pub straggler_ms: u64,
    /// Fraction (0..=1) of data requests answered with `fail_status`.
    pub fail_rate: f64,
    /// Status of injected failures.
    pub fail_status: u16,
    /// Data requests allowed per wall-clock second; the rest get 429. 0 = off.
    pub limit_rps: u64,
    /// When set, data requests need `Authorization: Bearer <token>`.
    pub require_token: Option<String>,
    /// When set, `/oauth/token` issues tokens for these credentials and data
    /// requests need one of them (unexpired).
    pub oauth_client_id: Option<String>,
    pub oauth_client_secret: Option<String>,
    pub oauth_token_ttl_secs: u64,
    /// Size of the paginated `/items` dataset.
    pub items: u64,
    /// Events per second produced by the feed (at most 1000, so that
    /// millisecond timestamps stay strictly increasing). 0 = no events.
    pub event_rate: u64,
    /// Stop the feed after this many events (0 = never), so tests can wait
    /// for "the API has nothing new".
    pub event_max: u64,
    /// Seed of the fault randomness (fail-rate, jitter); `None` = from the OS.
    pub seed: Option<u64>,
    /// Serve HTTPS (HTTP/1.1 and HTTP/2 via ALPN) with a self-signed
    /// certificate generated at start; see `MockServer::ca_pem`.
    pub tls: bool,
    /// Close each HTTP/1 connection after this many requests, saying
    /// `Connection: close` on the last answer (`keep_alive`). 0 = never.
    pub close_after: u64,
    /// Close a plain-HTTP connection after this many ms without traffic,
    /// with no warning to the client (`idle_close`). 0 = never.
    pub idle_close_ms: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            port: 0,
            latency_ms: 0,
            jitter_ms: 0,
            straggler_rate: 0.0,
            straggler_ms: 500,
            fail_rate: 0.0,
            fail_status: 503,
            limit_rps: 0,
            require_token: None,
            oauth_client_id: None,
            oauth_client_secret: None,
            oauth_token_ttl_secs: 3600,
            items: 250,
            event_rate: 50,
            event_max: 0,
            seed: None,
            tls: false,
            close_after: 0,
            idle_close_ms: 0,
        }
    }
}

/// The binary's `--help` text.
pub const USAGE: &str = "\
mock-api: the spark-rest mock REST API server (binds 127.0.0.1 only)

Prints `LISTENING <port>` on stdout once ready, then serves until killed.
With --tls, first prints `CA <path>`: a PEM file of its self-signed certificate.

  --port N                  port to bind, 0 = any free port (default 0)
  --latency-ms N            fixed delay of every data request (default 0)
  --jitter-ms N             extra random delay 0..=N ms (default 0)
  --straggler-rate F        fraction 0..1 of data requests answered --straggler-ms later (default 0)
  --straggler-ms N          extra delay of stragglers (default 500)
  --fail-rate F             fraction 0..1 of data requests that fail (default 0)
  --fail-status N           status of injected failures (default 503)
  --limit-rps N             data requests per wall-clock second, rest get 429 (default 0 = off)
  --require-token T         data requests need `Authorization: Bearer T`
  --oauth-client-id ID      enable POST /oauth/token for this client; data requests need its token
  --oauth-client-secret S   the client's secret
  --oauth-token-ttl-secs N  lifetime of issued tokens (default 3600)
  --items N                 size of the /items dataset (default 250)
  --event-rate N            events per second, at most 1000 (default 50)
  --event-max N             stop the feed after N events (default 0 = never)
  --seed N                  seed of the fault randomness (default: random)
  --tls                     serve HTTPS (ALPN h2 and http/1.1), self-signed certificate for
                            127.0.0.1 and localhost (`--tls=false` or `--tls false`: plain HTTP)
  --close-after N           close each HTTP/1 connection after N requests, the last answer
                            saying `Connection: close` (default 0 = keep connections open)
  --idle-close-ms N         close a plain-HTTP connection quiet for N ms, without warning
                            (default 0 = never)
  -h, --help                this text
";

impl Config {
    /// Parses the binary's arguments (without the program name). Accepts
    /// `--flag value` and `--flag=value`.
    pub fn from_args<I>(args: I) -> Result<Config, String>
    where
        I: IntoIterator<Item = String>,
    {
        let mut config = Config::default();
        let mut args = args.into_iter().peekable();
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) => (flag.to_string(), Some(value.to_string())),
                None => (arg, None),
            };
            let mut value = || match &inline {
                Some(value) => Ok(value.clone()),
                None => args.next().ok_or_else(|| format!("{flag} needs a value")),
            };
            match flag.as_str() {
                "--port" => config.port = number(&flag, &value()?)?,
                "--latency-ms" => config.latency_ms = number(&flag, &value()?)?,
                "--jitter-ms" => config.jitter_ms = number(&flag, &value()?)?,
                "--straggler-rate" => config.straggler_rate = number(&flag, &value()?)?,
                "--straggler-ms" => config.straggler_ms = number(&flag, &value()?)?,
                "--fail-rate" => config.fail_rate = number(&flag, &value()?)?,
                "--fail-status" => config.fail_status = number(&flag, &value()?)?,
                "--limit-rps" => config.limit_rps = number(&flag, &value()?)?,
                "--require-token" => config.require_token = Some(value()?),
                "--oauth-client-id" => config.oauth_client_id = Some(value()?),
                "--oauth-client-secret" => config.oauth_client_secret = Some(value()?),
                "--oauth-token-ttl-secs" => config.oauth_token_ttl_secs = number(&flag, &value()?)?,
                "--items" => config.items = number(&flag, &value()?)?,
                "--event-rate" => config.event_rate = number(&flag, &value()?)?,
                "--event-max" => config.event_max = number(&flag, &value()?)?,
                "--close-after" => config.close_after = number(&flag, &value()?)?,
                "--idle-close-ms" => config.idle_close_ms = number(&flag, &value()?)?,
                "--seed" => config.seed = Some(number(&flag, &value()?)?),
                // A switch; an explicit boolean is accepted too (`--tls=true`,
                // or `--tls True` as Python harnesses write keyword flags).
                "--tls" => {
                    config.tls = match &inline {
                        Some(value) => boolean(&flag, value)?,
                        None => match args.next_if(|next| boolean(&flag, next).is_ok()) {
                            Some(value) => boolean(&flag, &value)?,
                            None => true,
                        },
                    }
                }
                other => return Err(format!("unknown argument `{other}` (see --help)")),
            }
        }
        config.validate()?;
        Ok(config)
    }

    /// Rejects combinations the server cannot honour. Also called by
    /// `MockServer::start`, so library users get the same checks.
    pub fn validate(&self) -> Result<(), String> {
        if !(0.0..=1.0).contains(&self.fail_rate) {
            return Err(format!(
                "--fail-rate must be within 0..1, got {}",
                self.fail_rate
            ));
        }
        if !(0.0..=1.0).contains(&self.straggler_rate) {
            return Err(format!(
                "--straggler-rate must be within 0..1, got {}",
                self.straggler_rate
            ));
        }
        if !(100..=599).contains(&self.fail_status) {
            return Err(format!(
                "--fail-status must be a status code, got {}",
                self.fail_status
            ));
        }
        if self.event_rate > 1000 {
            // One event per millisecond at most keeps timestamps strictly
            // increasing, which the timestamp offset of streaming relies on.
            return Err(format!(
                "--event-rate must be at most 1000, got {}",
                self.event_rate
            ));
        }
        if self.oauth_client_id.is_some() != self.oauth_client_secret.is_some() {
            return Err("--oauth-client-id and --oauth-client-secret go together".into());
        }
        if self.tls && self.idle_close_ms > 0 {
            return Err("--idle-close-ms applies to plain HTTP only, not with --tls".into());
        }
        Ok(())
    }
}

fn boolean(flag: &str, value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(format!("{flag}: `{value}` is not true or false")),
    }
}

fn number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("{flag}: `{value}` is not a valid number"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Config, String> {
        Config::from_args(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn defaults_mean_no_faults() {
        let config = parse(&[]).unwrap();
        assert_eq!(config, Config::default());
        assert_eq!(config.fail_status, 503);
        assert_eq!(config.items, 250);
        assert_eq!(config.event_rate, 50);
    }

    #[test]
    fn parses_both_flag_forms() {
        let config = parse(&[
            "--port",
            "0",
            "--latency-ms=5",
            "--fail-rate",
            "0.25",
            "--require-token",
            "s3cret",
            "--seed=7",
            "--oauth-client-id",
            "id",
            "--oauth-client-secret",
            "sec",
            "--close-after=5",
            "--idle-close-ms",
            "250",
        ])
        .unwrap();
        assert_eq!(config.close_after, 5);
        assert_eq!(config.idle_close_ms, 250);
        assert_eq!(config.latency_ms, 5);
        assert_eq!(config.fail_rate, 0.25);
        assert_eq!(config.require_token.as_deref(), Some("s3cret"));
        assert_eq!(config.seed, Some(7));
        assert_eq!(config.oauth_client_id.as_deref(), Some("id"));
        assert!(!config.tls);
    }

    #[test]
    fn tls_is_a_switch_with_an_optional_boolean() {
        assert!(parse(&["--tls"]).unwrap().tls);
        assert!(parse(&["--tls", "--port", "0"]).unwrap().tls);
        assert!(parse(&["--tls", "True"]).unwrap().tls);
        assert!(!parse(&["--tls=false"]).unwrap().tls);
        assert!(!parse(&["--tls", "0", "--items", "3"]).unwrap().tls);
        assert!(parse(&["--tls=maybe"]).unwrap_err().contains("maybe"));
    }

    #[test]
    fn rejects_bad_input() {
        assert!(parse(&["--nope"]).unwrap_err().contains("--nope"));
        assert!(parse(&["--port"]).unwrap_err().contains("needs a value"));
        assert!(parse(&["--items", "many"]).unwrap_err().contains("many"));
        assert!(parse(&["--fail-rate", "1.5"]).is_err());
        assert!(parse(&["--event-rate", "5000"]).is_err());
        assert!(parse(&["--oauth-client-id", "x"]).is_err());
        assert!(parse(&["--tls", "--idle-close-ms", "5"])
            .unwrap_err()
            .contains("--idle-close-ms"));
    }
}
