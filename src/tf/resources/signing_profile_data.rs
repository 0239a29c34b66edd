//! `data "lambdasign_signing_profile"`: a signing profile by name, possibly
//! another account's (`profile_owner`), e.g. to list its `version_arn` in a
//! code signing config.

use async_trait::async_trait;

use super::support::{backend_error, format_time, set_attr, string, tags_value, Object};
use crate::tf::plugin::cty::{Number, Type, Value};
use crate::tf::plugin::diagnostics::{AttributePath, Diagnostics};
use crate::tf::plugin::framework::{DataSource, DataSourceResponse};
use crate::tf::plugin::schema::{Attribute, Schema};
use crate::tf::provider::Client;

pub struct SigningProfileDataSource;

#[async_trait]
impl DataSource<Client> for SigningProfileDataSource {
    fn type_name(&self) -> &'static str {
        "lambdasign_signing_profile"
    }

    fn schema(&self) -> Schema {
        Schema::new("Looks up a signing profile by name.")
            .attribute(Attribute::required("name", Type::String).describe("Profile name."))
            .attribute(
                Attribute::optional("profile_owner", Type::String)
                    .describe("Owning account, if not this one."),
            )
            .attribute(Attribute::computed("arn", Type::String).describe("Profile ARN."))
            .attribute(
                Attribute::computed("version", Type::String).describe("Current profile version."),
            )
            .attribute(
                Attribute::computed("version_arn", Type::String)
                    .describe("Current profile version ARN."),
            )
            .attribute(
                Attribute::computed("platform_id", Type::String).describe("Signing platform."),
            )
            .attribute(
                Attribute::computed("status", Type::String)
                    .describe("`Active`, `Canceled` or `Revoked`."),
            )
            .attribute(
                Attribute::computed(
                    "signature_validity",
                    Type::object([("value", Type::Number), ("type", Type::String)]),
                )
                .describe("Signature validity period."),
            )
            .attribute(
                Attribute::computed(
                    "revocation",
                    Type::object([("reason", Type::String), ("effective_time", Type::String)]),
                )
                .describe("The revocation, if revoked."),
            )
            .attribute(Attribute::computed("tags", Type::map(Type::String)).describe("Tags."))
    }

    async fn read(&self, client: &Client, config: Value) -> DataSourceResponse {
        let mut diags = Diagnostics::new();
        let name = string(&config, "name").unwrap_or_default();
        let owner = string(&config, "profile_owner");
        let mut state = config;
        match client
            .backend
            .get_signing_profile(&name, owner.as_deref())
            .await
        {
            Ok(profile) => {
                set_attr(&mut state, "arn", profile.arn.as_str());
                set_attr(&mut state, "version", profile.version.as_str());
                set_attr(&mut state, "version_arn", profile.version_arn.as_str());
                set_attr(&mut state, "platform_id", profile.platform_id.as_str());
                set_attr(&mut state, "status", profile.status.as_str());
                set_attr(
                    &mut state,
                    "signature_validity",
                    Object::new()
                        .set(
                            "value",
                            Value::number(Number::from_u64(u64::from(profile.validity.value))),
                        )
                        .set("type", profile.validity.unit.as_str())
                        .build(),
                );
                set_attr(
                    &mut state,
                    "revocation",
                    profile.revocation.as_ref().map_or(Value::Null, |r| {
                        Object::new()
                            .set("reason", r.reason.as_str())
                            .set("effective_time", format_time(r.effective_time))
                            .build()
                    }),
                );
                set_attr(
                    &mut state,
                    "tags",
                    tags_value(&profile.tags, Some(&Value::Map(Default::default()))),
                );
            }
            Err(e) => {
                let mut inner = Diagnostics::new();
                backend_error(&mut inner, &format!("read signing profile {name}"), &e);
                for d in inner {
                    diags.error_at(AttributePath::attr("name"), d.summary, d.detail);
                }
            }
        }
        DataSourceResponse {
            state,
            diagnostics: diags,
        }
    }
}
