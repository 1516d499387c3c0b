//! Request objects echoed as received: every field, in the order it came (see [`Received`]).

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde_json::Value;

/// One key of a received object, in arrival order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    /// The modelled field with this index in [`Object::FIELDS`].
    Known(u8),
    /// The next entry of [`Received::extra`].
    Extra,
}

/// The parts of a received JSON object beyond its typed fields: the fields the type does not model and
/// where every key stood. Empty (no allocation) for an object that came with only modelled fields in the
/// type's own order, and for one built in code.
///
/// A transaction's `request` is the platform's request object itself, so consumers that read fields flowc
/// does not model (`intent.confidence`, `errorMessage`, unknown `callMeta` keys, a slot's `processors`) find
/// them there, in their place. Each request type models the fields flowc reads as typed fields and keeps
/// everything else, plus the order of all keys, in a [`Received`]; serializing writes the keys in that order.
/// Values of unmodelled fields are `serde_json::Value`s whose objects keep their key order too (the
/// runtime builds serde_json with `preserve_order`).
///
/// A value built in code has an empty [`Received`] and serializes its present fields in the type's own
/// order, the order of Parloa's documented Hangup Event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Received(Option<Box<Shape>>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct Shape {
    order: Vec<Key>,
    extra: Vec<(String, Value)>,
}

impl Received {
    /// True when the object serializes exactly like one built in code: no unmodelled fields and the
    /// modelled ones in the type's own order (the transaction writer's fast paths check this).
    pub fn is_plain(&self) -> bool {
        self.0.is_none()
    }

    /// The fields the type does not model, as received, in arrival order.
    pub fn extra(&self) -> &[(String, Value)] {
        self.0.as_deref().map_or(&[], |shape| &shape.extra)
    }

    /// The value of the unmodelled field `key`, if it came.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.extra().iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Every unmodelled value, mutably (for masking).
    pub(crate) fn extra_values_mut(&mut self) -> impl Iterator<Item = &mut Value> {
        self.0
            .as_deref_mut()
            .into_iter()
            .flat_map(|shape| shape.extra.iter_mut().map(|(_, v)| v))
    }
}

/// A type with a `received: Received` field ([`object_serde`] implements it).
pub(crate) trait Shaped {
    /// The received shape.
    fn received(&self) -> &Received;
    /// The received shape, mutably.
    fn received_mut(&mut self) -> &mut Received;
}

/// A request object with modelled fields and a [`Received`] for the rest.
pub(crate) trait Object: Default + Shaped {
    /// What the object is, for error messages (`"phoneV2 callMeta"`).
    const WHAT: &'static str;
    /// Wire names of the modelled fields, in the type's own order.
    const FIELDS: &'static [&'static str];
    /// Indices into [`Object::FIELDS`] of the fields that must be present.
    const REQUIRED: &'static [usize];

    /// Reads field `field` from `map`'s next value; `seen` has bit `i` set for each field already read.
    /// `Some(value)` hands the value back to be kept as an unmodelled field (an alias whose main key
    /// already came).
    fn read<'de, A: MapAccess<'de>>(
        &mut self,
        field: usize,
        seen: u64,
        map: &mut A,
    ) -> Result<Option<Value>, A::Error>;
    /// Whether field `field` has a value to write.
    fn present(&self, field: usize) -> bool;
    /// Writes field `field` as one map entry.
    fn write<M: SerializeMap>(&self, field: usize, map: &mut M) -> Result<(), M::Error>;
}

/// Serializes `object`: received keys in arrival order, then modelled fields set since (or all of them,
/// for an object built in code) in the type's order, then extras added since.
pub(crate) fn serialize<T: Object, S: Serializer>(
    object: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let (order, extra) = match object.received().0.as_deref() {
        Some(shape) => (shape.order.as_slice(), shape.extra.as_slice()),
        None => (&[][..], &[][..]),
    };
    let mut map = serializer.serialize_map(None)?;
    let mut written = 0u64;
    let mut extras = extra.iter();
    for key in order {
        match *key {
            Key::Known(i) => {
                // A received key is written even if its value was cleared since: as received, `null`.
                let i = usize::from(i);
                if written & (1 << i) == 0 {
                    object.write(i, &mut map)?;
                    written |= 1 << i;
                }
            }
            Key::Extra => {
                if let Some((k, v)) = extras.next() {
                    map.serialize_entry(k, v)?;
                }
            }
        }
    }
    for i in 0..T::FIELDS.len() {
        if written & (1 << i) == 0 && object.present(i) {
            object.write(i, &mut map)?;
        }
    }
    for (k, v) in extras {
        map.serialize_entry(k, v)?;
    }
    map.end()
}

/// Deserializes an [`Object`] from a JSON object, keeping unknown fields and the order of all keys.
pub(crate) fn deserialize<'de, T: Object, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<T, D::Error> {
    deserializer.deserialize_map(ObjectVisitor(PhantomData))
}

struct ObjectVisitor<T>(PhantomData<T>);

impl<'de, T: Object> Visitor<'de> for ObjectVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {} object", T::WHAT)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut object = T::default();
        let mut order = Vec::new();
        let mut extra = Vec::new();
        let mut seen = 0u64;
        let mut last_known = None;
        let mut reordered = false;
        while let Some(key) = map.next_key::<KeyName>()? {
            let known = T::FIELDS.iter().position(|f| *f == key.0);
            match known {
                Some(i) if seen & (1 << i) != 0 => {
                    return Err(de::Error::custom(format_args!(
                        "duplicate field `{}` in {}",
                        key.0,
                        T::WHAT
                    )));
                }
                Some(i) => match object.read(i, seen, &mut map)? {
                    None => {
                        seen |= 1 << i;
                        reordered |= last_known.is_some_and(|last| last > i);
                        last_known = Some(i);
                        order.push(Key::Known(i as u8));
                    }
                    Some(value) => {
                        extra.push((key.0, value));
                        order.push(Key::Extra);
                    }
                },
                None => {
                    let value = map.next_value::<Value>()?;
                    extra.push((key.0, value));
                    order.push(Key::Extra);
                }
            }
        }
        for &required in T::REQUIRED {
            if seen & (1 << required) == 0 {
                return Err(de::Error::missing_field(T::FIELDS[required]));
            }
        }
        // A key that came with an empty value (`"callerId": null`) is written only because it came.
        reordered |= !extra.is_empty()
            || order.iter().any(|key| match *key {
                Key::Known(i) => !object.present(usize::from(i)),
                Key::Extra => false,
            });
        // Written in the type's own order these keys come out as received: keep nothing, so the object
        // equals one built in code.
        *object.received_mut() = Received(reordered.then(|| Box::new(Shape { order, extra })));
        Ok(object)
    }
}

/// A map key, read without borrowing from the input.
struct KeyName(String);

impl<'de> serde::Deserialize<'de> for KeyName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(KeyName)
    }
}

/// `impl Serialize` and `impl Deserialize` for an [`Object`] through [`serialize`] and [`deserialize`], and
/// [`Shaped`] over its `received` field.
macro_rules! object_serde {
    ($ty:ty) => {
        impl $crate::received::Shaped for $ty {
            fn received(&self) -> &$crate::received::Received {
                &self.received
            }
            fn received_mut(&mut self) -> &mut $crate::received::Received {
                &mut self.received
            }
        }

        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                $crate::received::serialize(self, serializer)
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::received::deserialize(deserializer)
            }
        }
    };
}

pub(crate) use object_serde;
