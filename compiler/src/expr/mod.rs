//! Expressions (`context.turnCount > 8 && !empty(trackingNumber)`) and templates (`Hello {{ name }}`).
//!
//! Both are parsed at compile time; a syntax error points at the column inside the YAML string.

mod lex;
mod parser;

use crate::diagnostic::{Code, Diagnostic, Span};
use lex::lex;
use parser::Parser;

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What it computes.
    pub kind: ExprKind,
    /// Where it is written.
    pub span: Span,
}

/// The forms an expression takes.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A storage variable.
    Var(String),
    /// `slots.NAME` — a slot of the current request.
    Slot(String),
    /// `context.NAME`.
    Context(ContextField),
    /// `intent.name` — the current intent's name.
    IntentName,
    /// `dtmf` — the digits collected in this turn.
    Dtmf,
    /// A string literal.
    Str(String),
    /// A number literal, as written.
    Num(String),
    /// `true` / `false`.
    Bool(bool),
    /// `!x`.
    Not(Box<Expr>),
    /// `a op b`.
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `f(args)`.
    Call(Function, Vec<Expr>),
}

pub use flowc_runtime::ContextField;

/// Binary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `&&`
    And,
    /// `||`
    Or,
}

impl BinaryOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::And => "&&",
            BinaryOp::Or => "||",
        }
    }
}

/// Built-in functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    /// `empty(x)`: x is `""`.
    Empty,
    /// `contains(haystack, needle)`.
    Contains,
    /// `matches(x, 'pattern')`: the whole of x matches the pattern.
    Matches,
}

impl Function {
    /// The function's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Function::Empty => "empty",
            Function::Contains => "contains",
            Function::Matches => "matches",
        }
    }

    fn arity(self) -> usize {
        match self {
            Function::Empty => 1,
            Function::Contains | Function::Matches => 2,
        }
    }
}

impl Expr {
    /// Calls `f` for every storage variable the expression reads.
    pub fn for_each_variable(&self, f: &mut impl FnMut(&str, Span)) {
        match &self.kind {
            ExprKind::Var(name) => f(name, self.span),
            ExprKind::Not(inner) => inner.for_each_variable(f),
            ExprKind::Binary(_, a, b) => {
                a.for_each_variable(f);
                b.for_each_variable(f);
            }
            ExprKind::Call(_, args) => args.iter().for_each(|a| a.for_each_variable(f)),
            _ => {}
        }
    }

    /// Calls `f` for every `matches(x, 'pattern')` pattern, with its span.
    pub fn for_each_pattern(&self, f: &mut impl FnMut(&str, Span)) {
        match &self.kind {
            ExprKind::Call(Function::Matches, args) => {
                if let Some(Expr {
                    kind: ExprKind::Str(p),
                    span,
                }) = args.get(1)
                {
                    f(p, *span);
                }
                args.iter().for_each(|a| a.for_each_pattern(f));
            }
            ExprKind::Not(inner) => inner.for_each_pattern(f),
            ExprKind::Binary(_, a, b) => {
                a.for_each_pattern(f);
                b.for_each_pattern(f);
            }
            ExprKind::Call(_, args) => args.iter().for_each(|a| a.for_each_pattern(f)),
            _ => {}
        }
    }
}

/// A prompt or value with `{{ expr }}` holes.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    /// Literal text and expressions, in order.
    pub parts: Vec<TemplatePart>,
    /// Where the template is written.
    pub span: Span,
}

/// A piece of a [`Template`].
#[derive(Debug, Clone, PartialEq)]
pub enum TemplatePart {
    /// Literal text.
    Text(String),
    /// A hole.
    Expr(Expr),
}

impl Template {
    /// A template of literal text only.
    pub fn literal(text: &str, span: Span) -> Self {
        Template {
            parts: if text.is_empty() {
                Vec::new()
            } else {
                vec![TemplatePart::Text(text.to_string())]
            },
            span,
        }
    }

    /// Calls `f` for every storage variable the template reads.
    pub fn for_each_variable(&self, f: &mut impl FnMut(&str, Span)) {
        for part in &self.parts {
            if let TemplatePart::Expr(e) = part {
                e.for_each_variable(f);
            }
        }
    }

    /// The template's text when it has no holes.
    pub fn as_literal(&self) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                TemplatePart::Text(t) => out.push_str(t),
                TemplatePart::Expr(_) => return None,
            }
        }
        Some(out)
    }
}

/// Where a string value's text starts in the file, so positions inside it can be reported.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'s> {
    /// The whole file.
    pub source: &'s str,
    /// The span of the first character of the text (best effort when the YAML used escapes).
    pub start: Span,
}

impl<'s> Origin<'s> {
    /// Finds `text` inside the YAML node at `node`; falls back to the node's start.
    pub fn locate(source: &'s str, node: Span, text: &str) -> Self {
        let end = source.len().min(node.offset + node.len.max(text.len() + 2));
        let start = source
            .get(node.offset..end)
            .and_then(|region| region.find(text))
            .map(|delta| node.shifted(source, delta, 0))
            .unwrap_or(node);
        Origin { source, start }
    }

    fn span(&self, byte: usize, len: usize) -> Span {
        // Only shift when the text really sits in the file at this place; else stay at the node.
        let exact = self.start.offset + byte <= self.source.len();
        if exact {
            self.start.shifted(self.source, byte, len)
        } else {
            self.start
        }
    }
}

/// Parses a template; every hole is parsed as an expression.
pub fn parse_template(text: &str, origin: Origin<'_>) -> Result<Template, Diagnostic> {
    let mut parts = Vec::new();
    let mut rest = 0;
    while let Some(open) = text[rest..].find("{{") {
        let open = rest + open;
        if open > rest {
            parts.push(TemplatePart::Text(text[rest..open].to_string()));
        }
        let inner_start = open + 2;
        let Some(close) = text[inner_start..].find("}}") else {
            return Err(Diagnostic::error(
                Code::ExpressionSyntax,
                origin.span(open, 2),
                "`{{` is never closed",
            )
            .with_label("opened here")
            .with_help("close the expression with `}}`"));
        };
        let close = inner_start + close;
        let inner = &text[inner_start..close];
        if inner.trim().is_empty() {
            return Err(Diagnostic::error(
                Code::ExpressionSyntax,
                origin.span(open, close + 2 - open),
                "empty `{{ }}` in a template",
            )
            .with_help(
                "put a variable or expression between the braces, e.g. `{{ customerName }}`",
            ));
        }
        let expr = parse_expression_at(inner, origin, inner_start)?;
        parts.push(TemplatePart::Expr(expr));
        rest = close + 2;
    }
    if rest < text.len() {
        parts.push(TemplatePart::Text(text[rest..].to_string()));
    }
    Ok(Template {
        parts,
        span: origin.start,
    })
}

/// Parses a whole string as one expression.
pub fn parse_expression(text: &str, origin: Origin<'_>) -> Result<Expr, Diagnostic> {
    parse_expression_at(text, origin, 0)
}

fn parse_expression_at(text: &str, origin: Origin<'_>, base: usize) -> Result<Expr, Diagnostic> {
    let tokens = lex(text, origin, base)?;
    let mut parser = Parser {
        tokens,
        position: 0,
        origin,
        end: base + text.len(),
        depth: 0,
    };
    let expr = parser.or()?;
    match parser.peek() {
        None => Ok(expr),
        Some(token) => Err(parser.error_at(token, "unexpected `{}` after the expression")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(source: &str) -> Origin<'_> {
        Origin {
            source,
            start: Span::at(1, 1, 0, source.len()),
        }
    }

    #[test]
    fn parses_precedence() {
        let src = "context.turnCount > 8 && !empty(x) || a == 'b'";
        let e = parse_expression(src, origin(src)).unwrap();
        assert!(matches!(e.kind, ExprKind::Binary(BinaryOp::Or, _, _)));
    }

    #[test]
    fn reports_column_inside_string() {
        let src = "context.turnCount >> 8";
        let err = parse_expression(src, origin(src)).unwrap_err();
        assert_eq!(err.code, Code::ExpressionSyntax);
        assert_eq!(err.span.column, 20);
    }

    #[test]
    fn template_holes() {
        let src = "Your parcel is {{ parcelStatus }}.";
        let t = parse_template(src, origin(src)).unwrap();
        assert_eq!(t.parts.len(), 3);
        let mut vars = Vec::new();
        t.for_each_variable(&mut |v, s| vars.push((v.to_string(), s.column)));
        assert_eq!(vars, vec![("parcelStatus".to_string(), 19)]);
        assert!(parse_template("{{ x", origin("{{ x")).is_err());
    }

    #[test]
    fn long_chains_spend_the_depth_budget() {
        // A chain nests the tree one level per operand; code generation and the interpreter recurse on it.
        let long = vec!["a"; 5_000].join(" && ");
        let err = parse_expression(&long, origin(&long)).unwrap_err();
        assert_eq!(err.code, Code::ExpressionSyntax);
        assert!(err.message.contains("`&&` in a row"), "{}", err.message);
        let fine = vec!["a"; 20].join(" || ");
        assert!(parse_expression(&fine, origin(&fine)).is_ok());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let src = format!("{}x{}", "(".repeat(500), ")".repeat(500));
        assert!(parse_expression(&src, origin(&src)).is_err());
        let bangs = format!("{}x", "!".repeat(500));
        assert!(parse_expression(&bangs, origin(&bangs)).is_err());
    }
}
