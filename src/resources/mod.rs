//! One file per resource or data source: schema, validation, plan and CRUD
//! together.

#[cfg(debug_assertions)]
pub mod internal_echo;
