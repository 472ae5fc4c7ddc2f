//! spark-rest's enrichment engine: pure async Rust, no JNI. It turns Arrow
//! batches of input columns into Arrow batches of HTTP results. The `jni`
//! crate exposes it to the JVM and through a C ABI.

pub mod analyze;
pub mod client;
pub mod decode;
pub mod engine;
pub mod error;
pub mod input;
pub mod metrics;
pub mod option_names;
pub mod options;
pub mod outcome;
pub mod output;
pub mod registry;
pub mod request;
pub mod runtime;
pub mod sender;
pub mod template;

pub use engine::Engine;
pub use error::{EngineError, Result};
pub use metrics::BatchMetrics;
