//! Lowers a resolved AST into the [`ir`]: numbers dialogs, blocks, states, handlers and patterns, resolves
//! every name through the tables analysis built, and fixes every analytics reference (T15: `STATE.base` for
//! the start block, the explicit `id:`, or a UUID v5 of flow, dialog and block name, so ids survive
//! reordering and only change when a block is renamed).
//!
//! Lowering a flow analysis found free of errors cannot fail. Should it meet a name it cannot resolve all
//! the same, that is a bug of the checker or of lowering: an internal error ([`Code::Internal`]), never a
//! code that blames the flow.

mod blocks;
mod exprs;

use foldhash::{HashMap, HashMapExt};

use uuid::Uuid;

use crate::analyze::{BlockRef, Resolved, Symbols};
use crate::ast::{self, BlockKind as Kind};
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{self, BlockId, DialogId, IdVec, StateId, VarId};

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

/// Lowers a flow analysis found free of errors. Fails only with an internal error ([`Code::Internal`]).
pub fn lower(resolved: &Resolved<'_>) -> Result<ir::Flow, Diagnostic> {
    Lowering::new(resolved)?.run()
}

/// The internal error of lowering: `what` could not be resolved in a flow that passed the checks.
fn internal(flow: &ast::Flow, what: &str) -> Diagnostic {
    Diagnostic::error(
        Code::Internal,
        flow.name.span,
        format!(
            "internal compiler error: {what} could not be resolved while lowering a flow that passed the checks"
        ),
    )
    .with_label("flowc failed here, not the flow")
    .with_help("this is a bug in flowc: please report it with this flow file")
}

struct Lowering<'a, 'f> {
    flow: &'f ast::Flow,
    symbols: &'a Symbols<'f>,
    /// AST dialog index → IR dialog.
    dialog_ids: Vec<DialogId>,
    /// AST dialog index in IR order (`main` first).
    dialog_order: Vec<usize>,
    /// AST block → IR block.
    block_ids: HashMap<BlockRef, BlockId>,
    /// IR block → AST block.
    order: Vec<BlockRef>,
    /// AST block → IR state.
    state_ids: HashMap<BlockRef, StateId>,
    /// IR state → AST block.
    states: Vec<BlockRef>,
    /// The handlers numbered so far.
    handlers: IdVec<ir::HandlerId, ir::Handler>,
    /// The patterns interned so far, and where each is.
    patterns: IdVec<ir::PatternId, String>,
    pattern_ids: HashMap<&'f str, ir::PatternId>,
}

impl<'a, 'f> Lowering<'a, 'f> {
    /// Numbers dialogs (`main` first), blocks and states (the start block first).
    fn new(resolved: &'a Resolved<'f>) -> Result<Self, Diagnostic> {
        let (flow, symbols) = (resolved.flow, &resolved.symbols);
        let main = symbols
            .main
            .ok_or_else(|| internal(flow, "the main dialog"))?;
        let start = symbols
            .start
            .ok_or_else(|| internal(flow, "the start block"))?;
        let dialog_order: Vec<usize> = std::iter::once(main)
            .chain((0..flow.dialogs.len()).filter(|d| *d != main))
            .collect();
        let mut dialog_ids = vec![DialogId::new(0); flow.dialogs.len()];
        for (ir, &d) in dialog_order.iter().enumerate() {
            dialog_ids[d] = DialogId::new(ir);
        }
        let mut lowering = Lowering {
            flow,
            symbols,
            dialog_ids,
            dialog_order,
            block_ids: HashMap::new(),
            order: Vec::new(),
            state_ids: HashMap::new(),
            states: vec![start],
            handlers: IdVec::new(),
            patterns: IdVec::new(),
            pattern_ids: HashMap::new(),
        };
        lowering.state_ids.insert(start, StateId::START);
        for &d in &lowering.dialog_order {
            for (b, block) in flow.dialogs[d].blocks.iter().enumerate() {
                if matches!(block.kind, Kind::Global(_) | Kind::Note { .. }) {
                    continue;
                }
                let at = BlockRef {
                    dialog: d,
                    block: b,
                };
                lowering
                    .block_ids
                    .insert(at, BlockId::new(lowering.order.len()));
                lowering.order.push(at);
                if matches!(block.kind, Kind::State(_)) {
                    lowering
                        .state_ids
                        .insert(at, StateId::new(lowering.states.len()));
                    lowering.states.push(at);
                }
            }
        }
        Ok(lowering)
    }

    fn run(mut self) -> Result<ir::Flow, Diagnostic> {
        let flow = self.flow;
        let dialogs = self
            .dialog_order
            .clone()
            .into_iter()
            .map(|d| {
                Ok(ir::Dialog {
                    name: flow.dialogs[d].name.text.clone(),
                    entry: self.entry(d)?,
                })
            })
            .collect::<Result<IdVec<DialogId, _>, Diagnostic>>()?;
        let blocks = self
            .order
            .clone()
            .into_iter()
            .map(|at| self.lower_block(at))
            .collect::<Result<IdVec<BlockId, _>, _>>()?;
        let states = self
            .states
            .clone()
            .into_iter()
            .enumerate()
            .map(|(s, at)| self.lower_state(StateId::new(s), at))
            .collect::<Result<IdVec<StateId, _>, _>>()?;
        let global = self.lower_global()?;
        let services = flow
            .services
            .iter()
            .map(|s| self.service(s))
            .collect::<Result<_, _>>()?;
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
            services,
            dialogs,
            blocks,
            states,
            handlers: self.handlers,
            patterns: self.patterns,
            global,
        })
    }

    /// The first block of AST dialog `d`: the start block of `main`, the `entry:` of a subdialog.
    fn entry(&self, d: usize) -> Result<BlockId, Diagnostic> {
        if Some(d) == self.symbols.main {
            let start = self
                .symbols
                .start
                .ok_or_else(|| internal(self.flow, "the start block"))?;
            return self.block(start);
        }
        let entry = self.flow.dialogs[d]
            .entry
            .as_ref()
            .ok_or_else(|| internal(self.flow, "a subdialog entry"))?;
        self.target(d, entry)
    }

    fn service(&self, s: &ast::ServiceDecl) -> Result<ir::Service, Diagnostic> {
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
    }

    fn block(&self, at: BlockRef) -> Result<BlockId, Diagnostic> {
        self.block_ids
            .get(&at)
            .copied()
            .ok_or_else(|| internal(self.flow, "a block"))
    }

    fn target(&self, dialog: usize, name: &ast::Name) -> Result<BlockId, Diagnostic> {
        let at = self
            .symbols
            .lookup(dialog, name.as_str())
            .ok_or_else(|| internal(self.flow, &format!("target `{}`", name.text)))?;
        self.block(at)
    }

    fn variable(&self, name: &str) -> Result<VarId, Diagnostic> {
        self.symbols
            .variables
            .get(name)
            .map(|&v| VarId::new(v))
            .ok_or_else(|| internal(self.flow, &format!("variable `{name}`")))
    }
}

#[cfg(test)]
mod tests;
