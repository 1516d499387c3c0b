//! Builders for the syntax tree of generated code.
//!
//! The parts of a module that grow with the flow (one match arm or table entry per block, state and
//! handler) are built as `syn` nodes directly: quoting them and parsing the tokens back costs several
//! microseconds per expression, which made parsing the bulk of a large flow's compile time. The fixed
//! skeleton is still written with `quote!` and parsed once. Every builder makes the node the parser makes
//! for the same source text (parentheses included; literals are kept as their tokens, which print the same),
//! so the formatted output does not depend on the route.

use std::cell::Cell;

use proc_macro2::extra::DelimSpan;
use proc_macro2::{Ident, Literal, Span, TokenStream};
use syn::punctuated::{Pair, Punctuated};
use syn::{Arm, Attribute, Expr, Pat, Stmt};

thread_local! {
    /// The span of the delimiters built inside [`with_delimiters`]: the default `Paren`, `Brace` and
    /// `Bracket` allocate and free a group to make one, which adds up over a large flow.
    static DELIM: Cell<Option<DelimSpan>> = const { Cell::new(None) };
}

/// Runs `build` with one delimiter span for every delimiter it makes. The span is made anew for each call
/// and dropped after it: inside a procedural macro, spans are valid only during one expansion.
pub fn with_delimiters<T>(build: impl FnOnce() -> T) -> T {
    struct Restore(Option<DelimSpan>);
    impl Drop for Restore {
        fn drop(&mut self) {
            DELIM.set(self.0);
        }
    }
    let _restore = Restore(DELIM.replace(Some(new_delim())));
    build()
}

fn new_delim() -> DelimSpan {
    let mut group = proc_macro2::Group::new(proc_macro2::Delimiter::None, TokenStream::new());
    group.set_span(Span::call_site());
    group.delim_span()
}

fn delim() -> DelimSpan {
    DELIM.get().unwrap_or_else(new_delim)
}

/// `items` as the pairs of a punctuated list: collected or extended from pairs, a `Punctuated` moves each
/// item into place once, where pushing items boxes each one first.
pub fn pairs<T, P: Default>(
    items: impl IntoIterator<Item = T>,
) -> impl Iterator<Item = Pair<T, P>> {
    let mut items = items.into_iter().peekable();
    std::iter::from_fn(move || {
        let item = items.next()?;
        Some(match items.peek() {
            Some(_) => Pair::Punctuated(item, P::default()),
            None => Pair::End(item),
        })
    })
}

/// `items` separated by `P`, without a trailing one.
fn punctuated<T, P: Default>(items: impl IntoIterator<Item = T>) -> Punctuated<T, P> {
    pairs(items).collect()
}

/// `name` as an identifier.
pub fn name(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

/// The path `a::b::c` (`::a::b` with a leading colon).
pub fn path(segments: &str) -> Expr {
    let (leading, rest) = match segments.strip_prefix("::") {
        Some(rest) => (true, rest),
        None => (false, segments),
    };
    let mut p = path_of(rest.split("::").map(name));
    if leading {
        p.leading_colon = Some(Default::default());
    }
    path_expr(p)
}

/// The path made of `segments`.
pub fn path_of(segments: impl IntoIterator<Item = Ident>) -> syn::Path {
    syn::Path {
        leading_colon: None,
        segments: punctuated(segments.into_iter().map(syn::PathSegment::from)),
    }
}

/// `path` as an expression.
pub fn path_expr(path: syn::Path) -> Expr {
    Expr::Path(syn::ExprPath {
        attrs: Vec::new(),
        qself: None,
        path,
    })
}

/// An unsuffixed integer literal (`3`): the context gives the type.
pub fn lit_int(n: u64) -> Expr {
    Expr::Lit(syn::ExprLit {
        attrs: Vec::new(),
        lit: int_lit(n),
    })
}

/// An integer literal as the formatter's arrays of numbers want it: a `LitInt`, which lets it put several
/// on a line. Everywhere else integers are kept as their token (see [`int_lit`]).
pub fn lit_number(n: u64) -> Expr {
    Expr::Lit(syn::ExprLit {
        attrs: Vec::new(),
        lit: syn::Lit::new(Literal::u64_unsuffixed(n)),
    })
}

/// The integer literal `n`, kept as its token: it prints like a `LitInt`, which would first run its digits
/// through a big-integer parser (about eight allocations per literal, thousands of literals in a large
/// flow).
fn int_lit(n: u64) -> syn::Lit {
    syn::Lit::Verbatim(Literal::u64_unsuffixed(n))
}

/// A string literal.
pub fn lit_str(value: &str) -> Expr {
    Expr::Lit(syn::ExprLit {
        attrs: Vec::new(),
        lit: str_lit(value),
    })
}

/// The string literal `value`, kept as its token: it prints like a `LitStr`, which boxes the token again.
fn str_lit(value: &str) -> syn::Lit {
    syn::Lit::Verbatim(Literal::string(value))
}

/// A character literal.
pub fn lit_char(value: char) -> Expr {
    Expr::Lit(syn::ExprLit {
        attrs: Vec::new(),
        lit: syn::Lit::Verbatim(Literal::character(value)),
    })
}

/// `true` or `false`.
pub fn lit_bool(value: bool) -> Expr {
    Expr::Lit(syn::ExprLit {
        attrs: Vec::new(),
        lit: syn::Lit::Bool(syn::LitBool::new(value, Span::call_site())),
    })
}

/// `function(args…)`.
pub fn call(function: &str, args: impl IntoIterator<Item = Expr>) -> Expr {
    Expr::Call(syn::ExprCall {
        attrs: Vec::new(),
        func: Box::new(path(function)),
        paren_token: syn::token::Paren { span: delim() },
        args: punctuated(args),
    })
}

/// `receiver.method(args…)`.
pub fn method(receiver: Expr, method: &str, args: impl IntoIterator<Item = Expr>) -> Expr {
    Expr::MethodCall(syn::ExprMethodCall {
        attrs: Vec::new(),
        receiver: Box::new(receiver),
        dot_token: Default::default(),
        method: name(method),
        turbofish: None,
        paren_token: syn::token::Paren { span: delim() },
        args: punctuated(args),
    })
}

/// `base.member`.
pub fn field(base: Expr, member: &Ident) -> Expr {
    Expr::Field(syn::ExprField {
        attrs: Vec::new(),
        base: Box::new(base),
        dot_token: Default::default(),
        member: syn::Member::Named(member.clone()),
    })
}

/// `a.b.c` from a variable and field names.
pub fn fields(segments: &str) -> Expr {
    let mut parts = segments.split('.');
    let first = path(parts.next().unwrap_or_default());
    parts.fold(first, |base, member| field(base, &name(member)))
}

/// `&e`.
pub fn reference(e: Expr) -> Expr {
    Expr::Reference(syn::ExprReference {
        attrs: Vec::new(),
        and_token: Default::default(),
        mutability: None,
        expr: Box::new(e),
    })
}

/// `&mut e`.
pub fn reference_mut(e: Expr) -> Expr {
    Expr::Reference(syn::ExprReference {
        attrs: Vec::new(),
        and_token: Default::default(),
        mutability: Some(Default::default()),
        expr: Box::new(e),
    })
}

/// `(e)`.
pub fn paren(e: Expr) -> Expr {
    Expr::Paren(syn::ExprParen {
        attrs: Vec::new(),
        paren_token: syn::token::Paren { span: delim() },
        expr: Box::new(e),
    })
}

/// `*e`.
pub fn deref(e: Expr) -> Expr {
    Expr::Unary(syn::ExprUnary {
        attrs: Vec::new(),
        op: syn::UnOp::Deref(Default::default()),
        expr: Box::new(e),
    })
}

/// `!e`.
pub fn not(e: Expr) -> Expr {
    Expr::Unary(syn::ExprUnary {
        attrs: Vec::new(),
        op: syn::UnOp::Not(Default::default()),
        expr: Box::new(e),
    })
}

/// `a && b` (`and`) or `a || b`.
pub fn logical(and: bool, a: Expr, b: Expr) -> Expr {
    let op = if and {
        syn::BinOp::And(Default::default())
    } else {
        syn::BinOp::Or(Default::default())
    };
    Expr::Binary(syn::ExprBinary {
        attrs: Vec::new(),
        left: Box::new(a),
        op,
        right: Box::new(b),
    })
}

/// `e[index]`.
pub fn index(e: Expr, index: Expr) -> Expr {
    Expr::Index(syn::ExprIndex {
        attrs: Vec::new(),
        expr: Box::new(e),
        bracket_token: syn::token::Bracket { span: delim() },
        index: Box::new(index),
    })
}

/// `return e`.
pub fn ret(e: Expr) -> Expr {
    Expr::Return(syn::ExprReturn {
        attrs: Vec::new(),
        return_token: Default::default(),
        expr: Some(Box::new(e)),
    })
}

/// `Some(e)`.
pub fn some(e: Expr) -> Expr {
    call("Some", [e])
}

/// `Some(e)` or `None`.
pub fn option(e: Option<Expr>) -> Expr {
    match e {
        Some(e) => some(e),
        None => path("None"),
    }
}

/// `|param| body`.
pub fn closure(param: &str, body: Expr) -> Expr {
    Expr::Closure(syn::ExprClosure {
        attrs: Vec::new(),
        lifetimes: None,
        modifiers: Default::default(),
        constness: None,
        asyncness: None,
        capture: None,
        inputs_begin: Default::default(),
        inputs: punctuated([binding(param, false)]),
        inputs_end: Default::default(),
        output: syn::ReturnType::Default,
        body: Box::new(body),
    })
}

/// `Path { field: value, … }`.
pub fn structure<'a>(path_text: &str, values: impl IntoIterator<Item = (&'a str, Expr)>) -> Expr {
    Expr::Struct(syn::ExprStruct {
        attrs: Vec::new(),
        qself: None,
        path: path_of(path_text.split("::").map(name)),
        brace_token: syn::token::Brace { span: delim() },
        fields: punctuated(values.into_iter().map(|(member, expr)| syn::FieldValue {
            attrs: Vec::new(),
            member: syn::Member::Named(name(member)),
            colon_token: Some(Default::default()),
            expr,
        })),
        dot2_token: None,
        rest: None,
    })
}

/// `if condition { then… }` without an `else`.
pub fn if_then(condition: Expr, then: Vec<Stmt>) -> Expr {
    Expr::If(syn::ExprIf {
        attrs: Vec::new(),
        if_token: Default::default(),
        cond: Box::new(condition),
        then_branch: syn::Block {
            brace_token: syn::token::Brace { span: delim() },
            stmts: then,
        },
        else_branch: None,
    })
}

/// `{ stmts… }` as an expression.
pub fn block(stmts: Vec<Stmt>) -> Expr {
    Expr::Block(syn::ExprBlock {
        attrs: Vec::new(),
        label: None,
        block: syn::Block {
            brace_token: syn::token::Brace { span: delim() },
            stmts,
        },
    })
}

/// `{ stmts… tail }`.
pub fn block_with(stmts: impl IntoIterator<Item = Stmt>, tail: Expr) -> Expr {
    block(stmts.into_iter().chain([Stmt::Expr(tail, None)]).collect())
}

/// `e;`.
pub fn semi(e: Expr) -> Stmt {
    Stmt::Expr(e, Some(Default::default()))
}

/// `e` as a statement without a semicolon (a block or `if`).
pub fn stmt(e: Expr) -> Stmt {
    Stmt::Expr(e, None)
}

/// The pattern `variable` (`mut variable`).
fn binding(variable: &str, mutable: bool) -> Pat {
    Pat::Ident(syn::PatIdent {
        attrs: Vec::new(),
        by_ref: None,
        mutability: mutable.then(Default::default),
        ident: name(variable),
        subpat: None,
    })
}

/// `let variable = init;`.
pub fn let_(variable: &str, init: Expr) -> Stmt {
    local(binding(variable, false), init)
}

/// `let mut variable = init;`.
pub fn let_mut(variable: &str, init: Expr) -> Stmt {
    local(binding(variable, true), init)
}

fn local(pattern: Pat, init: Expr) -> Stmt {
    Stmt::Local(syn::Local {
        attrs: Vec::new(),
        let_token: Default::default(),
        modifiers: Default::default(),
        pat: pattern,
        init: Some(syn::LocalInit {
            eq_token: Default::default(),
            expr: Box::new(init),
            diverge: None,
        }),
        semi_token: Default::default(),
    })
}

/// `pattern => body,`.
pub fn arm(pattern: Pat, body: Expr) -> Arm {
    Arm {
        attrs: Vec::new(),
        pat: pattern,
        fat_arrow_token: Default::default(),
        body: Box::new(body),
        comma: Some(Default::default()),
    }
}

/// The pattern `n`.
pub fn int_pat(n: u64) -> Pat {
    Pat::Lit(syn::ExprLit {
        attrs: Vec::new(),
        lit: int_lit(n),
    })
}

/// The pattern `Enum::Variant` (any path).
pub fn pat_path(path: syn::Path) -> Pat {
    Pat::Path(syn::ExprPath {
        attrs: Vec::new(),
        qself: None,
        path,
    })
}

/// The pattern `function(inner)`, e.g. `Some(State::Start)`.
pub fn pat_call(function: &str, inner: Pat) -> Pat {
    Pat::TupleStruct(syn::PatTupleStruct {
        attrs: Vec::new(),
        qself: None,
        path: path_of(function.split("::").map(name)),
        paren_token: syn::token::Paren { span: delim() },
        elems: punctuated([inner]),
    })
}

/// The pattern `a | b | …`.
pub fn pat_or(cases: Vec<Pat>) -> Pat {
    Pat::Or(syn::PatOr {
        attrs: Vec::new(),
        leading_vert: None,
        cases: punctuated(cases),
    })
}

/// The pattern `(a, b, …)`.
pub fn tuple_pat(elems: impl IntoIterator<Item = Pat>) -> Pat {
    Pat::Tuple(syn::PatTuple {
        attrs: Vec::new(),
        paren_token: syn::token::Paren { span: delim() },
        elems: punctuated(elems),
    })
}

/// `#[doc = text]`, printed as a `///` comment.
pub fn doc(text: &str) -> Attribute {
    Attribute {
        pound_token: Default::default(),
        style: syn::AttrStyle::Outer,
        bracket_token: syn::token::Bracket { span: delim() },
        meta: syn::Meta::NameValue(syn::MetaNameValue {
            path: path_of([name("doc")]),
            eq_token: Default::default(),
            // A doc comment's value must be a `LitStr` for the formatter to print it as `///`.
            value: Expr::Lit(syn::ExprLit {
                attrs: Vec::new(),
                lit: syn::Lit::Str(syn::LitStr::new(text, Span::call_site())),
            }),
        }),
    }
}

/// Parses `tokens` as an expression: for the rare, intricate shapes (service calls and transfers)
/// that are not worth a builder of their own.
pub fn parse_expr(tokens: TokenStream) -> syn::Result<Expr> {
    syn::parse2(tokens)
}

#[cfg(test)]
mod tests {
    use quote::ToTokens;

    use super::*;

    #[test]
    fn literals_kept_as_tokens_read_back_as_their_values() {
        for value in [
            "",
            "plain",
            "\"quoted\" 'single'",
            r"back\slash \n \u{41}",
            "line\nbreak\r\ncarriage\ttab",
            "nul\0 nul\x001 bell\x07 del\x7f",
            "unicode é ñ 日本 🚀 \u{200b} \u{301}combining \u{feff}",
            "{{ template }} #[doc] */ /*",
        ] {
            let tokens = lit_str(value).into_token_stream();
            let parsed: syn::LitStr = syn::parse2(tokens.clone()).expect("a string literal");
            assert_eq!(parsed.value(), value);
            // The parser's route (`LitStr`) prints the same token.
            let lit = syn::LitStr::new(value, Span::call_site());
            assert_eq!(tokens.to_string(), lit.token().to_string());
        }
        for n in [0, 7, u64::from(u32::MAX), u64::MAX] {
            let parsed: syn::LitInt =
                syn::parse2(lit_int(n).into_token_stream()).expect("an integer");
            assert_eq!(parsed.base10_parse::<u64>().ok(), Some(n));
            assert!(parsed.suffix().is_empty());
        }
    }
}
