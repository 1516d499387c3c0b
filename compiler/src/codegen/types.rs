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
        (names.states[s].as_str(), Some(doc))
    });
    let reference = quote! {
        /// The state's analytics reference.
        pub fn reference(self) -> &'static rt::StateRef {
            &STATES[self as usize].reference.state
        }
    };
    let doc = " The flow's waiting states; `State::index` is the engine's state number.";
    let numbering = Numbering {
        name: "State",
        doc,
        number: "rt::StateIx",
        public: true,
        index: true,
    };
    let mut items = index_enum(&numbering, states, reference)?;
    // A block's variant is its key, after its dialog's name outside `main`: it needs no doc of its own.
    let blocks = names.blocks.iter().map(|b| (b.as_str(), None));
    let doc = " The flow's blocks, each named after its key; `Block::index` is the engine's block number.";
    let numbering = Numbering {
        name: "Block",
        doc,
        number: "rt::BlockIx",
        public: false,
        index: true,
    };
    items.extend(index_enum(&numbering, blocks, quote!())?);
    // A handler's variant is its state's and what fires it (`AskNumberElse`, `GlobalAgent`).
    let handlers = names.handlers.iter().map(|h| (h.as_str(), None));
    let doc = " The flow's handlers, each named after its state (or `Global`) and what fires it; \
               `Handler::index` is the engine's handler number.";
    let numbering = Numbering {
        name: "Handler",
        doc,
        number: "rt::HandlerIx",
        public: false,
        index: true,
    };
    items.extend(index_enum(&numbering, handlers, quote!())?);
    Ok(items)
}

/// What [`index_enum`] makes.
pub(super) struct Numbering<'a> {
    /// The enum's name.
    pub(super) name: &'a str,
    /// Its doc comment.
    pub(super) doc: &'a str,
    /// The type of its numbers.
    pub(super) number: &'a str,
    /// Part of the module's API (`State`); the others are how its own code names the engine's numbers, and
    /// have only the methods it calls.
    pub(super) public: bool,
    /// With `index`, the number of a variant.
    pub(super) index: bool,
}

/// `enum <name>` of `variants` (name, doc) and its numbering, `ALL`, `index` and `from_index`, followed by
/// the `extra` members. The variants carry no written discriminant: their number is their position, so
/// inserting one renumbers nothing in the text. Variants are the flow's names, which may read like an
/// acronym (`FAQ`) or repeat the enum's name (`aBlock`): the two clippy lints that reject such names are
/// allowed on the private enums, and only there (`tests/tests/names.rs` has a flow that triggers both).
pub(super) fn index_enum<'v>(
    numbering: &Numbering<'_>,
    variants: impl IntoIterator<Item = (&'v str, Option<String>)>,
    extra: TokenStream,
) -> syn::Result<Vec<syn::Item>> {
    let Numbering {
        name,
        doc,
        number,
        public,
        index,
    } = *numbering;
    let variants: Vec<(&str, Option<String>)> = variants.into_iter().collect();
    let vis = public.then(|| quote!(pub));
    let ty = syntax::name(name);
    let ix: syn::Type = syn::parse_str(number)?;
    let count = super::unsuffixed(variants.len() as u64);
    let empty = variants.is_empty();
    let index = index.then(|| {
        let number = if empty {
            quote!(match self {})
        } else {
            quote!(self as #ix)
        };
        quote! {
            /// Its number: its position in `ALL`.
            #vis const fn index(self) -> #ix {
                #number
            }
        }
    });
    // A `repr` needs a variant.
    let repr = (!empty).then(|| quote!(#[repr(u32)]));
    // Clippy spares the names of public items (changing them would break their users): only the others.
    let allow = (!public)
        .then(|| quote!(#[allow(clippy::enum_variant_names, clippy::upper_case_acronyms)]));
    let mut items = items_of(quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #repr
        #allow
        #vis enum #ty {}

        impl #ty {
            /// Every one, in number order.
            #vis const ALL: [#ty; #count] = [];

            #index

            /// The one numbered `index`.
            #vis const fn from_index(index: #ix) -> Option<#ty> {
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
        attrs: doc.iter().map(|d| syntax::doc(d)).collect(),
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
