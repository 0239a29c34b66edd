//! `lambdasign_signing_profile`: an AWS Signer signing profile for Lambda.
//! Revocation is part of the profile's configuration: adding a `revocation`
//! block revokes, moving its time earlier re-revokes, and anything that
//! would undo a revocation is refused at plan time. Destroy cancels.

use async_trait::async_trait;
use chrono::Utc;

use super::support::{
    backend_error, block, destroyed, format_time, integer, opt_string, parse_time, random_suffix,
    refreshed, same_time_or, set_attr, string, string_map, tags_value, Object,
};
use crate::backend::{
    ProfileStatus, PutSigningProfile, RevokeSigningProfile, SignatureValidity, SigningProfile,
    ValidityUnit, LAMBDA_PLATFORM,
};
use crate::tf::plugin::cty::{Number, Type, Value};
use crate::tf::plugin::diagnostics::{AttributePath, Diagnostics};
use crate::tf::plugin::framework::{
    ApplyRequest, ApplyResponse, ImportResponse, PlanRequest, PlanResponse, ReadRequest,
    ReadResponse, Resource,
};
use crate::tf::plugin::plan;
use crate::tf::plugin::schema::{Attribute, Block, NestedBlock, Schema};
use crate::tf::provider::Client;
use crate::domain::checks;

pub struct SigningProfileResource;

/// Generated names: prefix + 26 characters stays within Signer's 64.
const GENERATED_SUFFIX_LEN: usize = 26;
const MAX_PREFIX_LEN: usize = 64 - GENERATED_SUFFIX_LEN;
const DEFAULT_PREFIX: &str = "terraform_";

fn is_profile_name(name: &str, max: usize) -> bool {
    (2..=max).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[async_trait]
impl Resource<Client> for SigningProfileResource {
    fn type_name(&self) -> &'static str {
        "lambdasign_signing_profile"
    }

    fn schema(&self) -> Schema {
        let validity = Block::new("How long signatures made with this profile stay valid. Default: 135 months, also the maximum.")
            .attribute(Attribute::required("value", Type::Number).describe("A whole number of `type` units, at least 1."))
            .attribute(Attribute::required("type", Type::String).describe("`DAYS`, `MONTHS` or `YEARS`."));
        let revocation = Block::new("Revokes the profile: signatures made at or after `effective_time` fail Lambda's revocation check. Irreversible: it can be moved earlier, never later, never removed.")
            .attribute(Attribute::required("reason", Type::String).describe("Why the profile is revoked."))
            .attribute(Attribute::required("effective_time", Type::String).describe("RFC 3339 time, not in the future."));
        Schema::new("An AWS Signer signing profile for Lambda code (platform `AWSLambda-SHA384-ECDSA`). Destroying it cancels the profile: existing signatures stay valid, no new ones can be made, and the name cannot be reused.")
            .attribute(Attribute::optional_computed("name", Type::String).describe("Profile name, `^[a-zA-Z0-9_]{2,64}$`. Generated from `name_prefix` (or `terraform_`) when omitted. Changing it replaces the profile."))
            .attribute(Attribute::optional("name_prefix", Type::String).describe("Prefix of a generated name (up to 38 characters). Conflicts with `name`."))
            .attribute(Attribute::optional_computed("platform_id", Type::String).describe("Signing platform. Only `AWSLambda-SHA384-ECDSA` (the default) signs Lambda code."))
            .attribute(Attribute::optional("tags", Type::map(Type::String)).describe("Tags, updated in place."))
            .attribute(Attribute::computed("arn", Type::String).describe("Profile ARN."))
            .attribute(Attribute::computed("version", Type::String).describe("Signer's 10-character profile version."))
            .attribute(Attribute::computed("version_arn", Type::String).describe("Profile version ARN: what code signing configs list as allowed publishers."))
            .attribute(Attribute::computed("status", Type::String).describe("`Active`, `Canceled` or `Revoked`."))
            .block(NestedBlock::single("signature_validity", validity))
            .block(NestedBlock::single("revocation", revocation))
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let name = string(config, "name");
        let prefix = string(config, "name_prefix");
        if let Some(name) = &name {
            if !is_profile_name(name, 64) {
                diags.error_at(
                    AttributePath::attr("name"),
                    "Invalid profile name",
                    format!("{name:?} must be 2 to 64 letters, digits or underscores."),
                );
            }
        }
        if let Some(prefix) = &prefix {
            if prefix.is_empty() || !is_profile_name(&format!("{prefix}x"), MAX_PREFIX_LEN + 1) {
                diags.error_at(
                    AttributePath::attr("name_prefix"),
                    "Invalid name prefix",
                    format!(
                        "{prefix:?} must be 1 to {MAX_PREFIX_LEN} letters, digits or underscores."
                    ),
                );
            }
        }
        if name.is_some() && prefix.is_some() {
            diags.error_at(
                AttributePath::attr("name_prefix"),
                "Conflicting arguments",
                "Set `name` or `name_prefix`, not both.",
            );
        }
        if let Some(platform) = string(config, "platform_id") {
            if platform != LAMBDA_PLATFORM {
                diags.error_at(AttributePath::attr("platform_id"), "Unsupported signing platform", format!("{platform:?} does not sign Lambda code; Lambda code signing uses the platform {LAMBDA_PLATFORM:?}, the only one this provider supports."));
            }
        }
        if let Some(validity) = block(config, "signature_validity") {
            validate_validity(validity, &mut diags);
        }
        if let Some(revocation) = block(config, "revocation") {
            if let Some(time) = string(revocation, "effective_time") {
                let path = AttributePath::attr("revocation").then("effective_time");
                match parse_time(&time) {
                    Err(reason) => diags.error_at(path, "Invalid effective time", reason),
                    Ok(t) if t > Utc::now() => diags.error_at(path, "Revocation in the future", format!("{time} is in the future. Signer records revocations that are already effective; set a time at or before now.")),
                    Ok(_) => {}
                }
            }
        }
        diags
    }

    async fn plan(&self, _client: &Client, request: PlanRequest) -> PlanResponse {
        let mut response = PlanResponse {
            planned_private: request.prior_private,
            ..PlanResponse::default()
        };
        let mut planned = request.proposed_state;
        if string(&planned, "platform_id").is_none()
            && planned.get_attr("platform_id").is_some_and(Value::is_null)
        {
            set_attr(&mut planned, "platform_id", LAMBDA_PLATFORM);
        }
        let prior = request.prior_state;
        if prior.is_null() {
            plan::mark_computed_unknown(&self.schema(), &mut planned);
            if block(&planned, "revocation").is_some() {
                set_attr(&mut planned, "status", ProfileStatus::Revoked.as_str());
            }
        } else {
            check_revocation_change(&prior, &planned, &mut response.diagnostics);
            if block(&planned, "revocation").is_some()
                && planned.get_attr("revocation") != prior.get_attr("revocation")
            {
                set_attr(&mut planned, "status", ProfileStatus::Revoked.as_str());
            }
            response.requires_replace = plan::changed_attributes(
                &prior,
                &planned,
                &["name", "name_prefix", "platform_id", "signature_validity"],
            );
            // Signer never reuses a name, so a replacement needs a new one.
            let same_name = string(&request.config, "name").is_some()
                && planned.get_attr("name") == prior.get_attr("name");
            if same_name && !response.requires_replace.is_empty() {
                let name = string(&planned, "name").unwrap_or_default();
                response.diagnostics.error_at(
                    response.requires_replace[0].clone(),
                    "This change needs a new profile name",
                    format!("Changing this replaces signing profile {name:?}, but Signer never reuses a profile name, not even a canceled one. Give the profile a new `name`, or use `name_prefix` so replacements get fresh names."),
                );
            }
        }
        response.planned_state = planned;
        response
    }

    async fn apply(&self, client: &Client, request: ApplyRequest) -> ApplyResponse {
        let mut response = ApplyResponse {
            private: request.planned_private,
            ..ApplyResponse::default()
        };
        let planned = request.planned_state;
        let prior = request.prior_state;
        if planned.is_null() {
            let name = string(&prior, "name").unwrap_or_default();
            let result = client.backend.cancel_signing_profile(&name).await;
            destroyed(
                result,
                prior,
                &format!("cancel signing profile {name}"),
                &mut response,
            );
            return response;
        }
        let diags = &mut response.diagnostics;
        let mut profile = if prior.is_null() {
            let name = string(&planned, "name").unwrap_or_else(|| {
                let prefix =
                    string(&planned, "name_prefix").unwrap_or_else(|| DEFAULT_PREFIX.to_string());
                format!("{prefix}{}", random_suffix(GENERATED_SUFFIX_LEN))
            });
            let put = PutSigningProfile {
                name: name.clone(),
                platform_id: string(&planned, "platform_id")
                    .unwrap_or_else(|| LAMBDA_PLATFORM.into()),
                validity: block(&planned, "signature_validity")
                    .and_then(validity_of)
                    .unwrap_or_default(),
                tags: string_map(&planned, "tags").unwrap_or_default(),
            };
            match client.backend.put_signing_profile(put).await {
                Ok(profile) => profile,
                Err(e) => {
                    backend_error(diags, &format!("create signing profile {name}"), &e);
                    return response;
                }
            }
        } else {
            let name = string(&prior, "name").unwrap_or_default();
            let tags = string_map(&planned, "tags").unwrap_or_default();
            if string_map(&prior, "tags").unwrap_or_default() != tags {
                if let Err(e) = client.backend.set_signing_profile_tags(&name, tags).await {
                    backend_error(diags, &format!("update tags of signing profile {name}"), &e);
                    response.new_state = prior;
                    return response;
                }
            }
            match client.backend.get_signing_profile(&name, None).await {
                Ok(profile) => profile,
                Err(e) => {
                    backend_error(diags, &format!("read signing profile {name}"), &e);
                    response.new_state = prior;
                    return response;
                }
            }
        };
        if let Some(revocation) = block(&planned, "revocation") {
            if planned.get_attr("revocation") != prior.get_attr("revocation") {
                let effective =
                    string(revocation, "effective_time").and_then(|t| parse_time(&t).ok());
                let revoke = RevokeSigningProfile {
                    name: profile.name.clone(),
                    version: profile.version.clone(),
                    reason: string(revocation, "reason").unwrap_or_default(),
                    effective_time: effective.unwrap_or_else(Utc::now),
                };
                match client.backend.revoke_signing_profile(revoke).await {
                    Ok(revoked) => profile = revoked,
                    // The profile exists: keep it in state (without the revocation) so it is not orphaned.
                    Err(e) => backend_error(
                        diags,
                        &format!("revoke signing profile {}", profile.name),
                        &e,
                    ),
                }
            }
        }
        response.new_state = state_of(&profile, &planned);
        response
    }

    async fn read(&self, client: &Client, request: ReadRequest) -> ReadResponse {
        let name = string(&request.current_state, "name").unwrap_or_default();
        // A canceled profile is gone as far as Terraform is concerned.
        let found = client
            .backend
            .get_signing_profile(&name, None)
            .await
            .map(|profile| Some(profile).filter(|p| p.status != ProfileStatus::Canceled));
        refreshed(
            found,
            request,
            &format!("read signing profile {name}"),
            state_of,
        )
    }

    async fn import(&self, client: &Client, id: &str) -> ImportResponse {
        let mut response = ImportResponse::default();
        match client.backend.get_signing_profile(id, None).await {
            Ok(profile) if profile.status == ProfileStatus::Canceled => response.diagnostics.error(
                "Cannot import a canceled profile",
                format!("Signing profile {id} is canceled; canceled profiles cannot be managed."),
            ),
            Ok(profile) => response.state = state_of(&profile, &Value::Null),
            Err(e) => backend_error(
                &mut response.diagnostics,
                &format!("import signing profile {id:?} (import by profile name)"),
                &e,
            ),
        }
        response
    }
}

fn validate_validity(validity: &Value, diags: &mut Diagnostics) {
    let at = |name: &str| AttributePath::attr("signature_validity").then(name);
    let unit = string(validity, "type");
    if let Some(unit) = &unit {
        if ValidityUnit::parse(unit).is_none() {
            diags.error_at(
                at("type"),
                "Invalid validity type",
                format!("{unit:?} must be one of DAYS, MONTHS, YEARS."),
            );
        }
    }
    let value = validity.get_attr("value").and_then(Value::as_number);
    if let Some(number) = value {
        match number
            .as_i64()
            .filter(|v| *v >= 1)
            .and_then(|v| u32::try_from(v).ok())
        {
            None => diags.error_at(
                at("value"),
                "Invalid validity",
                format!("{number} must be a whole number of at least 1."),
            ),
            Some(value) => {
                if let Some(unit) = unit.as_deref().and_then(ValidityUnit::parse) {
                    if let Err(e) = checks::validity_end(Utc::now(), value, checks_unit(unit)) {
                        diags.error_at(at("value"), "Signature validity too long", e.to_string());
                    }
                }
            }
        }
    }
}

pub fn checks_unit(unit: ValidityUnit) -> checks::ValidityUnit {
    match unit {
        ValidityUnit::Days => checks::ValidityUnit::Days,
        ValidityUnit::Months => checks::ValidityUnit::Months,
        ValidityUnit::Years => checks::ValidityUnit::Years,
    }
}

fn validity_of(validity: &Value) -> Option<SignatureValidity> {
    Some(SignatureValidity {
        value: u32::try_from(integer(validity, "value")?).ok()?,
        unit: ValidityUnit::parse(&string(validity, "type")?)?,
    })
}

/// Revocation only ever tightens: it cannot be removed, and its effective
/// time can move earlier but not later.
fn check_revocation_change(prior: &Value, planned: &Value, diags: &mut Diagnostics) {
    let Some(before) = block(prior, "revocation") else {
        return;
    };
    let path = AttributePath::attr("revocation");
    let Some(after) = planned.get_attr("revocation").filter(|v| v.is_known()) else {
        return;
    };
    if after.is_null() {
        diags.error_at(path, "Revocation is irreversible", "This profile is revoked; removing the `revocation` block cannot un-revoke it. Keep the block (its time may move earlier), or replace the profile with a new name.");
        return;
    }
    let time = |v: &Value| string(v, "effective_time").and_then(|t| parse_time(&t).ok());
    if time(before) == time(after)
        && string(before, "reason") != string(after, "reason")
        && string(after, "reason").is_some()
    {
        diags.error_at(
            path.clone().then("reason"),
            "A revocation's reason cannot change",
            "Signer records the reason once, with the revocation. Keep the recorded reason; only moving `effective_time` earlier records a new revocation (with its own reason).",
        );
    }
    if let (Some(old), Some(new)) = (time(before), time(after)) {
        if new > old {
            diags.error_at(path.then("effective_time"), "Revocation can only move earlier", format!("The profile is revoked from {}; a revocation cannot be moved later (to {}). Moving it earlier revokes more signatures and is allowed.", format_time(old), format_time(new)));
        }
    }
}

/// The state of a profile, keeping the user's own spelling where the
/// backend says the same thing differently.
fn state_of(profile: &SigningProfile, prior: &Value) -> Value {
    let prior_validity = block(prior, "signature_validity");
    let validity = if prior_validity.is_none() && profile.validity == SignatureValidity::default() {
        Value::Null
    } else {
        Object::new()
            .set(
                "value",
                Value::number(Number::from_u64(u64::from(profile.validity.value))),
            )
            .set("type", profile.validity.unit.as_str())
            .build()
    };
    let revocation = profile.revocation.as_ref().map_or(Value::Null, |r| {
        let prior_time = block(prior, "revocation").and_then(|b| string(b, "effective_time"));
        Object::new()
            .set("reason", r.reason.as_str())
            .set(
                "effective_time",
                same_time_or(prior_time.as_deref(), r.effective_time),
            )
            .build()
    });
    Object::new()
        .set("name", profile.name.as_str())
        .set(
            "name_prefix",
            opt_string(string(prior, "name_prefix").as_deref()),
        )
        .set("platform_id", profile.platform_id.as_str())
        .set("tags", tags_value(&profile.tags, prior.get_attr("tags")))
        .set("arn", profile.arn.as_str())
        .set("version", profile.version.as_str())
        .set("version_arn", profile.version_arn.as_str())
        .set("status", profile.status.as_str())
        .set("signature_validity", validity)
        .set("revocation", revocation)
        .build()
}
