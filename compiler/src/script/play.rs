//! Playing a script: its turns as platform requests, through an engine, with the stubs answering its
//! services and each turn's `expect` checked against the transaction.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use flowc_runtime::{
    CallMeta, ChatEvent, ChatRequest, Engine, Flow, Handled, IntentGuess, PhoneEvent, PhoneRequest,
    Response, Slot, Slots, Transaction,
};

use super::{Expect, Script, Stubs, TurnEntry, TurnSpec};
use crate::interpret::{ServiceError, ServiceReply, Services};
use crate::ir;

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
                        .and_then(|t| flowc_runtime::__private::matcher::match_intent(t, &intents))
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
        Some("textchatV2" | "phoneV2") | None => script.is_chat(flow),
        Some(other) => return Err(format!("unknown platform `{other}`")),
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
