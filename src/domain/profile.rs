//! Signing profiles: the model Signer keeps, the platforms it offers, the
//! signature validity period (and when a signature made now expires), and
//! the rule of revocation: irreversible, effective at or before now, and
//! only ever moved earlier.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, Months, SecondsFormat, Utc};

use super::names::Invalid;
use super::tags::Tags;
use super::time::format_time;

/// The platform Lambda code signing uses.
pub const LAMBDA_PLATFORM: &str = "AWSLambda-SHA384-ECDSA";

/// A signing platform Signer offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Platform {
    pub id: &'static str,
    pub display_name: &'static str,
    /// Whether profiles on it need `signing_material` (a certificate).
    pub needs_certificate: bool,
}

/// Signer's platforms. Only the Lambda one signs Lambda code.
pub const PLATFORMS: [Platform; 5] = [
    Platform {
        id: LAMBDA_PLATFORM,
        display_name: "AWS Lambda",
        needs_certificate: false,
    },
    Platform {
        id: "Notation-OCI-SHA384-ECDSA",
        display_name: "Notation for container registries",
        needs_certificate: false,
    },
    Platform {
        id: "AWSIoTDeviceManagement-SHA256-ECDSA",
        display_name: "AWS IoT Device Management SHA256-ECDSA",
        needs_certificate: true,
    },
    Platform {
        id: "AmazonFreeRTOS-TI-CC3220SF",
        display_name: "Amazon FreeRTOS SHA1-RSA CC3220SF-Format",
        needs_certificate: true,
    },
    Platform {
        id: "AmazonFreeRTOS-Default",
        display_name: "Amazon FreeRTOS SHA256-ECDSA",
        needs_certificate: true,
    },
];

/// The platform with this id.
pub fn platform(id: &str) -> Result<&'static Platform, Invalid> {
    PLATFORMS.iter().find(|p| p.id == id).ok_or_else(|| {
        let known: Vec<&str> = PLATFORMS.iter().map(|p| p.id).collect();
        Invalid(format!(
            "{id:?} is not a Signer platform; one of {}",
            known.join(", ")
        ))
    })
}

/// A profile's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProfileStatus {
    Active,
    Canceled,
    Revoked,
}

impl ProfileStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ProfileStatus::Active => "Active",
            ProfileStatus::Canceled => "Canceled",
            ProfileStatus::Revoked => "Revoked",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "Active" => Some(ProfileStatus::Active),
            "Canceled" => Some(ProfileStatus::Canceled),
            "Revoked" => Some(ProfileStatus::Revoked),
            _ => None,
        }
    }
}

/// A revocation of a profile version, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileRevocation {
    pub reason: String,
    /// Signatures made at or after this time are revoked.
    pub effective_time: DateTime<Utc>,
    /// When the revocation was recorded.
    pub revoked_at: DateTime<Utc>,
    /// Who recorded it (an IAM ARN), when known.
    pub revoked_by: Option<String>,
}

/// A signing profile, as Signer describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningProfile {
    pub name: String,
    pub owner: String,
    pub arn: String,
    /// Signer's 10-character profile version.
    pub version: String,
    pub version_arn: String,
    pub platform_id: String,
    pub validity: SignatureValidity,
    pub status: ProfileStatus,
    pub revocation: Option<ProfileRevocation>,
    /// The certificate of `signing_material` (non-Lambda platforms).
    pub certificate_arn: Option<String>,
    pub signing_parameters: BTreeMap<String, String>,
    pub tags: Tags,
}

impl SigningProfile {
    /// The platform's display name, as Signer shows it.
    pub fn platform_display_name(&self) -> &str {
        platform(&self.platform_id).map_or(self.platform_id.as_str(), |p| p.display_name)
    }

    /// Whether new signatures can be made with it.
    pub fn can_sign(&self) -> bool {
        self.status == ProfileStatus::Active
    }
}

/// Why a requested revocation cannot be recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RevocationError {
    #[error("a revocation needs a reason")]
    NoReason,
    #[error("{} is in the future; Signer records revocations that are already effective, at or before now ({})", format_time(*requested), format_time(*now))]
    InTheFuture {
        requested: DateTime<Utc>,
        now: DateTime<Utc>,
    },
    #[error("the profile is revoked from {}; a revocation is irreversible and can only move earlier, not later (to {})", format_time(*recorded), format_time(*requested))]
    MovedLater {
        recorded: DateTime<Utc>,
        requested: DateTime<Utc>,
    },
}

/// What revoking with `effective_time` does to a profile version that
/// already has `recorded` (if any): nothing new (`Ok(false)`, the same time
/// again), a new revocation record (`Ok(true)`), or an error.
pub fn revocation_change(
    recorded: Option<&ProfileRevocation>,
    reason: &str,
    effective_time: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, RevocationError> {
    if reason.trim().is_empty() {
        return Err(RevocationError::NoReason);
    }
    if effective_time > now {
        return Err(RevocationError::InTheFuture {
            requested: effective_time,
            now,
        });
    }
    match recorded {
        Some(r) if effective_time > r.effective_time => Err(RevocationError::MovedLater {
            recorded: r.effective_time,
            requested: effective_time,
        }),
        Some(r) if effective_time == r.effective_time => Ok(false),
        _ => Ok(true),
    }
}

/// Longest signature validity AWS Signer allows, in calendar months.
pub const MAX_VALIDITY_MONTHS: u32 = 135;

/// How long signatures made with a profile stay valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SignatureValidity {
    pub value: u32,
    pub unit: ValidityUnit,
}

impl Default for SignatureValidity {
    /// Signer's default: 135 months.
    fn default() -> Self {
        SignatureValidity {
            value: MAX_VALIDITY_MONTHS,
            unit: ValidityUnit::Months,
        }
    }
}

impl SignatureValidity {
    /// When a signature made at `signed_at` expires.
    pub fn end(&self, signed_at: DateTime<Utc>) -> Result<DateTime<Utc>, ValidityError> {
        validity_end(signed_at, self.value, self.unit)
    }

    /// Whether the period is allowed (judged for a signature made now).
    pub fn check(&self) -> Result<(), ValidityError> {
        self.end(Utc::now()).map(|_| ())
    }
}

/// Whole seconds, as AWS writes times in messages.
fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The unit of a signing profile's signature validity period, spelled as
/// AWS Signer spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValidityUnit {
    Days,
    Months,
    Years,
}

impl ValidityUnit {
    pub const VALUES: [&'static str; 3] = ["DAYS", "MONTHS", "YEARS"];

    pub fn as_str(self) -> &'static str {
        match self {
            ValidityUnit::Days => "DAYS",
            ValidityUnit::Months => "MONTHS",
            ValidityUnit::Years => "YEARS",
        }
    }
}

impl fmt::Display for ValidityUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid signature validity unit {value:?}: expected \"DAYS\", \"MONTHS\" or \"YEARS\"")]
pub struct ParseValidityUnitError {
    pub value: String,
}

impl FromStr for ValidityUnit {
    type Err = ParseValidityUnitError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "DAYS" => Ok(ValidityUnit::Days),
            "MONTHS" => Ok(ValidityUnit::Months),
            "YEARS" => Ok(ValidityUnit::Years),
            _ => Err(ParseValidityUnitError {
                value: s.to_owned(),
            }),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidityError {
    #[error("signature validity must be at least 1 {unit}")]
    Zero { unit: ValidityUnit },
    #[error(
        "signature validity of {value} {unit} is longer than the maximum of {MAX_VALIDITY_MONTHS} \
         months: signed at {}, it may last until {} at most", ts(*signed_at), ts(*max_end)
    )]
    TooLong {
        value: u32,
        unit: ValidityUnit,
        signed_at: DateTime<Utc>,
        max_end: DateTime<Utc>,
    },
    #[error("signing time {} is too close to the end of representable time", ts(*signed_at))]
    OutOfRange { signed_at: DateTime<Utc> },
}

/// When a signature made at `signed_at` with a validity of `value` `unit`s
/// expires. Months and years are calendar months (a month after 31 January
/// is the last day of February). The end may be no later than `signed_at`
/// plus 135 calendar months, which also bounds a period given in days.
pub fn validity_end(
    signed_at: DateTime<Utc>,
    value: u32,
    unit: ValidityUnit,
) -> Result<DateTime<Utc>, ValidityError> {
    if value == 0 {
        return Err(ValidityError::Zero { unit });
    }
    let max_end = signed_at
        .checked_add_months(Months::new(MAX_VALIDITY_MONTHS))
        .ok_or(ValidityError::OutOfRange { signed_at })?;
    let end = match unit {
        ValidityUnit::Days => {
            Duration::try_days(i64::from(value)).and_then(|d| signed_at.checked_add_signed(d))
        }
        ValidityUnit::Months => signed_at.checked_add_months(Months::new(value)),
        ValidityUnit::Years => value
            .checked_mul(12)
            .and_then(|months| signed_at.checked_add_months(Months::new(months))),
    };
    match end {
        // An end beyond representable time is certainly beyond `max_end`.
        Some(end) if end <= max_end => Ok(end),
        _ => Err(ValidityError::TooLong {
            value,
            unit,
            signed_at,
            max_end,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn signature_validity_rules() {
        use ValidityUnit::{Days, Months, Years};
        let at = Utc.with_ymd_and_hms(2024, 1, 15, 12, 0, 0).unwrap();
        let max_end = Utc.with_ymd_and_hms(2035, 4, 15, 12, 0, 0).unwrap();
        let max_days = u32::try_from((max_end - at).num_days()).unwrap();
        // 11 years with three leap days (2024, 2028, 2032) plus January 15 to April 15.
        assert_eq!(max_days, 4018 + 90);
        let rows: Vec<(&str, u32, ValidityUnit, Option<DateTime<Utc>>)> = vec![
            ("135 months is the maximum", 135, Months, Some(max_end)),
            ("136 months is too long", 136, Months, None),
            (
                "11 years is allowed",
                11,
                Years,
                Some(at + chrono::Months::new(132)),
            ),
            ("12 years is too long", 12, Years, None),
            (
                "1 day is the minimum",
                1,
                Days,
                Some(at + Duration::days(1)),
            ),
            (
                "days up to 135 months are allowed",
                max_days,
                Days,
                Some(max_end),
            ),
            (
                "one day more than 135 months is too long",
                max_days + 1,
                Days,
                None,
            ),
            ("huge day counts are too long", u32::MAX, Days, None),
            ("huge year counts are too long", u32::MAX, Years, None),
            ("0 days is an error", 0, Days, None),
            ("0 months is an error", 0, Months, None),
        ];
        for (name, value, unit, expected) in rows {
            let got = validity_end(at, value, unit);
            match expected {
                Some(end) => assert_eq!(got, Ok(end), "{name}"),
                None => assert!(got.is_err(), "{name}: {got:?}"),
            }
        }
        // 135 months is 11 years and 3 months.
        let eleven_years = validity_end(at, 11, Years).unwrap();
        assert_eq!(
            validity_end(at, 135, Months).unwrap(),
            eleven_years + chrono::Months::new(3)
        );
        // The default is the maximum.
        assert_eq!(
            validity_end(
                at,
                SignatureValidity::default().value,
                SignatureValidity::default().unit
            ),
            Ok(max_end)
        );
        // Calendar months clamp to the month's end.
        let jan31 = Utc.with_ymd_and_hms(2024, 1, 31, 0, 0, 0).unwrap();
        assert_eq!(
            validity_end(jan31, 1, Months),
            Ok(Utc.with_ymd_and_hms(2024, 2, 29, 0, 0, 0).unwrap())
        );
        let msg = validity_end(at, 136, Months).unwrap_err().to_string();
        assert!(msg.contains("maximum of 135 months"), "{msg}");
        assert!(matches!(
            validity_end(at, 0, Days),
            Err(ValidityError::Zero { unit: Days })
        ));
        for v in ValidityUnit::VALUES {
            assert_eq!(v.parse::<ValidityUnit>().unwrap().to_string(), v);
        }
        assert!("days".parse::<ValidityUnit>().is_err());
    }

    #[test]
    fn revocation_is_irreversible_and_only_moves_earlier() {
        let now = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
        let recorded = ProfileRevocation {
            reason: "key compromise".into(),
            effective_time: now - Duration::days(10),
            revoked_at: now - Duration::days(9),
            revoked_by: None,
        };
        let earlier = now - Duration::days(20);
        let later = now - Duration::days(5);
        assert_eq!(revocation_change(None, "leak", earlier, now), Ok(true));
        assert_eq!(
            revocation_change(Some(&recorded), "leak", earlier, now),
            Ok(true)
        );
        assert_eq!(
            revocation_change(Some(&recorded), "leak", recorded.effective_time, now),
            Ok(false)
        );
        assert!(matches!(
            revocation_change(Some(&recorded), "leak", later, now),
            Err(RevocationError::MovedLater { .. })
        ));
        assert!(matches!(
            revocation_change(None, "leak", now + Duration::seconds(1), now),
            Err(RevocationError::InTheFuture { .. })
        ));
        assert_eq!(
            revocation_change(None, " ", earlier, now),
            Err(RevocationError::NoReason)
        );
    }

    #[test]
    fn platforms_are_known_by_id() {
        assert_eq!(
            platform(LAMBDA_PLATFORM).map(|p| p.display_name),
            Ok("AWS Lambda")
        );
        assert!(platform("Notation-OCI-SHA384-ECDSA").is_ok());
        assert!(platform("AWSLambda-SHA256").is_err());
    }
}
