//! The data source's pages and polls against the mock API server.

use std::collections::BTreeMap;

use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, Field, Fields, Int64Type};
use mock_api::Config;

use crate::source::pagination::PageState;
use crate::source::reader::Source;
use crate::test_support::server;

fn source(pairs: &[(&str, String)], fields: Option<Fields>) -> Source {
    let raw: BTreeMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    Source::new(&raw, fields).unwrap()
}

fn id_fields() -> Fields {
    Fields::from(vec![
        Field::new("id", DataType::Int64, true),
        Field::new("name", DataType::Utf8, true),
    ])
}

/// Reads every partition of the plan to the end; the ids in read order.
fn read_all(s: &Source, partitions: u64) -> (Vec<i64>, usize) {
    let plan = s.plan_pages(partitions).unwrap();
    let mut ids = Vec::new();
    for start in plan.clone() {
        let mut state: Option<PageState> = Some(start);
        while let Some(current) = state {
            let page = s.fetch_page(&current).unwrap();
            ids.extend(
                page.records
                    .column(0)
                    .as_primitive::<Int64Type>()
                    .iter()
                    .flatten(),
            );
            state = page.next;
        }
    }
    (ids, plan.len())
}

#[test]
fn every_pagination_style_reads_each_item_once() {
    let api = server(Config {
        items: 95,
        ..Config::default()
    });
    let base = api.url();
    let styles: Vec<(&str, Vec<(&str, String)>)> = vec![
        (
            "page",
            vec![
                ("url", format!("{base}/items")),
                ("dataField", "results".into()),
                ("pageSize", "10".into()),
            ],
        ),
        (
            "offset",
            vec![
                ("url", format!("{base}/items/offset")),
                ("dataField", "results".into()),
                ("pageSize", "10".into()),
            ],
        ),
        (
            "cursor",
            vec![
                ("url", format!("{base}/items/cursor?limit=10")),
                ("dataField", "results".into()),
            ],
        ),
        (
            "link",
            vec![
                ("url", format!("{base}/items/link?per_page=10")),
                ("dataField", "results".into()),
            ],
        ),
        (
            "nextUrl",
            vec![
                ("url", format!("{base}/items/next?per_page=10")),
                ("dataField", "data.items".into()),
            ],
        ),
    ];
    for (kind, mut pairs) in styles {
        pairs.push(("paginationType", kind.to_string()));
        let (mut ids, partitions) = read_all(&source(&pairs, Some(id_fields())), 4);
        ids.sort_unstable();
        assert_eq!(ids, (1..=95).collect::<Vec<i64>>(), "{kind}");
        let parallel = matches!(kind, "page" | "offset");
        assert_eq!(partitions > 1, parallel, "{kind}: {partitions} partitions");
    }
}

#[test]
fn max_pages_caps_and_raw_records_are_json_text() {
    let api = server(Config::default());
    let pairs = vec![
        ("url", format!("{}/items/cursor?limit=10", api.url())),
        ("dataField", "results".into()),
        ("paginationType", "cursor".into()),
        ("maxPages", "3".into()),
    ];
    let s = source(&pairs, None);
    let mut state = Some(PageState::first());
    let mut rows = 0;
    while let Some(current) = state {
        let page = s.fetch_page(&current).unwrap();
        if rows == 0 {
            let first: serde_json::Value =
                serde_json::from_str(page.records.column(0).as_string::<i32>().value(0)).unwrap();
            assert_eq!(first["id"], 1);
        }
        rows += page.records.len();
        state = page.next;
    }
    assert_eq!(rows, 30);
    assert_eq!(api.stats().total, 3);
}

#[test]
fn polls_move_each_offset_type_forward_without_gaps_or_repeats() {
    let api = server(Config {
        event_rate: 1000,
        event_max: 40,
        ..Config::default()
    });
    std::thread::sleep(std::time::Duration::from_millis(200));
    let base = api.url();
    let kinds: Vec<(&str, &str, &str, &str)> = vec![
        ("timestamp", "/events?since={timestamp}", "timestamp", "0"),
        (
            "cursor",
            "/events/cursor?cursor={offset}",
            "next_cursor",
            "0",
        ),
        ("incremental", "/events/seq?from={offset}", "seq", "1"),
        ("max_field", "/events/seq?after={offset}", "seq", "0"),
    ];
    for (kind, path, field, initial) in kinds {
        let s = source(
            &[
                ("url", format!("{base}{path}")),
                ("dataField", "events".into()),
                ("offsetType", kind.into()),
                ("offsetField", field.into()),
            ],
            Some(Fields::from(vec![Field::new("seq", DataType::Int64, true)])),
        );
        let mut offset = initial.to_string();
        let mut seen = Vec::new();
        for _ in 0..20 {
            let poll = s.poll(&offset, 15).unwrap();
            seen.extend(
                poll.records
                    .column(0)
                    .as_primitive::<Int64Type>()
                    .iter()
                    .flatten(),
            );
            match poll.next_offset {
                Some(next) => offset = next,
                None => break,
            }
        }
        assert_eq!(seen, (1..=40).collect::<Vec<i64>>(), "{kind}");
        assert!(
            s.poll(&offset, 15).unwrap().next_offset.is_none(),
            "{kind}: nothing new at the end"
        );
    }
}

#[test]
fn a_failing_page_is_an_error_naming_the_request() {
    let api = server(Config::default());
    let s = source(
        &[
            ("url", format!("{}/status/503", api.url())),
            ("maxRetries", "1".into()),
            ("retryBackoff", "1".into()),
        ],
        None,
    );
    let err = s.fetch_page(&PageState::first()).err().unwrap().to_string();
    assert!(
        err.contains("GET") && err.contains("/status/503") && err.contains("HTTP 503"),
        "{err}"
    );
    let bad = BTreeMap::from([("url".to_string(), format!("{}/e/{{id}}", api.url()))]);
    assert!(Source::new(&bad, None)
        .err()
        .unwrap()
        .to_string()
        .contains("{id}"));
}
