//! `lambdasign_signing_profile`: schema and translation for
//! `engine::signing_profile`.

mod schema;
mod state;

use async_trait::async_trait;

use crate::domain::profile::{platform, ProfileStatus, LAMBDA_PLATFORM};
use crate::domain::tags;
use crate::engine::signing_profile::{self as engine, field::*, ProfileChange};
use crate::engine::{Engine, Planned};
use crate::tf::convert;
use crate::tf::plugin::cty::Value;
use crate::tf::plugin::diagnostics::Diagnostics;
use crate::tf::plugin::framework::{
    Applied, Change, ImportResponse, MoveSource, Plan, ReadRequest, ReadResponse, Resource,
};
use crate::tf::plugin::schema::Schema;
use crate::tf::resources::moved;
use crate::tf::values::{block, integer, map, planned_text, required_text, set, text, text_map};

use state::{recorded, revocation_of, spec_of, state_of};

pub struct SigningProfileResource;

#[async_trait]
impl Resource<Engine> for SigningProfileResource {
    fn type_name(&self) -> &'static str {
        "lambdasign_signing_profile"
    }

    fn schema(&self) -> Schema {
        schema::schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        let Some(validity) = block(config, SIGNATURE_VALIDITY) else {
            return;
        };
        if let (Some(value), Some(unit)) = (integer(validity, VALUE), text(validity, TYPE)) {
            if let Err(e) = engine::check_validity(value, &unit) {
                convert::error(diags, "Invalid signature_validity", &e);
            }
        }
    }

    async fn plan(&self, engine: &Engine, plan: &mut Plan) {
        let replacing = plan.replacing_of(engine::REPLACE_ON_CHANGE);
        let planned = &mut plan.planned;
        if planned.get_attr(PLATFORM_ID).is_some_and(Value::is_null) {
            set(planned, PLATFORM_ID, LAMBDA_PLATFORM);
        }
        if let Some(id) = text(planned, PLATFORM_ID) {
            let display = platform(&id).map_or(id.clone(), |p| p.display_name.to_string());
            set(planned, PLATFORM_DISPLAY_NAME, display);
        }
        match text_map(planned, TAGS) {
            Some(own) => set(
                planned,
                TAGS_ALL,
                map(&tags::effective(engine.default_tags(), &own)),
            ),
            None => set(planned, TAGS_ALL, Value::unknown()),
        }
        let prior = recorded(&plan.prior);
        let fixed_name = match planned_text(&plan.config, NAME) {
            Planned::Known(Some(name)) => Some(Planned::Known(name)),
            Planned::Unknown => Some(Planned::Unknown),
            Planned::Known(None) => None,
        };
        let planned = &plan.planned;
        let change = ProfileChange {
            prior: prior.as_ref().filter(|_| !plan.prior.is_null()),
            prior_revocation: match revocation_of(&plan.prior) {
                Planned::Known(r) => r,
                Planned::Unknown => None,
            },
            fixed_name,
            platform_id: match planned_text(planned, PLATFORM_ID) {
                Planned::Known(Some(id)) => Planned::Known(id),
                _ => Planned::Unknown,
            },
            certificate_arn: block(planned, SIGNING_MATERIAL).map(|m| {
                match text(m, CERTIFICATE_ARN) {
                    Some(arn) => Planned::Known(arn),
                    None => Planned::Unknown,
                }
            }),
            replacing,
            revocation: revocation_of(planned),
        };
        let outcome = engine::plan(engine, &change).await;
        convert::report(outcome.report, &mut plan.diagnostics);
        let planned = &mut plan.planned;
        match (
            outcome.status,
            plan.prior.is_null() || !plan.requires_replace.is_empty(),
        ) {
            (Some(status), _) => set(planned, STATUS, status.as_str()),
            (None, true) => set(planned, STATUS, ProfileStatus::Active.as_str()),
            (None, false) => {}
        }
        if !plan.prior.is_null() && planned.get_attr(REVOCATION) != plan.prior.get_attr(REVOCATION)
        {
            set(planned, REVOCATION_RECORD, Value::unknown());
        }
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
            Ok(profile) => applied.state = state_of(engine, &profile, &change.planned),
            Err(failed) => {
                convert::error(
                    &mut applied.diagnostics,
                    "Cannot create the signing profile",
                    &failed.error,
                );
                if let Some(profile) = failed.made {
                    // The profile exists: keep it (without the revocation) so it is not orphaned.
                    let mut base = change.planned.clone();
                    set(&mut base, REVOCATION, Value::Null);
                    applied.state = state_of(engine, &profile, &base);
                }
            }
        }
        applied
    }

    async fn read(&self, engine: &Engine, request: ReadRequest) -> ReadResponse {
        let key = |state: &Value, diags: &mut Diagnostics| required_text(state, NAME, diags);
        let read = |name: String| async move { engine::read(engine, &name).await };
        let state = |profile: &_, base: &Value| state_of(engine, profile, base);
        convert::refresh(request, "Cannot read the signing profile", key, read, state).await
    }

    async fn update(&self, engine: &Engine, change: Change) -> Applied {
        let mut applied = Applied {
            private: change.private,
            state: change.prior.clone(),
            ..Applied::default()
        };
        let (Some(spec), Some(prior)) = (
            spec_of(&change.planned, &mut applied.diagnostics),
            recorded(&change.prior),
        ) else {
            return applied;
        };
        let current = match engine::read(engine, &prior.name).await {
            Ok(Some(current)) => current,
            Ok(None) => {
                applied.diagnostics.error(
                    "Signing profile gone",
                    format!(
                        "Signing profile {} no longer exists or was canceled.",
                        prior.name
                    ),
                );
                return applied;
            }
            Err(e) => {
                convert::error(
                    &mut applied.diagnostics,
                    "Cannot read the signing profile",
                    &e,
                );
                return applied;
            }
        };
        match engine::update(engine, &current, &spec).await {
            Ok(profile) => applied.state = state_of(engine, &profile, &change.planned),
            Err(failed) => {
                convert::error(
                    &mut applied.diagnostics,
                    "Cannot update the signing profile",
                    &failed.error,
                );
                if let Some(profile) = failed.made {
                    applied.state = state_of(engine, &profile, &change.prior);
                }
            }
        }
        applied
    }

    async fn delete(&self, engine: &Engine, change: Change) -> Applied {
        let key = |state: &Value, diags: &mut Diagnostics| required_text(state, NAME, diags);
        let delete = |name: String| async move { engine::delete(engine, &name).await };
        convert::delete(change, "Cannot cancel the signing profile", key, delete).await
    }

    async fn import(&self, engine: &Engine, id: &str) -> ImportResponse {
        convert::imported(
            engine::import(engine, id).await,
            "Cannot import the signing profile",
            |profile| state_of(engine, &profile, &Value::Null),
        )
    }

    fn move_from(&self, source: &MoveSource<'_>, diags: &mut Diagnostics) -> Option<Value> {
        let aws = moved::aws_state(
            source,
            "aws_signer_signing_profile",
            self.type_name(),
            diags,
        )?;
        state::moved(aws, diags)
    }
}
