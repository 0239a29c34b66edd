//! `lambdasign_internal_echo`: a test-only resource (debug builds only, never
//! registered in release builds) that keeps its state in Terraform alone. It
//! exercises the plugin's whole lifecycle without a backend: computed
//! values, replacement, in-place update, import and validation.

use async_trait::async_trait;

use crate::engine::rules::FieldRule;
use crate::engine::Engine;
use crate::tf::plugin::cty::{Type, Value};
use crate::tf::plugin::framework::{
    Applied, Change, ImportResponse, ReadRequest, ReadResponse, Resource,
};
use crate::tf::plugin::schema::{Attribute, Schema};
use crate::tf::values::{set, text, Object};

pub struct InternalEcho;

const ID_PREFIX: &str = "echo-";

fn non_empty(text: &str) -> Result<(), crate::domain::names::Invalid> {
    if text.is_empty() {
        Err(crate::domain::names::Invalid(
            "`name` must not be empty".into(),
        ))
    } else {
        Ok(())
    }
}

const RULES: &[FieldRule] = &[FieldRule::text(&["name"], non_empty)];

#[async_trait]
impl Resource<Engine> for InternalEcho {
    fn type_name(&self) -> &'static str {
        "lambdasign_internal_echo"
    }

    fn schema(&self) -> Schema {
        Schema::new("Internal test resource; not part of the provider's interface.")
            .attribute(
                Attribute::required("name", Type::String)
                    .describe("Changing it replaces the resource."),
            )
            .attribute(Attribute::optional("value", Type::String).describe("Updated in place."))
            .attribute(Attribute::computed("id", Type::String).describe("`echo-<name>`."))
            .replace_on_change(&["name"])
            .rules(RULES, &[])
    }

    async fn create(&self, _engine: &Engine, change: Change) -> Applied {
        let mut state = change.planned;
        let id = format!("{ID_PREFIX}{}", text(&state, "name").unwrap_or_default());
        set(&mut state, "id", id);
        Applied {
            state,
            private: change.private,
            ..Applied::default()
        }
    }

    async fn read(&self, _engine: &Engine, request: ReadRequest) -> ReadResponse {
        ReadResponse {
            new_state: request.current_state,
            private: request.private,
            ..ReadResponse::default()
        }
    }

    async fn update(&self, _engine: &Engine, change: Change) -> Applied {
        Applied {
            state: change.planned,
            private: change.private,
            ..Applied::default()
        }
    }

    async fn delete(&self, _engine: &Engine, change: Change) -> Applied {
        Applied {
            private: change.private,
            ..Applied::default()
        }
    }

    async fn import(&self, _engine: &Engine, id: &str) -> ImportResponse {
        let mut response = ImportResponse::default();
        match id.strip_prefix(ID_PREFIX).filter(|n| !n.is_empty()) {
            Some(name) => {
                response.state = Object::new()
                    .set("name", name)
                    .set("value", Value::Null)
                    .set("id", id)
                    .build();
            }
            None => response.diagnostics.error(
                "Invalid import ID",
                format!("Expected `{ID_PREFIX}<name>`, got {id:?}."),
            ),
        }
        response
    }
}
