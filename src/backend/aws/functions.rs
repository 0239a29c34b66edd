//! Lambda functions (create, read, code and configuration updates, delete,
//! code signing config attachment) and tags by ARN (Signer profiles and
//! Lambda resources). Real Lambda makes its own deploy-time checks; its
//! refusals come back as `BackendError::Rejected`.

use std::collections::HashMap;

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{Architecture, Environment, FunctionCode, Runtime};

use super::errors::{map, required, Conflict};
use super::lambda::lambda_time;
use super::AwsBackend;
use crate::backend::*;
use crate::domain::arn::ArnFields;
use crate::domain::function::{
    DeployedCode, Function, FunctionLayer, SignedBy, DEFAULT_MEMORY_SIZE, DEFAULT_TIMEOUT,
};
use crate::domain::job::ObjectLocation;
use crate::domain::tags::Tags;

fn non_empty(text: Option<&str>) -> Option<String> {
    text.filter(|s| !s.is_empty()).map(str::to_string)
}

fn to_i32(field: &'static str, value: Option<i64>) -> BackendResult<Option<i32>> {
    value
        .map(|v| {
            i32::try_from(v).map_err(|_| BackendError::invalid(field, format!("{v} is too large")))
        })
        .transpose()
}

/// A deployment package as the SDK sends it: the bytes of a local file, or
/// an S3 object.
async fn function_code(code: &ObjectLocation) -> BackendResult<FunctionCode> {
    match code {
        ObjectLocation::File(path) => {
            let bytes = tokio::fs::read(path)
                .await
                .map_err(|e| BackendError::invalid("code", format!("{}: {e}", path.display())))?;
            Ok(FunctionCode::builder().zip_file(Blob::new(bytes)).build())
        }
        ObjectLocation::S3 {
            bucket,
            key,
            version,
        } => Ok(FunctionCode::builder()
            .s3_bucket(bucket)
            .s3_key(key)
            .set_s3_object_version(version.clone())
            .build()),
    }
}

impl AwsBackend {
    pub(super) async fn lambda_create_function(
        &self,
        request: CreateFunction,
    ) -> BackendResult<Function> {
        let code = function_code(&request.code).await?;
        let environment = (!request.environment.is_empty()).then(|| {
            Environment::builder()
                .set_variables(Some(request.environment.clone().into_iter().collect()))
                .build()
        });
        self.clients
            .lambda
            .create_function()
            .function_name(&request.name)
            .role(&request.role)
            .set_runtime(request.runtime.as_deref().map(Runtime::from))
            .set_handler(request.handler.clone())
            .description(&request.description)
            .set_timeout(to_i32("timeout", request.timeout)?)
            .set_memory_size(to_i32("memory_size", request.memory_size)?)
            .set_architectures((!request.architectures.is_empty()).then(|| {
                request
                    .architectures
                    .iter()
                    .map(|a| Architecture::from(a.as_str()))
                    .collect()
            }))
            .set_environment(environment)
            .code(code)
            .set_layers((!request.layers.is_empty()).then(|| request.layers.clone()))
            .set_code_signing_config_arn(request.code_signing_config_arn.clone())
            .set_tags(
                (!request.tags.is_empty()).then(|| request.tags.clone().into_iter().collect()),
            )
            .send()
            .await
            .map_err(|e| {
                map(
                    &format!("lambda:CreateFunction {}", request.name),
                    Conflict::State,
                    e,
                )
            })?;
        self.lambda_get_function(&request.name).await
    }

    /// GetFunction, with the function's code signing config
    /// (GetFunctionCodeSigningConfig).
    pub(super) async fn lambda_get_function(&self, function: &str) -> BackendResult<Function> {
        let out = self
            .clients
            .lambda
            .get_function()
            .function_name(function)
            .send()
            .await
            .map_err(|e| {
                map(
                    &format!("lambda:GetFunction {function}"),
                    Conflict::State,
                    e,
                )
            })?;
        let csc = self
            .clients
            .lambda
            .get_function_code_signing_config()
            .function_name(function)
            .send()
            .await
            .map_err(|e| {
                map(
                    &format!("lambda:GetFunctionCodeSigningConfig {function}"),
                    Conflict::State,
                    e,
                )
            })?;
        let Some(config) = out.configuration() else {
            return Err(BackendError::Internal(format!(
                "lambda:GetFunction {function} returned no configuration"
            )));
        };
        let arn = required(config.function_arn(), "lambda:GetFunction", "FunctionArn")?.to_string();
        Ok(Function {
            name: required(config.function_name(), "lambda:GetFunction", "FunctionName")?
                .to_string(),
            owner: ArnFields::parse(&arn)
                .map(|a| a.account_id.to_string())
                .unwrap_or_default(),
            arn,
            role: config.role().unwrap_or_default().to_string(),
            runtime: config.runtime().map(|r| r.as_str().to_string()),
            handler: non_empty(config.handler()),
            description: config.description().unwrap_or_default().to_string(),
            timeout: config.timeout().map_or(DEFAULT_TIMEOUT, i64::from),
            memory_size: config.memory_size().map_or(DEFAULT_MEMORY_SIZE, i64::from),
            architectures: config
                .architectures()
                .iter()
                .map(|a| a.as_str().to_string())
                .collect(),
            environment: config
                .environment()
                .and_then(|e| e.variables())
                .map(|v| v.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
            code: Some(DeployedCode {
                size: u64::try_from(config.code_size()).unwrap_or_default(),
                sha256_base64: config.code_sha256().unwrap_or_default().to_string(),
                sha384: String::new(),
                signed_by: SignedBy {
                    signing_profile_version_arn: non_empty(config.signing_profile_version_arn()),
                    signing_job_arn: non_empty(config.signing_job_arn()),
                },
            }),
            layers: config
                .layers()
                .iter()
                .map(|l| {
                    Ok(FunctionLayer {
                        arn: required(l.arn(), "lambda:GetFunction", "Layers[].Arn")?.to_string(),
                        code_size: u64::try_from(l.code_size()).unwrap_or_default(),
                        signed_by: SignedBy {
                            signing_profile_version_arn: non_empty(l.signing_profile_version_arn()),
                            signing_job_arn: non_empty(l.signing_job_arn()),
                        },
                    })
                })
                .collect::<BackendResult<_>>()?,
            code_signing_config_arn: non_empty(Some(csc.code_signing_config_arn())),
            revision_id: config.revision_id().unwrap_or_default().to_string(),
            last_modified: config.last_modified().map(lambda_time).unwrap_or_default(),
            tags: out
                .tags()
                .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
        })
    }

    pub(super) async fn lambda_update_function_code(
        &self,
        request: UpdateFunctionCode,
    ) -> BackendResult<Function> {
        let code = function_code(&request.code).await?;
        let mut call = self
            .clients
            .lambda
            .update_function_code()
            .function_name(&request.function)
            .set_revision_id(request.revision_id.clone());
        call = match code.zip_file() {
            Some(zip) => call.zip_file(zip.clone()),
            None => call
                .set_s3_bucket(code.s3_bucket().map(str::to_string))
                .set_s3_key(code.s3_key().map(str::to_string))
                .set_s3_object_version(code.s3_object_version().map(str::to_string)),
        };
        call.send().await.map_err(|e| {
            map(
                &format!("lambda:UpdateFunctionCode {}", request.function),
                Conflict::State,
                e,
            )
        })?;
        self.lambda_get_function(&request.function).await
    }

    pub(super) async fn lambda_update_function_configuration(
        &self,
        request: UpdateFunctionConfiguration,
    ) -> BackendResult<Function> {
        let environment = request.environment.as_ref().map(|vars| {
            Environment::builder()
                .set_variables(Some(vars.clone().into_iter().collect()))
                .build()
        });
        self.clients
            .lambda
            .update_function_configuration()
            .function_name(&request.function)
            .set_role(request.role.clone())
            .set_runtime(request.runtime.as_deref().map(Runtime::from))
            .set_handler(request.handler.clone())
            .set_description(request.description.clone())
            .set_timeout(to_i32("timeout", request.timeout)?)
            .set_memory_size(to_i32("memory_size", request.memory_size)?)
            .set_environment(environment)
            .set_layers(request.layers.clone())
            .set_revision_id(request.revision_id.clone())
            .send()
            .await
            .map_err(|e| {
                map(
                    &format!("lambda:UpdateFunctionConfiguration {}", request.function),
                    Conflict::State,
                    e,
                )
            })?;
        self.lambda_get_function(&request.function).await
    }

    pub(super) async fn lambda_delete_function(&self, function: &str) -> BackendResult<()> {
        self.clients
            .lambda
            .delete_function()
            .function_name(function)
            .send()
            .await
            .map_err(|e| {
                map(
                    &format!("lambda:DeleteFunction {function}"),
                    Conflict::State,
                    e,
                )
            })?;
        Ok(())
    }

    pub(super) async fn lambda_put_function_csc(
        &self,
        function: &str,
        csc_arn: &str,
    ) -> BackendResult<()> {
        self.clients
            .lambda
            .put_function_code_signing_config()
            .function_name(function)
            .code_signing_config_arn(csc_arn)
            .send()
            .await
            .map_err(|e| {
                map(
                    &format!("lambda:PutFunctionCodeSigningConfig {function}"),
                    Conflict::State,
                    e,
                )
            })?;
        Ok(())
    }

    pub(super) async fn lambda_delete_function_csc(&self, function: &str) -> BackendResult<()> {
        self.clients
            .lambda
            .delete_function_code_signing_config()
            .function_name(function)
            .send()
            .await
            .map_err(|e| {
                map(
                    &format!("lambda:DeleteFunctionCodeSigningConfig {function}"),
                    Conflict::State,
                    e,
                )
            })?;
        Ok(())
    }

    /// Tags of a Signer profile (by profile ARN) or a Lambda resource.
    pub(super) async fn tags_of(&self, arn: &str) -> BackendResult<Tags> {
        let doing = format!("list the tags of {arn}");
        let tags = match service_of(arn)? {
            Service::Signer => self
                .clients
                .signer
                .list_tags_for_resource()
                .resource_arn(arn)
                .send()
                .await
                .map_err(|e| map(&doing, Conflict::State, e))?
                .tags()
                .cloned(),
            Service::Lambda => self
                .clients
                .lambda
                .list_tags()
                .resource(arn)
                .send()
                .await
                .map_err(|e| map(&doing, Conflict::State, e))?
                .tags()
                .cloned(),
        };
        Ok(tags.unwrap_or_default().into_iter().collect())
    }

    pub(super) async fn tag(&self, arn: &str, tags: Tags) -> BackendResult<()> {
        let doing = format!("tag {arn}");
        let tags: HashMap<String, String> = tags.into_iter().collect();
        match service_of(arn)? {
            Service::Signer => {
                self.clients
                    .signer
                    .tag_resource()
                    .resource_arn(arn)
                    .set_tags(Some(tags))
                    .send()
                    .await
                    .map_err(|e| map(&doing, Conflict::State, e))?;
            }
            Service::Lambda => {
                self.clients
                    .lambda
                    .tag_resource()
                    .resource(arn)
                    .set_tags(Some(tags))
                    .send()
                    .await
                    .map_err(|e| map(&doing, Conflict::State, e))?;
            }
        }
        Ok(())
    }

    pub(super) async fn untag(&self, arn: &str, keys: &[String]) -> BackendResult<()> {
        let doing = format!("untag {arn}");
        match service_of(arn)? {
            Service::Signer => {
                self.clients
                    .signer
                    .untag_resource()
                    .resource_arn(arn)
                    .set_tag_keys(Some(keys.to_vec()))
                    .send()
                    .await
                    .map_err(|e| map(&doing, Conflict::State, e))?;
            }
            Service::Lambda => {
                self.clients
                    .lambda
                    .untag_resource()
                    .resource(arn)
                    .set_tag_keys(Some(keys.to_vec()))
                    .send()
                    .await
                    .map_err(|e| map(&doing, Conflict::State, e))?;
            }
        }
        Ok(())
    }
}

enum Service {
    Signer,
    Lambda,
}

fn service_of(arn: &str) -> BackendResult<Service> {
    match ArnFields::parse(arn).map(|a| a.service) {
        Ok("signer") => Ok(Service::Signer),
        Ok("lambda") => Ok(Service::Lambda),
        _ => Err(BackendError::invalid(
            "resource_arn",
            format!("{arn:?} is not a Signer or Lambda ARN"),
        )),
    }
}
