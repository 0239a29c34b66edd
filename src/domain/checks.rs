//! Lambda's four code-signing checks, as pure functions.
//!
//! At deploy time Lambda checks a signed artifact against the function's
//! code signing configuration. This module decides locally, from facts
//! gathered elsewhere, what Lambda would decide:
//!
//! 1. **integrity**: the artifact's contents match its signature. A failure
//!    always blocks the deployment, whatever the enforcement.
//! 2. **expiry**: the signature is valid while `now < expires_at`; exactly at
//!    `expires_at` it has expired.
//! 3. **source mismatch**: the signature's signing profile version ARN is one
//!    of the allowed publishers (exact ARN match). An unsigned artifact is a
//!    source mismatch, and the other three checks do not apply to it.
//! 4. **revocation**: a signing *profile* revocation applies to signatures
//!    made at or after its effective time; a signing *job* revocation applies
//!    to that job's signature. Either counts only once recorded, i.e. if it was
//!    recorded at or before `now`.
//!
//! Failures of checks 2–4 block under [`Enforcement::Enforce`] and only warn
//! under [`Enforcement::Warn`] (Lambda's default).

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, SecondsFormat, Utc};

use super::arn::{parse_publisher, ProfileVersionArn, PublisherError};

/// Most allowed publishers a code signing configuration may list.
pub const MAX_ALLOWED_PUBLISHERS: usize = 20;

// ---------------------------------------------------------------------------
// Vocabulary.

/// One of Lambda's four checks, in the order Lambda performs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Check {
    Integrity,
    Expiry,
    SourceMismatch,
    Revocation,
}

impl Check {
    /// All four checks, in order.
    pub const ALL: [Check; 4] = [
        Check::Integrity,
        Check::Expiry,
        Check::SourceMismatch,
        Check::Revocation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Check::Integrity => "integrity",
            Check::Expiry => "expiry",
            Check::SourceMismatch => "source mismatch",
            Check::Revocation => "revocation",
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The code signing configuration's `untrusted_artifact_on_deployment`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Enforcement {
    /// Deploy anyway and log a warning (Lambda's default).
    #[default]
    Warn,
    /// Refuse the deployment.
    Enforce,
}

impl Enforcement {
    /// The valid values, spelled as Lambda spells them.
    pub const VALUES: [&'static str; 2] = ["Warn", "Enforce"];

    pub fn as_str(self) -> &'static str {
        match self {
            Enforcement::Warn => "Warn",
            Enforcement::Enforce => "Enforce",
        }
    }

    /// Whether a failed expiry, source or revocation check blocks.
    fn blocks(self) -> bool {
        self == Enforcement::Enforce
    }
}

impl fmt::Display for Enforcement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid untrusted_artifact_on_deployment {value:?}: expected \"Warn\" or \"Enforce\" (exact case)"
)]
pub struct ParseEnforcementError {
    pub value: String,
}

impl FromStr for Enforcement {
    type Err = ParseEnforcementError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "Warn" => Ok(Enforcement::Warn),
            "Enforce" => Ok(Enforcement::Enforce),
            _ => Err(ParseEnforcementError {
                value: s.to_owned(),
            }),
        }
    }
}

// ---------------------------------------------------------------------------
// Policy: allowed publishers and enforcement.

/// A validated code signing policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    allowed_publishers: Vec<ProfileVersionArn>,
    enforcement: Enforcement,
}

/// Why a policy is invalid. [`PolicyError::index`] locates it: the index of
/// the offending publisher, or `None` for the list as a whole (its count).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("allowed_publishers must list at least one signing profile version ARN")]
    NoPublishers,
    #[error(
        "allowed_publishers lists {count} signing profile version ARNs; Lambda allows at most {MAX_ALLOWED_PUBLISHERS}"
    )]
    TooManyPublishers { count: usize },
    #[error("{error}")]
    InvalidPublisher { index: usize, error: PublisherError },
    #[error("{arn} repeats allowed_publishers[{first_index}]")]
    DuplicatePublisher {
        index: usize,
        first_index: usize,
        arn: ProfileVersionArn,
    },
}

impl PolicyError {
    /// The index of the offending publisher, for a Terraform attribute path;
    /// `None` when the error is about the list's count.
    pub fn index(&self) -> Option<usize> {
        match self {
            PolicyError::NoPublishers | PolicyError::TooManyPublishers { .. } => None,
            PolicyError::InvalidPublisher { index, .. }
            | PolicyError::DuplicatePublisher { index, .. } => Some(*index),
        }
    }
}

impl Policy {
    /// Validates 1 to 20 distinct signing profile version ARNs. Every problem
    /// is reported, not only the first.
    pub fn new<S: AsRef<str>>(
        publishers: &[S],
        enforcement: Enforcement,
    ) -> Result<Policy, Vec<PolicyError>> {
        let mut errors = Vec::new();
        if publishers.is_empty() {
            errors.push(PolicyError::NoPublishers);
        }
        if publishers.len() > MAX_ALLOWED_PUBLISHERS {
            errors.push(PolicyError::TooManyPublishers {
                count: publishers.len(),
            });
        }
        let mut allowed_publishers = Vec::with_capacity(publishers.len());
        let mut first_seen: HashMap<ProfileVersionArn, usize> = HashMap::new();
        for (index, s) in publishers.iter().enumerate() {
            match parse_publisher(s.as_ref()) {
                Err(error) => errors.push(PolicyError::InvalidPublisher { index, error }),
                Ok(arn) => {
                    if let Some(&first_index) = first_seen.get(&arn) {
                        errors.push(PolicyError::DuplicatePublisher {
                            index,
                            first_index,
                            arn,
                        });
                    } else {
                        first_seen.insert(arn.clone(), index);
                        allowed_publishers.push(arn);
                    }
                }
            }
        }
        if errors.is_empty() {
            Ok(Policy {
                allowed_publishers,
                enforcement,
            })
        } else {
            Err(errors)
        }
    }

    pub fn allowed_publishers(&self) -> &[ProfileVersionArn] {
        &self.allowed_publishers
    }

    pub fn enforcement(&self) -> Enforcement {
        self.enforcement
    }

    /// Whether `profile_version_arn` is exactly one of the allowed publishers.
    pub fn allows(&self, profile_version_arn: &str) -> bool {
        self.allowed_publishers
            .iter()
            .any(|p| p.to_string() == profile_version_arn)
    }
}

// ---------------------------------------------------------------------------
// Facts: what is known about the artifact, gathered elsewhere.

/// Whether the artifact's digest and signature verify (computed elsewhere).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Integrity {
    Valid,
    Invalid { reason: String },
}

/// The artifact's signature, as recorded by the signing job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub integrity: Integrity,
    pub profile_version_arn: String,
    pub job_arn: String,
    pub signed_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A revocation of a signing profile or a signing job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    /// For a profile revocation: signatures made at or after this time are
    /// revoked. Not used for a job revocation, which revokes the job's
    /// signature whenever it was made.
    pub effective_time: DateTime<Utc>,
    /// When the revocation was made; it does not exist before this time.
    pub recorded_at: DateTime<Utc>,
    pub reason: String,
}

impl Revocation {
    fn recorded_by(&self, now: DateTime<Utc>) -> bool {
        self.recorded_at <= now
    }
}

/// Everything the checks need to know about one artifact.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Facts {
    /// `None` for an unsigned artifact.
    pub signature: Option<Signature>,
    /// A revocation of the signature's signing profile, if any.
    pub profile_revocation: Option<Revocation>,
    /// A revocation of the signature's signing job, if any.
    pub job_revocation: Option<Revocation>,
    /// Records the revocation check needs but that could not be found (a
    /// signing job or profile version unknown to the service): each fails
    /// the check, since an unknown revocation status is never "not revoked".
    pub missing_records: Vec<String>,
}

// ---------------------------------------------------------------------------
// Results.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Passed,
    /// The check failed; `blocking` tells whether Lambda refuses the
    /// deployment or only warns.
    Failed {
        blocking: bool,
    },
    /// The check does not apply (an unsigned artifact has no signature to
    /// check for integrity, expiry or revocation).
    NotApplicable,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Passed => "passed",
            Status::Failed { blocking: true } => "failed (blocks deployment)",
            Status::Failed { blocking: false } => "failed (warning)",
            Status::NotApplicable => "not applicable",
        })
    }
}

/// The outcome of one check, with a sentence a user understands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    pub check: Check,
    pub status: Status,
    pub reason: String,
}

impl CheckResult {
    fn passed(check: Check, reason: String) -> Self {
        CheckResult {
            check,
            status: Status::Passed,
            reason,
        }
    }

    fn failed(check: Check, blocking: bool, reason: String) -> Self {
        CheckResult {
            check,
            status: Status::Failed { blocking },
            reason,
        }
    }

    fn not_applicable(check: Check) -> Self {
        CheckResult {
            check,
            status: Status::NotApplicable,
            reason: format!("not applicable: the artifact is unsigned, so there is no signature to check for {check}"),
        }
    }

    pub fn is_blocking(&self) -> bool {
        self.status == Status::Failed { blocking: true }
    }

    pub fn is_warning(&self) -> bool {
        self.status == Status::Failed { blocking: false }
    }
}

impl fmt::Display for CheckResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} check {}: {}", self.check, self.status, self.reason)
    }
}

/// The four results, in order, and whether Lambda would deploy the artifact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Always four, in the order of [`Check::ALL`].
    pub results: Vec<CheckResult>,
    /// `true` when no result blocks.
    pub allowed: bool,
}

impl Verdict {
    pub fn blocking(&self) -> impl Iterator<Item = &CheckResult> {
        self.results.iter().filter(|r| r.is_blocking())
    }

    pub fn warnings(&self) -> impl Iterator<Item = &CheckResult> {
        self.results.iter().filter(|r| r.is_warning())
    }

    /// The result of `check`.
    pub fn result(&self, check: Check) -> Option<&CheckResult> {
        self.results.iter().find(|r| r.check == check)
    }
}

// ---------------------------------------------------------------------------
// The checks.

/// Whole seconds, as AWS writes times in messages.
fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Check 1: the artifact's contents match its signature. Always blocks.
pub fn check_integrity(signature: Option<&Signature>) -> CheckResult {
    let check = Check::Integrity;
    let Some(sig) = signature else {
        return CheckResult::not_applicable(check);
    };
    match &sig.integrity {
        Integrity::Valid => CheckResult::passed(
            check,
            "the artifact's contents match its signature".to_owned(),
        ),
        Integrity::Invalid { reason } => CheckResult::failed(
            check,
            true,
            format!(
                "the artifact's contents do not match its signature ({reason}); Lambda rejects \
                 such an artifact even when untrusted_artifact_on_deployment is Warn"
            ),
        ),
    }
}

/// Check 2: the signature has not expired (`now < expires_at`).
pub fn check_expiry(
    signature: Option<&Signature>,
    enforcement: Enforcement,
    now: DateTime<Utc>,
) -> CheckResult {
    let check = Check::Expiry;
    let Some(sig) = signature else {
        return CheckResult::not_applicable(check);
    };
    if now < sig.expires_at {
        CheckResult::passed(
            check,
            format!("the signature is valid until {}", ts(sig.expires_at)),
        )
    } else {
        CheckResult::failed(
            check,
            enforcement.blocks(),
            format!("the signature expired at {}", ts(sig.expires_at)),
        )
    }
}

/// Check 3: the signature was made by one of the allowed publishers.
pub fn check_source(signature: Option<&Signature>, policy: &Policy) -> CheckResult {
    let check = Check::SourceMismatch;
    let blocking = policy.enforcement.blocks();
    let Some(sig) = signature else {
        return CheckResult::failed(
            check,
            blocking,
            "the artifact is unsigned, so it was not signed by any allowed publisher".to_owned(),
        );
    };
    let arn = &sig.profile_version_arn;
    if policy.allows(arn) {
        return CheckResult::passed(
            check,
            format!("signed by {arn}, which is an allowed publisher"),
        );
    }
    let reason = match arn.parse::<ProfileVersionArn>() {
        Err(e) => format!(
            "the signature names {arn:?} as its signer, which is not a signing profile version \
             ARN ({e}), so it matches no allowed publisher"
        ),
        Ok(signer) => {
            let same_profile: Vec<String> = policy
                .allowed_publishers
                .iter()
                .filter(|p| p.profile_arn() == signer.profile_arn())
                .map(|p| p.version().to_owned())
                .collect();
            if same_profile.is_empty() {
                format!("signed by {arn}, which is not an allowed publisher")
            } else {
                format!(
                    "signed by {arn}, which is not an allowed publisher: only version(s) {} of \
                     that signing profile are allowed",
                    same_profile.join(", ")
                )
            }
        }
    };
    CheckResult::failed(check, blocking, reason)
}

/// Check 4: neither the signing profile (for this signature's time) nor the
/// signing job has been revoked, as of `now`.
pub fn check_revocation(
    facts: &Facts,
    enforcement: Enforcement,
    now: DateTime<Utc>,
) -> CheckResult {
    let check = Check::Revocation;
    let Some(sig) = &facts.signature else {
        return CheckResult::not_applicable(check);
    };
    let mut revoked = Vec::new();
    let mut notes = Vec::new();

    match &facts.profile_revocation {
        None => notes.push("the signing profile is not revoked".to_owned()),
        Some(r) if !r.recorded_by(now) => notes.push(format!(
            "the signing profile's revocation was recorded at {}, after {}, so it does not apply yet",
            ts(r.recorded_at),
            ts(now)
        )),
        Some(r) if sig.signed_at >= r.effective_time => revoked.push(format!(
            "the signing profile was revoked for signatures made at or after {} and this \
             signature was made at {} (reason: {})",
            ts(r.effective_time),
            ts(sig.signed_at),
            r.reason
        )),
        Some(r) => notes.push(format!(
            "the signature was made at {}, before the signing profile's revocation took effect \
             at {}",
            ts(sig.signed_at),
            ts(r.effective_time)
        )),
    }
    match &facts.job_revocation {
        None => notes.push("the signing job is not revoked".to_owned()),
        Some(r) if !r.recorded_by(now) => notes.push(format!(
            "the signing job's revocation was recorded at {}, after {}, so it does not apply yet",
            ts(r.recorded_at),
            ts(now)
        )),
        Some(r) => revoked.push(format!(
            "signing job {} was revoked at {} (reason: {})",
            sig.job_arn,
            ts(r.recorded_at),
            r.reason
        )),
    }

    for missing in &facts.missing_records {
        revoked.push(format!(
            "{missing}, so whether the signature is revoked cannot be established"
        ));
    }
    if revoked.is_empty() {
        CheckResult::passed(check, notes.join("; "))
    } else {
        CheckResult::failed(check, enforcement.blocks(), revoked.join("; "))
    }
}

/// Runs the four checks in order and decides whether Lambda would deploy.
pub fn evaluate(facts: &Facts, policy: &Policy, now: DateTime<Utc>) -> Verdict {
    let sig = facts.signature.as_ref();
    let results = vec![
        check_integrity(sig),
        check_expiry(sig, policy.enforcement, now),
        check_source(sig, policy),
        check_revocation(facts, policy.enforcement, now),
    ];
    let allowed = !results.iter().any(CheckResult::is_blocking);
    Verdict { results, allowed }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    const PASS: Status = Status::Passed;
    const WARN: Status = Status::Failed { blocking: false };
    const BLOCK: Status = Status::Failed { blocking: true };
    const NA: Status = Status::NotApplicable;

    const ALLOWED: &str =
        "arn:aws:signer:us-east-1:123456789012:/signing-profiles/Release/Ab3De6Gh9J";
    const ALLOWED_OTHER_VERSION: &str =
        "arn:aws:signer:us-east-1:123456789012:/signing-profiles/Release/Zz9Yy8Xx7W";
    const STRANGER: &str =
        "arn:aws:signer:us-east-1:999999999999:/signing-profiles/Other/Ab3De6Gh9J";
    const JOB: &str = "arn:aws:signer:us-east-1:123456789012:/signing-jobs/0f1e2d3c-aaaa-bbbb";

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    /// The reference signature: signed 2024-01-01, expires 2025-01-01.
    fn signed_at() -> DateTime<Utc> {
        t("2024-01-01T00:00:00Z")
    }
    fn expires_at() -> DateTime<Utc> {
        t("2025-01-01T00:00:00Z")
    }
    /// The reference "now": mid-way through the validity.
    fn now() -> DateTime<Utc> {
        t("2024-06-01T00:00:00Z")
    }

    fn signature() -> Signature {
        Signature {
            integrity: Integrity::Valid,
            profile_version_arn: ALLOWED.to_owned(),
            job_arn: JOB.to_owned(),
            signed_at: signed_at(),
            expires_at: expires_at(),
        }
    }

    fn tampered() -> Signature {
        Signature {
            integrity: Integrity::Invalid {
                reason: "digest mismatch".to_owned(),
            },
            ..signature()
        }
    }

    fn signed_by(arn: &str) -> Signature {
        Signature {
            profile_version_arn: arn.to_owned(),
            ..signature()
        }
    }

    fn signed(signature: Signature) -> Facts {
        Facts {
            signature: Some(signature),
            ..Facts::default()
        }
    }

    fn revocation(effective_time: DateTime<Utc>, recorded_at: DateTime<Utc>) -> Revocation {
        Revocation {
            effective_time,
            recorded_at,
            reason: "key compromise".to_owned(),
        }
    }

    fn profile_revoked(effective_time: DateTime<Utc>, recorded_at: DateTime<Utc>) -> Facts {
        Facts {
            profile_revocation: Some(revocation(effective_time, recorded_at)),
            ..signed(signature())
        }
    }

    fn job_revoked(recorded_at: DateTime<Utc>) -> Facts {
        Facts {
            job_revocation: Some(revocation(recorded_at, recorded_at)),
            ..signed(signature())
        }
    }

    use Enforcement::{Enforce, Warn};

    /// One rule or boundary of the specification.
    struct Row {
        name: &'static str,
        enforcement: Enforcement,
        facts: Facts,
        now: DateTime<Utc>,
        /// integrity, expiry, source mismatch, revocation
        expect: [Status; 4],
        allowed: bool,
        /// Phrases each named check's reason must contain.
        reasons: &'static [(Check, &'static str)],
    }

    fn rows() -> Vec<Row> {
        let sec = Duration::seconds(1);
        vec![
            Row {
                name: "valid signed artifact under Warn passes every check",
                enforcement: Warn,
                facts: signed(signature()),
                now: now(),
                expect: [PASS, PASS, PASS, PASS],
                allowed: true,
                reasons: &[
                    (Check::Integrity, "contents match its signature"),
                    (Check::Expiry, "valid until 2025-01-01T00:00:00Z"),
                    (Check::SourceMismatch, "which is an allowed publisher"),
                    (Check::Revocation, "not revoked"),
                ],
            },
            Row {
                name: "valid signed artifact under Enforce passes every check",
                enforcement: Enforce,
                facts: signed(signature()),
                now: now(),
                expect: [PASS, PASS, PASS, PASS],
                allowed: true,
                reasons: &[(Check::SourceMismatch, ALLOWED)],
            },
            Row {
                name: "integrity failure blocks even under Warn",
                enforcement: Warn,
                facts: signed(tampered()),
                now: now(),
                expect: [BLOCK, PASS, PASS, PASS],
                allowed: false,
                reasons: &[(Check::Integrity, "digest mismatch")],
            },
            Row {
                name: "integrity failure blocks under Enforce",
                enforcement: Enforce,
                facts: signed(tampered()),
                now: now(),
                expect: [BLOCK, PASS, PASS, PASS],
                allowed: false,
                reasons: &[],
            },
            Row {
                name: "expired signature only warns under Warn",
                enforcement: Warn,
                facts: signed(signature()),
                now: t("2026-01-01T00:00:00Z"),
                expect: [PASS, WARN, PASS, PASS],
                allowed: true,
                reasons: &[(Check::Expiry, "expired at 2025-01-01T00:00:00Z")],
            },
            Row {
                name: "expired signature blocks under Enforce",
                enforcement: Enforce,
                facts: signed(signature()),
                now: t("2026-01-01T00:00:00Z"),
                expect: [PASS, BLOCK, PASS, PASS],
                allowed: false,
                reasons: &[],
            },
            Row {
                name: "exactly at expires_at the signature has expired",
                enforcement: Enforce,
                facts: signed(signature()),
                now: expires_at(),
                expect: [PASS, BLOCK, PASS, PASS],
                allowed: false,
                reasons: &[],
            },
            Row {
                name: "one second before expires_at the signature is valid",
                enforcement: Enforce,
                facts: signed(signature()),
                now: expires_at() - sec,
                expect: [PASS, PASS, PASS, PASS],
                allowed: true,
                reasons: &[],
            },
            Row {
                name: "signer not among allowed publishers only warns under Warn",
                enforcement: Warn,
                facts: signed(signed_by(STRANGER)),
                now: now(),
                expect: [PASS, PASS, WARN, PASS],
                allowed: true,
                reasons: &[(Check::SourceMismatch, "which is not an allowed publisher")],
            },
            Row {
                name: "signer not among allowed publishers blocks under Enforce",
                enforcement: Enforce,
                facts: signed(signed_by(STRANGER)),
                now: now(),
                expect: [PASS, PASS, BLOCK, PASS],
                allowed: false,
                reasons: &[],
            },
            Row {
                name: "another version of an allowed profile is a source mismatch (exact match)",
                enforcement: Enforce,
                facts: signed(signed_by(ALLOWED_OTHER_VERSION)),
                now: now(),
                expect: [PASS, PASS, BLOCK, PASS],
                allowed: false,
                reasons: &[(Check::SourceMismatch, "only version(s) Ab3De6Gh9J")],
            },
            Row {
                name: "a signer that is not a profile version ARN is a source mismatch",
                enforcement: Enforce,
                facts: signed(signed_by(
                    "arn:aws:signer:us-east-1:123456789012:/signing-profiles/Release",
                )),
                now: now(),
                expect: [PASS, PASS, BLOCK, PASS],
                allowed: false,
                reasons: &[(Check::SourceMismatch, "not a signing profile version ARN")],
            },
            Row {
                name: "unsigned artifact under Warn: source mismatch warns, others not applicable",
                enforcement: Warn,
                facts: Facts::default(),
                now: now(),
                expect: [NA, NA, WARN, NA],
                allowed: true,
                reasons: &[
                    (Check::SourceMismatch, "unsigned"),
                    (Check::Integrity, "not applicable"),
                ],
            },
            Row {
                name:
                    "unsigned artifact under Enforce: source mismatch blocks, others not applicable",
                enforcement: Enforce,
                facts: Facts::default(),
                now: now(),
                expect: [NA, NA, BLOCK, NA],
                allowed: false,
                reasons: &[],
            },
            Row {
                name: "unsigned artifact: revocations of some profile do not apply",
                enforcement: Enforce,
                facts: Facts {
                    signature: None,
                    ..profile_revoked(signed_at(), signed_at())
                },
                now: now(),
                expect: [NA, NA, BLOCK, NA],
                allowed: false,
                reasons: &[],
            },
            Row {
                name: "profile revoked effective before signing: revoked (Enforce blocks)",
                enforcement: Enforce,
                facts: profile_revoked(signed_at() - Duration::days(1), signed_at()),
                now: now(),
                expect: [PASS, PASS, PASS, BLOCK],
                allowed: false,
                reasons: &[(Check::Revocation, "key compromise")],
            },
            Row {
                name: "profile revoked effective before signing: revoked (Warn warns)",
                enforcement: Warn,
                facts: profile_revoked(signed_at() - Duration::days(1), signed_at()),
                now: now(),
                expect: [PASS, PASS, PASS, WARN],
                allowed: true,
                reasons: &[],
            },
            Row {
                name: "profile revoked effective exactly at signed_at: revoked",
                enforcement: Enforce,
                facts: profile_revoked(signed_at(), signed_at()),
                now: now(),
                expect: [PASS, PASS, PASS, BLOCK],
                allowed: false,
                reasons: &[(Check::Revocation, "at or after 2024-01-01T00:00:00Z")],
            },
            Row {
                name: "profile revoked effective one second after signed_at: not revoked",
                enforcement: Enforce,
                facts: profile_revoked(signed_at() + sec, now()),
                now: now(),
                expect: [PASS, PASS, PASS, PASS],
                allowed: true,
                reasons: &[(Check::Revocation, "before the signing profile's revocation")],
            },
            Row {
                name: "profile revocation recorded after now does not apply yet",
                enforcement: Enforce,
                facts: profile_revoked(signed_at(), now() + sec),
                now: now(),
                expect: [PASS, PASS, PASS, PASS],
                allowed: true,
                reasons: &[(Check::Revocation, "does not apply yet")],
            },
            Row {
                name: "profile revocation recorded exactly at now applies",
                enforcement: Enforce,
                facts: profile_revoked(signed_at(), now()),
                now: now(),
                expect: [PASS, PASS, PASS, BLOCK],
                allowed: false,
                reasons: &[],
            },
            Row {
                name: "job revoked: its signature is revoked (Enforce blocks)",
                enforcement: Enforce,
                facts: job_revoked(now() - Duration::days(1)),
                now: now(),
                expect: [PASS, PASS, PASS, BLOCK],
                allowed: false,
                reasons: &[(Check::Revocation, JOB)],
            },
            Row {
                name: "job revoked: its signature is revoked (Warn warns)",
                enforcement: Warn,
                facts: job_revoked(now()),
                now: now(),
                expect: [PASS, PASS, PASS, WARN],
                allowed: true,
                reasons: &[],
            },
            Row {
                name: "job revocation recorded after now does not apply yet",
                enforcement: Enforce,
                facts: job_revoked(now() + sec),
                now: now(),
                expect: [PASS, PASS, PASS, PASS],
                allowed: true,
                reasons: &[(Check::Revocation, "does not apply yet")],
            },
            Row {
                name: "multiple failures under Warn are reported together; integrity blocks",
                enforcement: Warn,
                facts: Facts {
                    job_revocation: Some(revocation(signed_at(), signed_at())),
                    ..signed(Signature {
                        profile_version_arn: STRANGER.to_owned(),
                        ..tampered()
                    })
                },
                now: t("2026-01-01T00:00:00Z"),
                expect: [BLOCK, WARN, WARN, WARN],
                allowed: false,
                reasons: &[],
            },
            Row {
                name: "multiple failures under Enforce all block",
                enforcement: Enforce,
                facts: Facts {
                    profile_revocation: Some(revocation(signed_at(), signed_at())),
                    job_revocation: Some(revocation(signed_at(), signed_at())),
                    ..signed(Signature {
                        profile_version_arn: STRANGER.to_owned(),
                        ..tampered()
                    })
                },
                now: t("2026-01-01T00:00:00Z"),
                expect: [BLOCK, BLOCK, BLOCK, BLOCK],
                allowed: false,
                reasons: &[
                    (Check::Revocation, "signing profile was revoked"),
                    (Check::Revocation, "signing job"),
                ],
            },
            Row {
                name: "expired and mismatched under Warn: two warnings, still allowed",
                enforcement: Warn,
                facts: signed(signed_by(STRANGER)),
                now: t("2026-01-01T00:00:00Z"),
                expect: [PASS, WARN, WARN, PASS],
                allowed: true,
                reasons: &[],
            },
        ]
    }

    #[test]
    fn lambda_signature_checks() {
        let rows = rows();
        for row in &rows {
            let policy = Policy::new(&[ALLOWED], row.enforcement).unwrap();
            let verdict = evaluate(&row.facts, &policy, row.now);
            let checks: Vec<Check> = verdict.results.iter().map(|r| r.check).collect();
            assert_eq!(checks, Check::ALL, "{}: results in order", row.name);
            let statuses: Vec<Status> = verdict.results.iter().map(|r| r.status).collect();
            assert_eq!(statuses, row.expect, "{}", row.name);
            assert_eq!(verdict.allowed, row.allowed, "{}: allowed", row.name);
            for r in &verdict.results {
                assert!(
                    !r.reason.is_empty(),
                    "{}: {} has a reason",
                    row.name,
                    r.check
                );
            }
            for (check, phrase) in row.reasons {
                let reason = &verdict.result(*check).unwrap().reason;
                assert!(
                    reason.contains(phrase),
                    "{}: {check} reason {reason:?} lacks {phrase:?}",
                    row.name
                );
            }
            let blocking = row.expect.iter().filter(|s| **s == BLOCK).count();
            let warnings = row.expect.iter().filter(|s| **s == WARN).count();
            assert_eq!(verdict.blocking().count(), blocking, "{}", row.name);
            assert_eq!(verdict.warnings().count(), warnings, "{}", row.name);
        }
        // The table's names are distinct, so a failure points at one rule.
        let mut names: Vec<&str> = rows.iter().map(|r| r.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), rows.len());
    }

    #[test]
    fn evaluate_composes_the_individual_checks() {
        let facts = profile_revoked(signed_at(), signed_at());
        let policy = Policy::new(&[STRANGER], Enforce).unwrap();
        let verdict = evaluate(&facts, &policy, now());
        let sig = facts.signature.as_ref();
        assert_eq!(
            verdict.results,
            vec![
                check_integrity(sig),
                check_expiry(sig, Enforce, now()),
                check_source(sig, &policy),
                check_revocation(&facts, Enforce, now()),
            ]
        );
    }

    fn version_arn(i: usize) -> String {
        format!("arn:aws:signer:us-east-1:123456789012:/signing-profiles/Profile{i}/ABCDEFGHIJ")
    }

    fn versions(n: usize) -> Vec<String> {
        (0..n).map(version_arn).collect()
    }

    /// Each row: publishers, then `Ok(count)` or the errors expected as
    /// (index, phrase in the message).
    type PolicyRow = (
        &'static str,
        Vec<String>,
        Result<usize, Vec<(Option<usize>, &'static str)>>,
    );

    #[test]
    fn allowed_publishers_rules() {
        let profile = "arn:aws:signer:us-east-1:123456789012:/signing-profiles/Release";
        let with = |extra: &str| {
            let mut v = versions(2);
            v.push(extra.to_owned());
            v
        };
        let rows: Vec<PolicyRow> = vec![
            ("one publisher is enough", versions(1), Ok(1)),
            ("twenty publishers are allowed", versions(20), Ok(20)),
            (
                "twenty-one publishers are too many",
                versions(21),
                Err(vec![(None, "at most 20")]),
            ),
            (
                "zero publishers is an error",
                vec![],
                Err(vec![(None, "at least one")]),
            ),
            (
                "profile ARN without version: MissingVersion with a hint",
                with(profile),
                Err(vec![(
                    Some(2),
                    "use the profile's version ARN (`profileVersionArn`",
                )]),
            ),
            (
                "malformed ARN names the wrong part",
                with("arn:aws:signer:us-east-1:12345:/signing-profiles/Release/ABCDEFGHIJ"),
                Err(vec![(Some(2), "12 digits")]),
            ),
            (
                "duplicate publisher points at the repeat",
                with(&version_arn(0)),
                Err(vec![(Some(2), "repeats allowed_publishers[0]")]),
            ),
            (
                "every problem is reported at once",
                {
                    let mut v = versions(21);
                    v[3] = profile.to_owned();
                    v[5] = version_arn(4);
                    v
                },
                Err(vec![
                    (None, "at most 20"),
                    (Some(3), "without a version"),
                    (Some(5), "repeats allowed_publishers[4]"),
                ]),
            ),
        ];
        for (name, publishers, expected) in rows {
            let got = Policy::new(&publishers, Enforcement::default());
            match (got, expected) {
                (Ok(policy), Ok(count)) => {
                    assert_eq!(policy.allowed_publishers().len(), count, "{name}");
                    assert_eq!(policy.enforcement(), Warn, "{name}: Warn is the default");
                }
                (Err(errors), Err(expected)) => {
                    let got: Vec<(Option<usize>, String)> =
                        errors.iter().map(|e| (e.index(), e.to_string())).collect();
                    assert_eq!(got.len(), expected.len(), "{name}: {got:?}");
                    for ((index, msg), (want_index, phrase)) in got.iter().zip(&expected) {
                        assert_eq!(index, want_index, "{name}: {msg}");
                        assert!(msg.contains(phrase), "{name}: {msg:?} lacks {phrase:?}");
                    }
                }
                (got, expected) => panic!("{name}: got {got:?}, expected {expected:?}"),
            }
        }
        let err = &Policy::new(&[profile], Warn).unwrap_err()[0];
        assert!(matches!(
            err,
            PolicyError::InvalidPublisher {
                index: 0,
                error: PublisherError::MissingVersion { .. }
            }
        ));
    }

    #[test]
    fn enforcement_values() {
        assert_eq!("Warn".parse(), Ok(Warn));
        assert_eq!("Enforce".parse(), Ok(Enforce));
        for v in Enforcement::VALUES {
            assert_eq!(v.parse::<Enforcement>().unwrap().to_string(), v);
        }
        for bad in ["warn", "ENFORCE", "", "Enforce "] {
            let msg = bad.parse::<Enforcement>().unwrap_err().to_string();
            assert!(msg.contains("\"Warn\" or \"Enforce\""), "{msg}");
        }
        assert_eq!(Enforcement::default(), Warn);
    }

    #[test]
    fn check_names() {
        let names: Vec<String> = Check::ALL.iter().map(|c| c.to_string()).collect();
        assert_eq!(
            names,
            ["integrity", "expiry", "source mismatch", "revocation"]
        );
    }
}
