//! The engine's words in CloudFormation's: an engine error becomes one
//! FAILED event with a HandlerErrorCode and a message naming the property
//! (in PascalCase); a plan's error findings refuse a request before anything
//! is made. This is the only place the CloudFormation front end maps them.

use super::model::Naming;
use super::protocol::{HandlerErrorCode, ProgressEvent};
use crate::engine::{EngineError, ErrorKind, Report, Severity};

/// The HandlerErrorCode for an engine error kind.
pub fn error_code(kind: ErrorKind) -> HandlerErrorCode {
    match kind {
        ErrorKind::InvalidInput => HandlerErrorCode::InvalidRequest,
        ErrorKind::NotFound => HandlerErrorCode::NotFound,
        ErrorKind::AlreadyExists => HandlerErrorCode::AlreadyExists,
        ErrorKind::Conflict | ErrorKind::InUse => HandlerErrorCode::ResourceConflict,
        ErrorKind::AccessDenied => HandlerErrorCode::AccessDenied,
        // What was asked for would not pass Lambda's checks.
        ErrorKind::Rejected => HandlerErrorCode::InvalidRequest,
        // The service said no, in words that map to nothing above.
        ErrorKind::JobFailed | ErrorKind::ServiceError => HandlerErrorCode::GeneralServiceException,
        ErrorKind::Throttled => HandlerErrorCode::Throttling,
        // CloudFormation retries these: a failing service, a lost
        // connection; a limit and refused credentials are the caller's.
        ErrorKind::ServiceUnavailable => HandlerErrorCode::ServiceInternalError,
        ErrorKind::Network => HandlerErrorCode::NetworkFailure,
        ErrorKind::LimitExceeded => HandlerErrorCode::ServiceLimitExceeded,
        ErrorKind::InvalidCredentials => HandlerErrorCode::InvalidCredentials,
        ErrorKind::NotStabilized => HandlerErrorCode::NotStabilized,
        ErrorKind::Internal => HandlerErrorCode::InternalFailure,
    }
}

/// Why a request could not get an engine (credentials are their own code).
pub fn connect_error_code(e: &super::target::ConnectError) -> HandlerErrorCode {
    match e {
        super::target::ConnectError::Credentials(_) => HandlerErrorCode::InvalidCredentials,
        super::target::ConnectError::Engine(e) => error_code(e.kind),
    }
}

/// The message of an error: the property path first, when there is one.
pub fn message(e: &EngineError, naming: &Naming) -> String {
    match &e.field {
        Some(field) if !field.is_root() => format!("{}: {}", naming.path(field), e.message),
        _ => e.message.clone(),
    }
}

/// An engine error as a FAILED event.
pub fn failed(e: &EngineError, naming: &Naming) -> ProgressEvent {
    ProgressEvent::failed(error_code(e.kind), message(e, naming))
}

/// Several invalid-input errors as one InvalidRequest (every property named).
pub fn invalid(errors: &[EngineError], naming: &Naming) -> ProgressEvent {
    let text = errors
        .iter()
        .map(|e| message(e, naming))
        .collect::<Vec<_>>()
        .join("; ");
    ProgressEvent::failed(HandlerErrorCode::InvalidRequest, text)
}

/// The error findings of a plan as one invalid-input error (at the first
/// finding's field), and its warnings as text.
pub fn refuse(report: Report) -> Result<Vec<String>, EngineError> {
    let (errors, warnings): (Vec<_>, Vec<_>) = report
        .into_iter()
        .partition(|f| f.severity == Severity::Error);
    let warnings = warnings
        .into_iter()
        .map(|f| format!("{}: {}", f.summary, f.detail))
        .collect();
    let Some(first) = errors.first() else {
        return Ok(warnings);
    };
    let message = errors
        .iter()
        .map(|f| format!("{}: {}", f.summary, f.detail))
        .collect::<Vec<_>>()
        .join("; ");
    Err(EngineError {
        kind: ErrorKind::InvalidInput,
        field: first.field.clone(),
        message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::field::FieldPath;

    #[test]
    fn every_engine_error_kind_has_its_handler_error_code() {
        let cases = [
            (ErrorKind::InvalidInput, "InvalidRequest"),
            (ErrorKind::NotFound, "NotFound"),
            (ErrorKind::AlreadyExists, "AlreadyExists"),
            (ErrorKind::Conflict, "ResourceConflict"),
            (ErrorKind::InUse, "ResourceConflict"),
            (ErrorKind::AccessDenied, "AccessDenied"),
            (ErrorKind::Rejected, "InvalidRequest"),
            (ErrorKind::JobFailed, "GeneralServiceException"),
            (ErrorKind::ServiceError, "GeneralServiceException"),
            (ErrorKind::Throttled, "Throttling"),
            (ErrorKind::ServiceUnavailable, "ServiceInternalError"),
            (ErrorKind::Network, "NetworkFailure"),
            (ErrorKind::LimitExceeded, "ServiceLimitExceeded"),
            (ErrorKind::InvalidCredentials, "InvalidCredentials"),
            (ErrorKind::NotStabilized, "NotStabilized"),
            (ErrorKind::Internal, "InternalFailure"),
        ];
        for (kind, code) in cases {
            assert_eq!(
                serde_json::to_value(error_code(kind)).unwrap(),
                serde_json::Value::String(code.into()),
                "{kind:?}"
            );
        }
    }

    #[test]
    fn invalid_input_names_the_property_in_pascal_case() {
        let naming = Naming {
            renames: &[("source_object", "Source")],
        };
        let e = EngineError::invalid(
            FieldPath::field("source_object").then("bucket"),
            "must not be empty",
        );
        let event = serde_json::to_value(failed(&e, &naming)).unwrap();
        assert_eq!(event["errorCode"], "InvalidRequest");
        assert_eq!(event["message"], "Source.Bucket: must not be empty");
    }

    #[test]
    fn plan_errors_refuse_and_warnings_pass() {
        let mut report = Report::new();
        report.warning(None, "Heads up", "detail");
        assert_eq!(refuse(report.clone()).unwrap(), vec!["Heads up: detail"]);
        report.error(
            Some(FieldPath::field("profile_name")),
            "Signing profile not found",
            "x",
        );
        let e = refuse(report).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidInput);
        assert_eq!(e.field, Some(FieldPath::field("profile_name")));
    }
}
