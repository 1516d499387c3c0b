//! Where `transactionId`s and `userContextId`s come from: ObjectId-shaped ids
//! in production, sequential ones for tests and snapshots.
//!
//! Kept apart from [`crate::clock`] because ids and time vary independently:
//! a snapshot may fix the clock and still want real ids, or the other way round.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of `transactionId`s and `userContextId`s.
pub trait IdSource: Send + Sync {
    /// A fresh transaction id.
    fn transaction_id(&self) -> String;
    /// A fresh user context id.
    fn user_context_id(&self) -> String;
    /// Writes a fresh transaction id as a JSON string; sources override it to skip the allocation.
    fn write_transaction_id(&self, out: &mut Vec<u8>) {
        crate::json::string(out, &self.transaction_id());
    }
}

impl<I: IdSource + ?Sized> IdSource for Arc<I> {
    fn transaction_id(&self) -> String {
        (**self).transaction_id()
    }
    fn write_transaction_id(&self, out: &mut Vec<u8>) {
        (**self).write_transaction_id(out)
    }
    fn user_context_id(&self) -> String {
        (**self).user_context_id()
    }
}

impl<I: IdSource + ?Sized> IdSource for &I {
    fn transaction_id(&self) -> String {
        (**self).transaction_id()
    }
    fn write_transaction_id(&self, out: &mut Vec<u8>) {
        (**self).write_transaction_id(out)
    }
    fn user_context_id(&self) -> String {
        (**self).user_context_id()
    }
}

/// Unique ids in the shape Parloa uses: 24 lowercase hex characters laid out
/// like a MongoDB ObjectId (4 bytes of unix seconds, 5 bytes fixed per
/// source, 3 bytes of a counter), e.g. `60ba45ba981733dfa6613bf8`.
///
/// The per-source bytes and the counter's start come from std's randomly
/// keyed hasher, so two processes do not collide; no `rand` dependency.
/// Ids are unique, not secret.
#[derive(Debug)]
pub struct ObjectIdSource {
    unique: u64,
    counter: AtomicU32,
}

impl ObjectIdSource {
    /// A source with fresh random per-source bytes.
    pub fn new() -> Self {
        let state = RandomState::new();
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let unique = state.hash_one((nanos, std::process::id(), 0u8));
        let start = state.hash_one((nanos, std::process::id(), 1u8));
        Self {
            unique,
            counter: AtomicU32::new(start as u32),
        }
    }

    fn next(&self) -> String {
        let mut out = Vec::with_capacity(24);
        self.write_hex(&mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    /// 8 hex digits of seconds (wraps in 2106 like ObjectId), 10 of the per-source value, 6 of the counter.
    fn write_hex(&self, out: &mut Vec<u8>) {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let count = u64::from(self.counter.fetch_add(1, Ordering::Relaxed) & 0x00ff_ffff);
        for (value, digits) in [
            (secs & 0xffff_ffff, 8),
            (self.unique & 0xff_ffff_ffff, 10),
            (count, 6),
        ] {
            for i in (0..digits).rev() {
                out.push(b"0123456789abcdef"[((value >> (4 * i)) & 0xf) as usize]);
            }
        }
    }
}

impl Default for ObjectIdSource {
    fn default() -> Self {
        Self::new()
    }
}

impl IdSource for ObjectIdSource {
    fn transaction_id(&self) -> String {
        self.next()
    }
    fn write_transaction_id(&self, out: &mut Vec<u8>) {
        out.push(b'"');
        self.write_hex(out);
        out.push(b'"');
    }
    fn user_context_id(&self) -> String {
        self.next()
    }
}

/// Deterministic ids for tests and snapshots: `tx-000001`, `tx-000002`, …
/// and `uc-000001`, … (each kind counts on its own).
#[derive(Debug, Default)]
pub struct SequentialIds {
    transactions: AtomicU64,
    user_contexts: AtomicU64,
}

impl SequentialIds {
    /// Both sequences start at 1.
    pub fn new() -> Self {
        Self::default()
    }
}

impl IdSource for SequentialIds {
    fn transaction_id(&self) -> String {
        let n = self.transactions.fetch_add(1, Ordering::Relaxed) + 1;
        format!("tx-{n:06}")
    }
    fn write_transaction_id(&self, out: &mut Vec<u8>) {
        let n = self.transactions.fetch_add(1, Ordering::Relaxed) + 1;
        out.extend_from_slice(b"\"tx-");
        crate::json::padded(out, n, 6);
        out.push(b'"');
    }
    fn user_context_id(&self) -> String {
        let n = self.user_contexts.fetch_add(1, Ordering::Relaxed) + 1;
        format!("uc-{n:06}")
    }
}
