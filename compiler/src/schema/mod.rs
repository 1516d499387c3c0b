//! JSON Schemas (draft 2020-12) of flow files and conversation scripts, for editors: with the
//! `yaml-language-server` modeline `# yaml-language-server: $schema=<file>` an editor completes keys and
//! flags shape errors while one types. `flowc schema flow|script` prints them.
//!
//! The schemas check shape only (keys, types, enumerations); names, targets and the rest are `flowc check`'s.
//! They are written by hand for readable descriptions and checked against the parser's own key tables
//! ([`crate::parse::key_tables`]) by the tests below, so a key added to the language fails until the schema
//! has it too.

/// The schema of flow files.
pub const FLOW: &str = include_str!("flow.schema.json");
/// The schema of conversation scripts.
pub const SCRIPT: &str = include_str!("script.schema.json");

/// The schemas by the name `flowc schema` takes.
pub const ALL: &[(&str, &str)] = &[("flow", FLOW), ("script", SCRIPT)];

/// A schema by name (`flow` or `script`).
pub fn by_name(name: &str) -> Option<&'static str> {
    ALL.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

#[cfg(test)]
mod tests;
