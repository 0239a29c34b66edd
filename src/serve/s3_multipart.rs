//! S3 multipart uploads on the wire: CreateMultipartUpload, UploadPart,
//! UploadPartCopy, ListParts, CompleteMultipartUpload and
//! AbortMultipartUpload, as `aws s3 cp` and `sync` use them for files of
//! 8 MiB or more (and for S3-to-S3 copies of such objects).

use super::errors::{self, ApiError};
use super::http::{xml_escape, Request, Response};
use super::routes::{Matched, Service};
use super::s3::{copy_source, elements, new_object};
use super::Ctx;
use crate::backend::local::objects::NULL_VERSION;

const S: Service = Service::S3;
const XMLNS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// The operations this module answers.
pub const OPERATIONS: &[&str] = &[
    "CreateMultipartUpload",
    "UploadPart",
    "UploadPartCopy",
    "ListParts",
    "CompleteMultipartUpload",
    "AbortMultipartUpload",
];

pub async fn handle(ctx: &Ctx, m: &Matched, request: &Request) -> Result<Response, ApiError> {
    let (operation, bucket, key) = (m.op.name, m.label("Bucket"), m.label("Key"));
    let upload_id = request.query.get("uploadId").unwrap_or_default();
    let b = &ctx.backend;
    match operation {
        "CreateMultipartUpload" => {
            let id = b
                .create_multipart_upload(new_object(bucket, key, request))
                .await
                .map_err(errors::s3)?;
            Ok(Response::xml(
                200,
                format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<InitiateMultipartUploadResult xmlns=\"{XMLNS}\"><Bucket>{}</Bucket><Key>{}</Key><UploadId>{id}</UploadId></InitiateMultipartUploadResult>",
                    xml_escape(bucket),
                    xml_escape(key)
                ),
            ))
        }
        "UploadPart" => {
            let number = part_number(request)?;
            let body = super::s3::object_file(ctx, request).await?;
            let etag = b
                .upload_part(bucket, key, upload_id, number, body.file, body.md5)
                .await
                .map_err(errors::s3)?;
            Ok(Response::new(200).header("etag", format!("\"{etag}\"")))
        }
        "UploadPartCopy" => {
            let number = part_number(request)?;
            let source = copy_source(request)?;
            let range = match request.header("x-amz-copy-source-range") {
                None => None,
                Some(text) => Some(copy_range(text)?),
            };
            let (etag, from) = b
                .upload_part_copy(
                    (bucket.to_string(), key.to_string(), upload_id.to_string()),
                    number,
                    source,
                    range,
                )
                .await
                .map_err(errors::s3)?;
            let mut response = Response::xml(
                200,
                format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CopyPartResult xmlns=\"{XMLNS}\"><LastModified>{}</LastModified><ETag>&quot;{etag}&quot;</ETag></CopyPartResult>",
                    from.last_modified.format("%Y-%m-%dT%H:%M:%S%.3fZ")
                ),
            );
            if from.version_id != NULL_VERSION {
                response = response.header("x-amz-copy-source-version-id", from.version_id);
            }
            Ok(response)
        }
        "ListParts" => {
            let (initiator, parts) = b
                .list_parts(bucket, key, upload_id)
                .await
                .map_err(errors::s3)?;
            let mut xml = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListPartsResult xmlns=\"{XMLNS}\"><Bucket>{}</Bucket><Key>{}</Key><UploadId>{}</UploadId><Initiator><ID>{initiator}</ID></Initiator><Owner><ID>{initiator}</ID></Owner><StorageClass>STANDARD</StorageClass><PartNumberMarker>0</PartNumberMarker><MaxParts>10000</MaxParts><IsTruncated>false</IsTruncated>",
                xml_escape(bucket),
                xml_escape(key),
                xml_escape(upload_id)
            );
            for part in &parts {
                xml.push_str(&format!(
                    "<Part><PartNumber>{}</PartNumber><LastModified>{}</LastModified><ETag>&quot;{}&quot;</ETag><Size>{}</Size></Part>",
                    part.number,
                    part.last_modified.format("%Y-%m-%dT%H:%M:%S%.3fZ"),
                    part.etag,
                    part.size
                ));
            }
            xml.push_str("</ListPartsResult>");
            Ok(Response::xml(200, xml))
        }
        "CompleteMultipartUpload" => {
            let body = String::from_utf8_lossy(&request.body);
            let mut listed = Vec::new();
            for part in elements(&body, "Part") {
                let number = elements(&part, "PartNumber")
                    .first()
                    .and_then(|n| n.trim().parse::<u32>().ok())
                    .ok_or_else(|| malformed("a Part has no PartNumber"))?;
                let etag = elements(&part, "ETag")
                    .into_iter()
                    .next()
                    .ok_or_else(|| malformed("a Part has no ETag"))?;
                listed.push((number, etag));
            }
            let version = b
                .complete_multipart_upload(bucket, key, upload_id, listed)
                .await
                .map_err(errors::s3)?;
            let mut response = Response::xml(
                200,
                format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CompleteMultipartUploadResult xmlns=\"{XMLNS}\"><Location>{}/{}/{}</Location><Bucket>{}</Bucket><Key>{}</Key><ETag>&quot;{}&quot;</ETag></CompleteMultipartUploadResult>",
                    xml_escape(&ctx.base_url),
                    xml_escape(bucket),
                    xml_escape(key),
                    xml_escape(bucket),
                    xml_escape(key),
                    version.etag
                ),
            );
            if version.version_id != NULL_VERSION {
                response = response.header("x-amz-version-id", version.version_id);
            }
            Ok(response)
        }
        "AbortMultipartUpload" => {
            b.abort_multipart_upload(bucket, key, upload_id)
                .await
                .map_err(errors::s3)?;
            Ok(Response::new(204))
        }
        other => Err(ApiError::not_emulated(S, other)),
    }
}

fn malformed(message: &str) -> ApiError {
    ApiError::new(S, 400, "MalformedXML", message)
}

fn part_number(request: &Request) -> Result<u32, ApiError> {
    let text = request.query.get("partNumber").unwrap_or_default();
    text.parse::<u32>()
        .map_err(|_| ApiError::invalid(S, "partNumber", format!("{text:?} is not a number")))
}

/// `x-amz-copy-source-range: bytes=FIRST-LAST`.
fn copy_range(text: &str) -> Result<(u64, u64), ApiError> {
    text.trim()
        .strip_prefix("bytes=")
        .and_then(|r| r.split_once('-'))
        .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)))
        .ok_or_else(|| {
            ApiError::invalid(
                S,
                "x-amz-copy-source-range",
                format!("{text:?} is not bytes=FIRST-LAST"),
            )
        })
}
