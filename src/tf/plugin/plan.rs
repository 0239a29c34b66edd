//! Helpers for the plan step that most resources share.

use std::collections::BTreeMap;

use serde::{de::DeserializeOwned, Serialize};

use super::cty::Value;
use super::diagnostics::AttributePath;
use super::schema::Schema;

/// On create, computed attributes the configuration leaves null become
/// unknown ("known after apply"). On update Terraform has already carried
/// prior computed values into the proposed state, so this is a create-only step.
pub fn mark_computed_unknown(schema: &Schema, proposed: &mut Value) {
    let Value::Object(attrs) = proposed else {
        return;
    };
    for attribute in schema.block.attributes.iter().filter(|a| a.is_computed()) {
        if let Some(value) = attrs.get_mut(&attribute.name) {
            if value.is_null() {
                *value = Value::unknown();
            }
        }
    }
}

/// Sets one top-level attribute of an object value to unknown, e.g. an
/// attribute that an update will change.
pub fn set_unknown(value: &mut Value, name: &str) {
    if let Value::Object(attrs) = value {
        attrs.insert(name.to_string(), Value::unknown());
    }
}

/// The paths of the named top-level attributes whose values differ between
/// prior state and plan: Terraform replaces the resource if any is listed.
pub fn changed_attributes(prior: &Value, planned: &Value, names: &[&str]) -> Vec<AttributePath> {
    names
        .iter()
        .filter(|name| prior.get_attr(name) != planned.get_attr(name))
        .map(|name| AttributePath::attr(*name))
        .collect()
}

/// Private state: provider-owned bytes Terraform stores beside the state,
/// kept here as a JSON object so fields can be added without migrations.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct PrivateState(BTreeMap<String, serde_json::Value>);

impl PrivateState {
    /// Reads private state; empty or unreadable bytes give an empty state
    /// (private state is a cache of hints, never the only copy of a fact).
    pub fn from_bytes(bytes: &[u8]) -> Self {
        serde_json::from_slice(bytes)
            .map(PrivateState)
            .unwrap_or_default()
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        if self.0.is_empty() {
            return Vec::new();
        }
        serde_json::to_vec(&self.0).unwrap_or_default()
    }

    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.0
            .get(key)
            .and_then(|v| serde_json::from_value(v.clone()).ok())
    }

    pub fn set<T: Serialize>(&mut self, key: &str, value: &T) {
        if let Ok(json) = serde_json::to_value(value) {
            self.0.insert(key.to_string(), json);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tf::plugin::cty::Type;
    use crate::tf::plugin::schema::Attribute;

    #[test]
    fn null_computed_attributes_become_unknown_on_create() {
        let schema = Schema::new("t")
            .attribute(Attribute::required("name", Type::String))
            .attribute(Attribute::computed("id", Type::String))
            .attribute(Attribute::optional_computed("mode", Type::String));
        let mut value = Value::Object(BTreeMap::from([
            ("name".to_string(), Value::string("a")),
            ("id".to_string(), Value::Null),
            ("mode".to_string(), Value::string("set")),
        ]));
        mark_computed_unknown(&schema, &mut value);
        assert_eq!(value.get_attr("id"), Some(&Value::unknown()));
        assert_eq!(value.get_attr("mode"), Some(&Value::string("set")));
        assert_eq!(value.get_attr("name"), Some(&Value::string("a")));
    }

    #[test]
    fn only_changed_attributes_require_replacement() {
        let prior = Value::Object(BTreeMap::from([
            ("a".to_string(), Value::string("1")),
            ("b".to_string(), Value::string("2")),
        ]));
        let planned = Value::Object(BTreeMap::from([
            ("a".to_string(), Value::string("1")),
            ("b".to_string(), Value::string("3")),
        ]));
        assert_eq!(
            changed_attributes(&prior, &planned, &["a", "b"]),
            vec![AttributePath::attr("b")]
        );
    }

    #[test]
    fn private_state_round_trips_and_tolerates_garbage() {
        let mut private = PrivateState::default();
        private.set("etag", &"abc");
        let restored = PrivateState::from_bytes(&private.to_bytes());
        assert_eq!(restored.get::<String>("etag").as_deref(), Some("abc"));
        assert_eq!(
            PrivateState::from_bytes(b"\xff garbage"),
            PrivateState::default()
        );
    }
}
