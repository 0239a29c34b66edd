//! TEMPORARY STUB: replaced by the real codec.
use std::collections::{BTreeMap, BTreeSet};
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    String,
    Number,
    Bool,
    Dynamic,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object {
        attrs: BTreeMap<String, Type>,
        optional: BTreeSet<String>,
    },
    Tuple(Vec<Type>),
}
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Number(String);
impl Number {
    pub fn from_i64(v: i64) -> Self {
        Number(v.to_string())
    }
    pub fn as_i64(&self) -> Option<i64> {
        self.0.parse().ok()
    }
}
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Refinements {}
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Unknown(Refinements),
    String(String),
    Number(Number),
    Bool(bool),
    List(Vec<Value>),
    Set(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Object(BTreeMap<String, Value>),
    Tuple(Vec<Value>),
    Dynamic(Type, Box<Value>),
}
impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
    pub fn is_known(&self) -> bool {
        !matches!(self, Value::Unknown(_))
    }
    pub fn is_wholly_known(&self) -> bool {
        true
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(s) => Some(*s),
            _ => None,
        }
    }
    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Value::Number(s) => Some(s),
            _ => None,
        }
    }
    pub fn get_attr(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Object(m) => m.get(name),
            _ => None,
        }
    }
    pub fn string(s: impl Into<String>) -> Self {
        Value::String(s.into())
    }
    pub fn unknown() -> Self {
        Value::Unknown(Refinements::default())
    }
}
#[derive(Debug, thiserror::Error)]
#[error("codec: {0}")]
pub struct CodecError(String);
impl Type {
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Null
    }
    pub fn to_json_bytes(&self) -> Vec<u8> {
        vec![]
    }
}
pub fn decode_msgpack(_b: &[u8], _t: &Type) -> Result<Value, CodecError> {
    Err(CodecError(String::new()))
}
pub fn encode_msgpack(_v: &Value, _t: &Type) -> Result<Vec<u8>, CodecError> {
    Ok(vec![])
}
pub fn decode_json(_b: &[u8], _t: &Type) -> Result<Value, CodecError> {
    Err(CodecError(String::new()))
}
impl Default for Value {
    fn default() -> Self {
        Value::Null
    }
}
impl std::fmt::Display for Number {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
