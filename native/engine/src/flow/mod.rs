//! Flow: how Spark tasks drive the stages. One Tokio runtime per process,
//! one engine per distinct options (shared by every task of an executor),
//! and per task a continuous stream: Arrow batches go in while earlier rows'
//! requests are in flight, completed rows come back in input order.

pub(crate) mod pending_batch;
pub mod registry;
pub mod runtime;
pub mod task_stream;
mod task_stream_results;
mod task_stream_send;

#[cfg(test)]
mod task_stream_tests;
