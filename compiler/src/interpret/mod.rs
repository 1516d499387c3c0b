//! The interpreter: implements the runtime's [`Flow`] trait over the [`ir`], so a flow can be played
//! without compiling Rust (`flowc run`, `flowc test`) and serves as the oracle for generated code. It reads
//! every number, reference and pattern from the IR as lowering fixed them, exactly as the code generator
//! does, and evaluates with the runtime's `value` functions.

mod eval;

use std::borrow::Cow;
use std::collections::HashMap;

use flowc_runtime::IntentSamples;
use flowc_runtime::SipHeader;
use flowc_runtime::StateRef;
use flowc_runtime::{
    BlockInfo, BlockIx, Flow, FlowInfo, HandlerIx, Outcome, Reference, Scope, ServiceResult,
    StateInfo, StateIx, Step, VariableInfo, View,
};

use crate::ast::{Lifetime, Platform};
use crate::ir::{self, BlockId, BlockKind, HandlerId, IdVec, StateId, Template};
use eval::{Env, Patterns};

pub use flowc_runtime::{DynamicServices as Services, NoServices, ServiceError, ServiceReply};

/// The runtime's reference for an IR one.
fn state_ref(reference: &ir::Reference) -> StateRef {
    StateRef::new(
        reference.id.clone(),
        reference.name.clone(),
        reference.dialog.clone(),
    )
}

/// The flow's static description, built once: the same tables generated code has as `static` data, so the
/// engine writes both engines' transactions through one path.
fn info(ir: &ir::Flow) -> FlowInfo {
    let handler = |h: Option<HandlerId>| h.map(HandlerId::get);
    FlowInfo {
        name: ir.name.clone().into(),
        release: ir.release.clone().into(),
        phone: ir.supports(Platform::Phone),
        chat: ir.supports(Platform::Chat),
        language: ir.language.clone().map(Cow::Owned),
        stt_type: ir.stt.kind.clone().into(),
        stt_id: ir.stt.id.clone().into(),
        no_input_limit: ir.no_input_limit,
        on_error: ir.global.on_error.map(BlockId::get),
        intents: Cow::Owned(
            ir.intents
                .iter()
                .map(|i| IntentSamples {
                    name: i.name.clone().into(),
                    utterances: Cow::Owned(
                        i.utterances.iter().map(|u| Cow::Owned(u.clone())).collect(),
                    ),
                })
                .collect(),
        ),
        global: Reference::new(state_ref(&ir.global.reference)),
        states: Cow::Owned(
            ir.states
                .enumerate()
                .map(|(s, state)| StateInfo {
                    reference: Reference::new(state_ref(ir.state_reference(s))),
                    prompts: u32::try_from(state.prompts.len()).unwrap_or(u32::MAX),
                    otherwise: handler(state.otherwise),
                })
                .collect(),
        ),
        blocks: Cow::Owned(
            ir.blocks
                .iter()
                .map(|b| match b.kind {
                    BlockKind::Wait(s) => BlockInfo::Waits(s.get()),
                    _ => BlockInfo::Other(state_ref(&b.reference)),
                })
                .collect(),
        ),
        handlers: Cow::Owned(ir.handlers.iter().map(|h| h.action.goto.get()).collect()),
        global_else: handler(ir.global.otherwise),
        ending: handler(ir.global.ending),
        variables: Cow::Owned(
            ir.variables
                .iter()
                .map(|v| {
                    let lifetime = match v.lifetime {
                        Lifetime::Session => flowc_runtime::Lifetime::Session,
                        Lifetime::User => flowc_runtime::Lifetime::User,
                    };
                    VariableInfo::new(v.name.clone(), lifetime, v.default.clone())
                })
                .collect(),
        ),
    }
}

/// Plays an [`ir::Flow`].
pub struct Interpreter<S: Services = NoServices> {
    ir: ir::Flow,
    info: FlowInfo,
    services: S,
    patterns: Patterns,
    /// Per state: the handler of each intent it handles.
    local: IdVec<StateId, HashMap<String, HandlerIx>>,
    /// The handler of each global intent.
    global: HashMap<String, HandlerIx>,
}

impl<S: Services> Interpreter<S> {
    /// An interpreter of `ir` calling `services`.
    pub fn new(ir: ir::Flow, services: S) -> Self {
        let handlers = |list: &[(String, HandlerId)]| -> HashMap<String, HandlerIx> {
            list.iter().map(|(i, h)| (i.clone(), h.get())).collect()
        };
        Interpreter {
            info: info(&ir),
            patterns: Patterns::compile(&ir.patterns),
            local: ir.states.iter().map(|s| handlers(&s.intents)).collect(),
            global: handlers(&ir.global.intents),
            services,
            ir,
        }
    }

    /// The flow being played.
    pub fn ir(&self) -> &ir::Flow {
        &self.ir
    }

    fn state(&self, state: StateIx) -> Option<&ir::State> {
        self.ir.states.get(StateId::new(state as usize))
    }

    /// The HTTP endpoints the flow declares, for `flowc_runtime::HttpServices`.
    pub fn http_endpoints(&self) -> Vec<flowc_runtime::HttpEndpoint> {
        http_endpoints(&self.ir)
    }

    /// The services the flow calls.
    pub fn services(&self) -> &S {
        &self.services
    }

    fn render(&self, template: &Template, env: &Env<'_>) -> String {
        let mut out = String::new();
        eval::render(template, env, &self.patterns, &mut out);
        out
    }

    fn say(&self, template: &Option<Template>, scope: &mut Scope<'_, Vec<String>>) {
        if let Some(t) = template {
            let text = self.render(t, &Env::of_scope(scope));
            scope.say(&text);
        }
    }

    fn assign(&self, assignments: &[(ir::VarId, Template)], scope: &mut Scope<'_, Vec<String>>) {
        for (var, template) in assignments {
            let value = self.render(template, &Env::of_scope(scope));
            if let Some(slot) = scope.vars.get_mut(var.index()) {
                *slot = value;
            }
        }
    }

    fn service(
        &self,
        block: &ir::Block,
        service: ir::ServiceId,
        branches: &[BlockId],
        error: Option<BlockId>,
        scope: &mut Scope<'_, Vec<String>>,
    ) -> ServiceResult {
        let decl = &self.ir.services[service];
        let route = error.map(BlockId::get);
        let inputs: Vec<(&str, &str)> = decl
            .inputs
            .iter()
            .map(|&v| {
                (
                    self.ir.variables[v].name.as_str(),
                    scope.vars.get(v.index()).map_or("", String::as_str),
                )
            })
            .collect();
        let failed = |error: ServiceError| ServiceResult::Failed {
            message: flowc_runtime::__private::failure_message(&decl.name, &block.key, &error),
            status: Cow::Owned(error.status),
            route,
        };
        let reply = match self.services.call(&decl.name, &inputs, scope.context) {
            Ok(reply) => reply,
            Err(e) => return failed(e),
        };
        let Some(next) = decl
            .branches
            .iter()
            .position(|b| *b == reply.branch)
            .and_then(|i| branches.get(i))
        else {
            return failed(flowc_runtime::__private::unknown_branch(
                &decl.name,
                &reply.branch,
            ));
        };
        for (name, value) in reply.outputs {
            if let Some(&var) = decl
                .outputs
                .iter()
                .find(|&&v| self.ir.variables[v].name == name)
                && let Some(slot) = scope.vars.get_mut(var.index())
            {
                *slot = value;
            }
        }
        ServiceResult::Answered {
            next: next.get(),
            status: Cow::Borrowed("ok"),
        }
    }
}

/// The HTTP endpoints a flow declares.
pub fn http_endpoints(ir: &ir::Flow) -> Vec<flowc_runtime::HttpEndpoint> {
    ir.services
        .iter()
        .filter_map(|s| {
            s.http.as_ref().map(|h| flowc_runtime::HttpEndpoint {
                service: s.name.clone().into(),
                url: h.url.clone().into(),
                timeout_ms: h.timeout_ms,
                retries: h.retries,
                headers: Cow::Owned(
                    h.headers
                        .iter()
                        .map(|(k, v)| (k.clone().into(), v.clone().into()))
                        .collect(),
                ),
            })
        })
        .collect()
}

impl<S: Services> Flow for Interpreter<S> {
    type Vars = Vec<String>;

    fn info(&self) -> &FlowInfo {
        &self.info
    }

    fn new_vars(&self) -> Vec<String> {
        self.ir
            .variables
            .iter()
            .map(|v| v.default.clone())
            .collect()
    }

    fn values(&self, vars: &Vec<String>, mut each: impl FnMut(&str)) {
        vars.iter().for_each(|v| each(v));
    }

    fn values_mut(&self, vars: &mut Vec<String>, each: impl FnMut(&mut String)) {
        vars.iter_mut().for_each(each);
    }

    fn write_prompt(
        &self,
        state: StateIx,
        index: u32,
        scope: &View<'_, Vec<String>>,
        out: &mut String,
    ) {
        if let Some(t) = self
            .state(state)
            .and_then(|s| s.prompts.get(index as usize))
        {
            eval::render(t, &Env::of_view(scope), &self.patterns, out);
        }
    }

    fn write_reprompt(
        &self,
        state: StateIx,
        scope: &View<'_, Vec<String>>,
        out: &mut String,
    ) -> bool {
        match self.state(state).and_then(|s| s.reprompt.as_ref()) {
            Some(t) => {
                eval::render(t, &Env::of_view(scope), &self.patterns, out);
                true
            }
            None => false,
        }
    }

    fn local_intent(&self, state: StateIx, intent: &str) -> Option<HandlerIx> {
        self.local[StateId::new(state as usize)]
            .get(intent)
            .copied()
    }

    fn local_dtmf(&self, state: StateIx, digits: &str) -> Option<HandlerIx> {
        self.ir.states[StateId::new(state as usize)]
            .dtmf
            .iter()
            .find(|(p, _)| self.patterns.matches(*p, digits))
            .map(|(_, h)| h.get())
    }

    fn global_intent(&self, intent: &str) -> Option<HandlerIx> {
        self.global.get(intent).copied()
    }

    fn run_handler(&self, handler: HandlerIx, scope: &mut Scope<'_, Vec<String>>) {
        if let Some(h) = self.ir.handlers.get(HandlerId::new(handler as usize)) {
            self.say(&h.action.say, scope);
            self.assign(&h.action.set, scope);
        }
    }

    fn run_block(&self, block: BlockIx, scope: &mut Scope<'_, Vec<String>>) -> Step {
        let Some(b) = self.ir.blocks.get(BlockId::new(block as usize)) else {
            return Step::NoSuchBlock;
        };
        match &b.kind {
            BlockKind::Wait(s) => Step::Wait(s.get()),
            BlockKind::End { say } => {
                self.say(say, scope);
                Step::End
            }
            BlockKind::Service {
                service,
                branches,
                error,
            } => Step::Service(self.service(b, *service, branches, *error, scope)),
            BlockKind::Condition { arms, otherwise } => {
                let env = Env::of_scope(scope);
                let next = arms
                    .iter()
                    .find(|(e, _)| eval::holds(e, &env, &self.patterns))
                    .map_or(*otherwise, |(_, t)| *t);
                Step::Next(next.get())
            }
            BlockKind::Set { assignments, next } => {
                self.assign(assignments, scope);
                Step::Next(next.get())
            }
            BlockKind::Call {
                entry,
                success,
                failure,
                ..
            } => Step::Call {
                entry: entry.get(),
                success: success.map(BlockId::get),
                failure: failure.map(BlockId::get),
            },
            BlockKind::Exit(outcome) => Step::Exit(match outcome {
                crate::ast::Outcome::Success => Outcome::Success,
                crate::ast::Outcome::Failure => Outcome::Failure,
            }),
            BlockKind::Back { say } => {
                self.say(say, scope);
                Step::Back
            }
            BlockKind::Transfer {
                say,
                refer_to,
                headers,
            } => {
                self.say(say, scope);
                let env = Env::of_scope(scope);
                Step::Transfer {
                    refer_to: self.render(refer_to, &env),
                    headers: headers
                        .iter()
                        .map(|(name, value)| SipHeader {
                            name: name.clone(),
                            value: self.render(value, &env),
                        })
                        .collect(),
                }
            }
        }
    }
}
