//! The chain of chunk signatures of a signed `aws-chunked` body (SigV4
//! streaming), checked chunk by chunk as the body is decoded.

/// A chunk (numbered from 1; 0 for the trailer) whose signature does not
/// continue the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkMismatch(pub usize);

/// The chain of chunk signatures of a signed `aws-chunked` body, seeded by
/// the request's own signature: each chunk is signed over the previous
/// signature and its own SHA-256 (AWS's `AWS4-HMAC-SHA256-PAYLOAD`), the
/// trailer over the last chunk's (`AWS4-HMAC-SHA256-TRAILER`). Signatures
/// are computed with `aws-sigv4`'s signing key and HMAC.
#[derive(Clone, PartialEq, Eq)]
pub struct ChunkSigning {
    signing_key: zeroize::Zeroizing<Vec<u8>>,
    date_time: String,
    scope: String,
    previous: String,
}

impl std::fmt::Debug for ChunkSigning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkSigning")
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl ChunkSigning {
    /// The chain seeded by a request's `signature`, under its signing key.
    pub fn new(signing_key: &[u8], date_time: &str, scope: &str, signature: &str) -> Self {
        ChunkSigning {
            signing_key: zeroize::Zeroizing::new(signing_key.to_vec()),
            date_time: date_time.to_string(),
            scope: scope.to_string(),
            previous: signature.to_string(),
        }
    }

    fn sign(&self, algorithm: &str, payload_hash: &str) -> String {
        let string_to_sign = format!(
            "{algorithm}\n{}\n{}\n{}\n{payload_hash}",
            self.date_time, self.scope, self.previous
        );
        aws_sigv4::sign::v4::calculate_signature(&self.signing_key[..], string_to_sign.as_bytes())
    }

    /// Checks chunk `number` (from 1; the final empty chunk too).
    pub fn next_chunk(
        &mut self,
        number: usize,
        data: &[u8],
        sent: Option<&str>,
    ) -> Result<(), ChunkMismatch> {
        use sha2::Digest as _;
        let hashes = format!(
            "{}\n{}",
            hex::encode(sha2::Sha256::digest(b"")),
            hex::encode(sha2::Sha256::digest(data))
        );
        let expected = self.sign("AWS4-HMAC-SHA256-PAYLOAD", &hashes);
        match sent {
            Some(sent) if same(&expected, sent) => {
                self.previous = expected;
                Ok(())
            }
            _ => Err(ChunkMismatch(number)),
        }
    }

    /// Checks the trailer's signature, when the body carries one.
    pub fn trailer(&self, trailers: &[(String, String)]) -> Result<(), ChunkMismatch> {
        use sha2::Digest as _;
        let Some((_, sent)) = trailers
            .iter()
            .find(|(name, _)| name == "x-amz-trailer-signature")
        else {
            return Ok(());
        };
        let mut signed: Vec<&(String, String)> = trailers
            .iter()
            .filter(|(name, _)| name != "x-amz-trailer-signature")
            .collect();
        signed.sort_by(|a, b| a.0.cmp(&b.0));
        let canonical: String = signed
            .iter()
            .map(|(name, value)| format!("{name}:{}\n", value.trim()))
            .collect();
        let expected = self.sign(
            "AWS4-HMAC-SHA256-TRAILER",
            &hex::encode(sha2::Sha256::digest(canonical.as_bytes())),
        );
        if same(&expected, sent) {
            Ok(())
        } else {
            Err(ChunkMismatch(0))
        }
    }
}

/// Constant-time comparison of two signatures.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}
