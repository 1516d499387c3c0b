//! Idle expiry: conversations the platform stopped talking to are ended as if hung up, recorded, and
//! forgotten. The store says which sessions are idle and hands each out once ([`SessionStore::expire_idle`]);
//! the engine ends them with the operation built for a WELCOME on an open session ([`Engine::end_open`]).

use std::time::Duration;

use super::write::Wire;
use super::{Engine, TurnBuffer};
use crate::chat::{ChatEvent, ChatRequest};
use crate::conversation::{Conversation, Peer, PeerRef};
use crate::flow::Flow;
use crate::phone::{CallMeta, PhoneEvent, PhoneRequest};
use crate::store::{SessionStore, UserStore};
use crate::transaction::problem;

/// What one [`Engine::expire_idle`] call did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Expired {
    /// Sessions forgotten (their conversation open or already over).
    pub removed: usize,
    /// Of those, open conversations ended with a Hangup (phone) or quit (chat) transaction.
    pub ended: usize,
    /// Of those transactions, the ones the sink refused.
    pub sink_errors: usize,
}

impl<F: Flow, St: SessionStore<Conversation<F::Vars>>, Us: UserStore<Vec<String>>>
    Engine<F, St, Us>
{
    /// Ends and forgets the sessions no request reached during the last `idle`, at most `limit` of them.
    /// An open conversation is ended as if the caller had hung up (a chat as if the user had quit): the
    /// flow's `PARLOA.EndConversation` handling runs and a Hangup transaction, its request a HANGUP with the
    /// callMeta that started the call and its `meta.warnings` an `IdleTimeout` naming `idle`, goes to the
    /// sink (the last one is left in `buffer`). Each session is handed out by the store exactly once; a
    /// request that arrives meanwhile waits and then starts afresh. Call it periodically (a server's
    /// sweeper does).
    pub fn expire_idle(&self, idle: Duration, limit: usize, buffer: &mut TurnBuffer) -> Expired {
        let why = format!(
            "the platform sent no request for this conversation for {} (the idle timeout), so flowc \
             ended it as if the caller had hung up",
            human(idle)
        );
        let mut expired = Expired::default();
        self.sessions.expire_idle(idle, limit, |key, conv| {
            expired.removed += 1;
            if !conv.active {
                return;
            }
            let peer = conv.peer.take();
            let now = self.clock.now_unix_ms();
            let why = (problem::IDLE_TIMEOUT, why.as_str());
            let read = peer.as_ref().and_then(Peer::read);
            let recorded = match read.unwrap_or_else(|| self.unknown_peer(key)) {
                PeerRef::Phone(meta) => {
                    let requester = meta.caller_id.clone().unwrap_or_default();
                    let hangup = PhoneRequest::event(meta, PhoneEvent::Hangup);
                    self.end_open(
                        conv,
                        key,
                        &requester,
                        Wire::Phone(&hangup),
                        now,
                        why,
                        buffer,
                    )
                }
                PeerRef::Chat(requester) => {
                    let quit = ChatRequest::new(requester, key, ChatEvent::Quit);
                    self.end_open(conv, key, requester, Wire::Chat(&quit), now, why, buffer)
                }
            };
            expired.ended += 1;
            if let Err(e) = recorded {
                expired.sink_errors += 1;
                buffer.sink_error = Some(e);
            }
        });
        expired
    }

    /// Whom an open conversation that kept no peer is with: only the session key is known.
    fn unknown_peer(&self, key: &str) -> PeerRef<'static> {
        if self.flow.info().phone {
            PeerRef::Phone(CallMeta {
                session_id: Some(key.to_owned()),
                ..CallMeta::default()
            })
        } else {
            PeerRef::Chat("")
        }
    }
}

/// Keeps whom the conversation is with when the turn started it (or nothing was kept yet), so that it can
/// be ended without a request. Conversations that go on keep what they have: no allocation per turn.
pub(super) fn remember_peer<V>(conv: &mut Conversation<V>, wire: Wire<'_>, starting: bool) {
    if !conv.active || !(starting || conv.peer.is_none()) {
        return;
    }
    conv.peer = Some(match wire {
        Wire::Phone(request) => Peer::phone(&request.call_meta),
        Wire::Chat(request) => Peer::chat(&request.requester_id),
    });
}

/// `30 min`, `90 s`, `250 ms`.
fn human(idle: Duration) -> String {
    let ms = idle.as_millis();
    if !ms.is_multiple_of(1000) {
        format!("{ms} ms")
    } else if !ms.is_multiple_of(60_000) || ms == 0 {
        format!("{} s", ms / 1000)
    } else if !ms.is_multiple_of(3_600_000) {
        format!("{} min", ms / 60_000)
    } else {
        format!("{} h", ms / 3_600_000)
    }
}
