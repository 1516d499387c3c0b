//! Lowers a checked AST into the [`ir`]: numbers dialogs, blocks and states, resolves every name, and fixes
//! state ids (T15: `STATE.base` for the start block, the explicit `id:`, or a UUID v5 of flow, dialog and
//! block name, so ids survive reordering and only change when a block is renamed).

use foldhash::{HashMap, HashMapExt};

use uuid::Uuid;

use crate::analyze::{BlockRef, Symbols};
use crate::ast::{self, BlockKind as Kind, END_CONVERSATION_INTENT, Outcome};
use crate::diagnostic::{Code, Diagnostic};
use crate::expr::{self, ExprKind, TemplatePart};
use crate::ir::{self, BlockId, START_STATE_ID};

/// The namespace of derived state ids. Changing it would change every derived id: never do.
const STATE_ID_NAMESPACE: Uuid = Uuid::from_u128(0x6f1c_2d7e_8a4b_4c0e_9d3f_5b2a_7e6c_1f08);

/// The derived state id of block `block` in dialog `dialog` of flow `flow`.
pub fn derived_state_id(flow: &str, dialog: &str, block: &str) -> String {
    Uuid::new_v5(
        &STATE_ID_NAMESPACE,
        format!("{flow}/{dialog}/{block}").as_bytes(),
    )
    .to_string()
}

/// Lowers a flow that analysis found free of errors.
///
/// Fails only if the flow still has an unresolved name, i.e. when called on a flow with errors.
pub fn lower(flow: &ast::Flow) -> Result<ir::Flow, Diagnostic> {
    let mut scratch = Vec::new();
    let symbols = Symbols::build(flow, &mut scratch);
    let mut lowering = Lowering::new(flow, &symbols)?;
    lowering.run()
}

struct Lowering<'a, 'f> {
    flow: &'f ast::Flow,
    symbols: &'a Symbols<'f>,
    /// AST dialog index → IR dialog index.
    dialog_ids: Vec<usize>,
    /// AST block → IR block.
    block_ids: HashMap<BlockRef, BlockId>,
    /// IR block → AST block.
    order: Vec<BlockRef>,
    /// AST block → IR state.
    state_ids: HashMap<BlockRef, usize>,
    /// IR state → AST block.
    states: Vec<BlockRef>,
}

fn unresolved(flow: &ast::Flow, what: &str) -> Diagnostic {
    Diagnostic::error(
        Code::UnknownTarget,
        flow.name.span,
        format!("internal: {what} could not be resolved while lowering"),
    )
    .with_help("run `flowc check` and fix its errors first")
}

impl<'a, 'f> Lowering<'a, 'f> {
    fn new(flow: &'f ast::Flow, symbols: &'a Symbols<'f>) -> Result<Self, Diagnostic> {
        let main = symbols
            .main
            .ok_or_else(|| unresolved(flow, "the main dialog"))?;
        let start = symbols
            .start
            .ok_or_else(|| unresolved(flow, "the start block"))?;
        let dialog_order: Vec<usize> = std::iter::once(main)
            .chain((0..flow.dialogs.len()).filter(|d| *d != main))
            .collect();
        let mut dialog_ids = vec![0; flow.dialogs.len()];
        for (ir, &d) in dialog_order.iter().enumerate() {
            dialog_ids[d] = ir;
        }
        let mut lowering = Lowering {
            flow,
            symbols,
            dialog_ids,
            block_ids: HashMap::new(),
            order: Vec::new(),
            state_ids: HashMap::new(),
            states: vec![start],
        };
        lowering.state_ids.insert(start, 0);
        for &d in &dialog_order {
            for (b, block) in flow.dialogs[d].blocks.iter().enumerate() {
                if matches!(block.kind, Kind::Global(_) | Kind::Note { .. }) {
                    continue;
                }
                let at = BlockRef {
                    dialog: d,
                    block: b,
                };
                lowering.block_ids.insert(at, lowering.order.len());
                lowering.order.push(at);
                if matches!(block.kind, Kind::State(_)) {
                    lowering.state_ids.insert(at, lowering.states.len());
                    lowering.states.push(at);
                }
            }
        }
        Ok(lowering)
    }

    fn run(&mut self) -> Result<ir::Flow, Diagnostic> {
        let flow = self.flow;
        let main = self
            .symbols
            .main
            .ok_or_else(|| unresolved(flow, "the main dialog"))?;
        let mut dialogs = vec![None; flow.dialogs.len()];
        for (d, dialog) in flow.dialogs.iter().enumerate() {
            let entry = if d == main {
                self.block(
                    self.symbols
                        .start
                        .ok_or_else(|| unresolved(flow, "the start block"))?,
                )?
            } else {
                let entry = dialog
                    .entry
                    .as_ref()
                    .ok_or_else(|| unresolved(flow, "a subdialog entry"))?;
                self.target(d, entry)?
            };
            dialogs[self.dialog_ids[d]] = Some(ir::Dialog {
                name: dialog.name.text.clone(),
                entry,
            });
        }
        let blocks = self
            .order
            .clone()
            .into_iter()
            .map(|at| self.lower_block(at))
            .collect::<Result<Vec<_>, _>>()?;
        let states = self
            .states
            .clone()
            .into_iter()
            .map(|at| self.lower_state(at))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ir::Flow {
            name: flow.name.text.clone(),
            description: flow.description.clone(),
            release: flow
                .release
                .as_ref()
                .map(|r| r.text.clone())
                .unwrap_or_default(),
            platforms: {
                let mut p: Vec<ast::Platform> = flow.platforms.iter().map(|(p, _)| *p).collect();
                p.sort();
                p.dedup();
                p
            },
            language: flow.language.as_ref().map(|l| l.text.clone()),
            stt: flow.stt.clone(),
            no_input_limit: flow.no_input.map(|(n, _)| n),
            variables: flow
                .variables
                .iter()
                .map(|v| ir::Variable {
                    name: v.name.text.clone(),
                    lifetime: v.lifetime,
                    default: v.default.clone(),
                })
                .collect(),
            intents: flow
                .intents
                .iter()
                .map(|i| ir::Intent {
                    name: i.name.text.clone(),
                    utterances: i.utterances.clone(),
                })
                .collect(),
            services: flow
                .services
                .iter()
                .map(|s| {
                    Ok(ir::Service {
                        name: s.name.text.clone(),
                        inputs: s
                            .inputs
                            .iter()
                            .map(|n| self.variable(&n.text))
                            .collect::<Result<_, _>>()?,
                        outputs: s
                            .outputs
                            .iter()
                            .map(|n| self.variable(&n.text))
                            .collect::<Result<_, _>>()?,
                        branches: s.branches.iter().map(|b| b.text.clone()).collect(),
                        timeout_ms: s.timeout_ms,
                        http: s.http.as_ref().map(|h| ir::Http {
                            url: h.url.text.clone(),
                            timeout_ms: h
                                .timeout_ms
                                .or(s.timeout_ms)
                                .unwrap_or(ast::DEFAULT_HTTP_TIMEOUT_MS),
                            retries: h.retries.unwrap_or(0),
                            headers: h
                                .headers
                                .iter()
                                .map(|(k, v)| (k.text.clone(), v.text.clone()))
                                .collect(),
                        }),
                    })
                })
                .collect::<Result<_, Diagnostic>>()?,
            dialogs: dialogs
                .into_iter()
                .map(|d| d.ok_or_else(|| unresolved(flow, "a dialog")))
                .collect::<Result<_, _>>()?,
            blocks,
            states,
            global: self.lower_global(main)?,
        })
    }

    fn block(&self, at: BlockRef) -> Result<BlockId, Diagnostic> {
        self.block_ids
            .get(&at)
            .copied()
            .ok_or_else(|| unresolved(self.flow, "a block"))
    }

    fn target(&self, dialog: usize, name: &ast::Name) -> Result<BlockId, Diagnostic> {
        let at = self
            .symbols
            .lookup(dialog, name.as_str())
            .ok_or_else(|| unresolved(self.flow, &format!("target `{}`", name.text)))?;
        self.block(at)
    }

    fn variable(&self, name: &str) -> Result<usize, Diagnostic> {
        self.symbols
            .variables
            .get(name)
            .copied()
            .ok_or_else(|| unresolved(self.flow, &format!("variable `{name}`")))
    }

    fn lower_block(&self, at: BlockRef) -> Result<ir::Block, Diagnostic> {
        let block = self.symbols.block(self.flow, at);
        let d = at.dialog;
        let kind = match &block.kind {
            Kind::Start(_) | Kind::State(_) => ir::BlockKind::Wait(
                *self
                    .state_ids
                    .get(&at)
                    .ok_or_else(|| unresolved(self.flow, "a state"))?,
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
                    .ok_or_else(|| unresolved(self.flow, "a service"))?;
                let decl = &self.flow.services[index];
                let branch_target =
                    |name: &str| on.iter().find(|(b, _)| b.text == name).map(|(_, t)| t);
                let branches = decl
                    .branches
                    .iter()
                    .map(|b| {
                        let t = branch_target(&b.text)
                            .ok_or_else(|| unresolved(self.flow, "a branch"))?;
                        self.target(d, t)
                    })
                    .collect::<Result<_, _>>()?;
                let error = branch_target("error")
                    .map(|t| self.target(d, t))
                    .transpose()?;
                ir::BlockKind::Service {
                    service: index,
                    branches,
                    error,
                }
            }
            Kind::Condition { arms, otherwise } => ir::BlockKind::Condition {
                arms: arms
                    .iter()
                    .map(|arm| Ok((self.expr(&arm.when)?, self.target(d, &arm.goto)?)))
                    .collect::<Result<_, Diagnostic>>()?,
                otherwise: self.target(
                    d,
                    otherwise
                        .as_ref()
                        .ok_or_else(|| unresolved(self.flow, "a condition's else"))?,
                )?,
            },
            Kind::Set { assignments, goto } => ir::BlockKind::Set {
                assignments: self.assignments(assignments)?,
                next: self.target(
                    d,
                    goto.as_ref()
                        .ok_or_else(|| unresolved(self.flow, "a set's goto"))?,
                )?,
            },
            Kind::Call { dialog, on } => {
                let callee = *self
                    .symbols
                    .dialogs
                    .get(dialog.as_str())
                    .ok_or_else(|| unresolved(self.flow, "a dialog"))?;
                let outcome = |o: Outcome| {
                    on.iter()
                        .find(|(n, _)| n.text == o.as_str())
                        .map(|(_, t)| self.target(d, t))
                        .transpose()
                };
                ir::BlockKind::Call {
                    dialog: self.dialog_ids[callee],
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
                return Err(unresolved(self.flow, "a global or note block"));
            }
        };
        Ok(ir::Block {
            key: block.name.text.clone(),
            name: block.shown_name().to_string(),
            dialog: self.dialog_ids[d],
            kind,
        })
    }

    fn lower_state(&self, at: BlockRef) -> Result<ir::State, Diagnostic> {
        let block = self.symbols.block(self.flow, at);
        let dialog = &self.flow.dialogs[at.dialog];
        let (Kind::Start(body) | Kind::State(body)) = &block.kind else {
            return Err(unresolved(self.flow, "a state"));
        };
        let id = match (&block.kind, &body.id) {
            (Kind::Start(_), _) => START_STATE_ID.to_string(),
            (_, Some(id)) => id.text.clone(),
            _ => derived_state_id(&self.flow.name.text, &dialog.name.text, &block.name.text),
        };
        Ok(ir::State {
            block: self.block(at)?,
            id,
            name: block.shown_name().to_string(),
            dialog_name: dialog.name.text.clone(),
            prompts: body
                .prompts
                .iter()
                .map(|t| self.prompt(t))
                .collect::<Result<_, _>>()?,
            reprompt: self.optional_prompt(&body.reprompt)?,
            handlers: body
                .on
                .iter()
                .map(|h| Ok((h.intent.text.clone(), self.action(at.dialog, &h.action)?)))
                .collect::<Result<_, Diagnostic>>()?,
            otherwise: body
                .otherwise
                .as_ref()
                .map(|a| self.action(at.dialog, a))
                .transpose()?,
            dtmf: body
                .dtmf
                .iter()
                .map(|h| Ok((h.pattern.text.clone(), self.action(at.dialog, &h.action)?)))
                .collect::<Result<_, Diagnostic>>()?,
        })
    }

    fn lower_global(&self, main: usize) -> Result<ir::Global, Diagnostic> {
        let Some(at) = self.symbols.global else {
            return Ok(ir::Global {
                name: "Global Intents".into(),
                ..ir::Global::default()
            });
        };
        let block = self.symbols.block(self.flow, at);
        let Kind::Global(body) = &block.kind else {
            return Err(unresolved(self.flow, "the global block"));
        };
        let mut global = ir::Global {
            name: block.shown_name().to_string(),
            ..ir::Global::default()
        };
        for handler in &body.on {
            let action = self.action(main, &handler.action)?;
            if handler.intent.text == END_CONVERSATION_INTENT {
                global.ending = Some(action);
            } else {
                global.handlers.push((handler.intent.text.clone(), action));
            }
        }
        global.otherwise = body
            .otherwise
            .as_ref()
            .map(|a| self.action(main, a))
            .transpose()?;
        global.on_error = body
            .on_error
            .as_ref()
            .map(|t| self.target(main, t))
            .transpose()?;
        Ok(global)
    }

    fn action(&self, dialog: usize, action: &ast::Action) -> Result<ir::Action, Diagnostic> {
        Ok(ir::Action {
            say: self.optional_prompt(&action.say)?,
            set: self.assignments(&action.set)?,
            goto: self.target(
                dialog,
                action
                    .goto
                    .as_ref()
                    .ok_or_else(|| unresolved(self.flow, "an action's goto"))?,
            )?,
        })
    }

    fn assignments(
        &self,
        assignments: &[ast::Assignment],
    ) -> Result<Vec<(usize, ir::Template)>, Diagnostic> {
        assignments
            .iter()
            .map(|a| Ok((self.variable(&a.variable.text)?, self.template(&a.value)?)))
            .collect()
    }

    /// A `say` or `reprompt`, if there is one.
    fn optional_prompt(
        &self,
        t: &Option<expr::Template>,
    ) -> Result<Option<ir::Template>, Diagnostic> {
        t.as_ref().map(|t| self.prompt(t)).transpose()
    }

    /// Something the bot says: its values are escaped on phone turns.
    fn prompt(&self, t: &expr::Template) -> Result<ir::Template, Diagnostic> {
        Ok(ir::Template {
            prompt: true,
            ..self.template(t)?
        })
    }

    /// Any other template (`set`, `refer_to`, SIP headers): its values are filled in as they are.
    fn template(&self, t: &expr::Template) -> Result<ir::Template, Diagnostic> {
        Ok(ir::Template {
            prompt: false,
            parts: t
                .parts
                .iter()
                .map(|p| {
                    Ok(match p {
                        TemplatePart::Text(s) => ir::Part::Text(s.clone()),
                        TemplatePart::Expr(e) => ir::Part::Expr(self.expr(e)?),
                    })
                })
                .collect::<Result<_, Diagnostic>>()?,
        })
    }

    fn expr(&self, e: &expr::Expr) -> Result<ir::Expr, Diagnostic> {
        Ok(match &e.kind {
            ExprKind::Var(name) => ir::Expr::Var(self.variable(name)?),
            ExprKind::Slot(s) => ir::Expr::Slot(s.clone()),
            ExprKind::Context(c) => ir::Expr::Context(*c),
            ExprKind::IntentName => ir::Expr::IntentName,
            ExprKind::Dtmf => ir::Expr::Dtmf,
            ExprKind::Str(s) => ir::Expr::Str(s.clone()),
            ExprKind::Num(n) => ir::Expr::Num(n.clone()),
            ExprKind::Bool(b) => ir::Expr::Bool(*b),
            ExprKind::Not(inner) => ir::Expr::Not(Box::new(self.expr(inner)?)),
            ExprKind::Binary(op, a, b) => {
                ir::Expr::Binary(*op, Box::new(self.expr(a)?), Box::new(self.expr(b)?))
            }
            ExprKind::Call(f, args) => ir::Expr::Call(
                *f,
                args.iter()
                    .map(|a| self.expr(a))
                    .collect::<Result<_, _>>()?,
            ),
        })
    }
}

#[cfg(test)]
mod tests;
