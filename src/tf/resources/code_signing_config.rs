//! `lambdasign_code_signing_config`: schema and translation for
//! `engine::code_signing_config`.

use async_trait::async_trait;

use crate::domain::checks::Enforcement;
use crate::domain::csc::CodeSigningConfig;
use crate::domain::field::FieldPath;
use crate::domain::tags;
use crate::domain::time::format_time;
use crate::engine::code_signing_config::{self as engine, field::*, CscChange, CscSpec};
use crate::engine::{Engine, Planned};
use crate::tf::convert;
use crate::tf::plugin::cty::{Type, Value};
use crate::tf::plugin::diagnostics::Diagnostics;
use crate::tf::plugin::framework::{
    Applied, Change, ImportResponse, MoveSource, Plan, ReadRequest, ReadResponse, Resource,
};
use crate::tf::plugin::schema::{Attribute, Schema};
use crate::tf::resources::moved;
use crate::tf::values::{
    keep, known_texts, map, map_or_null, planned_text, planned_texts, required_text, set, text,
    text_map, text_or_null, text_set, texts, Object,
};

pub struct CodeSigningConfigResource;

fn schema() -> Schema {
    Schema::new("A Lambda code signing config. Every argument updates in place. Deleting a config that functions still use fails and names them.")
        .attribute(Attribute::required(ALLOWED_PUBLISHERS, Type::set(Type::String)).describe("1 to 20 signing profile **version** ARNs (a profile's `version_arn`)."))
        .attribute(Attribute::optional_computed(UNTRUSTED_ARTIFACT_ON_DEPLOYMENT, Type::String).known_at_plan().describe("`Warn` (default): deploy and log failed checks. `Enforce`: reject. Integrity failures are always rejected."))
        .attribute(Attribute::optional(DESCRIPTION, Type::String).describe("Up to 256 characters."))
        .attribute(Attribute::optional(TAGS, Type::map(Type::String)).describe("Tags."))
        .attribute(Attribute::computed(TAGS_ALL, Type::map(Type::String)).known_at_plan().describe("Tags including the provider's `default_tags`."))
        .attribute(Attribute::computed(ARN, Type::String).describe("ARN of the config."))
        .attribute(Attribute::computed(CONFIG_ID, Type::String).describe("Id of the config (`csc-...`)."))
        .attribute(Attribute::computed(LAST_MODIFIED, Type::String).describe("When the config last changed (RFC 3339)."))
        .replace_on_change(engine::REPLACE_ON_CHANGE)
        .rules(engine::RULES, engine::SHAPE)
}

fn spec_of(planned: &Value, diags: &mut Diagnostics) -> Option<CscSpec> {
    let Some(publishers) = texts(planned, ALLOWED_PUBLISHERS) else {
        required_text(planned, ALLOWED_PUBLISHERS, diags);
        return None;
    };
    Some(CscSpec {
        allowed_publishers: publishers,
        enforcement: text(planned, UNTRUSTED_ARTIFACT_ON_DEPLOYMENT)
            .and_then(|e| e.parse().ok())
            .unwrap_or_default(),
        description: text(planned, DESCRIPTION).unwrap_or_default(),
        tags: text_map(planned, TAGS).unwrap_or_default(),
    })
}

/// A config as recorded in a prior state (what the engine's plan needs).
fn recorded(prior: &Value) -> Option<CodeSigningConfig> {
    Some(CodeSigningConfig {
        id: text(prior, CONFIG_ID)?,
        arn: text(prior, ARN)?,
        allowed_publishers: texts(prior, ALLOWED_PUBLISHERS)?,
        enforcement: text(prior, UNTRUSTED_ARTIFACT_ON_DEPLOYMENT)?
            .parse()
            .ok()?,
        description: text(prior, DESCRIPTION).unwrap_or_default(),
        last_modified: chrono::Utc::now(),
        tags: text_map(prior, TAGS_ALL).unwrap_or_default(),
    })
}

fn state_of(engine: &Engine, csc: &CodeSigningConfig, base: &Value) -> Value {
    let configured = text_map(base, TAGS).unwrap_or_default();
    let own = tags::own(engine.default_tags(), &csc.tags, &configured);
    Object::new()
        .set(ALLOWED_PUBLISHERS, text_set(&csc.allowed_publishers))
        .set(UNTRUSTED_ARTIFACT_ON_DEPLOYMENT, csc.enforcement.as_str())
        .set(
            DESCRIPTION,
            text_or_null(&csc.description, &keep(base, DESCRIPTION)),
        )
        .set(TAGS, map_or_null(&own, &keep(base, TAGS)))
        .set(TAGS_ALL, map(&csc.tags))
        .set(ARN, csc.arn.as_str())
        .set(CONFIG_ID, csc.id.as_str())
        .set(LAST_MODIFIED, format_time(csc.last_modified))
        .build()
}

#[async_trait]
impl Resource<Engine> for CodeSigningConfigResource {
    fn type_name(&self) -> &'static str {
        "lambdasign_code_signing_config"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if let Some(publishers) = texts(config, ALLOWED_PUBLISHERS) {
            for e in engine::check_publishers(&publishers, FieldPath::field(ALLOWED_PUBLISHERS)) {
                // Set elements have no index in a configuration: point at the set.
                let e = crate::engine::EngineError {
                    field: Some(FieldPath::field(ALLOWED_PUBLISHERS)),
                    ..e
                };
                convert::error(diags, "Invalid allowed publishers", &e);
            }
        }
    }

    async fn plan(&self, engine: &Engine, plan: &mut Plan) {
        let planned = &mut plan.planned;
        if planned
            .get_attr(UNTRUSTED_ARTIFACT_ON_DEPLOYMENT)
            .is_some_and(Value::is_null)
        {
            set(
                planned,
                UNTRUSTED_ARTIFACT_ON_DEPLOYMENT,
                Enforcement::Warn.as_str(),
            );
        }
        match text_map(planned, TAGS) {
            Some(own) => set(
                planned,
                TAGS_ALL,
                map(&tags::effective(engine.default_tags(), &own)),
            ),
            None => set(planned, TAGS_ALL, Value::unknown()),
        }
        if !plan.prior.is_null() && plan.planned != plan.prior {
            set(&mut plan.planned, LAST_MODIFIED, Value::unknown());
        }
        let prior = recorded(&plan.prior).filter(|_| !plan.prior.is_null());
        let change = CscChange {
            prior: prior.as_ref(),
            allowed_publishers: planned_texts(&plan.planned, ALLOWED_PUBLISHERS),
            known_publishers: known_texts(&plan.planned, ALLOWED_PUBLISHERS),
            enforcement: match planned_text(&plan.planned, UNTRUSTED_ARTIFACT_ON_DEPLOYMENT) {
                Planned::Known(Some(e)) => e.parse().map_or(Planned::Unknown, Planned::Known),
                _ => Planned::Unknown,
            },
        };
        let report = engine::plan(engine, &change).await;
        convert::report(report, &mut plan.diagnostics);
    }

    async fn create(&self, engine: &Engine, change: Change) -> Applied {
        let mut applied = Applied {
            private: change.private,
            ..Applied::default()
        };
        let Some(spec) = spec_of(&change.planned, &mut applied.diagnostics) else {
            return applied;
        };
        match engine::create(engine, &spec).await {
            Ok(csc) => applied.state = state_of(engine, &csc, &change.planned),
            Err(e) => convert::error(
                &mut applied.diagnostics,
                "Cannot create the code signing config",
                &e,
            ),
        }
        applied
    }

    async fn read(&self, engine: &Engine, request: ReadRequest) -> ReadResponse {
        let key = |state: &Value, diags: &mut Diagnostics| required_text(state, ARN, diags);
        let read = |arn: String| async move { engine::read(engine, &arn).await };
        let state = |csc: &CodeSigningConfig, base: &Value| state_of(engine, csc, base);
        convert::refresh(
            request,
            "Cannot read the code signing config",
            key,
            read,
            state,
        )
        .await
    }

    async fn update(&self, engine: &Engine, change: Change) -> Applied {
        let mut applied = Applied {
            private: change.private,
            state: change.prior.clone(),
            ..Applied::default()
        };
        let (Some(spec), Some(arn)) = (
            spec_of(&change.planned, &mut applied.diagnostics),
            required_text(&change.prior, ARN, &mut applied.diagnostics),
        ) else {
            return applied;
        };
        match engine::update(engine, &arn, &spec).await {
            Ok(csc) => applied.state = state_of(engine, &csc, &change.planned),
            Err(e) => convert::error(
                &mut applied.diagnostics,
                "Cannot update the code signing config",
                &e,
            ),
        }
        applied
    }

    async fn delete(&self, engine: &Engine, change: Change) -> Applied {
        let key = |state: &Value, diags: &mut Diagnostics| required_text(state, ARN, diags);
        let delete = |arn: String| async move { engine::delete(engine, &arn).await };
        convert::delete(change, "Cannot delete the code signing config", key, delete).await
    }

    async fn import(&self, engine: &Engine, id: &str) -> ImportResponse {
        convert::imported(
            engine::import(engine, id).await,
            "Cannot import the code signing config",
            |csc| state_of(engine, &csc, &Value::Null),
        )
    }

    fn move_from(&self, source: &MoveSource<'_>, diags: &mut Diagnostics) -> Option<Value> {
        const AWS: &str = "aws_lambda_code_signing_config";
        let aws = moved::aws_state(source, AWS, self.type_name(), diags)?;
        let arn = moved::required(aws, "arn", AWS, diags)?;
        let publishers = moved::block(aws, "allowed_publishers").map_or(Value::Null, |b| {
            moved::strings(b, "signing_profile_version_arns")
        });
        let enforcement = moved::block(aws, "policies")
            .and_then(|p| moved::opt(p, "untrusted_artifact_on_deployment"))
            .unwrap_or_else(|| Enforcement::Warn.as_str().to_string());
        Some(
            Object::new()
                .set(ALLOWED_PUBLISHERS, publishers)
                .set(UNTRUSTED_ARTIFACT_ON_DEPLOYMENT, enforcement.as_str())
                .set(DESCRIPTION, moved::text(aws, "description"))
                .set(TAGS, moved::string_map(aws, "tags"))
                .set(TAGS_ALL, moved::string_map(aws, "tags_all"))
                .set(ARN, arn.as_str())
                .set(CONFIG_ID, moved::text(aws, "config_id"))
                .build(),
        )
    }
}
