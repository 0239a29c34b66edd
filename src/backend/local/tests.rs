//! Semantics and concurrency tests of the local backend.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{TimeDelta, Utc};

use super::*;
use crate::domain::checks::{Facts, Integrity};
use crate::domain::job::{JobStatus, ObjectLocation};
use crate::domain::profile::{ProfileStatus, SignatureValidity, ValidityUnit, LAMBDA_PLATFORM};
use crate::domain::{arn, digest};

/// The checks' facts of an artifact, as the engine builds them.
async fn facts_of(backend: &LocalBackend, artifact: &ArtifactRef) -> BackendResult<Facts> {
    Ok(crate::domain::facts::facts(
        &backend.signature_evidence(artifact).await?,
    ))
}

fn config(dir: &Path, account: &str, region: &str) -> LocalConfig {
    LocalConfig {
        path: dir.to_path_buf(),
        account_id: account.to_string(),
        region: region.to_string(),
        key_file: None,
    }
}

const A: &str = "111111111111";
const B: &str = "222222222222";
const C: &str = "333333333333";
const REGION: &str = "us-east-1";
const CHILD_STORE_ENV: &str = "LAMBDASIGN_TEST_CHILD_STORE";
const CHILD_ACCOUNT_ENV: &str = "LAMBDASIGN_TEST_CHILD_ACCOUNT";
const CSCS_PER_CHILD: usize = 20;

fn backend(dir: &Path, account: &str) -> LocalBackend {
    LocalBackend::open(&config(dir, account, REGION)).expect("open store")
}

fn store_dir(tmp: &tempfile::TempDir) -> PathBuf {
    tmp.path().join("store")
}

fn make_zip(path: &Path, body: &[u8]) {
    let file = std::fs::File::create(path).expect("create zip");
    let mut zip = zip::ZipWriter::new(file);
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("index.js", options).expect("start file");
    zip.write_all(body).expect("write");
    zip.finish().expect("finish zip");
}

fn profile_request(name: &str) -> PutSigningProfile {
    PutSigningProfile {
        name: name.into(),
        platform_id: LAMBDA_PLATFORM.into(),
        validity: SignatureValidity::default(),
        certificate_arn: None,
        signing_parameters: Default::default(),
        tags: Tags::from([("team".to_string(), "a".to_string())]),
    }
}

fn job_request(profile: &str, source: &Path, destination: &Path, token: &str) -> StartSigningJob {
    StartSigningJob {
        profile_name: profile.into(),
        profile_owner: None,
        source: ObjectLocation::File(source.into()),
        destination: ObjectLocation::File(destination.into()),
        client_request_token: token.into(),
        staging: None,
        download_to: None,
        timeout: DEFAULT_SIGNING_TIMEOUT,
    }
}

fn csc_input(publishers: Vec<String>) -> CodeSigningConfigInput {
    CodeSigningConfigInput {
        allowed_publishers: publishers,
        enforcement: crate::domain::checks::Enforcement::Enforce,
        description: "test".into(),
        tags: Tags::new(),
    }
}

fn publisher(i: usize) -> String {
    format!("arn:aws:signer:{REGION}:{A}:/signing-profiles/p{i}/ABCDEFGHIJ")
}

fn layer_request(name: &str, content: &Path) -> PublishLayerVersion {
    PublishLayerVersion {
        layer_name: name.into(),
        content: ObjectLocation::File(content.into()),
        compatible_runtimes: vec!["nodejs20.x".into()],
        compatible_architectures: vec!["arm64".into()],
        description: "layer".into(),
        license_info: None,
    }
}

fn layer_grant(
    name: &str,
    version: i64,
    sid: &str,
    principal: &str,
    revision: Option<String>,
) -> AddLayerPermission {
    AddLayerPermission {
        layer_name: name.into(),
        version,
        statement_id: sid.into(),
        principal: principal.into(),
        organization_id: None,
        revision_id: revision,
    }
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

fn count(dir: &Path, table: &str) -> i64 {
    let conn = rusqlite::Connection::open(dir.join(DB_FILE)).expect("open db");
    conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
        .expect("count")
}

/// Signs a fresh zip with `profile` and returns (source, signed, job).
async fn signed_artifact(
    b: &LocalBackend,
    tmp: &Path,
    profile: &str,
    tag: &str,
) -> (PathBuf, PathBuf, SigningJob) {
    let source = tmp.join(format!("{tag}.zip"));
    let signed = tmp.join(format!("{tag}-signed.zip"));
    make_zip(
        &source,
        format!("exports.handler = () => '{tag}';").as_bytes(),
    );
    let job = b
        .start_signing_job(job_request(profile, &source, &signed, tag))
        .await
        .expect("sign");
    (source, signed, job)
}

#[cfg(unix)]
#[tokio::test]
async fn store_directory_and_files_are_private() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("nested").join("store");
    let b = backend(&dir, A);
    assert!(
        !dir.exists(),
        "opening makes no store: the first write does"
    );
    assert!(matches!(
        b.get_signing_profile("p1", None).await,
        Err(BackendError::NoStore(_))
    ));
    assert!(!dir.exists(), "a read makes no store");
    b.put_signing_profile(profile_request("p1")).await.unwrap();
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join(DB_FILE)), 0o600);
    let (_, signed, _) = signed_artifact(&b, tmp.path(), "p1", "t1").await;
    let layer = b
        .publish_layer_version(layer_request("lib", &signed))
        .await
        .unwrap();
    let layer_dir = dir.join("layers").join(A).join(REGION).join("lib");
    assert_eq!(mode(&dir.join("layers")), 0o700);
    assert_eq!(mode(&layer_dir), 0o700);
    assert_eq!(mode(&layer_dir.join("1.zip")), 0o600);
    assert_eq!(layer.version, 1);
    // SQLite gives its WAL and shared-memory files the database's mode.
    for side in ["store.sqlite3-wal", "store.sqlite3-shm"] {
        let side = dir.join(side);
        if side.exists() {
            assert_eq!(mode(&side), 0o600, "{}", side.display());
        }
    }
    // Reopening is idempotent and keeps the data.
    drop(b);
    let again = backend(&dir, A);
    assert_eq!(
        again.get_signing_profile("p1", None).await.unwrap().status,
        ProfileStatus::Active
    );
    assert_eq!(count(&dir, "schema_version"), 1);
}

#[tokio::test]
async fn open_rejects_bad_identity() {
    let tmp = tempfile::tempdir().unwrap();
    assert!(matches!(
        LocalBackend::open(&config(tmp.path(), "123", REGION)),
        Err(BackendError::InvalidInput(_))
    ));
    assert!(matches!(
        LocalBackend::open(&config(tmp.path(), A, "US East")),
        Err(BackendError::InvalidInput(_))
    ));
}

#[tokio::test]
async fn profiles_statuses_names_and_validation() {
    let tmp = tempfile::tempdir().unwrap();
    let a = backend(&store_dir(&tmp), A);
    let p = a
        .put_signing_profile(profile_request("app_signer"))
        .await
        .unwrap();
    assert_eq!(p.status, ProfileStatus::Active);
    assert_eq!(p.owner, A);
    assert_eq!(p.version.len(), 10);
    assert!(p.version.bytes().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(
        p.arn,
        format!("arn:aws:signer:{REGION}:{A}:/signing-profiles/app_signer")
    );
    assert_eq!(p.version_arn, format!("{}/{}", p.arn, p.version));
    assert_eq!(p.validity, SignatureValidity::default());
    assert!(arn::parse_publisher(&p.version_arn).is_ok());

    // Names are never reused.
    let again = a.put_signing_profile(profile_request("app_signer")).await;
    assert!(
        matches!(again, Err(BackendError::AlreadyExists { .. })),
        "{again:?}"
    );

    for bad in ["a", "has-hyphen", &"x".repeat(65)] {
        let r = a.put_signing_profile(profile_request(bad)).await;
        assert!(
            matches!(r, Err(BackendError::InvalidInput(_))),
            "{bad}: {r:?}"
        );
    }
    let mut other_platform = profile_request("other");
    other_platform.platform_id = "AWSIoTDeviceManagement-SHA256-ECDSA".into();
    match a.put_signing_profile(other_platform).await {
        Err(BackendError::InvalidInput(m)) => {
            assert!(m.to_string().contains(LAMBDA_PLATFORM), "{m}")
        }
        r => panic!("{r:?}"),
    }
    let mut too_long = profile_request("too_long");
    too_long.validity = SignatureValidity {
        value: 136,
        unit: ValidityUnit::Months,
    };
    assert!(matches!(
        a.put_signing_profile(too_long).await,
        Err(BackendError::InvalidInput(_))
    ));
    let mut days = profile_request("short");
    days.validity = SignatureValidity {
        value: 30,
        unit: ValidityUnit::Days,
    };
    assert_eq!(
        a.put_signing_profile(days).await.unwrap().validity.value,
        30
    );

    // Tags replace.
    let tagged = a
        .set_signing_profile_tags(
            "app_signer",
            Tags::from([("env".to_string(), "prod".to_string())]),
        )
        .await
        .unwrap();
    assert_eq!(
        tagged.tags,
        Tags::from([("env".to_string(), "prod".to_string())])
    );

    // Another account may read it; unknown names are NotFound.
    let b = backend(&store_dir(&tmp), B);
    assert_eq!(
        b.get_signing_profile("app_signer", Some(A))
            .await
            .unwrap()
            .version,
        p.version
    );
    assert!(matches!(
        b.get_signing_profile("app_signer", None).await,
        Err(BackendError::NotFound(_))
    ));

    // Cancel is idempotent; the canceled name stays taken.
    a.cancel_signing_profile("app_signer").await.unwrap();
    a.cancel_signing_profile("app_signer").await.unwrap();
    assert_eq!(
        a.get_signing_profile("app_signer", None)
            .await
            .unwrap()
            .status,
        ProfileStatus::Canceled
    );
    assert!(matches!(
        a.put_signing_profile(profile_request("app_signer")).await,
        Err(BackendError::AlreadyExists { .. })
    ));
    assert!(matches!(
        a.cancel_signing_profile("nope").await,
        Err(BackendError::NotFound(_))
    ));

    // A canceled profile does not sign.
    let src = tmp.path().join("s.zip");
    make_zip(&src, b"x");
    let r = a
        .start_signing_job(job_request(
            "app_signer",
            &src,
            &tmp.path().join("o.zip"),
            "t",
        ))
        .await;
    assert!(matches!(r, Err(BackendError::InvalidInput(_))), "{r:?}");
}

#[tokio::test]
async fn profile_revocation_only_moves_earlier_and_never_into_the_future() {
    let tmp = tempfile::tempdir().unwrap();
    let a = backend(&store_dir(&tmp), A);
    let p = a.put_signing_profile(profile_request("rev")).await.unwrap();
    let now = Utc::now();
    let request = |at| RevokeSigningProfile {
        name: "rev".into(),
        version: p.version.clone(),
        reason: "key compromised".into(),
        effective_time: at,
    };
    let future = a
        .revoke_signing_profile(request(now + TimeDelta::hours(1)))
        .await;
    assert!(
        matches!(future, Err(BackendError::InvalidInput(_))),
        "{future:?}"
    );
    assert_eq!(
        a.get_signing_profile("rev", None).await.unwrap().status,
        ProfileStatus::Active
    );

    let revoked = a
        .revoke_signing_profile(request(now - TimeDelta::hours(1)))
        .await
        .unwrap();
    assert_eq!(revoked.status, ProfileStatus::Revoked);
    let first = revoked.revocation.clone().unwrap();
    assert_eq!(first.effective_time, now - TimeDelta::hours(1));
    assert_eq!(first.reason, "key compromised");

    match a
        .revoke_signing_profile(request(now - TimeDelta::minutes(30)))
        .await
    {
        Err(BackendError::InvalidInput(m)) => {
            assert!(
                m.to_string().contains("irreversible") && m.to_string().contains("earlier"),
                "{m}"
            )
        }
        r => panic!("{r:?}"),
    }
    let same = a
        .revoke_signing_profile(request(now - TimeDelta::hours(1)))
        .await
        .unwrap();
    assert_eq!(same.revocation, Some(first));
    let earlier = a
        .revoke_signing_profile(request(now - TimeDelta::hours(2)))
        .await
        .unwrap();
    assert_eq!(
        earlier.revocation.unwrap().effective_time,
        now - TimeDelta::hours(2)
    );

    let mut wrong_version = request(now - TimeDelta::hours(3));
    wrong_version.version = "ZZZZZZZZZZ".into();
    assert!(matches!(
        a.revoke_signing_profile(wrong_version).await,
        Err(BackendError::NotFound(_))
    ));

    // Revoked profiles do not sign, and cancel keeps them Revoked.
    let src = tmp.path().join("s.zip");
    make_zip(&src, b"x");
    let r = a
        .start_signing_job(job_request("rev", &src, &tmp.path().join("o.zip"), "t"))
        .await;
    assert!(matches!(r, Err(BackendError::InvalidInput(_))), "{r:?}");
    a.cancel_signing_profile("rev").await.unwrap();
    assert_eq!(
        a.get_signing_profile("rev", None).await.unwrap().status,
        ProfileStatus::Revoked
    );
}

#[tokio::test]
async fn profile_permissions_follow_revision_ids() {
    let tmp = tempfile::tempdir().unwrap();
    let a = backend(&store_dir(&tmp), A);
    let p = a
        .put_signing_profile(profile_request("shared"))
        .await
        .unwrap();
    let empty = a.list_profile_permissions("shared").await.unwrap();
    assert!(empty.permissions.is_empty());
    assert_eq!(empty.revision_id, "");
    let add = |sid: &str, action: &str, revision: Option<String>| AddProfilePermission {
        profile_name: "shared".into(),
        action: action.into(),
        principal: B.into(),
        statement_id: sid.into(),
        profile_version: Some(p.version.clone()),
        revision_id: revision,
    };
    let r1 = a
        .add_profile_permission(add("s1", "signer:StartSigningJob", Some(String::new())))
        .await
        .unwrap();
    let stale = a
        .add_profile_permission(add("s2", "signer:GetSigningProfile", Some("stale".into())))
        .await;
    assert!(
        matches!(stale, Err(BackendError::StaleRevision(_))),
        "{stale:?}"
    );
    let r2 = a
        .add_profile_permission(add("s2", "signer:GetSigningProfile", Some(r1.clone())))
        .await
        .unwrap();
    assert_ne!(r1, r2);
    let stale = a
        .add_profile_permission(add("s3", "signer:SignPayload", Some(r1.clone())))
        .await;
    assert!(
        matches!(stale, Err(BackendError::StaleRevision(_))),
        "{stale:?}"
    );
    let dup = a
        .add_profile_permission(add("s1", "signer:RevokeSignature", None))
        .await;
    assert!(
        matches!(dup, Err(BackendError::AlreadyExists { .. })),
        "{dup:?}"
    );
    let bad = a
        .add_profile_permission(add("s9", "lambda:GetLayerVersion", None))
        .await;
    assert!(matches!(bad, Err(BackendError::InvalidInput(_))), "{bad:?}");
    let r3 = a
        .add_profile_permission(add("s3", "signer:RevokeSignature", None))
        .await
        .unwrap();

    let listed = a.list_profile_permissions("shared").await.unwrap();
    assert_eq!(listed.revision_id, r3);
    let ids: Vec<_> = listed
        .permissions
        .iter()
        .map(|s| s.statement_id.as_str())
        .collect();
    assert_eq!(ids, ["s1", "s2", "s3"]);
    assert_eq!(listed.permissions[0].action, "signer:StartSigningJob");
    assert_eq!(
        listed.permissions[0].profile_version.as_deref(),
        Some(p.version.as_str())
    );

    let stale = a.remove_profile_permission("shared", "s1", &r2).await;
    assert!(
        matches!(stale, Err(BackendError::StaleRevision(_))),
        "{stale:?}"
    );
    let unknown = a.remove_profile_permission("shared", "nope", &r3).await;
    assert!(
        matches!(unknown, Err(BackendError::NotFound(_))),
        "{unknown:?}"
    );
    let r4 = a
        .remove_profile_permission("shared", "s1", &r3)
        .await
        .unwrap();
    assert_ne!(r4, r3);
    assert_eq!(
        a.list_profile_permissions("shared")
            .await
            .unwrap()
            .permissions
            .len(),
        2
    );
    assert!(matches!(
        a.list_profile_permissions("nope").await,
        Err(BackendError::NotFound(_))
    ));
}

#[tokio::test]
async fn signing_jobs_are_idempotent_per_token() {
    let tmp = tempfile::tempdir().unwrap();
    let a = backend(&store_dir(&tmp), A);
    let p = a
        .put_signing_profile(profile_request("signer1"))
        .await
        .unwrap();
    let (source, signed, job) = signed_artifact(&a, tmp.path(), "signer1", "tok-1").await;
    assert_eq!(job.status, JobStatus::Succeeded);
    assert_eq!(job.owner, A);
    assert_eq!(job.profile_version_arn, p.version_arn);
    assert_eq!(
        job.job_arn,
        format!("arn:aws:signer:{REGION}:{A}:/signing-jobs/{}", job.job_id)
    );
    assert_eq!(job.job_id.len(), 36);
    assert_eq!(
        job.signed_sha384,
        hex::encode(digest::sha384_file(&signed).unwrap())
    );
    assert!(job.signature_expires_at > job.signed_at + TimeDelta::days(365 * 11));
    assert_eq!(job.signed_object, ObjectLocation::File(signed.clone()));

    // Same token: the same job, and no second signature (the removed output
    // is not written again).
    std::fs::remove_file(&signed).unwrap();
    let again = a
        .start_signing_job(job_request("signer1", &source, &signed, "tok-1"))
        .await
        .unwrap();
    assert_eq!(again, job);
    assert!(!signed.exists());
    assert_eq!(count(&store_dir(&tmp), "signing_jobs"), 1);

    // Same token, other parameters: Conflict. New token: a new job.
    let other = tmp.path().join("other.zip");
    let r = a
        .start_signing_job(job_request("signer1", &source, &other, "tok-1"))
        .await;
    assert!(matches!(r, Err(BackendError::Conflict(_))), "{r:?}");
    let second = a
        .start_signing_job(job_request("signer1", &source, &other, "tok-2"))
        .await
        .unwrap();
    assert_ne!(second.job_id, job.job_id);

    assert_eq!(a.describe_signing_job(&job.job_id).await.unwrap(), job);
    let b = backend(&store_dir(&tmp), B);
    assert!(matches!(
        b.describe_signing_job(&job.job_id).await,
        Err(BackendError::NotFound(_))
    ));

    // An S3 source (of the emulated S3) must name its version, as Signer's.
    let mut s3 = job_request("signer1", &source, &other, "tok-3");
    s3.source = ObjectLocation::S3 {
        bucket: "b".into(),
        key: "k".into(),
        version: None,
    };
    match a.start_signing_job(s3).await {
        Err(BackendError::InvalidInput(m)) => assert!(m.to_string().contains("version"), "{m}"),
        r => panic!("{r:?}"),
    }
}

#[tokio::test]
async fn failed_signing_is_recorded_as_a_failed_job() {
    let tmp = tempfile::tempdir().unwrap();
    let a = backend(&store_dir(&tmp), A);
    a.put_signing_profile(profile_request("signer1"))
        .await
        .unwrap();
    let not_zip = tmp.path().join("not.zip");
    std::fs::write(&not_zip, b"this is not a zip archive").unwrap();
    let out = tmp.path().join("out.zip");
    let r = a
        .start_signing_job(job_request("signer1", &not_zip, &out, "bad"))
        .await;
    assert!(matches!(r, Err(BackendError::JobFailed(_))), "{r:?}");
    // A retry with the same token signs anew (the cause may have been
    // fixed); the failed job keeps its record.
    let again = a
        .start_signing_job(job_request("signer1", &not_zip, &out, "bad"))
        .await;
    assert_eq!(r, again);
    assert_eq!(count(&store_dir(&tmp), "signing_jobs"), 2);
    assert!(!out.exists());

    // Already signed input fails too.
    let (_, signed, _) = signed_artifact(&a, tmp.path(), "signer1", "ok").await;
    let r = a
        .start_signing_job(job_request("signer1", &signed, &out, "twice"))
        .await;
    assert!(matches!(r, Err(BackendError::JobFailed(_))), "{r:?}");
    let missing = a
        .start_signing_job(job_request(
            "signer1",
            &tmp.path().join("missing.zip"),
            &out,
            "m",
        ))
        .await;
    assert!(
        matches!(missing, Err(BackendError::JobFailed(_))),
        "{missing:?}"
    );
}

#[tokio::test]
async fn cross_account_signing_needs_a_grant() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = store_dir(&tmp);
    let (a, b, c) = (backend(&dir, A), backend(&dir, B), backend(&dir, C));
    let p = a
        .put_signing_profile(profile_request("central"))
        .await
        .unwrap();
    let src = tmp.path().join("src.zip");
    make_zip(&src, b"exports.handler = 1;");
    let cross = |token: &str, out: &str| StartSigningJob {
        profile_owner: Some(A.into()),
        ..job_request("central", &src, &tmp.path().join(out), token)
    };
    let denied = b.start_signing_job(cross("b1", "b1.zip")).await;
    assert!(
        matches!(denied, Err(BackendError::AccessDenied(_))),
        "{denied:?}"
    );

    let grant = |sid: &str, principal: String, version: Option<String>| AddProfilePermission {
        profile_name: "central".into(),
        action: "signer:StartSigningJob".into(),
        principal,
        statement_id: sid.into(),
        profile_version: version,
        revision_id: None,
    };
    a.add_profile_permission(grant("b", B.into(), Some(p.version.clone())))
        .await
        .unwrap();
    a.add_profile_permission(grant(
        "c",
        format!("arn:aws:iam::{C}:root"),
        Some("ZZZZZZZZZZ".into()),
    ))
    .await
    .unwrap();
    let mut other_action = grant("c2", C.into(), None);
    other_action.action = "signer:GetSigningProfile".into();
    a.add_profile_permission(other_action).await.unwrap();

    let job = b.start_signing_job(cross("b2", "b2.zip")).await.unwrap();
    assert_eq!(job.owner, B);
    assert!(job.job_arn.contains(&format!(":{B}:")));
    assert_eq!(job.profile_version_arn, p.version_arn);
    // The profile owner sees the job too; a stranger does not.
    assert_eq!(a.describe_signing_job(&job.job_id).await.unwrap(), job);
    assert!(matches!(
        c.describe_signing_job(&job.job_id).await,
        Err(BackendError::NotFound(_))
    ));
    // A grant for another version, or for another action, is no grant.
    let denied = c.start_signing_job(cross("c1", "c1.zip")).await;
    assert!(
        matches!(denied, Err(BackendError::AccessDenied(_))),
        "{denied:?}"
    );
    // An ARN principal in the account counts.
    a.add_profile_permission(grant("c3", format!("arn:aws:iam::{C}:root"), None))
        .await
        .unwrap();
    c.start_signing_job(cross("c2", "c2.zip")).await.unwrap();
}

#[tokio::test]
async fn code_signing_configs_validate_and_refuse_deletion_in_use() {
    let tmp = tempfile::tempdir().unwrap();
    let a = backend(&store_dir(&tmp), A);
    let twenty: Vec<String> = (0..20).map(publisher).collect();
    let csc = a
        .create_code_signing_config(csc_input(twenty.clone()))
        .await
        .unwrap();
    assert!(
        csc.id.starts_with("csc-") && csc.id.len() == 21,
        "{}",
        csc.id
    );
    assert!(csc.id[4..]
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    assert_eq!(
        csc.arn,
        format!("arn:aws:lambda:{REGION}:{A}:code-signing-config:{}", csc.id)
    );
    assert_eq!(csc.allowed_publishers, twenty);

    let twenty_one: Vec<String> = (0..21).map(publisher).collect();
    assert!(matches!(
        a.create_code_signing_config(csc_input(twenty_one)).await,
        Err(BackendError::InvalidInput(_))
    ));
    assert!(matches!(
        a.create_code_signing_config(csc_input(vec![])).await,
        Err(BackendError::InvalidInput(_))
    ));
    let unversioned = format!("arn:aws:signer:{REGION}:{A}:/signing-profiles/p1");
    let hint = arn::parse_publisher(&unversioned).unwrap_err().to_string();
    match a
        .create_code_signing_config(csc_input(vec![unversioned]))
        .await
    {
        Err(BackendError::InvalidInput(m)) => assert!(m.to_string().contains(&hint), "{m}"),
        r => panic!("{r:?}"),
    }
    let dup = a
        .create_code_signing_config(csc_input(vec![publisher(1), publisher(1)]))
        .await;
    assert!(matches!(dup, Err(BackendError::InvalidInput(_))), "{dup:?}");
    let mut long = csc_input(vec![publisher(1)]);
    long.description = "d".repeat(257);
    assert!(matches!(
        a.create_code_signing_config(long).await,
        Err(BackendError::InvalidInput(_))
    ));

    // Update in place.
    let mut changed = csc_input(vec![publisher(7)]);
    changed.enforcement = crate::domain::checks::Enforcement::Warn;
    let updated = a
        .update_code_signing_config(&csc.arn, changed)
        .await
        .unwrap();
    assert_eq!(
        (updated.id.as_str(), updated.arn.as_str()),
        (csc.id.as_str(), csc.arn.as_str())
    );
    assert_eq!(updated.allowed_publishers, vec![publisher(7)]);
    assert!(updated.last_modified > csc.last_modified);
    assert_eq!(a.get_code_signing_config(&csc.arn).await.unwrap(), updated);
    let b = backend(&store_dir(&tmp), B);
    assert!(matches!(
        b.get_code_signing_config(&csc.arn).await,
        Err(BackendError::AccessDenied(_))
    ));

    // In use: named functions.
    a.bind_function("orders", &csc.arn).unwrap();
    a.bind_function("payments", &csc.arn).unwrap();
    match a.delete_code_signing_config(&csc.arn).await {
        Err(e @ BackendError::InUse { .. }) => {
            let m = e.to_string();
            assert!(m.contains("orders") && m.contains("payments"), "{m}")
        }
        r => panic!("{r:?}"),
    }
    assert!(a.unbind_function("orders").unwrap());
    assert!(a.unbind_function("payments").unwrap());
    a.delete_code_signing_config(&csc.arn).await.unwrap();
    assert!(matches!(
        a.get_code_signing_config(&csc.arn).await,
        Err(BackendError::NotFound(_))
    ));
    assert!(matches!(
        a.bind_function("x", &csc.arn),
        Err(BackendError::NotFound(_))
    ));
}

#[tokio::test]
async fn layers_are_copied_numbered_and_shared_only_when_granted() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = store_dir(&tmp);
    let (a, b, c) = (backend(&dir, A), backend(&dir, B), backend(&dir, C));
    let p = a
        .put_signing_profile(profile_request("layers"))
        .await
        .unwrap();
    let (_, signed, job) = signed_artifact(&a, tmp.path(), "layers", "l1").await;
    let v1 = a
        .publish_layer_version(layer_request("shared-lib", &signed))
        .await
        .unwrap();
    assert_eq!(v1.version, 1);
    assert_eq!(
        v1.layer_arn,
        format!("arn:aws:lambda:{REGION}:{A}:layer:shared-lib")
    );
    assert_eq!(v1.layer_version_arn, format!("{}:1", v1.layer_arn));
    assert_eq!(
        v1.content_sha384,
        hex::encode(digest::sha384_file(&signed).unwrap())
    );
    assert_eq!(
        v1.signing_profile_version_arn.as_deref(),
        Some(p.version_arn.as_str())
    );
    assert_eq!(v1.signing_job_arn.as_deref(), Some(job.job_arn.as_str()));
    assert_eq!(v1.compatible_architectures, vec!["arm64".to_string()]);
    // Published content is a copy: changing the source does not change it.
    std::fs::write(&signed, b"changed").unwrap();
    assert_eq!(
        a.get_layer_version(&v1.layer_version_arn).await.unwrap(),
        v1
    );

    let unsigned = tmp.path().join("unsigned.zip");
    make_zip(&unsigned, b"plain");
    let v2 = a
        .publish_layer_version(layer_request("shared-lib", &unsigned))
        .await
        .unwrap();
    assert_eq!(v2.version, 2);
    assert_eq!(v2.signing_profile_version_arn, None);
    let v2_file = dir
        .join("layers")
        .join(A)
        .join(REGION)
        .join("shared-lib")
        .join("2.zip");
    assert!(v2_file.exists());
    a.delete_layer_version("shared-lib", 2).await.unwrap();
    assert!(!v2_file.exists());
    a.delete_layer_version("shared-lib", 2).await.unwrap();
    assert!(matches!(
        a.get_layer_version(&v2.layer_version_arn).await,
        Err(BackendError::NotFound(_))
    ));
    let v3 = a
        .publish_layer_version(layer_request("shared-lib", &unsigned))
        .await
        .unwrap();
    assert_eq!(v3.version, 3, "versions are never reused");

    let bad_name = a
        .publish_layer_version(layer_request("bad name", &unsigned))
        .await;
    assert!(matches!(bad_name, Err(BackendError::InvalidInput(_))));
    let not_zip = tmp.path().join("nz");
    std::fs::write(&not_zip, b"nope").unwrap();
    assert!(matches!(
        a.publish_layer_version(layer_request("x", &not_zip)).await,
        Err(BackendError::InvalidInput(_))
    ));

    // Visibility across accounts.
    let arn1 = v1.layer_version_arn.clone();
    assert!(matches!(
        b.get_layer_version(&arn1).await,
        Err(BackendError::AccessDenied(_))
    ));
    assert!(matches!(
        a.get_layer_policy("shared-lib", 1).await,
        Err(BackendError::NotFound(_))
    ));
    let policy = a
        .add_layer_permission(layer_grant("shared-lib", 1, "b", B, None))
        .await
        .unwrap();
    assert_eq!(policy.statements.len(), 1);
    assert_eq!(policy.statements[0].action, "lambda:GetLayerVersion");
    assert_eq!(b.get_layer_version(&arn1).await.unwrap(), v1);
    assert!(matches!(
        c.get_layer_version(&arn1).await,
        Err(BackendError::AccessDenied(_))
    ));
    // The grant is per version.
    assert!(matches!(
        b.get_layer_version(&v3.layer_version_arn).await,
        Err(BackendError::AccessDenied(_))
    ));

    // Revision ids, statement ids, principals.
    let stale = a
        .add_layer_permission(layer_grant(
            "shared-lib",
            1,
            "all",
            "*",
            Some("stale".into()),
        ))
        .await;
    assert!(
        matches!(stale, Err(BackendError::StaleRevision(_))),
        "{stale:?}"
    );
    let dup = a
        .add_layer_permission(layer_grant("shared-lib", 1, "b", C, None))
        .await;
    assert!(
        matches!(dup, Err(BackendError::AlreadyExists { .. })),
        "{dup:?}"
    );
    for (sid, principal) in [
        ("bad sid", "*"),
        ("ok", "12345"),
        ("ok", "arn:aws:iam::333333333333:root"),
    ] {
        let r = a
            .add_layer_permission(layer_grant("shared-lib", 1, sid, principal, None))
            .await;
        assert!(
            matches!(r, Err(BackendError::InvalidInput(_))),
            "{sid} {principal}: {r:?}"
        );
    }
    let mut org_with_account = layer_grant("shared-lib", 1, "org", C, None);
    org_with_account.organization_id = Some("o-abcdefghij".into());
    assert!(matches!(
        a.add_layer_permission(org_with_account).await,
        Err(BackendError::InvalidInput(_))
    ));
    let mut bad_org = layer_grant("shared-lib", 1, "org", "*", None);
    bad_org.organization_id = Some("o-short".into());
    assert!(matches!(
        a.add_layer_permission(bad_org).await,
        Err(BackendError::InvalidInput(_))
    ));
    let mut org = layer_grant(
        "shared-lib",
        1,
        "org",
        "*",
        Some(policy.revision_id.clone()),
    );
    org.organization_id = Some("o-abcdefghij".into());
    let policy2 = a.add_layer_permission(org).await.unwrap();
    assert_ne!(policy2.revision_id, policy.revision_id);
    assert_eq!(a.get_layer_policy("shared-lib", 1).await.unwrap(), policy2);
    // Organizations are not modeled: `*` in an organization grants everyone.
    assert_eq!(c.get_layer_version(&arn1).await.unwrap(), v1);

    let stale = a
        .remove_layer_permission("shared-lib", 1, "org", Some(&policy.revision_id))
        .await;
    assert!(
        matches!(stale, Err(BackendError::StaleRevision(_))),
        "{stale:?}"
    );
    let unknown = a
        .remove_layer_permission("shared-lib", 1, "nope", None)
        .await;
    assert!(
        matches!(unknown, Err(BackendError::NotFound(_))),
        "{unknown:?}"
    );
    a.remove_layer_permission("shared-lib", 1, "org", Some(&policy2.revision_id))
        .await
        .unwrap();
    a.remove_layer_permission("shared-lib", 1, "b", None)
        .await
        .unwrap();
    assert!(matches!(
        a.get_layer_policy("shared-lib", 1).await,
        Err(BackendError::NotFound(_))
    ));
    assert!(matches!(
        b.get_layer_version(&arn1).await,
        Err(BackendError::AccessDenied(_))
    ));
    let r = a
        .add_layer_permission(layer_grant("shared-lib", 9, "x", B, None))
        .await;
    assert!(matches!(r, Err(BackendError::NotFound(_))), "{r:?}");
}

fn integrity(facts: &crate::domain::checks::Facts) -> &Integrity {
    &facts.signature.as_ref().expect("a signature").integrity
}

/// Replaces the file at `path` by a new file of the same length with one
/// byte of its entry data changed.
fn replace_with_one_byte_changed(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let at = bytes
        .windows(7)
        .position(|w| w == b"exports")
        .expect("entry data");
    bytes[at] = b'E';
    let replacement = path.with_extension("replacement");
    std::fs::write(&replacement, &bytes).unwrap();
    std::fs::rename(&replacement, path).unwrap();
}

/// The process that signed trusts its own digests only while the output is
/// as it wrote it (`known_outputs`): an output replaced by another file of
/// the same length is read again and found modified.
#[tokio::test]
async fn a_job_output_rewritten_after_signing_is_read_again() {
    let tmp = tempfile::tempdir().unwrap();
    let a = backend(&store_dir(&tmp), A);
    a.put_signing_profile(profile_request("fresh"))
        .await
        .unwrap();
    let (_, signed, job) = signed_artifact(&a, tmp.path(), "fresh", "f1").await;
    let by_job = ArtifactRef::SigningJob(job.job_arn.clone());
    assert_eq!(
        integrity(&facts_of(&a, &by_job).await.unwrap()),
        &Integrity::Valid
    );

    replace_with_one_byte_changed(&signed);
    let facts = facts_of(&a, &by_job).await.unwrap();
    assert!(
        matches!(integrity(&facts), Integrity::Invalid { .. }),
        "{facts:?}"
    );
}

/// A job's output that is byte for byte what the job recorded is trusted
/// without the ECDSA equation, but only in today's form: an output with the
/// high-S twin of its signature (as signing wrote before low-S
/// normalization) fails even when the job's record names those very bytes,
/// as it fails by path; a flipped signature byte is verified and fails.
#[tokio::test]
async fn a_recorded_job_output_is_trusted_only_in_todays_form() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = store_dir(&tmp);
    let a = backend(&dir, A);
    a.put_signing_profile(profile_request("formed"))
        .await
        .unwrap();
    let (_, signed, job) = signed_artifact(&a, tmp.path(), "formed", "h1").await;
    let by_job = ArtifactRef::SigningJob(job.job_arn.clone());
    let by_path = ArtifactRef::SignedFile(signed.clone());
    let fresh = || backend(&dir, A);
    assert_eq!(
        integrity(&facts_of(&fresh(), &by_job).await.unwrap()),
        &Integrity::Valid
    );

    // The high-S twin, recorded as the job's output.
    let mut bytes = std::fs::read(&signed).unwrap();
    let at = bytes.len() - crate::domain::keys::SIGNATURE_BYTES;
    let signature = p384::ecdsa::Signature::from_slice(&bytes[at..]).unwrap();
    let (r, s) = signature.split_scalars();
    let twin = p384::ecdsa::Signature::from_scalars(r, -*s).unwrap();
    bytes[at..].copy_from_slice(&twin.to_bytes());
    std::fs::write(&signed, &bytes).unwrap();
    let conn = rusqlite::Connection::open(dir.join(DB_FILE)).unwrap();
    conn.execute(
        "UPDATE signing_jobs SET signed_sha384 = ?1 WHERE job_arn = ?2",
        [
            hex::encode(digest::sha384_file(&signed).unwrap()),
            job.job_arn.clone(),
        ],
    )
    .unwrap();
    for artifact in [&by_job, &by_path] {
        let facts = facts_of(&fresh(), artifact).await.unwrap();
        assert!(
            matches!(integrity(&facts), Integrity::Invalid { .. }),
            "{artifact}: {facts:?}"
        );
    }

    // A flipped signature byte, not recorded: verified, and refused.
    bytes[at + 10] ^= 1;
    std::fs::write(&signed, &bytes).unwrap();
    let facts = facts_of(&fresh(), &by_job).await.unwrap();
    assert!(
        matches!(integrity(&facts), Integrity::Invalid { .. }),
        "{facts:?}"
    );
}

/// A refresh's digest of a job's output (another process than the one that
/// signed) is kept for the job's verification only while the file is as it
/// was read: a replaced or rewritten output is read again by both.
#[tokio::test]
async fn a_refreshed_output_is_inspected_once_and_again_when_it_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = store_dir(&tmp);
    let signer = backend(&dir, A);
    signer
        .put_signing_profile(profile_request("known"))
        .await
        .unwrap();
    let (_, signed, job) = signed_artifact(&signer, tmp.path(), "known", "k1").await;
    let by_job = ArtifactRef::SigningJob(job.job_arn.clone());

    let planner = backend(&dir, A);
    let digest = planner.output_sha384(&signed).await;
    assert_eq!(digest, crate::domain::digest::sha384_file(&signed).ok());
    assert_eq!(hex::encode(digest.unwrap()), job.signed_sha384);
    assert_eq!(
        integrity(&facts_of(&planner, &by_job).await.unwrap()),
        &Integrity::Valid
    );

    // Replaced by a file of the same length with one byte changed.
    replace_with_one_byte_changed(&signed);
    let digest = planner.output_sha384(&signed).await;
    assert_eq!(digest, crate::domain::digest::sha384_file(&signed).ok());
    assert_ne!(hex::encode(digest.unwrap()), job.signed_sha384);
    let facts = facts_of(&planner, &by_job).await.unwrap();
    assert!(
        matches!(integrity(&facts), Integrity::Invalid { .. }),
        "{facts:?}"
    );

    // Rewritten in place as something that is not a zip: its digest still.
    std::fs::write(&signed, b"not a zip").unwrap();
    assert_eq!(
        planner.output_sha384(&signed).await,
        crate::domain::digest::sha384_file(&signed).ok()
    );
    std::fs::remove_file(&signed).unwrap();
    assert_eq!(planner.output_sha384(&signed).await, None);
}

#[tokio::test]
async fn signature_facts_report_integrity_and_revocations() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = store_dir(&tmp);
    let (a, b) = (backend(&dir, A), backend(&dir, B));
    let p = a
        .put_signing_profile(profile_request("facts"))
        .await
        .unwrap();
    let (source, signed, job) = signed_artifact(&a, tmp.path(), "facts", "f1").await;

    // Valid.
    let facts = facts_of(&a, &ArtifactRef::SignedFile(signed.clone()))
        .await
        .unwrap();
    assert_eq!(integrity(&facts), &Integrity::Valid);
    let signature = facts.signature.as_ref().unwrap();
    assert_eq!(signature.profile_version_arn, p.version_arn);
    assert_eq!(signature.job_arn, job.job_arn);
    assert_eq!(signature.signed_at, job.signed_at);
    assert_eq!(signature.expires_at, job.signature_expires_at);
    assert!(facts.profile_revocation.is_none() && facts.job_revocation.is_none());
    let by_job = facts_of(&a, &ArtifactRef::SigningJob(job.job_arn.clone()))
        .await
        .unwrap();
    assert_eq!(by_job, facts);
    // Any account may verify a file.
    assert_eq!(
        facts_of(&b, &ArtifactRef::SignedFile(signed.clone()))
            .await
            .unwrap(),
        facts
    );

    // Unsigned.
    let unsigned = facts_of(&a, &ArtifactRef::SignedFile(source.clone()))
        .await
        .unwrap();
    assert!(unsigned.signature.is_none());

    // Not a zip.
    let not_zip = tmp.path().join("nz");
    std::fs::write(&not_zip, b"nope").unwrap();
    assert!(matches!(
        facts_of(&a, &ArtifactRef::SignedFile(not_zip)).await,
        Err(BackendError::InvalidInput(_))
    ));

    // Tampered: one byte of the stored entry's data changed.
    let tampered = tmp.path().join("tampered.zip");
    let mut bytes = std::fs::read(&signed).unwrap();
    let at = bytes
        .windows(7)
        .position(|w| w == b"exports")
        .expect("stored entry data");
    bytes[at] = b'E';
    std::fs::write(&tampered, &bytes).unwrap();
    let facts = facts_of(&a, &ArtifactRef::SignedFile(tampered))
        .await
        .unwrap();
    assert!(
        matches!(integrity(&facts), Integrity::Invalid { .. }),
        "{facts:?}"
    );

    // Signed by a profile another store knows.
    let other_tmp = tempfile::tempdir().unwrap();
    let other = backend(&store_dir(&other_tmp), A);
    other
        .put_signing_profile(profile_request("facts"))
        .await
        .unwrap();
    let (_, foreign, _) = signed_artifact(&other, other_tmp.path(), "facts", "x").await;
    let facts = facts_of(&a, &ArtifactRef::SignedFile(foreign))
        .await
        .unwrap();
    match integrity(&facts) {
        Integrity::Invalid { reason } => assert!(reason.contains("no record"), "{reason}"),
        other => panic!("{other:?}"),
    }

    // Layer versions: the stored copy, visible as get_layer_version.
    let layer = a
        .publish_layer_version(layer_request("facts-layer", &signed))
        .await
        .unwrap();
    let layer_facts = facts_of(
        &a,
        &ArtifactRef::LayerVersion(layer.layer_version_arn.clone()),
    )
    .await
    .unwrap();
    assert_eq!(integrity(&layer_facts), &Integrity::Valid);
    let hidden = facts_of(
        &b,
        &ArtifactRef::LayerVersion(layer.layer_version_arn.clone()),
    )
    .await;
    assert!(
        matches!(hidden, Err(BackendError::AccessDenied(_))),
        "{hidden:?}"
    );

    // Revocations: job, then profile version.
    assert!(matches!(
        b.revoke_signature(&job.job_id, "no").await,
        Err(BackendError::NotFound(_))
    ));
    a.revoke_signature(&job.job_id, "bad build").await.unwrap();
    a.revoke_signature(&job.job_id, "bad build").await.unwrap();
    let r = a.revoke_signature(&job.job_id, "another reason").await;
    assert!(matches!(r, Err(BackendError::Conflict(_))), "{r:?}");
    let revoked_at = a
        .describe_signing_job(&job.job_id)
        .await
        .unwrap()
        .revocation
        .unwrap()
        .revoked_at;
    let facts = facts_of(&a, &ArtifactRef::SignedFile(signed.clone()))
        .await
        .unwrap();
    let job_revocation = facts.job_revocation.clone().expect("job revocation");
    assert_eq!(job_revocation.reason, "bad build");
    assert_eq!(job_revocation.recorded_at, revoked_at);
    assert!(facts.profile_revocation.is_none());
    assert_eq!(
        integrity(&facts),
        &Integrity::Valid,
        "revocation is a separate fact"
    );

    let effective = Utc::now() - TimeDelta::hours(1);
    a.revoke_signing_profile(RevokeSigningProfile {
        name: "facts".into(),
        version: p.version.clone(),
        reason: "rotated".into(),
        effective_time: effective,
    })
    .await
    .unwrap();
    let facts = facts_of(
        &a,
        &ArtifactRef::LayerVersion(layer.layer_version_arn.clone()),
    )
    .await
    .unwrap();
    let profile_revocation = facts.profile_revocation.expect("profile revocation");
    assert_eq!(profile_revocation.effective_time, effective);
    assert_eq!(profile_revocation.reason, "rotated");
    assert!(facts.job_revocation.is_some());

    // A job whose signed object is gone.
    std::fs::remove_file(&signed).unwrap();
    let facts = facts_of(&a, &ArtifactRef::SigningJob(job.job_arn.clone()))
        .await
        .unwrap();
    match integrity(&facts) {
        Integrity::Invalid { reason } => {
            assert!(reason.contains("missing"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    assert!(facts.job_revocation.is_some());
    let unknown =
        format!("arn:aws:signer:{REGION}:{A}:/signing-jobs/00000000-0000-4000-8000-000000000000");
    assert!(matches!(
        facts_of(&a, &ArtifactRef::SigningJob(unknown)).await,
        Err(BackendError::NotFound(_))
    ));
}

#[tokio::test]
async fn private_keys_never_leave_the_store() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = store_dir(&tmp);
    let a = backend(&dir, A);
    let profile = a
        .put_signing_profile(profile_request("secret"))
        .await
        .unwrap();
    let (_, signed, job) = signed_artifact(&a, tmp.path(), "secret", "k1").await;
    let layer = a
        .publish_layer_version(layer_request("k", &signed))
        .await
        .unwrap();
    let facts = facts_of(&a, &ArtifactRef::SignedFile(signed.clone()))
        .await
        .unwrap();
    let got = a.get_signing_profile("secret", None).await.unwrap();
    let revoked = a
        .revoke_signing_profile(RevokeSigningProfile {
            name: "secret".into(),
            version: profile.version.clone(),
            reason: "r".into(),
            effective_time: Utc::now() - TimeDelta::minutes(1),
        })
        .await
        .unwrap();
    let permissions = a.list_profile_permissions("secret").await.unwrap();
    // The records carry no key field (a compile-time fact, spelled out).
    let SigningProfile {
        name: _,
        owner: _,
        arn: _,
        version: _,
        version_arn: _,
        platform_id: _,
        validity: _,
        status: _,
        revocation: _,
        certificate_arn: _,
        signing_parameters: _,
        tags: _,
    } = &got;

    let conn = rusqlite::Connection::open(dir.join(DB_FILE)).unwrap();
    let der: Vec<u8> = conn
        .query_row(
            "SELECT private_key_pkcs8 FROM signing_profile_versions",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(crate::domain::keys::SigningKey::from_pkcs8_der(&der).is_ok());
    let secret_scalar_hex = hex::encode(&der[der.len() - 48..]);
    let debug =
        format!("{profile:?}{got:?}{revoked:?}{job:?}{layer:?}{facts:?}{permissions:?}{a:?}");
    for needle in [
        hex::encode(&der),
        format!("{der:?}"),
        secret_scalar_hex,
        format!("{:?}", &der[..32]),
    ] {
        assert!(!debug.contains(&needle));
    }
    // Nor does the signed artifact contain it.
    let artifact = std::fs::read(&signed).unwrap();
    assert!(!artifact.windows(der.len()).any(|w| w == der.as_slice()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_writers_in_one_process_all_land() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = store_dir(&tmp);
    let a = Arc::new(backend(&dir, A));
    a.put_signing_profile(profile_request("busy"))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..50 {
        let a = Arc::clone(&a);
        tasks.push(tokio::spawn(async move {
            if i % 2 == 0 {
                a.add_profile_permission(AddProfilePermission {
                    profile_name: "busy".into(),
                    action: "signer:GetSigningProfile".into(),
                    principal: B.into(),
                    statement_id: format!("s{i}"),
                    profile_version: None,
                    revision_id: None,
                })
                .await
                .map(|_| ())
            } else {
                a.create_code_signing_config(csc_input(vec![publisher(i)]))
                    .await
                    .map(|_| ())
            }
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(
        a.list_profile_permissions("busy")
            .await
            .unwrap()
            .permissions
            .len(),
        25
    );
    assert_eq!(count(&dir, "code_signing_configs"), 25);
}

/// Child mode of `ten_writer_processes_share_one_store`: runs only when the
/// parent test starts this binary with the store in the environment.
#[test]
fn child_writer() {
    let (Ok(dir), Ok(account)) = (
        std::env::var(CHILD_STORE_ENV),
        std::env::var(CHILD_ACCOUNT_ENV),
    ) else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let b = backend(Path::new(&dir), &account);
        for i in 0..CSCS_PER_CHILD {
            b.create_code_signing_config(csc_input(vec![publisher(i)]))
                .await
                .expect("create csc");
        }
    });
}

#[test]
fn ten_writer_processes_share_one_store() {
    if std::env::var(CHILD_STORE_ENV).is_ok() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = store_dir(&tmp);
    let exe = std::env::current_exe().unwrap();
    // The children also race to create the store itself.
    let children: Vec<_> = (0..10)
        .map(|i| {
            std::process::Command::new(&exe)
                .args([
                    "backend::local::tests::child_writer",
                    "--exact",
                    "--test-threads=1",
                    "--nocapture",
                ])
                .env(CHILD_STORE_ENV, &dir)
                .env(CHILD_ACCOUNT_ENV, format!("4444444444{i:02}"))
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn child")
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "child failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("1 passed"),
            "child ran no test"
        );
    }
    assert_eq!(count(&dir, "code_signing_configs"), 200);
    let conn = rusqlite::Connection::open(dir.join(DB_FILE)).unwrap();
    let accounts: i64 = conn
        .query_row(
            "SELECT COUNT(DISTINCT account) FROM code_signing_configs",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(accounts, 10);
}

// --- Failure behaviour (issue 13): each test names what must hold. ---------

/// A store key file with mode 0600.
fn key_file(dir: &Path, name: &str, byte: u8) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, hex::encode([byte; 32])).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    path
}

fn keyed(dir: &Path, key: Option<&Path>) -> BackendResult<LocalBackend> {
    LocalBackend::open(&LocalConfig {
        key_file: key.map(Path::to_path_buf),
        ..config(dir, A, REGION)
    })
}

#[tokio::test]
async fn a_deleted_job_record_fails_the_revocation_check_with_the_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = store_dir(&tmp);
    let a = backend(&dir, A);
    a.put_signing_profile(profile_request("pp")).await.unwrap();
    let (_, signed, job) = signed_artifact(&a, tmp.path(), "pp", "gone").await;
    a.revoke_signature(&job.job_id, "leaked").await.unwrap();
    let conn = rusqlite::Connection::open(dir.join(DB_FILE)).unwrap();
    conn.execute("DELETE FROM signing_jobs WHERE job_id = ?1", [&job.job_id])
        .unwrap();
    let facts = facts_of(&a, &ArtifactRef::SignedFile(signed))
        .await
        .unwrap();
    assert_eq!(facts.job_revocation, None);
    assert!(
        facts
            .missing_records
            .iter()
            .any(|m| m.contains(&job.job_arn) && m.contains("no record")),
        "{:?}",
        facts.missing_records
    );
}

#[tokio::test]
async fn an_empty_store_file_is_an_error_naming_it_not_a_fresh_start() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = store_dir(&tmp);
    let a = backend(&dir, A);
    a.put_signing_profile(profile_request("pp")).await.unwrap();
    drop(a);
    for side in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(dir.join(format!("{DB_FILE}{side}")));
    }
    std::fs::File::create(dir.join(DB_FILE)).unwrap(); // truncated to 0 bytes
    let err = LocalBackend::open(&config(&dir, A, REGION)).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains(&dir.join(DB_FILE).display().to_string()),
        "{message}"
    );
    assert!(message.contains("empty"), "{message}");
    assert_eq!(std::fs::metadata(dir.join(DB_FILE)).unwrap().len(), 0);
}

#[tokio::test]
async fn a_damaged_store_is_an_error_naming_it_not_a_fresh_start() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = store_dir(&tmp);
    let a = backend(&dir, A);
    for i in 0..40 {
        a.put_signing_profile(profile_request(&format!("p{i}")))
            .await
            .unwrap();
    }
    drop(a);
    let db = dir.join(DB_FILE);
    // Checkpoint the WAL into the file, then damage a page past the header.
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .unwrap();
        conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
    }
    let mut bytes = std::fs::read(&db).unwrap();
    assert!(bytes.len() > 3 * 4096, "{} bytes", bytes.len());
    for b in &mut bytes[4096 + 8..4096 + 400] {
        *b = 0xA5;
    }
    std::fs::write(&db, &bytes).unwrap();
    let err = LocalBackend::open(&config(&dir, A, REGION)).unwrap_err();
    let message = err.to_string();
    assert!(message.contains(&db.display().to_string()), "{message}");
    assert!(message.contains("damaged"), "{message}");
    assert_eq!(
        std::fs::read(&db).unwrap(),
        bytes,
        "the file was left untouched"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn a_symlinked_store_file_is_refused_and_its_target_left_alone() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let real = store_dir(&tmp);
    backend(&real, A)
        .put_signing_profile(profile_request("first_write"))
        .await
        .unwrap();
    let target = real.join(DB_FILE);
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).unwrap();
    let linked = tmp.path().join("linked");
    std::fs::create_dir(&linked).unwrap();
    std::os::unix::fs::symlink(&target, linked.join(DB_FILE)).unwrap();
    std::fs::set_permissions(&linked, std::fs::Permissions::from_mode(0o700)).unwrap();
    let err = LocalBackend::open(&config(&linked, A, REGION)).unwrap_err();
    assert!(err.to_string().contains("symbolic link"), "{err}");
    assert_eq!(mode(&target), 0o640, "the link's target was chmod'ed");
}

#[cfg(unix)]
#[tokio::test]
async fn a_store_others_can_read_is_reported() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = store_dir(&tmp);
    backend(&dir, A)
        .put_signing_profile(profile_request("first_write"))
        .await
        .unwrap();
    assert!(backend(&dir, A).warnings().is_empty());
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(dir.join(DB_FILE), std::fs::Permissions::from_mode(0o644)).unwrap();
    let b = backend(&dir, A);
    let warnings = b.warnings().join("\n");
    assert!(
        warnings.contains("0755") && warnings.contains("chmod 700"),
        "{warnings}"
    );
    assert!(warnings.contains("0644"), "{warnings}");
    assert_eq!(mode(&dir.join(DB_FILE)), 0o600);
}

#[tokio::test]
async fn a_store_created_with_a_key_seals_its_keys_and_refuses_to_sign_without_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = store_dir(&tmp);
    let key = key_file(tmp.path(), "store.key", 7);
    let sealed = keyed(&dir, Some(&key)).unwrap();
    sealed
        .put_signing_profile(profile_request("pp"))
        .await
        .unwrap();
    let (source, signed, job) = signed_artifact(&sealed, tmp.path(), "pp", "k").await;
    drop(sealed);
    // At rest: no PKCS#8 in the store.
    let conn = rusqlite::Connection::open(dir.join(DB_FILE)).unwrap();
    let (stored, flag): (Vec<u8>, i64) = conn
        .query_row(
            "SELECT private_key_pkcs8, private_key_sealed FROM signing_profile_versions",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(flag, 1);
    assert!(crate::domain::keys::SigningKey::from_pkcs8_der(&stored).is_err());

    // Without the key: verification works, signing and new profiles do not.
    let locked = keyed(&dir, None).unwrap();
    let facts = facts_of(&locked, &ArtifactRef::SignedFile(signed.clone()))
        .await
        .unwrap();
    assert_eq!(*integrity(&facts), Integrity::Valid);
    let out = tmp.path().join("again.zip");
    let err = locked
        .start_signing_job(job_request("pp", &source, &out, "other"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("key_file"), "{err}");
    assert!(!out.exists());
    assert!(locked
        .put_signing_profile(profile_request("qq"))
        .await
        .is_err());

    // Another key is refused when the store is opened.
    let wrong = key_file(tmp.path(), "wrong.key", 8);
    let err = keyed(&dir, Some(&wrong)).unwrap_err();
    assert!(err.to_string().contains("not the key"), "{err}");

    // The right key signs again.
    let again = keyed(&dir, Some(&key)).unwrap();
    let other = again
        .start_signing_job(job_request("pp", &source, &out, "other"))
        .await
        .unwrap();
    assert_ne!(other.job_id, job.job_id);
}

#[tokio::test]
async fn a_keyless_store_given_a_key_seals_the_keys_it_has() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = store_dir(&tmp);
    let plain = backend(&dir, A);
    plain
        .put_signing_profile(profile_request("pp"))
        .await
        .unwrap();
    drop(plain);
    let key = key_file(tmp.path(), "store.key", 9);
    let sealed = keyed(&dir, Some(&key)).unwrap();
    assert!(
        sealed.warnings().iter().any(|w| w.contains("now sealed")),
        "{:?}",
        sealed.warnings()
    );
    signed_artifact(&sealed, tmp.path(), "pp", "s").await;
    let conn = rusqlite::Connection::open(dir.join(DB_FILE)).unwrap();
    let plain_left: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM signing_profile_versions WHERE private_key_sealed = 0",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(plain_left, 0);
}

/// A zip of `len` bytes of zeros (sparse on disk) ending in an empty EOCD.
fn large_zip(path: &Path, len: u64) {
    let file = std::fs::File::create(path).unwrap();
    file.set_len(len - 22).unwrap();
    drop(file);
    let mut file = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    let mut eocd = b"PK\x05\x06".to_vec();
    eocd.extend_from_slice(&[0; 18]);
    file.write_all(&eocd).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn signing_does_not_hold_the_store_write_lock_while_copying() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = store_dir(&tmp);
    let a = Arc::new(backend(&dir, A));
    a.put_signing_profile(profile_request("pp")).await.unwrap();
    let source = tmp.path().join("big.zip");
    // Large enough that signing outlasts the other write even on a busy
    // machine (the file is sparse).
    large_zip(&source, 64 << 20);
    let signing = {
        let a = Arc::clone(&a);
        let (source, out) = (source.clone(), tmp.path().join("big-signed.zip"));
        tokio::spawn(async move {
            a.start_signing_job(job_request("pp", &source, &out, "big"))
                .await
        })
    };
    // Wait (bounded) until the job is reserved and being signed.
    let started = std::time::Instant::now();
    loop {
        let jobs = a.list_signing_jobs(JobFilter::default()).await.unwrap();
        if jobs.iter().any(|j| j.status == JobStatus::InProgress) {
            break;
        }
        assert!(!signing.is_finished(), "signed before it could be watched");
        assert!(started.elapsed() < std::time::Duration::from_secs(30));
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    // Another writer gets through while the artifact is still being copied.
    let other = backend(&dir, B);
    other
        .put_signing_profile(profile_request("qq"))
        .await
        .unwrap();
    let jobs = a.list_signing_jobs(JobFilter::default()).await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(
        jobs[0].status,
        JobStatus::InProgress,
        "the other write waited for the signing to finish"
    );
    let job = signing.await.unwrap().unwrap();
    assert_eq!(job.status, JobStatus::Succeeded);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_token_from_two_store_handles_signs_once() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = store_dir(&tmp);
    let first = Arc::new(backend(&dir, A));
    first
        .put_signing_profile(profile_request("pp"))
        .await
        .unwrap();
    let second = Arc::new(backend(&dir, A)); // its own connections and locks
    let source = tmp.path().join("in.zip");
    large_zip(&source, 4 << 20);
    let out = tmp.path().join("out.zip");
    let run = |b: Arc<LocalBackend>| {
        let (source, out) = (source.clone(), out.clone());
        tokio::spawn(async move {
            b.start_signing_job(job_request("pp", &source, &out, "same"))
                .await
        })
    };
    let (x, y) = (run(Arc::clone(&first)), run(Arc::clone(&second)));
    let (x, y) = (x.await.unwrap().unwrap(), y.await.unwrap().unwrap());
    assert_eq!(x, y);
    assert_eq!(count(&dir, "signing_jobs"), 1);
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_killed_layer_upload_is_removed_by_the_next_publish() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = store_dir(&tmp);
    let a = backend(&dir, A);
    a.put_signing_profile(profile_request("pp")).await.unwrap();
    let (_, signed, _) = signed_artifact(&a, tmp.path(), "pp", "l").await;
    a.publish_layer_version(layer_request("lib", &signed))
        .await
        .unwrap();
    let layer_dir = dir.join("layers").join(A).join(REGION).join("lib");
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let gone = child.id();
    child.wait().unwrap();
    let partial = layer_dir.join(format!(".lambdasign-{gone}-00112233aabbccdd.tmp"));
    std::fs::write(&partial, b"half an upload").unwrap();
    a.publish_layer_version(layer_request("lib", &signed))
        .await
        .unwrap();
    assert!(!partial.exists());
    let names: Vec<_> = std::fs::read_dir(&layer_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[tokio::test]
async fn migration_4_turns_function_bindings_into_functions() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = store_dir(&tmp);
    let a = backend(&dir, A);
    let p = a.put_signing_profile(profile_request("mig")).await.unwrap();
    let csc = a
        .create_code_signing_config(csc_input(vec![p.version_arn.clone()]))
        .await
        .unwrap();
    drop(a);
    // A store as schema step 3 left it: bindings, and no S3 columns on jobs.
    {
        let conn = rusqlite::Connection::open(dir.join(DB_FILE)).unwrap();
        conn.execute_batch(&format!(
            "CREATE TABLE function_bindings (account TEXT NOT NULL, region TEXT NOT NULL,
                 function_name TEXT NOT NULL, csc_arn TEXT NOT NULL REFERENCES code_signing_configs (arn),
                 PRIMARY KEY (account, region, function_name));
             INSERT INTO function_bindings VALUES ('{A}', '{REGION}', 'legacy-fn', '{}');
             ALTER TABLE signing_jobs DROP COLUMN source_s3;
             ALTER TABLE signing_jobs DROP COLUMN signed_s3;
             UPDATE schema_version SET version = 3;",
            csc.arn
        ))
        .unwrap();
    }
    let a = backend(&dir, A);
    assert_eq!(count(&dir, "functions"), 1);
    let conn = rusqlite::Connection::open(dir.join(DB_FILE)).unwrap();
    let version: i64 = conn
        .query_row("SELECT version FROM schema_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, store::SCHEMA_VERSION);
    let bindings: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE name = 'function_bindings'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(bindings, 0);
    let users = a
        .list_functions_by_code_signing_config(&csc.arn)
        .await
        .unwrap();
    assert_eq!(
        users,
        vec![format!("arn:aws:lambda:{REGION}:{A}:function:legacy-fn")]
    );
    let legacy = a.get_function("legacy-fn").await.unwrap();
    assert_eq!(legacy.code, None, "known by name only");
    assert!(matches!(
        a.function_signing("legacy-fn").await,
        Err(BackendError::NotFound(_))
    ));
    // Signing still works on the migrated job table.
    signed_artifact(&a, tmp.path(), "mig", "after-migration").await;
}

#[tokio::test]
async fn the_emulated_s3_keeps_versions_as_s3_does() {
    use objects::{NewObject, ObjectError, VersionQuery, Versioning};
    let tmp = tempfile::tempdir().unwrap();
    let a = backend(&store_dir(&tmp), A);
    let b = a.as_account(B, REGION).unwrap();
    let new = |bucket: &str, key: &str| NewObject {
        bucket: bucket.into(),
        key: key.into(),
        content_type: None,
        metadata: Default::default(),
    };
    a.create_bucket("plain").await.unwrap();
    assert_eq!(
        a.create_bucket("plain").await,
        Err(ObjectError::BucketAlreadyOwnedByYou("plain".into()))
    );
    assert_eq!(
        b.create_bucket("plain").await,
        Err(ObjectError::BucketAlreadyExists("plain".into()))
    );
    assert!(matches!(
        a.create_bucket("Bad_Name").await,
        Err(ObjectError::InvalidBucketName(_))
    ));
    assert_eq!(
        a.get_bucket_versioning("plain").await,
        Ok(Versioning::Unversioned)
    );
    // Unversioned: a put replaces the `null` version (and its file).
    let first = a
        .put_object(new("plain", "k"), bytes::Bytes::from_static(b"one"))
        .await
        .unwrap();
    assert_eq!(first.version_id, objects::NULL_VERSION);
    a.put_object(new("plain", "k"), bytes::Bytes::from_static(b"two"))
        .await
        .unwrap();
    let got = a.get_object("plain", "k", None).await.unwrap();
    assert_eq!(std::fs::read(&got.file).unwrap(), b"two");
    let files = std::fs::read_dir(store_dir(&tmp).join("objects").join("plain"))
        .unwrap()
        .count();
    assert_eq!(files, 1, "the replaced version's file is gone");

    // Enabled: every put is a version; a delete is a marker.
    a.create_bucket("versioned").await.unwrap();
    a.put_bucket_versioning("versioned", true).await.unwrap();
    let v1 = a
        .put_object(new("versioned", "k"), bytes::Bytes::from_static(b"v1"))
        .await
        .unwrap();
    let v2 = a
        .put_object(new("versioned", "k"), bytes::Bytes::from_static(b"v2"))
        .await
        .unwrap();
    assert_ne!(v1.version_id, v2.version_id);
    assert_eq!(v1.version_id.len(), 32);
    assert_eq!(
        v1.etag,
        hex::encode(<md5::Md5 as md5::Digest>::digest(b"v1"))
    );
    let deleted = a.delete_object("versioned", "k", None).await.unwrap();
    assert!(deleted.delete_marker);
    let marker = deleted.version_id.clone().unwrap();
    assert!(matches!(
        a.get_object("versioned", "k", None).await,
        Err(ObjectError::NoSuchKey {
            delete_marker: true,
            ..
        })
    ));
    assert!(matches!(
        a.get_object("versioned", "k", Some(&marker)).await,
        Err(ObjectError::DeleteMarker { .. })
    ));
    let old = a
        .get_object("versioned", "k", Some(&v1.version_id))
        .await
        .unwrap();
    assert_eq!(std::fs::read(&old.file).unwrap(), b"v1");
    assert!(matches!(
        a.get_object("versioned", "k", Some("nope")).await,
        Err(ObjectError::NoSuchVersion { .. })
    ));
    let listing = a
        .list_object_versions(
            "versioned",
            VersionQuery {
                max_keys: 2,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(listing.is_truncated);
    assert_eq!(
        listing
            .versions
            .iter()
            .map(|v| (v.version_id.as_str(), v.delete_marker, v.is_latest))
            .collect::<Vec<_>>(),
        [
            (marker.as_str(), true, true),
            (v2.version_id.as_str(), false, false)
        ]
    );
    let rest = a
        .list_object_versions(
            "versioned",
            VersionQuery {
                max_keys: 2,
                key_marker: listing.next_key_marker.clone(),
                version_id_marker: listing.next_version_id_marker.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        rest.versions
            .iter()
            .map(|v| v.version_id.as_str())
            .collect::<Vec<_>>(),
        [v1.version_id.as_str()]
    );
    assert!(!rest.is_truncated);
    // Removing the marker brings the latest version back.
    a.delete_object("versioned", "k", Some(&marker))
        .await
        .unwrap();
    let back = a.get_object("versioned", "k", None).await.unwrap();
    assert_eq!(back.version.version_id, v2.version_id);
    assert!(matches!(
        a.get_object("missing-bucket", "k", None).await,
        Err(ObjectError::NoSuchBucket(_))
    ));
}

#[tokio::test]
async fn signing_jobs_read_and_write_the_emulated_s3() {
    use objects::NewObject;
    let tmp = tempfile::tempdir().unwrap();
    let a = backend(&store_dir(&tmp), A);
    a.put_signing_profile(profile_request("s3_signer"))
        .await
        .unwrap();
    a.create_bucket("src").await.unwrap();
    a.put_bucket_versioning("src", true).await.unwrap();
    a.create_bucket("dst").await.unwrap();
    let zip = tmp.path().join("in.zip");
    make_zip(&zip, b"exports.handler = 1;");
    let source = a
        .put_object(
            NewObject {
                bucket: "src".into(),
                key: "in.zip".into(),
                content_type: None,
                metadata: Default::default(),
            },
            bytes::Bytes::from(std::fs::read(&zip).unwrap()),
        )
        .await
        .unwrap();
    let request = |version: Option<String>, token: &str, bucket: &str| StartSigningJob {
        profile_name: "s3_signer".into(),
        profile_owner: None,
        source: ObjectLocation::S3 {
            bucket: "src".into(),
            key: "in.zip".into(),
            version,
        },
        destination: ObjectLocation::S3 {
            bucket: bucket.into(),
            key: "signed/".into(),
            version: None,
        },
        client_request_token: token.into(),
        staging: None,
        download_to: None,
        timeout: DEFAULT_SIGNING_TIMEOUT,
    };
    let job = a
        .start_signing_job(request(Some(source.version_id.clone()), "t1", "dst"))
        .await
        .unwrap();
    let key = format!("signed/{}.zip", job.job_id);
    assert_eq!(
        job.signed_object,
        ObjectLocation::S3 {
            bucket: "dst".into(),
            key: key.clone(),
            version: None
        }
    );
    let signed = a.get_object("dst", &key, None).await.unwrap();
    assert_eq!(
        hex::encode(digest::sha384_file(&signed.file).unwrap()),
        job.signed_sha384
    );
    // Same token, same request: the same job.
    let again = a
        .start_signing_job(request(Some(source.version_id.clone()), "t1", "dst"))
        .await
        .unwrap();
    assert_eq!(again.job_id, job.job_id);
    let facts = facts_of(&a, &ArtifactRef::SigningJob(job.job_arn.clone()))
        .await
        .unwrap();
    assert_eq!(integrity(&facts), &Integrity::Valid);
    let by_object = facts_of(
        &a,
        &ArtifactRef::S3Object {
            bucket: "dst".into(),
            key: key.clone(),
            version: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(integrity(&by_object), &Integrity::Valid);
    // The signed object deleted: the job's output is missing.
    a.delete_object("dst", &key, None).await.unwrap();
    let facts = facts_of(&a, &ArtifactRef::SigningJob(job.job_arn.clone()))
        .await
        .unwrap();
    assert!(matches!(integrity(&facts), Integrity::Invalid { .. }));
    // An unversioned source is refused; a missing destination bucket fails the job.
    assert!(matches!(
        a.start_signing_job(request(None, "t2", "dst")).await,
        Err(BackendError::InvalidInput(_))
    ));
    assert!(matches!(
        a.start_signing_job(request(Some(source.version_id.clone()), "t3", "nowhere"))
            .await,
        Err(BackendError::JobFailed(_))
    ));
    let failed = a.signing_job_by_token("t3").await.unwrap().expect("job");
    assert_eq!(failed.status, JobStatus::Failed);
    assert!(
        failed.status_reason.contains("nowhere"),
        "{}",
        failed.status_reason
    );
}
