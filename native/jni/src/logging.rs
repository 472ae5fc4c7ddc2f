//! The engine's `tracing` events go to the JVM's logging (SLF4J/log4j2), not
//! to stderr: a Layer formats each enabled event into a bounded in-process
//! queue, and the JVM's daemon thread `spark-rest-native-log` drains it
//! through `drainLogs` and logs each line under
//! `io.sparkrest.native.<engine|jni>.<module>`. Tokio threads never call into
//! the JVM: they only push to the queue, and drop (counted, reported with the
//! next line) when it is full.
//!
//! Which events are formatted at all follows the JVM: each drain passes the
//! most verbose level SLF4J enables for `io.sparkrest.native`, so log4j's
//! configuration and `setLogLevel` apply. `spark.rest.logLevel`, when set,
//! overrides it (`initLogging`).

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Condvar, Mutex, Once, OnceLock};
use std::time::Duration;

use tracing::field::{Field, Visit};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

/// Lines kept for the JVM at most; more are dropped (and counted).
const CAPACITY: usize = 10_000;
/// The crates whose events are ours, and the logger name each maps to.
const CRATES: &[(&str, &str)] = &[
    ("spark_rest_engine", "io.sparkrest.native.engine"),
    ("spark_rest_native", "io.sparkrest.native.jni"),
];

static INIT: Once = Once::new();
/// 0 off, 1 error, 2 warn, 3 info, 4 debug, 5 trace. Info until the JVM says.
static MAX_LEVEL: AtomicU8 = AtomicU8::new(3);
/// `spark.rest.logLevel`, once set: wins over the JVM's level.
static OVERRIDE: OnceLock<u8> = OnceLock::new();
static DROPPED: AtomicU64 = AtomicU64::new(0);
static QUEUE: Mutex<VecDeque<LogLine>> = Mutex::new(VecDeque::new());
static READY: Condvar = Condvar::new();

/// One formatted event, as the JVM logs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// ERROR, WARN, INFO, DEBUG or TRACE.
    pub level: &'static str,
    /// The SLF4J logger name, e.g. `io.sparkrest.native.engine.registry`.
    pub logger: String,
    pub message: String,
}

/// Installs the queue layer once (a host that installed its own global
/// subscriber keeps it).
pub fn init() {
    INIT.call_once(|| {
        let _ = tracing_subscriber::registry().with(QueueLayer).try_init();
    });
}

/// Installs the layer and fixes the level at `level` (off, error, warn,
/// info, debug, trace; `spark.rest.logLevel`). An empty level changes
/// nothing: the JVM's logging configuration decides. The first level wins.
pub fn init_with(level: &str) {
    init();
    if let Some(n) = level_number(level) {
        if OVERRIDE.set(n).is_ok() {
            MAX_LEVEL.store(n, Ordering::Relaxed);
        }
    }
}

/// The level the JVM enables (a number as in `MAX_LEVEL`), unless overridden.
pub fn set_jvm_level(level: u8) {
    if OVERRIDE.get().is_none() {
        MAX_LEVEL.store(level.min(5), Ordering::Relaxed);
    }
}

/// Up to `max` lines, waiting up to `timeout` for the first one. Called by a
/// JVM thread only.
pub fn drain(max: usize, timeout: Duration) -> Vec<LogLine> {
    let Ok(queue) = QUEUE.lock() else {
        return Vec::new();
    };
    let Ok((mut queue, _)) = READY.wait_timeout_while(queue, timeout, |q| q.is_empty()) else {
        return Vec::new();
    };
    let n = queue.len().min(max);
    queue.drain(..n).collect()
}

/// Sets the level now, replacing any set before (the C ABI's
/// `sr_log_level`; a C host has no JVM level to follow). False when
/// `level` is not one of off, error, warn, info, debug, trace.
pub fn set_level(level: &str) -> bool {
    let Some(n) = level_number(level) else {
        return false;
    };
    init();
    let _ = OVERRIDE.set(n);
    MAX_LEVEL.store(n, Ordering::Relaxed);
    true
}

/// Lines as the JSON array both hosts read: `[{"level", "logger", "message"}]`.
pub fn to_json(lines: &[LogLine]) -> String {
    let array: Vec<serde_json::Value> = lines
        .iter()
        .map(|l| serde_json::json!({"level": l.level, "logger": l.logger, "message": l.message}))
        .collect();
    serde_json::Value::Array(array).to_string()
}

fn level_number(level: &str) -> Option<u8> {
    match level.trim().to_ascii_lowercase().as_str() {
        "off" => Some(0),
        "error" => Some(1),
        "warn" => Some(2),
        "info" => Some(3),
        "debug" => Some(4),
        "trace" => Some(5),
        _ => None,
    }
}

fn number_of(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 1,
        Level::WARN => 2,
        Level::INFO => 3,
        Level::DEBUG => 4,
        Level::TRACE => 5,
    }
}

fn logger_of(target: &str) -> Option<String> {
    CRATES.iter().find_map(|(krate, logger)| {
        let rest = target.strip_prefix(krate)?;
        if rest.is_empty() {
            Some((*logger).to_string())
        } else {
            rest.strip_prefix("::")
                .map(|module| format!("{logger}.{}", module.replace("::", ".")))
        }
    })
}

fn push(line: LogLine) {
    let Ok(mut queue) = QUEUE.lock() else {
        return;
    };
    if queue.len() >= CAPACITY {
        DROPPED.fetch_add(1, Ordering::Relaxed);
        return;
    }
    let dropped = DROPPED.swap(0, Ordering::Relaxed);
    if dropped > 0 {
        queue.push_back(LogLine {
            level: "WARN",
            logger: "io.sparkrest.native.jni.logging".to_string(),
            message: format!("{dropped} native log lines were dropped: the queue was full"),
        });
    }
    queue.push_back(line);
    READY.notify_one();
}

struct QueueLayer;

impl<S: Subscriber> Layer<S> for QueueLayer {
    fn register_callsite(&self, meta: &'static Metadata<'static>) -> Interest {
        // `sometimes`: the level can change at any time (setLogLevel), so
        // `enabled` is asked again on every event of our crates.
        if logger_of(meta.target()).is_some() {
            Interest::sometimes()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, meta: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        number_of(meta.level()) <= MAX_LEVEL.load(Ordering::Relaxed)
            && logger_of(meta.target()).is_some()
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        let Some(logger) = logger_of(meta.target()) else {
            return;
        };
        let mut text = Message::default();
        event.record(&mut text);
        push(LogLine {
            level: match *meta.level() {
                Level::ERROR => "ERROR",
                Level::WARN => "WARN",
                Level::INFO => "INFO",
                Level::DEBUG => "DEBUG",
                Level::TRACE => "TRACE",
            },
            logger,
            message: text.0,
        });
    }
}

/// `message key=value ...`, as tracing's own formatter writes an event.
#[derive(Default)]
struct Message(String);

impl Visit for Message {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.prepend(value);
        } else {
            let _ = write!(self.0, " {}={value}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.prepend(&format!("{value:?}"));
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
}

impl Message {
    fn prepend(&mut self, message: &str) {
        self.0 = format!("{message}{}", self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_become_one_json_array_with_quotes_escaped() {
        let line = LogLine {
            level: "WARN",
            logger: "io.sparkrest.native.engine.x".into(),
            message: "say \"hi\"".into(),
        };
        assert_eq!(to_json(&[]), "[]");
        let parsed: serde_json::Value = serde_json::from_str(&to_json(&[line])).unwrap();
        assert_eq!(parsed[0]["level"], "WARN");
        assert_eq!(parsed[0]["logger"], "io.sparkrest.native.engine.x");
        assert_eq!(parsed[0]["message"], "say \"hi\"");
    }

    #[test]
    fn loggers_follow_crate_and_module() {
        assert_eq!(
            logger_of("spark_rest_engine::registry").as_deref(),
            Some("io.sparkrest.native.engine.registry")
        );
        assert_eq!(
            logger_of("spark_rest_native").as_deref(),
            Some("io.sparkrest.native.jni")
        );
        assert_eq!(logger_of("hyper::client"), None);
        assert_eq!(logger_of("spark_rest_engineering"), None);
    }

    #[test]
    fn levels_parse_and_unknown_or_empty_means_no_override() {
        assert_eq!(level_number("WARN"), Some(2));
        assert_eq!(level_number(" trace "), Some(5));
        assert_eq!(level_number(""), None);
    }

    /// This module's lines from the queue (other tests in the process log too).
    fn own_lines() -> Vec<LogLine> {
        let mut lines = drain(1000, Duration::from_secs(5));
        lines.extend(drain(1000, Duration::from_millis(200)));
        lines.retain(|l| l.logger == "io.sparkrest.native.jni.logging.tests");
        lines
    }

    // The only test that changes the level, so no other test races it.
    #[test]
    fn events_reach_the_queue_at_the_jvm_level_and_never_stderr() {
        init();
        set_jvm_level(3);
        drain(usize::MAX, Duration::ZERO);
        tracing::info!(
            url = "http://127.0.0.1:1/x",
            concurrency = 32,
            "spark-rest engine created"
        );
        tracing::debug!("not at info");
        let lines = own_lines();
        assert_eq!(
            lines,
            vec![LogLine {
                level: "INFO",
                logger: "io.sparkrest.native.jni.logging.tests".to_string(),
                message: "spark-rest engine created url=http://127.0.0.1:1/x concurrency=32"
                    .to_string(),
            }]
        );
        // setLogLevel("ERROR") on the JVM side: info is no longer even formatted.
        set_jvm_level(1);
        tracing::info!("hidden");
        tracing::error!("shown");
        let lines = own_lines();
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert_eq!(lines[0].message, "shown");
        set_jvm_level(3);
    }
}
