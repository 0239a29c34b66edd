//! An emulated S3, the subset signing needs: buckets (one namespace for
//! every account, as in S3), versioning (never enabled, Enabled,
//! Suspended) and versioned objects. Object bytes are files under
//! `objects/BUCKET/` in the store (mode 0600); the rows say which file is
//! which version. Every change is one transaction; a file is placed under
//! its final name inside that transaction and removed again if it fails.
//!
//! Multipart uploads are `multipart`'s. Not emulated: bucket policies and
//! ACLs (every account may use every bucket), object locks, storage
//! classes, encryption.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use md5::{Digest as _, Md5};
use rusqlite::{params, OptionalExtension, Row, Transaction};

use super::ids;
use super::store::{self, io_error, parse_time, time_text, Cached, Store};
use super::LocalBackend;
use crate::backend::{BackendError, BackendResult, Subject};
use crate::domain::files;
use crate::domain::names;

/// The version id S3 gives objects written while versioning is not enabled.
pub const NULL_VERSION: &str = "null";

/// A bucket's versioning state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Versioning {
    /// Never enabled.
    Unversioned,
    Enabled,
    Suspended,
}

impl Versioning {
    /// As S3's `<Status>` spells it (`None` when never enabled).
    pub fn status(self) -> Option<&'static str> {
        match self {
            Versioning::Unversioned => None,
            Versioning::Enabled => Some("Enabled"),
            Versioning::Suspended => Some("Suspended"),
        }
    }

    fn parse(text: &str) -> Versioning {
        match text {
            "Enabled" => Versioning::Enabled,
            "Suspended" => Versioning::Suspended,
            _ => Versioning::Unversioned,
        }
    }
}

/// One version of an object, or a delete marker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectVersion {
    pub bucket: String,
    pub key: String,
    pub version_id: String,
    pub delete_marker: bool,
    /// Whether it is the key's current version.
    pub is_latest: bool,
    pub size: u64,
    /// Hex MD5 of the bytes (S3's ETag of a single-part upload).
    pub etag: String,
    pub content_type: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub last_modified: DateTime<Utc>,
}

/// An object version and the file holding its bytes.
#[derive(Debug, Clone)]
pub struct StoredObject {
    pub version: ObjectVersion,
    pub file: PathBuf,
}

/// What DeleteObject did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deleted {
    /// The version removed, or the delete marker made (`None`: nothing
    /// versioned was involved).
    pub version_id: Option<String>,
    /// A delete marker was made, or the version removed was one.
    pub delete_marker: bool,
}

/// A page of ListObjectVersions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionListing {
    /// Versions and delete markers, by key, newest first within a key.
    pub versions: Vec<ObjectVersion>,
    pub common_prefixes: Vec<String>,
    pub is_truncated: bool,
    pub next_key_marker: Option<String>,
    pub next_version_id_marker: Option<String>,
}

/// What to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionQuery {
    pub prefix: String,
    pub delimiter: Option<String>,
    pub key_marker: Option<String>,
    pub version_id_marker: Option<String>,
    pub max_keys: usize,
}

/// A bucket as ListBuckets and HeadBucket show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    pub name: String,
    pub owner: String,
    pub region: String,
    pub created_at: DateTime<Utc>,
}

/// What ListObjectsV2 asks for: current versions only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectQuery {
    pub prefix: String,
    pub delimiter: Option<String>,
    /// Keys (and common prefixes) after this one only: `start-after`, or
    /// where the previous page stopped.
    pub after: Option<String>,
    pub max_keys: usize,
}

/// A page of ListObjectsV2.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectListing {
    pub objects: Vec<ObjectVersion>,
    pub common_prefixes: Vec<String>,
    /// Where the next page starts after (set when truncated).
    pub next_after: Option<String>,
}

/// What S3 calls can fail with, in S3's terms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ObjectError {
    #[error("the bucket {0} does not exist")]
    NoSuchBucket(String),
    #[error("the key {key:?} does not exist in bucket {bucket}")]
    NoSuchKey {
        bucket: String,
        key: String,
        /// The key's current version is a delete marker.
        delete_marker: bool,
    },
    #[error("version {version} of key {key:?} does not exist")]
    NoSuchVersion { key: String, version: String },
    #[error("version {version} of key {key:?} is a delete marker, which has no content")]
    DeleteMarker { key: String, version: String },
    #[error("you already own the bucket {0}")]
    BucketAlreadyOwnedByYou(String),
    #[error("the bucket name {0} is taken by another account")]
    BucketAlreadyExists(String),
    #[error("{0}")]
    InvalidBucketName(String),
    #[error("{field}: {message}")]
    InvalidArgument {
        field: &'static str,
        message: String,
    },
    #[error("the bucket {0} is not empty: delete its objects (every version) first")]
    BucketNotEmpty(String),
    #[error("the bucket {0} belongs to another account")]
    NotBucketOwner(String),
    #[error("there is no multipart upload {0}: it was completed, aborted or never made")]
    NoSuchUpload(String),
    #[error("{0}")]
    InvalidPart(String),
    #[error("part numbers must be listed in ascending order")]
    InvalidPartOrder,
    #[error("part {part} is {size} bytes: every part but the last must be at least 5 MiB")]
    EntityTooSmall { part: u32, size: u64 },
    #[error(transparent)]
    Store(#[from] BackendError),
}

impl From<rusqlite::Error> for ObjectError {
    fn from(e: rusqlite::Error) -> Self {
        ObjectError::Store(e.into())
    }
}

pub type ObjectResult<T> = Result<T, ObjectError>;

/// A new object's bytes and attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewObject {
    pub bucket: String,
    pub key: String,
    pub content_type: Option<String>,
    pub metadata: BTreeMap<String, String>,
}

const COLUMNS: &str =
    "bucket, key, version_id, delete_marker, size, etag, content_type, metadata, last_modified, file, seq";

struct Found {
    version: ObjectVersion,
    file: Option<String>,
    seq: i64,
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<(Found, String, String)> {
    Ok((
        Found {
            version: ObjectVersion {
                bucket: r.get(0)?,
                key: r.get(1)?,
                version_id: r.get(2)?,
                delete_marker: r.get::<_, i64>(3)? != 0,
                is_latest: false,
                size: u64::try_from(r.get::<_, i64>(4)?).unwrap_or_default(),
                etag: r.get(5)?,
                content_type: r.get(6)?,
                metadata: BTreeMap::new(),
                last_modified: DateTime::<Utc>::default(),
            },
            file: r.get(9)?,
            seq: r.get(10)?,
        },
        r.get::<_, String>(7)?,
        r.get::<_, String>(8)?,
    ))
}

fn finish(row: (Found, String, String)) -> BackendResult<Found> {
    let (mut found, metadata, modified) = row;
    found.version.metadata = serde_json::from_str(&metadata)
        .map_err(|e| BackendError::Internal(format!("local store: bad object metadata: {e}")))?;
    found.version.last_modified = parse_time(&modified)?;
    Ok(found)
}

pub(super) fn bucket_dir(store_dir: &Path, bucket: &str) -> PathBuf {
    store_dir.join("objects").join(bucket)
}

pub(super) fn check_bucket_name(bucket: &str) -> ObjectResult<()> {
    names::bucket_name(bucket).map_err(|e| ObjectError::InvalidBucketName(e.0))
}

pub(super) fn check_key(key: &str) -> ObjectResult<()> {
    names::object_key(key).map_err(|e| ObjectError::InvalidArgument {
        field: "Key",
        message: e.0,
    })
}

/// Whether `bucket` has versioning enabled now (`None`: no such bucket).
pub fn versioning_enabled(tx: &Transaction<'_>, bucket: &str) -> BackendResult<Option<bool>> {
    match versioning_of(tx, bucket) {
        Ok(versioning) => Ok(Some(versioning == Versioning::Enabled)),
        Err(ObjectError::NoSuchBucket(_)) => Ok(None),
        Err(ObjectError::Store(e)) => Err(e),
        Err(other) => Err(BackendError::Internal(other.to_string())),
    }
}

pub(super) fn versioning_of(tx: &Transaction<'_>, bucket: &str) -> ObjectResult<Versioning> {
    let status: Option<String> = tx
        .cached_row(
            "SELECT versioning FROM s3_buckets WHERE name = ?1",
            [bucket],
            |r| r.get(0),
        )
        .optional()?;
    status
        .map(|s| Versioning::parse(&s))
        .ok_or_else(|| ObjectError::NoSuchBucket(bucket.to_string()))
}

/// The key's versions, newest first.
fn versions_of(tx: &Transaction<'_>, bucket: &str, key: &str) -> BackendResult<Vec<Found>> {
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM s3_objects WHERE bucket = ?1 AND key = ?2 ORDER BY seq DESC"
    ))?;
    let rows = stmt.query_map(params![bucket, key], from_row)?;
    let mut out = Vec::new();
    for row in rows {
        out.push(finish(row?)?);
    }
    if let Some(first) = out.first_mut() {
        first.version.is_latest = true;
    }
    Ok(out)
}

/// A version (or the current one) of an object with content.
pub(super) fn find_object(
    tx: &Transaction<'_>,
    store_dir: &Path,
    bucket: &str,
    key: &str,
    version: Option<&str>,
) -> ObjectResult<StoredObject> {
    versioning_of(tx, bucket)?;
    let versions = versions_of(tx, bucket, key)?;
    let found = match version {
        None => {
            let Some(latest) = versions.into_iter().next() else {
                return Err(ObjectError::NoSuchKey {
                    bucket: bucket.to_string(),
                    key: key.to_string(),
                    delete_marker: false,
                });
            };
            if latest.version.delete_marker {
                return Err(ObjectError::NoSuchKey {
                    bucket: bucket.to_string(),
                    key: key.to_string(),
                    delete_marker: true,
                });
            }
            latest
        }
        Some(wanted) => {
            let Some(found) = versions
                .into_iter()
                .find(|v| v.version.version_id == wanted)
            else {
                return Err(ObjectError::NoSuchVersion {
                    key: key.to_string(),
                    version: wanted.to_string(),
                });
            };
            if found.version.delete_marker {
                return Err(ObjectError::DeleteMarker {
                    key: key.to_string(),
                    version: wanted.to_string(),
                });
            }
            found
        }
    };
    let file = found.file.ok_or_else(|| {
        ObjectError::Store(BackendError::Internal(format!(
            "local store: object s3://{bucket}/{key} has no content file"
        )))
    })?;
    Ok(StoredObject {
        version: found.version,
        file: bucket_dir(store_dir, bucket).join(file),
    })
}

/// The file of an object version, for signing, publishing or deploying.
/// A missing bucket, key or version is `NotFound`, naming the object.
pub(super) fn object_file(
    tx: &Transaction<'_>,
    store_dir: &Path,
    bucket: &str,
    key: &str,
    version: Option<&str>,
) -> BackendResult<StoredObject> {
    let location = match version {
        Some(v) => format!("s3://{bucket}/{key}?versionId={v}"),
        None => format!("s3://{bucket}/{key}"),
    };
    find_object(tx, store_dir, bucket, key, version).map_err(|e| match e {
        ObjectError::NoSuchBucket(name) => BackendError::NotFound(Subject::Bucket(name)),
        ObjectError::Store(e) => e,
        other => BackendError::NotFound(Subject::Object(format!("{location} ({other})"))),
    })
}

/// Records a new version of `key` whose bytes are in `staged` (a file in
/// the bucket's directory, renamed to its final name here). Returns the
/// version and the file of a version it replaced (a `null` version when
/// versioning is not enabled), to remove once committed.
pub(super) fn record_version(
    tx: &Transaction<'_>,
    store_dir: &Path,
    new: &NewObject,
    staged: &Path,
    placed: &mut Option<PathBuf>,
    now: DateTime<Utc>,
    known_etag: Option<&str>,
) -> ObjectResult<(ObjectVersion, Option<PathBuf>)> {
    let versioning = versioning_of(tx, &new.bucket)?;
    // An ETag already known (a streamed upload's MD5, a multipart object's
    // `MD5-N`) is not computed again.
    let (size, etag) = match known_etag {
        Some(etag) => (
            std::fs::metadata(staged)
                .map_err(|e| ObjectError::Store(io_error("cannot read", staged, e)))?
                .len(),
            etag.to_string(),
        ),
        None => size_and_etag(staged)?,
    };
    let version_id = match versioning {
        Versioning::Enabled => ids::object_version(),
        Versioning::Unversioned | Versioning::Suspended => NULL_VERSION.to_string(),
    };
    let replaced = remove_null_version(tx, store_dir, &new.bucket, &new.key, &version_id)?;
    let file_name = format!("{}.obj", ids::uuid_v4());
    let target = bucket_dir(store_dir, &new.bucket).join(&file_name);
    std::fs::rename(staged, &target)
        .map_err(|e| ObjectError::Store(io_error("cannot place object at", &target, e)))?;
    *placed = Some(target);
    let metadata = serde_json::to_string(&new.metadata).unwrap_or_else(|_| "{}".into());
    tx.cached_execute(
        "INSERT INTO s3_objects
           (bucket, key, version_id, delete_marker, size, etag, content_type, metadata, last_modified, file)
         VALUES (?1, ?2, ?3, 0, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            new.bucket,
            new.key,
            version_id,
            i64::try_from(size).unwrap_or(i64::MAX),
            etag,
            new.content_type,
            metadata,
            time_text(now),
            file_name
        ],
    )?;
    let version = versions_of(tx, &new.bucket, &new.key)?
        .into_iter()
        .next()
        .map(|f| f.version)
        .ok_or_else(|| ObjectError::Store(BackendError::Internal("object vanished".into())))?;
    Ok((version, replaced))
}

/// Removes the `null` version of a key, when a new one takes its place;
/// returns its file (`None` for a marker or when there was none).
fn remove_null_version(
    tx: &Transaction<'_>,
    store_dir: &Path,
    bucket: &str,
    key: &str,
    new_version: &str,
) -> BackendResult<Option<PathBuf>> {
    if new_version != NULL_VERSION {
        return Ok(None);
    }
    let file: Option<Option<String>> = tx
        .cached_row(
            "SELECT file FROM s3_objects WHERE bucket = ?1 AND key = ?2 AND version_id = ?3",
            params![bucket, key, NULL_VERSION],
            |r| r.get(0),
        )
        .optional()?;
    tx.cached_execute(
        "DELETE FROM s3_objects WHERE bucket = ?1 AND key = ?2 AND version_id = ?3",
        params![bucket, key, NULL_VERSION],
    )?;
    Ok(file
        .flatten()
        .map(|f| bucket_dir(store_dir, bucket).join(f)))
}

/// The size and hex MD5 of a file (S3's ETag of a single-part object).
pub(super) fn size_and_etag(path: &Path) -> ObjectResult<(u64, String)> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)
        .map_err(|e| ObjectError::Store(io_error("cannot read", path, e)))?;
    let mut hasher = Md5::new();
    let mut size = 0u64;
    let mut buffer = vec![0u8; 256 * 1024];
    loop {
        let n = file
            .read(&mut buffer)
            .map_err(|e| ObjectError::Store(io_error("cannot read", path, e)))?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buffer[..n]);
    }
    Ok((size, hex::encode(hasher.finalize())))
}

/// A new private file in the bucket's directory for bytes to be stored.
pub(super) fn staging_path(store_dir: &Path, bucket: &str) -> BackendResult<PathBuf> {
    let dir = bucket_dir(store_dir, bucket);
    store::create_private_dir(&store_dir.join("objects"))?;
    store::create_private_dir(&dir)?;
    files::remove_stale_temp_files(&dir);
    Ok(files::temp_path_in(&dir))
}

/// Removes the staged uploads that writers which stopped (a killed
/// `serve`, say) left in every bucket; live writers' are kept. How many.
pub(super) fn remove_stale_staging(store_dir: &Path) -> usize {
    let Ok(buckets) = std::fs::read_dir(store_dir.join("objects")) else {
        return 0;
    };
    buckets
        .flatten()
        .filter(|b| b.file_type().is_ok_and(|t| t.is_dir()))
        .map(|b| files::remove_stale_temp_files(&b.path()))
        .sum()
}

pub(super) fn write_private(path: &Path, bytes: &[u8]) -> BackendResult<()> {
    use std::io::Write;
    let mut file =
        files::create_new_private(path).map_err(|e| io_error("cannot create", path, e))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| io_error("cannot write", path, e))
}

pub(super) fn remove_quietly(path: Option<&Path>) {
    if let Some(path) = path {
        let _ = std::fs::remove_file(path);
    }
}

fn create_bucket(
    store: &Store,
    owner: &str,
    region: &str,
    bucket: &str,
    now: DateTime<Utc>,
) -> ObjectResult<()> {
    check_bucket_name(bucket)?;
    store.write_as(|tx| {
        let existing: Option<String> = tx
            .cached_row(
                "SELECT owner FROM s3_buckets WHERE name = ?1",
                [bucket],
                |r| r.get(0),
            )
            .optional()?;
        match existing {
            Some(o) if o == owner => Err(ObjectError::BucketAlreadyOwnedByYou(bucket.into())),
            Some(_) => Err(ObjectError::BucketAlreadyExists(bucket.into())),
            None => {
                tx.cached_execute(
                    "INSERT INTO s3_buckets (name, owner, region, versioning, created_at) VALUES (?1, ?2, ?3, '', ?4)",
                    params![bucket, owner, region, time_text(now)],
                )?;
                Ok(())
            }
        }
    })
}

fn put_object(
    store: &Store,
    new: &NewObject,
    bytes: &[u8],
    now: DateTime<Utc>,
) -> ObjectResult<ObjectVersion> {
    let staged = stage(store, new)?;
    if let Err(e) = write_private(&staged, bytes) {
        remove_quietly(Some(&staged));
        return Err(e.into());
    }
    commit_staged(store, new, &staged, None, now)
}

/// Checks a new object's names, and that its bucket exists.
pub(super) fn check_new(store: &Store, new: &NewObject) -> ObjectResult<()> {
    check_bucket_name(&new.bucket)?;
    check_key(&new.key)?;
    store.read_as(|tx| versioning_of(tx, &new.bucket))?;
    Ok(())
}

/// Checks a new object; a staging file for its bytes.
pub(super) fn stage(store: &Store, new: &NewObject) -> ObjectResult<PathBuf> {
    check_new(store, new)?;
    Ok(staging_path(store.dir(), &new.bucket)?)
}

/// Records the bytes staged at `staged` as a new version of the object;
/// the staged file is gone afterwards, placed or removed.
pub(super) fn commit_staged(
    store: &Store,
    new: &NewObject,
    staged: &Path,
    known_etag: Option<&str>,
    now: DateTime<Utc>,
) -> ObjectResult<ObjectVersion> {
    let mut placed = None;
    let result = store
        .write_as(|tx| record_version(tx, store.dir(), new, staged, &mut placed, now, known_etag));
    match result {
        Ok((version, replaced)) => {
            remove_quietly(replaced.as_deref());
            Ok(version)
        }
        Err(e) => {
            remove_quietly(Some(placed.as_deref().unwrap_or(staged)));
            Err(e)
        }
    }
}

fn delete_object(
    store: &Store,
    bucket: &str,
    key: &str,
    version: Option<&str>,
    now: DateTime<Utc>,
) -> ObjectResult<Deleted> {
    check_bucket_name(bucket)?;
    let (deleted, file) = store.write_as(|tx| -> ObjectResult<(Deleted, Option<PathBuf>)> {
        let versioning = versioning_of(tx, bucket)?;
        let versions = versions_of(tx, bucket, key)?;
        if let Some(wanted) = version {
            let Some(found) = versions.iter().find(|v| v.version.version_id == wanted) else {
                // Deleting a version that is not there changes nothing.
                return Ok((
                    Deleted {
                        version_id: Some(wanted.to_string()),
                        delete_marker: false,
                    },
                    None,
                ));
            };
            tx.cached_execute("DELETE FROM s3_objects WHERE seq = ?1", [found.seq])?;
            return Ok((
                Deleted {
                    version_id: Some(wanted.to_string()),
                    delete_marker: found.version.delete_marker,
                },
                found
                    .file
                    .as_ref()
                    .map(|f| bucket_dir(store.dir(), bucket).join(f)),
            ));
        }
        match versioning {
            Versioning::Unversioned => {
                let file = remove_null_version(tx, store.dir(), bucket, key, NULL_VERSION)?;
                Ok((
                    Deleted {
                        version_id: None,
                        delete_marker: false,
                    },
                    file,
                ))
            }
            Versioning::Enabled | Versioning::Suspended => {
                let version_id = match versioning {
                    Versioning::Enabled => ids::object_version(),
                    _ => NULL_VERSION.to_string(),
                };
                let file = remove_null_version(tx, store.dir(), bucket, key, &version_id)?;
                tx.cached_execute(
                    "INSERT INTO s3_objects
                       (bucket, key, version_id, delete_marker, size, etag, content_type, metadata, last_modified, file)
                     VALUES (?1, ?2, ?3, 1, 0, '', NULL, '{}', ?4, NULL)",
                    params![bucket, key, version_id, time_text(now)],
                )?;
                Ok((
                    Deleted {
                        version_id: Some(version_id),
                        delete_marker: true,
                    },
                    file,
                ))
            }
        }
    })?;
    remove_quietly(file.as_deref());
    Ok(deleted)
}

fn list_versions(
    store: &Store,
    bucket: &str,
    query: &VersionQuery,
) -> ObjectResult<VersionListing> {
    check_bucket_name(bucket)?;
    let rows = store.read_as(|tx| {
        versioning_of(tx, bucket)?;
        let mut stmt = tx.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM s3_objects WHERE bucket = ?1 ORDER BY key, seq DESC"
        ))?;
        let rows = stmt.query_map([bucket], from_row)?;
        let mut out: Vec<ObjectVersion> = Vec::new();
        for row in rows {
            let mut version = finish(row?)?.version;
            version.is_latest = out.last().is_none_or(|prev| prev.key != version.key);
            out.push(version);
        }
        Ok::<_, ObjectError>(out)
    })?;
    let mut listing = VersionListing::default();
    if query.max_keys == 0 {
        // S3 answers max-keys=0 with an empty, complete page.
        return Ok(listing);
    }
    let mut past_marker = query.key_marker.is_none();
    let mut taken = 0usize;
    let max = query.max_keys;
    for version in rows {
        if !version.key.starts_with(&query.prefix) {
            continue;
        }
        if !past_marker {
            let marker = query.key_marker.as_deref().unwrap_or_default();
            match (&query.version_id_marker, version.key.as_str().cmp(marker)) {
                (_, std::cmp::Ordering::Less) => continue,
                (None, std::cmp::Ordering::Equal) => continue,
                (Some(v), std::cmp::Ordering::Equal) => {
                    if version.version_id == *v {
                        past_marker = true;
                    }
                    continue;
                }
                _ => past_marker = true,
            }
        }
        if let Some(delimiter) = query.delimiter.as_deref().filter(|d| !d.is_empty()) {
            let rest = &version.key[query.prefix.len()..];
            if let Some(at) = rest.find(delimiter) {
                let common = format!("{}{}", query.prefix, &rest[..at + delimiter.len()]);
                if listing.common_prefixes.last() != Some(&common) {
                    if taken == max {
                        listing.is_truncated = true;
                        break;
                    }
                    taken += 1;
                    listing.next_key_marker = Some(common.clone());
                    listing.next_version_id_marker = None;
                    listing.common_prefixes.push(common);
                }
                continue;
            }
        }
        if taken == max {
            listing.is_truncated = true;
            break;
        }
        taken += 1;
        listing.next_key_marker = Some(version.key.clone());
        listing.next_version_id_marker = Some(version.version_id.clone());
        listing.versions.push(version);
    }
    if !listing.is_truncated {
        listing.next_key_marker = None;
        listing.next_version_id_marker = None;
    }
    Ok(listing)
}

fn bucket_of(tx: &Transaction<'_>, name: &str) -> ObjectResult<Bucket> {
    let row: Option<(String, String, String)> = tx
        .cached_row(
            "SELECT owner, region, created_at FROM s3_buckets WHERE name = ?1",
            [name],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let (owner, region, created) =
        row.ok_or_else(|| ObjectError::NoSuchBucket(name.to_string()))?;
    Ok(Bucket {
        name: name.to_string(),
        owner,
        region,
        created_at: parse_time(&created)?,
    })
}

fn list_buckets(store: &Store, owner: &str) -> ObjectResult<Vec<Bucket>> {
    store.read_as(|tx| {
        let mut stmt = tx.prepare_cached(
            "SELECT name, region, created_at FROM s3_buckets WHERE owner = ?1 ORDER BY name",
        )?;
        let rows = stmt.query_map([owner], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (name, region, created) = row?;
            out.push(Bucket {
                name,
                owner: owner.to_string(),
                region,
                created_at: parse_time(&created)?,
            });
        }
        Ok(out)
    })
}

/// Deletes an empty bucket of `owner`'s: no versions, no markers, and (as
/// `uploads_in` tells) no multipart upload in progress.
pub(super) fn delete_bucket(
    store: &Store,
    owner: &str,
    bucket: &str,
    uploads_in: impl Fn(&Path, &str) -> bool,
) -> ObjectResult<()> {
    check_bucket_name(bucket)?;
    store.write_as(|tx| {
        if bucket_of(tx, bucket)?.owner != owner {
            return Err(ObjectError::NotBucketOwner(bucket.to_string()));
        }
        let used: bool = tx.cached_row(
            "SELECT EXISTS (SELECT 1 FROM s3_objects WHERE bucket = ?1)",
            [bucket],
            |r| r.get(0),
        )?;
        if used || uploads_in(store.dir(), bucket) {
            return Err(ObjectError::BucketNotEmpty(bucket.to_string()));
        }
        tx.cached_execute("DELETE FROM s3_buckets WHERE name = ?1", [bucket])?;
        Ok(())
    })?;
    let _ = std::fs::remove_dir_all(bucket_dir(store.dir(), bucket));
    Ok(())
}

/// The current versions that are objects (not delete markers), by key.
fn list_objects(store: &Store, bucket: &str, query: &ObjectQuery) -> ObjectResult<ObjectListing> {
    check_bucket_name(bucket)?;
    let after = query.after.clone().unwrap_or_default();
    let current = store.read_as(|tx| {
        versioning_of(tx, bucket)?;
        // The newest row of each key (its current version), past `after`.
        let mut stmt = tx.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM s3_objects AS o
             WHERE bucket = ?1 AND key > ?2 AND substr(key, 1, length(?3)) = ?3
               AND seq = (SELECT MAX(seq) FROM s3_objects WHERE bucket = o.bucket AND key = o.key)
             ORDER BY key"
        ))?;
        let rows = stmt.query_map(params![bucket, after, query.prefix], from_row)?;
        let mut out = Vec::new();
        for row in rows {
            let mut version = finish(row?)?.version;
            version.is_latest = true;
            if !version.delete_marker {
                out.push(version);
            }
        }
        Ok::<_, ObjectError>(out)
    })?;
    let mut listing = ObjectListing::default();
    let mut taken = 0usize;
    let mut last: Option<String> = None;
    for object in current {
        let common = query
            .delimiter
            .as_deref()
            .filter(|d| !d.is_empty())
            .and_then(|d| {
                let rest = &object.key[query.prefix.len()..];
                rest.find(d)
                    .map(|at| format!("{}{}", query.prefix, &rest[..at + d.len()]))
            });
        if let Some(common) = common {
            // A common prefix the previous page ended on is done.
            if listing.common_prefixes.last() == Some(&common) || common <= after {
                continue;
            }
            if taken == query.max_keys {
                listing.next_after = last;
                return Ok(listing);
            }
            taken += 1;
            last = Some(common.clone());
            listing.common_prefixes.push(common);
            continue;
        }
        if taken == query.max_keys {
            listing.next_after = last;
            return Ok(listing);
        }
        taken += 1;
        last = Some(object.key.clone());
        listing.objects.push(object);
    }
    Ok(listing)
}

/// Copies an object version's bytes into a new object (CopyObject).
fn copy_object(
    store: &Store,
    source: (&str, &str, Option<&str>),
    new: &NewObject,
    keep_attributes: bool,
    now: DateTime<Utc>,
) -> ObjectResult<(ObjectVersion, ObjectVersion)> {
    let (bucket, key, version) = source;
    check_bucket_name(bucket)?;
    let found = store.read_as(|tx| find_object(tx, store.dir(), bucket, key, version))?;
    let mut new = new.clone();
    if keep_attributes {
        new.content_type = found.version.content_type.clone();
        new.metadata = found.version.metadata.clone();
    }
    let staged = stage(store, &new)?;
    if let Err(e) = copy_private(&found.file, &staged) {
        remove_quietly(Some(&staged));
        return Err(e.into());
    }
    let copied = commit_staged(store, &new, &staged, None, now)?;
    Ok((found.version, copied))
}

/// Copies `from` into a new private file `to` (made with O_EXCL|O_NOFOLLOW).
pub(super) fn copy_private(from: &Path, to: &Path) -> BackendResult<()> {
    let mut target = files::create_new_private(to).map_err(|e| io_error("cannot create", to, e))?;
    let mut source = std::fs::File::open(from).map_err(|e| io_error("cannot read", from, e))?;
    std::io::copy(&mut source, &mut target)
        .and_then(|_| target.sync_all())
        .map_err(|e| io_error("cannot write", to, e))
}

/// The emulated S3, as `serve` offers it. Blocking store work runs on a
/// blocking thread.
impl LocalBackend {
    /// `create`: make the store if missing (a bucket is the first write).
    pub(super) async fn run_objects<T, F>(&self, create: bool, f: F) -> ObjectResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Store, &str, &str) -> ObjectResult<T> + Send + 'static,
    {
        let slot = std::sync::Arc::clone(&self.store);
        let (account, region) = (
            self.identity.account_id.clone(),
            self.identity.region.clone(),
        );
        tokio::task::spawn_blocking(move || f(&*slot.get(create)?, &account, &region))
            .await
            .map_err(|e| {
                ObjectError::Store(BackendError::Internal(format!(
                    "local store task failed: {e}"
                )))
            })?
    }

    /// Creates a bucket owned by this account.
    pub async fn create_bucket(&self, bucket: &str) -> ObjectResult<()> {
        let bucket = bucket.to_string();
        self.run_objects(true, move |s, account, region| {
            create_bucket(s, account, region, &bucket, Utc::now())
        })
        .await
    }

    /// Enables or suspends versioning (a bucket can never go back to
    /// never-enabled).
    pub async fn put_bucket_versioning(&self, bucket: &str, enabled: bool) -> ObjectResult<()> {
        let bucket = bucket.to_string();
        self.run_objects(false, move |s, _, _| {
            check_bucket_name(&bucket)?;
            s.write_as(|tx| {
                versioning_of(tx, &bucket)?;
                tx.cached_execute(
                    "UPDATE s3_buckets SET versioning = ?2 WHERE name = ?1",
                    params![bucket, if enabled { "Enabled" } else { "Suspended" }],
                )?;
                Ok(())
            })
        })
        .await
    }

    pub async fn get_bucket_versioning(&self, bucket: &str) -> ObjectResult<Versioning> {
        let bucket = bucket.to_string();
        self.run_objects(false, move |s, _, _| {
            check_bucket_name(&bucket)?;
            s.read_as(|tx| versioning_of(tx, &bucket))
        })
        .await
    }

    /// Stores a new version (or replaces the `null` version).
    pub async fn put_object(
        &self,
        new: NewObject,
        bytes: bytes::Bytes,
    ) -> ObjectResult<ObjectVersion> {
        self.run_objects(false, move |s, _, _| {
            put_object(s, &new, &bytes, Utc::now())
        })
        .await
    }

    /// Stores a new version whose bytes are already in `file` (a streamed
    /// upload, whose hex MD5 is `md5`), moved into the store.
    pub async fn put_object_file(
        &self,
        new: NewObject,
        file: files::TempFile,
        md5: String,
    ) -> ObjectResult<ObjectVersion> {
        self.run_objects(false, move |s, _, _| {
            let staged = stage(s, &new)?;
            file.persist(&staged).map_err(|e| {
                ObjectError::Store(io_error("cannot place the upload at", &staged, e))
            })?;
            commit_staged(s, &new, &staged, Some(&md5), Utc::now())
        })
        .await
    }

    /// An object version (the current one unless `version` is given) and
    /// its file.
    pub async fn get_object(
        &self,
        bucket: &str,
        key: &str,
        version: Option<&str>,
    ) -> ObjectResult<StoredObject> {
        let (bucket, key, version) = (
            bucket.to_string(),
            key.to_string(),
            version.map(str::to_string),
        );
        self.run_objects(false, move |s, _, _| {
            check_bucket_name(&bucket)?;
            s.read_as(|tx| find_object(tx, s.dir(), &bucket, &key, version.as_deref()))
        })
        .await
    }

    pub async fn delete_object(
        &self,
        bucket: &str,
        key: &str,
        version: Option<&str>,
    ) -> ObjectResult<Deleted> {
        let (bucket, key, version) = (
            bucket.to_string(),
            key.to_string(),
            version.map(str::to_string),
        );
        self.run_objects(false, move |s, _, _| {
            delete_object(s, &bucket, &key, version.as_deref(), Utc::now())
        })
        .await
    }

    /// This account's buckets, by name.
    pub async fn list_buckets(&self) -> ObjectResult<Vec<Bucket>> {
        self.run_objects(false, |s, account, _| list_buckets(s, account))
            .await
    }

    /// A bucket (any account's: buckets are one namespace).
    pub async fn bucket(&self, bucket: &str) -> ObjectResult<Bucket> {
        let bucket = bucket.to_string();
        self.run_objects(false, move |s, _, _| {
            check_bucket_name(&bucket)?;
            s.read_as(|tx| bucket_of(tx, &bucket))
        })
        .await
    }

    /// ListObjectsV2: current objects, by key.
    pub async fn list_objects(
        &self,
        bucket: &str,
        query: ObjectQuery,
    ) -> ObjectResult<ObjectListing> {
        let bucket = bucket.to_string();
        self.run_objects(false, move |s, _, _| list_objects(s, &bucket, &query))
            .await
    }

    /// CopyObject: the source version copied and the new version.
    /// `keep_attributes`: the source's content type and metadata (S3's
    /// `COPY` directive), else `new`'s (`REPLACE`).
    pub async fn copy_object(
        &self,
        source: (String, String, Option<String>),
        new: NewObject,
        keep_attributes: bool,
    ) -> ObjectResult<(ObjectVersion, ObjectVersion)> {
        self.run_objects(false, move |s, _, _| {
            copy_object(
                s,
                (&source.0, &source.1, source.2.as_deref()),
                &new,
                keep_attributes,
                Utc::now(),
            )
        })
        .await
    }

    pub async fn list_object_versions(
        &self,
        bucket: &str,
        query: VersionQuery,
    ) -> ObjectResult<VersionListing> {
        let bucket = bucket.to_string();
        self.run_objects(false, move |s, _, _| list_versions(s, &bucket, &query))
            .await
    }
}
