//! The DTMF and `matches()` patterns a flow uses, in the order the generator meets them: the rows of the
//! module's `PATTERNS` table, which compiles each pattern once.

use crate::ir::{self, BlockKind};

/// Every pattern `flow` uses, in first-use order, repeats included.
pub(super) fn used(flow: &ir::Flow) -> Vec<String> {
    let mut found = Vec::new();
    let mut conditions: Vec<&ir::Expr> = Vec::new();
    let mut visit = |t: &ir::Template| {
        for part in &t.parts {
            if let ir::Part::Expr(e) = part {
                patterns_of(e, &mut found);
            }
        }
    };
    let actions = flow.states.iter().flat_map(|s| {
        s.handlers
            .iter()
            .map(|(_, a)| a)
            .chain(s.otherwise.iter())
            .chain(s.dtmf.iter().map(|(_, a)| a))
    });
    let global = flow
        .global
        .handlers
        .iter()
        .map(|(_, a)| a)
        .chain(flow.global.otherwise.iter())
        .chain(flow.global.ending.iter());
    for action in actions.chain(global) {
        action.say.iter().for_each(&mut visit);
        action.set.iter().for_each(|(_, t)| visit(t));
    }
    for state in &flow.states {
        state
            .prompts
            .iter()
            .chain(state.reprompt.iter())
            .for_each(&mut visit);
    }
    for block in &flow.blocks {
        match &block.kind {
            BlockKind::End { say } | BlockKind::Back { say } => say.iter().for_each(&mut visit),
            BlockKind::Set { assignments, .. } => assignments.iter().for_each(|(_, t)| visit(t)),
            BlockKind::Transfer {
                say,
                refer_to,
                headers,
            } => {
                say.iter().for_each(&mut visit);
                visit(refer_to);
                headers.iter().for_each(|(_, t)| visit(t));
            }
            BlockKind::Condition { arms, .. } => arms.iter().for_each(|(e, _)| conditions.push(e)),
            _ => {}
        }
    }
    for e in conditions {
        patterns_of(e, &mut found);
    }
    for state in &flow.states {
        for (p, _) in &state.dtmf {
            found.push(p.clone());
        }
    }
    found
}

/// Adds the patterns `matches()` calls in `e` test to `out`.
fn patterns_of(e: &ir::Expr, out: &mut Vec<String>) {
    match e {
        ir::Expr::Call(f, args) => {
            if *f == crate::expr::Function::Matches
                && let Some(ir::Expr::Str(p)) = args.get(1)
            {
                out.push(p.clone());
            }
            args.iter().for_each(|a| patterns_of(a, out));
        }
        ir::Expr::Not(inner) => patterns_of(inner, out),
        ir::Expr::Binary(_, a, b) => {
            patterns_of(a, out);
            patterns_of(b, out);
        }
        _ => {}
    }
}
