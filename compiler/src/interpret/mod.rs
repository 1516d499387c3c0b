//! The interpreter: implements the runtime's [`Flow`] trait over the [`ir`], so a flow can be played
//! without compiling Rust (`flowc run`, `flowc test`) and serves as the oracle for generated code.

mod patterns;

use std::borrow::Cow;
use std::collections::HashMap;

use flowc_runtime::__private::pattern::Pattern;
use flowc_runtime::__private::value;
use flowc_runtime::{
    BlockIx, Flow, FlowInfo, HandlerIx, IntentSamples, Outcome, Scope, ServiceResult, SipHeader,
    StateIx, StateRef, Step, TurnContext, TurnInput, Variable, View,
};

use crate::ast::{Lifetime, Platform};
use crate::expr::{BinaryOp, Function};
use crate::ir::{self, BlockKind, Expr, Part, Template};
use crate::lower::derived_state_id;

pub use flowc_runtime::{DynamicServices as Services, NoServices, ServiceError, ServiceReply};

/// What expressions read: the variables, the request, the context.
struct Env<'s> {
    vars: &'s [String],
    input: &'s TurnInput<'s>,
    context: &'s TurnContext<'s>,
}

impl<'s> Env<'s> {
    fn of_scope(scope: &'s Scope<'_, Vec<String>>) -> Env<'s> {
        Env {
            vars: scope.vars,
            input: scope.input,
            context: scope.context,
        }
    }

    fn of_view(view: &'s View<'_, Vec<String>>) -> Env<'s> {
        Env {
            vars: view.vars,
            input: view.input,
            context: view.context,
        }
    }
}

/// Plays an [`ir::Flow`].
pub struct Interpreter<S: Services = NoServices> {
    ir: ir::Flow,
    info: FlowInfo,
    services: S,
    states: Vec<StateRef>,
    blocks: Vec<StateRef>,
    /// Every handler's action: state handlers, elses and DTMF, then the global ones.
    actions: Vec<ir::Action>,
    local: Vec<HashMap<String, HandlerIx>>,
    local_else: Vec<Option<HandlerIx>>,
    dtmf: Vec<Vec<(Pattern, HandlerIx)>>,
    global: HashMap<String, HandlerIx>,
    global_else: Option<HandlerIx>,
    ending: Option<HandlerIx>,
    patterns: HashMap<String, Pattern>,
    user_vars: Vec<usize>,
}

impl<S: Services> Interpreter<S> {
    /// An interpreter of `ir` calling `services`.
    pub fn new(ir: ir::Flow, services: S) -> Self {
        let states: Vec<StateRef> = ir
            .states
            .iter()
            .map(|s| StateRef::new(s.id.clone(), s.name.clone(), s.dialog_name.clone()))
            .collect();
        let blocks = ir
            .blocks
            .iter()
            .map(|b| match b.kind {
                BlockKind::Wait(s) => states[s].clone(),
                _ => {
                    let dialog = &ir.dialogs[b.dialog].name;
                    StateRef::new(
                        derived_state_id(&ir.name, dialog, &b.key),
                        b.name.clone(),
                        dialog.clone(),
                    )
                }
            })
            .collect();
        let mut actions = Vec::new();
        let mut add = |a: &ir::Action| {
            actions.push(a.clone());
            (actions.len() - 1) as HandlerIx
        };
        let mut local = Vec::with_capacity(ir.states.len());
        let mut local_else = Vec::with_capacity(ir.states.len());
        let mut dtmf = Vec::with_capacity(ir.states.len());
        for state in &ir.states {
            let mut map = HashMap::new();
            for (intent, action) in &state.handlers {
                let h = add(action);
                map.entry(intent.clone()).or_insert(h);
            }
            local.push(map);
            local_else.push(state.otherwise.as_ref().map(&mut add));
            dtmf.push(
                state
                    .dtmf
                    .iter()
                    // Patterns were checked by the analyzer; one that still fails never matches.
                    .filter_map(|(p, a)| Pattern::parse(p).ok().map(|p| (p, add(a))))
                    .collect(),
            );
        }
        let mut global = HashMap::new();
        for (intent, action) in &ir.global.handlers {
            let h = add(action);
            global.entry(intent.clone()).or_insert(h);
        }
        let global_else = ir.global.otherwise.as_ref().map(&mut add);
        let ending = ir.global.ending.as_ref().map(&mut add);
        let mut patterns = HashMap::new();
        patterns::collect_patterns(&ir, &mut patterns);
        let info = FlowInfo {
            name: ir.name.clone().into(),
            release: ir.release.clone().into(),
            phone: ir.supports(Platform::Phone),
            chat: ir.supports(Platform::Chat),
            language: ir.language.clone().map(Cow::Owned),
            stt_type: ir.stt.kind.clone().into(),
            stt_id: ir.stt.id.clone().into(),
            no_input_limit: ir.no_input_limit,
            on_error: ir.global.on_error.map(|b| b as BlockIx),
            global_state: StateRef::new(ir::GLOBAL_STATE_ID, ir.global.name.clone(), "main"),
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
        };
        let user_vars = ir
            .variables
            .iter()
            .enumerate()
            .filter(|(_, v)| v.lifetime == Lifetime::User)
            .map(|(i, _)| i)
            .collect();
        Interpreter {
            ir,
            info,
            services,
            states,
            blocks,
            actions,
            local,
            local_else,
            dtmf,
            global,
            global_else,
            ending,
            patterns,
            user_vars,
        }
    }

    /// The flow being played.
    pub fn ir(&self) -> &ir::Flow {
        &self.ir
    }

    /// The HTTP endpoints the flow declares, for `flowc_runtime::HttpServices`.
    pub fn http_endpoints(&self) -> Vec<flowc_runtime::HttpEndpoint> {
        http_endpoints(&self.ir)
    }

    /// The services the flow calls.
    pub fn services(&self) -> &S {
        &self.services
    }

    fn eval<'s>(&self, expr: &Expr, scope: &'s Env<'_>) -> Cow<'s, str> {
        match expr {
            Expr::Var(v) => Cow::Borrowed(scope.vars.get(*v).map(String::as_str).unwrap_or("")),
            Expr::Slot(name) => scope.input.slot(name),
            Expr::Context(field) => scope.context.get(*field),
            Expr::IntentName => Cow::Borrowed(scope.input.intent),
            Expr::Dtmf => Cow::Borrowed(scope.input.dtmf),
            Expr::Str(s) | Expr::Num(s) => Cow::Owned(s.clone()),
            Expr::Bool(b) => Cow::Borrowed(value::bool_text(*b)),
            Expr::Not(inner) => {
                Cow::Borrowed(value::bool_text(!value::truthy(&self.eval(inner, scope))))
            }
            Expr::Binary(op, a, b) => {
                Cow::Borrowed(value::bool_text(self.binary(*op, a, b, scope)))
            }
            Expr::Call(f, args) => {
                let arg = |i: usize| {
                    args.get(i)
                        .map(|a| self.eval(a, scope))
                        .unwrap_or(Cow::Borrowed(""))
                };
                let result = match f {
                    Function::Empty => value::is_empty(&arg(0)),
                    Function::Contains => value::contains(&arg(0), &arg(1)),
                    Function::Matches => match args.get(1) {
                        Some(Expr::Str(p)) => self
                            .patterns
                            .get(p)
                            .is_some_and(|p| value::matches(&arg(0), p)),
                        _ => false,
                    },
                };
                Cow::Borrowed(value::bool_text(result))
            }
        }
    }

    fn binary(&self, op: BinaryOp, a: &Expr, b: &Expr, scope: &Env<'_>) -> bool {
        use std::cmp::Ordering::*;
        match op {
            BinaryOp::And => {
                value::truthy(&self.eval(a, scope)) && value::truthy(&self.eval(b, scope))
            }
            BinaryOp::Or => {
                value::truthy(&self.eval(a, scope)) || value::truthy(&self.eval(b, scope))
            }
            _ => {
                let ordering = value::compare(&self.eval(a, scope), &self.eval(b, scope));
                match op {
                    BinaryOp::Eq => ordering == Equal,
                    BinaryOp::Ne => ordering != Equal,
                    BinaryOp::Lt => ordering == Less,
                    BinaryOp::Le => ordering != Greater,
                    BinaryOp::Gt => ordering == Greater,
                    _ => ordering != Less,
                }
            }
        }
    }

    fn render(&self, template: &Template, scope: &Env<'_>) -> String {
        let ssml = template.prompt && scope.context.prompts_are_ssml();
        let mut out = String::new();
        for part in &template.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Expr(e) => value::push_value(&mut out, &self.eval(e, scope), ssml),
            }
        }
        out
    }

    fn say(&self, template: &Option<Template>, scope: &mut Scope<'_, Vec<String>>) {
        if let Some(t) = template {
            let text = self.render(t, &Env::of_scope(scope));
            scope.say(&text);
        }
    }

    fn assign(&self, assignments: &[(usize, Template)], scope: &mut Scope<'_, Vec<String>>) {
        for (var, template) in assignments {
            let value = self.render(template, &Env::of_scope(scope));
            if let Some(slot) = scope.vars.get_mut(*var) {
                *slot = value;
            }
        }
    }

    fn service(
        &self,
        block: &ir::Block,
        service: usize,
        branches: &[usize],
        error: Option<usize>,
        scope: &mut Scope<'_, Vec<String>>,
    ) -> ServiceResult {
        let decl = &self.ir.services[service];
        let route = error.map(|b| b as BlockIx);
        let inputs: Vec<(&str, &str)> = decl
            .inputs
            .iter()
            .map(|&v| {
                (
                    self.ir.variables[v].name.as_str(),
                    scope.vars.get(v).map(String::as_str).unwrap_or(""),
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
            Err(error) => return failed(error),
        };
        let Some(index) = decl.branches.iter().position(|b| *b == reply.branch) else {
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
                && let Some(slot) = scope.vars.get_mut(var)
            {
                *slot = value;
            }
        }
        ServiceResult::Answered {
            next: branches[index] as BlockIx,
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

    fn reset_session(&self, vars: &mut Vec<String>) {
        for (slot, decl) in vars.iter_mut().zip(&self.ir.variables) {
            if decl.lifetime == Lifetime::Session {
                slot.clone_from(&decl.default);
            }
        }
    }

    fn write_variables(&self, vars: &Vec<String>, out: &mut Vec<Variable>) {
        out.extend(
            self.ir
                .variables
                .iter()
                .zip(vars)
                .map(|(decl, value)| Variable::new(decl.name.clone(), value.clone())),
        );
    }

    fn save_user(&self, vars: &Vec<String>, out: &mut Vec<String>) {
        out.resize(self.user_vars.len(), String::new());
        for (slot, &i) in out.iter_mut().zip(&self.user_vars) {
            slot.clone_from(&vars[i]);
        }
    }

    fn load_user(&self, vars: &mut Vec<String>, saved: &[String]) {
        for (&i, value) in self.user_vars.iter().zip(saved) {
            vars[i].clone_from(value);
        }
    }

    fn has_user_vars(&self) -> bool {
        !self.user_vars.is_empty()
    }

    fn state(&self, state: StateIx) -> &StateRef {
        &self.states[state as usize]
    }

    fn block(&self, block: BlockIx) -> &StateRef {
        &self.blocks[block as usize]
    }

    fn prompt_count(&self, state: StateIx) -> u32 {
        self.ir.states[state as usize].prompts.len() as u32
    }

    fn write_prompt(
        &self,
        state: StateIx,
        index: u32,
        scope: &View<'_, Vec<String>>,
        out: &mut String,
    ) {
        if let Some(t) = self.ir.states[state as usize].prompts.get(index as usize) {
            out.push_str(&self.render(t, &Env::of_view(scope)));
        }
    }

    fn write_reprompt(
        &self,
        state: StateIx,
        scope: &View<'_, Vec<String>>,
        out: &mut String,
    ) -> bool {
        match &self.ir.states[state as usize].reprompt {
            Some(t) => {
                out.push_str(&self.render(t, &Env::of_view(scope)));
                true
            }
            None => false,
        }
    }

    fn local_intent(&self, state: StateIx, intent: &str) -> Option<HandlerIx> {
        self.local[state as usize].get(intent).copied()
    }

    fn local_dtmf(&self, state: StateIx, digits: &str) -> Option<HandlerIx> {
        self.dtmf[state as usize]
            .iter()
            .find(|(p, _)| p.is_match(digits))
            .map(|(_, h)| *h)
    }

    fn local_else(&self, state: StateIx) -> Option<HandlerIx> {
        self.local_else[state as usize]
    }

    fn global_intent(&self, intent: &str) -> Option<HandlerIx> {
        self.global.get(intent).copied()
    }

    fn global_else(&self) -> Option<HandlerIx> {
        self.global_else
    }

    fn ending(&self) -> Option<HandlerIx> {
        self.ending
    }

    fn run_handler(&self, handler: HandlerIx, scope: &mut Scope<'_, Vec<String>>) -> BlockIx {
        let action = &self.actions[handler as usize];
        self.say(&action.say, scope);
        self.assign(&action.set, scope);
        action.goto as BlockIx
    }

    fn run_block(&self, block: BlockIx, scope: &mut Scope<'_, Vec<String>>) -> Step {
        let b = &self.ir.blocks[block as usize];
        match &b.kind {
            BlockKind::Wait(s) => Step::Wait(*s as StateIx),
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
                let next = arms
                    .iter()
                    .find(|(e, _)| value::truthy(&self.eval(e, &Env::of_scope(scope))))
                    .map(|(_, t)| *t)
                    .unwrap_or(*otherwise);
                Step::Next(next as BlockIx)
            }
            BlockKind::Set { assignments, next } => {
                self.assign(assignments, scope);
                Step::Next(*next as BlockIx)
            }
            BlockKind::Call {
                dialog,
                success,
                failure,
            } => Step::Call {
                entry: self.ir.dialogs[*dialog].entry as BlockIx,
                success: success.map(|b| b as BlockIx),
                failure: failure.map(|b| b as BlockIx),
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
