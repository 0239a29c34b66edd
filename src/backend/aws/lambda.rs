//! Lambda: code signing configs (with tags, and the functions that use
//! them), layer versions and their permission policies.

use std::collections::HashMap;

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{
    AllowedPublishers, Architecture, CodeSigningPolicies, CodeSigningPolicy,
    LayerVersionContentInput, LayerVersionContentOutput, Runtime,
};
use chrono::{DateTime, Utc};

use super::errors::{map, required, Conflict};
use super::{s3, AwsBackend};
use crate::backend::*;
use crate::domain::arn::{ArnFields, LayerArn};
use crate::domain::checks::Enforcement;
use crate::domain::csc::CodeSigningConfig;
use crate::domain::job::ObjectLocation;
use crate::domain::layer::{LayerPolicy, LayerStatement, LayerVersion};
use crate::domain::tags::Tags;

/// Lambda's timestamps: ISO-8601 with a `+0000` offset and milliseconds.
pub(super) fn lambda_time(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

fn csc_of(c: &aws_sdk_lambda::types::CodeSigningConfig, tags: Tags) -> CodeSigningConfig {
    CodeSigningConfig {
        id: c.code_signing_config_id().to_string(),
        arn: c.code_signing_config_arn().to_string(),
        allowed_publishers: c
            .allowed_publishers()
            .map(|p| p.signing_profile_version_arns().to_vec())
            .unwrap_or_default(),
        enforcement: c
            .code_signing_policies()
            .and_then(|p| p.untrusted_artifact_on_deployment())
            .and_then(|a| a.as_str().parse().ok())
            .unwrap_or(Enforcement::Warn),
        description: c.description().unwrap_or_default().to_string(),
        last_modified: lambda_time(c.last_modified()),
        tags,
    }
}

fn publishers(input: &CodeSigningConfigInput) -> BackendResult<AllowedPublishers> {
    AllowedPublishers::builder()
        .set_signing_profile_version_arns(Some(input.allowed_publishers.clone()))
        .build()
        .map_err(|e| BackendError::Internal(format!("building a Lambda request: {e}")))
}

fn policies(input: &CodeSigningConfigInput) -> CodeSigningPolicies {
    CodeSigningPolicies::builder()
        .untrusted_artifact_on_deployment(CodeSigningPolicy::from(input.enforcement.as_str()))
        .build()
}

/// The layer version record Lambda's answers describe.
pub(super) struct LayerFields<'a> {
    pub layer_arn: Option<&'a str>,
    pub layer_version_arn: Option<&'a str>,
    pub version: i64,
    pub description: Option<&'a str>,
    pub license_info: Option<&'a str>,
    pub created_date: Option<&'a str>,
    pub runtimes: &'a [Runtime],
    pub architectures: &'a [Architecture],
    pub content: Option<&'a LayerVersionContentOutput>,
}

pub(super) fn layer_of(
    fields: LayerFields<'_>,
    content_sha384: String,
    call: &str,
) -> BackendResult<LayerVersion> {
    let layer_arn = required(fields.layer_arn, call, "LayerArn")?.to_string();
    let parsed = layer_arn.parse::<LayerArn>().ok();
    Ok(LayerVersion {
        layer_name: parsed
            .as_ref()
            .map(|a| a.name().to_string())
            .unwrap_or_default(),
        owner: parsed
            .as_ref()
            .map(|a| a.account_id().to_string())
            .unwrap_or_default(),
        layer_version_arn: required(fields.layer_version_arn, call, "LayerVersionArn")?.to_string(),
        layer_arn,
        version: fields.version,
        description: fields.description.unwrap_or_default().to_string(),
        license_info: fields.license_info.map(str::to_string),
        compatible_runtimes: fields
            .runtimes
            .iter()
            .map(|r| r.as_str().to_string())
            .collect(),
        compatible_architectures: fields
            .architectures
            .iter()
            .map(|a| a.as_str().to_string())
            .collect(),
        content_sha384,
        signing_profile_version_arn: fields
            .content
            .and_then(|c| c.signing_profile_version_arn())
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        signing_job_arn: fields
            .content
            .and_then(|c| c.signing_job_arn())
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        created_at: fields.created_date.map(lambda_time).unwrap_or_default(),
    })
}

/// A principal as a policy spells it: `*`, an account id, or an IAM ARN
/// (`arn:aws:iam::ACCOUNT:root`) that names an account.
fn principal_of(value: &serde_json::Value) -> String {
    let text = match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Object(o) => match o.get("AWS") {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Array(a)) => a
                .first()
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string(),
            _ => String::new(),
        },
        _ => String::new(),
    };
    match ArnFields::parse(&text) {
        Ok(arn) => arn.account_id.to_string(),
        Err(_) => text,
    }
}

/// Every statement of a layer version policy document.
pub fn parse_layer_policy(policy: &str, revision_id: &str) -> BackendResult<LayerPolicy> {
    let document: serde_json::Value = serde_json::from_str(policy).map_err(|e| {
        BackendError::Internal(format!(
            "Lambda returned a layer policy that is not JSON: {e}"
        ))
    })?;
    let statements = match document.get("Statement") {
        Some(serde_json::Value::Array(list)) => list.clone(),
        Some(single @ serde_json::Value::Object(_)) => vec![single.clone()],
        _ => Vec::new(),
    };
    let statements = statements
        .iter()
        .map(|s| {
            let action = match s.get("Action") {
                Some(serde_json::Value::String(a)) => a.clone(),
                Some(serde_json::Value::Array(a)) => a
                    .iter()
                    .filter_map(|v| v.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
                _ => String::new(),
            };
            LayerStatement {
                statement_id: s
                    .get("Sid")
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string(),
                action,
                principal: s.get("Principal").map(principal_of).unwrap_or_default(),
                organization_id: s
                    .get("Condition")
                    .and_then(|c| c.get("StringEquals"))
                    .and_then(|c| c.get("aws:PrincipalOrgID"))
                    .and_then(|v| v.as_str())
                    .map(str::to_string),
            }
        })
        .collect();
    Ok(LayerPolicy {
        statements,
        revision_id: revision_id.to_string(),
    })
}

impl AwsBackend {
    async fn lambda_tags(&self, arn: &str) -> BackendResult<Tags> {
        let out = self
            .clients
            .lambda
            .list_tags()
            .resource(arn)
            .send()
            .await
            .map_err(|e| map(&format!("lambda:ListTags {arn}"), Conflict::State, e))?;
        Ok(out
            .tags()
            .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default())
    }

    async fn lambda_set_tags(&self, arn: &str, tags: &Tags) -> BackendResult<()> {
        let current = self.lambda_tags(arn).await?;
        let doing = format!("lambda tags of {arn}");
        let removed: Vec<String> = current
            .keys()
            .filter(|k| !tags.contains_key(*k))
            .cloned()
            .collect();
        if !removed.is_empty() {
            self.clients
                .lambda
                .untag_resource()
                .resource(arn)
                .set_tag_keys(Some(removed))
                .send()
                .await
                .map_err(|e| map(&doing, Conflict::State, e))?;
        }
        let changed: HashMap<String, String> = tags
            .iter()
            .filter(|(k, v)| current.get(*k) != Some(*v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if !changed.is_empty() {
            self.clients
                .lambda
                .tag_resource()
                .resource(arn)
                .set_tags(Some(changed))
                .send()
                .await
                .map_err(|e| map(&doing, Conflict::State, e))?;
        }
        Ok(())
    }

    pub(super) async fn lambda_create_csc(
        &self,
        input: CodeSigningConfigInput,
    ) -> BackendResult<CodeSigningConfig> {
        let tags = (!input.tags.is_empty()).then(|| input.tags.clone().into_iter().collect());
        let out = self
            .clients
            .lambda
            .create_code_signing_config()
            .description(&input.description)
            .allowed_publishers(publishers(&input)?)
            .code_signing_policies(policies(&input))
            .set_tags(tags)
            .send()
            .await
            .map_err(|e| map("lambda:CreateCodeSigningConfig", Conflict::State, e))?;
        let csc = out.code_signing_config().ok_or_else(|| {
            BackendError::Internal("lambda:CreateCodeSigningConfig returned no config".into())
        })?;
        Ok(csc_of(csc, input.tags))
    }

    pub(super) async fn lambda_get_csc(&self, arn: &str) -> BackendResult<CodeSigningConfig> {
        let out = self
            .clients
            .lambda
            .get_code_signing_config()
            .code_signing_config_arn(arn)
            .send()
            .await
            .map_err(|e| {
                map(
                    &format!("lambda:GetCodeSigningConfig {arn}"),
                    Conflict::State,
                    e,
                )
            })?;
        let csc = out.code_signing_config().ok_or_else(|| {
            BackendError::Internal(format!(
                "lambda:GetCodeSigningConfig {arn} returned no config"
            ))
        })?;
        let tags = self.lambda_tags(arn).await?;
        Ok(csc_of(csc, tags))
    }

    pub(super) async fn lambda_update_csc(
        &self,
        arn: &str,
        input: CodeSigningConfigInput,
    ) -> BackendResult<CodeSigningConfig> {
        let out = self
            .clients
            .lambda
            .update_code_signing_config()
            .code_signing_config_arn(arn)
            .description(&input.description)
            .allowed_publishers(publishers(&input)?)
            .code_signing_policies(policies(&input))
            .send()
            .await
            .map_err(|e| {
                map(
                    &format!("lambda:UpdateCodeSigningConfig {arn}"),
                    Conflict::State,
                    e,
                )
            })?;
        self.lambda_set_tags(arn, &input.tags).await?;
        let csc = out.code_signing_config().ok_or_else(|| {
            BackendError::Internal(format!(
                "lambda:UpdateCodeSigningConfig {arn} returned no config"
            ))
        })?;
        Ok(csc_of(csc, input.tags))
    }

    /// ListCodeSigningConfigs, with each config's tags.
    pub(super) async fn lambda_list_cscs(&self) -> BackendResult<Vec<CodeSigningConfig>> {
        let mut configs = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let out = self
                .clients
                .lambda
                .list_code_signing_configs()
                .set_marker(marker.clone())
                .send()
                .await
                .map_err(|e| map("lambda:ListCodeSigningConfigs", Conflict::State, e))?;
            for csc in out.code_signing_configs() {
                let tags = self.lambda_tags(csc.code_signing_config_arn()).await?;
                configs.push(csc_of(csc, tags));
            }
            marker = out
                .next_marker()
                .map(str::to_string)
                .filter(|m| !m.is_empty());
            if marker.is_none() {
                return Ok(configs);
            }
        }
    }

    /// What a function's deployed code and layers were signed with
    /// (GetFunction).
    pub(super) async fn lambda_function_signing(
        &self,
        function: &str,
    ) -> BackendResult<FunctionSigning> {
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
        let config = out.configuration();
        let non_empty = |s: Option<&str>| s.filter(|s| !s.is_empty()).map(str::to_string);
        Ok(FunctionSigning {
            function_arn: config
                .and_then(|c| c.function_arn())
                .unwrap_or(function)
                .to_string(),
            code: SignedBy {
                signing_profile_version_arn: non_empty(
                    config.and_then(|c| c.signing_profile_version_arn()),
                ),
                signing_job_arn: non_empty(config.and_then(|c| c.signing_job_arn())),
            },
            layers: config
                .map(|c| c.layers())
                .unwrap_or_default()
                .iter()
                .map(|layer| {
                    Ok((
                        required(layer.arn(), "lambda:GetFunction", "Layers[].Arn")?.to_string(),
                        SignedBy {
                            signing_profile_version_arn: non_empty(
                                layer.signing_profile_version_arn(),
                            ),
                            signing_job_arn: non_empty(layer.signing_job_arn()),
                        },
                    ))
                })
                .collect::<BackendResult<_>>()?,
        })
    }

    /// ListLayerVersions, each read in full, newest first.
    pub(super) async fn lambda_list_layer_versions(
        &self,
        name: &str,
    ) -> BackendResult<Vec<LayerVersion>> {
        let mut arns = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let out = self
                .clients
                .lambda
                .list_layer_versions()
                .layer_name(name)
                .set_marker(marker.clone())
                .send()
                .await
                .map_err(|e| {
                    map(
                        &format!("lambda:ListLayerVersions {name}"),
                        Conflict::State,
                        e,
                    )
                })?;
            arns.extend(
                out.layer_versions()
                    .iter()
                    .filter_map(|v| v.layer_version_arn().map(str::to_string)),
            );
            marker = out
                .next_marker()
                .map(str::to_string)
                .filter(|m| !m.is_empty());
            if marker.is_none() {
                break;
            }
        }
        let mut versions = Vec::with_capacity(arns.len());
        for arn in arns {
            versions.push(self.lambda_get_layer(&arn).await?);
        }
        versions.sort_by_key(|v| std::cmp::Reverse(v.version));
        Ok(versions)
    }

    /// The functions that use a CSC (ListFunctionsByCodeSigningConfig).
    pub(super) async fn lambda_csc_users(&self, arn: &str) -> BackendResult<Vec<String>> {
        let mut users = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let out = self
                .clients
                .lambda
                .list_functions_by_code_signing_config()
                .code_signing_config_arn(arn)
                .set_marker(marker.clone())
                .send()
                .await
                .map_err(|e| {
                    map(
                        &format!("lambda:ListFunctionsByCodeSigningConfig {arn}"),
                        Conflict::State,
                        e,
                    )
                })?;
            users.extend(out.function_arns().iter().cloned());
            marker = out
                .next_marker()
                .map(str::to_string)
                .filter(|m| !m.is_empty());
            if marker.is_none() {
                return Ok(users);
            }
        }
    }

    pub(super) async fn lambda_delete_csc(&self, arn: &str) -> BackendResult<()> {
        let in_use = |users: &[String]| BackendError::InUse {
            subject: Subject::CodeSigningConfig(arn.to_string()),
            users: users.to_vec(),
        };
        let users = self.lambda_csc_users(arn).await?;
        if !users.is_empty() {
            return Err(in_use(&users));
        }
        match self
            .clients
            .lambda
            .delete_code_signing_config()
            .code_signing_config_arn(arn)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => match map(
                &format!("lambda:DeleteCodeSigningConfig {arn}"),
                Conflict::State,
                e,
            ) {
                // A function attached since the listing.
                BackendError::Conflict(message) => {
                    let users = self.lambda_csc_users(arn).await.unwrap_or_default();
                    if users.is_empty() {
                        Err(BackendError::Conflict(message))
                    } else {
                        Err(in_use(&users))
                    }
                }
                other => Err(other),
            },
        }
    }

    pub(super) async fn lambda_publish_layer(
        &self,
        request: PublishLayerVersion,
    ) -> BackendResult<LayerVersion> {
        let (content, digest) = match &request.content {
            ObjectLocation::File(path) => {
                // The digest refuses anything but a regular file before it is read.
                let digest = super::signer::file_digest(path).await?;
                let owned = path.clone();
                let bytes = tokio::task::spawn_blocking(move || -> std::io::Result<Vec<u8>> {
                    let mut bytes = Vec::new();
                    std::io::Read::read_to_end(
                        &mut crate::domain::files::open_regular(&owned)?,
                        &mut bytes,
                    )?;
                    Ok(bytes)
                })
                .await
                .map_err(|e| BackendError::Internal(format!("reading {}: {e}", path.display())))?
                .map_err(|e| {
                    BackendError::invalid("signed_file", format!("{}: {e}", path.display()))
                })?;
                (
                    LayerVersionContentInput::builder()
                        .zip_file(Blob::new(bytes))
                        .build(),
                    digest,
                )
            }
            ObjectLocation::S3 {
                bucket,
                key,
                version,
            } => {
                let digest = s3::digest(&self.clients.s3, bucket, key, version.as_deref()).await?;
                (
                    LayerVersionContentInput::builder()
                        .s3_bucket(bucket)
                        .s3_key(key)
                        .set_s3_object_version(version.clone())
                        .build(),
                    digest,
                )
            }
        };
        let out = self
            .clients
            .lambda
            .publish_layer_version()
            .layer_name(&request.layer_name)
            .content(content)
            .set_description(Some(request.description.clone()).filter(|d| !d.is_empty()))
            .set_license_info(request.license_info.clone())
            .set_compatible_runtimes((!request.compatible_runtimes.is_empty()).then(|| {
                request
                    .compatible_runtimes
                    .iter()
                    .map(|r| Runtime::from(r.as_str()))
                    .collect()
            }))
            .set_compatible_architectures((!request.compatible_architectures.is_empty()).then(
                || {
                    request
                        .compatible_architectures
                        .iter()
                        .map(|a| Architecture::from(a.as_str()))
                        .collect()
                },
            ))
            .send()
            .await
            .map_err(|e| {
                map(
                    &format!("lambda:PublishLayerVersion {}", request.layer_name),
                    Conflict::State,
                    e,
                )
            })?;
        layer_of(
            LayerFields {
                layer_arn: out.layer_arn(),
                layer_version_arn: out.layer_version_arn(),
                version: out.version(),
                description: out.description(),
                license_info: out.license_info(),
                created_date: out.created_date(),
                runtimes: out.compatible_runtimes(),
                architectures: out.compatible_architectures(),
                content: out.content(),
            },
            digest,
            "lambda:PublishLayerVersion",
        )
    }

    /// GetLayerVersionByArn. Lambda does not return the content's SHA-384,
    /// so `content_sha384` is empty (the resource keeps the one it recorded).
    pub(super) async fn lambda_get_layer(&self, arn: &str) -> BackendResult<LayerVersion> {
        let out = self.get_layer_by_arn(arn).await?;
        layer_of(
            LayerFields {
                layer_arn: out.layer_arn(),
                layer_version_arn: out.layer_version_arn(),
                version: out.version(),
                description: out.description(),
                license_info: out.license_info(),
                created_date: out.created_date(),
                runtimes: out.compatible_runtimes(),
                architectures: out.compatible_architectures(),
                content: out.content(),
            },
            String::new(),
            "lambda:GetLayerVersionByArn",
        )
    }

    /// GetLayerVersionByArn, as Lambda answers it (its `Content.Location`
    /// too, which `content` reads).
    pub(super) async fn get_layer_by_arn(
        &self,
        arn: &str,
    ) -> BackendResult<
        aws_sdk_lambda::operation::get_layer_version_by_arn::GetLayerVersionByArnOutput,
    > {
        self.clients
            .lambda
            .get_layer_version_by_arn()
            .arn(arn)
            .send()
            .await
            .map_err(|e| {
                map(
                    &format!("lambda:GetLayerVersionByArn {arn}"),
                    Conflict::State,
                    e,
                )
            })
    }

    pub(super) async fn lambda_delete_layer(&self, name: &str, version: i64) -> BackendResult<()> {
        self.clients
            .lambda
            .delete_layer_version()
            .layer_name(name)
            .version_number(version)
            .send()
            .await
            .map_err(|e| {
                map(
                    &format!("lambda:DeleteLayerVersion {name}:{version}"),
                    Conflict::State,
                    e,
                )
            })?;
        Ok(())
    }

    pub(super) async fn lambda_add_layer_permission(
        &self,
        request: AddLayerPermission,
    ) -> BackendResult<LayerPolicy> {
        self.clients
            .lambda
            .add_layer_version_permission()
            .layer_name(&request.layer_name)
            .version_number(request.version)
            .statement_id(&request.statement_id)
            .action("lambda:GetLayerVersion")
            .principal(&request.principal)
            .set_organization_id(request.organization_id.clone())
            .set_revision_id(request.revision_id.clone().filter(|r| !r.is_empty()))
            .send()
            .await
            .map_err(|e| {
                map(
                    &format!(
                        "lambda:AddLayerVersionPermission {}:{} {}",
                        request.layer_name, request.version, request.statement_id
                    ),
                    Conflict::State,
                    e,
                )
            })?;
        self.lambda_get_layer_policy(&request.layer_name, request.version)
            .await
    }

    pub(super) async fn lambda_get_layer_policy(
        &self,
        name: &str,
        version: i64,
    ) -> BackendResult<LayerPolicy> {
        let out = self
            .clients
            .lambda
            .get_layer_version_policy()
            .layer_name(name)
            .version_number(version)
            .send()
            .await
            .map_err(|e| {
                map(
                    &format!("lambda:GetLayerVersionPolicy {name}:{version}"),
                    Conflict::State,
                    e,
                )
            })?;
        parse_layer_policy(
            out.policy().unwrap_or("{}"),
            out.revision_id().unwrap_or_default(),
        )
    }

    pub(super) async fn lambda_remove_layer_permission(
        &self,
        name: &str,
        version: i64,
        statement_id: &str,
        revision_id: Option<&str>,
    ) -> BackendResult<()> {
        self.clients
            .lambda
            .remove_layer_version_permission()
            .layer_name(name)
            .version_number(version)
            .statement_id(statement_id)
            .set_revision_id(revision_id.map(str::to_string).filter(|r| !r.is_empty()))
            .send()
            .await
            .map_err(|e| {
                map(
                    &format!("lambda:RemoveLayerVersionPermission {name}:{version} {statement_id}"),
                    Conflict::State,
                    e,
                )
            })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_policies_yield_every_statement() {
        let policy = r#"{"Version":"2012-10-17","Id":"default","Statement":[
            {"Sid":"a","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"lambda:GetLayerVersion","Resource":"arn:aws:lambda:us-east-1:111111111111:layer:l:1"},
            {"Sid":"b","Effect":"Allow","Principal":"*","Action":"lambda:GetLayerVersion","Resource":"x","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}},
            {"Sid":"c","Effect":"Allow","Principal":{"AWS":"333333333333"},"Action":["lambda:GetLayerVersion"],"Resource":"x"}]}"#;
        let parsed = parse_layer_policy(policy, "rev").unwrap();
        assert_eq!(parsed.revision_id, "rev");
        let summary: Vec<(&str, &str, Option<&str>)> = parsed
            .statements
            .iter()
            .map(|s| {
                (
                    s.statement_id.as_str(),
                    s.principal.as_str(),
                    s.organization_id.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                ("a", "222222222222", None),
                ("b", "*", Some("o-abc")),
                ("c", "333333333333", None)
            ]
        );
        assert!(parse_layer_policy("not json", "").is_err());
    }

    #[test]
    fn lambda_timestamps_parse() {
        assert_eq!(
            lambda_time("2024-05-01T12:30:00.000+0000").to_rfc3339(),
            "2024-05-01T12:30:00+00:00"
        );
        assert_eq!(
            lambda_time("2024-05-01T12:30:00Z").to_rfc3339(),
            "2024-05-01T12:30:00+00:00"
        );
    }
}
