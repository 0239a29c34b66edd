//! One thin adapter per resource and data source: its Terraform schema
//! (declaring the engine's field rules and replace-on-change list) and the
//! translation between cty values and the engine's models. What a resource
//! does is in its `engine` module.

pub mod code_signing_config;
pub mod code_signing_config_data;
pub mod enforcement_policy;
#[cfg(debug_assertions)]
pub mod internal_echo;
pub mod layer_grant;
pub mod layer_signature;
pub mod layer_version;
mod moved;
pub mod signed_artifact;
pub mod signing_job_data;
pub mod signing_profile;
pub mod signing_profile_data;
pub mod signing_profile_permission;
pub mod verification;

use crate::engine::Engine;
use crate::tf::plugin::framework::{DataSource, Resource};

/// Every managed resource type the provider offers.
pub fn all() -> Vec<Box<dyn Resource<Engine>>> {
    let mut resources: Vec<Box<dyn Resource<Engine>>> = vec![
        Box::new(signing_profile::SigningProfileResource),
        Box::new(signing_profile_permission::SigningProfilePermissionResource),
        Box::new(code_signing_config::CodeSigningConfigResource),
        Box::new(signed_artifact::SignedArtifactResource),
        Box::new(layer_version::LayerVersionResource),
        Box::new(layer_grant::LayerGrantResource),
        Box::new(verification::VerificationResource),
    ];
    resources.extend(internal_test_resources());
    resources
}

/// Every data source the provider offers.
pub fn data_sources() -> Vec<Box<dyn DataSource<Engine>>> {
    vec![
        Box::new(verification::VerificationDataSource),
        Box::new(enforcement_policy::EnforcementPolicyDataSource),
        Box::new(signing_profile_data::SigningProfileDataSource),
        Box::new(layer_signature::LayerSignatureDataSource),
        Box::new(code_signing_config_data::CodeSigningConfigDataSource),
        Box::new(signing_job_data::SigningJobDataSource),
    ]
}

/// Test-only resources that exercise the plugin lifecycle: registered in
/// debug builds (which the test suite runs), never in release builds.
fn internal_test_resources() -> Vec<Box<dyn Resource<Engine>>> {
    #[cfg(debug_assertions)]
    return vec![Box::new(internal_echo::InternalEcho)];
    #[cfg(not(debug_assertions))]
    Vec::new()
}
