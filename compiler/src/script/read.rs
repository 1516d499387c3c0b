//! Reading a script from the located YAML tree: every shape problem at once (unknown keys with "did you
//! mean", wrong types and values, missing keys, keys that do not go together), and a [`Reference`] for every
//! name the script takes from its flow.

use std::collections::BTreeMap;

use super::{
    DEFAULT_CALLER, DEFAULT_SESSION, Expect, Ranked, Reference, ReferenceKind, Script, Stub, Stubs,
    TurnEntry, TurnSpec,
};
use crate::diagnostic::{Code, Diagnostic, Span, closest};
use crate::parse::Reader;
use crate::parse::reader::Fields;
use crate::yaml::{Node, Value};

const SCRIPT_KEYS: &[&str] = &[
    "name",
    "flow_file",
    "platform",
    "caller",
    "session",
    "privacy",
    "snapshot",
    "services",
    "turns",
];
const STUB_KEYS: &[&str] = &["branch", "outputs", "fail"];
const TURN_KEYS: &[&str] = &[
    "say",
    "intent",
    "text",
    "slots",
    "confidence",
    "intent_ranking",
    "dtmf",
    "event",
    "expect",
];
/// The keys that say what a turn sends; a turn has exactly one.
const TURN_KINDS: &[&str] = &["say", "intent", "dtmf", "event"];
const RANKED_KEYS: &[&str] = &["intent", "confidence"];
const EXPECT_KEYS: &[&str] = &[
    "state",
    "intent",
    "handled",
    "variables",
    "prompt_contains",
    "service_called",
    "ends",
];
/// The event words, as bare turns or under `event:`.
pub(super) const EVENTS: &[&str] = &["welcome", "launch", "silence", "hangup", "quit"];
const PLATFORMS: &[&str] = &["phoneV2", "textchatV2"];
const HANDLED: &[&str] = &["locally", "globally", "none"];

/// The keys each mapping of a script may hold (`script`, `stub`, `turn`, `ranked`, `expect`) and the words
/// some values take (`events`, `handled`), as the reader accepts them; the script JSON Schema is checked
/// against this list.
pub(super) fn key_tables() -> Vec<(&'static str, &'static [&'static str])> {
    vec![
        ("script", SCRIPT_KEYS),
        ("stub", STUB_KEYS),
        ("turn", TURN_KEYS),
        ("ranked", RANKED_KEYS),
        ("expect", EXPECT_KEYS),
        ("events", EVENTS),
        ("handled", HANDLED),
    ]
}

/// Reads a script's text: the script when the file has the shape of one, and every problem found.
pub(super) fn read(source: &str) -> (Option<Script>, Vec<Diagnostic>) {
    let root = match crate::yaml::parse_document(
        source,
        "a conversation script has `name:`, `flow_file:` and `turns:`; see docs/scripts.md",
    ) {
        Ok(root) => root,
        Err(diagnostic) => return (None, vec![diagnostic]),
    };
    let mut reader = ScriptReader {
        reader: Reader {
            source,
            diagnostics: Vec::new(),
            guide: "docs/scripts.md",
        },
        references: Vec::new(),
    };
    let script = reader.script(&root);
    (script, reader.reader.diagnostics)
}

struct ScriptReader<'s> {
    reader: Reader<'s>,
    references: Vec<Reference>,
}

impl ScriptReader<'_> {
    fn refer(&mut self, kind: ReferenceKind, name: &str, span: Span) {
        self.references.push(Reference {
            kind,
            name: name.to_string(),
            span,
        });
    }

    fn report(&mut self, diagnostic: Diagnostic) {
        self.reader.report(diagnostic);
    }

    fn text(&mut self, node: &Node, what: &str) -> Option<String> {
        self.reader.text(node, what).map(|n| n.text)
    }

    /// A scalar that must be one of `allowed`; anything else is E003 with a "did you mean".
    fn one_of(&mut self, node: &Node, what: &str, allowed: &[&str]) -> Option<String> {
        let text = self.text(node, what)?;
        if allowed.contains(&text.as_str()) {
            return Some(text);
        }
        let help = match closest(&text, allowed.iter().copied()) {
            Some(near) => format!("did you mean `{near}`?"),
            None => format!("{what} is one of: {}", allowed.join(", ")),
        };
        self.report(
            Diagnostic::error(
                Code::WrongType,
                node.span,
                format!("`{text}` is not a valid {what}"),
            )
            .with_label("not known here")
            .with_help(help),
        );
        None
    }

    fn boolean(&mut self, node: &Node, what: &str) -> Option<bool> {
        match &node.value {
            Value::Scalar(s) if !s.is_string && (s.text == "true" || s.text == "false") => {
                Some(s.text == "true")
            }
            _ => {
                self.reader.wrong_type(node, "`true` or `false`", what);
                None
            }
        }
    }

    /// A confidence: a number from 0 to 1.
    fn confidence(&mut self, node: &Node, what: &str) -> Option<f64> {
        match node.as_str().map(|t| (t, t.parse::<f64>())) {
            Some((_, Ok(c))) if (0.0..=1.0).contains(&c) => Some(c),
            Some((text, Ok(_))) => {
                self.report(
                    Diagnostic::error(
                        Code::WrongType,
                        node.span,
                        format!("{what} `{text}` is not between 0 and 1"),
                    )
                    .with_label("out of range")
                    .with_help("an NLU confidence is a number from 0 to 1, e.g. `0.94`"),
                );
                None
            }
            _ => {
                self.reader.wrong_type(node, "a number from 0 to 1", what);
                None
            }
        }
    }

    /// A mapping of names to scalar values (slots, outputs, variables); each key becomes a reference.
    fn string_map(
        &mut self,
        node: &Node,
        what: &str,
        kind: Option<ReferenceKind>,
    ) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for (key, value) in self.reader.named_entries(node, what) {
            if let Some(kind) = &kind {
                self.refer(kind.clone(), &key.text, key.span);
            }
            let text = match &value.value {
                Value::Null => Some(String::new()),
                _ => self.text(value, &format!("the value of {what} `{}`", key.text)),
            };
            if let Some(text) = text {
                out.insert(key.text.clone(), text);
            }
        }
        out
    }

    fn script(&mut self, root: &Node) -> Option<Script> {
        let fields = self.reader.fields(root, "the script", SCRIPT_KEYS)?;
        let mut script = Script {
            caller: DEFAULT_CALLER.into(),
            session: DEFAULT_SESSION.into(),
            ..Script::default()
        };
        if let Some(node) = self.reader.require(&fields, "name", "the script") {
            script.name = self.text(node, "`name`").unwrap_or_default();
        }
        if let Some(node) = self.reader.require(&fields, "flow_file", "the script")
            && let Some(file) = self.text(node, "`flow_file`")
        {
            self.refer(ReferenceKind::FlowFile, &file, node.span);
            script.flow_file = file.into();
        }
        if let Some(node) = fields.get("platform")
            && let Some(platform) = self.text(node, "`platform`")
        {
            if PLATFORMS.contains(&platform.as_str()) {
                self.refer(ReferenceKind::Platform, &platform, node.span);
                script.platform = Some(platform);
            } else {
                let help = match closest(&platform, PLATFORMS.iter().copied()) {
                    Some(near) => format!("did you mean `{near}`?"),
                    None => "use `phoneV2` or `textchatV2`".into(),
                };
                self.report(
                    Diagnostic::error(
                        Code::UnknownPlatform,
                        node.span,
                        format!("unknown platform `{platform}`"),
                    )
                    .with_label("not a platform")
                    .with_help(help),
                );
            }
        }
        if let Some(node) = fields.get("caller") {
            script.caller = self.text(node, "`caller`").unwrap_or(script.caller);
        }
        if let Some(node) = fields.get("session") {
            script.session = self.text(node, "`session`").unwrap_or(script.session);
        }
        if let Some(node) = fields.get("privacy") {
            script.privacy = self.boolean(node, "`privacy`").unwrap_or(false);
        }
        if let Some(node) = fields.get("snapshot")
            && let Some(kind) = self.text(node, "`snapshot`")
        {
            match crate::snapshot::Kind::parse(&kind) {
                Some(kind) => script.snapshot = kind,
                None => self.report(
                    Diagnostic::error(
                        Code::WrongType,
                        node.span,
                        format!("unknown snapshot kind `{kind}`"),
                    )
                    .with_label("not a snapshot kind")
                    .with_help("`view` (the conversation view, the default) or `full` (every transaction as JSON)"),
                ),
            }
        }
        if let Some(node) = fields.get("services") {
            script.services = self.services(node);
        }
        if let Some(node) = self.reader.require(&fields, "turns", "the script") {
            script.turns = self.turns(node);
        }
        script.references = std::mem::take(&mut self.references);
        Some(script)
    }

    fn services(&mut self, node: &Node) -> BTreeMap<String, Stubs> {
        let mut out = BTreeMap::new();
        for (key, value) in self.reader.named_entries(node, "service stub") {
            self.refer(ReferenceKind::Service, &key.text, key.span);
            let stubs = match &value.value {
                Value::Seq(items) => {
                    if items.is_empty() {
                        self.reader.wrong_type(
                            value,
                            "a stub or a non-empty list of stubs",
                            "a stub",
                        );
                    }
                    Stubs::Many(
                        items
                            .iter()
                            .filter_map(|item| self.stub(item, &key.text))
                            .collect(),
                    )
                }
                _ => match self.stub(value, &key.text) {
                    Some(stub) => Stubs::One(stub),
                    None => continue,
                },
            };
            out.insert(key.text.clone(), stubs);
        }
        out
    }

    fn stub(&mut self, node: &Node, service: &str) -> Option<Stub> {
        let what = format!("the stub of `{service}`");
        let fields = self.reader.fields(node, &what, STUB_KEYS)?;
        let mut stub = Stub::default();
        if let Some(node) = fields.get("branch")
            && let Some(branch) = self.text(node, "a stub's `branch`")
        {
            let service = service.to_string();
            self.refer(ReferenceKind::Branch { service }, &branch, node.span);
            stub.branch = Some(branch);
        }
        if let Some(node) = fields.get("outputs") {
            let service = service.to_string();
            stub.outputs =
                self.string_map(node, "stub output", Some(ReferenceKind::Output { service }));
        }
        if let Some(node) = fields.get("fail") {
            stub.fail = self.text(node, "a stub's `fail`");
        }
        if let Some(fail) = fields.key("fail") {
            for other in ["branch", "outputs"] {
                if fields.get(other).is_some() {
                    self.report(
                        conflict(fail.span, &format!("a stub with `fail` has no `{other}`"))
                            .with_help(
                                "a failing stub takes the `error` branch and sets no outputs; \
                                 drop `fail` to answer a branch",
                            ),
                    );
                }
            }
        } else if fields.get("branch").is_none() {
            self.report(
                Diagnostic::error(
                    Code::MissingKey,
                    node.span,
                    format!("{what} answers no branch"),
                )
                .with_label("`branch` missing here")
                .with_help("add `branch: <name>`, or `fail: <message>` for a failing call"),
            );
        }
        Some(stub)
    }

    fn turns(&mut self, node: &Node) -> Vec<TurnEntry> {
        let Value::Seq(items) = &node.value else {
            self.reader.wrong_type(node, "a list of turns", "`turns`");
            return Vec::new();
        };
        items.iter().filter_map(|item| self.turn(item)).collect()
    }

    fn turn(&mut self, node: &Node) -> Option<TurnEntry> {
        if let Value::Scalar(_) = node.value {
            let word = self.one_of(node, "turn", EVENTS)?;
            if word == "silence" {
                self.refer(ReferenceKind::PhoneOnly, "silence", node.span);
            }
            return Some(TurnEntry::Bare(word));
        }
        let fields = self.reader.fields(node, "a turn", TURN_KEYS)?;
        let mut spec = TurnSpec::default();
        let kinds: Vec<&str> = TURN_KINDS
            .iter()
            .copied()
            .filter(|k| fields.get(k).is_some())
            .collect();
        // A misspelt kind (`sey:`) is reported as an unknown key already; saying the turn is empty adds nothing.
        let misspelt = matches!(&node.value, Value::Map(entries)
            if entries.iter().any(|(k, _)| !TURN_KEYS.contains(&k.text.as_str())));
        match kinds.as_slice() {
            [] if misspelt => {}
            [] => self.report(
                Diagnostic::error(
                    Code::MissingKey,
                    node.span,
                    "the turn sends nothing: it has none of `say`, `intent`, `dtmf`, `event`",
                )
                .with_label("a turn without input")
                .with_help(
                    "add `say: <text>`, `intent: <name>`, `dtmf: <digits>` or `event: <word>`",
                ),
            ),
            [_] => {}
            [first, rest @ ..] => {
                for other in rest {
                    let span = fields.key(other).map_or(node.span, |k| k.span);
                    self.report(
                        conflict(
                            span,
                            &format!(
                                "`{other}` does not go with `{first}`: a turn sends one of `say`, \
                                 `intent`, `dtmf`, `event`"
                            ),
                        )
                        .with_help(
                            "split it into two turns; to send an utterance with a known intent, \
                             write `intent:` with `text:`",
                        ),
                    );
                }
            }
        }
        let kind = kinds.first().copied();
        self.companions(&fields, kind);
        if let Some(node) = fields.get("say") {
            spec.say = self.text(node, "`say`");
        }
        if let Some(node) = fields.get("intent")
            && let Some(intent) = self.text(node, "`intent`")
        {
            self.refer(ReferenceKind::Intent, &intent, node.span);
            self.phone_only(&fields, "intent");
            spec.intent = Some(intent);
        }
        if let Some(node) = fields.get("text") {
            spec.text = self.text(node, "`text`");
        }
        if let Some(node) = fields.get("slots") {
            spec.slots = self.string_map(node, "slot", None);
        }
        if let Some(node) = fields.get("confidence") {
            self.phone_only(&fields, "confidence");
            spec.confidence = self.confidence(node, "`confidence`");
        }
        if let Some(node) = fields.get("intent_ranking") {
            self.phone_only(&fields, "intent_ranking");
            spec.intent_ranking = self.ranking(node);
        }
        if let Some(node) = fields.get("dtmf") {
            self.phone_only(&fields, "dtmf");
            spec.dtmf = self.text(node, "`dtmf`");
        }
        if let Some(node) = fields.get("event") {
            spec.event = self.one_of(node, "event", EVENTS);
            if spec.event.as_deref() == Some("silence") {
                self.refer(ReferenceKind::PhoneOnly, "silence", node.span);
            }
        }
        if let Some(node) = fields.get("expect") {
            spec.expect = self.expect(node);
        }
        Some(TurnEntry::Full(Box::new(spec)))
    }

    /// Keys that only make sense next to some turn kinds: `text` with `intent`; `slots`, `confidence` and
    /// `intent_ranking` with `say` or `intent`.
    fn companions(&mut self, fields: &Fields<'_>, kind: Option<&str>) {
        let rules: [(&str, &[&str], &str); 4] = [
            (
                "text",
                &["intent"],
                "`text` is the utterance sent with `intent`; a `say` turn's text is its `say`",
            ),
            (
                "slots",
                &["say", "intent"],
                "slots travel with an utterance (`say`) or an intent",
            ),
            (
                "confidence",
                &["say", "intent"],
                "a confidence belongs to the intent of a `say` or `intent` turn",
            ),
            (
                "intent_ranking",
                &["say", "intent"],
                "a ranking belongs to a `say` or `intent` turn",
            ),
        ];
        for (key, with, help) in rules {
            let Some(written) = fields.key(key) else {
                continue;
            };
            match kind {
                Some(kind) if !with.contains(&kind) => self.report(
                    conflict(
                        written.span,
                        &format!(
                            "`{key}` does not go with `{kind}`; the request would not carry it"
                        ),
                    )
                    .with_help(help),
                ),
                _ => {}
            }
        }
    }

    fn phone_only(&mut self, fields: &Fields<'_>, key: &str) {
        if let Some(written) = fields.key(key) {
            self.refer(ReferenceKind::PhoneOnly, key, written.span);
        }
    }

    fn ranking(&mut self, node: &Node) -> Vec<Ranked> {
        let Value::Seq(items) = &node.value else {
            self.reader.wrong_type(
                node,
                "a list of `{ intent, confidence }`",
                "`intent_ranking`",
            );
            return Vec::new();
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let Some(fields) = self
                .reader
                .fields(item, "an `intent_ranking` entry", RANKED_KEYS)
            else {
                continue;
            };
            let intent = self
                .reader
                .require(&fields, "intent", "an `intent_ranking` entry")
                .and_then(|n| {
                    let name = self.text(n, "`intent`")?;
                    self.refer(ReferenceKind::Intent, &name, n.span);
                    Some(name)
                });
            let confidence = self
                .reader
                .require(&fields, "confidence", "an `intent_ranking` entry")
                .and_then(|n| self.confidence(n, "`confidence`"));
            if let (Some(intent), Some(confidence)) = (intent, confidence) {
                out.push(Ranked { intent, confidence });
            }
        }
        out
    }

    fn expect(&mut self, node: &Node) -> Option<Expect> {
        let fields = self.reader.fields(node, "`expect`", EXPECT_KEYS)?;
        let mut expect = Expect::default();
        let named = |this: &mut Self, key: &str, kind: ReferenceKind| {
            let node = fields.get(key)?;
            let name = this.text(node, &format!("`expect.{key}`"))?;
            this.refer(kind, &name, node.span);
            Some(name)
        };
        expect.state = named(self, "state", ReferenceKind::State);
        expect.intent = named(self, "intent", ReferenceKind::Intent);
        expect.service_called = named(self, "service_called", ReferenceKind::Service);
        if let Some(node) = fields.get("handled") {
            expect.handled = self.one_of(node, "`expect.handled`", HANDLED);
        }
        if let Some(node) = fields.get("variables") {
            expect.variables = self.string_map(node, "variable", Some(ReferenceKind::Variable));
        }
        if let Some(node) = fields.get("prompt_contains") {
            expect.prompt_contains = self.text(node, "`expect.prompt_contains`");
        }
        if let Some(node) = fields.get("ends") {
            expect.ends = self.boolean(node, "`expect.ends`");
        }
        Some(expect)
    }
}

fn conflict(span: Span, message: &str) -> Diagnostic {
    Diagnostic::error(Code::ScriptConflictingKeys, span, message).with_label("does not go here")
}
