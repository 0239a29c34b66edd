//! The traits a provider implements: one provider with its configuration,
//! resources, data sources and functions. Resource code sees decoded values,
//! schemas and diagnostics only, never protobuf types.

use async_trait::async_trait;

use super::cty::{Type, Value};
use super::diagnostics::{AttributePath, Diagnostics};
use super::plan::PrivateState;
use super::schema::Schema;

/// A provider: its configuration schema and the registry of what it offers.
/// `Client` is what configuring yields and every resource call receives
/// (for this project: the backend).
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    type Client: Send + Sync + 'static;

    fn schema(&self) -> Schema;
    fn validate(&self, config: &Value) -> Diagnostics;
    async fn configure(&self, config: &Value, diags: &mut Diagnostics) -> Option<Self::Client>;
    fn resources(&self) -> Vec<Box<dyn Resource<Self::Client>>>;
    fn data_sources(&self) -> Vec<Box<dyn DataSource<Self::Client>>>;
    fn functions(&self) -> Vec<Box<dyn Function>>;
}

/// One plan step: the server has already carried configuration into
/// `planned`, marked computed values unknown on create, and listed the
/// changes the schema says replace the object; the resource shapes the
/// rest (values it knows at plan time, extra reasons to replace, private
/// state, diagnostics).
pub struct Plan {
    /// Null when the object is being created.
    pub prior: Value,
    pub config: Value,
    pub planned: Value,
    pub requires_replace: Vec<AttributePath>,
    pub private: PrivateState,
    pub diagnostics: Diagnostics,
}

impl Plan {
    pub fn is_create(&self) -> bool {
        self.prior.is_null()
    }

    /// Whether a replacement (or a creation) is planned so far.
    pub fn makes_new(&self) -> bool {
        self.is_create() || !self.requires_replace.is_empty()
    }

    /// Adds a reason to replace the object.
    pub fn replace_because(&mut self, name: &str) {
        let path = AttributePath::attr(name);
        if !self.requires_replace.contains(&path) {
            self.requires_replace.push(path);
        }
    }

    /// The top-level names whose change replaces the object, so far.
    pub fn replacing(&self) -> Vec<String> {
        self.requires_replace
            .iter()
            .filter_map(|p| match p.steps().first() {
                Some(super::diagnostics::PathStep::Attribute(name)) => Some(name.clone()),
                _ => None,
            })
            .collect()
    }

    /// Which of `names` (a resource's replace-on-change list) replace the
    /// object, so far, as the engine's change types name them.
    pub fn replacing_of(&self, names: &[&'static str]) -> Vec<&'static str> {
        let replacing = self.replacing();
        names
            .iter()
            .copied()
            .filter(|name| replacing.iter().any(|r| r == name))
            .collect()
    }
}

/// A create, an update or a delete, as Terraform asks for it.
pub struct Change {
    /// Null when creating.
    pub prior: Value,
    /// Null when deleting.
    pub planned: Value,
    pub private: PrivateState,
}

/// What a create, update or delete leaves.
#[derive(Default)]
pub struct Applied {
    /// The object's state; null after a delete. After a failure, whatever
    /// exists must still be here so that nothing is orphaned.
    pub state: Value,
    pub private: PrivateState,
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

/// An object that another provider's resource type recorded, moved to one
/// of ours (`moved { from = aws_... to = lambdasign_... }`).
pub struct MoveSource<'a> {
    /// The source provider's address, as Terraform names it.
    pub provider: &'a str,
    pub type_name: &'a str,
    pub schema_version: i64,
    /// The source's stored state, as JSON.
    pub state: &'a serde_json::Value,
}

/// A managed resource type: its schema (with the rules and replace-on-change
/// list it declares), how it shapes a plan, and its create, read, update,
/// delete and import, each a separate entry point.
#[async_trait]
pub trait Resource<C>: Send + Sync {
    /// Full type name, e.g. `lambdasign_signing_profile`.
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;

    /// Checks beyond the schema's rules and shape (values may be unknown).
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Shapes a plan beyond what the schema declares.
    async fn plan(&self, _client: &C, _plan: &mut Plan) {}

    async fn create(&self, client: &C, change: Change) -> Applied;
    async fn read(&self, client: &C, request: ReadRequest) -> ReadResponse;
    async fn update(&self, client: &C, change: Change) -> Applied;
    async fn delete(&self, client: &C, change: Change) -> Applied;
    async fn import(&self, client: &C, id: &str) -> ImportResponse;

    /// The state of an object another provider's type recorded, from its
    /// stored state alone (Terraform asks an unconfigured provider; the
    /// refresh that follows reads the rest). `None`, with an error, when
    /// this type takes no state from that one. Attributes left out are null.
    fn move_from(&self, source: &MoveSource<'_>, diags: &mut Diagnostics) -> Option<Value> {
        diags.error(
            "Cannot move to this resource type",
            format!(
                "{} takes no state from {} of {}.",
                self.type_name(),
                source.type_name,
                source.provider
            ),
        );
        None
    }
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

    /// Checks beyond the schema's rules and shape (values may be unknown).
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

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
