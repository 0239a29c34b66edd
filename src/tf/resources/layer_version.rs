//! `lambdasign_layer_version`: publishes a signed artifact as a Lambda layer
//! version. Unlike Lambda, it verifies the signature before publishing (and
//! against `verify_against`), so a layer that functions could never use is
//! caught before it exists.

use std::path::PathBuf;

use async_trait::async_trait;

use super::support::{
    backend_error, block, destroyed, file_sha384_hex, is_unknown, opt_string, refreshed, set_attr,
    string, string_set, strings, Object,
};
use super::verify;
use crate::backend::{ArtifactRef, LayerVersion, ObjectLocation, PublishLayerVersion};
use crate::tf::plugin::cty::{Number, Type, Value};
use crate::tf::plugin::diagnostics::{AttributePath, Diagnostics};
use crate::tf::plugin::framework::{
    ApplyRequest, ApplyResponse, ImportResponse, PlanRequest, PlanResponse, ReadRequest,
    ReadResponse, Resource,
};
use crate::tf::plugin::plan;
use crate::tf::plugin::schema::{Attribute, Block, NestedBlock, Schema};
use crate::tf::provider::Client;
use crate::domain::checks::Integrity;

pub struct LayerVersionResource;

const REPLACING: [&str; 7] = [
    "layer_name",
    "signed_file",
    "signed_object",
    "compatible_runtimes",
    "compatible_architectures",
    "description",
    "source_sha384",
];

#[async_trait]
impl Resource<Client> for LayerVersionResource {
    fn type_name(&self) -> &'static str {
        "lambdasign_layer_version"
    }

    fn schema(&self) -> Schema {
        let object = Block::new("The signed artifact in S3 (aws backend).")
            .attribute(Attribute::required("bucket", Type::String).describe("Bucket."))
            .attribute(Attribute::required("key", Type::String).describe("Key."))
            .attribute(Attribute::optional("version", Type::String).describe("Object version."));
        Schema::new("A Lambda layer version published from a signed artifact. The signature is verified before publishing. Layer versions are immutable: any change publishes a new version.")
            .attribute(Attribute::required("layer_name", Type::String).describe("Layer name, `^[a-zA-Z0-9-_]{1,64}$`."))
            .attribute(Attribute::optional("signed_file", Type::String).describe("The signed zip to publish (e.g. a `lambdasign_signed_artifact`'s `output_file`)."))
            .attribute(Attribute::optional("compatible_runtimes", Type::set(Type::String)).describe("Runtimes, e.g. `python3.12`."))
            .attribute(Attribute::optional("compatible_architectures", Type::set(Type::String)).describe("`x86_64` and/or `arm64`."))
            .attribute(Attribute::optional("description", Type::String).describe("Description."))
            .attribute(Attribute::optional("verify_against", Type::set(Type::String)).describe("Code signing config ARNs the layer must satisfy, checked before publishing and at plan time."))
            .attribute(Attribute::computed("source_sha384", Type::String).describe("SHA-384 (hex) of `signed_file`, known at plan time."))
            .attribute(Attribute::computed("arn", Type::String).describe("Layer version ARN."))
            .attribute(Attribute::computed("layer_arn", Type::String).describe("Layer ARN (without version)."))
            .attribute(Attribute::computed("version", Type::Number).describe("Version number."))
            .attribute(Attribute::computed("signing_profile_version_arn", Type::String).describe("Profile version that signed the content."))
            .attribute(Attribute::computed("signing_job_arn", Type::String).describe("Signing job that signed the content."))
            .block(NestedBlock::single("signed_object", object))
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        if let Some(name) = string(config, "layer_name") {
            if !super::support::is_identifier(&name, 64, &['-', '_']) {
                diags.error_at(
                    AttributePath::attr("layer_name"),
                    "Invalid layer name",
                    format!("{name:?} must be 1 to 64 letters, digits, '-' or '_'."),
                );
            }
        }
        let file = config.get_attr("signed_file").is_some_and(|v| !v.is_null());
        let object = config
            .get_attr("signed_object")
            .is_some_and(|v| !v.is_null());
        if file == object {
            diags.error(
                "Exactly one content source",
                "Set `signed_file` or `signed_object` (exactly one).",
            );
        }
        if let Some(architectures) = strings(config, "compatible_architectures") {
            for architecture in architectures
                .iter()
                .filter(|a| !["x86_64", "arm64"].contains(&a.as_str()))
            {
                diags.error_at(
                    AttributePath::attr("compatible_architectures"),
                    "Invalid architecture",
                    format!("{architecture:?} must be x86_64 or arm64."),
                );
            }
        }
        diags
    }

    async fn plan(&self, client: &Client, request: PlanRequest) -> PlanResponse {
        let mut response = PlanResponse {
            planned_private: request.prior_private,
            ..PlanResponse::default()
        };
        let mut planned = request.proposed_state;
        if let Some(file) = string(&planned, "signed_file") {
            match file_sha384_hex(&file).await {
                Ok(digest) => set_attr(&mut planned, "source_sha384", digest),
                Err(e) => response.diagnostics.error_at(
                    AttributePath::attr("signed_file"),
                    "Cannot read the signed file",
                    format!("{file}: {e}"),
                ),
            }
        } else if is_unknown(&planned, "signed_file")
            || planned
                .get_attr("signed_object")
                .is_some_and(|v| !v.is_null())
        {
            set_attr(&mut planned, "source_sha384", Value::unknown());
        }
        let prior = request.prior_state;
        if prior.is_null() {
            plan::mark_computed_unknown(&self.schema(), &mut planned);
        } else {
            response.requires_replace = plan::changed_attributes(&prior, &planned, &REPLACING);
            if !response.requires_replace.is_empty() {
                for name in [
                    "arn",
                    "layer_arn",
                    "version",
                    "signing_profile_version_arn",
                    "signing_job_arn",
                ] {
                    plan::set_unknown(&mut planned, name);
                }
            }
        }
        // At plan time, whenever the content is known: would it pass?
        let artifact = match (string(&planned, "signed_file"), string(&prior, "arn")) {
            (Some(file), _) if !response.requires_replace.is_empty() || prior.is_null() => {
                Some(ArtifactRef::SignedFile(PathBuf::from(file)))
            }
            (_, Some(arn)) if response.requires_replace.is_empty() && !prior.is_null() => {
                Some(ArtifactRef::LayerVersion(arn))
            }
            _ => None,
        };
        if let (Some(artifact), false) = (artifact, response.diagnostics.has_errors()) {
            verify_layer(client, &artifact, &planned, &mut response.diagnostics).await;
        }
        response.planned_state = planned;
        response
    }

    async fn apply(&self, client: &Client, request: ApplyRequest) -> ApplyResponse {
        let mut response = ApplyResponse {
            private: request.planned_private,
            ..ApplyResponse::default()
        };
        let prior = request.prior_state;
        let planned = request.planned_state;
        if planned.is_null() {
            let name = string(&prior, "layer_name").unwrap_or_default();
            let version = super::support::integer(&prior, "version").unwrap_or_default();
            let result = client.backend.delete_layer_version(&name, version).await;
            destroyed(
                result,
                prior,
                &format!("delete layer {name} version {version}"),
                &mut response,
            );
            return response;
        }
        if !prior.is_null() {
            response.new_state = planned;
            return response;
        }
        let content = if let Some(file) = string(&planned, "signed_file") {
            ObjectLocation::File(PathBuf::from(file))
        } else if let Some(object) = block(&planned, "signed_object") {
            ObjectLocation::S3 {
                bucket: string(object, "bucket").unwrap_or_default(),
                key: string(object, "key").unwrap_or_default(),
                version: string(object, "version"),
            }
        } else {
            response
                .diagnostics
                .error("Missing content", "Set `signed_file` or `signed_object`.");
            return response;
        };
        // Publishing verifies first: Lambda itself would accept any zip here.
        if let ObjectLocation::File(path) = &content {
            verify_layer(
                client,
                &ArtifactRef::SignedFile(path.clone()),
                &planned,
                &mut response.diagnostics,
            )
            .await;
            if response.diagnostics.has_errors() {
                return response;
            }
        }
        let publish = PublishLayerVersion {
            layer_name: string(&planned, "layer_name").unwrap_or_default(),
            content,
            compatible_runtimes: strings(&planned, "compatible_runtimes").unwrap_or_default(),
            compatible_architectures: strings(&planned, "compatible_architectures")
                .unwrap_or_default(),
            description: string(&planned, "description").unwrap_or_default(),
        };
        match client.backend.publish_layer_version(publish).await {
            Ok(layer) => response.new_state = state_of(&layer, &planned),
            Err(e) => backend_error(&mut response.diagnostics, "publish the layer version", &e),
        }
        response
    }

    async fn read(&self, client: &Client, request: ReadRequest) -> ReadResponse {
        let arn = string(&request.current_state, "arn").unwrap_or_default();
        let found = client.backend.get_layer_version(&arn).await.map(Some);
        refreshed(
            found,
            request,
            &format!("read layer version {arn}"),
            state_of,
        )
    }

    async fn import(&self, client: &Client, id: &str) -> ImportResponse {
        let mut response = ImportResponse::default();
        // `ARN` or `ARN,SIGNED_FILE`: the file cannot be read back from Lambda.
        let (arn, file) = match id.split_once(',') {
            Some((arn, file)) => (arn, Some(file)),
            None => (id, None),
        };
        match client.backend.get_layer_version(arn).await {
            Ok(layer) => {
                let base = Object::new().set("signed_file", opt_string(file)).build();
                response.state = state_of(&layer, &base);
            }
            Err(e) => backend_error(
                &mut response.diagnostics,
                &format!("import layer version {arn:?} (import by layer version ARN)"),
                &e,
            ),
        }
        response
    }
}

/// The signature must be intact, and pass each config in `verify_against`.
async fn verify_layer(
    client: &Client,
    artifact: &ArtifactRef,
    planned: &Value,
    diags: &mut Diagnostics,
) {
    let path = match artifact {
        ArtifactRef::SignedFile(_) => AttributePath::attr("signed_file"),
        _ => AttributePath::attr("arn"),
    };
    let facts = match client.backend.signature_facts(artifact).await {
        Ok(facts) => facts,
        Err(e) => {
            backend_error(diags, "read the layer content's signature", &e);
            return;
        }
    };
    match facts.signature.as_ref().map(|s| &s.integrity) {
        Some(Integrity::Valid) => {}
        Some(Integrity::Invalid { reason }) => diags.error_at(path, "Layer content failed the integrity check", format!("{reason}. Lambda rejects functions that use a layer whose signature does not verify, whatever the policy.")),
        None => diags.error_at(path, "Layer content is not signed", "The content carries no signature. Sign it first (lambdasign_signed_artifact) and publish the signed output."),
    }
    let cscs = strings(planned, "verify_against").unwrap_or_default();
    verify::report_against_configs(client, &facts, &cscs, "Layer", diags).await;
}

fn state_of(layer: &LayerVersion, base: &Value) -> Value {
    let keep = |name: &str| base.get_attr(name).cloned().unwrap_or(Value::Null);
    let set_or_null = |items: &[String], name: &str| {
        if items.is_empty() && keep(name).is_null() {
            Value::Null
        } else {
            string_set(items)
        }
    };
    Object::new()
        .set("layer_name", layer.layer_name.as_str())
        .set("signed_file", keep("signed_file"))
        .set("signed_object", keep("signed_object"))
        .set(
            "compatible_runtimes",
            set_or_null(&layer.compatible_runtimes, "compatible_runtimes"),
        )
        .set(
            "compatible_architectures",
            set_or_null(&layer.compatible_architectures, "compatible_architectures"),
        )
        .set(
            "description",
            if layer.description.is_empty() && keep("description").is_null() {
                Value::Null
            } else {
                Value::string(layer.description.as_str())
            },
        )
        .set("verify_against", keep("verify_against"))
        .set(
            "source_sha384",
            if keep("source_sha384").is_null() {
                Value::string(layer.content_sha384.as_str())
            } else {
                keep("source_sha384")
            },
        )
        .set("arn", layer.layer_version_arn.as_str())
        .set("layer_arn", layer.layer_arn.as_str())
        .set("version", Value::number(Number::from_i64(layer.version)))
        .set(
            "signing_profile_version_arn",
            opt_string(layer.signing_profile_version_arn.as_deref()),
        )
        .set(
            "signing_job_arn",
            opt_string(layer.signing_job_arn.as_deref()),
        )
        .build()
}
