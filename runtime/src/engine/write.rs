//! Writing a turn's transaction straight into the turn buffer as JSON, byte for byte what serde_json writes
//! for the same [`Transaction`](crate::Transaction) (tested on every conversation script). Static parts come
//! pre-escaped — from the engine (release, customSTT) or from the flow's static description (state
//! references, variable keys: [`FlowInfo`]) — so a turn writes little more than its dynamic values, and
//! every flow, generated or interpreted, is written through this one path.

use super::turn::{By, Decided};
use super::{Engine, TurnBuffer};
use crate::chat::{ChatRequest, ChatResponse, ResponseElement};
use crate::clock::Iso8601Ms;
use crate::conversation::Conversation;
use crate::flow::{Flow, FlowInfo};
use crate::json;
use crate::phone::PhoneRequest;
use crate::privacy::Redact;
use crate::store::{SessionStore, UserStore};
use crate::transaction::{Handled, Platform};

/// The request a turn answers.
#[derive(Clone, Copy)]
pub(super) enum Wire<'r> {
    Phone(&'r PhoneRequest),
    Chat(&'r ChatRequest),
}

impl Wire<'_> {
    pub(super) fn platform(&self) -> Platform {
        match self {
            Wire::Phone(_) => Platform::PhoneV2,
            Wire::Chat(_) => Platform::TextchatV2,
        }
    }

    /// Whether the request asks for privacy (`callMeta.isPrivacyEnabled`; chat requests have no flag).
    pub(super) fn privacy_enabled(&self) -> bool {
        match self {
            Wire::Phone(request) => request.call_meta.privacy_enabled(),
            Wire::Chat(_) => false,
        }
    }

    /// The request the platform would have sent to end this conversation: a HANGUP with the same callMeta,
    /// or a chat quit of the same requester and session.
    pub(super) fn hangup(&self) -> OwnedWire {
        match self {
            Wire::Phone(request) => OwnedWire::Phone(PhoneRequest::event(
                request.call_meta.clone(),
                crate::phone::PhoneEvent::Hangup,
            )),
            Wire::Chat(request) => OwnedWire::Chat(ChatRequest {
                context: None,
                event: crate::chat::ChatEvent::Quit,
                ..(*request).clone()
            }),
        }
    }
}

/// A request flowc made up itself (see [`Wire::hangup`]).
// Lives on the stack for one synthetic turn: its size does not matter.
#[allow(clippy::large_enum_variant)]
pub(super) enum OwnedWire {
    Phone(PhoneRequest),
    Chat(ChatRequest),
}

impl OwnedWire {
    pub(super) fn wire(&self) -> Wire<'_> {
        match self {
            OwnedWire::Phone(request) => Wire::Phone(request),
            OwnedWire::Chat(request) => Wire::Chat(request),
        }
    }
}

/// When the turn happened.
pub(super) struct Stamp {
    pub now: u64,
    pub response_ms: u64,
}

/// `"releaseId":"…",`
pub(super) fn release_json(release: &str) -> Vec<u8> {
    let mut out = b"\"releaseId\":".to_vec();
    json::string(&mut out, release);
    out.push(b',');
    out
}

/// `"customSTT":{"type":…,"id":…}`
pub(super) fn stt_json(info: &FlowInfo) -> Vec<u8> {
    let mut out = b"\"customSTT\":{\"type\":".to_vec();
    json::string(&mut out, &info.stt_type);
    out.extend_from_slice(b",\"id\":");
    json::string(&mut out, &info.stt_id);
    out.push(b'}');
    out
}

const EMPTY_META: &[u8] =
    br#""meta":{"errors":{"occurrences":0,"affectedSteps":[]},"warnings":{"occurrences":0,"affectedSteps":[]}},"#;
const EMPTY_STATE: &[u8] = br#"{"id":"","name":"","dialogName":""}"#;

impl<F: Flow, St: SessionStore<Conversation<F::Vars>>, Us: UserStore<Vec<String>>>
    Engine<F, St, Us>
{
    /// Writes the transaction of a decided turn into `buffer`, personal data masked when `mask` is set.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn write(
        &self,
        conv: &Conversation<F::Vars>,
        decided: &Decided<'_>,
        stamp: &Stamp,
        requester: &str,
        wire: Wire<'_>,
        mask: bool,
        buffer: &mut TurnBuffer,
    ) {
        let chat_id = match wire {
            Wire::Chat(_) => Some(self.ids.transaction_id()),
            Wire::Phone(_) => None,
        };
        let out = &mut buffer.json;
        out.clear();
        out.extend_from_slice(b"{\"transactionId\":");
        match &chat_id {
            Some(id) => json::string(out, id),
            None => self.ids.write_transaction_id(out),
        }
        out.extend_from_slice(b",\"requestTimestamp\":\"");
        Iso8601Ms(stamp.now).write_to(out);
        out.extend_from_slice(b"\",\"responseTime\":");
        json::number(out, stamp.response_ms);
        out.extend_from_slice(b",\"userContextId\":");
        json::string(out, &conv.user_context_id);
        out.push(b',');
        out.extend_from_slice(&self.release_json);
        out.extend_from_slice(b"\"requesterId\":");
        json::personal(out, requester, mask);
        out.extend_from_slice(b",\"intent\":{\"name\":");
        json::string(out, decided.intent);
        out.extend_from_slice(b",\"initialState\":");
        self.write_state(out, By::State(decided.initial));
        out.extend_from_slice(b",\"handledByState\":");
        self.write_state(out, decided.by);
        out.extend_from_slice(match decided.handled {
            Handled::Locally => b",\"handled\":\"locally\",\"explicitlyHandled\":",
            Handled::Globally => b",\"handled\":\"globally\",\"explicitlyHandled\":",
        });
        json::boolean(out, decided.explicit);
        out.extend_from_slice(b",\"nextState\":");
        self.write_state(out, By::State(decided.next));
        out.extend_from_slice(b"},");
        if decided.meta.errors.is_empty() && decided.meta.warnings.is_empty() {
            out.extend_from_slice(EMPTY_META);
        } else {
            out.extend_from_slice(b"\"meta\":");
            if mask {
                let mut meta = decided.meta.clone();
                meta.redact();
                let _ = serde_json::to_writer(&mut *out, &meta);
            } else {
                let _ = serde_json::to_writer(&mut *out, &decided.meta);
            }
            out.push(b',');
        }
        out.extend_from_slice(b"\"variables\":");
        self.write_variables(out, &conv.vars, mask);
        out.extend_from_slice(match wire.platform() {
            Platform::PhoneV2 => b",\"platform\":\"phoneV2\",",
            Platform::TextchatV2 => b",\"platform\":\"textchatV2\",",
        });
        if let Some(language) = &self.flow.info().language {
            out.extend_from_slice(b"\"language\":");
            json::string(out, language);
            out.push(b',');
        }
        out.extend_from_slice(b"\"request\":");
        match wire {
            Wire::Phone(request) => self.write_phone(request, decided, mask, buffer),
            Wire::Chat(request) => self.write_chat(
                request,
                decided,
                chat_id.unwrap_or_default(),
                &conv.user_context_id,
                buffer,
            ),
        }
        buffer.json.push(b'}');
    }

    fn write_state(&self, out: &mut Vec<u8>, by: By) {
        let info = self.flow.info();
        let json = match by {
            By::Nothing => None,
            By::Global => Some(&info.global.json),
            By::State(s) => info.states.get(s as usize).map(|s| &s.reference.json),
        };
        out.extend_from_slice(json.map_or(EMPTY_STATE, |j| j.as_bytes()));
    }

    /// `[{"id":…,"name":…,"value":…},…]`: each variable's key as the description holds it, its value as
    /// the flow hands it out, masked when `mask` is set.
    fn write_variables(&self, out: &mut Vec<u8>, vars: &F::Vars, mask: bool) {
        let mut declared = self.flow.info().variables.iter();
        out.push(b'[');
        let mut first = true;
        self.flow.values(vars, |value| {
            let Some(variable) = declared.next() else {
                return;
            };
            if !first {
                out.push(b',');
            }
            first = false;
            out.extend_from_slice(variable.json_key.as_bytes());
            json::personal(out, value, mask);
            out.push(b'}');
        });
        out.push(b']');
    }

    fn write_phone(
        &self,
        request: &PhoneRequest,
        decided: &Decided<'_>,
        mask: bool,
        buffer: &mut TurnBuffer,
    ) {
        let TurnBuffer {
            json: out,
            said,
            reprompt,
            scratch,
            response,
            platform_response,
            ..
        } = buffer;
        // The response repeats the request's callMeta: copy the bytes just written (unmasked turns).
        let written_meta = if mask {
            let mut masked = request.clone();
            masked.redact();
            let _ = serde_json::to_writer(&mut *out, &masked);
            None
        } else {
            json::phone_request(out, request)
        };
        let prompt = said.joined(scratch);
        out.extend_from_slice(b",\"response\":");
        let start = out.len();
        self.write_phone_response(out, request, decided, prompt, reprompt, mask, written_meta);
        *response = (start, out.len());
        platform_response.clear();
        if mask {
            // The platform gets the response in clear; only analytics are masked.
            self.write_phone_response(
                platform_response,
                request,
                decided,
                prompt,
                reprompt,
                false,
                None,
            );
        }
    }

    /// `written_meta` is where `out` already holds this request's callMeta (masked alike), to copy it.
    #[allow(clippy::too_many_arguments)]
    fn write_phone_response(
        &self,
        out: &mut Vec<u8>,
        request: &PhoneRequest,
        decided: &Decided<'_>,
        prompt: &str,
        reprompt: &str,
        mask: bool,
        written_meta: Option<(usize, usize)>,
    ) {
        out.extend_from_slice(b"{\"callControlMessages\":");
        match &decided.control {
            None => out.extend_from_slice(b"[]"),
            Some(message) if mask => {
                let mut masked = message.clone();
                masked.redact();
                let _ = serde_json::to_writer(&mut *out, &[masked]);
            }
            Some(message) => {
                let _ = serde_json::to_writer(&mut *out, std::slice::from_ref(message));
            }
        }
        out.extend_from_slice(b",\"continueListening\":");
        json::boolean(out, !decided.ended);
        out.extend_from_slice(b",\"prompt\":");
        json::personal(out, prompt, mask);
        out.extend_from_slice(b",\"reprompt\":");
        json::personal(out, reprompt, mask);
        out.extend_from_slice(b",\"callMeta\":");
        match written_meta {
            Some((start, end)) if end > start && end <= out.len() => {
                out.extend_from_within(start..end)
            }
            _ => json::call_meta(out, &request.call_meta, mask),
        }
        out.push(b',');
        out.extend_from_slice(&self.stt_json);
        if decided.end_talk {
            out.extend_from_slice(b",\"endTalk\":true");
        }
        out.push(b'}');
    }

    fn write_chat(
        &self,
        request: &ChatRequest,
        decided: &Decided<'_>,
        transaction_id: String,
        user_context_id: &str,
        buffer: &mut TurnBuffer,
    ) {
        let out = &mut buffer.json;
        let _ = serde_json::to_writer(&mut *out, request);
        let response = ChatResponse {
            api_version: request.api_version.clone(),
            requester_id: request.requester_id.clone(),
            session_id: request.session_id.clone(),
            release_id: self.release.clone(),
            conversation_id: Some(user_context_id.to_string()),
            response_elements: buffer
                .said
                .pieces()
                .enumerate()
                .map(|(i, text)| ResponseElement::text(format!("{transaction_id}-{}", i + 1), text))
                .collect(),
            transaction_id: Some(transaction_id),
            end_conversation: decided.ended,
        };
        out.extend_from_slice(b",\"response\":");
        let start = out.len();
        let _ = serde_json::to_writer(&mut *out, &response);
        buffer.response = (start, out.len());
        buffer.platform_response.clear();
    }
}
