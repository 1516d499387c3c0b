//! The bodies of the block kinds that have their own shape: condition, end/back, transfer.

use super::reader::Reader;
use crate::ast::*;
use crate::diagnostic::{Code, Diagnostic};
use crate::expr::{Expr, Template};
use crate::yaml::{Node, Value};

impl Reader<'_> {
    pub(super) fn condition(&mut self, node: &Node) -> Option<BlockKind> {
        let Value::Seq(items) = &node.value else {
            self.wrong_type(
                node,
                "a list of `{ when, goto }` ending with `{ else }`",
                "a condition",
            );
            return None;
        };
        let mut arms = Vec::new();
        let mut otherwise = None;
        for item in items {
            let Some(f) = self.fields(item, "a condition arm", &["when", "goto", "else"]) else {
                continue;
            };
            if let Some(target) = f.get("else") {
                if f.get("when").is_some() || f.get("goto").is_some() {
                    self.report(
                        Diagnostic::error(
                            Code::WrongType,
                            item.span,
                            "an `else` arm has no `when` or `goto`",
                        )
                        .with_help("write the fallback as `- else: target`"),
                    );
                }
                otherwise = self.identifier(target, "target block");
                continue;
            }
            // An arm whose expression does not parse keeps its target, so the graph checks do not report
            // follow-on problems (an "unreachable" target) for one typo.
            let when = self.require(&f, "when", "a condition arm").map(|n| {
                self.expression(n, "`when`").unwrap_or(Expr {
                    kind: crate::expr::ExprKind::Bool(false),
                    span: n.span,
                })
            });
            let goto = self
                .require(&f, "goto", "a condition arm")
                .and_then(|n| self.identifier(n, "target block"));
            if let (Some(when), Some(goto)) = (when, goto) {
                arms.push(ConditionArm { when, goto });
            }
        }
        Some(BlockKind::Condition { arms, otherwise })
    }

    pub(super) fn say_only(&mut self, node: &Node, what: &str) -> (Option<Template>, Option<Name>) {
        match &node.value {
            Value::Null => (None, None),
            Value::Scalar(_) => (self.template(node, "`say`"), None),
            _ => match self.fields(node, what, &["say", "name"]) {
                Some(f) => (
                    f.get("say").and_then(|n| self.template(n, "`say`")),
                    f.get("name").and_then(|n| self.text(n, "a block's `name`")),
                ),
                None => (None, None),
            },
        }
    }

    pub(super) fn transfer(
        &mut self,
        node: &Node,
        what: &str,
        display_name: &mut Option<Name>,
    ) -> Option<BlockKind> {
        let f = self.fields(node, what, &["say", "refer_to", "headers", "name"])?;
        let inner = f.get("name").and_then(|n| self.text(n, "a block's `name`"));
        *display_name = self.one_name(display_name.take(), inner);
        let say = f.get("say").and_then(|n| self.template(n, "`say`"));
        let refer_to = self
            .require(&f, "refer_to", "a transfer")
            .and_then(|n| self.template(n, "`refer_to`"));
        let mut headers = Vec::new();
        if let Some(node) = f.get("headers") {
            for (key, value) in self.named_entries(node, "SIP header") {
                if let Some(value) = self.template(value, "a SIP header value") {
                    headers.push((
                        Name {
                            text: key.text.clone(),
                            span: key.span,
                        },
                        value,
                    ));
                }
            }
        }
        Some(BlockKind::Transfer {
            say,
            refer_to: refer_to?,
            headers,
        })
    }
}
