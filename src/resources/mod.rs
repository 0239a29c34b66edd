//! One file per resource or data source: schema, validation, plan and CRUD
//! together.

#[cfg(debug_assertions)]
pub mod internal_echo;

use crate::plugin::framework::Resource;
use crate::provider::Client;

/// Test-only resources that exercise the plugin lifecycle: registered in
/// debug builds (which the test suite runs), never in release builds.
pub fn internal_test_resources() -> Vec<Box<dyn Resource<Client>>> {
    #[cfg(debug_assertions)]
    return vec![Box::new(internal_echo::InternalEcho)];
    #[cfg(not(debug_assertions))]
    Vec::new()
}
