//! The engine logs through `tracing` to stderr, which Spark captures in the
//! executor's log. The level comes from `SPARK_REST_LOG` (the JVM sets it
//! from `spark.rest.logLevel`), default `info`: one line per notable event,
//! never one per request.

use std::sync::Once;

pub fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let level = std::env::var("SPARK_REST_LOG").unwrap_or_else(|_| "info".to_string());
        let filter = tracing_subscriber::EnvFilter::try_new(format!(
            "spark_rest_engine={level},spark_rest_native={level}"
        ))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
        // try_init: a host that installed its own subscriber keeps it.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .with_target(false)
            .try_init();
    });
}
