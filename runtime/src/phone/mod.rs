//! Parloa `phoneV2` webhook request and response bodies.
//!
//! Field names and serialization order follow `phonev2-hangup-transaction.json`
//! (the documented Hangup Event transaction); absent optional fields are
//! skipped rather than written as `null`. A received request keeps its unknown
//! fields and its key order (see [`Received`]), so the transaction echoes it
//! as the platform sent it.

mod nlu;
mod response;
mod slots;

use std::fmt;

use serde::de::MapAccess;
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::received::{Object, Received, object_serde};

pub use nlu::{IntentGuess, IntentId};
pub use response::{CallControlMessage, CustomStt, PhoneResponse, SipHeader};
pub use slots::{Slot, Slots};

/// Call metadata sent by the phone platform and echoed back in the response.
///
/// Every field is optional on input (real transactions carry only some of
/// them). A received callMeta is echoed as received: every key, unknown ones
/// included, in the order it came. One built in code writes its present fields
/// in the reference order `instanceId, callId, callerId, sessionId,
/// customerId, production, isPrivacyEnabled`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallMeta {
    /// Id of the Parloa instance (release) handling the call.
    pub instance_id: Option<String>,
    /// Id of the call, unique per call.
    pub call_id: Option<String>,
    /// Caller number (personal data).
    pub caller_id: Option<String>,
    /// Conversation key chosen by the platform.
    pub session_id: Option<String>,
    /// Customer (tenant) id.
    pub customer_id: Option<String>,
    /// Whether the call runs against a production release.
    pub production: Option<bool>,
    /// Whether personal data must be masked before it reaches analytics.
    pub is_privacy_enabled: Option<bool>,
    /// Unknown keys and the order of all keys, as received.
    pub received: Received,
}

impl Object for CallMeta {
    const WHAT: &'static str = "phoneV2 callMeta";
    const FIELDS: &'static [&'static str] = &[
        "instanceId",
        "callId",
        "callerId",
        "sessionId",
        "customerId",
        "production",
        "isPrivacyEnabled",
    ];
    const REQUIRED: &'static [usize] = &[];

    fn read<'de, A: MapAccess<'de>>(
        &mut self,
        field: usize,
        _seen: u64,
        map: &mut A,
    ) -> Result<Option<Value>, A::Error> {
        match field {
            0 => self.instance_id = map.next_value()?,
            1 => self.call_id = map.next_value()?,
            2 => self.caller_id = map.next_value()?,
            3 => self.session_id = map.next_value()?,
            4 => self.customer_id = map.next_value()?,
            5 => self.production = map.next_value()?,
            _ => self.is_privacy_enabled = map.next_value()?,
        }
        Ok(None)
    }
    fn present(&self, field: usize) -> bool {
        match field {
            0 => self.instance_id.is_some(),
            1 => self.call_id.is_some(),
            2 => self.caller_id.is_some(),
            3 => self.session_id.is_some(),
            4 => self.customer_id.is_some(),
            5 => self.production.is_some(),
            _ => self.is_privacy_enabled.is_some(),
        }
    }
    fn write<M: SerializeMap>(&self, field: usize, map: &mut M) -> Result<(), M::Error> {
        let name = Self::FIELDS[field];
        match field {
            0 => map.serialize_entry(name, &self.instance_id),
            1 => map.serialize_entry(name, &self.call_id),
            2 => map.serialize_entry(name, &self.caller_id),
            3 => map.serialize_entry(name, &self.session_id),
            4 => map.serialize_entry(name, &self.customer_id),
            5 => map.serialize_entry(name, &self.production),
            _ => map.serialize_entry(name, &self.is_privacy_enabled),
        }
    }
}

object_serde!(CallMeta);

impl CallMeta {
    /// The key that identifies the conversation: `sessionId`, else `callId`,
    /// else `callerId` (real requests do not always carry `sessionId`).
    pub fn session_key(&self) -> Option<&str> {
        self.session_id
            .as_deref()
            .or(self.call_id.as_deref())
            .or(self.caller_id.as_deref())
    }

    /// `isPrivacyEnabled`, treating an absent flag as `false`.
    pub fn privacy_enabled(&self) -> bool {
        self.is_privacy_enabled.unwrap_or(false)
    }
}

/// A phone event that replaces user input for one turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PhoneEvent {
    /// The call was answered: enter the Start Conversation block.
    Welcome,
    /// The caller hung up: intent `PARLOA.EndConversation`.
    Hangup,
    /// Keypad digits were collected (see `collectedDtmf`).
    Dtmf,
    /// The caller stayed silent.
    NoInput,
}

impl PhoneEvent {
    /// The wire name, e.g. `"NO_INPUT"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Welcome => "WELCOME",
            Self::Hangup => "HANGUP",
            Self::Dtmf => "DTMF",
            Self::NoInput => "NO_INPUT",
        }
    }
}

impl fmt::Display for PhoneEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `phoneV2` webhook request: one caller turn.
///
/// A received request is echoed in the transaction as received: every key,
/// unknown ones (`errorMessage`, …) included, in the order it came, nested
/// objects alike. One built in code writes its present fields in the order
/// `callMeta, event, text, intent, intentRanking, slots, collectedDtmf`.
/// `callMeta` is required: a request without it fails with
/// ``missing field `callMeta` ``.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PhoneRequest {
    /// Call metadata.
    pub call_meta: CallMeta,
    /// The event of this turn, if any (else the turn carries text/intent).
    pub event: Option<PhoneEvent>,
    /// Recognized utterance (personal data).
    pub text: Option<String>,
    /// The NLU's best intent.
    pub intent: Option<IntentGuess>,
    /// All NLU guesses, best first.
    pub intent_ranking: Option<Vec<IntentGuess>>,
    /// Extracted slots.
    pub slots: Option<Slots>,
    /// Keypad digits collected for a `DTMF` event.
    pub collected_dtmf: Option<String>,
    /// Unknown keys and the order of all keys, as received.
    pub received: Received,
}

impl PhoneRequest {
    /// A request carrying only an event.
    pub fn event(call_meta: CallMeta, event: PhoneEvent) -> Self {
        Self {
            call_meta,
            event: Some(event),
            ..Self::default()
        }
    }

    /// The name of the recognized intent, if any.
    pub fn intent_name(&self) -> Option<&str> {
        self.intent.as_ref().map(|i| i.name.as_str())
    }
}

impl Object for PhoneRequest {
    const WHAT: &'static str = "phoneV2 request";
    const FIELDS: &'static [&'static str] = &[
        "callMeta",
        "event",
        "text",
        "intent",
        "intentRanking",
        "slots",
        "collectedDtmf",
    ];
    const REQUIRED: &'static [usize] = &[0];

    fn read<'de, A: MapAccess<'de>>(
        &mut self,
        field: usize,
        _seen: u64,
        map: &mut A,
    ) -> Result<Option<Value>, A::Error> {
        match field {
            0 => self.call_meta = map.next_value()?,
            1 => self.event = map.next_value()?,
            2 => self.text = map.next_value()?,
            3 => self.intent = map.next_value()?,
            4 => self.intent_ranking = map.next_value()?,
            5 => self.slots = map.next_value()?,
            _ => self.collected_dtmf = map.next_value()?,
        }
        Ok(None)
    }
    fn present(&self, field: usize) -> bool {
        match field {
            0 => true,
            1 => self.event.is_some(),
            2 => self.text.is_some(),
            3 => self.intent.is_some(),
            4 => self.intent_ranking.is_some(),
            5 => self.slots.is_some(),
            _ => self.collected_dtmf.is_some(),
        }
    }
    fn write<M: SerializeMap>(&self, field: usize, map: &mut M) -> Result<(), M::Error> {
        let name = Self::FIELDS[field];
        match field {
            0 => map.serialize_entry(name, &self.call_meta),
            1 => map.serialize_entry(name, &self.event),
            2 => map.serialize_entry(name, &self.text),
            3 => map.serialize_entry(name, &self.intent),
            4 => map.serialize_entry(name, &self.intent_ranking),
            5 => map.serialize_entry(name, &self.slots),
            _ => map.serialize_entry(name, &self.collected_dtmf),
        }
    }
}

object_serde!(PhoneRequest);
