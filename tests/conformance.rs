//! One Backend conformance suite (`common::conformance`), run against:
//! - the local backend (the embedded store, two accounts);
//! - the aws backend (the AWS SDK for Rust) pointed at `serve`, two
//!   accounts selected by their access key ids;
//! - the aws backend on moto, for the subset moto implements (declared).
//!
//! The same assertions hold for each, so the aws backend's calls, `serve`'s
//! wire format and the local backend's semantics agree.

mod common;

use std::sync::Arc;

use aws_sdk_s3::config::Credentials;
use common::conformance::{self, Caps, Signing, Subject};
use common::moto::Moto;
use common::serve::{Serve, REGION};
use lambdasign::backend::aws::{config, AwsBackend, AwsConfig, Endpoints, Poll};
use lambdasign::backend::local::{LocalBackend, LocalConfig};
use lambdasign::backend::Backend;
use lambdasign::domain::arn::Partition;
use lambdasign::domain::identity::Identity;

const A: &str = "111111111111";
const B: &str = "222222222222";

const ALL: &[&str] = &[
    "profiles_put_get_cancel",
    "not_found_shapes",
    "list_operations",
    "canceled_names_are_never_reused",
    "revocation_only_moves_earlier",
    "permissions_follow_revision_ids",
    "signing_is_idempotent_per_token",
    "cross_account_signing_follows_grants",
    "signatures_revoke_once",
    "code_signing_configs_round_trip",
    "deployments_follow_lambdas_checks",
    "layers_are_shared_only_when_granted",
    "tags_add_and_remove",
];

#[tokio::test]
async fn local_backend_conforms() {
    let tmp = tempfile::tempdir().expect("tmp");
    let a = LocalBackend::open(&LocalConfig {
        path: tmp.path().join("store"),
        account_id: A.into(),
        region: REGION.into(),
        key_file: None,
    })
    .expect("open");
    let b = a.as_account(B, REGION).expect("account B");
    let subject = Subject {
        name: "local",
        a: Arc::new(a),
        b: Arc::new(b),
        caps: Caps::ALL,
        signing: Signing::Files,
        dir: tmp.path().to_path_buf(),
    };
    assert_eq!(conformance::run(&subject).await, ALL, "{}", subject.name);
}

/// The aws backend acting as `account` against `endpoint` (static
/// credentials whose access key id is the account, as `serve` reads it).
async fn aws_backend(endpoint: &str, account: &str) -> AwsBackend {
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(REGION))
        .credentials_provider(Credentials::new(account, "secret", None, None, "test"))
        .load()
        .await;
    let settings = AwsConfig {
        region: Some(REGION.into()),
        max_retries: Some(0),
        endpoints: Endpoints::all(endpoint),
        ..AwsConfig::default()
    };
    AwsBackend::new(
        Identity {
            partition: Partition::Aws,
            account_id: account.into(),
            region: REGION.into(),
        },
        config::clients(&sdk, &settings),
    )
    .with_poll(Poll {
        initial: std::time::Duration::from_millis(50),
        max: std::time::Duration::from_millis(200),
    })
}

async fn versioned_bucket(s3: &aws_sdk_s3::Client, name: &str) {
    s3.create_bucket()
        .bucket(name)
        .send()
        .await
        .expect("create bucket");
    s3.put_bucket_versioning()
        .bucket(name)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .expect("enable versioning");
}

#[tokio::test]
async fn aws_backend_on_serve_conforms() {
    let serve = Serve::start();
    let tmp = tempfile::tempdir().expect("tmp");
    let a = aws_backend(&serve.url, A).await;
    let b = aws_backend(&serve.url, B).await;
    // The backend's own configure-time check: sts:GetCallerIdentity.
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(REGION))
        .credentials_provider(Credentials::new(B, "secret", None, None, "test"))
        .endpoint_url(&serve.url)
        .load()
        .await;
    let who = aws_sdk_sts::Client::new(&sdk)
        .get_caller_identity()
        .send()
        .await
        .expect("sts");
    assert_eq!(who.account(), Some(B));
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    versioned_bucket(&s3, "conformance-staging").await;
    versioned_bucket(&s3, "conformance-signed").await;
    let subject = Subject {
        name: "aws on serve",
        a: Arc::new(a),
        b: Arc::new(b),
        caps: Caps::ALL,
        signing: Signing::Staged {
            staging: "conformance-staging".into(),
            destination: "conformance-signed".into(),
        },
        dir: tmp.path().to_path_buf(),
    };
    assert_eq!(conformance::run(&subject).await, ALL, "{}", subject.name);
}

#[tokio::test]
async fn aws_backend_on_moto_conforms_where_moto_implements() {
    let moto = Moto::start();
    moto.reset();
    let tmp = tempfile::tempdir().expect("tmp");
    // moto acts as one account whatever the key; B is a second handle on it.
    let a: Arc<dyn Backend> = Arc::new(aws_backend(&moto.endpoint(), A).await);
    let subject = Subject {
        name: "aws on moto",
        b: Arc::clone(&a),
        a,
        // moto answers a missing profile with a 500 (no NotFound shape), and
        // has no ListSigningProfiles, Signer permissions, revocation, signing
        // jobs or code signing configs, nor refuses canceled names.
        caps: Caps {
            not_found: false,
            lists: false,
            signer_policy: false,
            signing_jobs: false,
            code_signing_configs: false,
            functions: false,
            layers: false,
            tags: true,
        },
        signing: Signing::Files,
        dir: tmp.path().to_path_buf(),
    };
    assert_eq!(
        conformance::run(&subject).await,
        ["profiles_put_get_cancel", "tags_add_and_remove"],
        "{}",
        subject.name
    );
}
