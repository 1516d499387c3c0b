//! The turn loop: the one place where T1–T16 are implemented, for every flow.

use std::sync::Arc;

use crate::chat::{CHAT_API_VERSION, ChatEvent, ChatRequest, ChatResponse, ResponseElement};
use crate::clock::{Clock, FixedClock, IdSource, ObjectIdSource, SequentialIds, SystemClock};
use crate::conversation::{Conversation, Frame};
use crate::flow::{
    BlockIx, Flow, HandlerIx, Outcome, Scope, ServiceResult, StateIx, Step, TurnContext, TurnInput,
};
use crate::phone::{
    CallControlMessage, CallMeta, CustomStt, PhoneEvent, PhoneRequest, PhoneResponse,
};
use crate::privacy::Redact;
use crate::sink::{AnalyticsSink, MemorySink, SinkError};
use crate::store::{InMemoryStore, InMemoryUserStore, SessionStore, UserStore};
use crate::transaction::{
    AffectedStep, Handled, IntentRecord, Meta, Platform, Request, Response, StateRef, Transaction,
    Variable,
};

/// The intent name of a HANGUP or chat quit (T4, T7).
pub const END_CONVERSATION_INTENT: &str = "PARLOA.EndConversation";
/// The intent name flowc reports for WELCOME / chat launch (T8).
pub const WELCOME_INTENT: &str = "PARLOA.Welcome";
/// The intent name flowc reports for NO_INPUT (T9).
pub const NO_INPUT_INTENT: &str = "PARLOA.NoInput";
/// The intent name flowc reports for a DTMF event (T10).
pub const DTMF_INTENT: &str = "PARLOA.DTMF";
/// The intent name flowc reports for text no intent matched.
pub const FALLBACK_INTENT: &str = "PARLOA.Fallback";
/// Blocks one turn may run before it is stopped as a runaway (T3).
pub const DEFAULT_STEP_BUDGET: u32 = 1_000;

/// Why a request could not be played. The conversation is left untouched.
#[derive(Debug)]
pub enum EngineError {
    /// The request is not valid JSON of the expected shape.
    Malformed(serde_json::Error),
    /// The flow does not run on the request's platform.
    WrongPlatform {
        /// The request's platform.
        platform: &'static str,
        /// The flow's name.
        flow: String,
    },
    /// The request names no session (`callMeta.sessionId`, `callId` or `callerId`).
    NoSession,
}

impl std::fmt::Display for EngineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EngineError::Malformed(e) => write!(f, "malformed request: {e}"),
            EngineError::WrongPlatform { platform, flow } => {
                write!(f, "flow `{flow}` does not run on {platform}")
            }
            EngineError::NoSession => {
                f.write_str("the request has no callMeta.sessionId, callId or callerId")
            }
        }
    }
}

impl std::error::Error for EngineError {}

/// What one turn produced.
#[derive(Debug)]
pub struct Turn<R> {
    /// The answer to the platform.
    pub response: R,
    /// The analytics transaction (already given to the sink, masked when privacy is on).
    pub transaction: Transaction,
    /// Set when the sink refused the transaction; the turn itself happened.
    pub sink_error: Option<SinkError>,
}

/// Plays conversations of one flow, turn by turn. Conversations live in a [`SessionStore`] (in memory by
/// default; bring your own with [`Engine::with_store`]).
pub struct Engine<F: Flow, St = InMemoryStore<Conversation<<F as Flow>::Vars>>> {
    flow: F,
    sessions: St,
    users: InMemoryUserStore<Vec<String>>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdSource>,
    sink: Arc<dyn AnalyticsSink>,
    release: String,
    step_budget: u32,
}

#[derive(Clone, Copy)]
enum Event<'a> {
    Start,
    End,
    Silence,
    Digits(&'a str),
    Said(Option<&'a str>),
}

/// How a turn's walk through the blocks ended.
enum Landing {
    Waiting(StateIx),
    Ended {
        end_talk: bool,
    },
    Transferred(CallControlMessage),
    /// A runaway turn or a dead route: stay where the turn started.
    Stuck,
}

/// What a turn decided, before it becomes a response and a transaction.
struct Played {
    intent: IntentRecord,
    meta: Meta,
    variables: Vec<Variable>,
    said: Vec<String>,
    reprompt: String,
    ended: bool,
    end_talk: bool,
    control: Vec<CallControlMessage>,
    user_context_id: String,
}

impl<F: Flow> Engine<F> {
    /// An engine with the system clock, random ids, an in-memory store and an in-memory sink.
    pub fn new(flow: F) -> Self {
        let release = flow.info().release.to_string();
        Engine {
            flow,
            sessions: InMemoryStore::new(),
            users: InMemoryUserStore::new(),
            clock: Arc::new(SystemClock::new()),
            ids: Arc::new(ObjectIdSource::new()),
            sink: Arc::new(MemorySink::new()),
            release,
            step_budget: DEFAULT_STEP_BUDGET,
        }
    }
}

impl<F: Flow, St: SessionStore<Conversation<F::Vars>>> Engine<F, St> {
    /// Keeps conversations in `store` instead.
    pub fn with_store<T: SessionStore<Conversation<F::Vars>>>(self, store: T) -> Engine<F, T> {
        Engine {
            flow: self.flow,
            sessions: store,
            users: self.users,
            clock: self.clock,
            ids: self.ids,
            sink: self.sink,
            release: self.release,
            step_budget: self.step_budget,
        }
    }

    /// The conversation store.
    pub fn store(&self) -> &St {
        &self.sessions
    }

    /// Fixed clock and sequential ids: the same requests give the same bytes (for tests and snapshots).
    pub fn deterministic(self) -> Self {
        self.with_clock(FixedClock::default())
            .with_ids(SequentialIds::new())
    }

    /// Uses `clock` for timestamps and response times.
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Uses `ids` for transaction and user-context ids.
    pub fn with_ids(mut self, ids: impl IdSource + 'static) -> Self {
        self.ids = Arc::new(ids);
        self
    }

    /// Sends transactions to `sink`.
    pub fn with_sink(mut self, sink: impl AnalyticsSink + 'static) -> Self {
        self.sink = Arc::new(sink);
        self
    }

    /// Sends transactions to a shared sink.
    pub fn with_shared_sink(mut self, sink: Arc<dyn AnalyticsSink>) -> Self {
        self.sink = sink;
        self
    }

    /// Overrides the flow's releaseId.
    pub fn with_release(mut self, release: impl Into<String>) -> Self {
        self.release = release.into();
        self
    }

    /// Limits the blocks one turn may run (T3).
    pub fn with_step_budget(mut self, steps: u32) -> Self {
        self.step_budget = steps.max(1);
        self
    }

    /// The flow.
    pub fn flow(&self) -> &F {
        &self.flow
    }

    /// The releaseId in use.
    pub fn release(&self) -> &str {
        &self.release
    }

    /// Flushes the sink.
    pub fn flush(&self) -> Result<(), SinkError> {
        self.sink.flush()
    }

    /// Plays one phoneV2 request given as JSON.
    pub fn handle_phone_json(&self, json: &str) -> Result<Turn<PhoneResponse>, EngineError> {
        let request: PhoneRequest = serde_json::from_str(json).map_err(EngineError::Malformed)?;
        self.handle_phone(request)
    }

    /// Plays one textchatV2 request given as JSON.
    pub fn handle_chat_json(&self, json: &str) -> Result<Turn<ChatResponse>, EngineError> {
        let request: ChatRequest = serde_json::from_str(json).map_err(EngineError::Malformed)?;
        self.handle_chat(request)
    }

    /// Plays one phoneV2 request.
    pub fn handle_phone(&self, request: PhoneRequest) -> Result<Turn<PhoneResponse>, EngineError> {
        let info = self.flow.info();
        if !info.phone {
            return Err(EngineError::WrongPlatform {
                platform: Platform::PhoneV2.as_str(),
                flow: info.name.to_string(),
            });
        }
        let started = self.clock.mark();
        let timestamp = self.clock.now_iso8601();
        let key = request
            .call_meta
            .session_key()
            .ok_or(EngineError::NoSession)?
            .to_string();
        let caller = request.call_meta.caller_id.clone().unwrap_or_default();
        let digits = request.collected_dtmf.as_deref().unwrap_or("");
        let event = match request.event {
            Some(PhoneEvent::Welcome) => Event::Start,
            Some(PhoneEvent::Hangup) => Event::End,
            Some(PhoneEvent::NoInput) => Event::Silence,
            Some(PhoneEvent::Dtmf) => Event::Digits(digits),
            None => Event::Said(request.intent_name().filter(|n| !n.is_empty()).or_else(|| {
                request
                    .text
                    .as_deref()
                    .and_then(|t| crate::matcher::match_intent(t, &info.intents))
            })),
        };
        let input = TurnInput {
            intent: "",
            text: request.text.as_deref().unwrap_or(""),
            dtmf: digits,
            slots: request.slots.as_ref(),
            chat_context: None,
        };
        let played = self.play(&key, &caller, Platform::PhoneV2, event, input);
        let response = PhoneResponse {
            call_control_messages: played.control.clone(),
            continue_listening: !played.ended,
            prompt: played.said.join(" "),
            reprompt: played.reprompt.clone(),
            call_meta: request.call_meta.clone(),
            custom_stt: Some(CustomStt {
                kind: info.stt_type.to_string(),
                id: info.stt_id.to_string(),
            }),
            end_talk: played.end_talk,
        };
        let privacy = request.call_meta.privacy_enabled();
        let stamp = Stamp {
            timestamp,
            started,
            transaction_id: self.ids.transaction_id(),
        };
        let (transaction, sink_error) = self.record(
            played,
            stamp,
            caller,
            Platform::PhoneV2,
            Request::Phone(request),
            Response::Phone(response.clone()),
            privacy,
        );
        Ok(Turn {
            response,
            transaction,
            sink_error,
        })
    }

    /// Plays one textchatV2 request.
    pub fn handle_chat(&self, request: ChatRequest) -> Result<Turn<ChatResponse>, EngineError> {
        let info = self.flow.info();
        if !info.chat {
            return Err(EngineError::WrongPlatform {
                platform: Platform::TextchatV2.as_str(),
                flow: info.name.to_string(),
            });
        }
        let started = self.clock.mark();
        let timestamp = self.clock.now_iso8601();
        if request.session_id.is_empty() {
            return Err(EngineError::NoSession);
        }
        let event = match &request.event {
            ChatEvent::Launch => Event::Start,
            ChatEvent::Quit => Event::End,
            ChatEvent::Message { text } => {
                Event::Said(crate::matcher::match_intent(text, &info.intents))
            }
        };
        let input = TurnInput {
            intent: "",
            text: request.text().unwrap_or(""),
            dtmf: "",
            slots: None,
            chat_context: request.context.as_deref(),
        };
        let played = self.play(
            &request.session_id,
            &request.requester_id,
            Platform::TextchatV2,
            event,
            input,
        );
        let transaction_id = self.ids.transaction_id();
        let response = ChatResponse {
            api_version: if request.api_version.is_empty() {
                CHAT_API_VERSION.to_string()
            } else {
                request.api_version.clone()
            },
            requester_id: request.requester_id.clone(),
            session_id: request.session_id.clone(),
            release_id: self.release.clone(),
            conversation_id: Some(played.user_context_id.clone()),
            transaction_id: Some(transaction_id.clone()),
            end_conversation: played.ended,
            response_elements: played
                .said
                .iter()
                .enumerate()
                .map(|(i, text)| {
                    ResponseElement::text(format!("{transaction_id}-{}", i + 1), text.clone())
                })
                .collect(),
        };
        let requester = request.requester_id.clone();
        let (transaction, sink_error) = self.record(
            played,
            Stamp {
                timestamp,
                started,
                transaction_id,
            },
            requester,
            Platform::TextchatV2,
            Request::Chat(request),
            Response::Chat(response.clone()),
            false,
        );
        Ok(Turn {
            response,
            transaction,
            sink_error,
        })
    }

    /// Builds the transaction, masks it when privacy is on, and gives it to the sink (T1).
    #[allow(clippy::too_many_arguments)]
    fn record(
        &self,
        played: Played,
        stamp: Stamp,
        requester: String,
        platform: Platform,
        request: Request,
        response: Response,
        privacy: bool,
    ) -> (Transaction, Option<SinkError>) {
        let mut transaction = Transaction {
            transaction_id: stamp.transaction_id,
            request_timestamp: stamp.timestamp,
            response_time: self.clock.elapsed_ms(stamp.started),
            user_context_id: played.user_context_id,
            release_id: self.release.clone(),
            requester_id: requester,
            intent: played.intent,
            meta: played.meta,
            variables: played.variables,
            platform,
            language: self.flow.info().language.clone(),
            request,
            response,
        };
        if privacy {
            transaction.redact();
        }
        let sink_error = self.sink.record(&transaction).err();
        (transaction, sink_error)
    }

    fn play(
        &self,
        key: &str,
        requester: &str,
        platform: Platform,
        event: Event<'_>,
        input: TurnInput<'_>,
    ) -> Played {
        let flow = &self.flow;
        self.sessions.with_session(
            key,
            || Conversation::new(flow.new_vars()),
            |conv| self.play_in(conv, key, requester, platform, event, input),
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn play_in<'a>(
        &self,
        conv: &mut Conversation<F::Vars>,
        key: &str,
        requester: &str,
        platform: Platform,
        event: Event<'a>,
        mut input: TurnInput<'a>,
    ) -> Played {
        let flow = &self.flow;
        if matches!(event, Event::Start) && conv.active {
            // A new WELCOME in the middle of a call starts over.
            flow.reset_session(&mut conv.vars);
            conv.end();
        }
        if matches!(event, Event::Start) || conv.user_context_id.is_empty() {
            conv.user_context_id = self.ids.user_context_id();
        }
        if !conv.active {
            // A conversation (re)starts: user-lifetime variables come back (T16).
            if flow.has_user_vars() {
                self.users.get_user(requester, &self.release, |saved| {
                    flow.load_user(&mut conv.vars, saved)
                });
            }
            conv.active = true;
            conv.state = 0;
        }
        conv.turns += 1;
        if !matches!(event, Event::Silence) {
            conv.silent = 0;
        }
        let initial = conv.state;
        let mut context = TurnContext {
            turn_count: conv.turns,
            platform: platform.as_str(),
            caller_id: requester.to_string(),
            session_id: key.to_string(),
            last_service_error: std::mem::take(&mut conv.last_service_error),
            last_service_status: std::mem::take(&mut conv.last_service_status),
        };
        let name: &'a str = match event {
            Event::Start => WELCOME_INTENT,
            Event::End => END_CONVERSATION_INTENT,
            Event::Silence => NO_INPUT_INTENT,
            Event::Digits(_) => DTMF_INTENT,
            Event::Said(Some(intent)) => intent,
            Event::Said(None) => FALLBACK_INTENT,
        };
        input.intent = name;
        let decision = self.decide(&event, initial);
        let mut turn = TurnState {
            said: Vec::new(),
            meta: Meta::default(),
        };
        let (landing, handled_by, handled, explicit) = match decision {
            Decision::Start => {
                self.enter(conv, 0, &input, &context, &mut turn.said);
                (
                    Landing::Waiting(0),
                    flow.state(0).clone(),
                    Handled::Locally,
                    true,
                )
            }
            Decision::Hangup => (
                Landing::Ended { end_talk: false },
                StateRef::EMPTY,
                Handled::Locally,
                false,
            ),
            Decision::Silence => {
                conv.silent += 1;
                let landing = match flow.info().no_input_limit {
                    Some(limit) if conv.silent >= limit => Landing::Ended { end_talk: true },
                    _ => {
                        self.replay(conv, initial, &input, &context, &mut turn.said, true);
                        Landing::Waiting(initial)
                    }
                };
                (
                    landing,
                    flow.state(initial).clone(),
                    Handled::Locally,
                    false,
                )
            }
            Decision::Run {
                handler,
                global,
                explicit,
            } => {
                let landing =
                    self.run_handler(conv, handler, initial, &input, &mut context, &mut turn);
                let (by, handled) = if global {
                    (flow.info().global_state.clone(), Handled::Globally)
                } else {
                    (flow.state(initial).clone(), Handled::Locally)
                };
                (landing, by, handled, explicit)
            }
            Decision::Unhandled => {
                turn.meta.warnings.push(AffectedStep::new(
                    flow.state(initial),
                    format!("no handler for `{name}` in this state or the global block"),
                ));
                self.replay(conv, initial, &input, &context, &mut turn.said, false);
                (
                    Landing::Waiting(initial),
                    StateRef::EMPTY,
                    Handled::Locally,
                    false,
                )
            }
        };
        let mut reprompt = String::new();
        let (ended, end_talk, control) = match landing {
            Landing::Waiting(state) => {
                conv.state = state;
                let scope = Scope {
                    vars: &mut conv.vars,
                    input: &input,
                    context: &context,
                    said: &mut Vec::new(),
                };
                flow.write_reprompt(state, &scope, &mut reprompt);
                (false, false, Vec::new())
            }
            Landing::Stuck => {
                conv.state = initial;
                (false, false, Vec::new())
            }
            Landing::Ended { end_talk } => (true, end_talk, Vec::new()),
            Landing::Transferred(message) => (true, false, vec![message]),
        };
        // Hang-up, end, transfer, chat quit, no-input limit: the conversation is over (T5). After a hang-up
        // there is nobody left to end the talk for.
        let hung_up = matches!(event, Event::End);
        let ended = ended || hung_up;
        let end_talk = end_talk && !hung_up;
        let mut variables = Vec::new();
        flow.write_variables(&conv.vars, &mut variables);
        let next_state = if ended {
            flow.state(0).clone()
        } else {
            flow.state(conv.state).clone()
        };
        if flow.has_user_vars() {
            let mut saved = Vec::new();
            flow.save_user(&conv.vars, &mut saved);
            self.users
                .with_user(requester, &self.release, Vec::new, |values| *values = saved);
        }
        if ended {
            flow.reset_session(&mut conv.vars);
            conv.end();
        } else {
            conv.last_service_error = context.last_service_error;
            conv.last_service_status = context.last_service_status;
        }
        Played {
            intent: IntentRecord {
                name: name.to_string().into(),
                initial_state: flow.state(initial).clone(),
                handled_by_state: handled_by,
                handled,
                explicitly_handled: explicit,
                next_state,
            },
            meta: turn.meta,
            variables,
            said: turn.said,
            reprompt,
            ended,
            end_talk,
            control,
            user_context_id: conv.user_context_id.clone(),
        }
    }

    /// T2 / T4 / T10: which handler takes the turn.
    fn decide(&self, event: &Event<'_>, state: StateIx) -> Decision {
        let flow = &self.flow;
        let local = |handler, explicit| Decision::Run {
            handler,
            global: false,
            explicit,
        };
        let global = |handler, explicit| Decision::Run {
            handler,
            global: true,
            explicit,
        };
        let fallback = || {
            flow.local_else(state)
                .map(|h| local(h, false))
                .or_else(|| flow.global_else().map(|h| global(h, false)))
                .unwrap_or(Decision::Unhandled)
        };
        match event {
            Event::Start => Decision::Start,
            Event::End => flow
                .ending()
                .map(|h| global(h, true))
                .unwrap_or(Decision::Hangup),
            Event::Silence => Decision::Silence,
            Event::Digits(digits) => flow
                .local_dtmf(state, digits)
                .map(|h| local(h, true))
                .unwrap_or_else(fallback),
            Event::Said(Some(intent)) => flow
                .local_intent(state, intent)
                .map(|h| local(h, true))
                .or_else(|| flow.global_intent(intent).map(|h| global(h, true)))
                .unwrap_or_else(fallback),
            Event::Said(None) => fallback(),
        }
    }

    fn run_handler(
        &self,
        conv: &mut Conversation<F::Vars>,
        handler: HandlerIx,
        initial: StateIx,
        input: &TurnInput<'_>,
        context: &mut TurnContext,
        turn: &mut TurnState,
    ) -> Landing {
        let target = {
            let mut scope = Scope {
                vars: &mut conv.vars,
                input,
                context,
                said: &mut turn.said,
            };
            self.flow.run_handler(handler, &mut scope)
        };
        self.walk(conv, target, initial, input, context, turn)
    }

    /// Runs blocks from `block` until the turn waits, ends or transfers (T3), within the step budget.
    fn walk(
        &self,
        conv: &mut Conversation<F::Vars>,
        mut block: BlockIx,
        initial: StateIx,
        input: &TurnInput<'_>,
        context: &mut TurnContext,
        turn: &mut TurnState,
    ) -> Landing {
        let flow = &self.flow;
        for _ in 0..self.step_budget {
            let step = {
                let mut scope = Scope {
                    vars: &mut conv.vars,
                    input,
                    context,
                    said: &mut turn.said,
                };
                flow.run_block(block, &mut scope)
            };
            block = match step {
                Step::Wait(state) => {
                    self.enter(conv, state, input, context, &mut turn.said);
                    return Landing::Waiting(state);
                }
                Step::Next(next) => next,
                Step::End => return Landing::Ended { end_talk: true },
                Step::Transfer { refer_to, headers } => {
                    return Landing::Transferred(CallControlMessage::SipRefer {
                        refer_to,
                        sip_headers: headers,
                    });
                }
                Step::Call {
                    entry,
                    success,
                    failure,
                } => {
                    conv.stack.push(Frame { success, failure });
                    entry
                }
                Step::Exit(outcome) => {
                    let frame = conv.stack.pop();
                    let target = frame.and_then(|f| match outcome {
                        Outcome::Success => f.success,
                        Outcome::Failure => f.failure,
                    });
                    match target {
                        Some(next) => next,
                        None => {
                            turn.meta.errors.push(AffectedStep::new(
                                flow.block(block),
                                "subdialog exit with nowhere to return to",
                            ));
                            return Landing::Stuck;
                        }
                    }
                }
                Step::Back => {
                    // To Previous State replays what the caller last heard there; it does not rotate.
                    self.replay(conv, initial, input, context, &mut turn.said, false);
                    return Landing::Waiting(initial);
                }
                Step::Service(ServiceResult::Answered { next, status }) => {
                    context.last_service_error.clear();
                    context.last_service_status = status.into_owned();
                    next
                }
                Step::Service(ServiceResult::Failed {
                    message,
                    status,
                    route,
                }) => {
                    turn.meta
                        .errors
                        .push(AffectedStep::new(flow.block(block), message.clone()));
                    context.last_service_error = message;
                    context.last_service_status = status.into_owned();
                    match route.or(flow.info().on_error) {
                        Some(next) => next,
                        None => return Landing::Stuck,
                    }
                }
            };
        }
        turn.meta.errors.push(AffectedStep::new(
            flow.block(block),
            format!(
                "the turn ran {} blocks without waiting and was stopped",
                self.step_budget
            ),
        ));
        Landing::Stuck
    }

    /// Enters a state: counts the entry for rotation and says its prompt (T12).
    fn enter(
        &self,
        conv: &mut Conversation<F::Vars>,
        state: StateIx,
        input: &TurnInput<'_>,
        context: &TurnContext,
        said: &mut Vec<String>,
    ) {
        let index = conv.enter(state, self.flow.prompt_count(state));
        self.say_prompt(conv, state, index, input, context, said);
    }

    /// Says a state's current prompt again without rotating; on no-input its reprompt first (T9).
    fn replay(
        &self,
        conv: &mut Conversation<F::Vars>,
        state: StateIx,
        input: &TurnInput<'_>,
        context: &TurnContext,
        said: &mut Vec<String>,
        prefer_reprompt: bool,
    ) {
        if prefer_reprompt {
            let mut out = String::new();
            let scope = Scope {
                vars: &mut conv.vars,
                input,
                context,
                said: &mut Vec::new(),
            };
            if self.flow.write_reprompt(state, &scope, &mut out) && !out.is_empty() {
                said.push(out);
                return;
            }
        }
        let index = conv.current_prompt(state, self.flow.prompt_count(state));
        self.say_prompt(conv, state, index, input, context, said);
    }

    fn say_prompt(
        &self,
        conv: &mut Conversation<F::Vars>,
        state: StateIx,
        index: u32,
        input: &TurnInput<'_>,
        context: &TurnContext,
        said: &mut Vec<String>,
    ) {
        let mut out = String::new();
        let scope = Scope {
            vars: &mut conv.vars,
            input,
            context,
            said: &mut Vec::new(),
        };
        self.flow.write_prompt(state, index, &scope, &mut out);
        if !out.is_empty() {
            said.push(out);
        }
    }
}

/// When a turn happened and under which id.
struct Stamp {
    timestamp: String,
    started: crate::clock::Mark,
    transaction_id: String,
}

/// What a turn accumulates while blocks run.
struct TurnState {
    said: Vec<String>,
    meta: Meta,
}

/// Which handler takes the turn.
enum Decision {
    Start,
    Hangup,
    Silence,
    Run {
        handler: HandlerIx,
        global: bool,
        explicit: bool,
    },
    Unhandled,
}

/// A call meta for tests and the simulator.
pub fn call_meta(session: &str, caller: &str) -> CallMeta {
    CallMeta {
        instance_id: None,
        call_id: Some(session.to_string()),
        caller_id: Some(caller.to_string()),
        session_id: Some(session.to_string()),
        customer_id: None,
        production: Some(false),
        is_privacy_enabled: Some(false),
    }
}
