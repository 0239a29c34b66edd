//! cty types and their JSON encoding (go-cty `Type.MarshalJSON`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

#[cfg(test)]
use super::value::Value;
use super::{check_depth, CodecError};

/// A cty type. `Dynamic` is cty's `DynamicPseudoType`: any type, with the
/// concrete type sent alongside the value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Type {
    String,
    Number,
    Bool,
    Dynamic,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    /// `optional` names attributes (a subset of `attrs`) that are optional in
    /// a type constraint; they are still present in every object value.
    Object {
        attrs: BTreeMap<String, Type>,
        optional: BTreeSet<String>,
    },
    Tuple(Vec<Type>),
}

impl Type {
    pub fn list(t: Type) -> Type {
        Type::List(Box::new(t))
    }

    pub fn set(t: Type) -> Type {
        Type::Set(Box::new(t))
    }

    pub fn map(t: Type) -> Type {
        Type::Map(Box::new(t))
    }

    /// An object type without optional attributes.
    pub fn object<K: Into<String>>(attrs: impl IntoIterator<Item = (K, Type)>) -> Type {
        Type::Object {
            attrs: attrs.into_iter().map(|(k, t)| (k.into(), t)).collect(),
            optional: BTreeSet::new(),
        }
    }

    #[cfg(test)]
    pub fn tuple(elems: impl IntoIterator<Item = Type>) -> Type {
        Type::Tuple(elems.into_iter().collect())
    }

    pub fn is_collection(&self) -> bool {
        matches!(self, Type::List(_) | Type::Set(_) | Type::Map(_))
    }

    /// Short human-readable name, e.g. `list of string`.
    pub fn friendly_name(&self) -> String {
        match self {
            Type::String => "string".into(),
            Type::Number => "number".into(),
            Type::Bool => "bool".into(),
            Type::Dynamic => "dynamic".into(),
            Type::List(e) => format!("list of {}", e.friendly_name()),
            Type::Set(e) => format!("set of {}", e.friendly_name()),
            Type::Map(e) => format!("map of {}", e.friendly_name()),
            Type::Object { .. } => "object".into(),
            Type::Tuple(_) => "tuple".into(),
        }
    }

    #[cfg(test)]
    /// The cty JSON type encoding: `"string"`, `["list","number"]`,
    /// `["object",{"a":"bool"}]`, `["object",{"a":"bool"},["a"]]`,
    /// `["tuple",["string"]]`, ...
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Type::String => J::from("string"),
            Type::Number => J::from("number"),
            Type::Bool => J::from("bool"),
            Type::Dynamic => J::from("dynamic"),
            Type::List(e) => J::Array(vec![J::from("list"), e.to_json()]),
            Type::Set(e) => J::Array(vec![J::from("set"), e.to_json()]),
            Type::Map(e) => J::Array(vec![J::from("map"), e.to_json()]),
            Type::Object { attrs, optional } => {
                let m: serde_json::Map<String, J> = attrs
                    .iter()
                    .map(|(k, t)| (k.clone(), t.to_json()))
                    .collect();
                let mut v = vec![J::from("object"), J::Object(m)];
                if !optional.is_empty() {
                    v.push(J::Array(
                        optional.iter().map(|s| J::from(s.as_str())).collect(),
                    ));
                }
                J::Array(v)
            }
            Type::Tuple(elems) => J::Array(vec![
                J::from("tuple"),
                J::Array(elems.iter().map(Type::to_json).collect()),
            ]),
        }
    }

    /// Compact JSON bytes of [`Type::to_json`] (object keys sorted, as Go's
    /// `encoding/json` writes them).
    pub fn to_json_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_json(&mut out);
        out
    }

    pub(crate) fn write_json(&self, out: &mut Vec<u8>) {
        match self {
            Type::String => out.extend_from_slice(b"\"string\""),
            Type::Number => out.extend_from_slice(b"\"number\""),
            Type::Bool => out.extend_from_slice(b"\"bool\""),
            Type::Dynamic => out.extend_from_slice(b"\"dynamic\""),
            Type::List(e) | Type::Set(e) | Type::Map(e) => {
                let kind: &[u8] = match self {
                    Type::List(_) => b"[\"list\",",
                    Type::Set(_) => b"[\"set\",",
                    _ => b"[\"map\",",
                };
                out.extend_from_slice(kind);
                e.write_json(out);
                out.push(b']');
            }
            Type::Object { attrs, optional } => {
                out.extend_from_slice(b"[\"object\",{");
                for (i, (k, t)) in attrs.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_json_string(out, k);
                    out.push(b':');
                    t.write_json(out);
                }
                out.push(b'}');
                if !optional.is_empty() {
                    out.extend_from_slice(b",[");
                    for (i, k) in optional.iter().enumerate() {
                        if i > 0 {
                            out.push(b',');
                        }
                        write_json_string(out, k);
                    }
                    out.push(b']');
                }
                out.push(b']');
            }
            Type::Tuple(elems) => {
                out.extend_from_slice(b"[\"tuple\",[");
                for (i, t) in elems.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    t.write_json(out);
                }
                out.extend_from_slice(b"]]");
            }
        }
    }

    /// Parses the cty JSON type encoding. Strict: unknown kinds, extra array
    /// elements, optional names that are not attributes, and nesting deeper
    /// than [`super::MAX_DEPTH`] are errors.
    pub fn from_json(j: &serde_json::Value) -> Result<Type, CodecError> {
        Type::from_json_depth(j, 0)
    }

    /// Parses JSON bytes holding a cty type.
    pub fn from_json_bytes(bytes: &[u8]) -> Result<Type, CodecError> {
        let j: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| CodecError::InvalidType(e.to_string()))?;
        Type::from_json(&j)
    }

    fn from_json_depth(j: &serde_json::Value, depth: usize) -> Result<Type, CodecError> {
        use serde_json::Value as J;
        check_depth(depth)?;
        let bad = |msg: String| CodecError::InvalidType(msg);
        match j {
            J::String(s) => match s.as_str() {
                "string" => Ok(Type::String),
                "number" => Ok(Type::Number),
                "bool" => Ok(Type::Bool),
                "dynamic" => Ok(Type::Dynamic),
                other => Err(bad(format!(
                    "invalid primitive type name {:?}",
                    super::message::quoted(other)
                ))),
            },
            J::Array(items) => {
                let kind = match items.first() {
                    Some(J::String(k)) => k.as_str(),
                    _ => return Err(bad("complex type must start with a kind name".into())),
                };
                let arity_ok = match kind {
                    "object" => items.len() == 2 || items.len() == 3,
                    _ => items.len() == 2,
                };
                if !arity_ok {
                    return Err(bad(format!(
                        "wrong number of elements ({}) in {kind:?} type description",
                        items.len()
                    )));
                }
                let arg = &items[1];
                match kind {
                    "list" => Ok(Type::list(Type::from_json_depth(arg, depth + 1)?)),
                    "set" => Ok(Type::set(Type::from_json_depth(arg, depth + 1)?)),
                    "map" => Ok(Type::map(Type::from_json_depth(arg, depth + 1)?)),
                    "tuple" => {
                        let J::Array(elems) = arg else {
                            return Err(bad("tuple element types must be an array".into()));
                        };
                        let elems = elems
                            .iter()
                            .map(|e| Type::from_json_depth(e, depth + 1))
                            .collect::<Result<Vec<_>, _>>()?;
                        Ok(Type::Tuple(elems))
                    }
                    "object" => {
                        let J::Object(m) = arg else {
                            return Err(bad("object attribute types must be an object".into()));
                        };
                        let mut attrs = BTreeMap::new();
                        for (k, v) in m {
                            attrs.insert(k.clone(), Type::from_json_depth(v, depth + 1)?);
                        }
                        let mut optional = BTreeSet::new();
                        if let Some(opt) = items.get(2) {
                            let J::Array(names) = opt else {
                                return Err(
                                    bad("optional attribute names must be an array".into()),
                                );
                            };
                            for n in names {
                                let J::String(n) = n else {
                                    return Err(bad(
                                        "optional attribute name must be a string".into()
                                    ));
                                };
                                if !attrs.contains_key(n) {
                                    return Err(bad(format!(
                                        "optional attribute {n:?} is not an attribute of the object"
                                    )));
                                }
                                optional.insert(n.clone());
                            }
                        }
                        Ok(Type::Object { attrs, optional })
                    }
                    other => Err(bad(format!(
                        "invalid complex type kind {:?}",
                        super::message::quoted(other)
                    ))),
                }
            }
            _ => Err(bad("type must be a string or an array".into())),
        }
    }

    #[cfg(test)]
    /// Checks that `v` conforms to this type (as [`super::encode_msgpack`]
    /// requires): right variant for each type, all required object attributes
    /// and no extra ones, tuple lengths, refinements applicable to the type,
    /// and `Dynamic` positions holding `Null`, `Unknown` or `Value::Dynamic`.
    pub fn validate(&self, v: &Value) -> Result<(), CodecError> {
        super::msgpack::encode_msgpack(v, self).map(|_| ())
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.to_json_bytes()))
    }
}

pub(crate) fn write_json_string(out: &mut Vec<u8>, s: &str) {
    // serde_json's string escaping; writing to a Vec cannot fail.
    if serde_json::to_writer(&mut *out, s).is_err() {
        out.extend_from_slice(b"\"\"");
    }
}
