//! cty values (the value model of Terraform) and their wire encodings for the
//! plugin protocol's `DynamicValue`: msgpack (go-cty `cty/msgpack`) and JSON
//! (go-cty `cty/json`), both driven by a schema [`Type`].
//!
//! ```text
//! let ty = Type::from_json_bytes(br#"["object",{"id":"string","n":"number"}]"#)?;
//! let v = decode_msgpack(&bytes, &ty)?;
//! let id = v.get_attr("id").and_then(Value::as_str);
//! let out = encode_msgpack(&v, &ty)?;
//! ```

mod json;
mod message;
mod msgpack;
mod types;
mod value;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use self::json::decode_json;
#[cfg(test)]
pub use self::json::encode_json;
pub use self::msgpack::{decode_msgpack, encode_msgpack};
pub use self::types::Type;
#[cfg(test)]
pub use self::value::Refinements;
pub use self::value::{Number, Value};

/// Maximum nesting depth of values and types accepted or produced by the
/// codecs. Deeper input is rejected with [`CodecError::DepthLimitExceeded`].
pub const MAX_DEPTH: usize = 128;

/// Errors from decoding, encoding or validating cty values and types.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// Wraps another error with the location (e.g. `.tags["a"][3]`) inside
    /// the value where it happened.
    #[error("at {path}: {source}")]
    At {
        path: String,
        #[source]
        source: Box<CodecError>,
    },
    #[error("unexpected end of input")]
    UnexpectedEof,
    #[error("{count} trailing byte(s) after the value")]
    TrailingBytes { count: usize },
    #[error("expected {expected}, found {found}")]
    Mismatch { expected: String, found: String },
    #[error("invalid number {0:?}")]
    InvalidNumber(String),
    #[error("infinite or NaN numbers are not supported")]
    NonFiniteNumber,
    #[error("string is not valid UTF-8")]
    InvalidUtf8,
    #[error("expected {expected} elements, found {found}")]
    LengthMismatch { expected: usize, found: usize },
    #[error("unsupported attribute {0:?}")]
    UnknownAttribute(String),
    #[error("missing required attribute {0:?}")]
    MissingAttribute(String),
    #[error("duplicate key {0:?}")]
    DuplicateKey(String),
    #[error("invalid type description: {0}")]
    InvalidType(String),
    #[error("invalid unknown-value refinement: {0}")]
    InvalidRefinement(String),
    #[error("nesting deeper than {0} levels")]
    DepthLimitExceeded(usize),
    #[error("invalid dynamic value: {0}")]
    InvalidDynamic(String),
    #[cfg(test)]
    #[error("unknown values cannot be encoded as JSON")]
    UnknownInJson,
    #[error("invalid JSON: {0}")]
    Json(String),
    #[error("cannot encode: {0}")]
    Encode(String),
}

impl CodecError {
    pub(crate) fn mismatch(expected: impl Into<String>, found: impl Into<String>) -> CodecError {
        CodecError::Mismatch {
            expected: expected.into(),
            found: found.into(),
        }
    }

    #[cfg(test)]
    /// The innermost error, without location wrappers.
    pub fn root(&self) -> &CodecError {
        match self {
            CodecError::At { source, .. } => source.root(),
            e => e,
        }
    }

    #[cfg(test)]
    /// The location path, if any (e.g. `.a[0]`).
    pub fn path(&self) -> Option<&str> {
        match self {
            CodecError::At { path, .. } => Some(path),
            _ => None,
        }
    }
}

/// One step of a location inside a value, collected while an error unwinds.
#[derive(Debug, Clone)]
pub(crate) enum Step {
    Attr(String),
    Index(usize),
    Key(String),
}

/// An error plus the reversed path to where it happened. Steps are pushed as
/// the error propagates outward, so success costs nothing.
#[derive(Debug)]
pub(crate) struct Located {
    pub(crate) steps: Vec<Step>,
    pub(crate) err: CodecError,
}

impl From<CodecError> for Located {
    fn from(err: CodecError) -> Located {
        Located {
            steps: Vec::new(),
            err,
        }
    }
}

impl Located {
    pub(crate) fn at(mut self, step: Step) -> Located {
        self.steps.push(step);
        self
    }

    pub(crate) fn finish(self) -> CodecError {
        if self.steps.is_empty() {
            return self.err;
        }
        let mut path = String::new();
        for s in self.steps.iter().rev() {
            match s {
                Step::Attr(a) => {
                    path.push('.');
                    path.push_str(a);
                }
                Step::Index(i) => {
                    path.push_str(&format!("[{i}]"));
                }
                Step::Key(k) => {
                    path.push_str(&format!("[{k:?}]"));
                }
            }
        }
        CodecError::At {
            path,
            source: Box::new(self.err),
        }
    }
}

pub(crate) type LResult<T> = Result<T, Located>;

pub(crate) fn check_depth(depth: usize) -> Result<(), CodecError> {
    if depth > MAX_DEPTH {
        Err(CodecError::DepthLimitExceeded(MAX_DEPTH))
    } else {
        Ok(())
    }
}
