//! `lambdasign_signed_artifact`: schema and translation for
//! `engine::signed_artifact`.

use std::path::PathBuf;

use async_trait::async_trait;

use crate::backend::DEFAULT_SIGNING_TIMEOUT;
use crate::domain::job::{destination_prefix, JobStatus, ObjectLocation, SigningJob};
use crate::domain::time::{format_time, parse_duration, parse_time, parse_timeout};
use crate::engine::signed_artifact::{
    self as engine, field::*, ArtifactChange, ArtifactSpec, Place, Signed,
};
use crate::engine::{Engine, Planned};
use crate::tf::convert;
use crate::tf::plugin::cty::{Type, Value};
use crate::tf::plugin::diagnostics::Diagnostics;
use crate::tf::plugin::framework::{
    Applied, Change, ImportResponse, Plan, ReadRequest, ReadResponse, Resource,
};
use crate::tf::plugin::schema::{Attribute, Block, NestedBlock, Schema};
use crate::tf::values::{
    block, boolean, keep, opt_text, planned_text, planned_texts, required_text, set, text, Object,
};

pub struct SignedArtifactResource;

/// Private state: the job a planned signing replaces. Terraform hands a
/// replacement's first plan's private state to its second (create) plan,
/// so the create knows the job it replaces even though its prior is null.
const REPLACES_KEY: &str = "replaces_job_id";

fn signed_object_type() -> Type {
    Type::object([
        (BUCKET, Type::String),
        (KEY, Type::String),
        (VERSION, Type::String),
    ])
}

fn schema() -> Schema {
    let s3_object = Block::new("An S3 object (aws backend).")
        .attribute(Attribute::required(BUCKET, Type::String).describe("Bucket name."))
        .attribute(Attribute::required(KEY, Type::String).describe("Object key."))
        .attribute(
            Attribute::optional(VERSION, Type::String)
                .describe("Object version (Signer requires versioned sources)."),
        );
    let place = |what: &str| {
        Block::new(what)
            .attribute(
                Attribute::required(BUCKET, Type::String)
                    .describe("Bucket name (versioning must be enabled)."),
            )
            .attribute(Attribute::optional(PREFIX, Type::String).describe("Key prefix."))
    };
    let timeouts = Block::new("Operation timeouts.").attribute(
        Attribute::optional(CREATE, Type::String)
            .describe("How long to wait for the signing job, e.g. `10m` (the default)."),
    );
    Schema::new("Signs a code artifact with a signing profile (one Signer signing job) and verifies the result before apply returns.")
        .attribute(Attribute::required(PROFILE_NAME, Type::String).describe("Signing profile to sign with."))
        .attribute(Attribute::optional(PROFILE_OWNER, Type::String).describe("Account that owns the profile, when it is another account's (it must have granted `signer:StartSigningJob`)."))
        .attribute(Attribute::optional(SOURCE_FILE, Type::String).describe("Zip file to sign. Its SHA-384 is computed at plan time, so editing it plans a re-sign."))
        .attribute(Attribute::optional(OUTPUT_FILE, Type::String).describe("Where the signed zip is written (missing directories are created; on aws it is downloaded there)."))
        .attribute(Attribute::optional(VERIFY_AGAINST, Type::set(Type::String)).describe("Code signing config ARNs this artifact must satisfy: all four checks at every plan (as the configs are planned), and again after signing."))
        .attribute(Attribute::optional(RENEW_BEFORE, Type::String).describe("Plan a re-sign when the signature expires within this duration, e.g. `720h` or `30d`."))
        .attribute(Attribute::optional(REVOKE_ON_DESTROY, Type::Bool).describe("Revoke the signature when the resource is destroyed. Default false."))
        .attribute(Attribute::computed(SOURCE_SHA384, Type::String).known_at_plan().describe("SHA-384 (hex) of the source, known at plan time."))
        .attribute(Attribute::computed(JOB_ID, Type::String).describe("Signing job id."))
        .attribute(Attribute::computed(JOB_ARN, Type::String).describe("Signing job ARN."))
        .attribute(Attribute::computed(PROFILE_VERSION_ARN, Type::String).describe("The profile version that signed."))
        .attribute(Attribute::computed(SIGNED_OBJECT, signed_object_type()).describe("Where the signed artifact is (`key` is the file path on the local backend)."))
        .attribute(Attribute::computed(SIGNED_FILE, Type::String).describe("Path of the signed output once signed: `output_file`, but unknown whenever a (re-)sign is planned, so resources that consume it (e.g. `lambdasign_layer_version.signed_file`) follow every re-sign."))
        .attribute(Attribute::computed(SIGNED_SHA384, Type::String).describe("SHA-384 (hex) of the signed artifact as produced."))
        .attribute(Attribute::computed(OUTPUT_SHA384, Type::String).describe("SHA-384 (hex) of the output as last read; empty when it is missing. A difference from `signed_sha384` plans a re-sign."))
        .attribute(Attribute::computed(SIGNED_AT, Type::String).describe("When the artifact was signed (RFC 3339)."))
        .attribute(Attribute::computed(SIGNATURE_EXPIRES_AT, Type::String).describe("When the signature expires (RFC 3339)."))
        .block(NestedBlock::single(SOURCE_OBJECT, s3_object))
        .block(NestedBlock::single(STAGING, place("Where a `source_file` is uploaded for signing (aws backend).")))
        .block(NestedBlock::single(DESTINATION, place("Where Signer writes the signed object (aws backend).")))
        .block(NestedBlock::single(TIMEOUTS, timeouts))
        .replace_on_change(engine::REPLACE_ON_CHANGE)
        .rules(engine::RULES, engine::SHAPE)
}

fn place_of(value: &Value, name: &str) -> Option<Place> {
    let b = block(value, name)?;
    Some(Place {
        bucket: text(b, BUCKET)?,
        prefix: text(b, PREFIX).unwrap_or_default(),
    })
}

fn spec_of(planned: &Value, diags: &mut Diagnostics) -> Option<ArtifactSpec> {
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
                    crate::tf::plugin::diagnostics::AttributePath::attr(TIMEOUTS).then(CREATE),
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
        verify_against: crate::tf::values::texts(planned, VERIFY_AGAINST).unwrap_or_default(),
        timeout,
    })
}

/// The signing a state records (what the engine's plan and delete need).
fn recorded(state: &Value) -> Option<Signed> {
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
fn state_of(signed: &Signed, base: &Value) -> Value {
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
        .build()
}

fn planned_path(value: &Value, name: &str) -> Planned<Option<PathBuf>> {
    match planned_text(value, name) {
        Planned::Known(path) => Planned::Known(path.map(PathBuf::from)),
        Planned::Unknown => Planned::Unknown,
    }
}

#[async_trait]
impl Resource<Engine> for SignedArtifactResource {
    fn type_name(&self) -> &'static str {
        "lambdasign_signed_artifact"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        let path = |name| text(config, name).map(PathBuf::from);
        if let Err(e) =
            engine::check_paths(path(SOURCE_FILE).as_deref(), path(OUTPUT_FILE).as_deref())
        {
            convert::error(diags, "Output would overwrite the source", &e);
        }
    }

    async fn plan(&self, engine: &Engine, plan: &mut Plan) {
        let prior = recorded(&plan.prior).filter(|_| !plan.prior.is_null());
        let replacing: Vec<&'static str> = plan
            .replacing()
            .iter()
            .filter_map(|name| {
                engine::REPLACE_ON_CHANGE
                    .iter()
                    .find(|n| **n == name.as_str())
                    .copied()
            })
            .collect();
        let planned = &plan.planned;
        let change = ArtifactChange {
            prior: prior.as_ref(),
            prior_source_sha384: text(&plan.prior, SOURCE_SHA384),
            source_file: planned_path(planned, SOURCE_FILE),
            profile_name: match planned_text(planned, PROFILE_NAME) {
                Planned::Known(Some(name)) => Planned::Known(name),
                _ => Planned::Unknown,
            },
            profile_owner: planned_text(planned, PROFILE_OWNER),
            verify_against: planned_texts(planned, VERIFY_AGAINST),
            renew_before: text(planned, RENEW_BEFORE).and_then(|r| parse_duration(&r).ok()),
            prior_output_file: text(&plan.prior, OUTPUT_FILE).map(PathBuf::from),
            output_file: planned_path(planned, OUTPUT_FILE),
            replacing,
        };
        let outcome = engine::plan(engine, &change).await;
        let signs = outcome.signs(&change);
        let digest = match &outcome.source_sha384 {
            Planned::Known(Some(digest)) => Value::string(digest.as_str()),
            Planned::Known(None) => Value::Null,
            Planned::Unknown => Value::unknown(),
        };
        convert::report(outcome.report, &mut plan.diagnostics);
        set(&mut plan.planned, SOURCE_SHA384, digest);
        for reason in &outcome.resign {
            plan.replace_because(reason);
        }
        if signs {
            for name in engine::PRODUCED {
                set(&mut plan.planned, name, Value::unknown());
            }
            // The token is derived at apply from what is signed (so an apply
            // retried after a crash finds its job); it names the job replaced.
            if let Some(prior) = &prior {
                plan.private.set(REPLACES_KEY, &prior.job.job_id);
            }
        }
    }

    async fn create(&self, engine: &Engine, change: Change) -> Applied {
        let mut applied = Applied {
            private: change.private.clone(),
            ..Applied::default()
        };
        let Some(spec) = spec_of(&change.planned, &mut applied.diagnostics) else {
            return applied;
        };
        let replaces = change.private.get::<String>(REPLACES_KEY);
        let mut base = change.planned.clone();
        if let ObjectLocation::File(source) = &spec.source {
            // The digest of what was signed, when the plan could not read it.
            if !base.get_attr(SOURCE_SHA384).is_some_and(Value::is_known) {
                let digest = engine::source_digest(source).await;
                set(&mut base, SOURCE_SHA384, opt_text(digest.as_deref()));
            }
        }
        let source_sha384 = text(&base, SOURCE_SHA384).unwrap_or_default();
        let token = engine::signing_token(&spec, &source_sha384, replaces.as_deref());
        match engine::create(engine, &spec, &token, replaces.as_deref()).await {
            Ok(created) => {
                applied.state = state_of(&created.signed, &base);
                convert::warnings(&created.warnings, &mut applied.diagnostics);
            }
            Err(failed) => {
                convert::error(
                    &mut applied.diagnostics,
                    "Cannot sign the artifact",
                    &failed.error,
                );
                // The job exists from here on: its state is kept so it is not orphaned.
                if let Some(signed) = failed.made {
                    applied.state = state_of(&signed, &base);
                }
            }
        }
        applied
    }

    async fn read(&self, engine: &Engine, request: ReadRequest) -> ReadResponse {
        let mut response = ReadResponse {
            private: request.private,
            ..ReadResponse::default()
        };
        let state = &request.current_state;
        let Some(job_id) = required_text(state, JOB_ID, &mut response.diagnostics) else {
            response.new_state = request.current_state;
            return response;
        };
        let output = text(state, OUTPUT_FILE).map(PathBuf::from);
        match engine::read(engine, &job_id, output.as_deref()).await {
            Ok(Some(signed)) => response.new_state = state_of(&signed, state),
            Ok(None) => {}
            Err(e) => {
                convert::error(&mut response.diagnostics, "Cannot read the signing job", &e);
                response.new_state = request.current_state;
            }
        }
        response
    }

    async fn update(&self, engine: &Engine, change: Change) -> Applied {
        // In place: only how the artifact is checked changed.
        let mut applied = Applied {
            private: change.private,
            state: change.planned.clone(),
            ..Applied::default()
        };
        let Some(signed) = recorded(&change.prior) else {
            applied.state = change.prior;
            applied.diagnostics.error(
                "Missing signing job",
                "The state records no signing job to keep.",
            );
            return applied;
        };
        let cscs = crate::tf::values::texts(&change.planned, VERIFY_AGAINST).unwrap_or_default();
        if let Err(e) = engine::update(engine, &signed, &cscs).await {
            convert::error(
                &mut applied.diagnostics,
                "The signed artifact fails verification",
                &e,
            );
        }
        applied
    }

    async fn delete(&self, engine: &Engine, change: Change) -> Applied {
        let mut applied = Applied {
            private: change.private,
            ..Applied::default()
        };
        let Some(signed) = recorded(&change.prior) else {
            required_text(&change.prior, JOB_ID, &mut applied.diagnostics);
            return applied;
        };
        let output = text(&change.prior, OUTPUT_FILE).map(PathBuf::from);
        let revoke = boolean(&change.prior, REVOKE_ON_DESTROY) == Some(true);
        match engine::delete(engine, &signed, output.as_deref(), revoke).await {
            Ok(warnings) => convert::warnings(&warnings, &mut applied.diagnostics),
            Err(e) => convert::error(
                &mut applied.diagnostics,
                "Cannot destroy the signed artifact",
                &e,
            ),
        }
        applied
    }

    async fn import(&self, engine: &Engine, id: &str) -> ImportResponse {
        let mut response = ImportResponse::default();
        let signed = match engine::import(engine, id).await {
            Ok(signed) => signed,
            Err(e) => {
                convert::error(
                    &mut response.diagnostics,
                    "Cannot import the signing job",
                    &e,
                );
                return response;
            }
        };
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
            ObjectLocation::File(output) => {
                base = base.set(OUTPUT_FILE, output.display().to_string())
            }
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
        response.state = state_of(&signed, &base.build());
        response
    }
}
