//! Expressions and templates evaluated over the IR. What each operation means is the runtime's `value`
//! functions, the same generated code calls: comparison, truth, the built-in functions, prompt escaping.

use std::borrow::Cow;

use flowc_runtime::__private::pattern::Pattern;
use flowc_runtime::__private::value;
use flowc_runtime::{Scope, TurnContext, TurnInput, View};

use crate::expr::BinaryOp;
use crate::ir::{Expr, IdVec, Part, PatternId, Template};

/// What expressions read: the variables, the request, the context.
pub(super) struct Env<'s> {
    vars: &'s [String],
    input: &'s TurnInput<'s>,
    context: &'s TurnContext<'s>,
}

impl<'s> Env<'s> {
    pub(super) fn of_scope(scope: &'s Scope<'_, Vec<String>>) -> Env<'s> {
        Env {
            vars: scope.vars,
            input: scope.input,
            context: scope.context,
        }
    }

    pub(super) fn of_view(view: &'s View<'_, Vec<String>>) -> Env<'s> {
        Env {
            vars: view.vars,
            input: view.input,
            context: view.context,
        }
    }
}

/// The flow's patterns, compiled once; the analyzer checked them, so one that still fails matches nothing.
pub(super) struct Patterns(IdVec<PatternId, Option<Pattern>>);

impl Patterns {
    pub(super) fn compile(sources: &IdVec<PatternId, String>) -> Self {
        Patterns(sources.iter().map(|p| Pattern::parse(p).ok()).collect())
    }

    /// True when `pattern` matches the whole of `text`.
    pub(super) fn matches(&self, pattern: PatternId, text: &str) -> bool {
        self.0
            .get(pattern)
            .and_then(Option::as_ref)
            .is_some_and(|p| value::matches(text, p))
    }
}

/// The value of `expr`.
pub(super) fn eval<'s>(expr: &Expr, env: &'s Env<'_>, patterns: &Patterns) -> Cow<'s, str> {
    let bool_text = |b: bool| Cow::Borrowed(value::bool_text(b));
    match expr {
        Expr::Var(v) => Cow::Borrowed(env.vars.get(v.index()).map_or("", String::as_str)),
        Expr::Slot(name) => env.input.slot(name),
        Expr::Context(field) => env.context.get(*field),
        Expr::IntentName => Cow::Borrowed(env.input.intent),
        Expr::Dtmf => Cow::Borrowed(env.input.dtmf),
        Expr::Str(s) | Expr::Num(s) => Cow::Owned(s.clone()),
        Expr::Bool(b) => bool_text(*b),
        Expr::Not(_)
        | Expr::Binary(..)
        | Expr::Empty(_)
        | Expr::Contains(..)
        | Expr::Matches(..) => bool_text(holds(expr, env, patterns)),
    }
}

/// `expr` as a condition.
pub(super) fn holds(expr: &Expr, env: &Env<'_>, patterns: &Patterns) -> bool {
    let text = |e: &Expr| eval(e, env, patterns);
    match expr {
        Expr::Bool(b) => *b,
        Expr::Not(inner) => !holds(inner, env, patterns),
        Expr::Binary(op, a, b) => {
            let (a, b) = (a.as_ref(), b.as_ref());
            match op {
                BinaryOp::And => holds(a, env, patterns) && holds(b, env, patterns),
                BinaryOp::Or => holds(a, env, patterns) || holds(b, env, patterns),
                BinaryOp::Eq => value::eq(&text(a), &text(b)),
                BinaryOp::Ne => value::ne(&text(a), &text(b)),
                BinaryOp::Lt => value::lt(&text(a), &text(b)),
                BinaryOp::Le => value::le(&text(a), &text(b)),
                BinaryOp::Gt => value::gt(&text(a), &text(b)),
                BinaryOp::Ge => value::ge(&text(a), &text(b)),
            }
        }
        Expr::Empty(value) => value::is_empty(&text(value)),
        Expr::Contains(haystack, needle) => value::contains(&text(haystack), &text(needle)),
        Expr::Matches(value, pattern) => patterns.matches(*pattern, &text(value)),
        _ => value::truthy(&text(expr)),
    }
}

/// Appends `template` to `out`; a prompt's values are escaped when the turn's prompts are SSML.
pub(super) fn render(template: &Template, env: &Env<'_>, patterns: &Patterns, out: &mut String) {
    let ssml = template.prompt && env.context.prompts_are_ssml();
    for part in &template.parts {
        match part {
            Part::Text(t) => out.push_str(t),
            Part::Expr(e) => value::push_value(out, &eval(e, env, patterns), ssml),
        }
    }
}
