//! Object bodies as S3 clients send them: raw, or `aws-chunked` (the AWS
//! SDK for Rust streams uploads that way, signed chunks with upper-case
//! hex sizes over http; botocore over https, unsigned with lower-case),
//! with a checksum in a header or a trailer. Checksums are verified here,
//! so a body decoded wrongly is refused rather than stored; chunk
//! signatures, where `serve` checks signatures, in `auth`.

use base64::Engine as _;
use bytes::Bytes;
use md5::Digest as _;

use super::http::Request;

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

/// A decoded body and the trailers that followed its last chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub data: Bytes,
    pub trailers: Vec<(String, String)>,
    /// Each chunk (the final empty one too) as a range of `data`, with
    /// its `chunk-signature` if it had one.
    pub chunks: Vec<(std::ops::Range<usize>, Option<String>)>,
}

fn line_at(body: &[u8], at: usize) -> Result<(&[u8], usize), BodyError> {
    let rest = &body[at..];
    let end = rest
        .windows(2)
        .position(|w| w == b"\r\n")
        .ok_or_else(|| BodyError::Malformed(format!("no CRLF after byte {at}")))?;
    Ok((&rest[..end], at + end + 2))
}

/// Strips the framing: `SIZE[;chunk-signature=SIG]\r\nDATA\r\n` ...,
/// a zero-size chunk, then `name:value` trailer lines and an empty line.
pub fn decode(body: &[u8]) -> Result<Decoded, BodyError> {
    let mut data = Vec::with_capacity(body.len());
    let mut chunks = Vec::new();
    let mut at = 0;
    loop {
        let (line, next) = line_at(body, at)?;
        let line = std::str::from_utf8(line)
            .map_err(|_| BodyError::Malformed("a chunk header is not text".into()))?;
        let mut fields = line.split(';');
        let size_text = fields.next().unwrap_or_default().trim();
        let signature = fields
            .find_map(|f| f.trim().strip_prefix("chunk-signature="))
            .map(str::to_string);
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| BodyError::Malformed(format!("bad chunk size {size_text:?}")))?;
        at = next;
        if size == 0 {
            chunks.push((data.len()..data.len(), signature));
            break;
        }
        // A declared size is the client's: no sum of it may overflow.
        let end = at
            .checked_add(size)
            .filter(|end| end.checked_add(2).is_some_and(|after| after <= body.len()))
            .ok_or_else(|| BodyError::Malformed(format!("a chunk of {size} bytes is cut short")))?;
        chunks.push((data.len()..data.len() + size, signature));
        data.extend_from_slice(&body[at..end]);
        if &body[end..end + 2] != b"\r\n" {
            return Err(BodyError::Malformed(format!(
                "no CRLF after the chunk ending at byte {end}"
            )));
        }
        at = end + 2;
    }
    let mut trailers = Vec::new();
    while at < body.len() {
        let (line, next) = line_at(body, at)?;
        at = next;
        if line.is_empty() {
            break;
        }
        let line = String::from_utf8_lossy(line);
        if let Some((name, value)) = line.split_once(':') {
            trailers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    Ok(Decoded {
        data: Bytes::from(data),
        trailers,
        chunks,
    })
}

/// The object bytes of a request: decoded when `aws-chunked`, with every
/// checksum it carries (Content-MD5, `x-amz-checksum-crc32` in a header
/// or trailer) verified.
pub fn object_body(request: &Request) -> Result<Bytes, BodyError> {
    let (data, trailers) = if is_aws_chunked(request) {
        let decoded = decode(&request.body)?;
        if let Some(declared) = request
            .header("x-amz-decoded-content-length")
            .and_then(|v| v.trim().parse::<u64>().ok())
        {
            let found = decoded.data.len() as u64;
            if found != declared {
                return Err(BodyError::Length { declared, found });
            }
        }
        (decoded.data, decoded.trailers)
    } else {
        (request.body.clone(), Vec::new())
    };
    let checksum = |name: &str| {
        trailers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .or_else(|| request.header(name).map(str::to_string))
    };
    if let Some(expected) = checksum("x-amz-checksum-crc32") {
        let actual =
            base64::engine::general_purpose::STANDARD.encode(crc32fast::hash(&data).to_be_bytes());
        if actual != expected.trim() {
            return Err(BodyError::Checksum {
                algorithm: "CRC32",
                header: "x-amz-checksum-crc32".into(),
            });
        }
    }
    if let Some(expected) = request.header("content-md5") {
        let actual = base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(&data));
        if actual != expected.trim() {
            return Err(BodyError::Checksum {
                algorithm: "MD5",
                header: "Content-MD5".into(),
            });
        }
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(headers: &[(&str, &str)], body: &[u8]) -> Request {
        let mut r = Request::for_test("PUT", "/b/k", headers);
        r.body = Bytes::copy_from_slice(body);
        r
    }

    #[test]
    fn botocore_unsigned_chunks_with_a_trailer() {
        // As botocore's AwsChunkedWrapper frames "hello\n" (lower-case hex).
        let body = b"4\r\nhell\r\n2\r\no\n\r\n0\r\nx-amz-checksum-crc32:NjowIA==\r\n\r\n";
        let decoded = decode(body).expect("decode");
        assert_eq!(&decoded.data[..], b"hello\n");
        assert_eq!(
            decoded.trailers,
            vec![("x-amz-checksum-crc32".into(), "NjowIA==".into())]
        );
        let r = request(
            &[
                ("content-encoding", "aws-chunked"),
                ("x-amz-decoded-content-length", "6"),
            ],
            body,
        );
        assert_eq!(&object_body(&r).expect("body")[..], b"hello\n");
    }

    #[test]
    fn rust_signed_chunks_with_upper_case_sizes() {
        let data: Vec<u8> = (0..300u32).map(|i| (i % 251) as u8).collect();
        let crc =
            base64::engine::general_purpose::STANDARD.encode(crc32fast::hash(&data).to_be_bytes());
        let sig = "a".repeat(64);
        let mut body = Vec::new();
        for chunk in data.chunks(200) {
            body.extend_from_slice(
                format!("{:X};chunk-signature={sig}\r\n", chunk.len()).as_bytes(),
            );
            body.extend_from_slice(chunk);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("0;chunk-signature={sig}\r\nx-amz-checksum-crc32:{crc}\r\nx-amz-trailer-signature:{sig}\r\n\r\n").as_bytes());
        let r = request(
            &[
                (
                    "x-amz-content-sha256",
                    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
                ),
                ("x-amz-decoded-content-length", "300"),
            ],
            &body,
        );
        assert_eq!(&object_body(&r).expect("body")[..], &data[..]);
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
        assert!(matches!(object_body(&short), Err(BodyError::Length { .. })));
        let wrong = request(&[("x-amz-checksum-crc32", "AAAAAA==")], b"hello");
        assert!(matches!(
            object_body(&wrong),
            Err(BodyError::Checksum { .. })
        ));
        let md5 = request(&[("content-md5", "XUFAKrxLKna5cZ2REBfFkg==")], b"hello");
        assert_eq!(&object_body(&md5).expect("md5 of hello")[..], b"hello");
        for bad in [
            &b"zz\r\n"[..],
            b"4\r\nhe",
            b"4\r\nhellXX0\r\n\r\n",
            b"no crlf",
            // Sizes whose sums with the offset (18) overflow: no panic.
            b"ffffffffffffffec\r\nxx",
            b"ffffffffffffffed\r\nxx",
            b"ffffffffffffffff\r\nxx",
        ] {
            assert!(decode(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
        let raw = request(&[], b"plain body");
        assert_eq!(&object_body(&raw).expect("raw")[..], b"plain body");
    }
}
