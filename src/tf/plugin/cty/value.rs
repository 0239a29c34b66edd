//! The cty value model: [`Value`], [`Number`] and [`Refinements`].

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use super::message::quoted;
use super::types::Type;
use super::CodecError;

/// Largest number of zeros an explicit exponent (`1e400`) may add to the
/// canonical plain-decimal text of a number. Plain decimal input has no such
/// limit (its text is already as long as its canonical form), but an exponent
/// would otherwise let a few input bytes expand into an arbitrarily long text.
/// 1100 covers the exact decimal expansion of every finite `f64`.
pub const MAX_EXPONENT_PADDING: u64 = 1100;

/// An arbitrary-precision decimal number, stored as its canonical text.
///
/// The canonical text is plain decimal notation without exponent, without
/// leading zeros in the integer part (except a single `0`), without trailing
/// zeros in the fraction, without a `.` when the fraction is empty, and with
/// no sign for zero: e.g. `0`, `-12`, `1.5`, `0.001`, `1000`.
/// Equal numbers therefore have equal text, so the derived `Eq` is numeric
/// equality. NaN and infinities are not representable.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Number(String);

impl Number {
    /// The number zero.
    pub fn zero() -> Number {
        Number("0".to_string())
    }

    pub fn from_i64(v: i64) -> Number {
        Number(v.to_string())
    }

    pub fn from_u64(v: u64) -> Number {
        Number(v.to_string())
    }

    /// The exact decimal value of a finite `f64` (so `0.1f64` becomes
    /// `0.1000000000000000055511151231257827021181583404541015625`, the value
    /// the binary float really holds, exactly as go-cty's `NumberFloatVal`
    /// keeps it). `None` for NaN and infinities.
    pub fn from_f64(v: f64) -> Option<Number> {
        if !v.is_finite() {
            return None;
        }
        if v == 0.0 {
            return Some(Number::zero());
        }
        let bits = v.to_bits();
        let neg = bits >> 63 == 1;
        let exp_bits = ((bits >> 52) & 0x7ff) as i64;
        let frac = bits & ((1u64 << 52) - 1);
        let (mant, exp2) = if exp_bits == 0 {
            (frac, -1074i64)
        } else {
            (frac | (1u64 << 52), exp_bits - 1075)
        };
        // value = mant * 2^exp2
        let mut big = BigDec::from_u64(mant);
        let exp10 = if exp2 >= 0 {
            big.mul_pow(2, exp2 as u32);
            0
        } else {
            // mant * 2^-k = mant * 5^k / 10^k
            big.mul_pow(5, (-exp2) as u32);
            exp2
        };
        let digits = big.to_digits();
        Some(Number(canonical_text(neg, digits.as_bytes(), exp10)))
    }

    /// Parses decimal number syntax: optional sign, digits with an optional
    /// fraction, and an optional exponent (`-1.5e3`, `+2`, `.5`, `1.`).
    /// Rejects NaN/Inf, hex and anything else, and exponents that would add
    /// more than [`MAX_EXPONENT_PADDING`] zeros.
    pub fn parse(s: &str) -> Result<Number, CodecError> {
        let err = || CodecError::InvalidNumber(quoted(s));
        let b = s.as_bytes();
        let mut i = 0;
        let mut neg = false;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            neg = b[i] == b'-';
            i += 1;
        }
        let int_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let int_part = &b[int_start..i];
        let mut frac_part: &[u8] = &[];
        if i < b.len() && b[i] == b'.' {
            i += 1;
            let fs = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            frac_part = &b[fs..i];
        }
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(err());
        }
        let mut exp: i64 = 0;
        if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
            i += 1;
            let mut eneg = false;
            if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
                eneg = b[i] == b'-';
                i += 1;
            }
            let es = i;
            while i < b.len() && b[i].is_ascii_digit() {
                // Saturate: anything this large is rejected below anyway.
                exp = exp
                    .saturating_mul(10)
                    .saturating_add(i64::from(b[i] - b'0'))
                    .min(i64::from(u32::MAX));
                i += 1;
            }
            if i == es {
                return Err(err());
            }
            if eneg {
                exp = -exp;
            }
        }
        if i != b.len() {
            return Err(err());
        }
        if exp.unsigned_abs() > MAX_EXPONENT_PADDING {
            // Even if the digits would absorb part of it, refuse: keeps the
            // rule simple and the expansion bounded.
            if !int_part.iter().chain(frac_part).all(|&d| d == b'0') {
                return Err(CodecError::InvalidNumber(format!(
                    "{}: exponent out of supported range",
                    quoted(s)
                )));
            }
            return Ok(Number::zero());
        }
        // value = (int_part ++ frac_part) * 10^(exp - frac_len)
        let mut digits: Vec<u8> = Vec::with_capacity(int_part.len() + frac_part.len());
        digits.extend_from_slice(int_part);
        digits.extend_from_slice(frac_part);
        let frac_len = i64::try_from(frac_part.len()).map_err(|_| err())?;
        let exp10 = exp.checked_sub(frac_len).ok_or_else(err)?;
        Ok(Number(canonical_text(neg, &digits, exp10)))
    }

    /// The canonical text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_integer(&self) -> bool {
        !self.0.contains('.')
    }

    pub fn as_i64(&self) -> Option<i64> {
        if self.is_integer() {
            self.0.parse().ok()
        } else {
            None
        }
    }

    #[cfg(test)]
    pub fn as_u64(&self) -> Option<u64> {
        if self.is_integer() {
            self.0.parse().ok()
        } else {
            None
        }
    }

    /// Nearest `f64` (may round; huge values become infinite).
    pub fn as_f64(&self) -> f64 {
        self.0.parse().unwrap_or(f64::NAN)
    }

    /// `Some(f)` when this number is exactly the value of the finite `f64` `f`.
    pub fn as_exact_f64(&self) -> Option<f64> {
        // A finite f64 has at most 767 significant decimal digits and its
        // plain text is at most ~1100 characters; skip the work beyond that.
        if self.0.len() > 1200 {
            return None;
        }
        let f = self.as_f64();
        if !f.is_finite() {
            return None;
        }
        match Number::from_f64(f) {
            Some(n) if n == *self => Some(f),
            _ => None,
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Number {
    type Err = CodecError;
    fn from_str(s: &str) -> Result<Number, CodecError> {
        Number::parse(s)
    }
}

impl From<i64> for Number {
    fn from(v: i64) -> Number {
        Number::from_i64(v)
    }
}

impl From<i32> for Number {
    fn from(v: i32) -> Number {
        Number::from_i64(v.into())
    }
}

impl From<u64> for Number {
    fn from(v: u64) -> Number {
        Number::from_u64(v)
    }
}

/// Builds canonical text for `(-1)^neg * digits * 10^exp10`, where `digits`
/// are ASCII digits (leading/trailing zeros allowed).
fn canonical_text(neg: bool, digits: &[u8], exp10: i64) -> String {
    let start = digits.iter().position(|&d| d != b'0');
    let Some(start) = start else {
        return "0".to_string();
    };
    let mut digits = &digits[start..];
    let mut exp10 = exp10;
    while let Some((&b'0', rest)) = digits.split_last() {
        digits = rest;
        exp10 += 1;
    }
    let mut out = String::with_capacity(digits.len() + 4);
    if neg {
        out.push('-');
    }
    let push = |out: &mut String, d: &[u8]| out.extend(d.iter().map(|&c| c as char));
    if exp10 >= 0 {
        push(&mut out, digits);
        out.extend(std::iter::repeat_n('0', exp10 as usize));
    } else {
        let k = exp10.unsigned_abs() as usize;
        if k < digits.len() {
            let split = digits.len() - k;
            push(&mut out, &digits[..split]);
            out.push('.');
            push(&mut out, &digits[split..]);
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', k - digits.len()));
            push(&mut out, digits);
        }
    }
    out
}

/// Minimal unsigned big integer in base 1e9, for exact f64 → decimal.
struct BigDec {
    limbs: Vec<u32>, // little-endian, base 1e9
}

impl BigDec {
    const BASE: u64 = 1_000_000_000;

    fn from_u64(mut v: u64) -> BigDec {
        let mut limbs = Vec::new();
        while v > 0 {
            limbs.push((v % Self::BASE) as u32);
            v /= Self::BASE;
        }
        BigDec { limbs }
    }

    fn mul_small(&mut self, m: u32) {
        let mut carry: u64 = 0;
        for l in &mut self.limbs {
            let p = u64::from(*l) * u64::from(m) + carry;
            *l = (p % Self::BASE) as u32;
            carry = p / Self::BASE;
        }
        while carry > 0 {
            self.limbs.push((carry % Self::BASE) as u32);
            carry /= Self::BASE;
        }
    }

    /// self *= base^n for base 2 or 5.
    fn mul_pow(&mut self, base: u32, mut n: u32) {
        // largest power that fits below 2^32 for the multiplier
        let (chunk_pow, chunk) = if base == 2 {
            (31, 1u32 << 31)
        } else {
            (13, 1_220_703_125)
        };
        while n >= chunk_pow {
            self.mul_small(chunk);
            n -= chunk_pow;
        }
        if n > 0 {
            self.mul_small(base.pow(n));
        }
    }

    fn to_digits(&self) -> String {
        let mut s = String::new();
        for (i, l) in self.limbs.iter().rev().enumerate() {
            if i == 0 {
                s.push_str(&l.to_string());
            } else {
                s.push_str(&format!("{l:09}"));
            }
        }
        if s.is_empty() {
            s.push('0');
        }
        s
    }
}

/// Refinements of an unknown value (go-cty `cty/msgpack` extension 12).
///
/// Wire keys: 1 nullness, 2 string prefix, 3 number lower bound, 4 number
/// upper bound, 5 collection length lower bound, 6 collection length upper
/// bound.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Refinements {
    /// Key 1. `Some(true)`: definitely not null. On the wire key 1 carries
    /// "is null", so `Some(true)` is written as `false`.
    pub not_null: Option<bool>,
    /// Key 2 (string types only). An empty prefix is treated as absent.
    pub string_prefix: Option<String>,
    /// Key 3 (number type only): `(bound, inclusive)`.
    pub number_lower: Option<(Number, bool)>,
    /// Key 4 (number type only): `(bound, inclusive)`.
    pub number_upper: Option<(Number, bool)>,
    /// Key 5 (list/set/map only).
    pub length_lower: Option<u64>,
    /// Key 6 (list/set/map only).
    pub length_upper: Option<u64>,
}

impl Refinements {
    pub fn is_empty(&self) -> bool {
        self.not_null.is_none()
            && self.string_prefix.as_deref().is_none_or(str::is_empty)
            && self.number_lower.is_none()
            && self.number_upper.is_none()
            && self.length_lower.is_none()
            && self.length_upper.is_none()
    }

    #[cfg(test)]
    /// Refinements with only "definitely not null".
    pub fn not_null() -> Refinements {
        Refinements {
            not_null: Some(true),
            ..Refinements::default()
        }
    }
}

/// A cty value. Which variants are valid is decided by the schema [`Type`]
/// it is encoded/decoded with; see [`Type::validate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Null,
    Unknown(Refinements),
    String(String),
    Number(Number),
    Bool(bool),
    List(Vec<Value>),
    /// Elements in wire order (no deduplication or sorting is done).
    Set(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Object(BTreeMap<String, Value>),
    Tuple(Vec<Value>),
    /// A value in a position whose schema type is `Dynamic`, with its concrete
    /// type. The inner value may itself be `Null` or `Unknown` (a typed null /
    /// typed unknown). A bare `Null` / `Unknown` in a dynamic position is an
    /// untyped null / `cty.DynamicVal`.
    Dynamic(Type, Box<Value>),
}

impl Value {
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    pub fn number(n: impl Into<Number>) -> Value {
        Value::Number(n.into())
    }

    pub fn bool(b: bool) -> Value {
        Value::Bool(b)
    }

    /// A wholly unknown value without refinements.
    pub fn unknown() -> Value {
        Value::Unknown(Refinements::default())
    }

    #[cfg(test)]
    /// Wraps a value for a `Dynamic` position.
    pub fn dynamic(ty: Type, v: Value) -> Value {
        Value::Dynamic(ty, Box::new(v))
    }

    /// Looks through `Dynamic` wrappers.
    pub fn unwrap_dynamic(&self) -> &Value {
        let mut v = self;
        while let Value::Dynamic(_, inner) = v {
            v = inner;
        }
        v
    }

    pub fn is_null(&self) -> bool {
        matches!(self.unwrap_dynamic(), Value::Null)
    }

    /// False if the value itself is unknown (nested unknowns don't count).
    pub fn is_known(&self) -> bool {
        !matches!(self.unwrap_dynamic(), Value::Unknown(_))
    }

    /// False if the value or anything nested in it is unknown.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown(_) => false,
            Value::Null | Value::String(_) | Value::Number(_) | Value::Bool(_) => true,
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => {
                v.iter().all(Value::is_wholly_known)
            }
            Value::Map(m) | Value::Object(m) => m.values().all(Value::is_wholly_known),
            Value::Dynamic(_, v) => v.is_wholly_known(),
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self.unwrap_dynamic() {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.unwrap_dynamic() {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_number(&self) -> Option<&Number> {
        match self.unwrap_dynamic() {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    /// Elements of a list, set or tuple.
    pub fn as_slice(&self) -> Option<&[Value]> {
        match self.unwrap_dynamic() {
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => Some(v),
            _ => None,
        }
    }

    /// Entries of a map or object.
    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self.unwrap_dynamic() {
            Value::Map(m) | Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// Attribute of an object (also looks through `Dynamic`).
    pub fn get_attr(&self, name: &str) -> Option<&Value> {
        match self.unwrap_dynamic() {
            Value::Object(m) => m.get(name),
            _ => None,
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Number(Number::from_i64(v))
    }
}

impl From<Number> for Value {
    fn from(n: Number) -> Value {
        Value::Number(n)
    }
}

/// The absent value: what a destroyed resource's new state or an empty
/// response holds.
impl Default for Value {
    fn default() -> Self {
        Value::Null
    }
}
