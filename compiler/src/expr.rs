//! Expressions (`context.turnCount > 8 && !empty(trackingNumber)`) and templates (`Hello {{ name }}`).
//!
//! Both are parsed at compile time; a syntax error points at the column inside the YAML string.

use crate::diagnostic::{Code, Diagnostic, Span};

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

pub use flowc_runtime::flow::ContextField;

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

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(String),
    Op(&'static str),
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    at: usize,
    len: usize,
}

const OPERATORS: &[&str] = &[
    "==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "(", ")", ",", ".",
];

fn lex(text: &str, origin: Origin<'_>, base: usize) -> Result<Vec<Token>, Diagnostic> {
    let mut tokens = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let at = base + i;
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'\'' || c == b'"' {
            let Some(close) = text[i + 1..].find(c as char) else {
                return Err(Diagnostic::error(
                    Code::ExpressionSyntax,
                    origin.span(at, 1),
                    "string literal is never closed",
                )
                .with_label("opened here")
                .with_help(format!("close it with a matching {}", c as char)));
            };
            let value = &text[i + 1..i + 1 + close];
            tokens.push(Token {
                tok: Tok::Str(value.to_string()),
                at,
                len: close + 2,
            });
            i += close + 2;
        } else if c.is_ascii_digit() {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
                i += 1;
            }
            let number = &text[start..i];
            if number.parse::<f64>().is_err() || number.ends_with('.') {
                return Err(Diagnostic::error(
                    Code::ExpressionSyntax,
                    origin.span(at, i - start),
                    format!("`{number}` is not a number"),
                )
                .with_help("numbers look like `42` or `4.5`"));
            }
            tokens.push(Token {
                tok: Tok::Num(number.to_string()),
                at,
                len: i - start,
            });
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            tokens.push(Token {
                tok: Tok::Ident(text[start..i].to_string()),
                at,
                len: i - start,
            });
        } else if let Some(op) = OPERATORS.iter().find(|op| text[i..].starts_with(**op)) {
            tokens.push(Token {
                tok: Tok::Op(op),
                at,
                len: op.len(),
            });
            i += op.len();
        } else {
            let ch = text[i..].chars().next().unwrap_or('?');
            let help = match ch {
                '=' => "compare with `==`; assignments belong in `set:`",
                '&' => "use `&&` for \"and\"",
                '|' => "use `||` for \"or\"",
                _ => {
                    "expressions use variables, `slots.x`, `context.x`, literals, comparisons, && || ! and ()"
                }
            };
            return Err(Diagnostic::error(
                Code::ExpressionSyntax,
                origin.span(at, ch.len_utf8()),
                format!("unexpected character `{ch}` in expression"),
            )
            .with_help(help));
        }
    }
    // `=` alone and `&`/`|` alone are caught above; `>>` lexes as two `>` and fails in the parser.
    Ok(tokens)
}

/// Nesting deeper than this is rejected rather than risking the stack.
const MAX_DEPTH: usize = 64;

struct Parser<'s> {
    tokens: Vec<Token>,
    position: usize,
    origin: Origin<'s>,
    end: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.position)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.position).cloned();
        self.position += 1;
        token
    }

    fn at_op(&self, op: &str) -> bool {
        matches!(self.peek(), Some(Token { tok: Tok::Op(o), .. }) if *o == op)
    }

    fn error_at(&self, token: &Token, message: &str) -> Diagnostic {
        let shown = match &token.tok {
            Tok::Ident(s) | Tok::Num(s) => s.clone(),
            Tok::Str(s) => format!("'{s}'"),
            Tok::Op(o) => o.to_string(),
        };
        Diagnostic::error(
            Code::ExpressionSyntax,
            self.origin.span(token.at, token.len),
            message.replace("{}", &shown),
        )
        .with_help("expressions look like `context.turnCount > 8 && !empty(trackingNumber)`")
    }

    fn error_at_end(&self, message: &str) -> Diagnostic {
        Diagnostic::error(
            Code::ExpressionSyntax,
            self.origin.span(self.end, 0),
            message,
        )
        .with_label("the expression ends here")
        .with_help("complete the expression")
    }

    fn span_from(&self, start: usize) -> Span {
        let end = self
            .tokens
            .get(self.position.saturating_sub(1))
            .map(|t| t.at + t.len)
            .unwrap_or(start);
        self.origin.span(start, end.saturating_sub(start))
    }

    fn binary(
        &mut self,
        op: &str,
        kind: BinaryOp,
        operand: fn(&mut Self) -> Result<Expr, Diagnostic>,
    ) -> Result<Expr, Diagnostic> {
        let start = self.peek().map(|t| t.at).unwrap_or(self.end);
        let mut left = operand(self)?;
        // Every operand of a chain nests the tree one level deeper (`(a && b) && c`), and later stages
        // walk it recursively: a chain spends the same depth budget as parentheses.
        let outer = self.depth;
        while self.at_op(op) {
            let Some(operator) = self.next() else { break };
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(self
                    .error_at(&operator, "too many `{}` in a row")
                    .with_help(format!(
                        "an expression nests at most {MAX_DEPTH} levels, each operand of a `&&` or `||` \
                         chain counting as one; split the condition over several `when:` branches or \
                         variables"
                    )));
            }
            let right = operand(self)?;
            left = Expr {
                kind: ExprKind::Binary(kind, Box::new(left), Box::new(right)),
                span: self.span_from(start),
            };
        }
        self.depth = outer;
        Ok(left)
    }

    fn or(&mut self) -> Result<Expr, Diagnostic> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error_at_end("expression is nested too deeply"));
        }
        let result = self.binary("||", BinaryOp::Or, Self::and);
        self.depth -= 1;
        result
    }

    fn and(&mut self) -> Result<Expr, Diagnostic> {
        self.binary("&&", BinaryOp::And, Self::unary)
    }

    fn unary(&mut self) -> Result<Expr, Diagnostic> {
        if self.at_op("!") {
            let start = self.next().map(|t| t.at).unwrap_or(self.end);
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(self.error_at_end("expression is nested too deeply"));
            }
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Expr {
                kind: ExprKind::Not(Box::new(inner)),
                span: self.span_from(start),
            });
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Expr, Diagnostic> {
        let start = self.peek().map(|t| t.at).unwrap_or(self.end);
        let left = self.primary()?;
        let op = match self.peek() {
            Some(Token {
                tok: Tok::Op(o), ..
            }) => match *o {
                "==" => Some(BinaryOp::Eq),
                "!=" => Some(BinaryOp::Ne),
                "<" => Some(BinaryOp::Lt),
                "<=" => Some(BinaryOp::Le),
                ">" => Some(BinaryOp::Gt),
                ">=" => Some(BinaryOp::Ge),
                _ => None,
            },
            _ => None,
        };
        let Some(op) = op else { return Ok(left) };
        self.next();
        let right = self.primary()?;
        Ok(Expr {
            kind: ExprKind::Binary(op, Box::new(left), Box::new(right)),
            span: self.span_from(start),
        })
    }

    fn primary(&mut self) -> Result<Expr, Diagnostic> {
        let Some(token) = self.next() else {
            return Err(self.error_at_end("expected a value, found the end of the expression"));
        };
        let span = self.origin.span(token.at, token.len);
        let kind = match &token.tok {
            Tok::Str(s) => ExprKind::Str(s.clone()),
            Tok::Num(n) => ExprKind::Num(n.clone()),
            Tok::Op("(") => {
                let inner = self.or()?;
                if !self.at_op(")") {
                    return Err(match self.peek() {
                        Some(t) => self.error_at(t, "expected `)`, found `{}`"),
                        None => self.error_at_end("expected `)` to close the parenthesis"),
                    });
                }
                self.next();
                return Ok(inner);
            }
            Tok::Op(_) => return Err(self.error_at(&token, "expected a value, found `{}`")),
            Tok::Ident(name) => return self.named(name.clone(), token.at, span),
        };
        Ok(Expr { kind, span })
    }

    fn named(&mut self, name: String, start: usize, span: Span) -> Result<Expr, Diagnostic> {
        if self.at_op("(") {
            return self.call(&name, start, span);
        }
        if self.at_op(".") {
            self.next();
            let field = match self.next() {
                Some(Token {
                    tok: Tok::Ident(f), ..
                }) => f,
                Some(t) => {
                    return Err(self.error_at(&t, "expected a field name after `.`, found `{}`"));
                }
                None => return Err(self.error_at_end("expected a field name after `.`")),
            };
            let span = self.span_from(start);
            let kind = match name.as_str() {
                "slots" => ExprKind::Slot(field),
                "intent" if field == "name" => ExprKind::IntentName,
                "context" => match ContextField::ALL.iter().find(|(n, _)| *n == field) {
                    Some((_, f)) => ExprKind::Context(*f),
                    None => {
                        let names: Vec<&str> = ContextField::ALL.iter().map(|(n, _)| *n).collect();
                        return Err(Diagnostic::error(
                            Code::ExpressionSyntax,
                            span,
                            format!("`context.{field}` does not exist"),
                        )
                        .with_help(format!("context fields are: {}", names.join(", "))));
                    }
                },
                _ => {
                    return Err(Diagnostic::error(
                        Code::ExpressionSyntax,
                        span,
                        format!("`{name}.{field}` is not something an expression can read"),
                    )
                    .with_help("only `slots.NAME`, `context.NAME` and `intent.name` have fields"));
                }
            };
            return Ok(Expr { kind, span });
        }
        let kind = match name.as_str() {
            "true" => ExprKind::Bool(true),
            "false" => ExprKind::Bool(false),
            "dtmf" => ExprKind::Dtmf,
            _ => ExprKind::Var(name),
        };
        Ok(Expr { kind, span })
    }

    fn call(&mut self, name: &str, start: usize, span: Span) -> Result<Expr, Diagnostic> {
        let function = match name {
            "empty" => Function::Empty,
            "contains" => Function::Contains,
            "matches" => Function::Matches,
            _ => {
                return Err(Diagnostic::error(
                    Code::ExpressionSyntax,
                    span,
                    format!("unknown function `{name}`"),
                )
                .with_help(
                    "the functions are empty(x), contains(haystack, needle), matches(x, 'pattern')",
                ));
            }
        };
        self.next(); // (
        let mut args = Vec::new();
        if !self.at_op(")") {
            loop {
                args.push(self.or()?);
                if self.at_op(",") {
                    self.next();
                    continue;
                }
                break;
            }
        }
        if !self.at_op(")") {
            return Err(match self.peek() {
                Some(t) => self.error_at(t, "expected `,` or `)`, found `{}`"),
                None => self.error_at_end("expected `)` to close the call"),
            });
        }
        self.next();
        let span = self.span_from(start);
        if args.len() != function.arity() {
            return Err(Diagnostic::error(
                Code::ExpressionSyntax,
                span,
                format!(
                    "`{}` takes {} argument(s), found {}",
                    function.as_str(),
                    function.arity(),
                    args.len()
                ),
            )
            .with_help(
                "the functions are empty(x), contains(haystack, needle), matches(x, 'pattern')",
            ));
        }
        if function == Function::Matches && !matches!(args[1].kind, ExprKind::Str(_)) {
            return Err(Diagnostic::error(
                Code::ExpressionSyntax,
                args[1].span,
                "the pattern of `matches` must be a string literal",
            )
            .with_help("patterns are checked at compile time, e.g. matches(zip, '[0-9]{5}')"));
        }
        Ok(Expr {
            kind: ExprKind::Call(function, args),
            span,
        })
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
