//! The code the engine runs: prompts, reprompts, handler actions and blocks, each a method of the one
//! `impl rt::Flow` whose `match` names the state, handler or block of every arm.

use quote::quote;

use super::skeleton::{add_arms, members};
use super::syntax::{
    self, arm, block, block_with, call, deref, fields, let_, lit_str, method, path, reference_mut,
    semi, stmt,
};
use super::{Names, expr, services};
use crate::ast::Outcome;
use crate::ir::{self, BlockKind, VarId};

/// An arm's body: a lone statement as its expression (`X => scope.say("…"),`), else a block.
fn body(mut stmts: Vec<syn::Stmt>) -> syn::Expr {
    if let [syn::Stmt::Expr(_, Some(_))] = stmts.as_slice()
        && let Some(syn::Stmt::Expr(e, _)) = stmts.pop()
    {
        return e;
    }
    block(stmts)
}

/// The statements that say `template` (none without one): a literal in one call, anything else written
/// straight into the said buffer.
fn say(template: &Option<ir::Template>, names: &Names) -> Vec<syn::Stmt> {
    let Some(t) = template else {
        return Vec::new();
    };
    if let Some(text) = t.literal() {
        return vec![semi(method(path("scope"), "say", [lit_str(text)]))];
    }
    // let start = scope.said.begin(); let out = scope.said.buffer(); …; scope.said.end(start);
    let said = |m: &str, args: Vec<syn::Expr>| method(fields("scope.said"), m, args);
    let mut stmts = vec![
        let_("start", said("begin", vec![])),
        let_("out", said("buffer", vec![])),
    ];
    stmts.extend(expr::write(t, names));
    stmts.push(semi(said("end", vec![path("start")])));
    stmts
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

/// `name`, or `_name` when the method does not use it (which the `unused_variables` lint would report).
fn param(name: &str, used: bool) -> proc_macro2::Ident {
    syntax::name(&if used {
        name.to_string()
    } else {
        format!("_{name}")
    })
}

/// `rt::Flow::write_prompt` and `write_reprompt`: an arm per prompt of each state, an arm per reprompt.
pub(super) fn prompts(flow: &ir::Flow, names: &Names) -> syn::Result<Vec<syn::ImplItem>> {
    let prompts: Vec<syn::Arm> = flow
        .states
        .enumerate()
        .flat_map(|(s, state)| {
            state.prompts.iter().enumerate().map(move |(i, t)| {
                let state = syntax::pat_call("Some", syntax::pat_path(names.state_path(s)));
                let pattern = syntax::tuple_pat([state, syntax::int_pat(i as u64)]);
                arm(pattern, body(expr::write(t, names)))
            })
        })
        .collect();
    let reprompts: Vec<syn::Arm> = flow
        .states
        .enumerate()
        .filter_map(|(s, state)| {
            let t = state.reprompt.as_ref()?;
            let pattern = syntax::pat_call("Some", syntax::pat_path(names.state_path(s)));
            Some(arm(
                pattern,
                block_with(expr::write(t, names), syntax::lit_bool(true)),
            ))
        })
        .collect();
    let prompt_scope = param(
        "scope",
        flow.states
            .iter()
            .flat_map(|s| &s.prompts)
            .any(expr::uses_scope),
    );
    let reprompt_scope = param(
        "scope",
        flow.states
            .iter()
            .filter_map(|s| s.reprompt.as_ref())
            .any(expr::uses_scope),
    );
    let writes = |t: &ir::Template| !t.parts.is_empty();
    let (state, index, out) = (
        param("state", !prompts.is_empty()),
        param("index", !prompts.is_empty()),
        param(
            "out",
            flow.states.iter().flat_map(|s| &s.prompts).any(writes),
        ),
    );
    // One arm and a catch-all is what `clippy::single_match` would have written as `if let`; the arms stay a
    // `match` so that the text does not change shape when a flow gains a second prompt.
    let single = (prompts.len() == 1).then(|| quote!(#[allow(clippy::single_match)]));
    let prompt_match = if prompts.is_empty() {
        quote!()
    } else {
        quote!(match (State::from_index(#state), #index) {
            // A prompt number past the state's count: the engine rotates within `STATES[_].prompts`.
            _ => {}
        })
    };
    let (re_state, re_out) = (
        param("state", !reprompts.is_empty()),
        param(
            "out",
            flow.states
                .iter()
                .filter_map(|s| s.reprompt.as_ref())
                .any(writes),
        ),
    );
    let reprompt_match = if reprompts.is_empty() {
        quote!(false)
    } else {
        quote!(match State::from_index(#re_state) {
            _ => false,
        })
    };
    let mut members = members(quote! {
        #single
        fn write_prompt(&self, #state: rt::StateIx, #index: u32, #prompt_scope: &rt::View<'_, Vars>, #out: &mut rt::String) {
            #prompt_match
        }

        fn write_reprompt(&self, #re_state: rt::StateIx, #reprompt_scope: &rt::View<'_, Vars>, #re_out: &mut rt::String) -> bool {
            #reprompt_match
        }
    })?;
    if !prompts.is_empty() {
        add_arms(&mut members, "write_prompt", prompts)?;
    }
    if !reprompts.is_empty() {
        add_arms(&mut members, "write_reprompt", reprompts)?;
    }
    Ok(members)
}

/// `rt::Flow::run_handler`: an arm per handler that says or sets something, one for those that only go
/// somewhere (`HANDLERS` says where); the match names every handler, so none is forgotten.
pub(super) fn actions(flow: &ir::Flow, names: &Names) -> syn::Result<Vec<syn::ImplItem>> {
    let mut arms = Vec::new();
    let mut only_go = Vec::new();
    for (h, handler) in flow.handlers.enumerate() {
        let action = &handler.action;
        let stmts: Vec<syn::Stmt> = say(&action.say, names)
            .into_iter()
            .chain(assign(&action.set, names))
            .collect();
        let pattern = syntax::pat_path(names.handler_path(h));
        if stmts.is_empty() {
            only_go.push(pattern);
        } else {
            arms.push(arm(pattern, body(stmts)));
        }
    }
    let scope = param("scope", !arms.is_empty());
    if !only_go.is_empty() {
        arms.push(arm(syntax::pat_or(only_go), block(Vec::new())));
    }
    let mut members = members(quote! {
        fn run_handler(&self, handler: rt::HandlerIx, #scope: &mut rt::Scope<'_, Vars>) {
            // The engine took the handler's target from `HANDLERS` first: it knows the number.
            let Some(handler) = Handler::from_index(handler) else {
                return;
            };
            match handler {}
        }
    })?;
    add_arms(&mut members, "run_handler", arms)?;
    Ok(members)
}

/// `rt::Flow::run_block`: an arm per block, the match over `Block` exhaustive; a number that names no block
/// is reported to the engine (`Step::NoSuchBlock`), never taken for another block.
pub(super) fn blocks(flow: &ir::Flow, names: &Names) -> syn::Result<Vec<syn::ImplItem>> {
    let arms = flow
        .blocks
        .enumerate()
        .map(|(b, block)| {
            let pattern = syntax::pat_path(names.block_path(b));
            Ok(arm(pattern, block_body(flow, block, names)?))
        })
        .collect::<syn::Result<Vec<_>>>()?;
    let scope = param("scope", flow.blocks.iter().any(block_uses_scope));
    let mut members = members(quote! {
        fn run_block(&self, block: rt::BlockIx, #scope: &mut rt::Scope<'_, Vars>) -> Step {
            let Some(block) = Block::from_index(block) else {
                return Step::NoSuchBlock;
            };
            match block {}
        }
    })?;
    add_arms(&mut members, "run_block", arms)?;
    Ok(members)
}

/// True when the code of `block` reads or changes the scope.
fn block_uses_scope(block: &ir::Block) -> bool {
    match &block.kind {
        BlockKind::Wait(_) | BlockKind::Call { .. } | BlockKind::Exit(_) => false,
        BlockKind::End { say } | BlockKind::Back { say } => say.is_some(),
        BlockKind::Condition { arms, .. } => arms.iter().any(|(e, _)| expr::reads_scope(e)),
        BlockKind::Set { assignments, .. } => !assignments.is_empty(),
        BlockKind::Service { .. } => true,
        BlockKind::Transfer {
            say,
            refer_to,
            headers,
        } => {
            say.is_some()
                || expr::uses_scope(refer_to)
                || headers.iter().any(|(_, t)| expr::uses_scope(t))
        }
    }
}

/// What block `block` does: the arm of `rt::Flow::run_block` that runs it.
fn block_body(flow: &ir::Flow, block: &ir::Block, names: &Names) -> syn::Result<syn::Expr> {
    let next = |target| call("next", [syntax::path_expr(names.block_path(target))]);
    Ok(match &block.kind {
        BlockKind::Wait(s) => call("wait", [syntax::path_expr(names.state_path(*s))]),
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
