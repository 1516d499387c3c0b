//! The static description of a flow, [`FlowInfo`]: everything about it that never changes, which the engine
//! and the transaction writer read alike for every flow (generated code has it as `static` data, the
//! interpreter builds it once).

use std::borrow::Cow;

use super::{BlockIx, HandlerIx, StateIx};
use crate::matcher::IntentSamples;
use crate::transaction::{CowStr, StateRef};

/// Everything about a flow that never changes, in one static description: the facts the engine needs, the
/// analytics references of states and blocks with their JSON escaped once, prompt counts, handler targets
/// and variable keys. Generated code has it as `static` data; the interpreter builds it once. The
/// transaction writer reads only this, so both engines write through the same path.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowInfo {
    /// The flow's identifier.
    pub name: CowStr,
    /// Default releaseId.
    pub release: CowStr,
    /// Runs on phoneV2.
    pub phone: bool,
    /// Runs on textchatV2.
    pub chat: bool,
    /// Declared language, reported in transactions when set.
    pub language: Option<CowStr>,
    /// customSTT `type`.
    pub stt_type: CowStr,
    /// customSTT `id`.
    pub stt_id: CowStr,
    /// Silent turns in a row that end the call (T9).
    pub no_input_limit: Option<u32>,
    /// Where failed services go when their block has no `error` branch (T11).
    pub on_error: Option<BlockIx>,
    /// Declared intents with sample utterances, for matching text without an NLU intent.
    pub intents: Cow<'static, [IntentSamples]>,
    /// The pseudo-state reported when a global handler fires (T2).
    pub global: Reference,
    /// Every waiting state, by [`StateIx`].
    pub states: Cow<'static, [StateInfo]>,
    /// Every block, by [`BlockIx`] (for `affectedSteps`).
    pub blocks: Cow<'static, [BlockInfo]>,
    /// The block each handler goes to, by [`HandlerIx`]; [`Flow::run_handler`](super::Flow::run_handler) says and sets the rest.
    pub handlers: Cow<'static, [BlockIx]>,
    /// The global `else`.
    pub global_else: Option<HandlerIx>,
    /// The custom ending actions (`PARLOA.EndConversation`).
    pub ending: Option<HandlerIx>,
    /// Every storage variable, in declaration (= transaction) order: the order [`Flow::values`](super::Flow::values) gives
    /// their values in.
    pub variables: Cow<'static, [VariableInfo]>,
}

/// The reference of "no state" (`{"id":"","name":"","dialogName":""}`).
static NO_STATE: StateRef = StateRef::EMPTY;

impl FlowInfo {
    /// The analytics reference of a state; the empty one for a number the flow does not have.
    pub fn state(&self, state: StateIx) -> &StateRef {
        self.states
            .get(state as usize)
            .map_or(&NO_STATE, |s| &s.reference.state)
    }

    /// The analytics reference of any block; the empty one for a number the flow does not have.
    pub fn block(&self, block: BlockIx) -> &StateRef {
        match self.blocks.get(block as usize) {
            Some(BlockInfo::Waits(state)) => self.state(*state),
            Some(BlockInfo::Other(reference)) => reference,
            None => &NO_STATE,
        }
    }

    /// How many prompts a state rotates through (T12).
    pub fn prompt_count(&self, state: StateIx) -> u32 {
        self.states.get(state as usize).map_or(0, |s| s.prompts)
    }

    /// A state's `else`.
    pub fn local_else(&self, state: StateIx) -> Option<HandlerIx> {
        self.states.get(state as usize)?.otherwise
    }

    /// The block a handler goes to; `None` for a number the flow does not have.
    pub fn target(&self, handler: HandlerIx) -> Option<BlockIx> {
        self.handlers.get(handler as usize).copied()
    }

    /// True when the flow declares user-lifetime variables.
    pub fn has_user_vars(&self) -> bool {
        self.variables.iter().any(|v| v.lifetime == Lifetime::User)
    }
}

/// An analytics reference with its JSON, escaped once so the transaction writer copies it.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    /// `{id, name, dialogName}`.
    pub state: StateRef,
    /// The same as `{"id":…,"name":…,"dialogName":…}`, byte for byte what serde_json writes.
    pub json: CowStr,
}

impl Reference {
    /// A reference over static strings whose JSON was written when the code was generated.
    pub const fn from_static(
        id: &'static str,
        name: &'static str,
        dialog: &'static str,
        json: &'static str,
    ) -> Self {
        Reference {
            state: StateRef::from_static(id, name, dialog),
            json: Cow::Borrowed(json),
        }
    }

    /// A reference with its JSON written now.
    pub fn new(state: StateRef) -> Self {
        let json = Cow::Owned(crate::json::state_fragment(&state));
        Reference { state, json }
    }
}

/// A waiting state.
#[derive(Debug, Clone, PartialEq)]
pub struct StateInfo {
    /// Its analytics reference.
    pub reference: Reference,
    /// How many prompts it rotates through on re-entry (T12).
    pub prompts: u32,
    /// Its `else`.
    pub otherwise: Option<HandlerIx>,
}

impl StateInfo {
    /// A state over static strings whose JSON was written when the code was generated.
    pub const fn from_static(
        id: &'static str,
        name: &'static str,
        dialog: &'static str,
        json: &'static str,
        prompts: u32,
        otherwise: Option<HandlerIx>,
    ) -> Self {
        StateInfo {
            reference: Reference::from_static(id, name, dialog, json),
            prompts,
            otherwise,
        }
    }
}

/// What `affectedSteps` report for a block.
#[derive(Debug, Clone, PartialEq)]
pub enum BlockInfo {
    /// A waiting block: its state's reference.
    Waits(StateIx),
    /// Any other block: its own.
    Other(StateRef),
}

impl BlockInfo {
    /// A block other than a state, its reference over static strings.
    pub const fn other(id: &'static str, name: &'static str, dialog: &'static str) -> Self {
        BlockInfo::Other(StateRef::from_static(id, name, dialog))
    }
}

/// How long a variable keeps its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifetime {
    /// Until the conversation ends (T5).
    Session,
    /// Across the conversations of one requester (T16).
    User,
}

/// A storage variable.
#[derive(Debug, Clone, PartialEq)]
pub struct VariableInfo {
    /// Its name (also its id in transactions).
    pub name: CowStr,
    /// `{"id":…,"name":…,"value":`, escaped once: its transaction entry up to the value.
    pub json_key: CowStr,
    /// How long it keeps its value.
    pub lifetime: Lifetime,
    /// Its declared default, which a new conversation starts with.
    pub default: CowStr,
}

impl VariableInfo {
    /// A variable over static strings whose key JSON was written when the code was generated.
    pub const fn from_static(
        name: &'static str,
        json_key: &'static str,
        lifetime: Lifetime,
        default: &'static str,
    ) -> Self {
        VariableInfo {
            name: Cow::Borrowed(name),
            json_key: Cow::Borrowed(json_key),
            lifetime,
            default: Cow::Borrowed(default),
        }
    }

    /// A variable whose key JSON is written now.
    pub fn new(name: impl Into<CowStr>, lifetime: Lifetime, default: impl Into<CowStr>) -> Self {
        let name = name.into();
        VariableInfo {
            json_key: Cow::Owned(crate::json::variable_prefix(&name)),
            name,
            lifetime,
            default: default.into(),
        }
    }
}
