//! The table of block kinds: for each key that gives a block its kind, the keys such a block may hold, how
//! its body is read, and whether the dialog holds it directly. The kind list for "has no kind" and "did you
//! mean", the allowed keys and the parsing all come from this one table, so adding a kind is one entry.

use super::reader::{Fields, Reader};
use crate::ast::*;
use crate::diagnostic::{Code, Diagnostic};
use crate::expr::{Expr, Template};
use crate::yaml::{Node, Value};

/// One block kind.
pub(super) struct Kind {
    /// The key that gives a block this kind.
    pub(super) name: &'static str,
    /// Every key a block of this kind may hold, in the order "the keys allowed here" lists them.
    pub(super) keys: &'static [&'static str],
    /// Reads the body; `None` when it is too broken to use (already reported).
    pub(super) parse: fn(&mut Reader<'_>, &mut Parts<'_, '_>) -> Option<BlockKind>,
    /// For the kinds a dialog holds directly (`start:`, `global:`), the code and the words reported when a
    /// block under `blocks:` takes the key as its name.
    pub(super) reserved: Option<(Code, &'static str)>,
}

/// What a kind's parser reads: the block's checked fields and the body under its kind key.
pub(super) struct Parts<'a, 'n> {
    /// The block's fields, already checked against the kind's keys.
    pub(super) fields: &'a Fields<'n>,
    /// The value of the kind key.
    pub(super) body: &'n Node,
    /// "block `name`", for messages.
    pub(super) what: &'a str,
    /// The block's `name:`; kinds whose body may also hold a `name:` merge it in.
    pub(super) display_name: Option<Name>,
}

/// A kind that a dialog does not hold directly.
const fn kind(
    name: &'static str,
    keys: &'static [&'static str],
    parse: fn(&mut Reader<'_>, &mut Parts<'_, '_>) -> Option<BlockKind>,
) -> Kind {
    Kind {
        name,
        keys,
        parse,
        reserved: None,
    }
}

/// The block kinds, in the order "did you mean" tries them and the "has no kind" help lists them.
const KINDS: &[Kind] = &[
    kind("state", &["state", "name"], |r, p| {
        Some(BlockKind::State(state_with_name(r, p)))
    }),
    kind("end", &["end", "name"], |r, p| {
        Some(BlockKind::End {
            say: say_with_name(r, p),
        })
    }),
    // `service` and `call` allow each other's key: a block with both is reported once, as having two kinds,
    // not also for an unknown key.
    kind("service", &["service", "call", "on", "name"], |r, p| {
        Some(BlockKind::Service {
            service: r.identifier(p.body, "service")?,
            on: r.branch_map(p.fields.get("on")),
        })
    }),
    kind("condition", &["condition", "name"], |r, p| {
        r.condition(p.body)
    }),
    kind("set", &["set", "goto", "name"], |r, p| {
        Some(BlockKind::Set {
            assignments: r.assignments(p.body),
            goto: p
                .fields
                .get("goto")
                .and_then(|n| r.identifier(n, "target block")),
        })
    }),
    kind("call", &["service", "call", "on", "name"], |r, p| {
        Some(BlockKind::Call {
            dialog: r.identifier(p.body, "dialog")?,
            on: r.branch_map(p.fields.get("on")),
        })
    }),
    kind("exit", &["exit", "name"], |r, p| r.exit(p.body)),
    kind("back", &["back", "name"], |r, p| {
        Some(BlockKind::Back {
            say: say_with_name(r, p),
        })
    }),
    kind("transfer", &["transfer", "name"], |r, p| {
        r.transfer(p.body, p.what, &mut p.display_name)
    }),
    kind("note", &["note", "name"], |r, p| {
        Some(BlockKind::Note {
            text: r.text(p.body, "a note").map(|n| n.text).unwrap_or_default(),
        })
    }),
    Kind {
        reserved: Some((Code::DuplicateStart, "the Start Conversation block")),
        ..kind("start", &["start", "name"], |r, p| {
            Some(BlockKind::Start(state_with_name(r, p)))
        })
    },
    // The Global Intents block has no display name.
    Kind {
        reserved: Some((Code::GlobalOutsideMain, "the Global Intents block")),
        ..kind("global", &["global"], |r, p| {
            Some(BlockKind::Global(r.global_body(p.body)))
        })
    },
];

// Derived at compile time so `BLOCK_KINDS` stays a public constant and cannot drift from the table.
const NAMES: [&str; KINDS.len()] = {
    let mut names = [""; KINDS.len()];
    let mut i = 0;
    while i < KINDS.len() {
        names[i] = KINDS[i].name;
        i += 1;
    }
    names
};

/// The keys that give a block its kind.
pub const BLOCK_KINDS: &[&str] = &NAMES;

/// The kind `key` gives a block, if it is a kind key.
pub(super) fn lookup(key: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.name == key)
}

/// A state or start body; a `name:` inside it is the block's display name.
fn state_with_name(r: &mut Reader<'_>, p: &mut Parts<'_, '_>) -> StateBody {
    let (body, inner) = r.state_body(p.body, p.what);
    p.display_name = r.one_name(p.display_name.take(), inner);
    body
}

/// An end or back body; a `name:` inside it is the block's display name.
fn say_with_name(r: &mut Reader<'_>, p: &mut Parts<'_, '_>) -> Option<Template> {
    let (say, inner) = r.say_only(p.body, p.what);
    p.display_name = r.one_name(p.display_name.take(), inner);
    say
}

impl Reader<'_> {
    /// `condition:` — `when` arms in order, then an `else` arm.
    fn condition(&mut self, node: &Node) -> Option<BlockKind> {
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

    /// `exit: success` or `exit: failure`.
    fn exit(&mut self, node: &Node) -> Option<BlockKind> {
        let outcome = self.text(node, "`exit`")?;
        let outcome = match outcome.text.as_str() {
            "success" => Outcome::Success,
            "failure" => Outcome::Failure,
            other => {
                self.report(
                    Diagnostic::error(
                        Code::WrongType,
                        outcome.span,
                        format!("unknown exit outcome `{other}`"),
                    )
                    .with_help("a subdialog exits with `success` or `failure`"),
                );
                return None;
            }
        };
        Some(BlockKind::Exit { outcome })
    }

    /// The body of `end` and `back`: nothing, a prompt, or `{ say, name }`.
    fn say_only(&mut self, node: &Node, what: &str) -> (Option<Template>, Option<Name>) {
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

    /// `transfer: { say, refer_to, headers, name }`.
    fn transfer(
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
