//! The handlers' log in the caller's CloudWatch Logs group. CloudFormation
//! names one (`requestData.providerLogGroupName`, from the type's
//! `LoggingConfig`) and passes credentials that may write to it
//! (`providerCredentials`, of the type's log role): each invocation's line
//! goes there, to the stream `<stack id>/<logical id>` (else
//! `<account>-<region>`; `:` written `__`), as AWS's own handler libraries
//! name it. The group and the stream are made when missing.
//!
//! The log never fails a request: a line that cannot be written is said on
//! stderr instead, which reaches the type's own log. Only the aws backend
//! writes it; the local one (offline) has no CloudWatch to write to.

use std::time::Duration;

use aws_sdk_cloudwatchlogs::config::retry::RetryConfig;
use aws_sdk_cloudwatchlogs::config::timeout::TimeoutConfig;
use aws_sdk_cloudwatchlogs::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_cloudwatchlogs::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use aws_sdk_cloudwatchlogs::Client;
use serde_json::Value;

/// How long one call to CloudWatch Logs may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);
/// How long writing one line may take (up to four calls) before the
/// handler answers anyway.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// Where one request's log goes, and as whom.
pub struct ProviderLog {
    client: Client,
    group: String,
    stream: String,
}

impl ProviderLog {
    /// The request's log destination, when it names a group and gives
    /// credentials for it. `endpoint` overrides AWS's (tests, `serve`).
    pub fn of(payload: &Value, endpoint: Option<&str>) -> Option<ProviderLog> {
        let data = payload.get("requestData")?;
        let group = text(data, "providerLogGroupName")?;
        let credentials = credentials(data.get("providerCredentials")?)?;
        // Hook requests carry no region: the function's own.
        let region = text(payload, "region")
            .map(str::to_string)
            .or_else(|| std::env::var("AWS_REGION").ok())?;
        let stream = match (text(payload, "stackId"), text(data, "logicalResourceId")) {
            (Some(stack), Some(logical)) => format!("{stack}/{logical}"),
            _ => format!(
                "{}-{region}",
                text(payload, "awsAccountId").unwrap_or("unknown")
            ),
        }
        .replace(':', "__");
        let mut config = aws_sdk_cloudwatchlogs::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region))
            .credentials_provider(credentials)
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_timeout(CALL_TIMEOUT)
                    .build(),
            )
            .retry_config(RetryConfig::standard().with_max_attempts(2));
        if let Some(endpoint) = endpoint {
            config = config.endpoint_url(endpoint);
        }
        Some(ProviderLog {
            client: Client::from_conf(config.build()),
            group: group.to_string(),
            stream,
        })
    }

    /// Writes `line`, or says on stderr why it could not.
    pub async fn write(&self, line: &str) {
        let failure = match tokio::time::timeout(WRITE_TIMEOUT, self.put(line)).await {
            Ok(Ok(())) => return,
            Ok(Err(e)) => e,
            Err(_) => format!("no answer within {} s", WRITE_TIMEOUT.as_secs()),
        };
        eprintln!(
            "lambdasign cfn: not written to log group {} (stream {}): {failure}",
            self.group, self.stream
        );
    }

    async fn put(&self, line: &str) -> Result<(), String> {
        let group_missing = match self.put_event(line).await {
            Ok(()) => return Ok(()),
            Err(PutFailure::NoGroup) => true,
            Err(PutFailure::NoStream) => false,
            Err(PutFailure::Other(e)) => return Err(e),
        };
        if group_missing {
            let sent = self
                .client
                .create_log_group()
                .log_group_name(&self.group)
                .send()
                .await;
            made("CreateLogGroup", sent.map(drop))?;
        }
        let sent = self
            .client
            .create_log_stream()
            .log_group_name(&self.group)
            .log_stream_name(&self.stream)
            .send()
            .await;
        made("CreateLogStream", sent.map(drop))?;
        match self.put_event(line).await {
            Ok(()) => Ok(()),
            Err(PutFailure::Other(e)) => Err(e),
            Err(_) => Err("PutLogEvents: the group or stream is still missing".into()),
        }
    }

    async fn put_event(&self, line: &str) -> Result<(), PutFailure> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        let event = InputLogEvent::builder()
            .timestamp(now)
            .message(line)
            .build()
            .map_err(|e| PutFailure::Other(e.to_string()))?;
        let sent = self
            .client
            .put_log_events()
            .log_group_name(&self.group)
            .log_stream_name(&self.stream)
            .log_events(event)
            .send()
            .await;
        match sent.map_err(|e| e.into_service_error()) {
            Ok(_) => Ok(()),
            Err(e) if e.is_resource_not_found_exception() => {
                let message = e.message().unwrap_or_default().to_ascii_lowercase();
                Err(if message.contains("group") {
                    PutFailure::NoGroup
                } else {
                    PutFailure::NoStream
                })
            }
            Err(e) => Err(PutFailure::Other(format!(
                "PutLogEvents: {}",
                DisplayErrorContext(&e)
            ))),
        }
    }
}

/// A call that makes a group or stream: one that already exists (another
/// invocation made it) is as good.
fn made<E, R>(call: &str, sent: Result<(), SdkError<E, R>>) -> Result<(), String>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match sent {
        Err(e) if e.code() != Some("ResourceAlreadyExistsException") => {
            Err(format!("{call}: {}", DisplayErrorContext(&e)))
        }
        _ => Ok(()),
    }
}

/// Why a line was not put.
enum PutFailure {
    NoGroup,
    NoStream,
    Other(String),
}

/// A non-empty string field.
fn text<'a>(object: &'a Value, key: &str) -> Option<&'a str> {
    object.get(key)?.as_str().filter(|s| !s.is_empty())
}

/// `providerCredentials`: an object, or (in hook requests) a JSON string
/// of one.
fn credentials(value: &Value) -> Option<Credentials> {
    let parsed;
    let object = match value {
        Value::String(json) => {
            parsed = serde_json::from_str::<Value>(json).ok()?;
            &parsed
        }
        other => other,
    };
    Some(Credentials::new(
        text(object, "accessKeyId")?,
        text(object, "secretAccessKey")?,
        text(object, "sessionToken").map(str::to_string),
        None,
        "cloudformation-provider-credentials",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_stream_is_named_as_aws_handler_libraries_name_it() {
        let payload = json!({"region": "us-east-1", "awsAccountId": "123456789012",
            "stackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/app/1",
            "requestData": {"providerLogGroupName": "lambdasign", "logicalResourceId": "Signer",
                            "providerCredentials": {"accessKeyId": "A", "secretAccessKey": "S"}}});
        let log = ProviderLog::of(&payload, None).expect("a destination");
        assert_eq!(log.group, "lambdasign");
        assert_eq!(
            log.stream,
            "arn__aws__cloudformation__us-east-1__123456789012__stack/app/1/Signer"
        );
    }

    #[test]
    fn no_group_or_no_credentials_is_no_log() {
        let base = json!({"region": "us-east-1", "requestData": {"providerLogGroupName": "g"}});
        assert!(ProviderLog::of(&base, None).is_none(), "no credentials");
        let mut hook = base.clone();
        hook["requestData"]["providerCredentials"] =
            json!(r#"{"accessKeyId":"A","secretAccessKey":"S","sessionToken":"T"}"#);
        let log = ProviderLog::of(&hook, None).expect("credentials as a JSON string");
        assert_eq!(log.stream, "unknown-us-east-1");
        let mut empty = hook;
        empty["requestData"]["providerLogGroupName"] = json!("");
        assert!(ProviderLog::of(&empty, None).is_none(), "an empty group");
    }
}
