//! `serve`: an AWS-compatible endpoint for Signer, Lambda's code signing
//! (configs, functions, layers), the S3 subset signing needs and STS
//! GetCallerIdentity, over the embedded store, on the wire as the AWS CLI,
//! boto3 and the AWS SDK for Rust send and parse it.
//!
//! - `routes`: the service (SigV4 credential scope, else the path) and the
//!   operation (the model's URI templates, `operations`).
//! - `signer`, `lambda`, `s3`, `sts`: decode a request, call the backend or
//!   the engine (Lambda's deploy-time checks are `engine::function`), encode
//!   the answer.
//! - `errors`: every failure in its service's error shape, once.
//! - `auth`, `chunk_signing`: with `--credentials`, every request's SigV4
//!   signature verified (`aws-sigv4`) and the signing key's account acted
//!   as; without, a 12-digit access key id names the account, on loopback
//!   only.
//! - `chunked`, `file_body`, `s3_multipart`: object bodies streamed to and
//!   from files, `aws-chunked` decoding, uploads in parts.
//! - The HTTP server itself, its timeouts and limits: `crate::http_server`.
//!
//! An operation of the models that is not emulated answers 501
//! `NotImplemented`, naming it. Each request is one or more store
//! transactions, each complete or not at all.

pub(crate) mod auth;
mod chunk_signing;
mod chunked;
mod errors;
mod file_body;
mod http;
mod lambda;
mod log;
mod operations;
mod presign;
mod routes;
mod s3;
mod s3_multipart;
mod signer;
mod sts;
mod wire;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use tokio::net::TcpListener;

use crate::backend::local::{LocalBackend, LocalConfig};
use crate::backend::Backend;
use crate::domain::arn::{FunctionArn, LayerVersionArn};
use crate::domain::names;
use crate::engine::Engine;
use errors::ApiError;
use http::{Query, Request, Response};
use operations::OPERATIONS;
use routes::Service;

/// The largest request body held in memory: Lambda's direct upload (a
/// 50 MB zip, base64 in JSON) fits; object uploads stream to disk instead.
const MAX_BODY: usize = 70 * 1024 * 1024;
/// S3's largest single PUT (larger objects go in parts).
const MAX_OBJECT: u64 = 5 * 1024 * 1024 * 1024;
/// How serve bounds its clients (see `crate::http_server`).
const BOUNDS: crate::http_server::Bounds = crate::http_server::Bounds {
    // A stalled client does not hold a connection.
    header_timeout: Duration::from_secs(10),
    // S3 closes an upload that goes quiet for about 20 s (RequestTimeout).
    body_idle_timeout: Duration::from_secs(20),
    // Until the answer starts: long enough for a 5 GiB PUT at 10 MB/s.
    request_deadline: Duration::from_secs(900),
    max_connections: 512,
    drain: Duration::from_secs(30),
};

/// Where to listen and which store to serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub listen: String,
    pub store: PathBuf,
    /// The region of requests whose signature does not name one.
    pub region: String,
    /// The store key (`None`: `LAMBDASIGN_STORE_KEY`, if set).
    pub key_file: Option<PathBuf>,
    /// The keys whose SigV4 signatures every request must carry (`None`:
    /// none are checked, and only loopback is served).
    pub credentials: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot open the store {path}: {message}")]
    Store { path: String, message: String },
    #[error("--credentials {0}")]
    Credentials(#[from] auth::KeysError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
}

/// What every request acts through: the store as the caller's account.
pub struct Ctx {
    pub backend: Arc<LocalBackend>,
    pub engine: Engine,
    pub account: String,
    pub region: String,
    pub request_id: String,
    /// `http://HOST` as the client addressed this server (for URLs).
    pub base_url: String,
    /// Signs the content URLs this request's answer gives.
    pub presigner: Arc<presign::Presigner>,
}

struct State {
    root: LocalBackend,
    /// `None`: signatures are parsed, not verified.
    keys: Option<auth::Keys>,
    region: String,
    presigner: Arc<presign::Presigner>,
}

/// Opens the store, listens, prints `listening on http://ADDR` on stdout,
/// and serves until `shutdown` resolves; then finishes in-flight requests.
pub async fn run(config: Config, shutdown: impl Future<Output = ()>) -> Result<(), ServeError> {
    log::init();
    let keys = config
        .credentials
        .as_deref()
        .map(auth::Keys::load)
        .transpose()?;
    let listener =
        TcpListener::bind(&config.listen)
            .await
            .map_err(|source| ServeError::Listen {
                addr: config.listen.clone(),
                source,
            })?;
    let addr = listener.local_addr().map_err(|source| ServeError::Listen {
        addr: config.listen.clone(),
        source,
    })?;
    // Without credentials, requests name their account by their access key
    // id, unchecked: that is safe only where nobody else can connect.
    if keys.is_none() && !addr.ip().is_loopback() {
        return Err(ServeError::Listen {
            addr: config.listen.clone(),
            source: std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                "without --credentials serve checks no signatures (a request's access key id names its account), so it listens on loopback only (127.0.0.1, ::1)",
            ),
        });
    }
    let root = LocalBackend::open(&LocalConfig {
        path: config.store.clone(),
        account_id: names::EXAMPLE_ACCOUNT.to_string(),
        region: config.region.clone(),
        key_file: config.key_file.clone(),
    })
    .and_then(|root| {
        // A server owns its store: made now if missing, so every request
        // (a read too) finds one.
        root.create_store()?;
        Ok(root)
    })
    .map_err(|e| ServeError::Store {
        path: config.store.display().to_string(),
        message: e.to_string(),
    })?;
    // What a killed serve (or another writer that stopped) left: uploads
    // and staged S3 objects of processes that are gone.
    let stale = crate::domain::files::remove_stale_temp_files(&lambda::uploads_dir(root.path()))
        + root.remove_stale_files();
    if stale > 0 {
        tracing::info!(removed = stale, "removed uploads a stopped serve left");
    }
    {
        use std::io::Write;
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "listening on http://{addr}");
        let _ = stdout.flush();
    }
    tracing::info!(store = %config.store.display(), %addr, "serving Signer, Lambda, S3 and STS");
    match &keys {
        Some(keys) => tracing::info!(
            keys = keys.len(),
            "every request must carry a SigV4 signature by a key of --credentials, and acts as that key's account"
        ),
        None => tracing::warn!("no request signature is checked (no --credentials): a 12-digit access key id selects the account a request acts as, which is why serve listens on loopback only"),
    }
    let presigner = presign::Presigner::new().map_err(|_| ServeError::Store {
        path: config.store.display().to_string(),
        message: "cannot make a key for presigned URLs: the system's random source failed".into(),
    })?;
    let state = Arc::new(State {
        root,
        keys,
        region: config.region,
        presigner: Arc::new(presigner),
    });
    let app = axum::Router::new().fallback(handle).with_state(state);
    crate::http_server::serve(listener, app, BOUNDS, shutdown).await;
    Ok(())
}

fn request_id() -> String {
    names::random_suffix(20).to_ascii_uppercase()
}

async fn handle(
    axum::extract::State(state): axum::extract::State<Arc<State>>,
    request: axum::extract::Request,
) -> axum::response::Response {
    let state = state.as_ref();
    let started = Instant::now();
    let id = request_id();
    let (parts, body) = request.into_parts();
    let method = parts.method.as_str().to_string();
    let raw_path = parts.uri.path().to_string();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let mut request = Request {
        method: method.clone(),
        path: raw_path.clone(),
        raw_query: parts.uri.query().unwrap_or_default().to_string(),
        query: Query::parse(parts.uri.query().unwrap_or_default()),
        headers,
        body: Bytes::new(),
        spooled: None,
        chunk_signing: None,
    };
    let service = routes::service_of(&request);
    let (response, operation) = match read_body(state, service, &mut request, body).await {
        Ok(()) => dispatch(state, service, request, &id).await,
        Err(error) => (error.into_response(&id), "-".to_string()),
    };
    tracing::info!(
        service = service.signing_name(),
        operation = %operation,
        status = response.status,
        ms = started.elapsed().as_millis() as u64,
        "{method} {raw_path}"
    );
    into_hyper(response, method == "HEAD")
        .await
        .map(axum::body::Body::new)
}

/// Reads the body: an object upload (an S3 PUT of a key) streamed to a
/// file in the store, at most [`MAX_OBJECT`] bytes (hashed as it comes
/// when signatures are checked);
/// anything else into memory, at most [`MAX_BODY`] bytes.
async fn read_body(
    state: &State,
    service: Service,
    request: &mut Request,
    body: axum::body::Body,
) -> Result<(), ApiError> {
    let upload = service == Service::S3
        && request.method == "PUT"
        && (request.path_segments().len() >= 2 || s3::virtual_host_bucket(request).is_some());
    if !upload {
        let collected = Limited::new(body, MAX_BODY)
            .collect()
            .await
            .map_err(|e| body_failed(service, e.as_ref()))?;
        request.body = collected.to_bytes();
        return Ok(());
    }
    let failed = |e: std::io::Error| {
        ApiError::new(
            service,
            500,
            "InternalError",
            format!("cannot keep the upload: {e}"),
        )
    };
    let dir = lambda::uploads_dir(state.root.path());
    let file = tokio::task::spawn_blocking(move || {
        std::fs::create_dir_all(&dir)?;
        crate::domain::files::TempFile::new_in(&dir)
    })
    .await
    .map_err(|e| failed(std::io::Error::other(e)))?
    .map_err(failed)?;
    let mut writer = tokio::fs::File::from_std(file.as_file().try_clone().map_err(failed)?);
    // Only a signature check needs the body's SHA-256.
    let mut hasher = state
        .keys
        .is_some()
        .then(<sha2::Sha256 as sha2::Digest>::new);
    let mut len = 0u64;
    let mut body = body;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| body_failed(service, &e))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        len += data.len() as u64;
        if len > MAX_OBJECT {
            return Err(ApiError::new(
                service,
                400,
                "EntityTooLarge",
                format!("Your proposed upload exceeds the maximum allowed size: a single PUT is at most {MAX_OBJECT} bytes; use a multipart upload"),
            ));
        }
        if let Some(hasher) = &mut hasher {
            sha2::Digest::update(hasher, &data);
        }
        tokio::io::AsyncWriteExt::write_all(&mut writer, &data)
            .await
            .map_err(failed)?;
    }
    tokio::io::AsyncWriteExt::flush(&mut writer)
        .await
        .map_err(failed)?;
    request.spooled = Some(Arc::new(http::Spooled {
        file,
        len,
        sha256: hasher.map(|h| hex::encode(sha2::Digest::finalize(h))),
    }));
    Ok(())
}

/// Why a request body could not be read, as the service says it.
fn body_failed(service: Service, error: &(dyn std::error::Error + 'static)) -> ApiError {
    if error.is::<http_body_util::LengthLimitError>() {
        let code = match service {
            Service::S3 => "EntityTooLarge",
            _ => "RequestTooLargeException",
        };
        return ApiError::new(
            service,
            413,
            code,
            format!("the request body is larger than {MAX_BODY} bytes"),
        );
    }
    if crate::http_server::body_timed_out(error) {
        let (status, code) = match service {
            Service::S3 => (400, "RequestTimeout"),
            _ => (408, "RequestTimeoutException"),
        };
        return ApiError::new(
            service,
            status,
            code,
            "Your socket connection to the server was not read from or written to within the timeout period.",
        );
    }
    ApiError::new(
        service,
        400,
        "IncompleteBody",
        format!("the body was cut short: {error}"),
    )
}

/// A response body: bytes in memory, or a file streamed.
type ResponseBody = http_body_util::Either<Full<Bytes>, file_body::FileBody>;

async fn into_hyper(response: Response, head: bool) -> hyper::Response<ResponseBody> {
    let body = match (&response.file, head) {
        (Some((file, offset, len)), false) => match positioned(file, *offset).await {
            Ok(file) => http_body_util::Either::Right(file_body::FileBody::new(file, *len)),
            Err(e) => return fallback(format!("cannot read the content: {e}")),
        },
        (_, true) => http_body_util::Either::Left(Full::new(Bytes::new())),
        (None, false) => http_body_util::Either::Left(Full::new(response.body)),
    };
    let mut builder = hyper::Response::builder().status(response.status);
    for (name, value) in &response.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    builder
        .body(body)
        .unwrap_or_else(|e| fallback(format!("cannot build the response: {e}")))
}

/// A file opened to be served, and its length.
pub(crate) async fn open(path: &std::path::Path) -> std::io::Result<(std::fs::File, u64)> {
    let file = tokio::fs::File::open(path).await?;
    let len = file.metadata().await?.len();
    Ok((file.into_std().await, len))
}

/// The response's own handle on the file, at `offset`.
async fn positioned(file: &std::fs::File, offset: u64) -> std::io::Result<tokio::fs::File> {
    use tokio::io::AsyncSeekExt;
    let mut file = tokio::fs::File::from_std(file.try_clone()?);
    file.seek(std::io::SeekFrom::Start(offset)).await?;
    Ok(file)
}

fn fallback(message: String) -> hyper::Response<ResponseBody> {
    let mut response = hyper::Response::new(http_body_util::Either::Left(Full::new(Bytes::from(
        message,
    ))));
    *response.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
    response
}

/// Routes a request to its operation and runs it; the response and the
/// operation's name (for the log).
async fn dispatch(
    state: &State,
    service: Service,
    mut request: Request,
    id: &str,
) -> (Response, String) {
    if request.path == "/_lambdasign/code" && request.method == "GET" {
        return (
            content(state, &request, id).await,
            "content download".into(),
        );
    }
    // The signature covers the request as sent (before a virtual-hosted
    // bucket joins the path).
    let (account, region) = match &state.keys {
        Some(keys) => {
            match auth::verify(
                &request,
                keys,
                service == Service::S3,
                std::time::SystemTime::now(),
            ) {
                Ok(caller) => {
                    request.chunk_signing = caller.chunk_signing;
                    (
                        caller.account,
                        auth::region_of(Some(&caller.region), &state.region),
                    )
                }
                Err(refused) => {
                    tracing::info!(reason = %refused, "request refused: not signed by a known key");
                    return (
                        ApiError::unauthenticated(service, &refused).into_response(id),
                        "-".into(),
                    );
                }
            }
        }
        None => {
            let scope = auth::scope(&request);
            (
                auth::account_of(scope.as_ref()),
                auth::region_of(scope.as_ref().map(|s| s.region.as_str()), &state.region),
            )
        }
    };
    if service == Service::S3 {
        if let Some(bucket) = s3::virtual_host_bucket(&request) {
            request.path = format!("/{bucket}{}", request.path);
        }
    }
    let backend = match state.root.as_account(&account, &region) {
        Ok(backend) => Arc::new(backend),
        Err(e) => {
            return (
                ApiError::new(service, 400, "InvalidClientTokenId", e.to_string())
                    .into_response(id),
                "-".into(),
            )
        }
    };
    let host = request.header("host").unwrap_or("localhost").to_string();
    let ctx = Ctx {
        engine: Engine::new(Arc::clone(&backend) as Arc<dyn Backend>),
        backend,
        account,
        region,
        request_id: id.to_string(),
        base_url: format!("http://{host}"),
        presigner: Arc::clone(&state.presigner),
    };
    if service == Service::Sts {
        let result = sts::handle(&ctx, &request);
        return (respond(result, id), "sts".into());
    }
    let segments = request.path_segments();
    // A key or name is kept exactly or refused, never altered: bytes that
    // are not UTF-8 once percent-decoded are refused, as S3 refuses them.
    if let Some(bad) = segments.iter().find(|s| !http::decodes_to_utf8(s)) {
        let message = format!("the path segment {bad:?} does not decode to UTF-8");
        let error = match service {
            Service::S3 => ApiError::new(service, 400, "InvalidURI", message),
            _ => ApiError::invalid(service, "path", message),
        };
        return (error.into_response(id), "-".into());
    }
    let Some(matched) = routes::route(OPERATIONS, service, &request, &segments) else {
        let error =
            match routes::path_matches(OPERATIONS, service, &request.method, &segments).first() {
                Some(op) => ApiError::not_emulated(service, op.name),
                None => ApiError::unknown_operation(service, &request.method, &request.path),
            };
        return (error.into_response(id), "-".into());
    };
    let result = match service {
        Service::Signer => signer::handle(&ctx, &matched, &request).await,
        Service::Lambda => lambda::handle(&ctx, &matched, &request).await,
        Service::S3 if s3_multipart::OPERATIONS.contains(&matched.op.name) => {
            s3_multipart::handle(&ctx, &matched, &request).await
        }
        Service::S3 => s3::handle(&ctx, &matched, &request).await,
        Service::Sts => sts::handle(&ctx, &request),
    };
    (respond(result, id), matched.op.name.to_string())
}

fn respond(result: Result<Response, ApiError>, id: &str) -> Response {
    match result {
        Ok(response) => response
            .header("x-amzn-RequestId", id)
            .header("x-amz-request-id", id),
        Err(error) => error.into_response(id),
    }
}

/// `GET /_lambdasign/code?function=ARN|layer=ARN&expires=..&signature=..`:
/// the deployment package or layer content that GetFunction's and
/// GetLayerVersion's presigned `Location` point at. Without a valid,
/// unexpired signature for that very ARN it opens nothing.
async fn content(state: &State, request: &Request, id: &str) -> Response {
    let not_found =
        |what: String| ApiError::new(Service::S3, 404, "NoSuchKey", what).into_response(id);
    let (kind, arn) = match (request.query.get("function"), request.query.get("layer")) {
        (Some(arn), None) => ("function", arn),
        (None, Some(arn)) => ("layer", arn),
        _ => return not_found("name one function or one layer version".into()),
    };
    let checked = state.presigner.check(
        kind,
        arn,
        request.query.get("expires"),
        request.query.get("signature"),
        chrono::Utc::now(),
    );
    if let Err(refused) = checked {
        let message = match refused {
            presign::Refused::Unsigned => "content is served only through the presigned URL that GetFunction or GetLayerVersion gives",
            presign::Refused::Expired => "the presigned URL has expired: ask GetFunction or GetLayerVersion again",
            presign::Refused::BadSignature => "the presigned URL's signature does not match",
        };
        return ApiError::new(Service::S3, 403, "AccessDenied", message).into_response(id);
    }
    let file = if let Some(arn) = request.query.get("function") {
        let Ok(function) = arn.parse::<FunctionArn>() else {
            return not_found(format!("{arn:?} is not a function ARN"));
        };
        match state
            .root
            .as_account(function.account_id(), function.region())
        {
            Ok(owner) => owner.function_code_file(arn).await.ok().flatten(),
            Err(_) => None,
        }
    } else if let Some(arn) = request.query.get("layer") {
        let Ok(layer) = arn.parse::<LayerVersionArn>() else {
            return not_found(format!("{arn:?} is not a layer version ARN"));
        };
        match state.root.as_account(layer.account_id(), layer.region()) {
            Ok(owner) => owner.layer_content_file(arn).await.ok(),
            Err(_) => None,
        }
    } else {
        None
    };
    let Some(file) = file else {
        return not_found("no such function code or layer content".into());
    };
    match open(&file).await {
        Ok((opened, len)) => Response::new(200)
            .header("content-type", "application/zip")
            .file_body(opened, 0, len),
        Err(e) => not_found(format!("cannot read {}: {e}", file.display())),
    }
}
