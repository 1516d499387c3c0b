//! The code the engine runs: prompts, handler actions and blocks, each a `match` arm of a method of
//! `Flow` that the engine calls by number.

use quote::quote;

use super::skeleton::{add_arms, items};
use super::syntax::{
    self, arm, block, block_with, call, deref, fields, int_pat, let_, lit_str, method, path,
    reference_mut, semi, stmt,
};
use super::{Names, expr, services};
use crate::ast::Outcome;
use crate::ir::{self, BlockId, BlockKind, VarId};

/// The statement that says `template` (none without one).
fn say(template: &Option<ir::Template>, names: &Names) -> Vec<syn::Stmt> {
    let Some(t) = template else {
        return Vec::new();
    };
    let said = |m: &str, args: Vec<syn::Expr>| method(fields("scope.said"), m, args);
    // { let start = scope.said.begin(); { let out = scope.said.buffer(); … } scope.said.end(start); }
    let write = std::iter::once(let_("out", said("buffer", vec![])));
    let write = write.chain(expr::write(t, names)).collect();
    vec![stmt(block(vec![
        let_("start", said("begin", vec![])),
        stmt(block(write)),
        semi(said("end", vec![path("start")])),
    ]))]
}

/// The statements that assign each variable of `assignments` its template's value.
fn assign(assignments: &[(VarId, ir::Template)], names: &Names) -> Vec<syn::Stmt> {
    assignments
        .iter()
        .map(|(v, t)| {
            let field = || reference_mut(expr::var(*v, names));
            let reads_itself = t
                .parts
                .iter()
                .any(|p| matches!(p, ir::Part::Expr(e) if reads_var(e, *v)));
            match t.parts.as_slice() {
                // Literals and single values reuse the variable's buffer.
                [] => semi(method(expr::var(*v, names), "clear", [])),
                [ir::Part::Text(text)] => semi(call("rt::set", [field(), lit_str(text)])),
                [ir::Part::Expr(e)] if !reads_itself => {
                    semi(call("rt::set", [field(), expr::str_ref(e, names)]))
                }
                // Otherwise the value is built in the scratch buffer (it may read the variable itself) and
                // swapped in: no allocation once the buffers have grown.
                _ => {
                    // { let out = &mut *scope.scratch; out.clear(); …; ::std::mem::swap(&mut scope.vars.x, out); }
                    let mut stmts = vec![
                        let_("out", reference_mut(deref(fields("scope.scratch")))),
                        semi(method(path("out"), "clear", [])),
                    ];
                    stmts.extend(expr::write(t, names));
                    stmts.push(semi(call("::std::mem::swap", [field(), path("out")])));
                    stmt(block(stmts))
                }
            }
        })
        .collect()
}

/// True when `e` reads variable `v`.
fn reads_var(e: &ir::Expr, v: VarId) -> bool {
    match e {
        ir::Expr::Var(x) => *x == v,
        ir::Expr::Not(inner) | ir::Expr::Empty(inner) | ir::Expr::Matches(inner, _) => {
            reads_var(inner, v)
        }
        ir::Expr::Binary(_, a, b) | ir::Expr::Contains(a, b) => reads_var(a, v) || reads_var(b, v),
        _ => false,
    }
}

/// `rt::Flow::write_prompt`: one arm per prompt of each state.
pub(super) fn prompts(flow: &ir::Flow, names: &Names) -> syn::Result<Vec<syn::Item>> {
    let mut items = items(quote! {
        impl<S: Services> Flow<S> {
            /// Appends prompt number `index` of `state` to `out` (`rt::Flow::write_prompt`).
            fn prompt(&self, state: rt::StateIx, index: u32, scope: &rt::View<'_, Vars>, out: &mut rt::String) {
                match (state, index) {
                    _ => {}
                }
            }
        }
    })?;
    let prompts = flow.states.enumerate().flat_map(|(s, state)| {
        state.prompts.iter().enumerate().map(move |(i, t)| {
            arm(
                syntax::tuple_pat([int_pat(u64::from(s.get())), int_pat(i as u64)]),
                block(expr::write(t, names)),
            )
        })
    });
    add_arms(&mut items, "prompt", prompts)?;
    Ok(items)
}

/// `rt::Flow::run_handler`: one arm per handler that says or sets something (where each goes is
/// `HANDLERS`).
pub(super) fn actions(flow: &ir::Flow, names: &Names) -> syn::Result<Vec<syn::Item>> {
    let mut items = items(quote! {
        impl<S: Services> Flow<S> {
            /// Says and sets what the action of `handler` does (`rt::Flow::run_handler`).
            fn action(&self, handler: rt::HandlerIx, scope: &mut rt::Scope<'_, Vars>) {
                match handler {
                    // Only go somewhere.
                    _ => {}
                }
            }
        }
    })?;
    let run_handlers = flow.handlers.enumerate().filter_map(|(h, handler)| {
        let action = &handler.action;
        let stmts: Vec<syn::Stmt> = say(&action.say, names)
            .into_iter()
            .chain(assign(&action.set, names))
            .collect();
        (!stmts.is_empty()).then(|| arm(int_pat(u64::from(h.get())), block(stmts)))
    });
    add_arms(&mut items, "action", run_handlers)?;
    Ok(items)
}

/// `rt::Flow::run_block`: one arm per block.
pub(super) fn blocks(flow: &ir::Flow, names: &Names) -> syn::Result<Vec<syn::Item>> {
    let mut items = items(quote! {
        impl<S: Services> Flow<S> {
            /// Runs `block` (`rt::Flow::run_block`).
            fn step(&self, block: rt::BlockIx, scope: &mut rt::Scope<'_, Vars>) -> Step {
                match block {
                    _ => Step::NoSuchBlock,
                }
            }
        }
    })?;
    let blocks = flow
        .blocks
        .enumerate()
        .map(|(b, block)| {
            Ok(arm(
                int_pat(u64::from(b.get())),
                block_body(flow, block, names)?,
            ))
        })
        .collect::<syn::Result<Vec<_>>>()?;
    add_arms(&mut items, "step", blocks)?;
    Ok(items)
}

/// What block `block` does: the arm of `rt::Flow::run_block` that runs it.
fn block_body(flow: &ir::Flow, block: &ir::Block, names: &Names) -> syn::Result<syn::Expr> {
    let next = |target: BlockId| call("Step::Next", [names.block(target)]);
    Ok(match &block.kind {
        BlockKind::Wait(s) => call("Step::Wait", [names.state(*s)]),
        BlockKind::End { say: words } => block_with(say(words, names), path("Step::End")),
        BlockKind::Back { say: words } => block_with(say(words, names), path("Step::Back")),
        BlockKind::Condition { arms, otherwise } => {
            // { if test { return Step::Next(target); } … Step::Next(otherwise) }
            let tests = arms.iter().map(|(e, target)| {
                let taken = vec![semi(syntax::ret(next(*target)))];
                stmt(syntax::if_then(expr::boolean(e, names), taken))
            });
            block_with(tests, next(*otherwise))
        }
        BlockKind::Set {
            assignments,
            next: to,
        } => block_with(assign(assignments, names), next(*to)),
        BlockKind::Call {
            entry,
            success,
            failure,
            ..
        } => syntax::structure(
            "Step::Call",
            [
                ("entry", names.block(*entry)),
                ("success", syntax::option(success.map(|b| names.block(b)))),
                ("failure", syntax::option(failure.map(|b| names.block(b)))),
            ],
        ),
        BlockKind::Exit(outcome) => {
            let outcome = match outcome {
                Outcome::Success => "rt::Outcome::Success",
                Outcome::Failure => "rt::Outcome::Failure",
            };
            call("Step::Exit", [path(outcome)])
        }
        // Transfers are rare and intricate: quoted and parsed one block at a time.
        BlockKind::Transfer {
            say: words,
            refer_to,
            headers,
        } => {
            let said = say(words, names);
            let refer_to = expr::string(refer_to, names);
            let headers = headers.iter().map(|(name, value)| {
                let value = expr::string(value, names);
                quote!(rt::SipHeader { name: rt::String::from(#name), value: #value },)
            });
            syntax::parse_expr(quote!({
                #(#said)*
                let refer_to = #refer_to;
                Step::Transfer { refer_to, headers: vec![ #(#headers)* ] }
            }))?
        }
        BlockKind::Service {
            service,
            branches,
            error,
        } => services::call_body(flow, block, *service, branches, *error, names)?,
    })
}
