//! `data "lambdasign_signing_profile"`: a signing profile by name, possibly
//! another account's (`profile_owner`), e.g. to list its `version_arn` in a
//! code signing config.

use async_trait::async_trait;

use crate::domain::names;
use crate::domain::time::format_time;
use crate::engine::rules::FieldRule;
use crate::engine::signing_profile::{self as engine, field::*};
use crate::engine::Engine;
use crate::tf::convert;
use crate::tf::plugin::cty::{Type, Value};
use crate::tf::plugin::diagnostics::Diagnostics;
use crate::tf::plugin::framework::{DataSource, DataSourceResponse};
use crate::tf::plugin::schema::{Attribute, Schema};
use crate::tf::values::{map, number, set, text, Object};

pub struct SigningProfileDataSource;

const PROFILE_OWNER: &str = "profile_owner";

const RULES: &[FieldRule] = &[
    FieldRule::text(&[NAME], names::profile_name),
    FieldRule::text(&[PROFILE_OWNER], names::account_id),
];

#[async_trait]
impl DataSource<Engine> for SigningProfileDataSource {
    fn type_name(&self) -> &'static str {
        "lambdasign_signing_profile"
    }

    fn schema(&self) -> Schema {
        Schema::new("Looks up a signing profile by name.")
            .attribute(Attribute::required(NAME, Type::String).describe("Profile name."))
            .attribute(
                Attribute::optional(PROFILE_OWNER, Type::String)
                    .describe("Owning account, if not this one."),
            )
            .attribute(Attribute::computed(ARN, Type::String).describe("Profile ARN."))
            .attribute(
                Attribute::computed(VERSION, Type::String).describe("Current profile version."),
            )
            .attribute(
                Attribute::computed(VERSION_ARN, Type::String)
                    .describe("Current profile version ARN."),
            )
            .attribute(Attribute::computed(PLATFORM_ID, Type::String).describe("Signing platform."))
            .attribute(
                Attribute::computed(PLATFORM_DISPLAY_NAME, Type::String)
                    .describe("The platform's display name."),
            )
            .attribute(
                Attribute::computed(STATUS, Type::String)
                    .describe("`Active`, `Canceled` or `Revoked`."),
            )
            .attribute(
                Attribute::computed(
                    SIGNATURE_VALIDITY,
                    Type::object([(VALUE, Type::Number), (TYPE, Type::String)]),
                )
                .describe("Signature validity period."),
            )
            .attribute(
                Attribute::computed(
                    REVOCATION,
                    Type::object([(REASON, Type::String), (EFFECTIVE_TIME, Type::String)]),
                )
                .describe("The revocation, if revoked."),
            )
            .attribute(Attribute::computed(TAGS, Type::map(Type::String)).describe("Tags."))
            .rules(RULES, &[])
    }

    async fn read(&self, engine: &Engine, config: Value) -> DataSourceResponse {
        let mut diagnostics = Diagnostics::new();
        let mut state = config;
        let Some(name) = text(&state, NAME) else {
            return DataSourceResponse { state, diagnostics };
        };
        let owner = text(&state, PROFILE_OWNER);
        match engine::look_up(engine, &name, owner.as_deref()).await {
            Ok(profile) => {
                set(&mut state, ARN, profile.arn.as_str());
                set(&mut state, VERSION, profile.version.as_str());
                set(&mut state, VERSION_ARN, profile.version_arn.as_str());
                set(&mut state, PLATFORM_ID, profile.platform_id.as_str());
                set(
                    &mut state,
                    PLATFORM_DISPLAY_NAME,
                    profile.platform_display_name(),
                );
                set(&mut state, STATUS, profile.status.as_str());
                set(
                    &mut state,
                    SIGNATURE_VALIDITY,
                    Object::new()
                        .set(VALUE, number(i64::from(profile.validity.value)))
                        .set(TYPE, profile.validity.unit.as_str())
                        .build(),
                );
                set(
                    &mut state,
                    REVOCATION,
                    profile.revocation.as_ref().map_or(Value::Null, |r| {
                        Object::new()
                            .set(REASON, r.reason.as_str())
                            .set(EFFECTIVE_TIME, format_time(r.effective_time))
                            .build()
                    }),
                );
                set(&mut state, TAGS, map(&profile.tags));
            }
            Err(e) => convert::error(&mut diagnostics, "Cannot read the signing profile", &e),
        }
        DataSourceResponse { state, diagnostics }
    }
}
