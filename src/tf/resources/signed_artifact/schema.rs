//! The Terraform schema of `lambdasign_signed_artifact`, declaring the
//! engine's field rules and replace-on-change list.

use crate::engine::signed_artifact::{self as engine, field::*};
use crate::tf::plugin::cty::Type;
use crate::tf::plugin::schema::{Attribute, Block, NestedBlock, Schema};

pub(super) fn signed_object_type() -> Type {
    Type::object([
        (BUCKET, Type::String),
        (KEY, Type::String),
        (VERSION, Type::String),
    ])
}

pub(super) fn schema() -> Schema {
    let s3_object = Block::new("An S3 object (aws backend).")
        .attribute(Attribute::required(BUCKET, Type::String).describe("Bucket name."))
        .attribute(Attribute::required(KEY, Type::String).describe("Object key."))
        .attribute(
            Attribute::optional(VERSION, Type::String)
                .describe("Object version (Signer requires versioned sources)."),
        );
    let place = |what: &str| {
        Block::new(what)
            .attribute(
                Attribute::required(BUCKET, Type::String)
                    .describe("Bucket name (versioning must be enabled)."),
            )
            .attribute(Attribute::optional(PREFIX, Type::String).describe("Key prefix."))
    };
    let timeouts = Block::new("Operation timeouts.").attribute(
        Attribute::optional(CREATE, Type::String)
            .describe("How long to wait for the signing job, e.g. `10m` (the default)."),
    );
    Schema::new("Signs a code artifact with a signing profile (one Signer signing job) and verifies the result before apply returns.")
        .attribute(Attribute::required(PROFILE_NAME, Type::String).describe("Signing profile to sign with."))
        .attribute(Attribute::optional(PROFILE_OWNER, Type::String).describe("Account that owns the profile, when it is another account's (it must have granted `signer:StartSigningJob`)."))
        .attribute(Attribute::optional(SOURCE_FILE, Type::String).describe("Zip file to sign. Its SHA-384 is computed at plan time, so editing it plans a re-sign."))
        .attribute(Attribute::optional(OUTPUT_FILE, Type::String).describe("Where the signed zip is written (missing directories are created; on aws it is downloaded there)."))
        .attribute(Attribute::optional(VERIFY_AGAINST, Type::set(Type::String)).describe("Code signing config ARNs this artifact must satisfy: all four checks at every plan (as the configs are planned), and again after signing."))
        .attribute(Attribute::optional(RENEW_BEFORE, Type::String).describe("Plan a re-sign when the signature expires within this duration, e.g. `720h` or `30d`."))
        .attribute(Attribute::optional(REVOKE_ON_DESTROY, Type::Bool).describe("Revoke the signature when the resource is destroyed. Default false."))
        .attribute(Attribute::computed(SOURCE_SHA384, Type::String).known_at_plan().describe("SHA-384 (hex) of the source, known at plan time."))
        .attribute(Attribute::computed(JOB_ID, Type::String).describe("Signing job id."))
        .attribute(Attribute::computed(JOB_ARN, Type::String).describe("Signing job ARN."))
        .attribute(Attribute::computed(PROFILE_VERSION_ARN, Type::String).describe("The profile version that signed."))
        .attribute(Attribute::computed(SIGNED_OBJECT, signed_object_type()).describe("Where the signed artifact is (`key` is the file path on the local backend)."))
        .attribute(Attribute::computed(SIGNED_FILE, Type::String).describe("Path of the signed output once signed: `output_file`, but unknown whenever a (re-)sign is planned, so resources that consume it (e.g. `lambdasign_layer_version.signed_file`) follow every re-sign."))
        .attribute(Attribute::computed(SIGNED_SHA384, Type::String).describe("SHA-384 (hex) of the signed artifact as produced."))
        .attribute(Attribute::computed(OUTPUT_SHA384, Type::String).describe("SHA-384 (hex) of the output as last read; empty when it is missing. A difference from `signed_sha384` plans a re-sign."))
        .attribute(Attribute::computed(SIGNED_AT, Type::String).describe("When the artifact was signed (RFC 3339)."))
        .attribute(Attribute::computed(SIGNATURE_EXPIRES_AT, Type::String).describe("When the signature expires (RFC 3339)."))
        .attribute(Attribute::computed(VERIFIED, Type::Bool).describe("Whether the artifact passed the four checks against every config in `verify_against` (failures that only warn under `Warn` count as passed). Unknown in a plan that can run them only at apply (a config's policy depends on values known then): the resource then plans an update, so that apply runs the checks before anything that depends on it, and a failing check fails that apply."))
        .block(NestedBlock::single(SOURCE_OBJECT, s3_object))
        .block(NestedBlock::single(STAGING, place("Where a `source_file` is uploaded for signing (aws backend).")))
        .block(NestedBlock::single(DESTINATION, place("Where Signer writes the signed object (aws backend).")))
        .block(NestedBlock::single(TIMEOUTS, timeouts))
        .replace_on_change(engine::REPLACE_ON_CHANGE)
        .rules(engine::RULES, engine::SHAPE)
}
