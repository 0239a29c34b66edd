//! Presigned content URLs, as AWS gives them in GetFunction's and
//! GetLayerVersion's `Location`: they expire, and open only what the
//! caller who asked could read (the URL is minted only in an answer the
//! caller was allowed). The key is random per process: URLs die with it.

use aws_lc_rs::hmac;
use chrono::{DateTime, Utc};

use super::http::encode_key;

/// How long a content URL works (AWS: 10 minutes).
const LIFETIME_SECS: i64 = 600;

pub struct Presigner {
    key: hmac::Key,
}

/// Why a content URL does not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    Unsigned,
    Expired,
    BadSignature,
}

impl Presigner {
    /// A presigner with a fresh random key.
    pub fn new() -> Result<Presigner, aws_lc_rs::error::Unspecified> {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        Ok(Presigner {
            key: hmac::Key::generate(hmac::HMAC_SHA256, &rng)?,
        })
    }

    /// The URL of `arn`'s content (`kind`: `function` or `layer`).
    pub fn url(&self, base_url: &str, kind: &str, arn: &str, now: DateTime<Utc>) -> String {
        let expires = now.timestamp() + LIFETIME_SECS;
        let signature = hex::encode(hmac::sign(
            &self.key,
            message(kind, arn, expires).as_bytes(),
        ));
        format!(
            "{base_url}/_lambdasign/code?{kind}={}&expires={expires}&signature={signature}",
            encode_key(arn)
        )
    }

    /// Whether a URL's `expires` and `signature` open `arn`'s content now.
    pub fn check(
        &self,
        kind: &str,
        arn: &str,
        expires: Option<&str>,
        signature: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), Refused> {
        let (Some(expires), Some(signature)) = (expires, signature) else {
            return Err(Refused::Unsigned);
        };
        let expires: i64 = expires.parse().map_err(|_| Refused::BadSignature)?;
        let signature = hex::decode(signature).map_err(|_| Refused::BadSignature)?;
        hmac::verify(
            &self.key,
            message(kind, arn, expires).as_bytes(),
            &signature,
        )
        .map_err(|_| Refused::BadSignature)?;
        if now.timestamp() > expires {
            return Err(Refused::Expired);
        }
        Ok(())
    }
}

fn message(kind: &str, arn: &str, expires: i64) -> String {
    format!("lambdasign-content-v1\n{kind}\n{arn}\n{expires}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_opens_its_own_content_until_it_expires_and_nothing_else() {
        let presigner = Presigner::new().expect("key");
        let now = Utc::now();
        let url = presigner.url("http://x", "layer", "arn:a", now);
        let query = url.split_once('?').expect("query").1;
        let param = |name: &str| {
            query
                .split('&')
                .find_map(|p| p.strip_prefix(&format!("{name}=")))
                .map(str::to_string)
        };
        let (expires, signature) = (param("expires"), param("signature"));
        let check = |kind, arn, at| {
            presigner.check(kind, arn, expires.as_deref(), signature.as_deref(), at)
        };
        assert_eq!(check("layer", "arn:a", now), Ok(()));
        assert_eq!(check("layer", "arn:b", now), Err(Refused::BadSignature));
        assert_eq!(check("function", "arn:a", now), Err(Refused::BadSignature));
        let later = now + chrono::Duration::seconds(LIFETIME_SECS + 1);
        assert_eq!(check("layer", "arn:a", later), Err(Refused::Expired));
        assert_eq!(
            presigner.check("layer", "arn:a", None, None, now),
            Err(Refused::Unsigned)
        );
        let other = Presigner::new().expect("key");
        assert_eq!(
            other.check(
                "layer",
                "arn:a",
                expires.as_deref(),
                signature.as_deref(),
                now
            ),
            Err(Refused::BadSignature),
            "another process's key"
        );
    }
}
