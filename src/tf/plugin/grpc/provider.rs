//! The tfplugin6 `Provider` service: decodes each request with the right
//! schema, dispatches to the registered resource, data source or function,
//! and encodes the answer with its diagnostics.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use tonic::{Request, Response, Status};

use super::convert;
use crate::tf::plugin::cty::{Type, Value};
use crate::tf::plugin::diagnostics::Diagnostics;
use crate::tf::plugin::framework::{
    Change, DataSource, Function, MoveSource, Provider, ReadRequest, Resource,
};
use crate::tf::plugin::lifecycle;
use crate::tf::plugin::plan::PrivateState;
use crate::tf::plugin::proto::tfplugin6 as pb;
use crate::tf::plugin::proto::tfplugin6::provider_server::Provider as ProviderRpc;
use crate::tf::plugin::schema::Schema;

/// A registered resource or data source with its schema computed once.
struct Registered<T: ?Sized> {
    schema: Schema,
    ty: Type,
    item: Box<T>,
}

impl<T: ?Sized> Registered<T> {
    fn new(schema: Schema, item: Box<T>) -> Self {
        let ty = schema.value_type();
        Registered { schema, ty, item }
    }
}

pub struct ProviderService<P: Provider> {
    provider: P,
    provider_schema: Schema,
    resources: BTreeMap<&'static str, Registered<dyn Resource<P::Client>>>,
    data_sources: BTreeMap<&'static str, Registered<dyn DataSource<P::Client>>>,
    functions: BTreeMap<&'static str, Box<dyn Function>>,
    client: RwLock<Option<Arc<P::Client>>>,
}

impl<P: Provider> ProviderService<P> {
    pub fn new(provider: P) -> Self {
        let resources = provider
            .resources()
            .into_iter()
            .map(|r| (r.type_name(), Registered::new(r.schema(), r)))
            .collect();
        let data_sources = provider
            .data_sources()
            .into_iter()
            .map(|d| (d.type_name(), Registered::new(d.schema(), d)))
            .collect();
        let functions = provider
            .functions()
            .into_iter()
            .map(|f| (f.name(), f))
            .collect();
        ProviderService {
            provider_schema: provider.schema(),
            provider,
            resources,
            data_sources,
            functions,
            client: RwLock::new(None),
        }
    }

    fn resource(
        &self,
        type_name: &str,
        diags: &mut Diagnostics,
    ) -> Option<&Registered<dyn Resource<P::Client>>> {
        let found = self.resources.get(type_name);
        if found.is_none() {
            diags.error(
                "Unknown resource type",
                format!("This provider has no resource type {type_name:?}."),
            );
        }
        found
    }

    fn data_source(
        &self,
        type_name: &str,
        diags: &mut Diagnostics,
    ) -> Option<&Registered<dyn DataSource<P::Client>>> {
        let found = self.data_sources.get(type_name);
        if found.is_none() {
            diags.error(
                "Unknown data source type",
                format!("This provider has no data source {type_name:?}."),
            );
        }
        found
    }

    fn client(&self, diags: &mut Diagnostics) -> Option<Arc<P::Client>> {
        let client = self.client.read().ok().and_then(|c| c.clone());
        if client.is_none() {
            diags.error(
                "Provider not configured",
                "The provider configuration is missing or invalid, so it cannot act on resources. Check the provider block and the errors above.",
            );
        }
        client
    }
}

type RpcResult<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl<P: Provider> ProviderRpc for ProviderService<P> {
    async fn get_metadata(
        &self,
        _request: Request<pb::get_metadata::Request>,
    ) -> RpcResult<pb::get_metadata::Response> {
        use pb::get_metadata as m;
        Ok(Response::new(m::Response {
            server_capabilities: Some(capabilities()),
            diagnostics: Vec::new(),
            data_sources: self
                .data_sources
                .keys()
                .map(|name| m::DataSourceMetadata {
                    type_name: name.to_string(),
                })
                .collect(),
            resources: self
                .resources
                .keys()
                .map(|name| m::ResourceMetadata {
                    type_name: name.to_string(),
                })
                .collect(),
            functions: self
                .functions
                .keys()
                .map(|name| m::FunctionMetadata {
                    name: name.to_string(),
                })
                .collect(),
            ephemeral_resources: Vec::new(),
        }))
    }

    async fn get_provider_schema(
        &self,
        _request: Request<pb::get_provider_schema::Request>,
    ) -> RpcResult<pb::get_provider_schema::Response> {
        Ok(Response::new(pb::get_provider_schema::Response {
            provider: Some(convert::schema(&self.provider_schema)),
            resource_schemas: self
                .resources
                .iter()
                .map(|(name, r)| (name.to_string(), convert::schema(&r.schema)))
                .collect(),
            data_source_schemas: self
                .data_sources
                .iter()
                .map(|(name, d)| (name.to_string(), convert::schema(&d.schema)))
                .collect(),
            functions: self.function_definitions(),
            ephemeral_resource_schemas: Default::default(),
            diagnostics: Vec::new(),
            provider_meta: None,
            server_capabilities: Some(capabilities()),
        }))
    }

    async fn validate_provider_config(
        &self,
        request: Request<pb::validate_provider_config::Request>,
    ) -> RpcResult<pb::validate_provider_config::Response> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        let ty = self.provider_schema.value_type();
        if let Some(config) = convert::decode(
            request.config.as_ref(),
            &ty,
            "provider configuration",
            &mut diags,
        ) {
            diags.extend(self.provider.validate(&config));
        }
        Ok(Response::new(pb::validate_provider_config::Response {
            diagnostics: convert::diagnostics(diags),
        }))
    }

    async fn validate_resource_config(
        &self,
        request: Request<pb::validate_resource_config::Request>,
    ) -> RpcResult<pb::validate_resource_config::Response> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        if let Some(resource) = self.resource(&request.type_name, &mut diags) {
            if let Some(config) = convert::decode(
                request.config.as_ref(),
                &resource.ty,
                "resource configuration",
                &mut diags,
            ) {
                lifecycle::validate(&resource.schema, &config, &mut diags);
                resource.item.validate(&config, &mut diags);
            }
        }
        Ok(Response::new(pb::validate_resource_config::Response {
            diagnostics: convert::diagnostics(diags),
        }))
    }

    async fn validate_data_resource_config(
        &self,
        request: Request<pb::validate_data_resource_config::Request>,
    ) -> RpcResult<pb::validate_data_resource_config::Response> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        if let Some(data_source) = self.data_source(&request.type_name, &mut diags) {
            if let Some(config) = convert::decode(
                request.config.as_ref(),
                &data_source.ty,
                "data source configuration",
                &mut diags,
            ) {
                lifecycle::validate(&data_source.schema, &config, &mut diags);
                data_source.item.validate(&config, &mut diags);
            }
        }
        Ok(Response::new(pb::validate_data_resource_config::Response {
            diagnostics: convert::diagnostics(diags),
        }))
    }

    /// Every schema is still at version 0, so upgrading is re-reading the
    /// stored JSON with the current schema and answering it as msgpack.
    async fn upgrade_resource_state(
        &self,
        request: Request<pb::upgrade_resource_state::Request>,
    ) -> RpcResult<pb::upgrade_resource_state::Response> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        let mut upgraded_state = None;
        if let Some(resource) = self.resource(&request.type_name, &mut diags) {
            let raw = request.raw_state.unwrap_or_default();
            if raw.json.is_empty() && !raw.flatmap.is_empty() {
                diags.error(
                    "Unsupported state format",
                    "This state was written in the legacy flatmap format, which this provider never wrote.",
                );
            } else if request.version > resource.schema.version {
                diags.error(
                    "State from a newer provider",
                    format!(
                        "The state has schema version {}, but this provider knows only up to {}. Upgrade the provider.",
                        request.version, resource.schema.version
                    ),
                );
            } else {
                let json = pb::DynamicValue {
                    msgpack: Vec::new(),
                    json: raw.json,
                };
                if let Some(state) =
                    convert::decode(Some(&json), &resource.ty, "stored state", &mut diags)
                {
                    upgraded_state =
                        convert::encode(&state, &resource.ty, "upgraded state", &mut diags);
                }
            }
        }
        Ok(Response::new(pb::upgrade_resource_state::Response {
            upgraded_state,
            diagnostics: convert::diagnostics(diags),
        }))
    }

    async fn configure_provider(
        &self,
        request: Request<pb::configure_provider::Request>,
    ) -> RpcResult<pb::configure_provider::Response> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        let ty = self.provider_schema.value_type();
        tracing::debug!(terraform_version = %request.terraform_version, "configuring provider");
        if let Some(config) = convert::decode(
            request.config.as_ref(),
            &ty,
            "provider configuration",
            &mut diags,
        ) {
            let client = self.provider.configure(&config, &mut diags).await;
            if let (Some(client), Ok(mut slot)) = (client, self.client.write()) {
                *slot = Some(Arc::new(client));
            }
        }
        Ok(Response::new(pb::configure_provider::Response {
            diagnostics: convert::diagnostics(diags),
        }))
    }

    async fn read_resource(
        &self,
        request: Request<pb::read_resource::Request>,
    ) -> RpcResult<pb::read_resource::Response> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        let mut response = pb::read_resource::Response::default();
        if let (Some(resource), Some(client)) = (
            self.resource(&request.type_name, &mut diags),
            self.client(&mut diags),
        ) {
            if let Some(current_state) = convert::decode(
                request.current_state.as_ref(),
                &resource.ty,
                "current state",
                &mut diags,
            ) {
                let read = resource
                    .item
                    .read(
                        &client,
                        ReadRequest {
                            current_state,
                            private: request.private,
                        },
                    )
                    .await;
                diags.extend(read.diagnostics);
                response.new_state =
                    convert::encode(&read.new_state, &resource.ty, "refreshed state", &mut diags);
                response.private = read.private;
            }
        }
        response.diagnostics = convert::diagnostics(diags);
        Ok(Response::new(response))
    }

    async fn plan_resource_change(
        &self,
        request: Request<pb::plan_resource_change::Request>,
    ) -> RpcResult<pb::plan_resource_change::Response> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        let mut response = pb::plan_resource_change::Response::default();
        if let Some(resource) = self.resource(&request.type_name, &mut diags) {
            let ty = &resource.ty;
            let prior =
                convert::decode(request.prior_state.as_ref(), ty, "prior state", &mut diags);
            let proposed = convert::decode(
                request.proposed_new_state.as_ref(),
                ty,
                "proposed state",
                &mut diags,
            );
            let config = convert::decode(request.config.as_ref(), ty, "configuration", &mut diags);
            if let (Some(prior_state), Some(proposed_state), Some(config)) =
                (prior, proposed, config)
            {
                if proposed_state.is_null() {
                    // Destroy: nothing to plan beyond Terraform's own decision.
                    response.planned_state =
                        convert::encode(&Value::Null, ty, "planned state", &mut diags);
                    response.planned_private = request.prior_private;
                } else if let Some(client) = self.client(&mut diags) {
                    let plan = lifecycle::plan(
                        resource.item.as_ref(),
                        &resource.schema,
                        &client,
                        prior_state,
                        proposed_state,
                        config,
                        &request.prior_private,
                    )
                    .await;
                    diags.extend(plan.diagnostics);
                    response.planned_state =
                        convert::encode(&plan.planned, ty, "planned state", &mut diags);
                    response.requires_replace = plan
                        .requires_replace
                        .iter()
                        .map(convert::attribute_path)
                        .collect();
                    response.planned_private = plan.private.to_bytes();
                }
            }
        }
        response.diagnostics = convert::diagnostics(diags);
        Ok(Response::new(response))
    }

    async fn apply_resource_change(
        &self,
        request: Request<pb::apply_resource_change::Request>,
    ) -> RpcResult<pb::apply_resource_change::Response> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        let mut response = pb::apply_resource_change::Response::default();
        if let (Some(resource), Some(client)) = (
            self.resource(&request.type_name, &mut diags),
            self.client(&mut diags),
        ) {
            let ty = &resource.ty;
            let prior =
                convert::decode(request.prior_state.as_ref(), ty, "prior state", &mut diags);
            let planned = convert::decode(
                request.planned_state.as_ref(),
                ty,
                "planned state",
                &mut diags,
            );
            if let (Some(prior_state), Some(planned_state)) = (prior, planned) {
                let change = Change {
                    prior: prior_state,
                    planned: planned_state,
                    private: PrivateState::from_bytes(&request.planned_private),
                };
                let applied = lifecycle::apply(resource.item.as_ref(), &client, change).await;
                diags.extend(applied.diagnostics);
                response.new_state = convert::encode(&applied.state, ty, "new state", &mut diags);
                response.private = applied.private.to_bytes();
            }
        }
        response.diagnostics = convert::diagnostics(diags);
        Ok(Response::new(response))
    }

    async fn import_resource_state(
        &self,
        request: Request<pb::import_resource_state::Request>,
    ) -> RpcResult<pb::import_resource_state::Response> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        let mut response = pb::import_resource_state::Response::default();
        if let (Some(resource), Some(client)) = (
            self.resource(&request.type_name, &mut diags),
            self.client(&mut diags),
        ) {
            let imported = resource.item.import(&client, &request.id).await;
            diags.extend(imported.diagnostics);
            if !diags.has_errors() {
                if let Some(state) =
                    convert::encode(&imported.state, &resource.ty, "imported state", &mut diags)
                {
                    response
                        .imported_resources
                        .push(pb::import_resource_state::ImportedResource {
                            type_name: request.type_name,
                            state: Some(state),
                            private: imported.private,
                        });
                }
            }
        }
        response.diagnostics = convert::diagnostics(diags);
        Ok(Response::new(response))
    }

    /// `moved` across resource types (from the AWS provider's): the target
    /// type builds its state from the source's stored JSON; attributes it
    /// leaves out are null, for the refresh to fill.
    async fn move_resource_state(
        &self,
        request: Request<pb::move_resource_state::Request>,
    ) -> RpcResult<pb::move_resource_state::Response> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        let mut target_state = None;
        if let Some(resource) = self.resource(&request.target_type_name, &mut diags) {
            let raw = request.source_state.unwrap_or_default();
            match serde_json::from_slice::<serde_json::Value>(&raw.json) {
                Ok(state) => {
                    let source = MoveSource {
                        provider: &request.source_provider_address,
                        type_name: &request.source_type_name,
                        schema_version: request.source_schema_version,
                        state: &state,
                    };
                    if let Some(moved) = resource.item.move_from(&source, &mut diags) {
                        let complete = with_nulls(moved, &resource.ty);
                        target_state =
                            convert::encode(&complete, &resource.ty, "moved state", &mut diags);
                    }
                }
                Err(e) => diags.error(
                    "Unreadable source state",
                    format!(
                        "The stored state of {} is not JSON: {e}",
                        request.source_type_name
                    ),
                ),
            }
        }
        Ok(Response::new(pb::move_resource_state::Response {
            target_state,
            diagnostics: convert::diagnostics(diags),
            target_private: Vec::new(),
        }))
    }

    async fn read_data_source(
        &self,
        request: Request<pb::read_data_source::Request>,
    ) -> RpcResult<pb::read_data_source::Response> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        let mut response = pb::read_data_source::Response::default();
        if let (Some(data_source), Some(client)) = (
            self.data_source(&request.type_name, &mut diags),
            self.client(&mut diags),
        ) {
            if let Some(config) = convert::decode(
                request.config.as_ref(),
                &data_source.ty,
                "configuration",
                &mut diags,
            ) {
                let read = data_source.item.read(&client, config).await;
                diags.extend(read.diagnostics);
                response.state = convert::encode(
                    &read.state,
                    &data_source.ty,
                    "data source state",
                    &mut diags,
                );
            }
        }
        response.diagnostics = convert::diagnostics(diags);
        Ok(Response::new(response))
    }

    async fn validate_ephemeral_resource_config(
        &self,
        _request: Request<pb::validate_ephemeral_resource_config::Request>,
    ) -> RpcResult<pb::validate_ephemeral_resource_config::Response> {
        Err(Status::unimplemented(
            "this provider has no ephemeral resources",
        ))
    }

    async fn open_ephemeral_resource(
        &self,
        _request: Request<pb::open_ephemeral_resource::Request>,
    ) -> RpcResult<pb::open_ephemeral_resource::Response> {
        Err(Status::unimplemented(
            "this provider has no ephemeral resources",
        ))
    }

    async fn renew_ephemeral_resource(
        &self,
        _request: Request<pb::renew_ephemeral_resource::Request>,
    ) -> RpcResult<pb::renew_ephemeral_resource::Response> {
        Err(Status::unimplemented(
            "this provider has no ephemeral resources",
        ))
    }

    async fn close_ephemeral_resource(
        &self,
        _request: Request<pb::close_ephemeral_resource::Request>,
    ) -> RpcResult<pb::close_ephemeral_resource::Response> {
        Err(Status::unimplemented(
            "this provider has no ephemeral resources",
        ))
    }

    async fn get_functions(
        &self,
        _request: Request<pb::get_functions::Request>,
    ) -> RpcResult<pb::get_functions::Response> {
        Ok(Response::new(pb::get_functions::Response {
            functions: self.function_definitions(),
            diagnostics: Vec::new(),
        }))
    }

    async fn call_function(
        &self,
        request: Request<pb::call_function::Request>,
    ) -> RpcResult<pb::call_function::Response> {
        let request = request.into_inner();
        let response = match self.call(&request.name, &request.arguments).await {
            Ok(result) => pb::call_function::Response {
                result: Some(result),
                error: None,
            },
            Err(error) => pb::call_function::Response {
                result: None,
                error: Some(error),
            },
        };
        Ok(Response::new(response))
    }

    async fn stop_provider(
        &self,
        _request: Request<pb::stop_provider::Request>,
    ) -> RpcResult<pb::stop_provider::Response> {
        tracing::info!("Terraform asked the provider to stop");
        Ok(Response::new(pb::stop_provider::Response {
            error: String::new(),
        }))
    }
}

impl<P: Provider> ProviderService<P> {
    fn function_definitions(&self) -> std::collections::HashMap<String, pb::Function> {
        self.functions
            .iter()
            .map(|(name, f)| (name.to_string(), convert::function(&f.signature())))
            .collect()
    }

    async fn call(
        &self,
        name: &str,
        arguments: &[pb::DynamicValue],
    ) -> Result<pb::DynamicValue, pb::FunctionError> {
        let function_error = |text: String, argument: Option<usize>| pb::FunctionError {
            text,
            function_argument: argument.and_then(|i| i64::try_from(i).ok()),
        };
        let function = self.functions.get(name).ok_or_else(|| {
            function_error(format!("this provider has no function {name:?}"), None)
        })?;
        let signature = function.signature();
        if arguments.len() != signature.parameters.len() {
            return Err(function_error(
                format!(
                    "{name} takes {} argument(s), got {}",
                    signature.parameters.len(),
                    arguments.len()
                ),
                None,
            ));
        }
        let mut values = Vec::with_capacity(arguments.len());
        for (index, (argument, parameter)) in
            arguments.iter().zip(&signature.parameters).enumerate()
        {
            let mut diags = Diagnostics::new();
            match convert::decode(
                Some(argument),
                &parameter.ty,
                "function argument",
                &mut diags,
            ) {
                Some(value) => values.push(value),
                None => {
                    return Err(function_error(
                        format!("cannot read argument {:?}", parameter.name),
                        Some(index),
                    ))
                }
            }
        }
        let result = function
            .call(values)
            .await
            .map_err(|e| function_error(e.text, e.argument))?;
        let mut diags = Diagnostics::new();
        convert::encode(
            &result,
            &signature.return_type,
            "function result",
            &mut diags,
        )
        .ok_or_else(|| function_error(format!("{name} produced a result of the wrong type"), None))
    }
}

/// A moved object with every attribute of `ty`: those left out are null.
fn with_nulls(value: Value, ty: &Type) -> Value {
    let (Value::Object(mut attrs), Type::Object { attrs: types, .. }) = (value, ty) else {
        return Value::Null;
    };
    for name in types.keys() {
        attrs.entry(name.clone()).or_insert(Value::Null);
    }
    Value::Object(attrs)
}

/// `get_provider_schema_optional`: every schema is built when the service
/// is, so Terraform's later provider processes in one command skip
/// GetProviderSchema (it caches the first one's answer) and ask
/// GetMetadata for the type names.
fn capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: false,
        get_provider_schema_optional: true,
        move_resource_state: true,
    }
}
