//! Which handler takes an input: the intents the states handle, found by hash (`rt::dispatch`) and named
//! by `HandledIntent`; the states' DTMF patterns in order; the global intents.

use quote::quote;

use super::skeleton::{add_arms, items, members};
use super::syntax::{self, arm, block_with, lit_str, method, path, semi, some, stmt};
use super::{Names, expr, types};
use crate::ir;

/// `enum HandledIntent`, `HANDLED_INTENTS` and `HANDLED_INTENT_SLOTS`; nothing when no state handles an
/// intent.
pub(super) fn intent_tables(names: &Names) -> syn::Result<Vec<syn::Item>> {
    let intents = &names.handled_intents;
    if intents.is_empty() {
        return Ok(Vec::new());
    }
    let variants = intents
        .iter()
        .map(|(intent, variant)| (variant.as_str(), Some(format!(" `{intent}`."))));
    let doc = " The intents some state handles, in the order of their names in `HANDLED_INTENTS`.";
    let numbering = types::Numbering {
        name: "HandledIntent",
        doc,
        number: "u32",
        public: false,
        // Only ever looked up by number.
        index: false,
    };
    let mut all = types::index_enum(&numbering, variants, quote!())?;
    let list: Vec<&str> = intents.iter().map(|(intent, _)| intent.as_str()).collect();
    let count = super::unsuffixed(list.len() as u64);
    let slots = flowc_runtime::__private::dispatch::table(&list);
    let slot_count = super::unsuffixed(slots.len() as u64);
    let slot_lits = slots.iter().map(|s| syntax::lit_number(u64::from(*s)));
    let mut tables = items(quote! {
        /// The name of each `HandledIntent`, in order: `HANDLED_INTENT_SLOTS` finds them by hash.
        const HANDLED_INTENTS: [&str; #count] = [];
        /// `rt::dispatch::table(&HANDLED_INTENTS)`, computed when the code was generated.
        const HANDLED_INTENT_SLOTS: [u32; #slot_count] = [#(#slot_lits),*];
    })?;
    if let Some(syn::Item::Const(c)) = tables.first_mut()
        && let syn::Expr::Array(array) = &mut *c.expr
    {
        array
            .elems
            .extend(syntax::pairs(list.iter().map(|i| lit_str(i))));
    }
    all.extend(tables);
    Ok(all)
}

/// `rt::Flow::local_intent`, `local_dtmf` and `global_intent`.
pub(super) fn lookups(flow: &ir::Flow, names: &Names) -> syn::Result<Vec<syn::ImplItem>> {
    let mut all = local_intent(flow, names)?;
    all.extend(local_dtmf(flow, names)?);
    all.extend(global_intent(flow, names)?);
    Ok(all)
}

/// `(Some(State::X), Some(HandledIntent::Y)) => Some(Handler::XY.index())` per intent a state handles.
fn local_intent(flow: &ir::Flow, names: &Names) -> syn::Result<Vec<syn::ImplItem>> {
    if names.handled_intents.is_empty() {
        return members(quote! {
            fn local_intent(&self, _state: rt::StateIx, _intent: &str) -> Option<rt::HandlerIx> {
                None
            }
        });
    }
    let intents = &names.handled_intents;
    let variant = |intent: &str| {
        intents
            .binary_search_by(|(i, _)| i.as_str().cmp(intent))
            .map_or("", |at| intents[at].1.as_str())
    };
    let arms: Vec<syn::Arm> = flow
        .states
        .enumerate()
        .flat_map(|(s, state)| {
            state.intents.iter().map(move |(intent, h)| {
                let state = syntax::pat_path(names.state_path(s));
                let intent =
                    syntax::path_of([syntax::name("HandledIntent"), syntax::name(variant(intent))]);
                let handler = syntax::path_expr(names.handler_path(*h));
                arm(
                    syntax::tuple_pat([state, syntax::pat_path(intent)]),
                    handler,
                )
            })
        })
        .collect();
    // Without a catch-all when every state handles every intent: it could never match.
    let every_pair = arms.len() == flow.states.len() * intents.len();
    let otherwise = (!every_pair).then(|| quote!(_ => return None,));
    let mut members = members(quote! {
        fn local_intent(&self, state: rt::StateIx, intent: &str) -> Option<rt::HandlerIx> {
            let intent = rt::dispatch::index(intent, &HANDLED_INTENTS, &HANDLED_INTENT_SLOTS)?;
            let handler = match (State::from_index(state)?, HandledIntent::from_index(intent)?) {
                #otherwise
            };
            Some(handler.index())
        }
    })?;
    add_arms(&mut members, "local_intent", arms)?;
    Ok(members)
}

/// Per state with DTMF handlers, its patterns in order: the first that matches the digits wins.
fn local_dtmf(flow: &ir::Flow, names: &Names) -> syn::Result<Vec<syn::ImplItem>> {
    let arms: Vec<syn::Arm> = flow
        .states
        .enumerate()
        .filter(|(_, state)| !state.dtmf.is_empty())
        .map(|(s, state)| {
            // if PATTERNS[i].as_ref().is_some_and(|p| p.is_match(digits)) { return Some(h); } … None
            let tests = state.dtmf.iter().map(|(p, h)| {
                let test = syntax::closure("p", method(path("p"), "is_match", [path("digits")]));
                let found = vec![semi(syntax::ret(some(names.handler(*h))))];
                stmt(syntax::if_then(expr::pattern_test(*p, test), found))
            });
            let state = syntax::pat_call("Some", syntax::pat_path(names.state_path(s)));
            arm(state, block_with(tests, path("None")))
        })
        .collect();
    if arms.is_empty() {
        return members(quote! {
            fn local_dtmf(&self, _state: rt::StateIx, _digits: &str) -> Option<rt::HandlerIx> {
                None
            }
        });
    }
    let mut members = members(quote! {
        fn local_dtmf(&self, state: rt::StateIx, digits: &str) -> Option<rt::HandlerIx> {
            match State::from_index(state) {
                _ => None,
            }
        }
    })?;
    add_arms(&mut members, "local_dtmf", arms)?;
    Ok(members)
}

/// `"Intent" => Some(Handler::GlobalIntent.index())` per global intent.
fn global_intent(flow: &ir::Flow, names: &Names) -> syn::Result<Vec<syn::ImplItem>> {
    if flow.global.intents.is_empty() {
        return members(quote! {
            fn global_intent(&self, _intent: &str) -> Option<rt::HandlerIx> {
                None
            }
        });
    }
    let mut members = members(quote! {
        fn global_intent(&self, intent: &str) -> Option<rt::HandlerIx> {
            match intent {
                _ => None,
            }
        }
    })?;
    let arms = flow.global.intents.iter().map(|(intent, h)| {
        let pattern = syn::Pat::Lit(syn::ExprLit {
            attrs: Vec::new(),
            lit: syn::Lit::Str(syn::LitStr::new(intent, proc_macro2::Span::call_site())),
        });
        arm(pattern, some(names.handler(*h)))
    });
    add_arms(&mut members, "global_intent", arms)?;
    Ok(members)
}
