//! Builds the [`ast::Flow`] from the located YAML tree, reporting every shape problem it meets (unknown keys
//! with a "did you mean", wrong types, missing keys, bad names, expression syntax) instead of stopping at the
//! first.

use crate::ast::*;
use crate::diagnostic::{Code, Diagnostic, Span, closest};
use crate::expr::{Expr, Origin, Template, parse_expression, parse_template};
use crate::yaml::{Key, Node, Value};

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
    };
    let flow = reader.flow(&root);
    (flow, reader.diagnostics)
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

const TOP_KEYS: &[&str] = &[
    "flow",
    "description",
    "release",
    "platforms",
    "language",
    "stt",
    "no_input",
    "variables",
    "intents",
    "services",
    "dialogs",
];
const DIALOG_KEYS: &[&str] = &["start", "global", "entry", "blocks"];
const STATE_KEYS: &[&str] = &["id", "name", "say", "reprompt", "on", "else", "dtmf"];
const GLOBAL_KEYS: &[&str] = &["on", "else", "on_error"];
const ACTION_KEYS: &[&str] = &["say", "set", "goto"];
const DTMF_KEYS: &[&str] = &["match", "say", "set", "goto"];
const SERVICE_KEYS: &[&str] = &["inputs", "outputs", "branches", "timeout_ms", "http"];
const HTTP_KEYS: &[&str] = &["url", "timeout_ms", "retries", "headers"];
/// The keys that give a block its kind.
pub const BLOCK_KINDS: &[&str] = &[
    "state",
    "end",
    "service",
    "condition",
    "set",
    "call",
    "exit",
    "back",
    "transfer",
    "note",
    "start",
    "global",
];

/// The mapping entries of one node, checked against the keys allowed there.
struct Fields<'n> {
    entries: Vec<(&'n Key, &'n Node)>,
    span: Span,
}

impl<'n> Fields<'n> {
    fn get(&self, key: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(k, _)| k.text == key)
            .map(|(_, v)| *v)
    }

    fn key(&self, key: &str) -> Option<&'n Key> {
        self.entries
            .iter()
            .find(|(k, _)| k.text == key)
            .map(|(k, _)| *k)
    }
}

struct Reader<'s> {
    source: &'s str,
    diagnostics: Vec<Diagnostic>,
}

impl<'s> Reader<'s> {
    fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    fn wrong_type(&mut self, node: &Node, expected: &str, what: &str) {
        self.report(
            Diagnostic::error(
                Code::WrongType,
                node.span,
                format!("{what} must be {expected}, found {}", node.kind_name()),
            )
            .with_label(format!("expected {expected}"))
            .with_help(format!("write {what} as {expected}; see docs/language.md")),
        );
    }

    /// The entries of a mapping; unknown keys and duplicates are reported and dropped.
    fn fields<'n>(&mut self, node: &'n Node, what: &str, allowed: &[&str]) -> Option<Fields<'n>> {
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
    fn named_entries<'n>(&mut self, node: &'n Node, what: &str) -> Vec<(&'n Key, &'n Node)> {
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

    fn require<'n>(&mut self, fields: &Fields<'n>, key: &str, what: &str) -> Option<&'n Node> {
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

    fn text(&mut self, node: &Node, what: &str) -> Option<Name> {
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

    fn identifier(&mut self, node: &Node, what: &str) -> Option<Name> {
        let name = self.text(node, what)?;
        self.check_identifier(&name.text, name.span, what);
        Some(name)
    }

    fn key_name(&mut self, key: &Key, what: &str) -> Name {
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

    fn names(&mut self, node: &Node, what: &str) -> Vec<Name> {
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

    fn template(&mut self, node: &Node, what: &str) -> Option<Template> {
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

    fn expression(&mut self, node: &Node, what: &str) -> Option<Expr> {
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

    fn number(&mut self, node: &Node, what: &str) -> Option<u64> {
        match node.as_str().map(|s| s.parse::<u64>()) {
            Some(Ok(n)) => Some(n),
            _ => {
                self.wrong_type(node, "a whole number", what);
                None
            }
        }
    }

    fn flow(&mut self, root: &Node) -> Option<Flow> {
        let fields = self.fields(root, "the flow", TOP_KEYS)?;
        let name = self
            .require(&fields, "flow", "the flow")
            .and_then(|n| self.identifier(n, "flow"));
        let description = fields
            .get("description")
            .and_then(|n| self.text(n, "`description`"))
            .map(|n| n.text);
        let release = fields
            .get("release")
            .and_then(|n| self.text(n, "`release`"));
        let language = fields
            .get("language")
            .and_then(|n| self.text(n, "`language`"));
        let platforms = match fields.get("platforms") {
            Some(node) => self.platforms(node),
            None => vec![(Platform::Phone, root.span)],
        };
        let stt = fields.get("stt").map(|n| self.stt(n)).unwrap_or_default();
        let no_input = fields.get("no_input").and_then(|node| {
            let f = self.fields(node, "`no_input`", &["reprompts"])?;
            let reprompts = self.require(&f, "reprompts", "`no_input`")?;
            let n = self.number(reprompts, "`no_input.reprompts`")?;
            Some((u32::try_from(n).unwrap_or(u32::MAX), node.span))
        });
        let variables = fields
            .get("variables")
            .map(|n| self.variables(n))
            .unwrap_or_default();
        let intents = fields
            .get("intents")
            .map(|n| self.intents(n))
            .unwrap_or_default();
        let services = fields
            .get("services")
            .map(|n| self.services(n))
            .unwrap_or_default();
        // Without dialogs there is no graph to analyze; the missing key is the one problem to report.
        let dialogs = self
            .require(&fields, "dialogs", "the flow")
            .map(|n| self.dialogs(n))?;
        Some(Flow {
            name: name.unwrap_or(Name {
                text: String::new(),
                span: root.span,
            }),
            description,
            release,
            platforms,
            language,
            stt,
            no_input,
            variables,
            intents,
            services,
            dialogs,
        })
    }

    fn platforms(&mut self, node: &Node) -> Vec<(Platform, Span)> {
        let items: Vec<&Node> = match &node.value {
            Value::Seq(items) => items.iter().collect(),
            Value::Scalar(_) => vec![node],
            _ => {
                self.wrong_type(node, "a list of platforms", "`platforms`");
                return Vec::new();
            }
        };
        let mut platforms = Vec::new();
        for item in items {
            let Some(name) = self.text(item, "a platform") else {
                continue;
            };
            match name.text.as_str() {
                "phoneV2" => platforms.push((Platform::Phone, name.span)),
                "textchatV2" => platforms.push((Platform::Chat, name.span)),
                other => {
                    let mut d = Diagnostic::error(
                        Code::UnknownPlatform,
                        name.span,
                        format!("unknown platform `{other}`"),
                    )
                    .with_label("not a platform");
                    d = match closest(other, ["phoneV2", "textchatV2"]) {
                        Some(s) => d.with_help(format!("did you mean `{s}`?")),
                        None => d.with_help("the platforms are `phoneV2` and `textchatV2`"),
                    };
                    self.report(d);
                }
            }
        }
        platforms
    }

    fn stt(&mut self, node: &Node) -> Stt {
        let mut stt = Stt::default();
        if let Some(f) = self.fields(node, "`stt`", &["type", "id"]) {
            if let Some(kind) = f.get("type").and_then(|n| self.text(n, "`stt.type`")) {
                stt.kind = kind.text;
            }
            if let Some(id) = f.get("id").and_then(|n| self.text(n, "`stt.id`")) {
                stt.id = id.text;
            }
        }
        stt
    }

    fn lifetime(&mut self, node: &Node) -> Option<Lifetime> {
        let name = self.text(node, "a lifetime")?;
        match name.text.as_str() {
            "session" => Some(Lifetime::Session),
            "user" => Some(Lifetime::User),
            other => {
                self.report(
                    Diagnostic::error(
                        Code::WrongType,
                        name.span,
                        format!("unknown lifetime `{other}`"),
                    )
                    .with_label("not a lifetime")
                    .with_help("a variable's lifetime is `session` or `user`"),
                );
                None
            }
        }
    }

    fn variables(&mut self, node: &Node) -> Vec<VariableDecl> {
        let mut out = Vec::new();
        for (key, value) in self.named_entries(node, "variable") {
            let name = self.key_name(key, "variable");
            let (lifetime, default) = match &value.value {
                Value::Null => (Some(Lifetime::Session), String::new()),
                Value::Scalar(_) => (self.lifetime(value), String::new()),
                Value::Map(_) => match self.fields(value, "a variable", &["lifetime", "default"]) {
                    Some(f) => {
                        let lifetime = match f.get("lifetime") {
                            Some(l) => self.lifetime(l),
                            None => Some(Lifetime::Session),
                        };
                        let default = f
                            .get("default")
                            .and_then(|d| self.text(d, "a variable's default"))
                            .map(|d| d.text)
                            .unwrap_or_default();
                        (lifetime, default)
                    }
                    None => (None, String::new()),
                },
                Value::Seq(_) => {
                    self.wrong_type(value, "`session`, `user` or a mapping", "a variable");
                    (None, String::new())
                }
            };
            out.push(VariableDecl {
                name,
                lifetime: lifetime.unwrap_or(Lifetime::Session),
                default,
            });
        }
        out
    }

    fn intents(&mut self, node: &Node) -> Vec<IntentDecl> {
        let mut out = Vec::new();
        for (key, value) in self.named_entries(node, "intent") {
            if !is_intent_name(&key.text) {
                self.report(
                    Diagnostic::error(
                        Code::InvalidName,
                        key.span,
                        format!("`{}` is not a valid intent name", key.text),
                    )
                    .with_help("intent names contain letters, digits, `_`, `.` and `-`"),
                );
            }
            if key.text == END_CONVERSATION_INTENT {
                self.report(
                    Diagnostic::error(
                        Code::DuplicateName,
                        key.span,
                        "`PARLOA.EndConversation` is built in",
                    )
                    .with_label("declared here")
                    .with_help("remove it from `intents:`; handle it in the global block's `on:`"),
                );
            }
            let utterances = match &value.value {
                Value::Null => Vec::new(),
                Value::Seq(items) => items
                    .iter()
                    .filter_map(|i| self.text(i, "an utterance"))
                    .map(|n| n.text)
                    .collect(),
                _ => {
                    self.wrong_type(value, "a list of sample utterances", "an intent");
                    Vec::new()
                }
            };
            out.push(IntentDecl {
                name: Name {
                    text: key.text.clone(),
                    span: key.span,
                },
                utterances,
            });
        }
        out
    }

    fn services(&mut self, node: &Node) -> Vec<ServiceDecl> {
        let mut out = Vec::new();
        for (key, value) in self.named_entries(node, "service") {
            let name = self.key_name(key, "service");
            let Some(f) = self.fields(value, "a service", SERVICE_KEYS) else {
                continue;
            };
            let inputs = f
                .get("inputs")
                .map(|n| self.names(n, "input"))
                .unwrap_or_default();
            let outputs = f
                .get("outputs")
                .map(|n| self.names(n, "output"))
                .unwrap_or_default();
            let branches = self
                .require(&f, "branches", "a service")
                .map(|n| self.names(n, "branch"))
                .unwrap_or_default();
            for (i, branch) in branches.iter().enumerate() {
                if branch.text == "error" {
                    self.report(
                        Diagnostic::error(
                            Code::DuplicateName,
                            branch.span,
                            "the `error` branch is implicit",
                        )
                        .with_help("remove `error` from `branches:`; every service can fail"),
                    );
                } else if let Some(first) = branches[..i].iter().find(|b| b.text == branch.text) {
                    self.report(
                        Diagnostic::error(
                            Code::DuplicateName,
                            branch.span,
                            format!("branch `{}` is listed twice", branch.text),
                        )
                        .with_related(first.span, "first listed here")
                        .with_help("list each branch once"),
                    );
                }
            }
            let timeout_ms = f
                .get("timeout_ms")
                .and_then(|n| self.number(n, "`timeout_ms`"));
            let http = f.get("http").and_then(|n| self.http(n));
            if let Some(spec) = &http {
                let limit = spec
                    .timeout_ms
                    .or(timeout_ms)
                    .unwrap_or(DEFAULT_HTTP_TIMEOUT_MS);
                if limit > MAX_HTTP_TIMEOUT_MS {
                    let span = f.get("http").map(|n| n.span).unwrap_or(name.span);
                    self.report(
                        Diagnostic::error(
                            Code::WrongType,
                            span,
                            format!("a timeout of {limit} ms is too long"),
                        )
                        .with_label("over the limit")
                        .with_help(format!(
                            "HTTP services may wait at most {MAX_HTTP_TIMEOUT_MS} ms"
                        )),
                    );
                }
            }
            out.push(ServiceDecl {
                name,
                inputs,
                outputs,
                branches,
                timeout_ms,
                http,
            });
        }
        out
    }

    fn http(&mut self, node: &Node) -> Option<HttpSpec> {
        let f = self.fields(node, "`http`", HTTP_KEYS)?;
        let url = self
            .require(&f, "url", "`http`")
            .and_then(|n| self.text(n, "`url`"))?;
        if !(url.text.starts_with("http://") || url.text.starts_with("https://"))
            || url.text.contains(char::is_whitespace)
        {
            self.report(
                Diagnostic::error(
                    Code::WrongType,
                    url.span,
                    format!("`{}` is not an HTTP URL", url.text),
                )
                .with_label("not http:// or https://")
                .with_help("write the endpoint as `https://host/path`"),
            );
        }
        let timeout_ms = f
            .get("timeout_ms")
            .and_then(|n| self.number(n, "`timeout_ms`"));
        let retries = f
            .get("retries")
            .and_then(|n| self.number(n, "`retries`"))
            .map(|r| u32::try_from(r.min(10)).unwrap_or(10));
        let mut headers = Vec::new();
        if let Some(node) = f.get("headers") {
            for (key, value) in self.named_entries(node, "HTTP header") {
                if let Some(value) = self.text(value, "an HTTP header value") {
                    headers.push((
                        Name {
                            text: key.text.clone(),
                            span: key.span,
                        },
                        value,
                    ));
                }
            }
        }
        Some(HttpSpec {
            url,
            timeout_ms,
            retries,
            headers,
        })
    }

    fn dialogs(&mut self, node: &Node) -> Vec<Dialog> {
        let mut out = Vec::new();
        for (key, value) in self.named_entries(node, "dialog") {
            let name = self.key_name(key, "dialog");
            let Some(f) = self.fields(value, &format!("dialog `{}`", name.text), DIALOG_KEYS)
            else {
                continue;
            };
            let mut blocks = Vec::new();
            if let (Some(k), Some(v)) = (f.key("start"), f.get("start")) {
                let body = self.state_body(v, "the start block");
                blocks.push(Block {
                    name: Name {
                        text: "start".into(),
                        span: k.span,
                    },
                    display_name: body.1,
                    kind: BlockKind::Start(body.0),
                    kind_span: k.span,
                });
            }
            if let (Some(k), Some(v)) = (f.key("global"), f.get("global")) {
                blocks.push(Block {
                    name: Name {
                        text: "global".into(),
                        span: k.span,
                    },
                    display_name: None,
                    kind: BlockKind::Global(self.global_body(v)),
                    kind_span: k.span,
                });
            }
            let entry = f.get("entry").and_then(|n| self.identifier(n, "block"));
            if let Some(node) = f.get("blocks") {
                for (key, value) in self.named_entries(node, "block") {
                    if key.text == "start" || key.text == "global" {
                        self.reserved_block_name(key);
                        continue;
                    }
                    if let Some(block) = self.block(key, value) {
                        blocks.push(block);
                    }
                }
            }
            out.push(Dialog {
                name,
                entry,
                blocks,
            });
        }
        out
    }

    fn reserved_block_name(&mut self, key: &Key) {
        let (code, what) = if key.text == "start" {
            (Code::DuplicateStart, "the Start Conversation block")
        } else {
            (Code::GlobalOutsideMain, "the Global Intents block")
        };
        self.report(
            Diagnostic::error(
                code,
                key.span,
                format!("`{}` is reserved for {what}", key.text),
            )
            .with_label("reserved name")
            .with_help(format!(
                "rename this block; write {what} as `{}:` directly under the dialog",
                key.text
            )),
        );
    }

    /// A block; when its body is broken (already reported) the block still exists as a plain `end`, so
    /// the blocks that go to it do not report a second, misleading "unknown target".
    fn block(&mut self, key: &Key, node: &Node) -> Option<Block> {
        let block = self.block_inner(key, node);
        if block.is_some() {
            return block;
        }
        Some(Block {
            name: Name {
                text: key.text.clone(),
                span: key.span,
            },
            display_name: None,
            kind: BlockKind::End { say: None },
            kind_span: key.span,
        })
    }

    fn block_inner(&mut self, key: &Key, node: &Node) -> Option<Block> {
        let name = self.key_name(key, "block");
        let Value::Map(entries) = &node.value else {
            self.wrong_type(
                node,
                "a mapping with one kind key (state, end, service, …)",
                &format!("block `{}`", name.text),
            );
            return None;
        };
        let kinds: Vec<&Key> = entries
            .iter()
            .map(|(k, _)| k)
            .filter(|k| BLOCK_KINDS.contains(&k.text.as_str()))
            .collect();
        let Some(kind_key) = kinds.first().copied() else {
            let mut d = Diagnostic::error(
                Code::MissingKey,
                key.span,
                format!("block `{}` has no kind", name.text),
            )
            .with_label("what does this block do?");
            let unknown = entries
                .iter()
                .find_map(|(k, _)| closest(&k.text, BLOCK_KINDS.iter().copied()).map(|s| (k, s)));
            d = match unknown {
                Some((k, s)) => d.with_help(format!(
                    "`{}` is not a block kind; did you mean `{s}`?",
                    k.text
                )),
                None => d.with_help(format!("give the block one of: {}", BLOCK_KINDS.join(", "))),
            };
            self.report(d);
            return None;
        };
        if let Some(second) = kinds.get(1) {
            self.report(
                Diagnostic::error(
                    Code::WrongType,
                    second.span,
                    format!(
                        "block `{}` has two kinds, `{}` and `{}`",
                        name.text, kind_key.text, second.text
                    ),
                )
                .with_related(kind_key.span, "first kind here")
                .with_help("split it into two blocks and link them with `goto`"),
            );
        }
        let allowed: &[&str] = match kind_key.text.as_str() {
            "service" | "call" => &["service", "call", "on", "name"],
            "set" => &["set", "goto", "name"],
            "global" => &["global"],
            other => match other {
                "state" => &["state", "name"],
                "start" => &["start", "name"],
                "end" => &["end", "name"],
                "condition" => &["condition", "name"],
                "exit" => &["exit", "name"],
                "back" => &["back", "name"],
                "transfer" => &["transfer", "name"],
                _ => &["note", "name"],
            },
        };
        let what = format!("block `{}`", name.text);
        let fields = self.fields(node, &what, allowed)?;
        let body = fields.get(&kind_key.text)?;
        let mut display_name = fields
            .get("name")
            .and_then(|n| self.text(n, "a block's `name`"));
        let kind = match kind_key.text.as_str() {
            "state" | "start" => {
                let (body, inner_name) = self.state_body(body, &what);
                display_name = self.one_name(display_name, inner_name);
                if kind_key.text == "start" {
                    BlockKind::Start(body)
                } else {
                    BlockKind::State(body)
                }
            }
            "global" => BlockKind::Global(self.global_body(body)),
            "end" | "back" => {
                let (say, inner_name) = self.say_only(body, &what);
                display_name = self.one_name(display_name, inner_name);
                if kind_key.text == "end" {
                    BlockKind::End { say }
                } else {
                    BlockKind::Back { say }
                }
            }
            "service" => BlockKind::Service {
                service: self.identifier(body, "service")?,
                on: self.branch_map(fields.get("on")),
            },
            "call" => BlockKind::Call {
                dialog: self.identifier(body, "dialog")?,
                on: self.branch_map(fields.get("on")),
            },
            "condition" => self.condition(body)?,
            "set" => BlockKind::Set {
                assignments: self.assignments(body),
                goto: fields
                    .get("goto")
                    .and_then(|n| self.identifier(n, "target block")),
            },
            "exit" => {
                let outcome = self.text(body, "`exit`")?;
                let outcome = match outcome.text.as_str() {
                    "success" => Outcome::Success,
                    "failure" => Outcome::Failure,
                    other => {
                        self.report(
                            Diagnostic::error(
                                Code::WrongType,
                                outcome.span,
                                format!("unknown exit outcome `{other}`"),
                            )
                            .with_help("a subdialog exits with `success` or `failure`"),
                        );
                        return None;
                    }
                };
                BlockKind::Exit { outcome }
            }
            "transfer" => self.transfer(body, &what, &mut display_name)?,
            _ => BlockKind::Note {
                text: self
                    .text(body, "a note")
                    .map(|n| n.text)
                    .unwrap_or_default(),
            },
        };
        Some(Block {
            name,
            display_name,
            kind,
            kind_span: kind_key.span,
        })
    }

    fn one_name(&mut self, outer: Option<Name>, inner: Option<Name>) -> Option<Name> {
        match (outer, inner) {
            (Some(outer), Some(inner)) => {
                self.report(
                    Diagnostic::error(
                        Code::DuplicateName,
                        inner.span,
                        "the block's `name` is given twice",
                    )
                    .with_related(outer.span, "also given here")
                    .with_help("keep one `name:`"),
                );
                Some(outer)
            }
            (outer, inner) => outer.or(inner),
        }
    }

    fn state_body(&mut self, node: &Node, what: &str) -> (StateBody, Option<Name>) {
        let mut body = StateBody::default();
        let Some(f) = self.fields(node, what, STATE_KEYS) else {
            return (body, None);
        };
        body.id = f.get("id").and_then(|n| self.text(n, "a state `id`"));
        let name = f.get("name").and_then(|n| self.text(n, "a state `name`"));
        if let Some(say) = f.get("say") {
            body.prompts = match &say.value {
                Value::Seq(items) => items
                    .iter()
                    .filter_map(|i| self.template(i, "a prompt"))
                    .collect(),
                _ => self.template(say, "a prompt").into_iter().collect(),
            };
        }
        body.reprompt = f
            .get("reprompt")
            .and_then(|n| self.template(n, "`reprompt`"));
        body.on = f.get("on").map(|n| self.handlers(n)).unwrap_or_default();
        body.otherwise = f.get("else").and_then(|n| self.action(n));
        if let Some(dtmf) = f.get("dtmf") {
            let items: Vec<&Node> = match &dtmf.value {
                Value::Seq(items) => items.iter().collect(),
                _ => vec![dtmf],
            };
            for item in items {
                let Some(df) = self.fields(item, "a dtmf handler", DTMF_KEYS) else {
                    continue;
                };
                let Some(pattern) = self
                    .require(&df, "match", "a dtmf handler")
                    .and_then(|n| self.text(n, "a dtmf `match`"))
                else {
                    continue;
                };
                let action = self.action_fields(&df, item.span);
                body.dtmf.push(DtmfHandler { pattern, action });
            }
        }
        (body, name)
    }

    fn global_body(&mut self, node: &Node) -> GlobalBody {
        let mut body = GlobalBody::default();
        let Some(f) = self.fields(node, "the global block", GLOBAL_KEYS) else {
            return body;
        };
        body.on = f.get("on").map(|n| self.handlers(n)).unwrap_or_default();
        body.otherwise = f.get("else").and_then(|n| self.action(n));
        body.on_error = f
            .get("on_error")
            .and_then(|n| self.identifier(n, "target block"));
        body
    }

    fn handlers(&mut self, node: &Node) -> Vec<Handler> {
        let mut out = Vec::new();
        for (key, value) in self.named_entries(node, "handler for intent") {
            if let Some(action) = self.action(value) {
                out.push(Handler {
                    intent: Name {
                        text: key.text.clone(),
                        span: key.span,
                    },
                    action,
                });
            }
        }
        out
    }

    fn action(&mut self, node: &Node) -> Option<Action> {
        match &node.value {
            Value::Scalar(_) => Some(Action {
                say: None,
                set: Vec::new(),
                goto: self.identifier(node, "target block"),
                span: node.span,
            }),
            Value::Map(_) => {
                let f = self.fields(node, "an action", ACTION_KEYS)?;
                self.require(&f, "goto", "an action");
                Some(self.action_fields(&f, node.span))
            }
            _ => {
                self.wrong_type(node, "a block name or `{ say, set, goto }`", "an action");
                None
            }
        }
    }

    fn action_fields(&mut self, f: &Fields<'_>, span: Span) -> Action {
        Action {
            say: f.get("say").and_then(|n| self.template(n, "`say`")),
            set: f
                .get("set")
                .map(|n| self.assignments(n))
                .unwrap_or_default(),
            goto: f
                .get("goto")
                .and_then(|n| self.identifier(n, "target block")),
            span,
        }
    }

    fn assignments(&mut self, node: &Node) -> Vec<Assignment> {
        let mut out = Vec::new();
        for (key, value) in self.named_entries(node, "assignment to") {
            let variable = self.key_name(key, "variable");
            if let Some(value) = self.template(value, "an assigned value") {
                out.push(Assignment { variable, value });
            }
        }
        out
    }

    fn branch_map(&mut self, node: Option<&Node>) -> Vec<(Name, Name)> {
        let Some(node) = node else { return Vec::new() };
        let mut out = Vec::new();
        for (key, value) in self.named_entries(node, "branch") {
            if let Some(target) = self.identifier(value, "target block") {
                out.push((
                    Name {
                        text: key.text.clone(),
                        span: key.span,
                    },
                    target,
                ));
            }
        }
        out
    }

    fn condition(&mut self, node: &Node) -> Option<BlockKind> {
        let Value::Seq(items) = &node.value else {
            self.wrong_type(
                node,
                "a list of `{ when, goto }` ending with `{ else }`",
                "a condition",
            );
            return None;
        };
        let mut arms = Vec::new();
        let mut otherwise = None;
        for item in items {
            let Some(f) = self.fields(item, "a condition arm", &["when", "goto", "else"]) else {
                continue;
            };
            if let Some(target) = f.get("else") {
                if f.get("when").is_some() || f.get("goto").is_some() {
                    self.report(
                        Diagnostic::error(
                            Code::WrongType,
                            item.span,
                            "an `else` arm has no `when` or `goto`",
                        )
                        .with_help("write the fallback as `- else: target`"),
                    );
                }
                otherwise = self.identifier(target, "target block");
                continue;
            }
            // An arm whose expression does not parse keeps its target, so the graph checks do not report
            // follow-on problems (an "unreachable" target) for one typo.
            let when = self.require(&f, "when", "a condition arm").map(|n| {
                self.expression(n, "`when`").unwrap_or(Expr {
                    kind: crate::expr::ExprKind::Bool(false),
                    span: n.span,
                })
            });
            let goto = self
                .require(&f, "goto", "a condition arm")
                .and_then(|n| self.identifier(n, "target block"));
            if let (Some(when), Some(goto)) = (when, goto) {
                arms.push(ConditionArm { when, goto });
            }
        }
        Some(BlockKind::Condition { arms, otherwise })
    }

    fn say_only(&mut self, node: &Node, what: &str) -> (Option<Template>, Option<Name>) {
        match &node.value {
            Value::Null => (None, None),
            Value::Scalar(_) => (self.template(node, "`say`"), None),
            _ => match self.fields(node, what, &["say", "name"]) {
                Some(f) => (
                    f.get("say").and_then(|n| self.template(n, "`say`")),
                    f.get("name").and_then(|n| self.text(n, "a block's `name`")),
                ),
                None => (None, None),
            },
        }
    }

    fn transfer(
        &mut self,
        node: &Node,
        what: &str,
        display_name: &mut Option<Name>,
    ) -> Option<BlockKind> {
        let f = self.fields(node, what, &["say", "refer_to", "headers", "name"])?;
        let inner = f.get("name").and_then(|n| self.text(n, "a block's `name`"));
        *display_name = self.one_name(display_name.take(), inner);
        let say = f.get("say").and_then(|n| self.template(n, "`say`"));
        let refer_to = self
            .require(&f, "refer_to", "a transfer")
            .and_then(|n| self.template(n, "`refer_to`"));
        let mut headers = Vec::new();
        if let Some(node) = f.get("headers") {
            for (key, value) in self.named_entries(node, "SIP header") {
                if let Some(value) = self.template(value, "a SIP header value") {
                    headers.push((
                        Name {
                            text: key.text.clone(),
                            span: key.span,
                        },
                        value,
                    ));
                }
            }
        }
        Some(BlockKind::Transfer {
            say,
            refer_to: refer_to?,
            headers,
        })
    }
}

/// `[A-Za-z_][A-Za-z0-9_]*`.
pub fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn is_intent_name(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}
