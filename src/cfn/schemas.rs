//! The registry schemas under `cloudformation/` against the adapters: every
//! property is an engine field, `createOnlyProperties` is exactly what the
//! engine's replace-on-change list makes it, and the handlers and their
//! permissions are there.
//!
//! `createOnlyProperties` is generated: `LAMBDASIGN_BLESS_SCHEMAS=1 cargo
//! test --lib cfn::schemas` writes it into each schema file; without the
//! variable the test fails on any difference, so the schemas cannot drift
//! from the engine.

#![cfg(test)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::Value;

use super::resource::TypeDef;
use super::types;

fn folder(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("cloudformation")
        .join(name)
}

/// The file name `cfn` expects: the type name, lower case, `::` as `-`.
fn schema_file_name(type_name: &str) -> String {
    format!("{}.json", type_name.to_ascii_lowercase().replace("::", "-"))
}

/// Replaces the `createOnlyProperties` array of a schema text, keeping the
/// rest of the file as it is written.
fn with_create_only(text: &str, pointers: &[String]) -> String {
    let key = "\"createOnlyProperties\": [";
    let Some(start) = text.find(key) else {
        panic!("add an empty \"createOnlyProperties\": [] to the schema for the generator to fill");
    };
    let open = start + key.len();
    let close = open + text[open..].find(']').expect("an array end");
    let indent = "    ";
    let body = if pointers.is_empty() {
        String::new()
    } else {
        let items: Vec<String> = pointers
            .iter()
            .map(|p| format!("{indent}{indent}\"{p}\""))
            .collect();
        format!("\n{}\n{indent}", items.join(",\n"))
    };
    format!("{}{}{}", &text[..open], body, &text[close..])
}

fn check_type(def: &TypeDef) -> Vec<String> {
    let mut problems = Vec::new();
    let path = folder(def.folder).join(schema_file_name(def.type_name));
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    if on_disk != def.schema {
        problems.push(format!(
            "{}: the embedded schema is not the file",
            path.display()
        ));
    }
    let schema: Value = serde_json::from_str(def.schema).expect("schema JSON");
    assert_eq!(schema["typeName"], def.type_name);
    let config: Value = serde_json::from_str(
        &std::fs::read_to_string(folder(def.folder).join(".rpdk-config")).expect(".rpdk-config"),
    )
    .expect(".rpdk-config JSON");
    assert_eq!(config["typeName"], def.type_name);
    assert_eq!(config["artifact_type"], "RESOURCE");

    let properties: BTreeSet<String> = schema["properties"]
        .as_object()
        .expect("properties")
        .keys()
        .cloned()
        .collect();
    let fields: BTreeSet<String> = def.fields.iter().map(|f| def.naming.property(f)).collect();
    if properties != fields {
        problems.push(format!(
            "{}: schema properties {properties:?} are not the adapter's engine fields {fields:?}",
            def.type_name
        ));
    }

    let facts = def.facts().expect("facts");
    let generated = def.create_only_properties(&facts.read_only);
    let declared: Vec<String> = schema["createOnlyProperties"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if declared != generated {
        if std::env::var_os("LAMBDASIGN_BLESS_SCHEMAS").is_some() {
            std::fs::write(&path, with_create_only(&on_disk, &generated)).expect("write schema");
        } else {
            problems.push(format!(
                "{}: createOnlyProperties {declared:?}, but the engine's replace-on-change list makes {generated:?} (LAMBDASIGN_BLESS_SCHEMAS=1 cargo test --lib cfn::schemas writes it)",
                def.type_name
            ));
        }
    }

    for native in def
        .native
        .iter()
        .map(|(native, _)| native)
        .chain(def.aws_only)
    {
        let pointer = format!("/properties/{}", def.naming.property(native));
        let property = def.naming.property(native);
        if !facts.read_only.contains(&property) && !facts.write_only.contains(&property) {
            problems.push(format!(
                "{}: {pointer}, a native spelling, is neither read-only nor write-only",
                def.type_name
            ));
        }
    }
    for id in &facts.primary_identifier {
        let pointer = format!("/properties/{id}");
        if !facts.read_only.contains(id) && !generated.contains(&pointer) {
            problems.push(format!(
                "{}: primary identifier {id} is neither read-only nor create-only",
                def.type_name
            ));
        }
    }
    let writable_in_place = facts
        .properties
        .iter()
        .any(|p| !facts.read_only.contains(p) && !generated.contains(&format!("/properties/{p}")));
    let mut expected = vec!["create", "delete", "list", "read"];
    if writable_in_place {
        expected.push("update");
    }
    expected.sort_unstable();
    let mut handlers: Vec<&str> = facts.handlers.iter().map(String::as_str).collect();
    handlers.sort_unstable();
    if handlers != expected {
        problems.push(format!(
            "{}: handlers {handlers:?}, expected {expected:?} (update exactly when a property changes in place)",
            def.type_name
        ));
    }
    problems.extend(permission_problems(def.type_name, &schema));
    problems
}

/// Every handler lists its permissions, each a `service:Action` without
/// wildcards.
fn permission_problems(type_name: &str, schema: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    for (name, handler) in schema["handlers"].as_object().expect("handlers") {
        let permissions = handler["permissions"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if permissions.is_empty() {
            problems.push(format!("{type_name}: handler {name} lists no permissions"));
        }
        for permission in permissions {
            let text = permission.as_str().unwrap_or_default();
            let well_formed = text.split_once(':').is_some_and(|(service, action)| {
                !service.is_empty()
                    && action
                        .chars()
                        .next()
                        .is_some_and(|c| c.is_ascii_uppercase())
                    && action.chars().all(|c| c.is_ascii_alphanumeric())
            });
            if !well_formed {
                problems.push(format!(
                    "{type_name}: handler {name}: {text:?} is not one IAM action (no wildcards)"
                ));
            }
        }
    }
    problems
}

#[test]
fn every_resource_schema_matches_its_adapter_and_the_engine() {
    let problems: Vec<String> = types::all()
        .iter()
        .flat_map(|t| check_type(t.def()))
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_hook_schema_is_its_project_file() {
    let path = folder(super::hook::FOLDER).join(schema_file_name(super::hook::TYPE_NAME));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), super::hook::SCHEMA);
    let schema: Value = serde_json::from_str(super::hook::SCHEMA).unwrap();
    assert_eq!(schema["typeName"], super::hook::TYPE_NAME);
    for handler in ["preCreate", "preUpdate"] {
        assert_eq!(
            schema["handlers"][handler]["targetNames"][0],
            super::hook::TARGET
        );
    }
    assert!(permission_problems(super::hook::TYPE_NAME, &schema).is_empty());
}

#[test]
fn create_only_lists_are_rewritten_in_place() {
    let text = "{\n    \"a\": 1,\n    \"createOnlyProperties\": [],\n    \"b\": 2\n}\n";
    let out = with_create_only(text, &["/properties/X".into(), "/properties/Y".into()]);
    assert_eq!(
        out,
        "{\n    \"a\": 1,\n    \"createOnlyProperties\": [\n        \"/properties/X\",\n        \"/properties/Y\"\n    ],\n    \"b\": 2\n}\n"
    );
    assert_eq!(with_create_only(&out, &[]), text);
}

#[test]
fn every_type_is_documented_property_by_property() {
    let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/cloudformation");
    let mut missing = Vec::new();
    for t in types::all() {
        let def = t.def();
        let page = docs.join(format!("{}.md", def.folder));
        let text = std::fs::read_to_string(&page).unwrap_or_default();
        if !text.contains(def.type_name) {
            missing.push(format!(
                "{}: no page naming {}",
                page.display(),
                def.type_name
            ));
        }
        for property in def.facts().unwrap().properties {
            if !text.contains(&format!("`{property}")) {
                missing.push(format!("{}: {property} is not documented", page.display()));
            }
        }
    }
    let hook = std::fs::read_to_string(docs.join(format!("{}.md", super::hook::FOLDER)))
        .unwrap_or_default();
    if !hook.contains("RequireCodeSigningConfig") {
        missing.push("the hook's page does not document its configuration".into());
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}
