//! Builds the [`ast::Flow`](crate::ast::Flow) from the located YAML tree, reporting every shape problem it
//! meets (unknown keys with a "did you mean", wrong types, missing keys, bad names, expression syntax)
//! instead of stopping at the first.
//!
//! `reader` reads one node with located errors, `declarations` the top-level keys, `blocks` the dialogs and
//! the frame of a block, `kinds` the table of block kinds, `bodies` the state and global bodies and actions.

mod blocks;
mod bodies;
mod declarations;
mod kinds;
pub(crate) mod reader;

use crate::ast::Flow;
use crate::diagnostic::Diagnostic;
use crate::yaml::{Node, Value};

pub use kinds::BLOCK_KINDS;
pub(crate) use reader::Reader;

/// Parses a flow file. Returns the AST when the file had the shape of a flow (even with problems inside,
/// so the analyzer can report more), and every diagnostic found so far.
pub fn parse_flow(source: &str) -> (Option<Flow>, Vec<Diagnostic>) {
    let root = match crate::yaml::parse(source) {
        Ok(root) => root,
        Err(diagnostic) => return (None, vec![diagnostic]),
    };
    let mut reader = Reader {
        source,
        diagnostics: Vec::new(),
        guide: "docs/language.md",
    };
    let flow = reader.flow(&root);
    (flow, reader.diagnostics)
}

/// The keys each mapping of a flow may hold, by what the mapping is (`top`, `dialog`, `state`, `global`,
/// `action`, `dtmf`, `service`, `http`, and `block:<kind>` for each block kind), as the parser accepts them.
/// The JSON Schema of flows is checked against this list, so the two cannot drift apart.
pub fn key_tables() -> Vec<(String, &'static [&'static str])> {
    let mut tables: Vec<(String, &'static [&'static str])> = vec![
        ("top".into(), declarations::TOP_KEYS),
        ("dialog".into(), blocks::DIALOG_KEYS),
        ("state".into(), bodies::STATE_KEYS),
        ("global".into(), bodies::GLOBAL_KEYS),
        ("action".into(), bodies::ACTION_KEYS),
        ("dtmf".into(), bodies::DTMF_KEYS),
        ("service".into(), declarations::SERVICE_KEYS),
        ("http".into(), declarations::HTTP_KEYS),
    ];
    for name in BLOCK_KINDS {
        if let Some(kind) = kinds::lookup(name) {
            tables.push((format!("block:{name}"), kind.keys));
        }
    }
    tables
}

/// True when `source` is YAML whose top level is a mapping with a `flow:` key.
pub fn looks_like_flow(source: &str) -> bool {
    match crate::yaml::parse(source) {
        Ok(Node {
            value: Value::Map(entries),
            ..
        }) => entries.iter().any(|(k, _)| k.text == "flow"),
        // Broken YAML is reported when it seems meant as a flow.
        Err(_) => source.lines().any(|l| l.trim_start().starts_with("flow:")),
        Ok(_) => false,
    }
}

/// `[A-Za-z_][A-Za-z0-9_]*`.
pub fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
