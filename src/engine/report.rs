//! What a plan (or a pre-deployment hook) has to say that is not a failure
//! of the engine itself: Lambda's verdicts, rules broken by a planned
//! change, things that cannot be known until apply. Findings accumulate;
//! each front end shows them its own way.

use crate::domain::field::FieldPath;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Severity {
    /// The change would fail, or Lambda would reject what it deploys.
    Error,
    /// Worth a reviewer's attention; the change goes ahead.
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    pub field: Option<FieldPath>,
    pub summary: String,
    pub detail: String,
}

/// The findings of one plan step, in the order they were made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report(pub Vec<Finding>);

impl Report {
    pub fn new() -> Self {
        Report::default()
    }

    pub fn error(
        &mut self,
        field: Option<FieldPath>,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.0.push(Finding {
            severity: Severity::Error,
            field,
            summary: summary.into(),
            detail: detail.into(),
        });
    }

    pub fn warning(
        &mut self,
        field: Option<FieldPath>,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.0.push(Finding {
            severity: Severity::Warning,
            field,
            summary: summary.into(),
            detail: detail.into(),
        });
    }

    /// An engine failure met while planning, as an error finding.
    pub fn failure(&mut self, summary: impl Into<String>, error: &super::EngineError) {
        self.0.push(Finding {
            severity: Severity::Error,
            field: error.field.clone(),
            summary: summary.into(),
            detail: error.message.clone(),
        });
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|f| f.severity == Severity::Error)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Finding> {
        self.0.iter()
    }
}

impl IntoIterator for Report {
    type Item = Finding;
    type IntoIter = std::vec::IntoIter<Finding>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}
