//! The `Flow` type: the struct the application builds and its `impl rt::Flow`, through which the engine
//! reads the flow's variables, prompts and handlers (the static rest is `INFO`).

use proc_macro2::TokenStream;
use quote::quote;

use super::skeleton::{add_arms, items};
use super::syntax::{self, arm, block_with, int_pat, method, path, semi, some, stmt};
use super::{Names, expr};
use crate::ir;

/// `struct Flow` and its `impl rt::Flow`.
pub(super) fn flow_impl(flow: &ir::Flow, names: &Names) -> syn::Result<Vec<syn::Item>> {
    let mut all = items(flow_type())?;
    all.extend(flow_trait(flow, names)?);
    Ok(all)
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
    let fields = names.vars.as_slice();
    let global_arms = flow.global.intents.iter().map(|(intent, h)| {
        let h = names.handler(*h);
        quote!(#intent => Some(#h),)
    });
    let mut items = items(quote! {
        impl<S: Services> rt::Flow for Flow<S> {
            type Vars = Vars;

            fn info(&self) -> &rt::FlowInfo {
                &INFO
            }

            fn new_vars(&self) -> Vars {
                Vars::default()
            }

            fn values(&self, vars: &Vars, each: &mut dyn FnMut(&str)) {
                #( each(&vars.#fields); )*
            }

            fn values_mut(&self, vars: &mut Vars, each: &mut dyn FnMut(&mut rt::String)) {
                #( each(&mut vars.#fields); )*
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

            fn global_intent(&self, intent: &str) -> Option<rt::HandlerIx> {
                match intent {
                    #(#global_arms)*
                    _ => None,
                }
            }

            fn run_handler(&self, handler: rt::HandlerIx, scope: &mut rt::Scope<'_, Vars>) {
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
                let found = vec![semi(syntax::ret(some(names.handler(*h))))];
                stmt(syntax::if_then(expr::pattern_test(*p, test), found))
            });
            arm(int_pat(u64::from(s.get())), block_with(tests, path("None")))
        });
    add_arms(&mut items, "local_dtmf", dtmf)?;
    Ok(items)
}
