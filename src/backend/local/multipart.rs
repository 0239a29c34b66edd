//! S3 multipart uploads (what `aws s3 cp` uses for files of 8 MiB or
//! more). An upload is a directory `multipart/UPLOAD_ID/` in the store:
//! `upload.json` says which object it makes, and each part is a file
//! `NNNNN.MD5.part`, written under a temporary name and renamed into place,
//! so a part is whole or absent. Completing concatenates the listed parts
//! into a staged object and records it as one version; only then is the
//! directory removed.

use std::collections::BTreeMap;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use md5::{Digest as _, Md5};
use serde::{Deserialize, Serialize};

use super::ids;
use super::objects::{self, NewObject, ObjectError, ObjectResult, ObjectVersion};
use super::store::{self, io_error, Store};
use super::LocalBackend;
use crate::domain::files::{self, TempFile};

/// S3's smallest part, but for the last.
const MIN_PART: u64 = 5 * 1024 * 1024;
/// S3's part numbers.
const PARTS: std::ops::RangeInclusive<u32> = 1..=10_000;

/// The object an upload makes, as `upload.json` keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Upload {
    bucket: String,
    key: String,
    initiator: String,
    content_type: Option<String>,
    metadata: BTreeMap<String, String>,
    /// RFC 3339.
    initiated: String,
}

/// One uploaded part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub number: u32,
    /// Hex MD5 of the part.
    pub etag: String,
    pub size: u64,
    pub last_modified: DateTime<Utc>,
    file: PathBuf,
}

fn uploads_root(store_dir: &Path) -> PathBuf {
    store_dir.join("multipart")
}

/// The directory of an upload id that has the shape of ours (so a client's
/// id never walks the file system).
fn upload_dir(store_dir: &Path, upload_id: &str) -> ObjectResult<PathBuf> {
    let ours = upload_id.len() == 36
        && upload_id
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b'-');
    if !ours {
        return Err(ObjectError::NoSuchUpload(upload_id.to_string()));
    }
    Ok(uploads_root(store_dir).join(upload_id))
}

/// The upload, which must make `bucket`/`key`.
fn open(
    store_dir: &Path,
    bucket: &str,
    key: &str,
    upload_id: &str,
) -> ObjectResult<(PathBuf, Upload)> {
    let dir = upload_dir(store_dir, upload_id)?;
    let text = std::fs::read_to_string(dir.join("upload.json"))
        .map_err(|_| ObjectError::NoSuchUpload(upload_id.to_string()))?;
    let upload: Upload = serde_json::from_str(&text).map_err(|e| {
        ObjectError::Store(crate::backend::BackendError::Internal(format!(
            "local store: multipart upload {upload_id} is unreadable: {e}"
        )))
    })?;
    if upload.bucket != bucket || upload.key != key {
        return Err(ObjectError::NoSuchUpload(upload_id.to_string()));
    }
    Ok((dir, upload))
}

fn parts(dir: &Path) -> ObjectResult<Vec<Part>> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| ObjectError::Store(io_error("cannot read", dir, e)))?;
    let mut parts = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".part") else {
            continue;
        };
        let Some((number, etag)) = stem.split_once('.') else {
            continue;
        };
        let (Ok(number), Ok(meta)) = (number.parse::<u32>(), entry.metadata()) else {
            continue;
        };
        parts.push(Part {
            number,
            etag: etag.to_string(),
            size: meta.len(),
            last_modified: meta
                .modified()
                .map(DateTime::<Utc>::from)
                .unwrap_or_default(),
            file: entry.path(),
        });
    }
    parts.sort_by_key(|p| p.number);
    Ok(parts)
}

/// Whether a bucket has uploads in progress (it cannot be deleted then).
fn has_uploads(store_dir: &Path, bucket: &str) -> bool {
    let Ok(entries) = std::fs::read_dir(uploads_root(store_dir)) else {
        return false;
    };
    entries.flatten().any(|entry| {
        std::fs::read_to_string(entry.path().join("upload.json"))
            .ok()
            .and_then(|text| serde_json::from_str::<Upload>(&text).ok())
            .is_some_and(|upload| upload.bucket == bucket)
    })
}

/// Removes what writers that stopped left in upload directories.
pub(super) fn remove_stale_parts(store_dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(uploads_root(store_dir)) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| files::remove_stale_temp_files(&entry.path()))
        .sum()
}

fn create(
    store: &Store,
    initiator: &str,
    new: &NewObject,
    now: DateTime<Utc>,
) -> ObjectResult<String> {
    objects::check_new(store, new)?;
    let upload_id = ids::uuid_v4();
    let root = uploads_root(store.dir());
    store::create_private_dir(&root)?;
    let dir = root.join(&upload_id);
    store::create_private_dir(&dir)?;
    let upload = Upload {
        bucket: new.bucket.clone(),
        key: new.key.clone(),
        initiator: initiator.to_string(),
        content_type: new.content_type.clone(),
        metadata: new.metadata.clone(),
        initiated: store::time_text(now),
    };
    let text = serde_json::to_vec(&upload)
        .map_err(|e| ObjectError::Store(crate::backend::BackendError::Internal(e.to_string())))?;
    let staged = files::temp_path_in(&dir);
    objects::write_private(&staged, &text)?;
    std::fs::rename(&staged, dir.join("upload.json"))
        .map_err(|e| ObjectError::Store(io_error("cannot place", &dir, e)))?;
    Ok(upload_id)
}

fn check_number(number: u32) -> ObjectResult<()> {
    if PARTS.contains(&number) {
        Ok(())
    } else {
        Err(ObjectError::InvalidArgument {
            field: "partNumber",
            message: format!("{number} is not a part number from 1 to 10000"),
        })
    }
}

/// Places a part whose bytes are in `staged` (their hex MD5 `md5`, if
/// known) under its number, replacing an earlier upload of that number;
/// its ETag.
fn place_part(dir: &Path, number: u32, staged: &Path, md5: Option<String>) -> ObjectResult<String> {
    let etag = match md5 {
        Some(md5) => md5,
        None => objects::size_and_etag(staged)?.1,
    };
    let target = dir.join(format!("{number:05}.{etag}.part"));
    for old in parts(dir)?.into_iter().filter(|p| p.number == number) {
        objects::remove_quietly(Some(&old.file));
    }
    std::fs::rename(staged, &target)
        .map_err(|e| ObjectError::Store(io_error("cannot place", &target, e)))?;
    Ok(etag)
}

fn upload_part(
    store: &Store,
    bucket: &str,
    key: &str,
    upload_id: &str,
    number: u32,
    file: TempFile,
    md5: String,
) -> ObjectResult<String> {
    check_number(number)?;
    let (dir, _) = open(store.dir(), bucket, key, upload_id)?;
    let staged = files::temp_path_in(&dir);
    file.persist(&staged)
        .map_err(|e| ObjectError::Store(io_error("cannot place a part at", &staged, e)))?;
    place_part(&dir, number, &staged, Some(md5))
        .inspect_err(|_| objects::remove_quietly(Some(&staged)))
}

/// UploadPartCopy: a byte range (inclusive; `None`: all) of an object
/// version becomes a part.
#[allow(clippy::too_many_arguments)]
fn upload_part_copy(
    store: &Store,
    bucket: &str,
    key: &str,
    upload_id: &str,
    number: u32,
    source: (&str, &str, Option<&str>),
    range: Option<(u64, u64)>,
) -> ObjectResult<(String, ObjectVersion)> {
    check_number(number)?;
    let (dir, _) = open(store.dir(), bucket, key, upload_id)?;
    let found =
        store.read_as(|tx| objects::find_object(tx, store.dir(), source.0, source.1, source.2))?;
    let (start, end) = range.unwrap_or((0, found.version.size.saturating_sub(1)));
    if start > end || (found.version.size > 0 && end >= found.version.size) {
        return Err(ObjectError::InvalidArgument {
            field: "x-amz-copy-source-range",
            message: format!(
                "bytes={start}-{end} is not within the source's {} bytes",
                found.version.size
            ),
        });
    }
    let staged = files::temp_path_in(&dir);
    let copied = (|| -> std::io::Result<()> {
        let mut from = std::fs::File::open(&found.file)?;
        from.seek(std::io::SeekFrom::Start(start))?;
        let mut to = files::create_new_private(&staged)?;
        let length = if found.version.size == 0 {
            0
        } else {
            end - start + 1
        };
        std::io::copy(&mut from.take(length), &mut to)?;
        to.sync_all()
    })();
    if let Err(e) = copied {
        objects::remove_quietly(Some(&staged));
        return Err(ObjectError::Store(io_error(
            "cannot copy a part to",
            &staged,
            e,
        )));
    }
    let etag = place_part(&dir, number, &staged, None)
        .inspect_err(|_| objects::remove_quietly(Some(&staged)))?;
    Ok((etag, found.version))
}

fn list(
    store: &Store,
    bucket: &str,
    key: &str,
    upload_id: &str,
) -> ObjectResult<(String, Vec<Part>)> {
    let (dir, upload) = open(store.dir(), bucket, key, upload_id)?;
    Ok((upload.initiator, parts(&dir)?))
}

fn complete(
    store: &Store,
    bucket: &str,
    key: &str,
    upload_id: &str,
    listed: &[(u32, String)],
    now: DateTime<Utc>,
) -> ObjectResult<ObjectVersion> {
    let (dir, upload) = open(store.dir(), bucket, key, upload_id)?;
    if listed.is_empty() {
        return Err(ObjectError::InvalidPart(
            "the request lists no parts".into(),
        ));
    }
    if listed.windows(2).any(|w| w[0].0 >= w[1].0) {
        return Err(ObjectError::InvalidPartOrder);
    }
    let uploaded = parts(&dir)?;
    let mut chosen = Vec::with_capacity(listed.len());
    for (index, (number, etag)) in listed.iter().enumerate() {
        let etag = etag.trim().trim_matches('"');
        let part = uploaded
            .iter()
            .find(|p| p.number == *number && p.etag == etag)
            .ok_or_else(|| {
                ObjectError::InvalidPart(format!(
                    "part {number} with ETag {etag:?} was not uploaded, or its ETag differs"
                ))
            })?;
        if index + 1 < listed.len() && part.size < MIN_PART {
            return Err(ObjectError::EntityTooSmall {
                part: *number,
                size: part.size,
            });
        }
        chosen.push(part);
    }
    let new = NewObject {
        bucket: upload.bucket.clone(),
        key: upload.key.clone(),
        content_type: upload.content_type.clone(),
        metadata: upload.metadata.clone(),
    };
    let staged = objects::stage(store, &new)?;
    let joined = (|| -> std::io::Result<String> {
        let mut out = files::create_new_private(&staged)?;
        let mut digests = Md5::new();
        for part in &chosen {
            std::io::copy(&mut std::fs::File::open(&part.file)?, &mut out)?;
            let md5 = hex::decode(&part.etag).map_err(std::io::Error::other)?;
            digests.update(&md5);
        }
        out.flush()?;
        out.sync_all()?;
        Ok(format!(
            "{}-{}",
            hex::encode(digests.finalize()),
            chosen.len()
        ))
    })();
    let etag = match joined {
        Ok(etag) => etag,
        Err(e) => {
            objects::remove_quietly(Some(&staged));
            return Err(ObjectError::Store(io_error(
                "cannot join the parts into",
                &staged,
                e,
            )));
        }
    };
    let version = objects::commit_staged(store, &new, &staged, Some(&etag), now)?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(version)
}

fn abort(store: &Store, bucket: &str, key: &str, upload_id: &str) -> ObjectResult<()> {
    let (dir, _) = open(store.dir(), bucket, key, upload_id)?;
    std::fs::remove_dir_all(&dir)
        .map_err(|e| ObjectError::Store(io_error("cannot remove", &dir, e)))
}

/// Multipart uploads, as `serve` offers them.
impl LocalBackend {
    /// Deletes an empty bucket this account owns (here because a bucket
    /// with uploads in progress is not empty).
    pub async fn delete_bucket(&self, bucket: &str) -> ObjectResult<()> {
        let bucket = bucket.to_string();
        self.run_objects(false, move |s, account, _| {
            objects::delete_bucket(s, account, &bucket, has_uploads)
        })
        .await
    }

    /// CreateMultipartUpload: the new upload's id.
    pub async fn create_multipart_upload(&self, new: NewObject) -> ObjectResult<String> {
        self.run_objects(false, move |s, account, _| {
            create(s, account, &new, Utc::now())
        })
        .await
    }

    /// UploadPart: the part's ETag (hex MD5); its bytes are in `file` (a
    /// streamed upload), moved into the upload.
    pub async fn upload_part(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        number: u32,
        file: TempFile,
        md5: String,
    ) -> ObjectResult<String> {
        let (bucket, key, upload_id) = (bucket.to_string(), key.to_string(), upload_id.to_string());
        self.run_objects(false, move |s, _, _| {
            upload_part(s, &bucket, &key, &upload_id, number, file, md5)
        })
        .await
    }

    /// UploadPartCopy: the part's ETag and the source version copied.
    pub async fn upload_part_copy(
        &self,
        target: (String, String, String),
        number: u32,
        source: (String, String, Option<String>),
        range: Option<(u64, u64)>,
    ) -> ObjectResult<(String, ObjectVersion)> {
        self.run_objects(false, move |s, _, _| {
            upload_part_copy(
                s,
                &target.0,
                &target.1,
                &target.2,
                number,
                (&source.0, &source.1, source.2.as_deref()),
                range,
            )
        })
        .await
    }

    /// ListParts: the upload's initiator and its parts by number.
    pub async fn list_parts(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> ObjectResult<(String, Vec<Part>)> {
        let (bucket, key, upload_id) = (bucket.to_string(), key.to_string(), upload_id.to_string());
        self.run_objects(false, move |s, _, _| list(s, &bucket, &key, &upload_id))
            .await
    }

    /// CompleteMultipartUpload of the listed `(number, ETag)` parts.
    pub async fn complete_multipart_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: Vec<(u32, String)>,
    ) -> ObjectResult<ObjectVersion> {
        let (bucket, key, upload_id) = (bucket.to_string(), key.to_string(), upload_id.to_string());
        self.run_objects(false, move |s, _, _| {
            complete(s, &bucket, &key, &upload_id, &parts, Utc::now())
        })
        .await
    }

    pub async fn abort_multipart_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> ObjectResult<()> {
        let (bucket, key, upload_id) = (bucket.to_string(), key.to_string(), upload_id.to_string());
        self.run_objects(false, move |s, _, _| abort(s, &bucket, &key, &upload_id))
            .await
    }
}
