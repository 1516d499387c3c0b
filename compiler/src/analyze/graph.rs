//! The flow as a graph of blocks, and the checks on its shape: unreachable blocks (W018) and cycles that
//! never wait for the caller (E017). The `PARLOA.EndConversation` path walks the same graph in
//! [`super::ending`]. All walks are iterative and linear.

use super::symbols::{BlockRef, Symbols};
use crate::ast::*;
use crate::diagnostic::{Code, Diagnostic};

pub(super) fn run(flow: &Flow, symbols: &Symbols<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let graph = Graph::build(flow, symbols);
    graph.unreachable(flow, symbols, diagnostics);
    graph.non_waiting_cycles(flow, diagnostics);
    super::ending::run(&graph, flow, symbols, diagnostics);
}

/// Blocks numbered across dialogs, with their successors.
pub(super) struct Graph {
    /// Index of each dialog's first block in the flat numbering.
    offsets: Vec<usize>,
    /// The block behind each node number.
    pub(super) refs: Vec<BlockRef>,
    /// Every block a block can lead to (for reachability).
    successors: Vec<Vec<usize>>,
    /// The blocks a non-waiting block runs next within the same turn.
    pub(super) instant: Vec<Vec<usize>>,
}

impl Graph {
    fn build(flow: &Flow, symbols: &Symbols<'_>) -> Graph {
        let mut offsets = Vec::with_capacity(flow.dialogs.len());
        let mut refs = Vec::new();
        for (d, dialog) in flow.dialogs.iter().enumerate() {
            offsets.push(refs.len());
            refs.extend((0..dialog.blocks.len()).map(|b| BlockRef {
                dialog: d,
                block: b,
            }));
        }
        let mut graph = Graph {
            offsets,
            successors: vec![Vec::new(); refs.len()],
            instant: vec![Vec::new(); refs.len()],
            refs,
        };
        let on_error = symbols
            .global_body(flow)
            .and_then(|g| g.on_error.as_ref())
            .and_then(|t| graph.target(flow, symbols, symbols.main?, t));
        // First pass with calls passing straight through; then calls into subdialogs that always wait are
        // cut from the instant edges, so a loop around such a call is not a non-waiting cycle.
        for node in 0..graph.refs.len() {
            graph.edges(flow, symbols, node, on_error);
        }
        let passes_through = graph.dialogs_exiting_without_wait(flow, symbols);
        for node in 0..graph.refs.len() {
            if let BlockKind::Call { dialog, .. } = &symbols.block(flow, graph.refs[node]).kind
                && let Some(&callee) = symbols.dialogs.get(dialog.as_str())
                && !passes_through[callee]
            {
                let entry = graph.entry(flow, symbols, callee);
                graph.instant[node].retain(|n| Some(*n) == entry);
            }
        }
        graph
    }

    fn index(&self, at: BlockRef) -> usize {
        self.offsets[at.dialog] + at.block
    }

    /// The node `name` names in `dialog`, if it is a block a path can go to.
    pub(super) fn target(
        &self,
        flow: &Flow,
        symbols: &Symbols<'_>,
        dialog: usize,
        name: &Name,
    ) -> Option<usize> {
        let found = symbols.lookup(dialog, name.as_str())?;
        match symbols.block(flow, found).kind {
            BlockKind::Global(_) | BlockKind::Note { .. } => None,
            _ => Some(self.index(found)),
        }
    }

    /// The node a call into `dialog` starts at.
    pub(super) fn entry(&self, flow: &Flow, symbols: &Symbols<'_>, dialog: usize) -> Option<usize> {
        let entry = flow.dialogs[dialog].entry.as_ref()?;
        self.target(flow, symbols, dialog, entry)
    }

    fn edges(&mut self, flow: &Flow, symbols: &Symbols<'_>, node: usize, on_error: Option<usize>) {
        let at = self.refs[node];
        let d = at.dialog;
        let block = symbols.block(flow, at);
        let mut targets: Vec<usize> = Vec::new();
        let mut add = |graph: &Graph, name: &Name| {
            if let Some(t) = graph.target(flow, symbols, d, name) {
                targets.push(t);
            }
        };
        let waits = block.kind.waits();
        let mut falls_to_on_error = false;
        let mut callee_entry: Option<(usize, &Name)> = None;
        match &block.kind {
            BlockKind::Start(body) | BlockKind::State(body) => {
                for action in body
                    .on
                    .iter()
                    .map(|h| &h.action)
                    .chain(body.otherwise.iter())
                    .chain(body.dtmf.iter().map(|h| &h.action))
                {
                    if let Some(t) = &action.goto {
                        add(self, t);
                    }
                }
            }
            BlockKind::Global(body) => {
                for action in body
                    .on
                    .iter()
                    .map(|h| &h.action)
                    .chain(body.otherwise.iter())
                {
                    if let Some(t) = &action.goto {
                        add(self, t);
                    }
                }
                if let Some(t) = &body.on_error {
                    add(self, t);
                }
            }
            BlockKind::Service { on, .. } => {
                for (_, t) in on {
                    add(self, t);
                }
                falls_to_on_error = !on.iter().any(|(b, _)| b.text == "error");
            }
            BlockKind::Condition { arms, otherwise } => {
                for arm in arms {
                    add(self, &arm.goto);
                }
                if let Some(t) = otherwise {
                    add(self, t);
                }
            }
            BlockKind::Set { goto, .. } => {
                if let Some(t) = goto {
                    add(self, t);
                }
            }
            BlockKind::Call { dialog, on } => {
                if let Some(&callee) = symbols.dialogs.get(dialog.as_str())
                    && let Some(entry) = flow.dialogs[callee].entry.as_ref()
                {
                    callee_entry = Some((callee, entry));
                }
                for (_, t) in on {
                    add(self, t);
                }
            }
            BlockKind::End { .. }
            | BlockKind::Exit { .. }
            | BlockKind::Back { .. }
            | BlockKind::Transfer { .. }
            | BlockKind::Note { .. } => {}
        }
        if falls_to_on_error {
            targets.extend(on_error);
        }
        if let Some((callee, entry)) = callee_entry
            && let Some(t) = self.target(flow, symbols, callee, entry)
        {
            targets.insert(0, t);
        }
        if !waits && !matches!(block.kind, BlockKind::Global(_)) {
            self.instant[node] = targets.clone();
        }
        self.successors[node] = targets;
    }

    /// For each dialog: can a turn run from its entry to an `exit` without waiting?
    fn dialogs_exiting_without_wait(&self, flow: &Flow, symbols: &Symbols<'_>) -> Vec<bool> {
        let mut result = vec![false; flow.dialogs.len()];
        let mut seen = vec![false; self.refs.len()];
        for (d, slot) in result.iter_mut().enumerate() {
            let Some(entry) = self.entry(flow, symbols, d) else {
                continue;
            };
            let mut stack = vec![entry];
            seen.iter_mut().for_each(|s| *s = false);
            while let Some(node) = stack.pop() {
                if std::mem::replace(&mut seen[node], true) {
                    continue;
                }
                let block = symbols.block(flow, self.refs[node]);
                if matches!(block.kind, BlockKind::Exit { .. }) && self.refs[node].dialog == d {
                    *slot = true;
                    break;
                }
                stack.extend(self.instant[node].iter().copied());
            }
        }
        result
    }

    fn unreachable(&self, flow: &Flow, symbols: &Symbols<'_>, diagnostics: &mut Vec<Diagnostic>) {
        let mut reached = vec![false; self.refs.len()];
        let mut stack: Vec<usize> = symbols
            .start
            .iter()
            .chain(symbols.global.iter())
            .map(|r| self.index(*r))
            .collect();
        while let Some(node) = stack.pop() {
            if std::mem::replace(&mut reached[node], true) {
                continue;
            }
            stack.extend(self.successors[node].iter().copied());
        }
        // Without a start block (E013) everything would be "unreachable": say nothing more.
        if symbols.start.is_none() {
            return;
        }
        for (d, dialog) in flow.dialogs.iter().enumerate() {
            let entry = self.entry(flow, symbols, d);
            if !dialog.is_main() && entry.is_none() {
                // E038 already says the subdialog has no valid entry.
                continue;
            }
            if !dialog.is_main()
                && let Some(entry) = entry
                && !reached[entry]
            {
                diagnostics.push(
                    Diagnostic::new(
                        Code::Unreachable,
                        dialog.name.span,
                        format!("subdialog `{}` is never called", dialog.name.text),
                    )
                    .with_label("unreachable")
                    .with_help("call it from a `call:` block, or remove it"),
                );
                continue;
            }
            for (b, block) in dialog.blocks.iter().enumerate() {
                let skip = matches!(
                    block.kind,
                    BlockKind::Global(_) | BlockKind::Note { .. } | BlockKind::Start(_)
                );
                if !skip && !reached[self.offsets[d] + b] {
                    diagnostics.push(
                        Diagnostic::new(
                            Code::Unreachable,
                            block.name.span,
                            format!("block `{}` can never be reached", block.name.text),
                        )
                        .with_label("unreachable")
                        .with_help("go to it from another block, or remove it"),
                    );
                }
            }
        }
    }

    fn non_waiting_cycles(&self, flow: &Flow, diagnostics: &mut Vec<Diagnostic>) {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            Open,
            Done,
        }
        let mut mark = vec![Mark::New; self.refs.len()];
        let mut path: Vec<usize> = Vec::new();
        for root in 0..self.refs.len() {
            if mark[root] != Mark::New || self.instant[root].is_empty() {
                continue;
            }
            // (node, index of the next successor to visit)
            let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
            mark[root] = Mark::Open;
            path.push(root);
            while let Some(top) = stack.last_mut() {
                let (node, next) = *top;
                if let Some(&succ) = self.instant[node].get(next) {
                    top.1 += 1;
                    match mark[succ] {
                        Mark::New => {
                            mark[succ] = Mark::Open;
                            path.push(succ);
                            stack.push((succ, 0));
                        }
                        Mark::Open => self.report_cycle(flow, &path, succ, diagnostics),
                        Mark::Done => {}
                    }
                } else {
                    mark[node] = Mark::Done;
                    path.pop();
                    stack.pop();
                }
            }
        }
    }

    fn report_cycle(
        &self,
        flow: &Flow,
        path: &[usize],
        back_to: usize,
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        let Some(start) = path.iter().position(|n| *n == back_to) else {
            return;
        };
        let name = |n: usize| {
            let r = self.refs[n];
            &flow.dialogs[r.dialog].blocks[r.block].name
        };
        let mut names: Vec<&str> = path[start..].iter().map(|n| name(*n).as_str()).collect();
        names.push(name(back_to).as_str());
        let closing = name(*path.last().unwrap_or(&back_to));
        diagnostics.push(
            Diagnostic::error(
                Code::NonWaitingCycle,
                name(back_to).span,
                format!(
                    "these blocks loop without ever waiting for the caller: {}",
                    names.join(" → ")
                ),
            )
            .with_label("the loop starts here")
            .with_related(closing.span, "and comes back from here")
            .with_help("every loop needs a `state` on it, so each pass waits for the caller"),
        );
    }
}
