//! AWS SDK errors as [`BackendError`]s. The service's error code decides:
//! the SDK's typed error enums lag the services, so codes are read as
//! strings and anything unrecognised keeps its code and message.

use aws_sdk_signer::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use crate::backend::{BackendError, BackendResult, Subject};
use crate::domain::field::{FieldError, FieldPath};
use crate::domain::function::{DeployRejection, RejectionKind};

/// How a service's `ConflictException` is to be read in a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// A conflict with the object's state (`BackendError::Conflict`).
    State,
    /// Signer's permission calls: a stale revision id
    /// (`BackendError::StaleRevision`), which callers retry.
    StaleRevision,
}

/// Maps a failed call. `doing` names the call and its object, e.g.
/// `"signer:GetSigningProfile app"`.
/// A value AWS must send: an answer without it is an error naming the call
/// and the field, never an empty string stored or compared as if it were
/// an identifier.
pub fn required<'a>(value: Option<&'a str>, call: &str, field: &str) -> BackendResult<&'a str> {
    value
        .filter(|v| !v.is_empty())
        .ok_or_else(|| BackendError::Internal(format!("{call} answered without `{field}`")))
}

pub fn map<E, R>(doing: &str, conflict: Conflict, error: SdkError<E, R>) -> BackendError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match &error {
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or_default().to_string();
            let message = service.err().message().unwrap_or_default().to_string();
            if code.is_empty() && message.is_empty() {
                return BackendError::Internal(format!(
                    "{doing}: {} ({:?})",
                    DisplayErrorContext(&error),
                    service.raw()
                ));
            }
            match from_code(doing, conflict, &code, &message) {
                // An unknown code with a 5xx status: the service failed.
                BackendError::Internal(text)
                    if status_of(service.raw()).is_some_and(|s| s >= 500) =>
                {
                    BackendError::Unavailable(text)
                }
                // Otherwise the service's own refusal, not a fault here.
                BackendError::Internal(text) => BackendError::Service(text),
                mapped => mapped,
            }
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
            BackendError::Network(format!("{doing}: {}", DisplayErrorContext(&error)))
        }
        _ => BackendError::Internal(format!("{doing}: {}", DisplayErrorContext(&error))),
    }
}

/// The HTTP status of a raw answer, where the SDK's type carries one.
fn status_of<R: std::fmt::Debug + 'static>(raw: &R) -> Option<u16> {
    (raw as &dyn std::any::Any)
        .downcast_ref::<aws_smithy_runtime_api::http::Response>()
        .map(|r| r.status().as_u16())
}

/// The mapping by error code (exposed for tests).
pub fn from_code(doing: &str, conflict: Conflict, code: &str, message: &str) -> BackendError {
    let text = if message.is_empty() {
        format!("{doing}: {code}")
    } else {
        format!("{doing}: {message} ({code})")
    };
    match code {
        "ResourceNotFoundException"
        | "NotFoundException"
        | "NoSuchKey"
        | "NoSuchBucket"
        | "NoSuchVersion"
        | "NotFound" => BackendError::NotFound(Subject::Named(text)),
        // Signer answers a stale revision id with ConflictException; a
        // statement id already in use is a conflict to report, not to retry.
        "ConflictException" => match conflict {
            Conflict::StaleRevision if !message.to_ascii_lowercase().contains("already exist") => {
                BackendError::StaleRevision(text)
            }
            _ if message.to_ascii_lowercase().contains("already exist") => {
                BackendError::AlreadyExists {
                    subject: Subject::Named(doing.to_string()),
                    detail: text,
                }
            }
            _ => BackendError::Conflict(text),
        },
        "PreconditionFailedException" => BackendError::StaleRevision(text),
        "ResourceAlreadyExistsException" => BackendError::AlreadyExists {
            subject: Subject::Named(doing.to_string()),
            detail: text,
        },
        "ResourceConflictException" if message.to_ascii_lowercase().contains("already exist") => {
            BackendError::AlreadyExists {
                subject: Subject::Named(doing.to_string()),
                detail: text,
            }
        }
        "ResourceConflictException" | "ResourceInUseException" => BackendError::Conflict(text),
        "CodeSigningConfigNotFoundException" => {
            BackendError::NotFound(Subject::CodeSigningConfig(text))
        }
        "InvalidCodeSignatureException" => BackendError::Rejected(DeployRejection {
            kind: RejectionKind::InvalidSignature,
            message: text,
        }),
        "CodeVerificationFailedException" => BackendError::Rejected(DeployRejection {
            kind: RejectionKind::VerificationFailed,
            message: text,
        }),
        "ThrottlingException"
        | "TooManyRequestsException"
        | "Throttling"
        | "SlowDown"
        | "RequestLimitExceeded" => BackendError::Throttled(text),
        "AccessDeniedException" | "AccessDenied" | "Forbidden" | "UnauthorizedException" => {
            BackendError::AccessDenied(text)
        }
        "UnrecognizedClientException"
        | "InvalidClientTokenId"
        | "ExpiredToken"
        | "ExpiredTokenException"
        | "InvalidSignatureException"
        | "SignatureDoesNotMatch"
        | "InvalidAccessKeyId"
        | "IncompleteSignature"
        | "MissingAuthenticationTokenException"
        | "MissingAuthenticationToken" => BackendError::Credentials(text),
        "LimitExceededException"
        | "ServiceQuotaExceededException"
        | "CodeStorageExceededException"
        | "TooManyBuckets" => BackendError::LimitExceeded(text),
        "ServiceException"
        | "ServiceUnavailableException"
        | "ServiceUnavailable"
        | "InternalFailure"
        | "InternalError"
        | "InternalServerError"
        | "InternalServiceError"
        | "InternalServiceErrorException" => BackendError::Unavailable(text),
        "ValidationException"
        | "InvalidParameterValueException"
        | "InvalidRequestContentException"
        | "BadRequestException"
        | "InvalidRequest"
        | "InvalidArgument" => BackendError::InvalidInput(FieldError {
            field: FieldPath::root(),
            message: text,
        }),
        _ => BackendError::Internal(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_of_the_service_limits_and_credentials_are_told_apart() {
        let map = |code| from_code("x", Conflict::State, code, "m");
        for code in [
            "ServiceException",
            "InternalFailure",
            "ServiceUnavailable",
            "InternalError",
        ] {
            assert!(matches!(map(code), BackendError::Unavailable(_)), "{code}");
        }
        for code in [
            "LimitExceededException",
            "ServiceQuotaExceededException",
            "CodeStorageExceededException",
        ] {
            assert!(
                matches!(map(code), BackendError::LimitExceeded(_)),
                "{code}"
            );
        }
        for code in [
            "ExpiredToken",
            "ExpiredTokenException",
            "UnrecognizedClientException",
            "InvalidClientTokenId",
            "SignatureDoesNotMatch",
            "InvalidAccessKeyId",
        ] {
            assert!(matches!(map(code), BackendError::Credentials(_)), "{code}");
        }
        assert!(matches!(
            map("AccessDeniedException"),
            BackendError::AccessDenied(_)
        ));
        // Told apart by the status in `map`: 5xx Unavailable, else Service.
        assert!(matches!(map("SomethingNew"), BackendError::Internal(_)));
    }

    #[test]
    fn codes_map_to_what_resources_act_on() {
        let map = |code| from_code("x", Conflict::State, code, "m");
        assert!(matches!(
            map("ResourceNotFoundException"),
            BackendError::NotFound(_)
        ));
        assert!(matches!(
            map("ConflictException"),
            BackendError::Conflict(_)
        ));
        assert!(matches!(
            from_code("x", Conflict::StaleRevision, "ConflictException", "m"),
            BackendError::StaleRevision(_)
        ));
        assert!(matches!(
            from_code(
                "x",
                Conflict::StaleRevision,
                "ConflictException",
                "A statement with id s1 already exists"
            ),
            BackendError::AlreadyExists { .. }
        ));
        assert!(matches!(
            map("PreconditionFailedException"),
            BackendError::StaleRevision(_)
        ));
        assert!(matches!(
            map("ResourceInUseException"),
            BackendError::Conflict(_)
        ));
        assert!(matches!(
            map("TooManyRequestsException"),
            BackendError::Throttled(_)
        ));
        assert!(matches!(
            map("CodeVerificationFailedException"),
            BackendError::Rejected(DeployRejection {
                kind: RejectionKind::VerificationFailed,
                ..
            })
        ));
        assert!(matches!(
            map("InvalidCodeSignatureException"),
            BackendError::Rejected(DeployRejection {
                kind: RejectionKind::InvalidSignature,
                ..
            })
        ));
        assert!(matches!(
            from_code(
                "x",
                Conflict::State,
                "ResourceConflictException",
                "Function already exist: f"
            ),
            BackendError::AlreadyExists { .. }
        ));
        assert!(matches!(
            map("CodeSigningConfigNotFoundException"),
            BackendError::NotFound(Subject::CodeSigningConfig(_))
        ));
        assert!(matches!(
            map("AccessDeniedException"),
            BackendError::AccessDenied(_)
        ));
        assert!(
            matches!(map("SomethingNew"), BackendError::Internal(m) if m.contains("SomethingNew"))
        );
    }
}
