//! Masking of personal data for conversations with `isPrivacyEnabled` (what is masked: [`Redact`]).

use serde_json::Value;

use crate::chat::{ChatEvent, ChatRequest, ChatResponse, ContextValue, ResponseElement};
use crate::phone::{CallControlMessage, CallMeta, IntentGuess, PhoneRequest, PhoneResponse, Slots};
use crate::received::Received;
use crate::transaction::{Request, Response, Transaction};

/// What a masked value reads as.
pub const MASK: &str = "***";

/// Replace personal data with [`MASK`] in place.
///
/// [`Redact::redact`] replaces every non-empty personal value with [`MASK`]
/// (empty strings stay empty, so "unset" stays visible). Privacy holds for the
/// whole conversation: once any request of a conversation has
/// `isPrivacyEnabled: true`, the engine masks every later transaction of it,
/// the HANGUP that follows included, whatever their own flag says, until a
/// new conversation starts on the session. Exactly these are masked:
///
/// | where | masked |
/// | --- | --- |
/// | [`Transaction`] | `requesterId`, every `variables[].value`, and `request`/`response` as below |
/// | [`CallMeta`] | `callerId`, `sessionId` (phone platforms use the caller number as session id), every value of an unknown key |
/// | [`PhoneRequest`] | `callMeta`, `text`, every slot value and every value of a slot's unknown keys (`processors`, …), `collectedDtmf`, every value of an unknown key of the request (`errorMessage`, …) or of an intent guess |
/// | [`PhoneResponse`] | `callMeta`, `prompt`, `reprompt` (prompts embed variable values), `referTo` and every `sipHeaders[].value` of a transfer (templates fill them) |
/// | [`ChatRequest`] | `requesterId`, message `text`, every `context[].value` |
/// | [`ChatResponse`] | `requesterId`, the text of every response element (`content`, card `title`/`subtitle`, every string inside a payload) |
///
/// Unknown keys are masked because flowc cannot know what they hold: only what
/// is known to be harmless stays in clear. Kept in clear: ids of instances,
/// calls, customers, releases, transactions, user contexts and chat sessions;
/// state ids and names; intent names, NLU ids and confidences; slot entities;
/// events; `customSTT`; flags; times; `meta`, except what services said: in a
/// `{type, message}` of `_errors` or `warnings` with a message of the form
/// `what flowc says: detail`, the detail after the first `": "` (a service's
/// own failure text, which may quote personal data) is masked.
///
/// Apply it to the transaction handed to the sinks, never to the response
/// sent back to the platform (which needs `callMeta` and the prompt intact).
pub trait Redact {
    /// Mask the personal data of `self`.
    fn redact(&mut self);
}

fn mask(s: &mut String) {
    if !s.is_empty() {
        MASK.clone_into(s);
    }
}

fn mask_opt(s: &mut Option<String>) {
    if let Some(s) = s {
        mask(s);
    }
}

/// Masks every string and number inside `v`; keeps structure, keys, booleans
/// and nulls.
fn mask_value(v: &mut Value) {
    match v {
        Value::String(s) => mask(s),
        Value::Number(_) => *v = Value::String(MASK.to_owned()),
        Value::Array(items) => items.iter_mut().for_each(mask_value),
        Value::Object(map) => map.values_mut().for_each(mask_value),
        Value::Null | Value::Bool(_) => {}
    }
}

impl Redact for Received {
    /// Masks every value the type does not model.
    fn redact(&mut self) {
        self.extra_values_mut().for_each(mask_value);
    }
}

impl Redact for CallMeta {
    fn redact(&mut self) {
        mask_opt(&mut self.caller_id);
        mask_opt(&mut self.session_id);
        self.received.redact();
    }
}

impl Redact for IntentGuess {
    fn redact(&mut self) {
        self.received.redact();
    }
}

impl Redact for Slots {
    fn redact(&mut self) {
        match self {
            Slots::List(list) => {
                for slot in list {
                    mask_value(&mut slot.value);
                    slot.received.redact();
                }
            }
            Slots::Map(entries) => entries.iter_mut().for_each(|(_, v)| mask_value(v)),
        }
    }
}

impl Redact for PhoneRequest {
    fn redact(&mut self) {
        self.call_meta.redact();
        mask_opt(&mut self.text);
        self.intent.iter_mut().for_each(Redact::redact);
        self.intent_ranking
            .iter_mut()
            .flatten()
            .for_each(Redact::redact);
        self.slots.iter_mut().for_each(Redact::redact);
        mask_opt(&mut self.collected_dtmf);
        self.received.redact();
    }
}

impl Redact for CallControlMessage {
    fn redact(&mut self) {
        match self {
            CallControlMessage::SipRefer {
                refer_to,
                sip_headers,
            } => {
                mask(refer_to);
                sip_headers.iter_mut().for_each(|h| mask(&mut h.value));
            }
        }
    }
}

impl Redact for PhoneResponse {
    fn redact(&mut self) {
        self.call_meta.redact();
        mask(&mut self.prompt);
        mask(&mut self.reprompt);
        self.call_control_messages
            .iter_mut()
            .for_each(Redact::redact);
    }
}

impl Redact for ChatRequest {
    fn redact(&mut self) {
        mask(&mut self.requester_id);
        if let ChatEvent::Message { text } = &mut self.event {
            mask(text);
        }
        for item in self.context.iter_mut().flatten() {
            match &mut item.value {
                ContextValue::String(s) => mask(s),
                ContextValue::Number(_) => item.value = ContextValue::String(MASK.to_owned()),
                ContextValue::Bool(_) => {}
            }
        }
    }
}

impl Redact for ChatResponse {
    fn redact(&mut self) {
        mask(&mut self.requester_id);
        for element in &mut self.response_elements {
            match element {
                ResponseElement::Text { content, .. } => mask(content),
                ResponseElement::Payload { content, .. } => {
                    content.values_mut().for_each(mask_value);
                }
                ResponseElement::Card {
                    title,
                    subtitle,
                    content,
                    ..
                } => {
                    mask_opt(title);
                    mask_opt(subtitle);
                    mask_opt(content);
                }
            }
        }
    }
}

impl Redact for Request {
    fn redact(&mut self) {
        match self {
            Self::Phone(r) => r.redact(),
            Self::Chat(r) => r.redact(),
        }
    }
}

impl Redact for Response {
    fn redact(&mut self) {
        match self {
            Self::Phone(r) => r.redact(),
            Self::Chat(r) => r.redact(),
        }
    }
}

impl Redact for Transaction {
    fn redact(&mut self) {
        mask(&mut self.requester_id);
        self.variables.iter_mut().for_each(|v| mask(&mut v.value));
        self.meta.redact();
        self.request.redact();
        self.response.redact();
    }
}

impl Redact for crate::transaction::Meta {
    fn redact(&mut self) {
        let steps = self
            .errors
            .affected_steps
            .iter_mut()
            .chain(self.warnings.affected_steps.iter_mut());
        for step in steps {
            for problem in step.errors.iter_mut().chain(step.warnings.iter_mut()) {
                if let Some(cut) = problem.message.find(": ") {
                    problem.message.truncate(cut + 2);
                    problem.message.push_str(MASK);
                }
            }
        }
    }
}
