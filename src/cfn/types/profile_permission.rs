//! `LambdaSign::Signer::ProfilePermission` over `engine::profile_permission`:
//! one statement of a profile's policy; every property is create-only.

use async_trait::async_trait;
use serde_json::Value;

use crate::cfn::convert;
use crate::cfn::model::{Builder, Naming, Reader};
use crate::cfn::resource::{gone, identifier, Call, Handled, Outcome, ResourceType, TypeDef};
use crate::engine::profile_permission::{self as engine, field::*, Permission, PermissionSpec};
use crate::engine::{EngineError, Planned};

pub static DEF: TypeDef = TypeDef {
    type_name: "LambdaSign::Signer::ProfilePermission",
    folder: "profile-permission",
    schema: include_str!(
        "../../../cloudformation/profile-permission/lambdasign-signer-profilepermission.json"
    ),
    naming: Naming::PLAIN,
    fields: &[
        PROFILE_NAME,
        ACTION,
        PRINCIPAL,
        STATEMENT_ID,
        PROFILE_VERSION,
    ],
    native: &[],
    aws_only: &[],
    replace_on_change: engine::REPLACE_ON_CHANGE,
    rules: engine::RULES,
    shape: engine::SHAPE,
};

/// Statement ids CloudFormation generates start with this.
const CFN_PREFIX: &str = "cfn-";

pub struct ProfilePermissionType;

fn model_of(permission: &Permission) -> Value {
    let s = &permission.statement;
    Builder::model(DEF.naming)
        .text(PROFILE_NAME, &permission.profile_name)
        .text(ACTION, &s.action)
        .text(PRINCIPAL, &s.principal)
        .text(STATEMENT_ID, &s.statement_id)
        .opt_text(PROFILE_VERSION, s.profile_version.clone())
        .build()
}

async fn current(call: &Call<'_>, model: &Reader<'_>) -> Result<Permission, EngineError> {
    let profile = identifier(model, PROFILE_NAME)?;
    let statement_id = identifier(model, STATEMENT_ID)?;
    engine::read(call.engine, &profile, &statement_id)
        .await?
        .ok_or_else(|| {
            gone(format!(
                "statement {statement_id:?} of signing profile {profile}"
            ))
        })
}

#[async_trait]
impl ResourceType for ProfilePermissionType {
    fn def(&self) -> &'static TypeDef {
        &DEF
    }

    async fn create(&self, call: &Call<'_>) -> Handled {
        let model = call.model(DEF.naming)?;
        let profile_name = model.required_text(PROFILE_NAME)?;
        // A generated id never collides with the statement of the resource
        // a replacement replaces, and a retried CREATE finds its statement
        // (see generated_name).
        let statement_id = match model.text(STATEMENT_ID)? {
            Some(id) => id,
            None => {
                let id = call.generated_name(CFN_PREFIX);
                if id.repeatable {
                    if let Some(made) = engine::read(call.engine, &profile_name, &id.name).await? {
                        return Ok(Outcome::Model(model_of(&made)));
                    }
                }
                id.name
            }
        };
        let spec = PermissionSpec {
            profile_name,
            action: model.required_text(ACTION)?,
            principal: model.required_text(PRINCIPAL)?,
            statement_id: Some(statement_id),
            statement_id_prefix: None,
            profile_version: model.text(PROFILE_VERSION)?,
        };
        let plan = engine::plan(
            call.engine,
            true,
            &Planned::Known(spec.profile_name.clone()),
        )
        .await;
        convert::refuse(plan)?;
        let permission = engine::create(call.engine, &spec).await?;
        Ok(Outcome::Model(model_of(&permission)))
    }

    async fn read(&self, call: &Call<'_>) -> Handled {
        let model = call.model(DEF.naming)?;
        let permission = current(call, &model).await?;
        Ok(Outcome::Model(model_of(&permission)))
    }

    async fn update(&self, _call: &Call<'_>) -> Handled {
        Err(EngineError::invalid(
            crate::domain::field::FieldPath::root(),
            "every property is create-only",
        ))
    }

    async fn delete(&self, call: &Call<'_>) -> Handled {
        let model = call.model(DEF.naming)?;
        let permission = current(call, &model).await?;
        engine::delete(
            call.engine,
            &permission.profile_name,
            &permission.statement.statement_id,
        )
        .await?;
        Ok(Outcome::Deleted)
    }

    async fn list(&self, call: &Call<'_>) -> Handled {
        let model = call.model(DEF.naming)?;
        let only = model.text(PROFILE_NAME)?;
        let all = engine::list(call.engine).await?;
        Ok(Outcome::Listed(
            all.iter()
                .filter(|p| only.as_ref().is_none_or(|name| *name == p.profile_name))
                .map(model_of)
                .collect(),
        ))
    }
}
