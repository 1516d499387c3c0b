//! A located YAML tree, read with serde-saphyr.
//!
//! The flow parser does not deserialize straight into typed structs: serde stops at the first problem, while
//! users want every problem of a file at once. So YAML is first read into this small tree, in which every
//! scalar, sequence, mapping and mapping key carries its [`Span`]; the AST builder then walks it and reports
//! all problems it finds.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Location, Spanned};

use crate::diagnostic::{Code, Diagnostic, Span};

/// One YAML node and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// What the node holds.
    pub value: Value,
    /// Where the node is written.
    pub span: Span,
}

/// The content of a [`Node`].
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `~`, `null` or an empty value.
    Null,
    /// Any scalar, as the text the user wrote (numbers and booleans keep their spelling).
    Scalar(Scalar),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in source order, duplicates kept so the analyzer can report them.
    Map(Vec<(Key, Node)>),
}

/// A scalar's text and whether it was a string in YAML's eyes.
#[derive(Debug, Clone, PartialEq)]
pub struct Scalar {
    /// The scalar's text.
    pub text: String,
    /// True for strings; false for numbers and booleans written without quotes.
    pub is_string: bool,
}

/// A mapping key with its location.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    /// The key's text.
    pub text: String,
    /// Where the key is written.
    pub span: Span,
}

impl Node {
    /// A short name of the node's kind, for "expected X, found Y" messages.
    pub fn kind_name(&self) -> &'static str {
        match &self.value {
            Value::Null => "nothing",
            Value::Scalar(s) if s.is_string => "a string",
            Value::Scalar(_) => "a number or boolean",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// The scalar text, if this node is a scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) => Some(&s.text),
            _ => None,
        }
    }
}

/// The deepest nesting of sequences and mappings accepted.
pub const MAX_NESTING: usize = 32;

fn budget() -> serde_saphyr::Budget {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = MAX_NESTING;
    budget
}

/// Reads a YAML document into a [`Node`] tree, or reports why it cannot.
pub fn parse(source: &str) -> Result<Node, Diagnostic> {
    parse_document(
        source,
        "a flow file starts with `flow: <name>` and has a `dialogs:` section",
    )
}

/// [`parse`] for any kind of document; `empty_help` says what the document should hold when it holds nothing.
pub fn parse_document(source: &str, empty_help: &str) -> Result<Node, Diagnostic> {
    if source.trim().is_empty() {
        return Err(
            Diagnostic::error(Code::YamlSyntax, Span::at(1, 1, 0, 0), "the file is empty")
                .with_help(empty_help),
        );
    }
    let options = serde_saphyr::options! {
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::PassThrough,
        strict_booleans: true,
        // Flows nest about ten levels; a low limit stops hostile nesting long before the stack is at risk,
        // even on the small stacks of test threads and proc-macro servers.
        budget: Some(budget()),
    };
    let raw: Spanned<RawNode> =
        serde_saphyr::from_str_with_options(source, options).map_err(|e| yaml_error(source, &e))?;
    let root = convert(source, raw);
    if root.value == Value::Null {
        return Err(Diagnostic::error(
            Code::YamlSyntax,
            Span::at(1, 1, 0, 0),
            "the file holds no YAML content",
        )
        .with_help(empty_help));
    }
    Ok(root)
}

fn yaml_error(source: &str, error: &serde_saphyr::Error) -> Diagnostic {
    let span = error
        .location()
        .map(|loc| span_of(source, &loc))
        .unwrap_or_else(|| Span::at(1, 1, 0, 0));
    let message = first_line_of_message(error);
    let mut diagnostic =
        Diagnostic::error(Code::YamlSyntax, span, format!("invalid YAML: {message}"));
    let help = if source[..span.offset.min(source.len())]
        .lines()
        .last()
        .is_some_and(|l| l.contains('\t'))
        || message.contains("tab")
    {
        "YAML indentation must use spaces, not tabs"
    } else {
        "check the indentation and that every quote, `[` and `{` is closed"
    };
    diagnostic = diagnostic.with_help(help);
    diagnostic
}

/// serde-saphyr renders a snippet into its message; the diagnostic renderer draws its own, so keep the text.
fn first_line_of_message(error: &serde_saphyr::Error) -> String {
    let text = match error {
        serde_saphyr::Error::Message { msg, .. } => msg.clone(),
        other => other.to_string(),
    };
    let line = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    let line = line.strip_prefix("error:").unwrap_or(line).trim();
    // serde-saphyr may lead with "line X column Y: "; the diagnostic carries the location itself.
    let line = match line
        .strip_prefix("line ")
        .and_then(|rest| rest.split_once(": "))
    {
        Some((position, rest)) if position.contains("column") => rest,
        _ => line,
    };
    // Drop a trailing " at line X column Y": the diagnostic carries the location itself.
    match line.find(" at line ") {
        Some(cut) => line[..cut].to_string(),
        None => line.to_string(),
    }
}

fn span_of(source: &str, location: &Location) -> Span {
    let line = location.line().max(1) as u32;
    let column = location.column().max(1) as u32;
    let span = location.span();
    let offset = span
        .byte_offset()
        .map(|o| o as usize)
        .unwrap_or_else(|| offset_of(source, line, column));
    let len = span.byte_len().unwrap_or(0) as usize;
    let offset = offset.min(source.len());
    let len = len.min(source.len() - offset);
    Span::at(line, column, offset, len)
}

/// Byte offset of a 1-based line and character column, clamped to the source.
fn offset_of(source: &str, line: u32, column: u32) -> usize {
    let mut offset = 0;
    for (index, text) in source.split_inclusive('\n').enumerate() {
        if index + 1 == line as usize {
            let within: usize = text
                .chars()
                .take(column.saturating_sub(1) as usize)
                .map(char::len_utf8)
                .sum();
            return offset + within;
        }
        offset += text.len();
    }
    source.len()
}

fn convert(source: &str, raw: Spanned<RawNode>) -> Node {
    let span = span_of(source, &raw.referenced);
    let value = match raw.value {
        RawNode::Null => Value::Null,
        RawNode::Scalar(text, is_string) => {
            // Numbers and booleans keep the spelling the user wrote (`08` stays `08`).
            let text = if is_string {
                text
            } else {
                source
                    .get(span.offset..span.offset + span.len)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .unwrap_or(text)
            };
            Value::Scalar(Scalar { text, is_string })
        }
        RawNode::Seq(items) => Value::Seq(items.into_iter().map(|i| convert(source, i)).collect()),
        RawNode::Map(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| {
                    let key = Key {
                        span: span_of(source, &k.referenced),
                        text: k.value.0,
                    };
                    (key, convert(source, v))
                })
                .collect(),
        ),
    };
    Node { value, span }
}

/// The shape serde-saphyr fills; [`convert`] turns it into a [`Node`].
enum RawNode {
    Null,
    Scalar(String, bool),
    Seq(Vec<Spanned<RawNode>>),
    Map(Vec<(Spanned<KeyText>, Spanned<RawNode>)>),
}

struct KeyText(String);

impl<'de> Deserialize<'de> for RawNode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RawVisitor)
    }
}

impl<'de> Deserialize<'de> for KeyText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match deserializer.deserialize_any(RawVisitor)? {
            RawNode::Scalar(text, _) => Ok(KeyText(text)),
            RawNode::Null => Ok(KeyText(String::new())),
            _ => Err(de::Error::custom("mapping keys must be plain names")),
        }
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = RawNode;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<RawNode, E> {
        Ok(RawNode::Scalar(v.to_string(), false))
    }
    fn visit_i64<E>(self, v: i64) -> Result<RawNode, E> {
        Ok(RawNode::Scalar(v.to_string(), false))
    }
    fn visit_u64<E>(self, v: u64) -> Result<RawNode, E> {
        Ok(RawNode::Scalar(v.to_string(), false))
    }
    fn visit_i128<E>(self, v: i128) -> Result<RawNode, E> {
        Ok(RawNode::Scalar(v.to_string(), false))
    }
    fn visit_u128<E>(self, v: u128) -> Result<RawNode, E> {
        Ok(RawNode::Scalar(v.to_string(), false))
    }
    fn visit_f64<E>(self, v: f64) -> Result<RawNode, E> {
        Ok(RawNode::Scalar(v.to_string(), false))
    }
    fn visit_char<E>(self, v: char) -> Result<RawNode, E> {
        Ok(RawNode::Scalar(v.to_string(), true))
    }
    fn visit_str<E>(self, v: &str) -> Result<RawNode, E> {
        Ok(RawNode::Scalar(v.to_string(), true))
    }
    fn visit_string<E>(self, v: String) -> Result<RawNode, E> {
        Ok(RawNode::Scalar(v, true))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<RawNode, E> {
        Ok(RawNode::Scalar(
            String::from_utf8_lossy(v).into_owned(),
            true,
        ))
    }
    fn visit_unit<E>(self) -> Result<RawNode, E> {
        Ok(RawNode::Null)
    }
    fn visit_none<E>(self) -> Result<RawNode, E> {
        Ok(RawNode::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<RawNode, D::Error> {
        RawNode::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawNode, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<RawNode>>()? {
            items.push(item);
        }
        Ok(RawNode::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawNode, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<KeyText>>()? {
            let value = map.next_value::<Spanned<RawNode>>()?;
            entries.push((key, value));
        }
        Ok(RawNode::Map(entries))
    }
}
