//! Every handler's IAM permissions, against what it does: the handlers run
//! over a backend that records each call, each call stands for the AWS API
//! actions the aws backend makes for it, and those must all be listed in
//! the schema's `permissions` for that handler (a missing one is an
//! AccessDenied in production). The table below is read off
//! `src/backend/aws/`: update it with the backend.
//!
//! Paths the local backend cannot take (S3 sources and layer content) run
//! up to the call that refuses; `aws_tests` covers their aws side.

#![cfg(test)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde_json::{json, Value};

use super::hook;
use super::protocol::{Action, HookRequest, OperationStatus, ProgressEvent};
use super::resource::{dispatch, Call, ResourceType};
use super::types;
use crate::backend::local::{LocalBackend, LocalConfig};
use crate::backend::*;
use crate::domain::csc::CodeSigningConfig;
use crate::domain::facts::{ArtifactRef, Evidence};
use crate::domain::function::Function;
use crate::domain::identity::Identity;
use crate::domain::job::{ObjectLocation, SigningJob};
use crate::domain::layer::{LayerPolicy, LayerVersion};
use crate::domain::permission::ProfilePermissions;
use crate::domain::profile::SigningProfile;
use crate::domain::tags::Tags;
use crate::engine::Engine;

/// The AWS API actions the aws backend makes for one backend call.
fn iam(call: &str) -> &'static [&'static str] {
    match call {
        "put_signing_profile" => &[
            "signer:PutSigningProfile",
            "signer:TagResource",
            "signer:GetSigningProfile",
        ],
        "get_signing_profile" => &["signer:GetSigningProfile"],
        "list_signing_profiles" => &["signer:ListSigningProfiles", "signer:GetSigningProfile"],
        "set_signing_profile_tags" => &[
            "signer:GetSigningProfile",
            "signer:TagResource",
            "signer:UntagResource",
        ],
        "cancel_signing_profile" => &["signer:CancelSigningProfile"],
        "revoke_signing_profile" => &["signer:RevokeSigningProfile", "signer:GetSigningProfile"],
        "add_profile_permission" => &["signer:AddProfilePermission"],
        // No policy yet: the profile is looked up to tell "none" from "gone".
        "list_profile_permissions" => {
            &["signer:ListProfilePermissions", "signer:GetSigningProfile"]
        }
        "remove_profile_permission" => &["signer:RemoveProfilePermission"],
        // HeadObject for an unversioned source, then the job, then the
        // signed object's digest; Signer reads and writes S3 as the caller.
        "start_signing_job" => &[
            "signer:StartSigningJob",
            "signer:DescribeSigningJob",
            "s3:GetObject",
            "s3:GetObjectVersion",
            "s3:PutObject",
        ],
        "describe_signing_job" => &["signer:DescribeSigningJob", "s3:GetObject"],
        "list_signing_jobs" => &["signer:ListSigningJobs", "signer:DescribeSigningJob"],
        "revoke_signature" => &["signer:RevokeSignature"],
        "create_code_signing_config" => &["lambda:CreateCodeSigningConfig", "lambda:TagResource"],
        "get_code_signing_config" => &["lambda:GetCodeSigningConfig", "lambda:ListTags"],
        "list_code_signing_configs" => &["lambda:ListCodeSigningConfigs", "lambda:ListTags"],
        "update_code_signing_config" => &[
            "lambda:UpdateCodeSigningConfig",
            "lambda:ListTags",
            "lambda:TagResource",
            "lambda:UntagResource",
        ],
        "delete_code_signing_config" => &[
            "lambda:ListFunctionsByCodeSigningConfig",
            "lambda:DeleteCodeSigningConfig",
        ],
        "list_functions_by_code_signing_config" => &["lambda:ListFunctionsByCodeSigningConfig"],
        "function_signing" | "get_function" => &["lambda:GetFunction"],
        "create_function" => &["lambda:CreateFunction"],
        "update_function_code" => &["lambda:UpdateFunctionCode"],
        "update_function_configuration" => &["lambda:UpdateFunctionConfiguration"],
        "delete_function" => &["lambda:DeleteFunction"],
        "put_function_code_signing_config" => &["lambda:PutFunctionCodeSigningConfig"],
        "delete_function_code_signing_config" => &["lambda:DeleteFunctionCodeSigningConfig"],
        "list_tags" => &["lambda:ListTags"],
        "tag_resource" => &["lambda:TagResource"],
        "untag_resource" => &["lambda:UntagResource"],
        "publish_layer_version" => &[
            "lambda:PublishLayerVersion",
            "s3:GetObject",
            "s3:GetObjectVersion",
        ],
        // GetLayerVersionByArn is authorized as lambda:GetLayerVersion.
        "get_layer_version" => &["lambda:GetLayerVersion"],
        "list_layer_versions" => &["lambda:ListLayerVersions", "lambda:GetLayerVersion"],
        "delete_layer_version" => &["lambda:DeleteLayerVersion"],
        "add_layer_permission" => &["lambda:AddLayerVersionPermission"],
        "get_layer_policy" => &["lambda:GetLayerVersionPolicy"],
        "remove_layer_permission" => &["lambda:RemoveLayerVersionPermission"],
        "signature_evidence:job" => &[
            "signer:DescribeSigningJob",
            "s3:GetObject",
            "signer:GetSigningProfile",
        ],
        "signature_evidence:object" => &[
            "s3:GetObject",
            "s3:GetObjectVersion",
            "signer:DescribeSigningJob",
            "signer:GetSigningProfile",
        ],
        "signature_evidence:layer" => &[
            "lambda:GetLayerVersion",
            "signer:DescribeSigningJob",
            "signer:GetSigningProfile",
        ],
        other => panic!("no IAM actions known for backend call {other}"),
    }
}

/// A backend that records each call, then does it on the local backend.
struct Recording {
    inner: LocalBackend,
    calls: Mutex<Vec<&'static str>>,
}

impl Recording {
    fn note(&self, call: &'static str) {
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(call);
        }
    }

    /// The AWS actions of the calls since the last take.
    fn take(&self) -> BTreeSet<&'static str> {
        let calls = std::mem::take(&mut *self.calls.lock().unwrap());
        calls.iter().flat_map(|c| iam(c).iter().copied()).collect()
    }
}

#[async_trait]
impl Backend for Recording {
    fn identity(&self) -> &Identity {
        self.inner.identity()
    }
    fn kind(&self) -> Kind {
        Kind::Aws
    }
    async fn put_signing_profile(&self, r: PutSigningProfile) -> BackendResult<SigningProfile> {
        self.note("put_signing_profile");
        self.inner.put_signing_profile(r).await
    }
    async fn get_signing_profile(
        &self,
        name: &str,
        owner: Option<&str>,
    ) -> BackendResult<SigningProfile> {
        self.note("get_signing_profile");
        self.inner.get_signing_profile(name, owner).await
    }
    async fn list_signing_profiles(&self) -> BackendResult<Vec<SigningProfile>> {
        self.note("list_signing_profiles");
        self.inner.list_signing_profiles().await
    }
    async fn set_signing_profile_tags(
        &self,
        name: &str,
        tags: Tags,
    ) -> BackendResult<SigningProfile> {
        self.note("set_signing_profile_tags");
        self.inner.set_signing_profile_tags(name, tags).await
    }
    async fn cancel_signing_profile(&self, name: &str) -> BackendResult<()> {
        self.note("cancel_signing_profile");
        self.inner.cancel_signing_profile(name).await
    }
    async fn revoke_signing_profile(
        &self,
        r: RevokeSigningProfile,
    ) -> BackendResult<SigningProfile> {
        self.note("revoke_signing_profile");
        self.inner.revoke_signing_profile(r).await
    }
    async fn add_profile_permission(&self, r: AddProfilePermission) -> BackendResult<String> {
        self.note("add_profile_permission");
        self.inner.add_profile_permission(r).await
    }
    async fn list_profile_permissions(&self, name: &str) -> BackendResult<ProfilePermissions> {
        self.note("list_profile_permissions");
        self.inner.list_profile_permissions(name).await
    }
    async fn remove_profile_permission(
        &self,
        name: &str,
        id: &str,
        revision: &str,
    ) -> BackendResult<String> {
        self.note("remove_profile_permission");
        self.inner
            .remove_profile_permission(name, id, revision)
            .await
    }
    async fn start_signing_job(&self, r: StartSigningJob) -> BackendResult<SigningJob> {
        self.note("start_signing_job");
        self.inner.start_signing_job(r).await
    }
    async fn describe_signing_job(&self, id: &str) -> BackendResult<SigningJob> {
        self.note("describe_signing_job");
        self.inner.describe_signing_job(id).await
    }
    async fn list_signing_jobs(&self, filter: JobFilter) -> BackendResult<Vec<SigningJob>> {
        self.note("list_signing_jobs");
        self.inner.list_signing_jobs(filter).await
    }
    async fn revoke_signature(&self, id: &str, reason: &str) -> BackendResult<()> {
        self.note("revoke_signature");
        self.inner.revoke_signature(id, reason).await
    }
    async fn create_code_signing_config(
        &self,
        r: CodeSigningConfigInput,
    ) -> BackendResult<CodeSigningConfig> {
        self.note("create_code_signing_config");
        self.inner.create_code_signing_config(r).await
    }
    async fn get_code_signing_config(&self, arn: &str) -> BackendResult<CodeSigningConfig> {
        self.note("get_code_signing_config");
        self.inner.get_code_signing_config(arn).await
    }
    async fn list_code_signing_configs(&self) -> BackendResult<Vec<CodeSigningConfig>> {
        self.note("list_code_signing_configs");
        self.inner.list_code_signing_configs().await
    }
    async fn update_code_signing_config(
        &self,
        arn: &str,
        r: CodeSigningConfigInput,
    ) -> BackendResult<CodeSigningConfig> {
        self.note("update_code_signing_config");
        self.inner.update_code_signing_config(arn, r).await
    }
    async fn delete_code_signing_config(&self, arn: &str) -> BackendResult<()> {
        self.note("delete_code_signing_config");
        self.inner.delete_code_signing_config(arn).await
    }
    async fn list_functions_by_code_signing_config(&self, arn: &str) -> BackendResult<Vec<String>> {
        self.note("list_functions_by_code_signing_config");
        self.inner.list_functions_by_code_signing_config(arn).await
    }
    async fn function_signing(&self, function: &str) -> BackendResult<FunctionSigning> {
        self.note("function_signing");
        self.inner.function_signing(function).await
    }
    async fn publish_layer_version(&self, r: PublishLayerVersion) -> BackendResult<LayerVersion> {
        self.note("publish_layer_version");
        self.inner.publish_layer_version(r).await
    }
    async fn get_layer_version(&self, arn: &str) -> BackendResult<LayerVersion> {
        self.note("get_layer_version");
        self.inner.get_layer_version(arn).await
    }
    async fn list_layer_versions(&self, name: &str) -> BackendResult<Vec<LayerVersion>> {
        self.note("list_layer_versions");
        self.inner.list_layer_versions(name).await
    }
    async fn delete_layer_version(&self, name: &str, version: i64) -> BackendResult<()> {
        self.note("delete_layer_version");
        self.inner.delete_layer_version(name, version).await
    }
    async fn add_layer_permission(&self, r: AddLayerPermission) -> BackendResult<LayerPolicy> {
        self.note("add_layer_permission");
        self.inner.add_layer_permission(r).await
    }
    async fn get_layer_policy(&self, name: &str, version: i64) -> BackendResult<LayerPolicy> {
        self.note("get_layer_policy");
        self.inner.get_layer_policy(name, version).await
    }
    async fn remove_layer_permission(
        &self,
        name: &str,
        version: i64,
        id: &str,
        revision: Option<&str>,
    ) -> BackendResult<()> {
        self.note("remove_layer_permission");
        self.inner
            .remove_layer_permission(name, version, id, revision)
            .await
    }
    async fn create_function(&self, r: CreateFunction) -> BackendResult<Function> {
        self.note("create_function");
        self.inner.create_function(r).await
    }
    async fn get_function(&self, function: &str) -> BackendResult<Function> {
        self.note("get_function");
        self.inner.get_function(function).await
    }
    async fn update_function_code(&self, r: UpdateFunctionCode) -> BackendResult<Function> {
        self.note("update_function_code");
        self.inner.update_function_code(r).await
    }
    async fn update_function_configuration(
        &self,
        r: UpdateFunctionConfiguration,
    ) -> BackendResult<Function> {
        self.note("update_function_configuration");
        self.inner.update_function_configuration(r).await
    }
    async fn delete_function(&self, function: &str) -> BackendResult<()> {
        self.note("delete_function");
        self.inner.delete_function(function).await
    }
    async fn put_function_code_signing_config(
        &self,
        function: &str,
        csc_arn: &str,
    ) -> BackendResult<()> {
        self.note("put_function_code_signing_config");
        self.inner
            .put_function_code_signing_config(function, csc_arn)
            .await
    }
    async fn delete_function_code_signing_config(&self, function: &str) -> BackendResult<()> {
        self.note("delete_function_code_signing_config");
        self.inner
            .delete_function_code_signing_config(function)
            .await
    }
    async fn list_tags(&self, arn: &str) -> BackendResult<Tags> {
        self.note("list_tags");
        self.inner.list_tags(arn).await
    }
    async fn tag_resource(&self, arn: &str, tags: Tags) -> BackendResult<()> {
        self.note("tag_resource");
        self.inner.tag_resource(arn, tags).await
    }
    async fn untag_resource(&self, arn: &str, keys: &[String]) -> BackendResult<()> {
        self.note("untag_resource");
        self.inner.untag_resource(arn, keys).await
    }
    async fn signature_evidence(&self, artifact: &ArtifactRef) -> BackendResult<Evidence> {
        self.note(match artifact {
            ArtifactRef::SigningJob(_) => "signature_evidence:job",
            ArtifactRef::LayerVersion(_) => "signature_evidence:layer",
            ArtifactRef::S3Object { .. } => "signature_evidence:object",
            // No CloudFormation handler names a local file.
            ArtifactRef::SignedFile(_) => "signature_evidence:file",
        });
        self.inner.signature_evidence(artifact).await
    }
}

/// A recording engine over a fresh store, with a signed zip and a layer
/// version published from it (made before recording starts).
struct World {
    _dir: tempfile::TempDir,
    recording: Arc<Recording>,
    engine: Engine,
    profile: SigningProfile,
    job: SigningJob,
    layer: LayerVersion,
    csc: CodeSigningConfig,
}

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let inner = LocalBackend::open(&LocalConfig {
        path: dir.path().join("store"),
        account_id: "123456789012".into(),
        region: "us-east-1".into(),
        key_file: None,
    })
    .unwrap();
    let recording = Arc::new(Recording {
        inner,
        calls: Mutex::default(),
    });
    let engine = Engine::new(recording.clone());
    let profile = crate::engine::signing_profile::create(
        &engine,
        &crate::engine::signing_profile::ProfileSpec {
            naming: crate::engine::signing_profile::Naming::Fixed("perm_seed".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let source = dir.path().join("layer.zip");
    std::fs::write(&source, minimal_zip()).unwrap();
    let output = dir.path().join("layer.signed.zip");
    let signed = crate::engine::signed_artifact::create(
        &engine,
        &crate::engine::signed_artifact::ArtifactSpec {
            profile_name: profile.name.clone(),
            profile_owner: None,
            source: ObjectLocation::File(source),
            output_file: Some(output.clone()),
            staging: None,
            destination: None,
            verify_against: Vec::new(),
            timeout: DEFAULT_SIGNING_TIMEOUT,
        },
        "seed",
        None,
    )
    .await
    .unwrap()
    .signed;
    let layer = crate::engine::layer_version::create(
        &engine,
        &crate::engine::layer_version::LayerSpec {
            layer_name: "perm-layer".into(),
            content: ObjectLocation::File(output),
            compatible_runtimes: Vec::new(),
            compatible_architectures: Vec::new(),
            description: String::new(),
            license_info: None,
            verify_against: Vec::new(),
        },
    )
    .await
    .unwrap();
    let csc = crate::engine::code_signing_config::create(
        &engine,
        &crate::engine::code_signing_config::CscSpec {
            allowed_publishers: vec![profile.version_arn.clone()],
            enforcement: crate::domain::checks::Enforcement::Enforce,
            description: String::new(),
            tags: Tags::new(),
        },
    )
    .await
    .unwrap();
    // The setup's calls (on local files) are not a handler's.
    recording.calls.lock().unwrap().clear();
    World {
        _dir: dir,
        recording,
        engine,
        profile,
        job: signed.job,
        layer,
        csc,
    }
}

/// The smallest zip: one stored file.
fn minimal_zip() -> Vec<u8> {
    let name = b"a.txt";
    let data = b"x";
    let crc = {
        let mut crc = 0xffff_ffffu32;
        for byte in data {
            crc ^= u32::from(*byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    };
    let mut local = Vec::new();
    local.extend_from_slice(&[0x50, 0x4b, 0x03, 0x04, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    local.extend_from_slice(&crc.to_le_bytes());
    local.extend_from_slice(&(data.len() as u32).to_le_bytes());
    local.extend_from_slice(&(data.len() as u32).to_le_bytes());
    local.extend_from_slice(&(name.len() as u16).to_le_bytes());
    local.extend_from_slice(&[0, 0]);
    local.extend_from_slice(name);
    local.extend_from_slice(data);
    let mut central = Vec::new();
    central.extend_from_slice(&[0x50, 0x4b, 0x01, 0x02, 20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    central.extend_from_slice(&crc.to_le_bytes());
    central.extend_from_slice(&(data.len() as u32).to_le_bytes());
    central.extend_from_slice(&(data.len() as u32).to_le_bytes());
    central.extend_from_slice(&(name.len() as u16).to_le_bytes());
    central.extend_from_slice(&[0; 12]);
    central.extend_from_slice(&0u32.to_le_bytes());
    central.extend_from_slice(name);
    let mut zip = local.clone();
    let central_at = zip.len() as u32;
    zip.extend_from_slice(&central);
    zip.extend_from_slice(&[0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 1, 0, 1, 0]);
    zip.extend_from_slice(&(central.len() as u32).to_le_bytes());
    zip.extend_from_slice(&central_at.to_le_bytes());
    zip.extend_from_slice(&[0, 0]);
    zip
}

/// What the calls of each handler need, gathered over a type's scenario.
#[derive(Default)]
struct Needed(BTreeMap<&'static str, BTreeSet<&'static str>>);

impl Needed {
    async fn run(
        &mut self,
        world: &World,
        resource: &dyn ResourceType,
        action: Action,
        desired: Value,
    ) -> ProgressEvent {
        let call = Call {
            engine: &world.engine,
            action,
            desired: &desired,
            context: None,
            token: "7f1e0d2c-3b4a-4596-8877-665544332211",
            logical_id: Some("Resource"),
        };
        let event = dispatch(resource, &call).await;
        let handler = match action {
            Action::Create => "create",
            Action::Read => "read",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::List => "list",
        };
        self.0
            .entry(handler)
            .or_default()
            .extend(world.recording.take());
        event
    }

    /// An UPDATE as the dispatcher runs it (a READ, then the adapter's
    /// update), without its request validation: for a resource the local
    /// backend made differently than CloudFormation would (a job signing a
    /// local file, where CloudFormation signs S3 objects).
    async fn update_unchecked(
        &mut self,
        world: &World,
        resource: &dyn ResourceType,
        desired: Value,
    ) {
        let call = Call {
            engine: &world.engine,
            action: Action::Update,
            desired: &desired,
            context: None,
            token: "7f1e0d2c-3b4a-4596-8877-665544332211",
            logical_id: Some("Resource"),
        };
        resource.read(&call).await.expect("read");
        resource.update(&call).await.expect("update");
        self.0
            .entry("update")
            .or_default()
            .extend(world.recording.take());
    }

    /// Every action needed is among the schema's permissions for it.
    fn assert_listed(&self, schema: &str) {
        let schema: Value = serde_json::from_str(schema).unwrap();
        for (handler, needed) in &self.0 {
            let listed: BTreeSet<&str> = schema["handlers"][handler]["permissions"]
                .as_array()
                .unwrap_or_else(|| panic!("{}: no {handler} handler", schema["typeName"]))
                .iter()
                .filter_map(Value::as_str)
                .collect();
            let missing: Vec<&&str> = needed.iter().filter(|a| !listed.contains(**a)).collect();
            assert!(
                missing.is_empty(),
                "{} {handler}: calls need {missing:?}, not listed",
                schema["typeName"]
            );
            assert!(
                !needed.is_empty(),
                "{} {handler}: the scenario made no call",
                schema["typeName"]
            );
        }
    }
}

fn ok(event: &ProgressEvent) -> Value {
    assert_eq!(event.status, OperationStatus::Success, "{event:?}");
    event.resource_model.clone().unwrap_or(Value::Null)
}

#[tokio::test]
async fn signing_profile_handlers_list_what_they_call() {
    let w = world().await;
    let t = types::find("LambdaSign::Signer::SigningProfile").unwrap();
    let mut needed = Needed::default();
    let model = ok(&needed
        .run(
            &w,
            t,
            Action::Create,
            json!({"NamePrefix": "p_", "Tags": [{"Key": "a", "Value": "b"}],
            "Revocation": {"Reason": "r", "EffectiveTime": "2024-06-01T00:00:00Z"}}),
        )
        .await);
    ok(&needed.run(&w, t, Action::Read, model.clone()).await);
    let mut desired = model.clone();
    desired["Tags"] = json!([{"Key": "c", "Value": "d"}]);
    desired["Revocation"]["EffectiveTime"] = json!("2024-01-01T00:00:00Z");
    ok(&needed.run(&w, t, Action::Update, desired.clone()).await);
    needed.run(&w, t, Action::List, json!({})).await;
    needed.run(&w, t, Action::Delete, desired).await;
    let active = ok(&needed
        .run(&w, t, Action::Create, json!({"NamePrefix": "q_"}))
        .await);
    needed.run(&w, t, Action::Delete, active).await;
    needed.assert_listed(t.def().schema);
}

#[tokio::test]
async fn profile_permission_handlers_list_what_they_call() {
    let w = world().await;
    let t = types::find("LambdaSign::Signer::ProfilePermission").unwrap();
    let mut needed = Needed::default();
    let model = ok(&needed
        .run(&w, t, Action::Create, json!({"ProfileName": w.profile.name, "Action": "signer:StartSigningJob", "Principal": "210987654321"}))
        .await);
    ok(&needed.run(&w, t, Action::Read, model.clone()).await);
    needed.run(&w, t, Action::List, json!({})).await;
    needed.run(&w, t, Action::Delete, model).await;
    needed.assert_listed(t.def().schema);
}

#[tokio::test]
async fn code_signing_config_handlers_list_what_they_call() {
    let w = world().await;
    let t = types::find("LambdaSign::Lambda::CodeSigningConfig").unwrap();
    let mut needed = Needed::default();
    let model = ok(&needed
        .run(&w, t, Action::Create, json!({"AllowedPublishers": [w.profile.version_arn], "Tags": [{"Key": "a", "Value": "b"}]}))
        .await);
    ok(&needed.run(&w, t, Action::Read, model.clone()).await);
    let mut desired = model.clone();
    desired["UntrustedArtifactOnDeployment"] = json!("Enforce");
    desired["Tags"] = json!([]);
    ok(&needed.run(&w, t, Action::Update, desired).await);
    needed.run(&w, t, Action::List, json!({})).await;
    needed.run(&w, t, Action::Delete, model).await;
    needed.assert_listed(t.def().schema);
}

#[tokio::test]
async fn layer_grant_handlers_list_what_they_call() {
    let w = world().await;
    let t = types::find("LambdaSign::Lambda::LayerGrant").unwrap();
    let mut needed = Needed::default();
    let model = ok(&needed
        .run(&w, t, Action::Create, json!({"LayerName": w.layer.layer_name, "VersionNumber": w.layer.version, "Principal": "*", "StatementId": "everyone"}))
        .await);
    ok(&needed.run(&w, t, Action::Read, model.clone()).await);
    needed.run(&w, t, Action::List, model.clone()).await;
    needed.run(&w, t, Action::Delete, model).await;
    needed.assert_listed(t.def().schema);
}

#[tokio::test]
async fn layer_version_handlers_list_what_they_call() {
    let w = world().await;
    let t = types::find("LambdaSign::Lambda::LayerVersion").unwrap();
    let mut needed = Needed::default();
    // Refused by the local backend at publishing (S3 content), after the
    // checks before it.
    let refused = needed
        .run(
            &w,
            t,
            Action::Create,
            json!({"LayerName": "s3-layer", "VerifyAgainst": [w.csc.arn],
            "SignedObject": {"Bucket": "b", "Key": format!("signed/{}.zip", w.job.job_id)}}),
        )
        .await;
    assert_eq!(refused.status, OperationStatus::Failed);
    let model = json!({"LayerName": w.layer.layer_name, "Arn": w.layer.layer_version_arn,
                       "SignedObject": {"Bucket": "b", "Key": "k"}});
    ok(&needed.run(&w, t, Action::Read, model.clone()).await);
    let mut desired = model.clone();
    desired["VerifyAgainst"] = json!([w.csc.arn]);
    ok(&needed.run(&w, t, Action::Update, desired).await);
    needed.run(&w, t, Action::List, model.clone()).await;
    needed.run(&w, t, Action::Delete, model).await;
    needed.assert_listed(t.def().schema);
}

#[tokio::test]
async fn signed_artifact_handlers_list_what_they_call() {
    let w = world().await;
    let t = types::find("LambdaSign::Signer::SignedArtifact").unwrap();
    let mut needed = Needed::default();
    let refused = needed
        .run(&w, t, Action::Create, json!({"ProfileName": w.profile.name, "VerifyAgainst": [w.csc.arn],
            "Source": {"Bucket": "b", "Key": "in.zip", "Version": "v1"}, "Destination": {"Bucket": "b"}}))
        .await;
    assert_eq!(
        refused.status,
        OperationStatus::Failed,
        "the local backend has no S3"
    );
    let model = json!({"ProfileName": w.profile.name, "JobId": w.job.job_id,
                       "Source": {"Bucket": "b", "Key": "in.zip"}, "Destination": {"Bucket": "b"}});
    ok(&needed.run(&w, t, Action::Read, model.clone()).await);
    let mut desired = model.clone();
    desired["VerifyAgainst"] = json!([w.csc.arn]);
    needed.update_unchecked(&w, t, desired).await;
    needed.run(&w, t, Action::List, json!({})).await;
    needed.run(&w, t, Action::Delete, model).await;
    needed.assert_listed(t.def().schema);
}

#[tokio::test]
async fn the_hook_lists_what_it_calls() {
    let w = world().await;
    let request: HookRequest = serde_json::from_value(json!({
        "hookTypeName": hook::TYPE_NAME, "actionInvocationPoint": "CREATE_PRE_PROVISION",
        "requestData": {"targetName": "AWS::Lambda::Function", "targetModel": {"resourceProperties": {
            "CodeSigningConfigArn": w.csc.arn,
            "Code": {"S3Bucket": "b", "S3Key": format!("signed/{}.zip", w.job.job_id)},
            "Layers": [w.layer.layer_version_arn]}}}
    }))
    .unwrap();
    let check = hook::prepare(request)
        .await
        .map_err(|e| format!("{e:?}"))
        .unwrap();
    hook::judge(&w.engine, check).await;
    let needed = w.recording.take();
    let schema: Value = serde_json::from_str(hook::SCHEMA).unwrap();
    for handler in ["preCreate", "preUpdate"] {
        let listed: BTreeSet<&str> = schema["handlers"][handler]["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let missing: Vec<&&str> = needed.iter().filter(|a| !listed.contains(**a)).collect();
        assert!(missing.is_empty(), "hook {handler}: calls need {missing:?}");
    }
    assert!(
        needed.contains("lambda:GetCodeSigningConfig") && needed.contains("lambda:GetLayerVersion")
    );
}
