//! Resource tags, as Signer and Lambda keep them, and the provider-wide
//! default tags users set once (`default_tags`), merged the way the AWS
//! provider merges them: the resource's own tags win.

use std::collections::BTreeMap;

use super::names::Invalid;

pub type Tags = BTreeMap<String, String>;

/// Longest tag key, and longest tag value.
pub const MAX_KEY: usize = 128;
pub const MAX_VALUE: usize = 256;
/// Most tags on one resource.
pub const MAX_TAGS: usize = 50;

/// The tags a resource ends up with: `defaults` overlaid with its own.
pub fn effective(defaults: &Tags, own: &Tags) -> Tags {
    let mut all = defaults.clone();
    all.extend(own.iter().map(|(k, v)| (k.clone(), v.clone())));
    all
}

/// A resource's own tags, given all its tags: those the defaults do not
/// explain (a key missing from the defaults, or with another value), and
/// those its configuration sets itself, even to a default's value.
pub fn own(defaults: &Tags, all: &Tags, configured: &Tags) -> Tags {
    all.iter()
        .filter(|(k, v)| defaults.get(*k) != Some(*v) || configured.get(*k) == Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// One tag key: 1 to 128 characters, not in AWS's reserved `aws:` space.
pub fn key(text: &str) -> Result<(), Invalid> {
    let count = text.chars().count();
    if count == 0 || count > MAX_KEY {
        return Err(Invalid(format!(
            "tag key {text:?} must have 1 to {MAX_KEY} characters"
        )));
    }
    if text.to_ascii_lowercase().starts_with("aws:") {
        return Err(Invalid(format!(
            "tag key {text:?} uses the reserved prefix \"aws:\""
        )));
    }
    Ok(())
}

/// One tag value: at most 256 characters.
pub fn value(text: &str) -> Result<(), Invalid> {
    if text.chars().count() > MAX_VALUE {
        return Err(Invalid(format!(
            "tag value {text:?} has more than {MAX_VALUE} characters"
        )));
    }
    Ok(())
}

/// A whole set of tags: each key and value, and the count.
pub fn check(tags: &Tags) -> Result<(), Invalid> {
    if tags.len() > MAX_TAGS {
        return Err(Invalid(format!(
            "{} tags; at most {MAX_TAGS} are allowed",
            tags.len()
        )));
    }
    for (k, v) in tags {
        key(k)?;
        value(v)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_tags_win_over_defaults() {
        let defaults = Tags::from([
            ("team".into(), "platform".into()),
            ("env".into(), "prod".into()),
        ]);
        let mine = Tags::from([("team".into(), "payments".into())]);
        let all = effective(&defaults, &mine);
        assert_eq!(all["team"], "payments");
        assert_eq!(all["env"], "prod");
        assert_eq!(own(&defaults, &all, &Tags::new()), mine);
        // Set to the default's value by the resource itself: still its own.
        let same = Tags::from([("env".into(), "prod".into())]);
        assert_eq!(own(&defaults, &effective(&defaults, &same), &same), same);
    }

    #[test]
    fn reserved_and_oversized_tags_are_refused() {
        assert!(key("aws:cloudformation:stack-name").is_err());
        assert!(key("").is_err());
        assert!(key(&"k".repeat(129)).is_err());
        assert!(value(&"v".repeat(257)).is_err());
        assert!(key("team").is_ok() && value("").is_ok());
    }
}
