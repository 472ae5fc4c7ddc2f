//! A tiny HTTP/1.1 client for the unit tests: one request per connection
//! (`Connection: close`), read to EOF. Enough for a server we wrote, and it
//! keeps reqwest out of this crate's build.

use std::net::SocketAddr;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A reply; `B` is `String`, or `Vec<u8>` for compressed bodies.
pub struct Reply<B = String> {
    pub status: u16,
    /// Lowercased names.
    pub headers: Vec<(String, String)>,
    pub body: B,
}

impl<B> Reply<B> {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Reply {
    let reply = request_raw(addr, method, path, headers, body.as_bytes()).await;
    Reply {
        status: reply.status,
        headers: reply.headers,
        body: String::from_utf8(reply.body).unwrap(),
    }
}

/// A GET whose body is kept as bytes (e.g. compressed).
pub async fn request_bytes(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
) -> Reply<Vec<u8>> {
    request_raw(addr, "GET", path, headers, b"").await
}

async fn request_raw(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply<Vec<u8>> {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    parse(raw)
}

fn parse(mut raw: Vec<u8>) -> Reply<Vec<u8>> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("no end of headers");
    let body = raw.split_off(end + 4);
    let head = String::from_utf8(raw).unwrap();
    let head = head.trim_end();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let reply = Reply {
        status,
        headers,
        body,
    };
    assert!(
        reply.header("transfer-encoding").is_none(),
        "chunked bodies are not supported here"
    );
    reply
}

/// The whole answer to a GET as text, head and body as they came, in
/// any framing (`parse` refuses chunked bodies).
pub async fn raw_answer(addr: SocketAddr, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    answer
}

pub async fn get(addr: SocketAddr, path: &str) -> Reply {
    request(addr, "GET", path, &[], "").await
}

/// GET that must succeed, parsed as JSON.
pub async fn get_json(addr: SocketAddr, path: &str) -> Value {
    let reply = get(addr, path).await;
    assert_eq!(reply.status, 200, "{path}: {}", reply.body);
    reply.json()
}
