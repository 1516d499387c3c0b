//! Draws a lowered flow as a Mermaid flowchart or a Graphviz digraph: one cluster per dialog, one node per
//! block, labelled edges for intents, branches, conditions and subdialog exits, and the global handlers.

use std::fmt::Write;

use crate::ir::{BlockId, BlockKind, DialogId, Flow, HandlerId};

/// One edge: from, to, label, dashed.
struct Edge {
    from: String,
    to: String,
    label: String,
    dashed: bool,
}

const GLOBAL_NODE: &str = "global";

fn node(block: BlockId) -> String {
    format!("b{}", block.get())
}

fn label(flow: &Flow, block: BlockId) -> String {
    let b = &flow.blocks[block];
    let kind = match &b.kind {
        BlockKind::Wait(s) if s.get() == 0 => "start",
        BlockKind::Wait(_) => "state",
        BlockKind::End { .. } => "end",
        BlockKind::Service { .. } => "service",
        BlockKind::Condition { .. } => "condition",
        BlockKind::Set { .. } => "set",
        BlockKind::Call { .. } => "call",
        BlockKind::Exit(_) => "exit",
        BlockKind::Back { .. } => "back",
        BlockKind::Transfer { .. } => "transfer",
    };
    format!("{} ({kind})", b.key)
}

fn edges(flow: &Flow) -> Vec<Edge> {
    let mut out = Vec::new();
    let mut push = |from: String, to: BlockId, label: String, dashed: bool| {
        out.push(Edge {
            from,
            to: node(to),
            label,
            dashed,
        })
    };
    let goto = |h: HandlerId| flow.handlers[h].action.goto;
    let actions = |from: &str,
                   intents: &[(String, HandlerId)],
                   otherwise: Option<HandlerId>,
                   push: &mut dyn FnMut(String, BlockId, String, bool)| {
        for (intent, h) in intents {
            push(from.to_string(), goto(*h), intent.clone(), false);
        }
        if let Some(h) = otherwise {
            push(from.to_string(), goto(h), "else".into(), true);
        }
    };
    for (id, block) in flow.blocks.enumerate() {
        let from = node(id);
        match &block.kind {
            BlockKind::Wait(s) => {
                let state = &flow.states[*s];
                actions(&from, &state.intents, state.otherwise, &mut push);
                for (pattern, h) in &state.dtmf {
                    let label = format!("dtmf {}", flow.patterns[*pattern]);
                    push(from.clone(), goto(*h), label, false);
                }
            }
            BlockKind::Service {
                service,
                branches,
                error,
            } => {
                for (name, target) in flow.services[*service].branches.iter().zip(branches) {
                    push(from.clone(), *target, name.clone(), false);
                }
                if let Some(e) = error {
                    push(from.clone(), *e, "error".into(), true);
                }
            }
            BlockKind::Condition { arms, otherwise } => {
                for (i, (_, target)) in arms.iter().enumerate() {
                    push(from.clone(), *target, format!("when #{}", i + 1), false);
                }
                push(from.clone(), *otherwise, "else".into(), true);
            }
            BlockKind::Set { next, .. } => push(from.clone(), *next, String::new(), false),
            BlockKind::Call {
                entry,
                success,
                failure,
                ..
            } => {
                push(from.clone(), *entry, "call".into(), true);
                if let Some(t) = success {
                    push(from.clone(), *t, "success".into(), false);
                }
                if let Some(t) = failure {
                    push(from.clone(), *t, "failure".into(), false);
                }
            }
            BlockKind::End { .. }
            | BlockKind::Exit(_)
            | BlockKind::Back { .. }
            | BlockKind::Transfer { .. } => {}
        }
    }
    let global = &flow.global;
    actions(GLOBAL_NODE, &global.intents, global.otherwise, &mut push);
    if let Some(h) = global.ending {
        push(
            GLOBAL_NODE.into(),
            goto(h),
            "PARLOA.EndConversation".into(),
            false,
        );
    }
    if let Some(t) = global.on_error {
        push(GLOBAL_NODE.into(), t, "on_error".into(), true);
    }
    out
}

fn has_global(flow: &Flow) -> bool {
    let g = &flow.global;
    !g.intents.is_empty() || g.ending.is_some() || g.otherwise.is_some() || g.on_error.is_some()
}

fn quote(text: &str) -> String {
    text.replace('"', "'")
}

/// A Mermaid `flowchart`.
pub fn to_mermaid(flow: &Flow) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "flowchart TD");
    for (d, dialog) in flow.dialogs.enumerate() {
        let _ = writeln!(
            out,
            "  subgraph {}[\"dialog {}\"]",
            format_args!("d{}", d.get()),
            quote(&dialog.name)
        );
        if d == DialogId::MAIN && has_global(flow) {
            let _ = writeln!(
                out,
                "    {GLOBAL_NODE}{{{{\"{}\"}}}}",
                quote(&flow.global.reference.name)
            );
        }
        for (id, block) in flow.blocks.enumerate().filter(|(_, b)| b.dialog == d) {
            let text = quote(&label(flow, id));
            let shape = match block.kind {
                BlockKind::Wait(_) => format!("([\"{text}\"])"),
                BlockKind::Condition { .. } => format!("{{\"{text}\"}}"),
                BlockKind::End { .. } | BlockKind::Transfer { .. } => format!("[[\"{text}\"]]"),
                _ => format!("[\"{text}\"]"),
            };
            let _ = writeln!(out, "    {}{shape}", node(id));
        }
        let _ = writeln!(out, "  end");
    }
    for edge in edges(flow) {
        let arrow = if edge.dashed { "-.->" } else { "-->" };
        if edge.label.is_empty() {
            let _ = writeln!(out, "  {} {arrow} {}", edge.from, edge.to);
        } else {
            let _ = writeln!(
                out,
                "  {} {arrow}|\"{}\"| {}",
                edge.from,
                quote(&edge.label),
                edge.to
            );
        }
    }
    out
}

/// A Graphviz `digraph`.
pub fn to_dot(flow: &Flow) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "digraph \"{}\" {{", quote(&flow.name));
    let _ = writeln!(out, "  rankdir=TB;\n  node [fontname=\"Helvetica\"];");
    for (d, dialog) in flow.dialogs.enumerate() {
        let _ = writeln!(
            out,
            "  subgraph cluster_{} {{\n    label=\"dialog {}\";",
            d.get(),
            quote(&dialog.name)
        );
        if d == DialogId::MAIN && has_global(flow) {
            let _ = writeln!(
                out,
                "    {GLOBAL_NODE} [label=\"{}\", shape=hexagon];",
                quote(&flow.global.reference.name)
            );
        }
        for (id, block) in flow.blocks.enumerate().filter(|(_, b)| b.dialog == d) {
            let shape = match block.kind {
                BlockKind::Wait(_) => "ellipse",
                BlockKind::Condition { .. } => "diamond",
                BlockKind::End { .. } | BlockKind::Transfer { .. } => "doubleoctagon",
                _ => "box",
            };
            let _ = writeln!(
                out,
                "    {} [label=\"{}\", shape={shape}];",
                node(id),
                quote(&label(flow, id))
            );
        }
        let _ = writeln!(out, "  }}");
    }
    for edge in edges(flow) {
        let style = if edge.dashed { ", style=dashed" } else { "" };
        let _ = writeln!(
            out,
            "  {} -> {} [label=\"{}\"{style}];",
            edge.from,
            edge.to,
            quote(&edge.label)
        );
    }
    let _ = writeln!(out, "}}");
    out
}
