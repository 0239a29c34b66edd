//! Reading engine inputs out of cty values and writing state back: typed
//! readers that say whether a value is known, and an error with the
//! attribute's path when a value the provider needs is missing (never an
//! empty string sent on).

use std::collections::BTreeMap;

use crate::domain::tags::Tags;
use crate::engine::Planned;
use crate::tf::plugin::cty::{Number, Value};
use crate::tf::plugin::diagnostics::{AttributePath, Diagnostics};

/// A known, non-null string attribute.
pub fn text(value: &Value, name: &str) -> Option<String> {
    value
        .get_attr(name)
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// A string attribute as a plan sees it: known (maybe null), or unknown.
pub fn planned_text(value: &Value, name: &str) -> Planned<Option<String>> {
    match value.get_attr(name) {
        Some(v) if !v.is_known() => Planned::Unknown,
        Some(v) => Planned::Known(v.as_str().map(str::to_string)),
        None => Planned::Known(None),
    }
}

/// A string the provider needs: missing (null or unknown) is an error at
/// the attribute, reported once.
pub fn required_text(value: &Value, name: &str, diags: &mut Diagnostics) -> Option<String> {
    let found = text(value, name);
    if found.is_none() {
        diags.error_at(
            AttributePath::attr(name),
            "Missing value",
            format!("`{name}` has no value; the provider cannot act without it."),
        );
    }
    found
}

pub fn boolean(value: &Value, name: &str) -> Option<bool> {
    value.get_attr(name).and_then(Value::as_bool)
}

pub fn integer(value: &Value, name: &str) -> Option<i64> {
    value
        .get_attr(name)
        .and_then(Value::as_number)
        .and_then(Number::as_i64)
}

/// A known list or set of known strings; `None` if null or unknown anywhere.
pub fn texts(value: &Value, name: &str) -> Option<Vec<String>> {
    let items = value.get_attr(name)?.as_slice()?;
    items
        .iter()
        .map(|item| item.as_str().map(str::to_string))
        .collect()
}

/// The known strings of a list or set that may hold unknown ones (none
/// when the whole value is unknown or null).
pub fn known_texts(value: &Value, name: &str) -> Vec<String> {
    value
        .get_attr(name)
        .and_then(Value::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|item| item.as_str().map(str::to_string))
        .collect()
}

/// A list or set of strings as a plan sees it: null is empty.
pub fn planned_texts(value: &Value, name: &str) -> Planned<Vec<String>> {
    match value.get_attr(name) {
        None => Planned::Known(Vec::new()),
        Some(v) if v.is_null() => Planned::Known(Vec::new()),
        Some(_) => texts(value, name).map_or(Planned::Unknown, Planned::Known),
    }
}

/// A known map of strings; empty when null.
pub fn text_map(value: &Value, name: &str) -> Option<Tags> {
    match value.get_attr(name) {
        None => Some(Tags::new()),
        Some(v) if v.is_null() => Some(Tags::new()),
        Some(v) => v
            .as_map()?
            .iter()
            .map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
            .collect(),
    }
}

/// A nested single block, if present (known and non-null).
pub fn block<'a>(value: &'a Value, name: &str) -> Option<&'a Value> {
    value
        .get_attr(name)
        .filter(|v| v.is_known() && !v.is_null())
}

/// An attribute's value as it is (null when absent).
pub fn keep(value: &Value, name: &str) -> Value {
    value.get_attr(name).cloned().unwrap_or(Value::Null)
}

pub fn opt_text(text: Option<&str>) -> Value {
    text.map_or(Value::Null, Value::string)
}

pub fn number(n: i64) -> Value {
    Value::number(Number::from_i64(n))
}

pub fn text_set(items: &[String]) -> Value {
    let mut sorted: Vec<&String> = items.iter().collect();
    sorted.sort();
    sorted.dedup();
    Value::Set(
        sorted
            .into_iter()
            .map(|s| Value::string(s.as_str()))
            .collect(),
    )
}

/// A set that stays null when empty and not configured, so an unset
/// argument never shows a diff from null to `[]`.
pub fn text_set_or_null(items: &[String], configured: &Value) -> Value {
    if items.is_empty() && configured.is_null() {
        Value::Null
    } else {
        text_set(items)
    }
}

/// A string that stays null when empty and not configured.
pub fn text_or_null(text: &str, configured: &Value) -> Value {
    if text.is_empty() && configured.is_null() {
        Value::Null
    } else {
        Value::string(text)
    }
}

/// A map of strings; null when empty and not configured.
pub fn map_or_null(tags: &Tags, configured: &Value) -> Value {
    if tags.is_empty() && configured.is_null() {
        return Value::Null;
    }
    Value::Map(
        tags.iter()
            .map(|(k, v)| (k.clone(), Value::string(v.as_str())))
            .collect(),
    )
}

/// A map of strings, always a map.
pub fn map(tags: &Tags) -> Value {
    Value::Map(
        tags.iter()
            .map(|(k, v)| (k.clone(), Value::string(v.as_str())))
            .collect(),
    )
}

/// Builds an object value attribute by attribute.
#[derive(Default)]
pub struct Object(BTreeMap<String, Value>);

impl Object {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.0.insert(name.to_string(), value.into());
        self
    }

    pub fn build(self) -> Value {
        Value::Object(self.0)
    }
}

pub use crate::tf::plugin::lifecycle::set;

#[cfg(test)]
mod tests {
    use super::*;

    fn object(pairs: &[(&str, Value)]) -> Value {
        let mut o = Object::new();
        for (k, v) in pairs {
            o = o.set(k, v.clone());
        }
        o.build()
    }

    #[test]
    fn planned_values_tell_unknown_from_null() {
        let v = object(&[
            ("a", Value::string("x")),
            ("b", Value::Null),
            ("c", Value::unknown()),
            ("l", Value::List(vec![Value::string("1"), Value::unknown()])),
        ]);
        assert_eq!(planned_text(&v, "a"), Planned::Known(Some("x".into())));
        assert_eq!(planned_text(&v, "b"), Planned::Known(None));
        assert_eq!(planned_text(&v, "c"), Planned::Unknown);
        assert_eq!(planned_texts(&v, "b"), Planned::Known(vec![]));
        assert_eq!(planned_texts(&v, "l"), Planned::Unknown);
    }

    #[test]
    fn a_missing_required_value_is_an_error_at_its_path() {
        let mut diags = Diagnostics::new();
        assert_eq!(
            required_text(&object(&[("name", Value::Null)]), "name", &mut diags),
            None
        );
        let paths: Vec<String> = diags
            .iter()
            .filter_map(|d| d.path.as_ref().map(ToString::to_string))
            .collect();
        assert_eq!(paths, vec!["name"]);
    }

    #[test]
    fn empty_unset_values_stay_null() {
        assert_eq!(map_or_null(&Tags::new(), &Value::Null), Value::Null);
        assert_eq!(text_set_or_null(&[], &Value::Null), Value::Null);
        assert_eq!(text_or_null("", &Value::Null), Value::Null);
        assert_eq!(text_or_null("", &Value::string("")), Value::string(""));
    }
}
