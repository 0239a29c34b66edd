//! Reading JSON request members (each bad one an error naming it) and the
//! value formats the SDKs expect: Signer's epoch seconds, Lambda's
//! ISO-8601 strings, opaque page tokens.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::errors::ApiError;
use super::http::Request;
use super::routes::Service;
use crate::domain::tags::Tags;

/// The JSON body (an empty body is `{}`).
pub fn body(service: Service, request: &Request) -> Result<Map<String, Value>, ApiError> {
    if request.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(&request.body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::invalid(
            service,
            "body",
            "the request body must be a JSON object",
        )),
        Err(e) => Err(ApiError::invalid(
            service,
            "body",
            format!("the request body is not JSON: {e}"),
        )),
    }
}

/// Typed access to a JSON object's members; `path` names the object for
/// error messages (`source.s3`).
pub struct Members<'a> {
    pub service: Service,
    pub path: String,
    pub map: &'a Map<String, Value>,
}

impl<'a> Members<'a> {
    pub fn new(service: Service, map: &'a Map<String, Value>) -> Self {
        Members {
            service,
            path: String::new(),
            map,
        }
    }

    fn name(&self, member: &str) -> String {
        if self.path.is_empty() {
            member.to_string()
        } else {
            format!("{}.{member}", self.path)
        }
    }

    fn invalid(&self, member: &str, message: &str) -> ApiError {
        ApiError::invalid(self.service, &self.name(member), message)
    }

    /// An optional string member.
    pub fn string(&self, member: &str) -> Result<Option<String>, ApiError> {
        match self.map.get(member) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.invalid(member, "must be a string")),
        }
    }

    /// A required string member.
    pub fn required(&self, member: &str) -> Result<String, ApiError> {
        self.string(member)?
            .ok_or_else(|| ApiError::missing(self.service, &self.name(member)))
    }

    pub fn integer(&self, member: &str) -> Result<Option<i64>, ApiError> {
        match self.map.get(member) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| self.invalid(member, "must be a whole number")),
            Some(_) => Err(self.invalid(member, "must be a number")),
        }
    }

    pub fn boolean(&self, member: &str) -> Result<Option<bool>, ApiError> {
        match self.map.get(member) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(self.invalid(member, "must be true or false")),
        }
    }

    /// Epoch seconds (a JSON number, fraction allowed), as Signer sends times.
    pub fn epoch(&self, member: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
        match self.map.get(member) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => {
                let seconds = n
                    .as_f64()
                    .ok_or_else(|| self.invalid(member, "must be seconds since 1970"))?;
                let millis = (seconds * 1000.0).round();
                if !millis.is_finite() || millis.abs() > 8.0e15 {
                    return Err(self.invalid(member, "is not a representable time"));
                }
                DateTime::from_timestamp_millis(millis as i64)
                    .map(Some)
                    .ok_or_else(|| self.invalid(member, "is not a representable time"))
            }
            Some(_) => Err(self.invalid(member, "must be a number of seconds since 1970")),
        }
    }

    /// A nested object (`None` when absent).
    pub fn object(&self, member: &str) -> Result<Option<Members<'a>>, ApiError> {
        match self.map.get(member) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Members {
                service: self.service,
                path: self.name(member),
                map,
            })),
            Some(_) => Err(self.invalid(member, "must be an object")),
        }
    }

    pub fn required_object(&self, member: &str) -> Result<Members<'a>, ApiError> {
        self.object(member)?
            .ok_or_else(|| ApiError::missing(self.service, &self.name(member)))
    }

    /// A list of strings (`None` when absent).
    pub fn strings(&self, member: &str) -> Result<Option<Vec<String>>, ApiError> {
        match self.map.get(member) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    Value::String(s) => Ok(s.clone()),
                    _ => Err(self.invalid(&format!("{member}[{i}]"), "must be a string")),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(self.invalid(member, "must be a list of strings")),
        }
    }

    /// A map of strings (`None` when absent).
    pub fn string_map(&self, member: &str) -> Result<Option<Tags>, ApiError> {
        match self.map.get(member) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(map)) => map
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Ok((k.clone(), s.clone())),
                    _ => Err(self.invalid(&format!("{member}.{k}"), "must be a string")),
                })
                .collect::<Result<Tags, _>>()
                .map(Some),
            Some(_) => Err(self.invalid(member, "must be a map of strings")),
        }
    }
}

/// Signer's timestamps: epoch seconds, a JSON number.
pub fn epoch(time: DateTime<Utc>) -> Value {
    if time.timestamp_subsec_millis() == 0 {
        Value::from(time.timestamp())
    } else {
        Value::from(time.timestamp_millis() as f64 / 1000.0)
    }
}

/// Lambda's timestamps: `2024-05-01T12:34:56.789+0000`.
pub fn lambda_time(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()
}

/// One page of `items` from the opaque `token` (an offset), at most `max`;
/// the next token when more remain. A token this server did not give is
/// an error about `token_field`.
pub fn page<T>(
    service: Service,
    items: Vec<T>,
    token: Option<&str>,
    max: usize,
    token_field: &str,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let start = match token.filter(|t| !t.is_empty()) {
        None => 0,
        Some(t) => t
            .strip_prefix("p")
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n <= items.len())
            .ok_or_else(|| {
                ApiError::invalid(
                    service,
                    token_field,
                    format!("{t:?} is not a token this server gave"),
                )
            })?,
    };
    let end = start.saturating_add(max.max(1)).min(items.len());
    let next = (end < items.len()).then(|| format!("p{end}"));
    Ok((
        items.into_iter().skip(start).take(end - start).collect(),
        next,
    ))
}

/// A page size from the query (`name`), within `1..=limit`.
pub fn max_items(
    service: Service,
    value: Option<&str>,
    name: &str,
    limit: usize,
) -> Result<usize, ApiError> {
    match value {
        None | Some("") => Ok(limit),
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=limit).contains(n))
            .ok_or_else(|| {
                ApiError::invalid(
                    service,
                    name,
                    format!("{text:?} is not a number from 1 to {limit}"),
                )
            }),
    }
}

/// A boolean query flag.
pub fn flag(service: Service, value: Option<&str>, name: &str) -> Result<Option<bool>, ApiError> {
    match value {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(other) => Err(ApiError::invalid(
            service,
            name,
            format!("{other:?} is not true or false"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_never_repeat_a_token() {
        let items: Vec<u32> = (0..7).collect();
        let (first, next) = page(Service::Lambda, items.clone(), None, 3, "Marker").expect("page");
        assert_eq!((first, next.as_deref()), (vec![0, 1, 2], Some("p3")));
        let (second, next) =
            page(Service::Lambda, items.clone(), Some("p3"), 3, "Marker").expect("page");
        assert_eq!((second, next.as_deref()), (vec![3, 4, 5], Some("p6")));
        let (last, next) =
            page(Service::Lambda, items.clone(), Some("p6"), 3, "Marker").expect("page");
        assert_eq!((last, next), (vec![6], None));
        assert!(page(Service::Lambda, items, Some("bogus"), 3, "Marker").is_err());
    }

    #[test]
    fn times_are_written_as_each_service_writes_them() {
        let t = DateTime::from_timestamp_millis(1_714_566_896_123).expect("time");
        assert_eq!(lambda_time(t), "2024-05-01T12:34:56.123+0000");
        assert_eq!(epoch(t), serde_json::json!(1714566896.123));
        let whole = DateTime::from_timestamp(1_714_566_896, 0).expect("time");
        assert_eq!(epoch(whole), serde_json::json!(1714566896));
    }
}
