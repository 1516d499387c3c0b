//! The flow schema allows exactly the keys the parser allows.

use std::collections::BTreeSet;

use serde_json::Value;

use super::*;
use crate::parse::{BLOCK_KINDS, key_tables};

/// Kinds a dialog holds directly, not under `blocks:`.
const DIALOG_LEVEL: &[&str] = &["start", "global"];

fn keys_at(schema: &Value, pointer: &str) -> BTreeSet<String> {
    schema
        .pointer(pointer)
        .and_then(Value::as_object)
        .unwrap_or_else(|| panic!("no object at {pointer}"))
        .keys()
        .cloned()
        .collect()
}

fn block_alternative<'a>(schema: &'a Value, kind: &str) -> Option<&'a Value> {
    schema
        .pointer("/$defs/block/oneOf")?
        .as_array()?
        .iter()
        .find(|alt| alt.pointer("/required/0").and_then(Value::as_str) == Some(kind))
}

#[test]
fn both_schemas_are_json_and_name_draft_2020_12() {
    for (name, text) in ALL {
        let schema: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{name}"
        );
        assert_eq!(by_name(name), Some(*text));
    }
    assert_eq!(by_name("nope"), None);
}

#[test]
fn the_flow_schema_allows_exactly_the_parsers_keys() {
    let schema: Value = serde_json::from_str(FLOW).unwrap();
    let pointers = [
        ("top", "/properties"),
        ("dialog", "/$defs/dialog/properties"),
        ("state", "/$defs/stateBody/properties"),
        ("global", "/$defs/globalBody/properties"),
        ("action", "/$defs/action/oneOf/1/properties"),
        ("dtmf", "/$defs/dtmfHandler/properties"),
        ("service", "/$defs/service/properties"),
        ("http", "/$defs/service/properties/http/properties"),
    ];
    let tables = key_tables();
    for (table, keys) in &tables {
        let parser: BTreeSet<String> = keys.iter().map(|k| k.to_string()).collect();
        let in_schema = if let Some(kind) = table.strip_prefix("block:") {
            if DIALOG_LEVEL.contains(&kind) {
                continue;
            }
            let alternative = block_alternative(&schema, kind)
                .unwrap_or_else(|| panic!("the schema has no block kind `{kind}`"));
            // The parser lets `service` and `call` blocks hold each other's key so that a block with both is
            // reported once, as having two kinds; the schema simply refuses that block.
            let parser: BTreeSet<String> = parser
                .into_iter()
                .filter(|k| k == kind || !BLOCK_KINDS.contains(&k.as_str()))
                .collect();
            assert_eq!(keys_at(alternative, "/properties"), parser, "{table}");
            continue;
        } else {
            let pointer = pointers
                .iter()
                .find(|(name, _)| name == table)
                .unwrap_or_else(|| panic!("no schema place for the parser's table `{table}`"))
                .1;
            keys_at(&schema, pointer)
        };
        assert_eq!(in_schema, parser, "{table}");
    }
    let schema_kinds: BTreeSet<&str> = schema["$defs"]["block"]["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|alt| alt.pointer("/required/0").and_then(Value::as_str))
        .collect();
    let parser_kinds: BTreeSet<&str> = BLOCK_KINDS
        .iter()
        .copied()
        .filter(|k| !DIALOG_LEVEL.contains(k))
        .collect();
    assert_eq!(schema_kinds, parser_kinds);
}

#[test]
fn the_script_schema_allows_exactly_the_readers_keys_and_words() {
    let schema: Value = serde_json::from_str(SCRIPT).unwrap();
    let enum_at = |pointer: &str| -> BTreeSet<String> {
        schema
            .pointer(pointer)
            .and_then(Value::as_array)
            .unwrap_or_else(|| panic!("no enum at {pointer}"))
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    };
    for (table, words) in crate::script::key_tables() {
        let reader: BTreeSet<String> = words.iter().map(|w| w.to_string()).collect();
        let in_schema = match table {
            "script" => keys_at(&schema, "/properties"),
            "stub" => keys_at(&schema, "/$defs/stub/properties"),
            "turn" => keys_at(&schema, "/$defs/turn/properties"),
            "ranked" => keys_at(
                &schema,
                "/$defs/turn/properties/intent_ranking/items/properties",
            ),
            "expect" => keys_at(&schema, "/$defs/expect/properties"),
            "events" => enum_at("/$defs/event/enum"),
            "handled" => enum_at("/$defs/expect/properties/handled/enum"),
            other => panic!("no schema place for the reader's table `{other}`"),
        };
        assert_eq!(in_schema, reader, "{table}");
    }
}
