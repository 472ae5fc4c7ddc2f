//! `--idle-close-ms N`: like servers with a short keep-alive timeout
//! (Node.js closes idle connections after 5 s, many load balancers after
//! 60 s), a connection with no byte read or written for N ms is closed,
//! without a `Connection: close` header to warn the client. A client that
//! reuses such a connection must notice and send on a fresh one, losing no
//! row.
//!
//! The stream reports end-of-file to hyper once it has been quiet for N ms;
//! hyper then drops it, which closes the socket. Quiet means in both
//! directions, so a handler slower than N ms (`--latency-ms`) also ends its
//! connection: keep N above the latency.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::serve::Listener;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{sleep, Instant, Sleep};

use crate::connections::ControlMark;

/// A listener whose connections end after `idle` without traffic (None:
/// never, the stream is passed through).
pub struct IdleCloseListener<L> {
    inner: L,
    idle: Option<Duration>,
}

impl<L> IdleCloseListener<L> {
    pub fn new(inner: L, idle: Option<Duration>) -> Self {
        IdleCloseListener { inner, idle }
    }
}

impl<L: Listener> Listener for IdleCloseListener<L> {
    type Io = IdleClose<L::Io>;
    type Addr = L::Addr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (io, addr) = self.inner.accept().await;
        let io = IdleClose {
            io,
            idle: self.idle.unwrap_or_default(),
            deadline: self.idle.map(|idle| Box::pin(sleep(idle))),
        };
        (io, addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

pub struct IdleClose<T> {
    io: T,
    idle: Duration,
    /// When the connection counts as idle; pushed back by every byte.
    deadline: Option<Pin<Box<Sleep>>>,
}

impl<T> IdleClose<T> {
    fn active(&mut self) {
        if let Some(deadline) = &mut self.deadline {
            deadline.as_mut().reset(Instant::now() + self.idle);
        }
    }

    /// A write that moved bytes counts as traffic.
    fn wrote(&mut self, written: Poll<io::Result<usize>>) -> Poll<io::Result<usize>> {
        if let Poll::Ready(Ok(n)) = written {
            if n > 0 {
                self.active();
            }
        }
        written
    }
}

impl<T: ControlMark> ControlMark for IdleClose<T> {
    fn control_mark(&self) -> Option<((u64, u64), Arc<AtomicBool>)> {
        self.io.control_mark()
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for IdleClose<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.io).poll_read(cx, buf) {
            Poll::Ready(result) => {
                if buf.filled().len() > before {
                    self.active();
                }
                Poll::Ready(result)
            }
            // Nothing to read: end of file once the deadline passed (the
            // sleep registered the waker otherwise).
            Poll::Pending => match self.deadline.as_mut().map(|d| d.as_mut().poll(cx)) {
                Some(Poll::Ready(())) => Poll::Ready(Ok(())),
                _ => Poll::Pending,
            },
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for IdleClose<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.io).poll_write(cx, buf);
        self.wrote(written)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        self.wrote(written)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    use crate::{Config, MockServer};

    const REQUEST: &[u8] = b"GET /customers/1 HTTP/1.1\r\nHost: x\r\n\r\n";

    async fn answer(stream: &mut TcpStream) -> String {
        let mut buf = vec![0u8; 4096];
        let n = stream.read(&mut buf).await.unwrap();
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }

    #[tokio::test]
    async fn a_quiet_connection_is_closed_without_warning() {
        let server = MockServer::start(Config {
            idle_close_ms: 100,
            ..Config::default()
        })
        .await
        .unwrap();
        let mut stream = TcpStream::connect(server.addr()).await.unwrap();
        // Traffic within the idle time keeps it open.
        for _ in 0..3 {
            stream.write_all(REQUEST).await.unwrap();
            let reply = answer(&mut stream).await;
            assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
            assert!(!reply.to_ascii_lowercase().contains("connection: close"));
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
        // Then quiet: the server ends the stream.
        let mut rest = Vec::new();
        let closed = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut rest))
            .await
            .expect("the server closes a quiet connection");
        assert_eq!(closed.unwrap(), 0);
        assert_eq!(server.stats().total, 3);
    }
}
