//! Layer versions, whole: a signed artifact published as a Lambda layer
//! version. Unlike Lambda, publishing verifies the signature first (and
//! against `verify_against`), so a layer that functions could never use is
//! caught before it exists. Versions are immutable: new content (by digest)
//! or new metadata publishes a new version; a path spelled differently for
//! the same file changes nothing. A file that another resource produces in
//! the same run is read, and checked, at apply. `skip_destroy` keeps the
//! version in Lambda when it is replaced or destroyed.

use std::path::{Path, PathBuf};

use super::rules::{FieldRule, Shape};
use super::signed_artifact::csc_arn_rule;
use super::verification::{self, Checked};
use super::{Engine, EngineError, EngineResult, ErrorKind, Failed, Planned, Report};
use crate::backend::{BackendError, PublishLayerVersion};
use crate::domain::checks::Integrity;
use crate::domain::facts::ArtifactRef;
use crate::domain::field::FieldPath;
use crate::domain::job::ObjectLocation;
use crate::domain::layer::LayerVersion;
use crate::domain::names;

pub mod field {
    pub const LAYER_NAME: &str = "layer_name";
    pub const SIGNED_FILE: &str = "signed_file";
    pub const SIGNED_OBJECT: &str = "signed_object";
    pub const BUCKET: &str = "bucket";
    pub const KEY: &str = "key";
    pub const VERSION: &str = "version";
    pub const COMPATIBLE_RUNTIMES: &str = "compatible_runtimes";
    pub const COMPATIBLE_ARCHITECTURES: &str = "compatible_architectures";
    pub const DESCRIPTION: &str = "description";
    pub const LICENSE_INFO: &str = "license_info";
    pub const VERIFY_AGAINST: &str = "verify_against";
    pub const SKIP_DESTROY: &str = "skip_destroy";
    pub const SOURCE_SHA384: &str = "source_sha384";
    pub const ARN: &str = "arn";
    pub const LAYER_ARN: &str = "layer_arn";
    pub const SIGNING_PROFILE_VERSION_ARN: &str = "signing_profile_version_arn";
    pub const SIGNING_JOB_ARN: &str = "signing_job_arn";
    pub const CREATED_DATE: &str = "created_date";
    pub const VERIFIED: &str = "verified";
}
use field::*;

/// Changing any of these publishes a new version. The file is compared by
/// [`plan`]: by its content's digest, not by how its path is spelled.
pub const REPLACE_ON_CHANGE: &[&str] = &[
    LAYER_NAME,
    SIGNED_OBJECT,
    COMPATIBLE_RUNTIMES,
    COMPATIBLE_ARCHITECTURES,
    DESCRIPTION,
    LICENSE_INFO,
];

/// What publishing produces; unknown whenever a new version is planned.
pub const PRODUCED: &[&str] = &[
    ARN,
    LAYER_ARN,
    VERSION,
    SIGNING_PROFILE_VERSION_ARN,
    SIGNING_JOB_ARN,
    CREATED_DATE,
    VERIFIED,
];

pub const RULES: &[FieldRule] = &[
    FieldRule::text(&[LAYER_NAME], names::layer_name),
    FieldRule::each(&[COMPATIBLE_RUNTIMES], names::runtime),
    FieldRule::each(&[COMPATIBLE_ARCHITECTURES], names::architecture),
    FieldRule::text(&[DESCRIPTION], names::description),
    FieldRule::text(&[LICENSE_INFO], license_rule),
    FieldRule::each(&[VERIFY_AGAINST], csc_arn_rule),
];

pub const SHAPE: &[Shape] = &[Shape::ExactlyOne(&[SIGNED_FILE, SIGNED_OBJECT])];

/// Lambda's limit on `license_info`: 512 characters.
fn license_rule(text: &str) -> Result<(), names::Invalid> {
    if text.chars().count() <= 512 {
        Ok(())
    } else {
        Err(names::Invalid(
            "license_info has more than 512 characters".into(),
        ))
    }
}

/// A layer version as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerSpec {
    pub layer_name: String,
    pub content: ObjectLocation,
    pub compatible_runtimes: Vec<String>,
    pub compatible_architectures: Vec<String>,
    pub description: String,
    pub license_info: Option<String>,
    pub verify_against: Vec<String>,
}

/// What a plan step of a layer version knows.
#[derive(Debug, Clone)]
pub struct LayerChange<'a> {
    /// The layer's name, when known at plan.
    pub layer_name: Option<String>,
    pub prior: Option<&'a LayerVersion>,
    pub prior_source_sha384: Option<String>,
    /// Compared by content: another spelling of the same file publishes nothing.
    pub signed_file: Planned<Option<PathBuf>>,
    pub verify_against: Planned<Vec<String>>,
    /// The configured fields whose change publishes a new version.
    pub replacing: Vec<&'static str>,
}

#[derive(Debug, Default)]
pub struct LayerPlan {
    pub report: Report,
    /// The content's digest (`Known(None)`: content in S3, read at apply).
    pub source_sha384: Planned<Option<String>>,
    /// Why a new version is published, beyond changed configuration.
    pub republish: Vec<&'static str>,
    /// Whether the checks of the published version ran now or are left to
    /// apply (which the front end must then make happen).
    pub checked: Checked,
}

/// SHA-384 (hex) of a file at plan time; `None` when it does not exist yet.
async fn digest_if_present(path: &Path) -> EngineResult<Option<String>> {
    let owned = path.to_path_buf();
    match tokio::task::spawn_blocking(move || crate::domain::digest::sha384_file(&owned)).await {
        Ok(Ok(digest)) => Ok(Some(hex::encode(digest))),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Ok(Err(e)) => Err(EngineError::invalid(
            SIGNED_FILE,
            format!("{}: {e}", path.display()),
        )),
        Err(e) => Err(EngineError::new(
            ErrorKind::Internal,
            format!("reading {}: {e}", path.display()),
        )),
    }
}

pub async fn plan(engine: &Engine, change: &LayerChange<'_>) -> LayerPlan {
    let mut out = LayerPlan::default();
    out.source_sha384 = match &change.signed_file {
        Planned::Unknown => Planned::Unknown,
        Planned::Known(None) => Planned::Known(None),
        Planned::Known(Some(path)) => match digest_if_present(path).await {
            Ok(Some(digest)) => Planned::Known(Some(digest)),
            Ok(None) => {
                out.report.warning(
                    Some(FieldPath::field(SIGNED_FILE)),
                    "Signed file does not exist yet",
                    format!("{} does not exist at plan time. If another resource of this configuration makes it (such as a lambdasign_signed_artifact's output), it is read and verified at apply, before publishing; otherwise apply fails.", path.display()),
                );
                Planned::Unknown
            }
            Err(e) => {
                out.report.failure("Cannot read the signed file", &e);
                return out;
            }
        },
    };
    if change.verify_against == Planned::Unknown {
        let field = FieldPath::field(VERIFY_AGAINST);
        verification::configs_known_at_apply("Layer", field, &mut out.report);
        out.checked = Checked::AtApply;
    }
    let Some(prior) = change.prior else {
        note_new_version(engine, change);
        check_content(engine, change, &out.source_sha384, &mut out.report).await;
        verification::after_applied_changes(engine, &mut out.report);
        return out;
    };
    match (&out.source_sha384, &change.prior_source_sha384) {
        (Planned::Known(Some(now)), Some(before)) if now != before => {
            out.republish.push(SOURCE_SHA384)
        }
        (Planned::Unknown, _) => out.republish.push(SOURCE_SHA384),
        _ => {}
    }
    if change.replacing.is_empty() && out.republish.is_empty() {
        // The published version stays: check it as it is now.
        if let Planned::Known(cscs) = &change.verify_against {
            match verification::facts(
                engine,
                &ArtifactRef::LayerVersion(prior.layer_version_arn.clone()),
            )
            .await
            {
                Ok(facts) => {
                    let checked = verification::against_configs(
                        engine,
                        &facts,
                        cscs,
                        "Layer",
                        &FieldPath::field(VERIFY_AGAINST),
                        &mut out.report,
                    )
                    .await;
                    out.checked = out.checked.and(checked);
                }
                Err(e) if e.is_not_found() => {}
                Err(e) => out.report.failure(
                    "Cannot read the layer's signature",
                    &e.at(FieldPath::field(ARN)),
                ),
            }
        }
    } else {
        note_new_version(engine, change);
        check_content(engine, change, &out.source_sha384, &mut out.report).await;
    }
    verification::after_applied_changes(engine, &mut out.report);
    out
}

/// Grants planned in this run may name the version about to be published.
fn note_new_version(engine: &Engine, change: &LayerChange<'_>) {
    if let Some(name) = &change.layer_name {
        engine.planned().plan_new_layer_version(name);
    }
}

/// The content about to be published: intact, and passing each config.
async fn check_content(
    engine: &Engine,
    change: &LayerChange<'_>,
    digest: &Planned<Option<String>>,
    report: &mut Report,
) {
    let (Planned::Known(Some(path)), Planned::Known(Some(_))) = (&change.signed_file, digest)
    else {
        return;
    };
    let cscs = change.verify_against.known().cloned().unwrap_or_default();
    // What is left to apply runs there: publishing verifies first.
    if let Err(e) = verify_content(engine, path, &cscs, report).await {
        report.failure("Cannot verify the layer content", &e);
    }
}

/// The signature must be intact (Lambda rejects functions using a layer
/// whose signature does not verify, whatever the policy), and pass each
/// config in `verify_against`.
async fn verify_content(
    engine: &Engine,
    path: &Path,
    cscs: &[String],
    report: &mut Report,
) -> EngineResult<Checked> {
    let field = FieldPath::field(SIGNED_FILE);
    let facts = verification::facts(engine, &ArtifactRef::SignedFile(path.to_path_buf()))
        .await
        .map_err(|e| e.at(field.clone()))?;
    match facts.signature.as_ref().map(|s| &s.integrity) {
        Some(Integrity::Valid) => {}
        Some(Integrity::Invalid { reason }) => report.error(
            Some(field),
            "Layer content failed the integrity check",
            format!("{reason}. Lambda rejects functions that use a layer whose signature does not verify, whatever the policy."),
        ),
        None => report.error(
            Some(field),
            "Layer content is not signed",
            "The content carries no signature. Sign it first (lambdasign_signed_artifact) and publish the signed output.",
        ),
    }
    Ok(verification::against_configs(
        engine,
        &facts,
        cscs,
        "Layer",
        &FieldPath::field(VERIFY_AGAINST),
        report,
    )
    .await)
}

/// Signed content in S3 is checked before publishing (integrity, and each
/// config), from its bytes. Content whose signature cannot be read here is
/// checked after publishing, from what Lambda records of its signature.
async fn verify_object(
    engine: &Engine,
    bucket: &str,
    key: &str,
    cscs: &[String],
) -> EngineResult<()> {
    let field = FieldPath::field(SIGNED_OBJECT);
    let object = ArtifactRef::S3Object {
        bucket: bucket.to_string(),
        key: key.to_string(),
        version: None,
    };
    let facts = match verification::evidence_and_facts(engine, &object)
        .await
        .map_err(|e| e.at(field.clone()))?
    {
        (crate::domain::facts::Evidence::Unsigned, _) => return Ok(()),
        (_, facts) => facts,
    };
    let mut report = Report::new();
    if let Some(Integrity::Invalid { reason }) = facts.signature.as_ref().map(|s| &s.integrity) {
        report.error(
            Some(field),
            "Layer content failed the integrity check",
            format!("{reason}. Lambda rejects functions that use a layer whose signature does not verify, whatever the policy."),
        );
    }
    let field = FieldPath::field(VERIFY_AGAINST);
    verification::must_pass(engine, &facts, cscs, "Layer", &field, report).await
}

/// Verifies the content, then publishes: local content and S3 content a
/// signing job of this account wrote are verified before publishing; other
/// S3 content through the published version, and a version that then fails
/// is returned with the error, so it is not orphaned.
pub async fn create(
    engine: &Engine,
    spec: &LayerSpec,
) -> Result<LayerVersion, Failed<LayerVersion>> {
    match &spec.content {
        ObjectLocation::File(path) => {
            let mut report = Report::new();
            let checked = verify_content(engine, path, &spec.verify_against, &mut report).await?;
            verification::settle(report, checked, FieldPath::field(VERIFY_AGAINST))?;
        }
        ObjectLocation::S3 { bucket, key, .. } => {
            verify_object(engine, bucket, key, &spec.verify_against).await?;
        }
    }
    tracing::info!(layer = %spec.layer_name, "publishing layer version");
    let layer = engine
        .backend()
        .publish_layer_version(PublishLayerVersion {
            layer_name: spec.layer_name.clone(),
            content: spec.content.clone(),
            compatible_runtimes: spec.compatible_runtimes.clone(),
            compatible_architectures: spec.compatible_architectures.clone(),
            description: spec.description.clone(),
            license_info: spec.license_info.clone(),
        })
        .await
        .map_err(|e| {
            let e = EngineError::from(e);
            let e = if e.field.as_ref().is_some_and(|f| f.to_string() == "content") {
                EngineError {
                    field: Some(FieldPath::field(SIGNED_FILE)),
                    ..e
                }
            } else {
                e
            };
            e.doing(format!("publish layer {}", spec.layer_name))
        })?;
    tracing::info!(arn = %layer.layer_version_arn, "published layer version");
    if matches!(spec.content, ObjectLocation::S3 { .. }) && !spec.verify_against.is_empty() {
        if let Err(error) = check_published(engine, &layer, &spec.verify_against).await {
            return Err(Failed {
                made: Some(layer),
                error,
            });
        }
    }
    Ok(layer)
}

/// Checks a published version again after an in-place change (one that
/// the plan could not check: see [`LayerPlan::checked`]).
pub async fn update(engine: &Engine, layer: &LayerVersion, cscs: &[String]) -> EngineResult<()> {
    check_published(engine, layer, cscs).await
}

/// A published version, as Lambda records its signature, against each config.
async fn check_published(
    engine: &Engine,
    layer: &LayerVersion,
    cscs: &[String],
) -> EngineResult<()> {
    let reference = ArtifactRef::LayerVersion(layer.layer_version_arn.clone());
    let facts = verification::facts(engine, &reference).await?;
    let field = FieldPath::field(VERIFY_AGAINST);
    verification::must_pass(engine, &facts, cscs, "Layer", &field, Report::new()).await
}

/// The version; gone (`None`) when missing.
pub async fn read(engine: &Engine, arn: &str) -> EngineResult<Option<LayerVersion>> {
    match engine.backend().get_layer_version(arn).await {
        Ok(layer) => Ok(Some(layer)),
        Err(BackendError::NotFound(_)) => Ok(None),
        Err(e) => Err(EngineError::from(e).doing(format!("read layer version {arn}"))),
    }
}

/// Deletes the version (unless it is to be kept); gone already is done.
pub async fn delete(engine: &Engine, layer: &LayerVersion, skip_destroy: bool) -> EngineResult<()> {
    if skip_destroy {
        tracing::info!(arn = %layer.layer_version_arn, "keeping layer version (skip_destroy)");
        return Ok(());
    }
    tracing::info!(arn = %layer.layer_version_arn, "deleting layer version");
    match engine
        .backend()
        .delete_layer_version(&layer.layer_name, layer.version)
        .await
    {
        Ok(()) | Err(BackendError::NotFound(_)) => Ok(()),
        Err(e) => {
            Err(EngineError::from(e)
                .doing(format!("delete layer version {}", layer.layer_version_arn)))
        }
    }
}

/// Imports by layer version ARN, as the AWS provider does; `ARN,FILE`
/// also names the signed file it was published from, and
/// `ARN,s3://BUCKET/KEY[?versionId=VERSION]` the signed object (Lambda
/// reports neither).
pub async fn import(
    engine: &Engine,
    id: &str,
) -> EngineResult<(LayerVersion, Option<ObjectLocation>)> {
    let (arn, source) = match id.split_once(',') {
        Some((arn, source)) => (arn, Some(import_source(source)?)),
        None => (id, None),
    };
    let layer = engine.backend().get_layer_version(arn).await.map_err(|e| {
        EngineError::from(e).doing(format!(
            "import layer version {arn:?} (import by layer version ARN)"
        ))
    })?;
    Ok((layer, source))
}

/// The content named after an import id's comma: a file path or an S3 URI.
fn import_source(text: &str) -> EngineResult<ObjectLocation> {
    let Some(rest) = text.strip_prefix("s3://") else {
        return Ok(ObjectLocation::File(PathBuf::from(text)));
    };
    let (object, version) = match rest.split_once("?versionId=") {
        Some((object, version)) => (object, Some(version.to_string())),
        None => (rest, None),
    };
    match object.split_once('/') {
        Some((bucket, key)) if !bucket.is_empty() && !key.is_empty() => Ok(ObjectLocation::S3 {
            bucket: bucket.to_string(),
            key: key.to_string(),
            version,
        }),
        _ => Err(EngineError::invalid(
            SIGNED_OBJECT,
            format!("{text:?} is not s3://BUCKET/KEY (import id: ARN,s3://BUCKET/KEY[?versionId=VERSION])"),
        )),
    }
}

/// The versions of one of this account's layers.
pub async fn list(engine: &Engine, layer_name: &str) -> EngineResult<Vec<LayerVersion>> {
    Ok(engine.backend().list_layer_versions(layer_name).await?)
}
