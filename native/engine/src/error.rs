//! The engine's error type. HTTP failures of single rows are *not* errors: they
//! are data (`_status`, `_error`). Errors are for bad options, broken invariants
//! and `onError=fail`.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum EngineError {
    /// An option name or value is not allowed. The message names the option,
    /// the value (never a secret) and what is allowed.
    #[error("{0}")]
    InvalidOption(String),
    /// `onError=fail` and a row failed: names the request and the reason.
    #[error("{0}")]
    RequestFailed(String),
    /// The input batch does not fit what the options need (e.g. a missing column).
    #[error("invalid input batch: {0}")]
    InvalidInput(String),
    #[error("arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    #[error("internal: {0}")]
    Internal(String),
}

pub type Result<T> = std::result::Result<T, EngineError>;

/// Shorthand for an `InvalidOption` error.
pub fn invalid(msg: impl Into<String>) -> EngineError {
    EngineError::InvalidOption(msg.into())
}
