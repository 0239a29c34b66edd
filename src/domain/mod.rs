//! The domain: pure rules and model types, no I/O beyond reading and
//! writing artifact files. Everything above (backends, engine, front ends)
//! uses these; nothing here knows about them.
//!
//! - model: [`profile`], [`permission`], [`job`], [`csc`], [`layer`],
//!   [`function`], [`tags`], [`identity`];
//! - rules: [`names`] (every naming rule once), [`arn`] (typed Signer and
//!   Lambda ARNs), [`time`], [`field`] (where a bad value is);
//! - signing: [`digest`], [`keys`], [`envelope`], [`artifact`], and
//!   [`files`] (regular-file inputs, recognisable temporary outputs);
//! - Lambda's four checks: [`checks`], over the [`facts`] built from what a
//!   backend found;
//! - [`enforcement_policy`]: the centralized-enforcement IAM document.

pub mod arn;
pub mod artifact;
pub mod checks;
pub(crate) mod csc;
pub mod digest;
pub(crate) mod enforcement_policy;
pub mod envelope;
pub mod facts;
pub(crate) mod field;
pub mod files;
pub mod function;
pub mod identity;
pub mod job;
pub mod keys;
pub(crate) mod layer;
pub mod names;
pub(crate) mod permission;
pub mod principal;
pub mod profile;
pub mod tags;
pub(crate) mod time;
