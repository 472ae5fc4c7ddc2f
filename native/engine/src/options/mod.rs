//! Options: the string map every surface passes in becomes typed
//! `EngineOptions`, validated once for all surfaces. Names are
//! case-insensitive, aliases users bring are mapped, credentials imply their
//! `auth`, secrets are redacted wherever options are shown, and `analyze`
//! tells the driver which input columns the engine needs.

pub mod analyze;
pub mod engine_options;
pub mod option_aliases;
pub mod option_auth;
pub mod option_body;
pub mod option_case;
pub mod option_names;
pub(crate) mod option_reader;
pub(crate) mod option_redaction;
pub mod option_surfaces;
pub mod throughput_options;
