//! Object bodies as S3 clients send them: raw, or `aws-chunked` (the AWS
//! SDK for Rust streams uploads that way, signed chunks with upper-case
//! hex sizes over http; botocore over https, unsigned with lower-case),
//! with a checksum in a header or a trailer.
//!
//! A body arrives spooled to a file (`Spooled`); here it is streamed into a
//! new file of the object's bytes, in bounded memory: chunk framing is
//! parsed as it is read, each signed chunk's signature checked in turn
//! (`chunk_signing`), and the CRC32 and Content-MD5 checksums it
//! carries verified at the end, so a body decoded wrongly or forged is
//! refused rather than stored.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;

use base64::Engine as _;
use md5::Digest as _;

use super::auth::Refused;
use super::chunk_signing::ChunkSigning;
use super::http::Request;
use crate::domain::files::TempFile;

/// The largest chunk whose bytes are held at once (to check its
/// signature); unsigned chunks of any size stream through.
const MAX_SIGNED_CHUNK: usize = 16 * 1024 * 1024;
/// Trailer lines, `name: value` with lower-case names.
pub type Trailers = Vec<(String, String)>;

/// The longest chunk-header or trailer line.
const MAX_LINE: usize = 4096;
/// The most trailer lines.
const MAX_TRAILERS: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("the aws-chunked body is malformed: {0}")]
    Malformed(String),
    #[error("the body has {found} bytes after decoding, but x-amz-decoded-content-length says {declared}")]
    Length { declared: u64, found: u64 },
    #[error("the {algorithm} checksum of the body does not match {header}")]
    Checksum {
        algorithm: &'static str,
        header: String,
    },
    #[error(transparent)]
    Signature(#[from] Refused),
    #[error("cannot keep the body: {0}")]
    Io(String),
}

/// Whether the body is `aws-chunked`.
pub fn is_aws_chunked(request: &Request) -> bool {
    request.header("content-encoding").is_some_and(|e| {
        e.split(',')
            .any(|p| p.trim().eq_ignore_ascii_case("aws-chunked"))
    }) || request
        .header("x-amz-content-sha256")
        .is_some_and(|v| v.starts_with("STREAMING-"))
}

/// An upload's object bytes, in a file of their own.
#[derive(Debug)]
pub struct ObjectBody {
    pub file: TempFile,
    pub len: u64,
    /// Hex MD5 of the bytes (the object's ETag), computed on the way in.
    pub md5: String,
}

/// The object bytes of a request, streamed into a new private file in
/// `dir`: decoded when `aws-chunked` (every signed chunk checked when
/// `signing` is given), with every checksum it carries verified.
pub fn object_file(request: &Request, dir: &Path) -> Result<ObjectBody, BodyError> {
    let io = |e: std::io::Error| BodyError::Io(e.to_string());
    let mut out = TempFile::new_in(dir).map_err(io)?;
    let mut sink = Checksums::new(out.as_file_mut());
    let trailers = match &request.spooled {
        Some(spooled) => {
            let raw = std::fs::File::open(spooled.file.path()).map_err(io)?;
            let mut reader = BufReader::with_capacity(256 * 1024, raw);
            if is_aws_chunked(request) {
                decode(&mut reader, &mut sink, request.chunk_signing.clone())?
            } else {
                std::io::copy(&mut reader, &mut sink).map_err(io)?;
                Vec::new()
            }
        }
        None if is_aws_chunked(request) => decode(
            &mut BufReader::new(&request.body[..]),
            &mut sink,
            request.chunk_signing.clone(),
        )?,
        None => {
            sink.write_all(&request.body).map_err(io)?;
            Vec::new()
        }
    };
    let (len, crc, md5) = sink.finish();
    if is_aws_chunked(request) {
        if let Some(declared) = request
            .header("x-amz-decoded-content-length")
            .and_then(|v| v.trim().parse::<u64>().ok())
        {
            if len != declared {
                return Err(BodyError::Length {
                    declared,
                    found: len,
                });
            }
        }
    }
    let checksum = |name: &str| {
        trailers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .or_else(|| request.header(name).map(str::to_string))
    };
    if let Some(expected) = checksum("x-amz-checksum-crc32") {
        if base64::engine::general_purpose::STANDARD.encode(crc.to_be_bytes()) != expected.trim() {
            return Err(BodyError::Checksum {
                algorithm: "CRC32",
                header: "x-amz-checksum-crc32".into(),
            });
        }
    }
    if let Some(expected) = request.header("content-md5") {
        if base64::engine::general_purpose::STANDARD.encode(&md5) != expected.trim() {
            return Err(BodyError::Checksum {
                algorithm: "MD5",
                header: "Content-MD5".into(),
            });
        }
    }
    out.as_file_mut().flush().map_err(io)?;
    Ok(ObjectBody {
        file: out,
        len,
        md5: hex::encode(md5),
    })
}

/// A writer that counts and checksums what passes through.
struct Checksums<W> {
    inner: W,
    len: u64,
    crc: crc32fast::Hasher,
    md5: md5::Md5,
}

impl<W: Write> Checksums<W> {
    fn new(inner: W) -> Self {
        Checksums {
            inner,
            len: 0,
            crc: crc32fast::Hasher::new(),
            md5: md5::Md5::new(),
        }
    }

    fn finish(self) -> (u64, u32, Vec<u8>) {
        (self.len, self.crc.finalize(), self.md5.finalize().to_vec())
    }
}

impl<W: Write> Write for Checksums<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.len += n as u64;
        self.crc.update(&buf[..n]);
        self.md5.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// One CRLF-terminated line (without it), at most [`MAX_LINE`] bytes.
fn line(reader: &mut impl BufRead, what: &str) -> Result<String, BodyError> {
    let mut bytes = Vec::new();
    let read = reader
        .by_ref()
        .take(MAX_LINE as u64 + 2)
        .read_until(b'\n', &mut bytes)
        .map_err(|e| BodyError::Io(e.to_string()))?;
    if read == 0 {
        return Err(BodyError::Malformed(format!("the body ends before {what}")));
    }
    if !bytes.ends_with(b"\r\n") {
        return Err(BodyError::Malformed(format!(
            "{what} is not a line ending in CRLF within {MAX_LINE} bytes"
        )));
    }
    bytes.truncate(bytes.len() - 2);
    String::from_utf8(bytes).map_err(|_| BodyError::Malformed(format!("{what} is not text")))
}

/// Strips the framing, streaming: `SIZE[;chunk-signature=SIG]\r\nDATA\r\n`
/// ..., a zero-size chunk, then `name:value` trailer lines and an empty
/// line. Returns the trailers. With `signing`, every chunk's signature (and
/// the trailer's) must continue the request's signature chain.
pub fn decode(
    reader: &mut impl BufRead,
    out: &mut impl Write,
    mut signing: Option<ChunkSigning>,
) -> Result<Trailers, BodyError> {
    let io = |e: std::io::Error| BodyError::Io(e.to_string());
    let mut number = 0usize;
    loop {
        number += 1;
        let header = line(reader, &format!("the header of chunk {number}"))?;
        let mut fields = header.split(';');
        let size_text = fields.next().unwrap_or_default().trim();
        let signature = fields
            .find_map(|f| f.trim().strip_prefix("chunk-signature="))
            .map(str::to_string);
        let size = u64::from_str_radix(size_text, 16)
            .map_err(|_| BodyError::Malformed(format!("bad chunk size {size_text:?}")))?;
        match &mut signing {
            Some(chain) => {
                let size = usize::try_from(size)
                    .ok()
                    .filter(|s| *s <= MAX_SIGNED_CHUNK)
                    .ok_or_else(|| {
                        BodyError::Malformed(format!(
                            "a signed chunk of {size} bytes is larger than {MAX_SIGNED_CHUNK}"
                        ))
                    })?;
                let mut data = vec![0u8; size];
                reader.read_exact(&mut data).map_err(|_| {
                    BodyError::Malformed(format!("chunk {number} of {size} bytes is cut short"))
                })?;
                chain
                    .next_chunk(number, &data, signature.as_deref())
                    .map_err(|m| Refused::ChunkMismatch(m.0))?;
                out.write_all(&data).map_err(io)?;
            }
            None => {
                let copied = std::io::copy(&mut reader.by_ref().take(size), out).map_err(io)?;
                if copied != size {
                    return Err(BodyError::Malformed(format!(
                        "chunk {number} of {size} bytes is cut short"
                    )));
                }
            }
        }
        if size == 0 {
            break;
        }
        let mut crlf = [0u8; 2];
        if reader.read_exact(&mut crlf).is_err() || &crlf != b"\r\n" {
            return Err(BodyError::Malformed(format!(
                "no CRLF after chunk {number}"
            )));
        }
    }
    let mut trailers = Vec::new();
    loop {
        let text = match line(reader, "a trailer") {
            Ok(text) => text,
            // A body may end right after its last chunk.
            Err(BodyError::Malformed(_)) if trailers.is_empty() => break,
            Err(e) => return Err(e),
        };
        if text.is_empty() {
            break;
        }
        if trailers.len() == MAX_TRAILERS {
            return Err(BodyError::Malformed(format!(
                "more than {MAX_TRAILERS} trailers"
            )));
        }
        if let Some((name, value)) = text.split_once(':') {
            trailers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    if let Some(chain) = &signing {
        chain
            .trailer(&trailers)
            .map_err(|m| Refused::ChunkMismatch(m.0))?;
    }
    Ok(trailers)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(headers: &[(&str, &str)], body: &[u8]) -> Request {
        let mut r = Request::for_test("PUT", "/b/k", headers);
        r.body = bytes::Bytes::copy_from_slice(body);
        r
    }

    fn stored(r: &Request) -> Result<Vec<u8>, BodyError> {
        let dir = tempfile::tempdir().unwrap();
        let body = object_file(r, dir.path())?;
        let bytes = std::fs::read(body.file.path()).unwrap();
        assert_eq!(bytes.len() as u64, body.len);
        assert_eq!(body.md5, hex::encode(md5::Md5::digest(&bytes)));
        Ok(bytes)
    }

    fn decoded(body: &[u8]) -> Result<(Vec<u8>, Trailers), BodyError> {
        let mut out = Vec::new();
        let trailers = decode(&mut BufReader::new(body), &mut out, None)?;
        Ok((out, trailers))
    }

    #[test]
    fn botocore_unsigned_chunks_with_a_trailer() {
        // As botocore's AwsChunkedWrapper frames "hello\n" (lower-case hex).
        let body = b"4\r\nhell\r\n2\r\no\n\r\n0\r\nx-amz-checksum-crc32:NjowIA==\r\n\r\n";
        let (data, trailers) = decoded(body).expect("decode");
        assert_eq!(&data[..], b"hello\n");
        assert_eq!(
            trailers,
            vec![("x-amz-checksum-crc32".into(), "NjowIA==".into())]
        );
        let r = request(
            &[
                ("content-encoding", "aws-chunked"),
                ("x-amz-decoded-content-length", "6"),
            ],
            body,
        );
        assert_eq!(stored(&r).expect("body"), b"hello\n");
    }

    #[test]
    fn wrong_lengths_checksums_and_framing_are_refused() {
        let body = b"4\r\nhell\r\n0\r\n\r\n";
        let short = request(
            &[
                ("content-encoding", "aws-chunked"),
                ("x-amz-decoded-content-length", "5"),
            ],
            body,
        );
        assert!(matches!(stored(&short), Err(BodyError::Length { .. })));
        let wrong = request(&[("x-amz-checksum-crc32", "AAAAAA==")], b"hello");
        assert!(matches!(stored(&wrong), Err(BodyError::Checksum { .. })));
        let md5 = request(&[("content-md5", "XUFAKrxLKna5cZ2REBfFkg==")], b"hello");
        assert_eq!(stored(&md5).expect("md5 of hello"), b"hello");
        for bad in [
            &b"zz\r\n"[..],
            b"4\r\nhe",
            b"4\r\nhellXX0\r\n\r\n",
            b"no crlf",
            // Sizes that overflow any sum: no panic, no allocation.
            b"ffffffffffffffec\r\nxx",
            b"ffffffffffffffff\r\nxx",
            b"10000000000000000\r\nxx",
        ] {
            assert!(decoded(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
        let raw = request(&[], b"plain body");
        assert_eq!(stored(&raw).expect("raw"), b"plain body");
    }
}
