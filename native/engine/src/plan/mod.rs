//! Plan: the first stage of the data path. The referenced input columns of
//! an Arrow batch are read on the task thread, each row's templates are
//! rendered into an HTTP request (method, URL, headers, body), identical
//! requests of a batch are planned once, and with `batchKey` the distinct
//! keys are grouped into batch-endpoint requests of `batchRequestSize`.

pub mod batch_accumulator;
pub mod batch_endpoint;
pub mod input;
pub mod request;
pub mod row_json;
pub mod template;

#[cfg(test)]
mod input_fields_tests;
