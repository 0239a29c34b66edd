//! Translation between `lambdasign_signed_artifact` values and the
//! engine's models: the spec a plan asks for, the signing a state records,
//! and the state of a signing.

use std::path::PathBuf;

use crate::backend::DEFAULT_SIGNING_TIMEOUT;
use crate::domain::job::{destination_prefix, JobStatus, ObjectLocation, SigningJob};
use crate::domain::time::{format_time, parse_time, parse_timeout};
use crate::engine::signed_artifact::{self as engine, field::*, ArtifactSpec, Place, Signed};
use crate::engine::{Engine, Planned};
use crate::tf::convert;
use crate::tf::plugin::cty::Value;
use crate::tf::plugin::diagnostics::{AttributePath, Diagnostics};
use crate::tf::resources::moved;
use crate::tf::values::{block, keep, opt_text, planned_text, required_text, text, texts, Object};

fn place_of(value: &Value, name: &str) -> Option<Place> {
    let b = block(value, name)?;
    Some(Place {
        bucket: text(b, BUCKET)?,
        prefix: text(b, PREFIX).unwrap_or_default(),
    })
}

pub(super) fn spec_of(planned: &Value, diags: &mut Diagnostics) -> Option<ArtifactSpec> {
    let source = if let Some(file) = text(planned, SOURCE_FILE) {
        ObjectLocation::File(PathBuf::from(file))
    } else if let Some(object) = block(planned, SOURCE_OBJECT) {
        ObjectLocation::S3 {
            bucket: required_text(object, BUCKET, diags)?,
            key: required_text(object, KEY, diags)?,
            version: text(object, VERSION),
        }
    } else {
        diags.error("Missing source", "Set `source_file` or `source_object`.");
        return None;
    };
    let timeout = match block(planned, TIMEOUTS).and_then(|t| text(t, CREATE)) {
        None => DEFAULT_SIGNING_TIMEOUT,
        Some(text) => match parse_timeout(&text) {
            Ok(timeout) => timeout,
            Err(reason) => {
                diags.error_at(
                    AttributePath::attr(TIMEOUTS).then(CREATE),
                    "Invalid duration",
                    reason,
                );
                return None;
            }
        },
    };
    Some(ArtifactSpec {
        profile_name: required_text(planned, PROFILE_NAME, diags)?,
        profile_owner: text(planned, PROFILE_OWNER),
        source,
        output_file: text(planned, OUTPUT_FILE).map(PathBuf::from),
        staging: place_of(planned, STAGING),
        destination: place_of(planned, DESTINATION),
        verify_against: texts(planned, VERIFY_AGAINST).unwrap_or_default(),
        timeout,
    })
}

/// The signing a state records (what the engine's plan and delete need).
pub(super) fn recorded(state: &Value) -> Option<Signed> {
    let time = |name| text(state, name).and_then(|t| parse_time(&t).ok());
    let output = text(state, OUTPUT_FILE).map(PathBuf::from);
    Some(Signed {
        job: SigningJob {
            job_id: text(state, JOB_ID)?,
            job_arn: text(state, JOB_ARN)?,
            owner: String::new(),
            profile_name: text(state, PROFILE_NAME).unwrap_or_default(),
            profile_owner: text(state, PROFILE_OWNER).unwrap_or_default(),
            profile_version_arn: text(state, PROFILE_VERSION_ARN).unwrap_or_default(),
            platform_id: String::new(),
            status: JobStatus::Succeeded,
            status_reason: String::new(),
            source: ObjectLocation::File(PathBuf::new()),
            signed_object: output
                .map_or(ObjectLocation::File(PathBuf::new()), ObjectLocation::File),
            signed_sha384: text(state, SIGNED_SHA384).unwrap_or_default(),
            created_at: time(SIGNED_AT)?,
            signed_at: time(SIGNED_AT)?,
            signature_expires_at: time(SIGNATURE_EXPIRES_AT)?,
            revocation: None,
        },
        output_sha384: text(state, OUTPUT_SHA384).unwrap_or_default(),
    })
}

fn location_value(location: &ObjectLocation) -> Value {
    match location {
        ObjectLocation::File(path) => Object::new()
            .set(BUCKET, Value::Null)
            .set(KEY, path.display().to_string())
            .set(VERSION, Value::Null)
            .build(),
        ObjectLocation::S3 {
            bucket,
            key,
            version,
        } => Object::new()
            .set(BUCKET, bucket.as_str())
            .set(KEY, key.as_str())
            .set(VERSION, opt_text(version.as_deref()))
            .build(),
    }
}

/// The state of a signing, keeping every argument from `base`.
pub(super) fn state_of(signed: &Signed, base: &Value) -> Value {
    let job = &signed.job;
    let mut object = Object::new();
    for name in [
        PROFILE_OWNER,
        SOURCE_FILE,
        OUTPUT_FILE,
        VERIFY_AGAINST,
        RENEW_BEFORE,
        REVOKE_ON_DESTROY,
        SOURCE_OBJECT,
        STAGING,
        DESTINATION,
        TIMEOUTS,
    ] {
        object = object.set(name, keep(base, name));
    }
    let source_sha384 = match base.get_attr(SOURCE_SHA384) {
        Some(v) if v.is_known() => v.clone(),
        _ => Value::Null,
    };
    object
        .set(PROFILE_NAME, job.profile_name.as_str())
        .set(SOURCE_SHA384, source_sha384)
        .set(JOB_ID, job.job_id.as_str())
        .set(JOB_ARN, job.job_arn.as_str())
        .set(PROFILE_VERSION_ARN, job.profile_version_arn.as_str())
        .set(SIGNED_OBJECT, location_value(&job.signed_object))
        // The output file (on aws: the downloaded copy, when there is one).
        .set(SIGNED_FILE, keep(base, OUTPUT_FILE))
        .set(SIGNED_SHA384, job.signed_sha384.as_str())
        .set(OUTPUT_SHA384, signed.output_sha384.as_str())
        .set(SIGNED_AT, format_time(job.signed_at))
        .set(SIGNATURE_EXPIRES_AT, format_time(job.signature_expires_at))
        .set(VERIFIED, convert::recorded_verified(base, VERIFIED))
        .build()
}

pub(super) fn planned_path(value: &Value, name: &str) -> Planned<Option<PathBuf>> {
    match planned_text(value, name) {
        Planned::Known(path) => Planned::Known(path.map(PathBuf::from)),
        Planned::Unknown => Planned::Unknown,
    }
}

/// The state of an imported signing: the arguments a configuration would
/// give for it, as its job records them.
pub(super) async fn imported(engine: &Engine, signed: &Signed) -> Value {
    let job = &signed.job;
    let mut base = Object::new();
    match &job.source {
        ObjectLocation::File(source) => {
            let digest = engine::source_digest(source).await;
            base = base
                .set(SOURCE_FILE, source.display().to_string())
                .set(SOURCE_SHA384, opt_text(digest.as_deref()));
        }
        ObjectLocation::S3 {
            bucket,
            key,
            version,
        } => {
            base = base.set(
                SOURCE_OBJECT,
                Object::new()
                    .set(BUCKET, bucket.as_str())
                    .set(KEY, key.as_str())
                    .set(VERSION, opt_text(version.as_deref()))
                    .build(),
            );
        }
    }
    match &job.signed_object {
        ObjectLocation::File(output) => base = base.set(OUTPUT_FILE, output.display().to_string()),
        ObjectLocation::S3 { bucket, key, .. } => {
            base = base.set(
                DESTINATION,
                Object::new()
                    .set(BUCKET, bucket.as_str())
                    .set(PREFIX, destination_prefix(key, &job.job_id))
                    .build(),
            );
        }
    }
    if job.profile_owner != engine.identity().account_id && !job.profile_owner.is_empty() {
        base = base.set(PROFILE_OWNER, job.profile_owner.as_str());
    }
    state_of(signed, &base.build())
}

/// The AWS provider's type for a signing job.
pub(super) const AWS_SIGNING_JOB: &str = "aws_signer_signing_job";

/// The state of a signing job the AWS provider recorded; the refresh reads
/// the rest (its ARN, its profile version, the signed object's digest).
pub(super) fn moved(aws: &serde_json::Value, diags: &mut Diagnostics) -> Option<Value> {
    let job_id = moved::required(aws, "job_id", AWS_SIGNING_JOB, diags)?;
    if let Some(status) = moved::opt(aws, "status").filter(|s| s != "Succeeded") {
        diags.error(
            "Cannot move an unfinished signing job",
            format!("Signing job {job_id} is {status}: only a succeeded job is a signed artifact."),
        );
        return None;
    }
    let s3 = |key| moved::block(aws, key).and_then(|b| moved::block(b, "s3"));
    let source = s3("source").map_or(Value::Null, |s3| {
        Object::new()
            .set(BUCKET, moved::text(s3, "bucket"))
            .set(KEY, moved::text(s3, "key"))
            .set(VERSION, moved::text(s3, "version"))
            .build()
    });
    let destination = s3("destination").map_or(Value::Null, |s3| {
        Object::new()
            .set(BUCKET, moved::text(s3, "bucket"))
            .set(PREFIX, moved::text(s3, "prefix"))
            .build()
    });
    let signed = s3("signed_object").map_or(Value::Null, |s3| {
        Object::new()
            .set(BUCKET, moved::text(s3, "bucket"))
            .set(KEY, moved::text(s3, "key"))
            .set(VERSION, Value::Null)
            .build()
    });
    Some(
        Object::new()
            .set(PROFILE_NAME, moved::text(aws, "profile_name"))
            .set(JOB_ID, job_id.as_str())
            .set(SOURCE_OBJECT, source)
            .set(DESTINATION, destination)
            .set(SIGNED_OBJECT, signed)
            .set(SIGNED_AT, moved::text(aws, "completed_at"))
            .set(
                SIGNATURE_EXPIRES_AT,
                moved::text(aws, "signature_expires_at"),
            )
            .build(),
    )
}
