//! The one HTTP stack of the two servers (`serve` and `cfn-invoke`): an
//! axum `Router` on hyper's HTTP/1 connections, bounded the same way for
//! both.
//!
//! - Per request, as tower layers: a body that goes idle fails
//!   ([`RequestBodyTimeoutLayer`]), a request whose answer has not started
//!   by its deadline is answered 408 ([`TimeoutLayer`]), and a panic is a 500, never a lost
//!   process ([`CatchPanicLayer`]).
//! - Per connection, as hyper's options: the headers must arrive within
//!   [`Bounds::header_timeout`], which is also how long a kept-alive
//!   connection may sit idle.
//! - Per server: at most [`Bounds::max_connections`] connections at once
//!   (the next waits in the listen backlog); a refused accept (no
//!   descriptors left, say) pauses with doubling back-off and one log line a
//!   second at most; at shutdown, in-flight requests get [`Bounds::drain`].

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};

/// How a server bounds what clients may hold.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// How long a client may take to send a request's headers, and how
    /// long a kept-alive connection may sit idle.
    pub header_timeout: Duration,
    /// How long a request body may go without a byte arriving.
    pub body_idle_timeout: Duration,
    /// How long a request may take until its answer starts (a body read,
    /// the work, the response head; not a streamed response body, which
    /// the client reads at its own pace within the connection's bounds).
    pub request_deadline: Duration,
    /// Connections served at once.
    pub max_connections: usize,
    /// How long in-flight requests may take to finish at shutdown.
    pub drain: Duration,
}

/// The longest pause between accepts after the system refused one.
const MAX_ACCEPT_BACKOFF: Duration = Duration::from_secs(1);

/// Serves `app` on `listener` within `bounds` until `shutdown` resolves;
/// then lets in-flight requests finish, for [`Bounds::drain`] at most.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    bounds: Bounds,
    shutdown: impl Future<Output = ()>,
) {
    let app = app
        .layer(RequestBodyTimeoutLayer::new(bounds.body_idle_timeout))
        .layer(TimeoutLayer::with_status_code(
            http::StatusCode::REQUEST_TIMEOUT,
            bounds.request_deadline,
        ))
        .layer(CatchPanicLayer::new());
    let mut connection = hyper::server::conn::http1::Builder::new();
    connection
        .timer(TokioTimer::new())
        .header_read_timeout(bounds.header_timeout);
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(tokio::sync::Semaphore::new(bounds.max_connections));
    let mut refused = AcceptBackoff::default();
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            () = &mut shutdown => break,
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break, // never closed
            },
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // EMFILE, ENFILE, ENOMEM...: pause, or the loop spins.
                    tokio::select! {
                        () = &mut shutdown => break,
                        () = tokio::time::sleep(refused.next(&e)) => continue,
                    }
                }
            },
        };
        refused = AcceptBackoff::default();
        let service = TowerToHyperService::new(app.clone());
        let served = graceful.watch(connection.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = served.await {
                tracing::debug!(%peer, error = %e, "connection ended");
            }
            drop(slot);
        });
    }
    // New clients are refused at once rather than queued for the drain.
    drop(listener);
    tracing::info!("shutting down: finishing in-flight requests");
    if tokio::time::timeout(bounds.drain, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "requests still running after {}s; stopping anyway",
            bounds.drain.as_secs()
        );
    }
}

/// Whether a request body failed because it went idle past
/// [`Bounds::body_idle_timeout`].
pub fn body_timed_out(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if e.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        cause = e.source();
    }
    false
}

/// The pause after a refused accept: doubling to [`MAX_ACCEPT_BACKOFF`],
/// with at most one log line a second.
#[derive(Default)]
struct AcceptBackoff {
    delay: Duration,
    logged: Option<Instant>,
    since_logged: u64,
}

impl AcceptBackoff {
    fn next(&mut self, error: &std::io::Error) -> Duration {
        self.delay = (self.delay * 2)
            .max(Duration::from_millis(10))
            .min(MAX_ACCEPT_BACKOFF);
        self.since_logged += 1;
        if self
            .logged
            .is_none_or(|at| at.elapsed() >= Duration::from_secs(1))
        {
            tracing::warn!(%error, refused = self.since_logged, pause_ms = self.delay.as_millis() as u64, "accept failed; pausing before the next");
            self.logged = Some(Instant::now());
            self.since_logged = 0;
        }
        self.delay
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_accepts_back_off_to_a_second_and_log_once_a_second() {
        let mut backoff = AcceptBackoff::default();
        let error = std::io::Error::other("too many open files");
        let delays: Vec<_> = (0..10).map(|_| backoff.next(&error)).collect();
        assert_eq!(delays[0], Duration::from_millis(10));
        assert_eq!(delays[1], Duration::from_millis(20));
        assert_eq!(delays[9], MAX_ACCEPT_BACKOFF);
        // One line logged for the first; the rest within the second counted.
        assert_eq!(backoff.since_logged, 9);
    }
}
