//! Expressions and templates compiled to Rust: no expression is interpreted at run time. The semantics of
//! each operation are the runtime's `value` functions, the same the interpreter calls.

use syn::{Expr as Rust, Stmt};

use super::Names;
use super::syntax::{
    block_with, call, closure, field, fields, index, let_, let_mut, lit_bool, lit_char, lit_int,
    lit_str, logical, method, not, paren, path, reference, reference_mut, semi,
};
use crate::expr::{BinaryOp, ContextField};
use crate::ir::{Expr, Part, PatternId, Template, VarId};

/// A boolean operand of `&&` / `||`: parenthesised only when it is itself `&&` / `||`.
fn operand(e: &Expr, names: &Names) -> Rust {
    let b = boolean(e, names);
    match e {
        Expr::Binary(BinaryOp::And | BinaryOp::Or, ..) => paren(b),
        _ => b,
    }
}

/// An expression as a `bool`.
pub fn boolean(e: &Expr, names: &Names) -> Rust {
    match e {
        Expr::Bool(b) => lit_bool(*b),
        Expr::Not(inner) => not(paren(boolean(inner, names))),
        Expr::Binary(op, a, b) => match op {
            BinaryOp::And | BinaryOp::Or => {
                logical(*op == BinaryOp::And, operand(a, names), operand(b, names))
            }
            _ => {
                let function = match op {
                    BinaryOp::Eq => "rt::eq",
                    BinaryOp::Ne => "rt::ne",
                    BinaryOp::Lt => "rt::lt",
                    BinaryOp::Le => "rt::le",
                    BinaryOp::Gt => "rt::gt",
                    _ => "rt::ge",
                };
                call(function, [str_ref(a, names), str_ref(b, names)])
            }
        },
        Expr::Empty(value) => call("rt::is_empty", [str_ref(value, names)]),
        Expr::Contains(haystack, needle) => call(
            "rt::contains",
            [str_ref(haystack, names), str_ref(needle, names)],
        ),
        Expr::Matches(value, pattern) => {
            // PATTERNS[i].as_ref().is_some_and(|p| rt::matches(value, p))
            let matches = call("rt::matches", [str_ref(value, names), path("p")]);
            pattern_test(*pattern, closure("p", matches))
        }
        _ => call("rt::truthy", [str_ref(e, names)]),
    }
}

/// `PATTERNS[index].as_ref().is_some_and(test)`: a pattern that did not compile matches nothing.
pub fn pattern_test(pattern: PatternId, test: Rust) -> Rust {
    let pattern = index(path("PATTERNS"), lit_int(u64::from(pattern.get())));
    method(method(pattern, "as_ref", []), "is_some_and", [test])
}

/// `scope.vars.<field>`.
pub fn var(v: VarId, names: &Names) -> Rust {
    field(fields("scope.vars"), &names.vars[v])
}

/// An expression as a `&str` (a `&String` where the `&str` parameter takes it): variables and literals
/// directly, anything else through its `Cow`.
pub fn str_ref(e: &Expr, names: &Names) -> Rust {
    match e {
        Expr::Var(v) => reference(var(*v, names)),
        Expr::Str(s) | Expr::Num(s) => lit_str(s),
        Expr::IntentName => fields("scope.input.intent"),
        Expr::Dtmf => fields("scope.input.dtmf"),
        _ => reference(text(e, names)),
    }
}

/// An expression as a `Cow<str>`.
pub fn text(e: &Expr, names: &Names) -> Rust {
    let borrowed = |value| call("rt::Cow::Borrowed", [value]);
    match e {
        Expr::Var(v) => borrowed(method(var(*v, names), "as_str", [])),
        Expr::Slot(name) => method(fields("scope.input"), "slot", [lit_str(name)]),
        Expr::Context(field) => {
            let variant = match field {
                ContextField::TurnCount => "rt::ContextField::TurnCount",
                ContextField::Platform => "rt::ContextField::Platform",
                ContextField::CallerId => "rt::ContextField::CallerId",
                ContextField::SessionId => "rt::ContextField::SessionId",
                ContextField::Dtmf => "rt::ContextField::Dtmf",
                ContextField::LastServiceCallError => "rt::ContextField::LastServiceCallError",
                ContextField::LastServiceCallStatus => "rt::ContextField::LastServiceCallStatus",
            };
            method(fields("scope.context"), "get", [path(variant)])
        }
        Expr::IntentName => borrowed(fields("scope.input.intent")),
        Expr::Dtmf => borrowed(fields("scope.input.dtmf")),
        Expr::Str(s) | Expr::Num(s) => borrowed(lit_str(s)),
        Expr::Bool(_)
        | Expr::Not(_)
        | Expr::Binary(..)
        | Expr::Empty(_)
        | Expr::Contains(..)
        | Expr::Matches(..) => borrowed(call("rt::bool_text", [boolean(e, names)])),
    }
}

/// True when the code of `e` reads the scope (variables, request, context).
pub fn reads_scope(e: &Expr) -> bool {
    match e {
        Expr::Var(_) | Expr::Slot(_) | Expr::Context(_) | Expr::IntentName | Expr::Dtmf => true,
        Expr::Str(_) | Expr::Num(_) | Expr::Bool(_) => false,
        Expr::Not(inner) | Expr::Empty(inner) | Expr::Matches(inner, _) => reads_scope(inner),
        Expr::Binary(_, a, b) | Expr::Contains(a, b) => reads_scope(a) || reads_scope(b),
    }
}

/// True when the code [`write`] makes of `template` reads the scope: a prompt with values asks the context
/// whether to escape them.
pub fn uses_scope(template: &Template) -> bool {
    template.parts.iter().any(|p| match p {
        Part::Expr(e) => template.prompt || reads_scope(e),
        Part::Text(_) => false,
    })
}

/// Statements that append a template to the `String` named `out` (a `&mut String`). A prompt's values go
/// through `rt::push_value`, escaped when the turn's prompts are SSML; other values are copied.
pub fn write(template: &Template, names: &Names) -> Vec<Stmt> {
    let escapes = template.prompt && template.parts.iter().any(|p| matches!(p, Part::Expr(_)));
    // let ssml = scope.context.prompts_are_ssml();
    let ssml = escapes.then(|| {
        let_(
            "ssml",
            method(fields("scope.context"), "prompts_are_ssml", []),
        )
    });
    ssml.into_iter()
        .chain(template.parts.iter().map(|part| match part {
            Part::Text(t) => semi(push_text(t)),
            Part::Expr(e) => {
                let value = str_ref(e, names);
                if escapes {
                    semi(call("rt::push_value", [path("out"), value, path("ssml")]))
                } else {
                    semi(method(path("out"), "push_str", [value]))
                }
            }
        }))
        .collect()
}

/// `out.push_str("text")`, or `out.push('c')` for a single character (`clippy::single_char_add_str`).
pub fn push_text(text: &str) -> Rust {
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => method(path("out"), "push", [lit_char(c)]),
        _ => method(path("out"), "push_str", [lit_str(text)]),
    }
}

/// An expression of type `String` holding the template.
pub fn string(template: &Template, names: &Names) -> Rust {
    if let [Part::Text(t)] = template.parts.as_slice() {
        return call("rt::String::from", [lit_str(t)]);
    }
    if template.parts.is_empty() {
        return call("rt::String::new", []);
    }
    // { let mut text = rt::String::new(); let out = &mut text; …; text }
    let mut stmts = vec![
        let_mut("text", call("rt::String::new", [])),
        let_("out", reference_mut(path("text"))),
    ];
    stmts.extend(write(template, names));
    block_with(stmts, path("text"))
}
