//! Conversation scripts: a caller's side of a conversation, service stubs, and optional assertions, played
//! through an engine and compared with a stored snapshot of its transactions.
//!
//! ```yaml
//! name: track a parcel by voice
//! flow_file: ../parcel_tracking.yaml
//! caller: "+4915100000001"
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

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use flowc_runtime::chat::{ChatEvent, ChatRequest};
use flowc_runtime::phone::{CallMeta, IntentGuess, PhoneEvent, PhoneRequest, Slot, Slots};
use flowc_runtime::transaction::{Handled, Response, Transaction};
use flowc_runtime::{Engine, Flow};
use serde::Deserialize;

use crate::interpret::{ServiceError, ServiceReply, Services};
use crate::ir;

/// One conversation script.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    /// What the conversation shows.
    pub name: String,
    /// The flow, relative to the script's folder.
    pub flow_file: PathBuf,
    /// `phoneV2` or `textchatV2`; the flow's first platform when absent.
    #[serde(default)]
    pub platform: Option<String>,
    /// The caller's number (phone) or requester id (chat).
    #[serde(default = "default_caller")]
    pub caller: String,
    /// The session id.
    #[serde(default = "default_session")]
    pub session: String,
    /// Sets `callMeta.isPrivacyEnabled`.
    #[serde(default)]
    pub privacy: bool,
    /// Service stubs by service name: one answer, or a list used in order (the last one repeats).
    #[serde(default)]
    pub services: BTreeMap<String, Stubs>,
    /// The caller's turns.
    pub turns: Vec<TurnEntry>,
    /// Where the script was read from (set by [`Script::load`]).
    #[serde(skip)]
    pub path: PathBuf,
}

fn default_caller() -> String {
    "+4915100000001".into()
}

fn default_session() -> String {
    "session-1".into()
}

/// One stub or several in order.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Stubs {
    /// The same answer every time.
    One(Stub),
    /// Answers in order; the last repeats.
    Many(Vec<Stub>),
}

/// A stubbed service answer.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stub {
    /// The branch answered.
    #[serde(default)]
    pub branch: Option<String>,
    /// Output values by variable name.
    #[serde(default)]
    pub outputs: BTreeMap<String, String>,
    /// A failure message instead of an answer (takes the error branch, T11).
    #[serde(default)]
    pub fail: Option<String>,
}

/// A turn: a bare word (`welcome`, `launch`, `silence`, `hangup`, `quit`) or a mapping.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum TurnEntry {
    /// `- welcome` and friends.
    Bare(String),
    /// `- say: …`, `- intent: …`, `- dtmf: …`, with optional `expect`.
    Full(Box<TurnSpec>),
}

/// A turn written as a mapping.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TurnSpec {
    /// Utterance; its intent is found with the sample utterances (phone) or by the engine (chat).
    #[serde(default)]
    pub say: Option<String>,
    /// An intent as the NLU would send it (phone).
    #[serde(default)]
    pub intent: Option<String>,
    /// Slots for `intent`, by entity (sent as `{"entity": …, "value": …}`).
    #[serde(default)]
    pub slots: BTreeMap<String, String>,
    /// The NLU's confidence in `intent` (`intent.confidence`).
    #[serde(default)]
    pub confidence: Option<f64>,
    /// The NLU's ranking, best first (`intentRanking`).
    #[serde(default)]
    pub intent_ranking: Vec<Ranked>,
    /// Utterance text sent with `intent`.
    #[serde(default)]
    pub text: Option<String>,
    /// Keypad digits (phone).
    #[serde(default)]
    pub dtmf: Option<String>,
    /// An event: `welcome`, `launch`, `silence`, `hangup`, `quit`.
    #[serde(default)]
    pub event: Option<String>,
    /// Assertions on this turn's transaction.
    #[serde(default)]
    pub expect: Option<Expect>,
}

/// One entry of a turn's `intent_ranking`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ranked {
    /// The intent's name.
    pub intent: String,
    /// The NLU's confidence in it.
    pub confidence: f64,
}

/// Assertions on one turn, in Rasa's spirit.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The next state (block key, display name or id).
    #[serde(default)]
    pub state: Option<String>,
    /// The intent name recorded.
    #[serde(default)]
    pub intent: Option<String>,
    /// `locally`, `globally`, or `none` (nothing handled).
    #[serde(default)]
    pub handled: Option<String>,
    /// Values of variables after the turn.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// Text the prompt (or a chat element) must contain.
    #[serde(default)]
    pub prompt_contains: Option<String>,
    /// A service that must have been called in this turn.
    #[serde(default)]
    pub service_called: Option<String>,
    /// Whether the conversation ends with this turn.
    #[serde(default)]
    pub ends: Option<bool>,
}

impl Script {
    /// Reads a script.
    pub fn load(path: &Path) -> Result<Script, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut script: Script = serde_saphyr::from_str(&text)
            .map_err(|e| format!("{}: {}", path.display(), one_line(&e.to_string())))?;
        script.path = path.to_path_buf();
        Ok(script)
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
}

fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// True when a YAML text is a conversation script (has top-level `turns:` and `flow_file:`).
pub fn looks_like_script(text: &str) -> bool {
    text.lines().any(|l| l.starts_with("turns:"))
        && text.lines().any(|l| l.starts_with("flow_file:"))
}

/// Services answered from a script's stubs; records which were called.
#[derive(Debug, Default)]
pub struct StubServices {
    stubs: BTreeMap<String, Stubs>,
    used: Mutex<HashMap<String, usize>>,
    called: Mutex<Vec<String>>,
}

impl StubServices {
    /// Stubs from a script.
    pub fn new(stubs: BTreeMap<String, Stubs>) -> Self {
        StubServices {
            stubs,
            ..StubServices::default()
        }
    }

    /// True when a stub for `service` is given.
    pub fn has(&self, service: &str) -> bool {
        self.stubs.contains_key(service)
    }

    /// The services called since the last call of this method.
    pub fn take_calls(&self) -> Vec<String> {
        std::mem::take(&mut *self.called.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl Services for StubServices {
    fn call(
        &self,
        service: &str,
        _inputs: &[(&str, &str)],
        _context: &flowc_runtime::TurnContext,
    ) -> Result<ServiceReply, ServiceError> {
        self.called
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(service.to_string());
        let stub = match self.stubs.get(service) {
            None => {
                return Err(ServiceError::new(format!(
                    "no stub for service `{service}`"
                )));
            }
            Some(Stubs::One(stub)) => stub.clone(),
            Some(Stubs::Many(list)) => {
                let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
                let n = used.entry(service.to_string()).or_insert(0);
                let stub = list.get(*n).or(list.last()).cloned().unwrap_or_default();
                *n += 1;
                stub
            }
        };
        if let Some(message) = stub.fail {
            return Err(ServiceError::new(message));
        }
        Ok(ServiceReply {
            branch: stub.branch.unwrap_or_default(),
            outputs: stub.outputs.into_iter().collect(),
        })
    }
}

/// A script's requests, one per turn, as JSON lines for the platform.
pub fn requests(script: &Script, chat: bool, flow: &ir::Flow) -> Result<Vec<String>, String> {
    let intents: Vec<flowc_runtime::IntentSamples> = flow
        .intents
        .iter()
        .map(|i| flowc_runtime::IntentSamples {
            name: i.name.clone().into(),
            utterances: i
                .utterances
                .iter()
                .map(|u| u.clone().into())
                .collect::<Vec<_>>()
                .into(),
        })
        .collect();
    let meta = CallMeta {
        instance_id: Some("flowc-simulator".into()),
        call_id: Some(script.session.clone()),
        caller_id: Some(script.caller.clone()),
        session_id: Some(script.session.clone()),
        customer_id: Some("flowc".into()),
        production: Some(false),
        is_privacy_enabled: Some(script.privacy),
        ..CallMeta::default()
    };
    let mut out = Vec::with_capacity(script.turns.len());
    for (index, turn) in script.turns.iter().enumerate() {
        let spec = turn_spec(turn);
        let event = spec.event.as_deref();
        let json = if chat {
            let event = match (event, &spec.say) {
                (Some("launch" | "welcome"), _) => ChatEvent::Launch,
                (Some("quit" | "hangup"), _) => ChatEvent::Quit,
                (None, Some(text)) => ChatEvent::Message { text: text.clone() },
                _ => {
                    return Err(format!(
                        "turn {}: a chat turn is `launch`, `quit` or `say: …`",
                        index + 1
                    ));
                }
            };
            if spec.intent.is_some()
                || spec.dtmf.is_some()
                || spec.confidence.is_some()
                || !spec.intent_ranking.is_empty()
            {
                return Err(format!(
                    "turn {}: chat requests carry text only (`say:`), not `intent:`, `confidence:`, \
                     `intent_ranking:` or `dtmf:`",
                    index + 1
                ));
            }
            let mut request =
                ChatRequest::new(script.caller.clone(), script.session.clone(), event);
            // Chat has no NLU slots: `slots:` travel as context items, which expressions read as `slots.NAME`.
            if !spec.slots.is_empty() {
                request.context = Some(
                    spec.slots
                        .iter()
                        .map(|(k, v)| flowc_runtime::ContextItem {
                            key: k.clone(),
                            value: flowc_runtime::ContextValue::String(v.clone()),
                        })
                        .collect(),
                );
            }
            serde_json::to_string(&request)
        } else {
            let mut request = PhoneRequest::event(meta.clone(), PhoneEvent::Welcome);
            request.event = match event {
                Some("welcome" | "launch") => Some(PhoneEvent::Welcome),
                Some("hangup" | "quit") => Some(PhoneEvent::Hangup),
                Some("silence") => Some(PhoneEvent::NoInput),
                Some(other) => return Err(format!("turn {}: unknown event `{other}`", index + 1)),
                None if spec.dtmf.is_some() => Some(PhoneEvent::Dtmf),
                None => None,
            };
            request.collected_dtmf = spec.dtmf.clone();
            if event.is_none() && spec.dtmf.is_none() {
                let text = spec.say.clone().or(spec.text.clone());
                let intent = spec.intent.clone().or_else(|| {
                    text.as_deref()
                        .and_then(|t| flowc_runtime::matcher::match_intent(t, &intents))
                        .map(str::to_string)
                });
                if text.is_none() && intent.is_none() {
                    return Err(format!(
                        "turn {}: give `say`, `intent`, `dtmf` or an event",
                        index + 1
                    ));
                }
                request.text = text;
                request.intent = intent.map(|name| IntentGuess {
                    confidence: spec.confidence,
                    ..IntentGuess::named(name)
                });
                if !spec.intent_ranking.is_empty() {
                    request.intent_ranking = Some(
                        spec.intent_ranking
                            .iter()
                            .map(|r| IntentGuess::with_confidence(r.intent.clone(), r.confidence))
                            .collect(),
                    );
                }
                if !spec.slots.is_empty() {
                    request.slots = Some(Slots::List(
                        spec.slots
                            .iter()
                            .map(|(k, v)| Slot::new(k.clone(), v.clone()))
                            .collect(),
                    ));
                }
            }
            serde_json::to_string(&request)
        };
        out.push(json.map_err(|e| e.to_string())?);
    }
    Ok(out)
}

fn turn_spec(turn: &TurnEntry) -> TurnSpec {
    match turn {
        TurnEntry::Bare(word) => TurnSpec {
            event: Some(word.clone()),
            ..TurnSpec::default()
        },
        TurnEntry::Full(spec) => (**spec).clone(),
    }
}

/// What playing a script produced.
#[derive(Debug, Clone)]
pub struct Played {
    /// One transaction per turn.
    pub transactions: Vec<Transaction>,
    /// Assertions that failed, and requests the engine refused.
    pub failures: Vec<String>,
}

/// Plays a script through `engine`; `calls` drains the services called during a turn.
pub fn play<F: Flow>(
    engine: &Engine<F>,
    script: &Script,
    flow: &ir::Flow,
    calls: &dyn Fn() -> Vec<String>,
) -> Result<Played, String> {
    let chat = match script.platform.as_deref() {
        Some("textchatV2") => true,
        Some("phoneV2") => false,
        Some(other) => return Err(format!("unknown platform `{other}`")),
        None => !flow.supports(crate::ast::Platform::Phone),
    };
    let lines = requests(script, chat, flow)?;
    let mut played = Played {
        transactions: Vec::new(),
        failures: Vec::new(),
    };
    for (index, (line, turn)) in lines.iter().zip(&script.turns).enumerate() {
        let result = if chat {
            engine.handle_chat_json(line).map(|t| t.transaction)
        } else {
            engine.handle_phone_json(line).map(|t| t.transaction)
        };
        let transaction = match result {
            Ok(t) => t,
            Err(e) => {
                played.failures.push(format!("turn {}: {e}", index + 1));
                continue;
            }
        };
        let called = calls();
        if let Some(expect) = &turn_spec(turn).expect {
            check(
                expect,
                &transaction,
                &called,
                flow,
                index + 1,
                &mut played.failures,
            );
        }
        played.transactions.push(transaction);
    }
    Ok(played)
}

fn check(
    expect: &Expect,
    tx: &Transaction,
    called: &[String],
    flow: &ir::Flow,
    turn: usize,
    failures: &mut Vec<String>,
) {
    let mut fail = |what: String| failures.push(format!("turn {turn}: {what}"));
    if let Some(state) = &expect.state {
        let next = &tx.intent.next_state;
        let by_key = flow
            .blocks
            .iter()
            .find(|b| b.key == *state && matches!(b.kind, ir::BlockKind::Wait(_)))
            .map(|b| b.reference.id.as_str());
        let matches = next.name == state.as_str()
            || next.id == state.as_str()
            || by_key == Some(next.id.as_ref());
        if !matches {
            fail(format!(
                "expected state `{state}`, got `{}` ({})",
                next.name, next.id
            ));
        }
    }
    if let Some(intent) = &expect.intent
        && tx.intent.name != intent.as_str()
    {
        fail(format!(
            "expected intent `{intent}`, got `{}`",
            tx.intent.name
        ));
    }
    if let Some(handled) = &expect.handled {
        let got = match (tx.intent.handled, tx.intent.handled_by_state.id.is_empty()) {
            (_, true) => "none",
            (Handled::Locally, false) => "locally",
            (Handled::Globally, false) => "globally",
        };
        if got != handled {
            fail(format!("expected handled `{handled}`, got `{got}`"));
        }
    }
    for (name, want) in &expect.variables {
        match tx.variables.iter().find(|v| v.name == name.as_str()) {
            Some(v) if v.value == *want => {}
            Some(v) => fail(format!("expected `{name}` = {want:?}, got {:?}", v.value)),
            None => fail(format!("no variable `{name}`")),
        }
    }
    if let Some(text) = &expect.prompt_contains {
        let prompt = prompt_text(tx);
        if !prompt.contains(text.as_str()) {
            fail(format!(
                "expected the prompt to contain {text:?}, got {prompt:?}"
            ));
        }
    }
    if let Some(service) = &expect.service_called
        && !called.iter().any(|c| c == service)
    {
        fail(format!(
            "expected service `{service}` to be called, called: {called:?}"
        ));
    }
    if let Some(ends) = expect.ends {
        let got = tx.intent.next_state.id == ir::START_STATE_ID && ends_conversation(tx);
        if got != ends {
            fail(format!("expected ends = {ends}, got {got}"));
        }
    }
}

fn ends_conversation(tx: &Transaction) -> bool {
    match &tx.response {
        Response::Phone(r) => !r.continue_listening,
        Response::Chat(r) => r.end_conversation,
    }
}

/// What the bot said in a transaction: the phone prompt, or the chat elements joined.
pub fn prompt_text(tx: &Transaction) -> String {
    match &tx.response {
        Response::Phone(r) => r.prompt.clone(),
        Response::Chat(r) => r
            .response_elements
            .iter()
            .filter_map(|e| match e {
                flowc_runtime::ResponseElement::Text { content, .. } => Some(content.as_str()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join(" "),
    }
}
