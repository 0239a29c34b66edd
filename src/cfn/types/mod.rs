//! One thin adapter per registry resource type: its definition (schema,
//! naming, the engine's rule tables and replace-on-change list) and the
//! translation between models and the engine's use cases.

pub mod code_signing_config;
pub mod layer_grant;
pub mod layer_version;
pub mod profile_permission;
pub mod signed_artifact;
pub mod signing_profile;

use super::resource::ResourceType;

/// Every resource type the handler serves.
pub fn all() -> Vec<&'static dyn ResourceType> {
    vec![
        &signing_profile::SigningProfileType,
        &profile_permission::ProfilePermissionType,
        &signed_artifact::SignedArtifactType,
        &code_signing_config::CodeSigningConfigType,
        &layer_version::LayerVersionType,
        &layer_grant::LayerGrantType,
    ]
}

/// The resource type named `type_name`.
pub fn find(type_name: &str) -> Option<&'static dyn ResourceType> {
    all().into_iter().find(|t| t.def().type_name == type_name)
}
