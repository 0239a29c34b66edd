//! AWS Signer (restJson1, model 2017-08-25): signing profiles and their
//! permissions, signing jobs from S3 objects (the signed object goes to
//! the destination bucket as prefix + job id + `.zip`), signature
//! revocation, the Lambda signing platform, and tags.

use serde_json::{json, Map, Value};

use super::errors::{self, ApiError};
use super::http::{Request, Response};
use super::routes::{Matched, Service};
use super::wire::{self, epoch, Members};
use super::Ctx;
use crate::backend::{
    AddProfilePermission, Backend, BackendError, JobFilter, PutSigningProfile,
    RevokeSigningProfile, StartSigningJob, DEFAULT_SIGNING_TIMEOUT,
};
use crate::domain::arn::ProfileVersionArn;
use crate::domain::job::{JobStatus, ObjectLocation, SigningJob};
use crate::domain::names;
use crate::domain::permission::ProfilePermission;
use crate::domain::profile::{
    ProfileStatus, SignatureValidity, SigningProfile, ValidityUnit, LAMBDA_PLATFORM,
};

const S: Service = Service::Signer;
/// Signer's largest page.
const MAX_RESULTS: usize = 25;

pub async fn handle(ctx: &Ctx, m: &Matched, request: &Request) -> Result<Response, ApiError> {
    match m.op.name {
        "PutSigningProfile" => put_profile(ctx, m.label("profileName"), request).await,
        "GetSigningProfile" => get_profile(ctx, m.label("profileName"), request).await,
        "ListSigningProfiles" => list_profiles(ctx, request).await,
        "CancelSigningProfile" => {
            ctx.backend
                .cancel_signing_profile(m.label("profileName"))
                .await
                .map_err(errors::signer)?;
            Ok(Response::new(200))
        }
        "RevokeSigningProfile" => revoke_profile(ctx, m.label("profileName"), request).await,
        "AddProfilePermission" => add_permission(ctx, m.label("profileName"), request).await,
        "ListProfilePermissions" => list_permissions(ctx, m.label("profileName"), request).await,
        "RemoveProfilePermission" => {
            remove_permission(ctx, m.label("profileName"), m.label("statementId"), request).await
        }
        "StartSigningJob" => start_job(ctx, request).await,
        "DescribeSigningJob" => {
            let job = ctx
                .backend
                .describe_signing_job(m.label("jobId"))
                .await
                .map_err(errors::signer)?;
            Ok(Response::json(200, &describe_json(&job)))
        }
        "ListSigningJobs" => list_jobs(ctx, request).await,
        "GetRevocationStatus" => revocation_status(ctx, request).await,
        "RevokeSignature" => revoke_signature(ctx, m.label("jobId"), request).await,
        "GetSigningPlatform" => {
            let id = m.label("platformId");
            if id != LAMBDA_PLATFORM {
                return Err(ApiError::new(
                    S,
                    404,
                    "ResourceNotFoundException",
                    format!("signing platform {id:?} is not emulated: lambdasign serve signs with {LAMBDA_PLATFORM} only"),
                ));
            }
            Ok(Response::json(200, &lambda_platform()))
        }
        "ListSigningPlatforms" => list_platforms(request),
        "TagResource" => {
            let body = wire::body(S, request)?;
            let tags = Members::new(S, &body)
                .string_map("tags")?
                .ok_or_else(|| ApiError::missing(S, "tags"))?;
            ctx.backend
                .tag_resource(m.label("resourceArn"), tags)
                .await
                .map_err(errors::signer_tags)?;
            Ok(Response::new(200))
        }
        "UntagResource" => {
            let keys = request.query.all("tagKeys");
            if keys.is_empty() {
                return Err(ApiError::missing(S, "tagKeys"));
            }
            ctx.backend
                .untag_resource(m.label("resourceArn"), &keys)
                .await
                .map_err(errors::signer_tags)?;
            Ok(Response::new(200))
        }
        "ListTagsForResource" => {
            let tags = ctx
                .backend
                .list_tags(m.label("resourceArn"))
                .await
                .map_err(errors::signer_tags)?;
            Ok(Response::json(200, &json!({ "tags": tags })))
        }
        other => Err(ApiError::not_emulated(S, other)),
    }
}

fn validity_json(validity: &SignatureValidity) -> Value {
    json!({ "value": validity.value, "type": validity.unit.as_str() })
}

/// GetSigningProfile's answer.
fn profile_json(profile: &SigningProfile) -> Value {
    let mut out = json!({
        "profileName": profile.name,
        "profileVersion": profile.version,
        "profileVersionArn": profile.version_arn,
        "platformId": profile.platform_id,
        "platformDisplayName": profile.platform_display_name(),
        "signatureValidityPeriod": validity_json(&profile.validity),
        "signingParameters": profile.signing_parameters,
        "status": profile.status.as_str(),
        "arn": profile.arn,
        "tags": profile.tags,
    });
    if let Some(certificate) = &profile.certificate_arn {
        out["signingMaterial"] = json!({ "certificateArn": certificate });
    }
    if let Some(r) = &profile.revocation {
        out["statusReason"] = json!(r.reason);
        let mut record = json!({
            "revocationEffectiveFrom": epoch(r.effective_time),
            "revokedAt": epoch(r.revoked_at),
        });
        if let Some(by) = &r.revoked_by {
            record["revokedBy"] = json!(by);
        }
        out["revocationRecord"] = record;
    }
    out
}

async fn put_profile(ctx: &Ctx, name: &str, request: &Request) -> Result<Response, ApiError> {
    let body = wire::body(S, request)?;
    let m = Members::new(S, &body);
    let platform_id = m.required("platformId")?;
    let validity = match m.object("signatureValidityPeriod")? {
        None => SignatureValidity::default(),
        Some(v) => {
            let value = v
                .integer("value")?
                .ok_or_else(|| ApiError::missing(S, "signatureValidityPeriod.value"))?;
            let unit: ValidityUnit = v
                .required("type")?
                .parse()
                .map_err(|e| ApiError::invalid(S, "signatureValidityPeriod.type", e))?;
            SignatureValidity {
                value: u32::try_from(value).map_err(|_| {
                    ApiError::invalid(S, "signatureValidityPeriod.value", "must be positive")
                })?,
                unit,
            }
        }
    };
    if m.object("overrides")?.is_some_and(|o| !o.map.is_empty()) {
        return Err(ApiError::invalid(
            S,
            "overrides",
            "signing configuration overrides are not emulated (the Lambda platform signs with ECDSA and SHA-384)",
        ));
    }
    let certificate_arn = match m.object("signingMaterial")? {
        Some(material) => Some(material.required("certificateArn")?),
        None => None,
    };
    let profile = ctx
        .backend
        .put_signing_profile(PutSigningProfile {
            name: name.to_string(),
            platform_id,
            validity,
            certificate_arn,
            signing_parameters: m.string_map("signingParameters")?.unwrap_or_default(),
            tags: m.string_map("tags")?.unwrap_or_default(),
        })
        .await
        .map_err(errors::signer)?;
    Ok(Response::json(
        200,
        &json!({
            "arn": profile.arn,
            "profileVersion": profile.version,
            "profileVersionArn": profile.version_arn,
        }),
    ))
}

async fn get_profile(ctx: &Ctx, name: &str, request: &Request) -> Result<Response, ApiError> {
    let owner = request.query.get("profileOwner").filter(|o| !o.is_empty());
    if let Some(owner) = owner {
        names::account_id(owner).map_err(|e| ApiError::invalid(S, "profileOwner", e))?;
    }
    let profile = ctx
        .backend
        .get_signing_profile(name, owner)
        .await
        .map_err(errors::signer)?;
    Ok(Response::json(200, &profile_json(&profile)))
}

async fn list_profiles(ctx: &Ctx, request: &Request) -> Result<Response, ApiError> {
    let q = &request.query;
    let include_canceled =
        wire::flag(S, q.get("includeCanceled"), "includeCanceled")?.unwrap_or(false);
    let statuses = q.all("statuses");
    for status in &statuses {
        if ProfileStatus::parse(status).is_none() {
            return Err(ApiError::invalid(
                S,
                "statuses",
                format!("{status:?} is not Active, Canceled or Revoked"),
            ));
        }
    }
    let max = wire::max_items(S, q.get("maxResults"), "maxResults", MAX_RESULTS)?;
    let profiles: Vec<SigningProfile> = ctx
        .backend
        .list_signing_profiles()
        .await
        .map_err(errors::signer)?
        .into_iter()
        .filter(|p| include_canceled || p.status != ProfileStatus::Canceled)
        .filter(|p| statuses.is_empty() || statuses.iter().any(|s| s == p.status.as_str()))
        .filter(|p| q.get("platformId").is_none_or(|id| id == p.platform_id))
        .collect();
    let (page, next) = wire::page(S, profiles, q.get("nextToken"), max, "nextToken")?;
    let profiles: Vec<Value> = page
        .iter()
        .map(|p| {
            let mut v = profile_json(p);
            if let Value::Object(map) = &mut v {
                for key in ["revocationRecord", "statusReason"] {
                    map.remove(key);
                }
            }
            v
        })
        .collect();
    let mut out = json!({ "profiles": profiles });
    if let Some(next) = next {
        out["nextToken"] = json!(next);
    }
    Ok(Response::json(200, &out))
}

async fn revoke_profile(ctx: &Ctx, name: &str, request: &Request) -> Result<Response, ApiError> {
    let body = wire::body(S, request)?;
    let m = Members::new(S, &body);
    let version = m.required("profileVersion")?;
    names::profile_version(&version).map_err(|e| ApiError::invalid(S, "profileVersion", e))?;
    let reason = m.required("reason")?;
    let effective_time = m
        .epoch("effectiveTime")?
        .ok_or_else(|| ApiError::missing(S, "effectiveTime"))?;
    ctx.backend
        .revoke_signing_profile(RevokeSigningProfile {
            name: name.to_string(),
            version,
            reason,
            effective_time,
        })
        .await
        .map_err(errors::signer)?;
    Ok(Response::new(200))
}

async fn add_permission(ctx: &Ctx, name: &str, request: &Request) -> Result<Response, ApiError> {
    let body = wire::body(S, request)?;
    let m = Members::new(S, &body);
    let revision = ctx
        .backend
        .add_profile_permission(AddProfilePermission {
            profile_name: name.to_string(),
            action: m.required("action")?,
            principal: m.required("principal")?,
            statement_id: m.required("statementId")?,
            profile_version: m.string("profileVersion")?,
            revision_id: m.string("revisionId")?.filter(|r| !r.is_empty()),
        })
        .await
        .map_err(errors::signer)?;
    Ok(Response::json(200, &json!({ "revisionId": revision })))
}

fn permission_json(p: &ProfilePermission) -> Value {
    let mut v = json!({
        "action": p.action,
        "principal": p.principal,
        "statementId": p.statement_id,
    });
    if let Some(version) = &p.profile_version {
        v["profileVersion"] = json!(version);
    }
    v
}

async fn list_permissions(ctx: &Ctx, name: &str, request: &Request) -> Result<Response, ApiError> {
    let policy = ctx
        .backend
        .list_profile_permissions(name)
        .await
        .map_err(errors::signer)?;
    let size = serde_json::to_string(
        &policy
            .permissions
            .iter()
            .map(permission_json)
            .collect::<Vec<_>>(),
    )
    .map_or(0, |s| s.len());
    let (page, next) = wire::page(
        S,
        policy.permissions,
        request.query.get("nextToken"),
        MAX_RESULTS,
        "nextToken",
    )?;
    let mut out = json!({
        "revisionId": policy.revision_id,
        "policySizeBytes": size,
        "permissions": page.iter().map(permission_json).collect::<Vec<_>>(),
    });
    if let Some(next) = next {
        out["nextToken"] = json!(next);
    }
    Ok(Response::json(200, &out))
}

async fn remove_permission(
    ctx: &Ctx,
    name: &str,
    statement_id: &str,
    request: &Request,
) -> Result<Response, ApiError> {
    let revision = request
        .query
        .get("revisionId")
        .filter(|r| !r.is_empty())
        .ok_or_else(|| ApiError::missing(S, "revisionId"))?;
    let revision = ctx
        .backend
        .remove_profile_permission(name, statement_id, revision)
        .await
        .map_err(errors::signer)?;
    Ok(Response::json(200, &json!({ "revisionId": revision })))
}

async fn start_job(ctx: &Ctx, request: &Request) -> Result<Response, ApiError> {
    let body = wire::body(S, request)?;
    let m = Members::new(S, &body);
    let source = m.required_object("source")?.required_object("s3")?;
    let destination = m.required_object("destination")?.required_object("s3")?;
    let token = m.required("clientRequestToken")?;
    let profile_owner = m.string("profileOwner")?.filter(|o| !o.is_empty());
    let start = StartSigningJob {
        profile_name: m.required("profileName")?,
        profile_owner,
        source: ObjectLocation::S3 {
            bucket: source.required("bucketName")?,
            key: source.required("key")?,
            version: Some(source.required("version")?),
        },
        destination: ObjectLocation::S3 {
            bucket: destination.required("bucketName")?,
            key: destination.string("prefix")?.unwrap_or_default(),
            version: None,
        },
        client_request_token: token.clone(),
        staging: None,
        download_to: None,
        timeout: DEFAULT_SIGNING_TIMEOUT,
    };
    let job = match ctx.backend.start_signing_job(start).await {
        Ok(job) => job,
        // Signer accepts a job that then fails; DescribeSigningJob says why.
        Err(BackendError::JobFailed(reason)) => {
            match ctx
                .backend
                .signing_job_by_token(&token)
                .await
                .map_err(errors::signer)?
            {
                Some(job) => job,
                None => return Err(errors::signer(BackendError::JobFailed(reason))),
            }
        }
        Err(e) => return Err(errors::signer(e)),
    };
    Ok(Response::json(
        200,
        &json!({ "jobId": job.job_id, "jobOwner": job.profile_owner }),
    ))
}

fn version_of(version_arn: &str) -> String {
    version_arn
        .parse::<ProfileVersionArn>()
        .map(|arn| arn.version().to_string())
        .unwrap_or_default()
}

fn source_json(job: &SigningJob) -> Option<Value> {
    match &job.source {
        ObjectLocation::S3 {
            bucket,
            key,
            version,
        } => Some(json!({"s3": {"bucketName": bucket, "key": key, "version": version}})),
        ObjectLocation::File(_) => None,
    }
}

fn signed_json(job: &SigningJob) -> Option<Value> {
    match (&job.signed_object, job.status) {
        (ObjectLocation::S3 { bucket, key, .. }, JobStatus::Succeeded) => {
            Some(json!({"s3": {"bucketName": bucket, "key": key}}))
        }
        _ => None,
    }
}

fn requested_by(job: &SigningJob) -> String {
    format!("arn:aws:iam::{}:root", job.owner)
}

/// DescribeSigningJob's answer.
fn describe_json(job: &SigningJob) -> Value {
    let mut out = json!({
        "jobId": job.job_id,
        "platformId": job.platform_id,
        "platformDisplayName": "AWS Lambda",
        "profileName": job.profile_name,
        "profileVersion": version_of(&job.profile_version_arn),
        "signingParameters": {},
        "createdAt": epoch(job.created_at),
        "requestedBy": requested_by(job),
        "status": job.status.as_str(),
        "jobOwner": job.profile_owner,
        "jobInvoker": job.owner,
    });
    if !job.status_reason.is_empty() {
        out["statusReason"] = json!(job.status_reason);
    }
    if job.status == JobStatus::Succeeded {
        out["completedAt"] = epoch(job.signed_at);
        out["signatureExpiresAt"] = epoch(job.signature_expires_at);
    }
    if let Some(source) = source_json(job) {
        out["source"] = source;
    }
    if let Some(signed) = signed_json(job) {
        out["signedObject"] = signed;
    }
    if let Some(r) = &job.revocation {
        let mut record = json!({ "reason": r.reason, "revokedAt": epoch(r.revoked_at) });
        if let Some(by) = &r.revoked_by {
            record["revokedBy"] = json!(by);
        }
        out["revocationRecord"] = record;
    }
    out
}

fn time_query(
    request: &Request,
    name: &str,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, ApiError> {
    request
        .query
        .get(name)
        .map(|t| crate::domain::time::parse_time(t).map_err(|e| ApiError::invalid(S, name, e)))
        .transpose()
}

async fn list_jobs(ctx: &Ctx, request: &Request) -> Result<Response, ApiError> {
    let q = &request.query;
    let status = q.get("status");
    if let Some(status) = status {
        if !["InProgress", "Failed", "Succeeded"].contains(&status) {
            return Err(ApiError::invalid(
                S,
                "status",
                format!("{status:?} is not InProgress, Failed or Succeeded"),
            ));
        }
    }
    let revoked = wire::flag(S, q.get("isRevoked"), "isRevoked")?;
    let before = time_query(request, "signatureExpiresBefore")?;
    let after = time_query(request, "signatureExpiresAfter")?;
    let max = wire::max_items(S, q.get("maxResults"), "maxResults", MAX_RESULTS)?;
    let jobs: Vec<SigningJob> = ctx
        .backend
        .list_signing_jobs(JobFilter::default())
        .await
        .map_err(errors::signer)?
        .into_iter()
        .filter(|j| status.is_none_or(|s| s == j.status.as_str()))
        .filter(|j| revoked.is_none_or(|r| r == j.is_revoked()))
        .filter(|j| q.get("platformId").is_none_or(|p| p == j.platform_id))
        .filter(|j| q.get("requestedBy").is_none_or(|r| r == requested_by(j)))
        .filter(|j| q.get("jobInvoker").is_none_or(|i| i == j.owner))
        .filter(|j| before.is_none_or(|t| j.signature_expires_at < t))
        .filter(|j| after.is_none_or(|t| j.signature_expires_at > t))
        .collect();
    let (page, next) = wire::page(S, jobs, q.get("nextToken"), max, "nextToken")?;
    let jobs: Vec<Value> = page
        .iter()
        .map(|job| {
            let mut v = json!({
                "jobId": job.job_id,
                "createdAt": epoch(job.created_at),
                "status": job.status.as_str(),
                "isRevoked": job.is_revoked(),
                "profileName": job.profile_name,
                "profileVersion": version_of(&job.profile_version_arn),
                "platformId": job.platform_id,
                "platformDisplayName": "AWS Lambda",
                "jobOwner": job.profile_owner,
                "jobInvoker": job.owner,
            });
            if job.status == JobStatus::Succeeded {
                v["signatureExpiresAt"] = epoch(job.signature_expires_at);
            }
            if let Some(source) = source_json(job) {
                v["source"] = source;
            }
            if let Some(signed) = signed_json(job) {
                v["signedObject"] = signed;
            }
            v
        })
        .collect();
    let mut out = json!({ "jobs": jobs });
    if let Some(next) = next {
        out["nextToken"] = json!(next);
    }
    Ok(Response::json(200, &out))
}

async fn revoke_signature(
    ctx: &Ctx,
    job_id: &str,
    request: &Request,
) -> Result<Response, ApiError> {
    let body = wire::body(S, request)?;
    let m = Members::new(S, &body);
    let reason = m.required("reason")?;
    if let Some(owner) = m.string("jobOwner")? {
        names::account_id(&owner).map_err(|e| ApiError::invalid(S, "jobOwner", e))?;
    }
    ctx.backend
        .revoke_signature(job_id, &reason)
        .await
        .map_err(errors::signer)?;
    Ok(Response::new(200))
}

/// The one platform emulated, as Signer lists it.
fn lambda_platform() -> Value {
    json!({
        "platformId": LAMBDA_PLATFORM,
        "displayName": "AWS Lambda",
        "partner": "AWSLambda",
        "target": "SHA384-ECDSA",
        "category": "AWS",
        "signingConfiguration": {
            "encryptionAlgorithmOptions": {"allowedValues": ["ECDSA"], "defaultValue": "ECDSA"},
            "hashAlgorithmOptions": {"allowedValues": ["SHA384"], "defaultValue": "SHA384"}
        },
        "signingImageFormat": {"supportedFormats": ["JSONDetached"], "defaultFormat": "JSONDetached"},
        "maxSizeInMB": 250,
        "revocationSupported": true
    })
}

fn list_platforms(request: &Request) -> Result<Response, ApiError> {
    let q = &request.query;
    let platform = lambda_platform();
    let wanted = |name: &str| {
        q.get(name)
            .is_none_or(|v| platform.get(name).and_then(Value::as_str) == Some(v))
    };
    wire::max_items(S, q.get("maxResults"), "maxResults", MAX_RESULTS)?;
    let platforms: Vec<Value> = if wanted("category") && wanted("partner") && wanted("target") {
        vec![platform.clone()]
    } else {
        Vec::new()
    };
    let mut out = Map::new();
    out.insert("platforms".into(), Value::Array(platforms));
    Ok(Response::json(200, &Value::Object(out)))
}

/// GetRevocationStatus: which of a signature's profile version and job are
/// revoked for a signature made at `signatureTimestamp`, from their owners'
/// records. Made for the deploy-time check in another account: it needs no
/// access to the profile or the job (a revoked signer is no secret).
async fn revocation_status(ctx: &Ctx, request: &Request) -> Result<Response, ApiError> {
    let q = &request.query;
    let required = |name: &str| {
        q.get(name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| ApiError::missing(S, name))
    };
    let at_text = required("signatureTimestamp")?;
    let at = crate::domain::time::parse_time(at_text)
        .or_else(|e| {
            at_text
                .parse::<f64>()
                .ok()
                .and_then(|secs| chrono::DateTime::from_timestamp_millis((secs * 1000.0) as i64))
                .ok_or(e)
        })
        .map_err(|e| ApiError::invalid(S, "signatureTimestamp", e))?;
    required("platformId")?;
    required("certificateHashes")?;
    let version_text = required("profileVersionArn")?;
    let version: ProfileVersionArn = version_text
        .parse()
        .map_err(|e| ApiError::invalid(S, "profileVersionArn", format!("{version_text:?}: {e}")))?;
    let job_text = required("jobArn")?;
    let job = crate::domain::arn::ArnFields::parse(job_text)
        .ok()
        .and_then(|a| {
            let id = a.resource.strip_prefix("/signing-jobs/")?;
            Some((
                a.account_id.to_string(),
                a.region.to_string(),
                id.to_string(),
            ))
        })
        .ok_or_else(|| {
            ApiError::invalid(
                S,
                "jobArn",
                format!("{job_text:?} is not a signing job ARN"),
            )
        })?;
    let mut revoked = Vec::new();
    let owner = ctx
        .backend
        .as_account(version.account_id(), version.region())
        .map_err(errors::signer)?;
    if let Ok(profile) = owner.get_signing_profile(version.name(), None).await {
        let this_version = profile.version_arn == version.to_string();
        if this_version && profile.revocation.is_some_and(|r| at >= r.effective_time) {
            revoked.push(version.to_string());
        }
    }
    let job_owner = ctx
        .backend
        .as_account(&job.0, &job.1)
        .map_err(errors::signer)?;
    if let Ok(found) = job_owner.describe_signing_job(&job.2).await {
        if found.revocation.is_some() {
            revoked.push(job_text.to_string());
        }
    }
    Ok(Response::json(200, &json!({ "revokedEntities": revoked })))
}
