//! spark-rest's enrichment engine: pure async Rust, no JNI. It turns Arrow
//! batches of input columns into Arrow batches of HTTP results. The `jni`
//! crate exposes it to the JVM and through a C ABI.
//!
//! The folders follow the data path: `options` (parse and validate),
//! `plan` (input rows to requests), `send` (requests to outcomes), `cache`,
//! `decode` (outcomes to Arrow columns) and `source` (reads without input
//! rows); `flow` runs them per task, and `engine` composes them.

pub mod cache;
pub mod decode;
pub mod engine;
pub mod error;
pub mod flow;
pub mod metrics;
pub mod options;
pub mod plan;
pub mod send;
pub mod source;

#[cfg(test)]
mod metrics_tests;
#[cfg(test)]
mod proptest_tests;
#[cfg(test)]
mod test_log;
#[cfg(test)]
mod test_support;

pub use engine::Engine;
pub use error::{EngineError, Result};
pub use flow::task_stream::TaskStream;
pub use metrics::BatchMetrics;
