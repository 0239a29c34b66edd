//! Times and durations as users write them and as records keep them.

use chrono::{DateTime, Duration, SecondsFormat, Utc};

/// RFC 3339 as users write it (`2026-01-31T12:00:00Z`, offsets allowed).
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            format!("{text:?} is not an RFC 3339 time such as \"2026-01-31T12:00:00Z\": {e}")
        })
}

/// How times are written into records and state: RFC 3339, UTC, whole seconds.
pub fn format_time(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Keeps the user's spelling of a time when it denotes the same instant,
/// so `+00:00` versus `Z` never shows as a difference.
pub fn same_time_or(spelled: Option<&str>, actual: DateTime<Utc>) -> String {
    match spelled {
        Some(text) if parse_time(text).is_ok_and(|t| t == actual) => text.to_string(),
        _ => format_time(actual),
    }
}

/// A time from whole seconds since the epoch; out-of-range values are an error.
pub fn from_unix(seconds: i64) -> Result<DateTime<Utc>, String> {
    DateTime::from_timestamp(seconds, 0)
        .ok_or_else(|| format!("{seconds} is not a representable time (seconds since 1970)"))
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

/// A duration as a standard one, for timeouts.
pub fn parse_timeout(text: &str) -> Result<std::time::Duration, String> {
    parse_duration(text)?
        .to_std()
        .map_err(|_| format!("{text:?} is not a positive duration"))
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
