//! Slots as the platform sends them: `[{"entity": …, "value": …}]` or an object map.

use std::fmt;

use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::received::{Object, Received, object_serde};

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
