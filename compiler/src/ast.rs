//! The flow as the user wrote it: every name carries the [`Span`] it was written at.
//!
//! The AST keeps source order and duplicates; the analyzer reports problems, lowering resolves names.

use crate::diagnostic::Span;
use crate::expr::{Expr, Template};

/// A name or short text together with where it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Name {
    /// The text.
    pub text: String,
    /// Where it is written.
    pub span: Span,
}

impl Name {
    /// The name's text.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// A whole flow file.
#[derive(Debug, Clone, PartialEq)]
pub struct Flow {
    /// `flow:` — the identifier module and type names derive from.
    pub name: Name,
    /// `description:`.
    pub description: Option<String>,
    /// `release:` — the default releaseId.
    pub release: Option<Name>,
    /// `platforms:`; `[phoneV2]` when not given.
    pub platforms: Vec<(Platform, Span)>,
    /// `language:`, e.g. `de-DE`.
    pub language: Option<Name>,
    /// `stt:` — phone responses' customSTT.
    pub stt: Stt,
    /// `no_input: { reprompts: N }`.
    pub no_input: Option<(u32, Span)>,
    /// `variables:` in declaration (= transaction) order.
    pub variables: Vec<VariableDecl>,
    /// `intents:`.
    pub intents: Vec<IntentDecl>,
    /// `services:`.
    pub services: Vec<ServiceDecl>,
    /// `dialogs:`; `main` first is not guaranteed.
    pub dialogs: Vec<Dialog>,
}

/// A channel the flow runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Platform {
    /// Parloa phoneV2.
    Phone,
    /// Parloa textchatV2.
    Chat,
}

impl Platform {
    /// The name used in YAML and in transactions.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Phone => "phoneV2",
            Platform::Chat => "textchatV2",
        }
    }
}

/// Speech-to-text settings reported as `customSTT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stt {
    /// `type`, e.g. `prebuild`.
    pub kind: String,
    /// `id`, e.g. `generic`.
    pub id: String,
}

impl Default for Stt {
    fn default() -> Self {
        Stt {
            kind: "prebuild".into(),
            id: "generic".into(),
        }
    }
}

/// How long a variable's value lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lifetime {
    /// Reset to its default when the conversation ends.
    Session,
    /// Kept per requester and release across conversations.
    User,
}

/// One entry of `variables:`.
#[derive(Debug, Clone, PartialEq)]
pub struct VariableDecl {
    /// The variable's name.
    pub name: Name,
    /// Its lifetime.
    pub lifetime: Lifetime,
    /// Its default value (`""` unless given).
    pub default: String,
}

/// One entry of `intents:`.
#[derive(Debug, Clone, PartialEq)]
pub struct IntentDecl {
    /// The intent's name.
    pub name: Name,
    /// Sample utterances; the simulator matches typed text against them.
    pub utterances: Vec<String>,
}

/// One entry of `services:`.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceDecl {
    /// The service's name.
    pub name: Name,
    /// Variables sent as inputs.
    pub inputs: Vec<Name>,
    /// Variables assigned from the answer.
    pub outputs: Vec<Name>,
    /// The answers the service can give (`error` is implicit).
    pub branches: Vec<Name>,
    /// Time limit in milliseconds.
    pub timeout_ms: Option<u64>,
    /// `http:` — the service is an HTTP endpoint (Parloa's service contract).
    pub http: Option<HttpSpec>,
}

/// `http: { url, timeout_ms, retries, headers }` of a service.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpSpec {
    /// The endpoint; `http://` or `https://`.
    pub url: Name,
    /// Time limit per attempt, at most 20000 ms.
    pub timeout_ms: Option<u64>,
    /// Extra attempts on timeout, 429 and 502–504.
    pub retries: Option<u32>,
    /// Request headers.
    pub headers: Vec<(Name, Name)>,
}

/// The time limit of an HTTP service when none is given.
pub const DEFAULT_HTTP_TIMEOUT_MS: u64 = 4_000;
/// The longest time limit an HTTP service may have.
pub const MAX_HTTP_TIMEOUT_MS: u64 = 20_000;

/// A dialog: `main` or a subdialog.
#[derive(Debug, Clone, PartialEq)]
pub struct Dialog {
    /// The dialog's name.
    pub name: Name,
    /// `entry:` — the first block of a subdialog.
    pub entry: Option<Name>,
    /// The dialog's blocks, `start` and `global` included, in source order.
    pub blocks: Vec<Block>,
}

impl Dialog {
    /// True for the main dialog.
    pub fn is_main(&self) -> bool {
        self.name.text == MAIN_DIALOG
    }
}

/// The name of the dialog that holds the Start Conversation block.
pub const MAIN_DIALOG: &str = "main";
/// The intent a HANGUP or chat quit carries.
pub const END_CONVERSATION_INTENT: &str = "PARLOA.EndConversation";

/// One block.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    /// The block's key (`start` and `global` for those blocks).
    pub name: Name,
    /// `name:` — the display name shown in analytics; the key when absent.
    pub display_name: Option<Name>,
    /// What the block does.
    pub kind: BlockKind,
    /// Where the kind key is written.
    pub kind_span: Span,
}

impl Block {
    /// The name analytics show.
    pub fn shown_name(&self) -> &str {
        match (&self.display_name, &self.kind) {
            (Some(name), _) => &name.text,
            (None, BlockKind::Start(_)) => "Start Conversation",
            (None, BlockKind::Global(_)) => "Global Intents",
            (None, _) => &self.name.text,
        }
    }
}

/// The kinds of block.
#[derive(Debug, Clone, PartialEq)]
pub enum BlockKind {
    /// The Start Conversation block: a state with id `STATE.base`.
    Start(StateBody),
    /// The Global Intents block.
    Global(GlobalBody),
    /// A state that waits for the caller.
    State(StateBody),
    /// Ends the conversation.
    End {
        /// What to say last.
        say: Option<Template>,
    },
    /// Calls a service and branches on its answer.
    Service {
        /// The service.
        service: Name,
        /// Branch → target.
        on: Vec<(Name, Name)>,
    },
    /// The first true `when` wins, else `else`.
    Condition {
        /// The arms in order.
        arms: Vec<ConditionArm>,
        /// The fallback target.
        otherwise: Option<Name>,
    },
    /// Assigns variables and goes on.
    Set {
        /// The assignments.
        assignments: Vec<Assignment>,
        /// Where to go next.
        goto: Option<Name>,
    },
    /// Enters a subdialog.
    Call {
        /// The subdialog.
        dialog: Name,
        /// Exit outcome → target.
        on: Vec<(Name, Name)>,
    },
    /// Leaves the subdialog.
    Exit {
        /// The outcome.
        outcome: Outcome,
    },
    /// Back to the previous state.
    Back {
        /// Said before the previous state's prompt.
        say: Option<Template>,
    },
    /// Hands the call to a SIP destination.
    Transfer {
        /// Said before the transfer.
        say: Option<Template>,
        /// The SIP URI.
        refer_to: Template,
        /// SIP headers.
        headers: Vec<(Name, Template)>,
    },
    /// A comment for readers.
    Note {
        /// The text.
        text: String,
    },
}

impl BlockKind {
    /// The kind's YAML key.
    pub fn keyword(&self) -> &'static str {
        match self {
            BlockKind::Start(_) => "start",
            BlockKind::Global(_) => "global",
            BlockKind::State(_) => "state",
            BlockKind::End { .. } => "end",
            BlockKind::Service { .. } => "service",
            BlockKind::Condition { .. } => "condition",
            BlockKind::Set { .. } => "set",
            BlockKind::Call { .. } => "call",
            BlockKind::Exit { .. } => "exit",
            BlockKind::Back { .. } => "back",
            BlockKind::Transfer { .. } => "transfer",
            BlockKind::Note { .. } => "note",
        }
    }

    /// True for blocks where the turn stops and the caller speaks next.
    pub fn waits(&self) -> bool {
        matches!(self, BlockKind::Start(_) | BlockKind::State(_))
    }
}

/// How a subdialog ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    /// `exit: success`.
    Success,
    /// `exit: failure`.
    Failure,
}

impl Outcome {
    /// The YAML spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
        }
    }
}

/// The body of a state or the start block.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StateBody {
    /// `id:` — an explicit state id.
    pub id: Option<Name>,
    /// `say:` — one prompt, or several that rotate.
    pub prompts: Vec<Template>,
    /// `reprompt:`.
    pub reprompt: Option<Template>,
    /// `on:` — local intent handlers.
    pub on: Vec<Handler>,
    /// `else:` — the local fallback.
    pub otherwise: Option<Action>,
    /// `dtmf:` — digit handlers.
    pub dtmf: Vec<DtmfHandler>,
}

/// The body of the Global Intents block.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GlobalBody {
    /// `on:` — global intent handlers.
    pub on: Vec<Handler>,
    /// `else:` — the global fallback.
    pub otherwise: Option<Action>,
    /// `on_error:` — where failures go when a service block has no `error` branch.
    pub on_error: Option<Name>,
}

/// `Intent: action`.
#[derive(Debug, Clone, PartialEq)]
pub struct Handler {
    /// The intent.
    pub intent: Name,
    /// What to do.
    pub action: Action,
}

/// `{ match: regex, set, say, goto }`.
#[derive(Debug, Clone, PartialEq)]
pub struct DtmfHandler {
    /// The pattern over the collected digits.
    pub pattern: Name,
    /// What to do.
    pub action: Action,
}

/// What a handler does: say, set, then go.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    /// Said before the target's own prompt.
    pub say: Option<Template>,
    /// Assignments.
    pub set: Vec<Assignment>,
    /// Target block.
    pub goto: Option<Name>,
    /// Where the action is written.
    pub span: Span,
}

/// `variable: template`.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    /// The variable.
    pub variable: Name,
    /// The value.
    pub value: Template,
}

/// `- when: expr  goto: target`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConditionArm {
    /// The condition.
    pub when: Expr,
    /// The target when it holds.
    pub goto: Name,
}
