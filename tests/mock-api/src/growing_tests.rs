use std::time::Duration;

use serde_json::Value;

use crate::testutil::get_json;
use crate::{Config, MockServer};

fn ids(records: &Value) -> Vec<u64> {
    records
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn feeds_grow_in_runs_and_cursors_resume_a_null_page() {
    let server = MockServer::start(Config::default()).await.unwrap();
    let addr = server.addr();
    let shape = "per=3&every=20&groups=5";
    get_json(addr, &format!("/grow/a/ids?{shape}")).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    let all = get_json(addr, "/grow/a/all").await;
    assert_eq!(all["produced"], 15);
    assert_eq!(all["done"], true);
    assert_eq!(all["requests"], 1);
    // Inclusive ids: the whole run at ts 2 and after.
    let ids_from = get_json(addr, &format!("/grow/a/ids?{shape}&from=4")).await;
    assert_eq!(ids(&ids_from), [10, 11, 12, 13, 14, 15]);
    // Exclusive timestamps in the envelope.
    let ts = get_json(addr, &format!("/grow/a/timestamp?{shape}&since=3")).await;
    assert_eq!(
        (ids(&ts["events"]).len(), ts["latest_timestamp"].as_u64()),
        (6, Some(5))
    );
    // Cursor pages of 4: the last page (3 records) has a null cursor.
    let page = get_json(addr, &format!("/grow/a/cursor?{shape}&cursor=p12&limit=4")).await;
    assert_eq!(
        (ids(&page["results"]), page["next_cursor"].is_null()),
        (vec![13, 14, 15], true)
    );
    let first = get_json(
        addr,
        &format!("/grow/a/cursor?{shape}&cursor=start&limit=4"),
    )
    .await;
    assert_eq!(first["next_cursor"], "p4");
}

#[tokio::test]
async fn replay_rewrites_history_behind_the_client() {
    let server = MockServer::start(Config::default()).await.unwrap();
    let addr = server.addr();
    let shape = "per=1&every=10&groups=6";
    get_json(addr, &format!("/grow/r/replay?{shape}&since=0")).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    for since in [2, 4] {
        get_json(addr, &format!("/grow/r/replay?{shape}&since={since}")).await;
    }
    let again = get_json(addr, &format!("/grow/r/replay?{shape}&since=0")).await;
    assert_eq!(ids(&again["events"]), [2, 3, 4, 5, 6]);
}
