//! Conversation state between turns, and user-lifetime variables between
//! conversations.
//!
//! Both stores are closure based: the engine mutates the state in place,
//! nothing is cloned per turn. A session store also knows when each session was
//! last reached for, so that sessions nobody talks to any more can be ended and
//! forgotten ([`SessionStore::expire_idle`]).

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

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

    /// Like [`with_session`](SessionStore::with_session), for a store that can fail (one shared over the
    /// network): `Err` when the turn's state could not be read or kept, in which case whatever `f` changed
    /// is not kept. The engine plays its turns through this. A store that cannot fail keeps the default.
    fn try_with_session<R>(
        &self,
        key: &str,
        init: impl FnOnce() -> S,
        f: impl FnOnce(&mut S) -> R,
    ) -> Result<R, StoreError> {
        Ok(self.with_session(key, init, f))
    }

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

    /// Ends and forgets sessions that no [`with_session`](SessionStore::with_session) reached for during
    /// the last `idle`, at most `limit` of them: each is handed to `end` exactly once, under its session's
    /// serialization, and then removed. A turn that arrives for a session while it is being ended waits,
    /// then runs on the state `end` left. Returns how many sessions were ended.
    ///
    /// A store that does not know when its sessions were last used keeps them all: the default ends
    /// nothing. A store shared by several processes must hand each session to exactly one of them.
    fn expire_idle(&self, idle: Duration, limit: usize, end: impl FnMut(&str, &mut S)) -> usize {
        let _ = (idle, limit, end);
        0
    }
}

/// A store could not read or keep a session's state: its backend unreachable or failing, or the session held
/// by another instance for longer than a turn may wait. Says what happened in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(String);

impl StoreError {
    /// An error saying `message`.
    pub fn new(message: impl Into<String>) -> Self {
        StoreError(message.into())
    }
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StoreError {}

/// One session of an [`InMemoryStore`].
#[derive(Debug)]
struct Session<S> {
    state: Mutex<S>,
    /// When a turn last reached for the session, in ms since the store's epoch. Written under the shard
    /// lock, so expiry can tell whether a turn came between its two looks. [`GONE`] once expiry ended
    /// and removed the session (set under `state`'s lock too): a turn that waited for the lock puts it
    /// back instead of running on a state nobody can find.
    touched: AtomicU64,
}

/// `Session::touched` of a session expiry removed (one word per session instead of a flag beside it).
const GONE: u64 = u64::MAX;

impl<S> Session<S> {
    fn gone(&self) -> bool {
        self.touched.load(Ordering::Relaxed) == GONE
    }
}

type Shard<S> = Mutex<HashMap<String, Arc<Session<S>>, RandomState>>;

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
///
/// Each session remembers when a turn last reached for it (a monotonic clock of
/// the store's own), and [`SessionStore::expire_idle`] ends and removes those
/// idle for too long; the maps give back their memory as they empty.
#[derive(Debug)]
pub struct InMemoryStore<S> {
    shards: Box<[Shard<S>]>,
    hasher: RandomState,
    epoch: Instant,
}

impl<S> InMemoryStore<S> {
    /// An empty store.
    pub fn new() -> Self {
        Self {
            shards: (0..SHARDS)
                .map(|_| Mutex::new(HashMap::default()))
                .collect(),
            hasher: RandomState::default(),
            epoch: Instant::now(),
        }
    }

    fn shard(&self, key: &str) -> &Shard<S> {
        // SHARDS is a power of two: the low bits pick the shard.
        let i = (self.hasher.hash_one(key) as usize) % SHARDS;
        &self.shards[i]
    }

    fn entry(&self, key: &str) -> Option<Arc<Session<S>>> {
        lock(self.shard(key)).get(key).cloned()
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).map_or(GONE - 1, |ms| ms.min(GONE - 1))
    }

    /// The session of `key`, created with `init` if there is none; marked as reached for now.
    fn fetch(&self, key: &str, init: impl FnOnce() -> S) -> Arc<Session<S>> {
        let now = self.now_ms();
        let mut shard = lock(self.shard(key));
        match shard.get(key) {
            Some(session) => {
                session.touched.store(now, Ordering::Relaxed);
                Arc::clone(session)
            }
            None => {
                let session = Arc::new(Session {
                    state: Mutex::new(init()),
                    touched: AtomicU64::new(now),
                });
                shard.insert(key.to_owned(), Arc::clone(&session));
                session
            }
        }
    }

    /// Called with `session`'s state locked after expiry removed it: puts it back under `key`, or hands
    /// out the session another turn created there meanwhile.
    fn reinstate(&self, key: &str, session: &Arc<Session<S>>) -> Option<Arc<Session<S>>> {
        let now = self.now_ms();
        let mut shard = lock(self.shard(key));
        match shard.get(key) {
            Some(other) => {
                other.touched.store(now, Ordering::Relaxed);
                Some(Arc::clone(other))
            }
            None => {
                session.touched.store(now, Ordering::Relaxed);
                shard.insert(key.to_owned(), Arc::clone(session));
                None
            }
        }
    }

    /// Sessions of `shard` idle since `cutoff` and used by no turn: `(key, session, touched)`.
    fn idle_in(shard: &Shard<S>, cutoff: u64, limit: usize) -> Vec<(String, Arc<Session<S>>, u64)> {
        let map = lock(shard);
        map.iter()
            .filter_map(|(key, session)| {
                let touched = session.touched.load(Ordering::Relaxed);
                // Only this map holds an unused session: a turn keeps its own reference while it runs.
                (touched <= cutoff && Arc::strong_count(session) == 1)
                    .then(|| (key.clone(), Arc::clone(session), touched))
            })
            .take(limit)
            .collect()
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
        let mut session = self.fetch(key, init);
        loop {
            let mut state = lock(&session.state);
            if !session.gone() {
                return f(&mut state);
            }
            // Expiry ended this session while the turn waited: what it left is a session whose
            // conversation is over, the state the turn starts from.
            match self.reinstate(key, &session) {
                None => return f(&mut state),
                Some(other) => {
                    drop(state);
                    session = other;
                }
            }
        }
    }

    fn update<R>(&self, key: &str, f: impl FnOnce(&mut S) -> R) -> Option<R> {
        let session = self.entry(key)?;
        let mut state = lock(&session.state);
        (!session.gone()).then(|| f(&mut state))
    }

    fn remove(&self, key: &str) -> bool {
        lock(self.shard(key)).remove(key).is_some()
    }

    fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).len()).sum()
    }

    fn expire_idle(
        &self,
        idle: Duration,
        limit: usize,
        mut end: impl FnMut(&str, &mut S),
    ) -> usize {
        let idle_ms = u64::try_from(idle.as_millis()).unwrap_or(u64::MAX);
        let Some(cutoff) = self.now_ms().checked_sub(idle_ms) else {
            return 0;
        };
        let mut ended = 0;
        for shard in self.shards.iter() {
            for (key, session, seen) in Self::idle_in(shard, cutoff, limit - ended) {
                // The session's lock first, then the shard's, the order turns never invert.
                let mut state = lock(&session.state);
                let still_idle = {
                    let map = lock(shard);
                    // A turn that reached for it since, or waits for it now, makes it not idle.
                    session.touched.load(Ordering::Relaxed) == seen
                        && Arc::strong_count(&session) == 2
                        && map.get(&key).is_some_and(|s| Arc::ptr_eq(s, &session))
                };
                if !still_idle {
                    continue;
                }
                end(&key, &mut state);
                let mut map = lock(shard);
                if map.get(&key).is_some_and(|s| Arc::ptr_eq(s, &session)) {
                    map.remove(&key);
                }
                session.touched.store(GONE, Ordering::Relaxed);
                // A map keeps its capacity when emptied: give the memory of expired sessions back.
                if map.capacity() > 64 && map.len() * 4 < map.capacity() {
                    let keep = map.len() * 2;
                    map.shrink_to(keep);
                }
                ended += 1;
            }
            if ended >= limit {
                break;
            }
        }
        ended
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
