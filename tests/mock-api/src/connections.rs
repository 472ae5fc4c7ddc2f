//! Counts the TCP connections open at once (and their maximum), so tests
//! can assert that an engine never holds more than `concurrency`
//! connections to one host. Each accepted stream is wrapped in a guard
//! that counts its close when the server drops it.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::serve::Listener;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::stats::Recorder;

/// A listener whose connections are counted while open.
pub struct CountingListener<L> {
    inner: L,
    recorder: Arc<Recorder>,
}

impl<L> CountingListener<L> {
    pub fn new(inner: L, recorder: Arc<Recorder>) -> Self {
        CountingListener { inner, recorder }
    }
}

impl<L: Listener> Listener for CountingListener<L> {
    type Io = Counted<L::Io>;
    type Addr = L::Addr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (io, addr) = self.inner.accept().await;
        let opened = self.recorder.open_connection();
        let counted = Counted {
            io,
            recorder: Arc::clone(&self.recorder),
            opened,
            control: Arc::default(),
        };
        (counted, addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// An accepted stream; counts its close on drop.
pub struct Counted<T> {
    io: T,
    recorder: Arc<Recorder>,
    /// The open count after its accept and the most before it.
    opened: (u64, u64),
    /// Set once it turned out to carry the test's own `/stats` calls.
    control: Arc<AtomicBool>,
}

impl<T> Drop for Counted<T> {
    fn drop(&mut self) {
        if !self.control.load(Ordering::Relaxed) {
            self.recorder.close_connection();
        }
    }
}

/// What the per-connection service needs to take a connection back out of
/// the open counts (`keep_alive::PerConnection`).
pub trait ControlMark {
    /// The open count after accept, the most before it, and the flag that
    /// stops the close being counted; None where connections are not counted.
    fn control_mark(&self) -> Option<((u64, u64), Arc<AtomicBool>)>;
}

impl<T> ControlMark for Counted<T> {
    fn control_mark(&self) -> Option<((u64, u64), Arc<AtomicBool>)> {
        Some((self.opened, Arc::clone(&self.control)))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Counted<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Counted<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
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
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

/// TLS connections are counted as accepted only (`Stats::connections`).
impl ControlMark for tokio_rustls::server::TlsStream<tokio::net::TcpStream> {
    fn control_mark(&self) -> Option<((u64, u64), Arc<AtomicBool>)> {
        None
    }
}
