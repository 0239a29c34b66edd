//! `lambdasign_signed_artifact`: one signing job. The source's SHA-384 is
//! computed at plan time, so an edited file plans a re-sign; `renew_before`
//! plans a re-sign before the signature expires; a deleted or altered
//! output plans a re-sign too. The signed output is verified before apply
//! returns, and whatever was created stays in state even when a later step
//! fails, so nothing is orphaned.

use std::collections::BTreeMap;
use std::path::PathBuf;

use async_trait::async_trait;
use chrono::Utc;
use sha2::{Digest, Sha256};

use super::support::{
    backend_error, backend_error_at, block, boolean, file_sha384_hex, format_time, is_unknown,
    opt_string, parse_duration, parse_time, set_attr, string, strings, Object,
};
use super::verify;
use crate::backend::{
    ArtifactRef, BackendError, ObjectLocation, SigningJob, StartSigningJob, DEFAULT_SIGNING_TIMEOUT,
};
use crate::tf::plugin::cty::{Type, Value};
use crate::tf::plugin::diagnostics::{AttributePath, Diagnostics};
use crate::tf::plugin::framework::{
    ApplyRequest, ApplyResponse, ImportResponse, PlanRequest, PlanResponse, ReadRequest,
    ReadResponse, Resource,
};
use crate::tf::plugin::plan::{self, PrivateState};
use crate::tf::plugin::schema::{Attribute, Block, NestedBlock, Schema};
use crate::tf::provider::Client;
use crate::domain::checks::Integrity;

pub struct SignedArtifactResource;

/// Attributes whose change means a new signing job.
const REPLACING: [&str; 8] = [
    "profile_name",
    "profile_owner",
    "source_file",
    "source_object",
    "output_file",
    "staging",
    "destination",
    "source_sha384",
];
/// Attributes a signing job produces.
const PRODUCED: [&str; 9] = [
    "job_id",
    "job_arn",
    "profile_version_arn",
    "signed_object",
    "signed_file",
    "signed_sha384",
    "output_sha384",
    "signed_at",
    "signature_expires_at",
];
const TOKEN_KEY: &str = "client_request_token";

fn signed_object_type() -> Type {
    Type::object([
        ("bucket", Type::String),
        ("key", Type::String),
        ("version", Type::String),
    ])
}

#[async_trait]
impl Resource<Client> for SignedArtifactResource {
    fn type_name(&self) -> &'static str {
        "lambdasign_signed_artifact"
    }

    fn schema(&self) -> Schema {
        let s3_object = Block::new("An S3 object (aws backend).")
            .attribute(Attribute::required("bucket", Type::String).describe("Bucket name."))
            .attribute(Attribute::required("key", Type::String).describe("Object key."))
            .attribute(
                Attribute::optional("version", Type::String)
                    .describe("Object version (Signer requires versioned sources)."),
            );
        let location = |what: &str| {
            Block::new(what)
                .attribute(
                    Attribute::required("bucket", Type::String)
                        .describe("Bucket name (versioning must be enabled)."),
                )
                .attribute(Attribute::optional("prefix", Type::String).describe("Key prefix."))
        };
        let timeouts = Block::new("Operation timeouts.").attribute(
            Attribute::optional("create", Type::String)
                .describe("How long to wait for the signing job, e.g. `10m` (the default)."),
        );
        Schema::new("Signs a code artifact with a signing profile (one Signer signing job) and verifies the result before apply returns.")
            .attribute(Attribute::required("profile_name", Type::String).describe("Signing profile to sign with."))
            .attribute(Attribute::optional("profile_owner", Type::String).describe("Account that owns the profile, when it is another account's (it must have granted `signer:StartSigningJob`)."))
            .attribute(Attribute::optional("source_file", Type::String).describe("Zip file to sign. Its SHA-384 is computed at plan time, so editing it plans a re-sign."))
            .attribute(Attribute::optional("output_file", Type::String).describe("Where the signed zip is written (local backend; on aws it is downloaded there)."))
            .attribute(Attribute::optional("verify_against", Type::set(Type::String)).describe("Code signing config ARNs this artifact must satisfy: checked at plan time (the profile) and after signing (all four checks)."))
            .attribute(Attribute::optional("renew_before", Type::String).describe("Plan a re-sign when the signature expires within this duration, e.g. `720h` or `30d`."))
            .attribute(Attribute::optional("revoke_on_destroy", Type::Bool).describe("Revoke the signature when the resource is destroyed. Default false."))
            .attribute(Attribute::computed("source_sha384", Type::String).describe("SHA-384 (hex) of the source, known at plan time."))
            .attribute(Attribute::computed("job_id", Type::String).describe("Signing job id."))
            .attribute(Attribute::computed("job_arn", Type::String).describe("Signing job ARN."))
            .attribute(Attribute::computed("profile_version_arn", Type::String).describe("The profile version that signed."))
            .attribute(Attribute::computed("signed_object", signed_object_type()).describe("Where the signed artifact is (`key` is the file path on the local backend)."))
            .attribute(Attribute::computed("signed_file", Type::String).describe("Path of the signed output once signed: `output_file`, but unknown whenever a (re-)sign is planned, so resources that consume it (e.g. `lambdasign_layer_version.signed_file`) follow every re-sign."))
            .attribute(Attribute::computed("signed_sha384", Type::String).describe("SHA-384 (hex) of the signed artifact as produced."))
            .attribute(Attribute::computed("output_sha384", Type::String).describe("SHA-384 (hex) of the output as last read; empty when it is missing. A difference from `signed_sha384` plans a re-sign."))
            .attribute(Attribute::computed("signed_at", Type::String).describe("When the artifact was signed (RFC 3339)."))
            .attribute(Attribute::computed("signature_expires_at", Type::String).describe("When the signature expires (RFC 3339)."))
            .block(NestedBlock::single("source_object", s3_object))
            .block(NestedBlock::single("staging", location("Where a `source_file` is uploaded for signing (aws backend).")))
            .block(NestedBlock::single("destination", location("Where Signer writes the signed object (aws backend).")))
            .block(NestedBlock::single("timeouts", timeouts))
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let file = config.get_attr("source_file").is_some_and(|v| !v.is_null());
        let object = config
            .get_attr("source_object")
            .is_some_and(|v| !v.is_null());
        if file && object {
            diags.error_at(
                AttributePath::attr("source_object"),
                "Conflicting sources",
                "Set `source_file` or `source_object`, not both.",
            );
        } else if !file && !object {
            diags.error(
                "Missing source",
                "Set `source_file` (a local zip) or `source_object` (an S3 object).",
            );
        }
        let output = config.get_attr("output_file").is_some_and(|v| !v.is_null());
        let destination = config.get_attr("destination").is_some_and(|v| !v.is_null());
        // Both may be set: on aws Signer writes to `destination` and the
        // signed object is then downloaded to `output_file`.
        if !output && !destination {
            diags.error("Missing output", "Set `output_file` (where the signed zip is written) or a `destination` block (S3, aws backend), or both (aws: the signed object is downloaded to `output_file`).");
        }
        if let (Some(source), Some(out)) =
            (string(config, "source_file"), string(config, "output_file"))
        {
            if std::path::Path::new(&source) == std::path::Path::new(&out) {
                diags.error_at(AttributePath::attr("output_file"), "Output would overwrite the source", "`output_file` must differ from `source_file`: the source is hashed at every plan, and a signed zip cannot be signed again.");
            }
        }
        if let Some(renew) = string(config, "renew_before") {
            if let Err(reason) = parse_duration(&renew) {
                diags.error_at(
                    AttributePath::attr("renew_before"),
                    "Invalid duration",
                    reason,
                );
            }
        }
        if let Some(create) = block(config, "timeouts").and_then(|t| string(t, "create")) {
            if let Err(reason) = parse_duration(&create) {
                diags.error_at(
                    AttributePath::attr("timeouts").then("create"),
                    "Invalid duration",
                    reason,
                );
            }
        }
        if let Some(owner) = string(config, "profile_owner") {
            if !super::support::is_account_id(&owner) {
                diags.error_at(
                    AttributePath::attr("profile_owner"),
                    "Invalid account ID",
                    format!("{owner:?} must be a 12-digit account id."),
                );
            }
        }
        if let Some(cscs) = strings(config, "verify_against") {
            for csc in cscs {
                if !csc.contains(":code-signing-config:") {
                    diags.error_at(AttributePath::attr("verify_against"), "Not a code signing config ARN", format!("{csc:?} is not a code signing config ARN (arn:aws:lambda:REGION:ACCOUNT:code-signing-config:csc-...)."));
                }
            }
        }
        diags
    }

    async fn plan(&self, client: &Client, request: PlanRequest) -> PlanResponse {
        let mut response = PlanResponse::default();
        let mut planned = request.proposed_state;
        let prior = request.prior_state;
        let diags = &mut response.diagnostics;

        // The source digest is part of the plan, so an edited file re-signs.
        if let Some(source) = string(&planned, "source_file") {
            match file_sha384_hex(&source).await {
                Ok(digest) => set_attr(&mut planned, "source_sha384", digest),
                Err(e) => diags.error_at(
                    AttributePath::attr("source_file"),
                    "Cannot read the source file",
                    format!("{source}: {e}"),
                ),
            }
        } else if is_unknown(&planned, "source_file") || planned.get_attr("source_object").is_some()
        {
            set_attr(&mut planned, "source_sha384", Value::unknown());
        }

        let mut private = PrivateState::from_bytes(&request.prior_private);
        let replacing = if prior.is_null() {
            true
        } else {
            let mut changed = plan::changed_attributes(&prior, &planned, &REPLACING);
            // A deleted or altered output re-signs.
            if string(&prior, "output_sha384") != string(&prior, "signed_sha384") {
                changed.push(AttributePath::attr("output_sha384"));
            }
            if renewal_window_exceeds_validity(&prior, &planned) {
                diags.warning_at(
                    AttributePath::attr("renew_before"),
                    "renew_before is longer than the signature validity",
                    "Every new signature from this profile expires within `renew_before`, so every plan re-signs. Shorten `renew_before` or lengthen the profile's `signature_validity`.",
                );
            }
            if renewal_due(&prior, &planned) {
                changed.push(AttributePath::attr("signature_expires_at"));
            }
            let replacing = !changed.is_empty();
            response.requires_replace = changed;
            replacing
        };
        if replacing {
            for name in PRODUCED {
                plan::set_unknown(&mut planned, name);
            }
            // One token per planned signing: retries of this apply reuse it.
            private.set(TOKEN_KEY, &super::support::random_suffix(32));
        }
        check_planned_profile(client, &prior, &planned, replacing, diags).await;
        response.planned_private = private.to_bytes();
        response.planned_state = planned;
        response
    }

    async fn apply(&self, client: &Client, request: ApplyRequest) -> ApplyResponse {
        let mut response = ApplyResponse {
            private: request.planned_private.clone(),
            ..ApplyResponse::default()
        };
        let prior = request.prior_state;
        let planned = request.planned_state;
        if planned.is_null() {
            destroy(client, &prior, &mut response.diagnostics).await;
            if response.diagnostics.has_errors() {
                response.new_state = prior;
            }
            return response;
        }
        if !prior.is_null() {
            // In-place: only verification settings changed.
            verify_signed(client, &planned, &mut response.diagnostics).await;
            response.new_state = planned;
            return response;
        }
        let private = PrivateState::from_bytes(&request.planned_private);
        let token = private
            .get::<String>(TOKEN_KEY)
            .unwrap_or_else(|| fallback_token(&planned));
        let Some(start) = start_request(&planned, token, &mut response.diagnostics) else {
            return response;
        };
        let job = match client.backend.start_signing_job(start).await {
            Ok(job) => job,
            Err(e) => {
                backend_error(&mut response.diagnostics, "sign the artifact", &e);
                return response;
            }
        };
        let mut state = state_of(&job, &planned);
        refresh_output_digest(&mut state).await;
        // The job exists from here on: its state is returned even if a check fails.
        verify_signed(client, &state, &mut response.diagnostics).await;
        response.new_state = state;
        response
    }

    async fn read(&self, client: &Client, request: ReadRequest) -> ReadResponse {
        let mut response = ReadResponse {
            private: request.private,
            ..ReadResponse::default()
        };
        let current = request.current_state;
        let job_id = string(&current, "job_id").unwrap_or_default();
        match client.backend.describe_signing_job(&job_id).await {
            Ok(job) => {
                let mut state = state_of(&job, &current);
                refresh_output_digest(&mut state).await;
                response.new_state = state;
            }
            Err(BackendError::NotFound(_)) => {}
            Err(e) => {
                backend_error(
                    &mut response.diagnostics,
                    &format!("read signing job {job_id}"),
                    &e,
                );
                response.new_state = current;
            }
        }
        response
    }

    async fn import(&self, client: &Client, id: &str) -> ImportResponse {
        let mut response = ImportResponse::default();
        match client.backend.describe_signing_job(id).await {
            Ok(job) => {
                let identity = client.backend.identity();
                let profile_account = job
                    .profile_version_arn
                    .split(':')
                    .nth(4)
                    .unwrap_or_default();
                let mut base = BTreeMap::new();
                if let ObjectLocation::File(source) = &job.source {
                    let source = source.display().to_string();
                    let digest = file_sha384_hex(&source).await.unwrap_or_default();
                    base.insert("source_file".to_string(), Value::string(source));
                    base.insert("source_sha384".to_string(), Value::string(digest));
                }
                if let ObjectLocation::S3 {
                    bucket,
                    key,
                    version,
                } = &job.source
                {
                    let object = Object::new()
                        .set("bucket", bucket.as_str())
                        .set("key", key.as_str())
                        .set("version", opt_string(version.as_deref()))
                        .build();
                    base.insert("source_object".to_string(), object);
                }
                match &job.signed_object {
                    ObjectLocation::File(output) => {
                        base.insert(
                            "output_file".to_string(),
                            Value::string(output.display().to_string()),
                        );
                    }
                    ObjectLocation::S3 { bucket, key, .. } => {
                        // Signer names the signed object PREFIX + job id (+ extension).
                        let prefix = key
                            .find(job.job_id.as_str())
                            .map_or(key.as_str(), |at| &key[..at]);
                        let destination = Object::new()
                            .set("bucket", bucket.as_str())
                            .set("prefix", prefix)
                            .build();
                        base.insert("destination".to_string(), destination);
                    }
                }
                if profile_account != identity.account_id {
                    base.insert("profile_owner".to_string(), Value::string(profile_account));
                }
                let mut state = state_of(&job, &Value::Object(base));
                refresh_output_digest(&mut state).await;
                response.state = state;
            }
            Err(e) => backend_error(
                &mut response.diagnostics,
                &format!("import signing job {id:?} (import by job id)"),
                &e,
            ),
        }
        response
    }
}

/// Whether the signature expires within `renew_before` from now.
fn renewal_due(prior: &Value, planned: &Value) -> bool {
    let Some(window) = string(planned, "renew_before").and_then(|r| parse_duration(&r).ok()) else {
        return false;
    };
    let Some(expires) = string(prior, "signature_expires_at").and_then(|t| parse_time(&t).ok())
    else {
        return false;
    };
    expires - Utc::now() <= window
}

/// Whether a fresh signature (as long-lived as the prior one) would already
/// be due for renewal: then every plan re-signs.
fn renewal_window_exceeds_validity(prior: &Value, planned: &Value) -> bool {
    let time = |name: &str| string(prior, name).and_then(|t| parse_time(&t).ok());
    let (Some(window), Some(signed), Some(expires)) = (
        string(planned, "renew_before").and_then(|r| parse_duration(&r).ok()),
        time("signed_at"),
        time("signature_expires_at"),
    ) else {
        return false;
    };
    expires - signed <= window
}

/// At plan time: would the profile that is going to sign (or did sign)
/// satisfy each config in `verify_against`?
async fn check_planned_profile(
    client: &Client,
    prior: &Value,
    planned: &Value,
    replacing: bool,
    diags: &mut Diagnostics,
) {
    let Some(cscs) = strings(planned, "verify_against") else {
        return;
    };
    if cscs.is_empty() {
        return;
    }
    let path = AttributePath::attr("verify_against");
    if !replacing {
        // The existing signature: all four checks.
        if let Some(job_arn) = string(prior, "job_arn") {
            match client
                .backend
                .signature_facts(&ArtifactRef::SigningJob(job_arn))
                .await
            {
                Ok(facts) => {
                    verify::report_against_configs(client, &facts, &cscs, "Signed artifact", diags)
                        .await
                }
                Err(e) => backend_error_at(diags, path, "read the artifact's signature", &e),
            }
        }
        return;
    }
    let (Some(profile_name), false) = (
        string(planned, "profile_name"),
        is_unknown(planned, "profile_owner"),
    ) else {
        return;
    };
    let owner = string(planned, "profile_owner");
    let profile = match client
        .backend
        .get_signing_profile(&profile_name, owner.as_deref())
        .await
    {
        Ok(profile) => profile,
        // The profile may be created in this same apply.
        Err(BackendError::NotFound(_)) => return,
        Err(e) => {
            backend_error(diags, &format!("read signing profile {profile_name}"), &e);
            return;
        }
    };
    for csc in &cscs {
        if let Some(policy) = verify::load_policy(client, csc, path.clone(), diags).await {
            if !policy.allows(&profile.version_arn) {
                let detail = format!("The artifact would be signed by {}, which {csc} does not list as an allowed publisher.", profile.version_arn);
                match policy.enforcement() {
                    crate::domain::checks::Enforcement::Enforce => diags.error_at(
                        path.clone(),
                        "Signed artifact: source mismatch check would fail",
                        format!("{detail} Lambda would reject this deployment (policy Enforce)."),
                    ),
                    crate::domain::checks::Enforcement::Warn => diags.warning_at(
                        path.clone(),
                        "Signed artifact: source mismatch check would fail",
                        format!("{detail} Lambda would deploy it (policy Warn) and log a warning."),
                    ),
                }
            }
        }
    }
}

fn start_request(
    planned: &Value,
    token: String,
    diags: &mut Diagnostics,
) -> Option<StartSigningJob> {
    let source = if let Some(file) = string(planned, "source_file") {
        ObjectLocation::File(PathBuf::from(file))
    } else if let Some(object) = block(planned, "source_object") {
        ObjectLocation::S3 {
            bucket: string(object, "bucket").unwrap_or_default(),
            key: string(object, "key").unwrap_or_default(),
            version: string(object, "version"),
        }
    } else {
        diags.error("Missing source", "Set `source_file` or `source_object`.");
        return None;
    };
    let output = string(planned, "output_file").map(PathBuf::from);
    // An S3 destination when one is configured (then `output_file`, if set,
    // is where the aws backend downloads the signed object); else the file.
    let (destination, download_to) = if let Some(destination) = block(planned, "destination") {
        let s3 = ObjectLocation::S3 {
            bucket: string(destination, "bucket").unwrap_or_default(),
            key: string(destination, "prefix").unwrap_or_default(),
            version: None,
        };
        (s3, output)
    } else if let Some(output) = output {
        (ObjectLocation::File(output.clone()), Some(output))
    } else {
        diags.error_at(
            AttributePath::attr("output_file"),
            "Missing output",
            "Set `output_file` (where the signed zip is written) or a `destination` block.",
        );
        return None;
    };
    let staging = block(planned, "staging").map(|staging| {
        (
            string(staging, "bucket").unwrap_or_default(),
            string(staging, "prefix").unwrap_or_default(),
        )
    });
    let timeout = match block(planned, "timeouts").and_then(|t| string(t, "create")) {
        Some(text) => match parse_duration(&text).map(|d| d.to_std()) {
            Ok(Ok(duration)) => duration,
            _ => {
                diags.error_at(
                    AttributePath::attr("timeouts").then("create"),
                    "Invalid duration",
                    format!("{text:?} is not a duration such as `10m`."),
                );
                return None;
            }
        },
        None => DEFAULT_SIGNING_TIMEOUT,
    };
    Some(StartSigningJob {
        profile_name: string(planned, "profile_name").unwrap_or_default(),
        profile_owner: string(planned, "profile_owner"),
        source,
        destination,
        client_request_token: token,
        staging,
        download_to,
        timeout,
    })
}

/// Only for plans made by an older provider without a token in private state.
fn fallback_token(planned: &Value) -> String {
    let mut hasher = Sha256::new();
    for name in [
        "profile_name",
        "profile_owner",
        "source_file",
        "output_file",
        "source_sha384",
    ] {
        hasher.update(string(planned, name).unwrap_or_default().as_bytes());
        hasher.update([0]);
    }
    hex::encode(&hasher.finalize()[..16])
}

/// After signing: the output must carry an intact signature, and must pass
/// every config in `verify_against`.
async fn verify_signed(client: &Client, state: &Value, diags: &mut Diagnostics) {
    let Some(job_arn) = string(state, "job_arn") else {
        return;
    };
    let facts = match client
        .backend
        .signature_facts(&ArtifactRef::SigningJob(job_arn.clone()))
        .await
    {
        Ok(facts) => facts,
        Err(e) => {
            backend_error(diags, "verify the signed output", &e);
            return;
        }
    };
    match facts.signature.as_ref().map(|s| &s.integrity) {
        Some(Integrity::Valid) => {}
        Some(Integrity::Invalid { reason }) => diags.error_at(
            AttributePath::attr("output_file"),
            "The signed output failed verification",
            format!(
                "{reason}. The signing job {job_arn} is kept in state; the next apply re-signs."
            ),
        ),
        None => diags.error_at(
            AttributePath::attr("output_file"),
            "The output carries no signature",
            format!("Signing job {job_arn} produced an output without a signature."),
        ),
    }
    let cscs = strings(state, "verify_against").unwrap_or_default();
    verify::report_against_configs(client, &facts, &cscs, "Signed artifact", diags).await;
}

/// `output_sha384`: the output as it is now ("" when missing).
async fn refresh_output_digest(state: &mut Value) {
    let digest = match string(state, "output_file") {
        Some(output) => file_sha384_hex(&output).await.unwrap_or_default(),
        // Outputs in S3 are read back by the backend into signed_sha384.
        None => string(state, "signed_sha384").unwrap_or_default(),
    };
    set_attr(state, "output_sha384", digest);
}

async fn destroy(client: &Client, prior: &Value, diags: &mut Diagnostics) {
    let job_id = string(prior, "job_id").unwrap_or_default();
    if boolean(prior, "revoke_on_destroy") == Some(true) {
        match client
            .backend
            .revoke_signature(&job_id, "revoked on destroy by Terraform")
            .await
        {
            Ok(()) | Err(BackendError::NotFound(_)) | Err(BackendError::Conflict(_)) => {}
            Err(e) => {
                backend_error(diags, &format!("revoke the signature of job {job_id}"), &e);
                return;
            }
        }
    }
    // Remove the output we wrote, but never a file someone replaced since.
    if let (Some(output), Some(signed)) =
        (string(prior, "output_file"), string(prior, "signed_sha384"))
    {
        if file_sha384_hex(&output).await.ok().as_deref() == Some(signed.as_str()) {
            if let Err(e) = tokio::fs::remove_file(&output).await {
                diags.warning_at(
                    AttributePath::attr("output_file"),
                    "Could not remove the signed output",
                    format!("{output}: {e}"),
                );
            }
        }
    }
}

fn location_value(location: &ObjectLocation) -> Value {
    match location {
        ObjectLocation::File(path) => Object::new()
            .set("bucket", Value::Null)
            .set("key", path.display().to_string())
            .set("version", Value::Null)
            .build(),
        ObjectLocation::S3 {
            bucket,
            key,
            version,
        } => Object::new()
            .set("bucket", bucket.as_str())
            .set("key", key.as_str())
            .set("version", opt_string(version.as_deref()))
            .build(),
    }
}

/// The state for a job, keeping every argument from `base` (plan or prior).
fn state_of(job: &SigningJob, base: &Value) -> Value {
    let keep = |name: &str| base.get_attr(name).cloned().unwrap_or(Value::Null);
    Object::new()
        .set("profile_name", job.profile_name.as_str())
        .set("profile_owner", keep("profile_owner"))
        .set("source_file", keep("source_file"))
        .set("output_file", keep("output_file"))
        .set("verify_against", keep("verify_against"))
        .set("renew_before", keep("renew_before"))
        .set("revoke_on_destroy", keep("revoke_on_destroy"))
        .set("source_sha384", keep("source_sha384"))
        .set("source_object", keep("source_object"))
        .set("staging", keep("staging"))
        .set("destination", keep("destination"))
        .set("timeouts", keep("timeouts"))
        .set("job_id", job.job_id.as_str())
        .set("job_arn", job.job_arn.as_str())
        .set("profile_version_arn", job.profile_version_arn.as_str())
        .set("signed_object", location_value(&job.signed_object))
        .set(
            "signed_file",
            match &job.signed_object {
                ObjectLocation::File(path) => Value::string(path.display().to_string()),
                // aws: the downloaded copy, when there is one.
                ObjectLocation::S3 { .. } => keep("output_file"),
            },
        )
        .set("signed_sha384", job.signed_sha384.as_str())
        .set("output_sha384", keep("output_sha384"))
        .set("signed_at", format_time(job.signed_at))
        .set(
            "signature_expires_at",
            format_time(job.signature_expires_at),
        )
        .build()
}
