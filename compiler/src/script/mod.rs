//! Conversation scripts: a caller's side of a conversation, service stubs, and optional assertions, played
//! through an engine and compared with a stored snapshot of its transactions. Every field is described, with
//! an example, in `docs/scripts.md`.
//!
//! ```yaml
//! name: track a parcel by voice
//! flow_file: ../parcel_tracking.yaml
//! caller: "+4915100000001"
//! snapshot: view                            # optional: `view` (default) or `full` transactions
//! services:
//!   lookupParcel: { branch: found, outputs: { parcelStatus: out for delivery } }
//! turns:
//!   - welcome
//!   - say: where is my parcel
//!   - intent: ProvideNumber
//!     confidence: 0.94                      # optional: intent.confidence
//!     intent_ranking:                       # optional: intentRanking, best first
//!       - { intent: ProvideNumber, confidence: 0.94 }
//!       - { intent: TrackParcel, confidence: 0.05 }
//!     slots: { number: "12345678" }         # sent as [{"entity": "number", "value": "12345678"}]
//!     expect: { state: tellStatus, prompt_contains: out for delivery, service_called: lookupParcel }
//!   - hangup
//! ```
//!
//! Scripts are checked like flows: `read` walks the located YAML tree and reports every shape problem at once
//! (unknown keys with "did you mean", wrong types, keys that do not go together), recording each name the
//! script takes from its flow as a [`Reference`]; `check` then looks those names up in the lowered flow.
//! `play` turns a script into requests, plays them and checks the assertions.

mod check;
mod play;
mod read;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::Checked;
use crate::diagnostic::{Code, Diagnostic, Span};
use crate::ir;
use crate::render::{self, Style};
use crate::yaml::{Node, Value};

pub use check::{KNOWN_EVENT_INTENTS, check_against};
pub use play::{Played, StubServices, play, prompt_text, requests};

/// The keys and words the script reader accepts, by what they belong to (see the JSON Schema of scripts,
/// [`crate::schema::SCRIPT`], which is tested against them).
pub fn key_tables() -> Vec<(&'static str, &'static [&'static str])> {
    read::key_tables()
}

/// One conversation script.
#[derive(Debug, Clone, Default)]
pub struct Script {
    /// What the conversation shows.
    pub name: String,
    /// The flow, relative to the script's folder.
    pub flow_file: PathBuf,
    /// `phoneV2` or `textchatV2`; the flow's first platform when absent.
    pub platform: Option<String>,
    /// The caller's number (phone) or requester id (chat).
    pub caller: String,
    /// The session id.
    pub session: String,
    /// Sets `callMeta.isPrivacyEnabled`.
    pub privacy: bool,
    /// What the snapshot stores (`snapshot: view|full`; the conversation view by default).
    pub snapshot: crate::snapshot::Kind,
    /// Service stubs by service name: one answer, or a list used in order (the last one repeats).
    pub services: BTreeMap<String, Stubs>,
    /// The caller's turns.
    pub turns: Vec<TurnEntry>,
    /// Where the script was read from (set by [`Script::load`]).
    pub path: PathBuf,
    /// Every name the script takes from its flow, where it is written; [`check_against`] looks them up.
    pub references: Vec<Reference>,
}

/// The caller number of a script that names none.
pub const DEFAULT_CALLER: &str = "+4915100000001";
/// The session id of a script that names none.
pub const DEFAULT_SESSION: &str = "session-1";

/// One stub or several in order.
#[derive(Debug, Clone)]
pub enum Stubs {
    /// The same answer every time.
    One(Stub),
    /// Answers in order; the last repeats.
    Many(Vec<Stub>),
}

/// A stubbed service answer.
#[derive(Debug, Clone, Default)]
pub struct Stub {
    /// The branch answered.
    pub branch: Option<String>,
    /// Output values by variable name.
    pub outputs: BTreeMap<String, String>,
    /// A failure message instead of an answer (takes the error branch, T11).
    pub fail: Option<String>,
}

/// A turn: a bare word (`welcome`, `launch`, `silence`, `hangup`, `quit`) or a mapping.
#[derive(Debug, Clone)]
pub enum TurnEntry {
    /// `- welcome` and friends.
    Bare(String),
    /// `- say: …`, `- intent: …`, `- dtmf: …`, with optional `expect`.
    Full(Box<TurnSpec>),
}

/// A turn written as a mapping.
#[derive(Debug, Clone, Default)]
pub struct TurnSpec {
    /// Utterance; its intent is found with the sample utterances (phone) or by the engine (chat).
    pub say: Option<String>,
    /// An intent as the NLU would send it (phone).
    pub intent: Option<String>,
    /// Slots for `intent`, by entity (sent as `{"entity": …, "value": …}`).
    pub slots: BTreeMap<String, String>,
    /// The NLU's confidence in `intent` (`intent.confidence`).
    pub confidence: Option<f64>,
    /// The NLU's ranking, best first (`intentRanking`).
    pub intent_ranking: Vec<Ranked>,
    /// Utterance text sent with `intent`.
    pub text: Option<String>,
    /// Keypad digits (phone).
    pub dtmf: Option<String>,
    /// An event: `welcome`, `launch`, `silence`, `hangup`, `quit`.
    pub event: Option<String>,
    /// Assertions on this turn's transaction.
    pub expect: Option<Expect>,
}

/// One entry of a turn's `intent_ranking`.
#[derive(Debug, Clone, Default)]
pub struct Ranked {
    /// The intent's name.
    pub intent: String,
    /// The NLU's confidence in it.
    pub confidence: f64,
}

/// Assertions on one turn, in Rasa's spirit.
#[derive(Debug, Clone, Default)]
pub struct Expect {
    /// The next state (block key, display name or id).
    pub state: Option<String>,
    /// The intent name recorded.
    pub intent: Option<String>,
    /// `locally`, `globally`, or `none` (nothing handled).
    pub handled: Option<String>,
    /// Values of variables after the turn.
    pub variables: BTreeMap<String, String>,
    /// Text the prompt (or a chat element) must contain.
    pub prompt_contains: Option<String>,
    /// A service that must have been called in this turn.
    pub service_called: Option<String>,
    /// Whether the conversation ends with this turn.
    pub ends: Option<bool>,
}

/// A name a script takes from its flow (or a turn that needs a platform), and where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// What the name must be in the flow.
    pub kind: ReferenceKind,
    /// The name as written.
    pub name: String,
    /// Where it is written.
    pub span: Span,
}

/// What a [`Reference`] must name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReferenceKind {
    /// The `flow_file` itself.
    FlowFile,
    /// The `platform` the script plays.
    Platform,
    /// A service: a stub's key or `expect.service_called`.
    Service,
    /// A branch of `service` (or `error`), answered by a stub.
    Branch {
        /// The stubbed service.
        service: String,
    },
    /// An output variable of `service`, set by a stub.
    Output {
        /// The stubbed service.
        service: String,
    },
    /// An intent: a turn's `intent`, an `intent_ranking` entry or `expect.intent`.
    Intent,
    /// A state: `expect.state`.
    State,
    /// A variable: a key of `expect.variables`.
    Variable,
    /// A turn (key or word, the `name`) that only phoneV2 has.
    PhoneOnly,
}

/// True when a YAML text is a conversation script: a top-level mapping with a `turns:` key and no `flow:` key.
/// Text that is not YAML counts when a line starts with `turns:`, so a broken script is still reported.
pub fn looks_like_script(text: &str) -> bool {
    match crate::yaml::parse(text) {
        Ok(Node {
            value: Value::Map(entries),
            ..
        }) => {
            entries.iter().any(|(k, _)| k.text == "turns")
                && !entries.iter().any(|(k, _)| k.text == "flow")
        }
        Err(_) => text.lines().any(|l| l.starts_with("turns:")),
        Ok(_) => false,
    }
}

impl Script {
    /// Reads a script and checks its shape (not its flow): the script, or its diagnostics drawn as text.
    pub fn load(path: &Path) -> Result<Script, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let checked = read_bytes(&path.display().to_string(), bytes);
        match checked.script {
            Some(mut script) if !checked.has_errors() => {
                script.path = path.to_path_buf();
                Ok(script)
            }
            _ => Err(checked.render(Style::Plain)),
        }
    }

    /// The flow file's path.
    pub fn flow_path(&self) -> PathBuf {
        self.path
            .parent()
            .unwrap_or(Path::new("."))
            .join(&self.flow_file)
    }

    /// Where the snapshot of this script's transactions lives: `snapshots/<stem>.snap` beside it.
    pub fn snapshot_path(&self) -> PathBuf {
        let stem = self
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.path
            .parent()
            .unwrap_or(Path::new("."))
            .join("snapshots")
            .join(format!("{stem}.snap"))
    }

    /// True when the script plays textchatV2 against `flow` (its `platform`, else the flow's first platform).
    pub fn is_chat(&self, flow: &ir::Flow) -> bool {
        match self.platform.as_deref() {
            Some(platform) => platform == "textchatV2",
            None => !flow.supports(crate::ast::Platform::Phone),
        }
    }
}

/// A conversation script after reading and, when its flow could be loaded, checking against the flow.
#[derive(Debug, Clone)]
pub struct CheckedScript {
    /// The file name used in diagnostics.
    pub file: String,
    /// The file's text.
    pub source: String,
    /// The script, when the file had the shape of one (even with problems inside).
    pub script: Option<Script>,
    /// The script's flow, lowered, when it could be read and has no errors.
    pub flow: Option<ir::Flow>,
    /// The flow's own check when it has errors, for callers that show them.
    pub flow_problems: Option<Checked>,
    /// Every problem of the script, sorted by position.
    pub diagnostics: Vec<Diagnostic>,
}

impl CheckedScript {
    /// True when at least one diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// Number of errors and of warnings.
    pub fn counts(&self) -> (usize, usize) {
        let errors = self.diagnostics.iter().filter(|d| d.is_error()).count();
        (errors, self.diagnostics.len() - errors)
    }

    /// The diagnostics drawn for people.
    pub fn render(&self, style: Style) -> String {
        render::render(&self.diagnostics, &self.file, &self.source, style)
    }

    /// Checks the script's names against `flow` (adding to the diagnostics) and keeps the flow.
    pub fn check_against(&mut self, flow: ir::Flow) {
        if let Some(script) = &self.script {
            self.diagnostics.extend(check_against(script, &flow));
            crate::diagnostic::sort_diagnostics(&mut self.diagnostics);
        }
        self.flow = Some(flow);
    }
}

/// Reads a script given as text; `file` names it in diagnostics. Checks the shape only, not the flow.
pub fn read_source(file: &str, source: &str) -> CheckedScript {
    let (script, mut diagnostics) = read::read(source);
    crate::diagnostic::sort_diagnostics(&mut diagnostics);
    CheckedScript {
        file: file.to_string(),
        source: source.to_string(),
        script,
        flow: None,
        flow_problems: None,
        diagnostics,
    }
}

/// Reads a script given as the bytes of its file: bytes that are not UTF-8 are one located error (E042).
pub fn read_bytes(file: &str, bytes: Vec<u8>) -> CheckedScript {
    match crate::encoding::decode(bytes) {
        Ok(source) => read_source(file, &source),
        Err(bad) => CheckedScript {
            file: file.to_string(),
            source: bad.text,
            script: None,
            flow: None,
            flow_problems: None,
            diagnostics: vec![bad.diagnostic],
        },
    }
}

/// Reads a script file, loads the flow it plays (relative to the script) and checks the script against it.
/// A flow that cannot be read or has errors is one E056 at `flow_file`; the flow's own diagnostics are in
/// [`CheckedScript::flow_problems`].
pub fn check_file(path: &Path) -> std::io::Result<CheckedScript> {
    let bytes = std::fs::read(path)?;
    let mut checked = read_bytes(&path.display().to_string(), bytes);
    let Some(script) = checked.script.as_mut() else {
        return Ok(checked);
    };
    script.path = path.to_path_buf();
    let flow_path = script.flow_path();
    let span = script
        .references
        .iter()
        .find(|r| r.kind == ReferenceKind::FlowFile)
        .map(|r| r.span)
        .unwrap_or_default();
    let shown = flow_path.display().to_string();
    let unusable = |message: String, help: String| {
        Diagnostic::error(Code::ScriptFlowUnusable, span, message)
            .with_label("the flow this script plays")
            .with_help(help)
    };
    match std::fs::read(&flow_path) {
        Err(e) => checked.diagnostics.push(unusable(
            format!("cannot read the flow `{shown}`: {e}"),
            "`flow_file` is relative to the script's folder".into(),
        )),
        Ok(bytes) => match crate::compile_bytes(&shown, bytes) {
            Ok((flow, _)) => checked.check_against(flow),
            Err(flow_checked) => {
                let (errors, _) = flow_checked.counts();
                checked.diagnostics.push(unusable(
                    format!("the flow `{shown}` has {errors} error(s); the script is not checked against it"),
                    format!("fix the flow first: `flowc check {shown}`"),
                ));
                checked.flow_problems = Some(flow_checked);
            }
        },
    }
    crate::diagnostic::sort_diagnostics(&mut checked.diagnostics);
    Ok(checked)
}
