//! The Terraform schema of `lambdasign_signing_profile`, declaring the
//! engine's field rules and replace-on-change list.

use crate::engine::signing_profile::{self as engine, field::*};
use crate::tf::plugin::cty::Type;
use crate::tf::plugin::schema::{Attribute, Block, NestedBlock, Schema};

fn revocation_record_type() -> Type {
    Type::list(Type::object([
        (REVOCATION_EFFECTIVE_FROM, Type::String),
        (REVOKED_AT, Type::String),
        (REVOKED_BY, Type::String),
    ]))
}

pub(super) fn schema() -> Schema {
    let validity = Block::new("How long signatures made with this profile stay valid. Default: 135 months, also the maximum.")
        .attribute(Attribute::required(VALUE, Type::Number).describe("A whole number of `type` units, at least 1."))
        .attribute(Attribute::required(TYPE, Type::String).describe("`DAYS`, `MONTHS` or `YEARS`."));
    let material = Block::new("The certificate non-Lambda platforms sign with (aws backend).")
        .attribute(
            Attribute::required(CERTIFICATE_ARN, Type::String)
                .describe("ARN of the ACM certificate."),
        );
    let revocation = Block::new("Revokes the profile: signatures made at or after `effective_time` fail Lambda's revocation check. Irreversible: it can be moved earlier, never later, never removed.")
        .attribute(Attribute::required(REASON, Type::String).describe("Why the profile is revoked."))
        .attribute(Attribute::required(EFFECTIVE_TIME, Type::String).describe("RFC 3339 time, not in the future."));
    Schema::new("An AWS Signer signing profile. Destroying it cancels the profile: existing signatures stay valid, no new ones can be made, and the name cannot be reused.")
        .attribute(Attribute::optional_computed(NAME, Type::String).describe("Profile name, `^[a-zA-Z0-9_]{2,64}$`. Generated from `name_prefix` (or `terraform_`) when omitted. Changing it replaces the profile."))
        .attribute(Attribute::optional_computed(NAME_PREFIX, Type::String).describe("Prefix of a generated name (up to 38 characters). Conflicts with `name`."))
        .attribute(Attribute::optional_computed(PLATFORM_ID, Type::String).known_at_plan().describe("Signing platform: `AWSLambda-SHA384-ECDSA` (the default, the only one that signs Lambda code). The aws backend accepts Signer's other platforms; the local backend emulates only Lambda's."))
        .attribute(Attribute::computed(PLATFORM_DISPLAY_NAME, Type::String).known_at_plan().describe("The platform's display name."))
        .attribute(Attribute::optional(SIGNING_PARAMETERS, Type::map(Type::String)).describe("Signing parameters of non-Lambda platforms (aws backend)."))
        .attribute(Attribute::optional(TAGS, Type::map(Type::String)).describe("Tags, updated in place."))
        .attribute(Attribute::computed(TAGS_ALL, Type::map(Type::String)).known_at_plan().describe("Tags including the provider's `default_tags`."))
        .attribute(Attribute::computed(ARN, Type::String).describe("Profile ARN."))
        .attribute(Attribute::computed(VERSION, Type::String).describe("Signer's 10-character profile version."))
        .attribute(Attribute::computed(VERSION_ARN, Type::String).describe("Profile version ARN: what code signing configs list as allowed publishers."))
        .attribute(Attribute::computed(STATUS, Type::String).known_at_plan().describe("`Active`, `Canceled` or `Revoked`."))
        .attribute(Attribute::computed(REVOCATION_RECORD, revocation_record_type()).describe("Signer's record of the revocation: `revocation_effective_from`, `revoked_at`, `revoked_by`."))
        .block(NestedBlock::single(SIGNATURE_VALIDITY, validity))
        .block(NestedBlock::single(SIGNING_MATERIAL, material))
        .block(NestedBlock::single(REVOCATION, revocation))
        .replace_on_change(engine::REPLACE_ON_CHANGE)
        .rules(engine::RULES, engine::SHAPE)
}
