//! `lambdasign_signed_artifact`: schema and translation for
//! `engine::signed_artifact`.

mod schema;
mod state;

use std::path::PathBuf;

use async_trait::async_trait;

use crate::domain::job::ObjectLocation;
use crate::domain::time::parse_duration;
use crate::engine::signed_artifact::{self as engine, field::*, ArtifactChange};
use crate::engine::{Engine, Planned};
use crate::tf::convert;
use crate::tf::plugin::cty::Value;
use crate::tf::plugin::diagnostics::Diagnostics;
use crate::tf::plugin::framework::{
    Applied, Change, ImportResponse, MoveSource, Plan, ReadRequest, ReadResponse, Resource,
};
use crate::tf::plugin::schema::Schema;
use crate::tf::resources::moved;
use crate::tf::values::{
    boolean, opt_text, planned_text, planned_texts, required_text, set, text, texts,
};

use state::{planned_path, recorded, spec_of, state_of};

pub struct SignedArtifactResource;

/// Private state: the job a signing planned for this artifact replaces (its
/// prior's). Terraform hands a replacement's first plan's private state to
/// its second (create) plan, so the create knows the job it replaces (and
/// that it is the same artifact) even though its prior is null.
const REPLACES_KEY: &str = "replaces_job_id";

#[async_trait]
impl Resource<Engine> for SignedArtifactResource {
    fn type_name(&self) -> &'static str {
        "lambdasign_signed_artifact"
    }

    fn schema(&self) -> Schema {
        schema::schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        let path = |name| text(config, name).map(PathBuf::from);
        if let Err(e) =
            engine::check_paths(path(SOURCE_FILE).as_deref(), path(OUTPUT_FILE).as_deref())
        {
            convert::error(diags, "Invalid output_file", &e);
        }
    }

    async fn plan(&self, engine: &Engine, plan: &mut Plan) {
        let prior = recorded(&plan.prior).filter(|_| !plan.prior.is_null());
        let replacing = plan.replacing_of(engine::REPLACE_ON_CHANGE);
        let planned = &plan.planned;
        let change = ArtifactChange {
            prior: prior.as_ref(),
            prior_source_sha384: text(&plan.prior, SOURCE_SHA384),
            source_file: planned_path(planned, SOURCE_FILE),
            profile_name: match planned_text(planned, PROFILE_NAME) {
                Planned::Known(Some(name)) => Planned::Known(name),
                _ => Planned::Unknown,
            },
            profile_owner: planned_text(planned, PROFILE_OWNER),
            verify_against: planned_texts(planned, VERIFY_AGAINST),
            renew_before: text(planned, RENEW_BEFORE).and_then(|r| parse_duration(&r).ok()),
            prior_output_file: text(&plan.prior, OUTPUT_FILE).map(PathBuf::from),
            output_file: planned_path(planned, OUTPUT_FILE),
            replacing,
            replaces: plan.private.get::<String>(REPLACES_KEY),
        };
        let outcome = engine::plan(engine, &change).await;
        let signs = outcome.signs(&change);
        let digest = match &outcome.source_sha384 {
            Planned::Known(Some(digest)) => Value::string(digest.as_str()),
            Planned::Known(None) => Value::Null,
            Planned::Unknown => Value::unknown(),
        };
        convert::report(outcome.report, &mut plan.diagnostics);
        set(&mut plan.planned, SOURCE_SHA384, digest);
        for reason in &outcome.resign {
            plan.replace_because(reason);
        }
        if signs {
            for name in engine::PRODUCED {
                set(&mut plan.planned, name, Value::unknown());
            }
        } else {
            convert::plan_verified(&mut plan.planned, VERIFIED, outcome.checked);
        }
        // The token is derived at apply from what is signed (so an apply
        // retried after a crash finds its job); it names the job replaced,
        // also when Terraform replaces the artifact on its own (`-replace`,
        // a taint), whose create step plans with a null prior.
        if let Some(prior) = &prior {
            plan.private.set(REPLACES_KEY, &prior.job.job_id);
        }
    }

    async fn create(&self, engine: &Engine, change: Change) -> Applied {
        let mut applied = Applied {
            private: change.private.clone(),
            ..Applied::default()
        };
        let Some(spec) = spec_of(&change.planned, &mut applied.diagnostics) else {
            return applied;
        };
        let replaces = change.private.get::<String>(REPLACES_KEY);
        let mut base = change.planned.clone();
        if let ObjectLocation::File(source) = &spec.source {
            // The digest of what was signed, when the plan could not read it.
            if !base.get_attr(SOURCE_SHA384).is_some_and(Value::is_known) {
                let digest = engine::source_digest(source).await;
                set(&mut base, SOURCE_SHA384, opt_text(digest.as_deref()));
            }
        }
        let source_sha384 = text(&base, SOURCE_SHA384).unwrap_or_default();
        let token = engine::signing_token(&spec, &source_sha384, replaces.as_deref());
        match engine::create(engine, &spec, &token, replaces.as_deref()).await {
            Ok(created) => {
                set(&mut base, VERIFIED, true);
                applied.state = state_of(&created.signed, &base);
                convert::warnings(
                    "Signed output taken over from another signing job",
                    &created.warnings,
                    &mut applied.diagnostics,
                );
            }
            Err(failed) => {
                convert::error(
                    &mut applied.diagnostics,
                    "Cannot sign the artifact",
                    &failed.error,
                );
                // The job exists from here on: its state is kept so it is not orphaned.
                if let Some(signed) = failed.made {
                    set(&mut base, VERIFIED, false);
                    applied.state = state_of(&signed, &base);
                }
            }
        }
        applied
    }

    async fn read(&self, engine: &Engine, request: ReadRequest) -> ReadResponse {
        let mut response = ReadResponse {
            private: request.private,
            ..ReadResponse::default()
        };
        let state = &request.current_state;
        let Some(job_id) = required_text(state, JOB_ID, &mut response.diagnostics) else {
            response.new_state = request.current_state;
            return response;
        };
        let output = text(state, OUTPUT_FILE).map(PathBuf::from);
        match engine::read(engine, &job_id, output.as_deref()).await {
            Ok(Some(signed)) => response.new_state = state_of(&signed, state),
            Ok(None) => {}
            Err(e) => {
                convert::error(&mut response.diagnostics, "Cannot read the signing job", &e);
                response.new_state = request.current_state;
            }
        }
        response
    }

    async fn update(&self, engine: &Engine, change: Change) -> Applied {
        // In place: only how the artifact is checked changed.
        let mut applied = Applied {
            private: change.private,
            state: change.planned.clone(),
            ..Applied::default()
        };
        let Some(signed) = recorded(&change.prior) else {
            applied.state = change.prior;
            applied.diagnostics.error(
                "Missing signing job",
                "The state records no signing job to keep.",
            );
            return applied;
        };
        let cscs = texts(&change.planned, VERIFY_AGAINST).unwrap_or_default();
        let verified = engine::update(engine, &signed, &cscs).await;
        if let Err(e) = &verified {
            convert::error(
                &mut applied.diagnostics,
                "The signed artifact fails verification",
                e,
            );
        }
        set(&mut applied.state, VERIFIED, verified.is_ok());
        applied
    }

    async fn delete(&self, engine: &Engine, change: Change) -> Applied {
        let mut applied = Applied {
            private: change.private,
            ..Applied::default()
        };
        let Some(signed) = recorded(&change.prior) else {
            required_text(&change.prior, JOB_ID, &mut applied.diagnostics);
            return applied;
        };
        let output = text(&change.prior, OUTPUT_FILE).map(PathBuf::from);
        let revoke = boolean(&change.prior, REVOKE_ON_DESTROY) == Some(true);
        match engine::delete(engine, &signed, output.as_deref(), revoke).await {
            Ok(warnings) => convert::warnings(
                "Signed output not removed",
                &warnings,
                &mut applied.diagnostics,
            ),
            Err(e) => convert::error(
                &mut applied.diagnostics,
                "Cannot destroy the signed artifact",
                &e,
            ),
        }
        applied
    }

    async fn import(&self, engine: &Engine, id: &str) -> ImportResponse {
        let mut response = ImportResponse::default();
        let signed = match engine::import(engine, id).await {
            Ok(signed) => signed,
            Err(e) => {
                convert::error(
                    &mut response.diagnostics,
                    "Cannot import the signing job",
                    &e,
                );
                return response;
            }
        };
        response.state = state::imported(engine, &signed).await;
        response
    }

    fn move_from(&self, source: &MoveSource<'_>, diags: &mut Diagnostics) -> Option<Value> {
        let aws = moved::aws_state(source, state::AWS_SIGNING_JOB, self.type_name(), diags)?;
        state::moved(aws, diags)
    }
}
