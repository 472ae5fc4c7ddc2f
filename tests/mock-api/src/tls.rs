//! TLS mode (`--tls`): a self-signed certificate for `127.0.0.1` and
//! `localhost` generated at start, served with rustls (the aws-lc-rs
//! provider reqwest uses too), offering ALPN `h2` and `http/1.1`.
//!
//! Handshakes run in their own tasks, so a client that connects and never
//! finishes its handshake (or rejects our certificate) cannot hold up the
//! others; only finished handshakes reach axum.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::serve::Listener;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

use crate::stats::Recorder;

/// A handshake not finished within this is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The server's certificate: its PEM, a temp file holding it (removed on
/// drop), and the acceptor that presents it.
pub struct Identity {
    pub pem: String,
    pub pem_path: PathBuf,
    acceptor: TlsAcceptor,
}

impl Identity {
    /// A fresh self-signed certificate; the PEM file's name includes the
    /// process id and the port, so parallel servers do not collide.
    pub fn generate(port: u16) -> io::Result<Identity> {
        let names = vec!["127.0.0.1".to_string(), "localhost".to_string()];
        let key = rcgen::generate_simple_self_signed(names).map_err(io::Error::other)?;
        let pem = key.cert.pem();
        let private =
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.signing_key.serialize_der()));
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(io::Error::other)?
            .with_no_client_auth()
            .with_single_cert(vec![key.cert.der().clone()], private)
            .map_err(io::Error::other)?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let pem_path =
            std::env::temp_dir().join(format!("mock-api-ca-{}-{port}.pem", std::process::id()));
        std::fs::write(&pem_path, &pem)?;
        Ok(Identity {
            pem,
            pem_path,
            acceptor: TlsAcceptor::from(Arc::new(config)),
        })
    }

    pub fn pem_path(&self) -> &Path {
        &self.pem_path
    }
}

impl Drop for Identity {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.pem_path);
    }
}

type Accepted = (TlsStream<TcpStream>, SocketAddr);

/// An axum listener yielding finished TLS handshakes. Counts every TCP
/// connection accepted (handshake failures included).
pub struct TlsListener {
    addr: SocketAddr,
    incoming: mpsc::Receiver<Accepted>,
    accept_loop: AbortHandle,
}

impl TlsListener {
    pub fn new(tcp: TcpListener, identity: &Identity, recorder: Arc<Recorder>) -> io::Result<Self> {
        let addr = tcp.local_addr()?;
        let acceptor = identity.acceptor.clone();
        let (sender, incoming) = mpsc::channel::<Accepted>(64);
        let accept_loop = tokio::spawn(async move {
            loop {
                let (stream, peer) = match tcp.accept().await {
                    Ok(accepted) => accepted,
                    Err(_) => {
                        // Out of file descriptors and the like: back off
                        // as axum's own listener does.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                recorder.add_connection();
                let _ = stream.set_nodelay(true);
                let acceptor = acceptor.clone();
                let sender = sender.clone();
                tokio::spawn(async move {
                    let handshake =
                        tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream));
                    if let Ok(Ok(tls)) = handshake.await {
                        // Fails only when the server is shutting down.
                        let _ = sender.send((tls, peer)).await;
                    }
                });
            }
        })
        .abort_handle();
        Ok(TlsListener {
            addr,
            incoming,
            accept_loop,
        })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.accept_loop.abort();
    }
}

impl Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.incoming.recv().await {
            Some(accepted) => accepted,
            // The accept loop holds a sender until it is aborted, which
            // happens only when this listener is dropped.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.addr)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
    use tokio_rustls::rustls::{ClientConfig, RootCertStore};
    use tokio_rustls::TlsConnector;

    use super::*;
    use crate::{Config, MockServer};

    /// A TLS connection trusting `pem`, offering `alpn`.
    async fn connect(
        server: &MockServer,
        pem: &str,
        alpn: &[&[u8]],
    ) -> io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
        let mut roots = RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_slice(pem.as_bytes()).unwrap())
            .unwrap();
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        let tcp = TcpStream::connect(server.addr()).await?;
        let name = ServerName::try_from("127.0.0.1").unwrap();
        TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await
    }

    #[tokio::test]
    async fn serves_https_with_alpn_and_a_pem_file() {
        let server = MockServer::start(Config {
            tls: true,
            ..Config::default()
        })
        .await
        .unwrap();
        assert_eq!(server.url(), format!("https://{}", server.addr()));
        let pem = server.ca_pem().unwrap();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
        let path = server.ca_pem_path().unwrap().to_path_buf();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), pem);

        let h2 = connect(&server, &pem, &[b"h2", b"http/1.1"]).await.unwrap();
        assert_eq!(h2.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));

        let mut h1 = connect(&server, &pem, &[b"http/1.1"]).await.unwrap();
        assert_eq!(h1.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
        h1.write_all(b"GET /customers/7 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut raw = String::new();
        h1.read_to_string(&mut raw).await.unwrap();
        assert!(raw.starts_with("HTTP/1.1 200"), "{raw}");
        assert!(raw.contains("\"customer-7\""), "{raw}");

        // Another certificate is not trusted: the handshake fails, the
        // server keeps serving.
        let other = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()])
            .unwrap()
            .cert
            .pem();
        assert!(connect(&server, &other, &[b"h2"]).await.is_err());
        assert!(connect(&server, &pem, &[b"h2"]).await.is_ok());

        let stats = server.stats();
        assert_eq!((stats.total, stats.http2_requests), (1, 0));
        assert_eq!(stats.connections, 4);
        drop(h2);
        drop(server);
        assert!(!path.exists(), "the PEM file is removed with the server");
    }

    #[tokio::test]
    async fn plain_mode_has_no_certificate() {
        let server = MockServer::start(Config::default()).await.unwrap();
        assert!(server.url().starts_with("http://"));
        assert!(server.ca_pem().is_none() && server.ca_pem_path().is_none());
    }
}
