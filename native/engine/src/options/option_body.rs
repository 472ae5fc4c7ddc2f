//! Options that send a row's input columns without a template: the default
//! body of POST/PUT/PATCH (`bodyColumns`, `bodyFormat`) and URL parameters
//! (`queryType=querystring`, rwforest's way of sending the input).

use std::collections::BTreeMap;

use crate::error::{invalid, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    /// A JSON object with JSON-typed values.
    Json,
    /// `application/x-www-form-urlencoded`.
    Form,
}

/// The body sent when POST, PUT or PATCH has no `body` template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultBody {
    /// The input columns in the body; None means all of them.
    pub columns: Option<Vec<String>>,
    pub format: BodyFormat,
}

/// How input columns are sent besides the templates.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InputFields {
    pub default_body: Option<DefaultBody>,
    /// `queryType=querystring`: every input column appended as a URL parameter.
    pub query_string: bool,
}

impl InputFields {
    /// True when the engine needs every input column, not only the
    /// templates' (the JVM then sends all of them).
    pub fn needs_all_columns(&self) -> bool {
        self.query_string
            || self
                .default_body
                .as_ref()
                .is_some_and(|b| b.columns.is_none())
    }

    /// The columns named by `bodyColumns`.
    pub fn named_columns(&self) -> &[String] {
        self.default_body
            .as_ref()
            .and_then(|b| b.columns.as_deref())
            .unwrap_or(&[])
    }
}

/// Parses `bodyColumns`, `bodyFormat` and `queryType`; options that would
/// not be used (a body option with a `body` template, with GET or DELETE,
/// or with a batch endpoint) fail.
pub fn parse(
    raw: &BTreeMap<String, String>,
    method: &reqwest::Method,
    has_body_template: bool,
) -> Result<InputFields> {
    let query_string = match raw.get("queryType").map(|v| v.trim().to_ascii_lowercase()) {
        None => false,
        Some(v) if v == "inline" => false,
        Some(v) if v == "querystring" => true,
        Some(v) => {
            return Err(invalid(format!(
                "option 'queryType' has invalid value '{v}': allowed is inline ({{column}} \
                 placeholders in url) or querystring (every input column as a URL parameter)"
            )))
        }
    };
    let sends_body = matches!(
        *method,
        reqwest::Method::POST | reqwest::Method::PUT | reqwest::Method::PATCH
    );
    let batch = raw.contains_key("batchKey");
    let default_body = sends_body && !has_body_template && !batch;
    let columns = raw.get("bodyColumns").map(|v| {
        v.split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect::<Vec<_>>()
    });
    let format = match raw.get("bodyFormat").map(|v| v.trim().to_ascii_lowercase()) {
        None => BodyFormat::Json,
        Some(v) if v == "json" => BodyFormat::Json,
        Some(v) if v == "form" => BodyFormat::Form,
        Some(v) => {
            return Err(invalid(format!(
                "option 'bodyFormat' has invalid value '{v}': allowed is json or form"
            )))
        }
    };
    if !default_body {
        let why = if batch {
            "a batch endpoint sends batchBody"
        } else if has_body_template {
            "option 'body' gives the body"
        } else {
            "GET and DELETE send no body"
        };
        for name in ["bodyColumns", "bodyFormat"] {
            if raw.contains_key(name) {
                return Err(invalid(format!(
                    "option '{name}' shapes the default body of POST, PUT and PATCH, which is \
                     not sent here: {why}"
                )));
            }
        }
        return Ok(InputFields {
            default_body: None,
            query_string,
        });
    }
    if columns.as_ref().is_some_and(Vec::is_empty) {
        return Err(invalid(
            "option 'bodyColumns' is empty: allowed is a comma-separated list of input columns",
        ));
    }
    Ok(InputFields {
        default_body: Some(DefaultBody { columns, format }),
        query_string,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)], method: reqwest::Method, body: bool) -> Result<InputFields> {
        let raw = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        parse(&raw, &method, body)
    }

    #[test]
    fn post_without_body_sends_every_column_unless_picked() {
        let all = fields(&[], reqwest::Method::POST, false).unwrap();
        assert!(all.needs_all_columns());
        let picked = fields(&[("bodyColumns", "a, b")], reqwest::Method::PUT, false).unwrap();
        assert!(!picked.needs_all_columns());
        assert_eq!(picked.named_columns(), ["a", "b"]);
        assert_eq!(
            fields(&[], reqwest::Method::GET, false).unwrap(),
            InputFields::default()
        );
    }

    #[test]
    fn unused_body_options_fail() {
        let err = fields(&[("bodyColumns", "a")], reqwest::Method::GET, false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("bodyColumns") && err.contains("GET"), "{err}");
        assert!(fields(&[("bodyFormat", "form")], reqwest::Method::POST, true).is_err());
        assert!(fields(&[("bodyFormat", "xml")], reqwest::Method::POST, false).is_err());
        assert!(fields(&[("queryType", "path")], reqwest::Method::GET, false).is_err());
        assert!(
            fields(&[("queryType", "querystring")], reqwest::Method::GET, false)
                .unwrap()
                .query_string
        );
    }
}
