//! Decode: outcomes become Arrow result columns. The JSON at `dataField`
//! becomes the typed fields of `schema` (or raw `output` text), `explode`
//! turns array elements into rows, `_status` and `_error` are added, and a
//! batch's rows come back in input order. Records read by the data source
//! (pages, polls) are decoded the same way.

pub mod batch_result;
pub mod explode;
pub mod json_path;
pub mod output;
pub mod records;
pub mod typed;
