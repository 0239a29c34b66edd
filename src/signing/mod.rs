//! The signing engine: digests now; envelope, keys and the four checks
//! arrive with the signing-engine issue.

pub mod digest;
