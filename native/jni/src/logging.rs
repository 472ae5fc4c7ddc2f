//! The engine logs through `tracing` to stderr, which Spark captures in the
//! executor's log. The JVM calls `initLogging` with `spark.rest.logLevel`
//! before the first engine; otherwise `SPARK_REST_LOG` or `info` applies.
//! At `info` there is one line per notable event, never one per request.

use std::sync::Once;

static INIT: Once = Once::new();

/// Installs the subscriber once, at `SPARK_REST_LOG` or `info`.
pub fn init() {
    init_with(&std::env::var("SPARK_REST_LOG").unwrap_or_else(|_| "info".to_string()));
}

/// Installs the subscriber once, at `level` (error, warn, info, debug,
/// trace). Later calls change nothing: the first level wins per process.
pub fn init_with(level: &str) {
    INIT.call_once(|| {
        let filter = tracing_subscriber::EnvFilter::try_new(format!(
            "spark_rest_engine={level},spark_rest_native={level}"
        ))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
        // try_init: a host that installed its own subscriber keeps it.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .with_target(false)
            // Executor logs are files: no colour escape codes.
            .with_ansi(false)
            .try_init();
    });
}
