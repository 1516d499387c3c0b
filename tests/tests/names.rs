//! Generated code compiles without a warning whatever the flow calls things. `fixtures/awkward_names.yaml`
//! names blocks `FAQ` and `aBlock`, intents `x-ray` and `Mixed.Case`, variables `type`, `self` and `a__b`,
//! and reuses a block key in a subdialog: the build script generates its module, included here with
//! warnings denied (clippy's too, in CI; code a macro expands would be exempt from most lints), and it is
//! played through both engines, which must agree.

#![deny(warnings)]

use flowc::interpret::Interpreter;
use flowc_runtime::{Dynamic, Engine, Flow, NoServices};
use serde_json::{Value, json};

flowc_runtime::include_flow!("awkward_names");

const SOURCE: &str = include_str!("../fixtures/awkward_names.yaml");

/// Welcome, each intent once (the failing service takes its error route), the subdialog and back.
fn play<F: Flow>(flow: F) -> Vec<Value> {
    let engine = Engine::new(flow).deterministic();
    let meta = json!({"callId": "c", "callerId": "+49151", "sessionId": "c"});
    let said = |intent: &str| json!({"text": intent, "intent": {"name": intent}});
    [
        json!({"event": "WELCOME"}),
        said("FAQ"),
        said("FAQ"),
        said("Mixed.Case"),
        said("FAQ"),
        said("x-ray"),
        json!({"event": "HANGUP"}),
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

#[test]
fn awkward_names_generate_warning_free_code_that_agrees_with_the_interpreter() {
    let (ir, _) = flowc::compile_source("awkward_names.yaml", SOURCE).expect("clean flow");
    let interpreted = play(Interpreter::new(ir, NoServices));
    let generated = play(awkward_names::Flow::new(Dynamic(NoServices)));
    let (a, b) = (
        serde_json::to_string_pretty(&generated).unwrap(),
        serde_json::to_string_pretty(&interpreted).unwrap(),
    );
    assert!(a == b, "{}", flowc::snapshot::diff(&a, &b));
    let next: Vec<&str> = generated
        .iter()
        .map(|tx| tx["intent"]["nextState"]["name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        next,
        [
            "Start Conversation",
            "FAQ",
            "Start Conversation",
            "FAQ",
            "Start Conversation",
            "Start Conversation",
            "Start Conversation"
        ],
        "the subdialog's `FAQ` is the fourth turn's state, the service's error route ends the call"
    );
    assert_eq!(
        awkward_names::State::ALL.len(),
        3,
        "start, main's FAQ and the subdialog's FAQ"
    );
}
