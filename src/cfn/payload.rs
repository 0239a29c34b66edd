//! The hook's target model, when CloudFormation sends it by URL
//! (`requestData.payload`): fetched only from an S3 host over HTTPS, from
//! public addresses only, at most [`MAX_PAYLOAD`] bytes, within
//! [`DEADLINE`]. Anything else is refused before a byte is read, so a
//! forged request cannot make the hook reach inside its network.

use serde_json::Value;

/// The largest target model read.
#[cfg(feature = "aws")]
pub const MAX_PAYLOAD: usize = 5 * 1024 * 1024;
/// How long fetching may take in all (three tries).
#[cfg(feature = "aws")]
const DEADLINE: std::time::Duration = std::time::Duration::from_secs(30);

/// Whether `host` is an S3 endpoint CloudFormation hands payloads out of
/// (`BUCKET.s3.REGION.amazonaws.com`, `s3.amazonaws.com`, the China
/// partition's `.amazonaws.com.cn`, dual-stack).
pub fn is_s3_host(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    let Some(rest) = host
        .strip_suffix(".amazonaws.com")
        .or_else(|| host.strip_suffix(".amazonaws.com.cn"))
    else {
        return false;
    };
    rest.split('.').any(|label| {
        label == "s3"
            || label.starts_with("s3-")
            || label == "s3-accelerate"
            || label == "dualstack" && rest.contains("s3")
    })
}

/// Whether an address is one a fetched URL may reach: not loopback,
/// private, link-local, unspecified, multicast or otherwise reserved.
#[cfg(any(feature = "aws", test))]
pub fn is_public(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// Checks a payload URL before anything is fetched.
pub fn check_url(url: &str) -> Result<hyper::Uri, String> {
    let uri: hyper::Uri = url
        .parse()
        .map_err(|e| format!("requestData.payload: not a URL: {e}"))?;
    if uri.scheme_str() != Some("https") {
        return Err("requestData.payload: the target model is fetched over HTTPS only".into());
    }
    let host = uri.host().unwrap_or_default();
    if !is_s3_host(host) {
        return Err(format!(
            "requestData.payload: {host:?} is not an Amazon S3 host; CloudFormation hands target models out of S3 only"
        ));
    }
    Ok(uri)
}

#[cfg(feature = "aws")]
pub async fn fetch(url: &str) -> Result<Value, String> {
    let uri = check_url(url)?;
    tokio::time::timeout(DEADLINE, fetch_checked(uri))
        .await
        .map_err(|_| {
            format!(
                "cannot fetch the target model within {}s",
                DEADLINE.as_secs()
            )
        })?
}

#[cfg(feature = "aws")]
async fn fetch_checked(uri: hyper::Uri) -> Result<Value, String> {
    use http_body_util::{BodyExt, Empty, Limited};
    let mut http =
        hyper_util::client::legacy::connect::HttpConnector::new_with_resolver(PublicOnly);
    http.enforce_http(false);
    http.set_connect_timeout(Some(std::time::Duration::from_secs(5)));
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
        .map_err(|e| format!("no TLS roots to fetch the target model: {e}"))?
        .https_only()
        .enable_http1()
        .wrap_connector(http);
    let client: hyper_util::client::legacy::Client<_, Empty<hyper::body::Bytes>> =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build(https);
    let mut last = String::new();
    for attempt in 0..3u32 {
        if attempt > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(200 << attempt)).await;
        }
        let response = match client.get(uri.clone()).await {
            Ok(response) => response,
            Err(e) => {
                last = format!("{e:?}");
                continue;
            }
        };
        if !response.status().is_success() {
            last = format!("HTTP {}", response.status());
            continue;
        }
        let body = Limited::new(response.into_body(), MAX_PAYLOAD)
            .collect()
            .await
            .map_err(|e| format!("reading the target model (at most {MAX_PAYLOAD} bytes): {e}"))?
            .to_bytes();
        let payload: Value = serde_json::from_slice(&body)
            .map_err(|e| format!("the target model is not JSON: {e}"))?;
        // The payload holds the request data's fields, targetModel among them.
        return Ok(payload.get("targetModel").cloned().unwrap_or(payload));
    }
    Err(format!(
        "cannot fetch the target model from the payload URL: {last}"
    ))
}

#[cfg(not(feature = "aws"))]
pub async fn fetch(url: &str) -> Result<Value, String> {
    check_url(url)?;
    Err("this build cannot fetch a target model by URL".into())
}

/// Resolves names to public addresses only: a name that resolves to
/// loopback or a private network is refused, at every connection.
#[cfg(feature = "aws")]
#[derive(Clone, Copy)]
struct PublicOnly;

#[cfg(feature = "aws")]
impl tower_service::Service<hyper_util::client::legacy::connect::dns::Name> for PublicOnly {
    type Response = std::vec::IntoIter<std::net::SocketAddr>;
    type Error = std::io::Error;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>,
    >;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: hyper_util::client::legacy::connect::dns::Name) -> Self::Future {
        Box::pin(async move {
            let found: Vec<std::net::SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            let public: Vec<std::net::SocketAddr> =
                found.into_iter().filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::PermissionDenied,
                    format!("{} resolves to no public address", name.as_str()),
                ));
            }
            Ok(public.into_iter())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_s3_over_https_is_fetched() {
        for good in [
            "https://cloudformation-hooks-bucket.s3.us-east-1.amazonaws.com/payload?X-Amz-Signature=x",
            "https://s3.amazonaws.com/bucket/key",
            "https://bucket.s3-us-west-2.amazonaws.com/key",
            "https://bucket.s3.cn-north-1.amazonaws.com.cn/key",
            "https://bucket.s3.dualstack.eu-west-1.amazonaws.com/key",
        ] {
            assert!(check_url(good).is_ok(), "{good}");
        }
        for bad in [
            "http://bucket.s3.us-east-1.amazonaws.com/key",
            "https://169.254.169.254/latest/meta-data/",
            "https://127.0.0.1/x",
            "https://example.com/x",
            "https://s3.amazonaws.com.evil.example/x",
            "https://ec2.us-east-1.amazonaws.com/",
            "file:///etc/passwd",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn private_and_loopback_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(ip.parse().expect("ip")), "{ip}");
        }
        for ip in ["52.216.0.1", "2600:1f18::1"] {
            assert!(is_public(ip.parse().expect("ip")), "{ip}");
        }
    }
}
