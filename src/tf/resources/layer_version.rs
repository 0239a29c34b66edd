//! `lambdasign_layer_version`: schema and translation for
//! `engine::layer_version`.

use std::path::PathBuf;

use async_trait::async_trait;

use crate::domain::job::ObjectLocation;
use crate::domain::layer::LayerVersion;
use crate::domain::time::format_time;
use crate::engine::layer_version::{self as engine, field::*, LayerChange, LayerSpec};
use crate::engine::{Engine, Planned};
use crate::tf::convert;
use crate::tf::plugin::cty::{Type, Value};
use crate::tf::plugin::diagnostics::Diagnostics;
use crate::tf::plugin::framework::{
    Applied, Change, ImportResponse, MoveSource, Plan, ReadRequest, ReadResponse, Resource,
};
use crate::tf::plugin::schema::{Attribute, Block, NestedBlock, Schema};
use crate::tf::resources::moved;
use crate::tf::values::{
    block, boolean, keep, number, opt_text, planned_text, planned_texts, required_text, set, text,
    text_or_null, text_set_or_null, texts, Object,
};

pub struct LayerVersionResource;

fn schema() -> Schema {
    let object = Block::new("The signed artifact in S3 (aws backend).")
        .attribute(Attribute::required(BUCKET, Type::String).describe("Bucket."))
        .attribute(Attribute::required(KEY, Type::String).describe("Key."))
        .attribute(Attribute::optional(VERSION, Type::String).describe("Object version."));
    Schema::new("A Lambda layer version published from a signed artifact. The signature is verified before publishing. Layer versions are immutable: new content or metadata publishes a new version.")
        .attribute(Attribute::required(LAYER_NAME, Type::String).describe("Layer name, `^[a-zA-Z0-9-_]{1,64}$`."))
        .attribute(Attribute::optional(SIGNED_FILE, Type::String).describe("The signed zip to publish (e.g. a `lambdasign_signed_artifact`'s `signed_file`). Compared by content: another spelling of the same path publishes nothing."))
        .attribute(Attribute::optional(COMPATIBLE_RUNTIMES, Type::set(Type::String)).describe("Runtimes, e.g. `python3.12`."))
        .attribute(Attribute::optional(COMPATIBLE_ARCHITECTURES, Type::set(Type::String)).describe("`x86_64` and/or `arm64`."))
        .attribute(Attribute::optional(DESCRIPTION, Type::String).describe("Description, up to 256 characters."))
        .attribute(Attribute::optional(LICENSE_INFO, Type::String).describe("The layer's license: an SPDX identifier, a URL or text (up to 512 characters)."))
        .attribute(Attribute::optional(VERIFY_AGAINST, Type::set(Type::String)).describe("Code signing config ARNs the layer must satisfy: checked at every plan (as the configs are planned) and before publishing."))
        .attribute(Attribute::optional(SKIP_DESTROY, Type::Bool).describe("Keep this version in Lambda (and shared) when the resource is destroyed or replaced by a new version."))
        .attribute(Attribute::computed(SOURCE_SHA384, Type::String).known_at_plan().describe("SHA-384 (hex) of `signed_file`, known at plan time when the file exists."))
        .attribute(Attribute::computed(ARN, Type::String).describe("Layer version ARN."))
        .attribute(Attribute::computed(LAYER_ARN, Type::String).describe("Layer ARN (without version)."))
        .attribute(Attribute::computed(VERSION, Type::Number).describe("Version number."))
        .attribute(Attribute::computed(SIGNING_PROFILE_VERSION_ARN, Type::String).describe("Profile version that signed the content."))
        .attribute(Attribute::computed(SIGNING_JOB_ARN, Type::String).describe("Signing job that signed the content."))
        .attribute(Attribute::computed(CREATED_DATE, Type::String).describe("When the version was published (RFC 3339)."))
        .attribute(Attribute::computed(VERIFIED, Type::Bool).describe("Whether the layer passed the four checks against every config in `verify_against` (failures that only warn under `Warn` count as passed). Unknown in a plan that can run them only at apply (a config's policy depends on values known then): the resource then plans an update, so that apply runs the checks before anything that depends on it, and a failing check fails that apply."))
        .block(NestedBlock::single(SIGNED_OBJECT, object))
        .replace_on_change(engine::REPLACE_ON_CHANGE)
        .rules(engine::RULES, engine::SHAPE)
}

fn spec_of(planned: &Value, diags: &mut Diagnostics) -> Option<LayerSpec> {
    let content = if let Some(file) = text(planned, SIGNED_FILE) {
        ObjectLocation::File(PathBuf::from(file))
    } else if let Some(object) = block(planned, SIGNED_OBJECT) {
        ObjectLocation::S3 {
            bucket: required_text(object, BUCKET, diags)?,
            key: required_text(object, KEY, diags)?,
            version: text(object, VERSION),
        }
    } else {
        diags.error("Missing content", "Set `signed_file` or `signed_object`.");
        return None;
    };
    Some(LayerSpec {
        layer_name: required_text(planned, LAYER_NAME, diags)?,
        content,
        compatible_runtimes: texts(planned, COMPATIBLE_RUNTIMES).unwrap_or_default(),
        compatible_architectures: texts(planned, COMPATIBLE_ARCHITECTURES).unwrap_or_default(),
        description: text(planned, DESCRIPTION).unwrap_or_default(),
        license_info: text(planned, LICENSE_INFO),
        verify_against: texts(planned, VERIFY_AGAINST).unwrap_or_default(),
    })
}

/// The version a state records (what the engine needs of it).
fn recorded(state: &Value) -> Option<LayerVersion> {
    Some(LayerVersion {
        layer_name: text(state, LAYER_NAME)?,
        layer_arn: text(state, LAYER_ARN).unwrap_or_default(),
        layer_version_arn: text(state, ARN)?,
        version: crate::tf::values::integer(state, VERSION)?,
        owner: String::new(),
        description: text(state, DESCRIPTION).unwrap_or_default(),
        license_info: text(state, LICENSE_INFO),
        compatible_runtimes: texts(state, COMPATIBLE_RUNTIMES).unwrap_or_default(),
        compatible_architectures: texts(state, COMPATIBLE_ARCHITECTURES).unwrap_or_default(),
        content_sha384: text(state, SOURCE_SHA384).unwrap_or_default(),
        signing_profile_version_arn: text(state, SIGNING_PROFILE_VERSION_ARN),
        signing_job_arn: text(state, SIGNING_JOB_ARN),
        created_at: chrono::Utc::now(),
    })
}

fn state_of(layer: &LayerVersion, base: &Value) -> Value {
    // Lambda does not report the content's SHA-384 on reads: keep the one
    // recorded; an unknown planned digest is what was published.
    let digest = match base.get_attr(SOURCE_SHA384) {
        Some(v) if v.is_known() && !v.is_null() => v.clone(),
        _ => opt_text(Some(layer.content_sha384.as_str()).filter(|d| !d.is_empty())),
    };
    Object::new()
        .set(LAYER_NAME, layer.layer_name.as_str())
        .set(SIGNED_FILE, keep(base, SIGNED_FILE))
        .set(SIGNED_OBJECT, keep(base, SIGNED_OBJECT))
        .set(
            COMPATIBLE_RUNTIMES,
            text_set_or_null(&layer.compatible_runtimes, &keep(base, COMPATIBLE_RUNTIMES)),
        )
        .set(
            COMPATIBLE_ARCHITECTURES,
            text_set_or_null(
                &layer.compatible_architectures,
                &keep(base, COMPATIBLE_ARCHITECTURES),
            ),
        )
        .set(
            DESCRIPTION,
            text_or_null(&layer.description, &keep(base, DESCRIPTION)),
        )
        .set(LICENSE_INFO, opt_text(layer.license_info.as_deref()))
        .set(VERIFY_AGAINST, keep(base, VERIFY_AGAINST))
        .set(SKIP_DESTROY, keep(base, SKIP_DESTROY))
        .set(SOURCE_SHA384, digest)
        .set(ARN, layer.layer_version_arn.as_str())
        .set(LAYER_ARN, layer.layer_arn.as_str())
        .set(VERSION, number(layer.version))
        .set(
            SIGNING_PROFILE_VERSION_ARN,
            opt_text(layer.signing_profile_version_arn.as_deref()),
        )
        .set(SIGNING_JOB_ARN, opt_text(layer.signing_job_arn.as_deref()))
        .set(CREATED_DATE, format_time(layer.created_at))
        .set(VERIFIED, convert::recorded_verified(base, VERIFIED))
        .build()
}

/// `skip_destroy` acts through state: the version a replacement replaces
/// is deleted (or kept) by the value its own state holds, so setting it in
/// the same change that replaces comes one apply too late. Said at plan.
fn warn_if_replaced_version_is_lost(plan: &mut Plan) {
    let newly_kept = boolean(&plan.planned, SKIP_DESTROY) == Some(true)
        && boolean(&plan.prior, SKIP_DESTROY) != Some(true);
    if plan.is_create() || !plan.makes_new() || !newly_kept {
        return;
    }
    let version = text(&plan.prior, ARN).unwrap_or_else(|| "the current version".into());
    plan.diagnostics.warning_at(
        crate::tf::plugin::diagnostics::AttributePath::attr(SKIP_DESTROY),
        "This replacement deletes the version it replaces",
        format!(
            "skip_destroy = true takes effect once it is in state, and the state of {version} does not have it yet: this replacement deletes that version. To keep it, apply skip_destroy = true alone first (an in-place change), then the change that replaces."
        ),
    );
}

#[async_trait]
impl Resource<Engine> for LayerVersionResource {
    fn type_name(&self) -> &'static str {
        "lambdasign_layer_version"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn plan(&self, engine: &Engine, plan: &mut Plan) {
        let prior = recorded(&plan.prior).filter(|_| !plan.prior.is_null());
        let replacing = plan.replacing_of(engine::REPLACE_ON_CHANGE);
        let change = LayerChange {
            layer_name: text(&plan.planned, LAYER_NAME),
            prior: prior.as_ref(),
            prior_source_sha384: text(&plan.prior, SOURCE_SHA384),
            signed_file: match planned_text(&plan.planned, SIGNED_FILE) {
                Planned::Known(path) => Planned::Known(path.map(PathBuf::from)),
                Planned::Unknown => Planned::Unknown,
            },
            verify_against: planned_texts(&plan.planned, VERIFY_AGAINST),
            replacing,
        };
        let outcome = engine::plan(engine, &change).await;
        convert::report(outcome.report, &mut plan.diagnostics);
        for reason in &outcome.republish {
            plan.replace_because(reason);
        }
        warn_if_replaced_version_is_lost(plan);
        let digest = match &outcome.source_sha384 {
            Planned::Known(Some(digest)) => Value::string(digest.as_str()),
            // Content in S3: its digest is read when publishing, and stays
            // what was recorded while the version does.
            Planned::Known(None) if !plan.makes_new() => keep(&plan.prior, SOURCE_SHA384),
            Planned::Known(None) | Planned::Unknown => Value::unknown(),
        };
        set(&mut plan.planned, SOURCE_SHA384, digest);
        if plan.makes_new() {
            for name in engine::PRODUCED {
                set(&mut plan.planned, name, Value::unknown());
            }
        } else {
            convert::plan_verified(&mut plan.planned, VERIFIED, outcome.checked);
        }
    }

    async fn create(&self, engine: &Engine, change: Change) -> Applied {
        let mut applied = Applied {
            private: change.private,
            ..Applied::default()
        };
        let Some(spec) = spec_of(&change.planned, &mut applied.diagnostics) else {
            return applied;
        };
        let mut base = change.planned;
        match engine::create(engine, &spec).await {
            Ok(layer) => {
                set(&mut base, VERIFIED, true);
                applied.state = state_of(&layer, &base);
            }
            Err(failed) => {
                convert::error(
                    &mut applied.diagnostics,
                    "Cannot publish the layer version",
                    &failed.error,
                );
                if let Some(layer) = failed.made {
                    set(&mut base, VERIFIED, false);
                    applied.state = state_of(&layer, &base);
                }
            }
        }
        applied
    }

    async fn read(&self, engine: &Engine, request: ReadRequest) -> ReadResponse {
        let key = |state: &Value, diags: &mut Diagnostics| required_text(state, ARN, diags);
        let read = |arn: String| async move { engine::read(engine, &arn).await };
        let state = |layer: &LayerVersion, base: &Value| state_of(layer, base);
        convert::refresh(request, "Cannot read the layer version", key, read, state).await
    }

    async fn update(&self, engine: &Engine, change: Change) -> Applied {
        // Versions are immutable: in place only checks, `skip_destroy` or a
        // path spelled differently change, all of which live in state. The
        // checks run again: a plan that could not run them planned this.
        let mut applied = Applied {
            state: change.planned,
            private: change.private,
            ..Applied::default()
        };
        let Some(layer) = recorded(&change.prior) else {
            required_text(&change.prior, ARN, &mut applied.diagnostics);
            applied.state = change.prior;
            return applied;
        };
        let cscs = texts(&applied.state, VERIFY_AGAINST).unwrap_or_default();
        let verified = engine::update(engine, &layer, &cscs).await;
        if let Err(e) = &verified {
            convert::error(&mut applied.diagnostics, "The layer fails verification", e);
        }
        set(&mut applied.state, VERIFIED, verified.is_ok());
        applied
    }

    async fn delete(&self, engine: &Engine, change: Change) -> Applied {
        let key = |state: &Value, diags: &mut Diagnostics| {
            let skip = boolean(state, SKIP_DESTROY) == Some(true);
            let layer = recorded(state);
            if layer.is_none() {
                required_text(state, ARN, diags);
            }
            Some((layer?, skip))
        };
        let delete = |(layer, skip): (LayerVersion, bool)| async move {
            engine::delete(engine, &layer, skip).await
        };
        convert::delete(change, "Cannot delete the layer version", key, delete).await
    }

    async fn import(&self, engine: &Engine, id: &str) -> ImportResponse {
        let mut response = ImportResponse::default();
        match engine::import(engine, id).await {
            Ok((layer, source)) => {
                let base = match source {
                    Some(ObjectLocation::File(path)) => Object::new()
                        .set(SIGNED_FILE, path.display().to_string())
                        .build(),
                    Some(ObjectLocation::S3 {
                        bucket,
                        key,
                        version,
                    }) => Object::new()
                        .set(
                            SIGNED_OBJECT,
                            Object::new()
                                .set(BUCKET, bucket)
                                .set(KEY, key)
                                .set(VERSION, opt_text(version.as_deref()))
                                .build(),
                        )
                        .build(),
                    None => Object::new().build(),
                };
                response.state = state_of(&layer, &base);
            }
            Err(e) => convert::error(
                &mut response.diagnostics,
                "Cannot import the layer version",
                &e,
            ),
        }
        response
    }

    fn move_from(&self, source: &MoveSource<'_>, diags: &mut Diagnostics) -> Option<Value> {
        const AWS: &str = "aws_lambda_layer_version";
        let aws = moved::aws_state(source, AWS, self.type_name(), diags)?;
        let arn = moved::required(aws, "arn", AWS, diags)?;
        let name = moved::required(aws, "layer_name", AWS, diags)?;
        let object = moved::opt(aws, "s3_bucket").map_or(Value::Null, |bucket| {
            Object::new()
                .set(BUCKET, bucket.as_str())
                .set(KEY, moved::text(aws, "s3_key"))
                .set(VERSION, moved::text(aws, "s3_object_version"))
                .build()
        });
        Some(
            Object::new()
                .set(LAYER_NAME, name.as_str())
                .set(SIGNED_FILE, moved::text(aws, "filename"))
                .set(SIGNED_OBJECT, object)
                .set(
                    COMPATIBLE_RUNTIMES,
                    moved::strings(aws, "compatible_runtimes"),
                )
                .set(
                    COMPATIBLE_ARCHITECTURES,
                    moved::strings(aws, "compatible_architectures"),
                )
                .set(DESCRIPTION, moved::text(aws, "description"))
                .set(LICENSE_INFO, moved::text(aws, "license_info"))
                .set(SKIP_DESTROY, moved::flag(aws, "skip_destroy"))
                .set(ARN, arn.as_str())
                .set(LAYER_ARN, moved::text(aws, "layer_arn"))
                .set(VERSION, moved::whole_value(aws, "version"))
                .set(
                    SIGNING_PROFILE_VERSION_ARN,
                    moved::text(aws, "signing_profile_version_arn"),
                )
                .set(SIGNING_JOB_ARN, moved::text(aws, "signing_job_arn"))
                .build(),
        )
    }
}
