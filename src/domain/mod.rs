//! The signing engine: streaming digests, keys, the signature envelope and
//! its zip container, Signer ARNs, and Lambda's four checks as pure
//! functions. No I/O beyond reading and writing the artifact files.

pub mod arn;
pub mod artifact;
pub mod checks;
pub mod digest;
pub mod envelope;
pub mod keys;
