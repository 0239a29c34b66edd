//! Streaming SHA-384: constant memory whatever the file size.
//!
//! With the default feature `openssl`, the system's libcrypto: its AVX2 +
//! BMI2 SHA-512 assembly hashed at ~0.95x `openssl dgst -sha384` on the AMD
//! EPYC machines here, where RustCrypto's `sha2` (AVX2 intrinsics, with or
//! without `asm`) and aws-lc (no AVX2 SHA-512; its generic code on AMD)
//! both ran at ~1.3x. Without the feature, `sha2`. `scripts/bench.sh`
//! measures it against `openssl dgst -sha384` in the same run.

use std::io::Read;
use std::path::Path;

#[cfg(feature = "openssl")]
use openssl::sha::Sha384;
#[cfg(not(feature = "openssl"))]
use sha2::{Digest, Sha384};

/// Large enough to amortise syscalls, small enough that the data read is
/// still in L1/L2 when hashed: 64 KiB hashed ~1.3x `openssl dgst -sha384`
/// where 256 KiB hashed ~1.5x (notes in issue 12).
pub(super) const BUFFER_BYTES: usize = 64 * 1024;

/// An incremental SHA-384; cloning it forks the computation (the artifact
/// container hashes the content, then content + trailer, in one pass).
#[derive(Clone)]
pub struct Sha384Hasher(Sha384);

impl Sha384Hasher {
    pub fn new() -> Self {
        Sha384Hasher(Sha384::new())
    }

    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    #[cfg(feature = "openssl")]
    pub fn finalize(self) -> [u8; 48] {
        self.0.finish()
    }

    #[cfg(not(feature = "openssl"))]
    pub fn finalize(self) -> [u8; 48] {
        self.0.finalize().into()
    }

    /// SHA-384 of one buffer.
    pub fn digest(data: &[u8]) -> [u8; 48] {
        let mut hasher = Self::new();
        hasher.update(data);
        hasher.finalize()
    }
}

impl Default for Sha384Hasher {
    fn default() -> Self {
        Self::new()
    }
}

/// SHA-384 of everything `reader` yields.
pub fn sha384_reader(mut reader: impl Read) -> std::io::Result<[u8; 48]> {
    let mut hasher = Sha384Hasher::new();
    let mut buffer = vec![0u8; BUFFER_BYTES];
    loop {
        match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buffer[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(hasher.finalize())
}

/// SHA-384 of a regular file's contents (anything else is refused before
/// it is opened: see `files::open_regular`).
pub fn sha384_file(path: &Path) -> std::io::Result<[u8; 48]> {
    sha384_reader(super::files::open_regular(path)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_published_test_vectors() {
        // FIPS 180-2 appendix D examples.
        assert_eq!(
            hex::encode(sha384_reader(&b""[..]).expect("read")),
            "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b"
        );
        assert_eq!(
            hex::encode(sha384_reader(&b"abc"[..]).expect("read")),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"
        );
    }

    #[test]
    fn spans_buffer_boundaries() {
        let data: Vec<u8> = (0..(BUFFER_BYTES * 2 + 7))
            .map(|i| (i % 251) as u8)
            .collect();
        let whole: [u8; 48] =
            sha2::Digest::finalize(<sha2::Sha384 as sha2::Digest>::new_with_prefix(&data)).into();
        assert_eq!(sha384_reader(&data[..]).expect("read"), whole);
    }
}
