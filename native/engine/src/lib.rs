//! spark-rest's enrichment engine: pure async Rust, no JNI. It turns Arrow
//! batches of input columns into Arrow batches of HTTP results. The `jni`
//! crate exposes it to the JVM and through a C ABI.

pub mod adaptive_limit;
pub mod analyze;
pub mod attempt;
pub mod batch_accumulator;
pub mod batch_endpoint;
pub mod batch_result;
pub mod cache;
pub mod circuit;
pub mod client;
pub mod concurrency;
pub mod decode;
pub mod disk_cache;
pub mod engine;
pub mod error;
pub mod explode;
pub mod first_page;
pub mod host_limits;
pub mod input;
pub mod json_path;
pub mod latency;
pub mod metrics;
pub mod oauth;
pub mod offsets;
pub mod option_aliases;
pub mod option_auth;
pub mod option_body;
pub mod option_case;
pub mod option_names;
mod option_reader;
mod option_redaction;
pub mod option_surfaces;
pub mod options;
pub mod outcome;
pub mod output;
pub mod pagination;
mod pending_batch;
pub mod rate_gate;
pub mod rate_headers;
pub mod records;
pub mod registry;
pub mod request;
pub mod retry_storm;
pub mod row_json;
pub mod runtime;
pub mod send_shared;
pub mod sender;
pub mod single_flight;
pub mod source;
pub mod source_options;
pub mod stream_offset;
pub mod stream_poll;
pub mod task_stream;
mod task_stream_results;
mod task_stream_send;
pub mod template;
pub mod throughput_options;
pub mod transport;

#[cfg(test)]
mod adaptive_tests;
#[cfg(test)]
mod cache_tests;
#[cfg(test)]
mod circuit_tests;
#[cfg(test)]
mod input_fields_tests;
#[cfg(test)]
mod metrics_tests;
#[cfg(test)]
mod oauth_tests;
#[cfg(test)]
mod proptest_tests;
#[cfg(test)]
mod source_tests;
#[cfg(test)]
mod task_stream_tests;
#[cfg(test)]
mod test_log;
#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tls_tests;

pub use engine::Engine;
pub use error::{EngineError, Result};
pub use metrics::BatchMetrics;
pub use task_stream::TaskStream;
