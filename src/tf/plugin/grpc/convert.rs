//! Conversions between the framework's types and the generated protocol
//! types. Kept in one place so the rest of the crate never sees protobuf.

use crate::tf::plugin::cty::{self, Type, Value};
use crate::tf::plugin::diagnostics::{AttributePath, Diagnostic, Diagnostics, PathStep, Severity};
use crate::tf::plugin::framework::FunctionSignature;
use crate::tf::plugin::proto::tfplugin6 as pb;
use crate::tf::plugin::schema::{Attribute, Block, NestedBlock, Nesting, Presence, Schema};

pub fn diagnostics(diags: Diagnostics) -> Vec<pb::Diagnostic> {
    diags.into_iter().map(diagnostic).collect()
}

fn diagnostic(diag: Diagnostic) -> pb::Diagnostic {
    let severity = match diag.severity {
        Severity::Error => pb::diagnostic::Severity::Error,
        Severity::Warning => pb::diagnostic::Severity::Warning,
    };
    pb::Diagnostic {
        severity: severity.into(),
        summary: diag.summary,
        detail: diag.detail,
        attribute: diag.path.as_ref().map(attribute_path),
    }
}

pub fn attribute_path(path: &AttributePath) -> pb::AttributePath {
    use pb::attribute_path::step::Selector;
    let steps = path
        .steps()
        .iter()
        .map(|step| pb::attribute_path::Step {
            selector: Some(match step {
                PathStep::Attribute(name) => Selector::AttributeName(name.clone()),
                PathStep::Key(key) => Selector::ElementKeyString(key.clone()),
                PathStep::Index(index) => Selector::ElementKeyInt(*index),
            }),
        })
        .collect();
    pb::AttributePath { steps }
}

pub fn schema(schema: &Schema) -> pb::Schema {
    pb::Schema {
        version: schema.version,
        block: Some(block(&schema.block)),
    }
}

fn block(block: &Block) -> pb::schema::Block {
    pb::schema::Block {
        version: 0,
        attributes: block.attributes.iter().map(attribute).collect(),
        block_types: block.blocks.iter().map(nested_block).collect(),
        description: block.description.clone(),
        description_kind: pb::StringKind::Markdown.into(),
        deprecated: block.deprecated,
    }
}

fn attribute(attribute: &Attribute) -> pb::schema::Attribute {
    pb::schema::Attribute {
        name: attribute.name.clone(),
        r#type: attribute.ty.to_json_bytes(),
        nested_type: None,
        description: attribute.description.clone(),
        required: attribute.presence == Presence::Required,
        optional: matches!(
            attribute.presence,
            Presence::Optional | Presence::OptionalComputed
        ),
        computed: attribute.is_computed(),
        sensitive: attribute.sensitive,
        description_kind: pb::StringKind::Markdown.into(),
        deprecated: attribute.deprecated,
        write_only: false,
    }
}

fn nested_block(nested: &NestedBlock) -> pb::schema::NestedBlock {
    use pb::schema::nested_block::NestingMode;
    let nesting = match nested.nesting {
        Nesting::Single => NestingMode::Single,
        Nesting::List => NestingMode::List,
    };
    pb::schema::NestedBlock {
        type_name: nested.name.clone(),
        block: Some(block(&nested.block)),
        nesting: nesting.into(),
        min_items: nested.min_items,
        max_items: nested.max_items,
    }
}

pub fn function(signature: &FunctionSignature) -> pb::Function {
    pb::Function {
        parameters: signature
            .parameters
            .iter()
            .map(|p| pb::function::Parameter {
                name: p.name.to_string(),
                r#type: p.ty.to_json_bytes(),
                allow_null_value: false,
                allow_unknown_values: false,
                description: p.description.to_string(),
                description_kind: pb::StringKind::Markdown.into(),
            })
            .collect(),
        variadic_parameter: None,
        r#return: Some(pb::function::Return {
            r#type: signature.return_type.to_json_bytes(),
        }),
        summary: signature.summary.to_string(),
        description: signature.description.to_string(),
        description_kind: pb::StringKind::Markdown.into(),
        deprecation_message: String::new(),
    }
}

/// Decodes a DynamicValue. Terraform sends msgpack everywhere except in raw
/// state; an absent value is null. Failures become a diagnostic naming `what`.
pub fn decode(
    value: Option<&pb::DynamicValue>,
    ty: &Type,
    what: &str,
    diags: &mut Diagnostics,
) -> Option<Value> {
    let Some(value) = value else {
        return Some(Value::Null);
    };
    let decoded = if !value.msgpack.is_empty() {
        cty::decode_msgpack(&value.msgpack, ty)
    } else if !value.json.is_empty() {
        cty::decode_json(&value.json, ty)
    } else {
        return Some(Value::Null);
    };
    match decoded {
        Ok(value) => Some(value),
        Err(e) => {
            diags.error(
                format!("Cannot decode the {what}"),
                format!("The provider could not read the value Terraform sent: {e}. This is a bug in the provider or a protocol mismatch."),
            );
            None
        }
    }
}

/// Encodes a value as msgpack DynamicValue; failures become a diagnostic.
pub fn encode(
    value: &Value,
    ty: &Type,
    what: &str,
    diags: &mut Diagnostics,
) -> Option<pb::DynamicValue> {
    match cty::encode_msgpack(value, ty) {
        Ok(msgpack) => Some(pb::DynamicValue {
            msgpack,
            json: Vec::new(),
        }),
        Err(e) => {
            diags.error(
                format!("Cannot encode the {what}"),
                format!("The provider produced a value that does not fit its own schema: {e}. This is a bug in the provider."),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_paths_map_to_protocol_steps() {
        use pb::attribute_path::step::Selector;
        let path = attribute_path(&AttributePath::attr("artifact").index(1).key("k"));
        let selectors: Vec<_> = path.steps.into_iter().filter_map(|s| s.selector).collect();
        assert_eq!(
            selectors,
            vec![
                Selector::AttributeName("artifact".into()),
                Selector::ElementKeyInt(1),
                Selector::ElementKeyString("k".into()),
            ]
        );
    }

    #[test]
    fn optional_computed_attributes_set_both_flags() {
        let converted = attribute(&Attribute::optional_computed("x", Type::String));
        assert!(converted.optional && converted.computed && !converted.required);
    }
}
