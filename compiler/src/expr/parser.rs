//! Tokens to an expression tree: precedence climbing with a nesting budget.

use super::lex::{Tok, Token};
use super::{BinaryOp, ContextField, Expr, ExprKind, Function, Origin};
use crate::diagnostic::{Code, Diagnostic, Span};

/// Nesting deeper than this is rejected rather than risking the stack.
const MAX_DEPTH: usize = 64;

pub(super) struct Parser<'s> {
    pub(super) tokens: Vec<Token>,
    pub(super) position: usize,
    pub(super) origin: Origin<'s>,
    pub(super) end: usize,
    pub(super) depth: usize,
}

impl Parser<'_> {
    pub(super) fn peek(&self) -> Option<&Token> {
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

    pub(super) fn error_at(&self, token: &Token, message: &str) -> Diagnostic {
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

    pub(super) fn or(&mut self) -> Result<Expr, Diagnostic> {
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
