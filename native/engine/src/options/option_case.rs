//! Option names are case-insensitive on every surface, as they are for
//! Spark's own data sources (and Spark Connect hands data source options over
//! lower-cased). Every options map entering the engine passes through
//! [`canonicalize`] once (`registry::parse_options_json`), so everything after
//! it, and every error message, uses the spelling of the README's options
//! table. The JVM asks for the same mapping (`canonicalOptions`) before it
//! reads an option itself.

use std::collections::BTreeMap;

use crate::error::{invalid, Result};
use crate::options::option_names::{HEADER_PREFIX, KNOWN_OPTIONS};

/// The README's spelling of `name` (`datafield` -> `dataField`); for per-header
/// options the prefix becomes `header.` and the header name is kept (HTTP
/// header names are case-insensitive). `None` for unknown names.
pub fn canonical_name(name: &str) -> Option<String> {
    if let Some(known) = KNOWN_OPTIONS.iter().find(|k| k.eq_ignore_ascii_case(name)) {
        return Some((*known).to_string());
    }
    let prefix = name.get(..HEADER_PREFIX.len())?;
    let header = name.get(HEADER_PREFIX.len()..)?;
    (prefix.eq_ignore_ascii_case(HEADER_PREFIX) && !header.is_empty())
        .then(|| format!("{HEADER_PREFIX}{header}"))
}

/// `raw` with every known name in its canonical spelling; unknown names stay
/// as given (the validator names them). Fails when two names are the same
/// option (`dataField` and `DATAFIELD`).
pub fn canonicalize(raw: BTreeMap<String, String>) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let mut spelled_as: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in raw {
        let key = canonical_name(&name).unwrap_or_else(|| name.clone());
        if let Some(first) = spelled_as.insert(key.clone(), name.clone()) {
            return Err(invalid(format!(
                "option '{key}' is given twice, as '{first}' and as '{name}' (option names are case-insensitive): pass it once"
            )));
        }
        out.insert(key, value);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn any_case_becomes_the_readme_spelling() {
        for name in ["dataField", "datafield", "DATAFIELD", "DataField"] {
            assert_eq!(canonical_name(name).as_deref(), Some("dataField"));
        }
        assert_eq!(canonical_name("URL").as_deref(), Some("url"));
        assert_eq!(
            canonical_name("oauth2clientsecret").as_deref(),
            Some("oauth2ClientSecret")
        );
    }

    #[test]
    fn header_options_keep_the_header_name() {
        assert_eq!(
            canonical_name("HEADER.X-Trace").as_deref(),
            Some("header.X-Trace")
        );
        assert_eq!(
            canonical_name("header.x-trace").as_deref(),
            Some("header.x-trace")
        );
        assert_eq!(canonical_name("header."), None);
    }

    #[test]
    fn unknown_names_stay_as_given() {
        let out = canonicalize(map(&[("datafeild", "x"), ("URL", "http://h/")])).unwrap();
        assert_eq!(out, map(&[("datafeild", "x"), ("url", "http://h/")]));
    }

    #[test]
    fn the_same_option_twice_fails_naming_both_spellings() {
        let err = canonicalize(map(&[("dataField", "a"), ("datafield", "b")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("'dataField' is given twice"), "{err}");
        assert!(err.contains("'datafield'"), "{err}");
    }

    #[test]
    fn lower_cased_options_parse_and_errors_use_the_readme_spelling() {
        let raw = crate::flow::registry::parse_options_json(
            r#"{"url": "http://127.0.0.1:1/x", "maxretries": "many"}"#,
        )
        .unwrap();
        let err = crate::options::engine_options::EngineOptions::parse(
            &raw,
            crate::options::engine_options::Secrets::Keep,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("'maxRetries'"), "{err}");
        let raw = crate::flow::registry::parse_options_json(
            r#"{"URL": "http://127.0.0.1:1/x", "CONCURRENCY": "7", "datafield": "a.b"}"#,
        )
        .unwrap();
        let options = crate::options::engine_options::EngineOptions::parse(
            &raw,
            crate::options::engine_options::Secrets::Keep,
        )
        .unwrap();
        assert_eq!(options.concurrency, 7);
        assert_eq!(
            options.data_field,
            Some(vec!["a".to_string(), "b".to_string()])
        );
    }
}
