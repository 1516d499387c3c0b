//! Conversation state between turns, and user-lifetime variables between
//! conversations.
//!
//! Both stores are closure based: the engine mutates the state in place,
//! nothing is cloned per turn.

use std::collections::HashMap;
use std::hash::BuildHasher;

/// The stores' hasher: foldhash, randomly keyed per store. Hashing the session key runs on every turn,
/// and SipHash (std's default) cost about as much as the rest of the lookup; foldhash's quality variant
/// keeps a per-instance random key, so keys chosen by callers cannot be aimed at one bucket offline.
type RandomState = foldhash::quality::RandomState;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Number of shards of the in-memory stores.
pub(crate) const SHARDS: usize = 16;

/// Lock a mutex, recovering the data from a panicked holder. A state left
/// half-updated by a panicking turn is still a valid value of its type.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Conversation state keyed by session (`callMeta.sessionId` on phone,
/// `sessionId` on chat).
///
/// Closure based: the engine changes the state in place, and nothing is
/// cloned per turn.
pub trait SessionStore<S>: Send + Sync {
    /// Run `f` on the state of `key`, creating it with `init` first if the
    /// session is new. Turns of the same session are serialized.
    fn with_session<R>(
        &self,
        key: &str,
        init: impl FnOnce() -> S,
        f: impl FnOnce(&mut S) -> R,
    ) -> R;

    /// Run `f` on the state of `key` if the session exists.
    fn update<R>(&self, key: &str, f: impl FnOnce(&mut S) -> R) -> Option<R>;

    /// Forget the session; `true` if it existed.
    fn remove(&self, key: &str) -> bool;

    /// Number of sessions held.
    fn len(&self) -> usize;

    /// Whether no session is held.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

type Shard<S> = Mutex<HashMap<String, Arc<Mutex<S>>, RandomState>>;

/// A [`SessionStore`] in memory, shared by many threads.
///
/// Sessions live in 16 maps (shards), each behind its own mutex; every
/// session has its own mutex as well. The shard lock is held only to find or
/// create the session (and to run `init`); the closure runs under the
/// session's lock alone, so a slow turn (a service call) blocks only later
/// turns of the same conversation, never other conversations.
///
/// A session removed while a turn is running on it is detached: that turn
/// finishes on the detached state and its changes are dropped.
#[derive(Debug)]
pub struct InMemoryStore<S> {
    shards: Box<[Shard<S>]>,
    hasher: RandomState,
}

impl<S> InMemoryStore<S> {
    /// An empty store.
    pub fn new() -> Self {
        Self {
            shards: (0..SHARDS)
                .map(|_| Mutex::new(HashMap::default()))
                .collect(),
            hasher: RandomState::default(),
        }
    }

    fn shard(&self, key: &str) -> &Shard<S> {
        // SHARDS is a power of two: the low bits pick the shard.
        let i = (self.hasher.hash_one(key) as usize) % SHARDS;
        &self.shards[i]
    }

    fn entry(&self, key: &str) -> Option<Arc<Mutex<S>>> {
        lock(self.shard(key)).get(key).cloned()
    }
}

impl<S> Default for InMemoryStore<S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<S: Send> SessionStore<S> for InMemoryStore<S> {
    fn with_session<R>(
        &self,
        key: &str,
        init: impl FnOnce() -> S,
        f: impl FnOnce(&mut S) -> R,
    ) -> R {
        let entry = {
            let mut shard = lock(self.shard(key));
            match shard.get(key) {
                Some(entry) => Arc::clone(entry),
                None => {
                    let entry = Arc::new(Mutex::new(init()));
                    shard.insert(key.to_owned(), Arc::clone(&entry));
                    entry
                }
            }
        };
        let mut state = lock(&entry);
        f(&mut state)
    }

    fn update<R>(&self, key: &str, f: impl FnOnce(&mut S) -> R) -> Option<R> {
        let entry = self.entry(key)?;
        let mut state = lock(&entry);
        Some(f(&mut state))
    }

    fn remove(&self, key: &str) -> bool {
        lock(self.shard(key)).remove(key).is_some()
    }

    fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).len()).sum()
    }
}

/// User-lifetime variables, keyed by requester and release: they survive the
/// end of a conversation and are shared by every conversation of that
/// requester with that release.
pub trait UserStore<V>: Send + Sync {
    /// Run `f` on the values of (`requester`, `release`), creating them with
    /// `init` first if absent. Keep `f` short (copy values in or out).
    fn with_user<R>(
        &self,
        requester: &str,
        release: &str,
        init: impl FnOnce() -> V,
        f: impl FnOnce(&mut V) -> R,
    ) -> R;

    /// Run `f` on the values of (`requester`, `release`) if present.
    fn get_user<R>(&self, requester: &str, release: &str, f: impl FnOnce(&V) -> R) -> Option<R>;

    /// Forget the values of (`requester`, `release`); `true` if present.
    fn remove_user(&self, requester: &str, release: &str) -> bool;

    /// Number of (requester, release) entries held.
    fn len(&self) -> usize;

    /// Whether no entry is held.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// release → requester → values. Nested so lookups by `&str` pairs need no
/// allocation.
type UserShard<V> = Mutex<HashMap<String, HashMap<String, V, RandomState>, RandomState>>;

/// A [`UserStore`] in memory, shared by many threads: 16 maps (shards) chosen
/// by (requester, release); the closure runs under the shard's lock.
#[derive(Debug)]
pub struct InMemoryUserStore<V> {
    shards: Box<[UserShard<V>]>,
    hasher: RandomState,
}

impl<V> InMemoryUserStore<V> {
    /// An empty store.
    pub fn new() -> Self {
        Self {
            shards: (0..SHARDS)
                .map(|_| Mutex::new(HashMap::default()))
                .collect(),
            hasher: RandomState::default(),
        }
    }

    fn shard(&self, requester: &str, release: &str) -> &UserShard<V> {
        let i = (self.hasher.hash_one((requester, release)) as usize) % SHARDS;
        &self.shards[i]
    }
}

impl<V> Default for InMemoryUserStore<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V: Send> UserStore<V> for InMemoryUserStore<V> {
    fn with_user<R>(
        &self,
        requester: &str,
        release: &str,
        init: impl FnOnce() -> V,
        f: impl FnOnce(&mut V) -> R,
    ) -> R {
        let mut shard = lock(self.shard(requester, release));
        // Look up by `&str` first; allocate owned keys only on insertion.
        if let Some(by_requester) = shard.get_mut(release) {
            if let Some(values) = by_requester.get_mut(requester) {
                return f(values);
            }
            return f(by_requester
                .entry(requester.to_owned())
                .or_insert_with(init));
        }
        let by_requester = shard.entry(release.to_owned()).or_default();
        f(by_requester
            .entry(requester.to_owned())
            .or_insert_with(init))
    }

    fn get_user<R>(&self, requester: &str, release: &str, f: impl FnOnce(&V) -> R) -> Option<R> {
        let shard = lock(self.shard(requester, release));
        shard.get(release)?.get(requester).map(f)
    }

    fn remove_user(&self, requester: &str, release: &str) -> bool {
        let mut shard = lock(self.shard(requester, release));
        let Some(by_requester) = shard.get_mut(release) else {
            return false;
        };
        let removed = by_requester.remove(requester).is_some();
        if by_requester.is_empty() {
            shard.remove(release);
        }
        removed
    }

    fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| lock(s).values().map(HashMap::len).sum::<usize>())
            .sum()
    }
}
