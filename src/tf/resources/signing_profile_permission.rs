//! `lambdasign_signing_profile_permission`: one statement in a signing
//! profile's cross-account policy. Many may target one profile at once:
//! calls on one profile are serialised inside the provider, and a stale
//! revision id (another process won the race) is retried with a fresh one.

use async_trait::async_trait;

use super::support::{
    backend_error, destroyed, is_account_id, is_identifier, opt_string, random_suffix,
    retry_on_stale_revision, string, Object,
};
use crate::backend::{AddProfilePermission, BackendError, ProfilePermission};
use crate::tf::plugin::cty::{Type, Value};
use crate::tf::plugin::diagnostics::{AttributePath, Diagnostics};
use crate::tf::plugin::framework::{
    ApplyRequest, ApplyResponse, ImportResponse, PlanRequest, PlanResponse, ReadRequest,
    ReadResponse, Resource,
};
use crate::tf::plugin::plan;
use crate::tf::plugin::schema::{Attribute, Schema};
use crate::tf::provider::Client;

pub struct SigningProfilePermissionResource;

pub const ACTIONS: [&str; 4] = [
    "signer:StartSigningJob",
    "signer:GetSigningProfile",
    "signer:RevokeSignature",
    "signer:SignPayload",
];
const MAX_STATEMENT_ID: usize = 64;

#[async_trait]
impl Resource<Client> for SigningProfilePermissionResource {
    fn type_name(&self) -> &'static str {
        "lambdasign_signing_profile_permission"
    }

    fn schema(&self) -> Schema {
        Schema::new("One statement of a signing profile's permission policy: lets another account (or an IAM principal) use the profile. Every argument forces a new statement.")
            .attribute(Attribute::required("profile_name", Type::String).describe("Name of the signing profile."))
            .attribute(Attribute::required("action", Type::String).describe("`signer:StartSigningJob`, `signer:GetSigningProfile` or `signer:RevokeSignature`. (`signer:SignPayload` does not apply to Lambda profiles.)"))
            .attribute(Attribute::required("principal", Type::String).describe("A 12-digit account id or an IAM ARN."))
            .attribute(Attribute::optional_computed("statement_id", Type::String).describe("Statement id, unique within the profile. Generated from `statement_id_prefix` (or `terraform-`) when omitted."))
            .attribute(Attribute::optional("statement_id_prefix", Type::String).describe("Prefix of a generated statement id. Conflicts with `statement_id`."))
            .attribute(Attribute::optional("profile_version", Type::String).describe("Limit the permission to this profile version."))
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        if let Some(action) = string(config, "action") {
            let path = AttributePath::attr("action");
            if action == "signer:SignPayload" {
                diags.error_at(path, "SignPayload does not apply to Lambda profiles", "Lambda signing profiles (platform AWSLambda-SHA384-ECDSA) sign code through signing jobs; `signer:SignPayload` is for container-image (Notation) platforms. Grant `signer:StartSigningJob` instead.");
            } else if !ACTIONS.contains(&action.as_str()) {
                diags.error_at(path, "Invalid action", format!("{action:?} is not a Signer profile action; use one of signer:StartSigningJob, signer:GetSigningProfile, signer:RevokeSignature."));
            }
        }
        if let Some(principal) = string(config, "principal") {
            if !is_account_id(&principal) && !is_iam_arn(&principal) {
                diags.error_at(AttributePath::attr("principal"), "Invalid principal", format!("{principal:?} must be a 12-digit account id or an IAM ARN such as arn:aws:iam::123456789012:role/deployer."));
            }
        }
        let id = string(config, "statement_id");
        let prefix = string(config, "statement_id_prefix");
        if let Some(id) = &id {
            if !is_identifier(id, MAX_STATEMENT_ID, &['_', '-']) {
                diags.error_at(
                    AttributePath::attr("statement_id"),
                    "Invalid statement id",
                    format!("{id:?} must be 1 to {MAX_STATEMENT_ID} letters, digits, '-' or '_'."),
                );
            }
        }
        if let Some(prefix) = &prefix {
            if !is_identifier(prefix, MAX_STATEMENT_ID - 26, &['_', '-']) {
                diags.error_at(
                    AttributePath::attr("statement_id_prefix"),
                    "Invalid statement id prefix",
                    format!(
                        "{prefix:?} must be 1 to {} letters, digits, '-' or '_'.",
                        MAX_STATEMENT_ID - 26
                    ),
                );
            }
        }
        if let Some(version) = string(config, "profile_version") {
            if version.len() != 10 || !version.bytes().all(|b| b.is_ascii_alphanumeric()) {
                diags.error_at(AttributePath::attr("profile_version"), "Invalid profile version", format!("{version:?} is not a Signer profile version (10 letters or digits, a profile's `version` attribute)."));
            }
        }
        if id.is_some() && prefix.is_some() {
            diags.error_at(
                AttributePath::attr("statement_id_prefix"),
                "Conflicting arguments",
                "Set `statement_id` or `statement_id_prefix`, not both.",
            );
        }
        diags
    }

    async fn plan(&self, _client: &Client, request: PlanRequest) -> PlanResponse {
        let mut planned = request.proposed_state;
        let requires_replace = if request.prior_state.is_null() {
            plan::mark_computed_unknown(&self.schema(), &mut planned);
            Vec::new()
        } else {
            plan::changed_attributes(
                &request.prior_state,
                &planned,
                &[
                    "profile_name",
                    "action",
                    "principal",
                    "statement_id",
                    "statement_id_prefix",
                    "profile_version",
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
        if request.planned_state.is_null() {
            let prior = request.prior_state;
            let profile = string(&prior, "profile_name").unwrap_or_default();
            let statement = string(&prior, "statement_id").unwrap_or_default();
            let result = remove(client, &profile, &statement).await;
            let doing = format!("remove statement {statement} from signing profile {profile}");
            destroyed(result, prior, &doing, &mut response);
            return response;
        }
        let planned = request.planned_state;
        let profile = string(&planned, "profile_name").unwrap_or_default();
        let statement_id = string(&planned, "statement_id").unwrap_or_else(|| {
            let prefix =
                string(&planned, "statement_id_prefix").unwrap_or_else(|| "terraform-".into());
            format!("{prefix}{}", random_suffix(26))
        });
        let add = AddProfilePermission {
            profile_name: profile.clone(),
            action: string(&planned, "action").unwrap_or_default(),
            principal: string(&planned, "principal").unwrap_or_default(),
            statement_id: statement_id.clone(),
            profile_version: string(&planned, "profile_version"),
            revision_id: None,
        };
        match add_with_retry(client, add).await {
            Ok(()) => {
                let mut state = planned;
                super::support::set_attr(&mut state, "statement_id", statement_id.as_str());
                response.new_state = state;
            }
            Err(e) => backend_error(
                &mut response.diagnostics,
                &format!("add statement {statement_id} to signing profile {profile}"),
                &e,
            ),
        }
        response
    }

    async fn read(&self, client: &Client, request: ReadRequest) -> ReadResponse {
        let mut response = ReadResponse {
            private: request.private,
            ..ReadResponse::default()
        };
        let state = request.current_state;
        let profile = string(&state, "profile_name").unwrap_or_default();
        let statement_id = string(&state, "statement_id").unwrap_or_default();
        match client.backend.list_profile_permissions(&profile).await {
            Ok(policy) => {
                if let Some(found) = policy
                    .permissions
                    .iter()
                    .find(|p| p.statement_id == statement_id)
                {
                    response.new_state = state_of(&profile, found, &state);
                }
            }
            Err(BackendError::NotFound(_)) => {}
            Err(e) => {
                backend_error(
                    &mut response.diagnostics,
                    &format!("read the permissions of signing profile {profile}"),
                    &e,
                );
                response.new_state = state;
            }
        }
        response
    }

    async fn import(&self, client: &Client, id: &str) -> ImportResponse {
        let mut response = ImportResponse::default();
        let Some((profile, statement_id)) = id.split_once('/') else {
            response.diagnostics.error(
                "Invalid import ID",
                format!("Expected `profile_name/statement_id`, got {id:?}."),
            );
            return response;
        };
        match client.backend.list_profile_permissions(profile).await {
            Ok(policy) => match policy
                .permissions
                .iter()
                .find(|p| p.statement_id == statement_id)
            {
                Some(found) => response.state = state_of(profile, found, &Value::Null),
                None => response.diagnostics.error(
                    "Statement not found",
                    format!("Signing profile {profile} has no statement {statement_id:?}."),
                ),
            },
            Err(e) => backend_error(
                &mut response.diagnostics,
                &format!("read the permissions of signing profile {profile}"),
                &e,
            ),
        }
        response
    }
}

fn is_iam_arn(text: &str) -> bool {
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "iam"
        && is_account_id(parts[4])
        && !parts[5].is_empty()
}

fn state_of(profile: &str, permission: &ProfilePermission, prior: &Value) -> Value {
    Object::new()
        .set("profile_name", profile)
        .set("action", permission.action.as_str())
        .set("principal", permission.principal.as_str())
        .set("statement_id", permission.statement_id.as_str())
        .set(
            "statement_id_prefix",
            opt_string(string(prior, "statement_id_prefix").as_deref()),
        )
        .set(
            "profile_version",
            opt_string(permission.profile_version.as_deref()),
        )
        .build()
}

/// Read-modify-write with the current revision id, serialised per profile
/// inside this process; a stale revision (another process) is retried.
async fn add_with_retry(
    client: &Client,
    request: AddProfilePermission,
) -> Result<(), BackendError> {
    let _guard = client
        .policy_locks
        .lock(&format!("profile/{}", request.profile_name))
        .await;
    retry_on_stale_revision(|| async {
        let revision = client
            .backend
            .list_profile_permissions(&request.profile_name)
            .await?
            .revision_id;
        let add = AddProfilePermission {
            revision_id: Some(revision).filter(|r| !r.is_empty()),
            ..request.clone()
        };
        client.backend.add_profile_permission(add).await.map(|_| ())
    })
    .await
}

/// Removes the statement if it is still there; gone already is success.
async fn remove(client: &Client, profile: &str, statement_id: &str) -> Result<(), BackendError> {
    let _guard = client
        .policy_locks
        .lock(&format!("profile/{profile}"))
        .await;
    retry_on_stale_revision(|| async {
        let policy = match client.backend.list_profile_permissions(profile).await {
            Ok(policy) => policy,
            Err(BackendError::NotFound(_)) => return Ok(()),
            Err(e) => return Err(e),
        };
        if !policy
            .permissions
            .iter()
            .any(|p| p.statement_id == statement_id)
        {
            return Ok(());
        }
        match client
            .backend
            .remove_profile_permission(profile, statement_id, &policy.revision_id)
            .await
        {
            Ok(_) | Err(BackendError::NotFound(_)) => Ok(()),
            Err(e) => Err(e),
        }
    })
    .await
}
