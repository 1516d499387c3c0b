//! The turn loop: the one place where T1–T16 are implemented, for every flow.
//!
//! A turn is decided by `turn` (resolution, blocks, subdialogs, services, resets) and written by
//! `write` straight into a reusable buffer as the transaction's JSON — the one way a transaction is
//! assembled. The convenience API ([`Engine::handle_phone`] and friends) reads the structs back from those
//! bytes; the fast API ([`Engine::play_phone`]) hands out the bytes.

mod end;
mod idle;
mod summary;
mod turn;
mod vars;
mod write;

use std::sync::Arc;

use crate::chat::{ChatEvent, ChatRequest, ChatResponse};
use crate::clock::{Clock, FixedClock, SystemClock};
use crate::conversation::Conversation;
use crate::flow::{Flow, Said, TurnInput};
use crate::ids::{IdSource, ObjectIdSource, SequentialIds};
use crate::phone::{PhoneEvent, PhoneRequest, PhoneResponse};
use crate::sink::{AnalyticsSink, DiscardSink, SinkError};
use crate::store::{InMemoryStore, InMemoryUserStore, SessionStore, StoreError, UserStore};
use crate::transaction::{Platform, Transaction};

pub use idle::Expired;
pub use summary::TurnSummary;
pub(crate) use turn::Event;

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
    /// A chat request's `apiVersion` is not `chat/v1`, the only version of the Textchat V2 API.
    UnsupportedApiVersion(String),
    /// The session store could not play the turn (a shared store unreachable, or the session held by
    /// another instance for too long). Nothing of the turn was kept or recorded: the platform may retry it.
    Store(StoreError),
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
            EngineError::UnsupportedApiVersion(found) => write!(
                f,
                "unsupported apiVersion {found:?}: the Textchat V2 API defines only {:?}",
                crate::chat::CHAT_API_VERSION
            ),
            EngineError::Store(e) => write!(f, "session store: {e}"),
        }
    }
}

impl std::error::Error for EngineError {}

/// What one turn produced, as structs.
#[derive(Debug)]
pub struct Turn<R> {
    /// The answer to the platform.
    pub response: R,
    /// The analytics transaction (already given to the sink, masked when privacy is on).
    pub transaction: Transaction,
    /// Set when the sink refused the transaction; the turn itself happened.
    pub sink_error: Option<SinkError>,
}

/// Reusable buffers of a turn: keep one per thread and pass it to [`Engine::play_phone`] /
/// [`Engine::play_chat`], and a turn allocates (almost) nothing.
#[derive(Debug, Default)]
pub struct TurnBuffer {
    json: Vec<u8>,
    response: (usize, usize),
    said: Said,
    reprompt: String,
    scratch: String,
    saved: Vec<String>,
    /// The response in clear when the transaction's copy is masked (privacy).
    platform_response: Vec<u8>,
    pub(crate) sink_error: Option<SinkError>,
    /// How the last turn went, for counting.
    summary: TurnSummary,
}

impl TurnBuffer {
    /// Empty buffers.
    pub fn new() -> Self {
        TurnBuffer {
            json: Vec::with_capacity(4096),
            ..TurnBuffer::default()
        }
    }

    /// The last turn's transaction as JSON.
    pub fn transaction_json(&self) -> &[u8] {
        &self.json
    }

    /// The last turn's response to the platform as JSON (the transaction's `response`, in clear).
    pub fn response_json(&self) -> &[u8] {
        if !self.platform_response.is_empty() {
            return &self.platform_response;
        }
        self.json
            .get(self.response.0..self.response.1)
            .unwrap_or(&[])
    }

    /// Set when the sink refused the last transaction.
    pub fn sink_error(&self) -> Option<&SinkError> {
        self.sink_error.as_ref()
    }
}

/// Plays conversations of one flow, turn by turn. Conversations live in a [`SessionStore`] and
/// user-lifetime values in a [`UserStore`] (both in memory by default; bring your own with
/// [`Engine::with_store`] and [`Engine::with_user_store`]). Transactions go to the sink given to
/// [`Engine::with_sink`]; without one they are discarded, so an engine's memory does not grow with its turns.
pub struct Engine<
    F: Flow,
    St = InMemoryStore<Conversation<<F as Flow>::Vars>>,
    Us = InMemoryUserStore<Vec<String>>,
> {
    flow: F,
    sessions: St,
    users: Us,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdSource>,
    sink: Arc<dyn AnalyticsSink>,
    release: String,
    /// `"releaseId":"…",` pre-escaped.
    release_json: Vec<u8>,
    /// `"customSTT":{"type":…,"id":…}` pre-escaped.
    stt_json: Vec<u8>,
    step_budget: u32,
}

impl<F: Flow> Engine<F> {
    /// An engine with the system clock, random ids, in-memory stores, and no sink: transactions are
    /// discarded until [`Engine::with_sink`] says where they go. Nothing is kept by default because nothing
    /// could read it; to keep transactions in memory, pass a [`MemorySink`](crate::MemorySink) and choose its
    /// bound (`MemorySink::with_capacity(n)`, or `MemorySink::unbounded()` for memory that grows with every
    /// turn).
    pub fn new(flow: F) -> Self {
        let release = flow.info().release.to_string();
        let stt_json = write::stt_json(flow.info());
        Engine {
            flow,
            sessions: InMemoryStore::new(),
            users: InMemoryUserStore::new(),
            clock: Arc::new(SystemClock::new()),
            ids: Arc::new(ObjectIdSource::new()),
            sink: Arc::new(DiscardSink),
            release_json: write::release_json(&release),
            release,
            stt_json,
            step_budget: DEFAULT_STEP_BUDGET,
        }
    }
}

impl<F: Flow, St: SessionStore<Conversation<F::Vars>>, Us: UserStore<Vec<String>>>
    Engine<F, St, Us>
{
    /// Keeps conversations in `store` instead.
    pub fn with_store<T: SessionStore<Conversation<F::Vars>>>(self, store: T) -> Engine<F, T, Us> {
        Engine {
            flow: self.flow,
            sessions: store,
            users: self.users,
            clock: self.clock,
            ids: self.ids,
            sink: self.sink,
            release: self.release,
            release_json: self.release_json,
            stt_json: self.stt_json,
            step_budget: self.step_budget,
        }
    }

    /// Keeps user-lifetime values in `users` instead (per requester and release, T16; each entry holds the
    /// flow's user variables in declaration order).
    pub fn with_user_store<U: UserStore<Vec<String>>>(self, users: U) -> Engine<F, St, U> {
        Engine {
            flow: self.flow,
            sessions: self.sessions,
            users,
            clock: self.clock,
            ids: self.ids,
            sink: self.sink,
            release: self.release,
            release_json: self.release_json,
            stt_json: self.stt_json,
            step_budget: self.step_budget,
        }
    }

    /// The conversation store.
    pub fn store(&self) -> &St {
        &self.sessions
    }

    /// The store of user-lifetime values.
    pub fn user_store(&self) -> &Us {
        &self.users
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

    /// Sends transactions to `sink` instead of discarding them. Keep an `Arc` of the sink to read it back.
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
        self.release_json = write::release_json(&self.release);
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

    /// Plays one phoneV2 request; the response and transaction come back as structs.
    pub fn handle_phone(&self, request: PhoneRequest) -> Result<Turn<PhoneResponse>, EngineError> {
        let mut buffer = TurnBuffer::new();
        self.play_phone(&request, &mut buffer)?;
        read_back(&mut buffer)
    }

    /// Plays one textchatV2 request; the response and transaction come back as structs.
    pub fn handle_chat(&self, request: ChatRequest) -> Result<Turn<ChatResponse>, EngineError> {
        let mut buffer = TurnBuffer::new();
        self.play_chat(&request, &mut buffer)?;
        read_back(&mut buffer)
    }

    /// Plays one phoneV2 request into `buffer`: the transaction's JSON (given to the sink) and the response's.
    pub fn play_phone(
        &self,
        request: &PhoneRequest,
        buffer: &mut TurnBuffer,
    ) -> Result<(), EngineError> {
        self.runs_on(Platform::PhoneV2)?;
        let info = self.flow.info();
        let key = request
            .call_meta
            .session_key()
            .ok_or(EngineError::NoSession)?;
        let caller = request.call_meta.caller_id.as_deref().unwrap_or("");
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
        self.play(
            key,
            caller,
            write::Wire::Phone(request),
            event,
            input,
            buffer,
        )
    }

    /// Plays one textchatV2 request into `buffer`.
    pub fn play_chat(
        &self,
        request: &ChatRequest,
        buffer: &mut TurnBuffer,
    ) -> Result<(), EngineError> {
        self.runs_on(Platform::TextchatV2)?;
        let info = self.flow.info();
        if request.api_version != crate::chat::CHAT_API_VERSION {
            return Err(EngineError::UnsupportedApiVersion(
                request.api_version.clone(),
            ));
        }
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
        self.play(
            &request.session_id,
            &request.requester_id,
            write::Wire::Chat(request),
            event,
            input,
            buffer,
        )
    }

    /// `Err` when the flow does not run on `platform`.
    fn runs_on(&self, platform: Platform) -> Result<(), EngineError> {
        let info = self.flow.info();
        let runs = match platform {
            Platform::PhoneV2 => info.phone,
            Platform::TextchatV2 => info.chat,
        };
        if runs {
            Ok(())
        } else {
            Err(EngineError::WrongPlatform {
                platform: platform.as_str(),
                flow: info.name.to_string(),
            })
        }
    }

    fn play(
        &self,
        key: &str,
        requester: &str,
        wire: write::Wire<'_>,
        event: Event<'_>,
        input: TurnInput<'_>,
        buffer: &mut TurnBuffer,
    ) -> Result<(), EngineError> {
        let now = self.clock.now_unix_ms();
        let flow = &self.flow;
        let mut earlier_sink_error = None;
        // A store that could not keep the turn says so before anything is recorded: the sink sees only
        // turns whose conversation state was kept.
        self.sessions
            .try_with_session(
                key,
                || Conversation::new(flow.new_vars()),
                |conv| {
                    if matches!(event, Event::Start) && conv.active {
                        // The platform never said this conversation ended: end it the way a hang-up would have.
                        let hangup = wire.hangup();
                        earlier_sink_error = self
                            .end_open(
                                conv,
                                key,
                                requester,
                                hangup.wire(),
                                now,
                                (
                                    crate::transaction::problem::SYNTHETIC_HANGUP,
                                    end::NEW_CONVERSATION,
                                ),
                                buffer,
                            )
                            .err();
                    }
                    let starting = !conv.active || matches!(event, Event::Start);
                    self.decide_and_write(conv, key, requester, wire, event, input, now, buffer);
                    idle::remember_peer(conv, wire, starting);
                },
            )
            .map_err(EngineError::Store)?;
        buffer.sink_error = self
            .sink
            .record_json(&buffer.json)
            .err()
            .or(earlier_sink_error);
        Ok(())
    }

    /// One turn of `conv`: decided, written into `buffer`, and the conversation updated (T1).
    #[allow(clippy::too_many_arguments)]
    fn decide_and_write(
        &self,
        conv: &mut Conversation<F::Vars>,
        key: &str,
        requester: &str,
        wire: write::Wire<'_>,
        event: Event<'_>,
        input: TurnInput<'_>,
        now: u64,
        buffer: &mut TurnBuffer,
    ) {
        let started = self.clock.mark();
        let mask = self.privacy(conv, wire, &event);
        let decided = self.turn(conv, key, requester, wire.platform(), event, input, buffer);
        let stamp = write::Stamp {
            now,
            response_ms: self.clock.elapsed_ms(started),
        };
        self.write(conv, &decided, &stamp, requester, wire, mask, buffer);
        buffer.summary = TurnSummary::of(&decided);
        self.finish(conv, decided, requester, buffer);
    }

    /// Whether this turn's transaction is masked: privacy holds from the first request of a conversation
    /// that asks for it to the conversation's last transaction, the HANGUP after a bot-ended call included.
    fn privacy(
        &self,
        conv: &mut Conversation<F::Vars>,
        wire: write::Wire<'_>,
        event: &Event<'_>,
    ) -> bool {
        let asked = wire.privacy_enabled();
        // A trailing HANGUP belongs to the conversation that just ended; anything else on an ended
        // conversation starts a new one.
        let same_conversation = conv.active || matches!(event, Event::End);
        conv.private = asked || (same_conversation && conv.private);
        conv.private
    }
}

/// Reads the response and the transaction back from a turn's bytes.
fn read_back<R: serde::de::DeserializeOwned>(
    buffer: &mut TurnBuffer,
) -> Result<Turn<R>, EngineError> {
    let response =
        serde_json::from_slice(buffer.response_json()).map_err(EngineError::Malformed)?;
    let transaction = serde_json::from_slice(&buffer.json).map_err(EngineError::Malformed)?;
    Ok(Turn {
        response,
        transaction,
        sink_error: buffer.sink_error.take(),
    })
}
