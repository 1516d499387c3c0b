//! Lowering blocks, states and the global block: each block's kind and analytics reference, each state's
//! prompts and handlers, and the one table every handler is numbered in.

use super::{Lowering, derived_state_id, internal};
use crate::analyze::BlockRef;
use crate::ast::{self, BlockKind as Kind, END_CONVERSATION_INTENT, Outcome};
use crate::diagnostic::Diagnostic;
use crate::ir::{self, GLOBAL_STATE_ID, HandlerId, Owner, START_STATE_ID, StateId, Trigger};

impl<'f> Lowering<'_, 'f> {
    /// The analytics reference of the block at `at`: a state's id is `STATE.base`, its explicit `id:` or
    /// derived; any other block's is derived.
    fn reference(&self, at: BlockRef) -> ir::Reference {
        let block = self.symbols.block(self.flow, at);
        let dialog = &self.flow.dialogs[at.dialog].name.text;
        let id = match &block.kind {
            Kind::Start(_) => START_STATE_ID.to_string(),
            Kind::State(ast::StateBody { id: Some(id), .. }) => id.text.clone(),
            _ => derived_state_id(&self.flow.name.text, dialog, &block.name.text),
        };
        ir::Reference {
            id,
            name: block.shown_name().to_string(),
            dialog: dialog.clone(),
        }
    }

    pub(super) fn lower_block(&mut self, at: BlockRef) -> Result<ir::Block, Diagnostic> {
        let flow = self.flow;
        let block = self.symbols.block(flow, at);
        let d = at.dialog;
        let kind = match &block.kind {
            Kind::Start(_) | Kind::State(_) => ir::BlockKind::Wait(
                *self
                    .state_ids
                    .get(&at)
                    .ok_or_else(|| internal(flow, "a state"))?,
            ),
            Kind::End { say } => ir::BlockKind::End {
                say: self.optional_prompt(say)?,
            },
            Kind::Back { say } => ir::BlockKind::Back {
                say: self.optional_prompt(say)?,
            },
            Kind::Service { service, on } => {
                let index = *self
                    .symbols
                    .services
                    .get(service.as_str())
                    .ok_or_else(|| internal(flow, "a service"))?;
                let branch_target =
                    |name: &str| on.iter().find(|(b, _)| b.text == name).map(|(_, t)| t);
                let branches = flow.services[index]
                    .branches
                    .iter()
                    .map(|b| {
                        let t = branch_target(&b.text).ok_or_else(|| internal(flow, "a branch"))?;
                        self.target(d, t)
                    })
                    .collect::<Result<_, _>>()?;
                let error = branch_target("error")
                    .map(|t| self.target(d, t))
                    .transpose()?;
                ir::BlockKind::Service {
                    service: ir::ServiceId::new(index),
                    branches,
                    error,
                }
            }
            Kind::Condition { arms, otherwise } => {
                let otherwise = otherwise
                    .as_ref()
                    .ok_or_else(|| internal(flow, "a condition's else"))?;
                ir::BlockKind::Condition {
                    arms: arms
                        .iter()
                        .map(|arm| Ok((self.expr(&arm.when)?, self.target(d, &arm.goto)?)))
                        .collect::<Result<_, Diagnostic>>()?,
                    otherwise: self.target(d, otherwise)?,
                }
            }
            Kind::Set { assignments, goto } => {
                let goto = goto
                    .as_ref()
                    .ok_or_else(|| internal(flow, "a set's goto"))?;
                ir::BlockKind::Set {
                    assignments: self.assignments(assignments)?,
                    next: self.target(d, goto)?,
                }
            }
            Kind::Call { dialog, on } => {
                let callee = *self
                    .symbols
                    .dialogs
                    .get(dialog.as_str())
                    .ok_or_else(|| internal(flow, "a dialog"))?;
                let outcome = |o: Outcome| {
                    on.iter()
                        .find(|(n, _)| n.text == o.as_str())
                        .map(|(_, t)| self.target(d, t))
                        .transpose()
                };
                ir::BlockKind::Call {
                    dialog: self.dialog_ids[callee],
                    entry: self.entry(callee)?,
                    success: outcome(Outcome::Success)?,
                    failure: outcome(Outcome::Failure)?,
                }
            }
            Kind::Exit { outcome } => ir::BlockKind::Exit(*outcome),
            Kind::Transfer {
                say,
                refer_to,
                headers,
            } => ir::BlockKind::Transfer {
                say: self.optional_prompt(say)?,
                refer_to: self.template(refer_to)?,
                headers: headers
                    .iter()
                    .map(|(n, v)| Ok((n.text.clone(), self.template(v)?)))
                    .collect::<Result<_, Diagnostic>>()?,
            },
            Kind::Global(_) | Kind::Note { .. } => {
                return Err(internal(flow, "a global or note block"));
            }
        };
        Ok(ir::Block {
            key: block.name.text.clone(),
            dialog: self.dialog_ids[d],
            reference: self.reference(at),
            kind,
        })
    }

    /// State `state`, the block at `at`: its prompts, and its handlers numbered (intents, `else`, DTMF).
    pub(super) fn lower_state(
        &mut self,
        state: StateId,
        at: BlockRef,
    ) -> Result<ir::State, Diagnostic> {
        let flow = self.flow;
        let block = self.symbols.block(flow, at);
        let (Kind::Start(body) | Kind::State(body)) = &block.kind else {
            return Err(internal(flow, "a state"));
        };
        let owner = Owner::State(state);
        let d = at.dialog;
        let prompts = body
            .prompts
            .iter()
            .map(|t| self.prompt(t))
            .collect::<Result<_, _>>()?;
        let reprompt = self.optional_prompt(&body.reprompt)?;
        let intents = body
            .on
            .iter()
            .map(|h| {
                let trigger = Trigger::Intent(h.intent.text.clone());
                Ok((
                    h.intent.text.clone(),
                    self.handler(owner, trigger, d, &h.action)?,
                ))
            })
            .collect::<Result<_, Diagnostic>>()?;
        let otherwise = body
            .otherwise
            .as_ref()
            .map(|a| self.handler(owner, Trigger::Else, d, a))
            .transpose()?;
        let dtmf = body
            .dtmf
            .iter()
            .map(|h| {
                let pattern = self.pattern(&h.pattern.text);
                Ok((
                    pattern,
                    self.handler(owner, Trigger::Dtmf(pattern), d, &h.action)?,
                ))
            })
            .collect::<Result<_, Diagnostic>>()?;
        Ok(ir::State {
            block: self.block(at)?,
            prompts,
            reprompt,
            intents,
            otherwise,
            dtmf,
        })
    }

    /// The Global Intents block, its handlers numbered (intents, `else`, the custom ending) after every
    /// state's; a flow without one still has its pseudo-state.
    pub(super) fn lower_global(&mut self) -> Result<ir::Global, Diagnostic> {
        let flow = self.flow;
        let main = self
            .symbols
            .main
            .ok_or_else(|| internal(flow, "the main dialog"))?;
        let body = self.symbols.global_body(flow);
        let name = self.symbols.global.map_or("Global Intents", |at| {
            self.symbols.block(flow, at).shown_name()
        });
        let mut global = ir::Global {
            reference: ir::Reference {
                id: GLOBAL_STATE_ID.to_string(),
                name: name.to_string(),
                dialog: flow.dialogs[main].name.text.clone(),
            },
            ..ir::Global::default()
        };
        let Some(body) = body else {
            return Ok(global);
        };
        let (ending, intents): (Vec<_>, Vec<_>) = body
            .on
            .iter()
            .partition(|h| h.intent.text == END_CONVERSATION_INTENT);
        for handler in intents {
            let trigger = Trigger::Intent(handler.intent.text.clone());
            let h = self.handler(Owner::Global, trigger, main, &handler.action)?;
            global.intents.push((handler.intent.text.clone(), h));
        }
        global.otherwise = body
            .otherwise
            .as_ref()
            .map(|a| self.handler(Owner::Global, Trigger::Else, main, a))
            .transpose()?;
        if let Some(handler) = ending.first() {
            global.ending =
                Some(self.handler(Owner::Global, Trigger::Ending, main, &handler.action)?);
        }
        global.on_error = body
            .on_error
            .as_ref()
            .map(|t| self.target(main, t))
            .transpose()?;
        Ok(global)
    }

    /// Numbers the handler `owner` has for `trigger`, its action's targets in AST dialog `dialog`.
    fn handler(
        &mut self,
        owner: Owner,
        trigger: Trigger,
        dialog: usize,
        action: &'f ast::Action,
    ) -> Result<HandlerId, Diagnostic> {
        let action = self.action(dialog, action)?;
        Ok(self.handlers.push(ir::Handler {
            owner,
            trigger,
            action,
        }))
    }

    fn action(&mut self, dialog: usize, action: &'f ast::Action) -> Result<ir::Action, Diagnostic> {
        let goto = action
            .goto
            .as_ref()
            .ok_or_else(|| internal(self.flow, "an action's goto"))?;
        Ok(ir::Action {
            say: self.optional_prompt(&action.say)?,
            set: self.assignments(&action.set)?,
            goto: self.target(dialog, goto)?,
        })
    }
}
