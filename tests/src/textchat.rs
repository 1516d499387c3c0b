//! Parloa's Textchat V2 schemas (the `components.schemas` of the API document, copied into
//! `tests/data/textchat-v2-schemas.yml`) and a validator for the JSON-Schema subset they use: `type`, `enum`,
//! `required`, `properties`, `additionalProperties` (false or a schema), `items`, `maxItems`, `maxLength`,
//! `oneOf`, `anyOf` and `$ref` into `components.schemas`. A keyword it does not know is an error, so that a
//! schema using more than it checks cannot pass unchecked.

use std::path::Path;

use serde_json::{Map, Value};

/// The request body schema's name.
pub const REQUEST: &str = "TextchatV2RequestBody";
/// The response body schema's name.
pub const RESPONSE: &str = "TextchatV2ResponseBody";

/// `components.schemas` of the Textchat V2 document.
pub struct Schemas(Map<String, Value>);

impl Schemas {
    /// Reads the schema copy in `tests/data/`.
    pub fn load() -> Self {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/textchat-v2-schemas.yml");
        let text = std::fs::read_to_string(&path).expect("the schema copy");
        let document: Value = serde_saphyr::from_str(&text).expect("the schema copy is YAML");
        let Value::Object(schemas) = document["components"]["schemas"].clone() else {
            panic!("no components.schemas in {}", path.display());
        };
        Schemas(schemas)
    }

    /// Why `value` does not validate against the named schema; empty when it does.
    pub fn errors(&self, name: &str, value: &Value) -> Vec<String> {
        let mut errors = Vec::new();
        self.check(&self.0[name], value, "$", &mut errors);
        errors
    }

    fn resolve(&self, reference: &str) -> &Value {
        let name = reference
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("$ref outside components.schemas: {reference}"));
        self.0
            .get(name)
            .unwrap_or_else(|| panic!("$ref to a missing schema: {reference}"))
    }

    fn check(&self, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
        let Value::Object(schema) = schema else {
            panic!("a schema is an object, got {schema} at {at}");
        };
        for (keyword, rule) in schema {
            match keyword.as_str() {
                // Annotations: nothing to check.
                "description" | "deprecated" => {}
                "$ref" => self.check(self.resolve(rule.as_str().unwrap()), value, at, errors),
                "type" => {
                    let ok = match rule.as_str().unwrap() {
                        "object" => value.is_object(),
                        "array" => value.is_array(),
                        "string" => value.is_string(),
                        "number" => value.is_number(),
                        "integer" => value.is_i64() || value.is_u64(),
                        "boolean" => value.is_boolean(),
                        "null" => value.is_null(),
                        other => panic!("unknown type `{other}`"),
                    };
                    if !ok {
                        errors.push(format!("{at}: {value} is not of type {rule}"));
                    }
                }
                "enum" => {
                    if !rule.as_array().unwrap().contains(value) {
                        errors.push(format!("{at}: {value} is not one of {rule}"));
                    }
                }
                "required" => {
                    if let Value::Object(object) = value {
                        for key in rule.as_array().unwrap() {
                            if !object.contains_key(key.as_str().unwrap()) {
                                errors.push(format!("{at}: required {key} is missing"));
                            }
                        }
                    }
                }
                "properties" => {
                    if let Value::Object(object) = value {
                        for (key, property) in rule.as_object().unwrap() {
                            if let Some(v) = object.get(key) {
                                self.check(property, v, &format!("{at}.{key}"), errors);
                            }
                        }
                    }
                }
                "additionalProperties" => {
                    let Value::Object(object) = value else {
                        continue;
                    };
                    let declared = schema.get("properties").and_then(Value::as_object);
                    let extra = object
                        .iter()
                        .filter(|(k, _)| !declared.is_some_and(|d| d.contains_key(*k)));
                    for (key, v) in extra {
                        match rule {
                            Value::Bool(false) => {
                                errors.push(format!("{at}: property `{key}` is not allowed"))
                            }
                            Value::Bool(true) => {}
                            schema => self.check(schema, v, &format!("{at}.{key}"), errors),
                        }
                    }
                }
                "items" => {
                    if let Value::Array(items) = value {
                        for (i, item) in items.iter().enumerate() {
                            self.check(rule, item, &format!("{at}[{i}]"), errors);
                        }
                    }
                }
                "maxItems" => {
                    if let Value::Array(items) = value
                        && items.len() as u64 > rule.as_u64().unwrap()
                    {
                        errors.push(format!("{at}: more than {rule} items"));
                    }
                }
                "maxLength" => {
                    if let Value::String(text) = value
                        && text.chars().count() as u64 > rule.as_u64().unwrap()
                    {
                        errors.push(format!("{at}: longer than {rule} characters"));
                    }
                }
                "oneOf" | "anyOf" => {
                    let matching = rule
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter(|alternative| {
                            let mut inner = Vec::new();
                            self.check(alternative, value, at, &mut inner);
                            inner.is_empty()
                        })
                        .count();
                    let ok = if keyword == "oneOf" {
                        matching == 1
                    } else {
                        matching >= 1
                    };
                    if !ok {
                        errors.push(format!(
                            "{at}: {value} matches {matching} of the {keyword} alternatives"
                        ));
                    }
                }
                other => panic!("the validator does not know `{other}` (at {at})"),
            }
        }
    }

    /// Panics with the errors when `value` is not a valid `name`.
    #[track_caller]
    pub fn assert_valid(&self, name: &str, value: &Value, what: &str) {
        let errors = self.errors(name, value);
        assert!(
            errors.is_empty(),
            "{what} is not a valid {name}:\n{}\n{value:#}",
            errors.join("\n")
        );
    }

    /// Panics unless `value` is refused with an error containing `needle`.
    #[track_caller]
    pub fn assert_invalid(&self, name: &str, value: &Value, needle: &str) {
        let errors = self.errors(name, value);
        assert!(
            errors.iter().any(|e| e.contains(needle)),
            "expected an error containing {needle:?} for {value}, got {errors:?}"
        );
    }
}
