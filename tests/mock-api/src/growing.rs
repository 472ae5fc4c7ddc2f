//! Feeds that grow while a stream reads them, shaped like the APIs people
//! poll (SPEC.md section 5), for the record-log streaming tests.
//!
//! A feed is named in the path (`/grow/{feed}/...`) and starts its clock at
//! its first request; its shape comes from that request's query parameters:
//! `per` records share one offset value (default 3), a new value (a group of
//! `per` records) appears every `every` ms (default 100), `groups` bounds it
//! (default 100). Record `n` (from 1) is `{"id": n, "ts": g, "value": ...}`
//! with group `g = (n - 1) / per + 1`. Each feed counts its requests, served
//! with everything produced at `/grow/{feed}/all`.
//!
//! - `timestamp?since=T`: `{"latest_timestamp", "events"}`, records with
//!   `ts > T`, whole groups (offset in the envelope).
//! - `ids?from=N`: a bare JSON array of records with `ts >= N` (incremental).
//! - `max?from=T`: `{"data": [...]}` with `ts >= T` (max_field, inclusive).
//! - `cursor?cursor=C&limit=L`: `{"results", "next_cursor"}`; `C` is `start`
//!   or `p<k>` (records from index k); a page shorter than `L` is the last one
//!   and has a null cursor, and the same cursor later returns more.
//! - `replay?since=T`: like `timestamp` (records carry `ts`), but an API
//!   whose history changes: once a client has moved on twice past a record
//!   (asked for two higher offsets), asking for it again returns that history
//!   reversed with every other record dropped. A stream that re-polls to
//!   replay a batch loses records; one that replays its log does not.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use crate::clock::now_ms;
use crate::params::{BadParam, Params};
use crate::reply::json;
use crate::state::Shared;

#[derive(Clone, Copy)]
struct Feed {
    start_ms: u64,
    per: u64,
    every: u64,
    groups: u64,
    requests: u64,
    /// Highest `since` asked of the replay endpoint, and the one before it.
    high_water: u64,
    rewrite_below: u64,
}

impl Feed {
    fn visible_groups(&self, now: u64) -> u64 {
        (now.saturating_sub(self.start_ms) / self.every.max(1)).min(self.groups)
    }

    fn visible(&self) -> u64 {
        self.visible_groups(now_ms()) * self.per
    }

    fn record(&self, n: u64) -> Value {
        let g = (n - 1) / self.per + 1;
        let kind = if n.is_multiple_of(2) {
            "important"
        } else {
            "routine"
        };
        json!({"id": n, "ts": g, "timestamp": g, "event_type": kind, "value": format!("grow-{n}")})
    }

    /// Records of groups `first..` that are visible, at most `limit` whole
    /// groups' worth (a group is never split).
    fn groups_from(&self, first: u64, limit: u64) -> Vec<Value> {
        let last = self.visible_groups(now_ms());
        let per = self.per.max(1);
        let count = limit.div_ceil(per).max(1);
        let end = first.max(1).saturating_add(count).min(last + 1);
        (first.max(1)..end)
            .flat_map(|g| ((g - 1) * per + 1)..=(g * per))
            .map(|n| self.record(n))
            .collect()
    }
}

/// Every growing feed of one server, by name.
#[derive(Default)]
pub struct Feeds {
    feeds: Mutex<HashMap<String, Feed>>,
}

impl Feeds {
    /// The feed (created at its first request), counting this request.
    fn hit(&self, name: &str, params: &Params, count: bool) -> Result<Feed, BadParam> {
        let mut feeds = self.feeds.lock().unwrap_or_else(|p| p.into_inner());
        let feed = match feeds.get_mut(name) {
            Some(feed) => feed,
            None => {
                let feed = Feed {
                    start_ms: now_ms(),
                    per: params.at_least("per", 3, 1)?,
                    every: params.at_least("every", 100, 1)?,
                    groups: params.get("groups", 100)?,
                    requests: 0,
                    high_water: 0,
                    rewrite_below: 0,
                };
                feeds.entry(name.to_string()).or_insert(feed)
            }
        };
        if count {
            feed.requests += 1;
        }
        Ok(*feed)
    }

    fn raise_high_water(&self, name: &str, since: u64) {
        let mut feeds = self.feeds.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(feed) = feeds.get_mut(name) {
            if since > feed.high_water {
                feed.rewrite_below = feed.high_water;
                feed.high_water = since;
            }
        }
    }
}

type Reply = Result<Response, BadParam>;
/// `GET /grow/{feed}/{style}`.
pub async fn serve(
    State(app): State<Shared>,
    Path((name, style)): Path<(String, String)>,
    Query(params): Query<Params>,
) -> Reply {
    answer(&app, name, style, &params)
}

/// Seed 002's example endpoints under `/seed002` (its host replaced by
/// `http://127.0.0.1:PORT/seed002`): `/events?since=` (Pattern 1),
/// `/data?cursor=` (Pattern 2), `/items?start_id=` (Pattern 3), each its own
/// feed of the default shape; `/seed002/{endpoint}/all` for the tests.
pub async fn seed002(
    State(app): State<Shared>,
    Path(rest): Path<String>,
    Query(params): Query<Params>,
) -> Reply {
    let (endpoint, all) = match rest.strip_suffix("/all") {
        Some(endpoint) => (endpoint.to_string(), true),
        None => (rest, false),
    };
    let style = match (endpoint.as_str(), all) {
        (_, true) => "all",
        ("events", _) => "timestamp",
        ("data", _) => "cursor",
        ("items", _) => "items",
        _ => return Ok(crate::reply::not_found()),
    };
    answer(
        &app,
        format!("seed002-{endpoint}"),
        style.to_string(),
        &params,
    )
}

fn answer(app: &Shared, name: String, style: String, params: &Params) -> Reply {
    let feed = app.growing.hit(&name, params, style != "all")?;
    let limit = params.get("limit", 1000)?;
    let body = match style.as_str() {
        "timestamp" => {
            let since = params.get("since", 0)?;
            let events = feed.groups_from(since + 1, limit);
            let latest = events
                .last()
                .map_or(since, |e| e["ts"].as_u64().unwrap_or(0));
            json!({"latest_timestamp": latest, "events": events})
        }
        "ids" => Value::Array(feed.groups_from(params.get("from", 0)?, limit)),
        "items" => {
            let first = params.get("start_id", 0u64)?.max(1);
            let last = feed
                .visible()
                .min(first.saturating_add(limit).saturating_sub(1));
            Value::Array((first..=last).map(|n| feed.record(n)).collect())
        }
        "max" => json!({"data": feed.groups_from(params.get("from", 0)?, limit)}),
        "cursor" => cursor(&feed, params)?,
        "replay" => {
            let since = params.get("since", 0)?;
            app.growing.raise_high_water(&name, since);
            json!({"events": rewritten(&feed, since, limit)})
        }
        "all" => {
            let produced = feed.visible();
            json!({
                "events": (1..=produced).map(|n| feed.record(n)).collect::<Vec<_>>(),
                "produced": produced,
                "done": produced == feed.groups * feed.per,
                "requests": feed.requests,
            })
        }
        _ => return Ok(crate::reply::not_found()),
    };
    Ok(json(StatusCode::OK, body))
}

fn cursor(feed: &Feed, params: &Params) -> Result<Value, BadParam> {
    let raw = params.get("cursor", "start".to_string())?;
    let start: u64 = match raw.as_str() {
        "start" | "" | "0" => 0,
        other => match other.strip_prefix('p').and_then(|k| k.parse().ok()) {
            Some(k) => k,
            None => return Err(crate::params::bad_param("cursor", other)),
        },
    };
    let limit = params.at_least("limit", 10, 1)?;
    let visible = feed.visible();
    let end = start.saturating_add(limit).min(visible);
    let results: Vec<Value> = (start..end.max(start))
        .map(|i| feed.record(i + 1))
        .collect();
    let next = (start + limit <= visible).then(|| format!("p{}", start + limit));
    Ok(json!({"results": results, "next_cursor": next}))
}

/// The replay endpoint's answer to `since`: history below the high-water
/// mark reversed with every other record dropped, then what is new.
fn rewritten(feed: &Feed, since: u64, limit: u64) -> Vec<Value> {
    let events = feed.groups_from(since + 1, limit);
    if since >= feed.rewrite_below {
        return events;
    }
    let (mut old, new): (Vec<Value>, Vec<Value>) = events
        .into_iter()
        .partition(|e| e["ts"].as_u64().unwrap_or(0) <= feed.rewrite_below);
    old.reverse();
    old.into_iter().step_by(2).chain(new).collect()
}

#[cfg(test)]
#[path = "growing_tests.rs"]
mod tests;
