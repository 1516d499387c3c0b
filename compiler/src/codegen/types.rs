//! The flow's data types: the `Vars` struct of its variables, and the enums that name the engine's numbers
//! of its states, blocks and handlers.

use proc_macro2::TokenStream;
use quote::quote;

use super::Names;
use super::skeleton::{array_of, internal, items as items_of};
use super::syntax;
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
    // Every default empty is `Default` derived (`clippy::derivable_impls` asks for it).
    let default = all_empty(flow).then(|| quote!(Default,));
    quote! {
        /// The flow's storage variables, in declaration (= transaction) order.
        #[derive(Debug, Clone, #default PartialEq, Eq)]
        pub struct Vars { #(#fields)* }
    }
}

/// True when every variable starts empty.
fn all_empty(flow: &ir::Flow) -> bool {
    flow.variables.iter().all(|v| v.default.is_empty())
}

/// `impl Default for Vars`: every variable at its declared default (derived when every one is empty).
fn vars_default(flow: &ir::Flow, names: &Names) -> TokenStream {
    if all_empty(flow) {
        return quote!();
    }
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

/// The engine's numbers named: `enum State`, `enum Block` and `enum Handler`, each variant named after the
/// flow's own names, so that generated code refers to `Block::AskNumber` rather than a bare number and
/// inserting a block changes only its own lines.
pub(super) fn numbered(flow: &ir::Flow, names: &Names) -> syn::Result<Vec<syn::Item>> {
    let states = flow.states.ids().map(|s| {
        let r = flow.state_reference(s);
        let doc = format!(" `{}` in dialog `{}` (id `{}`).", r.name, r.dialog, r.id);
        (names.states[s].as_str(), doc)
    });
    let reference = quote! {
        /// The state's analytics reference.
        pub fn reference(self) -> &'static rt::StateRef {
            &STATES[self as usize].reference.state
        }
    };
    let doc = " The flow's waiting states; `State::index` is the engine's state number.";
    let mut items = index_enum("State", doc, "rt::StateIx", states, reference)?;
    let blocks = flow.blocks.enumerate().map(|(b, block)| {
        let doc = format!(
            " `{}` in dialog `{}`.",
            block.key, flow.dialogs[block.dialog].name
        );
        (names.blocks[b].as_str(), doc)
    });
    let doc = " The flow's blocks; `Block::index` is the engine's block number.";
    items.extend(index_enum("Block", doc, "rt::BlockIx", blocks, quote!())?);
    let handlers = flow.handlers.enumerate().map(|(h, handler)| {
        let owner = match handler.owner {
            ir::Owner::State(s) => format!("state `{}`", flow.blocks[flow.states[s].block].key),
            ir::Owner::Global => "the global block".to_string(),
        };
        let doc = match &handler.trigger {
            ir::Trigger::Intent(intent) => format!(" `{intent}` in {owner}."),
            ir::Trigger::Else => format!(" The `else` of {owner}."),
            ir::Trigger::Dtmf(p) => format!(" DTMF `{}` in {owner}.", flow.patterns[*p]),
            ir::Trigger::Ending => {
                " `PARLOA.EndConversation`: the custom ending actions.".to_string()
            }
        };
        (names.handlers[h].as_str(), doc)
    });
    let doc = " The flow's handlers; `Handler::index` is the engine's handler number.";
    items.extend(index_enum(
        "Handler",
        doc,
        "rt::HandlerIx",
        handlers,
        quote!(),
    )?);
    Ok(items)
}

/// `enum <name>` of `variants` (name, doc) and its numbering, `ALL`, `index` and `from_index`, followed by
/// the `extra` members. The variants carry no written discriminant: their number is their position, so
/// inserting one renumbers nothing in the text.
pub(super) fn index_enum<'v>(
    name: &str,
    doc: &str,
    number: &str,
    variants: impl IntoIterator<Item = (&'v str, String)>,
    extra: TokenStream,
) -> syn::Result<Vec<syn::Item>> {
    let variants: Vec<(&str, String)> = variants.into_iter().collect();
    let ty = syntax::name(name);
    let ix: syn::Type = syn::parse_str(number)?;
    let count = super::unsuffixed(variants.len() as u64);
    let empty = variants.is_empty();
    let index = if empty {
        quote!(match self {})
    } else {
        quote!(self as #ix)
    };
    // A `repr` needs a variant.
    let repr = (!empty).then(|| quote!(#[repr(u32)]));
    let mut items = items_of(quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #repr
        pub enum #ty {}

        impl #ty {
            /// Every one, in number order.
            pub const ALL: [#ty; #count] = [];

            /// Its number: its position in `ALL`.
            pub const fn index(self) -> #ix {
                #index
            }

            /// The one numbered `index`.
            pub const fn from_index(index: #ix) -> Option<#ty> {
                // Borrowed, `ALL` is one static table; indexed by value, a copy of it.
                let all: &[#ty] = &#ty::ALL;
                if (index as usize) < all.len() {
                    Some(all[index as usize])
                } else {
                    None
                }
            }

            #extra
        }
    })?;
    let path = |v: &str| syntax::path_expr(syntax::path_of([ty.clone(), syntax::name(v)]));
    array_of(&mut items, "ALL")?.extend(syntax::pairs(variants.iter().map(|(v, _)| path(v))));
    let variants = variants.into_iter().map(|(v, doc)| syn::Variant {
        attrs: vec![syntax::doc(&doc)],
        ident: syntax::name(v),
        fields: syn::Fields::Unit,
        discriminant: None,
    });
    match items.first_mut() {
        Some(syn::Item::Enum(e)) => e.variants.extend(syntax::pairs(variants)),
        _ => return Err(internal(name)),
    }
    Ok(items)
}
