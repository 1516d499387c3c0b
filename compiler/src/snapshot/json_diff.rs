//! A per-turn diff of two full-JSON transaction lists by kind — intent, state, variables, prompt — instead of
//! a wall of JSON.

use std::fmt::Write;

use serde_json::Value;

/// A per-turn report of what changed between two JSON arrays of transactions.
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
