//! `--close-after N`: like servers that serve a bounded number of requests
//! per keep-alive connection (nginx `keepalive_requests`), the Nth response
//! on each HTTP/1 connection says `Connection: close` and the server then
//! closes it. A client must open a fresh connection without losing
//! capacity or waiting.

use std::convert::Infallible;
use std::future::{ready, Ready};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::http::header::CONNECTION;
use axum::http::{HeaderValue, Version};
use axum::middleware::{self, Next};
use axum::serve::{IncomingStream, Listener};
use axum::Router;

/// Makes the service of each accepted connection: the app, with its own
/// request count when `close_after` > 0.
#[derive(Clone)]
pub struct PerConnection {
    app: Router,
    close_after: u64,
}

impl PerConnection {
    pub fn new(app: Router, close_after: u64) -> Self {
        PerConnection { app, close_after }
    }
}

impl<L: Listener> tower_service::Service<IncomingStream<'_, L>> for PerConnection {
    type Response = Router;
    type Error = Infallible;
    type Future = Ready<Result<Router, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: IncomingStream<'_, L>) -> Self::Future {
        let limit = self.close_after;
        if limit == 0 {
            return ready(Ok(self.app.clone()));
        }
        let served = Arc::new(AtomicU64::new(0));
        let app =
            self.app
                .clone()
                .layer(middleware::from_fn(move |request: Request, next: Next| {
                    let served = Arc::clone(&served);
                    async move {
                        // HTTP/2 multiplexes one connection and has no `Connection` header.
                        let http1 = request.version() < Version::HTTP_2;
                        let mut response = next.run(request).await;
                        if http1 && served.fetch_add(1, Ordering::Relaxed) + 1 >= limit {
                            response
                                .headers_mut()
                                .insert(CONNECTION, HeaderValue::from_static("close"));
                        }
                        response
                    }
                }));
        ready(Ok(app))
    }
}
