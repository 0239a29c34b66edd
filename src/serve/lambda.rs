//! AWS Lambda (restJson1, model 2015-03-31): code signing configs,
//! functions with Lambda's deploy-time checks (`engine::function`), layer
//! versions and their permissions, and tags.
//!
//! Of a function's configuration, the role, runtime, handler, description,
//! timeout, memory size, architectures, environment, layers, code signing
//! config and tags are kept; other members are accepted and not stored.
//! What would need more than that is refused by name: publishing versions
//! (`Publish`), container images, dry runs.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::errors::{self, ApiError};
use super::http::{Request, Response};
use super::routes::{Matched, Service};
use super::wire::{self, lambda_time, Members};
use super::Ctx;
use crate::backend::{
    AddLayerPermission, Backend, CodeSigningConfigInput, CreateFunction, PublishLayerVersion,
    UpdateFunctionCode, UpdateFunctionConfiguration,
};
use crate::domain::arn::ArnFields;
use crate::domain::arn::{LayerArn, LayerVersionArn};
use crate::domain::checks::Enforcement;
use crate::domain::csc::CodeSigningConfig;
use crate::domain::files;
use crate::domain::function::Function;
use crate::domain::job::ObjectLocation;
use crate::domain::layer::{LayerPolicy, LayerStatement, LayerVersion, LAYER_ACTION};
use crate::engine::function as functions;

const S: Service = Service::Lambda;
/// Lambda's largest page for code signing configs, functions and layers.
const MAX_ITEMS: usize = 10000;
const MAX_LAYER_ITEMS: usize = 50;

pub async fn handle(ctx: &Ctx, m: &Matched, request: &Request) -> Result<Response, ApiError> {
    match m.op.name {
        "CreateCodeSigningConfig" => create_csc(ctx, request).await,
        "GetCodeSigningConfig" => {
            let csc = ctx
                .backend
                .get_code_signing_config(m.label("CodeSigningConfigArn"))
                .await
                .map_err(|e| errors::lambda(e, false))?;
            Ok(Response::json(
                200,
                &json!({ "CodeSigningConfig": csc_json(&csc) }),
            ))
        }
        "UpdateCodeSigningConfig" => {
            update_csc(ctx, m.label("CodeSigningConfigArn"), request).await
        }
        "DeleteCodeSigningConfig" => {
            ctx.backend
                .delete_code_signing_config(m.label("CodeSigningConfigArn"))
                .await
                .map_err(|e| errors::lambda(e, false))?;
            Ok(Response::new(204))
        }
        "ListCodeSigningConfigs" => list_cscs(ctx, request).await,
        "ListFunctionsByCodeSigningConfig" => {
            let arns = ctx
                .backend
                .list_functions_by_code_signing_config(m.label("CodeSigningConfigArn"))
                .await
                .map_err(|e| errors::lambda(e, false))?;
            let max = wire::max_items(S, request.query.get("MaxItems"), "MaxItems", MAX_ITEMS)?;
            let (page, next) = wire::page(S, arns, request.query.get("Marker"), max, "Marker")?;
            let mut out = json!({ "FunctionArns": page });
            if let Some(next) = next {
                out["NextMarker"] = json!(next);
            }
            Ok(Response::json(200, &out))
        }
        "CreateFunction" => create_function(ctx, request).await,
        "GetFunction" => get_function(ctx, m.label("FunctionName"), request).await,
        "GetFunctionConfiguration" => {
            qualifier(request)?;
            let function = functions::get(&ctx.engine, m.label("FunctionName"))
                .await
                .map_err(errors::function)?;
            Ok(Response::json(200, &function_json(&function)))
        }
        "UpdateFunctionCode" => update_code(ctx, m.label("FunctionName"), request).await,
        "UpdateFunctionConfiguration" => {
            update_configuration(ctx, m.label("FunctionName"), request).await
        }
        "DeleteFunction" => {
            qualifier(request)?;
            functions::delete(&ctx.engine, m.label("FunctionName"))
                .await
                .map_err(errors::function)?;
            Ok(Response::new(204))
        }
        "GetFunctionCodeSigningConfig" => {
            let function = functions::get(&ctx.engine, m.label("FunctionName"))
                .await
                .map_err(errors::function)?;
            Ok(Response::json(
                200,
                &json!({
                    "CodeSigningConfigArn": function.code_signing_config_arn.unwrap_or_default(),
                    "FunctionName": function.name,
                }),
            ))
        }
        "PutFunctionCodeSigningConfig" => {
            let body = wire::body(S, request)?;
            let csc_arn = Members::new(S, &body).required("CodeSigningConfigArn")?;
            let name = m.label("FunctionName");
            functions::put_code_signing_config(&ctx.engine, name, &csc_arn)
                .await
                .map_err(errors::function)?;
            let function = functions::get(&ctx.engine, name)
                .await
                .map_err(errors::function)?;
            Ok(Response::json(
                200,
                &json!({ "CodeSigningConfigArn": csc_arn, "FunctionName": function.name }),
            ))
        }
        "DeleteFunctionCodeSigningConfig" => {
            functions::delete_code_signing_config(&ctx.engine, m.label("FunctionName"))
                .await
                .map_err(errors::function)?;
            Ok(Response::new(204))
        }
        "PublishLayerVersion" => publish_layer(ctx, m.label("LayerName"), request).await,
        "GetLayerVersion" => {
            let arn = layer_version_arn(ctx, m)?;
            layer_response(ctx, &arn, 200).await
        }
        "GetLayerVersionByArn" => {
            let arn = request
                .query
                .get("Arn")
                .filter(|a| !a.is_empty())
                .ok_or_else(|| ApiError::missing(S, "Arn"))?;
            let arn: LayerVersionArn = arn
                .parse()
                .map_err(|e| ApiError::invalid(S, "Arn", format!("{arn:?}: {e}")))?;
            layer_response(ctx, &arn, 200).await
        }
        "ListLayerVersions" => list_layer_versions(ctx, m.label("LayerName"), request).await,
        "DeleteLayerVersion" => {
            let arn = own_layer_version(ctx, m, "lambda:DeleteLayerVersion")?;
            ctx.backend
                .delete_layer_version(arn.name(), arn.version())
                .await
                .map_err(|e| errors::lambda(e, false))?;
            Ok(Response::new(204))
        }
        "AddLayerVersionPermission" => add_layer_permission(ctx, m, request).await,
        "RemoveLayerVersionPermission" => {
            let arn = own_layer_version(ctx, m, "lambda:RemoveLayerVersionPermission")?;
            ctx.backend
                .remove_layer_permission(
                    arn.name(),
                    arn.version(),
                    m.label("StatementId"),
                    request.query.get("RevisionId").filter(|r| !r.is_empty()),
                )
                .await
                .map_err(|e| errors::lambda(e, false))?;
            Ok(Response::new(204))
        }
        "GetLayerVersionPolicy" => {
            let arn = own_layer_version(ctx, m, "lambda:GetLayerVersionPolicy")?;
            let policy = ctx
                .backend
                .get_layer_policy(arn.name(), arn.version())
                .await
                .map_err(|e| errors::lambda(e, false))?;
            let document = json!({
                "Version": "2012-10-17",
                "Id": "default",
                "Statement": policy
                    .statements
                    .iter()
                    .map(|s| statement_json(&arn, s))
                    .collect::<Vec<_>>(),
            });
            Ok(Response::json(
                200,
                &json!({ "Policy": document.to_string(), "RevisionId": policy.revision_id }),
            ))
        }
        "ListTags" => {
            let tags = ctx
                .backend
                .list_tags(m.label("Resource"))
                .await
                .map_err(|e| errors::lambda(e, false))?;
            Ok(Response::json(200, &json!({ "Tags": tags })))
        }
        "TagResource" => {
            let body = wire::body(S, request)?;
            let tags = Members::new(S, &body)
                .string_map("Tags")?
                .ok_or_else(|| ApiError::missing(S, "Tags"))?;
            ctx.backend
                .tag_resource(m.label("Resource"), tags)
                .await
                .map_err(|e| errors::lambda(e, false))?;
            Ok(Response::new(204))
        }
        "UntagResource" => {
            let keys = request.query.all("tagKeys");
            if keys.is_empty() {
                return Err(ApiError::missing(S, "TagKeys"));
            }
            ctx.backend
                .untag_resource(m.label("Resource"), &keys)
                .await
                .map_err(|e| errors::lambda(e, false))?;
            Ok(Response::new(204))
        }
        other => Err(ApiError::not_emulated(S, other)),
    }
}

// --- code signing configs ---------------------------------------------------------------

fn csc_json(csc: &CodeSigningConfig) -> Value {
    json!({
        "CodeSigningConfigId": csc.id,
        "CodeSigningConfigArn": csc.arn,
        "Description": csc.description,
        "AllowedPublishers": { "SigningProfileVersionArns": csc.allowed_publishers },
        "CodeSigningPolicies": { "UntrustedArtifactOnDeployment": csc.enforcement.as_str() },
        "LastModified": lambda_time(csc.last_modified),
    })
}

fn publishers(m: &Members<'_>) -> Result<Option<Vec<String>>, ApiError> {
    match m.object("AllowedPublishers")? {
        None => Ok(None),
        Some(p) => p
            .strings("SigningProfileVersionArns")?
            .ok_or_else(|| ApiError::missing(S, "AllowedPublishers.SigningProfileVersionArns"))
            .map(Some),
    }
}

fn enforcement(m: &Members<'_>) -> Result<Option<Enforcement>, ApiError> {
    let Some(policies) = m.object("CodeSigningPolicies")? else {
        return Ok(None);
    };
    policies
        .string("UntrustedArtifactOnDeployment")?
        .map(|text| {
            text.parse::<Enforcement>().map_err(|_| {
                ApiError::invalid(
                    S,
                    "CodeSigningPolicies.UntrustedArtifactOnDeployment",
                    format!("{text:?} is not Warn or Enforce"),
                )
            })
        })
        .transpose()
}

async fn create_csc(ctx: &Ctx, request: &Request) -> Result<Response, ApiError> {
    let body = wire::body(S, request)?;
    let m = Members::new(S, &body);
    let input = CodeSigningConfigInput {
        allowed_publishers: publishers(&m)?
            .ok_or_else(|| ApiError::missing(S, "AllowedPublishers"))?,
        enforcement: enforcement(&m)?.unwrap_or_default(),
        description: m.string("Description")?.unwrap_or_default(),
        tags: m.string_map("Tags")?.unwrap_or_default(),
    };
    let csc = ctx
        .backend
        .create_code_signing_config(input)
        .await
        .map_err(|e| errors::lambda(e, false))?;
    Ok(Response::json(
        201,
        &json!({ "CodeSigningConfig": csc_json(&csc) }),
    ))
}

async fn update_csc(ctx: &Ctx, arn: &str, request: &Request) -> Result<Response, ApiError> {
    let body = wire::body(S, request)?;
    let m = Members::new(S, &body);
    let current = ctx
        .backend
        .get_code_signing_config(arn)
        .await
        .map_err(|e| errors::lambda(e, false))?;
    let input = CodeSigningConfigInput {
        allowed_publishers: publishers(&m)?.unwrap_or(current.allowed_publishers),
        enforcement: enforcement(&m)?.unwrap_or(current.enforcement),
        description: m.string("Description")?.unwrap_or(current.description),
        tags: current.tags,
    };
    let csc = ctx
        .backend
        .update_code_signing_config(arn, input)
        .await
        .map_err(|e| errors::lambda(e, false))?;
    Ok(Response::json(
        200,
        &json!({ "CodeSigningConfig": csc_json(&csc) }),
    ))
}

async fn list_cscs(ctx: &Ctx, request: &Request) -> Result<Response, ApiError> {
    let cscs = ctx
        .backend
        .list_code_signing_configs()
        .await
        .map_err(|e| errors::lambda(e, false))?;
    let max = wire::max_items(S, request.query.get("MaxItems"), "MaxItems", MAX_ITEMS)?;
    let (page, next) = wire::page(S, cscs, request.query.get("Marker"), max, "Marker")?;
    let mut out = json!({ "CodeSigningConfigs": page.iter().map(csc_json).collect::<Vec<_>>() });
    if let Some(next) = next {
        out["NextMarker"] = json!(next);
    }
    Ok(Response::json(200, &out))
}

// --- functions ----------------------------------------------------------------------

/// Only `$LATEST` exists: another qualifier names a version or alias.
fn qualifier(request: &Request) -> Result<(), ApiError> {
    match request.query.get("Qualifier") {
        None | Some("") | Some("$LATEST") => Ok(()),
        Some(q) => Err(ApiError::new(
            S,
            404,
            "ResourceNotFoundException",
            format!("function qualifier {q:?}: only $LATEST exists here (function versions and aliases are not emulated)"),
        )),
    }
}

/// FunctionConfiguration, as Lambda reports `$LATEST`.
fn function_json(f: &Function) -> Value {
    let (size, sha256) = f
        .code
        .as_ref()
        .map_or((0, String::new()), |c| (c.size, c.sha256_base64.clone()));
    let mut out = json!({
        "FunctionName": f.name,
        "FunctionArn": f.arn,
        "Role": f.role,
        "CodeSize": size,
        "Description": f.description,
        "Timeout": f.timeout,
        "MemorySize": f.memory_size,
        "LastModified": lambda_time(f.last_modified),
        "CodeSha256": sha256,
        "Version": "$LATEST",
        "TracingConfig": { "Mode": "PassThrough" },
        "RevisionId": f.revision_id,
        "State": "Active",
        "LastUpdateStatus": "Successful",
        "PackageType": "Zip",
        "Architectures": f.architectures,
        "EphemeralStorage": { "Size": 512 },
        "SnapStart": { "ApplyOn": "None", "OptimizationStatus": "Off" },
        "LoggingConfig": { "LogFormat": "Text", "LogGroup": format!("/aws/lambda/{}", f.name) },
    });
    if let Some(runtime) = &f.runtime {
        out["Runtime"] = json!(runtime);
    }
    if let Some(handler) = &f.handler {
        out["Handler"] = json!(handler);
    }
    if !f.environment.is_empty() {
        out["Environment"] = json!({ "Variables": f.environment });
    }
    if !f.layers.is_empty() {
        out["Layers"] = Value::Array(
            f.layers
                .iter()
                .map(|l| {
                    let mut v = json!({ "Arn": l.arn, "CodeSize": l.code_size });
                    if let Some(arn) = &l.signed_by.signing_profile_version_arn {
                        v["SigningProfileVersionArn"] = json!(arn);
                    }
                    if let Some(arn) = &l.signed_by.signing_job_arn {
                        v["SigningJobArn"] = json!(arn);
                    }
                    v
                })
                .collect(),
        );
    }
    if let Some(code) = &f.code {
        if let Some(arn) = &code.signed_by.signing_profile_version_arn {
            out["SigningProfileVersionArn"] = json!(arn);
        }
        if let Some(arn) = &code.signed_by.signing_job_arn {
            out["SigningJobArn"] = json!(arn);
        }
    }
    out
}

/// Uploaded bytes (`ZipFile`) in a temporary file inside the store,
/// removed when dropped.
/// An uploaded `ZipFile`, kept in a temporary file of ours in the store's
/// `tmp` (named with this process's id and removed when dropped; those a
/// killed `serve` left are removed by the next upload, and at start).
struct Upload(files::TempFile);

impl Upload {
    fn path(&self) -> &Path {
        self.0.path()
    }
}

async fn upload(ctx: &Ctx, field: &str, base64_text: &str) -> Result<Upload, ApiError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(base64_text.trim())
        .map_err(|e| ApiError::invalid(S, field, format!("is not base64: {e}")))?;
    let dir = uploads_dir(ctx.backend.path());
    let write = tokio::task::spawn_blocking(move || -> std::io::Result<Upload> {
        std::fs::create_dir_all(&dir)?;
        let mut temp = files::TempFile::new_in(&dir)?;
        use std::io::Write;
        temp.as_file_mut().write_all(&bytes)?;
        Ok(Upload(temp))
    });
    match write.await {
        Ok(Ok(upload)) => Ok(upload),
        Ok(Err(e)) => Err(ApiError::new(
            S,
            500,
            "ServiceException",
            format!("cannot keep the upload: {e}"),
        )),
        Err(e) => Err(ApiError::new(
            S,
            500,
            "ServiceException",
            format!("upload task failed: {e}"),
        )),
    }
}

/// Where uploads wait, in the store.
pub(super) fn uploads_dir(store: &Path) -> PathBuf {
    store.join("tmp")
}

/// A deployment package: `ZipFile` (kept in `upload`) or an S3 object.
async fn package(
    ctx: &Ctx,
    m: &Members<'_>,
    prefix: &str,
) -> Result<(ObjectLocation, Option<Upload>), ApiError> {
    let field = |name: &str| format!("{prefix}{name}");
    if m.string("ImageUri")?.is_some() {
        return Err(ApiError::invalid(
            S,
            &field("ImageUri"),
            "container images are not emulated (they cannot be signed for Lambda either)",
        ));
    }
    if let Some(zip) = m.string("ZipFile")? {
        let upload = upload(ctx, &field("ZipFile"), &zip).await?;
        return Ok((
            ObjectLocation::File(upload.path().to_path_buf()),
            Some(upload),
        ));
    }
    match (m.string("S3Bucket")?, m.string("S3Key")?) {
        (Some(bucket), Some(key)) => Ok((
            ObjectLocation::S3 {
                bucket,
                key,
                version: m.string("S3ObjectVersion")?,
            },
            None,
        )),
        (Some(_), None) => Err(ApiError::missing(S, &field("S3Key"))),
        (None, Some(_)) => Err(ApiError::missing(S, &field("S3Bucket"))),
        (None, None) => Err(ApiError::invalid(
            S,
            prefix.trim_end_matches('.'),
            "give ZipFile, or S3Bucket and S3Key",
        )),
    }
}

fn environment(
    m: &Members<'_>,
) -> Result<Option<std::collections::BTreeMap<String, String>>, ApiError> {
    match m.object("Environment")? {
        None => Ok(None),
        Some(env) => Ok(Some(env.string_map("Variables")?.unwrap_or_default())),
    }
}

fn refuse_publish(m: &Members<'_>) -> Result<(), ApiError> {
    if m.boolean("Publish")? == Some(true) {
        return Err(ApiError::invalid(
            S,
            "Publish",
            "publishing function versions is not emulated; only $LATEST exists",
        ));
    }
    Ok(())
}

async fn create_function(ctx: &Ctx, request: &Request) -> Result<Response, ApiError> {
    let body = wire::body(S, request)?;
    let m = Members::new(S, &body);
    refuse_publish(&m)?;
    if m.string("PackageType")?.is_some_and(|t| t != "Zip") {
        return Err(ApiError::invalid(
            S,
            "PackageType",
            "only Zip is emulated (container images cannot be signed for Lambda)",
        ));
    }
    let code = m.required_object("Code")?;
    let (code, _upload) = package(ctx, &code, "Code.").await?;
    let create = CreateFunction {
        name: m.required("FunctionName")?,
        role: m.required("Role")?,
        runtime: m.string("Runtime")?,
        handler: m.string("Handler")?,
        description: m.string("Description")?.unwrap_or_default(),
        timeout: m.integer("Timeout")?,
        memory_size: m.integer("MemorySize")?,
        architectures: m.strings("Architectures")?.unwrap_or_default(),
        environment: environment(&m)?.unwrap_or_default(),
        code,
        layers: m.strings("Layers")?.unwrap_or_default(),
        code_signing_config_arn: m.string("CodeSigningConfigArn")?,
        tags: m.string_map("Tags")?.unwrap_or_default(),
    };
    let deployed = functions::create(&ctx.engine, create)
        .await
        .map_err(errors::function)?;
    Ok(Response::json(201, &function_json(&deployed.function)))
}

async fn get_function(ctx: &Ctx, name: &str, request: &Request) -> Result<Response, ApiError> {
    qualifier(request)?;
    let function = functions::get(&ctx.engine, name)
        .await
        .map_err(errors::function)?;
    let mut out = json!({
        "Configuration": function_json(&function),
        "Tags": function.tags,
    });
    if function.code.is_some() {
        out["Code"] = json!({
            "RepositoryType": "S3",
            "Location": ctx.presigner.url(&ctx.base_url, "function", &function.arn, chrono::Utc::now()),
        });
    }
    Ok(Response::json(200, &out))
}

async fn update_code(ctx: &Ctx, name: &str, request: &Request) -> Result<Response, ApiError> {
    let body = wire::body(S, request)?;
    let m = Members::new(S, &body);
    refuse_publish(&m)?;
    if m.boolean("DryRun")? == Some(true) {
        return Err(ApiError::invalid(S, "DryRun", "dry runs are not emulated"));
    }
    let (code, _upload) = package(ctx, &m, "").await?;
    let deployed = functions::update_code(
        &ctx.engine,
        UpdateFunctionCode {
            function: name.to_string(),
            code,
            revision_id: m.string("RevisionId")?,
        },
    )
    .await
    .map_err(errors::function)?;
    Ok(Response::json(200, &function_json(&deployed.function)))
}

async fn update_configuration(
    ctx: &Ctx,
    name: &str,
    request: &Request,
) -> Result<Response, ApiError> {
    let body = wire::body(S, request)?;
    let m = Members::new(S, &body);
    let deployed = functions::update_configuration(
        &ctx.engine,
        UpdateFunctionConfiguration {
            function: name.to_string(),
            role: m.string("Role")?,
            runtime: m.string("Runtime")?,
            handler: m.string("Handler")?,
            description: m.string("Description")?,
            timeout: m.integer("Timeout")?,
            memory_size: m.integer("MemorySize")?,
            environment: environment(&m)?,
            layers: m.strings("Layers")?,
            revision_id: m.string("RevisionId")?,
        },
    )
    .await
    .map_err(errors::function)?;
    Ok(Response::json(200, &function_json(&deployed.function)))
}

// --- layers ---------------------------------------------------------------------------

/// The layer version a request names: `LayerName` (a name, or a layer
/// ARN for another account's layer) and `VersionNumber`.
fn layer_version_arn(ctx: &Ctx, m: &Matched) -> Result<LayerVersionArn, ApiError> {
    let name = m.label("LayerName");
    let version = m.label("VersionNumber");
    let number = version
        .parse::<i64>()
        .ok()
        .filter(|v| *v >= 1)
        .ok_or_else(|| {
            ApiError::invalid(
                S,
                "VersionNumber",
                format!("{version:?} is not a version number"),
            )
        })?;
    let layer: LayerArn = if name.starts_with("arn:") {
        name.parse()
            .map_err(|e| ApiError::invalid(S, "LayerName", format!("{name:?}: {e}")))?
    } else {
        let id = ctx.backend.identity();
        LayerArn::new_in_partition(id.partition, &id.region, &id.account_id, name)
            .map_err(|e| ApiError::invalid(S, "LayerName", format!("{name:?}: {e}")))?
    };
    layer
        .with_version(number)
        .map_err(|e| ApiError::invalid(S, "VersionNumber", e))
}

/// A layer version the caller acts on as its owner (deletes it, reads or
/// changes its policy): the account and region its ARN names must be the
/// caller's. A grant lets another account *use* a layer version, never
/// manage it; and the backend calls behind these take a name in the
/// caller's own account, so another account's ARN must never reach them.
fn own_layer_version(ctx: &Ctx, m: &Matched, action: &str) -> Result<LayerVersionArn, ApiError> {
    let arn = layer_version_arn(ctx, m)?;
    let caller = ctx.backend.identity();
    if arn.account_id() != caller.account_id {
        return Err(ApiError::new(
            S,
            403,
            "AccessDeniedException",
            format!(
                "User: arn:aws:iam::{}:root is not authorized to perform: {action} on resource: {arn}",
                caller.account_id
            ),
        ));
    }
    if arn.region() != caller.region {
        return Err(ApiError::invalid(
            S,
            "LayerName",
            format!(
                "{arn} is in region {}; this endpoint serves {}",
                arn.region(),
                caller.region
            ),
        ));
    }
    Ok(arn)
}

async fn layer_response(
    ctx: &Ctx,
    arn: &LayerVersionArn,
    status: u16,
) -> Result<Response, ApiError> {
    let layer = ctx
        .backend
        .get_layer_version(&arn.to_string())
        .await
        .map_err(|e| errors::lambda(e, false))?;
    let json = layer_json(ctx, &layer).await?;
    Ok(Response::json(status, &json))
}

/// LayerVersion, with its content's size and SHA-256 from the store.
async fn layer_json(ctx: &Ctx, layer: &LayerVersion) -> Result<Value, ApiError> {
    let file = ctx
        .backend
        .layer_content_file(&layer.layer_version_arn)
        .await
        .map_err(|e| errors::lambda(e, false))?;
    let bytes = tokio::fs::read(&file).await.map_err(|e| {
        ApiError::new(
            S,
            500,
            "ServiceException",
            format!("cannot read the layer content: {e}"),
        )
    })?;
    let mut content = json!({
        "Location": ctx.presigner.url(&ctx.base_url, "layer", &layer.layer_version_arn, chrono::Utc::now()),
        "CodeSha256": base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&bytes)),
        "CodeSize": bytes.len(),
    });
    if let Some(arn) = &layer.signing_profile_version_arn {
        content["SigningProfileVersionArn"] = json!(arn);
    }
    if let Some(arn) = &layer.signing_job_arn {
        content["SigningJobArn"] = json!(arn);
    }
    let mut out = json!({
        "Content": content,
        "LayerArn": layer.layer_arn,
        "LayerVersionArn": layer.layer_version_arn,
        "Description": layer.description,
        "CreatedDate": lambda_time(layer.created_at),
        "Version": layer.version,
        "CompatibleRuntimes": layer.compatible_runtimes,
        "CompatibleArchitectures": layer.compatible_architectures,
    });
    if let Some(license) = &layer.license_info {
        out["LicenseInfo"] = json!(license);
    }
    Ok(out)
}

async fn publish_layer(ctx: &Ctx, name: &str, request: &Request) -> Result<Response, ApiError> {
    let body = wire::body(S, request)?;
    let m = Members::new(S, &body);
    let content = m.required_object("Content")?;
    let (location, _upload) = package(ctx, &content, "Content.").await?;
    let layer = ctx
        .backend
        .publish_layer_version(PublishLayerVersion {
            layer_name: name.to_string(),
            content: location,
            compatible_runtimes: m.strings("CompatibleRuntimes")?.unwrap_or_default(),
            compatible_architectures: m.strings("CompatibleArchitectures")?.unwrap_or_default(),
            description: m.string("Description")?.unwrap_or_default(),
            license_info: m.string("LicenseInfo")?,
        })
        .await
        .map_err(|e| errors::lambda(e, false))?;
    let json = layer_json(ctx, &layer).await?;
    Ok(Response::json(201, &json))
}

async fn list_layer_versions(
    ctx: &Ctx,
    name: &str,
    request: &Request,
) -> Result<Response, ApiError> {
    let q = &request.query;
    let name = if name.starts_with("arn:") {
        let layer: LayerArn = name
            .parse()
            .map_err(|e| ApiError::invalid(S, "LayerName", format!("{name:?}: {e}")))?;
        if layer.account_id() != ctx.backend.identity().account_id {
            return Err(ApiError::new(
                S,
                403,
                "AccessDeniedException",
                format!("listing the versions of another account's layer ({name}) is not emulated"),
            ));
        }
        layer.name().to_string()
    } else {
        name.to_string()
    };
    let versions: Vec<LayerVersion> = ctx
        .backend
        .list_layer_versions(&name)
        .await
        .map_err(|e| errors::lambda(e, false))?
        .into_iter()
        .filter(|v| {
            q.get("CompatibleRuntime")
                .is_none_or(|r| v.compatible_runtimes.iter().any(|x| x == r))
        })
        .filter(|v| {
            q.get("CompatibleArchitecture")
                .is_none_or(|a| v.compatible_architectures.iter().any(|x| x == a))
        })
        .collect();
    let max = wire::max_items(S, q.get("MaxItems"), "MaxItems", MAX_LAYER_ITEMS)?;
    let (page, next) = wire::page(S, versions, q.get("Marker"), max, "Marker")?;
    let items: Vec<Value> = page
        .iter()
        .map(|v| {
            let mut item = json!({
                "LayerVersionArn": v.layer_version_arn,
                "Version": v.version,
                "Description": v.description,
                "CreatedDate": lambda_time(v.created_at),
                "CompatibleRuntimes": v.compatible_runtimes,
                "CompatibleArchitectures": v.compatible_architectures,
            });
            if let Some(license) = &v.license_info {
                item["LicenseInfo"] = json!(license);
            }
            item
        })
        .collect();
    let mut out = json!({ "LayerVersions": items });
    if let Some(next) = next {
        out["NextMarker"] = json!(next);
    }
    Ok(Response::json(200, &out))
}

/// A statement of a layer version's policy, as Lambda writes it.
fn statement_json(arn: &LayerVersionArn, s: &LayerStatement) -> Value {
    let principal = if s.principal == "*" {
        json!("*")
    } else {
        json!({ "AWS": format!("arn:{}:iam::{}:root", arn.layer_arn().partition(), s.principal) })
    };
    let mut v = json!({
        "Sid": s.statement_id,
        "Effect": "Allow",
        "Principal": principal,
        "Action": s.action,
        "Resource": arn.to_string(),
    });
    if let Some(org) = &s.organization_id {
        v["Condition"] = json!({ "StringEquals": { "aws:PrincipalOrgID": org } });
    }
    v
}

/// A principal as Lambda accepts it: an account id, `*`, or the account's
/// root ARN (recorded as the account id).
fn principal(text: &str) -> String {
    match ArnFields::parse(text) {
        Ok(arn) if arn.service == "iam" && arn.region.is_empty() && arn.resource == "root" => {
            arn.account_id.to_string()
        }
        _ => text.to_string(),
    }
}

async fn add_layer_permission(
    ctx: &Ctx,
    m: &Matched,
    request: &Request,
) -> Result<Response, ApiError> {
    let arn = own_layer_version(ctx, m, "lambda:AddLayerVersionPermission")?;
    let body = wire::body(S, request)?;
    let members = Members::new(S, &body);
    let action = members.required("Action")?;
    if action != LAYER_ACTION {
        return Err(ApiError::invalid(
            S,
            "Action",
            format!("{action:?}: a layer version permission grants {LAYER_ACTION}"),
        ));
    }
    let statement_id = members.required("StatementId")?;
    let policy: LayerPolicy = ctx
        .backend
        .add_layer_permission(AddLayerPermission {
            layer_name: arn.name().to_string(),
            version: arn.version(),
            statement_id: statement_id.clone(),
            principal: principal(&members.required("Principal")?),
            organization_id: members.string("OrganizationId")?,
            revision_id: request
                .query
                .get("RevisionId")
                .filter(|r| !r.is_empty())
                .map(str::to_string),
        })
        .await
        .map_err(|e| errors::lambda(e, false))?;
    let statement = policy
        .statement(&statement_id)
        .map(|s| statement_json(&arn, s))
        .unwrap_or(Value::Null);
    Ok(Response::json(
        201,
        &json!({ "Statement": statement.to_string(), "RevisionId": policy.revision_id }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals_are_recorded_as_account_ids() {
        assert_eq!(principal("arn:aws:iam::222222222222:root"), "222222222222");
        assert_eq!(principal("222222222222"), "222222222222");
        assert_eq!(principal("*"), "*");
        assert_eq!(
            principal("arn:aws:iam::222222222222:role/x"),
            "arn:aws:iam::222222222222:role/x"
        );
    }
}
