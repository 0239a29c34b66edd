//! `lambdasign_signing_profile_permission`: schema and translation for
//! `engine::profile_permission`.

use async_trait::async_trait;

use crate::engine::profile_permission::{self as engine, field::*, Permission, PermissionSpec};
use crate::engine::{Engine, Planned};
use crate::tf::convert;
use crate::tf::plugin::cty::{Type, Value};
use crate::tf::plugin::diagnostics::Diagnostics;
use crate::tf::plugin::framework::{
    Applied, Change, ImportResponse, MoveSource, Plan, ReadRequest, ReadResponse, Resource,
};
use crate::tf::plugin::schema::{Attribute, Schema};
use crate::tf::resources::moved;
use crate::tf::values::{opt_text, planned_text, required_text, text, Object};

pub struct SigningProfilePermissionResource;

/// A statement is known by its profile and its id.
fn key_of(state: &Value, diags: &mut Diagnostics) -> Option<(String, String)> {
    Some((
        required_text(state, PROFILE_NAME, diags)?,
        required_text(state, STATEMENT_ID, diags)?,
    ))
}

fn schema() -> Schema {
    Schema::new("One statement of a signing profile's permission policy: lets another account (or an IAM principal) use the profile. Every argument forces a new statement.")
        .attribute(Attribute::required(PROFILE_NAME, Type::String).describe("Name of the signing profile."))
        .attribute(Attribute::required(ACTION, Type::String).describe("`signer:StartSigningJob`, `signer:GetSigningProfile` or `signer:RevokeSignature`. (`signer:SignPayload` does not apply to Lambda profiles.)"))
        .attribute(Attribute::required(PRINCIPAL, Type::String).describe("A 12-digit account id or an IAM ARN."))
        .attribute(Attribute::optional_computed(STATEMENT_ID, Type::String).describe("Statement id, unique within the profile. Generated from `statement_id_prefix` (or `terraform-`) when omitted."))
        .attribute(Attribute::optional_computed(STATEMENT_ID_PREFIX, Type::String).describe("Prefix of a generated statement id. Conflicts with `statement_id`."))
        .attribute(Attribute::optional(PROFILE_VERSION, Type::String).describe("Limit the permission to this profile version."))
        .replace_on_change(engine::REPLACE_ON_CHANGE)
        .rules(engine::RULES, engine::SHAPE)
}

fn spec_of(planned: &Value, diags: &mut Diagnostics) -> Option<PermissionSpec> {
    Some(PermissionSpec {
        profile_name: required_text(planned, PROFILE_NAME, diags)?,
        action: required_text(planned, ACTION, diags)?,
        principal: required_text(planned, PRINCIPAL, diags)?,
        statement_id: text(planned, STATEMENT_ID),
        statement_id_prefix: text(planned, STATEMENT_ID_PREFIX),
        profile_version: text(planned, PROFILE_VERSION),
    })
}

fn state_of(permission: &Permission, base: &Value) -> Value {
    let statement = &permission.statement;
    let prefix = text(base, STATEMENT_ID_PREFIX)
        .or_else(|| engine::prefix_of(&statement.statement_id).map(str::to_string));
    Object::new()
        .set(PROFILE_NAME, permission.profile_name.as_str())
        .set(ACTION, statement.action.as_str())
        .set(PRINCIPAL, statement.principal.as_str())
        .set(STATEMENT_ID, statement.statement_id.as_str())
        .set(STATEMENT_ID_PREFIX, opt_text(prefix.as_deref()))
        .set(
            PROFILE_VERSION,
            opt_text(statement.profile_version.as_deref()),
        )
        .build()
}

#[async_trait]
impl Resource<Engine> for SigningProfilePermissionResource {
    fn type_name(&self) -> &'static str {
        "lambdasign_signing_profile_permission"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn plan(&self, engine: &Engine, plan: &mut Plan) {
        let profile = match planned_text(&plan.planned, PROFILE_NAME) {
            Planned::Known(Some(name)) => Planned::Known(name),
            _ => Planned::Unknown,
        };
        let report = engine::plan(engine, plan.makes_new(), &profile).await;
        convert::report(report, &mut plan.diagnostics);
    }

    async fn create(&self, engine: &Engine, change: Change) -> Applied {
        let mut applied = Applied {
            private: change.private,
            ..Applied::default()
        };
        let Some(spec) = spec_of(&change.planned, &mut applied.diagnostics) else {
            return applied;
        };
        match engine::create(engine, &spec).await {
            Ok(permission) => applied.state = state_of(&permission, &change.planned),
            Err(e) => convert::error(&mut applied.diagnostics, "Cannot add the permission", &e),
        }
        applied
    }

    async fn read(&self, engine: &Engine, request: ReadRequest) -> ReadResponse {
        let read = |(profile, statement): (String, String)| async move {
            engine::read(engine, &profile, &statement).await
        };
        let state = |permission: &Permission, base: &Value| state_of(permission, base);
        convert::refresh(request, "Cannot read the permission", key_of, read, state).await
    }

    async fn update(&self, _engine: &Engine, change: Change) -> Applied {
        // Every argument replaces; an update only rewrites spellings.
        Applied {
            state: change.planned,
            private: change.private,
            ..Applied::default()
        }
    }

    async fn delete(&self, engine: &Engine, change: Change) -> Applied {
        let delete = |(profile, statement): (String, String)| async move {
            engine::delete(engine, &profile, &statement).await
        };
        convert::delete(change, "Cannot remove the permission", key_of, delete).await
    }

    async fn import(&self, engine: &Engine, id: &str) -> ImportResponse {
        convert::imported(
            engine::import(engine, id).await,
            "Cannot import the permission",
            |permission| state_of(&permission, &Value::Null),
        )
    }

    fn move_from(&self, source: &MoveSource<'_>, diags: &mut Diagnostics) -> Option<Value> {
        const AWS: &str = "aws_signer_signing_profile_permission";
        let aws = moved::aws_state(source, AWS, self.type_name(), diags)?;
        let required = |key, diags: &mut Diagnostics| moved::required(aws, key, AWS, diags);
        Some(
            Object::new()
                .set(PROFILE_NAME, required("profile_name", diags)?.as_str())
                .set(ACTION, required("action", diags)?.as_str())
                .set(PRINCIPAL, required("principal", diags)?.as_str())
                .set(STATEMENT_ID, required("statement_id", diags)?.as_str())
                .set(STATEMENT_ID_PREFIX, moved::text(aws, "statement_id_prefix"))
                .set(PROFILE_VERSION, moved::text(aws, "profile_version"))
                .build(),
        )
    }
}
