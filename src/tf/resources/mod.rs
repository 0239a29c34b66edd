//! One file per resource or data source: schema, validation, plan and CRUD
//! together. `support` and `verify` hold what several of them share.

pub mod code_signing_config;
pub mod enforcement_policy;
#[cfg(debug_assertions)]
pub mod internal_echo;
pub mod layer_grant;
pub mod layer_signature;
pub mod layer_version;
pub mod signed_artifact;
pub mod signing_profile;
pub mod signing_profile_data;
pub mod signing_profile_permission;
pub mod support;
pub mod verification;
pub mod verify;

use crate::tf::plugin::framework::{DataSource, Resource};
use crate::tf::provider::Client;

/// Every managed resource type the provider offers.
pub fn all() -> Vec<Box<dyn Resource<Client>>> {
    let mut resources: Vec<Box<dyn Resource<Client>>> = vec![
        Box::new(signing_profile::SigningProfileResource),
        Box::new(signing_profile_permission::SigningProfilePermissionResource),
        Box::new(code_signing_config::CodeSigningConfigResource),
        Box::new(signed_artifact::SignedArtifactResource),
        Box::new(layer_version::LayerVersionResource),
        Box::new(layer_grant::LayerGrantResource),
    ];
    resources.extend(internal_test_resources());
    resources
}

/// Every data source the provider offers.
pub fn data_sources() -> Vec<Box<dyn DataSource<Client>>> {
    vec![
        Box::new(verification::VerificationDataSource),
        Box::new(enforcement_policy::EnforcementPolicyDataSource),
        Box::new(signing_profile_data::SigningProfileDataSource),
        Box::new(layer_signature::LayerSignatureDataSource),
    ]
}

/// Test-only resources that exercise the plugin lifecycle: registered in
/// debug builds (which the test suite runs), never in release builds.
fn internal_test_resources() -> Vec<Box<dyn Resource<Client>>> {
    #[cfg(debug_assertions)]
    return vec![Box::new(internal_echo::InternalEcho)];
    #[cfg(not(debug_assertions))]
    Vec::new()
}
