//! One HTTP/1.1 exchange on a keep-alive connection that the request's own
//! future drives: the request goes out in one write, the response head is
//! parsed with httparse and the body is read by its framing (RFC 9112
//! section 6.3: no body, `Content-Length`, chunked, or up to the close).
//!
//! hyper's client connection runs a task of its own and hands each request
//! and response through channels: 3 to 4 task wake-ups per request, which
//! at one request per row and a fast API was the largest cost left in the
//! engine's user space. Here the connection is plain data owned by the
//! pool or by the request that leased it; dropping it mid-exchange (a
//! timeout, a cancelled task) closes the socket.

use std::io;
use std::mem::MaybeUninit;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// hyper's defaults: at most 100 headers, and a head of at most ~400 kB
/// (here 64 kB: an API head larger than that is broken, not big).
const MAX_HEADERS: usize = 100;
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// A chunk-size line or trailer line longer than this is not HTTP.
const MAX_LINE_BYTES: usize = 4096;
const READ_SIZE: usize = 8 * 1024;
/// The most set aside for a body before its bytes arrive.
const PREALLOCATED_BYTES: u64 = 1 << 20;

/// A TCP connection to one host and the bytes read from it but not used yet.
pub struct Connection {
    stream: TcpStream,
    buffer: Vec<u8>,
}

/// A response's status line and headers, and how its body is delimited.
pub struct Head {
    pub status: u16,
    pub headers: HeaderMap,
    framing: Framing,
    /// HTTP/1.1 without `Connection: close`: the connection may carry the
    /// next request once this body is read.
    keep_alive: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Framing {
    Empty,
    Length(u64),
    Chunked,
    UntilClose,
}

/// Why an exchange failed.
#[derive(Debug)]
pub enum WireError {
    /// The request could not be written: nothing reached the server.
    Unsent(io::Error),
    /// The connection closed or was reset before any byte of an answer.
    ClosedBeforeAnswer(String),
    /// Anything else: a broken answer, or a connection lost midway.
    Failed(String),
}

/// A body could not be read whole.
pub enum BodyError {
    /// Larger than the limit (only checked when `limit` is given).
    TooLarge,
    Failed(String),
}

impl Connection {
    pub fn new(stream: TcpStream) -> Connection {
        Connection {
            stream,
            buffer: Vec::new(),
        }
    }

    /// False when the server closed the connection or sent bytes nobody
    /// asked for while it sat idle. Reads only when the socket was
    /// reported readable, so a quiet connection costs no system call.
    pub fn usable(&self) -> bool {
        let mut probe = [0u8; 1];
        matches!(self.stream.try_read(&mut probe), Err(e) if e.kind() == io::ErrorKind::WouldBlock)
    }

    /// Writes `request` (a whole HTTP/1.1 request) and reads the head of
    /// its response, skipping interim (1xx) answers.
    pub async fn send(&mut self, request: &[u8], head_request: bool) -> Result<Head, WireError> {
        self.buffer.clear();
        self.stream
            .write_all(request)
            .await
            .map_err(WireError::Unsent)?;
        loop {
            let head = self.read_head(head_request).await?;
            if !(100..200).contains(&head.status) {
                return Ok(head);
            }
            if head.status == 101 {
                return Err(WireError::Failed(
                    "request failed: the server switched protocols (101)".into(),
                ));
            }
        }
    }

    /// Reads the body `head` announced. With `limit`, a body larger than
    /// it stops the read. True in the second place when the connection may
    /// carry another request.
    pub async fn read_body(
        &mut self,
        head: &Head,
        limit: Option<usize>,
    ) -> Result<(Vec<u8>, bool), BodyError> {
        let over = |n: u64| limit.is_some_and(|l| n > l as u64);
        let body = match head.framing {
            Framing::Empty => Vec::new(),
            Framing::Length(n) if over(n) => return Err(BodyError::TooLarge),
            Framing::Length(n) => self.read_exact_body(n).await?,
            Framing::Chunked => self.read_chunked(limit).await?,
            Framing::UntilClose => self.read_to_close(limit).await?,
        };
        // Bytes past the answer were never asked for: do not reuse.
        let clean = self.buffer.is_empty();
        self.buffer.clear();
        Ok((
            body,
            head.keep_alive && head.framing != Framing::UntilClose && clean,
        ))
    }

    /// Reads more bytes into the buffer; an error at the connection's end.
    async fn fill(&mut self) -> io::Result<()> {
        self.buffer.reserve(READ_SIZE);
        match self.stream.read_buf(&mut self.buffer).await? {
            0 => Err(io::ErrorKind::UnexpectedEof.into()),
            _ => Ok(()),
        }
    }

    async fn read_head(&mut self, head_request: bool) -> Result<Head, WireError> {
        loop {
            // Uninitialised: 100 empty headers zeroed per response (3 kB)
            // would be work on the per-request path for headers never used.
            let mut headers =
                [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
            let mut response = httparse::Response::new(&mut []);
            match httparse::ParserConfig::default().parse_response_with_uninit_headers(
                &mut response,
                &self.buffer,
                &mut headers,
            ) {
                Ok(httparse::Status::Complete(length)) => {
                    let head = head_of(&response, head_request)?;
                    self.buffer.drain(..length);
                    return Ok(head);
                }
                Ok(httparse::Status::Partial) if self.buffer.len() < MAX_HEAD_BYTES => {}
                Ok(httparse::Status::Partial) => {
                    return Err(WireError::Failed(format!(
                        "request failed: response head larger than {MAX_HEAD_BYTES} bytes"
                    )))
                }
                Err(e) => {
                    return Err(WireError::Failed(format!(
                        "request failed: invalid HTTP response: {e}"
                    )))
                }
            }
            let nothing_yet = self.buffer.is_empty();
            if let Err(e) = self.fill().await {
                let reason = closed_reason(&e);
                return Err(if nothing_yet && closed(&e) {
                    WireError::ClosedBeforeAnswer(reason)
                } else {
                    WireError::Failed(reason)
                });
            }
        }
    }

    async fn read_exact_body(&mut self, length: u64) -> Result<Vec<u8>, BodyError> {
        let have = self
            .buffer
            .len()
            .min(usize::try_from(length).unwrap_or(usize::MAX));
        // A declared length is the server's claim, not memory to set aside
        // (a compressed body has no limit on the wire): the vector grows
        // with what arrives.
        let mut body = Vec::with_capacity(length.min(PREALLOCATED_BYTES) as usize);
        body.extend_from_slice(&self.buffer[..have]);
        self.buffer.drain(..have);
        let rest = length - have as u64;
        // Usually the whole body came with the head (and reading on would
        // grow the full vector for nothing).
        if rest > 0 {
            (&mut self.stream)
                .take(rest)
                .read_to_end(&mut body)
                .await
                .map_err(body_failed)?;
        }
        if (body.len() as u64) < length {
            return Err(body_failed(io::ErrorKind::UnexpectedEof.into()));
        }
        Ok(body)
    }

    async fn read_chunked(&mut self, limit: Option<usize>) -> Result<Vec<u8>, BodyError> {
        let mut body = Vec::new();
        loop {
            let line = self.line().await?;
            let size = chunk_size(&line)
                .ok_or_else(|| BodyError::Failed("request failed: invalid chunk size".into()))?;
            if size == 0 {
                // Trailers, up to the empty line; their fields are not used.
                while !self.line().await?.is_empty() {}
                return Ok(body);
            }
            if limit.is_some_and(|l| body.len() as u64 + size > l as u64) {
                return Err(BodyError::TooLarge);
            }
            let size = size as usize;
            while self.buffer.len() < size + 2 {
                self.fill().await.map_err(body_failed)?;
            }
            if &self.buffer[size..size + 2] != b"\r\n" {
                return Err(BodyError::Failed(
                    "request failed: chunk without its line end".into(),
                ));
            }
            body.extend_from_slice(&self.buffer[..size]);
            self.buffer.drain(..size + 2);
        }
    }

    /// The next line of the buffer without its CRLF, reading as needed.
    async fn line(&mut self) -> Result<Vec<u8>, BodyError> {
        let mut searched = 0;
        loop {
            if let Some(at) = self.buffer[searched..]
                .windows(2)
                .position(|w| w == b"\r\n")
            {
                let end = searched + at;
                let line = self.buffer[..end].to_vec();
                self.buffer.drain(..end + 2);
                return Ok(line);
            }
            if self.buffer.len() > MAX_LINE_BYTES {
                return Err(BodyError::Failed(
                    "request failed: chunk line too long".into(),
                ));
            }
            searched = self.buffer.len().saturating_sub(1);
            self.fill().await.map_err(body_failed)?;
        }
    }

    async fn read_to_close(&mut self, limit: Option<usize>) -> Result<Vec<u8>, BodyError> {
        let mut body = std::mem::take(&mut self.buffer);
        loop {
            if limit.is_some_and(|l| body.len() > l) {
                return Err(BodyError::TooLarge);
            }
            body.reserve(READ_SIZE);
            match self.stream.read_buf(&mut body).await {
                Ok(0) => return Ok(body),
                Ok(_) => {}
                Err(e) => return Err(body_failed(e)),
            }
        }
    }
}

fn head_of(response: &httparse::Response<'_, '_>, head_request: bool) -> Result<Head, WireError> {
    let invalid = |what: &str| WireError::Failed(format!("request failed: invalid {what}"));
    let status = response.code.ok_or_else(|| invalid("status line"))?;
    let mut headers = HeaderMap::with_capacity(response.headers.len());
    let mut length: Option<u64> = None;
    let mut chunked = false;
    let mut transfer_encoding = false;
    let mut close = response.version != Some(1);
    for header in response.headers.iter() {
        let name =
            HeaderName::from_bytes(header.name.as_bytes()).map_err(|_| invalid("header name"))?;
        let value = HeaderValue::from_bytes(header.value).map_err(|_| invalid("header value"))?;
        if name == reqwest::header::CONTENT_LENGTH {
            let n = std::str::from_utf8(header.value)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .ok_or_else(|| invalid("Content-Length"))?;
            // Two different lengths: which one frames the body is unknowable.
            if length.is_some_and(|m| m != n) {
                return Err(invalid("Content-Length (two different values)"));
            }
            length = Some(n);
        } else if name == reqwest::header::TRANSFER_ENCODING {
            transfer_encoding = true;
            // Chunked must be the last coding for the length to be known.
            chunked = value
                .to_str()
                .ok()
                .and_then(|v| v.rsplit(',').next())
                .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"));
        } else if name == reqwest::header::CONNECTION {
            close |= value.to_str().is_ok_and(|v| {
                v.split(',')
                    .any(|token| token.trim().eq_ignore_ascii_case("close"))
            });
        }
        headers.append(name, value);
    }
    let framing = if head_request || (100..200).contains(&status) || status == 204 || status == 304
    {
        Framing::Empty
    } else if transfer_encoding {
        if chunked {
            Framing::Chunked
        } else {
            Framing::UntilClose
        }
    } else if let Some(n) = length {
        Framing::Length(n)
    } else {
        Framing::UntilClose
    };
    Ok(Head {
        status,
        headers,
        framing,
        keep_alive: !close,
    })
}

/// The size of a chunk-size line (hex digits, then optional extensions).
fn chunk_size(line: &[u8]) -> Option<u64> {
    let digits = line.split(|&b| b == b';').next()?.trim_ascii();
    if digits.is_empty() || digits.len() > 15 {
        return None;
    }
    u64::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
}

fn closed(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
    )
}

fn closed_reason(e: &io::Error) -> String {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        "request failed: connection closed before the whole response".into()
    } else {
        format!("request failed: {e}")
    }
}

fn body_failed(e: io::Error) -> BodyError {
    BodyError::Failed(closed_reason(&e))
}

#[cfg(test)]
#[path = "http1_wire_tests.rs"]
mod tests;
