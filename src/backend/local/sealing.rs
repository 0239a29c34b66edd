//! Signing keys at rest: sealed with AES-256-GCM (aws-lc-rs, already linked
//! for TLS) under a store key that never enters the store: it comes from a
//! key file (`local { key_file }`, `--key-file`) or the environment
//! (`LAMBDASIGN_STORE_KEY`).
//!
//! A sealed private key is `"LSK1" || nonce (12) || ciphertext || tag (16)`,
//! with the signing profile version ARN as associated data, so a sealed key
//! cannot be moved to another version's row. The store records a sealed
//! check value (`store_settings.key_check`) when it is first given a key:
//! from then on a wrong key is refused when the store is opened, and a store
//! opened without its key can verify (public keys are not secret) but
//! neither sign nor make profiles.
//!
//! A store never given a key keeps its private keys as plain PKCS#8,
//! protected only by file modes (0700 directory, 0600 file): the emulator's
//! default, documented as such.

use std::path::{Path, PathBuf};

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use base64::Engine as _;
use zeroize::Zeroizing;

use crate::backend::{BackendError, BackendResult};

/// The environment variable that may hold the store key.
pub const STORE_KEY_ENV: &str = "LAMBDASIGN_STORE_KEY";
const MAGIC: &[u8; 4] = b"LSK1";
const KEY_BYTES: usize = 32;
const TAG_BYTES: usize = 16;
const CHECK_PLAINTEXT: &[u8] = b"lambdasign store key check v1";
const CHECK_AAD: &[u8] = b"lambdasign:key_check";

/// Where a store key came from, for messages (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    File(PathBuf),
    Env,
}

impl std::fmt::Display for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::File(path) => write!(f, "key file {}", path.display()),
            KeySource::Env => write!(f, "{STORE_KEY_ENV}"),
        }
    }
}

/// A 256-bit store key. Never printed; wiped on drop (copies too: the
/// store opened on first write keeps one).
#[derive(Clone)]
pub struct StoreKey {
    bytes: Zeroizing<[u8; KEY_BYTES]>,
    pub source: KeySource,
}

impl std::fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StoreKey(<redacted>, from {})", self.source)
    }
}

fn bad_key(source: &KeySource, why: &str) -> BackendError {
    let field = match source {
        KeySource::File(_) => "key_file",
        KeySource::Env => "store_key",
    };
    BackendError::invalid(
        field,
        format!("{source} {why}: a store key is 32 random bytes written as 64 hex digits (e.g. the output of `openssl rand -hex 32`) or as base64"),
    )
}

impl StoreKey {
    /// Parses 64 hex digits or base64 of 32 bytes (surrounding whitespace
    /// ignored). Errors never echo the text.
    pub fn parse(text: &str, source: KeySource) -> BackendResult<StoreKey> {
        let text = text.trim();
        let decoded = Zeroizing::new(if text.len() == 2 * KEY_BYTES {
            hex::decode(text).map_err(|_| bad_key(&source, "is not hex"))?
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|_| bad_key(&source, "is neither 64 hex digits nor base64"))?
        });
        if decoded.len() != KEY_BYTES {
            return Err(bad_key(
                &source,
                &format!("holds {} bytes, not {KEY_BYTES}", decoded.len()),
            ));
        }
        let mut bytes = Zeroizing::new([0u8; KEY_BYTES]);
        bytes.copy_from_slice(&decoded);
        Ok(StoreKey { bytes, source })
    }

    /// Reads a key file (a regular file; a warning when others may read it).
    pub fn from_file(path: &Path, warnings: &mut Vec<String>) -> BackendResult<StoreKey> {
        let source = KeySource::File(path.to_path_buf());
        let mut file = crate::domain::files::open_regular(path)
            .map_err(|e| BackendError::invalid("key_file", format!("cannot read {source}: {e}")))?;
        #[cfg(unix)]
        if let Ok(metadata) = file.metadata() {
            use std::os::unix::fs::PermissionsExt;
            let mode = metadata.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                warnings.push(format!(
                    "the store key file {} has mode {mode:04o}: other users may read it; run `chmod 600 {}`",
                    path.display(),
                    path.display()
                ));
            }
        }
        let mut text = Zeroizing::new(String::new());
        // A key file is small: read at most 4 KiB of it.
        std::io::Read::read_to_string(&mut std::io::Read::take(&mut file, 4096), &mut text)
            .map_err(|e| BackendError::invalid("key_file", format!("cannot read {source}: {e}")))?;
        StoreKey::parse(&text, source)
    }

    /// The key a configuration names: its key file, else the environment.
    pub fn configured(
        key_file: Option<&Path>,
        warnings: &mut Vec<String>,
    ) -> BackendResult<Option<StoreKey>> {
        if let Some(path) = key_file {
            return StoreKey::from_file(path, warnings).map(Some);
        }
        match std::env::var(STORE_KEY_ENV) {
            Ok(text) if !text.trim().is_empty() => {
                let text = Zeroizing::new(text);
                StoreKey::parse(&text, KeySource::Env).map(Some)
            }
            _ => Ok(None),
        }
    }

    fn aead(&self) -> BackendResult<LessSafeKey> {
        UnboundKey::new(&AES_256_GCM, &self.bytes[..])
            .map(LessSafeKey::new)
            .map_err(|_| BackendError::Internal("cannot use the store key".into()))
    }

    /// Seals `plaintext` with `aad` under a fresh random nonce.
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> BackendResult<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce)
            .map_err(|_| BackendError::Internal("no random bytes for a nonce".into()))?;
        let mut in_out = plaintext.to_vec();
        self.aead()?
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                &mut in_out,
            )
            .map_err(|_| BackendError::Internal("cannot seal a private key".into()))?;
        let mut out = Vec::with_capacity(MAGIC.len() + NONCE_LEN + in_out.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&in_out);
        Ok(out)
    }

    /// Opens what [`Self::seal`] made; `None` when the key or `aad` is not
    /// the one it was sealed with, or the bytes were changed.
    pub fn open(&self, sealed: &[u8], aad: &[u8]) -> BackendResult<Option<Zeroizing<Vec<u8>>>> {
        let Some(rest) = sealed.strip_prefix(MAGIC) else {
            return Ok(None);
        };
        if rest.len() < NONCE_LEN + TAG_BYTES {
            return Ok(None);
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let mut nonce_bytes = [0u8; NONCE_LEN];
        nonce_bytes.copy_from_slice(nonce);
        let mut in_out = Zeroizing::new(ciphertext.to_vec());
        let opened = self.aead()?.open_in_place(
            Nonce::assume_unique_for_key(nonce_bytes),
            Aad::from(aad),
            &mut in_out[..],
        );
        Ok(opened
            .ok()
            .map(|plaintext| Zeroizing::new(plaintext.to_vec())))
    }

    /// The check value recorded in a store first given this key.
    pub fn check_value(&self) -> BackendResult<Vec<u8>> {
        self.seal(CHECK_PLAINTEXT, CHECK_AAD)
    }

    /// Whether `check` was made with this key.
    pub fn matches(&self, check: &[u8]) -> BackendResult<bool> {
        Ok(self
            .open(check, CHECK_AAD)?
            .is_some_and(|plain| plain.as_slice() == CHECK_PLAINTEXT))
    }
}

/// How a store keeps its private keys.
#[derive(Debug)]
pub enum AtRest {
    /// Never given a key: plain PKCS#8.
    Plain,
    /// Sealed under this key.
    Sealed(StoreKey),
    /// Sealed, but opened without its key: no private key can be used or made.
    Locked,
}

/// The associated data of a sealed private key: its version ARN.
fn key_aad(version_arn: &str) -> Vec<u8> {
    [
        b"lambdasign:private_key:".as_slice(),
        version_arn.as_bytes(),
    ]
    .concat()
}

fn locked() -> BackendError {
    BackendError::Conflict(format!(
        "this store keeps its signing keys encrypted, and was opened without its key: give the store key with `local {{ key_file = ... }}` (provider), `--key-file` (CLI) or {STORE_KEY_ENV}, to sign or make signing profiles"
    ))
}

impl AtRest {
    /// Whether private keys can be used and made: not when the store is
    /// sealed and was opened without its key.
    pub fn check_usable(&self) -> BackendResult<()> {
        match self {
            AtRest::Locked => Err(locked()),
            AtRest::Plain | AtRest::Sealed(_) => Ok(()),
        }
    }

    /// How to store a new private key: the bytes and whether they are sealed.
    pub fn protect(&self, version_arn: &str, pkcs8: &[u8]) -> BackendResult<(Vec<u8>, bool)> {
        match self {
            AtRest::Plain => Ok((pkcs8.to_vec(), false)),
            AtRest::Sealed(key) => Ok((key.seal(pkcs8, &key_aad(version_arn))?, true)),
            AtRest::Locked => Err(locked()),
        }
    }

    /// The PKCS#8 of a stored private key.
    pub fn reveal(
        &self,
        version_arn: &str,
        stored: &[u8],
        sealed: bool,
    ) -> BackendResult<Zeroizing<Vec<u8>>> {
        match (self, sealed) {
            (_, false) => Ok(Zeroizing::new(stored.to_vec())),
            (AtRest::Sealed(key), true) => key.open(stored, &key_aad(version_arn))?.ok_or_else(|| {
                BackendError::Internal(format!(
                    "local store: the sealed private key of {version_arn} does not open with the store key ({}): it was changed, or sealed under another key",
                    key.source
                ))
            }),
            (_, true) => Err(locked()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> StoreKey {
        StoreKey::parse(&hex::encode([byte; 32]), KeySource::Env).expect("key")
    }

    #[test]
    fn keys_parse_from_hex_or_base64_and_errors_do_not_echo_them() {
        let hex_text = hex::encode([7u8; 32]);
        let b64 = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        let a = StoreKey::parse(&format!(" {hex_text}\n"), KeySource::Env).expect("hex");
        let b = StoreKey::parse(&b64, KeySource::Env).expect("base64");
        assert_eq!(a.bytes[..], b.bytes[..]);
        for bad in ["secret-passphrase", "00ff", &hex::encode([1u8; 31])] {
            let err = StoreKey::parse(bad, KeySource::Env)
                .expect_err(bad)
                .to_string();
            assert!(!err.contains(bad), "{err}");
            assert!(err.contains("32 random bytes"), "{err}");
        }
        assert!(!format!("{a:?}").contains(&hex_text));
    }

    #[test]
    fn sealed_keys_open_only_with_their_key_and_their_row() {
        let sealed = AtRest::Sealed(key(1));
        let (stored, is_sealed) = sealed.protect("arn:v1", b"pkcs8 bytes").expect("seal");
        assert!(is_sealed);
        assert!(!stored.windows(5).any(|w| w == b"pkcs8"));
        assert_eq!(
            sealed
                .reveal("arn:v1", &stored, true)
                .expect("open")
                .as_slice(),
            b"pkcs8 bytes"
        );
        assert!(sealed.reveal("arn:v2", &stored, true).is_err());
        assert!(AtRest::Sealed(key(2))
            .reveal("arn:v1", &stored, true)
            .is_err());
        let err = AtRest::Locked
            .reveal("arn:v1", &stored, true)
            .expect_err("locked");
        assert!(err.to_string().contains(STORE_KEY_ENV), "{err}");
        assert!(AtRest::Locked.protect("arn:v1", b"x").is_err());
        let check = key(1).check_value().expect("check");
        assert!(key(1).matches(&check).expect("match"));
        assert!(!key(2).matches(&check).expect("match"));
    }
}
