//! The shared engine alone: a flow that keeps a generated flow's static parts (states, variables, prompts,
//! pre-escaped fragments) and answers every decision at no cost — any intent is handled by staying in the
//! start state. A turn of it is the session store, the turn rules and the transaction writer with (almost)
//! nothing flow-specific. Its transactions are a little smaller than the real flow's (it never leaves the
//! start state, never calls a service: about 6% fewer bytes), so it costs at most what the shared part of a
//! real turn costs, and `interpreted / engine-only` is an upper bound of `interpreted / generated` that no
//! code generator can pass while both engines share the runtime.

use flowc_runtime::{BlockIx, Flow, FlowInfo, HandlerIx, Scope, StateIx, Step, View};

/// `F` with its decisions replaced by constants.
pub struct EngineOnly<F> {
    flow: F,
    /// `F`'s description with its `else`s and ending replaced: every `else` is handler 0, nothing
    /// handles a hang-up.
    info: FlowInfo,
}

impl<F: Flow> EngineOnly<F> {
    /// `flow` answering every decision at no cost.
    pub fn new(flow: F) -> Self {
        let mut info = flow.info().clone();
        for state in info.states.to_mut() {
            state.otherwise = Some(0);
        }
        info.global_else = None;
        info.ending = None;
        EngineOnly { flow, info }
    }
}

impl<F: Flow> Flow for EngineOnly<F> {
    type Vars = F::Vars;

    fn info(&self) -> &FlowInfo {
        &self.info
    }
    fn new_vars(&self) -> Self::Vars {
        self.flow.new_vars()
    }
    fn values(&self, vars: &Self::Vars, each: impl FnMut(&str)) {
        self.flow.values(vars, each)
    }
    fn values_mut(&self, vars: &mut Self::Vars, each: impl FnMut(&mut String)) {
        self.flow.values_mut(vars, each)
    }
    fn write_prompt(
        &self,
        state: StateIx,
        index: u32,
        scope: &View<'_, Self::Vars>,
        out: &mut String,
    ) {
        self.flow.write_prompt(state, index, scope, out)
    }
    fn write_reprompt(
        &self,
        state: StateIx,
        scope: &View<'_, Self::Vars>,
        out: &mut String,
    ) -> bool {
        self.flow.write_reprompt(state, scope, out)
    }
    fn local_intent(&self, _state: StateIx, _intent: &str) -> Option<HandlerIx> {
        Some(0)
    }
    fn local_dtmf(&self, _state: StateIx, _digits: &str) -> Option<HandlerIx> {
        None
    }
    fn global_intent(&self, _intent: &str) -> Option<HandlerIx> {
        None
    }
    fn run_handler(&self, _handler: HandlerIx, _scope: &mut Scope<'_, Self::Vars>) {}
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
        let flow = EngineOnly::new(dispatch_heavy::Flow::new(flowc_runtime::Dynamic(
            NoServices,
        )));
        let declared = flow.info().variables.len();
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
                declared,
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
