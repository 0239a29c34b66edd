//! JSON encoding of cty values, compatible with go-cty's `cty/json` (used by
//! Terraform for `DynamicValue.json`, e.g. raw state in
//! `UpgradeResourceState`).
//!
//! - Numbers keep their full text (serde_json `arbitrary_precision`).
//! - Dynamic positions hold `{"value": v, "type": T}` (or `null`).
//! - Object attributes missing from the JSON decode as null; unknown
//!   attributes are an error.
//! - Like go-cty, decoding converts strings to numbers/bools and numbers/bools
//!   to strings where the type asks for it.

use std::collections::BTreeMap;

use serde_json::Value as J;

#[cfg(test)]
use super::msgpack::v_kind;
#[cfg(test)]
use super::types::write_json_string;
use super::types::Type;
use super::value::{Number, Value};
use super::{check_depth, CodecError, LResult, Located, Step};

/// Decodes JSON `bytes` as a value of type `ty`. Unknown values cannot occur
/// in JSON.
pub fn decode_json(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    // serde_json itself refuses nesting deeper than 128 levels.
    let j: J = serde_json::from_slice(bytes).map_err(|e| CodecError::Json(e.to_string()))?;
    decode(&j, ty, 0).map_err(Located::finish)
}

/// Encodes a wholly known `value` of type `ty` as compact JSON (object
/// attributes and map keys sorted). Unknown values are an error. Terraform
/// never asks a provider for JSON, so only the tests use it: the decoder
/// is held to round trips through it.
#[cfg(test)]
pub fn encode_json(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::new();
    encode(&mut out, value, ty, 0).map_err(Located::finish)?;
    Ok(out)
}

fn j_kind(j: &J) -> &'static str {
    match j {
        J::Null => "null",
        J::Bool(_) => "bool",
        J::Number(_) => "number",
        J::String(_) => "string",
        J::Array(_) => "array",
        J::Object(_) => "object",
    }
}

fn decode(j: &J, ty: &Type, depth: usize) -> LResult<Value> {
    check_depth(depth)?;
    if j.is_null() {
        return Ok(Value::Null);
    }
    let mismatch = |expected: &str| -> Located { CodecError::mismatch(expected, j_kind(j)).into() };
    match ty {
        Type::Dynamic => {
            let J::Object(m) = j else {
                return Err(mismatch("object {\"value\": ..., \"type\": ...} (dynamic)"));
            };
            if let Some(k) = m.keys().find(|k| *k != "value" && *k != "type") {
                return Err(CodecError::InvalidDynamic(format!(
                    "invalid key {:?} in dynamically-typed value",
                    super::message::quoted(k)
                ))
                .into());
            }
            let t = m
                .get("type")
                .ok_or_else(|| CodecError::InvalidDynamic("missing \"type\"".into()))?;
            let v = m
                .get("value")
                .ok_or_else(|| CodecError::InvalidDynamic("missing \"value\"".into()))?;
            let t = Type::from_json(t)?;
            let v = decode(v, &t, depth + 1)?;
            Ok(Value::Dynamic(t, Box::new(v)))
        }
        Type::String => match j {
            J::String(s) => Ok(Value::String(s.clone())),
            J::Number(n) => Ok(Value::String(n.as_str().to_string())),
            J::Bool(b) => Ok(Value::String(b.to_string())),
            _ => Err(mismatch("string")),
        },
        Type::Number => match j {
            J::Number(n) => Ok(Value::Number(Number::parse(n.as_str())?)),
            J::String(s) => Ok(Value::Number(Number::parse(s)?)),
            _ => Err(mismatch("number")),
        },
        Type::Bool => match j {
            J::Bool(b) => Ok(Value::Bool(*b)),
            J::String(s) if s == "true" => Ok(Value::Bool(true)),
            J::String(s) if s == "false" => Ok(Value::Bool(false)),
            _ => Err(mismatch("bool")),
        },
        Type::List(ety) | Type::Set(ety) => {
            let J::Array(items) = j else {
                return Err(mismatch(if matches!(ty, Type::List(_)) {
                    "array (list)"
                } else {
                    "array (set)"
                }));
            };
            let vals = items
                .iter()
                .enumerate()
                .map(|(i, item)| decode(item, ety, depth + 1).map_err(|e| e.at(Step::Index(i))))
                .collect::<LResult<Vec<_>>>()?;
            Ok(if matches!(ty, Type::List(_)) {
                Value::List(vals)
            } else {
                Value::Set(vals)
            })
        }
        Type::Tuple(etys) => {
            let J::Array(items) = j else {
                return Err(mismatch("array (tuple)"));
            };
            if items.len() != etys.len() {
                return Err(CodecError::LengthMismatch {
                    expected: etys.len(),
                    found: items.len(),
                }
                .into());
            }
            let vals = items
                .iter()
                .zip(etys)
                .enumerate()
                .map(|(i, (item, ety))| {
                    decode(item, ety, depth + 1).map_err(|e| e.at(Step::Index(i)))
                })
                .collect::<LResult<Vec<_>>>()?;
            Ok(Value::Tuple(vals))
        }
        Type::Map(ety) => {
            let J::Object(m) = j else {
                return Err(mismatch("object (map)"));
            };
            let mut out = BTreeMap::new();
            for (k, item) in m {
                let v = decode(item, ety, depth + 1).map_err(|e| e.at(Step::Key(k.clone())))?;
                out.insert(k.clone(), v);
            }
            Ok(Value::Map(out))
        }
        Type::Object { attrs, .. } => {
            let J::Object(m) = j else {
                return Err(mismatch("object"));
            };
            let mut out = BTreeMap::new();
            for (k, item) in m {
                let Some(aty) = attrs.get(k) else {
                    return Err(CodecError::UnknownAttribute(k.clone()).into());
                };
                let v = decode(item, aty, depth + 1).map_err(|e| e.at(Step::Attr(k.clone())))?;
                out.insert(k.clone(), v);
            }
            // Attributes absent from the JSON (e.g. state written by an older
            // schema version) become null, as in go-cty.
            for name in attrs.keys() {
                if !out.contains_key(name) {
                    out.insert(name.clone(), Value::Null);
                }
            }
            Ok(Value::Object(out))
        }
    }
}

#[cfg(test)]
fn encode(out: &mut Vec<u8>, v: &Value, ty: &Type, depth: usize) -> LResult<()> {
    check_depth(depth)?;
    match v {
        Value::Unknown(_) => return Err(CodecError::UnknownInJson.into()),
        Value::Null => {
            out.extend_from_slice(b"null");
            return Ok(());
        }
        _ => {}
    }
    if *ty == Type::Dynamic {
        let Value::Dynamic(vty, inner) = v else {
            return Err(CodecError::mismatch(
                "Value::Dynamic(type, value) or Null in a dynamic position",
                v_kind(v),
            )
            .into());
        };
        out.extend_from_slice(b"{\"value\":");
        encode(out, inner, vty, depth + 1)?;
        out.extend_from_slice(b",\"type\":");
        vty.write_json(out);
        out.push(b'}');
        return Ok(());
    }
    match (ty, v) {
        (Type::String, Value::String(s)) => write_json_string(out, s),
        (Type::Number, Value::Number(n)) => out.extend_from_slice(n.as_str().as_bytes()),
        (Type::Bool, Value::Bool(b)) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        (Type::List(ety), Value::List(items)) | (Type::Set(ety), Value::Set(items)) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                encode(out, item, ety, depth + 1).map_err(|e| e.at(Step::Index(i)))?;
            }
            out.push(b']');
        }
        (Type::Tuple(etys), Value::Tuple(items)) => {
            if etys.len() != items.len() {
                return Err(CodecError::LengthMismatch {
                    expected: etys.len(),
                    found: items.len(),
                }
                .into());
            }
            out.push(b'[');
            for (i, (item, ety)) in items.iter().zip(etys).enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                encode(out, item, ety, depth + 1).map_err(|e| e.at(Step::Index(i)))?;
            }
            out.push(b']');
        }
        (Type::Map(ety), Value::Map(m)) => {
            out.push(b'{');
            for (i, (k, item)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_json_string(out, k);
                out.push(b':');
                encode(out, item, ety, depth + 1).map_err(|e| e.at(Step::Key(k.clone())))?;
            }
            out.push(b'}');
        }
        (Type::Object { attrs, optional }, Value::Object(m)) => {
            if let Some(extra) = m.keys().find(|k| !attrs.contains_key(*k)) {
                return Err(CodecError::UnknownAttribute(extra.clone()).into());
            }
            out.push(b'{');
            for (i, (name, aty)) in attrs.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_json_string(out, name);
                out.push(b':');
                match m.get(name) {
                    Some(item) => encode(out, item, aty, depth + 1)
                        .map_err(|e| e.at(Step::Attr(name.clone())))?,
                    None if optional.contains(name) => out.extend_from_slice(b"null"),
                    None => return Err(CodecError::MissingAttribute(name.clone()).into()),
                }
            }
            out.push(b'}');
        }
        _ => return Err(CodecError::mismatch(ty.friendly_name(), v_kind(v)).into()),
    }
    Ok(())
}
