//! The traits a provider implements: one provider with its configuration,
//! resources, data sources and functions. Resource code sees decoded values,
//! schemas and diagnostics only, never protobuf types.

use async_trait::async_trait;

use super::cty::{Type, Value};
use super::diagnostics::{AttributePath, Diagnostics};
use super::schema::Schema;

/// A provider: its configuration schema and the registry of what it offers.
/// `Client` is what configuring yields and every resource call receives
/// (for this project: the backend).
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    type Client: Send + Sync + 'static;

    /// The provider's type name, the prefix of every resource type.
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn validate(&self, config: &Value) -> Diagnostics;
    async fn configure(&self, config: &Value, diags: &mut Diagnostics) -> Option<Self::Client>;
    fn resources(&self) -> Vec<Box<dyn Resource<Self::Client>>>;
    fn data_sources(&self) -> Vec<Box<dyn DataSource<Self::Client>>>;
    fn functions(&self) -> Vec<Box<dyn Function>>;
}

pub struct PlanRequest {
    /// Null when the resource is being created.
    pub prior_state: Value,
    /// Terraform's merge of config and prior state. Null when destroying.
    pub proposed_state: Value,
    pub config: Value,
    pub prior_private: Vec<u8>,
}

#[derive(Default)]
pub struct PlanResponse {
    pub planned_state: Value,
    pub requires_replace: Vec<AttributePath>,
    pub planned_private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

pub struct ApplyRequest {
    /// Null when creating.
    pub prior_state: Value,
    /// Null when destroying.
    pub planned_state: Value,
    pub config: Value,
    pub planned_private: Vec<u8>,
}

#[derive(Default)]
pub struct ApplyResponse {
    /// Null after a successful destroy. After a failed create, whatever was
    /// made must still be returned so nothing is orphaned.
    pub new_state: Value,
    pub private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

pub struct ReadRequest {
    pub current_state: Value,
    pub private: Vec<u8>,
}

#[derive(Default)]
pub struct ReadResponse {
    /// Null when the object no longer exists: Terraform then plans to create it.
    pub new_state: Value,
    pub private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

#[derive(Default)]
pub struct ImportResponse {
    pub state: Value,
    pub private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

/// A managed resource type. Schema, validation and plan logic live next to
/// the CRUD in one file per resource.
#[async_trait]
pub trait Resource<C>: Send + Sync {
    /// Full type name, e.g. `lambdasign_signing_profile`.
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;

    /// Static checks on the configuration (values may be unknown).
    fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    async fn plan(&self, client: &C, request: PlanRequest) -> PlanResponse;
    async fn apply(&self, client: &C, request: ApplyRequest) -> ApplyResponse;
    async fn read(&self, client: &C, request: ReadRequest) -> ReadResponse;
    async fn import(&self, client: &C, id: &str) -> ImportResponse;
}

#[derive(Default)]
pub struct DataSourceResponse {
    pub state: Value,
    pub diagnostics: Diagnostics,
}

/// A data source type.
#[async_trait]
pub trait DataSource<C>: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;

    fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    async fn read(&self, client: &C, config: Value) -> DataSourceResponse;
}

/// One positional parameter of a provider function.
#[derive(Debug, Clone)]
pub struct Parameter {
    pub name: &'static str,
    pub ty: Type,
    pub description: &'static str,
}

#[derive(Debug, Clone)]
pub struct FunctionSignature {
    pub parameters: Vec<Parameter>,
    pub return_type: Type,
    pub summary: &'static str,
    pub description: &'static str,
}

/// A function error, optionally blaming one argument by position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionError {
    pub text: String,
    pub argument: Option<usize>,
}

/// A provider function, called as `provider::<provider>::<name>(...)`.
/// Functions are pure and need no provider configuration.
#[async_trait]
pub trait Function: Send + Sync {
    fn name(&self) -> &'static str;
    fn signature(&self) -> FunctionSignature;
    /// Arguments arrive known, non-null and of the declared types.
    async fn call(&self, arguments: Vec<Value>) -> Result<Value, FunctionError>;
}
