//! The lowered flow: names resolved to typed indices, blocks, states, handlers and patterns numbered, every
//! analytics reference fixed (T15). Every fact both back ends need is decided here once: the interpreter
//! walks this directly and the code generator emits Rust from it, and neither derives anything of its own,
//! so they cannot disagree about what a flow means.

mod ids;

pub use ids::{BlockId, DialogId, HandlerId, Id, IdVec, PatternId, ServiceId, StateId, VarId};

use crate::ast::{Lifetime, Outcome, Platform, Stt};
use crate::expr::{BinaryOp, ContextField};

/// The id of the Start Conversation state.
pub const START_STATE_ID: &str = "STATE.base";
/// The id of the pseudo-state reported when a global handler fires.
pub const GLOBAL_STATE_ID: &str = "STATE.global";

/// A whole flow, ready to run or to generate code from.
#[derive(Debug, Clone, PartialEq)]
pub struct Flow {
    /// The flow's identifier.
    pub name: String,
    /// Its description.
    pub description: Option<String>,
    /// Default releaseId.
    pub release: String,
    /// Platforms it runs on.
    pub platforms: Vec<Platform>,
    /// Declared language, if any.
    pub language: Option<String>,
    /// customSTT of phone responses.
    pub stt: Stt,
    /// Silent turns in a row after which the call ends.
    pub no_input_limit: Option<u32>,
    /// Storage variables in transaction order.
    pub variables: IdVec<VarId, Variable>,
    /// Declared intents with their sample utterances.
    pub intents: Vec<Intent>,
    /// Declared services.
    pub services: IdVec<ServiceId, Service>,
    /// Dialogs; the first is `main`.
    pub dialogs: IdVec<DialogId, Dialog>,
    /// Every block except notes and the global block.
    pub blocks: IdVec<BlockId, Block>,
    /// Every waiting state; the first is the Start Conversation block ([`StateId::START`]).
    pub states: IdVec<StateId, State>,
    /// Every handler of every state and of the global block: per state its intents, `else` and DTMF
    /// handlers, then the global intents, `else` and the custom ending. The one numbering both back ends
    /// hand the engine.
    pub handlers: IdVec<HandlerId, Handler>,
    /// Every DTMF and `matches()` pattern once, checked by the analyzer, in first-use order.
    pub patterns: IdVec<PatternId, String>,
    /// The Global Intents block.
    pub global: Global,
}

/// A storage variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable {
    /// Its name (also its id in transactions).
    pub name: String,
    /// Its lifetime.
    pub lifetime: Lifetime,
    /// Its default value.
    pub default: String,
}

/// A declared intent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intent {
    /// Its name.
    pub name: String,
    /// Sample utterances.
    pub utterances: Vec<String>,
}

/// A declared service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// Its name.
    pub name: String,
    /// Variables sent as inputs.
    pub inputs: Vec<VarId>,
    /// Variables assigned from outputs.
    pub outputs: Vec<VarId>,
    /// Branch names, without the implicit `error`.
    pub branches: Vec<String>,
    /// Time limit.
    pub timeout_ms: Option<u64>,
    /// The HTTP endpoint, when the service is one.
    pub http: Option<Http>,
}

/// An HTTP service's endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Http {
    /// URL.
    pub url: String,
    /// Time limit per attempt (default 4000 ms).
    pub timeout_ms: u64,
    /// Extra attempts on timeout, 429 and 502–504.
    pub retries: u32,
    /// Request headers.
    pub headers: Vec<(String, String)>,
}

/// A dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialog {
    /// Its name.
    pub name: String,
    /// Its first block (the start block's for `main`).
    pub entry: BlockId,
}

/// What analytics report for a block or state: `{id, name, dialogName}` of transactions and affected steps.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reference {
    /// The id: `STATE.base`, `STATE.global`, an explicit `id:`, or the UUID v5 of flow, dialog and block.
    pub id: String,
    /// The display name (`name:`, or the block key).
    pub name: String,
    /// The name of the dialog it belongs to.
    pub dialog: String,
}

/// A block.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    /// The YAML key.
    pub key: String,
    /// The dialog it belongs to.
    pub dialog: DialogId,
    /// Its analytics reference; a waiting block's is its state's.
    pub reference: Reference,
    /// What it does.
    pub kind: BlockKind,
}

/// What a block does.
#[derive(Debug, Clone, PartialEq)]
pub enum BlockKind {
    /// Waits for the caller in this state.
    Wait(StateId),
    /// Ends the conversation.
    End {
        /// Last words.
        say: Option<Template>,
    },
    /// Calls a service.
    Service {
        /// The service.
        service: ServiceId,
        /// Target per declared branch, in declaration order.
        branches: Vec<BlockId>,
        /// Target on failure; `None` falls back to the global `on_error`.
        error: Option<BlockId>,
    },
    /// First true condition wins.
    Condition {
        /// Condition and target.
        arms: Vec<(Expr, BlockId)>,
        /// Fallback.
        otherwise: BlockId,
    },
    /// Assigns variables.
    Set {
        /// Assignments in order.
        assignments: Vec<(VarId, Template)>,
        /// Next block.
        next: BlockId,
    },
    /// Enters a subdialog.
    Call {
        /// The subdialog.
        dialog: DialogId,
        /// The subdialog's entry block.
        entry: BlockId,
        /// Target after `exit: success`.
        success: Option<BlockId>,
        /// Target after `exit: failure`.
        failure: Option<BlockId>,
    },
    /// Leaves the current subdialog.
    Exit(Outcome),
    /// Back to the previous state.
    Back {
        /// Said first.
        say: Option<Template>,
    },
    /// SIP transfer.
    Transfer {
        /// Said first.
        say: Option<Template>,
        /// SIP URI.
        refer_to: Template,
        /// SIP headers.
        headers: Vec<(String, Template)>,
    },
}

/// A waiting state. Its analytics reference is its block's.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    /// Its block.
    pub block: BlockId,
    /// Prompts; more than one rotate on re-entry.
    pub prompts: Vec<Template>,
    /// Reprompt.
    pub reprompt: Option<Template>,
    /// The handler of each intent the state handles (one per intent).
    pub intents: Vec<(String, HandlerId)>,
    /// Local else.
    pub otherwise: Option<HandlerId>,
    /// DTMF handlers in order: the first whose pattern matches the digits wins.
    pub dtmf: Vec<(PatternId, HandlerId)>,
}

/// The Global Intents block.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Global {
    /// The pseudo-state reported when a global handler fires (`STATE.global`, in `main`).
    pub reference: Reference,
    /// The handler of each global intent, `PARLOA.EndConversation` excluded (one per intent).
    pub intents: Vec<(String, HandlerId)>,
    /// Global else.
    pub otherwise: Option<HandlerId>,
    /// The custom ending actions (`PARLOA.EndConversation`).
    pub ending: Option<HandlerId>,
    /// Where failures go.
    pub on_error: Option<BlockId>,
}

/// One handler: whose it is, what fires it, and what it does.
#[derive(Debug, Clone, PartialEq)]
pub struct Handler {
    /// The state it belongs to, or the global block.
    pub owner: Owner,
    /// What fires it.
    pub trigger: Trigger,
    /// Its action.
    pub action: Action,
}

/// Whose handler it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// A state's own handler.
    State(StateId),
    /// A handler of the Global Intents block.
    Global,
}

/// What fires a handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// An intent.
    Intent(String),
    /// Anything nothing else handled.
    Else,
    /// Digits matching a pattern.
    Dtmf(PatternId),
    /// `PARLOA.EndConversation`: the custom ending actions.
    Ending,
}

/// Say, set, go.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    /// Said first.
    pub say: Option<Template>,
    /// Assignments.
    pub set: Vec<(VarId, Template)>,
    /// Target.
    pub goto: BlockId,
}

/// A template with resolved variables.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    /// Pieces in order.
    pub parts: Vec<Part>,
    /// True for a prompt, something the bot says (`say`, `reprompt`): on a phone turn its filled-in values are
    /// XML-escaped, because the phone platform reads every prompt as SSML whatever the template looks like
    /// (T12). Values of other templates (`set`, `refer_to`, SIP headers) and of prompts on a chat turn are
    /// filled in as they are. Decided here once, so the interpreter and generated code cannot disagree.
    pub prompt: bool,
}

impl Template {
    /// The text of a template without values, which reads the same on every turn.
    pub fn literal(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [] => Some(""),
            [Part::Text(text)] => Some(text),
            _ => None,
        }
    }
}

/// A piece of a template.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    /// Literal text.
    Text(String),
    /// A value.
    Expr(Expr),
}

/// A resolved expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A storage variable.
    Var(VarId),
    /// A slot of the request.
    Slot(String),
    /// A context field.
    Context(ContextField),
    /// The intent name.
    IntentName,
    /// Collected digits.
    Dtmf,
    /// String literal.
    Str(String),
    /// Number literal as written.
    Num(String),
    /// Boolean literal.
    Bool(bool),
    /// Negation.
    Not(Box<Expr>),
    /// Binary operation.
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `empty(x)`.
    Empty(Box<Expr>),
    /// `contains(haystack, needle)`.
    Contains(Box<Expr>, Box<Expr>),
    /// `matches(x, 'pattern')`, its pattern interned.
    Matches(Box<Expr>, PatternId),
}

impl Flow {
    /// The state a block waits in, if it is a waiting block.
    pub fn state_of(&self, block: BlockId) -> Option<StateId> {
        match self.blocks.get(block)?.kind {
            BlockKind::Wait(s) => Some(s),
            _ => None,
        }
    }

    /// A state's analytics reference (its block's).
    pub fn state_reference(&self, state: StateId) -> &Reference {
        &self.blocks[self.states[state].block].reference
    }

    /// True when the flow runs on `platform`.
    pub fn supports(&self, platform: Platform) -> bool {
        self.platforms.contains(&platform)
    }
}
