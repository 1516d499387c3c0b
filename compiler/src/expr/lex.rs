//! Expression text to tokens, each with its byte offset for located errors.

use super::Origin;
use crate::diagnostic::{Code, Diagnostic};

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    Ident(String),
    Str(String),
    Num(String),
    Op(&'static str),
}

#[derive(Debug, Clone)]
pub(super) struct Token {
    pub(super) tok: Tok,
    pub(super) at: usize,
    pub(super) len: usize,
}

const OPERATORS: &[&str] = &[
    "==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "(", ")", ",", ".",
];

pub(super) fn lex(text: &str, origin: Origin<'_>, base: usize) -> Result<Vec<Token>, Diagnostic> {
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
