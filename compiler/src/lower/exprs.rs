//! Lowering templates and expressions: variables resolved to their ids, the escaping decision made once
//! (`ir::Template::prompt`), and every `matches()` and DTMF pattern interned in the flow's pattern table.

use super::Lowering;
use crate::ast;
use crate::diagnostic::Diagnostic;
use crate::expr::{self, ExprKind, Function, TemplatePart};
use crate::ir::{self, PatternId, VarId};

impl<'f> Lowering<'_, 'f> {
    /// The id of `pattern` in the flow's pattern table, added on first use.
    pub(super) fn pattern(&mut self, pattern: &'f str) -> PatternId {
        if let Some(&id) = self.pattern_ids.get(pattern) {
            return id;
        }
        let id = self.patterns.push(pattern.to_string());
        self.pattern_ids.insert(pattern, id);
        id
    }

    pub(super) fn assignments(
        &mut self,
        assignments: &'f [ast::Assignment],
    ) -> Result<Vec<(VarId, ir::Template)>, Diagnostic> {
        assignments
            .iter()
            .map(|a| Ok((self.variable(&a.variable.text)?, self.template(&a.value)?)))
            .collect()
    }

    /// A `say` or `reprompt`, if there is one.
    pub(super) fn optional_prompt(
        &mut self,
        t: &'f Option<expr::Template>,
    ) -> Result<Option<ir::Template>, Diagnostic> {
        t.as_ref().map(|t| self.prompt(t)).transpose()
    }

    /// Something the bot says: its values are escaped on phone turns.
    pub(super) fn prompt(&mut self, t: &'f expr::Template) -> Result<ir::Template, Diagnostic> {
        Ok(ir::Template {
            prompt: true,
            ..self.template(t)?
        })
    }

    /// Any other template (`set`, `refer_to`, SIP headers): its values are filled in as they are.
    pub(super) fn template(&mut self, t: &'f expr::Template) -> Result<ir::Template, Diagnostic> {
        Ok(ir::Template {
            prompt: false,
            parts: t
                .parts
                .iter()
                .map(|p| {
                    Ok(match p {
                        TemplatePart::Text(s) => ir::Part::Text(s.clone()),
                        TemplatePart::Expr(e) => ir::Part::Expr(self.expr(e)?),
                    })
                })
                .collect::<Result<_, Diagnostic>>()?,
        })
    }

    pub(super) fn expr(&mut self, e: &'f expr::Expr) -> Result<ir::Expr, Diagnostic> {
        let boxed = |e: ir::Expr| Box::new(e);
        Ok(match &e.kind {
            ExprKind::Var(name) => ir::Expr::Var(self.variable(name)?),
            ExprKind::Slot(s) => ir::Expr::Slot(s.clone()),
            ExprKind::Context(c) => ir::Expr::Context(*c),
            ExprKind::IntentName => ir::Expr::IntentName,
            ExprKind::Dtmf => ir::Expr::Dtmf,
            ExprKind::Str(s) => ir::Expr::Str(s.clone()),
            ExprKind::Num(n) => ir::Expr::Num(n.clone()),
            ExprKind::Bool(b) => ir::Expr::Bool(*b),
            ExprKind::Not(inner) => ir::Expr::Not(boxed(self.expr(inner)?)),
            ExprKind::Binary(op, a, b) => {
                ir::Expr::Binary(*op, boxed(self.expr(a)?), boxed(self.expr(b)?))
            }
            ExprKind::Call(f, args) => match (f, args.as_slice()) {
                (Function::Empty, [value]) => ir::Expr::Empty(boxed(self.expr(value)?)),
                (Function::Contains, [haystack, needle]) => {
                    ir::Expr::Contains(boxed(self.expr(haystack)?), boxed(self.expr(needle)?))
                }
                (
                    Function::Matches,
                    [
                        value,
                        expr::Expr {
                            kind: ExprKind::Str(pattern),
                            ..
                        },
                    ],
                ) => ir::Expr::Matches(boxed(self.expr(value)?), self.pattern(pattern)),
                _ => {
                    return Err(super::internal(
                        self.flow,
                        &format!("the arguments of `{}`", f.as_str()),
                    ));
                }
            },
        })
    }
}
