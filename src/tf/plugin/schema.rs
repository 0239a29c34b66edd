//! Schemas as resources declare them: attributes and nested blocks with their
//! descriptions and flags, which changes replace the object, which computed
//! values the resource knows at plan time, and the field rules that
//! validation applies. The implied cty object type drives value decoding.

use std::collections::{BTreeMap, BTreeSet};

use super::cty::Type;
use crate::engine::rules::{FieldRule, Shape};

#[derive(Debug, Clone)]
pub struct Schema {
    pub version: i64,
    pub block: Block,
    /// Rules on field values, applied to known values at validate time.
    pub rules: &'static [FieldRule],
    /// How top-level fields relate (conflicts, exactly one of, ...).
    pub shape: &'static [Shape],
}

impl PartialEq for Schema {
    fn eq(&self, other: &Self) -> bool {
        self.version == other.version && self.block == other.block
    }
}

impl Schema {
    pub fn new(description: impl Into<String>) -> Self {
        Schema {
            version: 0,
            block: Block {
                description: description.into(),
                ..Block::default()
            },
            rules: &[],
            shape: &[],
        }
    }

    /// The rules and shape validation applies (the engine's, per resource).
    pub fn rules(mut self, rules: &'static [FieldRule], shape: &'static [Shape]) -> Self {
        self.rules = rules;
        self.shape = shape;
        self
    }

    /// Marks the named top-level attributes and blocks: a change to any of
    /// them replaces the object (the engine's replace-on-change list).
    pub fn replace_on_change(mut self, names: &[&str]) -> Self {
        for attribute in &mut self.block.attributes {
            if names.contains(&attribute.name.as_str()) {
                attribute.requires_replace = true;
            }
        }
        for block in &mut self.block.blocks {
            if names.contains(&block.name.as_str()) {
                block.requires_replace = true;
            }
        }
        self
    }

    /// The names of the top-level attributes and blocks a change of which
    /// replaces the object.
    pub fn replacing_names(&self) -> impl Iterator<Item = &str> {
        self.block
            .attributes
            .iter()
            .filter(|a| a.requires_replace)
            .map(|a| a.name.as_str())
            .chain(
                self.block
                    .blocks
                    .iter()
                    .filter(|b| b.requires_replace)
                    .map(|b| b.name.as_str()),
            )
    }

    pub fn attribute(mut self, attribute: Attribute) -> Self {
        self.block.attributes.push(attribute);
        self
    }

    pub fn block(mut self, block: NestedBlock) -> Self {
        self.block.blocks.push(block);
        self
    }

    /// The object type of every value of this schema (config, plan, state).
    pub fn value_type(&self) -> Type {
        self.block.value_type()
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Block {
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<NestedBlock>,
    pub description: String,
    pub deprecated: bool,
}

impl Block {
    pub fn new(description: impl Into<String>) -> Self {
        Block {
            description: description.into(),
            ..Block::default()
        }
    }

    pub fn attribute(mut self, attribute: Attribute) -> Self {
        self.attributes.push(attribute);
        self
    }

    pub fn value_type(&self) -> Type {
        let mut attrs = BTreeMap::new();
        for attribute in &self.attributes {
            attrs.insert(attribute.name.clone(), attribute.ty.clone());
        }
        for nested in &self.blocks {
            let object = nested.block.value_type();
            let ty = match nested.nesting {
                Nesting::Single => object,
                Nesting::List => Type::List(Box::new(object)),
            };
            attrs.insert(nested.name.clone(), ty);
        }
        Type::Object {
            attrs,
            optional: BTreeSet::new(),
        }
    }
}

/// Whether the practitioner, the provider, or both set an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    Required,
    Optional,
    /// Set by the provider only.
    Computed,
    /// Set by the practitioner, or by the provider when left out.
    OptionalComputed,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    pub name: String,
    pub ty: Type,
    pub description: String,
    pub presence: Presence,
    pub sensitive: bool,
    pub deprecated: bool,
    /// A change replaces the object.
    pub requires_replace: bool,
    /// Computed, but the resource sets it at plan time: it stays known
    /// when a replacement is planned.
    pub known_at_plan: bool,
}

impl Attribute {
    pub fn new(name: impl Into<String>, ty: Type, presence: Presence) -> Self {
        Attribute {
            name: name.into(),
            ty,
            description: String::new(),
            presence,
            sensitive: false,
            deprecated: false,
            requires_replace: false,
            known_at_plan: false,
        }
    }

    /// A computed value the resource knows at plan time.
    pub fn known_at_plan(mut self) -> Self {
        self.known_at_plan = true;
        self
    }

    pub fn required(name: impl Into<String>, ty: Type) -> Self {
        Self::new(name, ty, Presence::Required)
    }

    pub fn optional(name: impl Into<String>, ty: Type) -> Self {
        Self::new(name, ty, Presence::Optional)
    }

    pub fn computed(name: impl Into<String>, ty: Type) -> Self {
        Self::new(name, ty, Presence::Computed)
    }

    pub fn optional_computed(name: impl Into<String>, ty: Type) -> Self {
        Self::new(name, ty, Presence::OptionalComputed)
    }

    pub fn describe(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    pub fn is_computed(&self) -> bool {
        matches!(
            self.presence,
            Presence::Computed | Presence::OptionalComputed
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    Single,
    List,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NestedBlock {
    pub name: String,
    pub block: Block,
    pub nesting: Nesting,
    pub min_items: i64,
    pub max_items: i64,
    /// A change replaces the object.
    pub requires_replace: bool,
}

impl NestedBlock {
    /// At most one block of this type (`max_items = 1`, value is an object or null).
    pub fn single(name: impl Into<String>, block: Block) -> Self {
        NestedBlock {
            name: name.into(),
            block,
            nesting: Nesting::Single,
            min_items: 0,
            max_items: 0,
            requires_replace: false,
        }
    }

    /// Any number of blocks of this type, in order.
    pub fn list(name: impl Into<String>, block: Block) -> Self {
        NestedBlock {
            name: name.into(),
            block,
            nesting: Nesting::List,
            min_items: 0,
            max_items: 0,
            requires_replace: false,
        }
    }

    pub fn items(mut self, min: i64, max: i64) -> Self {
        self.min_items = min;
        self.max_items = max;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implied_type_nests_blocks_by_their_mode() {
        let schema = Schema::new("t")
            .attribute(Attribute::required("name", Type::String))
            .block(NestedBlock::single(
                "one",
                Block::new("").attribute(Attribute::optional("a", Type::Bool)),
            ))
            .block(NestedBlock::list("many", Block::new("")));
        let Type::Object { attrs, .. } = schema.value_type() else {
            panic!("schema type must be an object");
        };
        assert_eq!(attrs["name"], Type::String);
        assert!(matches!(attrs["one"], Type::Object { .. }));
        assert!(matches!(attrs["many"], Type::List(_)));
    }
}
