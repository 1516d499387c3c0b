//! Handler numbers: every action of the flow numbered the way the interpreter numbers it, so that the
//! compiled flow and the interpreter agree on every number the engine passes around.

use super::syntax::{lit_int, some};
use crate::ir::{self, Action};

/// Handlers numbered like the interpreter: per state its intents, else and DTMF, then the global ones.
pub(super) struct Handlers<'f> {
    /// The action of each handler, by handler number.
    pub(super) actions: Vec<&'f Action>,
    /// Per state: the handler of each intent it handles.
    pub(super) local: Vec<Vec<(&'f str, u32)>>,
    /// Per state: its `else` handler.
    pub(super) local_else: Vec<Option<u32>>,
    /// Per state: the handler of each DTMF pattern, in order.
    pub(super) dtmf: Vec<Vec<(&'f str, u32)>>,
    /// The handler of each intent the global state handles.
    pub(super) global: Vec<(&'f str, u32)>,
    /// The global `else` handler.
    pub(super) global_else: Option<u32>,
    /// The handler of the custom ending.
    pub(super) ending: Option<u32>,
}

impl<'f> Handlers<'f> {
    /// The handlers of `flow`, numbered.
    pub(super) fn new(flow: &'f ir::Flow) -> Self {
        let mut actions: Vec<&Action> = Vec::new();
        let mut add = |a: &'f Action| {
            actions.push(a);
            (actions.len() - 1) as u32
        };
        let mut local = Vec::new();
        let mut local_else = Vec::new();
        let mut dtmf = Vec::new();
        for state in &flow.states {
            local.push(first_per_intent(&state.handlers, &mut add));
            local_else.push(state.otherwise.as_ref().map(&mut add));
            dtmf.push(
                state
                    .dtmf
                    .iter()
                    .map(|(p, a)| (p.as_str(), add(a)))
                    .collect(),
            );
        }
        let global = first_per_intent(&flow.global.handlers, &mut add);
        let global_else = flow.global.otherwise.as_ref().map(&mut add);
        let ending = flow.global.ending.as_ref().map(&mut add);
        Handlers {
            actions,
            local,
            local_else,
            dtmf,
            global,
            global_else,
            ending,
        }
    }
}

/// Numbers every action with `add`; an intent is handled by its first handler (later ones are numbered,
/// like the interpreter numbers them, but never chosen).
fn first_per_intent<'f>(
    handlers: &'f [(String, Action)],
    add: &mut impl FnMut(&'f Action) -> u32,
) -> Vec<(&'f str, u32)> {
    let mut first: Vec<(&'f str, u32)> = Vec::new();
    for (intent, action) in handlers {
        let h = add(action);
        if !first.iter().any(|(i, _)| *i == intent.as_str()) {
            first.push((intent, h));
        }
    }
    first
}

/// `Some(h)` for handler number `h`.
pub(super) fn some_handler(h: u32) -> syn::Expr {
    some(lit_int(u64::from(h)))
}
