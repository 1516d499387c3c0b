//! The state one conversation keeps between turns.

use crate::flow::{BlockIx, StateIx};
use crate::phone::CallMeta;

/// Who a conversation is with: what flowc needs to end it itself (idle expiry) the way the platform would
/// have, with a HANGUP or a quit of the same call or chat. One small allocation per conversation, since
/// every idle conversation holds one: `p` and the callMeta of the request that started the call as JSON
/// (its keys as received), or `c` and the chat's requester.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Peer(Box<str>);

/// A [`Peer`] read back.
pub(crate) enum PeerRef<'a> {
    Phone(CallMeta),
    Chat(&'a str),
}

impl Peer {
    pub(crate) fn phone(call_meta: &CallMeta) -> Self {
        let mut json = b"p".to_vec();
        // Writing into a Vec cannot fail, and a CallMeta always serializes.
        let _ = serde_json::to_writer(&mut json, call_meta);
        Peer(String::from_utf8_lossy(&json).into())
    }

    pub(crate) fn chat(requester: &str) -> Self {
        Peer(format!("c{requester}").into())
    }

    /// The compact string as kept (for a store that serializes conversations).
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    /// A peer read back from [`Peer::as_str`]; what it cannot read is an unknown peer when used.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn from_stored(s: &str) -> Self {
        Peer(s.into())
    }

    /// `None` only if what was written cannot be read back, which a callMeta's JSON always can.
    pub(crate) fn read(&self) -> Option<PeerRef<'_>> {
        match self.0.split_at_checked(1)? {
            ("p", json) => serde_json::from_str(json).ok().map(PeerRef::Phone),
            ("c", requester) => Some(PeerRef::Chat(requester)),
            _ => None,
        }
    }
}

/// Where a subdialog returns to (T14).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Frame {
    /// Target after `exit: success`.
    pub(crate) success: Option<BlockIx>,
    /// Target after `exit: failure`.
    pub(crate) failure: Option<BlockIx>,
}

/// One conversation between turns: kept in a [`SessionStore`](crate::SessionStore) under its session key.
///
/// Opaque: only the engine changes it, and a store keeps it as it is. The accessors are for tests and for
/// looking into a store.
#[derive(Debug, Clone, PartialEq)]
pub struct Conversation<V> {
    /// The state the caller is in.
    pub(crate) state: StateIx,
    /// False before the first turn and after the conversation ended (T5).
    pub(crate) active: bool,
    /// The variables.
    pub(crate) vars: V,
    /// Turns since the conversation started.
    pub(crate) turns: u32,
    /// Silent turns in a row (T9).
    pub(crate) silent: u32,
    /// Subdialog return points, innermost last.
    pub(crate) stack: Vec<Frame>,
    /// How often each state was entered, for prompt rotation (only states with several prompts).
    pub(crate) entries: Vec<(StateIx, u32)>,
    /// The conversation's analytics id; kept across the reset so a trailing HANGUP shares it.
    pub(crate) user_context_id: String,
    /// A request of this conversation had `isPrivacyEnabled: true`: every later transaction is masked.
    /// Kept across the reset like `user_context_id`, so the HANGUP after a bot-ended call is masked too.
    pub(crate) private: bool,
    /// `context.lastServiceCallError`.
    pub(crate) last_service_error: String,
    /// `context.lastServiceCallStatus`.
    pub(crate) last_service_status: String,
    /// Kept from the request that started the conversation.
    pub(crate) peer: Option<Peer>,
}

impl<V> Conversation<V> {
    /// The state the caller is in (an index into the flow's states; 0 is the Start Conversation block).
    pub fn state(&self) -> StateIx {
        self.state
    }

    /// Whether the conversation has started and not ended.
    pub fn is_active(&self) -> bool {
        self.active
    }

    /// The flow's variables as the last turn left them.
    pub fn vars(&self) -> &V {
        &self.vars
    }

    /// Turns since the conversation started.
    pub fn turns(&self) -> u32 {
        self.turns
    }

    /// A conversation that has not started.
    pub(crate) fn new(vars: V) -> Self {
        Conversation {
            state: 0,
            active: false,
            vars,
            turns: 0,
            silent: 0,
            stack: Vec::new(),
            entries: Vec::new(),
            user_context_id: String::new(),
            private: false,
            last_service_error: String::new(),
            last_service_status: String::new(),
            peer: None,
        }
    }

    /// Counts an entry into `state` and returns the prompt index to play.
    pub(crate) fn enter(&mut self, state: StateIx, prompts: u32) -> u32 {
        if prompts <= 1 {
            return 0;
        }
        match self.entries.iter_mut().find(|(s, _)| *s == state) {
            Some((_, count)) => {
                *count += 1;
                *count % prompts
            }
            None => {
                self.entries.push((state, 0));
                0
            }
        }
    }

    /// The prompt index a state shows now (for replaying on no-input).
    pub(crate) fn current_prompt(&self, state: StateIx, prompts: u32) -> u32 {
        if prompts <= 1 {
            return 0;
        }
        self.entries
            .iter()
            .find(|(s, _)| *s == state)
            .map(|(_, c)| *c % prompts)
            .unwrap_or(0)
    }

    /// Ends the conversation (T5): back to the start, counters and stack cleared. Variables are reset by the
    /// engine, which knows their lifetimes.
    pub(crate) fn end(&mut self) {
        self.state = 0;
        self.active = false;
        self.turns = 0;
        self.silent = 0;
        self.stack.clear();
        self.entries.clear();
        self.last_service_error.clear();
        self.last_service_status.clear();
    }
}
