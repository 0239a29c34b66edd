//! `LambdaSign::Signer::SignedArtifact` over `engine::signed_artifact`: a
//! signing job from a versioned S3 object into a destination bucket.
//!
//! CREATE starts the job and answers IN_PROGRESS (the job id and the
//! idempotency token in `callbackContext`) until Signer finishes; each
//! re-invocation asks again with the same token, so it never signs twice.
//! The output is verified, and checked against `VerifyAgainst`, before the
//! resource exists. Signer keeps jobs forever, so DELETE revokes the
//! signature, and a revoked (or failed, or output-less) job reads as gone.

use std::time::Duration;

use async_trait::async_trait;
use serde_json::{json, Value};

use crate::cfn::convert;
use crate::cfn::model::{Builder, Naming, Reader};
use crate::cfn::resource::{gone, identifier, Call, Handled, Outcome, ResourceType, TypeDef};
use crate::domain::field::FieldPath;
use crate::domain::job::{destination_prefix, JobStatus, ObjectLocation};
use crate::domain::time::format_time;
use crate::engine::signed_artifact::{
    self as engine, field::*, ArtifactChange, ArtifactSpec, Place, Signed, Signing,
};
use crate::engine::{Engine, EngineError, Planned};

pub static DEF: TypeDef = TypeDef {
    type_name: "LambdaSign::Signer::SignedArtifact",
    folder: "signed-artifact",
    schema: include_str!(
        "../../../cloudformation/signed-artifact/lambdasign-signer-signedartifact.json"
    ),
    // Terraform's local-file fields, where engine errors name them, are this
    // type's S3 source and destination.
    naming: Naming {
        renames: &[
            (SOURCE_OBJECT, "Source"),
            (SOURCE_FILE, "Source"),
            (OUTPUT_FILE, "Destination"),
            (STAGING, "Destination"),
        ],
    },
    fields: &[
        PROFILE_NAME,
        PROFILE_OWNER,
        SOURCE_OBJECT,
        DESTINATION,
        VERIFY_AGAINST,
        JOB_ID,
        JOB_ARN,
        PROFILE_VERSION_ARN,
        SIGNED_OBJECT,
        SIGNED_SHA384,
        SIGNED_AT,
        SIGNATURE_EXPIRES_AT,
    ],
    native: &[],
    aws_only: &[],
    replace_on_change: engine::REPLACE_ON_CHANGE,
    rules: engine::RULES,
    shape: engine::SHAPE,
};

/// How long CloudFormation waits before asking again about a running job.
const POLL_SECONDS: u32 = 5;
const TOKEN: &str = "SigningToken";
const JOB: &str = "JobId";

pub struct SignedArtifactType;

fn spec(model: &Reader<'_>) -> Result<ArtifactSpec, EngineError> {
    let source = model
        .object(SOURCE_OBJECT)?
        .ok_or_else(|| EngineError::invalid(SOURCE_OBJECT, "is required"))?;
    let destination = model
        .object(DESTINATION)?
        .ok_or_else(|| EngineError::invalid(DESTINATION, "is required"))?;
    Ok(ArtifactSpec {
        profile_name: model.required_text(PROFILE_NAME)?,
        profile_owner: model.text(PROFILE_OWNER)?,
        source: ObjectLocation::S3 {
            bucket: source.required_text(BUCKET)?,
            key: source.required_text(KEY)?,
            version: source.text(VERSION)?,
        },
        output_file: None,
        staging: None,
        destination: Some(Place {
            bucket: destination.required_text(BUCKET)?,
            prefix: destination.text(PREFIX)?.unwrap_or_default(),
        }),
        verify_against: model.texts(VERIFY_AGAINST)?,
        // Never wait inside one invocation: CloudFormation calls again.
        timeout: Duration::ZERO,
    })
}

/// The model of a signing; `base` (the request's model) supplies what
/// Signer does not record (`VerifyAgainst`, the destination prefix).
fn model_of(engine: &Engine, signed: &Signed, base: Option<&Reader<'_>>) -> Value {
    let job = &signed.job;
    let mut model = Builder::model(DEF.naming)
        .text(PROFILE_NAME, &job.profile_name)
        .text(JOB_ID, &job.job_id)
        .text(JOB_ARN, &job.job_arn)
        .text(PROFILE_VERSION_ARN, &job.profile_version_arn)
        .text(SIGNED_SHA384, &job.signed_sha384)
        .text(SIGNED_AT, format_time(job.signed_at))
        .text(SIGNATURE_EXPIRES_AT, format_time(job.signature_expires_at));
    let owner_given = base.is_some_and(|b| b.has(PROFILE_OWNER));
    if owner_given || engine::configured_owner(engine, job).is_some() {
        model = model.text(PROFILE_OWNER, &job.profile_owner);
    }
    if let ObjectLocation::S3 {
        bucket,
        key,
        version,
    } = &job.source
    {
        let spelled_version = base
            .and_then(|b| b.object(SOURCE_OBJECT).ok().flatten())
            .is_some_and(|s| s.has(VERSION));
        model = model.object(
            SOURCE_OBJECT,
            Builder::nested()
                .text(BUCKET, bucket)
                .text(KEY, key)
                .opt_text(
                    VERSION,
                    version
                        .clone()
                        .filter(|_| spelled_version || base.is_none()),
                ),
        );
    }
    if let ObjectLocation::S3 { bucket, key, .. } = &job.signed_object {
        let prefix = destination_prefix(key, &job.job_id);
        let prefix_given = base
            .and_then(|b| b.object(DESTINATION).ok().flatten())
            .is_some_and(|d| d.has(PREFIX));
        model = model
            .object(
                DESTINATION,
                Builder::nested().text(BUCKET, bucket).opt_text(
                    PREFIX,
                    (prefix_given || !prefix.is_empty()).then_some(prefix),
                ),
            )
            .object(
                SIGNED_OBJECT,
                Builder::nested().text(BUCKET, bucket).text(KEY, key),
            );
    }
    let verify_against = base
        .and_then(|b| b.texts(VERIFY_AGAINST).ok())
        .unwrap_or_default();
    model
        .texts(
            VERIFY_AGAINST,
            &verify_against,
            base.is_some_and(|b| b.has(VERIFY_AGAINST)),
        )
        .build()
}

/// The signing a model names; revoked, failed or output-less jobs are gone.
async fn current(call: &Call<'_>, model: &Reader<'_>) -> Result<Signed, EngineError> {
    let job_id = identifier(model, JOB_ID)?;
    let signed = engine::read(call.engine, &job_id, None)
        .await?
        .ok_or_else(|| gone(format!("signing job {job_id}")))?;
    let job = &signed.job;
    if job.is_revoked() {
        return Err(gone(format!(
            "the signed artifact of job {job_id} (its signature is revoked)"
        )));
    }
    if job.status != JobStatus::Succeeded || job.signed_sha384.is_empty() {
        return Err(gone(format!(
            "the signed artifact of job {job_id} (status {}, signed object {})",
            job.status.as_str(),
            if job.signed_sha384.is_empty() {
                "missing"
            } else {
                "present"
            }
        )));
    }
    Ok(signed)
}

#[async_trait]
impl ResourceType for SignedArtifactType {
    fn def(&self) -> &'static TypeDef {
        &DEF
    }

    async fn create(&self, call: &Call<'_>) -> Handled {
        let model = call.model(DEF.naming)?;
        let spec = spec(&model)?;
        let context = call.context.filter(|c| c.is_object());
        let token = match context.and_then(|c| c[TOKEN].as_str()) {
            Some(token) => token.to_string(),
            None => {
                // First call: what the plan can refuse is refused before
                // anything is signed.
                let change = ArtifactChange {
                    prior: None,
                    prior_source_sha384: None,
                    source_file: Planned::Known(None),
                    profile_name: Planned::Known(spec.profile_name.clone()),
                    profile_owner: Planned::Known(spec.profile_owner.clone()),
                    verify_against: Planned::Known(spec.verify_against.clone()),
                    renew_before: None,
                    prior_output_file: None,
                    output_file: Planned::Known(None),
                    replacing: Vec::new(),
                    replaces: None,
                };
                convert::refuse(engine::plan(call.engine, &change).await.report)?;
                // The request's bearer token is the same on re-invocation;
                // a request without one still signs once per token.
                match call.token.chars().take(64).collect::<String>() {
                    token if !token.is_empty() => token,
                    _ => crate::domain::names::random_suffix(32),
                }
            }
        };
        match engine::sign(call.engine, &spec, &token, None).await {
            Ok(Signing::Done(created)) => Ok(Outcome::Model(model_of(
                call.engine,
                &created.signed,
                Some(&model),
            ))),
            Ok(Signing::Running(job)) => Ok(Outcome::InProgress {
                model: call.desired.clone(),
                context: json!({ (TOKEN): token, (JOB): job.job_id }),
                delay: POLL_SECONDS,
            }),
            Err(failed) => {
                // A signature that failed verification must not stay usable.
                if let Some(signed) = failed.made {
                    let _ = engine::delete(call.engine, &signed, None, true).await;
                }
                Err(failed.error)
            }
        }
    }

    async fn read(&self, call: &Call<'_>) -> Handled {
        let model = call.model(DEF.naming)?;
        let signed = current(call, &model).await?;
        Ok(Outcome::Model(model_of(call.engine, &signed, Some(&model))))
    }

    /// Only `VerifyAgainst` changes in place: the signature is checked
    /// against the new list.
    async fn update(&self, call: &Call<'_>) -> Handled {
        let model = call.model(DEF.naming)?;
        let signed = current(call, &model).await?;
        engine::update(call.engine, &signed, &model.texts(VERIFY_AGAINST)?)
            .await
            .map_err(|e| e.at(FieldPath::field(VERIFY_AGAINST)))?;
        Ok(Outcome::Model(model_of(call.engine, &signed, Some(&model))))
    }

    async fn delete(&self, call: &Call<'_>) -> Handled {
        let model = call.model(DEF.naming)?;
        let signed = current(call, &model).await?;
        engine::delete(call.engine, &signed, None, true).await?;
        Ok(Outcome::Deleted)
    }

    async fn list(&self, call: &Call<'_>) -> Handled {
        let jobs = engine::list(call.engine).await?;
        Ok(Outcome::Listed(
            jobs.into_iter()
                .map(|job| {
                    let signed = Signed {
                        output_sha384: job.signed_sha384.clone(),
                        job,
                    };
                    model_of(call.engine, &signed, None)
                })
                .collect(),
        ))
    }
}
