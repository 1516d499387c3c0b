//! The reader: walks one node of the located YAML tree into a name, text, number, template or checked
//! mapping, reporting wrong types, unknown keys (with a "did you mean"), duplicates and missing keys.

use super::is_identifier;
use crate::ast::Name;
use crate::diagnostic::{Code, Diagnostic, Span, closest};
use crate::expr::{Expr, Origin, Template, parse_expression, parse_template};
use crate::yaml::{Key, Node, Value};

/// The mapping entries of one node, checked against the keys allowed there.
pub(crate) struct Fields<'n> {
    entries: Vec<(&'n Key, &'n Node)>,
    span: Span,
}

impl<'n> Fields<'n> {
    /// The value of `key`, if written.
    pub(crate) fn get(&self, key: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(k, _)| k.text == key)
            .map(|(_, v)| *v)
    }

    /// The key itself, for its span.
    pub(crate) fn key(&self, key: &str) -> Option<&'n Key> {
        self.entries
            .iter()
            .find(|(k, _)| k.text == key)
            .map(|(k, _)| *k)
    }
}

/// Reads the tree of one source and collects the diagnostics it meets.
pub(crate) struct Reader<'s> {
    /// The whole file, to locate errors inside a scalar.
    pub(crate) source: &'s str,
    /// Everything found so far.
    pub(crate) diagnostics: Vec<Diagnostic>,
    /// The document a wrong-type help points to: flows and conversation scripts have their own reference.
    pub(crate) guide: &'static str,
}

impl<'s> Reader<'s> {
    /// Records a diagnostic and carries on.
    pub(crate) fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// Reports that `what` is not `expected` (E003).
    pub(crate) fn wrong_type(&mut self, node: &Node, expected: &str, what: &str) {
        self.report(
            Diagnostic::error(
                Code::WrongType,
                node.span,
                format!("{what} must be {expected}, found {}", node.kind_name()),
            )
            .with_label(format!("expected {expected}"))
            .with_help(format!("write {what} as {expected}; see {}", self.guide)),
        );
    }

    /// The entries of a mapping; unknown keys and duplicates are reported and dropped.
    pub(crate) fn fields<'n>(
        &mut self,
        node: &'n Node,
        what: &str,
        allowed: &[&str],
    ) -> Option<Fields<'n>> {
        let Value::Map(entries) = &node.value else {
            self.wrong_type(node, "a mapping", what);
            return None;
        };
        let mut kept: Vec<(&Key, &Node)> = Vec::new();
        for (key, value) in entries {
            if !allowed.contains(&key.text.as_str()) {
                let mut d = Diagnostic::error(
                    Code::UnknownKey,
                    key.span,
                    format!("unknown key `{}` in {what}", key.text),
                )
                .with_label("not known here");
                d = match closest(&key.text, allowed.iter().copied()) {
                    Some(suggestion) => d.with_help(format!("did you mean `{suggestion}`?")),
                    None => {
                        d.with_help(format!("the keys allowed here are: {}", allowed.join(", ")))
                    }
                };
                self.report(d);
                continue;
            }
            if let Some((first, _)) = kept.iter().find(|(k, _)| k.text == key.text) {
                let first_span = first.span;
                self.report(
                    Diagnostic::error(
                        Code::DuplicateName,
                        key.span,
                        format!("`{}` is given twice in {what}", key.text),
                    )
                    .with_label("second definition")
                    .with_related(first_span, "first defined here")
                    .with_help("keep one of them; YAML keys must be unique"),
                );
                continue;
            }
            kept.push((key, value));
        }
        Some(Fields {
            entries: kept,
            span: node.span,
        })
    }

    /// The entries of a mapping whose keys are user names (variables, blocks, intents …), duplicates reported.
    pub(crate) fn named_entries<'n>(
        &mut self,
        node: &'n Node,
        what: &str,
    ) -> Vec<(&'n Key, &'n Node)> {
        match &node.value {
            Value::Null => Vec::new(),
            Value::Map(entries) => {
                let mut kept: Vec<(&Key, &Node)> = Vec::with_capacity(entries.len());
                // A map from name to position keeps the duplicate check linear (flows have 10,000s of blocks).
                let mut seen: std::collections::HashMap<&str, usize> =
                    std::collections::HashMap::with_capacity(entries.len());
                for (key, value) in entries {
                    if let Some(&first) = seen.get(key.text.as_str()) {
                        let first_span = kept[first].0.span;
                        self.report(
                            Diagnostic::error(
                                Code::DuplicateName,
                                key.span,
                                format!("{what} `{}` is defined twice", key.text),
                            )
                            .with_label("second definition")
                            .with_related(first_span, "first defined here")
                            .with_help(format!("rename or remove one of the two {what}s")),
                        );
                        continue;
                    }
                    seen.insert(key.text.as_str(), kept.len());
                    kept.push((key, value));
                }
                kept
            }
            _ => {
                self.wrong_type(node, "a mapping", &format!("the {what}s"));
                Vec::new()
            }
        }
    }

    /// The value of a required key; reports E004 when it is missing.
    pub(crate) fn require<'n>(
        &mut self,
        fields: &Fields<'n>,
        key: &str,
        what: &str,
    ) -> Option<&'n Node> {
        let found = fields.get(key);
        if found.is_none() {
            self.report(
                Diagnostic::error(
                    Code::MissingKey,
                    fields.span,
                    format!("{what} has no `{key}`"),
                )
                .with_label(format!("`{key}` missing here"))
                .with_help(format!("add `{key}:` to {what}")),
            );
        }
        found
    }

    /// A scalar as located text.
    pub(crate) fn text(&mut self, node: &Node, what: &str) -> Option<Name> {
        match &node.value {
            Value::Scalar(s) => Some(Name {
                text: s.text.clone(),
                span: node.span,
            }),
            _ => {
                self.wrong_type(node, "a string", what);
                None
            }
        }
    }

    /// A scalar that must be an identifier.
    pub(crate) fn identifier(&mut self, node: &Node, what: &str) -> Option<Name> {
        let name = self.text(node, what)?;
        self.check_identifier(&name.text, name.span, what);
        Some(name)
    }

    /// A mapping key that must be an identifier.
    pub(crate) fn key_name(&mut self, key: &Key, what: &str) -> Name {
        self.check_identifier(&key.text, key.span, what);
        Name {
            text: key.text.clone(),
            span: key.span,
        }
    }

    fn check_identifier(&mut self, text: &str, span: Span, what: &str) {
        if !is_identifier(text) {
            self.report(
                Diagnostic::error(
                    Code::InvalidName,
                    span,
                    format!("`{text}` is not a valid {what} name"),
                )
                .with_label("not an identifier")
                .with_help(
                    "names start with a letter or `_` and contain only letters, digits and `_`",
                ),
            );
        }
    }

    /// One name or a list of names, each an identifier.
    pub(crate) fn names(&mut self, node: &Node, what: &str) -> Vec<Name> {
        match &node.value {
            Value::Null => Vec::new(),
            Value::Seq(items) => items
                .iter()
                .filter_map(|i| self.identifier(i, what))
                .collect(),
            Value::Scalar(_) => self.identifier(node, what).into_iter().collect(),
            _ => {
                self.wrong_type(node, "a list of names", what);
                Vec::new()
            }
        }
    }

    /// A scalar parsed as a template (text with `{{ }}` parts), located in the source.
    pub(crate) fn template(&mut self, node: &Node, what: &str) -> Option<Template> {
        let text = self.text(node, what)?;
        match parse_template(
            &text.text,
            Origin::locate(self.source, node.span, &text.text),
        ) {
            Ok(t) => Some(t),
            Err(d) => {
                self.report(d);
                None
            }
        }
    }

    /// A scalar parsed as an expression (with or without `{{ }}`), located in the source.
    pub(crate) fn expression(&mut self, node: &Node, what: &str) -> Option<Expr> {
        let text = self.text(node, what)?;
        let source = text.text.trim_start_matches("{{").trim_end_matches("}}");
        match parse_expression(source, Origin::locate(self.source, node.span, source)) {
            Ok(e) => Some(e),
            Err(d) => {
                self.report(d);
                None
            }
        }
    }

    /// A scalar that must be a whole number.
    pub(crate) fn number(&mut self, node: &Node, what: &str) -> Option<u64> {
        match node.as_str().map(|s| s.parse::<u64>()) {
            Some(Ok(n)) => Some(n),
            _ => {
                self.wrong_type(node, "a whole number", what);
                None
            }
        }
    }
}
