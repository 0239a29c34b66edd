//! `lambdasign_layer_grant`: schema and translation for
//! `engine::layer_grant`.

use async_trait::async_trait;

use crate::domain::layer::{LayerStatement, LAYER_ACTION};
use crate::engine::layer_grant::{self as engine, field::*, GrantPlan, GrantSpec};
use crate::engine::Engine;
use crate::tf::convert;
use crate::tf::plugin::cty::{Type, Value};
use crate::tf::plugin::diagnostics::Diagnostics;
use crate::tf::plugin::framework::{
    Applied, Change, ImportResponse, MoveSource, Plan, ReadRequest, ReadResponse, Resource,
};
use crate::tf::plugin::schema::{Attribute, Schema};
use crate::tf::resources::moved;
use crate::tf::values::{
    boolean, integer, keep, number, opt_text, required_text, set, text, Object,
};

pub struct LayerGrantResource;

fn schema() -> Schema {
    Schema::new("Grants an account, or all accounts of an organization, use of one layer version (`lambda:GetLayerVersion`). Every argument but `skip_destroy` forces a new grant.")
        .attribute(Attribute::required(LAYER_NAME, Type::String).describe("Layer name or layer ARN."))
        .attribute(Attribute::required(VERSION_NUMBER, Type::Number).describe("Layer version."))
        .attribute(Attribute::required(PRINCIPAL, Type::String).describe("A 12-digit account id, or `*` for everyone (narrow it with `organization_id`)."))
        .attribute(Attribute::optional(ORGANIZATION_ID, Type::String).describe("Only with principal `*`: limit the grant to this organization (`o-...`)."))
        .attribute(Attribute::required(STATEMENT_ID, Type::String).describe("Statement id, unique within the layer version."))
        .attribute(Attribute::optional(SKIP_DESTROY, Type::Bool).describe("Keep the grant in Lambda when the resource is destroyed."))
        .attribute(Attribute::computed(ACTION, Type::String).known_at_plan().describe("Always `lambda:GetLayerVersion`."))
        .replace_on_change(engine::REPLACE_ON_CHANGE)
        .rules(engine::RULES, engine::SHAPE)
}

fn spec_of(planned: &Value, diags: &mut Diagnostics) -> Option<GrantSpec> {
    let version = integer(planned, VERSION_NUMBER);
    if version.is_none() {
        required_text(planned, VERSION_NUMBER, diags);
    }
    Some(GrantSpec {
        layer: required_text(planned, LAYER_NAME, diags)?,
        version: version?,
        principal: required_text(planned, PRINCIPAL, diags)?,
        organization_id: text(planned, ORGANIZATION_ID),
        statement_id: required_text(planned, STATEMENT_ID, diags)?,
    })
}

fn state_of(base: &Value, statement: &LayerStatement) -> Value {
    Object::new()
        .set(LAYER_NAME, keep(base, LAYER_NAME))
        .set(VERSION_NUMBER, keep(base, VERSION_NUMBER))
        .set(PRINCIPAL, statement.principal.as_str())
        .set(
            ORGANIZATION_ID,
            opt_text(statement.organization_id.as_deref()),
        )
        .set(STATEMENT_ID, statement.statement_id.as_str())
        .set(SKIP_DESTROY, keep(base, SKIP_DESTROY))
        .set(ACTION, statement.action.as_str())
        .build()
}

/// The layer, version and statement a state names.
fn key_of(state: &Value, diags: &mut Diagnostics) -> Option<(String, i64, String)> {
    let version = integer(state, VERSION_NUMBER);
    if version.is_none() {
        required_text(state, VERSION_NUMBER, diags);
    }
    Some((
        required_text(state, LAYER_NAME, diags)?,
        version?,
        required_text(state, STATEMENT_ID, diags)?,
    ))
}

#[async_trait]
impl Resource<Engine> for LayerGrantResource {
    fn type_name(&self) -> &'static str {
        "lambdasign_layer_grant"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        let principal = text(config, PRINCIPAL);
        let organization = text(config, ORGANIZATION_ID);
        if let Err(e) = engine::check_organization(principal.as_deref(), organization.as_deref()) {
            convert::error(diags, "Invalid combination of arguments", &e);
        }
    }

    async fn plan(&self, engine: &Engine, plan: &mut Plan) {
        set(&mut plan.planned, ACTION, LAYER_ACTION);
        let creating = plan.prior.is_null() || !plan.replacing().is_empty();
        if let (true, Some(layer), Some(version)) = (
            creating,
            text(&plan.planned, LAYER_NAME),
            integer(&plan.planned, VERSION_NUMBER),
        ) {
            let grant = GrantPlan {
                layer,
                version,
                principal: text(&plan.planned, PRINCIPAL),
                statement_id: text(&plan.planned, STATEMENT_ID),
            };
            convert::report(engine::plan(engine, &grant).await, &mut plan.diagnostics);
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
        match engine::create(engine, &spec).await {
            Ok(statement) => applied.state = state_of(&change.planned, &statement),
            Err(e) => convert::error(
                &mut applied.diagnostics,
                "Cannot grant the layer version",
                &e,
            ),
        }
        applied
    }

    async fn read(&self, engine: &Engine, request: ReadRequest) -> ReadResponse {
        let read = |(layer, version, statement_id): (String, i64, String)| async move {
            engine::read(engine, &layer, version, &statement_id).await
        };
        let state = |statement: &LayerStatement, base: &Value| state_of(base, statement);
        convert::refresh(request, "Cannot read the layer grant", key_of, read, state).await
    }

    async fn update(&self, _engine: &Engine, change: Change) -> Applied {
        // Only `skip_destroy` updates in place, and it lives in state only.
        Applied {
            state: change.planned,
            private: change.private,
            ..Applied::default()
        }
    }

    async fn delete(&self, engine: &Engine, change: Change) -> Applied {
        // `skip_destroy`: the grant stays in Lambda, only the state goes.
        let key = |state: &Value, diags: &mut Diagnostics| {
            if boolean(state, SKIP_DESTROY) == Some(true) {
                return None;
            }
            key_of(state, diags)
        };
        let delete = |(layer, version, statement_id): (String, i64, String)| async move {
            engine::delete(engine, &layer, version, &statement_id).await
        };
        convert::delete(change, "Cannot remove the layer grant", key, delete).await
    }

    async fn import(&self, engine: &Engine, id: &str) -> ImportResponse {
        let mut response = ImportResponse::default();
        match engine::import(engine, id).await {
            Ok((layer, version, statement)) => {
                let base = Object::new()
                    .set(LAYER_NAME, layer.as_str())
                    .set(VERSION_NUMBER, number(version))
                    .set(SKIP_DESTROY, Value::Null)
                    .build();
                response.state = state_of(&base, &statement);
            }
            Err(e) => convert::error(
                &mut response.diagnostics,
                "Cannot import the layer grant",
                &e,
            ),
        }
        response
    }

    fn move_from(&self, source: &MoveSource<'_>, diags: &mut Diagnostics) -> Option<Value> {
        const AWS: &str = "aws_lambda_layer_version_permission";
        let aws = moved::aws_state(source, AWS, self.type_name(), diags)?;
        let required = |key, diags: &mut Diagnostics| moved::required(aws, key, AWS, diags);
        let Some(version) = moved::whole(aws, "version_number") else {
            diags.error(
                "Incomplete source state",
                format!("The stored state of {AWS} has no `version_number`."),
            );
            return None;
        };
        Some(
            Object::new()
                .set(LAYER_NAME, required("layer_name", diags)?.as_str())
                .set(VERSION_NUMBER, number(version))
                .set(PRINCIPAL, required("principal", diags)?.as_str())
                .set(ORGANIZATION_ID, moved::text(aws, "organization_id"))
                .set(STATEMENT_ID, required("statement_id", diags)?.as_str())
                .set(SKIP_DESTROY, moved::flag(aws, "skip_destroy"))
                .set(ACTION, LAYER_ACTION)
                .build(),
        )
    }
}
