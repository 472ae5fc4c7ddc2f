//! Property-based tests: bad input never crashes. Random option maps,
//! templates and response bodies (random strings, deep nesting, huge
//! numbers, invalid UTF-8, duplicate keys) go through the option parser, the
//! URL/body template renderer and the JSON-to-Arrow decoder; every failure
//! must be a clear error or a row's `_error`, never a panic. Case counts are
//! kept small so the suite runs in seconds.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, Field, Fields};
use proptest::prelude::*;

use crate::decode::output::RowResult;
use crate::decode::typed::typed_result;
use crate::options::engine_options::BatchEndpoint;
use crate::options::engine_options::{EngineOptions, Secrets};
use crate::plan::batch_endpoint;
use crate::plan::input::InputColumns;
use crate::plan::template::{Escape, Template};
use crate::send::outcome::Outcome;

/// Option names worth mixing: canonical ones, aliases, recipe names, junk.
const NAMES: &[&str] = &[
    "url",
    "method",
    "body",
    "headers",
    "auth",
    "token",
    "userId",
    "userPassword",
    "apiKey",
    "apiKeyHeader",
    "oauth2TokenUrl",
    "oauth2ClientId",
    "concurrency",
    "rateLimit",
    "retryOnStatus",
    "maxRetries",
    "batchKey",
    "batchBody",
    "batchResultsField",
    "bodyColumns",
    "bodyFormat",
    "queryType",
    "dataField",
    "explode",
    "schema",
    "allowedHosts",
    "authType",
    "oauthToken",
    "cookie",
    "readTimeout",
    "connectionTimeout",
    "postInputFormat",
    "includeInputsInOutput",
    "jsonPath",
    "partitions",
    "streaming",
    "timeout",
    "backoff_factor",
    "status_forcelist",
    "sleep_seconds",
    "batch_size",
    "batchSize",
    "header.X-A",
    "zzz",
];

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9 ,.:/{}\"_-]{0,30}",
        Just("http://127.0.0.1:1/x/{id}".to_string()),
        Just("POST".to_string()),
        Just("18446744073709551616".to_string()),
        Just("-1".to_string()),
        Just("env:NOPE".to_string()),
        Just("{\"a\": 1, \"a\": 2}".to_string()),
    ]
}

fn option_map() -> impl Strategy<Value = BTreeMap<String, String>> {
    let name = prop_oneof![
        4 => proptest::sample::select(NAMES).prop_map(|s| s.to_string()),
        1 => any::<String>(),
    ];
    proptest::collection::btree_map(name, value(), 0..8)
}

/// JSON text: random trees, deep nesting, huge numbers, duplicate keys.
fn json_text() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_string()),
        any::<bool>().prop_map(|b| b.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| f.to_string()),
        "[0-9]{20,400}",
        "-?[0-9]{1,3}e[0-9]{3,5}",
        any::<String>().prop_map(|s| serde_json::Value::String(s).to_string()),
    ];
    let tree = leaf.prop_recursive(6, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6)
                .prop_map(|v| format!("[{}]", v.join(","))),
            proptest::collection::vec(
                (
                    prop_oneof![
                        Just("score".to_string()),
                        Just("name".to_string()),
                        Just("nested".to_string()),
                        Just("tags".to_string()),
                        "[a-z]{1,4}"
                    ],
                    inner
                ),
                0..6
            )
            .prop_map(|kv| {
                let fields: Vec<String> = kv
                    .into_iter()
                    .map(|(k, v)| format!("\"{k}\":{v}"))
                    .collect();
                format!("{{{}}}", fields.join(","))
            }),
        ]
    });
    prop_oneof![
        6 => tree,
        1 => (1usize..3000).prop_map(|d| format!("{}1{}", "[".repeat(d), "]".repeat(d))),
        1 => (1usize..3000).prop_map(|d| format!("{}{}", "{\"nested\":".repeat(d), "}".repeat(d))),
    ]
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => json_text().prop_map(String::into_bytes),
        1 => proptest::collection::vec(any::<u8>(), 0..200),
        1 => json_text().prop_map(|t| {
            // Invalid UTF-8 inside otherwise plausible JSON.
            let mut b = t.into_bytes();
            let tail = b.split_off(b.len() / 2);
            b.extend_from_slice(&[0xff, 0xfe, 0xc3]);
            b.extend(tail);
            b
        }),
    ]
}

fn schema() -> Fields {
    let nested = Fields::from(vec![
        Field::new("score", DataType::Int32, true),
        Field::new("name", DataType::Utf8, true),
    ]);
    Fields::from(vec![
        Field::new("score", DataType::Int64, true),
        Field::new("name", DataType::Utf8, true),
        Field::new("nested", DataType::Struct(nested), true),
        Field::new(
            "tags",
            DataType::List(Arc::new(Field::new("item", DataType::Float64, true))),
            true,
        ),
        Field::new("amount", DataType::Decimal128(12, 2), true),
    ])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn option_parser_never_panics(raw in option_map()) {
        for result in [
            EngineOptions::parse(&raw, Secrets::Keep).map(|_| ()),
            crate::options::analyze::analyze(&raw).map(|_| ()),
            crate::source::source_options::SourceOptions::parse(&raw).map(|_| ()),
        ] {
            if let Err(e) = result {
                let message = e.to_string();
                prop_assert!(message.contains("option"), "unclear error: {}", message);
                prop_assert!(!message.contains('\n'), "multi-line error: {}", message);
            }
        }
    }

    #[test]
    fn url_values_never_escape_their_placeholder(
        template in "[a-z/:{}._-]{0,40}",
        values in proptest::collection::vec(proptest::option::of(any::<String>()), 0..5),
    ) {
        let mut columns = Vec::new();
        let t = Template::parse(&template, Escape::Url, &mut columns);
        let values: Vec<Option<&str>> = values.iter().map(|v| v.as_deref()).collect();
        let _ = t.render(&values, &columns);
        let mut one = Vec::new();
        let t = Template::parse("{v}", Escape::Url, &mut one);
        if let Some(Some(v)) = values.first() {
            let out = t.render(&[Some(*v)], &one).unwrap();
            prop_assert!(out.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.~%".contains(&b)), "{}", out);
        }
    }

    #[test]
    fn json_body_values_stay_inside_their_string(value in any::<String>()) {
        let mut columns = Vec::new();
        let t = Template::parse(r#"{"v": "{v}"}"#, Escape::Json, &mut columns);
        let out = t.render(&[Some(value.as_str())], &columns).unwrap();
        let parsed: serde_json::Value = serde_json::from_str(&out).unwrap();
        prop_assert_eq!(parsed["v"].as_str(), Some(value.as_str()));
        prop_assert_eq!(parsed.as_object().map(|o| o.len()), Some(1));
    }

    #[test]
    fn decoder_turns_any_body_into_a_row(
        bodies in proptest::collection::vec(body(), 1..6),
        data_field in proptest::option::of(prop_oneof![Just("nested"), Just("a.b"), Just("")]),
    ) {
        let mut pairs = vec![];
        if let Some(f) = data_field {
            pairs.push(("dataField", f));
        }
        let options = crate::test_support::parsed_options("http://127.0.0.1/x", &pairs);
        let outcomes: Vec<Outcome> = bodies.iter().map(|b| Outcome::from_response(200, b.clone())).collect();
        let rows: Vec<RowResult<'_>> = outcomes.iter().map(RowResult::Response).collect();
        let fields = schema();
        let out = typed_result(&rows, &fields, &options);
        let out = match out {
            Ok(out) => out,
            Err(e) => return Err(TestCaseError::fail(format!("batch failed instead of rows: {e}"))),
        };
        prop_assert_eq!(out.len(), bodies.len());
        let errors = out.column(out.num_columns() - 1).as_string::<i32>();
        for (i, b) in bodies.iter().enumerate() {
            if serde_json::from_slice::<serde_json::Value>(b).is_err() {
                prop_assert!(errors.is_valid(i), "unparsable body without _error: {:?}", String::from_utf8_lossy(b));
            }
        }
    }

    #[test]
    fn batch_answers_of_any_shape_give_every_key_an_outcome(
        body in body(),
        result_key in proptest::option::of(Just("score".to_string())),
        field in prop_oneof![Just("results"), Just(""), Just("nested")],
    ) {
        let batch = BatchEndpoint {
            key_column: "id".into(),
            url: "http://127.0.0.1/batch".into(),
            request_size: 3,
            body: r#"{"ids": {keys}}"#.into(),
            results_field: crate::options::engine_options::split_path(field),
            result_key,
        };
        let input = InputColumns {
            names: vec!["id".into()],
            values: vec![(1..=4).map(|i| Some(i.to_string())).collect()],
            json_literal: vec![true],
            num_rows: 4,
        };
        let plan = batch_endpoint::plan(&input, 0, &batch);
        let outcomes = vec![Outcome::from_response(200, body); plan.requests.len()];
        let per_key = batch_endpoint::distribute(&plan, &outcomes, &batch);
        prop_assert_eq!(per_key.len(), 4);
        for outcome in per_key {
            prop_assert!(outcome.is_success() || outcome.error.is_some());
        }
    }
}
