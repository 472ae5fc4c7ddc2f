//! Option analysis for the driver: validates without reading secrets and
//! tells the JVM which input columns the templates use.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::Result;
use crate::options::{redacted, EngineOptions, Secrets};
use crate::request::RequestTemplates;

#[derive(Debug, Serialize)]
pub struct Analysis {
    /// Input columns referenced by the templates, in first-use order.
    pub columns: Vec<String>,
    /// The options as they may be shown (secrets replaced).
    pub redacted: BTreeMap<String, String>,
}

pub fn analyze(raw: &BTreeMap<String, String>) -> Result<Analysis> {
    let options = EngineOptions::parse(raw, Secrets::Keep)?;
    let mut columns = RequestTemplates::new(&options).columns;
    if let Some(batch) = &options.batch {
        if !columns.contains(&batch.key_column) {
            columns.push(batch.key_column.clone());
        }
    }
    Ok(Analysis {
        columns,
        redacted: redacted(raw),
    })
}
