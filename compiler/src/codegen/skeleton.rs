//! Filling quoted skeletons: the fixed shape of an item is quoted and parsed once, and what grows with the
//! flow (array elements, `match` arms) is built as syntax trees and put in place here, which is much
//! cheaper than quoting and parsing it.

use proc_macro2::TokenStream;

/// The items of the module that is the first item of `file`.
pub(super) fn module_items(file: &mut syn::File) -> syn::Result<&mut Vec<syn::Item>> {
    match file.items.first_mut() {
        Some(syn::Item::Mod(syn::ItemMod {
            content: Some((_, content)),
            ..
        })) => Ok(content),
        _ => Err(internal("the module")),
    }
}

/// The items `tokens` hold.
pub(super) fn items(tokens: TokenStream) -> syn::Result<Vec<syn::Item>> {
    Ok(syn::parse2::<syn::File>(tokens)?.items)
}

/// An internal error: `what` is not where the generator put it.
pub(super) fn internal(what: &str) -> syn::Error {
    syn::Error::new(
        proc_macro2::Span::call_site(),
        format!("{what} not found in the generated code"),
    )
}

/// The members `tokens` hold: the items of an `impl` block.
pub(super) fn members(tokens: TokenStream) -> syn::Result<Vec<syn::ImplItem>> {
    Ok(syn::parse2::<syn::ItemImpl>(quote::quote!(impl Members { #tokens }))?.items)
}

/// The elements of the array that initialises static `name` among `items`, or associated const `name` of
/// an `impl` among them.
pub(super) fn array_of<'a>(
    items: &'a mut [syn::Item],
    name: &str,
) -> syn::Result<&'a mut syn::punctuated::Punctuated<syn::Expr, syn::Token![,]>> {
    for item in items {
        let found = match item {
            syn::Item::Static(s) if s.ident == name => Some(&mut *s.expr),
            syn::Item::Impl(block) => block.items.iter_mut().find_map(|member| match member {
                syn::ImplItem::Const(c) if c.ident == name => Some(&mut c.expr),
                _ => None,
            }),
            _ => None,
        };
        if let Some(syn::Expr::Array(array)) = found {
            return Ok(&mut array.elems);
        }
    }
    Err(internal(name))
}

/// Puts `arms` first in the last `match` of method `name` among `members`: a `match` statement, or the
/// value a `let` binds (the skeleton's `match` holds only its catch-all arm, or none).
pub(super) fn add_arms(
    members: &mut [syn::ImplItem],
    name: &str,
    arms: impl IntoIterator<Item = syn::Arm>,
) -> syn::Result<()> {
    for member in members {
        let syn::ImplItem::Fn(f) = member else {
            continue;
        };
        if f.sig.ident != name {
            continue;
        }
        let found = f.block.stmts.iter_mut().rev().find_map(|stmt| match stmt {
            syn::Stmt::Expr(syn::Expr::Match(m), _) => Some(m),
            syn::Stmt::Local(syn::Local {
                init: Some(init), ..
            }) => match &mut *init.expr {
                syn::Expr::Match(m) => Some(m),
                _ => None,
            },
            _ => None,
        });
        if let Some(m) = found {
            m.arms.splice(0..0, arms);
            return Ok(());
        }
    }
    Err(internal(name))
}
