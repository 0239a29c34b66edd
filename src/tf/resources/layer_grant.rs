//! `lambdasign_layer_grant`: one statement of a layer version's permission
//! policy, letting an account (or everyone in an organization) use the
//! layer. Each grant reads back only its own statement, so any number can
//! share one layer version.

use async_trait::async_trait;

use super::support::{
    backend_error, boolean, destroyed, integer, is_account_id, is_identifier, opt_string,
    retry_on_stale_revision, string, Object,
};
use crate::backend::{AddLayerPermission, BackendError, LayerStatement};
use crate::tf::plugin::cty::{Number, Type, Value};
use crate::tf::plugin::diagnostics::{AttributePath, Diagnostics};
use crate::tf::plugin::framework::{
    ApplyRequest, ApplyResponse, ImportResponse, PlanRequest, PlanResponse, ReadRequest,
    ReadResponse, Resource,
};
use crate::tf::plugin::plan;
use crate::tf::plugin::schema::{Attribute, Schema};
use crate::tf::provider::Client;

pub struct LayerGrantResource;

const ACTION: &str = "lambda:GetLayerVersion";

#[async_trait]
impl Resource<Client> for LayerGrantResource {
    fn type_name(&self) -> &'static str {
        "lambdasign_layer_grant"
    }

    fn schema(&self) -> Schema {
        Schema::new("Grants an account, or all accounts of an organization, use of one layer version (`lambda:GetLayerVersion`). Every argument but `skip_destroy` forces a new grant.")
            .attribute(Attribute::required("layer_name", Type::String).describe("Layer name or layer ARN."))
            .attribute(Attribute::required("version_number", Type::Number).describe("Layer version."))
            .attribute(Attribute::required("principal", Type::String).describe("A 12-digit account id, or `*` for everyone (narrow it with `organization_id`)."))
            .attribute(Attribute::optional("organization_id", Type::String).describe("Only with principal `*`: limit the grant to this organization (`o-...`)."))
            .attribute(Attribute::required("statement_id", Type::String).describe("Statement id, unique within the layer version."))
            .attribute(Attribute::optional("skip_destroy", Type::Bool).describe("Keep the grant in Lambda when the resource is destroyed."))
            .attribute(Attribute::computed("action", Type::String).describe("Always `lambda:GetLayerVersion`."))
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let principal = string(config, "principal");
        if let Some(principal) = &principal {
            if principal != "*" && !is_account_id(principal) {
                diags.error_at(
                    AttributePath::attr("principal"),
                    "Invalid principal",
                    format!("{principal:?} must be a 12-digit account id or \"*\"."),
                );
            }
        }
        if let Some(org) = string(config, "organization_id") {
            let path = AttributePath::attr("organization_id");
            let valid = org.strip_prefix("o-").is_some_and(|rest| {
                (10..=32).contains(&rest.len())
                    && rest
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            });
            if !valid {
                diags.error_at(path.clone(), "Invalid organization id", format!("{org:?} must look like o-a1b2c3d4e5 (o- and 10 to 32 lower-case letters or digits)."));
            }
            if principal.as_deref().is_some_and(|p| p != "*") {
                diags.error_at(path, "organization_id needs principal \"*\"", "An organization condition applies only to a grant to everyone (`principal = \"*\"`).");
            }
        }
        if let Some(id) = string(config, "statement_id") {
            if !is_identifier(&id, 100, &['-', '_']) {
                diags.error_at(
                    AttributePath::attr("statement_id"),
                    "Invalid statement id",
                    format!("{id:?} must be 1 to 100 letters, digits, '-' or '_'."),
                );
            }
        }
        if let Some(version) = config.get_attr("version_number").and_then(Value::as_number) {
            if version.as_i64().is_none_or(|v| v < 1) {
                diags.error_at(
                    AttributePath::attr("version_number"),
                    "Invalid version",
                    format!("{version} must be a whole number of at least 1."),
                );
            }
        }
        diags
    }

    async fn plan(&self, _client: &Client, request: PlanRequest) -> PlanResponse {
        let mut planned = request.proposed_state;
        super::support::set_attr(&mut planned, "action", ACTION);
        let requires_replace = if request.prior_state.is_null() {
            Vec::new()
        } else {
            plan::changed_attributes(
                &request.prior_state,
                &planned,
                &[
                    "layer_name",
                    "version_number",
                    "principal",
                    "organization_id",
                    "statement_id",
                ],
            )
        };
        PlanResponse {
            planned_state: planned,
            requires_replace,
            planned_private: request.prior_private,
            ..PlanResponse::default()
        }
    }

    async fn apply(&self, client: &Client, request: ApplyRequest) -> ApplyResponse {
        let mut response = ApplyResponse {
            private: request.planned_private,
            ..ApplyResponse::default()
        };
        let prior = request.prior_state;
        let planned = request.planned_state;
        if planned.is_null() {
            if boolean(&prior, "skip_destroy") != Some(true) {
                let result = remove(client, &prior).await;
                destroyed(result, prior, "remove the layer grant", &mut response);
            }
            return response;
        }
        if !prior.is_null() {
            response.new_state = planned;
            return response;
        }
        let add = AddLayerPermission {
            layer_name: layer_name(&planned),
            version: integer(&planned, "version_number").unwrap_or_default(),
            statement_id: string(&planned, "statement_id").unwrap_or_default(),
            principal: string(&planned, "principal").unwrap_or_default(),
            organization_id: string(&planned, "organization_id"),
            revision_id: None,
        };
        match add_with_retry(client, add).await {
            Ok(()) => response.new_state = planned,
            Err(e) => backend_error(&mut response.diagnostics, "grant the layer version", &e),
        }
        response
    }

    async fn read(&self, client: &Client, request: ReadRequest) -> ReadResponse {
        let mut response = ReadResponse {
            private: request.private,
            ..ReadResponse::default()
        };
        let state = request.current_state;
        let name = layer_name(&state);
        let version = integer(&state, "version_number").unwrap_or_default();
        let statement_id = string(&state, "statement_id").unwrap_or_default();
        match client.backend.get_layer_policy(&name, version).await {
            Ok(policy) => {
                if let Some(found) = policy
                    .statements
                    .iter()
                    .find(|s| s.statement_id == statement_id)
                {
                    response.new_state = state_of(&state, found);
                }
            }
            Err(BackendError::NotFound(_)) => {}
            Err(e) => {
                backend_error(
                    &mut response.diagnostics,
                    &format!("read the policy of layer {name} version {version}"),
                    &e,
                );
                response.new_state = state;
            }
        }
        response
    }

    async fn import(&self, client: &Client, id: &str) -> ImportResponse {
        let mut response = ImportResponse::default();
        let parts: Vec<&str> = id.split(',').collect();
        let [name, version, statement_id] = parts[..] else {
            response.diagnostics.error(
                "Invalid import ID",
                format!("Expected `layer_name,version_number,statement_id`, got {id:?}."),
            );
            return response;
        };
        let Ok(version) = version.parse::<i64>() else {
            response.diagnostics.error(
                "Invalid import ID",
                format!("{version:?} is not a layer version number."),
            );
            return response;
        };
        match client.backend.get_layer_policy(name, version).await {
            Ok(policy) => match policy
                .statements
                .iter()
                .find(|s| s.statement_id == statement_id)
            {
                Some(found) => {
                    let base = Object::new()
                        .set("layer_name", name)
                        .set("version_number", Value::number(Number::from_i64(version)))
                        .set("skip_destroy", Value::Null)
                        .build();
                    response.state = state_of(&base, found);
                }
                None => response.diagnostics.error(
                    "Statement not found",
                    format!("Layer {name} version {version} has no statement {statement_id:?}."),
                ),
            },
            Err(e) => backend_error(
                &mut response.diagnostics,
                &format!("read the policy of layer {name} version {version}"),
                &e,
            ),
        }
        response
    }
}

/// The layer name, also when the configuration gives the layer's ARN.
fn layer_name(value: &Value) -> String {
    let name = string(value, "layer_name").unwrap_or_default();
    match name.rsplit_once(":layer:") {
        Some((_, rest)) => rest.split(':').next().unwrap_or_default().to_string(),
        None => name,
    }
}

fn state_of(base: &Value, statement: &LayerStatement) -> Value {
    Object::new()
        .set(
            "layer_name",
            base.get_attr("layer_name").cloned().unwrap_or(Value::Null),
        )
        .set(
            "version_number",
            base.get_attr("version_number")
                .cloned()
                .unwrap_or(Value::Null),
        )
        .set("principal", statement.principal.as_str())
        .set(
            "organization_id",
            opt_string(statement.organization_id.as_deref()),
        )
        .set("statement_id", statement.statement_id.as_str())
        .set(
            "skip_destroy",
            base.get_attr("skip_destroy")
                .cloned()
                .unwrap_or(Value::Null),
        )
        .set("action", statement.action.as_str())
        .build()
}

async fn add_with_retry(client: &Client, request: AddLayerPermission) -> Result<(), BackendError> {
    let _guard = client
        .policy_locks
        .lock(&format!("layer/{}/{}", request.layer_name, request.version))
        .await;
    retry_on_stale_revision(|| async {
        let revision = match client
            .backend
            .get_layer_policy(&request.layer_name, request.version)
            .await
        {
            Ok(policy) => Some(policy.revision_id),
            Err(BackendError::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        let add = AddLayerPermission {
            revision_id: revision.filter(|r| !r.is_empty()),
            ..request.clone()
        };
        client.backend.add_layer_permission(add).await.map(|_| ())
    })
    .await
}

/// Removes the grant's statement if it is still there.
async fn remove(client: &Client, prior: &Value) -> Result<(), BackendError> {
    let name = layer_name(prior);
    let version = integer(prior, "version_number").unwrap_or_default();
    let statement_id = string(prior, "statement_id").unwrap_or_default();
    let _guard = client
        .policy_locks
        .lock(&format!("layer/{name}/{version}"))
        .await;
    retry_on_stale_revision(|| async {
        let policy = match client.backend.get_layer_policy(&name, version).await {
            Ok(policy) => policy,
            Err(BackendError::NotFound(_)) => return Ok(()),
            Err(e) => return Err(e),
        };
        if !policy
            .statements
            .iter()
            .any(|s| s.statement_id == statement_id)
        {
            return Ok(());
        }
        match client
            .backend
            .remove_layer_permission(&name, version, &statement_id, Some(&policy.revision_id))
            .await
        {
            Ok(()) | Err(BackendError::NotFound(_)) => Ok(()),
            Err(e) => Err(e),
        }
    })
    .await
}
