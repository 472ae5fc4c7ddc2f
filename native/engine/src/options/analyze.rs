//! Option analysis for the driver: validates without reading secrets and
//! tells the JVM which input columns the engine needs, the options in their
//! canonical names, and on which surfaces some option would have no effect.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::Result;
use crate::options::engine_options::{redacted, EngineOptions, Secrets};
use crate::plan::request::RequestTemplates;

#[derive(Debug, Serialize)]
pub struct Analysis {
    /// Input columns referenced by the templates (and `batchKey`,
    /// `bodyColumns`), in first-use order.
    pub columns: Vec<String>,
    /// The engine needs every input column (default body, `queryType=querystring`).
    pub all_input_columns: bool,
    /// The options as they may be shown (secrets replaced), canonical names.
    pub redacted: BTreeMap<String, String>,
    /// The options with aliases replaced and `auth` implied: what the JVM
    /// hands to the engines from now on.
    pub options: BTreeMap<String, String>,
    /// Per surface (`enrichment`, `input`, `paginated`, `stream`, and
    /// `source` for a read without input), why an option given has no
    /// effect there; surfaces where every option applies are absent.
    pub misplaced: BTreeMap<&'static str, String>,
}

pub fn analyze(raw: &BTreeMap<String, String>) -> Result<Analysis> {
    let canonical = crate::options::option_aliases::canonical(raw)?;
    let options = EngineOptions::parse(&canonical, Secrets::Keep)?;
    let mut columns = RequestTemplates::new(&options).columns;
    let mut add = |name: &String| {
        if !columns.contains(name) {
            columns.push(name.clone());
        }
    };
    if let Some(batch) = &options.batch {
        add(&batch.key_column);
    }
    options.input_fields.named_columns().iter().for_each(add);
    Ok(Analysis {
        columns,
        all_input_columns: options.input_fields.needs_all_columns(),
        redacted: redacted(&canonical),
        misplaced: crate::options::option_surfaces::misplaced(&canonical),
        options: canonical,
    })
}
