//! The compact binary form of a [`Conversation`] in Redis: a format byte, then varints and length-prefixed
//! strings, the flow's variables last in declaration order. About as many bytes as the strings it holds.

use std::sync::Arc;

use crate::conversation::{Conversation, Frame, Peer};
use crate::flow::Flow;

/// The first byte of every encoded conversation: a store that finds another (a later format) starts the
/// conversation afresh rather than misread it.
const FORMAT: u8 = 1;

/// Makes, reads and writes a flow's variables as strings, in declaration order, so a store can serialize
/// them without knowing their type. Every [`Flow`] behind an [`Arc`] is one: share the flow with its
/// engine (`Engine::new(Arc::clone(&flow))`, an `Arc` of a flow being a flow).
pub trait VarsCodec<V>: Send + Sync {
    /// The variables with their defaults.
    fn new_vars(&self) -> V;
    /// Calls `each` with every variable's value, in declaration order.
    fn each(&self, vars: &V, each: &mut dyn FnMut(&str));
    /// Calls `each` with every variable, to change it, in declaration order.
    fn each_mut(&self, vars: &mut V, each: &mut dyn FnMut(&mut String));
}

impl<F: Flow> VarsCodec<F::Vars> for Arc<F> {
    fn new_vars(&self) -> F::Vars {
        Flow::new_vars(&**self)
    }

    fn each(&self, vars: &F::Vars, each: &mut dyn FnMut(&str)) {
        self.values(vars, each);
    }

    fn each_mut(&self, vars: &mut F::Vars, each: &mut dyn FnMut(&mut String)) {
        self.values_mut(vars, each);
    }
}

/// Variables kept as `n` strings, empty by default.
#[cfg(test)]
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ListVars(pub(crate) usize);

#[cfg(test)]
impl VarsCodec<Vec<String>> for ListVars {
    fn new_vars(&self) -> Vec<String> {
        vec![String::new(); self.0]
    }

    fn each(&self, vars: &Vec<String>, each: &mut dyn FnMut(&str)) {
        vars.iter().for_each(|v| each(v));
    }

    fn each_mut(&self, vars: &mut Vec<String>, each: &mut dyn FnMut(&mut String)) {
        vars.iter_mut().for_each(each);
    }
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

/// An optional index as a varint: 0 for none, index + 1 otherwise.
fn put_opt(out: &mut Vec<u8>, ix: Option<u32>) {
    put_varint(out, ix.map_or(0, |i| u64::from(i) + 1));
}

/// Appends `conv` to `out`.
pub(crate) fn encode<V>(conv: &Conversation<V>, vars: &dyn VarsCodec<V>, out: &mut Vec<u8>) {
    out.push(FORMAT);
    let flags =
        u8::from(conv.active) | u8::from(conv.private) << 1 | u8::from(conv.peer.is_some()) << 2;
    out.push(flags);
    put_varint(out, conv.state.into());
    put_varint(out, conv.turns.into());
    put_varint(out, conv.silent.into());
    put_varint(out, conv.stack.len() as u64);
    for frame in &conv.stack {
        put_opt(out, frame.success);
        put_opt(out, frame.failure);
    }
    put_varint(out, conv.entries.len() as u64);
    for &(state, count) in &conv.entries {
        put_varint(out, state.into());
        put_varint(out, count.into());
    }
    put_str(out, &conv.user_context_id);
    put_str(out, &conv.last_service_error);
    put_str(out, &conv.last_service_status);
    if let Some(peer) = &conv.peer {
        put_str(out, peer.as_str());
    }
    let mut values = Vec::new();
    vars.each(&conv.vars, &mut |v| put_str(&mut values, v));
    let mut count = 0u64;
    vars.each(&conv.vars, &mut |_| count += 1);
    put_varint(out, count);
    out.extend_from_slice(&values);
}

/// Reads what [`encode`] wrote.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }

    fn varint(&mut self) -> Option<u64> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            n |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Some(n);
            }
        }
        None
    }

    fn u32(&mut self) -> Option<u32> {
        u32::try_from(self.varint()?).ok()
    }

    fn opt(&mut self) -> Option<Option<u32>> {
        Some(match self.u32()? {
            0 => None,
            n => Some(n - 1),
        })
    }

    fn str(&mut self) -> Option<&str> {
        let len = usize::try_from(self.varint()?).ok()?;
        let bytes = self.0.get(..len)?;
        self.0 = &self.0[len..];
        std::str::from_utf8(bytes).ok()
    }

    /// A count of items that each take at least one byte: never more than the bytes left, so a corrupt
    /// count cannot make a large allocation.
    fn count(&mut self) -> Option<usize> {
        usize::try_from(self.varint()?)
            .ok()
            .filter(|&n| n <= self.0.len())
    }
}

/// Reads a conversation into `conv` (made by the engine's `init`, so its variables hold their defaults and
/// have the flow's shape). `None` when the bytes are not a conversation of this format, and then `conv` may
/// be partly overwritten: the caller starts afresh. Stored variables beyond the flow's are ignored, and the
/// flow's beyond the stored keep their defaults (a release that added or removed variables).
pub(crate) fn decode<V>(
    bytes: &[u8],
    vars: &dyn VarsCodec<V>,
    conv: &mut Conversation<V>,
) -> Option<()> {
    let mut r = Reader(bytes);
    if r.byte()? != FORMAT {
        return None;
    }
    let flags = r.byte()?;
    conv.active = flags & 1 != 0;
    conv.private = flags & 2 != 0;
    conv.state = r.u32()?;
    conv.turns = r.u32()?;
    conv.silent = r.u32()?;
    let frames = r.count()?;
    conv.stack.clear();
    for _ in 0..frames {
        let success = r.opt()?;
        let failure = r.opt()?;
        conv.stack.push(Frame { success, failure });
    }
    let entries = r.count()?;
    conv.entries.clear();
    for _ in 0..entries {
        conv.entries.push((r.u32()?, r.u32()?));
    }
    conv.user_context_id = r.str()?.to_owned();
    conv.last_service_error = r.str()?.to_owned();
    conv.last_service_status = r.str()?.to_owned();
    conv.peer = if flags & 4 != 0 {
        Some(Peer::from_stored(r.str()?))
    } else {
        None
    };
    let mut left = r.count()?;
    let mut ok = true;
    vars.each_mut(&mut conv.vars, &mut |v| {
        if left == 0 || !ok {
            return;
        }
        left -= 1;
        match r.str() {
            Some(s) => s.clone_into(v),
            None => ok = false,
        }
    });
    ok.then_some(())
}

/// Appends a list of strings (user-lifetime values).
pub(crate) fn encode_list(values: &[String], out: &mut Vec<u8>) {
    out.push(FORMAT);
    put_varint(out, values.len() as u64);
    for v in values {
        put_str(out, v);
    }
}

/// Reads what [`encode_list`] wrote; `None` for anything else.
pub(crate) fn decode_list(bytes: &[u8]) -> Option<Vec<String>> {
    let mut r = Reader(bytes);
    if r.byte()? != FORMAT {
        return None;
    }
    let n = r.count()?;
    let mut values = Vec::with_capacity(n);
    for _ in 0..n {
        values.push(r.str()?.to_owned());
    }
    r.0.is_empty().then_some(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Conversation<Vec<String>> {
        let mut conv = Conversation::new(vec!["a".to_owned(), String::new(), "ü".to_owned()]);
        conv.active = true;
        conv.private = true;
        conv.state = 300;
        conv.turns = 7;
        conv.silent = 1;
        conv.stack.push(Frame {
            success: Some(0),
            failure: None,
        });
        conv.entries.push((4, 2));
        conv.user_context_id = "65f0c0ffee".to_owned();
        conv.last_service_status = "200".to_owned();
        conv.peer = Some(Peer::chat("user-1"));
        conv
    }

    #[test]
    fn round_trips_every_field() {
        let conv = sample();
        let mut bytes = Vec::new();
        encode(&conv, &ListVars(3), &mut bytes);
        let mut back = Conversation::new(vec![String::new(); 3]);
        assert!(decode(&bytes, &ListVars(3), &mut back).is_some());
        assert_eq!(back, conv);
    }

    #[test]
    fn a_changed_number_of_variables_keeps_the_flows_shape() {
        let mut bytes = Vec::new();
        encode(&sample(), &ListVars(3), &mut bytes);
        let mut fewer = Conversation::new(vec!["x".to_owned()]);
        assert!(decode(&bytes, &ListVars(3), &mut fewer).is_some());
        assert_eq!(fewer.vars, ["a"]);
        let mut more = Conversation::new(vec!["d".to_owned(); 4]);
        assert!(decode(&bytes, &ListVars(3), &mut more).is_some());
        assert_eq!(more.vars, ["a", "", "ü", "d"]);
    }

    #[test]
    fn truncated_or_foreign_bytes_are_refused_without_panicking() {
        let mut bytes = Vec::new();
        encode(&sample(), &ListVars(3), &mut bytes);
        for len in 0..bytes.len() {
            let mut conv = Conversation::new(vec![String::new(); 3]);
            assert!(
                decode(&bytes[..len], &ListVars(3), &mut conv).is_none(),
                "{len}"
            );
        }
        let mut conv = Conversation::new(Vec::new());
        assert!(decode(&[2, 0], &ListVars(3), &mut conv).is_none());
        assert!(
            decode(
                &[
                    1, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01
                ],
                &ListVars(3),
                &mut conv
            )
            .is_none()
        );
        assert!(decode_list(&[1, 0xff, 0xff, 0x7f]).is_none());
    }

    #[test]
    fn lists_round_trip() {
        let values = vec!["Berlin".to_owned(), String::new()];
        let mut bytes = Vec::new();
        encode_list(&values, &mut bytes);
        assert_eq!(decode_list(&bytes).as_deref(), Some(&values[..]));
        assert_eq!(decode_list(&bytes[..bytes.len() - 1]), None);
    }
}
