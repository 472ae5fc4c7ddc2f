//! `GET /chunked/{id}`: the customer's JSON with `Transfer-Encoding:
//! chunked`, a few bytes per chunk, each written on its own after a short
//! pause: what a streaming server sends (Node's `res.write`, a proxy that
//! does not buffer). A client must join chunks that arrive across reads
//! and read the last chunk before it reuses the connection.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::customer_json::customer_bytes;
use crate::reply::not_found;

/// Bytes per chunk: small enough that chunk-size lines and data fall
/// across reads.
const CHUNK_BYTES: usize = 7;

pub async fn customer(Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<u64>() else {
        return not_found();
    };
    let pieces: Vec<Bytes> = customer_bytes(id)
        .chunks(CHUNK_BYTES)
        .map(Bytes::copy_from_slice)
        .collect();
    let stream = futures::stream::unfold(pieces.into_iter(), |mut rest| async move {
        let piece = rest.next()?;
        // The pause makes the server flush each piece as a chunk of its own.
        tokio::time::sleep(Duration::from_millis(1)).await;
        Some((Ok::<_, Infallible>(piece), rest))
    });
    (
        [(header::CONTENT_TYPE, "application/json")],
        Body::from_stream(stream),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use crate::customer_json::customer_bytes;
    use crate::{Config, MockServer};

    #[tokio::test]
    async fn the_customer_arrives_in_many_chunks() {
        let server = MockServer::start(Config::default()).await.unwrap();
        let raw = crate::testutil::raw_answer(server.addr(), "/chunked/42").await;
        let (head, mut chunked) = raw.split_once("\r\n\r\n").unwrap();
        assert!(
            head.to_ascii_lowercase()
                .contains("transfer-encoding: chunked"),
            "{head}"
        );
        let mut body = String::new();
        let mut chunks = 0;
        loop {
            let (size, rest) = chunked.split_once("\r\n").unwrap();
            let size = usize::from_str_radix(size, 16).unwrap();
            if size == 0 {
                break;
            }
            body.push_str(&rest[..size]);
            chunked = &rest[size + 2..];
            chunks += 1;
        }
        assert_eq!(body.as_bytes(), customer_bytes(42));
        assert!(chunks > 5, "{chunks} chunks");
    }
}
