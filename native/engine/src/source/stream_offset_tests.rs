use serde_json::{json, Value};

use super::*;

fn ts_records(values: &[u64]) -> Vec<Value> {
    values
        .iter()
        .enumerate()
        .map(|(i, t)| json!({"id": i, "ts": t}))
        .collect()
}

fn path(f: &str) -> Vec<String> {
    vec![f.to_string()]
}

fn ids(records: &[Value]) -> Vec<u64> {
    records.iter().map(|r| r["id"].as_u64().unwrap()).collect()
}

#[test]
fn a_cut_inside_a_run_resumes_at_the_same_request() {
    // Inclusive API: since=0 returns runs of 3 per timestamp.
    let answer = ts_records(&[1, 1, 1, 2, 2, 2, 3]);
    let first = cut(
        OffsetType::MaxField,
        &path("ts"),
        &json!({}),
        answer.clone(),
        &StreamOffset::at("0"),
        4,
    );
    assert_eq!(ids(&first.records), [0, 1, 2, 3]);
    assert!(first.truncated);
    let next = first.next.unwrap();
    assert_eq!((next.value.as_str(), next.skip), ("0", 4));
    let second = cut(
        OffsetType::MaxField,
        &path("ts"),
        &json!({}),
        answer,
        &next,
        4,
    );
    assert_eq!(ids(&second.records), [4, 5, 6]);
    let next = second.next.unwrap();
    assert_eq!(
        (next.value.as_str(), next.skip, next.mode),
        ("3", 1, SkipMode::Equal)
    );
    // Inclusive: the run at 3 comes again and is skipped; exclusive: nothing to skip.
    let inclusive = cut(
        OffsetType::MaxField,
        &path("ts"),
        &json!({}),
        vec![json!({"id": 6, "ts": 3}), json!({"id": 7, "ts": 3})],
        &next,
        4,
    );
    assert_eq!(ids(&inclusive.records), [7]);
    assert_eq!(inclusive.next.unwrap().skip, 2);
    let exclusive = cut(
        OffsetType::MaxField,
        &path("ts"),
        &json!({}),
        vec![json!({"id": 8, "ts": 4})],
        &next,
        4,
    );
    assert_eq!(ids(&exclusive.records), [8]);
}

#[test]
fn a_null_cursor_page_delivers_and_is_asked_again() {
    let page = json!({"next_cursor": null});
    let at = StreamOffset::at("c1");
    let one = cut(
        OffsetType::Cursor,
        &path("next_cursor"),
        &page,
        ts_records(&[1, 2]),
        &at,
        10,
    );
    assert_eq!(ids(&one.records), [0, 1]);
    let next = one.next.unwrap();
    assert_eq!((next.value.as_str(), next.skip), ("c1", 2));
    // Later the same page has one more record and a cursor.
    let two = cut(
        OffsetType::Cursor,
        &path("next_cursor"),
        &json!({"next_cursor": "c2"}),
        ts_records(&[1, 2, 3]),
        &next,
        10,
    );
    assert_eq!(ids(&two.records), [2]);
    assert_eq!(two.next.unwrap(), StreamOffset::at("c2"));
    // Nothing new and no cursor: the offset does not move.
    let none = cut(
        OffsetType::Cursor,
        &path("next_cursor"),
        &page,
        ts_records(&[1, 2]),
        &next,
        10,
    );
    assert!(none.next.is_none() && none.records.is_empty());
}

#[test]
fn envelope_timestamps_and_increments() {
    let env = json!({"latest_timestamp": 9});
    let cut1 = cut(
        OffsetType::Timestamp,
        &path("latest_timestamp"),
        &env,
        ts_records(&[5, 9]),
        &StreamOffset::at("0"),
        1,
    );
    assert_eq!(cut1.next.unwrap().skip, 1);
    let cut2 = cut(
        OffsetType::Timestamp,
        &path("latest_timestamp"),
        &env,
        ts_records(&[5, 9]),
        &StreamOffset::at("0"),
        5,
    );
    assert_eq!(cut2.next.unwrap(), StreamOffset::at("9"));
    let inc = cut(
        OffsetType::Incremental,
        &path("ts"),
        &json!([]),
        ts_records(&[5, 6]),
        &StreamOffset::at("5"),
        5,
    );
    assert_eq!(inc.next.unwrap(), StreamOffset::at("7"));
}

#[test]
fn where_the_field_is() {
    let recs = ts_records(&[1]);
    assert!(field_found(
        OffsetType::Timestamp,
        &path("ts"),
        &json!({}),
        &recs
    ));
    assert!(!field_found(
        OffsetType::Timestamp,
        &path("nope"),
        &json!({"a": 1}),
        &recs
    ));
    assert!(!field_found(
        OffsetType::Cursor,
        &path("next"),
        &json!({"a": 1}),
        &recs
    ));
}

#[test]
fn a_cut_between_runs_moves_on() {
    let answer = ts_records(&[1, 1, 2, 2]);
    let one = cut(
        OffsetType::MaxField,
        &path("ts"),
        &json!({}),
        answer,
        &StreamOffset::at("0"),
        2,
    );
    assert!(one.truncated);
    let next = one.next.unwrap();
    assert_eq!(
        (next.value.as_str(), next.skip, next.mode),
        ("1", 2, SkipMode::Equal)
    );
    let inc = cut(
        OffsetType::Incremental,
        &path("ts"),
        &json!({}),
        ts_records(&[1, 2, 3]),
        &StreamOffset::at("1"),
        2,
    );
    assert_eq!(inc.next.unwrap(), StreamOffset::at("3"));
}
