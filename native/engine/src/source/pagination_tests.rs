//! Unit tests of `pagination.rs` and `page_ranges.rs`: page URLs, the next
//! step of each pagination type, `maxPages` and page ranges.

use super::*;
use crate::source::page_ranges::{split, totals};
use serde_json::json;

fn options(pairs: &[(&str, &str)]) -> SourceOptions {
    SourceOptions::parse(
        &pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
    .unwrap()
}

#[test]
fn page_urls_replace_their_parameters() {
    let o = options(&[("paginationType", "page"), ("pageSize", "50")]);
    let state = PageState {
        step: Step::At { position: 3 },
        end: None,
        pages_read: 0,
        prefetched: None,
    };
    let url = page_url("http://h/items?page=9&x=1", &state, &o).unwrap();
    assert_eq!(url, "http://h/items?x=1&page=3&per_page=50");
}

#[test]
fn page_pagination_stops_at_the_total_or_an_empty_page() {
    let o = options(&[("paginationType", "page")]);
    let first = PageState::first();
    let next = next_state(
        &first,
        "http://h/i",
        &json!({"total_pages": 3}),
        None,
        100,
        &o,
    )
    .unwrap();
    assert_eq!(next.step, Step::At { position: 2 });
    let last = PageState {
        step: Step::At { position: 3 },
        ..first.clone()
    };
    assert_eq!(
        next_state(
            &last,
            "http://h/i",
            &json!({"total_pages": 3}),
            None,
            100,
            &o
        ),
        None
    );
    assert_eq!(
        next_state(&first, "http://h/i", &json!({}), None, 0, &o),
        None
    );
}

#[test]
fn cursor_link_next_url_and_has_more() {
    let o = options(&[("paginationType", "cursor")]);
    let s = next_state(
        &PageState::first(),
        "http://h/c",
        &json!({"next_cursor": "abc"}),
        None,
        5,
        &o,
    )
    .unwrap();
    assert_eq!(
        s.step,
        Step::Cursor {
            cursor: "abc".into()
        }
    );
    assert_eq!(
        page_url("http://h/c?limit=5", &s, &o).unwrap(),
        "http://h/c?limit=5&cursor=abc"
    );
    assert_eq!(
        next_state(&s, "http://h/c", &json!({"next_cursor": null}), None, 5, &o),
        None
    );

    let o = options(&[("paginationType", "link")]);
    let link = r#"<http://h/l?page=2>; rel="next", <http://h/l?page=9>; rel="last""#;
    let s = next_state(
        &PageState::first(),
        "http://h/l",
        &json!([]),
        Some(link),
        5,
        &o,
    )
    .unwrap();
    assert_eq!(
        s.step,
        Step::Url {
            url: "http://h/l?page=2".into()
        }
    );

    let o = options(&[("paginationType", "nextUrl")]);
    let s = next_state(
        &PageState::first(),
        "http://h/n/a",
        &json!({"next": "/n/b"}),
        None,
        5,
        &o,
    )
    .unwrap();
    assert_eq!(
        s.step,
        Step::Url {
            url: "http://h/n/b".into()
        }
    );
    assert_eq!(
        next_state(
            &s,
            "http://h/n/b",
            &json!({"next": "/n/c", "has_more": false}),
            None,
            5,
            &o
        ),
        None
    );
}

#[test]
fn max_pages_and_ranges() {
    let o = options(&[("paginationType", "page"), ("maxPages", "2")]);
    let s = next_state(&PageState::first(), "http://h", &json!({}), None, 1, &o).unwrap();
    assert_eq!(next_state(&s, "http://h", &json!({}), None, 1, &o), None);

    let o = options(&[("paginationType", "offset"), ("pageSize", "10")]);
    let parts = split(totals(&json!({"total": 95}), &o), &o, 3).unwrap();
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[0].step, Step::At { position: 0 });
    assert_eq!(parts[0].end, Some(40));
    assert_eq!(parts[2].end, Some(100));
    let inside = next_state(&parts[0], "http://h", &json!({"total": 95}), None, 10, &o).unwrap();
    assert_eq!(inside.step, Step::At { position: 10 });
    let at_end = PageState {
        step: Step::At { position: 30 },
        ..parts[0].clone()
    };
    assert_eq!(
        next_state(&at_end, "http://h", &json!({"total": 95}), None, 10, &o),
        None
    );
}
