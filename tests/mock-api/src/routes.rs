//! The route table: data endpoints behind the stats and fault layers,
//! control endpoints (`/stats`, `/oauth/token`) in front of them.

use std::sync::Arc;

use axum::middleware::from_fn_with_state;
use axum::routing::{any, get, post};
use axum::Router;

use crate::state::Shared;
use crate::{
    bare_batch, chunked, compressed, customers, events, faults, growing, misc, oauth, pagination,
    reply, stats, throttle,
};

pub fn router(state: Shared) -> Router {
    let data = Router::new()
        .route("/customers/batch", post(customers::batch))
        .route("/customers/batch/bare", post(bare_batch::batch))
        .route("/customers/{id}", get(customers::one))
        .route("/chunked/{id}", get(chunked::customer))
        .route("/items", get(pagination::page))
        .route("/items/offset", get(pagination::offset))
        .route("/items/cursor", get(pagination::cursor))
        .route("/items/link", get(pagination::link))
        .route("/items/next", get(pagination::next_url))
        .route("/events", get(events::since))
        .route("/events/cursor", get(events::cursor))
        .route("/events/seq", get(events::after_seq))
        .route("/events/all", get(events::all))
        .route("/grow/{feed}/{style}", get(growing::serve))
        .route("/seed002/{*rest}", get(growing::seed002))
        .route("/echo", any(misc::echo))
        .route("/echo/{*rest}", any(misc::echo))
        .route("/status/{code}", get(misc::status))
        .route("/redirect/{code}/{*rest}", any(misc::redirect))
        .route("/slow/{ms}", get(misc::slow))
        .route("/bytes/{n}", get(misc::bytes))
        .route("/garbage", get(misc::garbage))
        .route("/compressed/{n}", get(compressed::compressed))
        .route("/retry-after/{secs}", get(misc::retry_after))
        .route("/retry-after-date", get(misc::retry_after_date))
        .route("/flaky/{id}", get(misc::flaky))
        .route("/capacity/{slots}/{ms}/{id}", get(throttle::capacity))
        .route(
            "/ratelimited/{rps}/{style}/{id}",
            get(throttle::rate_limited),
        )
        // The last layer added runs first: stats see every request, including
        // the ones the fault layer rejects.
        .layer(from_fn_with_state(Arc::clone(&state), faults::inject))
        .layer(from_fn_with_state(Arc::clone(&state.stats), stats::track));
    let control = Router::new()
        .route("/stats", get(stats::get))
        .route("/stats/reset", post(stats::reset))
        .route("/oauth/token", post(oauth::token));
    data.merge(control)
        .fallback(|| async { reply::not_found() })
        .with_state(state)
}
