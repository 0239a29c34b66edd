//! Signing keys this process has already parsed, by profile version.
//!
//! Loading a P-384 key from PKCS#8 derives its public point, one scalar
//! multiplication: as much CPU as the signature itself, paid again for
//! every artifact an apply signs with the same profile. Each entry keeps
//! the SHA-384 of the stored bytes it came from, and is used only while the
//! store still holds those bytes, so a store replaced under a running
//! process is never answered from memory.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::backend::BackendResult;
use crate::domain::digest::Sha384Hasher;
use crate::domain::keys::SigningKey;

#[derive(Default)]
pub struct KeyCache {
    keys: Mutex<HashMap<String, (Fingerprint, Arc<SigningKey>)>>,
}

type Fingerprint = [u8; 48];

impl KeyCache {
    /// The key `stored` (as read from the store for `version_arn`) holds,
    /// parsed by `parse` unless these very bytes were parsed before.
    pub fn get_or_parse(
        &self,
        version_arn: &str,
        stored: &[u8],
        parse: impl FnOnce() -> BackendResult<SigningKey>,
    ) -> BackendResult<Arc<SigningKey>> {
        let fingerprint = Sha384Hasher::digest(stored);
        // A poisoned map holds only complete entries: inserts are single calls.
        let cached = |keys: &HashMap<_, (Fingerprint, Arc<SigningKey>)>| {
            keys.get(version_arn)
                .filter(|(seen, _)| *seen == fingerprint)
                .map(|(_, key)| Arc::clone(key))
        };
        if let Some(key) = cached(&self.keys.lock().unwrap_or_else(|e| e.into_inner())) {
            return Ok(key);
        }
        let key = Arc::new(parse()?);
        self.keys
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(version_arn.to_string(), (fingerprint, Arc::clone(&key)));
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_once_per_stored_bytes_and_again_when_they_change() {
        let cache = KeyCache::default();
        let parsed = std::cell::Cell::new(0);
        let load = |bytes: &[u8]| {
            cache
                .get_or_parse("v1", bytes, || {
                    parsed.set(parsed.get() + 1);
                    Ok(SigningKey::generate())
                })
                .map(|key| key.public_key())
        };
        let first = load(b"stored key").expect("first");
        assert_eq!(load(b"stored key").expect("again"), first);
        assert_ne!(load(b"another key").expect("replaced"), first);
        assert_eq!(parsed.get(), 2);
    }
}
