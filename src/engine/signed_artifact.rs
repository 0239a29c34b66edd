//! Signed artifacts, whole: one signing job per resource.
//!
//! At plan time the source is read (its SHA-384 is part of the plan, so an
//! edited file re-signs) and all four checks run against each config in
//! `verify_against`, as planned in this run. Where a new signature fixes a
//! failure (output altered or deleted, job revoked, expired or inside
//! `renew_before`), the plan re-signs and says why; where it does not
//! (profile revoked, not an allowed publisher), the plan errors under
//! Enforce and warns under Warn. Signing reuses the job its idempotency
//! token started, verifies the output before returning, and keeps whatever
//! it made when a later step fails.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};

use super::planned::OutputWriter;
use super::profile_permission::check_profile_exists;
use super::rules::{FieldRule, Shape};
use super::verification::{self, Checked, PolicyView};
use super::{Engine, EngineError, EngineResult, ErrorKind, Failed, Planned, Report};
use crate::backend::{BackendError, Staging, StartSigningJob};
use crate::domain::arn::CscArn;
use crate::domain::artifact::{self, ArtifactError};
use crate::domain::checks::{self, Integrity};
use crate::domain::facts::ArtifactRef;
use crate::domain::field::FieldPath;
use crate::domain::files;
use crate::domain::job::{JobStatus, ObjectLocation, SigningJob};
use crate::domain::names;
use crate::domain::time::{format_time, parse_duration};

pub mod field {
    pub const PROFILE_NAME: &str = "profile_name";
    pub const PROFILE_OWNER: &str = "profile_owner";
    pub const SOURCE_FILE: &str = "source_file";
    pub const SOURCE_OBJECT: &str = "source_object";
    pub const OUTPUT_FILE: &str = "output_file";
    pub const STAGING: &str = "staging";
    pub const DESTINATION: &str = "destination";
    pub const BUCKET: &str = "bucket";
    pub const KEY: &str = "key";
    pub const VERSION: &str = "version";
    pub const PREFIX: &str = "prefix";
    pub const VERIFY_AGAINST: &str = "verify_against";
    pub const RENEW_BEFORE: &str = "renew_before";
    pub const REVOKE_ON_DESTROY: &str = "revoke_on_destroy";
    pub const TIMEOUTS: &str = "timeouts";
    pub const CREATE: &str = "create";
    pub const SOURCE_SHA384: &str = "source_sha384";
    pub const JOB_ID: &str = "job_id";
    pub const JOB_ARN: &str = "job_arn";
    pub const PROFILE_VERSION_ARN: &str = "profile_version_arn";
    pub const SIGNED_OBJECT: &str = "signed_object";
    pub const SIGNED_FILE: &str = "signed_file";
    pub const SIGNED_SHA384: &str = "signed_sha384";
    pub const OUTPUT_SHA384: &str = "output_sha384";
    pub const SIGNED_AT: &str = "signed_at";
    pub const SIGNATURE_EXPIRES_AT: &str = "signature_expires_at";
    pub const VERIFIED: &str = "verified";
}
use field::*;

/// Changing any of these makes a new signing job. The file paths are
/// compared by [`plan`] (as paths: `./x` is `x`), the source by its digest.
pub const REPLACE_ON_CHANGE: &[&str] = &[
    PROFILE_NAME,
    PROFILE_OWNER,
    SOURCE_OBJECT,
    STAGING,
    DESTINATION,
];

/// What a signing job produces; unknown whenever a (re-)sign is planned.
pub const PRODUCED: &[&str] = &[
    JOB_ID,
    JOB_ARN,
    PROFILE_VERSION_ARN,
    SIGNED_OBJECT,
    SIGNED_FILE,
    SIGNED_SHA384,
    OUTPUT_SHA384,
    SIGNED_AT,
    SIGNATURE_EXPIRES_AT,
    VERIFIED,
];

pub const RULES: &[FieldRule] = &[
    FieldRule::text(&[PROFILE_NAME], names::profile_name),
    FieldRule::text(&[PROFILE_OWNER], names::account_id),
    FieldRule::each(&[VERIFY_AGAINST], csc_arn_rule),
    FieldRule::text(&[RENEW_BEFORE], duration_rule),
    FieldRule::text(&[TIMEOUTS, CREATE], duration_rule),
];

pub const SHAPE: &[Shape] = &[
    Shape::ExactlyOne(&[SOURCE_FILE, SOURCE_OBJECT]),
    // Both may be set: on aws Signer writes to `destination` and the signed
    // object is then downloaded to `output_file`.
    Shape::AtLeastOne(&[OUTPUT_FILE, DESTINATION]),
];

pub fn csc_arn_rule(text: &str) -> Result<(), names::Invalid> {
    text.parse::<CscArn>()
        .map(|_| ())
        .map_err(|e| names::Invalid(format!("{text:?} is not a code signing config ARN: {e}")))
}

fn duration_rule(text: &str) -> Result<(), names::Invalid> {
    parse_duration(text).map(|_| ()).map_err(names::Invalid)
}

/// The output must not overwrite the source, and names a file, not an
/// existing directory.
pub fn check_paths(source: Option<&Path>, output: Option<&Path>) -> Result<(), EngineError> {
    match (source, output) {
        (Some(source), Some(output)) if same_path(source, output) => Err(EngineError::invalid(
            OUTPUT_FILE,
            "`output_file` must differ from `source_file`: the source is hashed at every plan, and a signed zip cannot be signed again",
        )),
        (_, Some(output)) if output.is_dir() => Err(EngineError::invalid(
            OUTPUT_FILE,
            format!(
                "{} is a directory: `output_file` is the path of the signed zip itself",
                output.display()
            ),
        )),
        _ => Ok(()),
    }
}

/// Whether two paths name the same file (`./x`, `x` and a symbolic link
/// to it do).
pub fn same_path(a: &Path, b: &Path) -> bool {
    files::resolve(a) == files::resolve(b)
}

/// An output is never inside the embedded store: a signed zip written
/// there would destroy its database, keys or journal.
pub fn check_output_location(engine: &Engine, output: &Path) -> EngineResult<()> {
    match engine.backend().store_dir() {
        Some(store) if files::is_within(output, store) => Err(EngineError::invalid(
            OUTPUT_FILE,
            format!(
                "{} is inside the provider's store {}: writing it would destroy the store's profiles, keys and jobs. Write the signed zip somewhere else.",
                output.display(),
                store.display()
            ),
        )),
        _ => Ok(()),
    }
}

/// A path with `.` steps removed and made absolute against the working
/// directory, without touching the filesystem (the file may not exist yet).
pub fn normalize(path: &Path) -> PathBuf {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().map_or_else(|_| path.to_path_buf(), |cwd| cwd.join(path))
    };
    let mut out = PathBuf::new();
    for part in absolute.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Before a signing is planned: the output's directory exists, or can be
/// made, and takes a new file. The nearest existing directory is tried
/// with a temporary file of ours (created without following links, removed
/// at once), so a read-only or pseudo filesystem (`/proc`) is an error at
/// plan, not a failed signing job at apply.
async fn check_output_writable(output: &Path) -> EngineResult<()> {
    let output = output.to_path_buf();
    let probed = tokio::task::spawn_blocking(move || {
        let absolute = files::resolve(&output);
        let mut dir = absolute.parent().map(Path::to_path_buf);
        while let Some(candidate) = dir {
            match std::fs::metadata(&candidate) {
                Ok(meta) if meta.is_dir() => {
                    return files::TempFile::new_in(&candidate)
                        .map(drop)
                        .map_err(|e| format!("cannot write into {}: {e}", candidate.display()));
                }
                Ok(_) => {
                    return Err(format!(
                        "{} is not a directory, so {} cannot be made",
                        candidate.display(),
                        output.display()
                    ))
                }
                Err(_) => dir = candidate.parent().map(Path::to_path_buf),
            }
        }
        Ok(())
    })
    .await
    .map_err(|e| EngineError::new(ErrorKind::Internal, format!("checking the output: {e}")))?;
    probed.map_err(|message| EngineError::invalid(OUTPUT_FILE, message))
}

/// An S3 location: `bucket` and a key prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub bucket: String,
    pub prefix: String,
}

/// An artifact as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactSpec {
    pub profile_name: String,
    pub profile_owner: Option<String>,
    pub source: ObjectLocation,
    pub output_file: Option<PathBuf>,
    pub staging: Option<Place>,
    pub destination: Option<Place>,
    pub verify_against: Vec<String>,
    pub timeout: std::time::Duration,
}

/// A signing as the record (Terraform state) keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    pub job: SigningJob,
    /// SHA-384 of the output as last read; empty when it is missing.
    pub output_sha384: String,
}

/// What a plan step of an artifact knows.
#[derive(Debug, Clone)]
pub struct ArtifactChange<'a> {
    /// The signing as recorded (`None`: it is created).
    pub prior: Option<&'a Signed>,
    /// `source_sha384` as recorded.
    pub prior_source_sha384: Option<String>,
    pub source_file: Planned<Option<PathBuf>>,
    pub profile_name: Planned<String>,
    pub profile_owner: Planned<Option<String>>,
    pub verify_against: Planned<Vec<String>>,
    pub renew_before: Option<Duration>,
    /// The output file as recorded and as planned (compared as paths).
    pub prior_output_file: Option<PathBuf>,
    pub output_file: Planned<Option<PathBuf>>,
    /// The configured fields whose change replaces the artifact.
    pub replacing: Vec<&'static str>,
    /// The job a replacement's new signing replaces, when its prior is
    /// gone from the change (Terraform's create step of a replacement).
    pub replaces: Option<String>,
}

/// What the plan of an artifact says.
#[derive(Debug, Default)]
pub struct ArtifactPlan {
    pub report: Report,
    /// The source's digest: known now, or only after apply (`Unknown`), or
    /// not applicable (`Known(None)`: an S3 source).
    pub source_sha384: Planned<Option<String>>,
    /// Why the plan signs anew, beyond changed configuration.
    pub resign: Vec<&'static str>,
    /// Whether the checks of a kept signature ran now or are left to apply
    /// (which the front end must then make happen: an artifact that plans
    /// no change is never applied).
    pub checked: Checked,
}

impl ArtifactPlan {
    /// Whether a new signing job is planned.
    pub fn signs(&self, change: &ArtifactChange<'_>) -> bool {
        change.prior.is_none() || !change.replacing.is_empty() || !self.resign.is_empty()
    }
}

/// Reads a source file at plan time: its digest, and that it can be signed.
async fn read_source(path: &Path) -> Result<Option<String>, EngineError> {
    let owned = path.to_path_buf();
    let inspected = tokio::task::spawn_blocking(move || artifact::inspect(&owned))
        .await
        .map_err(|e| EngineError::new(ErrorKind::Internal, format!("reading the source: {e}")))?;
    match inspected {
        Ok(inspection) if inspection.envelope.is_some() => Err(EngineError::invalid(
            SOURCE_FILE,
            format!("{}: {}", path.display(), ArtifactError::AlreadySigned),
        )),
        Ok(inspection) => Ok(Some(hex::encode(inspection.file_sha384))),
        Err(ArtifactError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            Ok(None)
        }
        Err(e) => Err(EngineError::invalid(
            SOURCE_FILE,
            format!("{}: {e}", path.display()),
        )),
    }
}

/// Plans an artifact: reads the source, decides whether to sign anew, and
/// runs the checks the plan can run now.
pub async fn plan(engine: &Engine, change: &ArtifactChange<'_>) -> ArtifactPlan {
    let mut out = ArtifactPlan::default();
    out.source_sha384 = match &change.source_file {
        Planned::Unknown => Planned::Unknown,
        Planned::Known(None) => Planned::Known(None),
        Planned::Known(Some(path)) => match read_source(path).await {
            Ok(Some(digest)) => Planned::Known(Some(digest)),
            Ok(None) => {
                out.report.warning(
                    Some(FieldPath::field(SOURCE_FILE)),
                    "Source file does not exist yet",
                    format!("{} does not exist at plan time. If another resource of this configuration makes it, it is read (and checked) at apply; otherwise apply fails.", path.display()),
                );
                Planned::Unknown
            }
            Err(e) => {
                out.report.failure("Cannot sign the source file", &e);
                return out;
            }
        },
    };
    if let Some(prior) = change.prior {
        match (&out.source_sha384, &change.prior_source_sha384) {
            (Planned::Known(Some(now)), Some(before)) if now != before => {
                out.resign.push(SOURCE_SHA384)
            }
            (Planned::Unknown, _) => out.resign.push(SOURCE_SHA384),
            _ => {}
        }
        let output_moved = match (&change.output_file, &change.prior_output_file) {
            (Planned::Known(Some(now)), Some(before)) => !same_path(now, before),
            (Planned::Known(now), before) => now.is_some() != before.is_some(),
            (Planned::Unknown, _) => true,
        };
        if output_moved {
            out.resign.push(OUTPUT_FILE);
        }
        if change.replacing.is_empty() && out.resign.is_empty() {
            plan_kept_signature(engine, change, prior, &mut out).await;
        }
    }
    if let Planned::Known(Some(output)) = &change.output_file {
        check_output_is_its_own(engine, change, output, &mut out.report);
        if let Err(e) = check_output_location(engine, output) {
            out.report.failure("Output file inside the store", &e);
        }
    }
    if change.verify_against == Planned::Unknown {
        let field = FieldPath::field(VERIFY_AGAINST);
        verification::configs_known_at_apply("Signed artifact", field, &mut out.report);
        out.checked = Checked::AtApply;
    }
    if out.signs(change) {
        tracing::debug!(resign = ?out.resign, replacing = ?change.replacing, "planning a signing job");
        if let Planned::Known(Some(output)) = &change.output_file {
            if let Err(e) = check_output_writable(output).await {
                out.report.failure("Cannot write the output file", &e);
            }
        }
        plan_new_signature(engine, change, &mut out.report).await;
    }
    verification::after_applied_changes(engine, &mut out.report);
    out
}

/// No other artifact planned in this run writes the same output file: two
/// would sign over each other's output at every apply.
fn check_output_is_its_own(
    engine: &Engine,
    change: &ArtifactChange<'_>,
    output: &Path,
    report: &mut Report,
) {
    let writer = match change
        .prior
        .map(|p| &p.job.job_id)
        .or(change.replaces.as_ref())
    {
        Some(job_id) => OutputWriter::Job(job_id.clone()),
        None => OutputWriter::New(format!(
            "{:?} {:?} {:?}",
            change.profile_name, change.profile_owner, change.source_file
        )),
    };
    if let Err(other) = engine.planned().plan_output(files::resolve(output), writer) {
        let other = match other {
            OutputWriter::Job(job_id) => format!("the signed artifact of signing job {job_id}"),
            OutputWriter::New(_) => "another new signed artifact".to_string(),
        };
        report.error(
            Some(FieldPath::field(OUTPUT_FILE)),
            "Output file written by two signed artifacts",
            format!("{} is also the `output_file` of {other} in this configuration: each would sign over the other's output at every apply. Give each artifact its own `output_file`.", output.display()),
        );
    }
}

/// The signature stays unless a failure a new one fixes is found.
async fn plan_kept_signature(
    engine: &Engine,
    change: &ArtifactChange<'_>,
    prior: &Signed,
    out: &mut ArtifactPlan,
) {
    let report = &mut out.report;
    let expires = prior.job.signature_expires_at;
    if prior.output_sha384 != prior.job.signed_sha384 {
        let what = if prior.output_sha384.is_empty() {
            "was deleted"
        } else {
            "was modified after signing"
        };
        out.resign.push(OUTPUT_SHA384);
        report.warning(
            Some(FieldPath::field(OUTPUT_FILE)),
            format!("Signed output {what}: re-signing"),
            format!("The signed output {what}: Lambda's integrity check would reject it in any mode; re-signing from the source."),
        );
        return;
    }
    if let Some(window) = change.renew_before {
        if expires - prior.job.signed_at <= window {
            report.warning(
                Some(FieldPath::field(RENEW_BEFORE)),
                "renew_before is longer than the signature validity",
                "Every new signature from this profile expires within `renew_before`, so every plan re-signs. Shorten `renew_before` or lengthen the profile's `signature_validity`.",
            );
        }
        if expires - Utc::now() <= window {
            out.resign.push(SIGNATURE_EXPIRES_AT);
            report.warning(
                Some(FieldPath::field(RENEW_BEFORE)),
                "Signature due for renewal: re-signing",
                format!(
                    "The signature expires at {}, within `renew_before`; re-signing.",
                    format_time(expires)
                ),
            );
            return;
        }
    }
    let facts = match verification::facts(
        engine,
        &ArtifactRef::SigningJob(prior.job.job_arn.clone()),
    )
    .await
    {
        Ok(facts) => facts,
        Err(e) if e.is_not_found() => {
            // Gone behind Terraform's back: the refresh drops it and the plan signs anew.
            return;
        }
        Err(e) => {
            report.failure(
                "Cannot read the artifact's signature",
                &e.at(FieldPath::field(VERIFY_AGAINST)),
            );
            return;
        }
    };
    if let Some(Integrity::Invalid { reason }) = facts.signature.as_ref().map(|s| &s.integrity) {
        // Also without a refresh (`-refresh=false`): the plan reads the signature itself.
        out.resign.push(OUTPUT_SHA384);
        report.warning(
            Some(FieldPath::field(OUTPUT_FILE)),
            "Signed output fails the integrity check: re-signing",
            format!("{reason}: Lambda's integrity check would reject it in any mode; re-signing from the source."),
        );
        return;
    }
    if let Some(revocation) = &facts.job_revocation {
        out.resign.push(JOB_ID);
        report.warning(
            Some(FieldPath::field(JOB_ID)),
            "Signature revoked: re-signing",
            format!("Signing job {} was revoked ({}): Lambda's revocation check would fail; re-signing makes a new signature.", prior.job.job_arn, revocation.reason),
        );
        return;
    }
    if Utc::now() >= expires {
        out.resign.push(SIGNATURE_EXPIRES_AT);
        report.warning(
            Some(FieldPath::field(SIGNATURE_EXPIRES_AT)),
            "Signature expired: re-signing",
            format!("The signature expired at {}: Lambda's expiry check would fail; re-signing makes a new signature.", format_time(expires)),
        );
        return;
    }
    if let Planned::Known(cscs) = &change.verify_against {
        let checked = verification::against_configs(
            engine,
            &facts,
            cscs,
            "Signed artifact",
            &FieldPath::field(VERIFY_AGAINST),
            report,
        )
        .await;
        out.checked = out.checked.and(checked);
    }
}

/// A new signature is planned: what can be said of it now.
async fn plan_new_signature(engine: &Engine, change: &ArtifactChange<'_>, report: &mut Report) {
    if let Err(e) = engine.backend().check_signing_keys().await {
        report.failure("Cannot sign the artifact", &EngineError::from(e));
    }
    let field = FieldPath::field(VERIFY_AGAINST);
    // The configs must exist whoever signs: read each one as planned.
    let mut policies = Vec::new();
    if let Planned::Known(cscs) = &change.verify_against {
        for csc in cscs {
            match verification::policy(engine, csc).await {
                Ok(PolicyView::Known(policy)) => policies.push((csc, policy)),
                Ok(PolicyView::Unknown(partial)) => report.warning(
                    Some(field.clone()),
                    format!("Signed artifact: checks against {csc} run at apply"),
                    format!("The policy of {csc} is known only after apply ({}): the new signature is checked against it when apply makes it, before apply returns.", partial.why),
                ),
                Err(e) => report.failure(
                    format!("Signed artifact: cannot check against {csc}"),
                    &e.at(field.clone()),
                ),
            }
        }
    }
    let (Planned::Known(name), Planned::Known(owner)) =
        (&change.profile_name, &change.profile_owner)
    else {
        report.warning(
            Some(FieldPath::field(PROFILE_NAME)),
            "Signing profile known only after apply",
            "The profile that signs is known only after apply; the checks against `verify_against` run then, before apply returns.",
        );
        return;
    };
    let owner_account = owner
        .clone()
        .unwrap_or_else(|| engine.identity().account_id.clone());
    check_profile_exists(
        engine,
        name,
        owner.as_deref(),
        FieldPath::field(PROFILE_NAME),
        report,
    )
    .await;
    if report.has_errors() {
        return;
    }
    if engine.planned().is_new_profile(&owner_account, name) {
        if !policies.is_empty() {
            report.warning(
                Some(FieldPath::field(PROFILE_NAME)),
                format!("Signing profile {name} is created in this run"),
                "Its version is known only after apply, so the checks against `verify_against` run then, before apply returns.",
            );
        }
        return;
    }
    let Ok(profile) = engine
        .backend()
        .get_signing_profile(name, owner.as_deref())
        .await
    else {
        return; // reported by check_profile_exists
    };
    if let Some(planned) = engine.planned().revocation(&profile.version_arn) {
        report.error(
            Some(FieldPath::field(PROFILE_NAME)),
            "Signing profile revoked in this run",
            format!("This run revokes signing profile {} ({}); a revoked profile cannot sign, so the signing would fail at apply.", profile.name, planned.reason),
        );
        return;
    }
    for (csc, policy) in policies {
        if policy.allows(&profile.version_arn) {
            continue;
        }
        let detail = format!(
            "The artifact would be signed by {}, which {csc} does not list as an allowed publisher.",
            profile.version_arn
        );
        if policy.enforcement() == checks::Enforcement::Enforce {
            report.error(
                Some(field.clone()),
                "Signed artifact: source mismatch check would fail",
                format!("{detail} Lambda would reject this deployment (policy Enforce)."),
            );
        } else {
            report.warning(
                Some(field.clone()),
                "Signed artifact: source mismatch check would fail",
                format!("{detail} Lambda would deploy it (policy Warn) and log a warning."),
            );
        }
    }
}

/// How many times a token whose job cannot be kept is followed by a
/// derived one (see [`create`]). Each re-sign of the same content into the
/// same output (a renewal, `-replace`, a deleted output) adds one link:
/// Terraform's create step of a replacement does not say which job it
/// replaces, so the chain, not `replaces`, is what keeps tokens fresh.
/// Following a link is a look-up by token.
const MAX_STALE_TOKENS: usize = 256;

/// The idempotency token of a signing: the same configuration signing the
/// same source version in place of the same job always gets the same
/// token, so an apply retried after a crash finds the job the crashed one
/// started (or finished) instead of signing again. `source_version` names
/// the source's content: its digest (Terraform has it from the plan), or
/// anything that changes whenever the content does (the CLI uses the
/// file's identity, to read a large input only once). `replaces` is the job
/// this signing renews or replaces, if the front end knows it.
pub fn signing_token(spec: &ArtifactSpec, source_version: &str, replaces: Option<&str>) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    let mut field = |value: &str| {
        hasher.update((value.len() as u64).to_be_bytes());
        hasher.update(value.as_bytes());
    };
    field("lambdasign-signing-token-v1");
    field(&spec.profile_name);
    field(spec.profile_owner.as_deref().unwrap_or(""));
    match &spec.source {
        ObjectLocation::File(path) => field(&normalize(path).display().to_string()),
        ObjectLocation::S3 {
            bucket,
            key,
            version,
        } => field(&format!(
            "s3://{bucket}/{key}?{}",
            version.as_deref().unwrap_or("")
        )),
    }
    field(source_version);
    field(
        &spec
            .output_file
            .as_deref()
            .map(|p| normalize(p).display().to_string())
            .unwrap_or_default(),
    );
    for place in [&spec.destination, &spec.staging] {
        field(
            &place
                .as_ref()
                .map(|p| format!("s3://{}/{}", p.bucket, p.prefix))
                .unwrap_or_default(),
        );
    }
    field(replaces.unwrap_or(""));
    hex::encode(&hasher.finalize()[..16])
}

/// The token to try after `token`'s job turned out not to be keepable.
fn next_token(token: &str, job_id: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(&Sha256::digest(format!("{token}/{job_id}").as_bytes())[..16])
}

/// Why the job a token found cannot stand for this signing (a fresh job
/// never has a reason).
fn unkeepable(job: &SigningJob, output_sha384: &str, replaces: Option<&str>) -> Option<String> {
    if replaces == Some(job.job_id.as_str()) {
        return Some("it is the job being replaced".into());
    }
    if job.revocation.is_some() {
        return Some("its signature was revoked".into());
    }
    if job.signature_expires_at <= Utc::now() {
        return Some("its signature has expired".into());
    }
    if matches!(job.signed_object, ObjectLocation::File(_)) && output_sha384 != job.signed_sha384 {
        return Some("its output was changed or removed since".into());
    }
    None
}

/// A signing, with what the user should hear about it.
#[derive(Debug, Clone)]
pub struct Created {
    pub signed: Signed,
    pub warnings: Vec<String>,
}

/// Where a signing stands.
#[derive(Debug, Clone)]
pub enum Signing {
    /// Signed and verified.
    Done(Created),
    /// The job is still running (only with a zero `timeout`): ask again
    /// with the same token.
    Running(SigningJob),
}

/// Signs (or finds the job `token` already started: see [`signing_token`]),
/// then verifies the output. A job the token found that cannot stand for
/// this signing (the replaced job, a revoked one, or one whose output is
/// gone or changed) is passed over for a token derived from it, a few
/// times at most. Whatever was signed is returned even when verification
/// fails. Overwriting the output of a job this signing does not replace
/// is reported as a warning, naming that job.
pub async fn create(
    engine: &Engine,
    spec: &ArtifactSpec,
    token: &str,
    replaces: Option<&str>,
) -> Result<Created, Failed<Signed>> {
    match sign(engine, spec, token, replaces).await? {
        Signing::Done(created) => Ok(created),
        Signing::Running(job) => Err(EngineError::new(
            ErrorKind::NotStabilized,
            format!("signing job {} is still in progress", job.job_id),
        )
        .into()),
    }
}

/// As [`create`], but a `spec.timeout` of zero does not wait for the job:
/// a job still running is returned as [`Signing::Running`], and calling
/// again with the same token picks it up (the token makes re-entry safe).
pub async fn sign(
    engine: &Engine,
    spec: &ArtifactSpec,
    token: &str,
    replaces: Option<&str>,
) -> Result<Signing, Failed<Signed>> {
    if let ObjectLocation::File(source) = &spec.source {
        check_paths(Some(source), spec.output_file.as_deref())?;
    }
    if let Some(output) = &spec.output_file {
        check_output_location(engine, output)?;
        create_parent_dirs(output).await?;
    }
    let (destination, download_to) = match (&spec.destination, &spec.output_file) {
        (Some(place), output) => (
            ObjectLocation::S3 {
                bucket: place.bucket.clone(),
                key: place.prefix.clone(),
                version: None,
            },
            output.clone(),
        ),
        (None, Some(output)) => (ObjectLocation::File(output.clone()), Some(output.clone())),
        (None, None) => {
            return Err(EngineError::invalid(
                OUTPUT_FILE,
                "set `output_file` (where the signed zip is written) or a `destination` block",
            )
            .into())
        }
    };
    let previous = previous_output_job(spec.output_file.as_deref()).await;
    let mut token = token.to_string();
    let mut attempt = 0;
    let signed = loop {
        tracing::info!(profile = %spec.profile_name, %token, "starting signing job");
        let job = engine
            .backend()
            .start_signing_job(StartSigningJob {
                profile_name: spec.profile_name.clone(),
                profile_owner: spec.profile_owner.clone(),
                source: spec.source.clone(),
                destination: destination.clone(),
                client_request_token: token.clone(),
                staging: spec.staging.as_ref().map(|p| Staging {
                    bucket: p.bucket.clone(),
                    prefix: p.prefix.clone(),
                }),
                download_to: download_to.clone(),
                timeout: spec.timeout,
            })
            .await
            .map_err(|e| sign_error(e, spec))?;
        if job.status == JobStatus::InProgress {
            tracing::info!(job = %job.job_arn, "signing job in progress");
            return Ok(Signing::Running(job));
        }
        // The output as it is now (a job the token found may be older than
        // this call, and its output changed since). On the local backend, a
        // job made by this call is not read again: its signing's digests
        // stand while the file is as it wrote it.
        let output_sha384 = signed_output_sha384(engine, spec.output_file.as_deref(), &job).await;
        match unkeepable(&job, &output_sha384, replaces) {
            Some(why) if attempt < MAX_STALE_TOKENS => {
                tracing::info!(job = %job.job_id, %why, "the token's job cannot be kept: signing anew");
                token = next_token(&token, &job.job_id);
                attempt += 1;
            }
            Some(why) => {
                return Err(EngineError::new(
                    ErrorKind::Conflict,
                    format!("signing job {} cannot be kept ({why}), and neither could the {MAX_STALE_TOKENS} after it", job.job_id),
                )
                .into())
            }
            None => break Signed { output_sha384, job },
        }
    };
    tracing::info!(job = %signed.job.job_arn, sha384 = %signed.job.signed_sha384, "signed");
    let mut warnings = Vec::new();
    if let (Some(previous), Some(output)) = (previous, &spec.output_file) {
        let replaced = replaces.is_some_and(|id| previous.ends_with(&format!("/{id}")));
        if previous != signed.job.job_arn && !replaced {
            warnings.push(format!(
                "{} held the signed output of signing job {previous}, which this signing does not replace (it may be left by an interrupted apply, or another configuration writes the same file); it is now the output of {}. Job {previous} keeps its record, without its output",
                output.display(),
                signed.job.job_arn
            ));
        }
    }
    match verify_signed(engine, &signed, &spec.verify_against).await {
        Ok(()) => {
            engine
                .signed_here
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(signed.job.job_id.clone());
            Ok(Signing::Done(Created { signed, warnings }))
        }
        Err(error) => Err(Failed {
            made: Some(signed),
            error,
        }),
    }
}

/// The job whose signature the file at `output` carries now, if any.
async fn previous_output_job(output: Option<&Path>) -> Option<String> {
    let path = output?.to_path_buf();
    tokio::task::spawn_blocking(move || artifact::read_envelope(&path))
        .await
        .ok()?
        .ok()?
        .map(|envelope| envelope.claims.job_arn)
}

/// A signing failure, at the field it is about.
fn sign_error(e: BackendError, spec: &ArtifactSpec) -> EngineError {
    let error = EngineError::from(e);
    let error = match error.field.as_ref().map(ToString::to_string).as_deref() {
        Some("source" | "content") => EngineError {
            field: Some(FieldPath::field(SOURCE_FILE)),
            ..error
        },
        Some("destination") if spec.destination.is_none() => EngineError {
            field: Some(FieldPath::field(OUTPUT_FILE)),
            ..error
        },
        _ => error,
    };
    let error = if error.kind == ErrorKind::JobFailed && error.field.is_none() {
        error.at(FieldPath::field(SOURCE_FILE))
    } else {
        error
    };
    error.doing(format!("sign with profile {}", spec.profile_name))
}

async fn create_parent_dirs(output: &Path) -> EngineResult<()> {
    match output.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => {
            tokio::fs::create_dir_all(parent).await.map_err(|e| {
                EngineError::invalid(
                    OUTPUT_FILE,
                    format!("cannot create {}: {e}", parent.display()),
                )
            })
        }
        _ => Ok(()),
    }
}

/// The SHA-384 (hex) of a source file as it is now; `None` when it cannot
/// be read.
pub async fn source_digest(source: &Path) -> Option<String> {
    let source = source.to_path_buf();
    tokio::task::spawn_blocking(move || crate::domain::digest::sha384_file(&source))
        .await
        .ok()?
        .ok()
        .map(hex::encode)
}

/// A job's output as it is now: the SHA-384 (hex) of `output_file`, ""
/// when it is missing; without one (an output in S3), what the backend
/// read back.
async fn signed_output_sha384(
    engine: &Engine,
    output_file: Option<&Path>,
    job: &SigningJob,
) -> String {
    match output_file {
        Some(path) => engine
            .backend()
            .output_sha384(path)
            .await
            .map(hex::encode)
            .unwrap_or_default(),
        None => job.signed_sha384.clone(),
    }
}

/// After signing: an intact signature, and every config passed.
async fn verify_signed(engine: &Engine, signed: &Signed, cscs: &[String]) -> EngineResult<()> {
    let job_arn = &signed.job.job_arn;
    let facts = verification::facts(engine, &ArtifactRef::SigningJob(job_arn.clone())).await?;
    match facts.signature.as_ref().map(|s| &s.integrity) {
        Some(Integrity::Valid) => {}
        Some(Integrity::Invalid { reason }) => {
            return Err(EngineError {
                kind: ErrorKind::Rejected,
                field: Some(FieldPath::field(OUTPUT_FILE)),
                message: format!("the signed output failed verification: {reason}. The signing job {job_arn} is kept; the next apply re-signs."),
            })
        }
        None => {
            return Err(EngineError {
                kind: ErrorKind::Rejected,
                field: Some(FieldPath::field(OUTPUT_FILE)),
                message: format!("signing job {job_arn} produced an output without a signature"),
            })
        }
    }
    let field = FieldPath::field(VERIFY_AGAINST);
    verification::must_pass(
        engine,
        &facts,
        cscs,
        "Signed artifact",
        &field,
        Report::new(),
    )
    .await
}

/// Re-verifies after an in-place change (only checking settings changed).
pub async fn update(engine: &Engine, signed: &Signed, cscs: &[String]) -> EngineResult<()> {
    verify_signed(engine, signed, cscs).await
}

/// The signing as it is now; gone (`None`) when the job is.
pub async fn read(
    engine: &Engine,
    job_id: &str,
    output_file: Option<&Path>,
) -> EngineResult<Option<Signed>> {
    match engine.backend().describe_signing_job(job_id).await {
        Ok(job) => {
            let output_sha384 = signed_output_sha384(engine, output_file, &job).await;
            Ok(Some(Signed { output_sha384, job }))
        }
        Err(BackendError::NotFound(_)) => Ok(None),
        Err(e) => Err(EngineError::from(e).doing(format!("read signing job {job_id}"))),
    }
}

/// Revokes the signature if asked, and removes the output this job wrote
/// (never a file someone replaced since).
pub async fn delete(
    engine: &Engine,
    signed: &Signed,
    output_file: Option<&Path>,
    revoke: bool,
) -> EngineResult<Vec<String>> {
    let job_id = &signed.job.job_id;
    let mut warnings = Vec::new();
    // With `create_before_destroy`, a replacement of unchanged content is
    // created first, and its create (which Terraform does not tell what it
    // replaces) may have kept this very job: the replacement is using it.
    let in_use = engine
        .signed_here
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .contains(job_id);
    if in_use {
        warnings.push(format!(
            "signing job {job_id} is also the signing of the artifact that replaces this one (create_before_destroy re-signed unchanged content and kept the job): its signature and output stay"
        ));
        return Ok(warnings);
    }
    if revoke {
        tracing::info!(job = %job_id, "revoking signature on destroy");
        match engine
            .backend()
            .revoke_signature(job_id, "revoked on destroy")
            .await
        {
            Ok(()) | Err(BackendError::NotFound(_)) | Err(BackendError::Conflict(_)) => {}
            Err(e) => {
                return Err(
                    EngineError::from(e).doing(format!("revoke the signature of job {job_id}"))
                )
            }
        }
    }
    if let Some(output) = output_file {
        if signed_output_sha384(engine, Some(output), &signed.job).await == signed.job.signed_sha384
        {
            if let Err(e) = tokio::fs::remove_file(output).await {
                warnings.push(format!(
                    "could not remove the signed output {}: {e}",
                    output.display()
                ));
            }
        }
    }
    Ok(warnings)
}

/// Imports by job id.
pub async fn import(engine: &Engine, job_id: &str) -> EngineResult<Signed> {
    let job = engine
        .backend()
        .describe_signing_job(job_id)
        .await
        .map_err(|e| {
            EngineError::from(e).doing(format!("import signing job {job_id:?} (import by job id)"))
        })?;
    let output = match &job.signed_object {
        ObjectLocation::File(path) => Some(path.clone()),
        ObjectLocation::S3 { .. } => None,
    };
    Ok(Signed {
        output_sha384: signed_output_sha384(engine, output.as_deref(), &job).await,
        job,
    })
}

/// The profile owner as a configuration names it: none for a profile of
/// the engine's own account, which configurations leave out.
pub fn configured_owner<'a>(engine: &Engine, job: &'a SigningJob) -> Option<&'a str> {
    let owner = job.profile_owner.as_str();
    (!owner.is_empty() && owner != engine.identity().account_id).then_some(owner)
}

/// The artifacts this account signed into S3 that still stand: succeeded
/// jobs whose signature is not revoked (a revoked signature is how a
/// signed artifact is deleted where jobs cannot be).
pub async fn list(engine: &Engine) -> EngineResult<Vec<SigningJob>> {
    Ok(engine
        .backend()
        .list_signing_jobs(crate::backend::JobFilter::default())
        .await?
        .into_iter()
        .filter(|job| {
            job.status == JobStatus::Succeeded
                && !job.is_revoked()
                && matches!(job.signed_object, ObjectLocation::S3 { .. })
        })
        .collect())
}

/// A signing job's view through the checks (for a data source).
pub async fn checks_of(
    engine: &Engine,
    job_arn: &str,
    csc: Option<&str>,
    at: DateTime<Utc>,
) -> EngineResult<Option<checks::Verdict>> {
    let Some(csc) = csc else { return Ok(None) };
    let facts = verification::facts(engine, &ArtifactRef::SigningJob(job_arn.to_string())).await?;
    match verification::policy(engine, csc).await? {
        PolicyView::Known(policy) => Ok(Some(checks::evaluate(&facts, &policy, at))),
        PolicyView::Unknown(_) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_output_is_neither_the_source_nor_a_directory() {
        let tmp = tempfile::tempdir().expect("tmp");
        let source = tmp.path().join("a.zip");
        let at_output = |e: EngineError| e.field == Some(FieldPath::field(OUTPUT_FILE));
        let same = tmp.path().join(".").join("a.zip");
        assert!(check_paths(Some(&source), Some(&same)).is_err_and(at_output));
        let dir = tmp.path().join("out.zip");
        std::fs::create_dir(&dir).expect("dir");
        let error = check_paths(Some(&source), Some(&dir)).expect_err("a directory");
        assert!(error.message.contains("is a directory"), "{error:?}");
        assert!(at_output(error));
        assert!(check_paths(Some(&source), Some(&tmp.path().join("b.zip"))).is_ok());
        assert!(check_paths(None, None).is_ok());
    }
}
