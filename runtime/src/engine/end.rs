//! Conversations flowc ends itself, as if the caller had hung up: a WELCOME or launch on a session whose
//! conversation is still open, or an application that decides a call is over (idle expiry). One operation,
//! [`Engine::end_open`], for every such case: the flow's `PARLOA.EndConversation` handling runs and a Hangup
//! transaction with a `SyntheticHangup` warning is recorded, exactly as a real hang-up would be (T4, T5).

use super::write;
use super::{Engine, EngineError, Event, TurnBuffer, TurnSummary};
use crate::chat::{ChatEvent, ChatRequest};
use crate::conversation::Conversation;
use crate::flow::{Flow, TurnInput};
use crate::phone::{CallMeta, PhoneEvent, PhoneRequest};
use crate::sink::SinkError;
use crate::store::{SessionStore, UserStore};
use crate::transaction::{AffectedStep, Platform, problem};

/// Why flowc ended a conversation itself: a WELCOME or launch arrived while it was open.
pub(super) const NEW_CONVERSATION: &str = "the platform sent no HANGUP for this conversation: a new one started on its \
     session while it was open, so flowc ended it as if the caller had hung up";
/// Why flowc ended a conversation itself: the application asked it to (idle expiry).
const ENDED_BY_APPLICATION: &str = "the platform sent no HANGUP for this conversation: the application \
     ended it (idle expiry), so flowc ended it as if the caller had hung up";
impl<F: Flow, St: SessionStore<Conversation<F::Vars>>, Us: UserStore<Vec<String>>>
    Engine<F, St, Us>
{
    /// Ends the open phone conversation of `call_meta`'s session as if the caller had hung up: the flow's
    /// `PARLOA.EndConversation` handling runs and a Hangup transaction (its request a HANGUP with
    /// `call_meta`, its `meta.warnings` a `SyntheticHangup`) goes to the sink and into `buffer`. For an
    /// application that decides a call is over without the platform saying so (idle expiry). `Ok(false)`,
    /// with nothing recorded, when the session has no open conversation.
    pub fn end_phone_conversation(
        &self,
        call_meta: &CallMeta,
        buffer: &mut TurnBuffer,
    ) -> Result<bool, EngineError> {
        self.runs_on(Platform::PhoneV2)?;
        let key = call_meta.session_key().ok_or(EngineError::NoSession)?;
        let hangup = PhoneRequest::event(call_meta.clone(), PhoneEvent::Hangup);
        let requester = call_meta.caller_id.as_deref().unwrap_or("");
        Ok(self.end_if_open(key, requester, write::Wire::Phone(&hangup), buffer))
    }

    /// Ends the open chat conversation of `session_id` as if the user had quit (see
    /// [`Engine::end_phone_conversation`]).
    pub fn end_chat_conversation(
        &self,
        requester_id: &str,
        session_id: &str,
        buffer: &mut TurnBuffer,
    ) -> Result<bool, EngineError> {
        self.runs_on(Platform::TextchatV2)?;
        if session_id.is_empty() {
            return Err(EngineError::NoSession);
        }
        let quit = ChatRequest::new(requester_id, session_id, ChatEvent::Quit);
        Ok(self.end_if_open(session_id, requester_id, write::Wire::Chat(&quit), buffer))
    }

    fn end_if_open(
        &self,
        key: &str,
        requester: &str,
        wire: write::Wire<'_>,
        buffer: &mut TurnBuffer,
    ) -> bool {
        let now = self.clock.now_unix_ms();
        let ended = self.sessions.update(key, |conv| {
            conv.active.then(|| {
                self.end_open(
                    conv,
                    key,
                    requester,
                    wire,
                    now,
                    (problem::SYNTHETIC_HANGUP, ENDED_BY_APPLICATION),
                    buffer,
                )
            })
        });
        match ended.flatten() {
            Some(recorded) => {
                buffer.sink_error = recorded.err();
                true
            }
            None => false,
        }
    }

    /// Ends the open conversation `conv` as if the caller had hung up (T4, T5): the flow's
    /// `PARLOA.EndConversation` handling runs, and a Hangup transaction whose `meta.warnings` says the
    /// platform did not send it (`why`: the problem kind and its message) goes to the sink. One operation
    /// for every case where flowc, not the platform, ends a conversation (a new WELCOME or launch on an
    /// open session; idle expiry).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn end_open(
        &self,
        conv: &mut Conversation<F::Vars>,
        key: &str,
        requester: &str,
        wire: write::Wire<'_>,
        now: u64,
        why: (&'static str, &str),
        buffer: &mut TurnBuffer,
    ) -> Result<(), SinkError> {
        let started = self.clock.mark();
        let mask = self.privacy(conv, wire, &Event::End);
        let mut decided = self.turn(
            conv,
            key,
            requester,
            wire.platform(),
            Event::End,
            TurnInput::default(),
            buffer,
        );
        let state = self.flow.info().state(decided.initial);
        decided
            .meta
            .warnings
            .push(AffectedStep::warning(state, state, why.0, why.1));
        let stamp = write::Stamp {
            now,
            response_ms: self.clock.elapsed_ms(started),
        };
        self.write(conv, &decided, &stamp, requester, wire, mask, buffer);
        buffer.summary = TurnSummary::of(&decided);
        self.finish(conv, decided, requester, buffer);
        self.sink.record_json(&buffer.json)
    }
}
