//! Name tables of a flow: variables, intents, services, dialogs and blocks, plus target resolution.

use foldhash::{HashMap, HashMapExt};

use crate::ast::{Block, BlockKind, Dialog, Flow, GlobalBody, MAIN_DIALOG, Name};
use crate::diagnostic::{Code, Diagnostic, closest};

/// A block by dialog index and index inside the dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlockRef {
    /// Index into `Flow::dialogs`.
    pub dialog: usize,
    /// Index into `Dialog::blocks`.
    pub block: usize,
}

/// The flow's names, resolved once so every check is a lookup.
#[derive(Debug)]
pub struct Symbols<'f> {
    /// Variable name → index into `Flow::variables`.
    pub variables: HashMap<&'f str, usize>,
    /// Intent name → index into `Flow::intents`.
    pub intents: HashMap<&'f str, usize>,
    /// Service name → index into `Flow::services`.
    pub services: HashMap<&'f str, usize>,
    /// Dialog name → index into `Flow::dialogs`.
    pub dialogs: HashMap<&'f str, usize>,
    /// Per dialog: block name → block index (first definition wins).
    pub blocks: Vec<HashMap<&'f str, usize>>,
    /// The main dialog's index.
    pub main: Option<usize>,
    /// The Start Conversation block.
    pub start: Option<BlockRef>,
    /// The Global Intents block.
    pub global: Option<BlockRef>,
}

impl<'f> Symbols<'f> {
    /// Indexes `flow`; reports duplicate blocks, start and global problems.
    pub fn build(flow: &'f Flow, diagnostics: &mut Vec<Diagnostic>) -> Self {
        let index = |names: Vec<&'f str>| {
            let mut map = HashMap::with_capacity(names.len());
            for (i, n) in names.into_iter().enumerate() {
                map.entry(n).or_insert(i);
            }
            map
        };
        let mut symbols = Symbols {
            variables: index(flow.variables.iter().map(|v| v.name.as_str()).collect()),
            intents: index(flow.intents.iter().map(|i| i.name.as_str()).collect()),
            services: index(flow.services.iter().map(|s| s.name.as_str()).collect()),
            dialogs: index(flow.dialogs.iter().map(|d| d.name.as_str()).collect()),
            blocks: Vec::with_capacity(flow.dialogs.len()),
            main: None,
            start: None,
            global: None,
        };
        symbols.main = symbols.dialogs.get(MAIN_DIALOG).copied();
        for (d, dialog) in flow.dialogs.iter().enumerate() {
            let mut names: HashMap<&str, usize> = HashMap::with_capacity(dialog.blocks.len());
            for (b, block) in dialog.blocks.iter().enumerate() {
                if let Some(&first) = names.get(block.name.as_str()) {
                    diagnostics.push(
                        Diagnostic::error(
                            Code::DuplicateName,
                            block.name.span,
                            format!(
                                "block `{}` is defined twice in dialog `{}`",
                                block.name.text, dialog.name.text
                            ),
                        )
                        .with_label("second definition")
                        .with_related(dialog.blocks[first].name.span, "first defined here")
                        .with_help("rename one of the blocks"),
                    );
                } else {
                    names.insert(block.name.as_str(), b);
                }
                symbols.note_start_and_global(flow, d, b, block, diagnostics);
            }
            symbols.blocks.push(names);
        }
        match (symbols.main, symbols.start) {
            (None, _) => diagnostics.push(
                Diagnostic::error(
                    Code::MissingStart,
                    flow.name.span,
                    "the flow has no `main` dialog",
                )
                .with_label("no Start Conversation block")
                .with_help("add `dialogs: main: start: { say: …, on: … }`"),
            ),
            (Some(main), None) => diagnostics.push(
                Diagnostic::error(
                    Code::MissingStart,
                    flow.dialogs[main].name.span,
                    "the main dialog has no start block",
                )
                .with_label("no Start Conversation block")
                .with_help(
                    "add `start:` to the main dialog: the block every conversation begins with",
                ),
            ),
            _ => {}
        }
        symbols
    }

    fn note_start_and_global(
        &mut self,
        flow: &Flow,
        d: usize,
        b: usize,
        block: &Block,
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        let here = BlockRef {
            dialog: d,
            block: b,
        };
        let in_main = Some(d) == self.main;
        match &block.kind {
            BlockKind::Start(_) if !in_main => diagnostics.push(
                Diagnostic::error(
                    Code::DuplicateStart,
                    block.kind_span,
                    format!("dialog `{}` has a start block; only `main` may", flow.dialogs[d].name.text),
                )
                .with_label("start outside main")
                .with_help("a subdialog begins at its `entry:` block; turn this into a `state`"),
            ),
            BlockKind::Start(_) => match self.start {
                Some(first) => diagnostics.push(
                    Diagnostic::error(Code::DuplicateStart, block.kind_span, "a second start block")
                        .with_label("second start")
                        .with_related(self.block(flow, first).kind_span, "first start block")
                        .with_help("a flow has exactly one Start Conversation block; turn this one into a `state`"),
                ),
                None => self.start = Some(here),
            },
            BlockKind::Global(_) if !in_main => diagnostics.push(
                Diagnostic::error(
                    Code::GlobalOutsideMain,
                    block.kind_span,
                    format!("dialog `{}` has a global block; only `main` may", flow.dialogs[d].name.text),
                )
                .with_label("global outside main")
                .with_help("move these handlers into the main dialog's `global:`; they apply in subdialogs too"),
            ),
            BlockKind::Global(_) => match self.global {
                Some(first) => diagnostics.push(
                    Diagnostic::error(Code::DuplicateName, block.kind_span, "a second global block")
                        .with_related(self.block(flow, first).kind_span, "first global block")
                        .with_help("merge the two global blocks into one"),
                ),
                None => self.global = Some(here),
            },
            _ => {}
        }
    }

    /// The block at `at`.
    pub fn block<'a>(&self, flow: &'a Flow, at: BlockRef) -> &'a Block {
        &flow.dialogs[at.dialog].blocks[at.block]
    }

    /// The global block's body, when the main dialog has one.
    pub fn global_body<'a>(&self, flow: &'a Flow) -> Option<&'a GlobalBody> {
        match &self.block(flow, self.global?).kind {
            BlockKind::Global(body) => Some(body),
            _ => None,
        }
    }

    /// Resolves a target name inside dialog `dialog` without reporting.
    pub fn lookup(&self, dialog: usize, name: &str) -> Option<BlockRef> {
        self.blocks[dialog]
            .get(name)
            .map(|&block| BlockRef { dialog, block })
    }

    /// Resolves a target, reporting E010 (with a suggestion) when it does not name a block one can go to.
    pub fn resolve(
        &self,
        flow: &Flow,
        dialog: usize,
        target: &Name,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<BlockRef> {
        let dialog_ast: &Dialog = &flow.dialogs[dialog];
        match self.lookup(dialog, target.as_str()) {
            Some(found) => match self.block(flow, found).kind {
                BlockKind::Global(_) | BlockKind::Note { .. } => {
                    diagnostics.push(
                        Diagnostic::error(
                            Code::UnknownTarget,
                            target.span,
                            format!(
                                "`{}` is a {} block, which cannot be a target",
                                target.text,
                                self.block(flow, found).kind.keyword()
                            ),
                        )
                        .with_label("not a target")
                        .with_help("go to a state, service, condition, set, call, exit, back, transfer or end block"),
                    );
                    None
                }
                _ => Some(found),
            },
            None => {
                let candidates = dialog_ast
                    .blocks
                    .iter()
                    .filter(|b| !matches!(b.kind, BlockKind::Global(_) | BlockKind::Note { .. }))
                    .map(|b| b.name.as_str());
                let mut d = Diagnostic::error(
                    Code::UnknownTarget,
                    target.span,
                    format!(
                        "no block `{}` in dialog `{}`",
                        target.text, dialog_ast.name.text
                    ),
                )
                .with_label("unknown target");
                d = match closest(&target.text, candidates) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None if self.other_dialog_has(flow, dialog, &target.text) => d.with_help(
                        "that block is in another dialog; use `call:` to enter a subdialog and `exit:` to leave it",
                    ),
                    None => d.with_help("define the block under `blocks:` or fix the name"),
                };
                diagnostics.push(d);
                None
            }
        }
    }

    fn other_dialog_has(&self, flow: &Flow, dialog: usize, name: &str) -> bool {
        (0..flow.dialogs.len()).any(|d| d != dialog && self.blocks[d].contains_key(name))
    }
}
