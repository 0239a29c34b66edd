//! Reading a URL AWS gave (a layer's presigned `Content.Location`) into a
//! private temporary file: http or https only, a size limit, a deadline.

use std::time::Duration;

use http_body_util::{BodyExt, Empty};
use tokio::io::AsyncWriteExt;

use crate::domain::files::TempFile;

/// How long a download may take in all.
const DEADLINE: Duration = Duration::from_secs(120);

pub async fn url_to_temp(url: &str, limit: u64) -> Result<TempFile, String> {
    tokio::time::timeout(DEADLINE, fetch(url, limit))
        .await
        .map_err(|_| format!("the download did not finish within {}s", DEADLINE.as_secs()))?
}

async fn fetch(url: &str, limit: u64) -> Result<TempFile, String> {
    let uri: hyper::Uri = url
        .parse()
        .map_err(|e| format!("the URL does not parse: {e}"))?;
    if !matches!(uri.scheme_str(), Some("https" | "http")) {
        return Err("the URL is not http(s)".into());
    }
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
        .map_err(|e| format!("no TLS roots: {e}"))?
        .https_or_http()
        .enable_http1()
        .build();
    let client: hyper_util::client::legacy::Client<_, Empty<hyper::body::Bytes>> =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build(connector);
    let response = client
        .get(uri)
        .await
        .map_err(|e| format!("GET failed: {e}"))?;
    if !response.status().is_success() {
        return Err(format!("GET answered {}", response.status()));
    }
    let temp = tokio::task::spawn_blocking(|| TempFile::new_in(&std::env::temp_dir()))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("cannot make a temporary file: {e}"))?;
    let mut file = tokio::fs::File::from_std(
        temp.as_file()
            .try_clone()
            .map_err(|e| format!("cannot write a temporary file: {e}"))?,
    );
    let mut body = response.into_body();
    let mut written = 0u64;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| format!("reading the body: {e}"))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        written += data.len() as u64;
        if written > limit {
            return Err(format!("the content is larger than {limit} bytes"));
        }
        file.write_all(&data)
            .await
            .map_err(|e| format!("cannot write a temporary file: {e}"))?;
    }
    file.flush()
        .await
        .map_err(|e| format!("cannot write a temporary file: {e}"))?;
    Ok(temp)
}
