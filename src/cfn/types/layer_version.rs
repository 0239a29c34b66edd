//! `LambdaSign::Lambda::LayerVersion` over `engine::layer_version`: a
//! signed zip in S3 published as a layer version, verified before it is
//! published. Versions are immutable: only `VerifyAgainst` updates (it
//! re-verifies the published version).

use async_trait::async_trait;
use serde_json::Value;

use crate::cfn::convert;
use crate::cfn::model::{Builder, Naming, Reader};
use crate::cfn::resource::{gone, identifier, Call, Handled, Outcome, ResourceType, TypeDef};
use crate::domain::field::FieldPath;
use crate::domain::job::ObjectLocation;
use crate::domain::layer::LayerVersion;
use crate::domain::time::format_time;
use crate::engine::layer_version::{self as engine, field::*, LayerChange, LayerSpec};
use crate::engine::{EngineError, Planned};

pub static DEF: TypeDef = TypeDef {
    type_name: "LambdaSign::Lambda::LayerVersion",
    folder: "layer-version",
    schema: include_str!(
        "../../../cloudformation/layer-version/lambdasign-lambda-layerversion.json"
    ),
    // The engine names local content `signed_file`; here content is always
    // the S3 object.
    naming: Naming {
        renames: &[(SIGNED_FILE, "SignedObject")],
    },
    fields: &[
        LAYER_NAME,
        SIGNED_OBJECT,
        COMPATIBLE_RUNTIMES,
        COMPATIBLE_ARCHITECTURES,
        DESCRIPTION,
        LICENSE_INFO,
        VERIFY_AGAINST,
        ARN,
        LAYER_ARN,
        VERSION,
        SIGNING_PROFILE_VERSION_ARN,
        SIGNING_JOB_ARN,
        CREATED_DATE,
        CONTENT,
        LAYER_VERSION_ARN,
    ],
    native: &[(CONTENT, SIGNED_OBJECT), (LAYER_VERSION_ARN, ARN)],
    aws_only: &[],
    replace_on_change: engine::REPLACE_ON_CHANGE,
    rules: engine::RULES,
    shape: engine::SHAPE,
};

// AWS::Lambda::LayerVersion's spellings: `Content` ({S3Bucket, S3Key,
// S3ObjectVersion}) for `SignedObject`, `LayerVersionArn` for `Arn`.
const CONTENT: &str = "content";
const LAYER_VERSION_ARN: &str = "layer_version_arn";
const S3_BUCKET: &str = "s3_bucket";
const S3_KEY: &str = "s3_key";
const S3_OBJECT_VERSION: &str = "s3_object_version";

pub struct LayerVersionType;

fn content(model: &Reader<'_>) -> Result<ObjectLocation, EngineError> {
    if !model.has(SIGNED_OBJECT) {
        if let Some(native) = model.object(CONTENT)? {
            return Ok(ObjectLocation::S3 {
                bucket: native.required_text(S3_BUCKET)?,
                key: native.required_text(S3_KEY)?,
                version: native.text(S3_OBJECT_VERSION)?,
            });
        }
    }
    let object = model
        .object(SIGNED_OBJECT)?
        .ok_or_else(|| EngineError::invalid(SIGNED_OBJECT, "is required"))?;
    Ok(ObjectLocation::S3 {
        bucket: object.required_text(BUCKET)?,
        key: object.required_text(KEY)?,
        version: object.text(VERSION)?,
    })
}

/// Lists as the request spelled them when they hold the same items.
fn as_listed(listed: Vec<String>, recorded: &[String]) -> Vec<String> {
    let mut a = listed.clone();
    let mut b = recorded.to_vec();
    a.sort();
    b.sort();
    if a == b {
        listed
    } else {
        recorded.to_vec()
    }
}

fn model_of(layer: &LayerVersion, base: Option<&Reader<'_>>) -> Value {
    let listed = |field: &'static str| base.and_then(|b| b.texts(field).ok()).unwrap_or_default();
    let has = |field: &str| base.is_some_and(|b| b.has(field));
    let mut model = Builder::model(DEF.naming)
        .text(LAYER_NAME, &layer.layer_name)
        .texts(
            COMPATIBLE_RUNTIMES,
            &as_listed(listed(COMPATIBLE_RUNTIMES), &layer.compatible_runtimes),
            has(COMPATIBLE_RUNTIMES),
        )
        .texts(
            COMPATIBLE_ARCHITECTURES,
            &as_listed(
                listed(COMPATIBLE_ARCHITECTURES),
                &layer.compatible_architectures,
            ),
            has(COMPATIBLE_ARCHITECTURES),
        )
        .opt_text(
            DESCRIPTION,
            (!layer.description.is_empty() || has(DESCRIPTION)).then(|| layer.description.clone()),
        )
        .opt_text(LICENSE_INFO, layer.license_info.clone())
        .texts(VERIFY_AGAINST, &listed(VERIFY_AGAINST), has(VERIFY_AGAINST))
        .text(ARN, &layer.layer_version_arn)
        .text(LAYER_VERSION_ARN, &layer.layer_version_arn)
        .text(LAYER_ARN, &layer.layer_arn)
        .integer(VERSION, layer.version)
        .opt_text(
            SIGNING_PROFILE_VERSION_ARN,
            layer.signing_profile_version_arn.clone(),
        )
        .opt_text(SIGNING_JOB_ARN, layer.signing_job_arn.clone())
        .text(CREATED_DATE, format_time(layer.created_at));
    // Lambda does not say where a version's content came from: the
    // template's object is kept as it was given.
    if let Some(object) = base.and_then(|b| b.get(SIGNED_OBJECT)) {
        model = model.value(SIGNED_OBJECT, object.clone());
    }
    model.build()
}

async fn current(call: &Call<'_>, model: &Reader<'_>) -> Result<LayerVersion, EngineError> {
    let arn = identifier(model, ARN)?;
    engine::read(call.engine, &arn)
        .await?
        .ok_or_else(|| gone(format!("layer version {arn}")))
}

#[async_trait]
impl ResourceType for LayerVersionType {
    fn def(&self) -> &'static TypeDef {
        &DEF
    }

    async fn create(&self, call: &Call<'_>) -> Handled {
        let model = call.model(DEF.naming)?;
        let spec = LayerSpec {
            layer_name: model.required_text(LAYER_NAME)?,
            content: content(&model)?,
            compatible_runtimes: model.texts(COMPATIBLE_RUNTIMES)?,
            compatible_architectures: model.texts(COMPATIBLE_ARCHITECTURES)?,
            description: model.text(DESCRIPTION)?.unwrap_or_default(),
            license_info: model.text(LICENSE_INFO)?,
            verify_against: model.texts(VERIFY_AGAINST)?,
        };
        match engine::create(call.engine, &spec).await {
            Ok(layer) => Ok(Outcome::Model(model_of(&layer, Some(&model)))),
            Err(failed) => {
                // A version that failed verification after publishing is
                // deleted: a failed CREATE leaves nothing behind.
                if let Some(layer) = failed.made {
                    let _ = engine::delete(call.engine, &layer, false).await;
                }
                Err(failed.error)
            }
        }
    }

    async fn read(&self, call: &Call<'_>) -> Handled {
        let model = call.model(DEF.naming)?;
        let layer = current(call, &model).await?;
        Ok(Outcome::Model(model_of(&layer, Some(&model))))
    }

    /// Only `VerifyAgainst` changes in place: the published version is
    /// checked against the new list.
    async fn update(&self, call: &Call<'_>) -> Handled {
        let model = call.model(DEF.naming)?;
        let layer = current(call, &model).await?;
        let change = LayerChange {
            layer_name: Some(layer.layer_name.clone()),
            prior: Some(&layer),
            prior_source_sha384: None,
            signed_file: Planned::Known(None),
            verify_against: Planned::Known(model.texts(VERIFY_AGAINST)?),
            replacing: Vec::new(),
        };
        let plan = engine::plan(call.engine, &change).await;
        let notes = convert::refuse(plan.report)?;
        Ok(Outcome::Noted(model_of(&layer, Some(&model)), notes))
    }

    async fn delete(&self, call: &Call<'_>) -> Handled {
        let model = call.model(DEF.naming)?;
        let layer = current(call, &model).await?;
        engine::delete(call.engine, &layer, false).await?;
        Ok(Outcome::Deleted)
    }

    /// The versions of the layer the request names.
    async fn list(&self, call: &Call<'_>) -> Handled {
        let model = call.model(DEF.naming)?;
        let name = model.text(LAYER_NAME)?.ok_or_else(|| {
            EngineError::invalid(
                FieldPath::field(LAYER_NAME),
                "is required: LIST is scoped to one layer",
            )
        })?;
        let versions = engine::list(call.engine, &name).await?;
        Ok(Outcome::Listed(
            versions.iter().map(|v| model_of(v, None)).collect(),
        ))
    }
}
