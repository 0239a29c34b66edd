//! Amazon S3 (restXml, model 2006-03-01), the subset signing needs:
//! buckets, versioning, and versioned objects (put, get, head, list
//! versions, delete), path-style or virtual-hosted (`BUCKET.localhost`),
//! with `aws-chunked` uploads decoded.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::chunked;
use super::errors::{self, ApiError};
use super::http::{encode_key, xml_escape, Request, Response};
use super::routes::{Matched, Service};
use super::Ctx;
use crate::backend::local::objects::{NewObject, ObjectVersion, VersionQuery, NULL_VERSION};

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
        "GetObject" | "HeadObject" => {
            let head = m.op.name == "HeadObject";
            let stored = match ctx.backend.get_object(bucket, key, version).await {
                Ok(stored) => stored,
                // A HEAD answer has no body: the status and headers speak.
                Err(e) if head => {
                    let error = errors::s3(e);
                    let mut response = Response::new(error.status);
                    for (name, value) in error.headers {
                        response = response.header(name, value);
                    }
                    return Ok(response);
                }
                Err(e) => return Err(errors::s3(e)),
            };
            let mut response = object_headers(Response::new(200), &stored.version);
            if !head {
                let bytes = tokio::fs::read(&stored.file).await.map_err(|e| {
                    ApiError::new(
                        S,
                        500,
                        "InternalError",
                        format!("cannot read the object: {e}"),
                    )
                })?;
                response.body = bytes.into();
            } else {
                response = response.header("content-length", stored.version.size.to_string());
            }
            Ok(response)
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
    let bytes = chunked::object_body(request).map_err(errors::s3_body)?;
    tracing::debug!(
        aws_chunked = chunked::is_aws_chunked(request),
        sent = request.body.len(),
        stored = bytes.len(),
        "object body"
    );
    let metadata: BTreeMap<String, String> = request
        .headers
        .iter()
        .filter_map(|(name, value)| {
            name.strip_prefix("x-amz-meta-")
                .map(|n| (n.to_string(), value.clone()))
        })
        .collect();
    let version = ctx
        .backend
        .put_object(
            NewObject {
                bucket: bucket.to_string(),
                key: key.to_string(),
                content_type: request.header("content-type").map(str::to_string),
                metadata,
            },
            bytes,
        )
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
