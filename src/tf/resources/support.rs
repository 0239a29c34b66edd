//! Small helpers every resource uses: reading typed attributes out of cty
//! objects, building state objects, reporting backend errors, and parsing
//! times and durations as users write them.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, SecondsFormat, Utc};

use crate::backend::{BackendError, Tags};
use crate::tf::plugin::cty::{Number, Value};
use crate::tf::plugin::diagnostics::{AttributePath, Diagnostics};

/// A known, non-null string attribute.
pub fn string(value: &Value, name: &str) -> Option<String> {
    value
        .get_attr(name)
        .and_then(Value::as_str)
        .map(str::to_string)
}

pub fn boolean(value: &Value, name: &str) -> Option<bool> {
    value.get_attr(name).and_then(Value::as_bool)
}

pub fn integer(value: &Value, name: &str) -> Option<i64> {
    value
        .get_attr(name)
        .and_then(Value::as_number)
        .and_then(Number::as_i64)
}

/// Whether an attribute is unknown (not just null) at this point of the plan.
pub fn is_unknown(value: &Value, name: &str) -> bool {
    value.get_attr(name).is_some_and(|v| !v.is_known())
}

/// A known list or set of known strings; `None` if null or unknown anywhere.
pub fn strings(value: &Value, name: &str) -> Option<Vec<String>> {
    let items = value.get_attr(name)?.as_slice()?;
    items
        .iter()
        .map(|item| item.as_str().map(str::to_string))
        .collect()
}

/// A known map of strings; `None` if null or unknown.
pub fn string_map(value: &Value, name: &str) -> Option<Tags> {
    let map = value.get_attr(name)?.as_map()?;
    map.iter()
        .map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
        .collect()
}

/// A nested single block, if present (known and non-null).
pub fn block<'a>(value: &'a Value, name: &str) -> Option<&'a Value> {
    value
        .get_attr(name)
        .filter(|v| v.is_known() && !v.is_null())
}

pub fn opt_string(text: Option<&str>) -> Value {
    text.map_or(Value::Null, Value::string)
}

pub fn string_list(items: &[String]) -> Value {
    Value::List(items.iter().map(|s| Value::string(s.as_str())).collect())
}

pub fn string_set(items: &[String]) -> Value {
    let mut sorted: Vec<&String> = items.iter().collect();
    sorted.sort();
    sorted.dedup();
    Value::Set(
        sorted
            .into_iter()
            .map(|s| Value::string(s.as_str()))
            .collect(),
    )
}

/// Tags as state: an empty map stays null when the configuration had none,
/// so an untagged resource never shows a diff from `null` to `{}`.
pub fn tags_value(tags: &Tags, prior: Option<&Value>) -> Value {
    if tags.is_empty() && prior.is_none_or(Value::is_null) {
        return Value::Null;
    }
    Value::Map(
        tags.iter()
            .map(|(k, v)| (k.clone(), Value::string(v.as_str())))
            .collect(),
    )
}

/// Builds an object value attribute by attribute.
#[derive(Default)]
pub struct Object(BTreeMap<String, Value>);

impl Object {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.0.insert(name.to_string(), value.into());
        self
    }

    pub fn build(self) -> Value {
        Value::Object(self.0)
    }
}

/// Sets one attribute of an object value in place.
pub fn set_attr(target: &mut Value, name: &str, value: impl Into<Value>) {
    if let Value::Object(attrs) = target {
        attrs.insert(name.to_string(), value.into());
    }
}

/// Reports a backend failure as an error diagnostic with a summary that
/// says what was being done.
pub fn backend_error(diags: &mut Diagnostics, doing: &str, error: &BackendError) {
    diags.error(format!("Failed to {doing}"), error.to_string());
}

pub fn backend_error_at(
    diags: &mut Diagnostics,
    path: AttributePath,
    doing: &str,
    error: &BackendError,
) {
    diags.error_at(path, format!("Failed to {doing}"), error.to_string());
}

/// RFC 3339 as users write it (`2026-01-31T12:00:00Z`, offsets allowed).
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            format!("{text:?} is not an RFC 3339 time such as \"2026-01-31T12:00:00Z\": {e}")
        })
}

/// How times are written into state: RFC 3339, UTC, whole seconds.
pub fn format_time(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Keeps the user's spelling of a time when it denotes the same instant,
/// so `+00:00` versus `Z` never shows as a diff.
pub fn same_time_or(prior: Option<&str>, actual: DateTime<Utc>) -> String {
    match prior.and_then(|p| parse_time(p).ok()) {
        Some(p) if p == actual => prior.map(str::to_string).unwrap_or_default(),
        _ => format_time(actual),
    }
}

/// Durations such as `720h`, `30d`, `1h30m`, `90s` (units d, h, m, s).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let invalid = || {
        format!(
            "{text:?} is not a duration such as \"720h\", \"30d\" or \"1h30m\" (units d, h, m, s)"
        )
    };
    let mut total = Duration::zero();
    let mut digits = String::new();
    let mut any = false;
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let amount: i64 = digits.parse().map_err(|_| invalid())?;
        digits.clear();
        let part = match c {
            'd' => Duration::try_days(amount),
            'h' => Duration::try_hours(amount),
            'm' => Duration::try_minutes(amount),
            's' => Duration::try_seconds(amount),
            _ => None,
        }
        .ok_or_else(invalid)?;
        total = total.checked_add(&part).ok_or_else(invalid)?;
        any = true;
    }
    if !digits.is_empty() || !any {
        return Err(invalid());
    }
    Ok(total)
}

/// A random lower-case alphanumeric suffix for generated names and ids.
pub fn random_suffix(len: usize) -> String {
    use rand_core::RngCore as _;
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = vec![0u8; len];
    rand_core::OsRng.fill_bytes(&mut bytes);
    bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

/// Whether `text` is 1..=max characters from `[a-zA-Z0-9_-]` (plus `extra`).
pub fn is_identifier(text: &str, max: usize, extra: &[char]) -> bool {
    !text.is_empty()
        && text.len() <= max
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || extra.contains(&c))
}

pub fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// SHA-384 (hex) of a file, hashed off the async workers.
pub async fn file_sha384_hex(path: &str) -> std::io::Result<String> {
    let path = std::path::PathBuf::from(path);
    tokio::task::spawn_blocking(move || crate::domain::digest::sha384_file(&path).map(hex::encode))
        .await
        .map_err(std::io::Error::other)?
}

/// The usual destroy: gone already counts as done; any other failure keeps
/// the prior state (so the object is not forgotten) with an error.
pub fn destroyed(
    result: Result<(), BackendError>,
    prior: Value,
    doing: &str,
    response: &mut crate::tf::plugin::framework::ApplyResponse,
) {
    match result {
        Ok(()) | Err(BackendError::NotFound(_)) => {}
        Err(e) => {
            backend_error(&mut response.diagnostics, doing, &e);
            response.new_state = prior;
        }
    }
}

/// The usual refresh: the object's state when it exists, nothing when it
/// is gone (Terraform then plans to create it again), and the state as it
/// was, with an error, when the backend cannot tell.
pub fn refreshed<T>(
    found: Result<Option<T>, BackendError>,
    request: crate::tf::plugin::framework::ReadRequest,
    doing: &str,
    state_of: impl FnOnce(&T, &Value) -> Value,
) -> crate::tf::plugin::framework::ReadResponse {
    let mut response = crate::tf::plugin::framework::ReadResponse {
        private: request.private,
        ..Default::default()
    };
    match found {
        Ok(Some(object)) => response.new_state = state_of(&object, &request.current_state),
        Ok(None) | Err(BackendError::NotFound(_)) => {}
        Err(e) => {
            backend_error(&mut response.diagnostics, doing, &e);
            response.new_state = request.current_state;
        }
    }
    response
}

/// Attempts at a read-modify-write before a stale revision id is an error.
const REVISION_ATTEMPTS: u32 = 8;

/// Runs a read-modify-write step again while it meets a stale revision id
/// (another writer got there first), with jittered exponential backoff.
pub async fn retry_on_stale_revision<T, F, Fut>(mut step: F) -> Result<T, BackendError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, BackendError>>,
{
    let mut attempt = 0;
    loop {
        match step().await {
            Err(BackendError::PreconditionFailed(_)) if attempt + 1 < REVISION_ATTEMPTS => {
                attempt += 1;
                tokio::time::sleep(backoff(attempt)).await;
            }
            other => return other,
        }
    }
}

/// Exponential backoff with jitter: 40 ms, 80 ms, ... (capped) plus up to 50%.
fn backoff(attempt: u32) -> std::time::Duration {
    use rand_core::RngCore as _;
    let base = 20u64 << attempt.min(6);
    let jitter = rand_core::OsRng.next_u64() % (base / 2 + 1);
    std::time::Duration::from_millis(base + jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stale_revisions_are_retried_then_given_up() {
        let mut calls = 0;
        let result = retry_on_stale_revision(|| {
            calls += 1;
            let outcome = if calls < 3 {
                Err(BackendError::PreconditionFailed("stale".into()))
            } else {
                Ok(calls)
            };
            async move { outcome }
        })
        .await;
        assert_eq!(result, Ok(3));

        let mut calls = 0;
        let result: Result<(), _> = retry_on_stale_revision(|| {
            calls += 1;
            async { Err(BackendError::PreconditionFailed("always".into())) }
        })
        .await;
        assert!(matches!(result, Err(BackendError::PreconditionFailed(_))));
        assert_eq!(calls, REVISION_ATTEMPTS);

        let result: Result<(), _> =
            retry_on_stale_revision(|| async { Err(BackendError::Conflict("no".into())) }).await;
        assert!(matches!(result, Err(BackendError::Conflict(_))));
    }

    #[test]
    fn durations_parse_as_users_write_them() {
        assert_eq!(parse_duration("720h"), Ok(Duration::hours(720)));
        assert_eq!(parse_duration("30d"), Ok(Duration::days(30)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::minutes(90)));
        for bad in ["", "h", "10", "10x", "-1h", "1.5h"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn same_instant_keeps_the_users_spelling() {
        let t = parse_time("2026-01-01T00:00:00Z").expect("time");
        assert_eq!(
            same_time_or(Some("2026-01-01T01:00:00+01:00"), t),
            "2026-01-01T01:00:00+01:00"
        );
        assert_eq!(
            same_time_or(Some("2026-01-02T00:00:00Z"), t),
            "2026-01-01T00:00:00Z"
        );
        assert_eq!(same_time_or(None, t), "2026-01-01T00:00:00Z");
    }

    #[test]
    fn empty_tags_stay_null_unless_configured() {
        assert_eq!(tags_value(&Tags::new(), None), Value::Null);
        assert_eq!(
            tags_value(&Tags::new(), Some(&Value::Map(BTreeMap::new()))),
            Value::Map(BTreeMap::new())
        );
    }
}
