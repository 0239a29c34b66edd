//! `lambdasign_signing_profile`: schema and translation for
//! `engine::signing_profile`.

use async_trait::async_trait;

use crate::domain::profile::{
    platform, ProfileRevocation, ProfileStatus, SignatureValidity, SigningProfile, LAMBDA_PLATFORM,
};
use crate::domain::tags::{self, Tags};
use crate::domain::time::{format_time, parse_time, same_time_or};
use crate::engine::signing_profile::{
    self as engine, field::*, Naming, ProfileChange, ProfileSpec, RevocationSpec,
};
use crate::engine::{Engine, Planned};
use crate::tf::convert;
use crate::tf::plugin::cty::{Type, Value};
use crate::tf::plugin::diagnostics::Diagnostics;
use crate::tf::plugin::framework::{
    Applied, Change, ImportResponse, Plan, ReadRequest, ReadResponse, Resource,
};
use crate::tf::plugin::schema::{Attribute, Block, NestedBlock, Schema};
use crate::tf::values::{
    block, integer, keep, map, map_or_null, number, opt_text, planned_text, required_text, set,
    text, text_map, Object,
};

pub struct SigningProfileResource;

fn revocation_record_type() -> Type {
    Type::list(Type::object([
        (REVOCATION_EFFECTIVE_FROM, Type::String),
        (REVOKED_AT, Type::String),
        (REVOKED_BY, Type::String),
    ]))
}

pub fn schema() -> Schema {
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

fn validity_of(value: &Value) -> Option<SignatureValidity> {
    let Some(validity) = block(value, SIGNATURE_VALIDITY) else {
        return Some(SignatureValidity::default());
    };
    Some(SignatureValidity {
        value: u32::try_from(integer(validity, VALUE)?).ok()?,
        unit: text(validity, TYPE)?.parse().ok()?,
    })
}

fn revocation_of(value: &Value) -> Planned<Option<RevocationSpec>> {
    match value.get_attr(REVOCATION) {
        Some(v) if !v.is_wholly_known() => Planned::Unknown,
        Some(v) if !v.is_null() => match (
            text(v, REASON),
            text(v, EFFECTIVE_TIME).and_then(|t| parse_time(&t).ok()),
        ) {
            (Some(reason), Some(effective_time)) => Planned::Known(Some(RevocationSpec {
                reason,
                effective_time,
            })),
            _ => Planned::Unknown,
        },
        _ => Planned::Known(None),
    }
}

fn spec_of(planned: &Value, diags: &mut Diagnostics) -> Option<ProfileSpec> {
    let naming = match (text(planned, NAME), text(planned, NAME_PREFIX)) {
        (Some(name), _) => Naming::Fixed(name),
        (None, prefix) => Naming::Prefix(prefix),
    };
    let Some(validity) = validity_of(planned) else {
        diags.error(
            "Invalid signature validity",
            "`signature_validity` needs a whole `value` and a `type`.",
        );
        return None;
    };
    let Planned::Known(revocation) = revocation_of(planned) else {
        diags.error(
            "Revocation not known",
            "The `revocation` block must be known at apply.",
        );
        return None;
    };
    Some(ProfileSpec {
        naming,
        platform_id: text(planned, PLATFORM_ID).unwrap_or_else(|| LAMBDA_PLATFORM.to_string()),
        validity,
        certificate_arn: block(planned, SIGNING_MATERIAL).and_then(|m| text(m, CERTIFICATE_ARN)),
        signing_parameters: text_map(planned, SIGNING_PARAMETERS).unwrap_or_default(),
        tags: text_map(planned, TAGS).unwrap_or_default(),
        revocation,
    })
}

/// The profile a prior state records (what the engine's plan needs of it).
fn recorded(prior: &Value) -> Option<SigningProfile> {
    let revocation = match revocation_of(prior) {
        Planned::Known(Some(r)) => Some(ProfileRevocation {
            reason: r.reason,
            effective_time: r.effective_time,
            revoked_at: r.effective_time,
            revoked_by: None,
        }),
        _ => None,
    };
    Some(SigningProfile {
        name: text(prior, NAME)?,
        owner: String::new(),
        arn: text(prior, ARN)?,
        version: text(prior, VERSION)?,
        version_arn: text(prior, VERSION_ARN)?,
        platform_id: text(prior, PLATFORM_ID).unwrap_or_default(),
        validity: validity_of(prior).unwrap_or_default(),
        status: text(prior, STATUS)
            .and_then(|s| ProfileStatus::parse(&s))
            .unwrap_or(ProfileStatus::Active),
        revocation,
        certificate_arn: None,
        signing_parameters: Default::default(),
        tags: Tags::new(),
    })
}

/// The state of a profile; `base` (the plan, or the prior state) supplies
/// what only the configuration knows and the user's own spellings.
fn state_of(engine: &Engine, profile: &SigningProfile, base: &Value) -> Value {
    let prior_validity = block(base, SIGNATURE_VALIDITY);
    let validity = if prior_validity.is_none() && profile.validity == SignatureValidity::default() {
        Value::Null
    } else {
        Object::new()
            .set(VALUE, number(i64::from(profile.validity.value)))
            .set(TYPE, profile.validity.unit.as_str())
            .build()
    };
    let revocation = profile.revocation.as_ref().map_or(Value::Null, |r| {
        let spelled = block(base, REVOCATION).and_then(|b| text(b, EFFECTIVE_TIME));
        Object::new()
            .set(REASON, r.reason.as_str())
            .set(
                EFFECTIVE_TIME,
                same_time_or(spelled.as_deref(), r.effective_time),
            )
            .build()
    });
    let record = profile
        .revocation
        .as_ref()
        .map_or(Value::List(Vec::new()), |r| {
            Value::List(vec![Object::new()
                .set(REVOCATION_EFFECTIVE_FROM, format_time(r.effective_time))
                .set(REVOKED_AT, format_time(r.revoked_at))
                .set(REVOKED_BY, opt_text(r.revoked_by.as_deref()))
                .build()])
        });
    let material = profile
        .certificate_arn
        .as_deref()
        .map_or(Value::Null, |arn| {
            Object::new().set(CERTIFICATE_ARN, arn).build()
        });
    let configured = text_map(base, TAGS).unwrap_or_default();
    let own = tags::own(engine.default_tags(), &profile.tags, &configured);
    let prefix =
        text(base, NAME_PREFIX).or_else(|| engine::prefix_of(&profile.name).map(str::to_string));
    Object::new()
        .set(NAME, profile.name.as_str())
        .set(NAME_PREFIX, opt_text(prefix.as_deref()))
        .set(PLATFORM_ID, profile.platform_id.as_str())
        .set(PLATFORM_DISPLAY_NAME, profile.platform_display_name())
        .set(
            SIGNING_PARAMETERS,
            map_or_null(&profile.signing_parameters, &keep(base, SIGNING_PARAMETERS)),
        )
        .set(TAGS, map_or_null(&own, &keep(base, TAGS)))
        .set(TAGS_ALL, map(&profile.tags))
        .set(ARN, profile.arn.as_str())
        .set(VERSION, profile.version.as_str())
        .set(VERSION_ARN, profile.version_arn.as_str())
        .set(STATUS, profile.status.as_str())
        .set(REVOCATION_RECORD, record)
        .set(SIGNATURE_VALIDITY, validity)
        .set(SIGNING_MATERIAL, material)
        .set(REVOCATION, revocation)
        .build()
}

#[async_trait]
impl Resource<Engine> for SigningProfileResource {
    fn type_name(&self) -> &'static str {
        "lambdasign_signing_profile"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        let Some(validity) = block(config, SIGNATURE_VALIDITY) else {
            return;
        };
        if let (Some(value), Some(unit)) = (integer(validity, VALUE), text(validity, TYPE)) {
            if let Err(e) = engine::check_validity(value, &unit) {
                convert::error(diags, "Invalid signature_validity", &e);
            }
        }
    }

    async fn plan(&self, engine: &Engine, plan: &mut Plan) {
        let replacing: Vec<&'static str> = plan
            .replacing()
            .iter()
            .filter_map(|name| {
                engine::REPLACE_ON_CHANGE
                    .iter()
                    .find(|n| **n == name.as_str())
                    .copied()
            })
            .collect();
        let planned = &mut plan.planned;
        if planned.get_attr(PLATFORM_ID).is_some_and(Value::is_null) {
            set(planned, PLATFORM_ID, LAMBDA_PLATFORM);
        }
        if let Some(id) = text(planned, PLATFORM_ID) {
            let display = platform(&id).map_or(id.clone(), |p| p.display_name.to_string());
            set(planned, PLATFORM_DISPLAY_NAME, display);
        }
        match text_map(planned, TAGS) {
            Some(own) => set(
                planned,
                TAGS_ALL,
                map(&tags::effective(engine.default_tags(), &own)),
            ),
            None => set(planned, TAGS_ALL, Value::unknown()),
        }
        let prior = recorded(&plan.prior);
        let fixed_name = match planned_text(&plan.config, NAME) {
            Planned::Known(Some(name)) => Some(Planned::Known(name)),
            Planned::Unknown => Some(Planned::Unknown),
            Planned::Known(None) => None,
        };
        let planned = &plan.planned;
        let change = ProfileChange {
            prior: prior.as_ref().filter(|_| !plan.prior.is_null()),
            prior_revocation: match revocation_of(&plan.prior) {
                Planned::Known(r) => r,
                Planned::Unknown => None,
            },
            fixed_name,
            platform_id: match planned_text(planned, PLATFORM_ID) {
                Planned::Known(Some(id)) => Planned::Known(id),
                _ => Planned::Unknown,
            },
            certificate_arn: block(planned, SIGNING_MATERIAL).map(|m| {
                match text(m, CERTIFICATE_ARN) {
                    Some(arn) => Planned::Known(arn),
                    None => Planned::Unknown,
                }
            }),
            replacing,
            revocation: revocation_of(planned),
        };
        let outcome = engine::plan(engine, &change).await;
        convert::report(outcome.report, &mut plan.diagnostics);
        let planned = &mut plan.planned;
        match (
            outcome.status,
            plan.prior.is_null() || !plan.requires_replace.is_empty(),
        ) {
            (Some(status), _) => set(planned, STATUS, status.as_str()),
            (None, true) => set(planned, STATUS, ProfileStatus::Active.as_str()),
            (None, false) => {}
        }
        if !plan.prior.is_null() && planned.get_attr(REVOCATION) != plan.prior.get_attr(REVOCATION)
        {
            set(planned, REVOCATION_RECORD, Value::unknown());
        }
    }

    async fn create(&self, engine: &Engine, change: Change) -> Applied {
        let mut applied = Applied {
            private: change.private,
            ..Applied::default()
        };
        let Some(spec) = spec_of(&change.planned, &mut applied.diagnostics) else {
            return applied;
        };
        match engine::create(engine, &spec).await {
            Ok(profile) => applied.state = state_of(engine, &profile, &change.planned),
            Err(failed) => {
                convert::error(
                    &mut applied.diagnostics,
                    "Cannot create the signing profile",
                    &failed.error,
                );
                if let Some(profile) = failed.made {
                    // The profile exists: keep it (without the revocation) so it is not orphaned.
                    let mut base = change.planned.clone();
                    set(&mut base, REVOCATION, Value::Null);
                    applied.state = state_of(engine, &profile, &base);
                }
            }
        }
        applied
    }

    async fn read(&self, engine: &Engine, request: ReadRequest) -> ReadResponse {
        let mut response = ReadResponse {
            private: request.private,
            ..ReadResponse::default()
        };
        let Some(name) = required_text(&request.current_state, NAME, &mut response.diagnostics)
        else {
            response.new_state = request.current_state;
            return response;
        };
        match engine::read(engine, &name).await {
            Ok(Some(profile)) => {
                response.new_state = state_of(engine, &profile, &request.current_state)
            }
            Ok(None) => {}
            Err(e) => {
                convert::error(
                    &mut response.diagnostics,
                    "Cannot read the signing profile",
                    &e,
                );
                response.new_state = request.current_state;
            }
        }
        response
    }

    async fn update(&self, engine: &Engine, change: Change) -> Applied {
        let mut applied = Applied {
            private: change.private,
            state: change.prior.clone(),
            ..Applied::default()
        };
        let (Some(spec), Some(prior)) = (
            spec_of(&change.planned, &mut applied.diagnostics),
            recorded(&change.prior),
        ) else {
            return applied;
        };
        let current = match engine::read(engine, &prior.name).await {
            Ok(Some(current)) => current,
            Ok(None) => {
                applied.diagnostics.error(
                    "Signing profile gone",
                    format!(
                        "Signing profile {} no longer exists or was canceled.",
                        prior.name
                    ),
                );
                return applied;
            }
            Err(e) => {
                convert::error(
                    &mut applied.diagnostics,
                    "Cannot read the signing profile",
                    &e,
                );
                return applied;
            }
        };
        match engine::update(engine, &current, &spec).await {
            Ok(profile) => applied.state = state_of(engine, &profile, &change.planned),
            Err(failed) => {
                convert::error(
                    &mut applied.diagnostics,
                    "Cannot update the signing profile",
                    &failed.error,
                );
                if let Some(profile) = failed.made {
                    applied.state = state_of(engine, &profile, &change.prior);
                }
            }
        }
        applied
    }

    async fn delete(&self, engine: &Engine, change: Change) -> Applied {
        let mut applied = Applied {
            private: change.private,
            ..Applied::default()
        };
        let Some(name) = required_text(&change.prior, NAME, &mut applied.diagnostics) else {
            return applied;
        };
        if let Err(e) = engine::delete(engine, &name).await {
            convert::error(
                &mut applied.diagnostics,
                "Cannot cancel the signing profile",
                &e,
            );
        }
        applied
    }

    async fn import(&self, engine: &Engine, id: &str) -> ImportResponse {
        let mut response = ImportResponse::default();
        match engine::import(engine, id).await {
            Ok(profile) => response.state = state_of(engine, &profile, &Value::Null),
            Err(e) => convert::error(
                &mut response.diagnostics,
                "Cannot import the signing profile",
                &e,
            ),
        }
        response
    }
}
