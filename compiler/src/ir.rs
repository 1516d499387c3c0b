//! The lowered flow: names resolved to indices, blocks and states numbered, state ids fixed (T15).
//!
//! The interpreter walks this directly and the code generator emits Rust from it; both read the same
//! graph, so they cannot disagree about what a flow means.

use crate::ast::{Lifetime, Outcome, Platform, Stt};

/// Index into [`Flow::variables`].
pub type VarId = usize;
/// Index into [`Flow::blocks`].
pub type BlockId = usize;
/// Index into [`Flow::states`].
pub type StateId = usize;
/// Index into [`Flow::services`].
pub type ServiceId = usize;
/// Index into [`Flow::dialogs`].
pub type DialogId = usize;

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
    pub variables: Vec<Variable>,
    /// Declared intents.
    pub intents: Vec<Intent>,
    /// Declared services.
    pub services: Vec<Service>,
    /// Dialogs; index 0 is `main`.
    pub dialogs: Vec<Dialog>,
    /// Every block except notes and the global block.
    pub blocks: Vec<Block>,
    /// Every waiting state; index 0 is the Start Conversation block.
    pub states: Vec<State>,
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

/// A block.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    /// The YAML key.
    pub key: String,
    /// The display name.
    pub name: String,
    /// The dialog it belongs to.
    pub dialog: DialogId,
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

/// A waiting state.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    /// Its block.
    pub block: BlockId,
    /// Its analytics id (`STATE.base`, explicit, or UUID v5).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Name of its dialog.
    pub dialog_name: String,
    /// Prompts; more than one rotate on re-entry.
    pub prompts: Vec<Template>,
    /// Reprompt.
    pub reprompt: Option<Template>,
    /// Local intent handlers.
    pub handlers: Vec<(String, Action)>,
    /// Local else.
    pub otherwise: Option<Action>,
    /// DTMF handlers: pattern and action.
    pub dtmf: Vec<(String, Action)>,
}

/// The Global Intents block.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Global {
    /// Display name.
    pub name: String,
    /// Global intent handlers, `PARLOA.EndConversation` excluded.
    pub handlers: Vec<(String, Action)>,
    /// The custom ending actions.
    pub ending: Option<Action>,
    /// Global else.
    pub otherwise: Option<Action>,
    /// Where failures go.
    pub on_error: Option<BlockId>,
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
    Context(crate::expr::ContextField),
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
    Binary(crate::expr::BinaryOp, Box<Expr>, Box<Expr>),
    /// Function call.
    Call(crate::expr::Function, Vec<Expr>),
}

impl Flow {
    /// The state a block waits in, if it is a waiting block.
    pub fn state_of(&self, block: BlockId) -> Option<StateId> {
        match self.blocks.get(block)?.kind {
            BlockKind::Wait(s) => Some(s),
            _ => None,
        }
    }

    /// True when the flow runs on `platform`.
    pub fn supports(&self, platform: Platform) -> bool {
        self.platforms.contains(&platform)
    }
}
