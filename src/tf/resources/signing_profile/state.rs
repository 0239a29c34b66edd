//! Translation between `lambdasign_signing_profile` values and the
//! engine's models: the spec a plan asks for, the profile a state records,
//! and the state of a profile.

use crate::domain::profile::{
    ProfileRevocation, ProfileStatus, SignatureValidity, SigningProfile, LAMBDA_PLATFORM,
};
use crate::domain::tags::{self, Tags};
use crate::domain::time::{format_time, parse_time, same_time_or};
use crate::engine::signing_profile::{
    self as engine, field::*, Naming, ProfileSpec, RevocationSpec,
};
use crate::engine::{Engine, Planned};
use crate::tf::plugin::cty::Value;
use crate::tf::plugin::diagnostics::Diagnostics;
use crate::tf::resources::moved;
use crate::tf::values::{
    block, integer, keep, map, map_or_null, number, opt_text, text, text_map, Object,
};

fn validity_of(value: &Value) -> Option<SignatureValidity> {
    let Some(validity) = block(value, SIGNATURE_VALIDITY) else {
        return Some(SignatureValidity::default());
    };
    Some(SignatureValidity {
        value: u32::try_from(integer(validity, VALUE)?).ok()?,
        unit: text(validity, TYPE)?.parse().ok()?,
    })
}

pub(super) fn revocation_of(value: &Value) -> Planned<Option<RevocationSpec>> {
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

pub(super) fn spec_of(planned: &Value, diags: &mut Diagnostics) -> Option<ProfileSpec> {
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
pub(super) fn recorded(prior: &Value) -> Option<SigningProfile> {
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
pub(super) fn state_of(engine: &Engine, profile: &SigningProfile, base: &Value) -> Value {
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

/// The state of a profile the AWS provider recorded
/// (`aws_signer_signing_profile`); the refresh reads the rest. A validity
/// left at Signer's default reads as no block, as an import does.
pub(super) fn moved(aws: &serde_json::Value, diags: &mut Diagnostics) -> Option<Value> {
    let name = moved::required(aws, "name", "aws_signer_signing_profile", diags)?;
    let validity = moved::block(aws, "signature_validity_period")
        .and_then(|period| {
            let value = moved::whole(period, "value")?;
            let unit = moved::opt(period, "type")?;
            let default = SignatureValidity::default();
            let is_default = u32::try_from(value).is_ok_and(|v| v == default.value)
                && unit == default.unit.as_str();
            (!is_default).then(|| {
                Object::new()
                    .set(VALUE, number(value))
                    .set(TYPE, unit.as_str())
                    .build()
            })
        })
        .unwrap_or(Value::Null);
    let material = moved::block(aws, "signing_material")
        .and_then(|m| moved::opt(m, "certificate_arn"))
        .map_or(Value::Null, |arn| {
            Object::new().set(CERTIFICATE_ARN, arn.as_str()).build()
        });
    Some(
        Object::new()
            .set(NAME, name.as_str())
            .set(NAME_PREFIX, moved::text(aws, "name_prefix"))
            .set(PLATFORM_ID, moved::text(aws, "platform_id"))
            .set(
                PLATFORM_DISPLAY_NAME,
                moved::text(aws, "platform_display_name"),
            )
            .set(TAGS, moved::string_map(aws, "tags"))
            .set(TAGS_ALL, moved::string_map(aws, "tags_all"))
            .set(ARN, moved::text(aws, "arn"))
            .set(VERSION, moved::text(aws, "version"))
            .set(VERSION_ARN, moved::text(aws, "version_arn"))
            .set(STATUS, moved::text(aws, "status"))
            .set(SIGNATURE_VALIDITY, validity)
            .set(SIGNING_MATERIAL, material)
            .build(),
    )
}
