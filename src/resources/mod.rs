//! One file per resource or data source: schema, validation, plan and CRUD
//! together. `support` and `verify` hold what several of them share.

#[cfg(debug_assertions)]
pub mod internal_echo;
pub mod signing_profile;
pub mod support;
pub mod verify;

use crate::plugin::framework::Resource;
use crate::provider::Client;

/// Every managed resource type the provider offers.
pub fn all() -> Vec<Box<dyn Resource<Client>>> {
    let mut resources: Vec<Box<dyn Resource<Client>>> =
        vec![Box::new(signing_profile::SigningProfileResource)];
    resources.extend(internal_test_resources());
    resources
}

/// Test-only resources that exercise the plugin lifecycle: registered in
/// debug builds (which the test suite runs), never in release builds.
fn internal_test_resources() -> Vec<Box<dyn Resource<Client>>> {
    #[cfg(debug_assertions)]
    return vec![Box::new(internal_echo::InternalEcho)];
    #[cfg(not(debug_assertions))]
    Vec::new()
}
