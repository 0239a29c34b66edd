//! Identifiers in AWS's formats, from the OS random number generator.

use rand_core::{OsRng, RngCore};

const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// Signer's profile version: 10 random alphanumeric characters.
pub fn profile_version() -> String {
    alphanumeric(10)
}

/// An S3 object version id: 32 random alphanumeric characters.
pub fn object_version() -> String {
    alphanumeric(32)
}

fn alphanumeric(len: usize) -> String {
    let mut out = String::with_capacity(len);
    while out.len() < len {
        let mut byte = [0u8; 1];
        OsRng.fill_bytes(&mut byte);
        // Rejection sampling keeps the distribution uniform (62 * 4 = 248).
        if (byte[0] as usize) < ALPHANUMERIC.len() * 4 {
            out.push(ALPHANUMERIC[byte[0] as usize % ALPHANUMERIC.len()] as char);
        }
    }
    out
}

/// A random UUID v4, lowercase, hyphenated: signing job ids and revision ids.
pub fn uuid_v4() -> String {
    let mut b = [0u8; 16];
    OsRng.fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Lambda's code signing config id: `csc-` and 17 lowercase hex characters.
pub fn code_signing_config_id() -> String {
    let mut b = [0u8; 9];
    OsRng.fill_bytes(&mut b);
    format!("csc-{}", &hex::encode(b)[..17])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let v = profile_version();
        assert_eq!(v.len(), 10);
        assert!(v.bytes().all(|c| c.is_ascii_alphanumeric()));
        let u = uuid_v4();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        let c = code_signing_config_id();
        assert_eq!(c.len(), 21);
        assert!(c[4..]
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_ne!(profile_version(), profile_version());
    }
}
