//! S3 as signing needs it: the staging bucket's versioning check, streamed
//! uploads of a local source, and streamed downloads and digests of signed
//! objects (constant memory: one chunk at a time).

use std::path::{Path, PathBuf};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use sha2::{Digest, Sha384};
use tokio::io::AsyncWriteExt;

use super::errors::{map, Conflict};
use crate::backend::{BackendError, BackendResult};
use crate::domain::files;

/// Signer signs only versioned objects: the staging bucket must have
/// versioning `Enabled` (not `Suspended`, not never enabled).
pub async fn require_versioning(s3: &Client, bucket: &str) -> BackendResult<()> {
    let status = match s3.get_bucket_versioning().bucket(bucket).send().await {
        Ok(out) => out.status().map(|s| s.as_str().to_string()),
        // moto answers with a `GetBucketVersioningResponse` root the SDK
        // does not parse; read the status from such a 200 body.
        Err(aws_sdk_s3::error::SdkError::ServiceError(e))
            if e.raw().status().as_u16() == 200 && e.raw().body().bytes().is_some() =>
        {
            let body = String::from_utf8_lossy(e.raw().body().bytes().unwrap_or_default());
            ["Enabled", "Suspended"]
                .into_iter()
                .find(|s| body.contains(&format!("<Status>{s}</Status>")))
                .map(str::to_string)
        }
        Err(e) => {
            return Err(map(
                &format!("s3:GetBucketVersioning {bucket}"),
                Conflict::State,
                e,
            ))
        }
    };
    if status.as_deref() == Some("Enabled") {
        return Ok(());
    }
    Err(BackendError::invalid("staging", format!(
        "bucket {bucket:?} does not have versioning enabled (status: {}): AWS Signer signs only versioned S3 objects. Enable versioning on the bucket (aws s3api put-bucket-versioning --bucket {bucket} --versioning-configuration Status=Enabled) or stage the source elsewhere.",
        status.as_deref().unwrap_or("never enabled")
    )))
}

/// Uploads a file (streamed from disk); returns the new object's version id.
pub async fn upload(s3: &Client, bucket: &str, key: &str, path: &Path) -> BackendResult<String> {
    // Only a regular file: a FIFO would block the upload forever.
    crate::domain::files::open_regular(path)
        .map_err(|e| BackendError::invalid("source_file", format!("{}: {e}", path.display())))?;
    let body = ByteStream::from_path(path)
        .await
        .map_err(|e| BackendError::invalid("source_file", format!("{}: {e}", path.display())))?;
    let out = s3
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(body)
        .send()
        .await
        .map_err(|e| {
            map(
                &format!("s3:PutObject s3://{bucket}/{key}"),
                Conflict::State,
                e,
            )
        })?;
    out.version_id()
        .map(str::to_string)
        .ok_or_else(|| BackendError::invalid("staging", format!("s3://{bucket}/{key} was stored without a version id: the staging bucket's versioning is not enabled")))
}

async fn get(
    s3: &Client,
    bucket: &str,
    key: &str,
    version: Option<&str>,
) -> BackendResult<ByteStream> {
    let out = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .set_version_id(version.map(str::to_string))
        .send()
        .await
        .map_err(|e| {
            map(
                &format!("s3:GetObject s3://{bucket}/{key}"),
                Conflict::State,
                e,
            )
        })?;
    Ok(out.body)
}

/// Streams an object to `to` and returns its SHA-384 (hex). It is written
/// through a new temporary file of an unpredictable name beside `to`
/// (`O_EXCL | O_NOFOLLOW`: nothing planted there is followed), renamed onto
/// `to` when complete; a killed writer's is removed by the next one.
pub async fn download(
    s3: &Client,
    bucket: &str,
    key: &str,
    version: Option<&str>,
    to: &Path,
) -> BackendResult<String> {
    let mut body = get(s3, bucket, key, version).await?;
    let io = |e: std::io::Error| BackendError::Internal(format!("writing {}: {e}", to.display()));
    let dir = match to.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let temp = tokio::task::spawn_blocking(move || files::TempFile::new_in(&dir))
        .await
        .map_err(|e| BackendError::Internal(format!("writing {}: {e}", to.display())))?
        .map_err(io)?;
    let mut file = tokio::fs::File::from_std(temp.as_file().try_clone().map_err(io)?);
    let mut hasher = Sha384::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk
            .map_err(|e| BackendError::Internal(format!("downloading s3://{bucket}/{key}: {e}")))?;
        hasher.update(&chunk);
        file.write_all(&chunk).await.map_err(io)?;
    }
    file.flush().await.map_err(io)?;
    file.sync_all().await.map_err(io)?;
    drop(file);
    let target = to.to_path_buf();
    tokio::task::spawn_blocking(move || temp.persist(&target))
        .await
        .map_err(|e| BackendError::Internal(format!("writing {}: {e}", to.display())))?
        .map_err(io)?;
    Ok(hex::encode(hasher.finalize()))
}

/// Streams an object into a new private temporary file (removed when the
/// returned file is dropped), at most `limit` bytes.
pub async fn download_temp(
    s3: &Client,
    bucket: &str,
    key: &str,
    version: Option<&str>,
    limit: u64,
) -> BackendResult<files::TempFile> {
    let mut body = get(s3, bucket, key, version).await?;
    let shown = format!("s3://{bucket}/{key}");
    let io = |e: std::io::Error| BackendError::Internal(format!("keeping a copy of {shown}: {e}"));
    let temp = tokio::task::spawn_blocking(|| files::TempFile::new_in(&std::env::temp_dir()))
        .await
        .map_err(|e| BackendError::Internal(e.to_string()))?
        .map_err(io)?;
    let mut file = tokio::fs::File::from_std(temp.as_file().try_clone().map_err(io)?);
    let mut written = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk =
            chunk.map_err(|e| BackendError::Internal(format!("downloading {shown}: {e}")))?;
        written += chunk.len() as u64;
        if written > limit {
            return Err(BackendError::invalid(
                "code",
                format!("{shown} is larger than {limit} bytes, more than Lambda deploys"),
            ));
        }
        file.write_all(&chunk).await.map_err(io)?;
    }
    file.flush().await.map_err(io)?;
    Ok(temp)
}

/// What HeadObject says of an object's current version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    pub size: u64,
    pub last_modified: Option<chrono::DateTime<chrono::Utc>>,
}

/// An object's size and time (HeadObject), or `None` if it does not exist.
pub async fn stat(s3: &Client, bucket: &str, key: &str) -> BackendResult<Option<Stat>> {
    match s3.head_object().bucket(bucket).key(key).send().await {
        Ok(out) => {
            let size = out
                .content_length()
                .and_then(|n| u64::try_from(n).ok())
                .ok_or_else(|| {
                    BackendError::Internal(format!(
                        "s3:HeadObject s3://{bucket}/{key} answered without `Content-Length`"
                    ))
                })?;
            let last_modified = out
                .last_modified()
                .and_then(|t| chrono::DateTime::from_timestamp(t.secs(), 0));
            Ok(Some(Stat {
                size,
                last_modified,
            }))
        }
        Err(e) => match map(
            &format!("s3:HeadObject s3://{bucket}/{key}"),
            Conflict::State,
            e,
        ) {
            BackendError::NotFound(_) => Ok(None),
            other => Err(other),
        },
    }
}

/// The first version ever written at a key and its size (what Signer
/// wrote at its output key, whatever was put there since), or `None` when
/// the bucket keeps no versions or the key has none.
pub async fn first_version(
    s3: &Client,
    bucket: &str,
    key: &str,
) -> BackendResult<Option<(String, u64)>> {
    let mut oldest: Option<(i64, String, u64)> = None;
    let (mut key_marker, mut version_marker): (Option<String>, Option<String>) = (None, None);
    for _ in 0..10 {
        let out = s3
            .list_object_versions()
            .bucket(bucket)
            .prefix(key)
            .set_key_marker(key_marker.take())
            .set_version_id_marker(version_marker.take())
            .send()
            .await
            .map_err(|e| {
                map(
                    &format!("s3:ListObjectVersions s3://{bucket}/{key}"),
                    Conflict::State,
                    e,
                )
            })?;
        for v in out.versions().iter().filter(|v| v.key() == Some(key)) {
            let (Some(id), Some(at)) = (v.version_id(), v.last_modified()) else {
                continue;
            };
            if id == "null" {
                return Ok(None);
            }
            let size = v.size().and_then(|n| u64::try_from(n).ok()).unwrap_or(0);
            // S3 lists a key's versions newest first, and times are whole
            // seconds: on a tie the one listed later is the older.
            if oldest.as_ref().is_none_or(|(t, ..)| at.secs() <= *t) {
                oldest = Some((at.secs(), id.to_string(), size));
            }
        }
        if out.is_truncated() != Some(true) {
            break;
        }
        key_marker = out.next_key_marker().map(str::to_string);
        version_marker = out.next_version_id_marker().map(str::to_string);
    }
    Ok(oldest.map(|(_, id, size)| (id, size)))
}

/// The SHA-384 (hex) of an object, streamed without storing it.
pub async fn digest(
    s3: &Client,
    bucket: &str,
    key: &str,
    version: Option<&str>,
) -> BackendResult<String> {
    let mut body = get(s3, bucket, key, version).await?;
    let mut hasher = Sha384::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk
            .map_err(|e| BackendError::Internal(format!("reading s3://{bucket}/{key}: {e}")))?;
        hasher.update(&chunk);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Whether an object exists (HeadObject), and its ETag if so.
pub async fn head(s3: &Client, bucket: &str, key: &str) -> BackendResult<Option<String>> {
    match s3.head_object().bucket(bucket).key(key).send().await {
        Ok(out) => Ok(Some(out.e_tag().unwrap_or_default().to_string())),
        Err(e) => match map(
            &format!("s3:HeadObject s3://{bucket}/{key}"),
            Conflict::State,
            e,
        ) {
            BackendError::NotFound(_) => Ok(None),
            other => Err(other),
        },
    }
}

/// The current version of an object (Signer signs one object version).
pub async fn latest_version(s3: &Client, bucket: &str, key: &str) -> BackendResult<String> {
    let out = s3
        .head_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| {
            map(
                &format!("s3:HeadObject s3://{bucket}/{key}"),
                Conflict::State,
                e,
            )
        })?;
    out.version_id()
        .filter(|v| !v.is_empty() && *v != "null")
        .map(str::to_string)
        .ok_or_else(|| BackendError::invalid("source_object", format!("s3://{bucket}/{key} has no version id: AWS Signer signs only objects in buckets with versioning enabled")))
}

/// Where a local source is staged: `PREFIX` + the file name + the first 16
/// hex digits of its SHA-384, so re-staging the same content reuses the key.
pub fn staging_key(prefix: &str, path: &Path, sha384: &str) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "source.zip".into());
    format!("{prefix}{}-{name}", &sha384[..sha384.len().min(16)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staging_keys_carry_the_digest_and_name() {
        assert_eq!(
            staging_key("in/", Path::new("/x/function.zip"), "abcdef0123456789ffff"),
            "in/abcdef0123456789-function.zip"
        );
    }
}
