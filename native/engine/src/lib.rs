//! spark-rest's enrichment engine: pure async Rust, no JNI. It turns Arrow
//! batches of input columns into Arrow batches of HTTP results. The `jni`
//! crate exposes it to the JVM and through a C ABI.

pub mod analyze;
pub mod attempt;
pub mod batch_endpoint;
pub mod cache;
pub mod circuit;
pub mod client;
pub mod decode;
pub mod disk_cache;
pub mod engine;
pub mod error;
pub mod explode;
pub mod input;
pub mod json_path;
pub mod latency;
pub mod metrics;
pub mod oauth;
pub mod offsets;
pub mod option_names;
pub mod options;
pub mod outcome;
pub mod output;
pub mod pagination;
pub mod records;
pub mod registry;
pub mod request;
pub mod retry_storm;
pub mod runtime;
pub mod sender;
pub mod source;
pub mod source_options;
pub mod stream_offset;
pub mod stream_poll;
pub mod template;
pub mod transport;

#[cfg(test)]
mod cache_tests;
#[cfg(test)]
mod circuit_tests;
#[cfg(test)]
mod metrics_tests;
#[cfg(test)]
mod oauth_tests;
#[cfg(test)]
mod source_tests;
#[cfg(test)]
mod test_log;
#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tls_tests;

pub use engine::Engine;
pub use error::{EngineError, Result};
pub use metrics::BatchMetrics;
