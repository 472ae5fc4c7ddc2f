//! One dataset of `--items` items served in the five pagination styles the
//! engine supports, so a test can check each style returns every item once.

use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

use crate::params::{encode_cursor, BadParam, Params};
use crate::reply::json;
use crate::state::Shared;

const DEFAULT_PAGE_SIZE: u64 = 100;
const CURSOR_KIND: &str = "it";

type Reply = Result<Response, BadParam>;

fn item(i: u64) -> Value {
    json!({ "id": i, "name": format!("item-{i}"), "price": i as f64 * 0.25 })
}

/// Items at 0-based `offset`, at most `limit`; empty past the end.
fn slice(total: u64, offset: u64, limit: u64) -> Vec<Value> {
    let end = offset.saturating_add(limit).min(total);
    (offset.min(end)..end).map(|i| item(i + 1)).collect()
}

/// `page` (from 1) and `per_page` (from 1) of a page-style request, and the
/// 0-based offset they point to.
fn page_params(params: &Params) -> Result<(u64, u64, u64), BadParam> {
    let page = params.at_least("page", 1, 1)?;
    let per_page = params.at_least("per_page", DEFAULT_PAGE_SIZE, 1)?;
    Ok((page, per_page, (page - 1).saturating_mul(per_page)))
}

/// `GET /items?page=P&per_page=N`
pub async fn page(State(app): State<Shared>, Query(params): Query<Params>) -> Reply {
    let total = app.config.items;
    let (page, per_page, offset) = page_params(&params)?;
    Ok(json(
        StatusCode::OK,
        json!({
            "results": slice(total, offset, per_page),
            "page": page,
            "per_page": per_page,
            "total_pages": total.div_ceil(per_page),
            "total": total,
        }),
    ))
}

/// `GET /items/offset?offset=O&limit=L`
pub async fn offset(State(app): State<Shared>, Query(params): Query<Params>) -> Reply {
    let total = app.config.items;
    let offset = params.get("offset", 0)?;
    let limit = params.get("limit", DEFAULT_PAGE_SIZE)?;
    Ok(json(
        StatusCode::OK,
        json!({ "results": slice(total, offset, limit), "offset": offset, "total": total }),
    ))
}

/// `GET /items/cursor?cursor=C&limit=L`: `next_cursor` is null on the last
/// page.
pub async fn cursor(State(app): State<Shared>, Query(params): Query<Params>) -> Reply {
    let total = app.config.items;
    let start = params.cursor("cursor", CURSOR_KIND)?;
    let limit = params.at_least("limit", DEFAULT_PAGE_SIZE, 1)?;
    let results = slice(total, start, limit);
    let end = start.saturating_add(results.len() as u64);
    let next_cursor = (end < total).then(|| encode_cursor(CURSOR_KIND, end));
    Ok(json(
        StatusCode::OK,
        json!({ "results": results, "next_cursor": next_cursor }),
    ))
}

/// The absolute URL of the page after this one, if any item remains.
fn next_page_url(app: &Shared, path: &str, page: u64, per_page: u64) -> Option<String> {
    let seen = page.saturating_mul(per_page);
    let base = &app.base_url;
    (seen < app.config.items).then(|| format!("{base}{path}?page={}&per_page={per_page}", page + 1))
}

/// `GET /items/link?page=P&per_page=N`: the next page is only in the RFC 5988
/// `Link` header.
pub async fn link(State(app): State<Shared>, Query(params): Query<Params>) -> Reply {
    let (page, per_page, offset) = page_params(&params)?;
    let results = slice(app.config.items, offset, per_page);
    let mut response = json(StatusCode::OK, json!({ "results": results }));
    if let Some(next) = next_page_url(&app, "/items/link", page, per_page) {
        let value = format!("<{next}>; rel=\"next\"");
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    Ok(response)
}

/// `GET /items/next?page=P&per_page=N`: records nested under `data.items`,
/// the next page as an absolute URL in the body.
pub async fn next_url(State(app): State<Shared>, Query(params): Query<Params>) -> Reply {
    let (page, per_page, offset) = page_params(&params)?;
    let next = next_page_url(&app, "/items/next", page, per_page);
    Ok(json(
        StatusCode::OK,
        json!({
            "data": { "items": slice(app.config.items, offset, per_page) },
            "has_more": next.is_some(),
            "next": next,
        }),
    ))
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use super::*;
    use crate::testutil::{get, get_json};
    use crate::{Config, MockServer};

    async fn server() -> MockServer {
        let config = Config {
            items: 25,
            ..Config::default()
        };
        MockServer::start(config).await.unwrap()
    }

    fn ids(results: &Value) -> Vec<u64> {
        results
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["id"].as_u64().unwrap())
            .collect()
    }

    fn all_ids() -> Vec<u64> {
        (1..=25).collect()
    }

    /// `http://127.0.0.1:PORT/x?y` -> `/x?y`, checking the host is ours.
    fn local_path(addr: SocketAddr, url: &str) -> String {
        url.strip_prefix(&format!("http://{addr}"))
            .unwrap()
            .to_string()
    }

    #[test]
    fn items_and_slices() {
        assert_eq!(item(4), json!({"id": 4, "name": "item-4", "price": 1.0}));
        assert_eq!(slice(25, 20, 10).len(), 5);
        assert!(slice(25, 30, 10).is_empty());
        assert!(slice(25, u64::MAX, u64::MAX).is_empty());
    }

    #[tokio::test]
    async fn page_style_ends_with_an_empty_page() {
        let server = server().await;
        let mut seen = Vec::new();
        for page in 1.. {
            let body = get_json(server.addr(), &format!("/items?page={page}&per_page=10")).await;
            assert_eq!(
                (body["total"].as_u64(), body["total_pages"].as_u64()),
                (Some(25), Some(3))
            );
            if body["results"].as_array().unwrap().is_empty() {
                assert_eq!(page, 4);
                break;
            }
            seen.extend(ids(&body["results"]));
        }
        assert_eq!(seen, all_ids());
        assert_eq!(get(server.addr(), "/items?page=0").await.status, 400);
        assert_eq!(get(server.addr(), "/items?per_page=x").await.status, 400);
    }

    #[tokio::test]
    async fn offset_style() {
        let server = server().await;
        let mut seen = Vec::new();
        let mut offset = 0;
        loop {
            let body = get_json(
                server.addr(),
                &format!("/items/offset?offset={offset}&limit=7"),
            )
            .await;
            let page = ids(&body["results"]);
            if page.is_empty() {
                break;
            }
            offset += page.len();
            seen.extend(page);
        }
        assert_eq!(seen, all_ids());
    }

    #[tokio::test]
    async fn cursor_style_ends_with_a_null_cursor() {
        let server = server().await;
        let mut seen = Vec::new();
        let mut path = "/items/cursor?limit=10".to_string();
        loop {
            let body = get_json(server.addr(), &path).await;
            seen.extend(ids(&body["results"]));
            match body["next_cursor"].as_str() {
                Some(cursor) => path = format!("/items/cursor?limit=10&cursor={cursor}"),
                None => break,
            }
        }
        assert_eq!(seen, all_ids());
        assert_eq!(
            get(server.addr(), "/items/cursor?cursor=zz").await.status,
            400
        );
    }

    #[tokio::test]
    async fn link_style_ends_without_a_link_header() {
        let server = server().await;
        let mut seen = Vec::new();
        let mut path = "/items/link?per_page=10".to_string();
        let mut pages = 0;
        loop {
            let reply = get(server.addr(), &path).await;
            pages += 1;
            seen.extend(ids(&reply.json()["results"]));
            let Some(link) = reply.header("link") else {
                break;
            };
            let url = link
                .strip_prefix('<')
                .unwrap()
                .strip_suffix(">; rel=\"next\"")
                .unwrap();
            path = local_path(server.addr(), url);
        }
        assert_eq!((seen, pages), (all_ids(), 3));
    }

    #[tokio::test]
    async fn next_url_style_ends_with_null_and_has_more_false() {
        let server = server().await;
        let mut seen = Vec::new();
        let mut path = "/items/next?per_page=10".to_string();
        loop {
            let body = get_json(server.addr(), &path).await;
            seen.extend(ids(&body["data"]["items"]));
            match body["next"].as_str() {
                Some(url) => {
                    assert_eq!(body["has_more"], true);
                    path = local_path(server.addr(), url);
                }
                None => {
                    assert_eq!(body["has_more"], false);
                    break;
                }
            }
        }
        assert_eq!(seen, all_ids());
    }
}
