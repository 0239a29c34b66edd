//! Signing profiles, whole: a profile is created under a fixed name or one
//! generated from a prefix (Signer never reuses a name, so a fixed name
//! cannot be replaced); its tags update in place; revocation is part of its
//! configuration and only ever tightens (never removed, never later, never
//! in the future); deleting cancels it; a canceled profile is gone.

use chrono::{DateTime, Utc};

use super::planned::PlannedRevocation;
use super::rules::{FieldRule, Shape};
use super::{Engine, EngineError, EngineResult, ErrorKind, Failed, Planned, Report};
use crate::backend::{BackendError, JobFilter, PutSigningProfile, RevokeSigningProfile};
use crate::domain::field::FieldPath;
use crate::domain::names;
use crate::domain::profile::{
    platform, ProfileStatus, SignatureValidity, SigningProfile, LAMBDA_PLATFORM,
};
use crate::domain::tags::{self, Tags};
use crate::domain::time::format_time;

/// The fields of a signing profile, as configured and as recorded.
pub mod field {
    pub const NAME: &str = "name";
    pub const NAME_PREFIX: &str = "name_prefix";
    pub const PLATFORM_ID: &str = "platform_id";
    pub const SIGNATURE_VALIDITY: &str = "signature_validity";
    pub const VALUE: &str = "value";
    pub const TYPE: &str = "type";
    pub const SIGNING_MATERIAL: &str = "signing_material";
    pub const CERTIFICATE_ARN: &str = "certificate_arn";
    pub const SIGNING_PARAMETERS: &str = "signing_parameters";
    pub const TAGS: &str = "tags";
    pub const TAGS_ALL: &str = "tags_all";
    pub const REVOCATION: &str = "revocation";
    pub const REASON: &str = "reason";
    pub const EFFECTIVE_TIME: &str = "effective_time";
    pub const ARN: &str = "arn";
    pub const VERSION: &str = "version";
    pub const VERSION_ARN: &str = "version_arn";
    pub const STATUS: &str = "status";
    pub const PLATFORM_DISPLAY_NAME: &str = "platform_display_name";
    pub const REVOCATION_RECORD: &str = "revocation_record";
    pub const REVOCATION_EFFECTIVE_FROM: &str = "revocation_effective_from";
    pub const REVOKED_AT: &str = "revoked_at";
    pub const REVOKED_BY: &str = "revoked_by";
}
use field::*;

/// Changing any of these makes a new profile.
pub const REPLACE_ON_CHANGE: &[&str] = &[
    NAME,
    NAME_PREFIX,
    PLATFORM_ID,
    SIGNATURE_VALIDITY,
    SIGNING_MATERIAL,
    SIGNING_PARAMETERS,
];

/// The prefix of generated names when none is given.
pub const DEFAULT_PREFIX: &str = "terraform_";

pub const RULES: &[FieldRule] = &rules(effective_time_rule);

/// [`RULES`] for a configuration that is applied at a time it cannot know
/// (a CloudFormation template): a revocation time after now is allowed, and
/// [`effective_by_now`] makes it now.
pub const TEMPLATE_RULES: &[FieldRule] = &rules(any_time_rule);

const fn rules(effective_time: fn(&str) -> Result<(), names::Invalid>) -> [FieldRule; 9] {
    [
        FieldRule::text(&[NAME], names::profile_name),
        FieldRule::text(&[NAME_PREFIX], names::profile_name_prefix),
        FieldRule::text(&[PLATFORM_ID], platform_rule),
        FieldRule::text(&[SIGNATURE_VALIDITY, TYPE], validity_unit_rule),
        FieldRule::number(&[SIGNATURE_VALIDITY, VALUE], super::rules::positive),
        FieldRule::text(&[REVOCATION, REASON], reason_rule),
        FieldRule::text(&[REVOCATION, EFFECTIVE_TIME], effective_time),
        FieldRule::tag_keys(&[TAGS]),
        FieldRule::tag_values(&[TAGS]),
    ]
}

pub const SHAPE: &[Shape] = &[Shape::Conflicts(NAME, NAME_PREFIX)];

fn platform_rule(text: &str) -> Result<(), names::Invalid> {
    platform(text).map(|_| ())
}

fn validity_unit_rule(text: &str) -> Result<(), names::Invalid> {
    text.parse::<crate::domain::profile::ValidityUnit>()
        .map(|_| ())
        .map_err(|e| names::Invalid(e.to_string()))
}

fn reason_rule(text: &str) -> Result<(), names::Invalid> {
    if text.trim().is_empty() {
        Err(names::Invalid("a revocation needs a reason".into()))
    } else {
        Ok(())
    }
}

fn any_time_rule(text: &str) -> Result<(), names::Invalid> {
    crate::domain::time::parse_time(text)
        .map(|_| ())
        .map_err(names::Invalid)
}

fn effective_time_rule(text: &str) -> Result<(), names::Invalid> {
    let time = crate::domain::time::parse_time(text).map_err(names::Invalid)?;
    if time > Utc::now() {
        return Err(names::Invalid(format!(
            "{text} is in the future; Signer records revocations that are already effective: set a time at or before now"
        )));
    }
    Ok(())
}

/// A signature validity period as configured: a known unit and a whole
/// number of them, at most 135 months from a signature made now.
pub fn check_validity(value: i64, unit: &str) -> Result<(), EngineError> {
    let at = FieldPath::field(SIGNATURE_VALIDITY);
    let (Ok(unit), Some(value)) = (unit.parse(), u32::try_from(value).ok().filter(|v| *v >= 1))
    else {
        return Ok(()); // the field rules report these
    };
    SignatureValidity { value, unit }
        .check()
        .map_err(|e| EngineError::invalid(at.then(VALUE), e.to_string()))
}

/// A revocation as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationSpec {
    pub reason: String,
    pub effective_time: DateTime<Utc>,
}

impl RevocationSpec {
    /// The same revocation, effective now at the latest. A revocation
    /// effective after now is the same as one effective now: a revoked
    /// profile signs nothing more, so no signature could fall between the
    /// two. (Signer records only revocations already in effect.)
    pub fn effective_by_now(self) -> RevocationSpec {
        RevocationSpec {
            effective_time: self.effective_time.min(Utc::now()),
            ..self
        }
    }

    /// Whether a profile revoked from `recorded` already untrusts every
    /// signature this revocation would: `recorded` is effective at or
    /// before it.
    pub fn is_covered_by(&self, recorded: DateTime<Utc>) -> bool {
        recorded <= self.effective_time
    }
}

/// How the profile is named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Naming {
    /// Exactly this name (it can never be reused once canceled).
    Fixed(String),
    /// A generated name with this prefix (default `terraform_`).
    Prefix(Option<String>),
}

/// A profile as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileSpec {
    pub naming: Naming,
    pub platform_id: String,
    pub validity: SignatureValidity,
    pub certificate_arn: Option<String>,
    pub signing_parameters: std::collections::BTreeMap<String, String>,
    /// The profile's own tags (the provider's defaults are added to them).
    pub tags: Tags,
    pub revocation: Option<RevocationSpec>,
}

impl Default for ProfileSpec {
    fn default() -> Self {
        ProfileSpec {
            naming: Naming::Prefix(None),
            platform_id: LAMBDA_PLATFORM.to_string(),
            validity: SignatureValidity::default(),
            certificate_arn: None,
            signing_parameters: Default::default(),
            tags: Tags::new(),
            revocation: None,
        }
    }
}

/// What one plan step of a profile knows.
#[derive(Debug, Clone)]
pub struct ProfileChange<'a> {
    /// The profile as recorded (`None`: it is created).
    pub prior: Option<&'a SigningProfile>,
    /// The revocation as the prior configuration spelled it.
    pub prior_revocation: Option<RevocationSpec>,
    /// A fixed name, when the configuration gives one (known or not).
    pub fixed_name: Option<Planned<String>>,
    pub platform_id: Planned<String>,
    pub certificate_arn: Option<Planned<String>>,
    /// The fields whose change replaces the profile.
    pub replacing: Vec<&'static str>,
    pub revocation: Planned<Option<RevocationSpec>>,
}

/// What the plan of a profile says.
#[derive(Debug, Default)]
pub struct ProfilePlan {
    pub report: Report,
    /// The status after apply, when it changes.
    pub status: Option<ProfileStatus>,
}

/// The name a new profile gets.
pub fn name_for(naming: &Naming) -> String {
    match naming {
        Naming::Fixed(name) => name.clone(),
        Naming::Prefix(prefix) => names::generated(prefix.as_deref().unwrap_or(DEFAULT_PREFIX)),
    }
}

/// The platform rule of the backend at hand: the local one emulates only
/// Lambda's; other platforms need a certificate (`signing_material`).
pub fn check_platform(
    engine: &Engine,
    platform_id: &str,
    certificate: bool,
) -> Result<(), EngineError> {
    let known = platform(platform_id).map_err(|e| EngineError::invalid(PLATFORM_ID, e.0))?;
    if engine.backend().kind() == crate::backend::Kind::Local && known.id != LAMBDA_PLATFORM {
        return Err(EngineError::invalid(
            PLATFORM_ID,
            format!("{platform_id:?}: only {LAMBDA_PLATFORM} is emulated by the local backend"),
        ));
    }
    if known.needs_certificate && !certificate {
        return Err(EngineError::invalid(
            SIGNING_MATERIAL,
            format!("the {platform_id} platform signs with a certificate: set `signing_material {{ certificate_arn = ... }}`"),
        ));
    }
    Ok(())
}

/// Plans a profile: what apply would refuse is said now.
pub async fn plan(engine: &Engine, change: &ProfileChange<'_>) -> ProfilePlan {
    let mut out = ProfilePlan::default();
    let report = &mut out.report;
    if let Planned::Known(platform_id) = &change.platform_id {
        let certificate = change.certificate_arn.is_some();
        if let Err(e) = check_platform(engine, platform_id, certificate) {
            report.failure("Unsupported signing platform", &e);
        }
    }
    match change.prior {
        None => plan_create(engine, change, report).await,
        Some(prior) => {
            if let (Some(_), Some(first)) = (&change.fixed_name, change.replacing.first()) {
                report.error(
                    Some(FieldPath::field(first)),
                    "This change needs a new profile name",
                    format!("Changing `{first}` replaces signing profile {:?}, but Signer never reuses a profile name, not even a canceled one. Give the profile a new `name`, or use `name_prefix` so replacements get fresh names.", prior.name),
                );
            }
            plan_revocation(engine, prior, change, report).await;
        }
    }
    if let Planned::Known(Some(_)) = &change.revocation {
        let unchanged = change.prior.is_some()
            && change.revocation == Planned::Known(change.prior_revocation.clone());
        if !unchanged {
            out.status = Some(ProfileStatus::Revoked);
        }
    }
    out
}

async fn plan_create(engine: &Engine, change: &ProfileChange<'_>, report: &mut Report) {
    if let Err(e) = engine.backend().check_signing_keys().await {
        report.failure("Cannot make a signing profile", &EngineError::from(e));
    }
    let owner = engine.identity().account_id.clone();
    let Some(Planned::Known(name)) = &change.fixed_name else {
        return;
    };
    engine.planned().plan_new_profile(&owner, name);
    match engine.backend().get_signing_profile(name, None).await {
        Ok(existing) => report.error(
            Some(FieldPath::field(NAME)),
            "Profile name already used",
            format!(
                "Signing profile {name:?} already exists in account {owner} (status {}). Signer never reuses a profile name, not even a canceled one: choose another `name`, use `name_prefix`, or import the existing profile.",
                existing.status.as_str()
            ),
        ),
        Err(e) if e.is_absent() => {}
        Err(e) => report.warning(
            Some(FieldPath::field(NAME)),
            "Could not check the profile name",
            format!("{e}. Apply fails if the name is taken."),
        ),
    }
}

async fn plan_revocation(
    engine: &Engine,
    prior: &SigningProfile,
    change: &ProfileChange<'_>,
    report: &mut Report,
) {
    let path = || FieldPath::field(REVOCATION);
    let Planned::Known(after) = &change.revocation else {
        return;
    };
    let recorded = prior.revocation.as_ref();
    match (recorded, after) {
        (Some(_), None) => {
            report.error(Some(path()), "Revocation is irreversible", "This profile is revoked; removing the `revocation` block cannot un-revoke it. Keep the block (its time may move earlier), or replace the profile with a new name.");
            return;
        }
        (_, None) => return,
        (Some(recorded), Some(requested)) => {
            if requested.effective_time > recorded.effective_time {
                report.error(
                    Some(path().then(EFFECTIVE_TIME)),
                    "Revocation can only move earlier",
                    format!("The profile is revoked from {}; a revocation cannot be moved later (to {}). Moving it earlier revokes more signatures and is allowed.", format_time(recorded.effective_time), format_time(requested.effective_time)),
                );
                return;
            }
            if requested.effective_time == recorded.effective_time {
                if requested.reason != recorded.reason {
                    report.error(
                        Some(path().then(REASON)),
                        "A revocation's reason cannot change",
                        "Signer records the reason once, with the revocation. Keep the recorded reason; only moving `effective_time` earlier records a new revocation (with its own reason).",
                    );
                }
                return;
            }
        }
        (None, Some(_)) => {}
    }
    let Some(requested) = after else { return };
    engine.planned().plan_revocation(
        &prior.version_arn,
        PlannedRevocation {
            profile_name: prior.name.clone(),
            reason: requested.reason.clone(),
            effective_time: requested.effective_time,
        },
    );
    blast_radius(engine, prior, requested.effective_time, report).await;
}

/// How many signatures a revocation from `effective_time` invalidates.
async fn blast_radius(
    engine: &Engine,
    prior: &SigningProfile,
    effective_time: DateTime<Utc>,
    report: &mut Report,
) {
    let filter = JobFilter {
        profile_version_arn: Some(prior.version_arn.clone()),
        signed_at_or_after: Some(effective_time),
    };
    match engine.backend().list_signing_jobs(filter).await {
        Ok(jobs) => {
            let signed: Vec<&str> = jobs
                .iter()
                .filter(|j| j.status == crate::domain::job::JobStatus::Succeeded)
                .map(|j| j.job_arn.as_str())
                .collect();
            let listed = signed
                .iter()
                .take(10)
                .map(|arn| format!("\n  - {arn}"))
                .collect::<String>();
            let more = signed.len().saturating_sub(10);
            report.warning(
                Some(FieldPath::field(REVOCATION).then(EFFECTIVE_TIME)),
                format!("Revocation invalidates {} signature(s)", signed.len()),
                format!(
                    "Revoking {} from {} fails Lambda's revocation check for {} signature(s) made at or after that time{listed}{}\nSigned artifacts of this configuration among them are named in their own plan.",
                    prior.version_arn,
                    format_time(effective_time),
                    signed.len(),
                    if more > 0 { format!("\n  ... and {more} more") } else { String::new() },
                ),
            );
        }
        Err(e) => report.warning(
            Some(FieldPath::field(REVOCATION)),
            "Could not count the signatures this revocation invalidates",
            e.to_string(),
        ),
    }
}

/// Creates the profile, then records its revocation if configured. When
/// the revocation fails the profile exists and is returned with the error.
pub async fn create(
    engine: &Engine,
    spec: &ProfileSpec,
) -> Result<SigningProfile, Failed<SigningProfile>> {
    check_platform(engine, &spec.platform_id, spec.certificate_arn.is_some())?;
    let name = name_for(&spec.naming);
    tracing::info!(profile = %name, platform = %spec.platform_id, "creating signing profile");
    let profile = engine
        .backend()
        .put_signing_profile(PutSigningProfile {
            name: name.clone(),
            platform_id: spec.platform_id.clone(),
            validity: spec.validity,
            certificate_arn: spec.certificate_arn.clone(),
            signing_parameters: spec.signing_parameters.clone(),
            tags: tags::effective(engine.default_tags(), &spec.tags),
        })
        .await
        .map_err(|e| EngineError::from(e).doing(format!("create signing profile {name}")))?;
    match &spec.revocation {
        None => Ok(profile),
        Some(revocation) => match revoke(engine, &profile, revocation).await {
            Ok(revoked) => Ok(revoked),
            Err(error) => Err(Failed {
                made: Some(profile),
                error,
            }),
        },
    }
}

async fn revoke(
    engine: &Engine,
    profile: &SigningProfile,
    revocation: &RevocationSpec,
) -> EngineResult<SigningProfile> {
    tracing::info!(profile = %profile.name, effective = %format_time(revocation.effective_time), "revoking signing profile");
    engine
        .backend()
        .revoke_signing_profile(RevokeSigningProfile {
            name: profile.name.clone(),
            version: profile.version.clone(),
            reason: revocation.reason.clone(),
            effective_time: revocation.effective_time,
        })
        .await
        .map_err(|e| {
            EngineError::from(e)
                .at(FieldPath::field(REVOCATION))
                .doing(format!("revoke signing profile {}", profile.name))
        })
}

/// A profile of this account; gone (`None`) when missing or canceled.
pub async fn read(engine: &Engine, name: &str) -> EngineResult<Option<SigningProfile>> {
    match engine.backend().get_signing_profile(name, None).await {
        Ok(profile) if profile.status == ProfileStatus::Canceled => Ok(None),
        Ok(profile) => Ok(Some(profile)),
        Err(BackendError::NotFound(_)) => Ok(None),
        Err(e) => Err(EngineError::from(e).doing(format!("read signing profile {name}"))),
    }
}

/// Any account's profile, by name (a data source's look-up).
pub async fn look_up(
    engine: &Engine,
    name: &str,
    owner: Option<&str>,
) -> EngineResult<SigningProfile> {
    engine
        .backend()
        .get_signing_profile(name, owner)
        .await
        .map_err(|e| EngineError::from(e).at(FieldPath::field(NAME)))
}

/// Updates what can change in place: tags, and a new or earlier revocation.
pub async fn update(
    engine: &Engine,
    prior: &SigningProfile,
    spec: &ProfileSpec,
) -> Result<SigningProfile, Failed<SigningProfile>> {
    let name = &prior.name;
    let tags = tags::effective(engine.default_tags(), &spec.tags);
    let mut profile = if tags != prior.tags {
        tracing::info!(profile = %name, "updating signing profile tags");
        engine
            .backend()
            .set_signing_profile_tags(name, tags)
            .await
            .map_err(|e| {
                EngineError::from(e).doing(format!("update tags of signing profile {name}"))
            })?
    } else {
        prior.clone()
    };
    if let Some(revocation) = &spec.revocation {
        let recorded = profile.revocation.as_ref().map(|r| r.effective_time);
        if recorded != Some(revocation.effective_time) {
            profile = revoke(engine, &profile, revocation)
                .await
                .map_err(|error| Failed {
                    made: Some(profile.clone()),
                    error,
                })?;
        }
    }
    Ok(profile)
}

/// Cancels the profile; already gone counts as done.
pub async fn delete(engine: &Engine, name: &str) -> EngineResult<()> {
    tracing::info!(profile = %name, "canceling signing profile");
    match engine.backend().cancel_signing_profile(name).await {
        Ok(()) | Err(BackendError::NotFound(_)) => Ok(()),
        Err(e) => Err(EngineError::from(e).doing(format!("cancel signing profile {name}"))),
    }
}

/// Imports by profile name. A canceled profile cannot be managed.
pub async fn import(engine: &Engine, name: &str) -> EngineResult<SigningProfile> {
    let profile = engine
        .backend()
        .get_signing_profile(name, None)
        .await
        .map_err(|e| {
            EngineError::from(e).doing(format!(
                "import signing profile {name:?} (import by profile name)"
            ))
        })?;
    if profile.status == ProfileStatus::Canceled {
        return Err(EngineError::new(
            ErrorKind::NotFound,
            format!("signing profile {name} is canceled; canceled profiles cannot be managed"),
        ));
    }
    Ok(profile)
}

/// This account's profiles that are not canceled.
pub async fn list(engine: &Engine) -> EngineResult<Vec<SigningProfile>> {
    Ok(engine
        .backend()
        .list_signing_profiles()
        .await?
        .into_iter()
        .filter(|p| p.status != ProfileStatus::Canceled)
        .collect())
}

/// The name prefix a generated name was made from (for import).
pub use crate::domain::names::prefix_of;
