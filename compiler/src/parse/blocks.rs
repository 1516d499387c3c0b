//! Dialogs and the frame every block shares: its key, its one kind key, its display name.

use super::kinds::{BLOCK_KINDS, Kind, Parts, lookup};
use super::reader::Reader;
use crate::ast::*;
use crate::diagnostic::{Code, Diagnostic, closest};
use crate::yaml::{Key, Node, Value};

pub(super) const DIALOG_KEYS: &[&str] = &["start", "global", "entry", "blocks"];

impl Reader<'_> {
    /// The `dialogs:` mapping: each dialog with its `start:`, `global:`, `entry:` and `blocks:`.
    pub(super) fn dialogs(&mut self, node: &Node) -> Vec<Dialog> {
        let mut out = Vec::new();
        for (key, value) in self.named_entries(node, "dialog") {
            let name = self.key_name(key, "dialog");
            let Some(f) = self.fields(value, &format!("dialog `{}`", name.text), DIALOG_KEYS)
            else {
                continue;
            };
            let mut blocks = Vec::new();
            if let (Some(k), Some(v)) = (f.key("start"), f.get("start")) {
                let body = self.state_body(v, "the start block");
                blocks.push(Block {
                    name: Name {
                        text: "start".into(),
                        span: k.span,
                    },
                    display_name: body.1,
                    kind: BlockKind::Start(body.0),
                    kind_span: k.span,
                });
            }
            if let (Some(k), Some(v)) = (f.key("global"), f.get("global")) {
                blocks.push(Block {
                    name: Name {
                        text: "global".into(),
                        span: k.span,
                    },
                    display_name: None,
                    kind: BlockKind::Global(self.global_body(v)),
                    kind_span: k.span,
                });
            }
            let entry = f.get("entry").and_then(|n| self.identifier(n, "block"));
            if let Some(node) = f.get("blocks") {
                for (key, value) in self.named_entries(node, "block") {
                    if let Some((code, what)) = lookup(&key.text).and_then(|k| k.reserved) {
                        self.reserved_block_name(key, code, what);
                        continue;
                    }
                    if let Some(block) = self.block(key, value) {
                        blocks.push(block);
                    }
                }
            }
            out.push(Dialog {
                name,
                entry,
                blocks,
            });
        }
        out
    }

    /// A block under `blocks:` named like a block the dialog holds directly (`what`).
    fn reserved_block_name(&mut self, key: &Key, code: Code, what: &str) {
        self.report(
            Diagnostic::error(
                code,
                key.span,
                format!("`{}` is reserved for {what}", key.text),
            )
            .with_label("reserved name")
            .with_help(format!(
                "rename this block; write {what} as `{}:` directly under the dialog",
                key.text
            )),
        );
    }

    /// A block; when its body is broken (already reported) the block still exists as a plain `end`, so
    /// the blocks that go to it do not report a second, misleading "unknown target".
    fn block(&mut self, key: &Key, node: &Node) -> Option<Block> {
        let block = self.block_inner(key, node);
        if block.is_some() {
            return block;
        }
        Some(Block {
            name: Name {
                text: key.text.clone(),
                span: key.span,
            },
            display_name: None,
            kind: BlockKind::End { say: None },
            kind_span: key.span,
        })
    }

    fn block_inner(&mut self, key: &Key, node: &Node) -> Option<Block> {
        let name = self.key_name(key, "block");
        let Value::Map(entries) = &node.value else {
            self.wrong_type(
                node,
                "a mapping with one kind key (state, end, service, …)",
                &format!("block `{}`", name.text),
            );
            return None;
        };
        let kinds: Vec<(&Key, &Kind)> = entries
            .iter()
            .filter_map(|(k, _)| lookup(&k.text).map(|kind| (k, kind)))
            .collect();
        let Some(&(kind_key, kind)) = kinds.first() else {
            let mut d = Diagnostic::error(
                Code::MissingKey,
                key.span,
                format!("block `{}` has no kind", name.text),
            )
            .with_label("what does this block do?");
            let unknown = entries
                .iter()
                .find_map(|(k, _)| closest(&k.text, BLOCK_KINDS.iter().copied()).map(|s| (k, s)));
            d = match unknown {
                Some((k, s)) => d.with_help(format!(
                    "`{}` is not a block kind; did you mean `{s}`?",
                    k.text
                )),
                None => d.with_help(format!("give the block one of: {}", BLOCK_KINDS.join(", "))),
            };
            self.report(d);
            return None;
        };
        if let Some((second, _)) = kinds.get(1) {
            self.report(
                Diagnostic::error(
                    Code::WrongType,
                    second.span,
                    format!(
                        "block `{}` has two kinds, `{}` and `{}`",
                        name.text, kind_key.text, second.text
                    ),
                )
                .with_related(kind_key.span, "first kind here")
                .with_help("split it into two blocks and link them with `goto`"),
            );
        }
        let what = format!("block `{}`", name.text);
        let fields = self.fields(node, &what, kind.keys)?;
        let body = fields.get(&kind_key.text)?;
        let display_name = fields
            .get("name")
            .and_then(|n| self.text(n, "a block's `name`"));
        let mut parts = Parts {
            fields: &fields,
            body,
            what: &what,
            display_name,
        };
        let kind = (kind.parse)(self, &mut parts)?;
        Some(Block {
            name,
            display_name: parts.display_name,
            kind,
            kind_span: kind_key.span,
        })
    }

    /// The display name of a block that may give `name:` both beside its kind key and inside its body.
    pub(super) fn one_name(&mut self, outer: Option<Name>, inner: Option<Name>) -> Option<Name> {
        match (outer, inner) {
            (Some(outer), Some(inner)) => {
                self.report(
                    Diagnostic::error(
                        Code::DuplicateName,
                        inner.span,
                        "the block's `name` is given twice",
                    )
                    .with_related(outer.span, "also given here")
                    .with_help("keep one `name:`"),
                );
                Some(outer)
            }
            (outer, inner) => outer.or(inner),
        }
    }
}
