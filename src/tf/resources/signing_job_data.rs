//! `data "lambdasign_signing_job"`: a signing job by id, with the AWS
//! provider's attributes and, given a code signing config, the checks'
//! view of its signature.

use async_trait::async_trait;
use chrono::Utc;

use crate::domain::arn::ProfileVersionArn;
use crate::domain::job::ObjectLocation;
use crate::domain::names;
use crate::domain::time::{format_time, parse_time};
use crate::engine::rules::FieldRule;
use crate::engine::{signed_artifact, Engine};
use crate::tf::convert;
use crate::tf::plugin::cty::{Type, Value};
use crate::tf::plugin::diagnostics::Diagnostics;
use crate::tf::plugin::framework::{DataSource, DataSourceResponse};
use crate::tf::plugin::schema::{Attribute, Schema};
use crate::tf::resources::verification::{check_type, checks_value};
use crate::tf::values::{opt_text, set, text, Object};

pub struct SigningJobDataSource;

const JOB_ID: &str = "job_id";
const CODE_SIGNING_CONFIG_ARN: &str = "code_signing_config_arn";
const AT: &str = "at";

fn time(text: &str) -> Result<(), names::Invalid> {
    parse_time(text).map(|_| ()).map_err(names::Invalid)
}

const RULES: &[FieldRule] = &[
    FieldRule::text(&[JOB_ID], names::job_id),
    FieldRule::text(&[CODE_SIGNING_CONFIG_ARN], signed_artifact::csc_arn_rule),
    FieldRule::text(&[AT], time),
];

fn s3_list(fields: &[(&str, Type)]) -> Type {
    Type::list(Type::object([(
        "s3",
        Type::list(Type::object(fields.iter().cloned())),
    )]))
}

fn location(location: &ObjectLocation, with_version: bool) -> Value {
    let (bucket, key, version) = match location {
        ObjectLocation::File(path) => (None, path.display().to_string(), None),
        ObjectLocation::S3 {
            bucket,
            key,
            version,
        } => (Some(bucket.as_str()), key.clone(), version.as_deref()),
    };
    let mut s3 = Object::new()
        .set("bucket", opt_text(bucket))
        .set("key", key);
    if with_version {
        s3 = s3.set("version", opt_text(version));
    }
    Value::List(vec![Object::new()
        .set("s3", Value::List(vec![s3.build()]))
        .build()])
}

#[async_trait]
impl DataSource<Engine> for SigningJobDataSource {
    fn type_name(&self) -> &'static str {
        "lambdasign_signing_job"
    }

    fn schema(&self) -> Schema {
        let revocation = Type::list(Type::object([
            ("reason", Type::String),
            ("revoked_at", Type::String),
            ("revoked_by", Type::String),
        ]));
        Schema::new("Looks up a signing job by id: what the AWS provider's data source reports, plus the job's ARNs and, given a code signing config, Lambda's four checks of its signature.")
            .attribute(Attribute::required(JOB_ID, Type::String).describe("Signing job id."))
            .attribute(Attribute::optional(CODE_SIGNING_CONFIG_ARN, Type::String).describe("Evaluate the four checks of the job's signature against this config."))
            .attribute(Attribute::optional(AT, Type::String).describe("Evaluate as of this RFC 3339 time instead of now."))
            .attribute(Attribute::computed("job_arn", Type::String).describe("Signing job ARN."))
            .attribute(Attribute::computed("job_owner", Type::String).describe("Account that owns the job."))
            .attribute(Attribute::computed("profile_name", Type::String).describe("Signing profile that signed."))
            .attribute(Attribute::computed("profile_version", Type::String).describe("Its version."))
            .attribute(Attribute::computed("profile_version_arn", Type::String).describe("Its version ARN."))
            .attribute(Attribute::computed("platform_id", Type::String).describe("Signing platform."))
            .attribute(Attribute::computed("platform_display_name", Type::String).describe("The platform's display name."))
            .attribute(Attribute::computed("status", Type::String).describe("`InProgress`, `Failed` or `Succeeded`."))
            .attribute(Attribute::computed("status_reason", Type::String).describe("Why the job has its status."))
            .attribute(Attribute::computed("created_at", Type::String).describe("When the job started (RFC 3339)."))
            .attribute(Attribute::computed("completed_at", Type::String).describe("When it signed (RFC 3339)."))
            .attribute(Attribute::computed("signature_expires_at", Type::String).describe("When the signature expires (RFC 3339)."))
            .attribute(Attribute::computed("signed_sha384", Type::String).describe("SHA-384 (hex) of the signed artifact as produced."))
            .attribute(Attribute::computed("source", s3_list(&[("bucket", Type::String), ("key", Type::String), ("version", Type::String)])).describe("`source[0].s3[0]`: bucket, key, version (the local backend: bucket null, key the file path)."))
            .attribute(Attribute::computed("signed_object", s3_list(&[("bucket", Type::String), ("key", Type::String)])).describe("`signed_object[0].s3[0]`: bucket, key."))
            .attribute(Attribute::computed("revocation_record", revocation).describe("The revocation of the job's signature, if any."))
            .attribute(Attribute::computed("allowed", Type::Bool).describe("With a config: whether Lambda would accept the signed artifact."))
            .attribute(Attribute::computed("checks", Type::list(check_type())).describe("With a config: the four checks' results."))
            .rules(RULES, &[])
    }

    async fn read(&self, engine: &Engine, config: Value) -> DataSourceResponse {
        let mut diagnostics = Diagnostics::new();
        let mut state = config.clone();
        let Some(job_id) = text(&config, JOB_ID) else {
            return DataSourceResponse { state, diagnostics };
        };
        let signed = match signed_artifact::import(engine, &job_id).await {
            Ok(signed) => signed,
            Err(e) => {
                convert::error(&mut diagnostics, "Cannot read the signing job", &e);
                return DataSourceResponse { state, diagnostics };
            }
        };
        let job = &signed.job;
        let version = job
            .profile_version_arn
            .parse::<ProfileVersionArn>()
            .map(|arn| arn.version().to_string())
            .unwrap_or_default();
        let display = crate::domain::profile::platform(&job.platform_id)
            .map_or(job.platform_id.clone(), |p| p.display_name.to_string());
        let pairs: [(&str, Value); 14] = [
            ("job_arn", Value::string(job.job_arn.as_str())),
            ("job_owner", Value::string(job.owner.as_str())),
            ("profile_name", Value::string(job.profile_name.as_str())),
            ("profile_version", Value::string(version)),
            (
                "profile_version_arn",
                Value::string(job.profile_version_arn.as_str()),
            ),
            ("platform_id", Value::string(job.platform_id.as_str())),
            ("platform_display_name", Value::string(display)),
            ("status", Value::string(job.status.as_str())),
            ("status_reason", Value::string(job.status_reason.as_str())),
            ("created_at", Value::string(format_time(job.created_at))),
            ("completed_at", Value::string(format_time(job.signed_at))),
            (
                "signature_expires_at",
                Value::string(format_time(job.signature_expires_at)),
            ),
            ("signed_sha384", Value::string(job.signed_sha384.as_str())),
            (
                "revocation_record",
                Value::List(
                    job.revocation
                        .iter()
                        .map(|r| {
                            Object::new()
                                .set("reason", r.reason.as_str())
                                .set("revoked_at", format_time(r.revoked_at))
                                .set("revoked_by", opt_text(r.revoked_by.as_deref()))
                                .build()
                        })
                        .collect(),
                ),
            ),
        ];
        for (name, value) in pairs {
            set(&mut state, name, value);
        }
        set(&mut state, "source", location(&job.source, true));
        set(
            &mut state,
            "signed_object",
            location(&job.signed_object, false),
        );
        let at = text(&config, AT)
            .and_then(|t| parse_time(&t).ok())
            .unwrap_or_else(Utc::now);
        let csc = text(&config, CODE_SIGNING_CONFIG_ARN);
        match signed_artifact::checks_of(engine, &job.job_arn, csc.as_deref(), at).await {
            Ok(Some(verdict)) => {
                set(&mut state, "allowed", verdict.allowed);
                set(&mut state, "checks", checks_value(&verdict));
            }
            Ok(None) => {}
            Err(e) => convert::error(&mut diagnostics, "Cannot check the signing job", &e),
        }
        DataSourceResponse { state, diagnostics }
    }
}
