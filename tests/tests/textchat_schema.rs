//! Chat requests and responses against Parloa's Textchat V2 schema: every chat conversation script is played
//! through the interpreter and the generated engine, and every request sent, every transaction's `request`
//! and `response`, and every response the platform gets must validate against `TextchatV2RequestBody` /
//! `TextchatV2ResponseBody` of `data/textchat-v2-schemas.yml` (the document's `components.schemas`, copied).
//!
//! The validator (`flowc_tests::textchat`, shared with the server tests) is a small JSON-Schema subset: `type`, `enum`, `required`,
//! `properties`, `additionalProperties` (false or a schema), `items`, `maxItems`, `maxLength`, `oneOf`,
//! `anyOf` and `$ref` into `components.schemas`. A keyword it does not know is an error, so that a schema
//! using more than it checks cannot pass unchecked. The negative tests show it rejects bad bodies.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use flowc::interpret::Interpreter;
use flowc::script::{Script, StubServices};
use flowc_runtime::{ChatRequest, Dynamic, Engine, Flow, TurnBuffer};
use flowc_tests::support_chat;
use serde_json::{Value, json};

use flowc_tests::textchat::{REQUEST, RESPONSE, Schemas};

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
