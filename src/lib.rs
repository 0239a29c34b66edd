//! terraform-provider-lambdasign: AWS Lambda code signing end to end, with
//! what Lambda would decide at deploy time said before deployment.
//!
//! The layers, from the bottom up; each imports only the ones below it:
//! - [`domain`]: pure rules and model types: ARNs, digests, the signature
//!   envelope and keys, Lambda's four checks, the facts they read.
//! - [`backend`]: data access behind one trait: `local` (an embedded SQLite
//!   emulation of Signer and Lambda) and `aws` (the AWS SDK).
//! - `engine`: one module per resource with its use cases.
//! - front ends that only translate: [`tf`] (the Terraform plugin),
//!   [`serve`] (an AWS-compatible endpoint) and [`cli`].

#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod backend;
pub mod cfn;
pub mod cli;
pub mod domain;
pub mod engine;
pub mod serve;
pub mod tf;
