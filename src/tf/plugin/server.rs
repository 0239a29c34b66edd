//! Starting as a plugin: go-plugin's handshake, the mTLS listener and the
//! gRPC services, until Terraform asks us to shut down, or is gone.
//!
//! A plugin must not outlive Terraform (it would keep the store open): it
//! exits when its parent process is gone (Terraform killed: the plugin is
//! re-parented) and when Terraform's connection has closed with no call in
//! flight. Both are watched every [`WATCH_INTERVAL`].

use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;
use tokio_stream::wrappers::{ReceiverStream, TcpListenerStream};
use tokio_stream::StreamExt as _;
use tonic::transport::server::Connected;
use tonic::transport::Server;

use super::framework::Provider;
use super::grpc::{ControllerService, HealthService, ProviderService, StdioService};
use super::proto::go_plugin::grpc_controller_server::GrpcControllerServer;
use super::proto::go_plugin::grpc_stdio_server::GrpcStdioServer;
use super::proto::health::health_server::HealthServer;
use super::proto::tfplugin6::provider_server::ProviderServer;
use super::tls::{PinnedClientCertificate, ServerIdentity, TlsError};

/// The environment variable and value Terraform sets for its plugins.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// go-plugin's own protocol version, and the plugin protocol we serve.
const CORE_PROTOCOL_VERSION: u32 = 1;
const APP_PROTOCOL_VERSION: u32 = 6;

/// Terraform sends whole states in one message; it allows 256 MiB itself.
const MAX_MESSAGE_BYTES: usize = 256 << 20;
/// A peer that has not finished its TLS handshake by then is dropped.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// After Shutdown, the process exits once Terraform has closed its
/// connection and no call is in flight, or after this long at most.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(500);
/// How often, after Shutdown, the plugin looks whether it is idle.
const SHUTDOWN_POLL: Duration = Duration::from_millis(2);
/// How often the plugin looks for its parent and its connections.
const WATCH_INTERVAL: Duration = Duration::from_millis(250);
/// With the parent gone, in-flight calls get this long to finish (a killed
/// signing is taken over by the next one with its token, so none is lost).
const ORPHAN_GRACE: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{MAGIC_COOKIE_KEY} has the wrong value: this binary is a Terraform plugin and is started by Terraform")]
    BadCookie,
    #[error("Terraform offers plugin protocol versions {0:?}; this provider speaks only version 6 (Terraform 1.0 or later)")]
    UnsupportedProtocol(String),
    #[error("PLUGIN_CLIENT_CERT is not set: refusing to serve without mutual TLS (set TF_DISABLE_PLUGIN_TLS=1 to serve in plain text)")]
    NoClientCertificate,
    #[error("invalid port range {0}..{1} in PLUGIN_MIN_PORT/PLUGIN_MAX_PORT")]
    BadPortRange(String, String),
    #[error("no free port in 127.0.0.1:{0}..={1}")]
    NoFreePort(u16, u16),
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    #[error("gRPC server failed: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// What the plugin environment says about how to serve.
#[derive(Debug)]
pub struct PluginEnv {
    pub min_port: u16,
    pub max_port: u16,
    /// `None` only when TLS is explicitly disabled.
    pub client_cert_pem: Option<String>,
}

impl PluginEnv {
    /// Reads go-plugin's variables from the process environment.
    pub fn from_env() -> Result<Self, ServeError> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        if var(MAGIC_COOKIE_KEY).as_deref() != Some(MAGIC_COOKIE_VALUE) {
            return Err(ServeError::BadCookie);
        }
        if let Some(versions) = var("PLUGIN_PROTOCOL_VERSIONS") {
            let six = APP_PROTOCOL_VERSION.to_string();
            if !versions.split(',').any(|v| v.trim() == six) {
                return Err(ServeError::UnsupportedProtocol(versions));
            }
        }
        let min = var("PLUGIN_MIN_PORT").unwrap_or_else(|| "10000".into());
        let max = var("PLUGIN_MAX_PORT").unwrap_or_else(|| "25000".into());
        let (min_port, max_port) = match (min.parse::<u16>(), max.parse::<u16>()) {
            (Ok(lo), Ok(hi)) if lo <= hi => (lo, hi),
            _ => return Err(ServeError::BadPortRange(min, max)),
        };
        let client_cert_pem = match var("PLUGIN_CLIENT_CERT") {
            Some(pem) => Some(pem),
            None if var("TF_DISABLE_PLUGIN_TLS").is_some() => {
                tracing::warn!("TF_DISABLE_PLUGIN_TLS is set: serving without TLS");
                None
            }
            None => return Err(ServeError::NoClientCertificate),
        };
        Ok(PluginEnv {
            min_port,
            max_port,
            client_cert_pem,
        })
    }
}

/// Serves `provider` as a Terraform plugin until Terraform shuts it down.
/// The handshake line goes to stdout; nothing else is ever written there.
pub async fn serve<P: Provider>(provider: P, env: PluginEnv) -> Result<(), ServeError> {
    let listener = bind_in_range(env.min_port, env.max_port).await?;
    let addr = listener.local_addr()?;

    let tls = match &env.client_cert_pem {
        Some(pem) => {
            let pinned = PinnedClientCertificate::from_pem(pem)?;
            let identity = ServerIdentity::generate()?;
            let config = identity.server_config(pinned)?;
            Some((
                identity.handshake_encoding(),
                TlsAcceptor::from(Arc::new(config)),
            ))
        }
        None => None,
    };
    let cert_field = tls.as_ref().map(|(cert, _)| cert.as_str()).unwrap_or("");
    print_handshake(addr, cert_field)?;
    tracing::info!(%addr, tls = tls.is_some(), "plugin server listening");

    // Terraform sends SIGINT to the whole process group on Ctrl-C and then
    // calls StopProvider; exiting on the signal would cut an apply short.
    tokio::spawn(async {
        while tokio::signal::ctrl_c().await.is_ok() {
            tracing::debug!("ignoring SIGINT; Terraform will send StopProvider");
        }
    });

    let (shutdown_tx, mut shutdown_rx) = watch::channel(false);
    let provider_service = ProviderServer::new(ProviderService::new(provider))
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES);
    let liveness = Arc::new(Liveness::default());
    let router = Server::builder()
        .layer(CountInFlightLayer(Arc::clone(&liveness)))
        .add_service(HealthServer::new(HealthService))
        .add_service(GrpcControllerServer::new(ControllerService::new(
            shutdown_tx,
        )))
        .add_service(GrpcStdioServer::new(StdioService::new(shutdown_rx.clone())))
        .add_service(provider_service);

    let shutdown = async move {
        let _ = shutdown_rx.wait_for(|stop| *stop).await;
    };
    let mut done = shutdown_signal_then_idle(shutdown, Arc::clone(&liveness));
    let mut orphaned = Box::pin(watch_for_orphaning(Arc::clone(&liveness), parent_process()));
    match tls {
        Some((_, acceptor)) => {
            let incoming = ReceiverStream::new(accept_tls(listener, acceptor, liveness));
            tokio::select! {
                result = router.serve_with_incoming(incoming) => result?,
                () = &mut done => {}
                why = &mut orphaned => tracing::warn!(%why, "exiting"),
            }
        }
        None => {
            let incoming = TcpListenerStream::new(listener)
                .map(move |tcp| tcp.map(|tcp| Tracked::new(tcp, Arc::clone(&liveness))));
            tokio::select! {
                result = router.serve_with_incoming(incoming) => result?,
                () = &mut done => {}
                why = &mut orphaned => tracing::warn!(%why, "exiting"),
            }
        }
    }
    tracing::info!("plugin server stopped");
    Ok(())
}

fn shutdown_signal_then_idle(
    signal: impl std::future::Future<Output = ()> + Send + 'static,
    liveness: Arc<Liveness>,
) -> Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
    Box::pin(async move {
        signal.await;
        let idle = async {
            while !liveness.idle_after_a_connection() {
                tokio::time::sleep(SHUTDOWN_POLL).await;
            }
        };
        if tokio::time::timeout(SHUTDOWN_GRACE, idle).await.is_err() {
            tracing::debug!("exiting after Shutdown with a connection still open");
        }
    })
}

fn print_handshake(addr: SocketAddr, cert: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let line = handshake_line(addr, cert);
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(line.as_bytes())?;
    stdout.flush()
}

/// `CORE|APP|tcp|ADDR|grpc|CERT`, as go-plugin's client parses it.
pub fn handshake_line(addr: SocketAddr, cert: &str) -> String {
    format!("{CORE_PROTOCOL_VERSION}|{APP_PROTOCOL_VERSION}|tcp|{addr}|grpc|{cert}\n")
}

async fn bind_in_range(min: u16, max: u16) -> Result<TcpListener, ServeError> {
    for port in min..=max {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        if let Ok(listener) = TcpListener::bind(addr).await {
            return Ok(listener);
        }
    }
    Err(ServeError::NoFreePort(min, max))
}

/// What tells a plugin still serving Terraform from an orphan: open
/// connections, calls in flight, and whether Terraform ever connected.
#[derive(Debug, Default)]
pub struct Liveness {
    connections: AtomicUsize,
    in_flight: AtomicUsize,
    connected_once: AtomicBool,
}

impl Liveness {
    fn idle_after_a_connection(&self) -> bool {
        self.connected_once.load(Ordering::SeqCst)
            && self.connections.load(Ordering::SeqCst) == 0
            && self.in_flight.load(Ordering::SeqCst) == 0
    }
}

/// Why the plugin stops on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Orphaned {
    ParentGone,
    ConnectionGone,
}

impl std::fmt::Display for Orphaned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Orphaned::ParentGone => "the parent process (Terraform) is gone",
            Orphaned::ConnectionGone => "Terraform's connection closed and no call is in flight",
        })
    }
}

/// The parent process id to watch: `None` where there is none to watch
/// (not Unix, or already adopted by init).
fn parent_process() -> Option<u32> {
    #[cfg(unix)]
    {
        Some(std::os::unix::process::parent_id()).filter(|&pid| pid > 1)
    }
    #[cfg(not(unix))]
    {
        None
    }
}

fn current_parent() -> Option<u32> {
    #[cfg(unix)]
    {
        Some(std::os::unix::process::parent_id())
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Resolves when the plugin is an orphan: its parent changed (the original
/// one died and the plugin was re-parented), after in-flight calls had up
/// to [`ORPHAN_GRACE`] to finish; or Terraform's last connection closed
/// with nothing in flight.
pub async fn watch_for_orphaning(liveness: Arc<Liveness>, parent: Option<u32>) -> Orphaned {
    let mut tick = tokio::time::interval(WATCH_INTERVAL);
    loop {
        tick.tick().await;
        if parent.is_some() && current_parent() != parent {
            tracing::warn!(?parent, "the parent process is gone");
            let deadline = tokio::time::Instant::now() + ORPHAN_GRACE;
            while liveness.in_flight.load(Ordering::SeqCst) > 0
                && tokio::time::Instant::now() < deadline
            {
                tick.tick().await;
            }
            return Orphaned::ParentGone;
        }
        if liveness.idle_after_a_connection() {
            return Orphaned::ConnectionGone;
        }
    }
}

/// Counts calls in flight (until each response is ready).
#[derive(Clone)]
struct CountInFlightLayer(Arc<Liveness>);

impl<S> tower_layer::Layer<S> for CountInFlightLayer {
    type Service = CountInFlight<S>;
    fn layer(&self, inner: S) -> Self::Service {
        CountInFlight {
            inner,
            liveness: Arc::clone(&self.0),
        }
    }
}

#[derive(Clone)]
struct CountInFlight<S> {
    inner: S,
    liveness: Arc<Liveness>,
}

/// One call in flight, counted while it lives.
struct InFlight(Arc<Liveness>);

impl InFlight {
    fn enter(liveness: &Arc<Liveness>) -> Self {
        liveness.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(Arc::clone(liveness))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl<S, R> tower_service::Service<R> for CountInFlight<S>
where
    S: tower_service::Service<R>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn std::future::Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        let guard = InFlight::enter(&self.liveness);
        let future = self.inner.call(request);
        Box::pin(async move {
            let response = future.await;
            drop(guard);
            response
        })
    }
}

/// Accepts TCP connections and hands over those that complete a TLS
/// handshake with the pinned client certificate. Each handshake runs in its
/// own task so one slow or hostile peer cannot stall the others.
fn accept_tls(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    liveness: Arc<Liveness>,
) -> mpsc::Receiver<Result<Tracked<TlsStream<TcpStream>>, std::io::Error>> {
    let (tx, rx) = mpsc::channel(16);
    tokio::spawn(async move {
        loop {
            let (tcp, peer) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    continue;
                }
            };
            let _ = tcp.set_nodelay(true);
            let acceptor = acceptor.clone();
            let tx = tx.clone();
            let liveness = Arc::clone(&liveness);
            tokio::spawn(async move {
                match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                    Ok(Ok(stream)) => {
                        let _ = tx.send(Ok(Tracked::new(stream, liveness))).await;
                    }
                    Ok(Err(e)) => {
                        tracing::warn!(%peer, error = %e, "refused a connection: TLS handshake failed");
                    }
                    Err(_) => {
                        tracing::warn!(%peer, "refused a connection: TLS handshake timed out")
                    }
                }
            });
        }
    });
    rx
}

/// A connection as tonic's server takes it, counted while it is open.
pub struct Tracked<S> {
    stream: S,
    liveness: Arc<Liveness>,
}

impl<S> Tracked<S> {
    fn new(stream: S, liveness: Arc<Liveness>) -> Self {
        liveness.connections.fetch_add(1, Ordering::SeqCst);
        liveness.connected_once.store(true, Ordering::SeqCst);
        Tracked { stream, liveness }
    }
}

impl<S> Drop for Tracked<S> {
    fn drop(&mut self) {
        self.liveness.connections.fetch_sub(1, Ordering::SeqCst);
    }
}

impl<S> Connected for Tracked<S> {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl<S: AsyncRead + Unpin> AsyncRead for Tracked<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tracked<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handshake_line_has_go_plugin_shape() {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 12345));
        assert_eq!(
            handshake_line(addr, "QUJD"),
            "1|6|tcp|127.0.0.1:12345|grpc|QUJD\n"
        );
    }
}
