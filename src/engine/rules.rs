//! Field rules as data: which naming or value rule applies to which field
//! of a resource, and which fields exclude or require each other. Each
//! resource module lists its rules once; every front end applies them to
//! the values it receives (a Terraform configuration, a CloudFormation
//! model) and reports a violation at the field's path in its own terms.

use super::EngineError;
use crate::domain::checks::{Enforcement, PolicyError};
use crate::domain::field::FieldPath;
use crate::domain::names::Invalid;

/// `Warn` or `Enforce`, as Lambda spells them.
pub fn enforcement_rule(text: &str) -> Result<(), Invalid> {
    text.parse::<Enforcement>()
        .map(|_| ())
        .map_err(|e| Invalid(e.to_string()))
}

/// One broken allowed-publishers rule, at its element when it has one.
pub fn policy_error(error: &PolicyError, list: FieldPath) -> EngineError {
    let field = match error.index() {
        Some(index) => list.index(index),
        None => list,
    };
    EngineError::invalid(field, error.to_string())
}

/// What a rule checks.
#[derive(Debug, Clone, Copy)]
pub enum Check {
    /// A text value.
    Text(fn(&str) -> Result<(), Invalid>),
    /// Every element of a list or set of text values.
    EachText(fn(&str) -> Result<(), Invalid>),
    /// A whole number.
    Number(fn(i64) -> Result<(), Invalid>),
    /// Every key of a map of text values.
    EachKey(fn(&str) -> Result<(), Invalid>),
    /// Every value of a map of text values.
    EachValue(fn(&str) -> Result<(), Invalid>),
}

/// A rule on the field at `path` (nested blocks name each step).
#[derive(Debug, Clone, Copy)]
pub struct FieldRule {
    pub path: &'static [&'static str],
    pub check: Check,
}

impl FieldRule {
    pub const fn text(
        path: &'static [&'static str],
        rule: fn(&str) -> Result<(), Invalid>,
    ) -> Self {
        FieldRule {
            path,
            check: Check::Text(rule),
        }
    }

    pub const fn each(
        path: &'static [&'static str],
        rule: fn(&str) -> Result<(), Invalid>,
    ) -> Self {
        FieldRule {
            path,
            check: Check::EachText(rule),
        }
    }

    /// A tag map's keys, as every taggable resource checks them.
    pub const fn tag_keys(path: &'static [&'static str]) -> Self {
        FieldRule {
            path,
            check: Check::EachKey(crate::domain::tags::key),
        }
    }

    /// A tag map's values, as every taggable resource checks them.
    pub const fn tag_values(path: &'static [&'static str]) -> Self {
        FieldRule {
            path,
            check: Check::EachValue(crate::domain::tags::value),
        }
    }

    pub const fn number(
        path: &'static [&'static str],
        rule: fn(i64) -> Result<(), Invalid>,
    ) -> Self {
        FieldRule {
            path,
            check: Check::Number(rule),
        }
    }
}

/// How top-level fields relate.
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    /// Set at most one of these.
    Conflicts(&'static str, &'static str),
    /// Set exactly one of these.
    ExactlyOne(&'static [&'static str]),
    /// Set at least one of these.
    AtLeastOne(&'static [&'static str]),
}

impl Shape {
    /// The violation, given which fields are set (`None`: not known yet).
    pub fn check(&self, is_set: impl Fn(&str) -> Option<bool>) -> Option<(&'static str, String)> {
        let names = |fields: &[&str]| {
            fields
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match *self {
            Shape::Conflicts(a, b) => (is_set(a) == Some(true) && is_set(b) == Some(true))
                .then(|| (b, format!("Set `{a}` or `{b}`, not both."))),
            Shape::ExactlyOne(fields) => {
                let states: Vec<Option<bool>> = fields.iter().map(|f| is_set(f)).collect();
                if states.iter().any(Option::is_none) {
                    return None;
                }
                let count = states.iter().filter(|s| **s == Some(true)).count();
                (count != 1).then(|| {
                    (
                        fields[0],
                        format!("Set exactly one of {} ({count} set).", names(fields)),
                    )
                })
            }
            Shape::AtLeastOne(fields) => {
                let states: Vec<Option<bool>> = fields.iter().map(|f| is_set(f)).collect();
                if states.iter().any(Option::is_none) {
                    return None;
                }
                (!states.contains(&Some(true)))
                    .then(|| (fields[0], format!("Set at least one of {}.", names(fields))))
            }
        }
    }
}

/// A whole number of at least 1.
pub fn positive(value: i64) -> Result<(), Invalid> {
    if value >= 1 {
        Ok(())
    } else {
        Err(Invalid(format!(
            "{value} must be a whole number of at least 1"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_say_which_field_and_why() {
        let set = |names: &'static [&'static str]| move |f: &str| Some(names.contains(&f));
        assert!(Shape::Conflicts("name", "name_prefix")
            .check(set(&["name"]))
            .is_none());
        assert_eq!(
            Shape::Conflicts("name", "name_prefix")
                .check(set(&["name", "name_prefix"]))
                .map(|(f, _)| f),
            Some("name_prefix")
        );
        assert!(Shape::ExactlyOne(&["a", "b"]).check(set(&[])).is_some());
        assert!(Shape::ExactlyOne(&["a", "b"]).check(set(&["b"])).is_none());
        assert!(
            Shape::ExactlyOne(&["a", "b"]).check(|_| None).is_none(),
            "unknown: no verdict yet"
        );
        assert!(Shape::AtLeastOne(&["a", "b"])
            .check(set(&["a", "b"]))
            .is_none());
    }
}
