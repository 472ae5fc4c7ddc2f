//! Turns input rows into HTTP requests: renders the templates, checks the
//! host, and de-duplicates identical requests of one batch.

use std::collections::HashMap;

use crate::input::InputColumns;
use crate::options::EngineOptions;
use crate::template::{Escape, Template};

/// One HTTP request, identified by everything that makes its answer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequestSpec {
    pub method: reqwest::Method,
    pub url: String,
    pub body: Option<String>,
}

/// The templates of one engine and the columns they reference.
#[derive(Debug, Clone)]
pub struct RequestTemplates {
    pub columns: Vec<String>,
    url: Template,
    body: BodyTemplate,
    method: reqwest::Method,
}

#[derive(Debug, Clone)]
enum BodyTemplate {
    None,
    Template(Template),
    /// POST/PUT/PATCH without `body`: the referenced columns as a JSON object.
    ColumnsAsJson,
}

/// The requests of one batch: unique requests, and for each row the request
/// it maps to or why it has none.
pub struct BatchPlan {
    pub requests: Vec<RequestSpec>,
    pub rows: Vec<Result<usize, String>>,
}

impl RequestTemplates {
    pub fn new(options: &EngineOptions) -> RequestTemplates {
        let mut columns = Vec::new();
        let url = Template::parse(&options.url, Escape::Url, &mut columns);
        let sends_body = matches!(
            options.method,
            reqwest::Method::POST | reqwest::Method::PUT | reqwest::Method::PATCH
        );
        let body = match &options.body {
            Some(text) => BodyTemplate::Template(Template::parse(text, Escape::Json, &mut columns)),
            None if sends_body => BodyTemplate::ColumnsAsJson,
            None => BodyTemplate::None,
        };
        RequestTemplates {
            columns,
            url,
            body,
            method: options.method.clone(),
        }
    }

    /// Renders every row and groups identical requests.
    pub fn plan(&self, input: &InputColumns, allowed_hosts: &[String]) -> BatchPlan {
        let mut requests = Vec::new();
        let mut index: HashMap<RequestSpec, usize> = HashMap::new();
        let mut rows = Vec::with_capacity(input.num_rows);
        for row in 0..input.num_rows {
            let values = input.row(row);
            let spec = self.render(&values, input).and_then(|spec| {
                check_host(&spec.url, allowed_hosts)?;
                Ok(spec)
            });
            rows.push(spec.map(|spec| {
                *index.entry(spec).or_insert_with_key(|spec| {
                    requests.push(spec.clone());
                    requests.len() - 1
                })
            }));
        }
        BatchPlan { requests, rows }
    }

    fn render(&self, values: &[Option<&str>], input: &InputColumns) -> Result<RequestSpec, String> {
        let null =
            |e: crate::template::NullColumn| format!("column '{}' is null: no request sent", e.0);
        let url = self.url.render(values, &self.columns).map_err(null)?;
        let body = match &self.body {
            BodyTemplate::None => None,
            BodyTemplate::Template(t) => Some(t.render(values, &self.columns).map_err(null)?),
            BodyTemplate::ColumnsAsJson => Some(columns_as_json(&self.url, values, input)),
        };
        Ok(RequestSpec {
            method: self.method.clone(),
            url,
            body,
        })
    }
}

/// The URL's columns as a JSON object; numbers and booleans stay literals.
fn columns_as_json(url: &Template, values: &[Option<&str>], input: &InputColumns) -> String {
    let mut object = serde_json::Map::new();
    for i in url.column_indexes() {
        let value = match values[i] {
            None => serde_json::Value::Null,
            Some(v) if input.json_literal[i] => {
                serde_json::from_str(v).unwrap_or_else(|_| serde_json::Value::String(v.to_string()))
            }
            Some(v) => serde_json::Value::String(v.to_string()),
        };
        object.insert(input.names[i].clone(), value);
    }
    serde_json::Value::Object(object).to_string()
}

/// Rejects a rendered URL whose host is not allowed.
fn check_host(url: &str, allowed_hosts: &[String]) -> Result<(), String> {
    let parsed =
        reqwest::Url::parse(url).map_err(|e| format!("invalid URL after substitution: {e}"))?;
    let host = parsed
        .host_str()
        .unwrap_or_default()
        .trim_start_matches('[')
        .trim_end_matches(']');
    if allowed_hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) {
        Ok(())
    } else {
        Err(format!("host '{host}' is not in allowedHosts"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn templates(pairs: &[(&str, &str)]) -> (RequestTemplates, EngineOptions) {
        let raw: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let options = EngineOptions::parse(&raw, crate::options::Secrets::Resolve).unwrap();
        (RequestTemplates::new(&options), options)
    }

    fn input(names: &[&str], rows: Vec<Vec<Option<&str>>>, literal: bool) -> InputColumns {
        let mut values = vec![Vec::new(); names.len()];
        for row in &rows {
            for (c, v) in row.iter().enumerate() {
                values[c].push(v.map(str::to_string));
            }
        }
        InputColumns {
            names: names.iter().map(|s| s.to_string()).collect(),
            values,
            json_literal: vec![literal; names.len()],
            num_rows: rows.len(),
        }
    }

    #[test]
    fn identical_requests_of_a_batch_are_planned_once() {
        let (t, o) = templates(&[("url", "http://127.0.0.1/c/{id}")]);
        let rows = vec![
            vec![Some("1")],
            vec![Some("2")],
            vec![Some("1")],
            vec![None],
        ];
        let plan = t.plan(&input(&["id"], rows, true), &o.allowed_hosts);
        assert_eq!(plan.requests.len(), 2);
        assert_eq!(plan.rows[0], Ok(0));
        assert_eq!(plan.rows[2], Ok(0));
        assert_eq!(plan.rows[1], Ok(1));
        assert!(plan.rows[3].as_ref().unwrap_err().contains("'id' is null"));
    }

    #[test]
    fn post_without_body_sends_the_columns() {
        let (t, o) = templates(&[("url", "http://127.0.0.1/c/{id}"), ("method", "POST")]);
        let plan = t.plan(
            &input(&["id"], vec![vec![Some("5")]], true),
            &o.allowed_hosts,
        );
        assert_eq!(plan.requests[0].body.as_deref(), Some(r#"{"id":5}"#));
    }

    #[test]
    fn other_hosts_are_refused() {
        let (t, _) = templates(&[("url", "http://{h}/x"), ("allowedHosts", "127.0.0.1")]);
        let plan = t.plan(
            &input(
                &["h"],
                vec![vec![Some("127.0.0.1")], vec![Some("evil.example")]],
                false,
            ),
            &["127.0.0.1".into()],
        );
        assert_eq!(plan.rows[0], Ok(0));
        assert!(plan.rows[1].as_ref().unwrap_err().contains("evil.example"));
    }
}
