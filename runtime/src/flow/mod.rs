//! The contract between the turn loop and a flow.
//!
//! The [`Engine`](crate::Engine) owns every rule that is the same for all flows (T1–T16: resolution order,
//! hang-up, reset, lifetimes, no-input, DTMF order, subdialog stack, service error routing, the step budget,
//! transaction assembly). A [`Flow`] answers only flow-specific questions: which handler an intent maps to,
//! what a block does, how a prompt reads. The interpreter implements it over the IR; generated code
//! implements it with matches over `&str` and typed variables.

use std::borrow::Cow;

use crate::chat::ContextItem;
use crate::phone::{SipHeader, Slots};
use crate::transaction::{CowStr, Platform};

mod info;

pub use info::{BlockInfo, FlowInfo, Lifetime, Reference, StateInfo, VariableInfo};

/// A waiting state; 0 is the Start Conversation block (`STATE.base`).
pub type StateIx = u32;
/// A block of any kind.
pub type BlockIx = u32;
/// An intent, else or DTMF handler (a state's or the global block's).
pub type HandlerIx = u32;

/// How a subdialog ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// `exit: success`.
    Success,
    /// `exit: failure`.
    Failure,
}

/// The result of a service call as the flow reports it.
#[derive(Debug, Clone, PartialEq)]
pub enum ServiceResult {
    /// The service answered a declared branch; outputs are already assigned.
    Answered {
        /// The branch's target.
        next: BlockIx,
        /// Status for `context.lastServiceCallStatus`.
        status: CowStr,
    },
    /// The service failed or timed out, or answered an unknown branch.
    Failed {
        /// What went wrong, for `meta.errors` and `context.lastServiceCallError`.
        message: String,
        /// Status for `context.lastServiceCallStatus`.
        status: CowStr,
        /// The block's `error` target; `None` falls back to the global `on_error`.
        route: Option<BlockIx>,
    },
}

/// What running one block asks the engine to do next.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Stop and wait for the caller in this state.
    Wait(StateIx),
    /// Go on with this block in the same turn.
    Next(BlockIx),
    /// End the conversation (an `end` block; its words are already said).
    End,
    /// Transfer the call (T13).
    Transfer {
        /// SIP URI.
        refer_to: String,
        /// SIP headers.
        headers: Vec<SipHeader>,
    },
    /// Enter a subdialog (T14).
    Call {
        /// The subdialog's entry block.
        entry: BlockIx,
        /// Where `exit: success` returns to.
        success: Option<BlockIx>,
        /// Where `exit: failure` returns to.
        failure: Option<BlockIx>,
    },
    /// Leave the current subdialog.
    Exit(Outcome),
    /// Back to the state the turn started in, replaying its prompt.
    Back,
    /// A service block ran.
    Service(ServiceResult),
    /// The flow has no block of this number: a bug of the engine or of the code generator, never of the
    /// flow. The engine stops the turn where it started and reports it in `meta.errors` (`InternalError`)
    /// instead of guessing a block to go on at.
    NoSuchBlock,
}

/// The fields `context.NAME` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContextField {
    /// Turns played in this conversation, this one included.
    TurnCount,
    /// `phoneV2` or `textchatV2`.
    Platform,
    /// The caller's number (phone) or requester id (chat).
    CallerId,
    /// The session key.
    SessionId,
    /// The digits collected in this turn.
    Dtmf,
    /// The message of the last failed service call; `""` after a success.
    LastServiceCallError,
    /// The status of the last service call (`ok`, `error`, an HTTP status, …).
    LastServiceCallStatus,
}

impl ContextField {
    /// Every field with its name.
    pub const ALL: &'static [(&'static str, ContextField)] = &[
        ("turnCount", ContextField::TurnCount),
        ("platform", ContextField::Platform),
        ("callerId", ContextField::CallerId),
        ("sessionId", ContextField::SessionId),
        ("dtmf", ContextField::Dtmf),
        ("lastServiceCallError", ContextField::LastServiceCallError),
        ("lastServiceCallStatus", ContextField::LastServiceCallStatus),
    ];

    /// The name after `context.`.
    pub fn as_str(self) -> &'static str {
        ContextField::ALL
            .iter()
            .find(|(_, f)| *f == self)
            .map(|(n, _)| *n)
            .unwrap_or("")
    }
}

/// What the caller sent this turn, as expressions see it.
#[derive(Debug, Clone, Copy, Default)]
pub struct TurnInput<'a> {
    /// The intent name (`PARLOA.…` for events).
    pub intent: &'a str,
    /// The utterance.
    pub text: &'a str,
    /// Collected DTMF digits.
    pub dtmf: &'a str,
    /// Phone slots.
    pub slots: Option<&'a Slots>,
    /// Chat context items, readable as slots.
    pub chat_context: Option<&'a [ContextItem]>,
}

impl TurnInput<'_> {
    /// `slots.NAME`: a phone slot, else a chat context item, else `""`.
    pub fn slot(&self, name: &str) -> Cow<'_, str> {
        if let Some(value) = self.slots.and_then(|s| s.text(name)) {
            return value;
        }
        self.chat_context
            .and_then(|items| items.iter().find(|i| i.key == name))
            .map(|i| Cow::Owned(i.value.to_text()))
            .unwrap_or(Cow::Borrowed(""))
    }
}

/// Conversation facts `context.NAME` reads that are not part of the request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TurnContext<'a> {
    /// Turns in this conversation.
    pub turn_count: u32,
    /// `phoneV2` or `textchatV2`.
    pub platform: &'static str,
    /// Caller number or requester id.
    pub caller_id: &'a str,
    /// Session key.
    pub session_id: &'a str,
    /// The digits collected in this turn.
    pub dtmf: &'a str,
    /// Last service error.
    pub last_service_error: String,
    /// Last service status.
    pub last_service_status: String,
}

impl TurnContext<'_> {
    /// True when this turn's prompts are SSML, so the values a prompt fills in must be XML-escaped (T12):
    /// the phone platform reads every prompt as SSML, chat shows response elements as plain text.
    #[inline]
    pub fn prompts_are_ssml(&self) -> bool {
        self.platform == Platform::PhoneV2.as_str()
    }

    /// `context.NAME`.
    pub fn get(&self, field: ContextField) -> Cow<'_, str> {
        match field {
            ContextField::TurnCount => Cow::Owned(self.turn_count.to_string()),
            ContextField::Platform => Cow::Borrowed(self.platform),
            ContextField::CallerId => Cow::Borrowed(self.caller_id),
            ContextField::SessionId => Cow::Borrowed(self.session_id),
            ContextField::Dtmf => Cow::Borrowed(self.dtmf),
            ContextField::LastServiceCallError => Cow::Borrowed(&self.last_service_error),
            ContextField::LastServiceCallStatus => Cow::Borrowed(&self.last_service_status),
        }
    }
}

/// What the bot says this turn: pieces in one reusable buffer (phone joins them with a space, chat sends one
/// response element each).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Said {
    text: String,
    ends: Vec<usize>,
}

impl Said {
    /// Forgets every piece, keeping the capacity.
    pub fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
    }

    /// Starts a piece; write it into [`Said::buffer`], then call [`Said::end`] with the returned mark.
    pub fn begin(&self) -> usize {
        self.text.len()
    }

    /// The buffer a piece is written into.
    pub fn buffer(&mut self) -> &mut String {
        &mut self.text
    }

    /// Ends the piece started at `start`; an empty piece is dropped.
    pub fn end(&mut self, start: usize) {
        if self.text.len() > start {
            self.ends.push(self.text.len());
        }
    }

    /// Adds a whole piece.
    pub fn push(&mut self, piece: &str) {
        let start = self.begin();
        self.text.push_str(piece);
        self.end(start);
    }

    /// The pieces in order.
    pub fn pieces(&self) -> impl Iterator<Item = &str> {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let piece = self.text.get(start..end).unwrap_or("");
            start = end;
            piece
        })
    }

    /// True when nothing was said.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The pieces joined by a space (how phone says them), borrowed when there is at most one piece and
    /// built in `scratch` otherwise.
    pub fn joined<'s>(&'s self, scratch: &'s mut String) -> &'s str {
        match self.ends.as_slice() {
            [] => return "",
            [end] => return self.text.get(..*end).unwrap_or(""),
            _ => {}
        }
        scratch.clear();
        for (i, piece) in self.pieces().enumerate() {
            if i > 0 {
                scratch.push(' ');
            }
            scratch.push_str(piece);
        }
        scratch
    }
}

/// What a flow reads while it writes a prompt: the variables, the request, the context.
#[derive(Debug)]
pub struct View<'a, V> {
    /// The conversation's variables.
    pub vars: &'a V,
    /// The request.
    pub input: &'a TurnInput<'a>,
    /// Conversation context.
    pub context: &'a TurnContext<'a>,
}

/// Everything a flow may read or change while it runs a block or a handler.
#[derive(Debug)]
pub struct Scope<'a, V> {
    /// The conversation's variables.
    pub vars: &'a mut V,
    /// The request.
    pub input: &'a TurnInput<'a>,
    /// Conversation context.
    pub context: &'a TurnContext<'a>,
    /// What the bot says this turn.
    pub said: &'a mut Said,
    /// A reusable buffer, so assignments need not allocate.
    pub scratch: &'a mut String,
}

impl<V> Scope<'_, V> {
    /// Adds one spoken piece.
    pub fn say(&mut self, text: &str) {
        self.said.push(text);
    }
}

/// A flow the engine can play. Implemented by the interpreter and by generated code.
///
/// It answers only what depends on the conversation: values, prompts, which handler takes an input, what a
/// handler or block does. Everything static is in [`Flow::info`], which the engine and the transaction
/// writer read alike for every flow.
pub trait Flow: Send + Sync {
    /// The conversation's variables.
    type Vars: Clone + Send + 'static;

    /// The flow's static description.
    fn info(&self) -> &FlowInfo;

    /// Variables with their defaults.
    fn new_vars(&self) -> Self::Vars;
    /// Calls `each` with every variable's value, in the order of [`FlowInfo::variables`]. Generic, not
    /// `dyn`: the transaction writer's closure is inlined into the flow's straight-line calls.
    fn values(&self, vars: &Self::Vars, each: impl FnMut(&str));
    /// Calls `each` with every variable, to change it, in the order of [`FlowInfo::variables`].
    fn values_mut(&self, vars: &mut Self::Vars, each: impl FnMut(&mut String));

    /// Writes prompt number `index` of a state.
    fn write_prompt(
        &self,
        state: StateIx,
        index: u32,
        scope: &View<'_, Self::Vars>,
        out: &mut String,
    );
    /// Writes a state's reprompt; false when it has none.
    fn write_reprompt(
        &self,
        state: StateIx,
        scope: &View<'_, Self::Vars>,
        out: &mut String,
    ) -> bool;

    /// A state's own handler for an intent.
    fn local_intent(&self, state: StateIx, intent: &str) -> Option<HandlerIx>;
    /// A state's first DTMF handler whose pattern matches the digits.
    fn local_dtmf(&self, state: StateIx, digits: &str) -> Option<HandlerIx>;
    /// The global block's handler for an intent.
    fn global_intent(&self, intent: &str) -> Option<HandlerIx>;
    /// Runs a handler's `say` and `set`; where it goes is [`FlowInfo::handlers`].
    fn run_handler(&self, handler: HandlerIx, scope: &mut Scope<'_, Self::Vars>);

    /// Runs one block.
    fn run_block(&self, block: BlockIx, scope: &mut Scope<'_, Self::Vars>) -> Step;
}

/// A flow shared with something else that needs it, such as a store that serializes its variables
/// (`Engine::new(Arc::clone(&flow))`): it plays exactly as the flow itself.
impl<F: Flow> Flow for std::sync::Arc<F> {
    type Vars = F::Vars;

    fn info(&self) -> &FlowInfo {
        (**self).info()
    }

    fn new_vars(&self) -> Self::Vars {
        (**self).new_vars()
    }

    fn values(&self, vars: &Self::Vars, each: impl FnMut(&str)) {
        (**self).values(vars, each);
    }

    fn values_mut(&self, vars: &mut Self::Vars, each: impl FnMut(&mut String)) {
        (**self).values_mut(vars, each);
    }

    fn write_prompt(
        &self,
        state: StateIx,
        index: u32,
        scope: &View<'_, Self::Vars>,
        out: &mut String,
    ) {
        (**self).write_prompt(state, index, scope, out);
    }

    fn write_reprompt(
        &self,
        state: StateIx,
        scope: &View<'_, Self::Vars>,
        out: &mut String,
    ) -> bool {
        (**self).write_reprompt(state, scope, out)
    }

    fn local_intent(&self, state: StateIx, intent: &str) -> Option<HandlerIx> {
        (**self).local_intent(state, intent)
    }

    fn local_dtmf(&self, state: StateIx, digits: &str) -> Option<HandlerIx> {
        (**self).local_dtmf(state, digits)
    }

    fn global_intent(&self, intent: &str) -> Option<HandlerIx> {
        (**self).global_intent(intent)
    }

    fn run_handler(&self, handler: HandlerIx, scope: &mut Scope<'_, Self::Vars>) {
        (**self).run_handler(handler, scope);
    }

    fn run_block(&self, block: BlockIx, scope: &mut Scope<'_, Self::Vars>) -> Step {
        (**self).run_block(block, scope)
    }
}
