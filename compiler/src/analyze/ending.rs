//! The `PARLOA.EndConversation` path: the global handler's ending actions run after the caller has hung up,
//! so every path from it must reach an `end` block (E019: no transfer, no service failure with nowhere to
//! go) without waiting (E020); a session variable read there is empty after a bot-ended call (W036).

use foldhash::{HashSet, HashSetExt};

use super::graph::Graph;
use super::symbols::Symbols;
use crate::ast::*;
use crate::diagnostic::{Code, Diagnostic, Span};

/// Walks every path of the flow's global `PARLOA.EndConversation` handler, if it has one.
pub(super) fn run(
    graph: &Graph,
    flow: &Flow,
    symbols: &Symbols<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let Some(main) = symbols.main else { return };
    let Some(global) = symbols.global_body(flow) else {
        return;
    };
    let Some(handler) = global
        .on
        .iter()
        .find(|h| h.intent.text == END_CONVERSATION_INTENT)
    else {
        return;
    };
    let mut walk = EndingWalk {
        flow,
        symbols,
        graph,
        handler: handler.intent.span,
        reads: HashSet::new(),
        diagnostics,
        reported: HashSet::new(),
    };
    walk.action_reads(&handler.action);
    let Some(first) = handler
        .action
        .goto
        .as_ref()
        .and_then(|t| graph.target(flow, symbols, main, t))
    else {
        return;
    };
    walk.run(first);
}

/// Walks every path of the `PARLOA.EndConversation` handler.
struct EndingWalk<'a, 'f> {
    flow: &'f Flow,
    symbols: &'a Symbols<'f>,
    graph: &'a Graph,
    handler: Span,
    reads: HashSet<Span>,
    diagnostics: &'a mut Vec<Diagnostic>,
    reported: HashSet<(Code, Span)>,
}

impl EndingWalk<'_, '_> {
    fn run(&mut self, first: usize) {
        let mut stack: Vec<(usize, Vec<usize>)> = vec![(first, Vec::new())];
        let mut seen: HashSet<(usize, Option<usize>)> = HashSet::new();
        while let Some((node, callers)) = stack.pop() {
            if !seen.insert((node, callers.last().copied())) {
                continue;
            }
            let at = self.graph.refs[node];
            let block = self.symbols.block(self.flow, at);
            self.block_reads(block);
            match &block.kind {
                BlockKind::End { .. } => {}
                BlockKind::Start(_) | BlockKind::State(_) | BlockKind::Back { .. } => {
                    self.waits(block)
                }
                BlockKind::Transfer { .. } => self.no_end(
                    block,
                    "transfers the call, but the caller has already hung up",
                    "finish every path of the ending actions in an `end` block",
                ),
                BlockKind::Exit { outcome } => {
                    let mut callers = callers;
                    let Some(call) = callers.pop() else { continue };
                    let call_block = self.symbols.block(self.flow, self.graph.refs[call]);
                    if let BlockKind::Call { on, .. } = &call_block.kind
                        && let Some((_, t)) = on.iter().find(|(o, _)| o.text == outcome.as_str())
                        && let Some(next) = self.graph.target(
                            self.flow,
                            self.symbols,
                            self.graph.refs[call].dialog,
                            t,
                        )
                    {
                        stack.push((next, callers));
                    }
                }
                BlockKind::Call { dialog, .. } => {
                    if let Some(&callee) = self.symbols.dialogs.get(dialog.as_str())
                        && let Some(entry) = self.graph.entry(self.flow, self.symbols, callee)
                    {
                        let mut inner = callers.clone();
                        inner.push(node);
                        stack.push((entry, inner));
                    }
                }
                BlockKind::Service { on, .. } => {
                    if !on.iter().any(|(b, _)| b.text == "error") && !self.global_on_error() {
                        self.no_end(
                            block,
                            "has no route for its failure: no `error` branch and no global `on_error`",
                            "add `error: <block>` to the service's `on:`, leading to an `end` block",
                        );
                    }
                    for &next in &self.graph.instant[node] {
                        stack.push((next, callers.clone()));
                    }
                }
                _ => {
                    for &next in &self.graph.instant[node] {
                        stack.push((next, callers.clone()));
                    }
                }
            }
        }
    }

    fn global_on_error(&self) -> bool {
        self.symbols
            .global_body(self.flow)
            .is_some_and(|g| g.on_error.is_some())
    }

    fn waits(&mut self, block: &Block) {
        if !self.reported.insert((Code::EndingWaits, block.kind_span)) {
            return;
        }
        self.diagnostics.push(
            Diagnostic::error(
                Code::EndingWaits,
                self.handler,
                format!(
                    "the PARLOA.EndConversation path reaches {} block `{}`, which waits for a caller who has hung up",
                    block.kind.keyword(),
                    block.name.text
                ),
            )
            .with_label("custom ending actions")
            .with_related(block.kind_span, "waits here")
            .with_help("the ending path may only run services, conditions and sets, and must finish in an `end` block"),
        );
    }

    fn no_end(&mut self, block: &Block, why: &str, help: &str) {
        if !self
            .reported
            .insert((Code::EndingWithoutEnd, block.kind_span))
        {
            return;
        }
        self.diagnostics.push(
            Diagnostic::error(
                Code::EndingWithoutEnd,
                self.handler,
                format!(
                    "the PARLOA.EndConversation path does not reach an end block: `{}` {why}",
                    block.name.text
                ),
            )
            .with_label("custom ending actions")
            .with_related(block.kind_span, "the path goes here")
            .with_help(help),
        );
    }

    fn session_read(&mut self, name: &str, span: Span) {
        let Some(&index) = self.symbols.variables.get(name) else {
            return;
        };
        if self.flow.variables[index].lifetime != Lifetime::Session || !self.reads.insert(span) {
            return;
        }
        self.diagnostics.push(
            Diagnostic::new(
                Code::SessionReadOnEnding,
                span,
                format!(
                    "session variable `{name}` is read on the PARLOA.EndConversation path; it is always empty there when the bot ended the call"
                ),
            )
            .with_label("empty after a bot-ended call")
            .with_related(self.handler, "ending actions start here")
            .with_help("a HANGUP after an end block is processed after the reset (T6); use a user-lifetime variable, or save what you need before ending"),
        );
    }

    fn template_reads(&mut self, template: &crate::expr::Template) {
        let mut found = Vec::new();
        template.for_each_variable(&mut |n, s| found.push((n.to_string(), s)));
        for (n, s) in found {
            self.session_read(&n, s);
        }
    }

    fn action_reads(&mut self, action: &Action) {
        if let Some(t) = &action.say {
            self.template_reads(t);
        }
        for a in &action.set {
            self.template_reads(&a.value);
        }
    }

    fn block_reads(&mut self, block: &Block) {
        match &block.kind {
            BlockKind::End { say } | BlockKind::Back { say } => {
                if let Some(t) = say {
                    self.template_reads(t);
                }
            }
            BlockKind::Set { assignments, .. } => {
                for a in assignments {
                    self.template_reads(&a.value);
                }
            }
            BlockKind::Condition { arms, .. } => {
                for arm in arms {
                    let mut found = Vec::new();
                    arm.when
                        .for_each_variable(&mut |n, s| found.push((n.to_string(), s)));
                    for (n, s) in found {
                        self.session_read(&n, s);
                    }
                }
            }
            BlockKind::Service { service, .. } => {
                if let Some(&index) = self.symbols.services.get(service.as_str()) {
                    for input in &self.flow.services[index].inputs {
                        self.session_read(&input.text, service.span);
                    }
                }
            }
            _ => {}
        }
    }
}
