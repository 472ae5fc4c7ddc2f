//! Turns input rows into HTTP requests: renders the templates, checks the
//! host, and de-duplicates identical requests of one batch.

use std::collections::HashMap;

use arrow::array::StructArray;
use serde_json::{Map, Value};

use crate::options::engine_options::EngineOptions;
use crate::options::option_body::{BodyFormat, DefaultBody};
use crate::plan::input::InputColumns;
use crate::plan::template::{Escape, Template};

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
    /// `queryType=querystring`: input columns appended as URL parameters.
    query_string: bool,
}

#[derive(Debug, Clone)]
enum BodyTemplate {
    None,
    Template(Template),
    /// POST/PUT/PATCH without `body`: the row's input columns (or
    /// `bodyColumns`) as a JSON object or a form.
    Default(DefaultBody),
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
        let body = match (&options.body, &options.input_fields.default_body) {
            (Some(text), _) => {
                BodyTemplate::Template(Template::parse(text, Escape::Json, &mut columns))
            }
            (None, Some(default)) => BodyTemplate::Default(default.clone()),
            (None, None) => BodyTemplate::None,
        };
        RequestTemplates {
            columns,
            url,
            body,
            method: options.method.clone(),
            query_string: options.input_fields.query_string,
        }
    }

    /// Which input columns each row's JSON object must hold (see
    /// `row_json::row_objects`): None when no object is needed, Some(None)
    /// for all of them.
    pub fn object_columns(&self) -> Option<Option<&[String]>> {
        match &self.body {
            _ if self.query_string => Some(None),
            BodyTemplate::Default(d) => Some(d.columns.as_deref()),
            _ => None,
        }
    }

    /// Reads what the templates need from `input` (template columns as text,
    /// row objects for the default body and `queryType=querystring`) on the
    /// calling thread, then plans the batch. Use this rather than `plan`
    /// wherever a whole input batch is at hand.
    pub fn plan_input(
        &self,
        input: &StructArray,
        allowed_hosts: &[String],
    ) -> crate::error::Result<BatchPlan> {
        let columns = InputColumns::read(input, &self.columns)?;
        let objects = match self.object_columns() {
            Some(names) => Some(crate::plan::row_json::row_objects(input, names)?),
            None => None,
        };
        Ok(self.plan_rows(&columns, objects.as_deref(), allowed_hosts))
    }

    /// Renders every row and groups identical requests (no row objects:
    /// the default body and `queryType=querystring` need `plan_input`).
    pub fn plan(&self, input: &InputColumns, allowed_hosts: &[String]) -> BatchPlan {
        self.plan_rows(input, None, allowed_hosts)
    }

    /// `plan`, with each row's JSON object (`object_columns`) when needed.
    pub fn plan_rows(
        &self,
        input: &InputColumns,
        objects: Option<&[Map<String, Value>]>,
        allowed_hosts: &[String],
    ) -> BatchPlan {
        let mut index: HashMap<RequestSpec, usize, foldhash::fast::RandomState> =
            HashMap::with_capacity_and_hasher(input.num_rows, Default::default());
        let mut rows = Vec::with_capacity(input.num_rows);
        let empty = Map::new();
        // One URL parse per batch rather than per row when the template
        // fixes the host (see fixed_host).
        let fixed_host = crate::plan::fixed_host::authority_prefix(self.url.literal_prefix())
            .map(|prefix| check_host(prefix, allowed_hosts));
        let mut values = Vec::with_capacity(input.names.len());
        for row in 0..input.num_rows {
            input.row_into(row, &mut values);
            let object = objects.and_then(|o| o.get(row)).unwrap_or(&empty);
            let spec = self.render(&values, object).and_then(|spec| {
                match &fixed_host {
                    Some(verdict) => verdict.clone()?,
                    None => check_host(&spec.url, allowed_hosts)?,
                }
                Ok(spec)
            });
            rows.push(spec.map(|spec| {
                let next = index.len();
                *index.entry(spec).or_insert(next)
            }));
        }
        // The distinct requests in first-use order, moved out of the map.
        let mut requests: Vec<Option<RequestSpec>> = vec![None; index.len()];
        for (spec, i) in index {
            requests[i] = Some(spec);
        }
        BatchPlan {
            requests: requests.into_iter().flatten().collect(),
            rows,
        }
    }

    fn render(
        &self,
        values: &[Option<&str>],
        object: &Map<String, Value>,
    ) -> Result<RequestSpec, String> {
        let null = |e: crate::plan::template::NullColumn| {
            format!("column '{}' is null: no request sent", e.0)
        };
        let mut url = self.url.render(values, &self.columns).map_err(null)?;
        if self.query_string {
            let params = crate::plan::row_json::form_encode(object);
            if !params.is_empty() {
                url.push(if url.contains('?') { '&' } else { '?' });
                url.push_str(&params);
            }
        }
        let body = match &self.body {
            BodyTemplate::None => None,
            BodyTemplate::Template(t) => Some(t.render(values, &self.columns).map_err(null)?),
            BodyTemplate::Default(d) => {
                let picked: Map<String, Value> = match &d.columns {
                    None => object.clone(),
                    Some(names) => names
                        .iter()
                        .filter_map(|n| Some((n.clone(), object.get(n)?.clone())))
                        .collect(),
                };
                Some(match d.format {
                    BodyFormat::Json => Value::Object(picked).to_string(),
                    BodyFormat::Form => crate::plan::row_json::form_encode(&picked),
                })
            }
        };
        Ok(RequestSpec {
            method: self.method.clone(),
            url,
            body,
        })
    }
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
        let options =
            EngineOptions::parse(&raw, crate::options::engine_options::Secrets::Resolve).unwrap();
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
    fn post_without_body_sends_the_row_object() {
        let (t, o) = templates(&[("url", "http://127.0.0.1/c/{id}"), ("method", "POST")]);
        assert_eq!(t.object_columns(), Some(None));
        let object = serde_json::json!({"id": 5, "tags": [1]});
        let objects = vec![object.as_object().unwrap().clone()];
        let plan = t.plan_rows(
            &input(&["id"], vec![vec![Some("5")]], true),
            Some(&objects),
            &o.allowed_hosts,
        );
        assert_eq!(
            plan.requests[0].body.as_deref(),
            Some(r#"{"id":5,"tags":[1]}"#)
        );
    }

    #[test]
    fn query_string_appends_the_row_as_parameters() {
        let (t, o) = templates(&[
            ("url", "http://127.0.0.1/c?x=1"),
            ("queryType", "querystring"),
        ]);
        let object = serde_json::json!({"id": 5, "q": "a b", "n": null});
        let objects = vec![object.as_object().unwrap().clone()];
        let plan = t.plan_rows(
            &input(&[], vec![vec![]], true),
            Some(&objects),
            &o.allowed_hosts,
        );
        assert_eq!(plan.requests[0].url, "http://127.0.0.1/c?x=1&id=5&q=a+b");
        assert_eq!(plan.requests[0].body, None);
    }

    #[test]
    fn a_fixed_host_is_checked_once_with_the_same_verdict() {
        let rows = vec![vec![Some("1")], vec![Some("a/../../x")], vec![None]];
        let (t, o) = templates(&[
            ("url", "http://127.0.0.1:9/c/{id}"),
            ("allowedHosts", "127.0.0.1"),
        ]);
        let plan = t.plan(&input(&["id"], rows.clone(), false), &o.allowed_hosts);
        assert_eq!((plan.rows[0].clone(), plan.rows[1].clone()), (Ok(0), Ok(1)));
        // The value is encoded: it stays in the path of the same host.
        assert_eq!(plan.requests[1].url, "http://127.0.0.1:9/c/a%2F..%2F..%2Fx");
        assert!(plan.rows[2].as_ref().unwrap_err().contains("'id' is null"));
        let refused = t.plan(&input(&["id"], rows, false), &["example.com".into()]);
        for row in &refused.rows[..2] {
            assert_eq!(
                row.as_ref().unwrap_err(),
                "host '127.0.0.1' is not in allowedHosts"
            );
        }
        assert!(refused.requests.is_empty());
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
