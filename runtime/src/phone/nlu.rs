//! What the NLU sent: intent guesses and their ids.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Number, Value};

use crate::received::{Object, Received, object_serde};

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
