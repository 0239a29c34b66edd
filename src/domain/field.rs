//! Where in a resource's configuration a value came from: the path every
//! rule violation carries, so that each front end can point at the field
//! in its own terms (a Terraform attribute path, a CloudFormation property
//! path, a CLI flag).
//!
//! Fields are named as the Terraform attributes are (snake_case); the
//! CloudFormation front end derives its PascalCase property names from them.

use std::fmt;

/// One step into a configuration: a named field, or an element of a list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Step {
    Field(&'static str),
    Index(usize),
    Key(String),
}

/// A path such as `allowed_publishers[2]` or `revocation.effective_time`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct FieldPath(pub Vec<Step>);

impl FieldPath {
    pub fn root() -> Self {
        FieldPath(Vec::new())
    }

    pub fn field(name: &'static str) -> Self {
        FieldPath(vec![Step::Field(name)])
    }

    pub fn then(mut self, name: &'static str) -> Self {
        self.0.push(Step::Field(name));
        self
    }

    pub fn index(mut self, index: usize) -> Self {
        self.0.push(Step::Index(index));
        self
    }

    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.0.push(Step::Key(key.into()));
        self
    }

    pub fn steps(&self) -> &[Step] {
        &self.0
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<&'static str> for FieldPath {
    fn from(name: &'static str) -> Self {
        FieldPath::field(name)
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                Step::Field(name) if i == 0 => f.write_str(name)?,
                Step::Field(name) => write!(f, ".{name}")?,
                Step::Index(index) => write!(f, "[{index}]")?,
                Step::Key(key) => write!(f, "[{key:?}]")?,
            }
        }
        Ok(())
    }
}

/// A value that breaks a rule, and where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: FieldPath,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<FieldPath>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_print_as_users_read_them() {
        let path = FieldPath::field("artifact").index(1).then("signed_file");
        assert_eq!(path.to_string(), "artifact[1].signed_file");
        assert_eq!(
            FieldPath::field("tags").key("team").to_string(),
            "tags[\"team\"]"
        );
    }
}
