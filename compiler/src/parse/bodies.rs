//! The bodies of state, start and global blocks and the actions their handlers take.

use super::reader::{Fields, Reader};
use crate::ast::*;
use crate::diagnostic::Span;
use crate::yaml::{Node, Value};

pub(super) const STATE_KEYS: &[&str] = &["id", "name", "say", "reprompt", "on", "else", "dtmf"];
pub(super) const GLOBAL_KEYS: &[&str] = &["on", "else", "on_error"];
pub(super) const ACTION_KEYS: &[&str] = &["say", "set", "goto"];
pub(super) const DTMF_KEYS: &[&str] = &["match", "say", "set", "goto"];

impl Reader<'_> {
    /// The body of a state or start block, and the `name:` written inside it.
    pub(super) fn state_body(&mut self, node: &Node, what: &str) -> (StateBody, Option<Name>) {
        let mut body = StateBody::default();
        let Some(f) = self.fields(node, what, STATE_KEYS) else {
            return (body, None);
        };
        body.id = f.get("id").and_then(|n| self.text(n, "a state `id`"));
        let name = f.get("name").and_then(|n| self.text(n, "a state `name`"));
        if let Some(say) = f.get("say") {
            body.prompts = match &say.value {
                Value::Seq(items) => items
                    .iter()
                    .filter_map(|i| self.template(i, "a prompt"))
                    .collect(),
                _ => self.template(say, "a prompt").into_iter().collect(),
            };
        }
        body.reprompt = f
            .get("reprompt")
            .and_then(|n| self.template(n, "`reprompt`"));
        body.on = f.get("on").map(|n| self.handlers(n)).unwrap_or_default();
        body.otherwise = f.get("else").and_then(|n| self.action(n));
        if let Some(dtmf) = f.get("dtmf") {
            let items: Vec<&Node> = match &dtmf.value {
                Value::Seq(items) => items.iter().collect(),
                _ => vec![dtmf],
            };
            for item in items {
                let Some(df) = self.fields(item, "a dtmf handler", DTMF_KEYS) else {
                    continue;
                };
                let Some(pattern) = self
                    .require(&df, "match", "a dtmf handler")
                    .and_then(|n| self.text(n, "a dtmf `match`"))
                else {
                    continue;
                };
                let action = self.action_fields(&df, item.span);
                body.dtmf.push(DtmfHandler { pattern, action });
            }
        }
        (body, name)
    }

    /// The body of the Global Intents block.
    pub(super) fn global_body(&mut self, node: &Node) -> GlobalBody {
        let mut body = GlobalBody::default();
        let Some(f) = self.fields(node, "the global block", GLOBAL_KEYS) else {
            return body;
        };
        body.on = f.get("on").map(|n| self.handlers(n)).unwrap_or_default();
        body.otherwise = f.get("else").and_then(|n| self.action(n));
        body.on_error = f
            .get("on_error")
            .and_then(|n| self.identifier(n, "target block"));
        body
    }

    fn handlers(&mut self, node: &Node) -> Vec<Handler> {
        let mut out = Vec::new();
        for (key, value) in self.named_entries(node, "handler for intent") {
            if let Some(action) = self.action(value) {
                out.push(Handler {
                    intent: Name {
                        text: key.text.clone(),
                        span: key.span,
                    },
                    action,
                });
            }
        }
        out
    }

    fn action(&mut self, node: &Node) -> Option<Action> {
        match &node.value {
            Value::Scalar(_) => Some(Action {
                say: None,
                set: Vec::new(),
                goto: self.identifier(node, "target block"),
                span: node.span,
            }),
            Value::Map(_) => {
                let f = self.fields(node, "an action", ACTION_KEYS)?;
                self.require(&f, "goto", "an action");
                Some(self.action_fields(&f, node.span))
            }
            _ => {
                self.wrong_type(node, "a block name or `{ say, set, goto }`", "an action");
                None
            }
        }
    }

    fn action_fields(&mut self, f: &Fields<'_>, span: Span) -> Action {
        Action {
            say: f.get("say").and_then(|n| self.template(n, "`say`")),
            set: f
                .get("set")
                .map(|n| self.assignments(n))
                .unwrap_or_default(),
            goto: f
                .get("goto")
                .and_then(|n| self.identifier(n, "target block")),
            span,
        }
    }

    /// `variable: template` entries of a `set:`.
    pub(super) fn assignments(&mut self, node: &Node) -> Vec<Assignment> {
        let mut out = Vec::new();
        for (key, value) in self.named_entries(node, "assignment to") {
            let variable = self.key_name(key, "variable");
            if let Some(value) = self.template(value, "an assigned value") {
                out.push(Assignment { variable, value });
            }
        }
        out
    }

    /// `on:` of a service or call block: branch or outcome → target block.
    pub(super) fn branch_map(&mut self, node: Option<&Node>) -> Vec<(Name, Name)> {
        let Some(node) = node else { return Vec::new() };
        let mut out = Vec::new();
        for (key, value) in self.named_entries(node, "branch") {
            if let Some(target) = self.identifier(value, "target block") {
                out.push((
                    Name {
                        text: key.text.clone(),
                        span: key.span,
                    },
                    target,
                ));
            }
        }
        out
    }
}
