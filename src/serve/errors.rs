//! Every failure as its service's own error: the status, the code clients
//! read (`x-amzn-ErrorType` for Signer and Lambda, `<Code>` for S3 and
//! STS), and a message naming the field in the service's own spelling.
//! This is the one place `serve` maps backend, engine and store errors.

use super::chunked::BodyError;
use super::http::{xml_escape, Response};
use super::routes::Service;
use crate::backend::local::objects::ObjectError;
use crate::backend::{BackendError, Subject};
use crate::domain::field::{FieldPath, Step};
use crate::domain::function::RejectionKind;
use crate::engine::function::FunctionError;
use crate::engine::{EngineError, ErrorKind};

/// An error response, before it is rendered in its service's shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub service: Service,
    pub status: u16,
    pub code: String,
    pub message: String,
    /// S3: extra `<Error>` children (`Key`, `BucketName`, `VersionId`).
    pub details: Vec<(&'static str, String)>,
    pub headers: Vec<(&'static str, String)>,
}

impl ApiError {
    pub fn new(service: Service, status: u16, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            service,
            status,
            code: code.to_string(),
            message: message.into(),
            details: Vec::new(),
            headers: Vec::new(),
        }
    }

    fn detail(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.details.push((name, value.into()));
        self
    }

    fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// A bad value of `field` (as the service spells it).
    pub fn invalid(service: Service, field: &str, message: impl std::fmt::Display) -> Self {
        let message = format!("{field}: {message}");
        match service {
            Service::Signer => ApiError::new(service, 400, "ValidationException", message),
            Service::Lambda => {
                ApiError::new(service, 400, "InvalidParameterValueException", message)
            }
            Service::S3 => ApiError::new(service, 400, "InvalidArgument", message)
                .detail("ArgumentName", field.to_string()),
            Service::Sts => ApiError::new(service, 400, "ValidationError", message),
        }
    }

    /// A required member that is missing.
    pub fn missing(service: Service, field: &str) -> Self {
        ApiError::invalid(service, field, "is required")
    }

    /// An operation of the model that `serve` does not emulate.
    pub fn not_emulated(service: Service, operation: &str) -> Self {
        ApiError::new(
            service,
            501,
            "NotImplemented",
            format!(
                "lambdasign serve does not emulate {} {operation}; see docs/serve.md for what it emulates",
                service.display_name()
            ),
        )
    }

    /// A request whose signature `serve --credentials` refused, as each
    /// service names it.
    pub fn unauthenticated(service: Service, refused: &super::auth::Refused) -> Self {
        use super::auth::Refused as R;
        let message = refused.to_string();
        let (status, code) = match (service, refused) {
            (_, R::SignatureV2) => (400, "InvalidRequest"),
            (Service::S3, R::Missing) => (403, "AccessDenied"),
            (Service::S3, R::UnknownKey(_)) => (403, "InvalidAccessKeyId"),
            (Service::S3, R::Malformed(_)) => (400, "AuthorizationHeaderMalformed"),
            (Service::S3, R::Expired(_)) => (403, "AccessDenied"),
            (Service::S3, R::ContentHash) => (400, "XAmzContentSHA256Mismatch"),
            (Service::S3, R::Mismatch | R::ChunkMismatch(_)) => (403, "SignatureDoesNotMatch"),
            (Service::Sts, R::Missing) => (403, "MissingAuthenticationToken"),
            (Service::Sts, R::UnknownKey(_)) => (403, "InvalidClientTokenId"),
            (Service::Sts, _) => (403, "SignatureDoesNotMatch"),
            (_, R::Missing) => (403, "MissingAuthenticationTokenException"),
            (_, R::UnknownKey(_)) => (403, "UnrecognizedClientException"),
            (_, _) => (403, "InvalidSignatureException"),
        };
        ApiError::new(service, status, code, message)
    }

    /// A request that is no operation of the service at all.
    pub fn unknown_operation(service: Service, method: &str, path: &str) -> Self {
        let (status, code) = match service {
            Service::Sts => (400, "InvalidAction"),
            Service::S3 => (405, "MethodNotAllowed"),
            _ => (404, "UnknownOperationException"),
        };
        ApiError::new(
            service,
            status,
            code,
            format!(
                "{method} {path} is not an operation of {}",
                service.display_name()
            ),
        )
    }

    /// The response in the service's shape.
    pub fn into_response(self, request_id: &str) -> Response {
        let mut response = match self.service {
            Service::Signer => Response::json(
                self.status,
                &serde_json::json!({ "message": self.message }),
            )
            .header("x-amzn-ErrorType", self.code.clone())
            .header("x-amzn-RequestId", request_id),
            Service::Lambda => {
                let message_key = match self.code.as_str() {
                    "InvalidCodeSignatureException"
                    | "CodeVerificationFailedException"
                    | "CodeSigningConfigNotFoundException"
                    | "ResourceNotFoundException"
                    | "ServiceException"
                    | "AccessDeniedException" => "Message",
                    _ => "message",
                };
                let kind = if self.status >= 500 { "Service" } else { "User" };
                let mut body = serde_json::Map::new();
                body.insert("Type".into(), kind.into());
                body.insert(message_key.into(), self.message.clone().into());
                Response::json(self.status, &serde_json::Value::Object(body))
                    .header("x-amzn-ErrorType", self.code.clone())
                    .header("x-amzn-RequestId", request_id)
            }
            Service::S3 => {
                let details: String = self
                    .details
                    .iter()
                    .map(|(k, v)| format!("<{k}>{}</{k}>", xml_escape(v)))
                    .collect();
                Response::xml(
                    self.status,
                    format!(
                        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message>{details}<RequestId>{request_id}</RequestId><HostId>{request_id}</HostId></Error>",
                        xml_escape(&self.code),
                        xml_escape(&self.message)
                    ),
                )
                .header("x-amz-request-id", request_id)
                .header("x-amz-id-2", request_id)
            }
            Service::Sts => Response::xml(
                self.status,
                format!(
                    "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
                    xml_escape(&self.code),
                    xml_escape(&self.message)
                ),
            ),
        };
        for (name, value) in self.headers {
            response = response.header(name, value);
        }
        response
    }
}

// --- field names ------------------------------------------------------------------

fn camel(snake: &str, upper_first: bool) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = upper_first;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// A backend field as the service's wire member (`name` is Signer's
/// `profileName`, `allowed_publishers[2]` Lambda's
/// `AllowedPublishers.SigningProfileVersionArns[2]`).
pub fn wire_field(service: Service, field: &FieldPath) -> String {
    let mut out = String::new();
    for (i, step) in field.steps().iter().enumerate() {
        match step {
            Step::Field(name) => {
                let member = member(service, name);
                if i > 0 {
                    out.push('.');
                }
                out.push_str(&member);
            }
            Step::Index(index) => out.push_str(&format!("[{index}]")),
            Step::Key(key) => out.push_str(&format!("[{key:?}]")),
        }
    }
    out
}

fn member(service: Service, name: &str) -> String {
    match (service, name) {
        (Service::Signer, "name") => "profileName".into(),
        (Service::Signer, "signature_validity") => "signatureValidityPeriod".into(),
        (Service::Signer, "source_file" | "signed_object") => "source".into(),
        (Service::Signer, "certificate_arn") => "signingMaterial.certificateArn".into(),
        (Service::Signer, other) => camel(other, false),
        (Service::Lambda, "allowed_publishers") => {
            "AllowedPublishers.SigningProfileVersionArns".into()
        }
        (Service::Lambda, "arn") => "CodeSigningConfigArn".into(),
        (Service::Lambda, "signed_file" | "signed_object") => "Code".into(),
        (Service::Lambda, "layer_version_arn") => "Layers".into(),
        (Service::Lambda, "resource_arn") => "Resource".into(),
        (Service::Lambda, "version") => "VersionNumber".into(),
        (Service::Lambda, other) => camel(other, true),
        (_, other) => camel(other, true),
    }
}

fn field_message(service: Service, field: &FieldPath, message: &str) -> String {
    if field.is_root() {
        message.to_string()
    } else {
        format!("{}: {message}", wire_field(service, field))
    }
}

// --- Signer --------------------------------------------------------------------------

/// A backend failure in a Signer operation.
pub fn signer(e: BackendError) -> ApiError {
    let s = Service::Signer;
    match e {
        BackendError::InvalidInput(f) => ApiError::new(
            s,
            400,
            "ValidationException",
            field_message(s, &f.field, &f.message),
        ),
        e @ BackendError::NotFound(_) => {
            ApiError::new(s, 404, "ResourceNotFoundException", e.to_string())
        }
        e @ (BackendError::AlreadyExists { .. }
        | BackendError::Conflict(_)
        | BackendError::StaleRevision(_)
        | BackendError::InUse { .. }) => ApiError::new(s, 409, "ConflictException", e.to_string()),
        e @ BackendError::AccessDenied(_) => {
            ApiError::new(s, 403, "AccessDeniedException", e.to_string())
        }
        e @ BackendError::Throttled(_) => {
            ApiError::new(s, 429, "TooManyRequestsException", e.to_string())
        }
        e @ BackendError::LimitExceeded(_) => {
            ApiError::new(s, 402, "ServiceLimitExceededException", e.to_string())
        }
        e @ BackendError::Credentials(_) => {
            ApiError::new(s, 403, "UnrecognizedClientException", e.to_string())
        }
        e @ (BackendError::JobFailed(_)
        | BackendError::Rejected(_)
        | BackendError::NoStore(_)
        | BackendError::Unavailable(_)
        | BackendError::Network(_)
        | BackendError::Service(_)
        | BackendError::Internal(_)) => {
            ApiError::new(s, 500, "InternalServiceErrorException", e.to_string())
        }
    }
}

/// A backend failure in Signer's tag operations (their own error shapes).
pub fn signer_tags(e: BackendError) -> ApiError {
    let s = Service::Signer;
    match e {
        BackendError::InvalidInput(f) => ApiError::new(
            s,
            400,
            "BadRequestException",
            field_message(s, &f.field, &f.message),
        ),
        e @ BackendError::NotFound(_) => ApiError::new(s, 404, "NotFoundException", e.to_string()),
        e @ BackendError::AccessDenied(_) => {
            ApiError::new(s, 400, "BadRequestException", e.to_string())
        }
        other => signer(other),
    }
}

// --- Lambda --------------------------------------------------------------------------

/// A backend failure in a Lambda operation. In a function's operations a
/// missing code signing config is CodeSigningConfigNotFoundException.
pub fn lambda(e: BackendError, function_operation: bool) -> ApiError {
    let s = Service::Lambda;
    match e {
        BackendError::InvalidInput(f) => ApiError::new(
            s,
            400,
            "InvalidParameterValueException",
            field_message(s, &f.field, &f.message),
        ),
        BackendError::NotFound(Subject::Function(arn)) => ApiError::new(
            s,
            404,
            "ResourceNotFoundException",
            format!("Function not found: {arn}"),
        ),
        e @ BackendError::NotFound(Subject::CodeSigningConfig(_)) if function_operation => {
            ApiError::new(s, 404, "CodeSigningConfigNotFoundException", e.to_string())
        }
        e @ BackendError::NotFound(_) => {
            ApiError::new(s, 404, "ResourceNotFoundException", e.to_string())
        }
        e @ (BackendError::AlreadyExists { .. }
        | BackendError::Conflict(_)
        | BackendError::InUse { .. }) => {
            ApiError::new(s, 409, "ResourceConflictException", e.to_string())
        }
        e @ BackendError::StaleRevision(_) => {
            ApiError::new(s, 412, "PreconditionFailedException", e.to_string())
        }
        e @ BackendError::AccessDenied(_) => {
            ApiError::new(s, 403, "AccessDeniedException", e.to_string())
        }
        e @ BackendError::Throttled(_) => {
            ApiError::new(s, 429, "TooManyRequestsException", e.to_string())
        }
        BackendError::Rejected(r) => rejection(r.kind, r.message),
        e @ BackendError::LimitExceeded(_) => {
            ApiError::new(s, 400, "CodeStorageExceededException", e.to_string())
        }
        e @ BackendError::Credentials(_) => {
            ApiError::new(s, 403, "UnrecognizedClientException", e.to_string())
        }
        e @ (BackendError::JobFailed(_)
        | BackendError::NoStore(_)
        | BackendError::Unavailable(_)
        | BackendError::Network(_)
        | BackendError::Service(_)
        | BackendError::Internal(_)) => ApiError::new(s, 500, "ServiceException", e.to_string()),
    }
}

fn rejection(kind: RejectionKind, message: String) -> ApiError {
    let code = match kind {
        RejectionKind::InvalidSignature => "InvalidCodeSignatureException",
        RejectionKind::VerificationFailed => "CodeVerificationFailedException",
    };
    ApiError::new(Service::Lambda, 400, code, message)
}

/// An engine failure in a Lambda operation.
pub fn lambda_engine(e: EngineError) -> ApiError {
    let s = Service::Lambda;
    let message = match &e.field {
        Some(field) => field_message(s, field, &e.message),
        None => e.message.clone(),
    };
    let (status, code) = match e.kind {
        ErrorKind::InvalidInput => (400, "InvalidParameterValueException"),
        ErrorKind::NotFound => (404, "ResourceNotFoundException"),
        ErrorKind::AlreadyExists | ErrorKind::Conflict | ErrorKind::InUse => {
            (409, "ResourceConflictException")
        }
        ErrorKind::AccessDenied => (403, "AccessDeniedException"),
        ErrorKind::Throttled => (429, "TooManyRequestsException"),
        ErrorKind::Rejected => (400, "CodeVerificationFailedException"),
        ErrorKind::LimitExceeded => (400, "CodeStorageExceededException"),
        ErrorKind::InvalidCredentials => (403, "UnrecognizedClientException"),
        ErrorKind::JobFailed
        | ErrorKind::NotStabilized
        | ErrorKind::ServiceUnavailable
        | ErrorKind::Network
        | ErrorKind::ServiceError
        | ErrorKind::Internal => (500, "ServiceException"),
    };
    ApiError::new(s, status, code, message)
}

/// A function use case's failure: Lambda's refusal, or what failed.
pub fn function(e: FunctionError) -> ApiError {
    match e {
        FunctionError::Rejected(r) => rejection(r.kind, r.message),
        FunctionError::Backend(e) => lambda(e, true),
        FunctionError::Engine(e) => lambda_engine(e),
    }
}

// --- S3 ---------------------------------------------------------------------------------

/// An emulated-S3 failure.
pub fn s3(e: ObjectError) -> ApiError {
    let s = Service::S3;
    match e {
        ObjectError::NoSuchBucket(bucket) => ApiError::new(
            s,
            404,
            "NoSuchBucket",
            "The specified bucket does not exist",
        )
        .detail("BucketName", bucket),
        ObjectError::NoSuchKey {
            key, delete_marker, ..
        } => {
            let e = ApiError::new(s, 404, "NoSuchKey", "The specified key does not exist.")
                .detail("Key", key);
            if delete_marker {
                e.with_header("x-amz-delete-marker", "true")
            } else {
                e
            }
        }
        ObjectError::NoSuchVersion { key, version } => ApiError::new(
            s,
            404,
            "NoSuchVersion",
            "The specified version does not exist.",
        )
        .detail("Key", key)
        .detail("VersionId", version),
        e @ ObjectError::DeleteMarker { .. } => {
            ApiError::new(s, 405, "MethodNotAllowed", e.to_string())
                .with_header("x-amz-delete-marker", "true")
        }
        e @ ObjectError::BucketAlreadyOwnedByYou(_) => {
            ApiError::new(s, 409, "BucketAlreadyOwnedByYou", e.to_string())
        }
        e @ ObjectError::BucketAlreadyExists(_) => {
            ApiError::new(s, 409, "BucketAlreadyExists", e.to_string())
        }
        ObjectError::InvalidBucketName(message) => {
            ApiError::new(s, 400, "InvalidBucketName", message)
        }
        ObjectError::InvalidArgument { field, message } => ApiError::invalid(s, field, message),
        e @ ObjectError::BucketNotEmpty(_) => ApiError::new(s, 409, "BucketNotEmpty", e.to_string()),
        e @ ObjectError::NotBucketOwner(_) => ApiError::new(s, 403, "AccessDenied", e.to_string()),
        ObjectError::NoSuchUpload(upload) => ApiError::new(
            s,
            404,
            "NoSuchUpload",
            "The specified multipart upload does not exist. The upload ID might be invalid, or the multipart upload might have been aborted or completed.",
        )
        .detail("UploadId", upload),
        ObjectError::InvalidPart(message) => ApiError::new(s, 400, "InvalidPart", message),
        e @ ObjectError::InvalidPartOrder => ApiError::new(s, 400, "InvalidPartOrder", e.to_string()),
        e @ ObjectError::EntityTooSmall { .. } => {
            ApiError::new(s, 400, "EntityTooSmall", e.to_string())
        }
        ObjectError::Store(BackendError::InvalidInput(f)) => {
            ApiError::new(s, 400, "InvalidArgument", f.to_string())
        }
        ObjectError::Store(e) => ApiError::new(s, 500, "InternalError", e.to_string()),
    }
}

/// A body S3 cannot store.
pub fn s3_body(e: BodyError) -> ApiError {
    let (status, code) = match &e {
        BodyError::Malformed(_) | BodyError::Length { .. } => (400, "IncompleteBody"),
        BodyError::Checksum { .. } => (400, "BadDigest"),
        BodyError::Signature(refused) => {
            return ApiError::unauthenticated(Service::S3, refused);
        }
        BodyError::Io(_) => (500, "InternalError"),
    };
    ApiError::new(Service::S3, status, code, e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_spelled_as_each_service_spells_them() {
        let publisher = FieldPath::field("allowed_publishers").index(2);
        assert_eq!(
            wire_field(Service::Lambda, &publisher),
            "AllowedPublishers.SigningProfileVersionArns[2]"
        );
        assert_eq!(
            wire_field(Service::Signer, &FieldPath::field("name")),
            "profileName"
        );
        assert_eq!(
            wire_field(Service::Signer, &FieldPath::field("client_request_token")),
            "clientRequestToken"
        );
        assert_eq!(
            wire_field(Service::Lambda, &FieldPath::field("memory_size")),
            "MemorySize"
        );
        assert_eq!(
            wire_field(Service::Lambda, &FieldPath::field("layers").index(1)),
            "Layers[1]"
        );
    }

    #[test]
    fn each_service_gets_its_own_error_shape() {
        let lambda = ApiError::new(Service::Lambda, 404, "ResourceNotFoundException", "gone")
            .into_response("rid");
        assert_eq!(lambda.status, 404);
        let body: serde_json::Value = serde_json::from_slice(&lambda.body).expect("json");
        assert_eq!(body, serde_json::json!({"Type": "User", "Message": "gone"}));
        assert!(lambda.headers.contains(&(
            "x-amzn-ErrorType".into(),
            "ResourceNotFoundException".into()
        )));
        let conflict = ApiError::new(Service::Lambda, 409, "ResourceConflictException", "x")
            .into_response("rid");
        let body: serde_json::Value = serde_json::from_slice(&conflict.body).expect("json");
        assert_eq!(body["message"], "x");
        let s3 = s3(ObjectError::NoSuchKey {
            bucket: "b".into(),
            key: "k&".into(),
            delete_marker: true,
        })
        .into_response("rid");
        let text = String::from_utf8_lossy(&s3.body).into_owned();
        assert!(
            text.contains("<Code>NoSuchKey</Code>") && text.contains("<Key>k&amp;</Key>"),
            "{text}"
        );
        assert!(s3
            .headers
            .contains(&("x-amz-delete-marker".into(), "true".into())));
        let signer = signer(BackendError::invalid("name", "bad")).into_response("rid");
        let body: serde_json::Value = serde_json::from_slice(&signer.body).expect("json");
        assert_eq!(body["message"], "profileName: bad");
    }
}
