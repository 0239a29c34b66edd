//! Signing profile permissions: the statements of a profile's policy that
//! let other accounts use it.

use std::fmt;

use super::names::Invalid;

/// The actions a signing profile policy may grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignerAction {
    StartSigningJob,
    GetSigningProfile,
    RevokeSignature,
    SignPayload,
}

impl SignerAction {
    pub const ALL: [SignerAction; 4] = [
        SignerAction::StartSigningJob,
        SignerAction::GetSigningProfile,
        SignerAction::RevokeSignature,
        SignerAction::SignPayload,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SignerAction::StartSigningJob => "signer:StartSigningJob",
            SignerAction::GetSigningProfile => "signer:GetSigningProfile",
            SignerAction::RevokeSignature => "signer:RevokeSignature",
            SignerAction::SignPayload => "signer:SignPayload",
        }
    }

    pub fn parse(text: &str) -> Result<Self, Invalid> {
        SignerAction::ALL
            .into_iter()
            .find(|a| a.as_str() == text)
            .ok_or_else(|| {
                Invalid(format!(
                    "{text:?} is not a Signer profile action; use one of signer:StartSigningJob, signer:GetSigningProfile, signer:RevokeSignature"
                ))
            })
    }

    /// An action a Lambda signing profile can grant: `SignPayload` signs
    /// container images (Notation), never Lambda code.
    pub fn for_lambda(text: &str) -> Result<Self, Invalid> {
        match SignerAction::parse(text)? {
            SignerAction::SignPayload => Err(Invalid(
                "signer:SignPayload does not apply to Lambda profiles: they sign code through signing jobs (it is for container-image platforms); grant signer:StartSigningJob instead".into(),
            )),
            action => Ok(action),
        }
    }
}

impl fmt::Display for SignerAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A Lambda profile's action, as a rule over text.
pub fn lambda_action(text: &str) -> Result<(), Invalid> {
    SignerAction::for_lambda(text).map(|_| ())
}

/// One statement of a profile's policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfilePermission {
    pub statement_id: String,
    pub action: String,
    pub principal: String,
    pub profile_version: Option<String>,
}

/// A profile's policy and its revision id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfilePermissions {
    pub permissions: Vec<ProfilePermission>,
    /// Empty when the profile has no policy yet.
    pub revision_id: String,
}

impl ProfilePermissions {
    pub fn statement(&self, statement_id: &str) -> Option<&ProfilePermission> {
        self.permissions
            .iter()
            .find(|p| p.statement_id == statement_id)
    }
}
