//! A block or handler number the flow does not have is a bug of flowc (engine or generator), never of the
//! flow. The engine must not guess where to go on, least of all silently back to the start: it keeps the
//! conversation where the turn started and reports an `InternalError` in `meta.errors`.

use flowc::interpret::{Interpreter, NoServices};
use flowc_runtime::{BlockIx, Flow, FlowInfo, HandlerIx, Scope, StateIx, Step, View};
use flowc_runtime::{Engine, Transaction, problem};
use serde_json::json;

const FLOW: &str = r#"
flow: broken
intents:
  Go: []
  Stay: []
dialogs:
  main:
    start:
      say: Hi
      on: { Go: ask, Stay: start }
    blocks:
      ask:
        state: { say: Ask?, on: { Go: start } }
"#;

/// The interpreter of `FLOW` with one number wrong: where handler 0 goes, or which handler `Stay` has.
struct Broken {
    flow: Interpreter,
    info: FlowInfo,
    stay: Option<HandlerIx>,
}

impl Broken {
    fn new(target_of_go: Option<BlockIx>, stay: Option<HandlerIx>) -> Self {
        let (ir, _) = flowc::compile_source("broken.yaml", FLOW).expect("compiles");
        let flow = Interpreter::new(ir, NoServices);
        let mut info = flow.info().clone();
        if let Some(block) = target_of_go {
            info.handlers.to_mut()[0] = block;
        }
        Broken { flow, info, stay }
    }
}

impl Flow for Broken {
    type Vars = Vec<String>;

    fn info(&self) -> &FlowInfo {
        &self.info
    }
    fn new_vars(&self) -> Vec<String> {
        self.flow.new_vars()
    }
    fn values(&self, vars: &Vec<String>, each: impl FnMut(&str)) {
        self.flow.values(vars, each)
    }
    fn values_mut(&self, vars: &mut Vec<String>, each: impl FnMut(&mut String)) {
        self.flow.values_mut(vars, each)
    }
    fn write_prompt(
        &self,
        state: StateIx,
        index: u32,
        view: &View<'_, Vec<String>>,
        out: &mut String,
    ) {
        self.flow.write_prompt(state, index, view, out)
    }
    fn write_reprompt(
        &self,
        state: StateIx,
        view: &View<'_, Vec<String>>,
        out: &mut String,
    ) -> bool {
        self.flow.write_reprompt(state, view, out)
    }
    fn local_intent(&self, state: StateIx, intent: &str) -> Option<HandlerIx> {
        match (intent, self.stay) {
            ("Stay", Some(handler)) => Some(handler),
            _ => self.flow.local_intent(state, intent),
        }
    }
    fn local_dtmf(&self, state: StateIx, digits: &str) -> Option<HandlerIx> {
        self.flow.local_dtmf(state, digits)
    }
    fn global_intent(&self, intent: &str) -> Option<HandlerIx> {
        self.flow.global_intent(intent)
    }
    fn run_handler(&self, handler: HandlerIx, scope: &mut Scope<'_, Vec<String>>) {
        self.flow.run_handler(handler, scope)
    }
    fn run_block(&self, block: BlockIx, scope: &mut Scope<'_, Vec<String>>) -> Step {
        self.flow.run_block(block, scope)
    }
}

/// WELCOME, then the intent `intent`: the second turn's transaction.
fn second_turn(flow: Broken, intent: &str) -> Transaction {
    let engine = Engine::new(flow).deterministic();
    let meta = json!({"callId": "c", "callerId": "+49151", "sessionId": "s"});
    let welcome = json!({"event": "WELCOME", "callMeta": meta});
    engine
        .handle_phone_json(&welcome.to_string())
        .expect("welcome");
    let said = json!({"text": intent, "intent": {"name": intent}, "callMeta": meta});
    engine
        .handle_phone_json(&said.to_string())
        .expect("turn")
        .transaction
}

fn assert_internal_error(tx: &Transaction, what: &str) {
    let errors = &tx.meta.errors.affected_steps;
    assert_eq!(errors.len(), 1, "{:?}", tx.meta);
    let problem = &errors[0].errors[0];
    assert_eq!(problem.kind, problem::INTERNAL_ERROR);
    assert!(problem.message.contains(what), "{}", problem.message);
    // The conversation stays where the turn started: the start state, which is also where a catch-all
    // routing "to block 0" would have gone, so the prompt proves nothing ran after the fault.
    assert_eq!(tx.intent.next_state.id, "STATE.base");
    assert_eq!(flowc::script::prompt_text(tx), "");
}

#[test]
fn a_block_the_flow_does_not_have_is_an_internal_error() {
    let tx = second_turn(Broken::new(Some(99), None), "Go");
    assert_internal_error(&tx, "no block 99");
}

#[test]
fn a_handler_the_flow_does_not_have_is_an_internal_error() {
    let tx = second_turn(Broken::new(None, Some(77)), "Stay");
    assert_internal_error(&tx, "no handler 77");
}

#[test]
fn the_same_turns_without_a_wrong_number_have_no_error() {
    let go = second_turn(Broken::new(None, None), "Go");
    assert!(go.meta.errors.affected_steps.is_empty());
    assert_ne!(go.intent.next_state.id, "STATE.base");
}
