//! The flow's data types: the `Vars` struct of its variables and the `State` enum of its waiting states.

use proc_macro2::TokenStream;
use quote::quote;

use super::Names;
use super::skeleton::{add_arms, internal, items};
use super::syntax::{self, arm, int_pat, lit_int, some};
use crate::ast::Lifetime;
use crate::ir;

/// `struct Vars` and its `Default`.
pub(super) fn vars(flow: &ir::Flow, names: &Names) -> TokenStream {
    let structure = vars_struct(flow, names);
    let default = vars_default(flow, names);
    quote! {
        #structure

        #default
    }
}

/// `struct Vars`: a `String` field per variable.
fn vars_struct(flow: &ir::Flow, names: &Names) -> TokenStream {
    let fields = flow.variables.iter().zip(&names.vars).map(|(v, field)| {
        let doc = format!(" `{}` ({} lifetime).", v.name, lifetime_name(v.lifetime));
        quote!(#[doc = #doc] pub #field: rt::String,)
    });
    quote! {
        /// The flow's storage variables, in declaration (= transaction) order.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct Vars { #(#fields)* }
    }
}

/// `impl Default for Vars`: every variable at its declared default.
fn vars_default(flow: &ir::Flow, names: &Names) -> TokenStream {
    let defaults = flow.variables.iter().zip(&names.vars).map(|(v, field)| {
        let d = &v.default;
        if d.is_empty() {
            quote!(#field: rt::String::new(),)
        } else {
            quote!(#field: rt::String::from(#d),)
        }
    });
    quote! {
        impl Default for Vars {
            fn default() -> Self {
                Vars { #(#defaults)* }
            }
        }
    }
}

fn lifetime_name(l: Lifetime) -> &'static str {
    match l {
        Lifetime::Session => "session",
        Lifetime::User => "user",
    }
}

/// `enum State` and its numbering.
pub(super) fn states(flow: &ir::Flow, names: &Names) -> syn::Result<Vec<syn::Item>> {
    let mut items = items(quote! {
        /// The flow's waiting states; `State::index` is the engine's state number.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(u32)]
        pub enum State {}

        impl State {
            /// The engine's number of this state.
            pub const fn index(self) -> rt::StateIx {
                self as rt::StateIx
            }

            /// The state with this number.
            pub const fn from_index(index: rt::StateIx) -> Option<State> {
                match index {
                    _ => None,
                }
            }

            /// The state's analytics reference.
            pub fn reference(self) -> &'static rt::StateRef {
                &STATES[self as usize].reference.state
            }
        }
    })?;
    let variants = flow
        .states
        .ids()
        .zip(&names.states)
        .enumerate()
        .map(|(i, (s, v))| syn::Variant {
            attrs: vec![syntax::doc(&{
                let r = flow.state_reference(s);
                format!(" `{}` in dialog `{}` (id `{}`).", r.name, r.dialog, r.id)
            })],
            ident: v.clone(),
            fields: syn::Fields::Unit,
            discriminant: Some((Default::default(), lit_int(i as u64))),
        });
    match items.first_mut() {
        Some(syn::Item::Enum(state)) => state.variants.extend(syntax::pairs(variants)),
        _ => return Err(internal("State")),
    }
    let from = names.states.iter().enumerate().map(|(i, v)| {
        let variant = syntax::path_of([syntax::name("State"), v.clone()]);
        arm(int_pat(i as u64), some(syntax::path_expr(variant)))
    });
    add_arms(&mut items, "from_index", from)?;
    Ok(items)
}
