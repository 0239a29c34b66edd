//! `LambdaSign::Lambda::LayerGrant` over `engine::layer_grant`: one
//! statement of a layer version's policy; every property is create-only.
//! It also takes AWS::Lambda::LayerVersionPermission's shape:
//! `LayerVersionArn` for `LayerName` and `VersionNumber`, and `Action`.

use async_trait::async_trait;
use serde_json::Value;

use crate::cfn::model::{Builder, Naming, Reader};
use crate::cfn::resource::{gone, identifier, Call, Handled, Outcome, ResourceType, TypeDef};
use crate::domain::arn::LayerVersionArn;
use crate::domain::field::FieldPath;
use crate::domain::layer::LayerStatement;
use crate::engine::layer_grant::{self as engine, field::*, GrantSpec};
use crate::engine::EngineError;

pub static DEF: TypeDef = TypeDef {
    type_name: "LambdaSign::Lambda::LayerGrant",
    folder: "layer-grant",
    schema: include_str!("../../../cloudformation/layer-grant/lambdasign-lambda-layergrant.json"),
    naming: Naming::PLAIN,
    fields: &[
        LAYER_NAME,
        VERSION_NUMBER,
        PRINCIPAL,
        ORGANIZATION_ID,
        STATEMENT_ID,
        LAYER_VERSION_ARN,
        ACTION,
    ],
    native: &[(LAYER_VERSION_ARN, VERSION_NUMBER)],
    // A grant gives only lambda:GetLayerVersion.
    aws_only: &[ACTION],
    replace_on_change: engine::REPLACE_ON_CHANGE,
    rules: engine::RULES,
    shape: engine::SHAPE,
};

// AWS::Lambda::LayerVersionPermission's spellings.
const LAYER_VERSION_ARN: &str = "layer_version_arn";
const ACTION: &str = "action";

pub struct LayerGrantType;

/// The layer (as the template names it: a name or an ARN) and version;
/// without `LayerName`, from AWS's `LayerVersionArn`.
fn version_of(model: &Reader<'_>) -> Result<(String, i64), EngineError> {
    if !model.has(LAYER_NAME) {
        if let Some(text) = model.text(LAYER_VERSION_ARN)? {
            if model.has(VERSION_NUMBER) {
                return Err(EngineError::invalid(
                    VERSION_NUMBER,
                    "goes with LayerName: LayerVersionArn names its own version",
                ));
            }
            let arn: LayerVersionArn = text
                .parse()
                .map_err(|e| EngineError::invalid(LAYER_VERSION_ARN, format!("{text:?}: {e}")))?;
            return Ok((arn.layer_arn().to_string(), arn.version()));
        }
    }
    let layer = model.required_text(LAYER_NAME)?;
    let version = model
        .integer(VERSION_NUMBER)?
        .ok_or_else(|| EngineError::invalid(VERSION_NUMBER, "is required"))?;
    Ok((layer, version))
}

fn model_of(layer: &str, version: i64, statement: &LayerStatement) -> Value {
    Builder::model(DEF.naming)
        .text(LAYER_NAME, layer)
        .integer(VERSION_NUMBER, version)
        .text(PRINCIPAL, &statement.principal)
        .opt_text(ORGANIZATION_ID, statement.organization_id.clone())
        .text(STATEMENT_ID, &statement.statement_id)
        .build()
}

/// The prefix of the statement ids this type generates.
const CFN_PREFIX: &str = "cfn-";

async fn current(
    call: &Call<'_>,
    model: &Reader<'_>,
) -> Result<(String, i64, LayerStatement), EngineError> {
    let layer = identifier(model, LAYER_NAME)?;
    let version = model.integer(VERSION_NUMBER)?.ok_or_else(|| {
        EngineError::not_found("the model names no resource: it has no VersionNumber")
    })?;
    let statement_id = identifier(model, STATEMENT_ID)?;
    let statement = engine::read(call.engine, &layer, version, &statement_id)
        .await?
        .ok_or_else(|| {
            gone(format!(
                "grant {statement_id:?} of layer {layer} version {version}"
            ))
        })?;
    Ok((layer, version, statement))
}

#[async_trait]
impl ResourceType for LayerGrantType {
    fn def(&self) -> &'static TypeDef {
        &DEF
    }

    async fn create(&self, call: &Call<'_>) -> Handled {
        let model = call.model(DEF.naming)?;
        let (layer, version) = version_of(&model)?;
        // A generated id never collides with the statement of the resource
        // a replacement replaces, and a retried CREATE finds its statement
        // (see generated_name).
        let statement_id = match model.text(STATEMENT_ID)? {
            Some(id) => id,
            None => {
                let id = call.generated_name(CFN_PREFIX);
                if id.repeatable {
                    if let Some(made) = engine::read(call.engine, &layer, version, &id.name).await?
                    {
                        return Ok(Outcome::Model(model_of(&layer, version, &made)));
                    }
                }
                id.name
            }
        };
        let spec = GrantSpec {
            layer: layer.clone(),
            version,
            principal: model.required_text(PRINCIPAL)?,
            organization_id: model.text(ORGANIZATION_ID)?,
            statement_id,
        };
        engine::check_organization(Some(&spec.principal), spec.organization_id.as_deref())?;
        let statement = engine::create(call.engine, &spec).await?;
        Ok(Outcome::Model(model_of(&layer, version, &statement)))
    }

    async fn read(&self, call: &Call<'_>) -> Handled {
        let model = call.model(DEF.naming)?;
        let (layer, version, statement) = current(call, &model).await?;
        Ok(Outcome::Model(model_of(&layer, version, &statement)))
    }

    async fn update(&self, _call: &Call<'_>) -> Handled {
        Err(EngineError::invalid(
            FieldPath::root(),
            "every property is create-only",
        ))
    }

    async fn delete(&self, call: &Call<'_>) -> Handled {
        let model = call.model(DEF.naming)?;
        let (layer, version, statement) = current(call, &model).await?;
        engine::delete(call.engine, &layer, version, &statement.statement_id).await?;
        Ok(Outcome::Deleted)
    }

    /// The grants of the layer version the request names.
    async fn list(&self, call: &Call<'_>) -> Handled {
        let model = call.model(DEF.naming)?;
        let (layer, version) = version_of(&model).map_err(|e| EngineError {
            message: format!("{} (LIST is scoped to one layer version)", e.message),
            ..e
        })?;
        let statements = engine::list(call.engine, &layer, version).await?;
        Ok(Outcome::Listed(
            statements
                .iter()
                .map(|s| model_of(&layer, version, s))
                .collect(),
        ))
    }
}
