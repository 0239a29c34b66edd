//! The engine's words in Terraform's: field paths become attribute paths,
//! findings become diagnostics, and an engine error becomes one error
//! diagnostic. This is the only place the Terraform front end maps them.

use crate::domain::field::{FieldPath, Step};
use crate::engine::verification::Checked;
use crate::engine::{EngineError, Report, Severity};
use crate::tf::plugin::cty::Value;
use crate::tf::plugin::diagnostics::{AttributePath, Diagnostics};

/// A field path as an attribute path (`None` for the whole object).
pub fn path(field: &FieldPath) -> Option<AttributePath> {
    let mut steps = field.steps().iter();
    let mut path = match steps.next()? {
        Step::Field(name) => AttributePath::attr(*name),
        Step::Key(key) => AttributePath::attr(key.clone()),
        Step::Index(_) => return None,
    };
    for step in steps {
        path = match step {
            Step::Field(name) => path.then(*name),
            Step::Index(i) => path.index(*i),
            Step::Key(key) => path.key(key.clone()),
        };
    }
    Some(path)
}

/// Findings as diagnostics.
pub fn report(report: Report, diags: &mut Diagnostics) {
    for finding in report {
        let at = finding.field.as_ref().and_then(path);
        match (finding.severity, at) {
            (Severity::Error, Some(at)) => diags.error_at(at, finding.summary, finding.detail),
            (Severity::Error, None) => diags.error(finding.summary, finding.detail),
            (Severity::Warning, Some(at)) => diags.warning_at(at, finding.summary, finding.detail),
            (Severity::Warning, None) => diags.warning(finding.summary, finding.detail),
        }
    }
}

/// An engine failure as an error diagnostic; `summary` says what failed.
pub fn error(diags: &mut Diagnostics, summary: &str, e: &EngineError) {
    match e.field.as_ref().and_then(path) {
        Some(at) => diags.error_at(at, summary, e.message.clone()),
        None => diags.error(summary, e.message.clone()),
    }
}

/// Warnings the engine returned as plain text, under the caller's summary.
pub fn warnings(summary: &str, texts: &[String], diags: &mut Diagnostics) {
    for text in texts {
        diags.warning(summary, text.clone());
    }
}

/// `verified` as planned: unknown when the plan left checks to apply, so
/// that Terraform applies the resource (an update) and they run then; an
/// artifact that plans no change of its own would otherwise never be
/// applied. Known `true` when the plan ran them all (a failure is an error).
pub fn plan_verified(planned: &mut Value, name: &str, checked: Checked) {
    let value = match checked {
        Checked::AtApply => Value::unknown(),
        Checked::Now => Value::Bool(true),
    };
    crate::tf::values::set(planned, name, value);
}

/// `verified` as recorded; a state written before it existed was verified
/// by the apply that wrote it.
pub fn recorded_verified(state: &Value, name: &str) -> Value {
    Value::Bool(crate::tf::values::boolean(state, name).unwrap_or(true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_paths_keep_their_element_index() {
        let field = FieldPath::field("allowed_publishers").index(3);
        assert_eq!(
            path(&field).map(|p| p.to_string()).as_deref(),
            Some("allowed_publishers[3]")
        );
        assert_eq!(path(&FieldPath::root()), None);
    }
}
