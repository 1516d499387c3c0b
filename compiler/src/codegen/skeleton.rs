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

/// The elements of the array that initialises static `name` among `items`.
pub(super) fn array_of<'a>(
    items: &'a mut [syn::Item],
    name: &str,
) -> syn::Result<&'a mut syn::punctuated::Punctuated<syn::Expr, syn::Token![,]>> {
    for item in items {
        if let syn::Item::Static(s) = item
            && s.ident == name
            && let syn::Expr::Array(array) = &mut *s.expr
        {
            return Ok(&mut array.elems);
        }
    }
    Err(internal(name))
}

/// Puts `arms` first in the `match` that is the body of method `name` of an `impl` among `items` (the
/// skeleton's `match` holds only the catch-all arm).
pub(super) fn add_arms(
    items: &mut [syn::Item],
    name: &str,
    arms: impl IntoIterator<Item = syn::Arm>,
) -> syn::Result<()> {
    for item in items {
        let syn::Item::Impl(block) = item else {
            continue;
        };
        for member in &mut block.items {
            if let syn::ImplItem::Fn(f) = member
                && f.sig.ident == name
                && let Some(syn::Stmt::Expr(syn::Expr::Match(m), _)) = f.block.stmts.last_mut()
            {
                m.arms.splice(0..0, arms);
                return Ok(());
            }
        }
    }
    Err(internal(name))
}
