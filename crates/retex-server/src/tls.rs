//! HTTPS without a proxy in front: `retex serve --tls-cert FILE --tls-key FILE`. Connections are accepted on the
//! TCP listener and each handshake runs in a task of its own, so a slow or silent client holds up nobody; the
//! finished ones reach axum through a listener of TLS streams.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::state::TlsFiles;

/// How long a client may take to finish its handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Handshaken connections waiting for the server to take them.
const READY_QUEUE: usize = 128;

/// TLS connections, handshaken, with their peers' addresses.
pub struct TlsListener {
    local: SocketAddr,
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
}

impl TlsListener {
    /// Starts accepting on `listener` with the certificate chain and key in `files`; a certificate or key that
    /// cannot be read is an error here, before anything is served.
    pub fn start(listener: TcpListener, files: &TlsFiles) -> anyhow::Result<Self> {
        let acceptor = TlsAcceptor::from(Arc::new(server_config(files)?));
        let local = listener.local_addr().context("the listening address")?;
        let (handshaken, ready) = mpsc::channel(READY_QUEUE);
        tokio::spawn(async move {
            loop {
                let (connection, peer) = match listener.accept().await {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        // Out of file descriptors, say: wait rather than spin.
                        tracing::warn!(%error, "could not accept a connection");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let (acceptor, handshaken) = (acceptor.clone(), handshaken.clone());
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(connection)).await {
                        Ok(Ok(stream)) => drop(handshaken.send((stream, peer)).await),
                        Ok(Err(error)) => tracing::debug!(%error, %peer, "a TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "a TLS handshake took too long"),
                    }
                });
            }
        });
        Ok(Self { local, ready })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(connection) => connection,
            // The accepting task ended with the runtime: nothing more will come.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.local)
    }
}

/// The server's TLS settings from the PEM files; an error says which part could not be read.
pub fn server_config(files: &TlsFiles) -> anyhow::Result<rustls::ServerConfig> {
    retex_odoo::install_tls_provider();
    let certificates = CertificateDer::pem_slice_iter(&files.certificates)
        .collect::<Result<Vec<_>, _>>()
        .context("read the certificate chain (PEM)")?;
    anyhow::ensure!(!certificates.is_empty(), "the certificate file holds no certificate");
    let key = PrivateKeyDer::from_pem_slice(&files.key).context("read the private key (PEM)")?;
    let mut config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certificates, key)
        .context("the certificate and the key do not go together")?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}
