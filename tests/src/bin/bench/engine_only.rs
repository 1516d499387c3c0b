//! The shared engine alone: a flow that keeps a generated flow's static parts (states, variables, prompts,
//! pre-escaped fragments) and answers every decision at no cost — any intent is handled by staying in the
//! start state. A turn of it is the session store, the turn rules and the transaction writer with (almost)
//! nothing flow-specific. Its transactions are a little smaller than the real flow's (it never leaves the
//! start state, never calls a service: about 6% fewer bytes), so it costs at most what the shared part of a
//! real turn costs, and `interpreted / engine-only` is an upper bound of `interpreted / generated` that no
//! code generator can pass while both engines share the runtime.

use flowc_runtime::{
    BlockIx, Flow, FlowInfo, HandlerIx, Scope, StateIx, StateRef, Step, Variable, View,
};

/// `F` with its decisions replaced by constants.
pub struct EngineOnly<F>(pub F);

impl<F: Flow> Flow for EngineOnly<F> {
    type Vars = F::Vars;

    fn info(&self) -> &FlowInfo {
        self.0.info()
    }
    fn new_vars(&self) -> Self::Vars {
        self.0.new_vars()
    }
    fn reset_session(&self, vars: &mut Self::Vars) {
        self.0.reset_session(vars)
    }
    fn write_variables(&self, vars: &Self::Vars, out: &mut Vec<Variable>) {
        self.0.write_variables(vars, out)
    }
    fn save_user(&self, vars: &Self::Vars, out: &mut Vec<String>) {
        self.0.save_user(vars, out)
    }
    fn load_user(&self, vars: &mut Self::Vars, saved: &[String]) {
        self.0.load_user(vars, saved)
    }
    fn has_user_vars(&self) -> bool {
        self.0.has_user_vars()
    }
    fn state(&self, state: StateIx) -> &StateRef {
        self.0.state(state)
    }
    fn block(&self, block: BlockIx) -> &StateRef {
        self.0.block(block)
    }
    fn prompt_count(&self, state: StateIx) -> u32 {
        self.0.prompt_count(state)
    }
    fn write_prompt(
        &self,
        state: StateIx,
        index: u32,
        scope: &View<'_, Self::Vars>,
        out: &mut String,
    ) {
        self.0.write_prompt(state, index, scope, out)
    }
    fn write_reprompt(
        &self,
        state: StateIx,
        scope: &View<'_, Self::Vars>,
        out: &mut String,
    ) -> bool {
        self.0.write_reprompt(state, scope, out)
    }
    fn state_json(&self, state: StateIx) -> Option<&str> {
        self.0.state_json(state)
    }
    fn global_state_json(&self) -> Option<&str> {
        self.0.global_state_json()
    }
    fn write_variables_json(&self, vars: &Self::Vars, mask: bool, out: &mut Vec<u8>) -> bool {
        self.0.write_variables_json(vars, mask, out)
    }
    fn local_intent(&self, _state: StateIx, _intent: &str) -> Option<HandlerIx> {
        Some(0)
    }
    fn local_dtmf(&self, _state: StateIx, _digits: &str) -> Option<HandlerIx> {
        None
    }
    fn local_else(&self, _state: StateIx) -> Option<HandlerIx> {
        Some(0)
    }
    fn global_intent(&self, _intent: &str) -> Option<HandlerIx> {
        None
    }
    fn global_else(&self) -> Option<HandlerIx> {
        None
    }
    fn ending(&self) -> Option<HandlerIx> {
        None
    }
    fn run_handler(&self, _handler: HandlerIx, _scope: &mut Scope<'_, Self::Vars>) -> BlockIx {
        0
    }
    fn run_block(&self, _block: BlockIx, _scope: &mut Scope<'_, Self::Vars>) -> Step {
        // Always wait in the start state: state 0, where the engine starts every conversation.
        Step::Wait(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flowc_runtime::{Engine, NoServices, Transaction, TurnBuffer};
    use flowc_tests::conversations::{conversation, said};
    use flowc_tests::dispatch_heavy;

    #[test]
    fn every_intent_stays_in_the_start_state_with_a_whole_transaction() {
        let flow = EngineOnly(dispatch_heavy::Flow::new(flowc_runtime::Dynamic(
            NoServices,
        )));
        let declared = flow.0.new_vars();
        let mut listed = Vec::new();
        flow.0.write_variables(&declared, &mut listed);
        let engine = Engine::new(flow).deterministic();
        let (opening, mut cycle) = conversation("dispatch_heavy");
        cycle.push(said("NoSuchIntent", &[]));
        let mut buffer = TurnBuffer::new();
        for request in &opening {
            engine.play_phone(request, &mut buffer).expect("opening");
        }
        for request in &cycle {
            engine.play_phone(request, &mut buffer).expect("turn");
            let tx: Transaction =
                serde_json::from_slice(buffer.transaction_json()).expect("a transaction");
            assert_eq!(Some(tx.intent.name.as_ref()), request.intent_name());
            assert_eq!(tx.intent.next_state.id, "STATE.base");
            assert_eq!(
                tx.variables.len(),
                listed.len(),
                "the flow's variables are written"
            );
            assert_eq!(
                serde_json::to_vec(&tx).expect("serialises"),
                buffer.transaction_json(),
                "byte for byte what serde writes"
            );
        }
    }
}
