//! Tags by ARN: a signing profile (Signer's TagResource), a code signing
//! config or a function (Lambda's). Only this account's resources.

use rusqlite::Transaction;

use super::{csc, functions, profiles};
use crate::backend::{BackendError, BackendResult, Subject};
use crate::domain::arn::ArnFields;
use crate::domain::arn::{LambdaArn, ProfileArn};
use crate::domain::identity::Identity;
use crate::domain::tags::Tags;

enum Taggable {
    Profile(String),
    CodeSigningConfig(String),
    Function(crate::domain::arn::FunctionArn),
}

fn taggable(id: &Identity, arn: &str) -> BackendResult<Taggable> {
    let invalid = |e: String| BackendError::invalid("resource_arn", format!("{arn:?}: {e}"));
    let (account, region, taggable) = match ArnFields::parse(arn).map(|a| a.service) {
        Ok("signer") => {
            let profile: ProfileArn = arn.parse().map_err(|e| {
                invalid(format!(
                    "{e}; Signer tags signing profiles (arn:aws:signer:REGION:ACCOUNT:/signing-profiles/NAME)"
                ))
            })?;
            (
                profile.account_id().to_string(),
                profile.region().to_string(),
                Taggable::Profile(profile.name().to_string()),
            )
        }
        Ok("lambda") => match arn
            .parse::<LambdaArn>()
            .map_err(|e| invalid(e.to_string()))?
        {
            LambdaArn::CodeSigningConfig(csc) => (
                csc.account_id().to_string(),
                csc.region().to_string(),
                Taggable::CodeSigningConfig(arn.to_string()),
            ),
            LambdaArn::Function(f) if f.qualifier().is_none() => (
                f.account_id().to_string(),
                f.region().to_string(),
                Taggable::Function(f),
            ),
            _ => return Err(invalid(
                "Lambda tags code signing configs and functions (not layers, versions or aliases)"
                    .into(),
            )),
        },
        _ => return Err(invalid("not a Signer or Lambda ARN".into())),
    };
    if account != id.account_id || region != id.region {
        return Err(BackendError::AccessDenied(format!(
            "{arn} belongs to account {account} in {region}, not to {} in {}",
            id.account_id, id.region
        )));
    }
    Ok(taggable)
}

pub fn get(tx: &Transaction<'_>, id: &Identity, arn: &str) -> BackendResult<Tags> {
    match taggable(id, arn)? {
        Taggable::Profile(name) => profiles::find(tx, id, &id.account_id, &name)?
            .map(|p| p.tags)
            .ok_or(BackendError::NotFound(Subject::SigningProfile(name))),
        Taggable::CodeSigningConfig(arn) => Ok(csc::get(tx, id, &arn)?.tags),
        Taggable::Function(f) => functions::tags(tx, id, &f),
    }
}

fn set(tx: &Transaction<'_>, id: &Identity, arn: &str, tags: &Tags) -> BackendResult<()> {
    match taggable(id, arn)? {
        Taggable::Profile(name) => profiles::set_tags(tx, id, &name, tags).map(|_| ()),
        Taggable::CodeSigningConfig(arn) => csc::set_tags(tx, id, &arn, tags),
        Taggable::Function(f) => functions::set_tags(tx, id, &f, tags),
    }
}

/// Adds or overwrites `tags`, keeping the others.
pub fn add(tx: &Transaction<'_>, id: &Identity, arn: &str, tags: &Tags) -> BackendResult<()> {
    let mut all = get(tx, id, arn)?;
    all.extend(tags.iter().map(|(k, v)| (k.clone(), v.clone())));
    set(tx, id, arn, &all)
}

pub fn remove(
    tx: &Transaction<'_>,
    id: &Identity,
    arn: &str,
    keys: &[String],
) -> BackendResult<()> {
    let mut all = get(tx, id, arn)?;
    all.retain(|k, _| !keys.contains(k));
    set(tx, id, arn, &all)
}
