//! The `LSIG` signature envelope: our own, documented format.
//!
//! AWS does not publish how a Signer-signed Lambda zip carries its
//! signature, so the local backend uses this envelope as a *model* of
//! Lambda's checks. The full byte layout is in `docs/signature-format.md`:
//!
//! ```text
//! offset size
//! 0      4    magic "LSIG"
//! 4      1    format version = 1
//! 5      1    algorithm = 1 (ECDSA P-384 over SHA-384)
//! 6      ...  records: tag u8, length u16 big-endian, value
//!             1 content SHA-384          exactly 48 bytes
//!             2 profile version ARN      UTF-8, 1..=2048 bytes
//!             3 signing job ARN          UTF-8, 1..=2048 bytes
//!             4 signed_at                8 bytes, i64 big-endian, unix seconds
//!             5 expires_at               8 bytes, i64 big-endian, > signed_at
//!             6 signature                exactly 96 bytes, r || s
//! ```
//!
//! Every record appears exactly once, in ascending tag order, the signature
//! last and nothing after it. The signature covers the canonical bytes:
//! everything before record 6 ([`Claims::canonical_bytes`]).
//!
//! [`Envelope::parse`] is strict and bounded: it never allocates more than
//! the input length, never panics and names each kind of defect with its own
//! [`EnvelopeError`] variant.

use super::keys::{PublicKey, SigningKey, SIGNATURE_BYTES};

/// `LSIG`.
pub const MAGIC: [u8; 4] = *b"LSIG";
/// The only format version this code reads or writes.
pub const FORMAT_VERSION: u8 = 1;
/// Algorithm byte for ECDSA P-384 with SHA-384.
pub const ALGORITHM_ECDSA_P384_SHA384: u8 = 1;
/// No envelope may be longer than this (a valid one is at most 4,280 bytes).
pub const MAX_ENVELOPE_BYTES: usize = 8 * 1024;
/// Upper bound on each ARN, in bytes.
pub const MAX_ARN_BYTES: usize = 2048;

/// Record tags, in the order they must appear.
pub const TAG_CONTENT_SHA384: u8 = 1;
pub const TAG_PROFILE_VERSION_ARN: u8 = 2;
pub const TAG_JOB_ARN: u8 = 3;
pub const TAG_SIGNED_AT: u8 = 4;
pub const TAG_EXPIRES_AT: u8 = 5;
pub const TAG_SIGNATURE: u8 = 6;

const HEADER_BYTES: usize = 6;
const RECORD_HEADER_BYTES: usize = 3;

/// What a signature vouches for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claims {
    /// SHA-384 of the artifact content (see `artifact`).
    pub content_sha384: [u8; 48],
    /// ARN of the signing profile version that signed.
    pub profile_version_arn: String,
    /// ARN of the signing job.
    pub job_arn: String,
    /// Unix seconds.
    pub signed_at: i64,
    /// Unix seconds; must be greater than `signed_at`. The signature is valid
    /// for `signed_at <= now < expires_at`.
    pub expires_at: i64,
}

/// Claims plus the signature over their canonical bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    pub claims: Claims,
    pub signature: [u8; SIGNATURE_BYTES],
}

/// Why bytes are not a valid envelope (or claims cannot be encoded).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    #[error("envelope is {len} bytes, over the {MAX_ENVELOPE_BYTES}-byte limit")]
    TooLarge { len: usize },
    #[error("envelope truncated at byte {offset}: {what} needs {needed} more byte(s)")]
    Truncated {
        offset: usize,
        what: &'static str,
        needed: usize,
    },
    #[error("bad magic: an envelope starts with \"LSIG\"")]
    BadMagic,
    #[error("unsupported envelope format version {0} (only 1 is known)")]
    UnsupportedVersion(u8),
    #[error("unsupported signature algorithm {0} (only 1 = ECDSA P-384/SHA-384 is known)")]
    UnsupportedAlgorithm(u8),
    #[error("unknown record tag {tag} at byte {offset}")]
    UnknownTag { tag: u8, offset: usize },
    #[error("duplicate record tag {tag} at byte {offset}")]
    DuplicateTag { tag: u8, offset: usize },
    #[error("record tag {tag} at byte {offset} is out of order (after tag {after})")]
    OutOfOrderTag { tag: u8, after: u8, offset: usize },
    #[error("record tag {missing} is missing (found tag {found} at byte {offset})")]
    MissingRecord {
        missing: u8,
        found: u8,
        offset: usize,
    },
    #[error("record tag {tag} has length {len}, expected {expected}")]
    WrongLength {
        tag: u8,
        len: usize,
        expected: &'static str,
    },
    #[error("record tag {tag} is not valid UTF-8")]
    InvalidUtf8 { tag: u8 },
    #[error("{count} trailing byte(s) after the signature record at byte {offset}")]
    TrailingBytes { offset: usize, count: usize },
    #[error("expires_at ({expires_at}) must be after signed_at ({signed_at})")]
    ExpiresNotAfterSigned { signed_at: i64, expires_at: i64 },
}

/// Why an envelope does not vouch for an artifact at a given time.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the artifact is not signed (no LSIG envelope in its zip comment)")]
    Unsigned,
    #[error("content digest does not match the signed digest (artifact modified after signing)")]
    ContentMismatch,
    #[error("signature is not valid for these claims under the given key")]
    BadSignature,
    #[error("signature not valid before {signed_at} (now {now})")]
    NotYetValid { signed_at: i64, now: i64 },
    #[error("signature expired at {expires_at} (now {now})")]
    Expired { expires_at: i64, now: i64 },
}

impl Claims {
    /// Checks what the format requires of field values: ARNs of 1..=2048
    /// bytes (UTF-8 by construction) and `expires_at > signed_at`.
    pub fn validate(&self) -> Result<(), EnvelopeError> {
        check_arn(TAG_PROFILE_VERSION_ARN, self.profile_version_arn.len())?;
        check_arn(TAG_JOB_ARN, self.job_arn.len())?;
        if self.expires_at <= self.signed_at {
            return Err(EnvelopeError::ExpiresNotAfterSigned {
                signed_at: self.signed_at,
                expires_at: self.expires_at,
            });
        }
        Ok(())
    }

    /// The bytes that are signed: magic, version, algorithm and records 1–5,
    /// exactly as they appear at the start of the encoded envelope.
    pub fn canonical_bytes(&self) -> Result<Vec<u8>, EnvelopeError> {
        self.validate()?;
        let mut out = Vec::with_capacity(
            HEADER_BYTES
                + 5 * RECORD_HEADER_BYTES
                + 48
                + self.profile_version_arn.len()
                + self.job_arn.len()
                + 16
                + RECORD_HEADER_BYTES
                + SIGNATURE_BYTES,
        );
        out.extend_from_slice(&MAGIC);
        out.push(FORMAT_VERSION);
        out.push(ALGORITHM_ECDSA_P384_SHA384);
        push_record(&mut out, TAG_CONTENT_SHA384, &self.content_sha384);
        push_record(
            &mut out,
            TAG_PROFILE_VERSION_ARN,
            self.profile_version_arn.as_bytes(),
        );
        push_record(&mut out, TAG_JOB_ARN, self.job_arn.as_bytes());
        push_record(&mut out, TAG_SIGNED_AT, &self.signed_at.to_be_bytes());
        push_record(&mut out, TAG_EXPIRES_AT, &self.expires_at.to_be_bytes());
        Ok(out)
    }

    /// Whether `now` (unix seconds) is inside `[signed_at, expires_at)`.
    pub fn check_time(&self, now: i64) -> Result<(), VerifyError> {
        if now < self.signed_at {
            Err(VerifyError::NotYetValid {
                signed_at: self.signed_at,
                now,
            })
        } else if now >= self.expires_at {
            Err(VerifyError::Expired {
                expires_at: self.expires_at,
                now,
            })
        } else {
            Ok(())
        }
    }
}

fn check_arn(tag: u8, len: usize) -> Result<(), EnvelopeError> {
    if (1..=MAX_ARN_BYTES).contains(&len) {
        Ok(())
    } else {
        Err(EnvelopeError::WrongLength {
            tag,
            len,
            expected: "1..=2048",
        })
    }
}

fn push_record(out: &mut Vec<u8>, tag: u8, value: &[u8]) {
    // Callers only pass values of at most MAX_ARN_BYTES (checked by validate).
    let len = u16::try_from(value.len()).unwrap_or(u16::MAX);
    out.push(tag);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(value);
}

impl Envelope {
    /// Signs the canonical bytes of `claims` with `key`.
    pub fn sign(claims: Claims, key: &SigningKey) -> Result<Self, EnvelopeError> {
        let signature = key.sign(&claims.canonical_bytes()?);
        Ok(Self { claims, signature })
    }

    /// True when the claims can be encoded and the signature has the form
    /// every valid signature has now ([`keys::is_canonical`]): all that
    /// [`Envelope::signature_valid`] checks but the ECDSA equation, for an
    /// envelope whose signature is known to be one its key made.
    pub fn well_formed(&self) -> bool {
        self.claims.canonical_bytes().is_ok() && super::keys::is_canonical(&self.signature)
    }

    /// True when `signature` is valid over the canonical bytes of the claims
    /// under `key` (false for claims that cannot be encoded).
    pub fn signature_valid(&self, key: &PublicKey) -> bool {
        match self.claims.canonical_bytes() {
            Ok(canonical) => key.verify(&canonical, &self.signature),
            Err(_) => false,
        }
    }

    /// The full check of an envelope against an artifact: the content digest
    /// matches, the signature is valid under `key`, and `now` is inside the
    /// validity window. Checked in that order; the first failure is returned.
    pub fn verify(
        &self,
        content_sha384: &[u8; 48],
        key: &PublicKey,
        now: i64,
    ) -> Result<(), VerifyError> {
        if &self.claims.content_sha384 != content_sha384 {
            return Err(VerifyError::ContentMismatch);
        }
        if !self.signature_valid(key) {
            return Err(VerifyError::BadSignature);
        }
        self.claims.check_time(now)
    }

    /// Canonical bytes followed by the signature record.
    pub fn encode(&self) -> Result<Vec<u8>, EnvelopeError> {
        let mut out = self.claims.canonical_bytes()?;
        push_record(&mut out, TAG_SIGNATURE, &self.signature);
        Ok(out)
    }

    /// Strict parse; see the module docs for the rules.
    pub fn parse(bytes: &[u8]) -> Result<Self, EnvelopeError> {
        if bytes.len() > MAX_ENVELOPE_BYTES {
            return Err(EnvelopeError::TooLarge { len: bytes.len() });
        }
        let mut reader = Reader { bytes, offset: 0 };
        let magic = reader.take(4, "magic")?;
        if magic != MAGIC {
            return Err(EnvelopeError::BadMagic);
        }
        let version = reader.take(1, "format version")?[0];
        if version != FORMAT_VERSION {
            return Err(EnvelopeError::UnsupportedVersion(version));
        }
        let algorithm = reader.take(1, "algorithm")?[0];
        if algorithm != ALGORITHM_ECDSA_P384_SHA384 {
            return Err(EnvelopeError::UnsupportedAlgorithm(algorithm));
        }

        let content = reader.record(TAG_CONTENT_SHA384)?;
        let content_sha384: [u8; 48] = fixed(TAG_CONTENT_SHA384, content, "exactly 48")?;
        let profile_version_arn = arn(
            TAG_PROFILE_VERSION_ARN,
            reader.record(TAG_PROFILE_VERSION_ARN)?,
        )?;
        let job_arn = arn(TAG_JOB_ARN, reader.record(TAG_JOB_ARN)?)?;
        let signed_at = i64::from_be_bytes(fixed(
            TAG_SIGNED_AT,
            reader.record(TAG_SIGNED_AT)?,
            "exactly 8",
        )?);
        let expires_at = i64::from_be_bytes(fixed(
            TAG_EXPIRES_AT,
            reader.record(TAG_EXPIRES_AT)?,
            "exactly 8",
        )?);
        let signature: [u8; SIGNATURE_BYTES] =
            fixed(TAG_SIGNATURE, reader.record(TAG_SIGNATURE)?, "exactly 96")?;
        if reader.offset < bytes.len() {
            return Err(EnvelopeError::TrailingBytes {
                offset: reader.offset,
                count: bytes.len() - reader.offset,
            });
        }
        let claims = Claims {
            content_sha384,
            profile_version_arn,
            job_arn,
            signed_at,
            expires_at,
        };
        claims.validate()?;
        Ok(Self { claims, signature })
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    offset: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, count: usize, what: &'static str) -> Result<&'a [u8], EnvelopeError> {
        let rest = &self.bytes[self.offset..];
        if rest.len() < count {
            return Err(EnvelopeError::Truncated {
                offset: self.offset,
                what,
                needed: count - rest.len(),
            });
        }
        let taken = &rest[..count];
        self.offset += count;
        Ok(taken)
    }

    /// Reads the next record, which must carry tag `expected` (the tag after
    /// the previous record's: tags are strictly consecutive from 1 to 6).
    fn record(&mut self, expected: u8) -> Result<&'a [u8], EnvelopeError> {
        let start = self.offset;
        let header = self.take(RECORD_HEADER_BYTES, "record header")?;
        let tag = header[0];
        let previous = expected - 1;
        if tag == 0 || tag > TAG_SIGNATURE {
            return Err(EnvelopeError::UnknownTag { tag, offset: start });
        }
        if tag == previous {
            return Err(EnvelopeError::DuplicateTag { tag, offset: start });
        }
        if tag < previous {
            return Err(EnvelopeError::OutOfOrderTag {
                tag,
                after: previous,
                offset: start,
            });
        }
        if tag != expected {
            return Err(EnvelopeError::MissingRecord {
                missing: expected,
                found: tag,
                offset: start,
            });
        }
        let len = usize::from(u16::from_be_bytes([header[1], header[2]]));
        self.take(len, "record value")
    }
}

fn fixed<const N: usize>(
    tag: u8,
    value: &[u8],
    expected: &'static str,
) -> Result<[u8; N], EnvelopeError> {
    value.try_into().map_err(|_| EnvelopeError::WrongLength {
        tag,
        len: value.len(),
        expected,
    })
}

fn arn(tag: u8, value: &[u8]) -> Result<String, EnvelopeError> {
    check_arn(tag, value.len())?;
    std::str::from_utf8(value)
        .map(str::to_owned)
        .map_err(|_| EnvelopeError::InvalidUtf8 { tag })
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use proptest::prelude::*;
    use sha2::{Digest, Sha384};

    pub(in super::super) fn sample_claims(content_sha384: [u8; 48]) -> Claims {
        Claims {
            content_sha384,
            profile_version_arn:
                "arn:aws:signer:us-east-1:123456789012:/signing-profiles/lambda_prod/abcde12345"
                    .to_owned(),
            job_arn: "arn:aws:signer:us-east-1:123456789012:/signing-jobs/1e2b3c4d-0000-4000-8000-00000000abcd"
                .to_owned(),
            signed_at: 1_767_225_600,             // 2026-01-01T00:00:00Z
            expires_at: 1_767_225_600 + 86_400 * 365, // one year later
        }
    }

    fn signed() -> (SigningKey, Envelope) {
        let key = SigningKey::generate();
        let digest: [u8; 48] = Sha384::digest(b"content").into();
        let envelope = Envelope::sign(sample_claims(digest), &key).expect("sign");
        (key, envelope)
    }

    #[test]
    fn round_trip() {
        let (key, envelope) = signed();
        let bytes = envelope.encode().expect("encode");
        assert_eq!(&bytes[..4], b"LSIG");
        let parsed = Envelope::parse(&bytes).expect("parse");
        assert_eq!(parsed, envelope);
        assert!(parsed.signature_valid(&key.public_key()));
        let canonical = envelope.claims.canonical_bytes().expect("canonical");
        assert_eq!(&bytes[..canonical.len()], &canonical[..]);
        assert_eq!(bytes.len(), canonical.len() + 3 + 96);
    }

    #[test]
    fn largest_valid_envelope_fits_the_limit() {
        let key = SigningKey::generate();
        let mut claims = sample_claims([7; 48]);
        claims.profile_version_arn = "a".repeat(MAX_ARN_BYTES);
        claims.job_arn = "é".repeat(MAX_ARN_BYTES / 2);
        let envelope = Envelope::sign(claims, &key).expect("sign");
        let bytes = envelope.encode().expect("encode");
        assert_eq!(bytes.len(), 4280);
        assert!(bytes.len() <= MAX_ENVELOPE_BYTES);
        assert_eq!(Envelope::parse(&bytes).expect("parse"), envelope);
    }

    #[test]
    fn invalid_claims_cannot_be_signed() {
        let key = SigningKey::generate();
        let mut claims = sample_claims([0; 48]);
        claims.job_arn.clear();
        assert!(matches!(
            Envelope::sign(claims, &key),
            Err(EnvelopeError::WrongLength { tag: 3, len: 0, .. })
        ));
        let mut claims = sample_claims([0; 48]);
        claims.profile_version_arn = "x".repeat(MAX_ARN_BYTES + 1);
        assert!(Envelope::sign(claims, &key).is_err());
        let mut claims = sample_claims([0; 48]);
        claims.expires_at = claims.signed_at;
        assert_eq!(
            Envelope::sign(claims.clone(), &key),
            Err(EnvelopeError::ExpiresNotAfterSigned {
                signed_at: claims.signed_at,
                expires_at: claims.signed_at
            })
        );
    }

    #[test]
    fn content_integrity_is_checked() {
        let (key, envelope) = signed();
        let good: [u8; 48] = Sha384::digest(b"content").into();
        let now = envelope.claims.signed_at + 10;
        assert_eq!(envelope.verify(&good, &key.public_key(), now), Ok(()));
        let mut content = b"content".to_vec();
        content[3] ^= 0x20;
        let tampered: [u8; 48] = Sha384::digest(&content).into();
        assert_eq!(
            envelope.verify(&tampered, &key.public_key(), now),
            Err(VerifyError::ContentMismatch)
        );
    }

    #[test]
    fn validity_window() {
        let (key, envelope) = signed();
        let digest = envelope.claims.content_sha384;
        let c = &envelope.claims;
        let pk = key.public_key();
        assert!(matches!(
            envelope.verify(&digest, &pk, c.signed_at - 1),
            Err(VerifyError::NotYetValid { .. })
        ));
        assert_eq!(envelope.verify(&digest, &pk, c.signed_at), Ok(()));
        assert_eq!(envelope.verify(&digest, &pk, c.expires_at - 1), Ok(()));
        assert!(matches!(
            envelope.verify(&digest, &pk, c.expires_at),
            Err(VerifyError::Expired { .. })
        ));
        let other = SigningKey::generate().public_key();
        assert_eq!(
            envelope.verify(&digest, &other, c.signed_at),
            Err(VerifyError::BadSignature)
        );
    }

    #[test]
    fn every_claims_field_change_breaks_the_signature() {
        let (key, envelope) = signed();
        let pk = key.public_key();
        let mutations: Vec<fn(&mut Claims)> = vec![
            |c| c.content_sha384[0] ^= 1,
            |c| c.content_sha384[47] ^= 0x80,
            |c| c.profile_version_arn.push('1'),
            |c| c.profile_version_arn = c.profile_version_arn.replace("prod", "test"),
            |c| {
                c.job_arn.pop();
            },
            |c| c.job_arn = c.job_arn.replace("abcd", "abce"),
            |c| c.signed_at -= 1,
            |c| c.expires_at += 1,
            |c| std::mem::swap(&mut c.job_arn, &mut c.profile_version_arn),
        ];
        for (i, mutate) in mutations.iter().enumerate() {
            let mut tampered = envelope.clone();
            mutate(&mut tampered.claims);
            assert_ne!(tampered.claims, envelope.claims, "mutation {i}");
            assert!(
                !tampered.signature_valid(&pk),
                "mutation {i} still verifies"
            );
            // And through the wire format too.
            let reparsed = Envelope::parse(&tampered.encode().expect("encode")).expect("parse");
            assert!(!reparsed.signature_valid(&pk), "mutation {i} (wire)");
        }
        assert!(envelope.signature_valid(&pk));
    }

    #[test]
    fn every_single_byte_flip_is_rejected() {
        // Flipping any one bit of the encoding either fails to parse or gives
        // an envelope whose signature (or magic) no longer holds.
        let (key, envelope) = signed();
        let pk = key.public_key();
        let bytes = envelope.encode().expect("encode");
        for i in 0..bytes.len() {
            for bit in [0x01u8, 0x80] {
                let mut tampered = bytes.clone();
                tampered[i] ^= bit;
                if let Ok(parsed) = Envelope::parse(&tampered) {
                    assert!(!parsed.signature_valid(&pk), "byte {i} bit {bit:#x}");
                }
            }
        }
    }

    #[test]
    fn signature_bytes_flipped() {
        let (key, envelope) = signed();
        for i in [0, 1, 47, 48, 94, 95] {
            let mut tampered = envelope.clone();
            tampered.signature[i] ^= 0x01;
            assert!(!tampered.signature_valid(&key.public_key()), "byte {i}");
        }
    }

    #[test]
    fn truncation_at_every_length_is_an_error() {
        let (_, envelope) = signed();
        let bytes = envelope.encode().expect("encode");
        for len in 0..bytes.len() {
            let err = Envelope::parse(&bytes[..len]).expect_err("truncated must fail");
            assert!(
                matches!(
                    err,
                    EnvelopeError::Truncated { .. } | EnvelopeError::WrongLength { .. }
                ),
                "len {len}: {err:?}"
            );
        }
    }

    #[test]
    fn header_defects() {
        let (_, envelope) = signed();
        let bytes = envelope.encode().expect("encode");
        let with = |i: usize, v: u8| {
            let mut b = bytes.clone();
            b[i] = v;
            Envelope::parse(&b)
        };
        assert_eq!(with(0, b'X'), Err(EnvelopeError::BadMagic));
        assert_eq!(with(4, 2), Err(EnvelopeError::UnsupportedVersion(2)));
        assert_eq!(with(5, 0), Err(EnvelopeError::UnsupportedAlgorithm(0)));
        assert_eq!(
            with(6, 9),
            Err(EnvelopeError::UnknownTag { tag: 9, offset: 6 })
        );
        assert_eq!(
            with(6, 0),
            Err(EnvelopeError::UnknownTag { tag: 0, offset: 6 })
        );
        assert_eq!(
            with(6, 2),
            Err(EnvelopeError::MissingRecord {
                missing: 1,
                found: 2,
                offset: 6
            })
        );
    }

    /// Splits an encoding into (header, records) for surgery.
    fn records(bytes: &[u8]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut i = HEADER_BYTES;
        while i < bytes.len() {
            let len = usize::from(u16::from_be_bytes([bytes[i + 1], bytes[i + 2]]));
            out.push(bytes[i..i + 3 + len].to_vec());
            i += 3 + len;
        }
        out
    }

    fn assemble(records: &[Vec<u8>]) -> Vec<u8> {
        let mut out = b"LSIG\x01\x01".to_vec();
        for r in records {
            out.extend_from_slice(r);
        }
        out
    }

    #[test]
    fn record_order_defects() {
        let (_, envelope) = signed();
        let recs = records(&envelope.encode().expect("encode"));
        assert_eq!(recs.len(), 6);

        let mut dup = recs.clone();
        dup.insert(3, recs[2].clone());
        assert!(matches!(
            Envelope::parse(&assemble(&dup)),
            Err(EnvelopeError::DuplicateTag { tag: 3, .. })
        ));

        let mut swapped = recs.clone();
        swapped.swap(1, 2);
        assert!(matches!(
            Envelope::parse(&assemble(&swapped)),
            Err(EnvelopeError::MissingRecord {
                missing: 2,
                found: 3,
                ..
            })
        ));

        let mut out_of_order = recs.clone();
        out_of_order.insert(4, recs[1].clone()); // 1,2,3,4,2,...
        assert!(matches!(
            Envelope::parse(&assemble(&out_of_order)),
            Err(EnvelopeError::OutOfOrderTag {
                tag: 2,
                after: 4,
                ..
            })
        ));

        let mut missing = recs.clone();
        missing.remove(3);
        assert!(matches!(
            Envelope::parse(&assemble(&missing)),
            Err(EnvelopeError::MissingRecord {
                missing: 4,
                found: 5,
                ..
            })
        ));

        let mut dup_sig = recs.clone();
        dup_sig.push(recs[5].clone());
        assert!(matches!(
            Envelope::parse(&assemble(&dup_sig)),
            Err(EnvelopeError::TrailingBytes { count: 99, .. })
        ));
    }

    #[test]
    fn trailing_byte() {
        let (_, envelope) = signed();
        let mut bytes = envelope.encode().expect("encode");
        let len = bytes.len();
        bytes.push(0);
        assert_eq!(
            Envelope::parse(&bytes),
            Err(EnvelopeError::TrailingBytes {
                offset: len,
                count: 1
            })
        );
    }

    #[test]
    fn oversize() {
        let (_, envelope) = signed();
        let mut bytes = envelope.encode().expect("encode");
        bytes.resize(MAX_ENVELOPE_BYTES + 1, 0);
        assert_eq!(
            Envelope::parse(&bytes),
            Err(EnvelopeError::TooLarge {
                len: MAX_ENVELOPE_BYTES + 1
            })
        );
        // Exactly at the limit is judged on content (trailing bytes), not size.
        bytes.truncate(MAX_ENVELOPE_BYTES);
        assert!(matches!(
            Envelope::parse(&bytes),
            Err(EnvelopeError::TrailingBytes { .. })
        ));
    }

    #[test]
    fn value_defects() {
        let (_, envelope) = signed();
        let recs = records(&envelope.encode().expect("encode"));

        let mut short_digest = recs.clone();
        short_digest[0] = [&[1u8, 0, 47][..], &[0u8; 47][..]].concat();
        assert!(matches!(
            Envelope::parse(&assemble(&short_digest)),
            Err(EnvelopeError::WrongLength {
                tag: 1,
                len: 47,
                ..
            })
        ));

        let mut empty_arn = recs.clone();
        empty_arn[1] = vec![2, 0, 0];
        assert!(matches!(
            Envelope::parse(&assemble(&empty_arn)),
            Err(EnvelopeError::WrongLength { tag: 2, len: 0, .. })
        ));

        let mut long_arn = recs.clone();
        long_arn[2] = [&[3u8, 0x08, 0x01][..], &[b'a'; 2049][..]].concat();
        assert!(matches!(
            Envelope::parse(&assemble(&long_arn)),
            Err(EnvelopeError::WrongLength {
                tag: 3,
                len: 2049,
                ..
            })
        ));

        let mut bad_utf8 = recs.clone();
        bad_utf8[1] = vec![2, 0, 2, 0xc3, 0x28];
        assert_eq!(
            Envelope::parse(&assemble(&bad_utf8)),
            Err(EnvelopeError::InvalidUtf8 { tag: 2 })
        );

        let mut short_time = recs.clone();
        short_time[3] = vec![4, 0, 4, 0, 0, 0, 1];
        assert!(matches!(
            Envelope::parse(&assemble(&short_time)),
            Err(EnvelopeError::WrongLength { tag: 4, len: 4, .. })
        ));

        let mut long_sig = recs.clone();
        long_sig[5] = [&[6u8, 0, 97][..], &[1u8; 97][..]].concat();
        assert!(matches!(
            Envelope::parse(&assemble(&long_sig)),
            Err(EnvelopeError::WrongLength {
                tag: 6,
                len: 97,
                ..
            })
        ));

        let mut backwards = recs.clone();
        let signed_at = envelope.claims.signed_at;
        backwards[4] = [&[5u8, 0, 8][..], &signed_at.to_be_bytes()[..]].concat();
        assert_eq!(
            Envelope::parse(&assemble(&backwards)),
            Err(EnvelopeError::ExpiresNotAfterSigned {
                signed_at,
                expires_at: signed_at
            })
        );
    }

    #[test]
    fn error_messages_are_clear() {
        let err = Envelope::parse(b"LSIG\x01").unwrap_err();
        assert_eq!(
            err.to_string(),
            "envelope truncated at byte 5: algorithm needs 1 more byte(s)"
        );
        assert_eq!(
            EnvelopeError::UnsupportedVersion(3).to_string(),
            "unsupported envelope format version 3 (only 1 is known)"
        );
    }

    /// The annotated example in docs/signature-format.md comes from here.
    /// Fixed key scalar + RFC 6979 => the bytes never change.
    #[test]
    fn golden_example() {
        let key = SigningKey::from_test_scalar(&[0x42; 48]);
        let claims = Claims {
            content_sha384: Sha384::digest(b"example content").into(),
            profile_version_arn: "arn:aws:signer:us-east-1:123456789012:/signing-profiles/p/v1"
                .to_owned(),
            job_arn: "arn:aws:signer:us-east-1:123456789012:/signing-jobs/j1".to_owned(),
            signed_at: 1_767_225_600,
            expires_at: 1_798_761_600,
        };
        let envelope = Envelope::sign(claims, &key).expect("sign");
        let bytes = envelope.encode().expect("encode");
        let hex = hex::encode(&bytes);
        if std::env::var_os("PRINT_GOLDEN").is_some() {
            println!(
                "public key SEC1: {}",
                hex::encode(key.public_key().to_sec1_bytes())
            );
            for chunk in bytes.chunks(16) {
                println!("{}", hex::encode(chunk));
            }
        }
        assert!(envelope.signature_valid(&key.public_key()));
        assert_eq!(bytes.len(), 6 + 51 + 63 + 57 + 11 + 11 + 99);
        assert_eq!(hex, GOLDEN_HEX);
    }

    const GOLDEN_HEX: &str = "4c5349470101010030505df3597f3f0a19629fff4756291aceeefa2a82045f6e04e8f383be3c674ac41ffdf7317b344adcd50a1de2261983fd02003c61726e3a6177733a7369676e65723a75732d656173742d313a3132333435363738393031323a2f7369676e696e672d70726f66696c65732f702f763103003661726e3a6177733a7369676e65723a75732d656173742d313a3132333435363738393031323a2f7369676e696e672d6a6f62732f6a31040008000000006955b900050008000000006b36ec8006006068348c647aaae995ae23ff35dd9c371c70d9415294ae3a4dc032b09b300c9ba250d4f892f871aa6cc01a609455faa511756c5642adfa6374614e34939172d144f00d138ee5440b7574ae809c8150260703673309dbaba8765da36ac95933d8d2";

    /// The golden example's high-S twin: `(r, n - s)`, as the code before
    /// low-S normalization produced it.
    const GOLDEN_HIGH_S_HEX: &str = "4c5349470101010030505df3597f3f0a19629fff4756291aceeefa2a82045f6e04e8f383be3c674ac41ffdf7317b344adcd50a1de2261983fd02003c61726e3a6177733a7369676e65723a75732d656173742d313a3132333435363738393031323a2f7369676e696e672d70726f66696c65732f702f763103003661726e3a6177733a7369676e65723a75732d656173742d313a3132333435363738393031323a2f7369676e696e672d6a6f62732f6a31040008000000006955b900050008000000006b36ec8006006068348c647aaae995ae23ff35dd9c371c70d9415294ae3a4dc032b09b300c9ba250d4f892f871aa6cc01a609455faa5118a93a9bd52059c8b9eb1cb6c6e8d2ebb0ff2ec711abbf48a52b4cce572e707d854b2daa86d04ff048f48aea1739150a1";

    #[test]
    fn a_high_s_signature_is_rejected_not_verified() {
        let key = SigningKey::from_test_scalar(&[0x42; 48]).public_key();
        let low = Envelope::parse(&hex::decode(GOLDEN_HEX).expect("hex")).expect("parse");
        let high = Envelope::parse(&hex::decode(GOLDEN_HIGH_S_HEX).expect("hex")).expect("parse");
        assert_eq!(low.claims, high.claims);
        assert!(low.signature_valid(&key));
        assert!(
            !high.signature_valid(&key),
            "a malleated (high-S) signature verified"
        );
        assert!(low.well_formed() && !high.well_formed());
        assert_eq!(
            high.verify(&low.claims.content_sha384, &key, low.claims.signed_at),
            Err(VerifyError::BadSignature)
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = Envelope::parse(&bytes);
        }

        #[test]
        fn parse_never_panics_on_lsig_prefixed(tail in proptest::collection::vec(any::<u8>(), 0..400)) {
            let bytes = [&b"LSIG\x01\x01"[..], &tail[..]].concat();
            let _ = Envelope::parse(&bytes);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn mutations_of_a_valid_envelope_never_panic_nor_verify(
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
            cut in any::<prop::sample::Index>(),
            truncate in any::<bool>(),
        ) {
            let key = SigningKey::from_test_scalar(&[0x42; 48]);
            let envelope = Envelope::sign(sample_claims([9; 48]), &key).expect("sign");
            let original = envelope.encode().expect("encode");
            let mut bytes = original.clone();
            for (index, value) in &edits {
                let i = index.index(bytes.len());
                bytes[i] = *value;
            }
            if truncate {
                bytes.truncate(cut.index(bytes.len()));
            }
            if bytes != original {
                if let Ok(parsed) = Envelope::parse(&bytes) {
                    prop_assert!(!parsed.signature_valid(&key.public_key()));
                }
            }
        }
    }
}
