//! The signed artifact: a zip whose End Of Central Directory (EOCD) comment
//! holds the `LSIG` envelope. See `docs/signature-format.md`.
//!
//! * The EOCD is found by reading only the last `min(file_len, 65,557)`
//!   bytes (22-byte record + the largest possible comment) and scanning
//!   backwards for `PK\x05\x06` at an offset where
//!   `eocd_offset + 22 + comment_len == file_len`; the last such candidate
//!   wins. No match: [`ArtifactError::NotZip`].
//! * **Content** is bytes `[0, eocd_offset + 20)`: the whole file except the
//!   2-byte comment-length field and the comment. The content digest is the
//!   SHA-384 of the content, so adding, replacing or removing the comment
//!   does not change it.
//! * A comment starting with `LSIG` is an envelope and must parse strictly;
//!   any other comment (or none) means the zip is unsigned.
//!
//! Everything streams through one fixed buffer (`digest::BUFFER_BYTES`);
//! memory use does not depend on the file size. This is not a zip validator:
//! it does not look at the central directory or the entries (Lambda would).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::digest::Sha384Hasher;

use super::digest::BUFFER_BYTES;
use super::envelope::{Envelope, EnvelopeError, VerifyError, MAGIC};
use super::files::{self, open_regular, TempFile};
use super::keys::PublicKey;

/// `PK\x05\x06`.
pub const EOCD_SIGNATURE: [u8; 4] = *b"PK\x05\x06";
/// Fixed part of the EOCD record, comment excluded.
pub const EOCD_FIXED_BYTES: usize = 22;
/// Offset of the comment-length field inside the EOCD record.
const COMMENT_LENGTH_OFFSET: usize = 20;
/// The most a zip's tail can hold: the EOCD record plus a 65,535-byte comment.
pub const MAX_TAIL_BYTES: usize = EOCD_FIXED_BYTES + u16::MAX as usize;
/// From this size on, [`sign`] writes the copy to disk while hashing it;
/// below it a thread and an extra fsync cost more than they overlap.
const EARLY_SYNC_BYTES: u64 = 8 * 1024 * 1024;

/// Why an artifact could not be inspected or signed.
#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("not a zip file: no End Of Central Directory record ends the file")]
    NotZip,
    #[error("the zip comment starts with \"LSIG\" but is not a valid signature envelope: {0}")]
    Envelope(#[from] EnvelopeError),
    #[error("the zip is already signed (its comment holds an LSIG envelope); sign the unsigned original")]
    AlreadySigned,
    #[error("{0}: file changed while it was being read")]
    Modified(PathBuf),
    #[error("the envelope is for content digest {envelope}, but the content digest is {content}")]
    DigestMismatch { envelope: String, content: String },
}

/// Errors of [`sign`]: the artifact's, or the envelope provider's own.
#[derive(Debug, thiserror::Error)]
pub enum SignError<E> {
    #[error(transparent)]
    Artifact(#[from] ArtifactError),
    #[error("could not make the signature envelope: {0}")]
    Make(#[source] E),
}

/// Where the EOCD record is and what its comment holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tail {
    /// Offset of `PK\x05\x06` in the file.
    pub eocd_offset: u64,
    /// Length of the content: `eocd_offset + 20`.
    pub content_len: u64,
    /// Length of the comment (the last bytes of the file).
    pub comment_len: u16,
    /// The envelope, when the comment starts with `LSIG`.
    pub envelope: Option<Envelope>,
}

/// What [`inspect`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inspection {
    /// SHA-384 of the content (the file minus comment length and comment).
    pub content_sha384: [u8; 48],
    /// SHA-384 of the whole file.
    pub file_sha384: [u8; 48],
    pub file_len: u64,
    pub content_len: u64,
    /// `None`: an unsigned zip (no comment, or one not starting with `LSIG`).
    pub envelope: Option<Envelope>,
}

/// What [`sign`] wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedArtifact {
    pub content_sha384: [u8; 48],
    pub content_len: u64,
    /// SHA-384 of the whole signed output file.
    pub signed_file_sha384: [u8; 48],
    pub signed_file_len: u64,
    pub envelope: Envelope,
    /// The output's `files::version` as written: while the file still has
    /// it, [`SignedArtifact::inspection`] is what inspecting it would find.
    pub output_version: Option<String>,
}

impl SignedArtifact {
    /// What [`inspect`] finds in the output this signing wrote, from the
    /// digests the signing computed (its one pass over the bytes).
    pub fn inspection(&self) -> Inspection {
        Inspection {
            content_sha384: self.content_sha384,
            file_sha384: self.signed_file_sha384,
            file_len: self.signed_file_len,
            content_len: self.content_len,
            envelope: Some(self.envelope.clone()),
        }
    }
}

impl Inspection {
    /// The complete local check: signed at all, content unchanged since
    /// signing, signature valid under `key`, `now` inside the validity window.
    pub fn verify(&self, key: &PublicKey, now: i64) -> Result<&Envelope, VerifyError> {
        let envelope = self.envelope.as_ref().ok_or(VerifyError::Unsigned)?;
        envelope.verify(&self.content_sha384, key, now)?;
        Ok(envelope)
    }
}

/// How many bytes from the end of a file of `file_len` bytes to hand to
/// [`parse_tail`]: `min(file_len, 65,557)`.
pub fn tail_len(file_len: u64) -> usize {
    usize::try_from(file_len).map_or(MAX_TAIL_BYTES, |len| len.min(MAX_TAIL_BYTES))
}

/// Pure EOCD/comment parser. `tail` is the last `tail.len()` bytes of a file
/// of `file_len` bytes; pass [`tail_len`]`(file_len)` bytes to find any EOCD.
/// Scans backwards for the last `PK\x05\x06` whose comment length makes the
/// record end exactly at the end of the file.
pub fn parse_tail(tail: &[u8], file_len: u64) -> Result<Tail, ArtifactError> {
    let tail_start = file_len
        .checked_sub(tail.len() as u64)
        .ok_or(ArtifactError::NotZip)?;
    let Some(last_start) = tail.len().checked_sub(EOCD_FIXED_BYTES) else {
        return Err(ArtifactError::NotZip);
    };
    for i in (0..=last_start).rev() {
        let record = &tail[i..];
        if record[..4] != EOCD_SIGNATURE {
            continue;
        }
        let comment_len = u16::from_le_bytes([
            record[COMMENT_LENGTH_OFFSET],
            record[COMMENT_LENGTH_OFFSET + 1],
        ]);
        if record.len() != EOCD_FIXED_BYTES + usize::from(comment_len) {
            continue;
        }
        let comment = &record[EOCD_FIXED_BYTES..];
        let envelope = if comment.starts_with(&MAGIC) {
            Some(Envelope::parse(comment)?)
        } else {
            None
        };
        let eocd_offset = tail_start + i as u64;
        return Ok(Tail {
            eocd_offset,
            content_len: eocd_offset + COMMENT_LENGTH_OFFSET as u64,
            comment_len,
            envelope,
        });
    }
    Err(ArtifactError::NotZip)
}

/// Reads the artifact once: finds its EOCD, digests the content and the
/// whole file (the file digest continues from a clone of the content
/// hasher), and parses the envelope if the comment holds one.
pub fn inspect(path: &Path) -> Result<Inspection, ArtifactError> {
    let io_err = io_context(path);
    let mut file = open_regular(path).map_err(&io_err)?;
    let file_len = file.metadata().map_err(&io_err)?.len();
    let tail_bytes = read_tail(&mut file, file_len).map_err(&io_err)?;
    let tail = parse_tail(&tail_bytes, file_len)?;

    file.seek(SeekFrom::Start(0)).map_err(&io_err)?;
    let mut content_hasher = Sha384Hasher::new();
    copy_exactly(
        &mut file,
        tail.content_len,
        &mut content_hasher,
        io::sink(),
        path,
    )?;
    let mut file_hasher = content_hasher.clone();

    // The trailer (comment length + comment) is re-read from the file, so
    // the file digest covers what is on disk now, and must be what
    // parse_tail judged: otherwise the file changed under us.
    let trailer_len = usize::try_from(file_len - tail.content_len).map_err(|_| modified(path))?;
    let expected = tail_bytes
        .len()
        .checked_sub(trailer_len)
        .map(|start| &tail_bytes[start..])
        .ok_or_else(|| modified(path))?;
    let mut trailer = vec![0u8; trailer_len];
    read_exactly(&mut file, &mut trailer, path)?;
    if trailer != expected || !at_eof(&mut file).map_err(&io_err)? {
        return Err(modified(path));
    }
    file_hasher.update(&trailer);

    Ok(Inspection {
        content_sha384: content_hasher.finalize(),
        file_sha384: file_hasher.finalize(),
        file_len,
        content_len: tail.content_len,
        envelope: tail.envelope,
    })
}

/// The envelope of the artifact at `path`, reading only its tail (the
/// content is not hashed: this says whose signature the file carries, not
/// whether it is intact).
pub fn read_envelope(path: &Path) -> Result<Option<Envelope>, ArtifactError> {
    let io_err = io_context(path);
    let mut file = open_regular(path).map_err(&io_err)?;
    let file_len = file.metadata().map_err(&io_err)?.len();
    let tail = read_tail(&mut file, file_len).map_err(&io_err)?;
    Ok(parse_tail(&tail, file_len)?.envelope)
}

/// Whether an I/O error of a copy is the writer's: the output's disk or
/// quota is full, the file too large, or the filesystem read-only.
fn is_write_side(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::StorageFull
            | io::ErrorKind::QuotaExceeded
            | io::ErrorKind::FileTooLarge
            | io::ErrorKind::ReadOnlyFilesystem
    )
}

/// Signs the zip at `input` into `output` (which may be the same path).
///
/// Refuses a zip that already carries an `LSIG` envelope
/// ([`ArtifactError::AlreadySigned`], as AWS Signer refuses to re-sign) or a
/// comment that starts with `LSIG` but does not parse. Any other existing
/// zip comment is **replaced** by the envelope: it is not part of the
/// content, so the digest is the same with or without it.
///
/// The input must be a regular file (see `files::open_regular`). The
/// content is copied (by the kernel) into a temporary file in `output`'s
/// directory (`.lambdasign-<pid>-<random>.tmp`, locked while written; those
/// of killed writers are removed first), then hashed there in one read
/// pass; `make` gets the content digest and returns the
/// envelope (whose `content_sha384` must equal it); the comment length and
/// envelope are appended, the file takes `input`'s permissions, is fsynced
/// and atomically renamed onto `output` (then the directory is fsynced on
/// Unix). On any error the temporary file is removed and `output` is
/// untouched.
pub fn sign<E>(
    input: &Path,
    output: &Path,
    make: impl FnOnce(&[u8; 48]) -> Result<Envelope, E>,
) -> Result<SignedArtifact, SignError<E>> {
    let in_err = io_context(input);
    let out_err = io_context(output);
    let mut file = open_regular(input).map_err(&in_err)?;
    let metadata = file.metadata().map_err(&in_err)?;
    let file_len = metadata.len();
    let tail = parse_tail(&read_tail(&mut file, file_len).map_err(&in_err)?, file_len)?;
    if tail.envelope.is_some() {
        return Err(ArtifactError::AlreadySigned.into());
    }

    let dir = match output.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    // Stale temporary files of killed writers in `dir` are removed here.
    let mut temp = TempFile::new_in(dir).map_err(&out_err)?;
    file.seek(SeekFrom::Start(0)).map_err(&in_err)?;
    // The content is copied by the kernel (std's File-to-File `io::copy`
    // is copy_file_range on Linux): it never passes through user space.
    let copied =
        io::copy(&mut (&file).take(tail.content_len), temp.as_file_mut()).map_err(|e| {
            // The copy fails on either side: a full disk is the output's.
            if is_write_side(&e) {
                out_err(e)
            } else {
                in_err(e)
            }
        })?;
    drop(file); // closed before the rename (needed on Windows when input == output)
    if copied != tail.content_len {
        return Err(modified(input).into());
    }
    // One read pass hashes the copy: the bytes in our own (locked, 0600)
    // temporary file are exactly the bytes the signature covers. Meanwhile,
    // for a large copy, a second handle writes it to disk, so the final
    // fsync finds little left to do.
    let temp_path = temp.path().to_path_buf();
    let early = (tail.content_len >= EARLY_SYNC_BYTES)
        .then(|| temp.as_file().try_clone())
        .transpose()
        .map_err(&out_err)?;
    let out = temp.as_file_mut();
    out.seek(SeekFrom::Start(0)).map_err(&out_err)?;
    let mut content_hasher = Sha384Hasher::new();
    let (hashed, synced) = std::thread::scope(|scope| {
        let syncing = early.map(|early| scope.spawn(move || early.sync_data()));
        let hashed = copy_exactly(
            out,
            tail.content_len,
            &mut content_hasher,
            io::sink(),
            &temp_path,
        );
        (hashed, syncing.map(|thread| thread.join()))
    });
    hashed?;
    if let Some(synced) = synced {
        synced
            .unwrap_or_else(|_| Err(io::Error::other("the syncing thread panicked")))
            .map_err(&out_err)?;
    }
    let mut file_hasher = content_hasher.clone();
    let content_sha384: [u8; 48] = content_hasher.finalize();

    let envelope = make(&content_sha384).map_err(SignError::Make)?;
    if envelope.claims.content_sha384 != content_sha384 {
        return Err(ArtifactError::DigestMismatch {
            envelope: hex::encode(envelope.claims.content_sha384),
            content: hex::encode(content_sha384),
        }
        .into());
    }
    let encoded = envelope.encode().map_err(ArtifactError::from)?;
    let comment_len = u16::try_from(encoded.len())
        .map_err(|_| ArtifactError::Envelope(EnvelopeError::TooLarge { len: encoded.len() }))?;
    let mut trailer = Vec::with_capacity(2 + encoded.len());
    trailer.extend_from_slice(&comment_len.to_le_bytes());
    trailer.extend_from_slice(&encoded);
    file_hasher.update(&trailer);

    let out = temp.as_file_mut();
    out.write_all(&trailer).map_err(&out_err)?;
    out.set_permissions(metadata.permissions())
        .map_err(&out_err)?;
    out.sync_all().map_err(&out_err)?;
    // The rename keeps the inode and modification time.
    let output_version = out
        .metadata()
        .map_err(&out_err)
        .map(|m| files::version(&m))?;
    temp.persist(output).map_err(&out_err)?;
    sync_dir(dir).map_err(io_context(dir))?;

    Ok(SignedArtifact {
        content_sha384,
        content_len: tail.content_len,
        signed_file_sha384: file_hasher.finalize(),
        signed_file_len: tail.content_len + trailer.len() as u64,
        envelope,
        output_version,
    })
}

fn io_context(path: &Path) -> impl Fn(io::Error) -> ArtifactError + '_ {
    move |source| ArtifactError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn modified(path: &Path) -> ArtifactError {
    ArtifactError::Modified(path.to_path_buf())
}

fn read_tail(file: &mut File, file_len: u64) -> io::Result<Vec<u8>> {
    let len = tail_len(file_len);
    file.seek(SeekFrom::Start(file_len - len as u64))?;
    let mut tail = vec![0u8; len];
    file.read_exact(&mut tail)?;
    Ok(tail)
}

/// Streams exactly `len` bytes from `reader` into `hasher` and `sink`
/// through one fixed buffer. A short read means the file shrank.
fn copy_exactly(
    reader: &mut impl Read,
    len: u64,
    hasher: &mut Sha384Hasher,
    mut sink: impl Write,
    path: &Path,
) -> Result<(), ArtifactError> {
    let mut buffer = vec![0u8; BUFFER_BYTES];
    let mut remaining = len;
    while remaining > 0 {
        let want = usize::try_from(remaining).map_or(buffer.len(), |r| r.min(buffer.len()));
        let n = match reader.read(&mut buffer[..want]) {
            Ok(0) => return Err(modified(path)),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_context(path)(e)),
        };
        hasher.update(&buffer[..n]);
        sink.write_all(&buffer[..n]).map_err(io_context(path))?;
        remaining -= n as u64;
    }
    Ok(())
}

fn read_exactly(reader: &mut impl Read, buf: &mut [u8], path: &Path) -> Result<(), ArtifactError> {
    reader.read_exact(buf).map_err(|e| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            modified(path)
        } else {
            io_context(path)(e)
        }
    })
}

fn at_eof(reader: &mut impl Read) -> io::Result<bool> {
    let mut probe = [0u8; 1];
    loop {
        match reader.read(&mut probe) {
            Ok(n) => return Ok(n == 0),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::envelope::tests::sample_claims;
    use super::super::envelope::Claims;
    use super::super::keys::SigningKey;
    use super::*;
    use proptest::prelude::*;
    use std::io::Cursor;
    use std::sync::OnceLock;
    use zip::write::SimpleFileOptions;
    use zip::{CompressionMethod, ZipArchive, ZipWriter};

    /// A real zip built with the `zip` crate.
    fn zip_bytes(entries: &[(&str, &[u8], CompressionMethod)], comment: Option<&str>) -> Vec<u8> {
        let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data, method) in entries {
            writer
                .start_file(
                    *name,
                    SimpleFileOptions::default().compression_method(*method),
                )
                .expect("start file");
            writer.write_all(data).expect("write entry");
        }
        if let Some(comment) = comment {
            writer.set_comment(comment);
        }
        writer.finish().expect("finish").into_inner()
    }

    fn small_zip(comment: Option<&str>) -> Vec<u8> {
        zip_bytes(
            &[
                (
                    "index.py",
                    b"def handler(e, c):\n    return 42\n",
                    CompressionMethod::Deflated,
                ),
                ("data.bin", &[7u8; 300], CompressionMethod::Stored),
            ],
            comment,
        )
    }

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("write fixture");
        path
    }

    fn signer(key: &SigningKey) -> impl FnOnce(&[u8; 48]) -> Result<Envelope, EnvelopeError> + '_ {
        move |digest| Envelope::sign(sample_claims(*digest), key)
    }

    fn now(envelope: &Envelope) -> i64 {
        envelope.claims.signed_at + 60
    }

    /// Content as defined: everything before the comment-length field.
    fn content_of(bytes: &[u8]) -> &[u8] {
        let tail = parse_tail(
            &bytes[bytes.len() - tail_len(bytes.len() as u64)..],
            bytes.len() as u64,
        )
        .expect("tail");
        &bytes[..tail.content_len as usize]
    }

    fn sha384(bytes: &[u8]) -> [u8; 48] {
        Sha384Hasher::digest(bytes)
    }

    #[test]
    fn sign_then_inspect() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = SigningKey::generate();
        for (i, comment) in [None, Some("built by CI run 1234")].into_iter().enumerate() {
            let original = small_zip(comment);
            let input = write(dir.path(), &format!("in{i}.zip"), &original);
            let output = dir.path().join(format!("out{i}.zip"));

            let unsigned = inspect(&input).expect("inspect unsigned");
            assert_eq!(unsigned.envelope, None);
            assert_eq!(unsigned.content_sha384, sha384(content_of(&original)));
            assert_eq!(unsigned.file_sha384, sha384(&original));
            assert_eq!(unsigned.file_len, original.len() as u64);
            assert_eq!(
                unsigned.verify(&key.public_key(), 0),
                Err(VerifyError::Unsigned)
            );

            let signed = sign(&input, &output, signer(&key)).expect("sign");
            assert_eq!(signed.content_sha384, unsigned.content_sha384);
            let bytes = std::fs::read(&output).expect("read output");
            assert_eq!(signed.signed_file_sha384, sha384(&bytes));
            assert_eq!(signed.signed_file_len, bytes.len() as u64);

            let inspected = inspect(&output).expect("inspect signed");
            assert_eq!(inspected.content_sha384, unsigned.content_sha384);
            assert_eq!(inspected.file_sha384, signed.signed_file_sha384);
            assert_eq!(inspected.envelope.as_ref(), Some(&signed.envelope));
            let pk = key.public_key();
            assert_eq!(
                inspected.verify(&pk, now(&signed.envelope)),
                Ok(&signed.envelope)
            );

            // Still a valid zip: the comment is the envelope, entries intact.
            let mut archive = ZipArchive::new(Cursor::new(bytes)).expect("zip opens");
            assert_eq!(
                archive.comment(),
                &signed.envelope.encode().expect("encode")[..]
            );
            let mut handler = String::new();
            archive
                .by_name("index.py")
                .expect("entry")
                .read_to_string(&mut handler)
                .expect("read entry");
            assert!(handler.contains("return 42"));
            // The input is untouched.
            assert_eq!(std::fs::read(&input).expect("read input"), original);
        }
    }

    #[test]
    fn existing_comment_is_replaced_and_does_not_change_the_digest() {
        let dir = tempfile::tempdir().expect("tempdir");
        let plain = write(dir.path(), "a.zip", &small_zip(None));
        let commented = write(dir.path(), "b.zip", &small_zip(Some("hello")));
        let a = inspect(&plain).expect("a");
        let b = inspect(&commented).expect("b");
        assert_eq!(a.content_sha384, b.content_sha384);
        assert_ne!(a.file_sha384, b.file_sha384);
    }

    #[test]
    fn sign_in_place() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = SigningKey::generate();
        let path = write(dir.path(), "fn.zip", &small_zip(Some("old comment")));
        let before = inspect(&path).expect("before");
        let signed = sign(&path, &path, signer(&key)).expect("sign in place");
        let after = inspect(&path).expect("after");
        assert_eq!(after.content_sha384, before.content_sha384);
        assert_eq!(after.envelope, Some(signed.envelope));
        assert_eq!(
            std::fs::read_dir(dir.path()).expect("ls").count(),
            1,
            "no temp left"
        );
    }

    #[test]
    fn large_file_spanning_many_buffers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = SigningKey::generate();
        let payload: Vec<u8> = (0..(6 * 1024 * 1024 + 12_345u32))
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let original = zip_bytes(
            &[("blob.bin", &payload, CompressionMethod::Stored)],
            Some("c"),
        );
        assert!(original.len() > 3 * BUFFER_BYTES);
        let input = write(dir.path(), "big.zip", &original);
        let output = dir.path().join("big-signed.zip");
        let signed = sign(&input, &output, signer(&key)).expect("sign");
        assert_eq!(signed.content_sha384, sha384(content_of(&original)));
        let bytes = std::fs::read(&output).expect("read");
        assert_eq!(&bytes[..content_of(&original).len()], content_of(&original));
        assert_eq!(signed.signed_file_sha384, sha384(&bytes));
        assert_eq!(
            super::super::digest::sha384_file(&output).expect("digest"),
            signed.signed_file_sha384
        );
        let inspected = inspect(&output).expect("inspect");
        assert_eq!(inspected.content_sha384, signed.content_sha384);
        assert_eq!(inspected.file_sha384, signed.signed_file_sha384);
        assert!(inspected
            .verify(&key.public_key(), now(&signed.envelope))
            .is_ok());
    }

    #[test]
    fn signing_a_signed_zip_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = SigningKey::generate();
        let input = write(dir.path(), "in.zip", &small_zip(None));
        let once = dir.path().join("once.zip");
        sign(&input, &once, signer(&key)).expect("first sign");
        let twice = dir.path().join("twice.zip");
        let err = sign(&once, &twice, signer(&key)).expect_err("second sign");
        assert!(
            matches!(err, SignError::Artifact(ArtifactError::AlreadySigned)),
            "{err}"
        );
        assert!(!twice.exists());
    }

    #[test]
    fn lsig_comment_that_does_not_parse_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = SigningKey::generate();
        let path = write(dir.path(), "x.zip", &small_zip(Some("LSIG but not really")));
        assert!(matches!(
            inspect(&path),
            Err(ArtifactError::Envelope(EnvelopeError::UnsupportedVersion(
                b' '
            )))
        ));
        let out = dir.path().join("y.zip");
        assert!(matches!(
            sign(&path, &out, signer(&key)),
            Err(SignError::Artifact(ArtifactError::Envelope(_)))
        ));
        // "LSI" is just a comment.
        let path = write(dir.path(), "z.zip", &small_zip(Some("LSI")));
        assert_eq!(inspect(&path).expect("inspect").envelope, None);
    }

    #[test]
    fn not_a_zip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = SigningKey::generate();
        for (name, bytes) in [
            ("empty", Vec::new()),
            ("short", b"PK\x05\x06".to_vec()),
            (
                "text",
                b"definitely not a zip file, just some text".repeat(100),
            ),
            ("almost", {
                let mut b = small_zip(None);
                let n = b.len();
                b[n - 22] = b'Q'; // break the EOCD signature
                b
            }),
        ] {
            let path = write(dir.path(), name, &bytes);
            assert!(
                matches!(inspect(&path), Err(ArtifactError::NotZip)),
                "{name}"
            );
            let out = dir.path().join(format!("{name}.out"));
            assert!(matches!(
                sign(&path, &out, signer(&key)),
                Err(SignError::Artifact(ArtifactError::NotZip))
            ));
            assert!(!out.exists());
        }
        let missing = dir.path().join("missing.zip");
        let err = inspect(&missing).expect_err("missing");
        assert!(matches!(err, ArtifactError::Io { .. }));
        assert!(err.to_string().contains("missing.zip"), "{err}");
    }

    #[test]
    fn empty_zip_is_a_zip() {
        // 22 bytes: just the EOCD.
        let dir = tempfile::tempdir().expect("tempdir");
        let bytes = zip_bytes(&[], None);
        assert_eq!(bytes.len(), 22);
        let path = write(dir.path(), "empty.zip", &bytes);
        let inspection = inspect(&path).expect("inspect");
        assert_eq!(inspection.content_len, 20);
        let key = SigningKey::generate();
        let out = dir.path().join("empty-signed.zip");
        sign(&path, &out, signer(&key)).expect("sign");
        assert!(inspect(&out)
            .expect("inspect")
            .verify(&key.public_key(), 1_767_225_700)
            .is_ok());
    }

    #[test]
    fn flipped_content_byte_is_detected() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = SigningKey::generate();
        let input = write(dir.path(), "in.zip", &small_zip(None));
        let output = dir.path().join("out.zip");
        let signed = sign(&input, &output, signer(&key)).expect("sign");
        let bytes = std::fs::read(&output).expect("read");
        let content_len = signed
            .envelope
            .encode()
            .map(|e| bytes.len() - e.len() - 2)
            .expect("len");
        for i in [0, 30, content_len / 2, content_len - 1] {
            let mut tampered = bytes.clone();
            tampered[i] ^= 0x01;
            let path = write(dir.path(), "tampered.zip", &tampered);
            match inspect(&path) {
                Ok(inspection) => {
                    assert_ne!(inspection.content_sha384, signed.content_sha384, "byte {i}");
                    assert_eq!(
                        inspection.verify(&key.public_key(), now(&signed.envelope)),
                        Err(VerifyError::ContentMismatch),
                        "byte {i}"
                    );
                }
                // Flipping the EOCD's own bytes may break the zip framing.
                Err(e) => assert!(i >= content_len - 20, "byte {i}: {e}"),
            }
        }
    }

    #[test]
    fn bytes_appended_after_the_comment_are_rejected() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = SigningKey::generate();
        let input = write(dir.path(), "in.zip", &small_zip(None));
        let output = dir.path().join("out.zip");
        sign(&input, &output, signer(&key)).expect("sign");
        let mut bytes = std::fs::read(&output).expect("read");
        for extra in [&b"\0"[..], b"junk", &[0xAA; 70_000]] {
            bytes.extend_from_slice(extra);
            let path = write(dir.path(), "appended.zip", &bytes);
            assert!(matches!(inspect(&path), Err(ArtifactError::NotZip)));
        }
        // Also appended to an unsigned zip.
        let mut unsigned = small_zip(None);
        unsigned.push(b'x');
        let path = write(dir.path(), "appended2.zip", &unsigned);
        assert!(matches!(inspect(&path), Err(ArtifactError::NotZip)));
    }

    #[test]
    fn output_is_atomic_when_make_fails() {
        let dir = tempfile::tempdir().expect("tempdir");
        let input = write(dir.path(), "in.zip", &small_zip(None));
        let output = dir.path().join("out.zip");
        let err = sign(&input, &output, |_| {
            Err::<Envelope, _>(io::Error::other("signer is down"))
        })
        .expect_err("make fails");
        assert!(matches!(err, SignError::Make(_)));
        assert_eq!(
            err.to_string(),
            "could not make the signature envelope: signer is down"
        );
        assert!(!output.exists());
        assert_eq!(
            std::fs::read_dir(dir.path()).expect("ls").count(),
            1,
            "temp removed"
        );

        // An existing output is left exactly as it was.
        std::fs::write(&output, b"previous").expect("write");
        let _ = sign(&input, &output, |_| {
            Err::<Envelope, _>(io::Error::other("down"))
        });
        assert_eq!(std::fs::read(&output).expect("read"), b"previous");
        assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 2);
    }

    #[test]
    fn envelope_for_another_digest_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = SigningKey::generate();
        let input = write(dir.path(), "in.zip", &small_zip(None));
        let output = dir.path().join("out.zip");
        let err = sign(&input, &output, |_| {
            Envelope::sign(sample_claims([0; 48]), &key)
        })
        .expect_err("wrong digest");
        assert!(matches!(
            err,
            SignError::Artifact(ArtifactError::DigestMismatch { .. })
        ));
        assert!(!output.exists());
        assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn output_keeps_input_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let key = SigningKey::generate();
        let input = write(dir.path(), "in.zip", &small_zip(None));
        std::fs::set_permissions(&input, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let output = dir.path().join("out.zip");
        sign(&input, &output, signer(&key)).expect("sign");
        let mode = std::fs::metadata(&output)
            .expect("stat")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o644);
    }

    #[test]
    fn parse_tail_cases() {
        // Tail longer than the file, or too short for an EOCD.
        assert!(matches!(
            parse_tail(&[0; 30], 29),
            Err(ArtifactError::NotZip)
        ));
        assert!(matches!(
            parse_tail(&[0; 21], 21),
            Err(ArtifactError::NotZip)
        ));
        // A bare EOCD inside a larger file.
        let mut eocd = b"PK\x05\x06".to_vec();
        eocd.extend_from_slice(&[0; 18]);
        let tail = parse_tail(&eocd, 1_000).expect("eocd");
        assert_eq!(
            (tail.eocd_offset, tail.content_len, tail.comment_len),
            (978, 998, 0)
        );
        // A fake EOCD inside a comment, with a length that does not reach the
        // end of file, is skipped in favour of the real one.
        let comment = [&b"xxPK\x05\x06"[..], &[0u8; 16][..], b"yyyy"].concat();
        let mut bytes = b"PK\x05\x06".to_vec();
        bytes.extend_from_slice(&[0; 16]);
        bytes.extend_from_slice(&(comment.len() as u16).to_le_bytes());
        bytes.extend_from_slice(&comment);
        let tail = parse_tail(&bytes, bytes.len() as u64).expect("real eocd");
        assert_eq!(tail.eocd_offset, 0);
        assert_eq!(usize::from(tail.comment_len), comment.len());
        // The last candidate that fits wins: a comment ending in a valid
        // zero-comment EOCD is read as that EOCD (inherent zip ambiguity).
        let comment = [&b"PK\x05\x06"[..], &[0u8; 18][..]].concat();
        let mut bytes = b"PK\x05\x06".to_vec();
        bytes.extend_from_slice(&[0; 16]);
        bytes.extend_from_slice(&(comment.len() as u16).to_le_bytes());
        bytes.extend_from_slice(&comment);
        assert_eq!(
            parse_tail(&bytes, bytes.len() as u64)
                .expect("eocd")
                .eocd_offset,
            22
        );
        // The largest comment: 65,535 bytes.
        let mut bytes = vec![1u8; 100];
        bytes.extend_from_slice(b"PK\x05\x06");
        bytes.extend_from_slice(&[0; 16]);
        bytes.extend_from_slice(&u16::MAX.to_le_bytes());
        bytes.extend_from_slice(&vec![b'c'; 65_535]);
        let len = bytes.len() as u64;
        let tail = parse_tail(&bytes[bytes.len() - tail_len(len)..], len).expect("max comment");
        assert_eq!((tail.eocd_offset, tail.comment_len), (100, u16::MAX));
    }

    #[test]
    fn tail_len_is_bounded() {
        assert_eq!(tail_len(0), 0);
        assert_eq!(tail_len(100), 100);
        assert_eq!(tail_len(u64::MAX), MAX_TAIL_BYTES);
        assert_eq!(MAX_TAIL_BYTES, 65_557);
    }

    /// One signed zip (fixed key) shared by the mutation property test.
    fn signed_fixture() -> &'static (Vec<u8>, Envelope) {
        static FIXTURE: OnceLock<(Vec<u8>, Envelope)> = OnceLock::new();
        FIXTURE.get_or_init(|| {
            let dir = tempfile::tempdir().expect("tempdir");
            let key = SigningKey::from_test_scalar(&[0x42; 48]);
            let input = write(dir.path(), "in.zip", &small_zip(None));
            let output = dir.path().join("out.zip");
            let signed = sign(&input, &output, |d| {
                Envelope::sign(
                    Claims {
                        signed_at: 100,
                        expires_at: 200,
                        ..sample_claims(*d)
                    },
                    &key,
                )
            })
            .expect("sign");
            (std::fs::read(&output).expect("read"), signed.envelope)
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn inspect_never_panics_on_arbitrary_files(
            bytes in proptest::collection::vec(any::<u8>(), 0..3000),
            plant_eocd in any::<bool>(),
            comment in proptest::collection::vec(any::<u8>(), 0..200),
            lsig in any::<bool>(),
        ) {
            let mut bytes = bytes;
            if plant_eocd {
                let comment = if lsig { [&b"LSIG\x01\x01"[..], &comment[..]].concat() } else { comment };
                bytes.extend_from_slice(b"PK\x05\x06");
                bytes.extend_from_slice(&[0; 16]);
                bytes.extend_from_slice(&(comment.len() as u16).to_le_bytes());
                bytes.extend_from_slice(&comment);
            }
            let file = tempfile::NamedTempFile::new().expect("temp");
            std::fs::write(file.path(), &bytes).expect("write");
            let _ = parse_tail(&bytes[bytes.len() - tail_len(bytes.len() as u64)..], bytes.len() as u64);
            if let Ok(inspection) = inspect(file.path()) {
                prop_assert_eq!(inspection.file_sha384, sha384(&bytes));
                prop_assert_eq!(inspection.content_sha384, sha384(&bytes[..inspection.content_len as usize]));
            }
        }

        #[test]
        fn mutations_of_a_signed_zip_never_panic_nor_verify(
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
            cut in any::<prop::sample::Index>(),
            truncate in any::<bool>(),
            append in proptest::collection::vec(any::<u8>(), 0..3),
        ) {
            let (original, _) = signed_fixture();
            let mut bytes = original.clone();
            for (index, value) in &edits {
                let i = index.index(bytes.len());
                bytes[i] = *value;
            }
            if truncate {
                bytes.truncate(cut.index(bytes.len()));
            }
            bytes.extend_from_slice(&append);
            let file = tempfile::NamedTempFile::new().expect("temp");
            std::fs::write(file.path(), &bytes).expect("write");
            let key = SigningKey::from_test_scalar(&[0x42; 48]).public_key();
            if let Ok(inspection) = inspect(file.path()) {
                if &bytes != original {
                    prop_assert!(inspection.verify(&key, 150).is_err());
                }
            }
        }
    }
}
