//! Transaction snapshots in insta's `.snap` format (so `cargo insta review` works on them), and a per-turn
//! diff by kind — intent, state, variables, prompt — instead of a wall of JSON.

use std::fmt::Write;
use std::path::Path;

use serde_json::Value;

/// The snapshot text of some transactions: insta's header, then a pretty JSON array.
pub fn render(source: &str, transactions: &[flowc_runtime::Transaction]) -> Result<String, String> {
    let body = serde_json::to_string_pretty(transactions).map_err(|e| e.to_string())?;
    Ok(format!(
        "---\nsource: {source}\nexpression: transactions\n---\n{body}\n"
    ))
}

/// The JSON part of a stored snapshot.
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
    if body(&old).trim_end() == body(new).trim_end() {
        return Comparison::Same;
    }
    Comparison::Differs(diff(body(&old), body(new)))
}

/// A per-turn report of what changed between two snapshot bodies.
pub fn diff(old: &str, new: &str) -> String {
    let parse = |text: &str| serde_json::from_str::<Vec<Value>>(text).unwrap_or_default();
    let (old, new) = (parse(old), parse(new));
    let mut out = String::new();
    if old.len() != new.len() {
        let _ = writeln!(out, "  turns: {} → {}", old.len(), new.len());
    }
    for turn in 0..old.len().max(new.len()) {
        let (a, b) = (
            old.get(turn).unwrap_or(&Value::Null),
            new.get(turn).unwrap_or(&Value::Null),
        );
        if a == b {
            continue;
        }
        let _ = writeln!(out, "  turn {} ({}):", turn + 1, text(b, "/intent/name"));
        let mut any = false;
        for (kind, fields) in [
            (
                "intent",
                &[
                    "/intent/name",
                    "/intent/handled",
                    "/intent/explicitlyHandled",
                    "/intent/handledByState/name",
                ][..],
            ),
            (
                "state",
                &[
                    "/intent/initialState/name",
                    "/intent/nextState/name",
                    "/intent/nextState/id",
                ][..],
            ),
            (
                "prompt",
                &[
                    "/response/prompt",
                    "/response/reprompt",
                    "/response/endTalk",
                    "/response/endConversation",
                ][..],
            ),
        ] {
            for field in fields {
                let (x, y) = (text(a, field), text(b, field));
                if x != y {
                    any = true;
                    let _ = writeln!(
                        out,
                        "    {kind:<9} {}: {x} → {y}",
                        field.rsplit('/').next().unwrap_or(field)
                    );
                }
            }
        }
        let elements = |v: &Value| {
            v.pointer("/response/responseElements")
                .cloned()
                .unwrap_or(Value::Null)
        };
        if elements(a) != elements(b) {
            any = true;
            let _ = writeln!(
                out,
                "    prompt    responseElements: {} → {}",
                elements(a),
                elements(b)
            );
        }
        let variables = |v: &Value| -> Vec<(String, String)> {
            v.pointer("/variables")
                .and_then(Value::as_array)
                .map(|vars| {
                    vars.iter()
                        .map(|var| (text(var, "/name"), text(var, "/value")))
                        .collect()
                })
                .unwrap_or_default()
        };
        let (va, vb) = (variables(a), variables(b));
        for (name, value) in &vb {
            let before = va
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            if before != *value {
                any = true;
                let _ = writeln!(out, "    variables {name}: {before} → {value}");
            }
        }
        for field in ["/meta", "/response/callControlMessages"] {
            if a.pointer(field) != b.pointer(field) {
                any = true;
                let _ = writeln!(
                    out,
                    "    other     {}: {} → {}",
                    &field[1..],
                    text(a, field),
                    text(b, field)
                );
            }
        }
        if !any {
            let _ = writeln!(out, "    other fields differ");
        }
    }
    out
}

fn text(value: &Value, pointer: &str) -> String {
    match value.pointer(pointer) {
        None => "∅".into(),
        Some(Value::String(s)) => format!("{s:?}"),
        Some(other) => other.to_string(),
    }
}
