//! Prompts are safe (T12): on a phone turn every value a prompt fills in is XML-escaped, whatever the template
//! looks like; on a chat turn, and in `set` values, refer-to and SIP headers, values are filled in as they
//! are. `fixtures/escaping.yaml` is played through the generated engine and through the interpreter.

use flowc::interpret::Interpreter;
use flowc_runtime::{Dynamic, Engine, Flow, NoServices};
use serde_json::{Value, json};

flowc_macros::flow!("fixtures/escaping.yaml");

const SOURCE: &str = include_str!("../fixtures/escaping.yaml");

/// The value of the flow's `name` variable, escaped.
const ESCAPED: &str = "A &amp; &lt;B&gt;";

fn interpreter() -> Interpreter<NoServices> {
    let (ir, _) = flowc::compile_source("escaping.yaml", SOURCE).expect("clean flow");
    Interpreter::new(ir, NoServices)
}

fn generated() -> escaping::Flow<Dynamic<NoServices>> {
    escaping::Flow::new(Dynamic(NoServices))
}

/// The transactions of a phone call: welcome, an intent that says, sets and re-enters the start state,
/// silence, and a transfer.
fn phone<F: Flow>(flow: F) -> Vec<Value> {
    let engine = Engine::new(flow).deterministic();
    let meta =
        json!({"callId": "c", "callerId": "+49151", "sessionId": "c", "isPrivacyEnabled": false});
    [
        json!({"event": "WELCOME"}),
        json!({"text": "again", "intent": {"name": "Again"}}),
        json!({"event": "NO_INPUT"}),
        json!({"text": "agent", "intent": {"name": "Agent"}}),
    ]
    .into_iter()
    .map(|mut request| {
        request["callMeta"] = meta.clone();
        let turn = engine
            .handle_phone_json(&request.to_string())
            .expect("played");
        serde_json::to_value(&turn.transaction).unwrap()
    })
    .collect()
}

/// The transactions of a chat: launch, an intent that says, sets and re-enters the start state, and text
/// nothing handles, which ends the conversation.
fn chat<F: Flow>(flow: F) -> Vec<Value> {
    let engine = Engine::new(flow).deterministic();
    [
        json!({"type": "launch"}),
        json!({"type": "message", "text": "again"}),
        json!({"type": "message", "text": "something else"}),
    ]
    .into_iter()
    .map(|event| {
        let request =
            json!({"apiVersion": "chat/v1", "requesterId": "u", "sessionId": "s", "event": event});
        let turn = engine
            .handle_chat_json(&request.to_string())
            .expect("played");
        serde_json::to_value(&turn.transaction).unwrap()
    })
    .collect()
}

/// The generated engine's transactions, after checking that the interpreter's are the same.
fn agreed(generated: Vec<Value>, interpreted: Vec<Value>) -> Vec<Value> {
    let a = serde_json::to_string_pretty(&generated).unwrap();
    let b = serde_json::to_string_pretty(&interpreted).unwrap();
    assert!(
        a == b,
        "generated and interpreted transactions differ:\n{}",
        flowc::snapshot::diff(&a, &b)
    );
    generated
}

fn variable<'t>(tx: &'t Value, name: &str) -> &'t str {
    tx["variables"]
        .as_array()
        .and_then(|vars| vars.iter().find(|v| v["name"] == name))
        .and_then(|v| v["value"].as_str())
        .unwrap_or("<missing>")
}

#[test]
fn phone_prompts_escape_every_value_and_keep_the_markup_of_the_template() {
    let generated = agreed(phone(generated()), phone(interpreter()));
    for (tx, say) in generated.iter().zip([
        format!("One moment.<break time='500ms'/>Hello {ESCAPED}"),
        format!("Once more, {ESCAPED}. One moment.<break time='500ms'/>Hello {ESCAPED}"),
        format!("Still there, {ESCAPED}?"),
        format!("Connecting {ESCAPED}."),
    ]) {
        assert_eq!(tx["response"]["prompt"], say.as_str(), "{tx:#}");
    }
    assert_eq!(
        variable(&generated[1], "copy"),
        "A & <B> again",
        "a set value is not a prompt"
    );
    let transfer = &generated[3]["response"]["callControlMessages"];
    assert_eq!(
        transfer,
        &json!([{"type": "SIP_REFER", "referTo": "sip:agents@pbx", "sipHeaders": [{"name": "X-Name", "value": "A & <B>!"}]}]),
        "a SIP header is not a prompt"
    );
}

#[test]
fn chat_prompts_fill_values_in_as_they_are() {
    let generated = agreed(chat(generated()), chat(interpreter()));
    for (tx, said) in generated.iter().zip([
        vec!["One moment.<break time='500ms'/>Hello A & <B>"],
        vec![
            "Once more, A & <B>.",
            "One moment.<break time='500ms'/>Hello A & <B>",
        ],
        vec!["Goodbye A & <B>."],
    ]) {
        let elements: Vec<&str> = tx["response"]["responseElements"]
            .as_array()
            .expect("chat response")
            .iter()
            .filter_map(|e| e["content"].as_str())
            .collect();
        assert_eq!(elements, said, "{tx:#}");
    }
}
