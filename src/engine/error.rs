//! What an engine use case can fail with: a kind every front end maps once
//! (a Terraform diagnostic, a CloudFormation HandlerErrorCode, an AWS error
//! shape, a CLI exit code), the field it is about when there is one, and a
//! sentence for the user.

use std::fmt;

use crate::backend::BackendError;
use crate::domain::field::{FieldError, FieldPath};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The input breaks a rule; `field` says where.
    InvalidInput,
    /// The object does not exist (or is not visible to this account).
    NotFound,
    /// The object exists, or its name was used before and cannot be reused.
    AlreadyExists,
    /// The change conflicts with the object's state, or another writer kept
    /// winning a read-modify-write race.
    Conflict,
    /// This account may not do that.
    AccessDenied,
    /// The object is still used; the message names the users.
    InUse,
    /// The signing job failed.
    JobFailed,
    /// Lambda's checks would reject the artifact.
    Rejected,
    /// The service asked to slow down.
    Throttled,
    /// The service failed (5xx); another try later may succeed.
    ServiceUnavailable,
    /// No answer from the service (network, timeout).
    Network,
    /// An account limit or quota is reached.
    LimitExceeded,
    /// The credentials were refused (unknown, expired, wrong secret).
    InvalidCredentials,
    /// An operation did not finish in time; it may still finish.
    NotStabilized,
    /// The service refused with an error this provider does not know.
    ServiceError,
    /// Anything else: I/O, the store, the network, the service.
    Internal,
}

/// An engine failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineError {
    pub kind: ErrorKind,
    pub field: Option<FieldPath>,
    pub message: String,
}

impl EngineError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        EngineError {
            kind,
            field: None,
            message: message.into(),
        }
    }

    pub fn invalid(field: impl Into<FieldPath>, message: impl Into<String>) -> Self {
        EngineError {
            kind: ErrorKind::InvalidInput,
            field: Some(field.into()),
            message: message.into(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    /// The same error, about `field` (unless it already names one).
    pub fn at(mut self, field: impl Into<FieldPath>) -> Self {
        if self.field.is_none() {
            self.field = Some(field.into());
        }
        self
    }

    /// Says what was being done when it failed.
    pub fn doing(mut self, what: impl fmt::Display) -> Self {
        self.message = format!("{what}: {}", self.message);
        self
    }

    pub fn is_not_found(&self) -> bool {
        self.kind == ErrorKind::NotFound
    }
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) if !field.is_root() => write!(f, "{field}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for EngineError {}

impl From<FieldError> for EngineError {
    fn from(e: FieldError) -> Self {
        EngineError {
            kind: ErrorKind::InvalidInput,
            field: Some(e.field).filter(|f| !f.is_root()),
            message: e.message,
        }
    }
}

impl From<BackendError> for EngineError {
    fn from(e: BackendError) -> Self {
        let kind = match &e {
            BackendError::NotFound(_) => ErrorKind::NotFound,
            BackendError::AlreadyExists { .. } => ErrorKind::AlreadyExists,
            BackendError::Conflict(_) | BackendError::StaleRevision(_) => ErrorKind::Conflict,
            BackendError::InvalidInput(field_error) => {
                return EngineError::from(field_error.clone());
            }
            BackendError::AccessDenied(_) => ErrorKind::AccessDenied,
            BackendError::InUse { .. } => ErrorKind::InUse,
            BackendError::JobFailed(_) => ErrorKind::JobFailed,
            BackendError::Rejected(_) => ErrorKind::Rejected,
            BackendError::Throttled(_) => ErrorKind::Throttled,
            BackendError::Unavailable(_) => ErrorKind::ServiceUnavailable,
            BackendError::Network(_) => ErrorKind::Network,
            BackendError::LimitExceeded(_) => ErrorKind::LimitExceeded,
            BackendError::Credentials(_) => ErrorKind::InvalidCredentials,
            BackendError::Service(_) => ErrorKind::ServiceError,
            BackendError::NoStore(_) => ErrorKind::Internal,
            BackendError::Internal(_) => ErrorKind::Internal,
        };
        EngineError::new(kind, e.to_string())
    }
}

pub type EngineResult<T> = Result<T, EngineError>;

/// A use case that made something before it failed: what exists now must
/// still be recorded (Terraform state, a CloudFormation model), so nothing
/// is orphaned.
#[derive(Debug, Clone, PartialEq)]
pub struct Failed<T> {
    pub made: Option<T>,
    pub error: EngineError,
}

impl<T> From<EngineError> for Failed<T> {
    fn from(error: EngineError) -> Self {
        Failed { made: None, error }
    }
}

impl<T> From<BackendError> for Failed<T> {
    fn from(error: BackendError) -> Self {
        Failed {
            made: None,
            error: error.into(),
        }
    }
}
