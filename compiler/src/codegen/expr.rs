//! Expressions and templates compiled to Rust: no expression is interpreted at run time. The semantics of
//! each operation are the runtime's `value` functions, the same the interpreter calls.

use proc_macro2::TokenStream;
use quote::quote;

use super::Names;
use crate::expr::{BinaryOp, ContextField, Function};
use crate::ir::{Expr, Part, Template};

/// A boolean operand of `&&` / `||`: parenthesised only when it is itself `&&` / `||`.
fn operand(e: &Expr, names: &Names) -> TokenStream {
    let b = boolean(e, names);
    match e {
        Expr::Binary(BinaryOp::And | BinaryOp::Or, ..) => quote!((#b)),
        _ => b,
    }
}

/// An expression as a `bool`.
pub fn boolean(e: &Expr, names: &Names) -> TokenStream {
    match e {
        Expr::Bool(b) => quote!(#b),
        Expr::Not(inner) => {
            let inner = boolean(inner, names);
            quote!(!(#inner))
        }
        Expr::Binary(op, a, b) => match op {
            BinaryOp::And | BinaryOp::Or => {
                let (a, b) = (operand(a, names), operand(b, names));
                if *op == BinaryOp::And {
                    quote!(#a && #b)
                } else {
                    quote!(#a || #b)
                }
            }
            _ => {
                let (a, b) = (str_ref(a, names), str_ref(b, names));
                let function = match op {
                    BinaryOp::Eq => quote!(rt::eq),
                    BinaryOp::Ne => quote!(rt::ne),
                    BinaryOp::Lt => quote!(rt::lt),
                    BinaryOp::Le => quote!(rt::le),
                    BinaryOp::Gt => quote!(rt::gt),
                    _ => quote!(rt::ge),
                };
                quote!(#function(#a, #b))
            }
        },
        Expr::Call(function, args) => {
            let arg = |i: usize| {
                args.get(i)
                    .map(|a| str_ref(a, names))
                    .unwrap_or_else(|| quote!(""))
            };
            let a0 = arg(0);
            match function {
                Function::Empty => quote!(rt::is_empty(#a0)),
                Function::Contains => {
                    let a1 = arg(1);
                    quote!(rt::contains(#a0, #a1))
                }
                Function::Matches => match args.get(1) {
                    Some(Expr::Str(p)) => {
                        let index = proc_macro2::Literal::usize_unsuffixed(names.pattern(p));
                        quote!(PATTERNS[#index].as_ref().is_some_and(|p| rt::matches(#a0, p)))
                    }
                    _ => quote!(false),
                },
            }
        }
        _ => {
            let t = str_ref(e, names);
            quote!(rt::truthy(#t))
        }
    }
}

/// An expression as a `&str`: variables and literals directly, anything else through its `Cow`.
pub fn str_ref(e: &Expr, names: &Names) -> TokenStream {
    match e {
        Expr::Var(v) => {
            let field = &names.vars[*v];
            quote!(scope.vars.#field.as_str())
        }
        Expr::Str(s) | Expr::Num(s) => quote!(#s),
        Expr::IntentName => quote!(scope.input.intent),
        Expr::Dtmf => quote!(scope.input.dtmf),
        _ => {
            let t = text(e, names);
            quote!(&#t)
        }
    }
}

/// An expression as a `Cow<str>`.
pub fn text(e: &Expr, names: &Names) -> TokenStream {
    match e {
        Expr::Var(v) => {
            let field = &names.vars[*v];
            quote!(rt::Cow::Borrowed(scope.vars.#field.as_str()))
        }
        Expr::Slot(name) => quote!(scope.input.slot(#name)),
        Expr::Context(field) => {
            let variant = match field {
                ContextField::TurnCount => quote!(TurnCount),
                ContextField::Platform => quote!(Platform),
                ContextField::CallerId => quote!(CallerId),
                ContextField::SessionId => quote!(SessionId),
                ContextField::Dtmf => quote!(Dtmf),
                ContextField::LastServiceCallError => quote!(LastServiceCallError),
                ContextField::LastServiceCallStatus => quote!(LastServiceCallStatus),
            };
            quote!(scope.context.get(rt::ContextField::#variant))
        }
        Expr::IntentName => quote!(rt::Cow::Borrowed(scope.input.intent)),
        Expr::Dtmf => quote!(rt::Cow::Borrowed(scope.input.dtmf)),
        Expr::Str(s) | Expr::Num(s) => quote!(rt::Cow::Borrowed(#s)),
        Expr::Bool(_) | Expr::Not(_) | Expr::Binary(..) | Expr::Call(..) => {
            let b = boolean(e, names);
            quote!(rt::Cow::Borrowed(rt::bool_text(#b)))
        }
    }
}

/// Statements that append a template to the `String` named by `target` (a `&mut String` expression).
pub fn write(template: &Template, target: &TokenStream, names: &Names) -> TokenStream {
    let ssml =
        matches!(template.parts.first(), Some(Part::Text(t)) if flowc_runtime::value::is_ssml(t));
    let parts = template.parts.iter().map(|part| match part {
        Part::Text(t) => quote!(#target.push_str(#t);),
        Part::Expr(e) => {
            let value = str_ref(e, names);
            if ssml {
                quote!(rt::push_value(#target, #value, true);)
            } else {
                quote!(#target.push_str(#value);)
            }
        }
    });
    quote!(#(#parts)*)
}

/// An expression of type `String` holding the template.
pub fn string(template: &Template, names: &Names) -> TokenStream {
    if let [Part::Text(t)] = template.parts.as_slice() {
        return quote!(rt::String::from(#t));
    }
    if template.parts.is_empty() {
        return quote!(rt::String::new());
    }
    let body = write(template, &quote!(out), names);
    quote!({
        let mut text = rt::String::new();
        let out = &mut text;
        #body
        text
    })
}
