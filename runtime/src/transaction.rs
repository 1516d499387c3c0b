//! The analytics transaction: one JSON object per turn, in Parloa's format (key order on [`Transaction`]).

use std::borrow::Cow;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::chat::{ChatRequest, ChatResponse};
use crate::phone::{PhoneRequest, PhoneResponse};

/// A string that is usually a `&'static str` from generated code.
pub type CowStr = Cow<'static, str>;

/// A reference to a state: `{id, name, dialogName}`.
///
/// Cheap to build from generated code (`StateRef::from_static`, no
/// allocation); owned strings appear only when read back from JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateRef {
    /// Stable state id, e.g. `STATE.base` or a UUID.
    pub id: CowStr,
    /// Human name of the state.
    pub name: CowStr,
    /// Dialog (main or subdialog) that contains the state.
    pub dialog_name: CowStr,
}

impl StateRef {
    /// `{id: "", name: "", dialogName: ""}`: nothing handled the turn.
    pub const EMPTY: StateRef = StateRef::from_static("", "", "");

    /// A state reference over static strings (usable in `const`).
    pub const fn from_static(id: &'static str, name: &'static str, dialog: &'static str) -> Self {
        Self {
            id: Cow::Borrowed(id),
            name: Cow::Borrowed(name),
            dialog_name: Cow::Borrowed(dialog),
        }
    }

    /// A state reference over any strings (the interpreter's owned names).
    pub fn new(
        id: impl Into<CowStr>,
        name: impl Into<CowStr>,
        dialog_name: impl Into<CowStr>,
    ) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
            dialog_name: dialog_name.into(),
        }
    }

    /// Whether this is [`StateRef::EMPTY`]-like (empty id).
    pub fn is_empty(&self) -> bool {
        self.id.is_empty()
    }
}

/// Where the handler that fired lives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Handled {
    /// `"locally"`: a handler of the current state (or nothing handled).
    #[default]
    Locally,
    /// `"globally"`: a handler of the Global block.
    Globally,
}

/// The `intent` object: how the turn was resolved.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntentRecord {
    /// Intent of the turn, e.g. `PARLOA.EndConversation`.
    pub name: CowStr,
    /// State the turn started in.
    pub initial_state: StateRef,
    /// State whose handler fired ([`StateRef::EMPTY`] when none).
    pub handled_by_state: StateRef,
    /// Local or global handler.
    pub handled: Handled,
    /// False when an `else` fired or nothing handled the turn.
    pub explicitly_handled: bool,
    /// State the conversation waits in after the turn.
    pub next_state: StateRef,
}

/// One error or warning as consumers read it: `{type, message}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// What kind of problem, a stable PascalCase name (see [`problem`] for the list).
    #[serde(rename = "type")]
    pub kind: CowStr,
    /// What happened, in plain words.
    pub message: String,
}

impl Problem {
    fn new(kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            message: message.into(),
        }
    }
}

/// The `type`s flowc writes into `_errors` and `warnings`.
pub mod problem {
    /// Error: a service call failed, timed out or answered an unknown branch (T11).
    pub const SERVICE_ERROR: &str = "ServiceError";
    /// Error: a turn ran the step budget of blocks without waiting and was stopped (T3).
    pub const STEP_BUDGET_EXCEEDED: &str = "StepBudgetExceeded";
    /// Error: a subdialog exit with no caller to return to (T14).
    pub const SUBDIALOG_EXIT: &str = "SubdialogExitWithoutCaller";
    /// Error: the engine asked the flow for a block or handler it does not have, a bug of flowc; the turn
    /// stayed where it started.
    pub const INTERNAL_ERROR: &str = "InternalError";
    /// Warning: nothing handled the caller's input (T2).
    pub const UNHANDLED_INPUT: &str = "UnhandledInput";
    /// Warning: flowc ended an open conversation as if the caller had hung up, because a new one started
    /// on its session; the platform sent no HANGUP.
    pub const SYNTHETIC_HANGUP: &str = "SyntheticHangup";
    /// Warning: no request came for a conversation during the idle timeout, so flowc ended it as if the
    /// caller had hung up (or the user quit).
    pub const IDLE_TIMEOUT: &str = "IdleTimeout";
}

/// `sessionBefore` of an affected step: where the conversation was before the turn.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionBefore {
    /// The state the conversation waited in when the turn began: the state the step belonged to.
    pub current_node: StateRef,
}

/// One entry of `affectedSteps`: which block an error or warning concerns.
///
/// Shape: `{stateId, stateName, dialogName, sessionBefore: {currentNode}, _errors | warnings}`. The first
/// three name the block (states and the blocks between them alike); `sessionBefore.currentNode` is the
/// state reference of the state the turn started in; an entry of `meta.errors` carries its problems in
/// `_errors`, one of `meta.warnings` in `warnings`, each `{type, message}` — the keys Parloa's analytics
/// consumers read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AffectedStep {
    /// Id of the affected block.
    pub state_id: CowStr,
    /// Name of the affected block.
    pub state_name: CowStr,
    /// Dialog of the affected block.
    pub dialog_name: CowStr,
    /// Where the conversation was before the turn.
    pub session_before: SessionBefore,
    /// The errors (entries of `meta.errors`).
    #[serde(rename = "_errors", default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<Problem>,
    /// The warnings (entries of `meta.warnings`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Problem>,
}

impl AffectedStep {
    /// An entry of `meta.errors`: a problem of `kind` at `block`, in a turn that began in `current`.
    pub fn error(
        block: &StateRef,
        current: &StateRef,
        kind: &'static str,
        message: impl Into<String>,
    ) -> Self {
        let mut step = Self::at(block, current);
        step.errors.push(Problem::new(kind, message));
        step
    }

    /// An entry of `meta.warnings`: a problem of `kind` at `block`, in a turn that began in `current`.
    pub fn warning(
        block: &StateRef,
        current: &StateRef,
        kind: &'static str,
        message: impl Into<String>,
    ) -> Self {
        let mut step = Self::at(block, current);
        step.warnings.push(Problem::new(kind, message));
        step
    }

    fn at(block: &StateRef, current: &StateRef) -> Self {
        Self {
            state_id: block.id.clone(),
            state_name: block.name.clone(),
            dialog_name: block.dialog_name.clone(),
            session_before: SessionBefore {
                current_node: current.clone(),
            },
            errors: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Every problem of the entry, errors and warnings.
    pub fn problems(&self) -> impl Iterator<Item = &Problem> {
        self.errors.iter().chain(&self.warnings)
    }
}

/// `{occurrences, affectedSteps}` for errors or warnings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Issues {
    /// How many times it happened in the turn.
    pub occurrences: u64,
    /// Where it happened.
    pub affected_steps: Vec<AffectedStep>,
}

impl Issues {
    /// Count one occurrence at `step`.
    pub fn push(&mut self, step: AffectedStep) {
        self.occurrences += 1;
        self.affected_steps.push(step);
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.occurrences == 0 && self.affected_steps.is_empty()
    }
}

/// The `meta` object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// Errors of the turn (failed services, step budget exhausted, …).
    pub errors: Issues,
    /// Warnings of the turn (nothing handled the input, …).
    pub warnings: Issues,
}

/// One storage variable after the turn: `{id, name, value}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variable {
    /// Variable id (the declared name).
    pub id: CowStr,
    /// Variable name.
    pub name: CowStr,
    /// Current value (`""` when unset).
    pub value: String,
}

impl Variable {
    /// A variable whose id and name are both `name` (as in Parloa's
    /// transactions). Free for `&'static str` names.
    pub fn new(name: impl Into<CowStr>, value: impl Into<String>) -> Self {
        let name = name.into();
        Self {
            id: name.clone(),
            name,
            value: value.into(),
        }
    }
}

/// The channel of the conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Platform {
    /// `"phoneV2"`.
    #[serde(rename = "phoneV2")]
    PhoneV2,
    /// `"textchatV2"`.
    #[serde(rename = "textchatV2")]
    TextchatV2,
}

impl Platform {
    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::PhoneV2 => "phoneV2",
            Self::TextchatV2 => "textchatV2",
        }
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The request of a turn, serialized as the bare platform body (untagged).
// Phone requests are the bigger and the common variant; boxing them would cost every read-back transaction an
// allocation to save memory on the rarer chat ones.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Request {
    /// A `phoneV2` request.
    Phone(PhoneRequest),
    /// A `textchatV2` request.
    Chat(ChatRequest),
}

/// The response of a turn, serialized as the bare platform body (untagged).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Response {
    /// A `phoneV2` response.
    Phone(PhoneResponse),
    /// A `textchatV2` response.
    Chat(ChatResponse),
}

impl Request {
    /// The platform of the body.
    pub fn platform(&self) -> Platform {
        match self {
            Self::Phone(_) => Platform::PhoneV2,
            Self::Chat(_) => Platform::TextchatV2,
        }
    }
}

impl Response {
    /// The platform of the body.
    pub fn platform(&self) -> Platform {
        match self {
            Self::Phone(_) => Platform::PhoneV2,
            Self::Chat(_) => Platform::TextchatV2,
        }
    }
}

fn value_has_key(value: &Value, key: &str) -> bool {
    value.as_object().is_some_and(|o| o.contains_key(key))
}

/// Untagged bodies are told apart by `callMeta` (phone bodies always have it,
/// chat bodies never), then parsed as that type, so a malformed body gets the
/// real field error instead of "did not match any variant".
///
/// The body passes through a `serde_json::Value` on the way, so a `slots`
/// object map read back from a transaction comes out in key order (unless
/// serde_json's `preserve_order` feature is on); requests parsed directly as
/// [`PhoneRequest`] keep the order they came in.
impl<'de> Deserialize<'de> for Request {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        let parsed = if value_has_key(&value, "callMeta") {
            PhoneRequest::deserialize(value).map(Self::Phone)
        } else {
            ChatRequest::deserialize(value).map(Self::Chat)
        };
        parsed.map_err(serde::de::Error::custom)
    }
}

impl<'de> Deserialize<'de> for Response {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        let parsed = if value_has_key(&value, "callMeta") {
            PhoneResponse::deserialize(value).map(Self::Phone)
        } else {
            ChatResponse::deserialize(value).map(Self::Chat)
        };
        parsed.map_err(serde::de::Error::custom)
    }
}

/// One analytics transaction: everything about one turn.
///
/// Key order is the order of the documented Hangup Event transaction:
/// `transactionId, requestTimestamp, responseTime, userContextId, releaseId,
/// requesterId, intent, meta, variables, platform, [language,] request,
/// response`.
///
/// `language` is not in Parloa's format. It is written only when the flow
/// declares a language, right after `platform`: it describes the channel of
/// the conversation like `platform` does, and keeping it there leaves the two
/// bulky objects `request` and `response` last and every documented key in
/// its documented position. A flow without a language reproduces the
/// reference key for key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transaction {
    /// Unique id of this transaction.
    pub transaction_id: String,
    /// When the request arrived, `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    pub request_timestamp: String,
    /// Time spent on the turn, in milliseconds.
    pub response_time: u64,
    /// Id of the user context the turn belongs to.
    pub user_context_id: String,
    /// Release (flow version) that answered.
    pub release_id: String,
    /// Who is talking: caller number (phone) or `requesterId` (chat).
    pub requester_id: String,
    /// How the turn was resolved.
    pub intent: IntentRecord,
    /// Errors and warnings.
    pub meta: Meta,
    /// Every storage variable after the turn, in declaration order.
    pub variables: Vec<Variable>,
    /// The channel.
    pub platform: Platform,
    /// The flow's language (e.g. `de-DE`), only when the flow declares one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<CowStr>,
    /// The request body as received.
    pub request: Request,
    /// The response body as sent.
    pub response: Response,
}
