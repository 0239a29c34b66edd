//! `LambdaSign::Signer::SigningProfile` over `engine::signing_profile`.
//! A canceled profile is gone (READ and DELETE answer NotFound, LIST skips
//! it): Signer keeps it visible, but it can neither sign nor be managed.
//! Its name is generated (CloudFormation's way, and the only one a
//! replacement survives, since Signer never reuses a name), and it also
//! takes AWS::Signer::SigningProfile's spellings: `SignatureValidityPeriod`
//! in, `ProfileName`, `ProfileVersion` and `ProfileVersionArn` out.

use async_trait::async_trait;
use serde_json::Value;

use crate::cfn::convert;
use crate::cfn::model::{Builder, Naming, Reader};
use crate::cfn::resource::{gone, identifier, Call, Handled, Outcome, ResourceType, TypeDef};
use crate::domain::arn::ProfileArn;
use crate::domain::field::FieldPath;
use crate::domain::profile::{ProfileStatus, SignatureValidity, SigningProfile, LAMBDA_PLATFORM};
use crate::domain::tags;
use crate::domain::time::{format_time, parse_time};
use crate::engine::signing_profile::{
    self as engine, field::*, Naming as ProfileNaming, ProfileChange, ProfileSpec, RevocationSpec,
};
use crate::engine::{Engine, EngineError, Planned};

pub static DEF: TypeDef = TypeDef {
    type_name: "LambdaSign::Signer::SigningProfile",
    folder: "signing-profile",
    schema: include_str!(
        "../../../cloudformation/signing-profile/lambdasign-signer-signingprofile.json"
    ),
    naming: Naming::PLAIN,
    fields: &[
        NAME_PREFIX,
        PLATFORM_ID,
        SIGNATURE_VALIDITY,
        SIGNATURE_VALIDITY_PERIOD,
        TAGS,
        REVOCATION,
        NAME,
        ARN,
        VERSION,
        VERSION_ARN,
        STATUS,
        PLATFORM_DISPLAY_NAME,
        REVOCATION_RECORD,
        PROFILE_NAME,
        PROFILE_VERSION,
        PROFILE_VERSION_ARN,
    ],
    native: &[
        (SIGNATURE_VALIDITY_PERIOD, SIGNATURE_VALIDITY),
        (PROFILE_NAME, NAME),
        (PROFILE_VERSION, VERSION),
        (PROFILE_VERSION_ARN, VERSION_ARN),
    ],
    aws_only: &[],
    replace_on_change: engine::REPLACE_ON_CHANGE,
    rules: engine::TEMPLATE_RULES,
    shape: engine::SHAPE,
};

// AWS::Signer::SigningProfile's spellings.
const SIGNATURE_VALIDITY_PERIOD: &str = "signature_validity_period";
const PROFILE_NAME: &str = "profile_name";
const PROFILE_VERSION: &str = "profile_version";
const PROFILE_VERSION_ARN: &str = "profile_version_arn";

pub struct SigningProfileType;

/// `SignatureValidity`, else AWS's `SignatureValidityPeriod` (the same shape).
fn validity(model: &Reader<'_>) -> Result<SignatureValidity, EngineError> {
    let field = if model.has(SIGNATURE_VALIDITY) {
        SIGNATURE_VALIDITY
    } else {
        SIGNATURE_VALIDITY_PERIOD
    };
    let Some(validity) = model.object(field)? else {
        return Ok(SignatureValidity::default());
    };
    let at = FieldPath::field(field);
    let value = validity
        .integer(VALUE)?
        .and_then(|v| u32::try_from(v).ok())
        .ok_or_else(|| {
            EngineError::invalid(
                at.clone().then(VALUE),
                "is required: a whole number of at least 1",
            )
        })?;
    let unit = validity.required_text(TYPE)?.parse().map_err(
        |e: crate::domain::profile::ParseValidityUnitError| {
            EngineError::invalid(at.clone().then(TYPE), e.to_string())
        },
    )?;
    let validity = SignatureValidity { value, unit };
    validity
        .check()
        .map_err(|e| EngineError::invalid(at, e.to_string()))?;
    Ok(validity)
}

fn revocation(model: &Reader<'_>) -> Result<Option<RevocationSpec>, EngineError> {
    let Some(revocation) = model.object(REVOCATION)? else {
        return Ok(None);
    };
    let at = FieldPath::field(REVOCATION).then(EFFECTIVE_TIME);
    let spec = RevocationSpec {
        reason: revocation.required_text(REASON)?,
        effective_time: parse_time(&revocation.required_text(EFFECTIVE_TIME)?)
            .map_err(|e| EngineError::invalid(at, e))?,
    };
    Ok(Some(spec.effective_by_now()))
}

/// A name prefix from the template's logical id, as CloudFormation names
/// what it names: letters, digits and `_`, then `_`.
fn prefix_from(logical_id: Option<&str>) -> Option<String> {
    let cleaned: String = logical_id?
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(37)
        .collect();
    (!cleaned.is_empty()).then(|| format!("{cleaned}_"))
}

/// The profile a model asks for, named `name`.
fn spec(model: &Reader<'_>, name: String) -> Result<ProfileSpec, EngineError> {
    Ok(ProfileSpec {
        naming: ProfileNaming::Fixed(name),
        platform_id: model
            .text(PLATFORM_ID)?
            .unwrap_or_else(|| LAMBDA_PLATFORM.to_string()),
        validity: validity(model)?,
        certificate_arn: None,
        signing_parameters: Default::default(),
        tags: model.tags(TAGS)?,
        revocation: revocation(model)?,
    })
}

/// The model of a profile; `base` (the request's model) supplies what only
/// the template knows and the user's own spellings.
fn model_of(engine: &Engine, profile: &SigningProfile, base: Option<&Reader<'_>>) -> Value {
    let configured = base.and_then(|b| b.tags(TAGS).ok()).unwrap_or_default();
    let own = tags::own(engine.default_tags(), &profile.tags, &configured);
    let asked = base.and_then(|b| revocation(b).ok().flatten());
    let spelled = base
        .and_then(|b| b.object(REVOCATION).ok().flatten())
        .and_then(|r| Some((r.text(REASON).ok()??, r.text(EFFECTIVE_TIME).ok()??)));
    // The prefix the name was made from (another one asks for a new name).
    let prefix = base
        .and_then(|b| b.text(NAME_PREFIX).ok().flatten())
        .filter(|prefix| profile.name.starts_with(prefix.as_str()));
    let mut model = Builder::model(DEF.naming)
        .text(NAME, &profile.name)
        .text(PROFILE_NAME, &profile.name)
        .opt_text(NAME_PREFIX, prefix)
        .text(PLATFORM_ID, &profile.platform_id)
        .text(PLATFORM_DISPLAY_NAME, profile.platform_display_name())
        .object(
            SIGNATURE_VALIDITY,
            Builder::nested()
                .integer(VALUE, i64::from(profile.validity.value))
                .text(TYPE, profile.validity.unit.as_str()),
        )
        .tags(
            TAGS,
            &own,
            base.and_then(|b| b.get(TAGS)).filter(|_| configured == own),
            !configured.is_empty() || base.is_some_and(|b| b.has(TAGS)),
        )
        .text(ARN, &profile.arn)
        .text(VERSION, &profile.version)
        .text(VERSION_ARN, &profile.version_arn)
        .text(PROFILE_VERSION, &profile.version)
        .text(PROFILE_VERSION_ARN, &profile.version_arn)
        .text(STATUS, profile.status.as_str());
    if let Some(r) = &profile.revocation {
        // The template's revocation, as written, while the recorded one
        // covers it (see `update`); otherwise what Signer recorded.
        let (reason, time) = match (asked, spelled) {
            (Some(asked), Some(spelled)) if asked.is_covered_by(r.effective_time) => spelled,
            _ => (r.reason.clone(), format_time(r.effective_time)),
        };
        model = model
            .object(
                REVOCATION,
                Builder::nested()
                    .text(REASON, reason)
                    .text(EFFECTIVE_TIME, time),
            )
            .object(
                REVOCATION_RECORD,
                Builder::nested()
                    .text(REVOCATION_EFFECTIVE_FROM, format_time(r.effective_time))
                    .text(REVOKED_AT, format_time(r.revoked_at))
                    .opt_text(REVOKED_BY, r.revoked_by.clone()),
            );
    }
    model.build()
}

/// The profile a model names: by the name in `Arn` (the primary
/// identifier), else by `Name`. An UPDATE's model carries the resource's
/// `Arn` beside the `Name` the template now asks for: the `Arn` says which
/// profile it is, and a different `Name` is a create-only change
/// (NotUpdatable), not another profile that does not exist.
fn name_of(model: &Reader<'_>) -> Result<String, EngineError> {
    if let Some(arn) = model.text(ARN)? {
        return arn
            .parse::<ProfileArn>()
            .map(|arn| arn.name().to_string())
            .map_err(|e| EngineError::invalid(FieldPath::field(ARN), format!("{arn:?}: {e}")));
    }
    match model.text(NAME)?.or(model.text(PROFILE_NAME)?) {
        Some(name) => Ok(name),
        None => identifier(model, ARN),
    }
}

/// Signer cancels only Active profiles: a revoked profile CloudFormation
/// deletes keeps its status (and its revocation) and is marked with this
/// tag instead, after which it reads as gone.
const DELETED_TAG: (&str, &str) = ("lambdasign:cloudformation", "deleted");

fn deleted(profile: &SigningProfile) -> bool {
    profile.tags.get(DELETED_TAG.0).map(String::as_str) == Some(DELETED_TAG.1)
}

async fn current(engine: &Engine, model: &Reader<'_>) -> Result<SigningProfile, EngineError> {
    let name = name_of(model)?;
    engine::read(engine, &name)
        .await?
        .filter(|profile| !deleted(profile))
        .ok_or_else(|| gone(format!("signing profile {name}")))
}

#[async_trait]
impl ResourceType for SigningProfileType {
    fn def(&self) -> &'static TypeDef {
        &DEF
    }

    async fn create(&self, call: &Call<'_>) -> Handled {
        let model = call.model(DEF.naming)?;
        let prefix = model
            .text(NAME_PREFIX)?
            .or_else(|| prefix_from(call.logical_id))
            .unwrap_or_else(|| engine::DEFAULT_PREFIX.to_string());
        let generated = call.generated_name(&prefix);
        let spec = spec(&model, generated.name.clone())?;
        engine::check_platform(
            call.engine,
            &spec.platform_id,
            spec.certificate_arn.is_some(),
        )?;
        // A retried CREATE finds the profile it made (see generated_name).
        let retried = if generated.repeatable {
            engine::read(call.engine, &generated.name)
                .await?
                .filter(|profile| !deleted(profile))
        } else {
            None
        };
        if let Some(profile) = retried {
            return Ok(Outcome::Model(model_of(
                call.engine,
                &profile,
                Some(&model),
            )));
        }
        match engine::create(call.engine, &spec).await {
            Ok(profile) => Ok(Outcome::Model(model_of(
                call.engine,
                &profile,
                Some(&model),
            ))),
            Err(failed) => {
                // Nothing half-made stays behind: CloudFormation does not
                // delete what a failed CREATE made.
                if let Some(profile) = failed.made {
                    let _ = engine::delete(call.engine, &profile.name).await;
                }
                Err(failed.error)
            }
        }
    }

    async fn read(&self, call: &Call<'_>) -> Handled {
        let model = call.model(DEF.naming)?;
        let profile = current(call.engine, &model).await?;
        Ok(Outcome::Model(model_of(
            call.engine,
            &profile,
            Some(&model),
        )))
    }

    async fn update(&self, call: &Call<'_>) -> Handled {
        let model = call.model(DEF.naming)?;
        let prior = current(call.engine, &model).await?;
        let mut spec = spec(&model, prior.name.clone())?;
        // A revocation the recorded one covers is already in effect: asking
        // for it again (with a later time, or another reason) changes nothing.
        if let (Some(asked), Some(recorded)) = (&spec.revocation, &prior.revocation) {
            if asked.is_covered_by(recorded.effective_time) {
                spec.revocation = Some(RevocationSpec {
                    reason: recorded.reason.clone(),
                    effective_time: recorded.effective_time,
                });
            }
        }
        let change = ProfileChange {
            prior: Some(&prior),
            prior_revocation: prior.revocation.as_ref().map(|r| RevocationSpec {
                reason: r.reason.clone(),
                effective_time: r.effective_time,
            }),
            fixed_name: None,
            platform_id: Planned::Known(prior.platform_id.clone()),
            certificate_arn: prior.certificate_arn.clone().map(Planned::Known),
            replacing: Vec::new(),
            revocation: Planned::Known(spec.revocation.clone()),
        };
        let plan = engine::plan(call.engine, &change).await;
        let notes = convert::refuse(plan.report)?;
        let profile = engine::update(call.engine, &prior, &spec)
            .await
            .map_err(|failed| failed.error)?;
        Ok(Outcome::Noted(
            model_of(call.engine, &profile, Some(&model)),
            notes,
        ))
    }

    async fn delete(&self, call: &Call<'_>) -> Handled {
        let model = call.model(DEF.naming)?;
        let profile = current(call.engine, &model).await?;
        if profile.status == ProfileStatus::Revoked {
            let mut tags = profile.tags.clone();
            tags.insert(DELETED_TAG.0.to_string(), DELETED_TAG.1.to_string());
            let spec = ProfileSpec {
                tags,
                revocation: None,
                ..ProfileSpec::default()
            };
            engine::update(call.engine, &profile, &spec)
                .await
                .map_err(|failed| failed.error)?;
        }
        engine::delete(call.engine, &profile.name).await?;
        Ok(Outcome::Deleted)
    }

    async fn list(&self, call: &Call<'_>) -> Handled {
        let profiles = engine::list(call.engine).await?;
        Ok(Outcome::Listed(
            profiles
                .iter()
                .filter(|p| !deleted(p))
                .map(|p| model_of(call.engine, p, None))
                .collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_names_start_from_the_logical_id() {
        assert_eq!(
            prefix_from(Some("Release-Signer")).as_deref(),
            Some("ReleaseSigner_")
        );
        assert_eq!(prefix_from(Some("---")), None);
        let long = "A".repeat(80);
        let prefix = prefix_from(Some(&long)).unwrap();
        assert!(
            crate::domain::names::profile_name_prefix(&prefix).is_ok(),
            "{prefix}"
        );
    }
}
