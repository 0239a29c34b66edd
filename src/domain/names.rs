//! The naming rules of Signer and Lambda, each written once: account ids,
//! regions, profile names and versions, statement ids, layer and function
//! names, organization ids and principals. Every front end, the backends
//! and the ARN parsers call these; none repeats a pattern.
//!
//! A rule returns [`Invalid`] with a sentence that says what was found and
//! what is allowed; whoever knows the field attaches its path.

use std::fmt;

/// A value that breaks a naming rule; the text says what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

pub(super) type Rule = Result<(), Invalid>;

pub(super) fn invalid(text: impl Into<String>) -> Rule {
    Err(Invalid(text.into()))
}

/// Whether `text` has `min..=max` characters, each alphanumeric or in `extra`.
fn word(text: &str, min: usize, max: usize, extra: &[u8]) -> bool {
    (min..=max).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || extra.contains(&b))
}

/// The account this emulation and the docs use when none is given: the AWS
/// documentation's and moto's example account.
pub const EXAMPLE_ACCOUNT: &str = "123456789012";

/// An AWS account id: exactly 12 digits.
pub fn account_id(text: &str) -> Rule {
    if text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        invalid(format!(
            "{text:?} is not an AWS account id: it must be exactly 12 digits, e.g. \"111111111111\""
        ))
    }
}

/// An AWS region name: a two-letter area, one or more lower-case words and
/// a number (`us-east-1`, `us-gov-west-1`, `ap-southeast-2`).
pub fn region(text: &str) -> Rule {
    let parts: Vec<&str> = text.split('-').collect();
    let valid = parts.len() >= 3
        && text.len() <= 32
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if valid {
        Ok(())
    } else {
        invalid(format!(
            "{text:?} is not an AWS region name such as \"us-east-1\""
        ))
    }
}

/// Longest signing profile name.
pub const MAX_PROFILE_NAME: usize = 64;
/// Characters a generated name adds after its prefix.
pub const GENERATED_SUFFIX_LEN: usize = 26;

/// A signing profile name: 2 to 64 letters, digits or underscores.
pub fn profile_name(text: &str) -> Rule {
    if word(text, 2, MAX_PROFILE_NAME, b"_") {
        Ok(())
    } else {
        invalid(format!(
            "{text:?} is not a signing profile name: 2 to {MAX_PROFILE_NAME} letters, digits or underscores"
        ))
    }
}

/// A prefix of a generated profile name: leaves room for the suffix.
pub fn profile_name_prefix(text: &str) -> Rule {
    let max = MAX_PROFILE_NAME - GENERATED_SUFFIX_LEN;
    if word(text, 1, max, b"_") {
        Ok(())
    } else {
        invalid(format!(
            "{text:?} is not a profile name prefix: 1 to {max} letters, digits or underscores"
        ))
    }
}

/// Signer's profile version: exactly 10 letters or digits.
pub fn profile_version(text: &str) -> Rule {
    if word(text, 10, 10, b"") {
        Ok(())
    } else {
        invalid(format!(
            "{text:?} is not a Signer profile version: exactly 10 letters or digits (a profile's `version`)"
        ))
    }
}

/// Longest signing job id.
pub const MAX_JOB_ID: usize = 64;

/// A signing job id: letters, digits and dashes.
pub fn job_id(text: &str) -> Rule {
    if word(text, 1, MAX_JOB_ID, b"-") {
        Ok(())
    } else {
        invalid(format!(
            "{text:?} is not a signing job id: 1 to {MAX_JOB_ID} letters, digits or '-'"
        ))
    }
}

/// Longest statement id in a signing profile's policy.
pub const MAX_PROFILE_STATEMENT_ID: usize = 64;

/// A statement id of a signing profile's policy.
pub fn profile_statement_id(text: &str) -> Rule {
    if word(text, 1, MAX_PROFILE_STATEMENT_ID, b"_-") {
        Ok(())
    } else {
        invalid(format!(
            "{text:?} is not a statement id: 1 to {MAX_PROFILE_STATEMENT_ID} letters, digits, '-' or '_'"
        ))
    }
}

/// A prefix of a generated profile statement id.
pub fn profile_statement_id_prefix(text: &str) -> Rule {
    let max = MAX_PROFILE_STATEMENT_ID - GENERATED_SUFFIX_LEN;
    if word(text, 1, max, b"_-") {
        Ok(())
    } else {
        invalid(format!(
            "{text:?} is not a statement id prefix: 1 to {max} letters, digits, '-' or '_'"
        ))
    }
}

/// Longest statement id in a layer version's policy.
pub const MAX_LAYER_STATEMENT_ID: usize = 100;

/// A statement id of a layer version's policy.
pub fn layer_statement_id(text: &str) -> Rule {
    if word(text, 1, MAX_LAYER_STATEMENT_ID, b"_-") {
        Ok(())
    } else {
        invalid(format!(
            "{text:?} is not a statement id: 1 to {MAX_LAYER_STATEMENT_ID} letters, digits, '-' or '_'"
        ))
    }
}

/// Longest layer name.
pub const MAX_LAYER_NAME: usize = 64;

/// A layer name (not an ARN): letters, digits, '-' and '_'.
pub fn layer_name(text: &str) -> Rule {
    if word(text, 1, MAX_LAYER_NAME, b"_-") {
        Ok(())
    } else {
        invalid(format!(
            "{text:?} is not a layer name: 1 to {MAX_LAYER_NAME} letters, digits, '-' or '_'"
        ))
    }
}

/// Longest function name.
pub const MAX_FUNCTION_NAME: usize = 64;

/// A function name (not an ARN): letters, digits, '-' and '_'.
pub fn function_name(text: &str) -> Rule {
    if word(text, 1, MAX_FUNCTION_NAME, b"_-") {
        Ok(())
    } else {
        invalid(format!(
            "{text:?} is not a function name: 1 to {MAX_FUNCTION_NAME} letters, digits, '-' or '_'"
        ))
    }
}

/// An AWS Organizations id: `o-` and 10 to 32 lower-case letters or digits.
pub fn organization_id(text: &str) -> Rule {
    let valid = text.strip_prefix("o-").is_some_and(|rest| {
        (10..=32).contains(&rest.len())
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    });
    if valid {
        Ok(())
    } else {
        invalid(format!(
            "{text:?} is not an organization id such as o-a1b2c3d4e5 (o- and 10 to 32 lower-case letters or digits)"
        ))
    }
}

/// Who a layer grant is for: an account id, or `*` for everyone.
pub fn layer_principal(text: &str) -> Rule {
    if text == "*" || account_id(text).is_ok() {
        Ok(())
    } else {
        invalid(format!(
            "{text:?} is not a layer principal: a 12-digit account id or \"*\""
        ))
    }
}

/// An S3 bucket name: 3 to 63 lower-case letters, digits, '.' and '-',
/// starting and ending with a letter or digit, without "..", and not
/// shaped like an IP address.
pub fn bucket_name(text: &str) -> Rule {
    let bytes = text.as_bytes();
    let valid = (3..=63).contains(&text.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'.' || *b == b'-')
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
        && !text.contains("..")
        && text.parse::<std::net::Ipv4Addr>().is_err();
    if valid {
        Ok(())
    } else {
        invalid(format!(
            "{text:?} is not an S3 bucket name: 3 to 63 lower-case letters, digits, '.' or '-', starting and ending with a letter or digit"
        ))
    }
}

/// An S3 object key: 1 to 1024 bytes.
pub fn object_key(text: &str) -> Rule {
    if (1..=1024).contains(&text.len()) {
        Ok(())
    } else {
        invalid(format!(
            "an S3 object key has 1 to 1024 bytes; found {}",
            text.len()
        ))
    }
}

/// Longest description of a code signing config or a layer version.
pub const MAX_DESCRIPTION: usize = 256;

/// A description: at most 256 characters.
pub fn description(text: &str) -> Rule {
    let count = text.chars().count();
    if count <= MAX_DESCRIPTION {
        Ok(())
    } else {
        invalid(format!(
            "the description has {count} characters; at most {MAX_DESCRIPTION} are allowed"
        ))
    }
}

/// An instruction set a layer is compatible with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Architecture {
    X86_64,
    Arm64,
}

impl Architecture {
    pub fn as_str(self) -> &'static str {
        match self {
            Architecture::X86_64 => "x86_64",
            Architecture::Arm64 => "arm64",
        }
    }

    pub fn parse(text: &str) -> Result<Self, Invalid> {
        match text {
            "x86_64" => Ok(Architecture::X86_64),
            "arm64" => Ok(Architecture::Arm64),
            _ => Err(Invalid(format!(
                "{text:?} is not an architecture: x86_64 or arm64"
            ))),
        }
    }
}

impl fmt::Display for Architecture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A compatible architecture, as a rule over text.
pub fn architecture(text: &str) -> Rule {
    Architecture::parse(text).map(|_| ())
}

/// A Lambda runtime identifier such as `python3.12` or `provided.al2023`:
/// lower-case letters, digits, dots and dashes.
pub fn runtime(text: &str) -> Rule {
    let valid = !text.is_empty()
        && text.len() <= 32
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    if valid {
        Ok(())
    } else {
        invalid(format!(
            "{text:?} is not a Lambda runtime identifier such as \"python3.12\" or \"provided.al2023\""
        ))
    }
}

/// A random lower-case alphanumeric suffix for generated names and ids.
pub fn random_suffix(len: usize) -> String {
    use rand_core::RngCore as _;
    let mut bytes = vec![0u8; len];
    rand_core::OsRng.fill_bytes(&mut bytes);
    suffix_of(&bytes)
}

/// Bytes as the lower-case alphanumerics of a generated suffix, one each.
fn suffix_of(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

/// A generated name: `prefix` plus a random suffix.
pub fn generated(prefix: &str) -> String {
    format!("{prefix}{}", random_suffix(GENERATED_SUFFIX_LEN))
}

/// A generated name whose suffix comes from `seed` (a CloudFormation
/// request's token and logical id) instead of chance: a request that is
/// retried names the resource it already made, so it makes no second one.
pub fn generated_from(prefix: &str, seed: &str) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(seed.as_bytes());
    format!("{prefix}{}", suffix_of(&digest[..GENERATED_SUFFIX_LEN]))
}

/// The prefix a [`generated`] name was made from; `None` when the name
/// cannot be one.
pub fn prefix_of(name: &str) -> Option<&str> {
    let cut = name.len().checked_sub(GENERATED_SUFFIX_LEN)?;
    let (prefix, suffix) = (name.get(..cut)?, name.get(cut..)?);
    let generated = !prefix.is_empty()
        && suffix
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    generated.then_some(prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (rule, accepted, rejected)
    type Case = (
        fn(&str) -> Rule,
        &'static [&'static str],
        &'static [&'static str],
    );

    #[test]
    fn the_prefix_of_a_generated_name_is_found_and_other_names_never_panic() {
        let name = generated("app_");
        assert_eq!(prefix_of(&name), Some("app_"));
        assert_eq!(prefix_of("short"), None);
        assert_eq!(prefix_of(&"x".repeat(GENERATED_SUFFIX_LEN)), None);
        // A cut inside a multi-byte character (names from outside are any text).
        let inside = format!("aé{}", "a".repeat(GENERATED_SUFFIX_LEN - 1));
        assert_eq!(prefix_of(&inside), None);
        let unicode = format!("é{}", "a".repeat(GENERATED_SUFFIX_LEN));
        assert_eq!(prefix_of(&unicode), Some("é"));
    }

    #[test]
    fn each_rule_accepts_and_rejects_as_aws_does() {
        let cases: &[(&str, Case)] = &[
            (
                "account",
                (
                    account_id,
                    &["123456789012"],
                    &["12345678901", "1234567890123", "12345678901a", ""],
                ),
            ),
            (
                "region",
                (
                    region,
                    &["us-east-1", "us-gov-west-1", "ap-southeast-2"],
                    &["Europe", "us-east", "US-EAST-1", ""],
                ),
            ),
            (
                "profile name",
                (
                    profile_name,
                    &["ab", "app_profile", "A1"],
                    &["a", "with-dash", ""],
                ),
            ),
            (
                "profile version",
                (
                    profile_version,
                    &["Ab3De6Gh9J"],
                    &["short", "Ab3De6Gh9J1", "Ab3De6Gh9_"],
                ),
            ),
            (
                "profile statement",
                (
                    profile_statement_id,
                    &["a", "allow-dev_1"],
                    &["", "has space"],
                ),
            ),
            (
                "layer name",
                (layer_name, &["greeting-layer_1"], &["", "a:b"]),
            ),
            (
                "organization",
                (
                    organization_id,
                    &["o-a1b2c3d4e5"],
                    &["o-short", "a1b2c3d4e5f6", "o-A1B2C3D4E5"],
                ),
            ),
            (
                "layer principal",
                (layer_principal, &["*", "123456789012"], &["everyone"]),
            ),
            (
                "architecture",
                (architecture, &["x86_64", "arm64"], &["amd64"]),
            ),
            (
                "runtime",
                (
                    runtime,
                    &["python3.12", "provided.al2023", "nodejs20.x"],
                    &["", "Python 3"],
                ),
            ),
        ];
        for (what, (rule, good, bad)) in cases {
            for text in *good {
                assert_eq!(rule(text), Ok(()), "{what}: {text:?} must be accepted");
            }
            for text in *bad {
                assert!(rule(text).is_err(), "{what}: {text:?} must be rejected");
            }
        }
        assert!(profile_name(&"a".repeat(64)).is_ok());
        assert!(profile_name(&"a".repeat(65)).is_err());
        assert!(profile_name_prefix(&"a".repeat(38)).is_ok());
        assert!(profile_name_prefix(&"a".repeat(39)).is_err());
        assert!(description(&"é".repeat(256)).is_ok());
        assert!(description(&"é".repeat(257)).is_err());
    }

    #[test]
    fn names_generated_from_a_seed_repeat_for_it_alone() {
        let a = generated_from("app_", "token-1/Profile");
        assert_eq!(a, generated_from("app_", "token-1/Profile"));
        assert_ne!(a, generated_from("app_", "token-2/Profile"));
        assert_eq!(a.len(), "app_".len() + GENERATED_SUFFIX_LEN);
        assert_eq!(prefix_of(&a), Some("app_"));
    }

    #[test]
    fn generated_names_fit_the_rules() {
        let name = generated("p_");
        assert_eq!(name.len(), 2 + GENERATED_SUFFIX_LEN);
        assert_eq!(profile_name(&name), Ok(()));
        assert_eq!(profile_name(&generated(&"a".repeat(38))), Ok(()));
    }
}
