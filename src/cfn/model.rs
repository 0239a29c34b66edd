//! Resource models as CloudFormation sends and expects them: JSON objects
//! whose property names are the engine's field names in PascalCase
//! (`signature_validity` is `SignatureValidity`), with a few renames where a
//! type's CloudFormation name reads better (`source_object` is `Source`).
//! Reading a model goes through the engine's field names, so every error
//! carries an engine [`FieldPath`] that [`Naming::path`] turns back into the
//! property path the user wrote. The engine's field rule tables apply to
//! models here, exactly as Terraform's lifecycle applies them to its values.

use serde_json::{Map, Number, Value};

use crate::domain::field::{FieldPath, Step};
use crate::domain::tags::Tags;
use crate::engine::rules::{Check, FieldRule, Shape};
use crate::engine::EngineError;

/// `snake_case` to `PascalCase`: `platform_id` is `PlatformId`.
pub fn pascal(snake: &str) -> String {
    snake
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// How one type names the engine's fields: PascalCase, except for the
/// renamed top-level fields.
#[derive(Debug, Clone, Copy)]
pub struct Naming {
    /// `(engine field, property)` pairs.
    pub renames: &'static [(&'static str, &'static str)],
}

impl Naming {
    pub const PLAIN: Naming = Naming { renames: &[] };

    /// The property a top-level field is.
    pub fn property(&self, field: &str) -> String {
        self.renames
            .iter()
            .find(|(from, _)| *from == field)
            .map_or_else(|| pascal(field), |(_, to)| (*to).to_string())
    }

    /// A field path as a property path: `SignatureValidity.Value`,
    /// `AllowedPublishers[2]`, `Tags["team"]`.
    pub fn path(&self, path: &FieldPath) -> String {
        let mut out = String::new();
        for (i, step) in path.steps().iter().enumerate() {
            match step {
                Step::Field(name) if i == 0 => out.push_str(&self.property(name)),
                Step::Field(name) => {
                    out.push('.');
                    out.push_str(&pascal(name));
                }
                Step::Index(index) => out.push_str(&format!("[{index}]")),
                Step::Key(key) => out.push_str(&format!("[{key:?}]")),
            }
        }
        out
    }
}

/// One (nested) object of a model, read by engine field names.
#[derive(Debug, Clone, Copy)]
pub struct Props<'a> {
    map: &'a Map<String, Value>,
    nested: bool,
    naming: Naming,
}

impl Props<'_> {
    pub fn naming(&self) -> Naming {
        self.naming
    }
}

/// Where a value sits, for errors.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    pub props: Props<'a>,
    pub at: FieldPath,
}

fn invalid(at: &FieldPath, message: impl Into<String>) -> EngineError {
    EngineError::invalid(at.clone(), message)
}

impl<'a> Reader<'a> {
    /// The top-level model; it must be a JSON object.
    pub fn model(value: &'a Value, naming: Naming) -> Result<Self, EngineError> {
        match value {
            Value::Object(map) => Ok(Reader {
                props: Props {
                    map,
                    nested: false,
                    naming,
                },
                at: FieldPath::root(),
            }),
            _ => Err(EngineError::invalid(
                FieldPath::root(),
                "the resource model must be a JSON object",
            )),
        }
    }

    fn key(&self, field: &str) -> String {
        if self.props.nested {
            pascal(field)
        } else {
            self.props.naming.property(field)
        }
    }

    fn path(&self, field: &'static str) -> FieldPath {
        self.at.clone().then(field)
    }

    /// The value of a field; `null` counts as absent.
    pub fn get(&self, field: &str) -> Option<&'a Value> {
        self.props
            .map
            .get(&self.key(field))
            .filter(|v| !v.is_null())
    }

    pub fn has(&self, field: &str) -> bool {
        self.get(field).is_some()
    }

    pub fn text(&self, field: &'static str) -> Result<Option<String>, EngineError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(_) => Err(invalid(&self.path(field), "must be a string")),
        }
    }

    pub fn required_text(&self, field: &'static str) -> Result<String, EngineError> {
        self.text(field)?
            .ok_or_else(|| invalid(&self.path(field), "is required"))
    }

    pub fn integer(&self, field: &'static str) -> Result<Option<i64>, EngineError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| invalid(&self.path(field), format!("{n} must be a whole number"))),
            Some(_) => Err(invalid(&self.path(field), "must be a whole number")),
        }
    }

    /// A list of strings; absent is empty.
    pub fn texts(&self, field: &'static str) -> Result<Vec<String>, EngineError> {
        match self.get(field) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| match item {
                    Value::String(text) => Ok(text.clone()),
                    _ => Err(invalid(&self.path(field).index(i), "must be a string")),
                })
                .collect(),
            Some(_) => Err(invalid(&self.path(field), "must be a list of strings")),
        }
    }

    /// A nested object.
    pub fn object(&self, field: &'static str) -> Result<Option<Reader<'a>>, EngineError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Reader {
                props: Props {
                    map,
                    nested: true,
                    naming: self.props.naming,
                },
                at: self.path(field),
            })),
            Some(_) => Err(invalid(&self.path(field), "must be an object")),
        }
    }

    /// Tags in AWS's shape, `[{"Key": ..., "Value": ...}]`; absent is none.
    pub fn tags(&self, field: &'static str) -> Result<Tags, EngineError> {
        let Some(value) = self.get(field) else {
            return Ok(Tags::new());
        };
        let Value::Array(items) = value else {
            return Err(invalid(
                &self.path(field),
                "must be a list of {Key, Value} objects",
            ));
        };
        let mut tags = Tags::new();
        for (i, item) in items.iter().enumerate() {
            let at = self.path(field).index(i);
            let (Some(Value::String(key)), Some(Value::String(value))) =
                (item.get("Key"), item.get("Value"))
            else {
                return Err(invalid(&at, "a tag needs a string Key and a string Value"));
            };
            if item.as_object().is_some_and(|o| o.len() > 2) {
                return Err(invalid(&at, "a tag has only Key and Value"));
            }
            // A key listed again takes its last value, as a map written
            // out as a list reads (no JSON schema can say "unique keys").
            tags.insert(key.clone(), value.clone());
        }
        Ok(tags)
    }

    /// Properties this object has that `known` (engine fields) does not name.
    pub fn unknown(&self, known: &[&str]) -> Vec<String> {
        self.props
            .map
            .keys()
            .filter(|key| !known.iter().any(|field| self.key(field) == **key))
            .cloned()
            .collect()
    }
}

/// Builds a model (or a nested object) by engine field names; `None`
/// values are left out.
#[derive(Debug, Clone)]
pub struct Builder {
    map: Map<String, Value>,
    nested: bool,
    naming: Naming,
}

impl Builder {
    pub fn model(naming: Naming) -> Self {
        Builder {
            map: Map::new(),
            nested: false,
            naming,
        }
    }

    pub fn nested() -> Self {
        Builder {
            map: Map::new(),
            nested: true,
            naming: Naming::PLAIN,
        }
    }

    fn key(&self, field: &str) -> String {
        if self.nested {
            pascal(field)
        } else {
            self.naming.property(field)
        }
    }

    pub fn value(mut self, field: &str, value: Value) -> Self {
        if !value.is_null() {
            let key = self.key(field);
            self.map.insert(key, value);
        }
        self
    }

    pub fn text(self, field: &str, text: impl Into<String>) -> Self {
        self.value(field, Value::String(text.into()))
    }

    pub fn opt_text(self, field: &str, text: Option<impl Into<String>>) -> Self {
        match text {
            Some(text) => self.text(field, text),
            None => self,
        }
    }

    pub fn integer(self, field: &str, value: i64) -> Self {
        self.value(field, Value::Number(Number::from(value)))
    }

    /// A list of strings; an empty list is left out unless `keep_empty`.
    pub fn texts(self, field: &str, items: &[String], keep_empty: bool) -> Self {
        if items.is_empty() && !keep_empty {
            return self;
        }
        self.value(
            field,
            Value::Array(items.iter().cloned().map(Value::String).collect()),
        )
    }

    pub fn object(self, field: &str, object: Builder) -> Self {
        self.value(field, object.build())
    }

    /// Tags in AWS's shape; none is left out unless `keep_empty`. `written`
    /// is the request's own list when it says exactly these tags: it comes
    /// back as written (a key it repeats included).
    pub fn tags(self, field: &str, tags: &Tags, written: Option<&Value>, keep_empty: bool) -> Self {
        if tags.is_empty() && !keep_empty {
            return self;
        }
        if let Some(written) = written {
            return self.value(field, written.clone());
        }
        let items = tags
            .iter()
            .map(|(k, v)| {
                let mut tag = Map::new();
                tag.insert("Key".into(), Value::String(k.clone()));
                tag.insert("Value".into(), Value::String(v.clone()));
                Value::Object(tag)
            })
            .collect();
        self.value(field, Value::Array(items))
    }

    pub fn build(self) -> Value {
        Value::Object(self.map)
    }
}

/// Every value a rule's path reaches in a model, with its field path
/// (lists of objects are walked element by element).
fn reach<'a>(reader: &Reader<'a>, steps: &[&'static str], out: &mut Vec<(FieldPath, &'a Value)>) {
    let Some((first, rest)) = steps.split_first() else {
        return;
    };
    let Some(value) = reader.get(first) else {
        return;
    };
    let at = reader.at.clone().then(first);
    if rest.is_empty() {
        out.push((at, value));
        return;
    }
    let objects: Vec<(FieldPath, &'a Map<String, Value>)> = match value {
        Value::Object(map) => vec![(at, map)],
        Value::Array(items) => items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| item.as_object().map(|map| (at.clone().index(i), map)))
            .collect(),
        _ => Vec::new(),
    };
    for (at, map) in objects {
        let nested = Reader {
            props: Props {
                map,
                nested: true,
                naming: reader.props.naming,
            },
            at,
        };
        reach(&nested, rest, out);
    }
}

/// Applies the engine's field rules to a model: every violation, each at
/// its field. Values of the wrong JSON type are reported by the adapter's
/// typed reads, not here.
pub fn check_rules(model: &Reader<'_>, rules: &[FieldRule]) -> Vec<EngineError> {
    let mut errors = Vec::new();
    for rule in rules {
        let mut found = Vec::new();
        reach(model, rule.path, &mut found);
        for (at, value) in found {
            let mut fail =
                |at: FieldPath, message: String| errors.push(EngineError::invalid(at, message));
            match (rule.check, value) {
                (Check::Text(check), Value::String(text)) => {
                    if let Err(e) = check(text) {
                        fail(at, e.0);
                    }
                }
                (Check::Number(check), Value::Number(number)) => match number.as_i64() {
                    Some(n) => {
                        if let Err(e) = check(n) {
                            fail(at, e.0);
                        }
                    }
                    None => fail(at, format!("{number} must be a whole number")),
                },
                (Check::EachText(check), Value::Array(items)) => {
                    for (i, item) in items.iter().enumerate() {
                        if let Value::String(text) = item {
                            if let Err(e) = check(text) {
                                fail(at.clone().index(i), e.0);
                            }
                        }
                    }
                }
                // Tags: engine maps are AWS's [{Key, Value}] lists here.
                (Check::EachKey(check), Value::Array(items)) => {
                    for item in items {
                        if let Some(Value::String(key)) = item.get("Key") {
                            if let Err(e) = check(key) {
                                fail(at.clone().key(key.clone()), e.0);
                            }
                        }
                    }
                }
                (Check::EachValue(check), Value::Array(items)) => {
                    for item in items {
                        if let (Some(Value::String(key)), Some(Value::String(value))) =
                            (item.get("Key"), item.get("Value"))
                        {
                            if let Err(e) = check(value) {
                                fail(at.clone().key(key.clone()), e.0);
                            }
                        }
                    }
                }
                (Check::EachKey(check), Value::Object(map)) => {
                    for key in map.keys() {
                        if let Err(e) = check(key) {
                            fail(at.clone().key(key.clone()), e.0);
                        }
                    }
                }
                (Check::EachValue(check), Value::Object(map)) => {
                    for (key, value) in map {
                        if let Value::String(text) = value {
                            if let Err(e) = check(text) {
                                fail(at.clone().key(key.clone()), e.0);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
    errors
}

/// Applies the engine's shape rules (which fields exclude or require each
/// other) to a model, among the fields this type has (`fields`). The
/// message names properties, not Terraform arguments.
pub fn check_shape(model: &Reader<'_>, shape: &[Shape], fields: &[&str]) -> Vec<EngineError> {
    let naming = model.props.naming;
    let mut errors = Vec::new();
    for rule in shape {
        let (members, kind): (Vec<&'static str>, &str) = match *rule {
            Shape::Conflicts(a, b) => (vec![a, b], "conflicts"),
            Shape::ExactlyOne(list) => (list.to_vec(), "exactly one"),
            Shape::AtLeastOne(list) => (list.to_vec(), "at least one"),
        };
        let members: Vec<&'static str> =
            members.into_iter().filter(|f| fields.contains(f)).collect();
        let Some(first) = members.first().copied() else {
            continue;
        };
        let set: Vec<&'static str> = members.iter().copied().filter(|f| model.has(f)).collect();
        let names = members
            .iter()
            .map(|f| naming.property(f))
            .collect::<Vec<_>>()
            .join(", ");
        let violation = match kind {
            "conflicts" => {
                (set.len() > 1).then(|| (set[1], format!("set one of {names}, not both")))
            }
            "exactly one" if members.len() == 1 => {
                (set.is_empty()).then(|| (first, "is required".to_string()))
            }
            "exactly one" => {
                (set.len() != 1).then(|| (first, format!("set exactly one of {names}")))
            }
            _ if members.len() == 1 => set.is_empty().then(|| (first, "is required".to_string())),
            _ => set
                .is_empty()
                .then(|| (first, format!("set at least one of {names}"))),
        };
        if let Some((field, message)) = violation {
            errors.push(EngineError::invalid(FieldPath::field(field), message));
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NAMING: Naming = Naming {
        renames: &[("source_object", "Source")],
    };

    #[test]
    fn engine_fields_become_pascal_case_properties() {
        assert_eq!(pascal("platform_id"), "PlatformId");
        assert_eq!(
            pascal("untrusted_artifact_on_deployment"),
            "UntrustedArtifactOnDeployment"
        );
        assert_eq!(pascal("signed_sha384"), "SignedSha384");
        assert_eq!(NAMING.property("source_object"), "Source");
        let path = FieldPath::field("source_object").then("bucket");
        assert_eq!(NAMING.path(&path), "Source.Bucket");
        assert_eq!(
            NAMING.path(&FieldPath::field("allowed_publishers").index(2)),
            "AllowedPublishers[2]"
        );
        assert_eq!(
            NAMING.path(&FieldPath::field("tags").key("team")),
            "Tags[\"team\"]"
        );
    }

    #[test]
    fn typed_reads_name_the_property_they_reject() {
        let model = json!({"Name": 3, "Source": {"Bucket": true}, "AllowedPublishers": ["a", 1],
                           "Tags": [{"Key": "k", "Value": "v"}, {"Key": "k", "Value": "w"}]});
        let reader = Reader::model(&model, NAMING).unwrap();
        let e = reader.text("name").unwrap_err();
        assert_eq!(NAMING.path(e.field.as_ref().unwrap()), "Name");
        let source = reader.object("source_object").unwrap().unwrap();
        let e = source.text("bucket").unwrap_err();
        assert_eq!(NAMING.path(e.field.as_ref().unwrap()), "Source.Bucket");
        let e = reader.texts("allowed_publishers").unwrap_err();
        assert_eq!(
            NAMING.path(e.field.as_ref().unwrap()),
            "AllowedPublishers[1]"
        );
        // A repeated key takes its last value.
        assert_eq!(
            reader.tags("tags").unwrap(),
            Tags::from([("k".to_string(), "w".to_string())])
        );
        assert_eq!(
            reader.unknown(&["name", "source_object", "allowed_publishers"]),
            vec!["Tags"]
        );
        assert!(Reader::model(&json!([]), NAMING).is_err());
    }

    #[test]
    fn field_rules_apply_to_models_with_their_paths() {
        const RULES: &[FieldRule] = &[
            FieldRule::text(&["name"], crate::domain::names::profile_name),
            FieldRule::number(
                &["signature_validity", "value"],
                crate::engine::rules::positive,
            ),
            FieldRule {
                path: &["tags"],
                check: Check::EachKey(crate::domain::tags::key),
            },
        ];
        let model = json!({"Name": "no spaces allowed", "SignatureValidity": {"Value": 0},
                           "Tags": [{"Key": "aws:reserved", "Value": "x"}]});
        let reader = Reader::model(&model, Naming::PLAIN).unwrap();
        let paths: Vec<String> = check_rules(&reader, RULES)
            .iter()
            .map(|e| Naming::PLAIN.path(e.field.as_ref().unwrap()))
            .collect();
        assert_eq!(
            paths,
            vec!["Name", "SignatureValidity.Value", "Tags[\"aws:reserved\"]"]
        );
    }

    #[test]
    fn shapes_speak_in_properties_of_this_type() {
        let shape = [
            Shape::ExactlyOne(&["source_file", "source_object"]),
            Shape::Conflicts("statement_id", "statement_id_prefix"),
        ];
        let fields = ["source_object", "statement_id", "statement_id_prefix"];
        let none = json!({});
        let errors = check_shape(&Reader::model(&none, NAMING).unwrap(), &shape, &fields);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].message, "is required");
        let both = json!({"Source": {}, "StatementId": "a", "StatementIdPrefix": "b"});
        let errors = check_shape(&Reader::model(&both, NAMING).unwrap(), &shape, &fields);
        assert_eq!(errors.len(), 1);
        assert_eq!(
            NAMING.path(errors[0].field.as_ref().unwrap()),
            "StatementIdPrefix"
        );
    }

    #[test]
    fn built_models_leave_out_what_is_unset() {
        let tags: Tags = [("team".to_string(), "platform".to_string())].into();
        let model = Builder::model(NAMING)
            .text("name", "n")
            .opt_text("description", None::<String>)
            .texts("verify_against", &[], false)
            .texts("compatible_runtimes", &[], true)
            .tags("tags", &tags, None, false)
            .object("source_object", Builder::nested().text("bucket", "b"))
            .build();
        assert_eq!(
            model,
            json!({"Name": "n", "CompatibleRuntimes": [], "Tags": [{"Key": "team", "Value": "platform"}],
                   "Source": {"Bucket": "b"}})
        );
    }
}
