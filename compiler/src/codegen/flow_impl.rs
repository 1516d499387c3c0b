//! The `Flow` type: the struct the application builds, its per-state tables, and its `impl rt::Flow`,
//! through which the engine reads the flow's facts, variables and handlers.

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::skeleton::{add_arms, array_of, items};
use super::syntax::{
    self, arm, block_with, int_pat, lit_int, lit_str, method, path, semi, some, stmt,
};
use super::{Names, expr, option_u32, unsuffixed};
use crate::ast::Lifetime;
use crate::ir::{self, HandlerId};

/// `Some(h)` for handler `h`.
fn some_handler(h: HandlerId) -> syn::Expr {
    some(lit_int(u64::from(h.get())))
}

/// `PROMPT_COUNTS`, `STATE_JSON`, `struct Flow` and its `impl rt::Flow`.
pub(super) fn flow_impl(flow: &ir::Flow, names: &Names) -> syn::Result<Vec<syn::Item>> {
    let mut all = state_tables(flow)?;
    all.extend(items(flow_type())?);
    all.extend(flow_trait(flow, names)?);
    Ok(all)
}

/// `PROMPT_COUNTS` and `STATE_JSON`: per state its number of prompts and its reference as JSON.
fn state_tables(flow: &ir::Flow) -> syn::Result<Vec<syn::Item>> {
    let state_count = unsuffixed(flow.states.len() as u64);
    let state_json: Vec<String> = flow
        .states
        .ids()
        .map(|s| state_json(flow.state_reference(s)))
        .collect();
    let mut items = items(quote! {
        static PROMPT_COUNTS: [u32; #state_count] = [];
        /// The states' references as pre-escaped JSON, written into transactions as they are.
        static STATE_JSON: [&str; #state_count] = [];
    })?;
    let prompt_counts = flow
        .states
        .iter()
        .map(|s| syntax::lit_number(s.prompts.len() as u64));
    array_of(&mut items, "PROMPT_COUNTS")?.extend(syntax::pairs(prompt_counts));
    array_of(&mut items, "STATE_JSON")?
        .extend(syntax::pairs(state_json.iter().map(|j| lit_str(j))));
    Ok(items)
}

/// The reference as the transaction writes it.
fn state_json(reference: &ir::Reference) -> String {
    flowc_runtime::json::state_fragment(&flowc_runtime::StateRef::new(
        reference.id.clone(),
        reference.name.clone(),
        reference.dialog.clone(),
    ))
}

/// `struct Flow` and its constructor.
fn flow_type() -> TokenStream {
    quote! {
        /// The flow, ready for `flowc_runtime::Engine::new`.
        pub struct Flow<S> {
            services: S,
        }

        impl<S: Services> Flow<S> {
            /// The flow calling `services`.
            pub const fn new(services: S) -> Self {
                Flow { services }
            }

            /// The flow's services.
            pub fn services(&self) -> &S {
                &self.services
            }
        }
    }
}

/// `impl rt::Flow for Flow`: what the engine asks of the flow; the `match`es that grow with the flow are
/// filled in after the skeleton is parsed.
fn flow_trait(flow: &ir::Flow, names: &Names) -> syn::Result<Vec<syn::Item>> {
    let session_resets = flow
        .variables
        .iter()
        .zip(&names.vars)
        .filter(|(v, _)| v.lifetime == Lifetime::Session)
        .map(|(v, f)| {
            let d = &v.default;
            if d.is_empty() {
                quote!(vars.#f.clear();)
            } else {
                quote!(vars.#f.clear(); vars.#f.push_str(#d);)
            }
        });
    let var_names: Vec<&str> = flow.variables.iter().map(|v| v.name.as_str()).collect();
    let var_count = unsuffixed(var_names.len() as u64);
    let var_fields = names.vars.as_slice();
    let user: Vec<&Ident> = flow
        .variables
        .iter()
        .zip(&names.vars)
        .filter(|(v, _)| v.lifetime == Lifetime::User)
        .map(|(_, f)| f)
        .collect();
    let user_index = (0..user.len())
        .map(|i| unsuffixed(i as u64))
        .collect::<Vec<_>>();
    let has_user = !user.is_empty();
    let user_count = unsuffixed(user.len() as u64);
    let global_json = state_json(&flow.global.reference);
    let variable_prefixes: Vec<String> = flow
        .variables
        .iter()
        .enumerate()
        .map(|(i, v)| {
            format!(
                "{}{}",
                if i == 0 { "[" } else { "}," },
                flowc_runtime::json::variable_prefix(&v.name)
            )
        })
        .collect();
    let variables_end = if flow.variables.is_empty() {
        "[]"
    } else {
        "}]"
    };
    let global_arms = flow.global.intents.iter().map(|(intent, h)| {
        let h = unsuffixed(u64::from(h.get()));
        quote!(#intent => Some(#h),)
    });
    let global_else = option_u32(flow.global.otherwise.map(HandlerId::get));
    let ending = option_u32(flow.global.ending.map(HandlerId::get));
    let mut items = items(quote! {
        impl<S: Services> rt::Flow for Flow<S> {
            type Vars = Vars;

            fn info(&self) -> &rt::FlowInfo {
                &INFO
            }

            fn new_vars(&self) -> Vars {
                Vars::default()
            }

            fn reset_session(&self, vars: &mut Vars) {
                #(#session_resets)*
            }

            fn write_variables(&self, vars: &Vars, out: &mut rt::Vec<rt::Variable>) {
                out.reserve(#var_count);
                #( out.push(rt::Variable {
                    id: rt::Cow::Borrowed(#var_names),
                    name: rt::Cow::Borrowed(#var_names),
                    value: vars.#var_fields.clone(),
                }); )*
            }

            fn save_user(&self, vars: &Vars, out: &mut rt::Vec<rt::String>) {
                out.resize(#user_count, rt::String::new());
                #( if let Some(slot) = out.get_mut(#user_index) { slot.clone_from(&vars.#user); } )*
            }

            fn load_user(&self, vars: &mut Vars, saved: &[rt::String]) {
                #( if let Some(value) = saved.get(#user_index) { vars.#user.clone_from(value); } )*
            }

            fn has_user_vars(&self) -> bool {
                #has_user
            }

            fn state_json(&self, state: rt::StateIx) -> Option<&str> {
                STATE_JSON.get(state as usize).copied()
            }

            fn global_state_json(&self) -> Option<&str> {
                Some(#global_json)
            }

            fn write_variables_json(&self, vars: &Vars, mask: bool, out: &mut rt::Vec<u8>) -> bool {
                #(
                    out.extend_from_slice(#variable_prefixes.as_bytes());
                    rt::json::personal(out, &vars.#var_fields, mask);
                )*
                out.extend_from_slice(#variables_end.as_bytes());
                true
            }

            fn state(&self, state: rt::StateIx) -> &rt::StateRef {
                STATES.get(state as usize).unwrap_or(&NO_STATE)
            }

            fn block(&self, block: rt::BlockIx) -> &rt::StateRef {
                BLOCKS.get(block as usize).copied().unwrap_or(&NO_STATE)
            }

            fn prompt_count(&self, state: rt::StateIx) -> u32 {
                PROMPT_COUNTS.get(state as usize).copied().unwrap_or(0)
            }

            fn write_prompt(&self, state: rt::StateIx, index: u32, scope: &rt::View<'_, Vars>, out: &mut rt::String) {
                self.prompt(state, index, scope, out)
            }

            fn write_reprompt(&self, state: rt::StateIx, scope: &rt::View<'_, Vars>, out: &mut rt::String) -> bool {
                match state {
                    _ => false,
                }
            }

            fn local_intent(&self, state: rt::StateIx, intent: &str) -> Option<rt::HandlerIx> {
                self.local_handler(state, intent)
            }

            fn local_dtmf(&self, state: rt::StateIx, digits: &str) -> Option<rt::HandlerIx> {
                match state {
                    _ => None,
                }
            }

            fn local_else(&self, state: rt::StateIx) -> Option<rt::HandlerIx> {
                match state {
                    _ => None,
                }
            }

            fn global_intent(&self, intent: &str) -> Option<rt::HandlerIx> {
                match intent {
                    #(#global_arms)*
                    _ => None,
                }
            }

            fn global_else(&self) -> Option<rt::HandlerIx> {
                #global_else
            }

            fn ending(&self) -> Option<rt::HandlerIx> {
                #ending
            }

            fn run_handler(&self, handler: rt::HandlerIx, scope: &mut rt::Scope<'_, Vars>) -> rt::BlockIx {
                self.action(handler, scope)
            }

            fn run_block(&self, block: rt::BlockIx, scope: &mut rt::Scope<'_, Vars>) -> Step {
                self.step(block, scope)
            }
        }
    })?;
    let reprompts = flow.states.enumerate().filter_map(|(s, state)| {
        let t = state.reprompt.as_ref()?;
        let body = block_with(expr::write(t, names), syntax::lit_bool(true));
        Some(arm(int_pat(u64::from(s.get())), body))
    });
    add_arms(&mut items, "write_reprompt", reprompts)?;
    let dtmf = flow
        .states
        .enumerate()
        .filter(|(_, state)| !state.dtmf.is_empty())
        .map(|(s, state)| {
            // if PATTERNS[i].as_ref().is_some_and(|p| p.is_match(digits)) { return Some(h); } … None
            let tests = state.dtmf.iter().map(|(p, h)| {
                let test = syntax::closure("p", method(path("p"), "is_match", [path("digits")]));
                let found = vec![semi(syntax::ret(some_handler(*h)))];
                stmt(syntax::if_then(expr::pattern_test(*p, test), found))
            });
            arm(int_pat(u64::from(s.get())), block_with(tests, path("None")))
        });
    add_arms(&mut items, "local_dtmf", dtmf)?;
    let local_else = flow.states.enumerate().filter_map(|(s, state)| {
        let h = state.otherwise?;
        Some(arm(int_pat(u64::from(s.get())), some_handler(h)))
    });
    add_arms(&mut items, "local_else", local_else)?;
    Ok(items)
}
