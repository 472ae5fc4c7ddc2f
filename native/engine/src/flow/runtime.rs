//! The one process-wide Tokio runtime. Every engine of the process shares it,
//! so a thousand tasks of an executor do not start a thousand thread pools.

use std::sync::OnceLock;
use tokio::runtime::{Builder, Runtime};

static RUNTIME: OnceLock<Runtime> = OnceLock::new();

/// The shared multi-threaded runtime, started on first use.
pub fn runtime() -> &'static Runtime {
    RUNTIME.get_or_init(|| {
        // HTTP work is I/O bound: a few workers drive thousands of requests.
        let workers = std::thread::available_parallelism()
            .map(|n| n.get().clamp(2, 8))
            .unwrap_or(2);
        Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name("spark-rest-io")
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("cannot start the spark-rest Tokio runtime: {e}"))
    })
}
