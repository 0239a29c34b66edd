//! The engine's words in Terraform's: field paths become attribute paths,
//! findings become diagnostics, and an engine error becomes one error
//! diagnostic. This is the only place the Terraform front end maps them.

use crate::domain::field::{FieldPath, Step};
use std::future::Future;

use crate::engine::verification::Checked;
use crate::engine::{EngineError, EngineResult, Report, Severity};
use crate::tf::plugin::cty::Value;
use crate::tf::plugin::diagnostics::{AttributePath, Diagnostics};
use crate::tf::plugin::framework::{Applied, Change, ImportResponse, ReadRequest, ReadResponse};

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

/// A refresh: the object's key from the recorded state (an error when the
/// state lacks it), then what reading it found: its state now (`state_of`
/// the object and the recorded state), gone (null: Terraform plans to
/// create it again), or, when it cannot be read, the recorded state kept
/// with an error saying `what` failed.
pub async fn refresh<K, T, Read>(
    request: ReadRequest,
    what: &str,
    key: impl FnOnce(&Value, &mut Diagnostics) -> Option<K>,
    read: impl FnOnce(K) -> Read,
    state_of: impl FnOnce(&T, &Value) -> Value,
) -> ReadResponse
where
    Read: Future<Output = EngineResult<Option<T>>>,
{
    let mut response = ReadResponse {
        private: request.private,
        ..ReadResponse::default()
    };
    let Some(key) = key(&request.current_state, &mut response.diagnostics) else {
        response.new_state = request.current_state;
        return response;
    };
    match read(key).await {
        Ok(Some(object)) => response.new_state = state_of(&object, &request.current_state),
        Ok(None) => {}
        Err(e) => {
            error(&mut response.diagnostics, what, &e);
            response.new_state = request.current_state;
        }
    }
    response
}

/// A delete: the object's key from the prior state, then the engine's
/// delete; an error says `what` failed (the lifecycle keeps the state).
pub async fn delete<K, Delete>(
    change: Change,
    what: &str,
    key: impl FnOnce(&Value, &mut Diagnostics) -> Option<K>,
    delete: impl FnOnce(K) -> Delete,
) -> Applied
where
    Delete: Future<Output = EngineResult<()>>,
{
    let mut applied = Applied {
        private: change.private,
        ..Applied::default()
    };
    let Some(key) = key(&change.prior, &mut applied.diagnostics) else {
        return applied;
    };
    if let Err(e) = delete(key).await {
        error(&mut applied.diagnostics, what, &e);
    }
    applied
}

/// An import: the state of what the engine found, or an error saying
/// `what` failed.
pub fn imported<T>(
    found: EngineResult<T>,
    what: &str,
    state_of: impl FnOnce(T) -> Value,
) -> ImportResponse {
    let mut response = ImportResponse::default();
    match found {
        Ok(object) => response.state = state_of(object),
        Err(e) => error(&mut response.diagnostics, what, &e),
    }
    response
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
