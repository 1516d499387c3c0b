//! Parloa `phoneV2` webhook request and response bodies.
//!
//! Field names and serialization order follow `phonev2-hangup-transaction.json`
//! (the documented Hangup Event transaction); absent optional fields are
//! skipped rather than written as `null`. Unknown fields in a request are
//! ignored.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};

/// Call metadata sent by the phone platform and echoed back in the response.
///
/// Every field is optional on input (real transactions carry only some of
/// them); serialization writes the present ones in the reference order
/// `instanceId, callId, callerId, sessionId, customerId, production,
/// isPrivacyEnabled`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallMeta {
    /// Id of the Parloa instance (release) handling the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    /// Id of the call, unique per call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_id: Option<String>,
    /// Caller number (personal data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_id: Option<String>,
    /// Conversation key chosen by the platform.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// Customer (tenant) id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// Whether the call runs against a production release.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub production: Option<bool>,
    /// Whether personal data must be masked before it reaches analytics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_privacy_enabled: Option<bool>,
}

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

/// An intent id as the NLU sent it: a (possibly huge) number or a string.
///
/// Numbers keep their textual value across a round trip (integers exactly).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntentId {
    /// A numeric id, e.g. `-4300620255518597600`.
    Number(Number),
    /// A string id.
    Text(String),
}

impl Serialize for IntentId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Number(n) => n.serialize(serializer),
            Self::Text(s) => serializer.serialize_str(s),
        }
    }
}

impl<'de> Deserialize<'de> for IntentId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IdVisitor;
        impl Visitor<'_> for IdVisitor {
            type Value = IntentId;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an intent id (number or string)")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<IntentId, E> {
                Ok(IntentId::Number(v.into()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<IntentId, E> {
                Ok(IntentId::Number(v.into()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<IntentId, E> {
                Number::from_f64(v)
                    .map(IntentId::Number)
                    .ok_or_else(|| E::custom("intent id is not a finite number"))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<IntentId, E> {
                Ok(IntentId::Text(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<IntentId, E> {
                Ok(IntentId::Text(v))
            }
        }
        deserializer.deserialize_any(IdVisitor)
    }
}

/// One NLU guess: the recognized intent or an entry of `intentRanking`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntentGuess {
    /// NLU-specific id of the intent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<IntentId>,
    /// Intent name as declared in the flow.
    pub name: String,
    /// Confidence between 0 and 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
}

impl IntentGuess {
    /// A guess with only a name.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            id: None,
            name: name.into(),
            confidence: None,
        }
    }
}

/// One slot of the array form: `{"name": …, "value": …}` plus any other keys
/// the platform sent (kept in `extra`, re-serialized after `value`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Slot {
    /// Slot name.
    pub name: String,
    /// Slot value as sent (usually a string).
    #[serde(default)]
    pub value: Value,
    /// Any further keys of the slot object.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Slot {
    /// A slot with a string value and no extra keys.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: Value::String(value.into()),
            extra: Map::new(),
        }
    }
}

/// Slots as the platform sent them.
///
/// Parloa sends an array of `{name, value}` objects; an object map
/// `{"name": value}` is accepted too. The form that came is kept, in the order
/// that came, so it re-serializes faithfully.
#[derive(Debug, Clone, PartialEq)]
pub enum Slots {
    /// `[{"name": "number", "value": "123"}]`
    List(Vec<Slot>),
    /// `{"number": "123"}`, entries in input order.
    Map(Vec<(String, Value)>),
}

impl Default for Slots {
    fn default() -> Self {
        Self::List(Vec::new())
    }
}

impl Slots {
    /// The value of the first slot called `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        match self {
            Self::List(list) => list.iter().find(|s| s.name == name).map(|s| &s.value),
            Self::Map(map) => map.iter().find(|(k, _)| k == name).map(|(_, v)| v),
        }
    }

    /// The value of slot `name` as text: strings as they are, `null` as
    /// `None`, anything else as its JSON text.
    pub fn text(&self, name: &str) -> Option<std::borrow::Cow<'_, str>> {
        match self.get(name)? {
            Value::Null => None,
            Value::String(s) => Some(std::borrow::Cow::Borrowed(s)),
            other => Some(std::borrow::Cow::Owned(other.to_string())),
        }
    }

    /// Number of slots.
    pub fn len(&self) -> usize {
        match self {
            Self::List(list) => list.len(),
            Self::Map(map) => map.len(),
        }
    }

    /// Whether there are no slots.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every slot value, mutably (used for masking).
    pub fn values_mut(&mut self) -> Box<dyn Iterator<Item = &mut Value> + '_> {
        match self {
            Self::List(list) => Box::new(list.iter_mut().map(|s| &mut s.value)),
            Self::Map(map) => Box::new(map.iter_mut().map(|(_, v)| v)),
        }
    }
}

impl Serialize for Slots {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::List(list) => {
                let mut seq = serializer.serialize_seq(Some(list.len()))?;
                for slot in list {
                    seq.serialize_element(slot)?;
                }
                seq.end()
            }
            Self::Map(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Slots {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SlotsVisitor;
        impl<'de> Visitor<'de> for SlotsVisitor {
            type Value = Slots;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("slots as an array of {name, value} objects or an object map")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Slots, A::Error> {
                let mut list = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
                while let Some(slot) = seq.next_element::<Slot>()? {
                    list.push(slot);
                }
                Ok(Slots::List(list))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Slots, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
                while let Some(entry) = map.next_entry::<String, Value>()? {
                    entries.push(entry);
                }
                Ok(Slots::Map(entries))
            }
        }
        deserializer.deserialize_any(SlotsVisitor)
    }
}

/// A `phoneV2` webhook request: one caller turn.
///
/// Serialized in the order `callMeta, event, text, intent, intentRanking,
/// slots, collectedDtmf`, absent fields skipped. `callMeta` is required: a
/// request without it fails with serde's ``missing field `callMeta` ``.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneRequest {
    /// Call metadata.
    pub call_meta: CallMeta,
    /// The event of this turn, if any (else the turn carries text/intent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<PhoneEvent>,
    /// Recognized utterance (personal data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The NLU's best intent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<IntentGuess>,
    /// All NLU guesses, best first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent_ranking: Option<Vec<IntentGuess>>,
    /// Extracted slots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slots: Option<Slots>,
    /// Keypad digits collected for a `DTMF` event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collected_dtmf: Option<String>,
}

impl PhoneRequest {
    /// A request carrying only an event.
    pub fn event(call_meta: CallMeta, event: PhoneEvent) -> Self {
        Self {
            call_meta,
            event: Some(event),
            text: None,
            intent: None,
            intent_ranking: None,
            slots: None,
            collected_dtmf: None,
        }
    }

    /// The name of the recognized intent, if any.
    pub fn intent_name(&self) -> Option<&str> {
        self.intent.as_ref().map(|i| i.name.as_str())
    }
}

/// `customSTT`: which speech-to-text model the platform should use next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomStt {
    /// Model kind, e.g. `"prebuild"`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Model id, e.g. `"generic"`.
    pub id: String,
}

/// One SIP header of a `SIP_REFER`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SipHeader {
    /// Header name, e.g. `User-to-User`.
    pub name: String,
    /// Header value.
    pub value: String,
}

/// A call control instruction in `callControlMessages`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum CallControlMessage {
    /// Transfer the call: `{"type":"SIP_REFER","referTo":…,"sipHeaders":[…]}`.
    #[serde(rename = "SIP_REFER", rename_all = "camelCase")]
    SipRefer {
        /// SIP URI to transfer to.
        refer_to: String,
        /// Headers sent with the REFER.
        #[serde(default)]
        sip_headers: Vec<SipHeader>,
    },
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A `phoneV2` webhook response.
///
/// Serialized in the order `callControlMessages, continueListening, prompt,
/// reprompt, callMeta, customSTT, endTalk`; `customSTT` only when set and
/// `endTalk` only when `true`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneResponse {
    /// Call control instructions (transfer).
    #[serde(default)]
    pub call_control_messages: Vec<CallControlMessage>,
    /// Whether the platform should keep listening while the prompt plays.
    #[serde(default)]
    pub continue_listening: bool,
    /// What the bot says (text or SSML).
    #[serde(default)]
    pub prompt: String,
    /// What the bot says when the caller stays silent.
    #[serde(default)]
    pub reprompt: String,
    /// The request's call metadata, echoed.
    #[serde(default)]
    pub call_meta: CallMeta,
    /// Speech-to-text model for the next turn.
    #[serde(rename = "customSTT", default, skip_serializing_if = "Option::is_none")]
    pub custom_stt: Option<CustomStt>,
    /// The bot ends the call after the prompt (written only when `true`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub end_talk: bool,
}
