//! The `Flow` type: the struct the application builds, and the head of its one `impl rt::Flow` (the flow's
//! description and its variables; the other members come from [`bodies`](super::bodies) and
//! [`handlers`](super::handlers)).

use proc_macro2::TokenStream;
use quote::quote;

use super::Names;
use super::skeleton::members;
use crate::ir;

/// The line that opens the `impl`, as the formatter writes it inside the module.
pub(super) const IMPL: &str = "    impl<S: Services> rt::Flow for Flow<S> {\n";

/// `impl rt::Flow for Flow` around `members`.
pub(super) fn flow_impl(members: Vec<syn::ImplItem>) -> syn::Result<syn::Item> {
    let mut item: syn::ItemImpl = syn::parse2(quote!(
        impl<S: Services> rt::Flow for Flow<S> {}
    ))?;
    item.items = members;
    Ok(syn::Item::Impl(item))
}

/// `struct Flow` and its constructor, and the steps blocks take, by name: `wait(State::X)`,
/// `next(Block::Y)` (the latter only where a block goes on in the same turn).
pub(super) fn flow_type(flow: &ir::Flow) -> TokenStream {
    let goes_on = flow.blocks.iter().any(|b| {
        matches!(
            b.kind,
            ir::BlockKind::Condition { .. } | ir::BlockKind::Set { .. }
        )
    });
    let next = goes_on.then(|| {
        quote! {
            /// Goes on with `block` in the same turn.
            const fn next(block: Block) -> Step {
                Step::Next(block.index())
            }
        }
    });
    quote! {
        /// Waits for the caller in `state`.
        const fn wait(state: State) -> Step {
            Step::Wait(state.index())
        }

        #next

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

/// The first members: the variables' type, the description, and the variables' values in order.
pub(super) fn head(flow: &ir::Flow, names: &Names) -> syn::Result<Vec<syn::ImplItem>> {
    let fields = names.vars.as_slice();
    let (vars, each) = if flow.variables.is_empty() {
        (quote!(_vars), quote!(_each))
    } else {
        (quote!(vars), quote!(mut each))
    };
    members(quote! {
        type Vars = Vars;

        fn info(&self) -> &rt::FlowInfo {
            &INFO
        }

        fn new_vars(&self) -> Vars {
            Vars::default()
        }

        fn values(&self, #vars: &Vars, #each: impl FnMut(&str)) {
            #( each(&vars.#fields); )*
        }

        fn values_mut(&self, #vars: &mut Vars, #each: impl FnMut(&mut rt::String)) {
            #( each(&mut vars.#fields); )*
        }
    })
}
