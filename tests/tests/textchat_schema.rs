//! Chat requests and responses against Parloa's Textchat V2 schema: every chat conversation script is played
//! through the interpreter and the generated engine, and every request sent, every transaction's `request`
//! and `response`, and every response the platform gets must validate against `TextchatV2RequestBody` /
//! `TextchatV2ResponseBody` of `data/textchat-v2-schemas.yml` (the document's `components.schemas`, copied).
//!
//! The validator is a small JSON-Schema subset written for this test: `type`, `enum`, `required`,
//! `properties`, `additionalProperties` (false or a schema), `items`, `maxItems`, `maxLength`, `oneOf`,
//! `anyOf` and `$ref` into `components.schemas`. A keyword it does not know is an error, so that a schema
//! using more than it checks cannot pass unchecked. The negative tests show it rejects bad bodies.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use flowc::interpret::Interpreter;
use flowc::script::{Script, StubServices};
use flowc_runtime::{ChatRequest, Dynamic, Engine, Flow, TurnBuffer};
use flowc_tests::support_chat;
use serde_json::{Map, Value, json};

const REQUEST: &str = "TextchatV2RequestBody";
const RESPONSE: &str = "TextchatV2ResponseBody";

/// `components.schemas` of the Textchat V2 document.
struct Schemas(Map<String, Value>);

impl Schemas {
    fn load() -> Self {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/textchat-v2-schemas.yml");
        let text = std::fs::read_to_string(&path).expect("the schema copy");
        let document: Value = serde_saphyr::from_str(&text).expect("the schema copy is YAML");
        let Value::Object(schemas) = document["components"]["schemas"].clone() else {
            panic!("no components.schemas in {}", path.display());
        };
        Schemas(schemas)
    }

    /// Why `value` does not validate against the named schema; empty when it does.
    fn errors(&self, name: &str, value: &Value) -> Vec<String> {
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

    #[track_caller]
    fn assert_valid(&self, name: &str, value: &Value, what: &str) {
        let errors = self.errors(name, value);
        assert!(
            errors.is_empty(),
            "{what} is not a valid {name}:\n{}\n{value:#}",
            errors.join("\n")
        );
    }

    #[track_caller]
    fn assert_invalid(&self, name: &str, value: &Value, needle: &str) {
        let errors = self.errors(name, value);
        assert!(
            errors.iter().any(|e| e.contains(needle)),
            "expected an error containing {needle:?} for {value}, got {errors:?}"
        );
    }
}

fn chat_scripts() -> Vec<(Script, flowc::ir::Flow)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../flows/conversations");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("conversations folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let script = Script::load(&path).unwrap();
        let source = std::fs::read_to_string(script.flow_path()).unwrap();
        let (ir, _) = flowc::compile_source("flow.yaml", &source).unwrap();
        // The platform `flowc::script::play` picks.
        let chat = match script.platform.as_deref() {
            Some(platform) => platform == "textchatV2",
            None => !ir.supports(flowc::ast::Platform::Phone),
        };
        if chat {
            out.push((script, ir));
        }
    }
    out
}

/// Plays a chat script through both entry points of `flow`'s engine and validates every body on the way.
fn validate_script<F: Flow>(
    schemas: &Schemas,
    flow: F,
    script: &Script,
    ir: &flowc::ir::Flow,
    engine_name: &str,
) -> usize {
    let engine = Engine::new(flow).deterministic();
    let requests = flowc::script::requests(script, true, ir).expect("requests");
    assert_eq!(requests.len(), script.turns.len());
    let mut buffer = TurnBuffer::new();
    for (turn, line) in requests.iter().enumerate() {
        let what = |part: &str| {
            format!(
                "{} turn {} ({engine_name}): {part}",
                script.path.display(),
                turn + 1
            )
        };
        let sent: Value = serde_json::from_str(line).unwrap();
        schemas.assert_valid(REQUEST, &sent, &what("the request sent"));
        let request: ChatRequest = serde_json::from_str(line).unwrap();
        engine
            .play_chat(&request, &mut buffer)
            .unwrap_or_else(|e| panic!("{}: {e}", what("play_chat")));
        let transaction: Value = serde_json::from_slice(buffer.transaction_json()).unwrap();
        schemas.assert_valid(
            REQUEST,
            &transaction["request"],
            &what("the transaction's request"),
        );
        schemas.assert_valid(
            RESPONSE,
            &transaction["response"],
            &what("the transaction's response"),
        );
        let response: Value = serde_json::from_slice(buffer.response_json()).unwrap();
        schemas.assert_valid(RESPONSE, &response, &what("the platform's response"));
    }
    requests.len()
}

#[test]
fn every_chat_script_sends_and_gets_valid_textchat_v2_bodies() {
    let schemas = Schemas::load();
    let scripts = chat_scripts();
    assert!(scripts.len() >= 4, "chat scripts: {}", scripts.len());
    let mut turns = 0;
    for (script, ir) in &scripts {
        let stubs = StubServices::new(script.services.clone());
        turns += validate_script(
            &schemas,
            Interpreter::new(ir.clone(), stubs),
            script,
            ir,
            "interpreter",
        );
        let services = Dynamic(Arc::new(StubServices::new(script.services.clone())));
        turns += match ir.name.as_str() {
            "support_chat" => validate_script(
                &schemas,
                support_chat::Flow::new(services),
                script,
                ir,
                "generated",
            ),
            other => panic!("no generated chat module for flow `{other}`: add it here"),
        };
        // handle_chat_json hands out structs: what they serialise to is valid as well.
        let engine = Engine::new(Interpreter::new(
            ir.clone(),
            StubServices::new(script.services.clone()),
        ))
        .deterministic();
        for line in flowc::script::requests(script, true, ir).unwrap() {
            let turn = engine.handle_chat_json(&line).unwrap();
            let response = serde_json::to_value(&turn.response).unwrap();
            schemas.assert_valid(RESPONSE, &response, "handle_chat_json's response");
            let request = serde_json::to_value(&turn.transaction.request).unwrap();
            schemas.assert_valid(REQUEST, &request, "handle_chat_json's transaction request");
        }
    }
    assert!(turns > 20, "{turns} turns checked");
}

#[test]
fn the_documents_own_examples_are_valid() {
    // The request and response examples of the document's /dialoghook operation.
    let schemas = Schemas::load();
    let requests = [
        json!({"apiVersion": "chat/v1", "requesterId": "<user-id>", "sessionId": "<session-id>", "event": {"type": "launch"}}),
        json!({"apiVersion": "chat/v1", "requesterId": "<user-id>", "sessionId": "<session-id>", "event": {"type": "message", "text": "Hello textchat!"}}),
        json!({"apiVersion": "chat/v1", "requesterId": "<user-id>", "sessionId": "<session-id>", "event": {"type": "quit"}}),
        json!({"apiVersion": "chat/v1", "requesterId": "<user-id>", "sessionId": "<session-id>", "context": [{"key": "name", "value": "Max"}, {"key": "age", "value": 20}], "event": {"type": "message", "text": "Hello textchat!"}}),
    ];
    for request in &requests {
        schemas.assert_valid(REQUEST, request, "example");
    }
    let response = json!({
        "apiVersion": "chat/v1", "requesterId": "user-id", "sessionId": "session-id", "releaseId": "release-id",
        "conversationId": "c", "transactionId": "t", "endConversation": false,
        "responseElements": [
            {"id": "0822093c-f18d-11ec-8ea0-0242ac120002", "type": "text", "content": "Greetings from the textchat bot."},
            {"type": "payload", "content": {"suggestionChips": ["yes", "no", "not sure?"]}}
        ]
    });
    schemas.assert_valid(RESPONSE, &response, "example");
}

#[test]
fn the_validator_rejects_bad_bodies() {
    let schemas = Schemas::load();
    let request = json!({"apiVersion": "chat/v1", "requesterId": "u", "sessionId": "s", "event": {"type": "message", "text": "hi"}});
    schemas.assert_valid(REQUEST, &request, "the base request");
    let with = |f: &dyn Fn(&mut Value)| {
        let mut v = request.clone();
        f(&mut v);
        v
    };
    // Missing required.
    schemas.assert_invalid(
        REQUEST,
        &with(&|v| {
            v.as_object_mut().unwrap().remove("sessionId");
        }),
        "required \"sessionId\" is missing",
    );
    // A message without its text: no event alternative matches.
    schemas.assert_invalid(
        REQUEST,
        &with(&|v| {
            v["event"].as_object_mut().unwrap().remove("text");
        }),
        "matches 0 of the oneOf alternatives",
    );
    // Extra property, top level and nested.
    schemas.assert_invalid(
        REQUEST,
        &with(&|v| v["locale"] = json!("de")),
        "property `locale` is not allowed",
    );
    schemas.assert_invalid(
        REQUEST,
        &with(&|v| v["event"]["mood"] = json!("happy")),
        "matches 0 of the oneOf",
    );
    // Wrong enum.
    schemas.assert_invalid(
        REQUEST,
        &with(&|v| v["apiVersion"] = json!("chat/v2")),
        "is not one of",
    );
    schemas.assert_invalid(
        REQUEST,
        &with(&|v| v["event"] = json!({"type": "poke"})),
        "matches 0 of the oneOf",
    );
    // Wrong type.
    schemas.assert_invalid(
        REQUEST,
        &with(&|v| v["requesterId"] = json!(42)),
        "is not of type",
    );
    // Context: too many items, a value too long, a value of a type not allowed.
    let item = json!({"key": "k", "value": "v"});
    schemas.assert_invalid(
        REQUEST,
        &with(&|v| v["context"] = Value::Array(vec![item.clone(); 101])),
        "more than 100 items",
    );
    schemas.assert_valid(
        REQUEST,
        &with(&|v| v["context"] = Value::Array(vec![item.clone(); 100])),
        "100 context items",
    );
    schemas.assert_invalid(
        REQUEST,
        &with(&|v| v["context"] = json!([{"key": "k", "value": "x".repeat(1001)}])),
        "matches 0 of the anyOf",
    );
    schemas.assert_valid(
        REQUEST,
        &with(&|v| v["context"] = json!([{"key": "k", "value": "é".repeat(1000)}])),
        "a 1000-character context value",
    );
    schemas.assert_invalid(
        REQUEST,
        &with(&|v| v["context"] = json!([{"key": "k", "value": null}])),
        "matches 0 of the anyOf",
    );

    let response = json!({"apiVersion": "chat/v1", "requesterId": "u", "sessionId": "s", "releaseId": "r",
        "endConversation": false, "responseElements": [{"type": "text", "content": "hi"}]});
    schemas.assert_valid(RESPONSE, &response, "the base response");
    let with = |f: &dyn Fn(&mut Value)| {
        let mut v = response.clone();
        f(&mut v);
        v
    };
    schemas.assert_invalid(
        RESPONSE,
        &with(&|v| {
            v.as_object_mut().unwrap().remove("endConversation");
        }),
        "required \"endConversation\" is missing",
    );
    schemas.assert_invalid(
        RESPONSE,
        &with(&|v| v["userContextId"] = json!("x")),
        "property `userContextId` is not allowed",
    );
    schemas.assert_invalid(
        RESPONSE,
        &with(&|v| v["endConversation"] = json!("false")),
        "is not of type",
    );
    schemas.assert_invalid(
        RESPONSE,
        &with(&|v| v["responseElements"] = json!([{"type": "speech", "content": "hi"}])),
        "matches 0 of the anyOf",
    );
    schemas.assert_invalid(
        RESPONSE,
        &with(&|v| v["responseElements"] = json!([{"type": "text", "content": "hi", "ssml": "x"}])),
        "matches 0 of the anyOf",
    );
}
