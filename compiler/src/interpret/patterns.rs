//! Every pattern the flow's DTMF handlers and `matches()` calls use, compiled once when the interpreter is
//! built.

use std::collections::HashMap;

use flowc_runtime::__private::pattern::Pattern;

use crate::expr::Function;
use crate::ir::{self, BlockKind, Expr, Part, Template};

/// Adds every pattern of `ir` to `out`, keyed by its source.
pub(super) fn collect_patterns(ir: &ir::Flow, out: &mut HashMap<String, Pattern>) {
    fn expr(e: &Expr, out: &mut HashMap<String, Pattern>) {
        match e {
            Expr::Call(f, args) => {
                if *f == Function::Matches
                    && let Some(Expr::Str(p)) = args.get(1)
                    && let Ok(pattern) = Pattern::parse(p)
                {
                    out.insert(p.clone(), pattern);
                }
                args.iter().for_each(|a| expr(a, out));
            }
            Expr::Not(inner) => expr(inner, out),
            Expr::Binary(_, a, b) => {
                expr(a, out);
                expr(b, out);
            }
            _ => {}
        }
    }
    fn template(t: &Template, out: &mut HashMap<String, Pattern>) {
        for part in &t.parts {
            if let Part::Expr(e) = part {
                expr(e, out);
            }
        }
    }
    fn action(a: &ir::Action, out: &mut HashMap<String, Pattern>) {
        a.say.iter().for_each(|t| template(t, out));
        a.set.iter().for_each(|(_, t)| template(t, out));
    }
    for state in &ir.states {
        state
            .prompts
            .iter()
            .chain(state.reprompt.iter())
            .for_each(|t| template(t, out));
        state
            .handlers
            .iter()
            .map(|(_, a)| a)
            .chain(state.otherwise.iter())
            .chain(state.dtmf.iter().map(|(_, a)| a))
            .for_each(|a| action(a, out));
    }
    ir.global
        .handlers
        .iter()
        .map(|(_, a)| a)
        .chain(ir.global.otherwise.iter())
        .chain(ir.global.ending.iter())
        .for_each(|a| action(a, out));
    for block in &ir.blocks {
        match &block.kind {
            BlockKind::End { say } | BlockKind::Back { say } => {
                say.iter().for_each(|t| template(t, out))
            }
            BlockKind::Condition { arms, .. } => arms.iter().for_each(|(e, _)| expr(e, out)),
            BlockKind::Set { assignments, .. } => {
                assignments.iter().for_each(|(_, t)| template(t, out))
            }
            BlockKind::Transfer {
                say,
                refer_to,
                headers,
            } => say
                .iter()
                .chain(std::iter::once(refer_to))
                .chain(headers.iter().map(|(_, t)| t))
                .for_each(|t| template(t, out)),
            _ => {}
        }
    }
}
