//! ECDSA P-384 keys (RustCrypto `p384`), the only algorithm of the `LSIG`
//! envelope (algorithm byte 1 = ECDSA P-384 over SHA-384).
//!
//! * Signing hashes the message with SHA-384 and uses RFC 6979 deterministic
//!   nonces: the same key and message always give the same signature, and no
//!   randomness is needed at signing time.
//! * Signatures are the fixed-width 96-byte `r || s` encoding (48 bytes each,
//!   big-endian), not DER.
//! * Signatures are low-S: `s` is at most half the group order (`n / 2`).
//!   ECDSA is malleable: if `(r, s)` verifies then so does `(r, n - s)`.
//!   Signing normalizes to the low twin and verification rejects the high
//!   one, so each message and key have exactly one valid signature.
//! * Verification is otherwise `p384`'s own: it rejects `r` or `s` equal to
//!   zero or not below the group order.

use std::fmt;

use p384::ecdsa::signature::Signer;
use p384::ecdsa::{Signature, SigningKey as EcdsaSigningKey, VerifyingKey};
use p384::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use sha2::{Digest, Sha384};
use zeroize::Zeroizing;

/// Length of a fixed-width P-384 signature, `r || s`.
pub const SIGNATURE_BYTES: usize = 96;

/// Why a key could not be loaded. Messages never contain key material.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("not a valid PKCS#8 P-384 private key: {0}")]
    Pkcs8(String),
    #[error("not a valid SEC1-encoded P-384 public key")]
    Sec1,
    #[error("could not encode the private key as PKCS#8: {0}")]
    Encode(String),
}

/// A P-384 private key. The secret scalar is zeroized on drop (by `p384`),
/// and `Debug` never prints it.
pub struct SigningKey {
    inner: EcdsaSigningKey,
}

impl SigningKey {
    /// A fresh key from the operating system's random number generator.
    pub fn generate() -> Self {
        Self {
            inner: EcdsaSigningKey::random(&mut rand_core::OsRng),
        }
    }

    /// PKCS#8 v1 DER (`PrivateKeyInfo`), in a buffer wiped on drop.
    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let document = self
            .inner
            .to_pkcs8_der()
            .map_err(|e| KeyError::Encode(e.to_string()))?;
        Ok(Zeroizing::new(document.as_bytes().to_vec()))
    }

    /// Loads a PKCS#8 DER P-384 private key (as written by [`Self::to_pkcs8_der`]
    /// or `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384`).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        EcdsaSigningKey::from_pkcs8_der(der)
            .map(|inner| Self { inner })
            .map_err(|e| KeyError::Pkcs8(e.to_string()))
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey {
            inner: *self.inner.verifying_key(),
        }
    }

    /// ECDSA signature over SHA-384(`message`), RFC 6979 deterministic,
    /// low-S, fixed-width `r || s`.
    pub fn sign(&self, message: &[u8]) -> [u8; SIGNATURE_BYTES] {
        let signature: Signature = self.inner.sign(message);
        let signature = signature.normalize_s().unwrap_or(signature);
        let mut out = [0u8; SIGNATURE_BYTES];
        out.copy_from_slice(&signature.to_bytes());
        out
    }

    /// Test-only: a key from a raw secret scalar, for golden vectors.
    #[cfg(test)]
    pub(super) fn from_test_scalar(scalar: &[u8; 48]) -> Self {
        Self {
            inner: EcdsaSigningKey::from_slice(scalar).expect("valid test scalar"),
        }
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(P-384, <redacted>)")
    }
}

/// A P-384 public key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey {
    inner: VerifyingKey,
}

impl PublicKey {
    /// SEC1 uncompressed point: `0x04 || X || Y`, 97 bytes.
    pub fn to_sec1_bytes(&self) -> Vec<u8> {
        self.inner.to_encoded_point(false).as_bytes().to_vec()
    }

    /// Parses a SEC1 point (uncompressed or compressed); rejects the identity
    /// and points not on the curve.
    pub fn from_sec1_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        VerifyingKey::from_sec1_bytes(bytes)
            .map(|inner| Self { inner })
            .map_err(|_| KeyError::Sec1)
    }

    /// True when `signature` is a valid low-S ECDSA P-384 / SHA-384
    /// signature of `message` under this key. The high-S twin of a valid
    /// signature is rejected (see the module docs).
    ///
    /// The verification itself is aws-lc's (already linked for TLS): about
    /// twice as fast as RustCrypto's `p384` here, and a plan verifies every
    /// artifact whose bytes are not, exactly, what this store's signing
    /// wrote (issue 12's profile of a 300-artifact plan).
    pub fn verify(&self, message: &[u8], signature: &[u8; SIGNATURE_BYTES]) -> bool {
        use aws_lc_rs::signature::{UnparsedPublicKey, ECDSA_P384_SHA384_FIXED};
        match Signature::from_slice(signature) {
            Ok(parsed) if is_high_s(&parsed) => false,
            Ok(_) => UnparsedPublicKey::new(&ECDSA_P384_SHA384_FIXED, self.to_sec1_bytes())
                .verify(message, signature)
                .is_ok(),
            Err(_) => false,
        }
    }

    /// Short identifier: lowercase hex of the first 16 bytes of
    /// SHA-384(uncompressed SEC1 point), 32 characters.
    pub fn fingerprint(&self) -> String {
        let digest = Sha384::digest(self.to_sec1_bytes());
        hex::encode(&digest[..16])
    }
}

/// Whether `signature` has the form every valid signature has now: it
/// parses, and its `s` is in the lower half (see the module docs). What
/// [`PublicKey::verify`] requires besides the ECDSA equation itself.
pub fn is_canonical(signature: &[u8; SIGNATURE_BYTES]) -> bool {
    Signature::from_slice(signature).is_ok_and(|parsed| !is_high_s(&parsed))
}

/// Whether `s` is above half the group order.
fn is_high_s(signature: &Signature) -> bool {
    signature.normalize_s().is_some()
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey(P-384, {})", self.fingerprint())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_round_trip() {
        let key = SigningKey::generate();
        let signature = key.sign(b"hello");
        assert!(key.public_key().verify(b"hello", &signature));
        assert!(!key.public_key().verify(b"hellp", &signature));
    }

    #[test]
    fn signing_is_deterministic() {
        let key = SigningKey::generate();
        assert_eq!(key.sign(b"m"), key.sign(b"m"));
    }

    #[test]
    fn wrong_key_fails() {
        let key = SigningKey::generate();
        let other = SigningKey::generate();
        let signature = key.sign(b"message");
        assert!(!other.public_key().verify(b"message", &signature));
    }

    #[test]
    fn garbage_and_zero_signatures_fail() {
        let key = SigningKey::generate();
        assert!(!key.public_key().verify(b"m", &[0u8; 96]));
        assert!(!key.public_key().verify(b"m", &[0xff; 96]));
        let mut flipped = key.sign(b"m");
        for i in [0, 47, 48, 95] {
            flipped[i] ^= 1;
            assert!(!key.public_key().verify(b"m", &flipped));
            flipped[i] ^= 1;
        }
    }

    /// The high-S twin `(r, n - s)` of a signature.
    fn high_s_twin(bytes: &[u8; SIGNATURE_BYTES]) -> [u8; SIGNATURE_BYTES] {
        let signature = Signature::from_slice(bytes).expect("signature");
        let (r, s) = signature.split_scalars();
        let twin = Signature::from_scalars(r, -*s).expect("twin");
        let mut out = [0u8; SIGNATURE_BYTES];
        out.copy_from_slice(&twin.to_bytes());
        out
    }

    #[test]
    fn signatures_are_low_s_and_a_high_s_twin_does_not_verify() {
        // Enough messages that RFC 6979 gives high-S raw signatures too
        // (about half of them), which signing must normalize.
        let key = SigningKey::generate();
        for i in 0u32..64 {
            let message = i.to_be_bytes();
            let bytes = key.sign(&message);
            let signature = Signature::from_slice(&bytes).expect("signature");
            assert!(!is_high_s(&signature), "message {i} signed high-S");
            assert!(key.public_key().verify(&message, &bytes));
            let twin = high_s_twin(&bytes);
            assert_ne!(twin, bytes);
            assert!(
                !key.public_key().verify(&message, &twin),
                "the high-S twin of message {i}'s signature verified"
            );
        }
    }

    #[test]
    fn pkcs8_round_trip() {
        let key = SigningKey::generate();
        let der = key.to_pkcs8_der().expect("encode");
        let loaded = SigningKey::from_pkcs8_der(&der).expect("decode");
        assert_eq!(loaded.public_key(), key.public_key());
        assert_eq!(loaded.sign(b"x"), key.sign(b"x"));
    }

    #[test]
    fn pkcs8_rejects_garbage_without_echoing_it() {
        let err = SigningKey::from_pkcs8_der(b"\x30\x03secret").unwrap_err();
        assert!(!err.to_string().contains("secret"));
        assert!(SigningKey::from_pkcs8_der(&[]).is_err());
    }

    #[test]
    fn sec1_round_trip_and_fingerprint() {
        let key = SigningKey::generate().public_key();
        let sec1 = key.to_sec1_bytes();
        assert_eq!(sec1.len(), 97);
        assert_eq!(sec1[0], 0x04);
        assert_eq!(PublicKey::from_sec1_bytes(&sec1).expect("parse"), key);
        assert_eq!(key.fingerprint().len(), 32);
        assert!(PublicKey::from_sec1_bytes(&sec1[..96]).is_err());
        assert!(PublicKey::from_sec1_bytes(&[0u8; 97]).is_err());
    }

    #[test]
    fn debug_hides_secrets() {
        let key = SigningKey::from_test_scalar(&[0x11; 48]);
        let debug = format!("{key:?} {:#?}", key);
        assert_eq!(format!("{key:?}"), "SigningKey(P-384, <redacted>)");
        assert!(!debug.contains("11111111"));
        assert!(!debug.to_lowercase().contains("scalar"));
        assert!(format!("{:?}", key.public_key()).starts_with("PublicKey(P-384, "));
    }
}
