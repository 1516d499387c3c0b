//! Conversation snapshots in insta's `.snap` format (so `cargo insta review` works on them), of two kinds:
//! the conversation view (a short transcript per turn, [`view`], the default) and the full transactions as
//! pretty JSON. A mismatch is reported per turn, not as a wall of text.

mod json_diff;
pub mod view;

use std::fmt::Write;
use std::path::Path;

pub use json_diff::diff;

/// What a snapshot stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Kind {
    /// The conversation view: per turn, what was sent, who handled it, the states, what was said, what
    /// changed. No ids or times.
    #[default]
    View,
    /// Every transaction as pretty JSON, byte for byte what the engine wrote (deterministic ids and times).
    Full,
}

impl Kind {
    /// The name scripts use (`snapshot: view|full`).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::View => "view",
            Kind::Full => "full",
        }
    }

    /// The kind named `name`.
    pub fn parse(name: &str) -> Option<Kind> {
        match name {
            "view" => Some(Kind::View),
            "full" => Some(Kind::Full),
            _ => None,
        }
    }

    /// insta's `expression:` header line, which also tells the kind of a stored snapshot.
    fn expression(self) -> &'static str {
        match self {
            Kind::View => "conversation",
            Kind::Full => "transactions",
        }
    }
}

/// The snapshot text of some transactions: insta's header, then the body of the kind.
pub fn render_kind(
    kind: Kind,
    source: &str,
    transactions: &[flowc_runtime::Transaction],
) -> Result<String, String> {
    let body = match kind {
        Kind::Full => serde_json::to_string_pretty(transactions).map_err(|e| e.to_string())?,
        Kind::View => {
            let values = transactions
                .iter()
                .map(serde_json::to_value)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| e.to_string())?;
            view::render(&values).trim_end().to_string()
        }
    };
    Ok(format!(
        "---\nsource: {source}\nexpression: {}\n---\n{body}\n",
        kind.expression()
    ))
}

/// The full-JSON snapshot text of some transactions (the [`Kind::Full`] form of [`render_kind`]).
pub fn render(source: &str, transactions: &[flowc_runtime::Transaction]) -> Result<String, String> {
    render_kind(Kind::Full, source, transactions)
}

/// The body of a stored snapshot (after insta's header).
pub fn body(snapshot: &str) -> &str {
    // The header is the first block between two `---` lines.
    let mut rest = snapshot;
    if let Some(after) = rest.strip_prefix("---\n")
        && let Some(end) = after.find("\n---\n")
    {
        rest = &after[end + 5..];
    }
    rest
}

/// The outcome of comparing with the stored snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Comparison {
    /// Identical.
    Same,
    /// No snapshot stored yet.
    Missing,
    /// Different: a per-turn report.
    Differs(String),
}

/// Compares `new` (snapshot text) with the file at `path`.
pub fn compare(path: &Path, new: &str) -> Comparison {
    let Ok(old) = std::fs::read_to_string(path) else {
        return Comparison::Missing;
    };
    let (old, new) = (body(&old).trim_end(), body(new).trim_end());
    if old == new {
        return Comparison::Same;
    }
    let json = |text: &str| text.starts_with('[');
    Comparison::Differs(if json(old) && json(new) {
        diff(old, new)
    } else {
        view_diff(old, new)
    })
}

/// The turns of two views that differ, each as its old and new lines.
pub fn view_diff(old: &str, new: &str) -> String {
    let turns = |text: &str| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for line in text.lines() {
            if line.starts_with("turn ") || out.is_empty() {
                out.push(String::new());
            }
            if let Some(last) = out.last_mut() {
                last.push_str(line);
                last.push('\n');
            }
        }
        out
    };
    let (old, new) = (turns(old), turns(new));
    let mut out = String::new();
    if old.len() != new.len() {
        let _ = writeln!(out, "  turns: {} → {}", old.len(), new.len());
    }
    for index in 0..old.len().max(new.len()) {
        let (a, b) = (
            old.get(index).map_or("", String::as_str),
            new.get(index).map_or("", String::as_str),
        );
        if a == b {
            continue;
        }
        let (a_lines, b_lines): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
        let _ = writeln!(out, "  turn {}:", index + 1);
        for line in &a_lines {
            if !b_lines.contains(line) {
                let _ = writeln!(out, "    - {}", line.trim_start());
            }
        }
        for line in &b_lines {
            if !a_lines.contains(line) {
                let _ = writeln!(out, "    + {}", line.trim_start());
            }
        }
    }
    out
}
