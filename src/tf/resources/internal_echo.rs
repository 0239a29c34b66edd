//! `lambdasign_internal_echo`: a test-only resource (debug builds only, never
//! registered in release builds) that keeps its state in Terraform alone. It
//! exercises the plugin's whole lifecycle before the real resources exist:
//! computed values, replacement, in-place update, import and validation.

use std::collections::BTreeMap;

use async_trait::async_trait;

use crate::tf::plugin::cty::{Type, Value};
use crate::tf::plugin::diagnostics::{AttributePath, Diagnostics};
use crate::tf::plugin::framework::{
    ApplyRequest, ApplyResponse, ImportResponse, PlanRequest, PlanResponse, ReadRequest,
    ReadResponse, Resource,
};
use crate::tf::plugin::plan;
use crate::tf::plugin::schema::{Attribute, Schema};
use crate::tf::provider::Client;

pub struct InternalEcho;

const ID_PREFIX: &str = "echo-";

#[async_trait]
impl Resource<Client> for InternalEcho {
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
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        if let Some(Value::String(name)) = config.get_attr("name") {
            if name.is_empty() {
                diags.error_at(
                    AttributePath::attr("name"),
                    "Empty name",
                    "`name` must not be empty.",
                );
            }
        }
        diags
    }

    async fn plan(&self, _client: &Client, request: PlanRequest) -> PlanResponse {
        let mut planned = request.proposed_state;
        if request.prior_state.is_null() {
            plan::mark_computed_unknown(&self.schema(), &mut planned);
        }
        let requires_replace = if request.prior_state.is_null() {
            Vec::new()
        } else {
            plan::changed_attributes(&request.prior_state, &planned, &["name"])
        };
        PlanResponse {
            planned_state: planned,
            requires_replace,
            planned_private: request.prior_private,
            diagnostics: Diagnostics::new(),
        }
    }

    async fn apply(&self, _client: &Client, request: ApplyRequest) -> ApplyResponse {
        if request.planned_state.is_null() {
            return ApplyResponse::default();
        }
        let mut state = request.planned_state;
        if let Value::Object(attrs) = &mut state {
            let name = attrs
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            attrs.insert("id".into(), Value::string(format!("{ID_PREFIX}{name}")));
        }
        ApplyResponse {
            new_state: state,
            private: request.planned_private,
            diagnostics: Diagnostics::new(),
        }
    }

    async fn read(&self, _client: &Client, request: ReadRequest) -> ReadResponse {
        ReadResponse {
            new_state: request.current_state,
            private: request.private,
            diagnostics: Diagnostics::new(),
        }
    }

    async fn import(&self, _client: &Client, id: &str) -> ImportResponse {
        let mut response = ImportResponse::default();
        match id.strip_prefix(ID_PREFIX).filter(|name| !name.is_empty()) {
            Some(name) => {
                response.state = Value::Object(BTreeMap::from([
                    ("name".to_string(), Value::string(name)),
                    ("value".to_string(), Value::Null),
                    ("id".to_string(), Value::string(id)),
                ]));
            }
            None => response.diagnostics.error(
                "Invalid import ID",
                format!("Expected `{ID_PREFIX}<name>`, got {id:?}."),
            ),
        }
        response
    }
}
