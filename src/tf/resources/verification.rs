//! `lambdasign_verification`, as a data source and as a resource with the
//! same schema: Lambda's four checks for function code and layers under one
//! policy (`engine::verification`). The data source is read when Terraform
//! reads it (and deferred while what it depends on changes); the resource
//! is planned on every run, against the world as this run plans it, and
//! records the verdict it planned.

use std::path::PathBuf;

use async_trait::async_trait;

use crate::domain::checks::{Enforcement, Status, Verdict};
use crate::domain::facts::ArtifactRef;
use crate::domain::field::FieldPath;
use crate::domain::time::parse_time;
use crate::engine::code_signing_config::check_publishers;
use crate::engine::verification::{
    self as engine, field::*, ArtifactSpec, PolicySource, VerificationSpec, When,
};
use crate::engine::{Engine, Planned};
use crate::tf::convert;
use crate::tf::plugin::cty::{Type, Value};
use crate::tf::plugin::diagnostics::{AttributePath, Diagnostics};
use crate::tf::plugin::framework::{
    Applied, Change, DataSource, DataSourceResponse, ImportResponse, Plan, ReadRequest,
    ReadResponse, Resource,
};
use crate::tf::plugin::schema::{Attribute, Block, NestedBlock, Schema};
use crate::tf::values::{block, planned_text, set, text, texts, Object};

/// The type of one check result in state.
pub fn check_type() -> Type {
    Type::object([
        (CHECK, Type::String),
        (STATUS, Type::String),
        (BLOCKING, Type::Bool),
        (REASON, Type::String),
    ])
}

/// The verdict's results as a state value: a list of check objects.
pub fn checks_value(verdict: &Verdict) -> Value {
    Value::List(
        verdict
            .results
            .iter()
            .map(|result| {
                let (status, blocking) = match result.status {
                    Status::Passed => ("passed", false),
                    Status::Failed { blocking } => ("failed", blocking),
                    Status::NotApplicable => ("not_applicable", false),
                };
                Object::new()
                    .set(CHECK, result.check.to_string())
                    .set(STATUS, status)
                    .set(BLOCKING, blocking)
                    .set(REASON, result.reason.as_str())
                    .build()
            })
            .collect(),
    )
}

fn schema(description: &str) -> Schema {
    let policy = Block::new("An inline policy, instead of `code_signing_config_arn`.")
        .attribute(
            Attribute::required(ALLOWED_PUBLISHERS, Type::set(Type::String))
                .describe("1 to 20 signing profile version ARNs."),
        )
        .attribute(
            Attribute::optional(UNTRUSTED_ARTIFACT_ON_DEPLOYMENT, Type::String)
                .describe("`Warn` (default) or `Enforce`."),
        );
    let artifact = Block::new("One function code package or layer to check. Set exactly one of `signed_file`, `signing_job_arn`, `layer_version_arn`, `s3_object`.")
        .attribute(Attribute::required(NAME, Type::String).describe("A name for the artifact, used in diagnostics."))
        .attribute(Attribute::optional(SIGNED_FILE, Type::String).describe("A signed zip on disk (local backend)."))
        .attribute(Attribute::optional(SIGNING_JOB_ARN, Type::String).describe("A signing job's ARN (its signed output is checked)."))
        .attribute(Attribute::optional(LAYER_VERSION_ARN, Type::String).describe("A layer version, as attached to the function."))
        .attribute(Attribute::optional(S3_OBJECT, Type::String).describe("Function code in S3 as a function's `Code` names it, `s3://BUCKET/KEY`: judged by its bytes, wherever it is stored."))
        .attribute(Attribute::optional(S3_OBJECT_VERSION, Type::String).describe("With `s3_object`: the object version (default: the current one)."))
        .attribute(Attribute::computed(ALLOWED, Type::Bool).describe("Whether Lambda would accept this artifact."))
        .attribute(Attribute::computed(CHECKS, Type::list(check_type())).describe("The four checks in Lambda's order: `check`, `status` (`passed`, `failed`, `not_applicable`), `blocking`, `reason`."));
    Schema::new(description)
        .attribute(Attribute::optional(CODE_SIGNING_CONFIG_ARN, Type::String).describe("The code signing config to check against (as this run plans it)."))
        .attribute(Attribute::optional(AT, Type::String).describe("Evaluate as of this RFC 3339 time instead of now (e.g. to see what expires before a release)."))
        .attribute(Attribute::computed(ALLOWED, Type::Bool).describe("Whether Lambda would accept every artifact."))
        .block(NestedBlock::single(POLICY, policy))
        .block(NestedBlock::list(ARTIFACT, artifact).items(1, 0))
        .rules(engine::RULES, engine::SHAPE)
}

fn validate(config: &Value, diags: &mut Diagnostics) {
    if let Some(publishers) = block(config, POLICY).and_then(|p| texts(p, ALLOWED_PUBLISHERS)) {
        let at = FieldPath::field(POLICY).then(ALLOWED_PUBLISHERS);
        for e in check_publishers(&publishers, at.clone()) {
            let e = crate::engine::EngineError {
                field: Some(at.clone()),
                ..e
            };
            convert::error(diags, "Invalid allowed publishers", &e);
        }
    }
    for (index, artifact) in config
        .get_attr(ARTIFACT)
        .and_then(Value::as_slice)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let states: Vec<Option<bool>> = engine::ARTIFACT_SOURCES
            .iter()
            .map(|s| match artifact.get_attr(s) {
                Some(v) if !v.is_known() => None,
                Some(v) => Some(!v.is_null()),
                None => Some(false),
            })
            .collect();
        if states.iter().all(Option::is_some)
            && states.iter().filter(|s| **s == Some(true)).count() != 1
        {
            // At the second source set (Terraform shows that line), else
            // at the block's name.
            let at = engine::ARTIFACT_SOURCES
                .iter()
                .zip(&states)
                .filter(|(_, set)| **set == Some(true))
                .nth(1)
                .map_or(NAME, |(source, _)| *source);
            let name = text(artifact, NAME).unwrap_or_default();
            diags.error_at(
                AttributePath::attr(ARTIFACT).index(index).then(at),
                "Exactly one artifact source",
                format!("Artifact {name:?} (artifact[{index}]): set exactly one of signed_file, signing_job_arn, layer_version_arn, s3_object."),
            );
        }
    }
}

/// The verification a configuration (or plan) asks for.
fn spec_of(value: &Value, diags: &mut Diagnostics) -> VerificationSpec {
    let policy = match (
        planned_text(value, CODE_SIGNING_CONFIG_ARN),
        value.get_attr(POLICY),
    ) {
        (Planned::Unknown, _) => Planned::Unknown,
        (Planned::Known(Some(arn)), _) => Planned::Known(PolicySource::CodeSigningConfig(arn)),
        (_, Some(p)) if !p.is_wholly_known() => Planned::Unknown,
        (_, Some(p)) if !p.is_null() => {
            let publishers = texts(p, ALLOWED_PUBLISHERS).unwrap_or_default();
            let enforcement = text(p, UNTRUSTED_ARTIFACT_ON_DEPLOYMENT)
                .and_then(|e| e.parse::<Enforcement>().ok())
                .unwrap_or_default();
            match engine::inline_policy(
                &publishers,
                enforcement,
                FieldPath::field(POLICY).then(ALLOWED_PUBLISHERS),
            ) {
                Ok(policy) => Planned::Known(PolicySource::Inline(policy)),
                Err(errors) => {
                    for e in &errors {
                        convert::error(diags, "Invalid policy", e);
                    }
                    Planned::Unknown
                }
            }
        }
        _ => Planned::Unknown,
    };
    let artifacts = value
        .get_attr(ARTIFACT)
        .and_then(Value::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|a| {
            let source = |name: &str| planned_text(a, name);
            let reference = match (
                source(SIGNED_FILE),
                source(SIGNING_JOB_ARN),
                source(LAYER_VERSION_ARN),
                source(S3_OBJECT),
            ) {
                (Planned::Known(Some(f)), ..) => {
                    Planned::Known(ArtifactRef::SignedFile(PathBuf::from(f)))
                }
                (_, Planned::Known(Some(j)), ..) => Planned::Known(ArtifactRef::SigningJob(j)),
                (_, _, Planned::Known(Some(l)), _) => Planned::Known(ArtifactRef::LayerVersion(l)),
                (.., Planned::Known(Some(o))) => match source(S3_OBJECT_VERSION) {
                    Planned::Known(version) => {
                        engine::s3_object(&o, version).map_or(Planned::Unknown, Planned::Known)
                    }
                    Planned::Unknown => Planned::Unknown,
                },
                _ => Planned::Unknown,
            };
            ArtifactSpec {
                name: text(a, NAME).unwrap_or_default(),
                source: reference,
            }
        })
        .collect();
    VerificationSpec {
        policy,
        artifacts,
        at: text(value, AT).and_then(|t| parse_time(&t).ok()),
    }
}

/// Evaluates and writes the results into `value`.
async fn evaluate(engine: &Engine, value: &mut Value, diags: &mut Diagnostics, when: When) {
    let spec = spec_of(value, diags);
    let outcome = engine::verify(engine, &spec, when).await;
    convert::report(outcome.report, diags);
    let artifacts: Vec<Value> = value
        .get_attr(ARTIFACT)
        .and_then(Value::as_slice)
        .unwrap_or_default()
        .iter()
        .zip(
            outcome
                .results
                .iter()
                .map(Some)
                .chain(std::iter::repeat(None)),
        )
        .map(|(artifact, result)| {
            let mut artifact = artifact.clone();
            match result.and_then(|r| r.verdict.as_ref()) {
                Some(verdict) => {
                    set(&mut artifact, ALLOWED, verdict.allowed);
                    set(&mut artifact, CHECKS, checks_value(verdict));
                }
                None => {
                    set(&mut artifact, ALLOWED, Value::unknown());
                    set(&mut artifact, CHECKS, Value::unknown());
                }
            }
            artifact
        })
        .collect();
    set(value, ARTIFACT, Value::List(artifacts));
    set(
        value,
        ALLOWED,
        outcome.allowed.map_or(Value::unknown(), Value::bool),
    );
}

pub struct VerificationDataSource;

#[async_trait]
impl DataSource<Engine> for VerificationDataSource {
    fn type_name(&self) -> &'static str {
        "lambdasign_verification"
    }

    fn schema(&self) -> Schema {
        schema("Verifies signed artifacts as Lambda would at deploy time: integrity, expiry, source mismatch and revocation under the code signing config's Warn/Enforce policy. Blocking failures are errors, Warn failures are warnings. Terraform defers a data source that depends on resources with changes pending; in a change review, use the `lambdasign_verification` resource, which is planned on every run.")
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        validate(config, diags);
    }

    async fn read(&self, engine: &Engine, config: Value) -> DataSourceResponse {
        let mut diagnostics = Diagnostics::new();
        let mut state = config;
        // Read now: at plan, or at apply when Terraform deferred it.
        evaluate(engine, &mut state, &mut diagnostics, When::Apply).await;
        // A data source's state must be wholly known once read.
        if !state.is_wholly_known() {
            set(&mut state, ALLOWED, false);
        }
        DataSourceResponse {
            state: known_or_null(state),
            diagnostics,
        }
    }
}

/// Unknown results (an unreadable artifact) become null in a data source.
fn known_or_null(value: Value) -> Value {
    match value {
        Value::Unknown(_) => Value::Null,
        Value::Object(attrs) => Value::Object(
            attrs
                .into_iter()
                .map(|(k, v)| (k, known_or_null(v)))
                .collect(),
        ),
        Value::List(items) => Value::List(items.into_iter().map(known_or_null).collect()),
        other => other,
    }
}

pub struct VerificationResource;

#[async_trait]
impl Resource<Engine> for VerificationResource {
    fn type_name(&self) -> &'static str {
        "lambdasign_verification"
    }

    fn schema(&self) -> Schema {
        schema("What Lambda would decide at deploy time for function code and layers under one policy, planned on every run against the world as this run plans it (a policy flipped to Enforce, a publisher removed, a revocation added): blocking failures fail the plan, Warn failures warn. It creates nothing outside Terraform; its state records the verdict.")
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        validate(config, diags);
    }

    async fn plan(&self, engine: &Engine, plan: &mut Plan) {
        evaluate(engine, &mut plan.planned, &mut plan.diagnostics, When::Plan).await;
    }

    async fn create(&self, engine: &Engine, change: Change) -> Applied {
        record(engine, change).await
    }

    async fn read(&self, _engine: &Engine, request: ReadRequest) -> ReadResponse {
        // Nothing exists outside Terraform: the plan re-evaluates.
        ReadResponse {
            new_state: request.current_state,
            private: request.private,
            ..ReadResponse::default()
        }
    }

    async fn update(&self, engine: &Engine, change: Change) -> Applied {
        record(engine, change).await
    }

    async fn delete(&self, _engine: &Engine, change: Change) -> Applied {
        Applied {
            private: change.private,
            ..Applied::default()
        }
    }

    async fn import(&self, _engine: &Engine, _id: &str) -> ImportResponse {
        let mut response = ImportResponse::default();
        response.diagnostics.error(
            "Nothing to import",
            "A lambdasign_verification resource creates nothing outside Terraform: add it to the configuration and plan.",
        );
        response
    }
}

/// Records the planned verdict; what the plan could not know is evaluated now.
async fn record(engine: &Engine, change: Change) -> Applied {
    let mut applied = Applied {
        private: change.private,
        state: change.planned,
        ..Applied::default()
    };
    if !applied.state.is_wholly_known() {
        evaluate(
            engine,
            &mut applied.state,
            &mut applied.diagnostics,
            When::Apply,
        )
        .await;
        applied.state = known_or_null(applied.state);
    }
    applied
}
