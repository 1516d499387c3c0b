//! Draws a lowered flow as a Mermaid flowchart or a Graphviz digraph: one cluster per dialog, one node per
//! block, labelled edges for intents, branches, conditions and subdialog exits, and the global handlers.

use std::fmt::Write;

use crate::ir::{Action, BlockKind, Flow};

/// One edge: from, to, label, dashed.
struct Edge {
    from: String,
    to: String,
    label: String,
    dashed: bool,
}

const GLOBAL_NODE: &str = "global";

fn node(block: usize) -> String {
    format!("b{block}")
}

fn label(flow: &Flow, block: usize) -> String {
    let b = &flow.blocks[block];
    let kind = match &b.kind {
        BlockKind::Wait(s) if *s == 0 => "start",
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
    let mut push = |from: String, to: usize, label: String, dashed: bool| {
        out.push(Edge {
            from,
            to: node(to),
            label,
            dashed,
        })
    };
    let actions = |from: &str,
                   handlers: &[(String, Action)],
                   otherwise: &Option<Action>,
                   push: &mut dyn FnMut(String, usize, String, bool)| {
        for (intent, action) in handlers {
            push(from.to_string(), action.goto, intent.clone(), false);
        }
        if let Some(a) = otherwise {
            push(from.to_string(), a.goto, "else".into(), true);
        }
    };
    for (id, block) in flow.blocks.iter().enumerate() {
        let from = node(id);
        match &block.kind {
            BlockKind::Wait(s) => {
                let state = &flow.states[*s];
                actions(&from, &state.handlers, &state.otherwise, &mut push);
                for (pattern, action) in &state.dtmf {
                    push(from.clone(), action.goto, format!("dtmf {pattern}"), false);
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
                dialog,
                success,
                failure,
            } => {
                push(
                    from.clone(),
                    flow.dialogs[*dialog].entry,
                    "call".into(),
                    true,
                );
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
    actions(GLOBAL_NODE, &global.handlers, &global.otherwise, &mut push);
    if let Some(a) = &global.ending {
        push(
            GLOBAL_NODE.into(),
            a.goto,
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
    !g.handlers.is_empty() || g.ending.is_some() || g.otherwise.is_some() || g.on_error.is_some()
}

fn quote(text: &str) -> String {
    text.replace('"', "'")
}

/// A Mermaid `flowchart`.
pub fn to_mermaid(flow: &Flow) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "flowchart TD");
    for (d, dialog) in flow.dialogs.iter().enumerate() {
        let _ = writeln!(
            out,
            "  subgraph {}[\"dialog {}\"]",
            format_args!("d{d}"),
            quote(&dialog.name)
        );
        if d == 0 && has_global(flow) {
            let _ = writeln!(
                out,
                "    {GLOBAL_NODE}{{{{\"{}\"}}}}",
                quote(&flow.global.name)
            );
        }
        for (id, block) in flow
            .blocks
            .iter()
            .enumerate()
            .filter(|(_, b)| b.dialog == d)
        {
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
    for (d, dialog) in flow.dialogs.iter().enumerate() {
        let _ = writeln!(
            out,
            "  subgraph cluster_{d} {{\n    label=\"dialog {}\";",
            quote(&dialog.name)
        );
        if d == 0 && has_global(flow) {
            let _ = writeln!(
                out,
                "    {GLOBAL_NODE} [label=\"{}\", shape=hexagon];",
                quote(&flow.global.name)
            );
        }
        for (id, block) in flow
            .blocks
            .iter()
            .enumerate()
            .filter(|(_, b)| b.dialog == d)
        {
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
