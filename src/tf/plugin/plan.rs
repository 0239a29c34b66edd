//! Private state: what a resource keeps beside its state between plan and
//! apply (such as an idempotency token).

use std::collections::BTreeMap;

use serde::{de::DeserializeOwned, Serialize};

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
