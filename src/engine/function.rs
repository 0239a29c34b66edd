//! Functions, whole: creating one, deploying new code, changing its
//! layers, attaching a code signing config, reading and deleting it, with
//! the decision Lambda makes at deploy time under the function's code
//! signing config. That decision is the plan-time one: the same facts
//! (`verification::facts`), the same four checks (`domain::checks`) under
//! the config's policy, and Lambda's rule over their verdicts
//! (`domain::function::deploy_decision`): an integrity failure refuses the
//! deployment in any mode, another failure refuses it under `Enforce`,
//! and under `Warn` it deploys with the failures returned as warnings.
//!
//! - CreateFunction checks the code and every layer.
//! - UpdateFunctionCode checks the new code; UpdateFunctionConfiguration
//!   checks the layers it sets (layers are checked against the function's
//!   config, whoever published them).
//! - PutFunctionCodeSigningConfig checks nothing already deployed: as in
//!   Lambda, a config applies from the next deployment on.
//!
//! On the aws backend Lambda makes these checks itself; its refusals come
//! back as the same [`DeployRejection`].

use chrono::Utc;

use super::verification::{self, PolicyView};
use super::{Engine, EngineError, ErrorKind};
use crate::backend::{
    BackendError, CreateFunction, Kind, UpdateFunctionCode, UpdateFunctionConfiguration,
};
use crate::domain::checks;
use crate::domain::facts::ArtifactRef;
use crate::domain::field::FieldPath;
use crate::domain::function::{deploy_decision, DeployRejection, Function};
use crate::domain::job::ObjectLocation;

/// Why a function use case failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FunctionError {
    /// Lambda refuses to deploy the code or layers.
    #[error("{0}")]
    Rejected(DeployRejection),
    /// The backend refused or failed (with the object it was about).
    #[error("{0}")]
    Backend(BackendError),
    /// Reading the facts the checks need failed.
    #[error("{0}")]
    Engine(EngineError),
}

impl From<BackendError> for FunctionError {
    fn from(e: BackendError) -> Self {
        match e {
            BackendError::Rejected(rejection) => FunctionError::Rejected(rejection),
            other => FunctionError::Backend(other),
        }
    }
}

impl From<EngineError> for FunctionError {
    fn from(e: EngineError) -> Self {
        FunctionError::Engine(e)
    }
}

pub type FunctionResult<T> = Result<T, FunctionError>;

/// The request members the checks read.
pub const CODE: &str = "code";
pub const LAYERS: &str = "layers";

/// A failure reading what a deployment names, about that member: one that
/// does not exist is an invalid value, as Lambda reports it.
fn about(e: EngineError, field: FieldPath) -> EngineError {
    if e.is_not_found() {
        EngineError::invalid(field, e.message)
    } else {
        e.at(field)
    }
}

/// A deployment that went ahead, with what Lambda would log (`Warn`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployed {
    pub function: Function,
    pub warnings: Vec<String>,
}

/// The artifact a deployment package is, for the checks.
pub fn code_artifact(code: &ObjectLocation) -> ArtifactRef {
    match code {
        ObjectLocation::File(path) => ArtifactRef::SignedFile(path.clone()),
        ObjectLocation::S3 {
            bucket,
            key,
            version,
        } => ArtifactRef::S3Object {
            bucket: bucket.clone(),
            key: key.clone(),
            version: version.clone(),
        },
    }
}

/// Lambda's deploy-time decision for `code` and `layers` under the config
/// `csc_arn` (none: nothing is checked, as Lambda checks nothing without
/// one). Returns the warnings of a deployment that goes ahead.
pub async fn deploy_check(
    engine: &Engine,
    csc_arn: Option<&str>,
    code: Option<&ArtifactRef>,
    layers: &[String],
) -> FunctionResult<Vec<String>> {
    let Some(csc_arn) = csc_arn else {
        return Ok(Vec::new());
    };
    if engine.backend().kind() == Kind::Aws {
        return Ok(Vec::new());
    }
    // A missing config is the backend's NotFound, naming it.
    engine.backend().get_code_signing_config(csc_arn).await?;
    let policy = match verification::policy(engine, csc_arn).await? {
        PolicyView::Known(policy) => policy,
        PolicyView::Unknown(partial) => {
            return Err(EngineError::new(
                ErrorKind::Internal,
                format!("the policy of {csc_arn} is not known: {}", partial.why),
            )
            .into())
        }
    };
    let now = Utc::now();
    let mut checked = Vec::new();
    if let Some(code) = code {
        let facts = verification::facts(engine, code)
            .await
            .map_err(|e| about(e, FieldPath::field(CODE)))?;
        checked.push((
            "the code".to_string(),
            checks::evaluate(&facts, &policy, now),
        ));
    }
    for (index, layer) in layers.iter().enumerate() {
        let facts = verification::facts(engine, &ArtifactRef::LayerVersion(layer.clone()))
            .await
            .map_err(|e| about(e, FieldPath::field(LAYERS).index(index)))?;
        checked.push((
            format!("layer {layer}"),
            checks::evaluate(&facts, &policy, now),
        ));
    }
    let warnings = deploy_decision(&checked).map_err(FunctionError::Rejected)?;
    for warning in &warnings {
        tracing::warn!(code_signing_config = %csc_arn, "deployed under Warn: {warning}");
    }
    Ok(warnings)
}

/// Creates a function, if Lambda would deploy its code and layers under
/// its code signing config.
pub async fn create(engine: &Engine, request: CreateFunction) -> FunctionResult<Deployed> {
    let warnings = deploy_check(
        engine,
        request.code_signing_config_arn.as_deref(),
        Some(&code_artifact(&request.code)),
        &request.layers,
    )
    .await?;
    tracing::info!(function = %request.name, "creating function");
    let function = engine.backend().create_function(request).await?;
    Ok(Deployed { function, warnings })
}

/// Deploys new code, if Lambda would accept it under the function's config.
pub async fn update_code(engine: &Engine, request: UpdateFunctionCode) -> FunctionResult<Deployed> {
    let current = engine.backend().get_function(&request.function).await?;
    let warnings = deploy_check(
        engine,
        current.code_signing_config_arn.as_deref(),
        Some(&code_artifact(&request.code)),
        &[],
    )
    .await?;
    tracing::info!(function = %current.arn, "deploying new code");
    let function = engine.backend().update_function_code(request).await?;
    Ok(Deployed { function, warnings })
}

/// Changes a function's configuration; layers it sets must pass the
/// function's config.
pub async fn update_configuration(
    engine: &Engine,
    request: UpdateFunctionConfiguration,
) -> FunctionResult<Deployed> {
    let current = engine.backend().get_function(&request.function).await?;
    let warnings = match &request.layers {
        Some(layers) => {
            deploy_check(
                engine,
                current.code_signing_config_arn.as_deref(),
                None,
                layers,
            )
            .await?
        }
        None => Vec::new(),
    };
    tracing::info!(function = %current.arn, "updating function configuration");
    let function = engine
        .backend()
        .update_function_configuration(request)
        .await?;
    Ok(Deployed { function, warnings })
}

pub async fn get(engine: &Engine, function: &str) -> FunctionResult<Function> {
    Ok(engine.backend().get_function(function).await?)
}

pub async fn delete(engine: &Engine, function: &str) -> FunctionResult<()> {
    tracing::info!(%function, "deleting function");
    Ok(engine.backend().delete_function(function).await?)
}

/// Attaches a config; it applies from the next deployment on.
pub async fn put_code_signing_config(
    engine: &Engine,
    function: &str,
    csc_arn: &str,
) -> FunctionResult<()> {
    tracing::info!(%function, code_signing_config = %csc_arn, "attaching code signing config");
    Ok(engine
        .backend()
        .put_function_code_signing_config(function, csc_arn)
        .await?)
}

pub async fn delete_code_signing_config(engine: &Engine, function: &str) -> FunctionResult<()> {
    tracing::info!(%function, "detaching code signing config");
    Ok(engine
        .backend()
        .delete_function_code_signing_config(function)
        .await?)
}
