//! What every resource type shares: its definition (the schema it was
//! registered with, how it names the engine's fields, the engine's rule
//! tables and replace-on-change list), the adapter trait each type
//! implements, and the dispatcher that validates a request the same way for
//! every type before the adapter runs.

use async_trait::async_trait;
use serde_json::Value;

use super::convert;
use super::model::{check_rules, check_shape, Naming, Reader};
use super::protocol::{Action, HandlerErrorCode, ProgressEvent};
use crate::domain::field::FieldPath;
use crate::engine::rules::{FieldRule, Shape};
use crate::engine::{Engine, EngineError};

/// A registry resource type, as this crate defines it.
#[derive(Debug)]
pub struct TypeDef {
    pub type_name: &'static str,
    /// The cloudformation-cli project folder under `cloudformation/`
    /// (where the schema tests find the type's files).
    #[cfg_attr(not(test), allow(dead_code))]
    pub folder: &'static str,
    /// The schema the type is registered with (the project's schema file).
    pub schema: &'static str,
    pub naming: Naming,
    /// The engine fields its model has, writable ones first.
    pub fields: &'static [&'static str],
    /// AWS's own type's spellings this type also takes, as `(AWS's field,
    /// the field it stands for)`: a template written for the native type
    /// works with only its `Type:` changed. Read-only ones repeat a value;
    /// writable ones are write-only, and the type's own spelling wins when
    /// a template sets both.
    #[cfg_attr(not(test), allow(dead_code))]
    pub native: &'static [(&'static str, &'static str)],
    /// AWS's own type's properties with no counterpart here: a value AWS
    /// requires that this type implies (LayerVersionPermission's `Action`).
    /// Write-only; create-only when the whole type is.
    #[cfg_attr(not(test), allow(dead_code))]
    pub aws_only: &'static [&'static str],
    /// The engine's replace-on-change list: the source of the schema's
    /// `createOnlyProperties` (which the schema tests hold to it).
    #[cfg_attr(not(test), allow(dead_code))]
    pub replace_on_change: &'static [&'static str],
    pub rules: &'static [FieldRule],
    pub shape: &'static [Shape],
}

/// What a type's schema declares, as handlers need it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchemaFacts {
    pub properties: Vec<String>,
    pub required: Vec<String>,
    pub read_only: Vec<String>,
    /// What AWS does not give back (such as which configs an artifact is
    /// checked against): never in a finished model.
    pub write_only: Vec<String>,
    pub create_only: Vec<String>,
    pub primary_identifier: Vec<String>,
    pub handlers: Vec<String>,
}

fn pointer_names(schema: &Value, key: &str) -> Vec<String> {
    schema[key]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|p| p.as_str()?.strip_prefix("/properties/").map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

impl TypeDef {
    /// The facts of the embedded schema.
    pub fn facts(&self) -> Result<SchemaFacts, String> {
        let schema: Value = serde_json::from_str(self.schema)
            .map_err(|e| format!("the schema of {} is not JSON: {e}", self.type_name))?;
        let names = |key: &str| -> Vec<String> {
            schema[key]
                .as_object()
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_default()
        };
        Ok(SchemaFacts {
            properties: names("properties"),
            required: schema["required"]
                .as_array()
                .map(|r| {
                    r.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
            read_only: pointer_names(&schema, "readOnlyProperties"),
            write_only: pointer_names(&schema, "writeOnlyProperties"),
            create_only: pointer_names(&schema, "createOnlyProperties"),
            primary_identifier: pointer_names(&schema, "primaryIdentifier"),
            handlers: names("handlers"),
        })
    }

    /// `createOnlyProperties` as the engine's replace-on-change list makes
    /// them: each listed field this type's model has, as a property pointer.
    /// A native spelling follows the field it stands for.
    #[cfg(test)]
    pub fn create_only_properties(&self, read_only: &[String]) -> Vec<String> {
        let own = |field: &str| {
            !self.native.iter().any(|(native, _)| *native == field)
                && !self.aws_only.contains(&field)
        };
        let writable = |field: &str| !read_only.contains(&self.naming.property(field));
        let all_create_only = self
            .fields
            .iter()
            .filter(|field| own(field) && writable(field))
            .all(|field| self.replace_on_change.contains(field));
        let aws_only = self.aws_only.iter().filter(|_| all_create_only);
        self.replace_on_change
            .iter()
            .filter(|field| self.fields.contains(field))
            .flat_map(|field| {
                let natives = self.native.iter().filter(move |(_, of)| of == field);
                std::iter::once(*field).chain(natives.map(|(native, _)| *native))
            })
            .chain(aws_only.copied())
            .map(|field| self.naming.property(field))
            .filter(|property| !read_only.contains(property))
            .map(|property| format!("/properties/{property}"))
            .collect()
    }

    /// `model`, with each native spelling also under the property it stands
    /// for when that one is absent (for what must be set, not for reading).
    fn with_native_as_own(&self, model: &Value) -> Value {
        let mut model = model.clone();
        if let Value::Object(map) = &mut model {
            for (native, own) in self.native {
                let own = self.naming.property(own);
                if let Some(value) = map.get(&self.naming.property(native)).cloned() {
                    map.entry(own).or_insert(value);
                }
            }
        }
        model
    }

    /// The fields a request may set: those whose property is not read-only.
    fn writable(&self, facts: &SchemaFacts) -> Vec<&'static str> {
        self.fields
            .iter()
            .copied()
            .filter(|f| !facts.read_only.contains(&self.naming.property(f)))
            .collect()
    }
}

/// One request, as an adapter sees it.
pub struct Call<'a> {
    pub engine: &'a Engine,
    pub action: Action,
    /// `resourceProperties` (the desired model; for READ, DELETE and LIST
    /// the model that names the resource).
    pub desired: &'a Value,
    /// `callbackContext` of a re-invocation.
    pub context: Option<&'a Value>,
    /// The request's bearer token: unique per operation, the same on
    /// re-invocation ("" when the request has none).
    pub token: &'a str,
    /// The resource's logical id in the template.
    pub logical_id: Option<&'a str>,
}

impl Call<'_> {
    pub fn model(&self, naming: Naming) -> Result<Reader<'_>, EngineError> {
        Reader::model(self.desired, naming)
    }

    /// A name (or statement id) for what this CREATE makes: `prefix` and a
    /// suffix from the request's token and logical id, as AWS's own types
    /// name what they make. CloudFormation retrying the CREATE gets the same
    /// name, finds what the first try made, and makes nothing twice. A
    /// request without a token gets a random suffix, never one shared with
    /// another request.
    pub fn generated_name(&self, prefix: &str) -> GeneratedName {
        if self.token.is_empty() {
            return GeneratedName {
                name: crate::domain::names::generated(prefix),
                repeatable: false,
            };
        }
        let seed = format!("{}/{}", self.token, self.logical_id.unwrap_or_default());
        GeneratedName {
            name: crate::domain::names::generated_from(prefix, &seed),
            repeatable: true,
        }
    }
}

/// A generated name, and whether a retry of the same request gets it
/// again (so what it names may already have been made by that request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedName {
    pub name: String,
    pub repeatable: bool,
}

/// What an adapter's operation produced.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The resource as it now is.
    Model(Value),
    /// The resource as it now is, with what its plan warned about (such as
    /// the functions a tightened config would block), as the message.
    Noted(Value, Vec<String>),
    /// Not finished: call again with `context` after `delay` seconds.
    InProgress {
        model: Value,
        context: Value,
        delay: u32,
    },
    Deleted,
    Listed(Vec<Value>),
}

pub type Handled = Result<Outcome, EngineError>;

/// One registry resource type over the engine.
#[async_trait]
pub trait ResourceType: Send + Sync {
    fn def(&self) -> &'static TypeDef;
    async fn create(&self, call: &Call<'_>) -> Handled;
    async fn read(&self, call: &Call<'_>) -> Handled;
    /// Only types with an update handler in their schema get UPDATE.
    async fn update(&self, call: &Call<'_>) -> Handled;
    async fn delete(&self, call: &Call<'_>) -> Handled;
    async fn list(&self, call: &Call<'_>) -> Handled;
}

/// Validates a request the same way for every type, then runs the adapter.
pub async fn dispatch(resource: &dyn ResourceType, call: &Call<'_>) -> ProgressEvent {
    let def = resource.def();
    let facts = match def.facts() {
        Ok(facts) => facts,
        Err(e) => return ProgressEvent::failed(HandlerErrorCode::InternalFailure, e),
    };
    if !facts
        .handlers
        .iter()
        .any(|h| h == &call.action.as_str().to_ascii_lowercase())
    {
        let code = if call.action == Action::Update {
            HandlerErrorCode::NotUpdatable
        } else {
            HandlerErrorCode::InvalidRequest
        };
        return ProgressEvent::failed(
            code,
            format!(
                "{} has no {} handler{}",
                def.type_name,
                call.action.as_str(),
                if call.action == Action::Update {
                    ": every property is create-only, so changes replace the resource"
                } else {
                    ""
                }
            ),
        );
    }
    if matches!(call.action, Action::Create | Action::Update) {
        if let Some(refusal) = validate(def, &facts, call) {
            return refusal;
        }
    }
    if call.action == Action::Update {
        // What exists decides: NotFound before anything else, then whether
        // a create-only property would change.
        match resource.read(call).await {
            Ok(Outcome::Model(current) | Outcome::Noted(current, _)) => {
                if let Some(event) = changed_create_only(&facts, call.desired, &current) {
                    return event;
                }
            }
            Ok(_) => {}
            Err(e) => return convert::failed(&e, &def.naming),
        }
    }
    let outcome = match call.action {
        Action::Create => resource.create(call).await,
        Action::Read => resource.read(call).await,
        Action::Update => resource.update(call).await,
        Action::Delete => resource.delete(call).await,
        Action::List => resource.list(call).await,
    };
    match outcome {
        Ok(Outcome::Model(model)) => ProgressEvent::success(without(model, &facts.write_only)),
        Ok(Outcome::Noted(model, notes)) if notes.is_empty() => {
            ProgressEvent::success(without(model, &facts.write_only))
        }
        Ok(Outcome::Noted(model, notes)) => ProgressEvent {
            message: Some(notes.join("; ")),
            ..ProgressEvent::success(without(model, &facts.write_only))
        },
        Ok(Outcome::InProgress {
            model,
            context,
            delay,
        }) => ProgressEvent::in_progress(model, context, delay),
        Ok(Outcome::Deleted) => ProgressEvent::deleted(),
        Ok(Outcome::Listed(models)) => ProgressEvent::listed(
            models
                .into_iter()
                .map(|m| without(m, &facts.write_only))
                .collect(),
        ),
        Err(e) => convert::failed(&e, &def.naming),
    }
}

/// Everything the model must satisfy before an adapter sees it: known
/// properties, the engine's field rules and shape, the schema's required
/// properties.
fn validate(def: &TypeDef, facts: &SchemaFacts, call: &Call<'_>) -> Option<ProgressEvent> {
    let model = match call.model(def.naming) {
        Ok(model) => model,
        Err(e) => return Some(convert::failed(&e, &def.naming)),
    };
    let unknown = model.unknown(def.fields);
    if !unknown.is_empty() {
        return Some(ProgressEvent::failed(
            HandlerErrorCode::InvalidRequest,
            format!(
                "{}: not a property of {} (its properties: {})",
                unknown.join(", "),
                def.type_name,
                facts.properties.join(", ")
            ),
        ));
    }
    let writable = def.writable(facts);
    let mut errors = check_rules(&model, def.rules);
    if call.action == Action::Create {
        errors.extend(
            def.fields
                .iter()
                .filter(|f| !writable.contains(f) && model.has(f))
                .map(|f| {
                    EngineError::invalid(
                        FieldPath::field(f),
                        "is read-only: the type sets it, and templates read it with Fn::GetAtt",
                    )
                }),
        );
    }
    // What a template must set, it may set in AWS's spelling.
    let spelled = def.with_native_as_own(call.desired);
    let model = match Reader::model(&spelled, def.naming) {
        Ok(model) => model,
        Err(e) => return Some(convert::failed(&e, &def.naming)),
    };
    // Which fields exclude each other is a rule for what a template sets.
    // A model read back carries generated values beside what generated
    // them (a Name and its NamePrefix), and CloudFormation hands it back.
    if call.action == Action::Create {
        errors.extend(check_shape(&model, def.shape, &writable));
    }
    for required in &facts.required {
        if let Some(field) = def
            .fields
            .iter()
            .find(|f| def.naming.property(f) == *required)
        {
            if !model.has(field)
                && !errors
                    .iter()
                    .any(|e| e.field == Some(FieldPath::field(field)))
            {
                errors.push(EngineError::invalid(FieldPath::field(field), "is required"));
            }
        }
    }
    (!errors.is_empty()).then(|| convert::invalid(&errors, &def.naming))
}

/// An identifier of the resource a READ, UPDATE or DELETE names: a model
/// without it names nothing that exists (an UPDATE before any CREATE).
pub fn identifier(
    model: &super::model::Reader<'_>,
    field: &'static str,
) -> Result<String, EngineError> {
    model.text(field)?.ok_or_else(|| {
        EngineError::not_found(format!(
            "the model names no resource: it has no {}",
            model.props.naming().property(field)
        ))
    })
}

/// A finished model holds no write-only property (IN_PROGRESS models keep
/// them: they are the next call's desired state).
fn without(mut model: Value, write_only: &[String]) -> Value {
    if let Value::Object(map) = &mut model {
        for property in write_only {
            map.remove(property);
        }
    }
    model
}

/// NotUpdatable when the request sets a create-only property to another
/// value than the resource has. A property the request leaves out may have
/// been generated (a Name from its NamePrefix): only a value set counts.
fn changed_create_only(
    facts: &SchemaFacts,
    desired: &Value,
    current: &Value,
) -> Option<ProgressEvent> {
    let changed: Vec<&str> = facts
        .create_only
        .iter()
        // What AWS does not give back cannot be compared.
        .filter(|p| !facts.write_only.contains(p))
        .filter(|p| {
            desired
                .get(p.as_str())
                .is_some_and(|now| !now.is_null() && current.get(p.as_str()) != Some(now))
        })
        .map(String::as_str)
        .collect();
    (!changed.is_empty()).then(|| {
        ProgressEvent::failed(
            HandlerErrorCode::NotUpdatable,
            format!(
                "{}: create-only; changing it replaces the resource",
                changed.join(", ")
            ),
        )
    })
}

/// The error for a resource that does not exist (READ, UPDATE, DELETE).
pub fn gone(what: impl std::fmt::Display) -> EngineError {
    EngineError::not_found(format!("{what} does not exist"))
}
