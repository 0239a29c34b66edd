//! msgpack encoding of cty values, compatible with go-cty's `cty/msgpack`
//! (the plugin protocol's `DynamicValue.msgpack`).
//!
//! - null → nil; unknown → extension (`d4 00 00`, or ext type 12 carrying a
//!   refinement map); string → str; bool → bool.
//! - number → smallest int if it fits i64, float64 if exactly representable,
//!   else its plain decimal text as str. Decoding accepts any int, float or
//!   numeric str.
//! - list/set/tuple → array; map/object → map with str keys (object keys
//!   sorted).
//! - dynamic → `[type JSON as bin, value]`, or nil / unknown.

use std::collections::BTreeMap;

use rmp::Marker;

use super::types::Type;
use super::value::{Number, Refinements, Value};
use super::{check_depth, CodecError, LResult, Located, Step};

/// Extension type of an unknown value with refinements.
const REFINED_UNKNOWN_EXT: i8 = 12;

/// go-cty's encoding of a wholly unknown value: fixext1, type 0, payload 0.
const UNKNOWN_BYTES: [u8; 3] = [0xd4, 0, 0];

/// Decodes msgpack `bytes` as a value of type `ty`. The whole input must be
/// one value.
pub fn decode_msgpack(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    let mut r = Reader { buf: bytes, pos: 0 };
    let v = decode_value(&mut r, ty, 0).map_err(Located::finish)?;
    if r.remaining() > 0 {
        return Err(CodecError::TrailingBytes {
            count: r.remaining(),
        });
    }
    Ok(v)
}

/// Encodes `value` as msgpack for type `ty`. Fails when the value does not
/// conform to the type (see [`Type::validate`]).
pub fn encode_msgpack(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::new();
    encode_value(&mut out, value, ty, 0).map_err(Located::finish)?;
    Ok(out)
}

// ---------------------------------------------------------------------------
// Reading

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn peek(&self) -> Result<u8, CodecError> {
        self.buf
            .get(self.pos)
            .copied()
            .ok_or(CodecError::UnexpectedEof)
    }

    fn byte(&mut self) -> Result<u8, CodecError> {
        let b = self.peek()?;
        self.pos += 1;
        Ok(b)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        if n > self.remaining() {
            return Err(CodecError::UnexpectedEof);
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    fn u16(&mut self) -> Result<u16, CodecError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    fn u32(&mut self) -> Result<u32, CodecError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64, CodecError> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    /// Reads a length field stored in `width` bytes.
    fn len(&mut self, width: u8) -> Result<usize, CodecError> {
        let n = match width {
            1 => u32::from(self.byte()?),
            2 => u32::from(self.u16()?),
            _ => self.u32()?,
        };
        usize::try_from(n).map_err(|_| CodecError::UnexpectedEof)
    }

    fn marker(&self) -> Result<Marker, CodecError> {
        Ok(Marker::from_u8(self.peek()?))
    }
}

fn marker_name(m: Marker) -> &'static str {
    match m {
        Marker::Null => "nil",
        Marker::True | Marker::False => "bool",
        Marker::FixPos(_)
        | Marker::FixNeg(_)
        | Marker::U8
        | Marker::U16
        | Marker::U32
        | Marker::U64
        | Marker::I8
        | Marker::I16
        | Marker::I32
        | Marker::I64 => "integer",
        Marker::F32 | Marker::F64 => "float",
        Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32 => "string",
        Marker::Bin8 | Marker::Bin16 | Marker::Bin32 => "binary",
        Marker::FixArray(_) | Marker::Array16 | Marker::Array32 => "array",
        Marker::FixMap(_) | Marker::Map16 | Marker::Map32 => "map",
        Marker::FixExt1
        | Marker::FixExt2
        | Marker::FixExt4
        | Marker::FixExt8
        | Marker::FixExt16
        | Marker::Ext8
        | Marker::Ext16
        | Marker::Ext32 => "extension",
        Marker::Reserved => "reserved byte 0xc1",
    }
}

fn is_ext(m: Marker) -> bool {
    marker_name(m) == "extension"
}

fn mismatch(expected: &str, m: Marker) -> CodecError {
    CodecError::mismatch(expected, marker_name(m))
}

/// Reads an extension: (type code, payload).
fn read_ext<'a>(r: &mut Reader<'a>) -> Result<(i8, &'a [u8]), CodecError> {
    let m = Marker::from_u8(r.byte()?);
    let len = match m {
        Marker::FixExt1 => 1,
        Marker::FixExt2 => 2,
        Marker::FixExt4 => 4,
        Marker::FixExt8 => 8,
        Marker::FixExt16 => 16,
        Marker::Ext8 => r.len(1)?,
        Marker::Ext16 => r.len(2)?,
        Marker::Ext32 => r.len(4)?,
        _ => return Err(mismatch("extension", m)),
    };
    let code = i8::from_ne_bytes([r.byte()?]);
    let payload = r.take(len)?;
    Ok((code, payload))
}

fn read_str_bytes<'a>(r: &mut Reader<'a>, allow_bin: bool) -> Result<&'a [u8], CodecError> {
    let m = r.marker()?;
    let len = match m {
        Marker::FixStr(n) => {
            r.pos += 1;
            usize::from(n)
        }
        Marker::Str8 | Marker::Bin8 if allow_bin || m == Marker::Str8 => {
            r.pos += 1;
            r.len(1)?
        }
        Marker::Str16 | Marker::Bin16 if allow_bin || m == Marker::Str16 => {
            r.pos += 1;
            r.len(2)?
        }
        Marker::Str32 | Marker::Bin32 if allow_bin || m == Marker::Str32 => {
            r.pos += 1;
            r.len(4)?
        }
        _ => return Err(mismatch("string", m)),
    };
    r.take(len)
}

fn read_str<'a>(r: &mut Reader<'a>) -> Result<&'a str, CodecError> {
    std::str::from_utf8(read_str_bytes(r, false)?).map_err(|_| CodecError::InvalidUtf8)
}

fn read_array_len(r: &mut Reader<'_>, expected: &str) -> Result<usize, CodecError> {
    let m = r.marker()?;
    match m {
        Marker::FixArray(n) => {
            r.pos += 1;
            Ok(usize::from(n))
        }
        Marker::Array16 => {
            r.pos += 1;
            r.len(2)
        }
        Marker::Array32 => {
            r.pos += 1;
            r.len(4)
        }
        _ => Err(mismatch(expected, m)),
    }
}

fn read_map_len(r: &mut Reader<'_>, expected: &str) -> Result<usize, CodecError> {
    let m = r.marker()?;
    match m {
        Marker::FixMap(n) => {
            r.pos += 1;
            Ok(usize::from(n))
        }
        Marker::Map16 => {
            r.pos += 1;
            r.len(2)
        }
        Marker::Map32 => {
            r.pos += 1;
            r.len(4)
        }
        _ => Err(mismatch(expected, m)),
    }
}

/// Reads any msgpack integer, widened to i128.
fn read_int(r: &mut Reader<'_>) -> Result<Option<i128>, CodecError> {
    let m = r.marker()?;
    let v = match m {
        Marker::FixPos(n) => {
            r.pos += 1;
            i128::from(n)
        }
        Marker::FixNeg(n) => {
            r.pos += 1;
            i128::from(n)
        }
        Marker::U8 | Marker::U16 | Marker::U32 | Marker::U64 => {
            r.pos += 1;
            match m {
                Marker::U8 => i128::from(r.byte()?),
                Marker::U16 => i128::from(r.u16()?),
                Marker::U32 => i128::from(r.u32()?),
                _ => i128::from(r.u64()?),
            }
        }
        Marker::I8 | Marker::I16 | Marker::I32 | Marker::I64 => {
            r.pos += 1;
            match m {
                Marker::I8 => i128::from(i8::from_be_bytes(r.array()?)),
                Marker::I16 => i128::from(i16::from_be_bytes(r.array()?)),
                Marker::I32 => i128::from(i32::from_be_bytes(r.array()?)),
                _ => i128::from(i64::from_be_bytes(r.array()?)),
            }
        }
        _ => return Ok(None),
    };
    Ok(Some(v))
}

enum NumRead {
    Finite(Number),
    PosInf,
    NegInf,
}

fn read_number(r: &mut Reader<'_>) -> Result<NumRead, CodecError> {
    if let Some(i) = read_int(r)? {
        // read_int only yields values within i64/u64 range.
        let n = match i64::try_from(i) {
            Ok(v) => Number::from_i64(v),
            Err(_) => Number::from_u64(u64::try_from(i).map_err(|_| CodecError::NonFiniteNumber)?),
        };
        return Ok(NumRead::Finite(n));
    }
    let m = r.marker()?;
    let f = match m {
        Marker::F32 => {
            r.pos += 1;
            f64::from(f32::from_be_bytes(r.array()?))
        }
        Marker::F64 => {
            r.pos += 1;
            f64::from_be_bytes(r.array()?)
        }
        Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32 => {
            let s = read_str(r)?;
            return Number::parse(s).map(NumRead::Finite);
        }
        _ => return Err(mismatch("number", m)),
    };
    if f.is_nan() {
        return Err(CodecError::NonFiniteNumber);
    }
    if f.is_infinite() {
        return Ok(if f > 0.0 {
            NumRead::PosInf
        } else {
            NumRead::NegInf
        });
    }
    Number::from_f64(f)
        .map(NumRead::Finite)
        .ok_or(CodecError::NonFiniteNumber)
}

/// Skips one msgpack value of any kind.
fn skip(r: &mut Reader<'_>, depth: usize) -> Result<(), CodecError> {
    check_depth(depth)?;
    let m = r.marker()?;
    if is_ext(m) {
        read_ext(r)?;
        return Ok(());
    }
    if read_int(r)?.is_some() {
        return Ok(());
    }
    match m {
        Marker::Null | Marker::True | Marker::False => {
            r.pos += 1;
        }
        Marker::F32 | Marker::F64 => {
            read_number(r)?;
        }
        Marker::FixStr(_)
        | Marker::Str8
        | Marker::Str16
        | Marker::Str32
        | Marker::Bin8
        | Marker::Bin16
        | Marker::Bin32 => {
            read_str_bytes(r, true)?;
        }
        Marker::FixArray(_) | Marker::Array16 | Marker::Array32 => {
            let n = read_array_len(r, "array")?;
            for _ in 0..n {
                skip(r, depth + 1)?;
            }
        }
        Marker::FixMap(_) | Marker::Map16 | Marker::Map32 => {
            let n = read_map_len(r, "map")?;
            for _ in 0..n {
                skip(r, depth + 1)?;
                skip(r, depth + 1)?;
            }
        }
        _ => return Err(mismatch("a msgpack value", m)),
    }
    Ok(())
}

/// Capacity to reserve for `declared` elements: never more than the bytes
/// left (each element takes at least one byte).
fn capacity(declared: usize, r: &Reader<'_>) -> usize {
    declared.min(r.remaining())
}

fn decode_value(r: &mut Reader<'_>, ty: &Type, depth: usize) -> LResult<Value> {
    check_depth(depth)?;
    let m = r.marker()?;
    if is_ext(m) {
        let (code, payload) = read_ext(r)?;
        return Ok(Value::Unknown(decode_refinements(code, payload, ty)?));
    }
    if *ty == Type::Dynamic {
        return decode_dynamic(r, depth);
    }
    if m == Marker::Null {
        r.pos += 1;
        return Ok(Value::Null);
    }
    match ty {
        Type::String => Ok(Value::String(read_str(r)?.to_string())),
        Type::Number => match read_number(r)? {
            NumRead::Finite(n) => Ok(Value::Number(n)),
            _ => Err(CodecError::NonFiniteNumber.into()),
        },
        Type::Bool => match m {
            Marker::True | Marker::False => {
                r.pos += 1;
                Ok(Value::Bool(m == Marker::True))
            }
            _ => Err(mismatch("bool", m).into()),
        },
        Type::List(ety) | Type::Set(ety) => {
            let what = if matches!(ty, Type::List(_)) {
                "array (list)"
            } else {
                "array (set)"
            };
            let n = read_array_len(r, what)?;
            let mut items = Vec::with_capacity(capacity(n, r));
            for i in 0..n {
                items.push(decode_value(r, ety, depth + 1).map_err(|e| e.at(Step::Index(i)))?);
            }
            Ok(if matches!(ty, Type::List(_)) {
                Value::List(items)
            } else {
                Value::Set(items)
            })
        }
        Type::Tuple(etys) => {
            let n = read_array_len(r, "array (tuple)")?;
            if n != etys.len() {
                return Err(CodecError::LengthMismatch {
                    expected: etys.len(),
                    found: n,
                }
                .into());
            }
            let mut items = Vec::with_capacity(capacity(n, r));
            for (i, ety) in etys.iter().enumerate() {
                items.push(decode_value(r, ety, depth + 1).map_err(|e| e.at(Step::Index(i)))?);
            }
            Ok(Value::Tuple(items))
        }
        Type::Map(ety) => {
            let n = read_map_len(r, "map")?;
            let mut out = BTreeMap::new();
            for _ in 0..n {
                let k = read_str(r)?;
                if out.contains_key(k) {
                    return Err(CodecError::DuplicateKey(k.to_string()).into());
                }
                let v =
                    decode_value(r, ety, depth + 1).map_err(|e| e.at(Step::Key(k.to_string())))?;
                out.insert(k.to_string(), v);
            }
            Ok(Value::Map(out))
        }
        Type::Object { attrs, optional } => {
            let n = read_map_len(r, "map (object)")?;
            let mut out = BTreeMap::new();
            for _ in 0..n {
                let k = read_str(r)?;
                let Some(aty) = attrs.get(k) else {
                    return Err(CodecError::UnknownAttribute(k.to_string()).into());
                };
                if out.contains_key(k) {
                    return Err(CodecError::DuplicateKey(k.to_string()).into());
                }
                let v =
                    decode_value(r, aty, depth + 1).map_err(|e| e.at(Step::Attr(k.to_string())))?;
                out.insert(k.to_string(), v);
            }
            // go-cty requires every attribute to be present; we also accept a
            // missing attribute that the type marks optional (as null).
            if out.len() != attrs.len() {
                for name in attrs.keys() {
                    if !out.contains_key(name) {
                        if optional.contains(name) {
                            out.insert(name.clone(), Value::Null);
                        } else {
                            return Err(CodecError::MissingAttribute(name.clone()).into());
                        }
                    }
                }
            }
            Ok(Value::Object(out))
        }
        Type::Dynamic => unreachable_dynamic(),
    }
}

fn unreachable_dynamic() -> LResult<Value> {
    Err(CodecError::InvalidDynamic("internal: dynamic handled earlier".into()).into())
}

fn decode_dynamic(r: &mut Reader<'_>, depth: usize) -> LResult<Value> {
    let m = r.marker()?;
    if m == Marker::Null {
        r.pos += 1;
        return Ok(Value::Null);
    }
    let n = read_array_len(r, "array [type, value] (dynamic)")?;
    if n != 2 {
        return Err(CodecError::InvalidDynamic(format!(
            "array must have exactly two elements, found {n}"
        ))
        .into());
    }
    let type_json = read_str_bytes(r, true)
        .map_err(|e| CodecError::InvalidDynamic(format!("type JSON: {e}")))?;
    let ty = Type::from_json_bytes(type_json)?;
    let v = decode_value(r, &ty, depth + 1)?;
    Ok(Value::Dynamic(ty, Box::new(v)))
}

fn decode_refinements(code: i8, payload: &[u8], ty: &Type) -> Result<Refinements, CodecError> {
    let mut refs = Refinements::default();
    // Zero- or one-byte payloads are plain unknowns; so is any extension type
    // other than 12 (go-cty treats every extension as "unknown").
    if payload.len() <= 1 || code != REFINED_UNKNOWN_EXT {
        return Ok(refs);
    }
    let bad = |m: &str| CodecError::InvalidRefinement(m.to_string());
    let mut r = Reader {
        buf: payload,
        pos: 0,
    };
    let n = read_map_len(&mut r, "map").map_err(|_| bad("payload is not a map"))?;
    if *ty == Type::Dynamic {
        // go-cty ignores refinements on a dynamic-typed unknown.
        return Ok(refs);
    }
    for _ in 0..n {
        let key = read_int(&mut r)?.ok_or_else(|| bad("non-integer key in refinement map"))?;
        match key {
            1 => {
                let m = r.marker()?;
                let is_null = match m {
                    Marker::True => true,
                    Marker::False => false,
                    _ => return Err(bad("nullness refinement is not a bool")),
                };
                r.pos += 1;
                refs.not_null = Some(!is_null);
            }
            2 => {
                if *ty != Type::String {
                    return Err(bad("string prefix refinement for a non-string type"));
                }
                let s = read_str(&mut r).map_err(|_| bad("string prefix is not a UTF-8 string"))?;
                refs.string_prefix = if s.is_empty() {
                    None
                } else {
                    Some(s.to_string())
                };
            }
            3 | 4 => {
                if *ty != Type::Number {
                    return Err(bad("number bound refinement for a non-number type"));
                }
                let shape = || bad("number bound must be a [number, bool] array");
                if read_array_len(&mut r, "array").map_err(|_| shape())? != 2 {
                    return Err(shape());
                }
                let num = read_number(&mut r).map_err(|_| shape())?;
                let inclusive = match r.marker()? {
                    Marker::True => true,
                    Marker::False => false,
                    _ => return Err(shape()),
                };
                r.pos += 1;
                // An infinite bound is no bound at all.
                let bound = match num {
                    NumRead::Finite(n) => Some((n, inclusive)),
                    NumRead::PosInf | NumRead::NegInf => None,
                };
                if key == 3 {
                    refs.number_lower = bound;
                } else {
                    refs.number_upper = bound;
                }
            }
            5 | 6 => {
                if !ty.is_collection() {
                    return Err(bad("length bound refinement for a non-collection type"));
                }
                let v = read_int(&mut r)?
                    .and_then(|v| u64::try_from(v).ok())
                    .ok_or_else(|| bad("length bound must be a non-negative integer"))?;
                if key == 5 {
                    refs.length_lower = Some(v);
                } else {
                    refs.length_upper = Some(v);
                }
            }
            _ => skip(&mut r, 1)?,
        }
    }
    // Trailing bytes in the payload are ignored, as go-cty does.
    Ok(refs)
}

// ---------------------------------------------------------------------------
// Writing

/// Writing into a `Vec` cannot fail; this keeps `?` usable without panics.
fn w<T, E: std::fmt::Debug>(r: Result<T, E>) -> Result<(), CodecError> {
    r.map(|_| ())
        .map_err(|e| CodecError::Encode(format!("write failed: {e:?}")))
}

fn write_number(out: &mut Vec<u8>, n: &Number) -> Result<(), CodecError> {
    if let Some(i) = n.as_i64() {
        w(rmp::encode::write_sint(out, i))
    } else if let Some(f) = n.as_exact_f64() {
        w(rmp::encode::write_f64(out, f))
    } else {
        w(rmp::encode::write_str(out, n.as_str()))
    }
}

fn write_unknown(out: &mut Vec<u8>, refs: &Refinements, ty: &Type) -> Result<(), CodecError> {
    if *ty == Type::Dynamic || refs.is_empty() {
        // go-cty: a dynamic-typed unknown never carries refinements.
        out.extend_from_slice(&UNKNOWN_BYTES);
        return Ok(());
    }
    let bad = |m: &str| CodecError::InvalidRefinement(format!("{m} (type {})", ty.friendly_name()));
    let prefix = refs.string_prefix.as_deref().filter(|p| !p.is_empty());
    if prefix.is_some() && *ty != Type::String {
        return Err(bad("string prefix refinement on a non-string type"));
    }
    if (refs.number_lower.is_some() || refs.number_upper.is_some()) && *ty != Type::Number {
        return Err(bad("number bound refinement on a non-number type"));
    }
    if (refs.length_lower.is_some() || refs.length_upper.is_some()) && !ty.is_collection() {
        return Err(bad("length bound refinement on a non-collection type"));
    }
    let mut body = Vec::new();
    let mut entries = 0u32;
    if let Some(not_null) = refs.not_null {
        entries += 1;
        w(rmp::encode::write_pfix(&mut body, 1))?;
        w(rmp::encode::write_bool(&mut body, !not_null))?;
    }
    if let Some(p) = prefix {
        entries += 1;
        w(rmp::encode::write_pfix(&mut body, 2))?;
        w(rmp::encode::write_str(&mut body, p))?;
    }
    for (key, bound) in [(3u8, &refs.number_lower), (4, &refs.number_upper)] {
        if let Some((n, inclusive)) = bound {
            entries += 1;
            w(rmp::encode::write_pfix(&mut body, key))?;
            w(rmp::encode::write_array_len(&mut body, 2))?;
            write_number(&mut body, n)?;
            w(rmp::encode::write_bool(&mut body, *inclusive))?;
        }
    }
    for (key, bound) in [(5u8, refs.length_lower), (6, refs.length_upper)] {
        if let Some(v) = bound {
            entries += 1;
            w(rmp::encode::write_pfix(&mut body, key))?;
            w(rmp::encode::write_uint(&mut body, v))?;
        }
    }
    let mut payload = Vec::with_capacity(body.len() + 1);
    w(rmp::encode::write_map_len(&mut payload, entries))?;
    payload.extend_from_slice(&body);
    let len = u32::try_from(payload.len()).map_err(|_| bad("refinements too large"))?;
    w(rmp::encode::write_ext_meta(out, len, REFINED_UNKNOWN_EXT))?;
    out.extend_from_slice(&payload);
    Ok(())
}

fn write_len(out: &mut Vec<u8>, n: usize, map: bool) -> Result<(), CodecError> {
    let n = u32::try_from(n).map_err(|_| CodecError::LengthMismatch {
        expected: u32::MAX as usize,
        found: n,
    })?;
    if map {
        w(rmp::encode::write_map_len(out, n))
    } else {
        w(rmp::encode::write_array_len(out, n))
    }
}

fn write_str(out: &mut Vec<u8>, s: &str) -> Result<(), CodecError> {
    if u32::try_from(s.len()).is_err() {
        return Err(CodecError::Encode("string longer than 4 GiB".into()));
    }
    w(rmp::encode::write_str(out, s))
}

fn encode_value(out: &mut Vec<u8>, v: &Value, ty: &Type, depth: usize) -> LResult<()> {
    check_depth(depth)?;
    match v {
        Value::Unknown(refs) => return Ok(write_unknown(out, refs, ty)?),
        Value::Null => {
            w(rmp::encode::write_nil(out))?;
            return Ok(());
        }
        _ => {}
    }
    if *ty == Type::Dynamic {
        let Value::Dynamic(vty, inner) = v else {
            return Err(CodecError::mismatch(
                "Value::Dynamic(type, value), Null or Unknown in a dynamic position",
                v_kind(v),
            )
            .into());
        };
        w(rmp::encode::write_array_len(out, 2))?;
        w(rmp::encode::write_bin(out, &vty.to_json_bytes()))?;
        return encode_value(out, inner, vty, depth + 1);
    }
    match (ty, v) {
        (Type::String, Value::String(s)) => write_str(out, s)?,
        (Type::Number, Value::Number(n)) => write_number(out, n)?,
        (Type::Bool, Value::Bool(b)) => w(rmp::encode::write_bool(out, *b))?,
        (Type::List(ety), Value::List(items)) | (Type::Set(ety), Value::Set(items)) => {
            write_len(out, items.len(), false)?;
            for (i, item) in items.iter().enumerate() {
                encode_value(out, item, ety, depth + 1).map_err(|e| e.at(Step::Index(i)))?;
            }
        }
        (Type::Tuple(etys), Value::Tuple(items)) => {
            if etys.len() != items.len() {
                return Err(CodecError::LengthMismatch {
                    expected: etys.len(),
                    found: items.len(),
                }
                .into());
            }
            write_len(out, items.len(), false)?;
            for (i, (item, ety)) in items.iter().zip(etys).enumerate() {
                encode_value(out, item, ety, depth + 1).map_err(|e| e.at(Step::Index(i)))?;
            }
        }
        (Type::Map(ety), Value::Map(m)) => {
            write_len(out, m.len(), true)?;
            for (k, item) in m {
                write_str(out, k)?;
                encode_value(out, item, ety, depth + 1).map_err(|e| e.at(Step::Key(k.clone())))?;
            }
        }
        (Type::Object { attrs, optional }, Value::Object(m)) => {
            if let Some(extra) = m.keys().find(|k| !attrs.contains_key(*k)) {
                return Err(CodecError::UnknownAttribute(extra.clone()).into());
            }
            write_len(out, attrs.len(), true)?;
            for (name, aty) in attrs {
                write_str(out, name)?;
                match m.get(name) {
                    Some(item) => encode_value(out, item, aty, depth + 1)
                        .map_err(|e| e.at(Step::Attr(name.clone())))?,
                    None if optional.contains(name) => w(rmp::encode::write_nil(out))?,
                    None => return Err(CodecError::MissingAttribute(name.clone()).into()),
                }
            }
        }
        _ => return Err(CodecError::mismatch(ty.friendly_name(), v_kind(v)).into()),
    }
    Ok(())
}

pub(crate) fn v_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Unknown(_) => "unknown",
        Value::String(_) => "string value",
        Value::Number(_) => "number value",
        Value::Bool(_) => "bool value",
        Value::List(_) => "list value",
        Value::Set(_) => "set value",
        Value::Map(_) => "map value",
        Value::Object(_) => "object value",
        Value::Tuple(_) => "tuple value",
        Value::Dynamic(..) => "Value::Dynamic",
    }
}
