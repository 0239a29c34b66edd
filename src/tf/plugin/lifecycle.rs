//! What the server does around each resource call, so that resources
//! declare instead of repeat: validation applies the schema's rules and
//! shape to known values; planning carries configuration in, marks computed
//! values unknown on create (and on replacement, except those the resource
//! knows at plan time) and lists the changes the schema says replace the
//! object; applying dispatches to create, update or delete.

use super::cty::{Number, Value};
use super::diagnostics::{AttributePath, Diagnostics};
use super::framework::{Applied, Change, Plan, Resource};
use super::plan::PrivateState;
use super::schema::Schema;
use crate::engine::rules::{Check, FieldRule};

/// Applies the schema's rules and shape, then the resource's own checks.
pub fn validate(schema: &Schema, config: &Value, diags: &mut Diagnostics) {
    for rule in schema.rules {
        apply_rule(rule, config, diags);
    }
    for shape in schema.shape {
        let is_set = |name: &str| match config.get_attr(name) {
            None => Some(false),
            Some(v) if !v.is_known() => None,
            Some(v) => Some(!v.is_null()),
        };
        if let Some((field, message)) = shape.check(is_set) {
            diags.error_at(
                AttributePath::attr(field),
                "Invalid combination of arguments",
                message,
            );
        }
    }
}

/// Every value the rule's path reaches, with its path (lists of blocks are
/// walked element by element).
fn reach<'a>(
    value: &'a Value,
    steps: &[&str],
    path: AttributePath,
    out: &mut Vec<(AttributePath, &'a Value)>,
) {
    let Some((first, rest)) = steps.split_first() else {
        out.push((path, value));
        return;
    };
    let Some(next) = value.get_attr(first) else {
        return;
    };
    let path = path_then(path, first);
    match next {
        Value::List(items) if !rest.is_empty() => {
            for (i, item) in items.iter().enumerate() {
                reach(item, rest, path.clone().index(i), out);
            }
        }
        _ => reach(next, rest, path, out),
    }
}

fn path_then(path: AttributePath, name: &str) -> AttributePath {
    if path.steps().is_empty() {
        AttributePath::attr(name)
    } else {
        path.then(name)
    }
}

fn apply_rule(rule: &FieldRule, config: &Value, diags: &mut Diagnostics) {
    let mut found = Vec::new();
    reach(config, rule.path, AttributePath::default(), &mut found);
    for (path, value) in found {
        let summary = format!("Invalid {}", rule.path.last().copied().unwrap_or("value"));
        let mut fail = |path: AttributePath, message: String| {
            diags.error_at(path, summary.clone(), message);
        };
        match (rule.check, value) {
            (Check::Text(check), Value::String(text)) => {
                if let Err(e) = check(text) {
                    fail(path, e.0);
                }
            }
            (Check::Number(check), Value::Number(number)) => match whole(number) {
                Some(n) => {
                    if let Err(e) = check(n) {
                        fail(path, e.0);
                    }
                }
                None => fail(path, format!("{number} must be a whole number")),
            },
            (Check::EachText(check), Value::List(items)) => {
                for (i, item) in items.iter().enumerate() {
                    if let Value::String(text) = item {
                        if let Err(e) = check(text) {
                            fail(path.clone().index(i), e.0);
                        }
                    }
                }
            }
            // Set elements have no index a configuration can point at.
            (Check::EachText(check), Value::Set(items)) => {
                for item in items {
                    if let Value::String(text) = item {
                        if let Err(e) = check(text) {
                            fail(path.clone(), e.0);
                        }
                    }
                }
            }
            (Check::EachKey(check), Value::Map(map)) => {
                for key in map.keys() {
                    if let Err(e) = check(key) {
                        fail(path.clone().key(key.clone()), e.0);
                    }
                }
            }
            (Check::EachValue(check), Value::Map(map)) => {
                for (key, item) in map {
                    if let Value::String(text) = item {
                        if let Err(e) = check(text) {
                            fail(path.clone().key(key.clone()), e.0);
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

fn whole(number: &Number) -> Option<i64> {
    number.as_i64()
}

/// Plans a change that is not a destroy.
pub async fn plan<C>(
    resource: &dyn Resource<C>,
    schema: &Schema,
    client: &C,
    prior: Value,
    proposed: Value,
    config: Value,
    prior_private: &[u8],
) -> Plan {
    let mut plan = Plan {
        private: PrivateState::from_bytes(prior_private),
        requires_replace: Vec::new(),
        diagnostics: Diagnostics::new(),
        planned: proposed,
        prior,
        config,
    };
    if plan.prior.is_null() {
        for attribute in schema.block.attributes.iter().filter(|a| a.is_computed()) {
            if plan
                .planned
                .get_attr(&attribute.name)
                .is_some_and(Value::is_null)
            {
                set(&mut plan.planned, &attribute.name, Value::unknown());
            }
        }
    } else {
        plan.requires_replace = schema
            .replacing_names()
            .filter(|name| plan.prior.get_attr(name) != plan.planned.get_attr(name))
            .map(AttributePath::attr)
            .collect();
    }
    resource.plan(client, &mut plan).await;
    if !plan.prior.is_null() {
        // `terraform destroy` first plans a refresh of the configuration as
        // it is, and stops at any error: a resource whose checks fail (after
        // a revocation, say) could not be destroyed without being told how.
        // The plan cannot tell a destroy's refresh from any other plan, so
        // the hint is part of each error, worded for the destroy alone.
        plan.diagnostics.append_to_errors(
            "\n\nIf this stops `terraform destroy`: `terraform destroy -refresh=false` destroys from the state without planning the configuration first.",
        );
    }
    if !plan.prior.is_null() && !plan.requires_replace.is_empty() {
        // A new object: what it will compute is not the old one's.
        for attribute in schema
            .block
            .attributes
            .iter()
            .filter(|a| a.is_computed() && !a.known_at_plan)
        {
            let configured = plan
                .config
                .get_attr(&attribute.name)
                .is_some_and(|v| !v.is_null());
            let carried =
                plan.planned.get_attr(&attribute.name) == plan.prior.get_attr(&attribute.name);
            if !configured && carried {
                set(&mut plan.planned, &attribute.name, Value::unknown());
            }
        }
    }
    plan
}

/// Dispatches an apply to create, update or delete.
pub async fn apply<C>(resource: &dyn Resource<C>, client: &C, change: Change) -> Applied {
    let prior = change.prior.clone();
    let mut applied = if change.planned.is_null() {
        let mut applied = resource.delete(client, change).await;
        // A failed delete keeps the object in state: it still exists.
        if applied.diagnostics.has_errors() && applied.state.is_null() {
            applied.state = prior;
        }
        applied
    } else if change.prior.is_null() {
        resource.create(client, change).await
    } else {
        resource.update(client, change).await
    };
    if !applied.state.is_wholly_known() {
        applied.diagnostics.error(
            "Provider left a value unknown",
            "After apply every value must be known; this is a bug in the provider. Please report it with the resource's configuration.",
        );
    }
    applied
}

/// Sets one top-level attribute of an object value.
pub fn set(target: &mut Value, name: &str, value: impl Into<Value>) {
    if let Value::Object(attrs) = target {
        attrs.insert(name.to_string(), value.into());
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use async_trait::async_trait;

    use super::*;
    use crate::tf::plugin::diagnostics::Severity;
    use crate::tf::plugin::framework::{Applied, ImportResponse, ReadRequest, ReadResponse};

    /// A resource whose every plan fails, as a failing check does.
    struct Failing;

    #[async_trait]
    impl Resource<()> for Failing {
        fn type_name(&self) -> &'static str {
            "test_failing"
        }
        fn schema(&self) -> Schema {
            Schema::new("fails every plan")
        }
        async fn plan(&self, _: &(), plan: &mut Plan) {
            plan.diagnostics.error("Check failed", "as planned");
        }
        async fn create(&self, _: &(), _: Change) -> Applied {
            Applied::default()
        }
        async fn read(&self, _: &(), _: ReadRequest) -> ReadResponse {
            ReadResponse::default()
        }
        async fn update(&self, _: &(), _: Change) -> Applied {
            Applied::default()
        }
        async fn delete(&self, _: &(), _: Change) -> Applied {
            Applied::default()
        }
        async fn import(&self, _: &(), _: &str) -> ImportResponse {
            ImportResponse::default()
        }
    }

    fn hints(plan: &Plan) -> usize {
        plan.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error && d.detail.contains("-refresh=false"))
            .count()
    }

    #[tokio::test]
    async fn a_failing_plan_of_an_existing_object_says_how_to_destroy_it() {
        let schema = Failing.schema();
        let object = Value::Object(BTreeMap::new());
        let existing = plan(
            &Failing,
            &schema,
            &(),
            object.clone(),
            object.clone(),
            object.clone(),
            &[],
        )
        .await;
        assert_eq!(hints(&existing), 1);
        // Nothing to destroy yet: no hint.
        let new = plan(
            &Failing,
            &schema,
            &(),
            Value::Null,
            object.clone(),
            object,
            &[],
        )
        .await;
        assert_eq!(hints(&new), 0);
        assert!(new.diagnostics.has_errors());
    }
}
