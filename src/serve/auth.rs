//! Who a request acts as.
//!
//! With `--credentials`, a request must carry a SigV4 signature by one of
//! the listed keys: in its `Authorization` header (its `aws-chunked`
//! chunks signed too, when it says so) or a presigned URL's query. The
//! signature is recomputed with the AWS SDK's own signer (`aws-sigv4`)
//! over exactly what the client signed, and compared in constant time; the
//! request then acts as that key's account.
//!
//! Without it (loopback only), SigV4 is parsed, not verified: a 12-digit
//! access key id selects that account, as moto does; any other key acts as
//! `123456789012`.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, SystemTime};

use aws_sigv4::http_request::{
    PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
    UriPathNormalizationMode,
};
use aws_sigv4::sign::v4::SigningParams;
use aws_smithy_runtime_api::client::identity::Identity;

use super::chunk_signing::{same, ChunkSigning};
use super::http::Request;
use crate::domain::names;

/// `Credential=AKID/DATE/REGION/SERVICE/aws4_request`, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialScope {
    pub access_key_id: String,
    pub date: String,
    pub region: String,
    pub service: String,
}

/// The credential scope of an `Authorization: AWS4-HMAC-SHA256
/// Credential=..., SignedHeaders=..., Signature=...` header.
pub fn from_authorization(header: &str) -> Option<CredentialScope> {
    parse_credential(authorization_field(header, "Credential")?)
}

/// One `NAME=value` field of an `Authorization: AWS4-HMAC-SHA256` header.
fn authorization_field<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    let rest = header.trim().strip_prefix("AWS4-HMAC-SHA256")?;
    rest.split(',').map(str::trim).find_map(|part| {
        part.strip_prefix(name)
            .and_then(|value| value.strip_prefix('='))
    })
}

/// The scope of a presigned URL's `X-Amz-Credential` (already decoded).
pub fn parse_credential(credential: &str) -> Option<CredentialScope> {
    let parts: Vec<&str> = credential.split('/').collect();
    match parts[..] {
        [key, date, region, service, "aws4_request"] => Some(CredentialScope {
            access_key_id: key.to_string(),
            date: date.to_string(),
            region: region.to_string(),
            service: service.to_string(),
        }),
        _ => None,
    }
}

/// The SigV4 credential scope of a request: its `Authorization` header's,
/// or a presigned URL's `X-Amz-Credential`.
pub fn scope(request: &Request) -> Option<CredentialScope> {
    match request.header("authorization") {
        Some(header) => from_authorization(header),
        None => request
            .query
            .get("X-Amz-Credential")
            .and_then(parse_credential),
    }
}

/// The account a request acts as, where signatures are not checked.
pub fn account_of(scope: Option<&CredentialScope>) -> String {
    match scope {
        Some(scope) if names::account_id(&scope.access_key_id).is_ok() => {
            scope.access_key_id.clone()
        }
        _ => names::EXAMPLE_ACCOUNT.to_string(),
    }
}

/// The region a request acts in: the one its signature names, when that
/// is a region name.
pub fn region_of(signed: Option<&str>, default: &str) -> String {
    match signed {
        Some(region) if names::region(region).is_ok() => region.to_string(),
        _ => default.to_string(),
    }
}

/// One key of a credentials file.
struct Key {
    secret: zeroize::Zeroizing<String>,
    account: String,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key")
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

/// The keys `serve --credentials` accepts, by access key id.
#[derive(Debug, Default)]
pub struct Keys {
    by_id: HashMap<String, Key>,
}

#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct KeysError {
    pub path: String,
    pub message: String,
}

impl Keys {
    /// Reads an AWS shared-credentials-style file: one `[section]` per
    /// key, each with `aws_access_key_id`, `aws_secret_access_key` and
    /// `aws_account_id`.
    pub fn load(path: &Path) -> Result<Keys, KeysError> {
        let error = |message: String| KeysError {
            path: path.display().to_string(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| error(e.to_string()))?;
        Keys::parse(&text).map_err(error)
    }

    fn parse(text: &str) -> Result<Keys, String> {
        let mut sections: Vec<(String, HashMap<String, String>)> = Vec::new();
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                sections.push((name.trim().to_string(), HashMap::new()));
                continue;
            }
            let (Some((name, value)), Some((_, fields))) =
                (line.split_once('='), sections.last_mut())
            else {
                return Err(format!(
                    "line {}: expected `[section]` or `name = value` inside a section",
                    number + 1
                ));
            };
            fields.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
        }
        let mut keys = Keys::default();
        for (section, mut fields) in sections {
            let mut take = |field: &str| {
                fields
                    .remove(field)
                    .filter(|v| !v.is_empty())
                    .ok_or_else(|| format!("[{section}]: {field} is missing"))
            };
            let id = take("aws_access_key_id")?;
            let secret = zeroize::Zeroizing::new(take("aws_secret_access_key")?);
            let account = take("aws_account_id")?;
            names::account_id(&account)
                .map_err(|e| format!("[{section}]: aws_account_id: {}", e.0))?;
            if keys.by_id.contains_key(&id) {
                return Err(format!("[{section}]: access key id {id} is listed twice"));
            }
            keys.by_id.insert(id, Key { secret, account });
        }
        if keys.by_id.is_empty() {
            return Err("lists no keys".into());
        }
        Ok(keys)
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }
}

/// Why a request was refused; each service names these its own way.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("the request is not signed: it needs a SigV4 Authorization header or presigned query by a key this endpoint knows")]
    Missing,
    #[error("the request's signature is malformed: {0}")]
    Malformed(String),
    #[error("the access key id {0} is not one this endpoint knows")]
    UnknownKey(String),
    #[error("the request signature we calculated does not match the signature you provided: check your secret access key and signing method")]
    Mismatch,
    #[error("the signature of chunk {0} of the body does not match")]
    ChunkMismatch(usize),
    #[error("signature expired: {0}")]
    Expired(String),
    #[error("the x-amz-content-sha256 header does not match the body's SHA-256")]
    ContentHash,
    #[error("the authorization mechanism you have provided (signature version 2) is not supported: use AWS4-HMAC-SHA256 (for `aws s3 presign`, set `signature_version = s3v4` under `s3 =` in the profile)")]
    SignatureV2,
}

/// A verified request's caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub account: String,
    pub region: String,
    /// For a body sent as signed `aws-chunked`: the chain its chunks must
    /// continue (checked as the body is decoded).
    pub chunk_signing: Option<ChunkSigning>,
}

/// How far a signed time may be from ours (AWS allows 15 minutes).
const SKEW: Duration = Duration::from_secs(15 * 60);
/// The longest a presigned URL may be valid (seven days, as in S3).
const MAX_PRESIGN: u64 = 7 * 24 * 3600;
const QUERY_SIGNING: [&str; 7] = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
    "X-Amz-Security-Token",
];

/// Verifies a request's SigV4 signature against `keys`, as of `now`.
/// `s3` selects S3's signing rules (the path signed as sent, the payload
/// hash from `x-amz-content-sha256`).
pub fn verify(
    request: &Request,
    keys: &Keys,
    s3: bool,
    now: SystemTime,
) -> Result<Caller, Refused> {
    let presigned = request.header("authorization").is_none();
    if request
        .header("authorization")
        .is_some_and(|h| h.starts_with("AWS "))
        || (presigned && request.query.get("AWSAccessKeyId").is_some())
    {
        return Err(Refused::SignatureV2);
    }
    let (scope, signed_headers, signature, date_time, expires) = if presigned {
        let get = |name: &str| request.query.get(name).ok_or(Refused::Missing);
        let expires = get("X-Amz-Expires")?;
        let expires: u64 = expires
            .parse()
            .ok()
            .filter(|s| *s <= MAX_PRESIGN)
            .ok_or_else(|| {
                Refused::Malformed(format!(
                    "X-Amz-Expires {expires:?} is not 0 to {MAX_PRESIGN}"
                ))
            })?;
        if get("X-Amz-Algorithm")? != "AWS4-HMAC-SHA256" {
            return Err(Refused::Malformed(
                "X-Amz-Algorithm is not AWS4-HMAC-SHA256".into(),
            ));
        }
        (
            parse_credential(get("X-Amz-Credential")?),
            get("X-Amz-SignedHeaders")?,
            get("X-Amz-Signature")?,
            get("X-Amz-Date")?,
            Some(expires),
        )
    } else {
        let header = request.header("authorization").unwrap_or_default();
        let field = |name: &str| {
            authorization_field(header, name).ok_or_else(|| {
                Refused::Malformed(format!("the Authorization header has no {name}"))
            })
        };
        (
            from_authorization(header),
            field("SignedHeaders")?,
            field("Signature")?,
            request
                .header("x-amz-date")
                .ok_or_else(|| Refused::Malformed("the x-amz-date header is missing".into()))?,
            None,
        )
    };
    let scope = scope.ok_or_else(|| {
        Refused::Malformed("the credential is not KEY/DATE/REGION/SERVICE/aws4_request".into())
    })?;
    let key = keys
        .by_id
        .get(&scope.access_key_id)
        .ok_or_else(|| Refused::UnknownKey(scope.access_key_id.clone()))?;
    let signed_at = chrono::NaiveDateTime::parse_from_str(date_time, "%Y%m%dT%H%M%SZ")
        .map_err(|_| Refused::Malformed(format!("the date {date_time:?} is not YYYYMMDDTHHMMSSZ")))?
        .and_utc();
    if !date_time.starts_with(&scope.date) {
        return Err(Refused::Malformed(
            "the credential's date is not the signature's".into(),
        ));
    }
    let signed_at = SystemTime::from(signed_at);
    match expires {
        Some(valid_for) => {
            if now > signed_at + Duration::from_secs(valid_for) {
                return Err(Refused::Expired(format!(
                    "the presigned URL expired {valid_for}s after {date_time}"
                )));
            }
        }
        None => {
            let skew = now
                .duration_since(signed_at)
                .or_else(|e| Ok::<_, ()>(e.duration()))
                .unwrap_or_default();
            if skew > SKEW {
                return Err(Refused::Expired(format!(
                    "{date_time} is more than 15 minutes from the server's time"
                )));
            }
        }
    }

    let signed: Vec<&str> = signed_headers.split(';').collect();
    let headers: Vec<(&str, &str)> = request
        .headers
        .iter()
        .filter(|(name, _)| signed.contains(&name.as_str()))
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    let content_sha256 = request.header("x-amz-content-sha256");
    let body = match (presigned, content_sha256) {
        (true, _) => SignableBody::UnsignedPayload,
        (false, Some(hash)) => SignableBody::Precomputed(hash.to_string()),
        (false, None) if s3 => SignableBody::UnsignedPayload,
        (false, None) => SignableBody::Bytes(&request.body),
    };
    let uri = match &request.raw_query {
        query if query.is_empty() => request.path.clone(),
        query if presigned => {
            let kept: Vec<&str> = query
                .split('&')
                .filter(|pair| {
                    let name = pair.split('=').next().unwrap_or_default();
                    !QUERY_SIGNING.contains(&super::http::decode(name).as_str())
                })
                .collect();
            if kept.is_empty() {
                request.path.clone()
            } else {
                format!("{}?{}", request.path, kept.join("&"))
            }
        }
        query => format!("{}?{query}", request.path),
    };

    let mut settings = SigningSettings::default();
    settings.excluded_headers = None;
    if s3 {
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    }
    if let Some(valid_for) = expires {
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(Duration::from_secs(valid_for));
    }
    let identity: Identity = aws_credential_types::Credentials::new(
        scope.access_key_id.clone(),
        key.secret.as_str(),
        None,
        None,
        "serve --credentials",
    )
    .into();
    let params = SigningParams::builder()
        .identity(&identity)
        .region(&scope.region)
        .name(&scope.service)
        .time(signed_at)
        .settings(settings)
        .build()
        .map_err(|e| Refused::Malformed(e.to_string()))?;
    let signable = SignableRequest::new(&request.method, uri, headers.into_iter(), body)
        .map_err(|e| Refused::Malformed(e.to_string()))?;
    let params = params.into();
    let expected = aws_sigv4::http_request::sign(signable, &params)
        .map_err(|e| Refused::Malformed(e.to_string()))?
        .signature()
        .to_string();
    if !same(&expected, signature) {
        return Err(Refused::Mismatch);
    }
    if let Some(hash) = content_sha256.filter(|h| h.len() == 64 && !presigned) {
        use sha2::Digest as _;
        let actual = match &request.spooled {
            Some(spooled) => spooled.sha256.clone().unwrap_or_default(),
            None => hex::encode(sha2::Sha256::digest(&request.body)),
        };
        if actual != hash.to_ascii_lowercase() {
            return Err(Refused::ContentHash);
        }
    }
    let chunk_signing = content_sha256
        .is_some_and(|h| h.starts_with("STREAMING-AWS4-HMAC-SHA256-PAYLOAD"))
        .then(|| {
            ChunkSigning::new(
                aws_sigv4::sign::v4::generate_signing_key(
                    key.secret.as_str(),
                    signed_at,
                    &scope.region,
                    &scope.service,
                )
                .as_ref(),
                date_time,
                &format!(
                    "{}/{}/{}/aws4_request",
                    scope.date, scope.region, scope.service
                ),
                signature,
            )
        });
    Ok(Caller {
        account: key.account.clone(),
        region: scope.region,
        chunk_signing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_come_from_twelve_digit_access_keys() {
        let scope = from_authorization(
            "AWS4-HMAC-SHA256 Credential=222222222222/20261130/eu-west-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=0123",
        )
        .expect("scope");
        assert_eq!(scope.service, "lambda");
        assert_eq!(account_of(Some(&scope)), "222222222222");
        assert_eq!(region_of(Some(&scope.region), "us-east-1"), "eu-west-1");
        let other = parse_credential("AKIAEXAMPLE/20261130/us-east-1/s3/aws4_request");
        assert_eq!(account_of(other.as_ref()), "123456789012");
        assert_eq!(account_of(None), "123456789012");
        assert_eq!(from_authorization("Bearer x"), None);
        assert_eq!(parse_credential("a/b/c"), None);
    }

    #[test]
    fn credentials_files_name_what_is_wrong() {
        let keys = Keys::parse(
            "# two accounts\n[alice]\naws_access_key_id = AKIDALICE\naws_secret_access_key = s1\naws_account_id = 111111111111\n\n[bob]\naws_access_key_id=AKIDBOB\naws_secret_access_key=s2\naws_account_id=222222222222\n",
        )
        .expect("keys");
        assert_eq!(keys.len(), 2);
        assert!(format!("{keys:?}").contains("111111111111"));
        assert!(!format!("{keys:?}").contains("s1"), "no secret in Debug");
        let missing = Keys::parse("[a]\naws_access_key_id = K\naws_account_id = 111111111111\n")
            .expect_err("no secret");
        assert!(
            missing.contains("[a]: aws_secret_access_key is missing"),
            "{missing}"
        );
        let bad =
            Keys::parse("[a]\naws_access_key_id=K\naws_secret_access_key=s\naws_account_id=12\n")
                .expect_err("bad account");
        assert!(bad.contains("aws_account_id"), "{bad}");
        assert!(Keys::parse("").is_err());
        assert!(Keys::parse("key = value\n").is_err());
    }

    fn sign_request(
        method: &str,
        target: &str,
        body: &[u8],
        service: &str,
        secret: &str,
        time: SystemTime,
    ) -> Request {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let mut headers = vec![("host".to_string(), "127.0.0.1:4566".to_string())];
        let mut settings = SigningSettings::default();
        if service == "s3" {
            settings.percent_encoding_mode = PercentEncodingMode::Single;
            settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
            settings.payload_checksum_kind =
                aws_sigv4::http_request::PayloadChecksumKind::XAmzSha256;
        }
        let identity: Identity =
            aws_credential_types::Credentials::new("AKIDALICE", secret, None, None, "test").into();
        let params = SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name(service)
            .time(time)
            .settings(settings)
            .build()
            .expect("params")
            .into();
        let signable = SignableRequest::new(
            method,
            format!("http://127.0.0.1:4566{target}"),
            headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            SignableBody::Bytes(body),
        )
        .expect("signable");
        let (instructions, _) = aws_sigv4::http_request::sign(signable, &params)
            .expect("sign")
            .into_parts();
        for (name, value) in instructions.headers() {
            headers.push((name.to_ascii_lowercase(), value.to_string()));
        }
        Request {
            method: method.to_string(),
            path: path.to_string(),
            raw_query: query.to_string(),
            query: super::super::http::Query::parse(query),
            headers,
            body: bytes::Bytes::copy_from_slice(body),
            spooled: None,
            chunk_signing: None,
        }
    }

    #[test]
    fn signatures_are_verified_and_name_the_account() {
        let keys = Keys::parse(
            "[alice]\naws_access_key_id=AKIDALICE\naws_secret_access_key=secret\naws_account_id=111111111111\n",
        )
        .expect("keys");
        let now = SystemTime::now();
        for (service, target, s3) in [
            ("lambda", "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A111111111111%3Afunction%3Af", false),
            ("signer", "/signing-jobs?maxResults=2&nextToken=a%2Fb", false),
            ("s3", "/bucket/dir/a%20b.zip?versionId=x", true),
        ] {
            let request = sign_request("GET", target, b"{}", service, "secret", now);
            assert_eq!(
                verify(&request, &keys, s3, now),
                Ok(Caller {
                    account: "111111111111".into(),
                    region: "us-east-1".into(),
                    chunk_signing: None,
                }),
                "{service}"
            );
            let forged = sign_request("GET", target, b"{}", service, "not the secret", now);
            assert_eq!(verify(&forged, &keys, s3, now), Err(Refused::Mismatch));
            let mut tampered = request.clone();
            tampered.method = "DELETE".into();
            assert_eq!(verify(&tampered, &keys, s3, now), Err(Refused::Mismatch));
            let late = now + Duration::from_secs(16 * 60);
            assert!(matches!(verify(&request, &keys, s3, late), Err(Refused::Expired(_))));
        }
        let mut unsigned = sign_request("GET", "/x", b"", "lambda", "secret", now);
        unsigned.headers.retain(|(k, _)| k != "authorization");
        assert_eq!(verify(&unsigned, &keys, false, now), Err(Refused::Missing));
        let mut body_changed = sign_request("PUT", "/b/k", b"signed", "s3", "secret", now);
        body_changed.body = bytes::Bytes::from_static(b"other");
        assert_eq!(
            verify(&body_changed, &keys, true, now),
            Err(Refused::ContentHash)
        );
        let other_keys = Keys::parse(
            "[bob]\naws_access_key_id=AKIDBOB\naws_secret_access_key=secret\naws_account_id=222222222222\n",
        )
        .expect("keys");
        let request = sign_request("GET", "/x", b"", "lambda", "secret", now);
        assert_eq!(
            verify(&request, &other_keys, false, now),
            Err(Refused::UnknownKey("AKIDALICE".into()))
        );
    }

    /// A PUT whose body is signed `aws-chunked`, as the AWS SDK for Rust
    /// sends it over http.
    fn signed_chunks(chunks: &[&[u8]], time: SystemTime) -> Request {
        let streaming = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
        let decoded: usize = chunks.iter().map(|c| c.len()).sum();
        let mut headers = vec![
            ("host".to_string(), "127.0.0.1:4566".to_string()),
            ("content-encoding".to_string(), "aws-chunked".to_string()),
            ("x-amz-content-sha256".to_string(), streaming.to_string()),
            (
                "x-amz-decoded-content-length".to_string(),
                decoded.to_string(),
            ),
        ];
        let mut settings = SigningSettings::default();
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        let identity: Identity =
            aws_credential_types::Credentials::new("AKIDALICE", "secret", None, None, "test")
                .into();
        let build = || {
            SigningParams::builder()
                .identity(&identity)
                .region("us-east-1")
                .name("s3")
                .time(time)
                .settings(settings.clone())
                .build()
                .expect("params")
        };
        let v4 = build();
        let params = build().into();
        let signable = SignableRequest::new(
            "PUT",
            "http://127.0.0.1:4566/b/k",
            headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            SignableBody::Precomputed(streaming.into()),
        )
        .expect("signable");
        let (instructions, mut previous) = aws_sigv4::http_request::sign(signable, &params)
            .expect("sign")
            .into_parts();
        for (name, value) in instructions.headers() {
            headers.push((name.to_ascii_lowercase(), value.to_string()));
        }
        let mut body = Vec::new();
        for chunk in chunks.iter().chain([&&b""[..]]) {
            let signature = aws_sigv4::sign::v4::sign_chunk(
                &bytes::Bytes::copy_from_slice(chunk),
                &previous,
                &v4,
            )
            .expect("chunk")
            .signature()
            .to_string();
            body.extend_from_slice(
                format!("{:X};chunk-signature={signature}\r\n", chunk.len()).as_bytes(),
            );
            body.extend_from_slice(chunk);
            body.extend_from_slice(b"\r\n");
            previous = signature;
        }
        Request {
            method: "PUT".into(),
            path: "/b/k".into(),
            raw_query: String::new(),
            query: super::super::http::Query::default(),
            headers,
            body: body.into(),
            spooled: None,
            chunk_signing: None,
        }
    }

    #[test]
    fn every_chunk_of_a_signed_body_is_verified() {
        let keys = Keys::parse(
            "[alice]\naws_access_key_id=AKIDALICE\naws_secret_access_key=secret\naws_account_id=111111111111\n",
        )
        .expect("keys");
        let now = SystemTime::now();
        let request = signed_chunks(&[b"first chunk ", b"second"], now);
        let decode = |request: &Request| {
            let caller = verify(request, &keys, true, now)?;
            let mut out = Vec::new();
            super::super::chunked::decode(
                &mut std::io::BufReader::new(&request.body[..]),
                &mut out,
                caller.chunk_signing,
            )
            .map_err(|e| match e {
                super::super::chunked::BodyError::Signature(refused) => refused,
                other => Refused::Malformed(other.to_string()),
            })?;
            Ok::<_, Refused>(out)
        };
        assert_eq!(decode(&request).expect("verified"), b"first chunk second");
        // One byte of the second chunk changed, its size kept.
        let mut tampered = request.clone();
        let mut body = tampered.body.to_vec();
        let at = body.windows(6).position(|w| w == b"second").expect("chunk");
        body[at] = b'S';
        tampered.body = body.into();
        assert_eq!(decode(&tampered), Err(Refused::ChunkMismatch(2)));
        // A chunk signature left out.
        let mut unsigned = request.clone();
        let text = String::from_utf8_lossy(&unsigned.body).into_owned();
        let first_line_end = text.find("\r\n").expect("line");
        let stripped = format!("C{}", &text[first_line_end..]);
        unsigned.body = stripped.into_bytes().into();
        assert_eq!(decode(&unsigned), Err(Refused::ChunkMismatch(1)));
    }
}
