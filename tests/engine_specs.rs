//! The engine's use cases, in process, on the embedded backend: what each
//! resource does on create, read, update, delete, import and list, and what
//! its plan says, without a Terraform run. Fast; the real-terraform tests
//! cover the same behaviours through the plugin.

mod common;

use std::path::Path;
use std::sync::Arc;

use chrono::{Duration, Utc};
use common::fixtures::write_zip;
use lambdasign::backend::local::{LocalBackend, LocalConfig};
use lambdasign::domain::checks::Enforcement;
use lambdasign::domain::facts::ArtifactRef;
use lambdasign::domain::job::ObjectLocation;
use lambdasign::domain::profile::{ProfileStatus, SigningProfile};
use lambdasign::domain::tags::Tags;
use lambdasign::engine::code_signing_config::{self as csc, CscChange, CscSpec};
use lambdasign::engine::signed_artifact::{self as artifact, ArtifactChange, ArtifactSpec, Signed};
use lambdasign::engine::signing_profile::{
    self as profile, Naming, ProfileChange, ProfileSpec, RevocationSpec,
};
use lambdasign::engine::verification::{self, PolicySource, VerificationSpec};
use lambdasign::engine::{
    layer_grant, layer_version, profile_permission, Engine, ErrorKind, Planned, Severity,
};

const A: &str = "111111111111";
const B: &str = "222222222222";

fn engine(dir: &Path, account: &str) -> Engine {
    let backend = LocalBackend::open(&LocalConfig {
        path: dir.join("store"),
        account_id: account.into(),
        region: "us-east-1".into(),
        key_file: None,
    })
    .expect("open store");
    Engine::new(Arc::new(backend))
}

fn fixed(name: &str) -> ProfileSpec {
    ProfileSpec {
        naming: Naming::Fixed(name.into()),
        ..ProfileSpec::default()
    }
}

/// Signs the file `source` into the file `output` with `profile`.
fn file_spec(profile: &str, source: &Path, output: &Path, cscs: &[String]) -> ArtifactSpec {
    ArtifactSpec {
        profile_name: profile.into(),
        profile_owner: None,
        source: ObjectLocation::File(source.to_path_buf()),
        output_file: Some(output.to_path_buf()),
        staging: None,
        destination: None,
        verify_against: cscs.to_vec(),
        timeout: std::time::Duration::from_secs(10),
    }
}

async fn sign(engine: &Engine, dir: &Path, profile: &str, name: &str, cscs: &[String]) -> Signed {
    let source = dir.join(format!("{name}.zip"));
    write_zip(&source, "index.js", name.as_bytes());
    let output = dir.join("out").join(format!("{name}.signed.zip"));
    let spec = file_spec(profile, &source, &output, cscs);
    artifact::create(engine, &spec, &format!("token-{name}"), None)
        .await
        .expect("signed")
        .signed
}

fn csc_spec(publishers: &[&SigningProfile], enforcement: Enforcement) -> CscSpec {
    CscSpec {
        allowed_publishers: publishers.iter().map(|p| p.version_arn.clone()).collect(),
        enforcement,
        description: String::new(),
        tags: Tags::new(),
    }
}

fn errors(report: &lambdasign::engine::Report) -> Vec<String> {
    report
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| format!("{}: {}", f.summary, f.detail))
        .collect()
}

#[tokio::test]
async fn a_profile_is_created_updated_revoked_and_canceled_and_its_name_never_comes_back() {
    let tmp = tempfile::tempdir().expect("tmp");
    let e =
        engine(tmp.path(), A).with_default_tags(Tags::from([("team".into(), "platform".into())]));
    let mut spec = fixed("app_profile");
    spec.tags = Tags::from([("env".into(), "prod".into())]);
    let created = profile::create(&e, &spec).await.expect("created");
    assert_eq!(created.status, ProfileStatus::Active);
    assert_eq!(
        created.tags.get("team").map(String::as_str),
        Some("platform"),
        "default tags apply"
    );

    spec.revocation = Some(RevocationSpec {
        reason: "rotated".into(),
        effective_time: Utc::now() - Duration::hours(1),
    });
    let revoked = profile::update(&e, &created, &spec).await.expect("revoked");
    assert_eq!(revoked.status, ProfileStatus::Revoked);

    profile::delete(&e, "app_profile").await.expect("canceled");
    profile::delete(&e, "app_profile")
        .await
        .expect("already gone is done");
    let again = profile::create(&e, &fixed("app_profile"))
        .await
        .expect_err("names are never reused");
    assert_eq!(again.error.kind, ErrorKind::AlreadyExists);

    // A generated name keeps its prefix, which import gives back.
    let generated = profile::create(&e, &ProfileSpec::default())
        .await
        .expect("generated");
    assert_eq!(
        profile::prefix_of(&generated.name),
        Some(profile::DEFAULT_PREFIX)
    );
    assert_eq!(
        profile::import(&e, &generated.name)
            .await
            .expect("import")
            .name,
        generated.name
    );
    assert!(profile::list(&e)
        .await
        .expect("list")
        .iter()
        .all(|p| p.status != ProfileStatus::Canceled));
}

#[tokio::test]
async fn a_profile_plan_refuses_what_apply_would_refuse() {
    let tmp = tempfile::tempdir().expect("tmp");
    let e = engine(tmp.path(), A);
    let created = profile::create(&e, &fixed("used_name"))
        .await
        .expect("created");
    profile::delete(&e, "used_name").await.expect("canceled");

    let creating = ProfileChange {
        prior: None,
        prior_revocation: None,
        fixed_name: Some(Planned::Known("used_name".into())),
        platform_id: Planned::Known("AWSLambda-SHA384-ECDSA".into()),
        certificate_arn: None,
        replacing: vec![],
        revocation: Planned::Known(None),
    };
    let plan = profile::plan(&e, &creating).await;
    assert!(
        errors(&plan.report)
            .iter()
            .any(|m| m.contains("Profile name already used")),
        "{:?}",
        plan.report
    );

    // Another platform than Lambda's is not emulated locally.
    let notation = ProfileChange {
        fixed_name: Some(Planned::Known("fresh_name".into())),
        platform_id: Planned::Known("Notation-OCI-SHA384-ECDSA".into()),
        ..creating.clone()
    };
    let plan = profile::plan(&e, &notation).await;
    assert!(
        errors(&plan.report)
            .iter()
            .any(|m| m.contains("only AWSLambda-SHA384-ECDSA is emulated")),
        "{:?}",
        plan.report
    );

    // Revocation never moves later or goes away.
    let recorded = ProfileChange {
        prior: Some(&created),
        prior_revocation: None,
        fixed_name: None,
        platform_id: Planned::Known("AWSLambda-SHA384-ECDSA".into()),
        certificate_arn: None,
        replacing: vec![],
        revocation: Planned::Known(None),
    };
    let mut revoked = created.clone();
    revoked.revocation = Some(lambdasign::domain::profile::ProfileRevocation {
        reason: "r".into(),
        effective_time: Utc::now() - Duration::days(2),
        revoked_at: Utc::now() - Duration::days(2),
        revoked_by: None,
    });
    let removing = ProfileChange {
        prior: Some(&revoked),
        ..recorded.clone()
    };
    assert!(errors(&profile::plan(&e, &removing).await.report)
        .iter()
        .any(|m| m.contains("irreversible")));
    let later = ProfileChange {
        prior: Some(&revoked),
        revocation: Planned::Known(Some(RevocationSpec {
            reason: "r".into(),
            effective_time: Utc::now() - Duration::days(1),
        })),
        ..recorded
    };
    assert!(errors(&profile::plan(&e, &later).await.report)
        .iter()
        .any(|m| m.contains("only move earlier")));
}

/// Terraform replaces an artifact by destroying it, then creating it with a
/// null prior: the create does not know the job it replaces. Re-signing the
/// same content into the same output that way, many times and within one
/// second (one provider process per apply), makes a new job each time,
/// never the one just destroyed.
#[tokio::test]
async fn the_same_content_re_signed_again_and_again_gets_a_new_job_each_time() {
    let tmp = tempfile::tempdir().expect("tmp");
    let e = engine(tmp.path(), A);
    profile::create(&e, &fixed("again")).await.expect("profile");
    let source = tmp.path().join("same.zip");
    write_zip(&source, "index.js", b"same");
    let spec = file_spec("again", &source, &tmp.path().join("same.signed.zip"), &[]);
    let digest = artifact::source_digest(&source).await.expect("digest");
    let mut jobs: Vec<String> = Vec::new();
    let mut current: Option<Signed> = None;
    for _ in 0..6 {
        // Each apply is a new provider process: it destroys, then creates.
        let e = engine(tmp.path(), A);
        if let Some(old) = current.take() {
            artifact::delete(&e, &old, spec.output_file.as_deref(), false)
                .await
                .expect("destroyed");
        }
        let token = artifact::signing_token(&spec, &digest, None);
        let signed = artifact::create(&e, &spec, &token, None)
            .await
            .expect("re-signed")
            .signed;
        assert!(
            !jobs.contains(&signed.job.job_id),
            "job {} again",
            signed.job.job_id
        );
        jobs.push(signed.job.job_id.clone());
        current = Some(signed);
    }
}

/// With `create_before_destroy`, Terraform creates the replacement first;
/// for unchanged content its create keeps the job it cannot know it
/// replaces. The destroy of the old instance, in the same process, then
/// leaves that job's signature and output to the replacement.
#[tokio::test]
async fn a_job_kept_by_a_replacement_survives_the_destroy_of_the_old_instance() {
    let tmp = tempfile::tempdir().expect("tmp");
    let e = engine(tmp.path(), A);
    profile::create(&e, &fixed("cbd")).await.expect("profile");
    let old = sign(&e, tmp.path(), "cbd", "cbd", &[]).await;
    let output = signed_output(&old).expect("output");

    let later = engine(tmp.path(), A);
    let spec = file_spec("cbd", &tmp.path().join("cbd.zip"), &output, &[]);
    let kept = artifact::create(&later, &spec, "token-cbd", None)
        .await
        .expect("replacement")
        .signed;
    assert_eq!(kept.job.job_id, old.job.job_id);
    let warnings = artifact::delete(&later, &old, Some(&output), true)
        .await
        .expect("old instance destroyed");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(output.exists(), "the replacement's output was removed");
    let job = artifact::read(&later, &old.job.job_id, Some(&output))
        .await
        .expect("read")
        .expect("job");
    assert!(
        job.job.revocation.is_none(),
        "the replacement's job was revoked"
    );
    assert_eq!(job.output_sha384, job.job.signed_sha384);

    // In another process, a destroy is a destroy.
    artifact::delete(&engine(tmp.path(), A), &old, Some(&output), true)
        .await
        .expect("destroyed");
    assert!(!output.exists());
}

/// Two signed artifacts writing one output file would sign over each other
/// at every apply: the second one planned is an error at `output_file`. One
/// artifact planned twice in a process (a replacement's two steps, a new
/// artifact planned again) is one.
#[tokio::test]
async fn two_artifacts_with_one_output_file_are_an_error_at_plan() {
    let tmp = tempfile::tempdir().expect("tmp");
    let e = engine(tmp.path(), A);
    profile::create(&e, &fixed("shared_out"))
        .await
        .expect("profile");
    let signed = sign(&e, tmp.path(), "shared_out", "kept", &[]).await;
    let source = tmp.path().join("new.zip");
    write_zip(&source, "index.js", b"new");
    let output = signed_output(&signed);
    let output_errors = |plan: &artifact::ArtifactPlan| -> Vec<String> {
        plan.report
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .filter(|f| {
                f.field
                    .as_ref()
                    .is_some_and(|p| p.to_string() == "output_file")
            })
            .map(|f| f.detail.clone())
            .collect()
    };

    // The existing artifact, planned twice (refresh-and-plan, then again).
    let kept = ArtifactChange {
        prior: Some(&signed),
        prior_source_sha384: None,
        source_file: Planned::Known(None),
        profile_name: Planned::Known("shared_out".into()),
        profile_owner: Planned::Known(None),
        verify_against: Planned::Known(vec![]),
        renew_before: None,
        prior_output_file: output.clone(),
        output_file: Planned::Known(output.clone()),
        replacing: vec![],
        replaces: None,
    };
    for _ in 0..2 {
        let plan = artifact::plan(&e, &kept).await;
        assert!(output_errors(&plan).is_empty(), "{:?}", plan.report);
    }
    // Its replacement's create step: the same artifact.
    let replacement = ArtifactChange {
        prior: None,
        source_file: Planned::Known(Some(source.clone())),
        replaces: Some(signed.job.job_id.clone()),
        ..kept.clone()
    };
    let plan = artifact::plan(&e, &replacement).await;
    assert!(output_errors(&plan).is_empty(), "{:?}", plan.report);

    // A new artifact writing the same file, spelled otherwise.
    let spelled = output.as_ref().map(|p| {
        p.parent()
            .expect("dir")
            .join(".")
            .join(p.file_name().expect("name"))
    });
    let other = ArtifactChange {
        prior: None,
        prior_output_file: None,
        output_file: Planned::Known(spelled),
        replaces: None,
        ..replacement.clone()
    };
    let plan = artifact::plan(&e, &other).await;
    let errors = output_errors(&plan);
    assert!(
        errors.len() == 1 && errors[0].contains(&signed.job.job_id),
        "{:?}",
        plan.report
    );

    // A new artifact planned twice in a process is one; a second new
    // artifact (another source) writing the same file is two.
    let fresh = ArtifactChange {
        output_file: Planned::Known(Some(tmp.path().join("fresh.zip"))),
        ..other.clone()
    };
    for _ in 0..2 {
        assert!(output_errors(&artifact::plan(&e, &fresh).await).is_empty());
    }
    let other_source = tmp.path().join("other.zip");
    write_zip(&other_source, "index.js", b"other");
    let second = ArtifactChange {
        source_file: Planned::Known(Some(other_source)),
        ..fresh.clone()
    };
    let plan = artifact::plan(&e, &second).await;
    assert_eq!(output_errors(&plan).len(), 1, "{:?}", plan.report);
}

/// A config made in the same run has an ARN known only at apply: the plan
/// says the checks run then, rather than nothing.
#[tokio::test]
async fn checks_against_configs_known_only_at_apply_are_announced_at_plan() {
    let tmp = tempfile::tempdir().expect("tmp");
    let e = engine(tmp.path(), A);
    profile::create(&e, &fixed("announced"))
        .await
        .expect("profile");
    let source = tmp.path().join("a.zip");
    write_zip(&source, "index.js", b"a");
    let change = ArtifactChange {
        prior: None,
        prior_source_sha384: None,
        source_file: Planned::Known(Some(source)),
        profile_name: Planned::Known("announced".into()),
        profile_owner: Planned::Known(None),
        verify_against: Planned::Unknown,
        renew_before: None,
        prior_output_file: None,
        output_file: Planned::Known(Some(tmp.path().join("a.signed.zip"))),
        replacing: vec![],
        replaces: None,
    };
    let plan = artifact::plan(&e, &change).await;
    assert!(errors(&plan.report).is_empty(), "{:?}", plan.report);
    assert!(
        plan.report.iter().any(|f| f.severity == Severity::Warning
            && f.summary
                .contains("checks against `verify_against` run at apply")),
        "{:?}",
        plan.report
    );
}

/// A store that keeps its keys sealed, opened without its key, can verify
/// but not sign: a plan that signs or makes a profile says so, so apply
/// never destroys the old signature first and then fails.
#[tokio::test]
async fn a_sealed_store_opened_without_its_key_fails_the_plan_of_a_signing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let key = tmp.path().join("store.key");
    std::fs::write(&key, "ab".repeat(32)).expect("key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    let open = |key_file: Option<&Path>| {
        let backend = LocalBackend::open(&LocalConfig {
            path: tmp.path().join("store"),
            account_id: A.into(),
            region: "us-east-1".into(),
            key_file: key_file.map(Path::to_path_buf),
        })
        .expect("open store");
        Engine::new(Arc::new(backend))
    };
    let keyed = open(Some(&key));
    profile::create(&keyed, &fixed("sealed_one"))
        .await
        .expect("profile");
    let signed = sign(&keyed, tmp.path(), "sealed_one", "first", &[]).await;
    drop(keyed);

    let keyless = open(None);
    let source = tmp.path().join("second.zip");
    write_zip(&source, "index.js", b"second");
    let resign = ArtifactChange {
        prior: Some(&signed),
        prior_source_sha384: Some("0".repeat(96)),
        source_file: Planned::Known(Some(source)),
        profile_name: Planned::Known("sealed_one".into()),
        profile_owner: Planned::Known(None),
        verify_against: Planned::Known(vec![]),
        renew_before: None,
        prior_output_file: signed_output(&signed),
        output_file: Planned::Known(signed_output(&signed)),
        replacing: vec![],
        replaces: None,
    };
    let plan = artifact::plan(&keyless, &resign).await;
    assert!(plan.signs(&resign), "{plan:?}");
    assert!(
        errors(&plan.report)
            .iter()
            .any(|m| m.contains("opened without its key")),
        "{:?}",
        plan.report
    );
    let creating = ProfileChange {
        prior: None,
        prior_revocation: None,
        fixed_name: None,
        platform_id: Planned::Known("AWSLambda-SHA384-ECDSA".into()),
        certificate_arn: None,
        replacing: vec![],
        revocation: Planned::Known(None),
    };
    let plan = profile::plan(&keyless, &creating).await;
    assert!(
        errors(&plan.report)
            .iter()
            .any(|m| m.contains("opened without its key")),
        "{:?}",
        plan.report
    );
    // Verifying needs no key: a plan that keeps the signature is clean.
    let kept = ArtifactChange {
        source_file: Planned::Known(None),
        prior_source_sha384: None,
        ..resign
    };
    let plan = artifact::plan(&keyless, &kept).await;
    assert!(
        !plan.signs(&kept) && errors(&plan.report).is_empty(),
        "{plan:?}"
    );
}

#[tokio::test]
async fn a_planned_revocation_is_seen_by_the_checks_planned_after_it_with_its_blast_radius() {
    let tmp = tempfile::tempdir().expect("tmp");
    let e = engine(tmp.path(), A);
    let p = profile::create(&e, &fixed("signer_one"))
        .await
        .expect("profile");
    let config = csc::create(&e, &csc_spec(&[&p], Enforcement::Enforce))
        .await
        .expect("csc");
    let signed = sign(
        &e,
        tmp.path(),
        "signer_one",
        "fn",
        std::slice::from_ref(&config.arn),
    )
    .await;

    let change = ProfileChange {
        prior: Some(&p),
        prior_revocation: None,
        fixed_name: Some(Planned::Known("signer_one".into())),
        platform_id: Planned::Known("AWSLambda-SHA384-ECDSA".into()),
        certificate_arn: None,
        replacing: vec![],
        revocation: Planned::Known(Some(RevocationSpec {
            reason: "compromised".into(),
            effective_time: Utc::now() - Duration::days(1),
        })),
    };
    let plan = profile::plan(&e, &change).await;
    assert_eq!(plan.status, Some(ProfileStatus::Revoked));
    assert!(
        plan.report
            .iter()
            .any(|f| f.summary.contains("invalidates 1 signature")),
        "{:?}",
        plan.report
    );

    // The artifact, planned after the profile in the same run, is now blocked.
    let kept = ArtifactChange {
        prior: Some(&signed),
        prior_source_sha384: None,
        source_file: Planned::Known(None),
        profile_name: Planned::Known("signer_one".into()),
        profile_owner: Planned::Known(None),
        verify_against: Planned::Known(vec![config.arn.clone()]),
        renew_before: None,
        prior_output_file: signed_output(&signed),
        output_file: Planned::Known(signed_output(&signed)),
        replacing: vec![],
        replaces: None,
    };
    let plan = artifact::plan(&e, &kept).await;
    assert!(
        errors(&plan.report)
            .iter()
            .any(|m| m.contains("revocation check failed")),
        "{:?}",
        plan.report
    );
    assert!(
        plan.resign.is_empty(),
        "a new signature does not fix a revoked profile"
    );
}

fn signed_output(signed: &Signed) -> Option<std::path::PathBuf> {
    match &signed.job.signed_object {
        ObjectLocation::File(path) => Some(path.clone()),
        ObjectLocation::S3 { .. } => None,
    }
}

#[tokio::test]
async fn a_planned_policy_is_what_later_checks_see() {
    let tmp = tempfile::tempdir().expect("tmp");
    let e = engine(tmp.path(), A);
    let trusted = profile::create(&e, &fixed("trusted"))
        .await
        .expect("profile");
    let other = profile::create(&e, &fixed("other")).await.expect("profile");
    let config = csc::create(&e, &csc_spec(&[&trusted], Enforcement::Warn))
        .await
        .expect("csc");
    sign(
        &e,
        tmp.path(),
        "other",
        "fn",
        std::slice::from_ref(&config.arn),
    )
    .await;

    let spec = VerificationSpec {
        policy: Planned::Known(PolicySource::CodeSigningConfig(config.arn.clone())),
        artifacts: vec![verification::ArtifactSpec {
            name: "function".into(),
            source: Planned::Known(ArtifactRef::SignedFile(
                tmp.path().join("out/fn.signed.zip"),
            )),
        }],
        at: None,
    };
    let before = verification::verify(&e, &spec, verification::When::Plan).await;
    assert_eq!(
        before.allowed,
        Some(true),
        "Warn deploys: {:?}",
        before.report
    );

    let flip = CscChange {
        prior: Some(&config),
        allowed_publishers: Planned::Known(config.allowed_publishers.clone()),
        known_publishers: config.allowed_publishers.clone(),
        enforcement: Planned::Known(Enforcement::Enforce),
    };
    csc::plan(&e, &flip).await;
    let after = verification::verify(&e, &spec, verification::When::Plan).await;
    assert_eq!(
        after.allowed,
        Some(false),
        "the planned Enforce blocks: {:?}",
        after.report
    );
    assert_eq!(
        csc::read(&e, &config.arn)
            .await
            .expect("read")
            .map(|c| c.enforcement),
        Some(Enforcement::Warn),
        "planning changed nothing stored"
    );

    let unknown = CscChange {
        prior: Some(&config),
        allowed_publishers: Planned::Unknown,
        known_publishers: Vec::new(),
        enforcement: Planned::Known(Enforcement::Enforce),
    };
    csc::plan(&e, &unknown).await;
    let pending = verification::verify(&e, &spec, verification::When::Plan).await;
    assert_eq!(pending.allowed, None, "unknown until apply, never guessed");
    assert_ne!(other.version_arn, trusted.version_arn);
}

#[tokio::test]
async fn permissions_and_grants_each_keep_their_own_statement() {
    let tmp = tempfile::tempdir().expect("tmp");
    let e = Arc::new(engine(tmp.path(), A));
    profile::create(&e, &fixed("shared_profile"))
        .await
        .expect("profile");
    let mut tasks = Vec::new();
    for i in 0..10 {
        let e = Arc::clone(&e);
        tasks.push(tokio::spawn(async move {
            profile_permission::create(
                &e,
                &profile_permission::PermissionSpec {
                    profile_name: "shared_profile".into(),
                    action: "signer:StartSigningJob".into(),
                    principal: format!("22222222222{i}"),
                    statement_id: Some(format!("s{i}")),
                    statement_id_prefix: None,
                    profile_version: None,
                },
            )
            .await
        }));
    }
    for task in tasks {
        task.await.expect("task").expect("permission");
    }
    assert_eq!(profile_permission::list(&e).await.expect("list").len(), 10);
    let one = profile_permission::import(&e, "shared_profile/s3")
        .await
        .expect("import");
    assert_eq!(one.statement.principal, "222222222223");
    profile_permission::delete(&e, "shared_profile", "s3")
        .await
        .expect("delete");
    profile_permission::delete(&e, "shared_profile", "s3")
        .await
        .expect("gone is done");
    assert!(profile_permission::read(&e, "shared_profile", "s3")
        .await
        .expect("read")
        .is_none());
    let bad = profile_permission::import(&e, "no-slash")
        .await
        .expect_err("bad id");
    assert_eq!(bad.kind, ErrorKind::InvalidInput);

    // A layer version, verified before publishing, shared with a second account.
    let p = profile::create(&e, &fixed("layer_signer"))
        .await
        .expect("profile");
    let signed = sign(&e, tmp.path(), "layer_signer", "lib", &[]).await;
    let layer = layer_version::create(
        &e,
        &layer_version::LayerSpec {
            layer_name: "lib".into(),
            content: ObjectLocation::File(signed_output(&signed).expect("file")),
            compatible_runtimes: vec!["python3.12".into()],
            compatible_architectures: vec![],
            description: String::new(),
            license_info: Some("MIT".into()),
            verify_against: vec![],
        },
    )
    .await
    .expect("layer");
    assert_eq!(
        layer.signing_profile_version_arn.as_deref(),
        Some(p.version_arn.as_str())
    );
    for (sid, principal) in [("b", B), ("everyone", "*")] {
        layer_grant::create(
            &e,
            &layer_grant::GrantSpec {
                layer: layer.layer_arn.clone(),
                version: layer.version,
                principal: principal.into(),
                organization_id: None,
                statement_id: sid.into(),
            },
        )
        .await
        .expect("grant");
    }
    let (_, _, statement) = layer_grant::import(&e, "lib,1,b").await.expect("import");
    assert_eq!(statement.principal, B);
    let consumer = engine(tmp.path(), B);
    assert!(layer_version::read(&consumer, &layer.layer_version_arn)
        .await
        .expect("read")
        .is_some());
    let org =
        layer_grant::check_organization(Some(B), Some("o-a1b2c3d4e5")).expect_err("org needs *");
    assert_eq!(org.kind, ErrorKind::InvalidInput);
}

#[tokio::test]
async fn a_layer_that_fails_its_checks_is_never_published() {
    let tmp = tempfile::tempdir().expect("tmp");
    let e = engine(tmp.path(), A);
    let trusted = profile::create(&e, &fixed("trusted"))
        .await
        .expect("profile");
    profile::create(&e, &fixed("other")).await.expect("profile");
    let strict = csc::create(&e, &csc_spec(&[&trusted], Enforcement::Enforce))
        .await
        .expect("csc");
    let signed = sign(&e, tmp.path(), "other", "lib", &[]).await;
    let spec = layer_version::LayerSpec {
        layer_name: "strict-lib".into(),
        content: ObjectLocation::File(signed_output(&signed).expect("file")),
        compatible_runtimes: vec![],
        compatible_architectures: vec![],
        description: String::new(),
        license_info: None,
        verify_against: vec![strict.arn.clone()],
    };
    let refused = layer_version::create(&e, &spec)
        .await
        .expect_err("rejected");
    assert_eq!(refused.error.kind, ErrorKind::Rejected);
    assert!(refused.made.is_none(), "nothing published");
    assert!(layer_version::list(&e, "strict-lib")
        .await
        .expect("list")
        .is_empty());
}

#[tokio::test]
async fn a_code_signing_config_in_use_is_not_deleted_and_names_its_users() {
    let tmp = tempfile::tempdir().expect("tmp");
    let backend = Arc::new(
        LocalBackend::open(&LocalConfig {
            path: tmp.path().join("store"),
            account_id: A.into(),
            region: "us-east-1".into(),
            key_file: None,
        })
        .expect("store"),
    );
    let e = Engine::new(backend.clone());
    let p = profile::create(&e, &fixed("p1")).await.expect("profile");
    let config = csc::create(&e, &csc_spec(&[&p], Enforcement::Warn))
        .await
        .expect("csc");
    backend
        .bind_function("checkout", &config.arn)
        .expect("bind");
    let in_use = csc::delete(&e, &config.arn).await.expect_err("in use");
    assert_eq!(in_use.kind, ErrorKind::InUse);
    assert!(in_use.message.contains("checkout"), "{}", in_use.message);
    backend.unbind_function("checkout").expect("unbind");
    csc::delete(&e, &config.arn).await.expect("deleted");
    csc::delete(&e, &config.arn).await.expect("gone is done");
    assert!(csc::read(&e, &config.arn).await.expect("read").is_none());
}

/// A consumer's read of a layer granted in the same apply by another
/// provider configuration (another process) waits for the grant, bounded;
/// without a grant the error names the grant it waited for.
#[tokio::test]
async fn a_foreign_layer_read_waits_for_a_grant_that_lands_during_the_read() {
    let tmp = tempfile::tempdir().expect("tmp");
    let e = engine(tmp.path(), A);
    profile::create(&e, &fixed("granted_signer"))
        .await
        .expect("profile");
    let signed = sign(&e, tmp.path(), "granted_signer", "glib", &[]).await;
    let layer = layer_version::create(
        &e,
        &layer_version::LayerSpec {
            layer_name: "glib".into(),
            content: ObjectLocation::File(signed_output(&signed).expect("file")),
            compatible_runtimes: vec![],
            compatible_architectures: vec![],
            description: String::new(),
            license_info: None,
            verify_against: vec![],
        },
    )
    .await
    .expect("layer");
    let consumer = engine(tmp.path(), B);
    let artifact = ArtifactRef::LayerVersion(layer.layer_version_arn.clone());
    let grant = layer_grant::GrantSpec {
        layer: layer.layer_arn.clone(),
        version: layer.version,
        principal: B.into(),
        organization_id: None,
        statement_id: "late".into(),
    };
    let publisher = Arc::new(e);
    let granting = {
        let publisher = Arc::clone(&publisher);
        let grant = grant.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(700)).await;
            layer_grant::create(&publisher, &grant)
                .await
                .expect("grant");
        })
    };
    let facts = verification::facts_once_granted(&consumer, &artifact)
        .await
        .expect("read once granted");
    assert!(facts.signature.is_some());
    granting.await.expect("granted");
    let immediate = std::time::Instant::now();
    verification::facts(&engine(tmp.path(), "444444444444"), &artifact)
        .await
        .expect_err("a deploy check does not wait");
    assert!(immediate.elapsed() < std::time::Duration::from_secs(1));

    let ungranted = engine(tmp.path(), "333333333333");
    let started = std::time::Instant::now();
    let error = verification::facts_once_granted(&ungranted, &artifact)
        .await
        .expect_err("never granted");
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(5),
        "it waited"
    );
    assert!(
        error.message.contains("waited") && error.message.contains("lambdasign_layer_grant"),
        "{error:?}"
    );
}
