//! `LambdaSign::Lambda::CodeSigningConfig` over `engine::code_signing_config`:
//! everything updates in place; deleting a config still in use fails and
//! names its users.

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
        DESCRIPTION,
        TAGS,
        ARN,
        CONFIG_ID,
        LAST_MODIFIED,
    ],
    replace_on_change: engine::REPLACE_ON_CHANGE,
    rules: engine::RULES,
    shape: engine::SHAPE,
};

pub struct CodeSigningConfigType;

fn spec(model: &Reader<'_>) -> Result<CscSpec, EngineError> {
    let allowed_publishers = model.texts(ALLOWED_PUBLISHERS)?;
    if let Some(first) =
        engine::check_publishers(&allowed_publishers, FieldPath::field(ALLOWED_PUBLISHERS))
            .into_iter()
            .next()
    {
        return Err(first);
    }
    let enforcement = match model.text(UNTRUSTED_ARTIFACT_ON_DEPLOYMENT)? {
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
    let mut publishers = base
        .and_then(|b| b.texts(ALLOWED_PUBLISHERS).ok())
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
    Builder::model(DEF.naming)
        .texts(ALLOWED_PUBLISHERS, &publishers, true)
        .text(UNTRUSTED_ARTIFACT_ON_DEPLOYMENT, csc.enforcement.as_str())
        .opt_text(DESCRIPTION, description)
        .tags(TAGS, &own, base.is_some_and(|b| b.has(TAGS)))
        .text(ARN, &csc.arn)
        .text(CONFIG_ID, &csc.id)
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
