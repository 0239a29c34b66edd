//! The signing engine: streaming digests, keys, the signature envelope and
//! its zip container, ARNs, and Lambda's four checks as pure functions.

pub mod arn;
pub mod checks;
pub mod digest;
