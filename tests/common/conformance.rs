//! The Backend conformance suite: behaviours every backend must show,
//! written once against `dyn Backend` (two accounts of one world) and run
//! against each backend by `tests/conformance.rs`. A backend that cannot do
//! something (moto) declares the subset it runs in [`Caps`]; the suite
//! reports which behaviours ran, and the caller asserts that list, so
//! nothing is skipped silently.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{Duration, Utc};
use lambdasign::backend::{
    AddLayerPermission, AddProfilePermission, Backend, BackendError, CodeSigningConfigInput,
    CreateFunction, JobFilter, PublishLayerVersion, PutSigningProfile, RevokeSigningProfile,
    StartSigningJob, UpdateFunctionConfiguration, DEFAULT_SIGNING_TIMEOUT,
};
use lambdasign::domain::checks::{Enforcement, Integrity};
use lambdasign::domain::facts::{self, ArtifactRef};
use lambdasign::domain::function::RejectionKind;
use lambdasign::domain::job::{ObjectLocation, SigningJob};
use lambdasign::domain::profile::{ProfileStatus, SignatureValidity, LAMBDA_PLATFORM};
use lambdasign::domain::tags::Tags;
use lambdasign::engine::function::{self as functions, FunctionError};
use lambdasign::engine::Engine;

use super::fixtures::write_zip;

/// What a backend under test can do.
#[derive(Debug, Clone, Copy)]
pub struct Caps {
    /// A missing object is `NotFound`.
    pub not_found: bool,
    /// The list operations.
    pub lists: bool,
    /// Profile revocation, canceled names refused, permissions.
    pub signer_policy: bool,
    pub signing_jobs: bool,
    pub code_signing_configs: bool,
    pub functions: bool,
    pub layers: bool,
    pub tags: bool,
}

impl Caps {
    pub const ALL: Caps = Caps {
        not_found: true,
        lists: true,
        signer_policy: true,
        signing_jobs: true,
        code_signing_configs: true,
        functions: true,
        layers: true,
        tags: true,
    };
}

/// How a backend takes sources and gives signed outputs.
pub enum Signing {
    /// Local files in, local files out.
    Files,
    /// Local files staged in a versioned bucket, signed into `destination`,
    /// downloaded to a local file.
    Staged {
        staging: String,
        destination: String,
    },
}

/// A backend under test: accounts A and B of one world.
pub struct Subject {
    pub name: &'static str,
    pub a: Arc<dyn Backend>,
    pub b: Arc<dyn Backend>,
    pub caps: Caps,
    pub signing: Signing,
    pub dir: PathBuf,
}

impl Subject {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn job_request(
        &self,
        profile: &str,
        owner: Option<&str>,
        source: &Path,
        token: &str,
    ) -> StartSigningJob {
        let output = source.with_extension("signed.zip");
        let (destination, staging, download_to) = match &self.signing {
            Signing::Files => (ObjectLocation::File(output), None, None),
            Signing::Staged {
                staging,
                destination,
            } => (
                ObjectLocation::S3 {
                    bucket: destination.clone(),
                    key: "signed/".into(),
                    version: None,
                },
                Some(lambdasign::backend::Staging {
                    bucket: staging.clone(),
                    prefix: "in/".into(),
                }),
                Some(output),
            ),
        };
        StartSigningJob {
            profile_name: profile.into(),
            profile_owner: owner.map(str::to_string),
            source: ObjectLocation::File(source.to_path_buf()),
            destination,
            client_request_token: token.into(),
            staging,
            download_to,
            timeout: DEFAULT_SIGNING_TIMEOUT,
        }
    }

    /// Signs a fresh zip; the job and the signed file.
    async fn sign(
        &self,
        by: &dyn Backend,
        profile: &str,
        owner: Option<&str>,
        tag: &str,
    ) -> (SigningJob, PathBuf) {
        let source = self.path(&format!("{tag}.zip"));
        write_zip(&source, "index.py", format!("TAG = '{tag}'\n").as_bytes());
        let request = self.job_request(profile, owner, &source, &format!("token-{tag}"));
        let job = by
            .start_signing_job(request)
            .await
            .unwrap_or_else(|e| panic!("sign {tag}: {e}"));
        (job, source.with_extension("signed.zip"))
    }
}

fn profile(name: &str) -> PutSigningProfile {
    PutSigningProfile {
        name: name.into(),
        platform_id: LAMBDA_PLATFORM.into(),
        validity: SignatureValidity::default(),
        certificate_arn: None,
        signing_parameters: Default::default(),
        tags: Tags::from([("team".to_string(), "a".to_string())]),
    }
}

fn csc(publishers: &[&str], enforcement: Enforcement) -> CodeSigningConfigInput {
    CodeSigningConfigInput {
        allowed_publishers: publishers.iter().map(|p| p.to_string()).collect(),
        enforcement,
        description: "conformance".into(),
        tags: Tags::new(),
    }
}

fn function(name: &str, account: &str, code: &Path, csc_arn: Option<&str>) -> CreateFunction {
    CreateFunction {
        name: name.into(),
        role: format!("arn:aws:iam::{account}:role/exec"),
        runtime: Some("python3.12".into()),
        handler: Some("index.handler".into()),
        description: String::new(),
        timeout: None,
        memory_size: None,
        architectures: Vec::new(),
        environment: Default::default(),
        code: ObjectLocation::File(code.to_path_buf()),
        layers: Vec::new(),
        code_signing_config_arn: csc_arn.map(str::to_string),
        tags: Tags::new(),
    }
}

fn tampered(signed: &Path) -> PathBuf {
    let mut bytes = std::fs::read(signed).expect("signed zip");
    bytes[40] ^= 0xFF;
    let out = signed.with_extension("tampered.zip");
    std::fs::write(&out, bytes).expect("tampered zip");
    out
}

macro_rules! expect {
    ($result:expr, $pattern:pat) => {
        match $result {
            $pattern => {}
            other => panic!("expected {}, got {other:?}", stringify!($pattern)),
        }
    };
}

/// Runs every behaviour the subject's capabilities allow; their names.
pub async fn run(s: &Subject) -> Vec<&'static str> {
    let mut ran = vec!["profiles_put_get_cancel"];
    profiles_put_get_cancel(s).await;
    if s.caps.not_found {
        not_found_shapes(s).await;
        ran.push("not_found_shapes");
    }
    if s.caps.lists {
        list_operations(s).await;
        ran.push("list_operations");
    }
    if s.caps.signer_policy {
        canceled_names_are_never_reused(s).await;
        revocation_only_moves_earlier(s).await;
        permissions_follow_revision_ids(s).await;
        ran.extend([
            "canceled_names_are_never_reused",
            "revocation_only_moves_earlier",
            "permissions_follow_revision_ids",
        ]);
    }
    if s.caps.signing_jobs {
        signing_is_idempotent_per_token(s).await;
        cross_account_signing_follows_grants(s).await;
        signatures_revoke_once(s).await;
        ran.extend([
            "signing_is_idempotent_per_token",
            "cross_account_signing_follows_grants",
            "signatures_revoke_once",
        ]);
    }
    if s.caps.code_signing_configs {
        code_signing_configs_round_trip(s).await;
        ran.push("code_signing_configs_round_trip");
    }
    if s.caps.functions {
        deployments_follow_lambdas_checks(s).await;
        ran.push("deployments_follow_lambdas_checks");
    }
    if s.caps.layers {
        layers_are_shared_only_when_granted(s).await;
        ran.push("layers_are_shared_only_when_granted");
    }
    if s.caps.tags {
        tags_add_and_remove(s).await;
        ran.push("tags_add_and_remove");
    }
    ran
}

async fn profiles_put_get_cancel(s: &Subject) {
    let put =
        s.a.put_signing_profile(profile("conf_profile"))
            .await
            .expect("put");
    assert_eq!(put.status, ProfileStatus::Active);
    assert_eq!(put.version.len(), 10);
    assert_eq!(put.version_arn, format!("{}/{}", put.arn, put.version));
    let got =
        s.a.get_signing_profile("conf_profile", None)
            .await
            .expect("get");
    assert_eq!(
        (got.arn, got.version_arn),
        (put.arn.clone(), put.version_arn.clone())
    );
    s.a.cancel_signing_profile("conf_profile")
        .await
        .expect("cancel");
    let canceled =
        s.a.get_signing_profile("conf_profile", None)
            .await
            .expect("get canceled");
    assert_eq!(canceled.status, ProfileStatus::Canceled);
}

/// Every kind of missing object is `NotFound` (not an error of another
/// kind that a caller would treat as a failure).
async fn not_found_shapes(s: &Subject) {
    expect!(
        s.a.get_signing_profile("conf_missing", None).await,
        Err(BackendError::NotFound(_))
    );
    let missing_job = "00000000-0000-4000-8000-000000000000";
    if s.caps.signing_jobs {
        expect!(
            s.a.describe_signing_job(missing_job).await,
            Err(BackendError::NotFound(_))
        );
    }
    if s.caps.code_signing_configs {
        let arn = "arn:aws:lambda:us-east-1:111111111111:code-signing-config:csc-00000000000000000";
        expect!(
            s.a.get_code_signing_config(arn).await,
            Err(BackendError::NotFound(_))
        );
    }
    if s.caps.functions {
        expect!(
            s.a.get_function("never-created").await,
            Err(BackendError::NotFound(_))
        );
    }
    if s.caps.layers {
        let arn = "arn:aws:lambda:us-east-1:111111111111:layer:never-published:1";
        expect!(
            s.a.get_layer_version(arn).await,
            Err(BackendError::NotFound(_))
        );
    }
}

async fn list_operations(s: &Subject) {
    s.a.put_signing_profile(profile("conf_listed"))
        .await
        .expect("put");
    s.a.put_signing_profile(profile("conf_unlisted"))
        .await
        .expect("put");
    s.a.cancel_signing_profile("conf_unlisted")
        .await
        .expect("cancel");
    let listed = s.a.list_signing_profiles().await.expect("list");
    let status = |name: &str| listed.iter().find(|p| p.name == name).map(|p| p.status);
    assert_eq!(
        status("conf_listed"),
        Some(ProfileStatus::Active),
        "{listed:?}"
    );
    assert_eq!(
        status("conf_unlisted"),
        Some(ProfileStatus::Canceled),
        "canceled profiles are listed"
    );
    let others = s.b.list_signing_profiles().await.expect("list as B");
    assert!(
        others.iter().all(|p| p.owner != "111111111111"),
        "B lists only its own: {others:?}"
    );
}

async fn canceled_names_are_never_reused(s: &Subject) {
    s.a.put_signing_profile(profile("conf_reused"))
        .await
        .expect("put");
    expect!(
        s.a.put_signing_profile(profile("conf_reused")).await,
        Err(BackendError::AlreadyExists { .. })
    );
    s.a.cancel_signing_profile("conf_reused")
        .await
        .expect("cancel");
    expect!(
        s.a.put_signing_profile(profile("conf_reused")).await,
        Err(BackendError::AlreadyExists { .. })
    );
}

async fn revocation_only_moves_earlier(s: &Subject) {
    let p =
        s.a.put_signing_profile(profile("conf_revoked"))
            .await
            .expect("put");
    let revoke = |minutes_ago: i64| RevokeSigningProfile {
        name: "conf_revoked".into(),
        version: p.version.clone(),
        reason: "key compromise".into(),
        effective_time: Utc::now() - Duration::minutes(minutes_ago),
    };
    let first = revoke(60);
    let revoked =
        s.a.revoke_signing_profile(first.clone())
            .await
            .expect("revoke");
    assert_eq!(revoked.status, ProfileStatus::Revoked);
    let recorded = revoked
        .revocation
        .expect("revocation record")
        .effective_time;
    assert_eq!(recorded.timestamp(), first.effective_time.timestamp());
    expect!(
        s.a.revoke_signing_profile(revoke(30)).await,
        Err(BackendError::InvalidInput(_))
    );
    expect!(
        s.a.revoke_signing_profile(revoke(-60)).await,
        Err(BackendError::InvalidInput(_))
    );
    let earlier =
        s.a.revoke_signing_profile(revoke(120))
            .await
            .expect("earlier");
    assert!(earlier.revocation.expect("record").effective_time < recorded);
    let again =
        s.a.get_signing_profile("conf_revoked", None)
            .await
            .expect("get");
    assert_eq!(again.status, ProfileStatus::Revoked);
}

async fn permissions_follow_revision_ids(s: &Subject) {
    s.a.put_signing_profile(profile("conf_shared"))
        .await
        .expect("put");
    let add = |sid: &str, revision: Option<String>| AddProfilePermission {
        profile_name: "conf_shared".into(),
        action: "signer:StartSigningJob".into(),
        principal: "222222222222".into(),
        statement_id: sid.into(),
        profile_version: None,
        revision_id: revision,
    };
    let first =
        s.a.add_profile_permission(add("one", None))
            .await
            .expect("add one");
    let second =
        s.a.add_profile_permission(add("two", Some(first.clone())))
            .await
            .expect("add two");
    assert_ne!(first, second);
    expect!(
        s.a.add_profile_permission(add("three", Some(first.clone())))
            .await,
        Err(BackendError::StaleRevision(_))
    );
    expect!(
        s.a.add_profile_permission(add("one", None)).await,
        Err(BackendError::AlreadyExists { .. })
    );
    let listed =
        s.a.list_profile_permissions("conf_shared")
            .await
            .expect("list");
    assert_eq!(listed.revision_id, second);
    let mut ids: Vec<&str> = listed
        .permissions
        .iter()
        .map(|p| p.statement_id.as_str())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, ["one", "two"]);
    expect!(
        s.a.remove_profile_permission("conf_shared", "one", &first)
            .await,
        Err(BackendError::StaleRevision(_))
    );
    let third =
        s.a.remove_profile_permission("conf_shared", "one", &second)
            .await
            .expect("remove");
    assert_ne!(third, second);
    expect!(
        s.a.list_profile_permissions("conf_missing").await,
        Err(BackendError::NotFound(_))
    );
}

async fn signing_is_idempotent_per_token(s: &Subject) {
    s.a.put_signing_profile(profile("conf_signer"))
        .await
        .expect("put");
    let (job, signed) = s.sign(s.a.as_ref(), "conf_signer", None, "idem").await;
    let again = s
        .a
        .start_signing_job(s.job_request("conf_signer", None, &s.path("idem.zip"), "token-idem"))
        .await
        .expect("same token");
    assert_eq!(
        again.job_id, job.job_id,
        "the same token returns the same job"
    );
    assert_eq!(again.signed_sha384, job.signed_sha384);
    // The same token with other parameters is refused.
    let other = s.path("idem-other.zip");
    write_zip(&other, "index.py", b"OTHER = 1\n");
    expect!(
        s.a.start_signing_job(s.job_request("conf_signer", None, &other, "token-idem"))
            .await,
        Err(BackendError::Conflict(_))
    );
    let described =
        s.a.describe_signing_job(&job.job_id)
            .await
            .expect("describe");
    assert_eq!(described.profile_version_arn, job.profile_version_arn);
    let listed =
        s.a.list_signing_jobs(JobFilter::default())
            .await
            .expect("list jobs");
    assert!(listed.iter().any(|j| j.job_id == job.job_id));
    let evidence =
        s.a.signature_evidence(&ArtifactRef::SigningJob(job.job_arn.clone()))
            .await
            .expect("evidence");
    let facts = facts::facts(&evidence);
    assert_eq!(
        facts.signature.as_ref().map(|f| &f.integrity),
        Some(&Integrity::Valid),
        "{facts:?}"
    );
    assert!(signed.exists());
    expect!(
        s.a.describe_signing_job("00000000-0000-4000-8000-000000000000")
            .await,
        Err(BackendError::NotFound(_))
    );
}

async fn cross_account_signing_follows_grants(s: &Subject) {
    s.a.put_signing_profile(profile("conf_central"))
        .await
        .expect("put");
    let source = s.path("cross.zip");
    write_zip(&source, "index.py", b"CROSS = 1\n");
    let request = s.job_request("conf_central", Some("111111111111"), &source, "token-cross");
    expect!(
        s.b.start_signing_job(request.clone()).await,
        Err(BackendError::AccessDenied(_))
    );
    s.a.add_profile_permission(AddProfilePermission {
        profile_name: "conf_central".into(),
        action: "signer:StartSigningJob".into(),
        principal: "222222222222".into(),
        statement_id: "b-signs".into(),
        profile_version: None,
        revision_id: None,
    })
    .await
    .expect("grant");
    let job = s.b.start_signing_job(request).await.expect("granted");
    let profile =
        s.a.get_signing_profile("conf_central", None)
            .await
            .expect("profile");
    assert_eq!(job.profile_version_arn, profile.version_arn);
}

async fn signatures_revoke_once(s: &Subject) {
    s.a.put_signing_profile(profile("conf_revoker"))
        .await
        .expect("put");
    let (job, _) = s
        .sign(s.a.as_ref(), "conf_revoker", None, "revoked-job")
        .await;
    s.a.revoke_signature(&job.job_id, "leaked")
        .await
        .expect("revoke");
    s.a.revoke_signature(&job.job_id, "leaked")
        .await
        .expect("same reason again");
    expect!(
        s.a.revoke_signature(&job.job_id, "another reason").await,
        Err(BackendError::Conflict(_))
    );
    let described =
        s.a.describe_signing_job(&job.job_id)
            .await
            .expect("describe");
    assert_eq!(
        described.revocation.map(|r| r.reason).as_deref(),
        Some("leaked")
    );
}

async fn code_signing_configs_round_trip(s: &Subject) {
    let p =
        s.a.put_signing_profile(profile("conf_csc"))
            .await
            .expect("put");
    let created =
        s.a.create_code_signing_config(csc(&[&p.version_arn], Enforcement::Warn))
            .await
            .expect("create");
    assert!(created.id.starts_with("csc-") && created.arn.ends_with(&created.id));
    let got =
        s.a.get_code_signing_config(&created.arn)
            .await
            .expect("get");
    assert_eq!(
        (got.enforcement, got.allowed_publishers.clone()),
        (Enforcement::Warn, vec![p.version_arn.clone()])
    );
    let updated =
        s.a.update_code_signing_config(&created.arn, csc(&[&p.version_arn], Enforcement::Enforce))
            .await
            .expect("update");
    assert_eq!(
        (updated.id.as_str(), updated.enforcement),
        (created.id.as_str(), Enforcement::Enforce)
    );
    let listed = s.a.list_code_signing_configs().await.expect("list");
    assert!(listed.iter().any(|c| c.arn == created.arn));
    expect!(
        s.b.get_code_signing_config(&created.arn).await,
        Err(BackendError::AccessDenied(_))
    );
    expect!(
        s.a.create_code_signing_config(csc(
            &["arn:aws:signer:us-east-1:111111111111:/signing-profiles/x"],
            Enforcement::Warn
        ))
        .await,
        Err(BackendError::InvalidInput(_))
    );
    s.a.delete_code_signing_config(&created.arn)
        .await
        .expect("delete");
    expect!(
        s.a.get_code_signing_config(&created.arn).await,
        Err(BackendError::NotFound(_))
    );
}

async fn deployments_follow_lambdas_checks(s: &Subject) {
    let engine = Engine::new(Arc::clone(&s.a));
    let allowed =
        s.a.put_signing_profile(profile("conf_deploy"))
            .await
            .expect("put");
    s.a.put_signing_profile(profile("conf_foreign"))
        .await
        .expect("put foreign");
    let csc =
        s.a.create_code_signing_config(csc(&[&allowed.version_arn], Enforcement::Enforce))
            .await
            .expect("csc");
    let (job, signed) = s.sign(s.a.as_ref(), "conf_deploy", None, "deployed").await;
    let (_, foreign) = s.sign(s.a.as_ref(), "conf_foreign", None, "foreign").await;
    let unsigned = s.path("unsigned.zip");
    write_zip(&unsigned, "index.py", b"UNSIGNED = 1\n");
    let account = s.a.identity().account_id.clone();
    let create = |name: &str, code: &Path| function(name, &account, code, Some(&csc.arn));

    let deployed = functions::create(&engine, create("conf-fn", &signed))
        .await
        .expect("deploy signed");
    let code = deployed.function.code.clone().expect("code");
    assert_eq!(
        code.signed_by.signing_profile_version_arn.as_deref(),
        Some(allowed.version_arn.as_str())
    );
    assert!(code
        .signed_by
        .signing_job_arn
        .as_deref()
        .is_some_and(|a| a.ends_with(&job.job_id)));
    let rejected = |r: Result<_, FunctionError>| match r {
        Err(FunctionError::Rejected(r)) => r.kind,
        other => panic!("expected a rejection, got {other:?}"),
    };
    assert_eq!(
        rejected(functions::create(&engine, create("tampered", &tampered(&signed))).await),
        RejectionKind::InvalidSignature
    );
    assert_eq!(
        rejected(functions::create(&engine, create("foreign", &foreign)).await),
        RejectionKind::VerificationFailed
    );
    assert_eq!(
        rejected(functions::create(&engine, create("unsigned", &unsigned)).await),
        RejectionKind::VerificationFailed
    );
    expect!(
        s.a.get_function("foreign").await,
        Err(BackendError::NotFound(_))
    );

    // Under Warn the untrusted code deploys; tampered code never does.
    s.a.update_code_signing_config(
        &csc.arn,
        self::csc(&[&allowed.version_arn], Enforcement::Warn),
    )
    .await
    .expect("warn");
    functions::create(&engine, create("foreign", &foreign))
        .await
        .expect("warn deploys foreign");
    assert_eq!(
        rejected(functions::create(&engine, create("tampered", &tampered(&signed))).await),
        RejectionKind::InvalidSignature
    );

    // Names, revision ids, users of the config, what Lambda reports.
    expect!(
        s.a.create_function(create("conf-fn", &signed)).await,
        Err(BackendError::AlreadyExists { .. })
    );
    let stale = UpdateFunctionConfiguration {
        function: "conf-fn".into(),
        timeout: Some(10),
        revision_id: Some("00000000-0000-4000-8000-000000000000".into()),
        ..Default::default()
    };
    expect!(
        s.a.update_function_configuration(stale).await,
        Err(BackendError::StaleRevision(_))
    );
    let current = s.a.get_function("conf-fn").await.expect("get");
    let fresh = UpdateFunctionConfiguration {
        function: current.arn.clone(),
        timeout: Some(10),
        revision_id: Some(current.revision_id.clone()),
        ..Default::default()
    };
    let updated =
        s.a.update_function_configuration(fresh)
            .await
            .expect("update");
    assert_eq!(updated.timeout, 10);
    assert_ne!(updated.revision_id, current.revision_id);
    let mut users =
        s.a.list_functions_by_code_signing_config(&csc.arn)
            .await
            .expect("users");
    users.sort();
    assert_eq!(users.len(), 2, "{users:?}");
    assert!(users.iter().any(|u| u.ends_with(":function:conf-fn")));
    expect!(
        s.a.delete_code_signing_config(&csc.arn).await,
        Err(BackendError::InUse { .. })
    );
    let signing = s.a.function_signing("conf-fn").await.expect("signing");
    assert_eq!(
        signing.code.signing_profile_version_arn.as_deref(),
        Some(allowed.version_arn.as_str())
    );
    functions::delete(&engine, "conf-fn").await.expect("delete");
    expect!(
        s.a.get_function("conf-fn").await,
        Err(BackendError::NotFound(_))
    );
    expect!(
        s.a.get_function("never-created").await,
        Err(BackendError::NotFound(_))
    );
}

async fn layers_are_shared_only_when_granted(s: &Subject) {
    s.a.put_signing_profile(profile("conf_layers"))
        .await
        .expect("put");
    let (_, signed) = s.sign(s.a.as_ref(), "conf_layers", None, "layer").await;
    let publish = |name: &str| PublishLayerVersion {
        layer_name: name.into(),
        content: ObjectLocation::File(signed.clone()),
        compatible_runtimes: vec!["python3.12".into()],
        compatible_architectures: Vec::new(),
        description: "conformance".into(),
        license_info: None,
    };
    let v1 =
        s.a.publish_layer_version(publish("conf-layer"))
            .await
            .expect("v1");
    let v2 =
        s.a.publish_layer_version(publish("conf-layer"))
            .await
            .expect("v2");
    assert_eq!((v1.version, v2.version), (1, 2));
    let listed = s.a.list_layer_versions("conf-layer").await.expect("list");
    assert_eq!(
        listed.iter().map(|v| v.version).collect::<Vec<_>>(),
        [2, 1],
        "newest first"
    );
    let got =
        s.a.get_layer_version(&v1.layer_version_arn)
            .await
            .expect("get");
    assert!(got.signing_job_arn.is_some() && got.signing_profile_version_arn.is_some());
    expect!(
        s.a.get_layer_policy("conf-layer", 1).await,
        Err(BackendError::NotFound(_))
    );
    expect!(
        s.b.get_layer_version(&v1.layer_version_arn).await,
        Err(BackendError::AccessDenied(_))
    );

    let grant = |sid: &str, principal: &str, revision: Option<String>| AddLayerPermission {
        layer_name: "conf-layer".into(),
        version: 1,
        statement_id: sid.into(),
        principal: principal.into(),
        organization_id: None,
        revision_id: revision,
    };
    let policy =
        s.a.add_layer_permission(grant("to-b", "222222222222", None))
            .await
            .expect("grant");
    expect!(
        s.a.add_layer_permission(grant("late", "*", Some("stale".into())))
            .await,
        Err(BackendError::StaleRevision(_))
    );
    expect!(
        s.a.add_layer_permission(grant("to-b", "222222222222", None))
            .await,
        Err(BackendError::AlreadyExists { .. })
    );
    let seen =
        s.b.get_layer_version(&v1.layer_version_arn)
            .await
            .expect("granted");
    assert_eq!(seen.owner, "111111111111");
    // The owner reads the signature's facts (Signer shows a job only to
    // its own accounts).
    let evidence =
        s.a.signature_evidence(&ArtifactRef::LayerVersion(v1.layer_version_arn.clone()))
            .await
            .expect("evidence");
    assert_eq!(
        facts::facts(&evidence).signature.map(|f| f.integrity),
        Some(Integrity::Valid)
    );
    expect!(
        s.b.get_layer_version(&v2.layer_version_arn).await,
        Err(BackendError::AccessDenied(_))
    );
    s.a.remove_layer_permission("conf-layer", 1, "to-b", Some(&policy.revision_id))
        .await
        .expect("remove");
    expect!(
        s.b.get_layer_version(&v1.layer_version_arn).await,
        Err(BackendError::AccessDenied(_))
    );
    s.a.delete_layer_version("conf-layer", 2)
        .await
        .expect("delete");
    expect!(
        s.a.get_layer_version(&v2.layer_version_arn).await,
        Err(BackendError::NotFound(_))
    );
    let v3 =
        s.a.publish_layer_version(publish("conf-layer"))
            .await
            .expect("v3");
    assert_eq!(v3.version, 3, "version numbers are never reused");
}

async fn tags_add_and_remove(s: &Subject) {
    let p =
        s.a.put_signing_profile(profile("conf_tagged"))
            .await
            .expect("put");
    s.a.tag_resource(
        &p.arn,
        Tags::from([("env".to_string(), "test".to_string())]),
    )
    .await
    .expect("tag");
    assert_eq!(
        s.a.list_tags(&p.arn).await.expect("list"),
        Tags::from([("team".into(), "a".into()), ("env".into(), "test".into())])
    );
    s.a.untag_resource(&p.arn, &["team".to_string()])
        .await
        .expect("untag");
    assert_eq!(
        s.a.list_tags(&p.arn).await.expect("list"),
        Tags::from([("env".into(), "test".into())])
    );
}
