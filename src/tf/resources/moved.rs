//! Reading the AWS provider's stored state for `moved` blocks (Terraform
//! 1.8+): `moved { from = aws_signer_signing_profile.x to =
//! lambdasign_signing_profile.x }`. Each of our types that has an AWS
//! counterpart maps that type's attributes in its `move_from`; these are
//! the readers it uses. The AWS provider stores a one-item block as a list
//! of one object and an unset string as `""`; both read as absent here.

use serde_json::Value as Json;

use crate::tf::plugin::cty::Value;
use crate::tf::plugin::diagnostics::Diagnostics;
use crate::tf::plugin::framework::MoveSource;
use crate::tf::values::{map, number, text_set};

const AWS: &str = "registry.terraform.io/hashicorp/aws";

/// The provider of an address: Terraform 1.8 sent the provider
/// configuration's (`module.m.provider["registry.terraform.io/hashicorp/aws"].alias`),
/// later versions the provider's own.
fn provider_of(address: &str) -> &str {
    match address.split_once("provider[\"") {
        Some((_, rest)) => rest
            .split_once("\"]")
            .map_or(rest, |(provider, _)| provider),
        None => address,
    }
}

/// The stored state of `aws_type` from the AWS provider (schema version
/// 0), or an error saying what `target` takes.
pub fn aws_state<'a>(
    source: &'a MoveSource<'a>,
    aws_type: &str,
    target: &str,
    diags: &mut Diagnostics,
) -> Option<&'a Json> {
    if provider_of(source.provider) == AWS
        && source.type_name == aws_type
        && source.schema_version == 0
    {
        if source.state.is_object() {
            return Some(source.state);
        }
        diags.error(
            "Unreadable source state",
            format!("The stored state of {aws_type} is not a JSON object."),
        );
        return None;
    }
    diags.error(
        "Cannot move to this resource type",
        format!(
            "{target} takes moved state from {aws_type} of the AWS provider (registry.terraform.io/hashicorp/aws, schema version 0), not from {} of {} (schema version {}).",
            source.type_name, source.provider, source.schema_version
        ),
    );
    None
}

/// A string attribute; `None` when absent, null or empty.
pub fn opt(state: &Json, key: &str) -> Option<String> {
    state
        .get(key)
        .and_then(Json::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A string attribute as a value (null when absent or empty).
pub fn text(state: &Json, key: &str) -> Value {
    opt(state, key).map_or(Value::Null, Value::string)
}

/// A required string attribute, or an error naming it.
pub fn required(
    state: &Json,
    key: &str,
    aws_type: &str,
    diags: &mut Diagnostics,
) -> Option<String> {
    let found = opt(state, key);
    if found.is_none() {
        diags.error(
            "Incomplete source state",
            format!("The stored state of {aws_type} has no `{key}`."),
        );
    }
    found
}

/// A one-item block: the first object of a list (or the object itself).
pub fn block<'a>(state: &'a Json, key: &str) -> Option<&'a Json> {
    match state.get(key)? {
        Json::Array(items) => items.first().filter(|b| b.is_object()),
        object @ Json::Object(_) => Some(object),
        _ => None,
    }
}

/// A whole number, stored as a number or as a numeric string.
pub fn whole(state: &Json, key: &str) -> Option<i64> {
    match state.get(key)? {
        Json::Number(n) => n.as_i64(),
        Json::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// A whole number as a value (null when absent).
pub fn whole_value(state: &Json, key: &str) -> Value {
    whole(state, key).map_or(Value::Null, number)
}

/// A set of strings (null when absent or empty, as an unset argument is).
pub fn strings(state: &Json, key: &str) -> Value {
    let items: Vec<String> = state
        .get(key)
        .and_then(Json::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Json::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    if items.is_empty() {
        Value::Null
    } else {
        text_set(&items)
    }
}

/// A map of strings (null when absent or empty).
pub fn string_map(state: &Json, key: &str) -> Value {
    let tags: crate::domain::tags::Tags = state
        .get(key)
        .and_then(Json::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                .collect()
        })
        .unwrap_or_default();
    if tags.is_empty() {
        Value::Null
    } else {
        map(&tags)
    }
}

/// `true`, or null for false or absent (how an unset flag reads).
pub fn flag(state: &Json, key: &str) -> Value {
    if state.get(key).and_then(Json::as_bool) == Some(true) {
        Value::Bool(true)
    } else {
        Value::Null
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tf::plugin::cty::{encode_msgpack, Type};

    fn move_to(
        target: &str,
        aws_type: &str,
        provider: &str,
        state: Json,
    ) -> (Option<Value>, Diagnostics) {
        let resources = crate::tf::resources::all();
        let resource = resources
            .iter()
            .find(|r| r.type_name() == target)
            .expect("a resource type");
        let mut diags = Diagnostics::new();
        let source = MoveSource {
            provider,
            type_name: aws_type,
            schema_version: 0,
            state: &state,
        };
        let moved = resource.move_from(&source, &mut diags).map(|value| {
            // As the RPC completes it: attributes left out are null.
            let ty = resource.schema().value_type();
            let (Value::Object(mut attrs), Type::Object { attrs: types, .. }) = (value, &ty) else {
                panic!("an object");
            };
            for name in types.keys() {
                attrs.entry(name.clone()).or_insert(Value::Null);
            }
            let value = Value::Object(attrs);
            encode_msgpack(&value, &ty).expect("the moved state fits the schema");
            value
        });
        (moved, diags)
    }

    #[test]
    fn a_succeeded_signing_job_moves_with_its_s3_objects_and_nothing_else_does() {
        let job = serde_json::json!({
            "id": "4d1ea7a2-0e7b-4b1f-9c55-d1b5b3d0f0aa", "job_id": "4d1ea7a2-0e7b-4b1f-9c55-d1b5b3d0f0aa",
            "profile_name": "app", "status": "Succeeded", "ignore_signing_job_failure": false,
            "source": [{"s3": [{"bucket": "src", "key": "in/f.zip", "version": "v1"}]}],
            "destination": [{"s3": [{"bucket": "dst", "prefix": "signed/"}]}],
            "signed_object": [{"s3": [{"bucket": "dst", "key": "signed/4d1ea7a2-0e7b-4b1f-9c55-d1b5b3d0f0aa.zip"}]}],
            "completed_at": "2026-12-06T10:00:00Z", "signature_expires_at": "", "revocation_record": [],
        });
        let (moved, diags) = move_to(
            "lambdasign_signed_artifact",
            "aws_signer_signing_job",
            AWS,
            job.clone(),
        );
        let moved = moved.unwrap_or_else(|| panic!("{diags:?}"));
        assert_eq!(
            moved.get_attr("job_id").and_then(Value::as_str),
            Some("4d1ea7a2-0e7b-4b1f-9c55-d1b5b3d0f0aa")
        );
        let source = moved.get_attr("source_object").expect("source_object");
        assert_eq!(
            source.get_attr("version").and_then(Value::as_str),
            Some("v1")
        );
        assert_eq!(
            moved.get_attr("signature_expires_at"),
            Some(&Value::Null),
            "\"\" is absent"
        );

        let mut running = job.clone();
        running["status"] = "InProgress".into();
        let (moved, diags) = move_to(
            "lambdasign_signed_artifact",
            "aws_signer_signing_job",
            AWS,
            running,
        );
        assert!(moved.is_none() && diags.has_errors());

        let (moved, diags) = move_to(
            "lambdasign_signed_artifact",
            "aws_s3_object",
            AWS,
            job.clone(),
        );
        assert!(moved.is_none() && diags.has_errors(), "another type");
        let (moved, diags) = move_to(
            "lambdasign_signed_artifact",
            "aws_signer_signing_job",
            "registry.terraform.io/hashicorp/awscc",
            job,
        );
        assert!(moved.is_none() && diags.has_errors(), "another provider");
        let (moved, diags) = move_to(
            "lambdasign_verification",
            "aws_signer_signing_job",
            AWS,
            serde_json::json!({}),
        );
        assert!(
            moved.is_none() && diags.has_errors(),
            "a type without an AWS counterpart"
        );
    }

    #[test]
    fn the_aws_provider_is_known_by_either_address_and_no_other() {
        for address in [
            "registry.terraform.io/hashicorp/aws",
            "provider[\"registry.terraform.io/hashicorp/aws\"]",
            "module.m.provider[\"registry.terraform.io/hashicorp/aws\"].east",
        ] {
            assert_eq!(provider_of(address), AWS, "{address}");
        }
        assert_ne!(provider_of("registry.terraform.io/hashicorp/awscc"), AWS);
    }
}
