//! Parloa `phoneV2` webhook request and response bodies.
//!
//! Field names and serialization order follow `phonev2-hangup-transaction.json`
//! (the documented Hangup Event transaction); absent optional fields are
//! skipped rather than written as `null`. A received request keeps its unknown
//! fields and its key order (see [`Received`]), so the transaction echoes it
//! as the platform sent it.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Number, Value};

use crate::received::{Object, Received, object_serde};

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

    fn received(&self) -> &Received {
        &self.received
    }
    fn received_mut(&mut self) -> &mut Received {
        &mut self.received
    }
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
///
/// Echoed as received (unknown keys kept, keys in arrival order); one built in
/// code writes `id, name, confidence`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IntentGuess {
    /// NLU-specific id of the intent.
    pub id: Option<IntentId>,
    /// Intent name as declared in the flow.
    pub name: String,
    /// Confidence between 0 and 1.
    pub confidence: Option<f64>,
    /// Unknown keys and the order of all keys, as received.
    pub received: Received,
}

impl IntentGuess {
    /// A guess with only a name.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    /// A guess with a name and a confidence.
    pub fn with_confidence(name: impl Into<String>, confidence: f64) -> Self {
        Self {
            confidence: Some(confidence),
            ..Self::named(name)
        }
    }
}

impl Object for IntentGuess {
    const WHAT: &'static str = "phoneV2 intent";
    const FIELDS: &'static [&'static str] = &["id", "name", "confidence"];
    const REQUIRED: &'static [usize] = &[1];

    fn received(&self) -> &Received {
        &self.received
    }
    fn received_mut(&mut self) -> &mut Received {
        &mut self.received
    }
    fn read<'de, A: MapAccess<'de>>(
        &mut self,
        field: usize,
        _seen: u64,
        map: &mut A,
    ) -> Result<Option<Value>, A::Error> {
        match field {
            0 => self.id = map.next_value()?,
            1 => self.name = map.next_value()?,
            _ => self.confidence = map.next_value()?,
        }
        Ok(None)
    }
    fn present(&self, field: usize) -> bool {
        match field {
            0 => self.id.is_some(),
            1 => true,
            _ => self.confidence.is_some(),
        }
    }
    fn write<M: SerializeMap>(&self, field: usize, map: &mut M) -> Result<(), M::Error> {
        match field {
            0 => map.serialize_entry("id", &self.id),
            1 => map.serialize_entry("name", &self.name),
            _ => map.serialize_entry("confidence", &self.confidence),
        }
    }
}

object_serde!(IntentGuess);

/// One slot of the array form, as Parloa sends it: `{"entity": "number",
/// "value": "12345678"}`, sometimes with `processors` or other keys (kept in
/// [`Received`] and echoed in place). `name` is accepted as an alias of
/// `entity` (older scripts and clients) and echoed under the key it came with.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Slot {
    /// The slot's entity, e.g. `number` or `number_original`.
    pub entity: String,
    /// Slot value as sent (usually a string).
    pub value: Value,
    /// Unknown keys and the order of all keys, as received.
    pub received: Received,
    /// The entity came under the alias `name`.
    by_name: bool,
}

impl Slot {
    /// A slot with a string value and no extra keys.
    pub fn new(entity: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            entity: entity.into(),
            value: Value::String(value.into()),
            ..Self::default()
        }
    }
}

impl Object for Slot {
    const WHAT: &'static str = "phoneV2 slot";
    const FIELDS: &'static [&'static str] = &["entity", "value", "name"];
    const REQUIRED: &'static [usize] = &[];

    fn received(&self) -> &Received {
        &self.received
    }
    fn received_mut(&mut self) -> &mut Received {
        &mut self.received
    }
    fn read<'de, A: MapAccess<'de>>(
        &mut self,
        field: usize,
        seen: u64,
        map: &mut A,
    ) -> Result<Option<Value>, A::Error> {
        match field {
            0 => {
                // With both keys, the first that came names the slot; the other is kept as a plain field.
                if seen & (1 << 2) != 0 {
                    return map.next_value().map(Some);
                }
                self.entity = map.next_value()?;
            }
            1 => self.value = map.next_value()?,
            _ => {
                if seen & 1 != 0 {
                    return map.next_value().map(Some);
                }
                self.entity = map.next_value()?;
                self.by_name = true;
            }
        }
        Ok(None)
    }
    fn present(&self, field: usize) -> bool {
        match field {
            0 => !self.by_name,
            1 => !self.value.is_null(),
            _ => self.by_name,
        }
    }
    fn write<M: SerializeMap>(&self, field: usize, map: &mut M) -> Result<(), M::Error> {
        match field {
            0 => map.serialize_entry("entity", &self.entity),
            1 => map.serialize_entry("value", &self.value),
            _ => map.serialize_entry("name", &self.entity),
        }
    }
}

object_serde!(Slot);

/// Slots as the platform sent them.
///
/// Parloa sends an array of `{entity, value}` objects; an object map
/// `{"entity": value}` is accepted too. The form that came is kept, in the order
/// that came, so it re-serializes faithfully.
#[derive(Debug, Clone, PartialEq)]
pub enum Slots {
    /// `[{"entity": "number", "value": "123"}]`
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
    /// The value of the first slot whose entity (or its alias `name`) is `entity`.
    pub fn get(&self, entity: &str) -> Option<&Value> {
        match self {
            Self::List(list) => list.iter().find(|s| s.entity == entity).map(|s| &s.value),
            Self::Map(map) => map.iter().find(|(k, _)| k == entity).map(|(_, v)| v),
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
                f.write_str("slots as an array of {entity, value} objects or an object map")
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

    fn received(&self) -> &Received {
        &self.received
    }
    fn received_mut(&mut self) -> &mut Received {
        &mut self.received
    }
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
