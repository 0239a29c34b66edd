//! AWS Signer: signing profiles and their tags, profile permissions,
//! signing jobs (start, wait, describe, revoke).
//!
//! Enums are read through their string form, so values the SDK's model does
//! not list yet (Signer answers `SHA384`, category `AWS`) never fail a call.

use std::path::Path;
use std::time::Instant;

use aws_sdk_signer::operation::describe_signing_job::DescribeSigningJobOutput;
use aws_sdk_signer::operation::get_signing_profile::GetSigningProfileOutput;
use aws_sdk_signer::primitives::DateTime as SmithyTime;
use aws_sdk_signer::types::{
    Destination, S3Destination, S3Source, SignatureValidityPeriod, Source, ValidityType,
};
use chrono::{DateTime, Utc};

use super::errors::{map, required, Conflict};
use super::{s3, AwsBackend};
use crate::backend::*;
use crate::domain::arn::ArnFields;
use crate::domain::identity::Identity;
use crate::domain::job::{JobRevocation, JobStatus, ObjectLocation, SigningJob};
use crate::domain::permission::{ProfilePermission, ProfilePermissions};
use crate::domain::profile::{ProfileRevocation, ProfileStatus, SignatureValidity, SigningProfile};
use crate::domain::tags::Tags;

pub(super) fn chrono_time(time: &SmithyTime) -> DateTime<Utc> {
    DateTime::from_timestamp(time.secs(), time.subsec_nanos()).unwrap_or_default()
}

fn smithy_time(time: DateTime<Utc>) -> SmithyTime {
    SmithyTime::from_secs(time.timestamp())
}

fn build_error(e: impl std::fmt::Display) -> BackendError {
    BackendError::Internal(format!("building a Signer request: {e}"))
}

/// A job id from a job ARN (`.../signing-jobs/ID`) or a bare id.
pub(super) fn job_id_of(arn_or_id: &str) -> &str {
    match ArnFields::parse(arn_or_id) {
        Ok(arn) => arn.resource.rsplit('/').next().unwrap_or(arn.resource),
        Err(_) => arn_or_id,
    }
}

/// The account an ARN AWS sent names; an ARN that does not parse is an
/// error naming the call, never an empty owner.
fn account_of<'a>(arn: &'a str, call: &str) -> BackendResult<&'a str> {
    ArnFields::parse(arn).map(|a| a.account_id).map_err(|e| {
        BackendError::Internal(format!("{call} answered an unreadable `arn` {arn:?}: {e}"))
    })
}

/// A profile record from GetSigningProfile's answer.
pub(super) fn profile_of(out: &GetSigningProfileOutput) -> BackendResult<SigningProfile> {
    const CALL: &str = "signer:GetSigningProfile";
    let arn = required(out.arn(), CALL, "arn")?.to_string();
    let status = match out.status().map(|s| s.as_str()) {
        Some("Canceled") => ProfileStatus::Canceled,
        Some("Revoked") => ProfileStatus::Revoked,
        _ => ProfileStatus::Active,
    };
    let validity = out
        .signature_validity_period()
        .and_then(|p| {
            Some(SignatureValidity {
                value: u32::try_from(p.value()).ok()?,
                unit: p.r#type()?.as_str().parse().ok()?,
            })
        })
        .unwrap_or_default();
    let revocation = out.revocation_record().map(|r| {
        let revoked_at = r.revoked_at().map(chrono_time).unwrap_or_default();
        ProfileRevocation {
            reason: out.status_reason().unwrap_or_default().to_string(),
            effective_time: r
                .revocation_effective_from()
                .map(chrono_time)
                .unwrap_or(revoked_at),
            revoked_at,
            revoked_by: r.revoked_by().map(str::to_string),
        }
    });
    Ok(SigningProfile {
        name: required(out.profile_name(), CALL, "profileName")?.to_string(),
        owner: account_of(&arn, CALL)?.to_string(),
        version: required(out.profile_version(), CALL, "profileVersion")?.to_string(),
        version_arn: required(out.profile_version_arn(), CALL, "profileVersionArn")?.to_string(),
        platform_id: out.platform_id().unwrap_or_default().to_string(),
        arn,
        validity,
        status,
        revocation,
        certificate_arn: out
            .signing_material()
            .map(|m| m.certificate_arn().to_string()),
        signing_parameters: out
            .signing_parameters()
            .map(|p| p.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
        tags: out
            .tags()
            .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
    })
}

/// A job record from DescribeSigningJob's answer. The job ARN and the
/// profile version ARN are not in the answer: they are built from the
/// job's owner, the partition and the region.
pub(super) fn job_of(
    out: &DescribeSigningJobOutput,
    identity: &Identity,
) -> BackendResult<SigningJob> {
    const CALL: &str = "signer:DescribeSigningJob";
    let job_id = required(out.job_id(), CALL, "jobId")?.to_string();
    let owner = out
        .job_owner()
        .filter(|o| !o.is_empty())
        .unwrap_or(&identity.account_id)
        .to_string();
    let prefix = format!(
        "arn:{}:signer:{}:{owner}",
        identity.partition, identity.region
    );
    let profile_name = required(out.profile_name(), CALL, "profileName")?.to_string();
    let status = match out.status().map(|s| s.as_str()) {
        Some("Succeeded") => JobStatus::Succeeded,
        Some("Failed") => JobStatus::Failed,
        _ => JobStatus::InProgress,
    };
    let source = out
        .source()
        .and_then(|s| s.s3())
        .map(|s3| ObjectLocation::S3 {
            bucket: s3.bucket_name().to_string(),
            key: s3.key().to_string(),
            version: Some(s3.version().to_string()).filter(|v| !v.is_empty()),
        })
        .unwrap_or(ObjectLocation::S3 {
            bucket: String::new(),
            key: String::new(),
            version: None,
        });
    let signed_object = out
        .signed_object()
        .and_then(|s| s.s3())
        .map(|s3| ObjectLocation::S3 {
            bucket: s3.bucket_name().unwrap_or_default().to_string(),
            key: s3.key().unwrap_or_default().to_string(),
            version: None,
        })
        .unwrap_or(ObjectLocation::S3 {
            bucket: String::new(),
            key: String::new(),
            version: None,
        });
    let created = out.created_at().map(chrono_time).unwrap_or_default();
    let signed_at = out.completed_at().map(chrono_time).unwrap_or(created);
    let profile_version = required(out.profile_version(), CALL, "profileVersion")?;
    Ok(SigningJob {
        job_arn: format!("{prefix}:/signing-jobs/{job_id}"),
        job_id,
        profile_version_arn: format!("{prefix}:/signing-profiles/{profile_name}/{profile_version}"),
        profile_owner: owner.clone(),
        owner,
        profile_name,
        platform_id: out.platform_id().unwrap_or_default().to_string(),
        status,
        status_reason: out.status_reason().unwrap_or_default().to_string(),
        source,
        signed_object,
        signed_sha384: String::new(),
        created_at: created,
        signed_at,
        signature_expires_at: out
            .signature_expires_at()
            .map(chrono_time)
            .unwrap_or(signed_at),
        revocation: out.revocation_record().map(|r| JobRevocation {
            reason: r.reason().unwrap_or_default().to_string(),
            revoked_at: r.revoked_at().map(chrono_time).unwrap_or_default(),
            revoked_by: r.revoked_by().map(str::to_string),
        }),
    })
}

impl AwsBackend {
    pub(super) async fn signer_put_profile(
        &self,
        request: PutSigningProfile,
    ) -> BackendResult<SigningProfile> {
        let validity = SignatureValidityPeriod::builder()
            .value(i32::try_from(request.validity.value).unwrap_or(i32::MAX))
            .r#type(ValidityType::from(request.validity.unit.as_str()))
            .build();
        let tags = (!request.tags.is_empty()).then(|| request.tags.clone().into_iter().collect());
        let material = match &request.certificate_arn {
            Some(arn) => Some(
                aws_sdk_signer::types::SigningMaterial::builder()
                    .certificate_arn(arn)
                    .build()
                    .map_err(build_error)?,
            ),
            None => None,
        };
        let parameters = (!request.signing_parameters.is_empty())
            .then(|| request.signing_parameters.clone().into_iter().collect());
        self.clients
            .signer
            .put_signing_profile()
            .profile_name(&request.name)
            .platform_id(&request.platform_id)
            .signature_validity_period(validity)
            .set_signing_material(material)
            .set_signing_parameters(parameters)
            .set_tags(tags)
            .send()
            .await
            .map_err(|e| {
                map(
                    &format!("signer:PutSigningProfile {}", request.name),
                    Conflict::State,
                    e,
                )
            })?;
        self.signer_get_profile(&request.name, None).await
    }

    pub(super) async fn signer_get_profile(
        &self,
        name: &str,
        owner: Option<&str>,
    ) -> BackendResult<SigningProfile> {
        let out = self
            .clients
            .signer
            .get_signing_profile()
            .profile_name(name)
            .set_profile_owner(owner.map(str::to_string))
            .send()
            .await
            .map_err(|e| {
                map(
                    &format!("signer:GetSigningProfile {name}"),
                    Conflict::State,
                    e,
                )
            })?;
        profile_of(&out)
    }

    pub(super) async fn signer_set_tags(
        &self,
        name: &str,
        tags: Tags,
    ) -> BackendResult<SigningProfile> {
        let current = self.signer_get_profile(name, None).await?;
        let removed: Vec<String> = current
            .tags
            .keys()
            .filter(|k| !tags.contains_key(*k))
            .cloned()
            .collect();
        let doing = format!("signer tags of {name}");
        if !removed.is_empty() {
            self.clients
                .signer
                .untag_resource()
                .resource_arn(&current.arn)
                .set_tag_keys(Some(removed))
                .send()
                .await
                .map_err(|e| map(&doing, Conflict::State, e))?;
        }
        let changed: std::collections::HashMap<String, String> = tags
            .iter()
            .filter(|(k, v)| current.tags.get(*k) != Some(*v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if !changed.is_empty() {
            self.clients
                .signer
                .tag_resource()
                .resource_arn(&current.arn)
                .set_tags(Some(changed))
                .send()
                .await
                .map_err(|e| map(&doing, Conflict::State, e))?;
        }
        self.signer_get_profile(name, None).await
    }

    pub(super) async fn signer_cancel_profile(&self, name: &str) -> BackendResult<()> {
        self.clients
            .signer
            .cancel_signing_profile()
            .profile_name(name)
            .send()
            .await
            .map_err(|e| {
                map(
                    &format!("signer:CancelSigningProfile {name}"),
                    Conflict::State,
                    e,
                )
            })?;
        Ok(())
    }

    pub(super) async fn signer_revoke_profile(
        &self,
        request: RevokeSigningProfile,
    ) -> BackendResult<SigningProfile> {
        self.clients
            .signer
            .revoke_signing_profile()
            .profile_name(&request.name)
            .profile_version(&request.version)
            .reason(&request.reason)
            .effective_time(smithy_time(request.effective_time))
            .send()
            .await
            .map_err(|e| {
                map(
                    &format!("signer:RevokeSigningProfile {}", request.name),
                    Conflict::State,
                    e,
                )
            })?;
        self.signer_get_profile(&request.name, None).await
    }

    pub(super) async fn signer_add_permission(
        &self,
        request: AddProfilePermission,
    ) -> BackendResult<String> {
        let out = self
            .clients
            .signer
            .add_profile_permission()
            .profile_name(&request.profile_name)
            .action(&request.action)
            .principal(&request.principal)
            .statement_id(&request.statement_id)
            .set_profile_version(request.profile_version.clone())
            .set_revision_id(request.revision_id.clone().filter(|r| !r.is_empty()))
            .send()
            .await
            .map_err(|e| {
                map(
                    &format!(
                        "signer:AddProfilePermission {} {}",
                        request.profile_name, request.statement_id
                    ),
                    Conflict::StaleRevision,
                    e,
                )
            })?;
        Ok(out.revision_id().unwrap_or_default().to_string())
    }

    pub(super) async fn signer_list_permissions(
        &self,
        profile_name: &str,
    ) -> BackendResult<ProfilePermissions> {
        let mut result = ProfilePermissions::default();
        let mut next: Option<String> = None;
        loop {
            let out = match self
                .clients
                .signer
                .list_profile_permissions()
                .profile_name(profile_name)
                .set_next_token(next.clone())
                .send()
                .await
            {
                Ok(out) => out,
                Err(e) => {
                    let doing = format!("signer:ListProfilePermissions {profile_name}");
                    return match map(&doing, Conflict::State, e) {
                        // No policy yet, as long as the profile exists.
                        BackendError::NotFound(_) if result.permissions.is_empty() => {
                            self.signer_get_profile(profile_name, None).await?;
                            Ok(ProfilePermissions::default())
                        }
                        other => Err(other),
                    };
                }
            };
            result.revision_id = out.revision_id().unwrap_or_default().to_string();
            for p in out.permissions() {
                result.permissions.push(ProfilePermission {
                    statement_id: required(
                        p.statement_id(),
                        "signer:ListProfilePermissions",
                        "permissions[].statementId",
                    )?
                    .to_string(),
                    action: p.action().unwrap_or_default().to_string(),
                    principal: p.principal().unwrap_or_default().to_string(),
                    profile_version: p.profile_version().map(str::to_string),
                });
            }
            next = out
                .next_token()
                .map(str::to_string)
                .filter(|t| !t.is_empty());
            if next.is_none() {
                return Ok(result);
            }
        }
    }

    pub(super) async fn signer_remove_permission(
        &self,
        profile_name: &str,
        statement_id: &str,
        revision_id: &str,
    ) -> BackendResult<String> {
        let out = self
            .clients
            .signer
            .remove_profile_permission()
            .profile_name(profile_name)
            .statement_id(statement_id)
            .revision_id(revision_id)
            .send()
            .await
            .map_err(|e| {
                map(
                    &format!("signer:RemoveProfilePermission {profile_name} {statement_id}"),
                    Conflict::StaleRevision,
                    e,
                )
            })?;
        Ok(out.revision_id().unwrap_or_default().to_string())
    }

    /// Where the job reads from: an S3 source as given (its version looked
    /// up when not given), or a local file uploaded to the staging bucket.
    async fn job_source(&self, request: &StartSigningJob) -> BackendResult<S3Source> {
        let (bucket, key, version) = match &request.source {
            ObjectLocation::File(path) => {
                let Some(Staging { bucket, prefix }) = &request.staging else {
                    return Err(BackendError::invalid("staging", format!(
                        "{}: the aws backend signs S3 objects; add a `staging {{ bucket = \"...\" }}` block (a bucket with versioning enabled) to upload the file to, or use `source_object`",
                        path.display()
                    )));
                };
                s3::require_versioning(&self.clients.s3, bucket).await?;
                let digest = file_digest(path).await?;
                let key = s3::staging_key(prefix, path, &digest);
                // The key names the content: a retry (same client request
                // token) signs the version already staged, not a new one.
                let version = match s3::head(&self.clients.s3, bucket, &key).await? {
                    Some(_) => s3::latest_version(&self.clients.s3, bucket, &key).await?,
                    None => s3::upload(&self.clients.s3, bucket, &key, path).await?,
                };
                (bucket.clone(), key, version)
            }
            ObjectLocation::S3 {
                bucket,
                key,
                version,
            } => {
                let version = match version {
                    Some(v) => v.clone(),
                    None => s3::latest_version(&self.clients.s3, bucket, key).await?,
                };
                (bucket.clone(), key.clone(), version)
            }
        };
        S3Source::builder()
            .bucket_name(bucket)
            .key(key)
            .version(version)
            .build()
            .map_err(build_error)
    }

    fn job_destination(&self, request: &StartSigningJob) -> BackendResult<S3Destination> {
        let (bucket, prefix) = match (&request.destination, &request.staging) {
            (ObjectLocation::S3 { bucket, key, .. }, _) => (bucket.clone(), key.clone()),
            (ObjectLocation::File(_), Some(Staging { bucket, prefix })) => {
                (bucket.clone(), format!("{prefix}signed/"))
            }
            (ObjectLocation::File(path), None) => {
                return Err(BackendError::invalid("destination", format!(
                    "{}: Signer writes signed objects to S3; add a `destination {{ bucket = \"...\" }}` block (or a `staging` block, whose bucket then also receives the signed object under PREFIX + \"signed/\")",
                    path.display()
                )))
            }
        };
        Ok(S3Destination::builder()
            .bucket_name(bucket)
            .prefix(prefix)
            .build())
    }

    pub(super) async fn signer_start_job(
        &self,
        request: StartSigningJob,
    ) -> BackendResult<SigningJob> {
        let destination = self.job_destination(&request)?;
        let source = self.job_source(&request).await?;
        let out = self
            .clients
            .signer
            .start_signing_job()
            .source(Source::builder().s3(source).build())
            .destination(Destination::builder().s3(destination).build())
            .profile_name(&request.profile_name)
            .set_profile_owner(request.profile_owner.clone())
            .client_request_token(&request.client_request_token)
            .send()
            .await
            .map_err(|e| {
                map(
                    &format!("signer:StartSigningJob with {}", request.profile_name),
                    Conflict::State,
                    e,
                )
            })?;
        let job_id = required(out.job_id(), "signer:StartSigningJob", "jobId")?.to_string();
        let mut job = self.wait_for_job(&job_id, request.timeout).await?;
        if job.status != JobStatus::Succeeded {
            // Only with a zero timeout: the caller asks again later.
            return Ok(job);
        }
        let ObjectLocation::S3 { bucket, key, .. } = &job.signed_object else {
            return Ok(job);
        };
        job.signed_sha384 = match &request.download_to {
            Some(path) => s3::download(&self.clients.s3, bucket, key, None, path).await?,
            None => self.object_digest(bucket, key).await?.unwrap_or_default(),
        };
        Ok(job)
    }

    /// Polls DescribeSigningJob with exponential backoff until the job
    /// succeeds (the job), fails (`JobFailed` with Signer's reason) or
    /// `timeout` passes. A zero timeout describes the job once and returns
    /// it as it is, still in progress or not.
    async fn wait_for_job(
        &self,
        job_id: &str,
        timeout: std::time::Duration,
    ) -> BackendResult<SigningJob> {
        let started = Instant::now();
        let mut delay = self.poll.initial;
        loop {
            let job = self.describe_job_record(job_id).await?;
            match job.status {
                JobStatus::Succeeded => return Ok(job),
                JobStatus::Failed => {
                    return Err(BackendError::JobFailed(format!(
                        "signing job {job_id}: {}",
                        if job.status_reason.is_empty() {
                            "Signer gave no reason"
                        } else {
                            &job.status_reason
                        }
                    )))
                }
                JobStatus::InProgress => {}
            }
            let elapsed = started.elapsed();
            if timeout.is_zero() {
                return Ok(job);
            }
            if elapsed >= timeout {
                return Err(BackendError::Internal(format!(
                    "signing job {job_id} still in progress after {}s (timeouts.create); it may still finish: import it by job id, or raise the timeout",
                    timeout.as_secs()
                )));
            }
            tokio::time::sleep(delay.min(timeout - elapsed)).await;
            delay = (delay * 2).min(self.poll.max);
        }
    }

    /// ListSigningProfiles (canceled ones included), each read in full.
    pub(super) async fn signer_list_profiles(&self) -> BackendResult<Vec<SigningProfile>> {
        let mut names = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let out = self
                .clients
                .signer
                .list_signing_profiles()
                .include_canceled(true)
                .set_next_token(next.clone())
                .send()
                .await
                .map_err(|e| map("signer:ListSigningProfiles", Conflict::State, e))?;
            names.extend(
                out.profiles()
                    .iter()
                    .filter_map(|p| p.profile_name().map(str::to_string)),
            );
            next = out
                .next_token()
                .map(str::to_string)
                .filter(|t| !t.is_empty());
            if next.is_none() {
                break;
            }
        }
        let mut profiles = Vec::with_capacity(names.len());
        for name in names {
            match self.signer_get_profile(&name, None).await {
                Ok(profile) => profiles.push(profile),
                // Gone between the list and the read.
                Err(BackendError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(profiles)
    }

    /// ListSigningJobs, each job described, filtered as asked.
    pub(super) async fn signer_list_jobs(
        &self,
        filter: &JobFilter,
    ) -> BackendResult<Vec<SigningJob>> {
        let mut ids = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let out = self
                .clients
                .signer
                .list_signing_jobs()
                .set_next_token(next.clone())
                .send()
                .await
                .map_err(|e| map("signer:ListSigningJobs", Conflict::State, e))?;
            for job in out.jobs() {
                let version = job.profile_version().unwrap_or_default();
                let wanted = filter
                    .profile_version_arn
                    .as_deref()
                    .is_none_or(|arn| arn.ends_with(&format!("/{version}")));
                if let (true, Some(id)) = (wanted, job.job_id()) {
                    ids.push(id.to_string());
                }
            }
            next = out
                .next_token()
                .map(str::to_string)
                .filter(|t| !t.is_empty());
            if next.is_none() {
                break;
            }
        }
        let mut jobs = Vec::new();
        for id in ids {
            let job = self.describe_job_record(&id).await?;
            let version_matches = filter
                .profile_version_arn
                .as_deref()
                .is_none_or(|arn| arn == job.profile_version_arn);
            let recent = filter.signed_at_or_after.is_none_or(|t| job.signed_at >= t);
            if version_matches && recent {
                jobs.push(job);
            }
        }
        jobs.sort_by_key(|j| std::cmp::Reverse(j.signed_at));
        Ok(jobs)
    }

    /// DescribeSigningJob, without the signed object's digest.
    pub(super) async fn describe_job_record(&self, job_id: &str) -> BackendResult<SigningJob> {
        let out = self
            .clients
            .signer
            .describe_signing_job()
            .job_id(job_id)
            .send()
            .await
            .map_err(|e| {
                map(
                    &format!("signer:DescribeSigningJob {job_id}"),
                    Conflict::State,
                    e,
                )
            })?;
        job_of(&out, &self.identity)
    }

    /// DescribeSigningJob, with the signed object's SHA-384 when it exists
    /// ("" when it is gone).
    pub(super) async fn signer_describe_job(&self, job_id: &str) -> BackendResult<SigningJob> {
        let mut job = self.describe_job_record(job_id_of(job_id)).await?;
        if let ObjectLocation::S3 { bucket, key, .. } = &job.signed_object {
            if job.status == JobStatus::Succeeded && !bucket.is_empty() {
                job.signed_sha384 = self.object_digest(bucket, key).await?.unwrap_or_default();
            }
        }
        Ok(job)
    }

    pub(super) async fn signer_revoke_signature(
        &self,
        job_id: &str,
        reason: &str,
    ) -> BackendResult<()> {
        let job_id = job_id_of(job_id);
        self.clients
            .signer
            .revoke_signature()
            .job_id(job_id)
            .reason(reason)
            .send()
            .await
            .map_err(|e| {
                map(
                    &format!("signer:RevokeSignature {job_id}"),
                    Conflict::State,
                    e,
                )
            })?;
        Ok(())
    }
}

/// SHA-384 (hex) of a local file, hashed on a blocking thread.
pub(super) async fn file_digest(path: &Path) -> BackendResult<String> {
    let owned = path.to_path_buf();
    tokio::task::spawn_blocking(move || crate::domain::digest::sha384_file(&owned))
        .await
        .map_err(|e| BackendError::Internal(format!("hashing {}: {e}", path.display())))?
        .map(hex::encode)
        .map_err(|e| BackendError::invalid("source_file", format!("{}: {e}", path.display())))
}
