//! `LambdaSign::Lambda::CodeSigningConfig` over `engine::code_signing_config`:
//! everything updates in place; deleting a config still in use fails and
//! names its users. It also takes AWS::Lambda::CodeSigningConfig's shapes:
//! `AllowedPublishers.SigningProfileVersionArns` and
//! `CodeSigningPolicies.UntrustedArtifactOnDeployment` in,
//! `CodeSigningConfigArn` and `CodeSigningConfigId` out.

use async_trait::async_trait;
use serde_json::Value;

use crate::cfn::convert;
use crate::cfn::model::{Builder, Naming, Reader};
use crate::cfn::resource::{gone, identifier, Call, Handled, Outcome, ResourceType, TypeDef};
use crate::domain::checks::Enforcement;
use crate::domain::csc::CodeSigningConfig;
use crate::domain::field::FieldPath;
use crate::domain::tags;
use crate::domain::time::format_time;
use crate::engine::code_signing_config::{self as engine, field::*, CscChange, CscSpec};
use crate::engine::{Engine, EngineError, Planned};

pub static DEF: TypeDef = TypeDef {
    type_name: "LambdaSign::Lambda::CodeSigningConfig",
    folder: "code-signing-config",
    schema: include_str!(
        "../../../cloudformation/code-signing-config/lambdasign-lambda-codesigningconfig.json"
    ),
    naming: Naming::PLAIN,
    fields: &[
        ALLOWED_PUBLISHERS,
        UNTRUSTED_ARTIFACT_ON_DEPLOYMENT,
        CODE_SIGNING_POLICIES,
        DESCRIPTION,
        TAGS,
        ARN,
        CONFIG_ID,
        LAST_MODIFIED,
        CODE_SIGNING_CONFIG_ARN,
        CODE_SIGNING_CONFIG_ID,
    ],
    native: &[
        (CODE_SIGNING_POLICIES, UNTRUSTED_ARTIFACT_ON_DEPLOYMENT),
        (CODE_SIGNING_CONFIG_ARN, ARN),
        (CODE_SIGNING_CONFIG_ID, CONFIG_ID),
    ],
    aws_only: &[],
    replace_on_change: engine::REPLACE_ON_CHANGE,
    rules: engine::RULES,
    shape: engine::SHAPE,
};

// AWS::Lambda::CodeSigningConfig's spellings.
const CODE_SIGNING_POLICIES: &str = "code_signing_policies";
const CODE_SIGNING_CONFIG_ARN: &str = "code_signing_config_arn";
const CODE_SIGNING_CONFIG_ID: &str = "code_signing_config_id";
/// Inside AWS's `AllowedPublishers` object.
const SIGNING_PROFILE_VERSION_ARNS: &str = "signing_profile_version_arns";

pub struct CodeSigningConfigType;

/// `AllowedPublishers`: our list, or AWS's `{SigningProfileVersionArns}`;
/// and whether it was AWS's shape.
fn publishers(model: &Reader<'_>) -> Result<(Vec<String>, bool), EngineError> {
    match model.get(ALLOWED_PUBLISHERS) {
        Some(Value::Object(_)) => {
            let Some(native) = model.object(ALLOWED_PUBLISHERS)? else {
                return Ok((Vec::new(), true));
            };
            Ok((native.texts(SIGNING_PROFILE_VERSION_ARNS)?, true))
        }
        _ => Ok((model.texts(ALLOWED_PUBLISHERS)?, false)),
    }
}

/// `UntrustedArtifactOnDeployment`, else AWS's
/// `CodeSigningPolicies.UntrustedArtifactOnDeployment`.
fn enforcement_text(model: &Reader<'_>) -> Result<Option<String>, EngineError> {
    if let Some(text) = model.text(UNTRUSTED_ARTIFACT_ON_DEPLOYMENT)? {
        return Ok(Some(text));
    }
    match model.object(CODE_SIGNING_POLICIES)? {
        Some(policies) => policies.text(UNTRUSTED_ARTIFACT_ON_DEPLOYMENT),
        None => Ok(None),
    }
}

fn spec(model: &Reader<'_>) -> Result<CscSpec, EngineError> {
    let (allowed_publishers, _) = publishers(model)?;
    if let Some(first) =
        engine::check_publishers(&allowed_publishers, FieldPath::field(ALLOWED_PUBLISHERS))
            .into_iter()
            .next()
    {
        return Err(first);
    }
    let enforcement = match enforcement_text(model)? {
        None => Enforcement::Warn,
        Some(text) => text
            .parse()
            .map_err(|e: crate::domain::checks::ParseEnforcementError| {
                EngineError::invalid(UNTRUSTED_ARTIFACT_ON_DEPLOYMENT, e.to_string())
            })?,
    };
    Ok(CscSpec {
        allowed_publishers,
        enforcement,
        description: model.text(DESCRIPTION)?.unwrap_or_default(),
        tags: model.tags(TAGS)?,
    })
}

/// The model of a config, in the order the request listed the publishers.
fn model_of(engine: &Engine, csc: &CodeSigningConfig, base: Option<&Reader<'_>>) -> Value {
    let configured = base.and_then(|b| b.tags(TAGS).ok()).unwrap_or_default();
    let own = tags::own(engine.default_tags(), &csc.tags, &configured);
    let listed = base.and_then(|b| publishers(b).ok());
    let native_shape = listed.as_ref().is_some_and(|(_, native)| *native);
    let mut publishers = listed
        .map(|(listed, _)| listed)
        .filter(|listed| {
            let mut a = listed.clone();
            let mut b = csc.allowed_publishers.clone();
            a.sort();
            b.sort();
            a == b
        })
        .unwrap_or_else(|| csc.allowed_publishers.clone());
    publishers.dedup();
    let description = (!csc.description.is_empty() || base.is_some_and(|b| b.has(DESCRIPTION)))
        .then(|| csc.description.clone());
    let model = if native_shape {
        Builder::model(DEF.naming).object(
            ALLOWED_PUBLISHERS,
            Builder::nested().texts(SIGNING_PROFILE_VERSION_ARNS, &publishers, true),
        )
    } else {
        Builder::model(DEF.naming).texts(ALLOWED_PUBLISHERS, &publishers, true)
    };
    model
        .text(UNTRUSTED_ARTIFACT_ON_DEPLOYMENT, csc.enforcement.as_str())
        .opt_text(DESCRIPTION, description)
        .tags(
            TAGS,
            &own,
            base.and_then(|b| b.get(TAGS)).filter(|_| configured == own),
            base.is_some_and(|b| b.has(TAGS)),
        )
        .text(ARN, &csc.arn)
        .text(CONFIG_ID, &csc.id)
        .text(CODE_SIGNING_CONFIG_ARN, &csc.arn)
        .text(CODE_SIGNING_CONFIG_ID, &csc.id)
        .text(LAST_MODIFIED, format_time(csc.last_modified))
        .build()
}

async fn current(call: &Call<'_>, model: &Reader<'_>) -> Result<CodeSigningConfig, EngineError> {
    let arn = identifier(model, ARN)?;
    engine::read(call.engine, &arn)
        .await?
        .ok_or_else(|| gone(format!("code signing config {arn}")))
}

#[async_trait]
impl ResourceType for CodeSigningConfigType {
    fn def(&self) -> &'static TypeDef {
        &DEF
    }

    async fn create(&self, call: &Call<'_>) -> Handled {
        let model = call.model(DEF.naming)?;
        let spec = spec(&model)?;
        let csc = engine::create(call.engine, &spec).await?;
        Ok(Outcome::Model(model_of(call.engine, &csc, Some(&model))))
    }

    async fn read(&self, call: &Call<'_>) -> Handled {
        let model = call.model(DEF.naming)?;
        let csc = current(call, &model).await?;
        Ok(Outcome::Model(model_of(call.engine, &csc, Some(&model))))
    }

    async fn update(&self, call: &Call<'_>) -> Handled {
        let model = call.model(DEF.naming)?;
        let prior = current(call, &model).await?;
        let spec = spec(&model)?;
        let change = CscChange {
            prior: Some(&prior),
            allowed_publishers: Planned::Known(spec.allowed_publishers.clone()),
            known_publishers: spec.allowed_publishers.clone(),
            enforcement: Planned::Known(spec.enforcement),
        };
        let notes = convert::refuse(engine::plan(call.engine, &change).await)?;
        let csc = engine::update(call.engine, &prior.arn, &spec).await?;
        Ok(Outcome::Noted(
            model_of(call.engine, &csc, Some(&model)),
            notes,
        ))
    }

    async fn delete(&self, call: &Call<'_>) -> Handled {
        let model = call.model(DEF.naming)?;
        let csc = current(call, &model).await?;
        engine::delete(call.engine, &csc.arn).await?;
        Ok(Outcome::Deleted)
    }

    async fn list(&self, call: &Call<'_>) -> Handled {
        let configs = engine::list(call.engine).await?;
        Ok(Outcome::Listed(
            configs
                .iter()
                .map(|c| model_of(call.engine, c, None))
                .collect(),
        ))
    }
}
