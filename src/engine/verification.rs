//! Verification as Lambda would do it at deploy time, said before: the
//! facts of an artifact's signature (as the backend establishes them, with
//! the revocations this run plans), the policy of a code signing config
//! (as this run plans it), Lambda's four checks, and the findings a plan
//! reports: an error for each blocking failure, a warning for each failure
//! Lambda would only log.

use chrono::{DateTime, Utc};

use super::planned::{PartialPolicy, PlannedPolicy};
use super::rules::{enforcement_rule, policy_error};
use super::rules::{FieldRule, Shape};
use super::{Engine, EngineError, EngineResult, ErrorKind, Planned, Report};
use crate::backend::BackendError;
use crate::domain::arn::{JobArn, LayerVersionArn};
use crate::domain::checks::{self, Enforcement, Facts, Policy, Revocation, Status, Verdict};
use crate::domain::facts::{self as domain_facts, ArtifactRef};
use crate::domain::field::FieldPath;
use crate::domain::names;
use crate::domain::time::parse_time;

/// The fields of a verification (resource and data source alike).
pub mod field {
    pub const CODE_SIGNING_CONFIG_ARN: &str = "code_signing_config_arn";
    pub const POLICY: &str = "policy";
    pub const ALLOWED_PUBLISHERS: &str = "allowed_publishers";
    pub const UNTRUSTED_ARTIFACT_ON_DEPLOYMENT: &str = "untrusted_artifact_on_deployment";
    pub const ARTIFACT: &str = "artifact";
    pub const NAME: &str = "name";
    pub const SIGNED_FILE: &str = "signed_file";
    pub const SIGNING_JOB_ARN: &str = "signing_job_arn";
    pub const LAYER_VERSION_ARN: &str = "layer_version_arn";
    pub const S3_OBJECT: &str = "s3_object";
    pub const S3_OBJECT_VERSION: &str = "s3_object_version";
    pub const AT: &str = "at";
    pub const ALLOWED: &str = "allowed";
    pub const CHECKS: &str = "checks";
    pub const CHECK: &str = "check";
    pub const STATUS: &str = "status";
    pub const BLOCKING: &str = "blocking";
    pub const REASON: &str = "reason";
}
use field::*;

/// The ways an artifact can be named, one per artifact.
pub const ARTIFACT_SOURCES: &[&str] = &[SIGNED_FILE, SIGNING_JOB_ARN, LAYER_VERSION_ARN, S3_OBJECT];

/// What a verification's fields must be, checked at validate.
pub const RULES: &[FieldRule] = &[
    FieldRule::text(&[AT], at_rule),
    FieldRule::text(
        &[POLICY, UNTRUSTED_ARTIFACT_ON_DEPLOYMENT],
        enforcement_rule,
    ),
    FieldRule::text(&[ARTIFACT, SIGNING_JOB_ARN], job_arn_rule),
    FieldRule::text(&[ARTIFACT, LAYER_VERSION_ARN], layer_version_arn_rule),
    FieldRule::text(&[ARTIFACT, S3_OBJECT], |text| {
        s3_object(text, None).map(|_| ())
    }),
];
/// One policy source: a config or an inline policy.
pub const SHAPE: &[Shape] = &[Shape::ExactlyOne(&[CODE_SIGNING_CONFIG_ARN, POLICY])];

fn at_rule(text: &str) -> Result<(), names::Invalid> {
    parse_time(text).map(|_| ()).map_err(names::Invalid)
}

fn job_arn_rule(text: &str) -> Result<(), names::Invalid> {
    text.parse::<JobArn>()
        .map(|_| ())
        .map_err(|e| names::Invalid(format!("{text:?} is not a signing job ARN: {e}")))
}

fn layer_version_arn_rule(text: &str) -> Result<(), names::Invalid> {
    text.parse::<LayerVersionArn>().map(|_| ()).map_err(|e| {
        names::Invalid(format!(
            "{text:?} is not a layer version ARN (arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION): {e}"
        ))
    })
}

/// Function code in S3, as `s3://BUCKET/KEY` (and a version): the object
/// Lambda would deploy, judged by its bytes.
pub fn s3_object(text: &str, version: Option<String>) -> Result<ArtifactRef, names::Invalid> {
    let (bucket, key) = text
        .strip_prefix("s3://")
        .and_then(|rest| rest.split_once('/'))
        .filter(|(b, k)| !b.is_empty() && !k.is_empty())
        .ok_or_else(|| names::Invalid(format!("{text:?} is not s3://BUCKET/KEY")))?;
    names::bucket_name(bucket)?;
    Ok(ArtifactRef::S3Object {
        bucket: bucket.to_string(),
        key: key.to_string(),
        version: version.filter(|v| !v.is_empty()),
    })
}

/// A policy as the plan sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyView {
    Known(Policy),
    /// Known only after apply.
    Unknown(PartialPolicy),
}

/// Builds an inline policy; each broken rule is an error at its element.
pub fn inline_policy(
    publishers: &[String],
    enforcement: Enforcement,
    at: FieldPath,
) -> Result<Policy, Vec<EngineError>> {
    Policy::new(publishers, enforcement)
        .map_err(|errors| errors.iter().map(|e| policy_error(e, at.clone())).collect())
}

/// The policy of a code signing config: as this run plans it, else as
/// stored. A stored config that breaks the rules is an error.
pub async fn policy(engine: &Engine, csc_arn: &str) -> EngineResult<PolicyView> {
    if let Some(planned) = engine.planned().policy(csc_arn) {
        return Ok(match planned {
            PlannedPolicy::Known(policy) => PolicyView::Known(policy),
            PlannedPolicy::Unknown(partial) => PolicyView::Unknown(partial),
        });
    }
    let csc = match engine.backend().get_code_signing_config(csc_arn).await {
        Ok(csc) => csc,
        Err(BackendError::NoStore(dir)) => {
            return Err(EngineError::not_found(format!(
                "code signing config {csc_arn} does not exist: there is no store at {dir}"
            )))
        }
        Err(e) if e.is_absent() => {
            return Err(EngineError::not_found(format!(
                "code signing config {csc_arn} does not exist"
            )))
        }
        Err(e) => {
            return Err(EngineError::from(e).doing(format!("read code signing config {csc_arn}")))
        }
    };
    csc.policy().map(PolicyView::Known).map_err(|errors| {
        let reasons: Vec<String> = errors.iter().map(ToString::to_string).collect();
        EngineError::new(
            super::ErrorKind::Internal,
            format!(
                "code signing config {csc_arn} is invalid: {}",
                reasons.join("; ")
            ),
        )
    })
}

/// The facts of an artifact's signature, with the revocations this run
/// plans for the profile version that made it.
pub async fn facts(engine: &Engine, artifact: &ArtifactRef) -> EngineResult<Facts> {
    Ok(evidence_and_facts(engine, artifact).await?.1)
}

/// The evidence a backend found for an artifact, and the facts from it.
pub(super) async fn evidence_and_facts(
    engine: &Engine,
    artifact: &ArtifactRef,
) -> EngineResult<(domain_facts::Evidence, Facts)> {
    let evidence = engine
        .backend()
        .signature_evidence(artifact)
        .await
        .map_err(|e| EngineError::from(e).doing(format!("read the signature of {artifact}")))?;
    let facts = planned_facts(engine, &evidence);
    tracing::debug!(%artifact, signed = facts.signature.is_some(), missing_records = facts.missing_records.len(), "read the signature's facts");
    Ok((evidence, facts))
}

/// As [`facts`], but another account's layer version that this account
/// may not read yet is waited for (see [`GRANT_WAIT`]). For verifications,
/// which a configuration may apply beside the grant they need; a deploy
/// check (Lambda's, `serve`'s) answers at once.
pub async fn facts_once_granted(engine: &Engine, artifact: &ArtifactRef) -> EngineResult<Facts> {
    let evidence = evidence_once_granted(engine, artifact)
        .await
        .map_err(|e| EngineError::from(e).doing(format!("read the signature of {artifact}")))?;
    Ok(planned_facts(engine, &evidence))
}

/// How a reader is ordered after the grant it needs, for messages.
const ORDER_THE_GRANT: &str = "a lambdasign_layer_grant of another provider configuration is planned and applied before this resource only if this resource refers to it or has `depends_on` on it";

/// Another account's layer version, which this account reads only once
/// its owner grants it.
fn foreign_layer(engine: &Engine, artifact: &ArtifactRef) -> Option<String> {
    match artifact {
        ArtifactRef::LayerVersion(arn) => arn
            .parse::<LayerVersionArn>()
            .ok()
            .filter(|a| a.account_id() != engine.identity().account_id)
            .map(|a| a.to_string()),
        _ => None,
    }
}

/// How long a read of another account's layer version waits for its
/// grant: a `lambdasign_layer_grant` applied in the same run by another
/// provider configuration (another process) may land just after the read
/// is scheduled, as IAM-style grants propagate on AWS.
const GRANT_WAIT: std::time::Duration = std::time::Duration::from_secs(12);

/// The backend's evidence; another account's layer version that this
/// account may not (yet) read is tried again with bounded back-off, and
/// the final error names the grant it waited for.
async fn evidence_once_granted(
    engine: &Engine,
    artifact: &ArtifactRef,
) -> Result<domain_facts::Evidence, BackendError> {
    let foreign_layer = foreign_layer(engine, artifact);
    let started = std::time::Instant::now();
    let mut delay = std::time::Duration::from_millis(250);
    loop {
        match engine.backend().signature_evidence(artifact).await {
            Err(BackendError::AccessDenied(_) | BackendError::NotFound(_))
                if foreign_layer.is_some() && started.elapsed() + delay <= GRANT_WAIT =>
            {
                tracing::debug!(%artifact, ?delay, "another account's layer is not readable yet: waiting for its grant");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(std::time::Duration::from_secs(2));
            }
            Err(BackendError::AccessDenied(message)) if foreign_layer.is_some() => {
                let me = &engine.identity().account_id;
                return Err(BackendError::AccessDenied(format!(
                    "{message} (waited {}s for a grant of lambda:GetLayerVersion on {artifact} to account {me}; {ORDER_THE_GRANT})",
                    started.elapsed().as_secs()
                )));
            }
            other => return other,
        }
    }
}

/// The layer version, when `error` says this account may not use another
/// account's layer version (yet).
fn ungranted_layer(engine: &Engine, artifact: &ArtifactRef, error: &EngineError) -> Option<String> {
    (error.kind == ErrorKind::AccessDenied)
        .then(|| foreign_layer(engine, artifact))
        .flatten()
}

/// What a plan does with another account's layer version this account may
/// not use now.
enum AtPlan {
    /// A grant of this run that lets it through is applied (a re-plan
    /// during apply): read it once the grant lands, as apply does.
    Read,
    /// A grant planned before this resource lets it through: the checks
    /// run at apply (the warning is in the report).
    AfterGrant,
    /// No grant of this run does: Lambda would refuse the layer (the error
    /// is in the report).
    Refused,
}

/// Another account's layer version this account may not use now, at plan:
/// a grant of this run (by any provider configuration) planned before this
/// resource leaves the checks to apply; none fails the plan, saying how to
/// order one.
fn ungranted_at_plan(
    engine: &Engine,
    layer: &str,
    subject: &str,
    field: FieldPath,
    error: &EngineError,
    report: &mut Report,
) -> AtPlan {
    let me = &engine.identity().account_id;
    let grants = engine.planned().grants_to(layer, me);
    if grants.iter().any(|(_, applied)| *applied) {
        return AtPlan::Read;
    }
    if grants.is_empty() {
        let unseen = engine
            .planned()
            .board_unavailable()
            .map(|why| format!(" (this provider process cannot see the other provider configurations' plans: {why})"))
            .unwrap_or_default();
        report.failure(
            format!("{subject}: cannot read its signature"),
            &EngineError::new(
                error.kind,
                format!("{}; no lambdasign_layer_grant planned before this resource in this run lets account {me} use {layer}{unseen}. If this configuration grants it, add `depends_on` on that grant to this resource: {ORDER_THE_GRANT}.", error.message),
            )
            .at(field),
        );
        return AtPlan::Refused;
    }
    let named: Vec<String> = grants
        .iter()
        .map(|(g, _)| {
            format!(
                "statement {} to {}",
                g.statement_id
                    .as_deref()
                    .map_or_else(|| "(known at apply)".into(), |s| format!("{s:?}")),
                g.principal.as_deref().unwrap_or("(known at apply)")
            )
        })
        .collect();
    report.warning(
        Some(field),
        format!("{subject} is checked at apply"),
        format!("Account {me} may not use {layer} until the grant this run plans ({}) is applied; the checks run at apply, once it lands (waiting up to {}s; {ORDER_THE_GRANT}).", named.join(", "), GRANT_WAIT.as_secs()),
    );
    AtPlan::AfterGrant
}

/// Why a plan did not read an artifact.
enum NotRead {
    /// Left to apply (the warning is in the report).
    LeftToApply,
    /// Refused (the error is in the report).
    Refused,
}

/// An artifact's facts as a verification reads them [`When`] it runs.
async fn read_facts(
    engine: &Engine,
    source: &ArtifactRef,
    when: When,
    subject: &str,
    field: &FieldPath,
    report: &mut Report,
) -> Result<EngineResult<Facts>, NotRead> {
    if when == When::Apply {
        return Ok(facts_once_granted(engine, source).await);
    }
    let error = match facts(engine, source).await {
        Err(error) => error,
        read => return Ok(read),
    };
    let Some(layer) = ungranted_layer(engine, source, &error) else {
        return Ok(Err(error));
    };
    match ungranted_at_plan(engine, &layer, subject, field.clone(), &error, report) {
        AtPlan::Read => Ok(facts_once_granted(engine, source).await),
        AtPlan::AfterGrant => Err(NotRead::LeftToApply),
        AtPlan::Refused => Err(NotRead::Refused),
    }
}

/// The facts of some evidence, with the revocations this run plans.
fn planned_facts(engine: &Engine, evidence: &domain_facts::Evidence) -> Facts {
    let mut facts = domain_facts::facts(evidence);
    with_planned_revocation(engine, &mut facts);
    facts
}

/// Overlays a planned revocation of the signing profile version, when it
/// revokes more than the recorded one.
fn with_planned_revocation(engine: &Engine, facts: &mut Facts) {
    let Some(signature) = &facts.signature else {
        return;
    };
    let Some(planned) = engine.planned().revocation(&signature.profile_version_arn) else {
        return;
    };
    let earlier = facts
        .profile_revocation
        .as_ref()
        .is_none_or(|r| planned.effective_time < r.effective_time);
    if earlier {
        facts.profile_revocation = Some(Revocation {
            effective_time: planned.effective_time,
            recorded_at: planned.effective_time.min(Utc::now()),
            // The reason as it will be recorded: a plan made again at apply,
            // once the revocation is stored, says the same.
            reason: planned.reason.clone(),
        });
    }
}

/// One finding per failed check: an error when it blocks deployment, a
/// warning when Lambda would deploy anyway (`Warn`).
pub fn report_verdict(
    verdict: &Verdict,
    subject: &str,
    against: &str,
    field: &FieldPath,
    report: &mut Report,
) {
    for result in &verdict.results {
        let Status::Failed { blocking } = result.status else {
            continue;
        };
        let summary = format!("{subject}: {} check failed", result.check);
        let detail = format!("{}\n\nChecked against {against}.", result.reason);
        if blocking {
            report.error(
                Some(field.clone()),
                summary,
                format!("{detail} Lambda would reject this deployment."),
            );
        } else {
            report.warning(
                Some(field.clone()),
                summary,
                format!("{detail} Lambda would deploy it (policy Warn) and log a warning."),
            );
        }
    }
}

/// `verify_against` is known only at apply (a config in it is made or
/// replaced in this run): the plan says when the checks run instead.
pub fn configs_known_at_apply(what: &str, field: FieldPath, report: &mut Report) {
    report.warning(
        Some(field),
        format!("{what}: checks against `verify_against` run at apply"),
        "The code signing configs to verify against are known only after apply (one is made or replaced in this run). This resource plans an update so that the four checks run when this run applies, before anything that depends on it; a failing check fails that apply.",
    );
}

/// Whether a plan could run every check, or left some to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[must_use]
pub enum Checked {
    #[default]
    Now,
    AtApply,
}

impl Checked {
    pub fn and(self, other: Checked) -> Checked {
        if self == Checked::AtApply || other == Checked::AtApply {
            Checked::AtApply
        } else {
            Checked::Now
        }
    }
}

/// Checks one artifact, whose facts were read once, against each config in
/// `cscs`, as planned. Findings point at `field`. A config whose policy is
/// known only after apply is checked then; what its known part already
/// says of this artifact's publisher is said now.
pub async fn against_configs(
    engine: &Engine,
    facts: &Facts,
    cscs: &[String],
    subject: &str,
    field: &FieldPath,
    report: &mut Report,
) -> Checked {
    let mut checked = Checked::Now;
    for csc in cscs {
        match policy(engine, csc).await {
            Ok(PolicyView::Known(policy)) => {
                let verdict = checks::evaluate(facts, &policy, Utc::now());
                tracing::debug!(%csc, allowed = verdict.allowed, enforcement = %policy.enforcement(), "{subject}: checked");
                report_verdict(&verdict, subject, csc, field, report);
            }
            Ok(PolicyView::Unknown(partial)) => {
                tracing::debug!(%csc, why = %partial.why, "{subject}: checks left to apply");
                checked = Checked::AtApply;
                report.warning(
                    Some(field.clone()),
                    format!("{subject}: checks against {csc} run at apply"),
                    format!("The policy of {csc} is known only after apply ({}). This resource plans an update so that the four checks run when this run applies, after the config is changed and before anything that depends on this resource; a failing check fails that apply.", partial.why),
                );
                publisher_at_risk(facts, csc, &partial, subject, field, report);
            }
            Err(e) => report.failure(format!("{subject}: cannot check against {csc}"), &e),
        }
    }
    checked
}

/// A check that fails while Terraform applies (its plan is made again
/// then, with what is now known) comes after the changes it depends on:
/// the error says what already stands.
pub fn after_applied_changes(engine: &Engine, report: &mut Report) {
    let applied = engine.applied();
    if applied.is_empty() || !report.has_errors() {
        return;
    }
    report.error(
        None,
        "Changes this apply already made",
        format!("Terraform applies a code signing config before what is checked against it, so this apply had already changed: {}. Lambda applies a config only to later deployments: functions already deployed keep running, but a deployment of what fails these checks would be rejected from now on. Fix the configuration (or the artifact) and apply again.", applied.join("; ")),
    );
}

/// At apply, what the checks found settles it: the first blocking finding
/// is the error, and a policy still unknown is one too (everything a
/// policy depends on is applied before what is checked against it).
pub fn settle(report: Report, checked: Checked, field: FieldPath) -> EngineResult<()> {
    if let Some(finding) = report
        .into_iter()
        .find(|f| f.severity == super::Severity::Error)
    {
        return Err(EngineError {
            kind: super::ErrorKind::Rejected,
            field: finding.field,
            message: format!("{}: {}", finding.summary, finding.detail),
        });
    }
    match checked {
        Checked::Now => Ok(()),
        Checked::AtApply => Err(EngineError {
            kind: super::ErrorKind::Rejected,
            field: Some(field),
            message: "a code signing config's policy is still unknown at apply, so the checks cannot run; apply again".into(),
        }),
    }
}

/// At apply: after what `report` holds already, `facts` must pass each
/// config in `cscs` (see [`settle`]).
pub async fn must_pass(
    engine: &Engine,
    facts: &Facts,
    cscs: &[String],
    subject: &str,
    field: &FieldPath,
    mut report: Report,
) -> EngineResult<()> {
    let checked = against_configs(engine, facts, cscs, subject, field, &mut report).await;
    settle(report, checked, field.clone())
}

/// The known part of a policy that leaves this artifact's publisher out is a
/// risk visible now, whatever the unknown part turns out to be.
fn publisher_at_risk(
    facts: &Facts,
    csc: &str,
    partial: &PartialPolicy,
    subject: &str,
    field: &FieldPath,
    report: &mut Report,
) {
    let Some(signature) = &facts.signature else {
        return;
    };
    let signer = &signature.profile_version_arn;
    if partial.surely_allows(signer) {
        return;
    }
    let outcome = match partial.enforcement {
        Some(Enforcement::Enforce) => "Lambda would reject its deployment (policy Enforce)",
        Some(Enforcement::Warn) => "Lambda would deploy it with a warning (policy Warn)",
        None => "whether Lambda rejects it (Enforce) or deploys it with a warning (Warn) is known only after apply",
    };
    let known = if partial.known_publishers.is_empty() {
        "none".to_string()
    } else {
        partial.known_publishers.join(", ")
    };
    let detail = if partial.more_publishers {
        format!("It is signed by {signer} (signing job {}), which is not among the allowed publishers of {csc} known at plan ({known}). It stays deployable only if a value known only after apply turns out to be {signer}; otherwise the source mismatch check fails at apply and {outcome}.", signature.job_arn)
    } else {
        format!("It is signed by {signer} (signing job {}), which is not an allowed publisher of {csc} ({known}): the source mismatch check fails, and {outcome}.", signature.job_arn)
    };
    report.warning(
        Some(field.clone()),
        format!("{subject}: publisher {signer} is not among the allowed publishers of {csc}"),
        detail,
    );
}

/// One artifact of a verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactSpec {
    pub name: String,
    /// `None`: the reference is known only after apply.
    pub source: Planned<ArtifactRef>,
}

/// A verification: artifacts (function code and layers) under one policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationSpec {
    pub policy: Planned<PolicySource>,
    pub artifacts: Vec<ArtifactSpec>,
    pub at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicySource {
    CodeSigningConfig(String),
    Inline(Policy),
}

/// The verdict on one artifact (`None`: not known until apply, or unreadable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactResult {
    pub verdict: Option<Verdict>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerificationOutcome {
    pub report: Report,
    pub results: Vec<ArtifactResult>,
    /// Whether Lambda would accept every artifact (`None`: not known yet).
    pub allowed: Option<bool>,
}

/// When a verification runs. In a plan, another account's layer version
/// this account may not use yet is looked for among the grants the run
/// plans, not waited for (nothing lands before the plan ends), unless such
/// a grant is already applied (Terraform plans again during apply). At
/// apply (and in a data source read) a grant applied beside the reader may
/// be landing, and is waited for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    Plan,
    Apply,
}

/// Evaluates a verification as the plan sees the world.
pub async fn verify(engine: &Engine, spec: &VerificationSpec, when: When) -> VerificationOutcome {
    let mut out = VerificationOutcome {
        results: vec![ArtifactResult { verdict: None }; spec.artifacts.len()],
        ..VerificationOutcome::default()
    };
    let (policy, against, policy_field) = match &spec.policy {
        Planned::Unknown => {
            out.report.warning(
                Some(FieldPath::field(CODE_SIGNING_CONFIG_ARN)),
                "Verification runs at apply",
                "The code signing config is known only after apply; the checks run then, before anything that depends on this verification.",
            );
            return out;
        }
        Planned::Known(PolicySource::Inline(policy)) => (
            PolicyView::Known(policy.clone()),
            "the inline policy".to_string(),
            FieldPath::field(POLICY),
        ),
        Planned::Known(PolicySource::CodeSigningConfig(arn)) => {
            let field = FieldPath::field(CODE_SIGNING_CONFIG_ARN);
            match policy(engine, arn).await {
                Ok(view) => (view, arn.clone(), field),
                Err(e) => {
                    out.report
                        .failure("Cannot read the code signing config", &e.at(field));
                    out.allowed = Some(false);
                    return out;
                }
            }
        }
    };
    let policy = match policy {
        PolicyView::Known(policy) => policy,
        PolicyView::Unknown(partial) => {
            out.report.warning(
                Some(policy_field),
                "Verification runs at apply",
                format!("The policy of {against} is known only after apply ({}); the checks run when this run applies, after the config is changed and before anything that depends on this verification.", partial.why),
            );
            return out;
        }
    };
    let at = spec.at.unwrap_or_else(Utc::now);
    let (mut rejected, mut pending) = (false, false);
    for (index, artifact) in spec.artifacts.iter().enumerate() {
        let Planned::Known(source) = &artifact.source else {
            out.report.warning(
                Some(FieldPath::field(ARTIFACT).index(index)),
                format!("Artifact {:?} is checked at apply", artifact.name),
                format!("Its reference is known only after apply; the checks run then. Another account's layer granted in this run by another provider configuration is read once the grant lands (up to {}s); `depends_on` on that lambdasign_layer_grant orders the two.", GRANT_WAIT.as_secs()),
            );
            pending = true;
            continue;
        };
        let (source_field, subject) = match source {
            ArtifactRef::SignedFile(_) | ArtifactRef::S3Object { .. } => {
                (SIGNED_FILE, format!("Artifact {:?}", artifact.name))
            }
            ArtifactRef::SigningJob(_) => {
                (SIGNING_JOB_ARN, format!("Artifact {:?}", artifact.name))
            }
            ArtifactRef::LayerVersion(_) => {
                (LAYER_VERSION_ARN, format!("Layer {:?}", artifact.name))
            }
        };
        let field = FieldPath::field(ARTIFACT).index(index).then(source_field);
        let read = match read_facts(engine, source, when, &subject, &field, &mut out.report).await {
            Ok(read) => read,
            Err(NotRead::LeftToApply) => {
                pending = true;
                continue;
            }
            Err(NotRead::Refused) => {
                rejected = true;
                continue;
            }
        };
        match read {
            Ok(facts) => {
                let verdict = checks::evaluate(&facts, &policy, at);
                report_verdict(&verdict, &subject, &against, &field, &mut out.report);
                rejected |= !verdict.allowed;
                out.results[index].verdict = Some(verdict);
            }
            Err(e) => {
                out.report.failure(
                    format!("{subject}: cannot read its signature"),
                    &e.at(field),
                );
                rejected = true;
            }
        }
    }
    after_applied_changes(engine, &mut out.report);
    out.allowed = if rejected {
        Some(false)
    } else if pending {
        None
    } else {
        Some(true)
    };
    out
}
