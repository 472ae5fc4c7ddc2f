//! The event feed for streaming tests. Event `n` (from 1) becomes visible at
//! `start + ceil(n * 1000 / rate)` ms: the feed is a pure function of the
//! server's start time and the clock, so every poll style sees the same
//! events, none ever changes, and a restarted query can be checked against
//! `/events/all` exactly.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use crate::clock::{now_ms, rfc3339_ms};
use crate::params::{encode_cursor, BadParam, Params};
use crate::reply::json;
use crate::state::Shared;

const DEFAULT_LIMIT: u64 = 1000;
const CURSOR_KIND: &str = "ev";

pub struct EventFeed {
    start_ms: u64,
    /// Events per second, at most 1000 (checked by `Config::validate`) so
    /// timestamps are strictly increasing.
    rate: u64,
    /// Last event ever produced; 0 = unbounded.
    max: u64,
}

impl EventFeed {
    pub fn starting_now(rate: u64, max: u64) -> EventFeed {
        EventFeed {
            start_ms: now_ms(),
            rate,
            max,
        }
    }

    /// When event `seq` becomes visible.
    fn timestamp(&self, seq: u64) -> u64 {
        let offset = (u128::from(seq) * 1000).div_ceil(u128::from(self.rate.max(1)));
        self.start_ms.saturating_add(offset as u64)
    }

    /// The last visible event at `now`: the largest n with timestamp(n) <= now.
    fn visible(&self, now: u64) -> u64 {
        if self.rate == 0 {
            return 0;
        }
        let elapsed = u128::from(now.saturating_sub(self.start_ms));
        let produced = (elapsed * u128::from(self.rate) / 1000) as u64;
        if self.max > 0 {
            produced.min(self.max)
        } else {
            produced
        }
    }

    /// The first event with timestamp > `since`.
    fn first_after(&self, since: u64) -> u64 {
        if since < self.start_ms || self.rate == 0 {
            return 1;
        }
        let elapsed = u128::from(since - self.start_ms);
        (elapsed * u128::from(self.rate) / 1000) as u64 + 1
    }

    fn event(&self, seq: u64) -> Value {
        let timestamp = self.timestamp(seq);
        json!({
            "id": seq,
            "seq": seq,
            "timestamp": timestamp,
            "ts_iso": rfc3339_ms(timestamp),
            "value": format!("event-{seq}"),
        })
    }

    /// Visible events from `first` on, oldest first, at most `limit`.
    fn from(&self, first: u64, limit: u64) -> Vec<Value> {
        let last = self.visible(now_ms());
        let end = first.saturating_add(limit).min(last.saturating_add(1));
        (first..end).map(|seq| self.event(seq)).collect()
    }
}

fn last_field(events: &[Value], field: &str) -> Option<u64> {
    events.last().and_then(|event| event[field].as_u64())
}

type Reply = Result<Response, BadParam>;

/// `GET /events?since=T&limit=L` (timestamp offset).
pub async fn since(State(app): State<Shared>, Query(params): Query<Params>) -> Reply {
    let since = params.get("since", 0)?;
    let limit = params.get("limit", DEFAULT_LIMIT)?;
    let events = app.feed.from(app.feed.first_after(since), limit);
    let latest = last_field(&events, "timestamp").unwrap_or(since);
    Ok(json(
        StatusCode::OK,
        json!({ "events": events, "latest_timestamp": latest }),
    ))
}

/// `GET /events/cursor?cursor=C&limit=L`: `next_cursor` is null when there
/// is nothing new, and the client keeps its cursor.
pub async fn cursor(State(app): State<Shared>, Query(params): Query<Params>) -> Reply {
    let after = params.cursor("cursor", CURSOR_KIND)?;
    let limit = params.get("limit", DEFAULT_LIMIT)?;
    let events = app.feed.from(after.saturating_add(1), limit);
    let next_cursor = last_field(&events, "seq").map(|seq| encode_cursor(CURSOR_KIND, seq));
    Ok(json(
        StatusCode::OK,
        json!({ "events": events, "next_cursor": next_cursor }),
    ))
}

/// `GET /events/seq?after=N&limit=L` (max_field offsets: seq > N) or
/// `GET /events/seq?from=N&limit=L` (incremental offsets: seq >= N).
pub async fn after_seq(State(app): State<Shared>, Query(params): Query<Params>) -> Reply {
    let after: u64 = params.get("after", 0)?;
    let first = match params.get::<u64>("from", 0)? {
        0 => after.saturating_add(1),
        from => from,
    };
    let limit = params.get("limit", DEFAULT_LIMIT)?;
    let events = app.feed.from(first, limit);
    Ok(json(StatusCode::OK, json!({ "events": events })))
}

/// `GET /events/all`: everything produced so far, for tests to compare with.
pub async fn all(State(app): State<Shared>) -> Response {
    json(
        StatusCode::OK,
        json!({ "events": app.feed.from(1, u64::MAX) }),
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::testutil::get_json;
    use crate::{Config, MockServer};

    #[test]
    fn visibility_and_since_agree_with_timestamps() {
        for rate in [1, 3, 7, 50, 333, 1000] {
            let feed = EventFeed {
                start_ms: 1_000_000,
                rate,
                max: 0,
            };
            for seq in 1..200 {
                assert!(feed.timestamp(seq) < feed.timestamp(seq + 1));
                let at = feed.timestamp(seq);
                assert_eq!(feed.visible(at), seq, "rate {rate} seq {seq}");
                assert_eq!(feed.visible(at - 1), seq - 1, "rate {rate} seq {seq}");
                assert_eq!(feed.first_after(at), seq + 1);
                assert_eq!(feed.first_after(at - 1), seq);
            }
            assert_eq!(feed.first_after(0), 1);
        }
        let capped = EventFeed {
            start_ms: 0,
            rate: 10,
            max: 5,
        };
        assert_eq!(capped.visible(60_000), 5);
    }

    fn seqs(body: &Value) -> Vec<u64> {
        body["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["seq"].as_u64().unwrap())
            .collect()
    }

    #[tokio::test]
    async fn feed_is_monotonic_and_consistent_across_styles() {
        let config = Config {
            event_rate: 200,
            ..Config::default()
        };
        let server = MockServer::start(config).await.unwrap();
        let addr = server.addr();
        tokio::time::sleep(Duration::from_millis(150)).await;

        let all = get_json(addr, "/events/all").await;
        let events = all["events"].as_array().unwrap().clone();
        assert!(events.len() >= 20, "{} events", events.len());
        for (i, event) in events.iter().enumerate() {
            let seq = i as u64 + 1;
            assert_eq!(event["id"], seq);
            assert_eq!(event["value"], format!("event-{seq}"));
            assert!(event["ts_iso"].as_str().unwrap().ends_with('Z'));
        }
        assert!(events
            .windows(2)
            .all(|w| w[0]["timestamp"].as_u64() < w[1]["timestamp"].as_u64()));

        // Timestamp offset: strictly after the 5th event, 3 at a time.
        let since = events[4]["timestamp"].as_u64().unwrap();
        let page = get_json(addr, &format!("/events?since={since}&limit=3")).await;
        assert_eq!(seqs(&page), [6, 7, 8]);
        assert_eq!(page["latest_timestamp"], events[7]["timestamp"]);
        let future = u64::MAX / 2;
        let empty = get_json(addr, &format!("/events?since={future}")).await;
        assert_eq!(
            (seqs(&empty).len(), empty["latest_timestamp"].as_u64()),
            (0, Some(future))
        );

        // Sequence offset.
        assert_eq!(
            seqs(&get_json(addr, "/events/seq?after=10&limit=2").await),
            [11, 12]
        );

        // Cursor: walk everything visible, then a null cursor when caught up.
        let mut seen = Vec::new();
        let mut path = "/events/cursor?limit=7".to_string();
        loop {
            let body = get_json(addr, &path).await;
            seen.extend(seqs(&body));
            match body["next_cursor"].as_str() {
                Some(cursor) if seen.len() < events.len() => {
                    path = format!("/events/cursor?limit=7&cursor={cursor}");
                }
                _ => break,
            }
        }
        assert_eq!(seen[..events.len()], seqs(&all)[..]);
        assert!(seen.windows(2).all(|w| w[1] == w[0] + 1));
    }

    #[tokio::test]
    async fn capped_feed_reports_nothing_new() {
        let config = Config {
            event_rate: 1000,
            event_max: 5,
            ..Config::default()
        };
        let server = MockServer::start(config).await.unwrap();
        tokio::time::sleep(Duration::from_millis(30)).await;
        let all = get_json(server.addr(), "/events/all").await;
        assert_eq!(seqs(&all), [1, 2, 3, 4, 5]);
        let cursor = get_json(server.addr(), "/events/cursor?cursor=ev_5").await;
        assert_eq!(
            (seqs(&cursor).len(), cursor["next_cursor"].is_null()),
            (0, true)
        );
    }
}
