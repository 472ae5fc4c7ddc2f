//! `GET /compressed/{n}`: a JSON body of about n bytes, compressed with the
//! coding the request's `Accept-Encoding` prefers (`br` or `gzip`, else
//! none), with a `Content-Length` of the compressed bytes. Compressed by
//! hand (flate2, brotli) rather than by a layer, so the answer is one plain
//! body and the choice of coding is counted in `Stats::by_encoding`.

use std::io::Write;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::reply::error;
use crate::state::Shared;

/// Largest body served, so a typo cannot exhaust the machine.
const MAX_BYTES: usize = 64 << 20;

/// The uncompressed body of `/compressed/{n}`:
/// `{"items":[{"id":0,"name":"item-0","even":true},...]}` with as many
/// items as fit in `n` bytes (`{"items":[]}`, 12 bytes, when none does).
/// Public so tests can compare a client's decoded output with it.
pub fn compressed_body(n: usize) -> String {
    let mut body = String::from("{\"items\":[");
    for id in 0u64.. {
        let item = format!(
            "{}{{\"id\":{id},\"name\":\"item-{id}\",\"even\":{}}}",
            if id == 0 { "" } else { "," },
            id % 2 == 0
        );
        if body.len() + item.len() + 2 > n {
            break;
        }
        body.push_str(&item);
    }
    body.push_str("]}");
    body
}

/// `GET /compressed/{n}`
pub async fn compressed(
    State(app): State<Shared>,
    Path(n): Path<usize>,
    headers: HeaderMap,
) -> Response {
    if n > MAX_BYTES {
        return error(StatusCode::BAD_REQUEST, "at most 64 MiB");
    }
    let body = compressed_body(n);
    let accept = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let coding = choose(accept);
    app.stats.add_encoding(coding);
    let encoded = match encode(coding, body.as_bytes()) {
        Ok(encoded) => encoded,
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    };
    let mut response = (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::VARY, "accept-encoding"),
        ],
        encoded,
    )
        .into_response();
    if coding != "identity" {
        response
            .headers_mut()
            .insert(header::CONTENT_ENCODING, coding.parse().expect("a token"));
    }
    response
}

/// The supported coding with the highest q-value (ties: the client's
/// order); `identity` when none is acceptable. `x-gzip` and `*` are not
/// understood, which only means no compression.
fn choose(accept: &str) -> &'static str {
    let mut best: Option<(&'static str, f32)> = None;
    for entry in accept.split(',') {
        let mut parts = entry.split(';');
        let coding = match parts
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
            .as_str()
        {
            "br" => "br",
            "gzip" => "gzip",
            _ => continue,
        };
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if q > 0.0 && best.is_none_or(|(_, best_q)| q > best_q) {
            best = Some((coding, q));
        }
    }
    best.map_or("identity", |(coding, _)| coding)
}

fn encode(coding: &str, body: &[u8]) -> std::io::Result<Vec<u8>> {
    match coding {
        "gzip" => {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            encoder.write_all(body)?;
            encoder.finish()
        }
        "br" => {
            let mut out = Vec::new();
            {
                // Quality 5, 4 MiB window: quick, and far smaller than the input.
                let mut encoder = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
                encoder.write_all(body)?;
            }
            Ok(out)
        }
        _ => Ok(body.to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;
    use crate::testutil::request_bytes;
    use crate::{Config, MockServer};

    #[test]
    fn body_is_json_of_about_n_bytes() {
        assert_eq!(compressed_body(0), r#"{"items":[]}"#);
        for n in [12, 50, 1000, 100_000] {
            let body = compressed_body(n);
            assert!(
                body.len() <= n.max(12) && body.len() + 40 > n,
                "{n}: {}",
                body.len()
            );
            let value: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert!(value["items"].is_array());
        }
        let big: serde_json::Value = serde_json::from_str(&compressed_body(1000)).unwrap();
        assert_eq!(
            big["items"][3],
            serde_json::json!({"id": 3, "name": "item-3", "even": false})
        );
    }

    #[test]
    fn choice_follows_q_values_then_order() {
        assert_eq!(choose(""), "identity");
        assert_eq!(choose("gzip, br"), "gzip");
        assert_eq!(choose("br, gzip"), "br");
        assert_eq!(choose("gzip;q=0.5, br"), "br");
        assert_eq!(choose("deflate, br;q=0"), "identity");
        assert_eq!(choose(" GZIP ; q=0.8 , zstd"), "gzip");
    }

    #[tokio::test]
    async fn answers_in_the_negotiated_coding() {
        let server = MockServer::start(Config::default()).await.unwrap();
        let expected = compressed_body(10_000);
        for (accept, coding) in [("gzip", "gzip"), ("br", "br"), ("identity", "identity")] {
            let reply = request_bytes(
                server.addr(),
                "/compressed/10000",
                &[("Accept-Encoding", accept)],
            )
            .await;
            assert_eq!(reply.status, 200);
            let length: usize = reply.header("content-length").unwrap().parse().unwrap();
            assert_eq!(length, reply.body.len());
            let mut decoded = String::new();
            match coding {
                "gzip" => {
                    flate2::read::GzDecoder::new(&reply.body[..])
                        .read_to_string(&mut decoded)
                        .unwrap();
                }
                "br" => {
                    brotli::Decompressor::new(&reply.body[..], 4096)
                        .read_to_string(&mut decoded)
                        .unwrap();
                }
                _ => decoded = String::from_utf8(reply.body.clone()).unwrap(),
            }
            assert_eq!(decoded, expected, "{coding}");
            assert_eq!(
                reply.header("content-encoding"),
                (coding != "identity").then_some(coding)
            );
            if coding != "identity" {
                assert!(length * 4 < expected.len(), "{coding}: {length} bytes");
            }
        }
        let stats = server.stats();
        assert_eq!(stats.by_encoding["gzip"], 1);
        assert_eq!(stats.by_encoding["br"], 1);
        assert_eq!(stats.by_encoding["identity"], 1);
        assert_eq!(stats.by_path["/compressed"], 3);
    }
}
