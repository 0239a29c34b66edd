//! `cfn-invoke`: Lambda's Invoke API (`POST /2015-03-31/functions/{name}/
//! invocations`) in front of the handlers, so AWS's own contract tests
//! (`cfn test --endpoint`) run against them offline. Every function name
//! reaches the same handlers; the body is the handler's event, status 200,
//! as Lambda answers a RequestResponse invocation.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};

use super::target::Target;

/// The Invoke API over `target`.
pub fn router(target: Target) -> Router {
    Router::new()
        .route("/2015-03-31/functions/{name}/invocations", post(invoke))
        .fallback(not_found)
        .with_state(Arc::new(target))
}

async fn invoke(
    State(target): State<Arc<Target>>,
    Path(_name): Path<String>,
    body: Bytes,
) -> Response {
    let event = match serde_json::from_slice::<Value>(&body) {
        Ok(payload) => super::handle(&target, payload).await,
        // What a handler answers to a payload that is not JSON.
        Err(e) => json!({"status": "FAILED", "errorCode": "InvalidRequest",
                         "message": format!("the payload is not JSON: {e}")}),
    };
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    headers.insert(
        "x-amz-executed-version",
        HeaderValue::from_static("$LATEST"),
    );
    (StatusCode::OK, headers, event.to_string()).into_response()
}

async fn not_found() -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(
        "x-amzn-errortype",
        HeaderValue::from_static("ResourceNotFoundException"),
    );
    (
        StatusCode::NOT_FOUND,
        headers,
        json!({"Type": "User", "Message": "only POST /2015-03-31/functions/{name}/invocations is served"}).to_string(),
    )
        .into_response()
}

/// Serves until interrupted (Ctrl-C or SIGTERM). Prints the bound address
/// (useful with port 0) on its first line.
pub async fn serve(listen: SocketAddr, target: Target) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    println!("cfn-invoke listening on http://{}", listener.local_addr()?);
    crate::http_server::serve(listener, router(target), BOUNDS, shutdown()).await;
    Ok(())
}

/// How cfn-invoke bounds its clients (see `crate::http_server`): a handler
/// event is small, and a handler answers within CloudFormation's timeout.
const BOUNDS: crate::http_server::Bounds = crate::http_server::Bounds {
    header_timeout: std::time::Duration::from_secs(10),
    body_idle_timeout: std::time::Duration::from_secs(20),
    request_deadline: std::time::Duration::from_secs(300),
    max_connections: 64,
    drain: std::time::Duration::from_secs(30),
};

async fn shutdown() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}

/// Which backend `cfn-invoke` runs the handlers on.
#[derive(clap::Args, Debug)]
#[group(required = true, multiple = false)]
pub struct BackendArgs {
    /// The local backend: the embedded store in this directory.
    #[arg(long)]
    store: Option<PathBuf>,
    /// The aws backend against this AWS-compatible endpoint (such as
    /// `serve`), with each request's caller credentials.
    #[arg(long)]
    endpoint: Option<String>,
}

impl BackendArgs {
    fn target(self) -> Result<Target, String> {
        match (self.store, self.endpoint) {
            (Some(store), _) => Ok(Target::Local { store }),
            #[cfg(feature = "aws")]
            (None, Some(endpoint)) => Ok(Target::Aws {
                endpoint: Some(endpoint),
            }),
            #[cfg(not(feature = "aws"))]
            (None, Some(_)) => Err("--endpoint needs the aws backend (feature \"aws\")".into()),
            (None, None) => Err("give --store DIR or --endpoint URL".into()),
        }
    }
}

/// `cfn-invoke --listen ADDR (--store DIR | --endpoint URL)`.
pub fn run(listen: SocketAddr, backend: BackendArgs) -> ExitCode {
    let target = match backend.target() {
        Ok(target) => target,
        Err(e) => {
            eprintln!("terraform-provider-lambdasign cfn-invoke: {e}");
            return ExitCode::from(2);
        }
    };
    // Made now, so that a store that cannot be made is an error at start.
    if let Err(e) = target.make_store() {
        eprintln!("terraform-provider-lambdasign cfn-invoke: cannot make the store: {e}");
        return ExitCode::from(2);
    }
    let served = crate::runtime::block_on(
        "terraform-provider-lambdasign cfn-invoke",
        crate::runtime::Threads::Pool,
        ExitCode::FAILURE,
        serve(listen, target),
    );
    match served {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("terraform-provider-lambdasign cfn-invoke: {e}");
            ExitCode::FAILURE
        }
        Err(code) => code,
    }
}
