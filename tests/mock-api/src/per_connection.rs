//! The service of each accepted connection: the app, plus what needs a
//! per-connection view.
//!
//! - `--close-after N`: like servers that serve a bounded number of
//!   requests per keep-alive connection (nginx `keepalive_requests`), the
//!   Nth response on each HTTP/1 connection says `Connection: close` and the
//!   server then closes it. A client must open a fresh connection without
//!   losing capacity or waiting.
//! - A connection whose first request is `/stats` is the test asking, not
//!   the client under test: it leaves the open-connection counts, so a test
//!   reading `max_open_connections` over HTTP does not see its own call.

use std::convert::Infallible;
use std::future::{ready, Ready};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::http::header::CONNECTION;
use axum::http::{HeaderValue, Version};
use axum::middleware::{self, Next};
use axum::serve::{IncomingStream, Listener};
use axum::Router;

use crate::connections::ControlMark;
use crate::stats::Recorder;

/// Makes the service of each accepted connection.
#[derive(Clone)]
pub struct PerConnection {
    app: Router,
    close_after: u64,
    recorder: Arc<Recorder>,
}

impl PerConnection {
    pub fn new(app: Router, close_after: u64, recorder: Arc<Recorder>) -> Self {
        PerConnection {
            app,
            close_after,
            recorder,
        }
    }
}

impl<L> tower_service::Service<IncomingStream<'_, L>> for PerConnection
where
    L: Listener,
    L::Io: ControlMark,
{
    type Response = Router;
    type Error = Infallible;
    type Future = Ready<Result<Router, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, stream: IncomingStream<'_, L>) -> Self::Future {
        let mut app = self.app.clone();
        if let Some((opened, control)) = stream.io().control_mark() {
            let recorder = Arc::clone(&self.recorder);
            let first = Arc::new(AtomicBool::new(true));
            app = app.layer(middleware::from_fn(move |request: Request, next: Next| {
                let is_first = first.swap(false, Ordering::Relaxed);
                if is_first
                    && request.uri().path().starts_with("/stats")
                    && !control.swap(true, Ordering::Relaxed)
                {
                    recorder.forget_control_connection(opened);
                }
                next.run(request)
            }));
        }
        let limit = self.close_after;
        if limit > 0 {
            let served = Arc::new(AtomicU64::new(0));
            app = app.layer(middleware::from_fn(move |request: Request, next: Next| {
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
        }
        ready(Ok(app))
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    use crate::{Config, MockServer};

    #[tokio::test]
    async fn the_nth_answer_of_a_connection_closes_it() {
        let server = MockServer::start(Config {
            close_after: 2,
            ..Config::default()
        })
        .await
        .unwrap();
        let mut stream = TcpStream::connect(server.addr()).await.unwrap();
        let request = b"GET /customers/1 HTTP/1.1\r\nHost: x\r\n\r\n";
        // Two requests pipelined on one connection: the second answer says
        // close and the server then ends the stream.
        stream.write_all(request).await.unwrap();
        stream.write_all(request).await.unwrap();
        let mut answers = String::new();
        stream.read_to_string(&mut answers).await.unwrap();
        assert_eq!(answers.matches("HTTP/1.1 200").count(), 2, "{answers}");
        assert_eq!(
            answers
                .to_ascii_lowercase()
                .matches("connection: close")
                .count(),
            1
        );
        assert_eq!(server.stats().connections, 1);
    }

    #[tokio::test]
    async fn a_stats_call_is_not_counted_as_an_open_connection() {
        let server = MockServer::start(Config::default()).await.unwrap();
        let request = b"GET /customers/1 HTTP/1.1\r\nHost: x\r\n\r\n";
        let mut data = Vec::new();
        for _ in 0..2 {
            let mut stream = TcpStream::connect(server.addr()).await.unwrap();
            stream.write_all(request).await.unwrap();
            let mut buf = [0u8; 512];
            assert!(stream.read(&mut buf).await.unwrap() > 0);
            data.push(stream);
        }
        let answer = crate::testutil::raw_answer(server.addr(), "/stats").await;
        assert!(answer.contains("\"max_open_connections\":2"), "{answer}");
        assert!(answer.contains("\"open_connections\":2"), "{answer}");
        drop(data);
    }
}
