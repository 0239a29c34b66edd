//! Amazon S3 (restXml, model 2006-03-01), the subset signing and the AWS
//! CLI's `aws s3` commands need: buckets (create, head, list, locate,
//! delete), versioning, versioned objects (put, get with ranges, head,
//! copy, list, list versions, delete one or many) and multipart uploads,
//! path-style or virtual-hosted (`BUCKET.localhost`), with `aws-chunked`
//! uploads decoded.

use chrono::{DateTime, Utc};

use super::chunked;
use super::errors::{self, ApiError};
use super::http::{encode_key, xml_escape, Request, Response};
use super::routes::{Matched, Service};
use super::Ctx;
use crate::backend::local::objects::{
    NewObject, ObjectQuery, ObjectVersion, VersionQuery, NULL_VERSION,
};

const S: Service = Service::S3;
const XMLNS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

pub async fn handle(ctx: &Ctx, m: &Matched, request: &Request) -> Result<Response, ApiError> {
    let bucket = m.label("Bucket");
    let key = m.label("Key");
    let version = request.query.get("versionId").filter(|v| !v.is_empty());
    match m.op.name {
        "CreateBucket" => match ctx.backend.create_bucket(bucket).await {
            Ok(()) => Ok(Response::new(200).header("location", format!("/{bucket}"))),
            // us-east-1 answers a repeated CreateBucket of your own bucket with 200.
            Err(crate::backend::local::objects::ObjectError::BucketAlreadyOwnedByYou(_))
                if ctx.region == "us-east-1" =>
            {
                Ok(Response::new(200).header("location", format!("/{bucket}")))
            }
            Err(e) => Err(errors::s3(e)),
        },
        "PutBucketVersioning" => {
            let body = String::from_utf8_lossy(&request.body);
            let enabled = match element(&body, "Status").as_deref() {
                Some("Enabled") => true,
                Some("Suspended") => false,
                Some(other) => {
                    return Err(ApiError::new(
                        S,
                        400,
                        "IllegalVersioningConfigurationException",
                        format!("versioning Status {other:?} is not Enabled or Suspended"),
                    ))
                }
                None => {
                    return Err(ApiError::new(
                        S,
                        400,
                        "MalformedXML",
                        "the body must be a VersioningConfiguration with a Status",
                    ))
                }
            };
            ctx.backend
                .put_bucket_versioning(bucket, enabled)
                .await
                .map_err(errors::s3)?;
            Ok(Response::new(200))
        }
        "GetBucketVersioning" => {
            let versioning = ctx
                .backend
                .get_bucket_versioning(bucket)
                .await
                .map_err(errors::s3)?;
            let xml = match versioning.status() {
                Some(status) => format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<VersioningConfiguration xmlns=\"{XMLNS}\"><Status>{status}</Status></VersioningConfiguration>"
                ),
                None => format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<VersioningConfiguration xmlns=\"{XMLNS}\"/>"
                ),
            };
            Ok(Response::xml(200, xml))
        }
        "PutObject" => put_object(ctx, bucket, key, request).await,
        "ListBuckets" => list_buckets(ctx).await,
        "HeadBucket" => match ctx.backend.bucket(bucket).await {
            Ok(found) => Ok(Response::new(200).header("x-amz-bucket-region", found.region)),
            Err(e) => Ok(bodiless(errors::s3(e))),
        },
        "GetBucketLocation" => {
            let found = ctx.backend.bucket(bucket).await.map_err(errors::s3)?;
            // us-east-1 is spelled as no constraint at all.
            let constraint = if found.region == "us-east-1" {
                String::new()
            } else {
                xml_escape(&found.region)
            };
            Ok(Response::xml(
                200,
                format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LocationConstraint xmlns=\"{XMLNS}\">{constraint}</LocationConstraint>"),
            ))
        }
        "DeleteBucket" => {
            ctx.backend
                .delete_bucket(bucket)
                .await
                .map_err(errors::s3)?;
            Ok(Response::new(204))
        }
        "ListObjectsV2" | "ListObjects" => {
            list_objects(ctx, bucket, request, m.op.name == "ListObjectsV2").await
        }
        "CopyObject" => copy_object(ctx, bucket, key, request).await,
        "DeleteObjects" => delete_objects(ctx, bucket, request).await,
        "GetObject" | "HeadObject" => {
            let head = m.op.name == "HeadObject";
            // A version replaced between the lookup and the open (its file
            // removed) is looked up again: the answer is whole, never a 500.
            let mut tries = 0;
            let (stored, opened) = loop {
                tries += 1;
                let stored = match ctx.backend.get_object(bucket, key, version).await {
                    Ok(stored) => stored,
                    // A HEAD answer has no body: the status and headers speak.
                    Err(e) if head => return Ok(bodiless(errors::s3(e))),
                    Err(e) => return Err(errors::s3(e)),
                };
                if head {
                    break (stored, None);
                }
                match super::open(&stored.file).await {
                    Ok((file, _)) => break (stored, Some(file)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound && tries < 3 => continue,
                    Err(e) => {
                        return Err(ApiError::new(
                            S,
                            500,
                            "InternalError",
                            format!("cannot read the object: {e}"),
                        ))
                    }
                }
            };
            let size = stored.version.size;
            let range = match request.header("range") {
                Some(text) => Some(byte_range(text, size)?),
                None => None,
            };
            let mut response = object_headers(Response::new(200), &stored.version);
            if let Some((start, end)) = range {
                response.status = 206;
                response = response.header("content-range", format!("bytes {start}-{end}/{size}"));
            }
            let (offset, length) = range.map_or((0, size), |(start, end)| (start, end - start + 1));
            if head {
                return Ok(response.header("content-length", length.to_string()));
            }
            match opened {
                Some(file) => Ok(response.file_body(file, offset, length)),
                None => Ok(response.header("content-length", length.to_string())),
            }
        }
        "ListObjectVersions" => list_versions(ctx, bucket, request).await,
        "DeleteObject" => {
            let deleted = ctx
                .backend
                .delete_object(bucket, key, version)
                .await
                .map_err(errors::s3)?;
            let mut response = Response::new(204);
            if let Some(id) = deleted.version_id {
                response = response.header("x-amz-version-id", id);
            }
            if deleted.delete_marker {
                response = response.header("x-amz-delete-marker", "true");
            }
            Ok(response)
        }
        other => Err(ApiError::not_emulated(S, other)),
    }
}

/// The text of the first `<name>` element (enough for the one-field
/// bodies S3 needs here).
fn element(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    Some(xml[start..end].trim().to_string())
}

fn http_date(time: DateTime<Utc>) -> String {
    httpdate::fmt_http_date(std::time::SystemTime::from(time))
}

fn xml_time(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn object_headers(mut response: Response, v: &ObjectVersion) -> Response {
    response = response
        .header("etag", format!("\"{}\"", v.etag))
        .header("last-modified", http_date(v.last_modified))
        .header("accept-ranges", "bytes")
        .header(
            "content-type",
            v.content_type
                .clone()
                .unwrap_or_else(|| "binary/octet-stream".into()),
        );
    if v.version_id != NULL_VERSION {
        response = response.header("x-amz-version-id", v.version_id.clone());
    }
    for (name, value) in &v.metadata {
        response = response.header(&format!("x-amz-meta-{name}"), value.clone());
    }
    response
}

async fn put_object(
    ctx: &Ctx,
    bucket: &str,
    key: &str,
    request: &Request,
) -> Result<Response, ApiError> {
    let body = object_file(ctx, request).await?;
    tracing::debug!(
        aws_chunked = chunked::is_aws_chunked(request),
        sent = request
            .spooled
            .as_ref()
            .map_or(request.body.len() as u64, |s| s.len),
        stored = body.len,
        "object body"
    );
    let version = ctx
        .backend
        .put_object_file(new_object(bucket, key, request), body.file, body.md5)
        .await
        .map_err(errors::s3)?;
    let mut response = Response::new(200).header("etag", format!("\"{}\"", version.etag));
    if version.version_id != NULL_VERSION {
        response = response.header("x-amz-version-id", version.version_id);
    }
    Ok(response)
}

async fn list_versions(ctx: &Ctx, bucket: &str, request: &Request) -> Result<Response, ApiError> {
    let q = &request.query;
    let max_keys = match q.get("max-keys") {
        None | Some("") => 1000,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| *n <= 1000)
            .ok_or_else(|| {
                ApiError::invalid(
                    S,
                    "max-keys",
                    format!("{text:?} is not a number from 0 to 1000"),
                )
            })?,
    };
    let url = match q.get("encoding-type") {
        None | Some("") => false,
        Some("url") => true,
        Some(other) => {
            return Err(ApiError::invalid(
                S,
                "encoding-type",
                format!("{other:?} is not url"),
            ))
        }
    };
    let query = VersionQuery {
        prefix: q.get("prefix").unwrap_or_default().to_string(),
        delimiter: q
            .get("delimiter")
            .filter(|d| !d.is_empty())
            .map(str::to_string),
        key_marker: q
            .get("key-marker")
            .filter(|k| !k.is_empty())
            .map(str::to_string),
        version_id_marker: q
            .get("version-id-marker")
            .filter(|v| !v.is_empty())
            .map(str::to_string),
        max_keys,
    };
    let listing = ctx
        .backend
        .list_object_versions(bucket, query.clone())
        .await
        .map_err(errors::s3)?;
    // With encoding-type=url, clients URL-decode these fields.
    let text = |value: &str| {
        if url {
            xml_escape(&encode_key(value))
        } else {
            xml_escape(value)
        }
    };
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListVersionsResult xmlns=\"{XMLNS}\"><Name>{}</Name><Prefix>{}</Prefix><KeyMarker>{}</KeyMarker><VersionIdMarker>{}</VersionIdMarker><MaxKeys>{max_keys}</MaxKeys>",
        xml_escape(bucket),
        text(&query.prefix),
        text(query.key_marker.as_deref().unwrap_or_default()),
        xml_escape(query.version_id_marker.as_deref().unwrap_or_default()),
    );
    if let Some(delimiter) = &query.delimiter {
        xml.push_str(&format!("<Delimiter>{}</Delimiter>", text(delimiter)));
    }
    if url {
        xml.push_str("<EncodingType>url</EncodingType>");
    }
    xml.push_str(&format!(
        "<IsTruncated>{}</IsTruncated>",
        listing.is_truncated
    ));
    if let Some(marker) = &listing.next_key_marker {
        xml.push_str(&format!("<NextKeyMarker>{}</NextKeyMarker>", text(marker)));
    }
    if let Some(marker) = &listing.next_version_id_marker {
        xml.push_str(&format!(
            "<NextVersionIdMarker>{}</NextVersionIdMarker>",
            xml_escape(marker)
        ));
    }
    for v in &listing.versions {
        let common = format!(
            "<Key>{}</Key><VersionId>{}</VersionId><IsLatest>{}</IsLatest><LastModified>{}</LastModified>",
            text(&v.key),
            xml_escape(&v.version_id),
            v.is_latest,
            xml_time(v.last_modified)
        );
        if v.delete_marker {
            xml.push_str(&format!("<DeleteMarker>{common}</DeleteMarker>"));
        } else {
            xml.push_str(&format!(
                "<Version>{common}<ETag>&quot;{}&quot;</ETag><Size>{}</Size><StorageClass>STANDARD</StorageClass></Version>",
                v.etag, v.size
            ));
        }
    }
    for prefix in &listing.common_prefixes {
        xml.push_str(&format!(
            "<CommonPrefixes><Prefix>{}</Prefix></CommonPrefixes>",
            text(prefix)
        ));
    }
    xml.push_str("</ListVersionsResult>");
    Ok(Response::xml(200, xml))
}

/// The object bytes of an upload, streamed into a file of the store's
/// (decoded, chunk signatures and checksums checked), off the async threads.
pub async fn object_file(ctx: &Ctx, request: &Request) -> Result<chunked::ObjectBody, ApiError> {
    let dir = super::lambda::uploads_dir(ctx.backend.path());
    let request = request.clone();
    tokio::task::spawn_blocking(move || chunked::object_file(&request, &dir))
        .await
        .map_err(|e| ApiError::new(S, 500, "InternalError", format!("upload task failed: {e}")))?
        .map_err(errors::s3_body)
}

/// An error as a HEAD answers it: status and headers, no body.
fn bodiless(error: ApiError) -> Response {
    let mut response = Response::new(error.status);
    for (name, value) in error.headers {
        response = response.header(name, value);
    }
    response
}

/// A `Range: bytes=A-B | A- | -N` header against an object of `size`
/// bytes: the inclusive range served (RFC 9110), or 416 InvalidRange.
fn byte_range(text: &str, size: u64) -> Result<(u64, u64), ApiError> {
    let invalid = || {
        ApiError::new(
            S,
            416,
            "InvalidRange",
            format!("the range {text:?} is not satisfiable for an object of {size} bytes"),
        )
    };
    let spec = text.trim().strip_prefix("bytes=").ok_or_else(invalid)?;
    if spec.contains(',') {
        return Err(ApiError::invalid(
            S,
            "Range",
            "only one range is served at a time",
        ));
    }
    let (first, last) = spec.split_once('-').ok_or_else(invalid)?;
    let number = |t: &str| t.trim().parse::<u64>().map_err(|_| invalid());
    let (start, end) = match (first.trim().is_empty(), last.trim().is_empty()) {
        (true, false) => {
            let suffix = number(last)?;
            if suffix == 0 || size == 0 {
                return Err(invalid());
            }
            (size.saturating_sub(suffix), size - 1)
        }
        (false, true) => (number(first)?, size.saturating_sub(1)),
        (false, false) => (number(first)?, number(last)?.min(size.saturating_sub(1))),
        (true, true) => return Err(invalid()),
    };
    if start >= size || start > end {
        return Err(invalid());
    }
    Ok((start, end))
}

async fn list_buckets(ctx: &Ctx) -> Result<Response, ApiError> {
    let buckets = ctx.backend.list_buckets().await.map_err(errors::s3)?;
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListAllMyBucketsResult xmlns=\"{XMLNS}\"><Owner><ID>{}</ID><DisplayName>{}</DisplayName></Owner><Buckets>",
        ctx.account, ctx.account
    );
    for bucket in &buckets {
        xml.push_str(&format!(
            "<Bucket><Name>{}</Name><CreationDate>{}</CreationDate><BucketRegion>{}</BucketRegion></Bucket>",
            xml_escape(&bucket.name),
            xml_time(bucket.created_at),
            xml_escape(&bucket.region)
        ));
    }
    xml.push_str("</Buckets></ListAllMyBucketsResult>");
    Ok(Response::xml(200, xml))
}

fn max_keys(request: &Request) -> Result<usize, ApiError> {
    match request.query.get("max-keys") {
        None | Some("") => Ok(1000),
        Some(text) => text
            .parse::<usize>()
            .map(|n| n.min(1000))
            .map_err(|_| ApiError::invalid(S, "max-keys", format!("{text:?} is not a number"))),
    }
}

fn url_encoding(request: &Request) -> Result<bool, ApiError> {
    match request.query.get("encoding-type") {
        None | Some("") => Ok(false),
        Some("url") => Ok(true),
        Some(other) => Err(ApiError::invalid(
            S,
            "encoding-type",
            format!("{other:?} is not url"),
        )),
    }
}

/// ListObjectsV2 (continuation tokens) or ListObjects (markers).
async fn list_objects(
    ctx: &Ctx,
    bucket: &str,
    request: &Request,
    v2: bool,
) -> Result<Response, ApiError> {
    let q = &request.query;
    let max_keys = max_keys(request)?;
    let url = url_encoding(request)?;
    let token = q.get("continuation-token").filter(|t| !t.is_empty());
    let resumed = match token {
        Some(token) if v2 => Some(
            hex::decode(token)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| {
                    ApiError::invalid(S, "continuation-token", "is not a token this endpoint gave")
                })?,
        ),
        _ => None,
    };
    let start = if v2 {
        q.get("start-after")
    } else {
        q.get("marker")
    }
    .filter(|s| !s.is_empty())
    .map(str::to_string);
    let query = ObjectQuery {
        prefix: q.get("prefix").unwrap_or_default().to_string(),
        delimiter: q
            .get("delimiter")
            .filter(|d| !d.is_empty())
            .map(str::to_string),
        after: resumed.or(start.clone()),
        max_keys,
    };
    let listing = if max_keys == 0 {
        Default::default()
    } else {
        ctx.backend
            .list_objects(bucket, query.clone())
            .await
            .map_err(errors::s3)?
    };
    let text = |value: &str| {
        if url {
            xml_escape(&encode_key(value))
        } else {
            xml_escape(value)
        }
    };
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"{XMLNS}\"><Name>{}</Name><Prefix>{}</Prefix><MaxKeys>{max_keys}</MaxKeys><IsTruncated>{}</IsTruncated>",
        xml_escape(bucket),
        text(&query.prefix),
        listing.next_after.is_some()
    );
    if let Some(delimiter) = &query.delimiter {
        xml.push_str(&format!("<Delimiter>{}</Delimiter>", text(delimiter)));
    }
    if url {
        xml.push_str("<EncodingType>url</EncodingType>");
    }
    if v2 {
        xml.push_str(&format!(
            "<KeyCount>{}</KeyCount>",
            listing.objects.len() + listing.common_prefixes.len()
        ));
        if let Some(token) = token {
            xml.push_str(&format!(
                "<ContinuationToken>{}</ContinuationToken>",
                xml_escape(token)
            ));
        }
        if let Some(after) = q.get("start-after").filter(|s| !s.is_empty()) {
            xml.push_str(&format!("<StartAfter>{}</StartAfter>", text(after)));
        }
        if let Some(next) = &listing.next_after {
            xml.push_str(&format!(
                "<NextContinuationToken>{}</NextContinuationToken>",
                hex::encode(next)
            ));
        }
    } else {
        xml.push_str(&format!(
            "<Marker>{}</Marker>",
            text(start.as_deref().unwrap_or_default())
        ));
        if let (Some(next), Some(_)) = (&listing.next_after, &query.delimiter) {
            xml.push_str(&format!("<NextMarker>{}</NextMarker>", text(next)));
        }
    }
    for object in &listing.objects {
        xml.push_str(&format!(
            "<Contents><Key>{}</Key><LastModified>{}</LastModified><ETag>&quot;{}&quot;</ETag><Size>{}</Size><StorageClass>STANDARD</StorageClass></Contents>",
            text(&object.key),
            xml_time(object.last_modified),
            object.etag,
            object.size
        ));
    }
    for prefix in &listing.common_prefixes {
        xml.push_str(&format!(
            "<CommonPrefixes><Prefix>{}</Prefix></CommonPrefixes>",
            text(prefix)
        ));
    }
    xml.push_str("</ListBucketResult>");
    Ok(Response::xml(200, xml))
}

/// `x-amz-copy-source: [/]BUCKET/KEY[?versionId=V]`, percent-encoded.
pub fn copy_source(request: &Request) -> Result<(String, String, Option<String>), ApiError> {
    let raw = request.header("x-amz-copy-source").unwrap_or_default();
    let (path, query) = raw.split_once('?').unwrap_or((raw, ""));
    let path = super::http::decode(path.trim_start_matches('/'));
    let (bucket, key) = path
        .split_once('/')
        .filter(|(b, k)| !b.is_empty() && !k.is_empty())
        .ok_or_else(|| {
            ApiError::invalid(S, "x-amz-copy-source", format!("{raw:?} is not BUCKET/KEY"))
        })?;
    let version = super::http::Query::parse(query)
        .get("versionId")
        .filter(|v| !v.is_empty())
        .map(str::to_string);
    Ok((bucket.to_string(), key.to_string(), version))
}

pub fn new_object(bucket: &str, key: &str, request: &Request) -> NewObject {
    NewObject {
        bucket: bucket.to_string(),
        key: key.to_string(),
        content_type: request.header("content-type").map(str::to_string),
        metadata: request
            .headers
            .iter()
            .filter_map(|(name, value)| {
                name.strip_prefix("x-amz-meta-")
                    .map(|n| (n.to_string(), value.clone()))
            })
            .collect(),
    }
}

async fn copy_object(
    ctx: &Ctx,
    bucket: &str,
    key: &str,
    request: &Request,
) -> Result<Response, ApiError> {
    let source = copy_source(request)?;
    let keep = match request.header("x-amz-metadata-directive") {
        None | Some("COPY") => true,
        Some("REPLACE") => false,
        Some(other) => {
            return Err(ApiError::invalid(
                S,
                "x-amz-metadata-directive",
                format!("{other:?} is not COPY or REPLACE"),
            ))
        }
    };
    if keep && source.0 == bucket && source.1 == key && source.2.is_none() {
        return Err(ApiError::new(S, 400, "InvalidRequest", "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes."));
    }
    let (from, copied) = ctx
        .backend
        .copy_object(source, new_object(bucket, key, request), keep)
        .await
        .map_err(errors::s3)?;
    let mut response = Response::xml(
        200,
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CopyObjectResult xmlns=\"{XMLNS}\"><LastModified>{}</LastModified><ETag>&quot;{}&quot;</ETag></CopyObjectResult>",
            xml_time(copied.last_modified),
            copied.etag
        ),
    );
    if copied.version_id != NULL_VERSION {
        response = response.header("x-amz-version-id", copied.version_id);
    }
    if from.version_id != NULL_VERSION {
        response = response.header("x-amz-copy-source-version-id", from.version_id);
    }
    Ok(response)
}

/// Every `<name>` element's content as sent (non-nested elements).
fn raw_elements<'a>(xml: &'a str, name: &str) -> Vec<&'a str> {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else { break };
        out.push(&after[..end]);
        rest = &after[end + close.len()..];
    }
    out
}

/// Every `<name>` element's text, unescaped.
pub fn elements(xml: &str, name: &str) -> Vec<String> {
    raw_elements(xml, name)
        .into_iter()
        .map(xml_unescape)
        .collect()
}

/// The five XML entities and numeric references.
fn xml_unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let Some(end) = tail.find(';') else {
            out.push_str(tail);
            return out;
        };
        let entity = &tail[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => out.push(c),
            None => out.push_str(&tail[..=end]),
        }
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    out
}

/// DeleteObjects: each `<Object>` deleted as DeleteObject would, its
/// result or error listed (only errors when `<Quiet>true`).
async fn delete_objects(ctx: &Ctx, bucket: &str, request: &Request) -> Result<Response, ApiError> {
    let body = String::from_utf8_lossy(&request.body);
    let objects = raw_elements(&body, "Object");
    if objects.is_empty() || objects.len() > 1000 {
        return Err(ApiError::new(
            S,
            400,
            "MalformedXML",
            "the body must be a Delete of 1 to 1000 Object elements",
        ));
    }
    let quiet = element(&body, "Quiet").as_deref() == Some("true");
    let mut xml =
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DeleteResult xmlns=\"{XMLNS}\">");
    for object in objects {
        let key = elements(object, "Key").into_iter().next();
        let version = elements(object, "VersionId").into_iter().next();
        let Some(key) = key else {
            return Err(ApiError::new(
                S,
                400,
                "MalformedXML",
                "an Object has no Key",
            ));
        };
        match ctx
            .backend
            .delete_object(bucket, &key, version.as_deref())
            .await
        {
            Ok(deleted) => {
                if quiet {
                    continue;
                }
                xml.push_str(&format!("<Deleted><Key>{}</Key>", xml_escape(&key)));
                if let Some(v) = &version {
                    xml.push_str(&format!("<VersionId>{}</VersionId>", xml_escape(v)));
                }
                if deleted.delete_marker {
                    xml.push_str("<DeleteMarker>true</DeleteMarker>");
                    if version.is_none() {
                        if let Some(id) = &deleted.version_id {
                            xml.push_str(&format!(
                                "<DeleteMarkerVersionId>{}</DeleteMarkerVersionId>",
                                xml_escape(id)
                            ));
                        }
                    }
                }
                xml.push_str("</Deleted>");
            }
            Err(e) => {
                let error = errors::s3(e);
                if error.status == 404 && error.code == "NoSuchBucket" {
                    return Err(error);
                }
                xml.push_str(&format!(
                    "<Error><Key>{}</Key><Code>{}</Code><Message>{}</Message></Error>",
                    xml_escape(&key),
                    xml_escape(&error.code),
                    xml_escape(&error.message)
                ));
            }
        }
    }
    xml.push_str("</DeleteResult>");
    Ok(Response::xml(200, xml))
}

/// The bucket of a virtual-hosted request (`BUCKET.localhost`), if any.
pub fn virtual_host_bucket(request: &Request) -> Option<String> {
    let host = request.host_name();
    host.strip_suffix(".localhost")
        .filter(|b| !b.is_empty())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versioning_bodies_and_virtual_hosts() {
        let body = "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Status>Enabled</Status></VersioningConfiguration>";
        assert_eq!(element(body, "Status").as_deref(), Some("Enabled"));
        assert_eq!(element("<x/>", "Status"), None);
        let r = Request::for_test("GET", "/key", &[("host", "my-bucket.localhost:4566")]);
        assert_eq!(virtual_host_bucket(&r).as_deref(), Some("my-bucket"));
        let r = Request::for_test("GET", "/b/key", &[("host", "127.0.0.1:4566")]);
        assert_eq!(virtual_host_bucket(&r), None);
    }
}
