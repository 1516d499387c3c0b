//! Conversations and user-lifetime values in Redis (feature `redis`), so that several instances behind a
//! load balancer can each take any turn of any conversation.
//!
//! # Keys
//!
//! Under a prefix of the store's own (say `flowc:RELEASE:`): `s:KEY`, the conversation of session `KEY` in
//! the compact binary form of the `codec` module (a format byte, varints, length-prefixed strings: a
//! phone conversation of the parcel flow takes about as many bytes as the in-memory one's strings);
//! `l:KEY`, the session's lease while a turn or the sweeper holds it; `idle`, a sorted set of sessions by
//! the Redis server's time of their last turn; `u:RELEASE:REQUESTER`, user-lifetime values.
//!
//! # One turn at a time per session, across instances: a lease
//!
//! A turn takes the session's lease and reads its state in one script (`SET l:KEY TOKEN PX LEASE` when
//! free or already its own, then `GET s:KEY`), plays on a local copy, and writes the state back, touches
//! `idle` and frees the lease in a second script, which writes only while the lease is still its own:
//! **two round trips per turn**. A turn that finds the lease taken waits (polling every few ms) up to the
//! store's `wait`, then fails with a [`StoreError`]. A lease, not optimistic versioning, because a turn
//! has effects beyond the state: the transaction it writes and the services it calls must not run twice.
//!
//! Failure modes:
//! - *An instance dies mid-turn*: its lease expires after `lease`; until then later turns of that session
//!   wait, and after it they run on the state of the last completed turn (the dead turn's changes and
//!   transaction are lost; the platform saw no answer and may retry).
//! - *A turn outlasts its lease* (a service slower than `lease`): another instance may take the session;
//!   the slow turn's write is refused, it answers 503 and records nothing, so no update is lost.
//! - *Redis unreachable or restarted*: turns fail with [`StoreError`] (the server answers 503 with a JSON
//!   error), nothing panics, and service resumes by itself once Redis answers (broken pooled connections
//!   are dropped and new ones made). A restart without persistence forgets every conversation: the next
//!   turn of a call starts it afresh. Run Redis with AOF persistence where that matters.
//! - Redis Cluster is not supported: the scripts name keys of several sessions (the `idle` set).
//!
//! # Idle expiry across instances
//!
//! Every instance's sweeper runs [`SessionStore::expire_idle`]: one script picks sessions whose last turn
//! is older than the idle timeout (by Redis' clock, so instances' clocks do not matter), takes each one's
//! lease (a session a turn holds is skipped) and pushes its place in `idle` back by the lease, so that if
//! this instance dies before it is done another one claims the session once the lease runs out. The
//! instance ends the conversation through the engine (the Hangup transaction), then deletes it in a
//! script that checks the lease. Each conversation is ended exactly once, unless the instance dies between
//! recording the Hangup and deleting the session: then another records it again (at least once). The
//! state key also carries a TTL (`ttl`, far longer than the idle timeout) so that nothing stays forever
//! if no sweeper runs; a conversation that outlives its TTL is forgotten without a Hangup. A turn that
//! waited for a session the sweeper was ending finds it gone and starts a new conversation (in memory it
//! would run on the ended one, keeping its analytics id).

mod codec;
mod users;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use redis::Script;

pub use codec::VarsCodec;
pub use users::RedisUserStore;

use crate::conversation::Conversation;
use crate::store::{SessionStore, StoreError};

/// How to reach Redis and how long things last; [`RedisConfig::new`] has the defaults.
#[derive(Debug, Clone)]
pub struct RedisConfig {
    /// `redis://[:password@]host:port/[db]`.
    pub url: String,
    /// Put before every key, so that several flows (or deployments) can share one Redis. Give each engine
    /// its own (its release is a good one); the stores of one engine on every instance share it.
    pub prefix: String,
    /// Connections in the pool, made as needed (one per turn in flight) [default: 128, the server's
    /// default number of turns at once].
    pub pool_size: u32,
    /// How long a turn may hold its session before another instance may take it [default: 30 s]. Longer
    /// than the slowest turn (its service calls included).
    pub lease: Duration,
    /// How long a turn waits for a session another turn holds before it fails [default: the lease and 1 s].
    pub wait: Duration,
    /// How long a conversation is kept after its last turn if no sweeper ends it [default: 24 h]. Longer
    /// than the idle timeout.
    pub ttl: Duration,
    /// How long a user's values are kept after the last conversation that saved them [default: 90 days].
    pub user_ttl: Duration,
    /// Connecting, reading and writing give up after this [default: 2 s].
    pub timeout: Duration,
}

impl RedisConfig {
    /// The defaults for `url`, keys under `prefix`.
    pub fn new(url: impl Into<String>, prefix: impl Into<String>) -> Self {
        RedisConfig {
            url: url.into(),
            prefix: prefix.into(),
            pool_size: 128,
            lease: Duration::from_secs(30),
            wait: Duration::from_secs(31),
            ttl: Duration::from_secs(24 * 3600),
            user_ttl: Duration::from_secs(90 * 24 * 3600),
            timeout: Duration::from_secs(2),
        }
    }
}

/// A pool of connections to one Redis, shared by a session store and a user store.
#[derive(Clone)]
pub(crate) struct Pool {
    pool: r2d2::Pool<redis::Client>,
    config: Arc<RedisConfig>,
    /// Connections checked out: one per command or script sent (a script Redis had forgotten costs one
    /// more), so the number of round trips.
    checkouts: Arc<AtomicU64>,
}

/// Sets the read and write timeouts on each new connection, once.
#[derive(Debug)]
struct Timeouts(Duration);

impl r2d2::CustomizeConnection<redis::Connection, redis::RedisError> for Timeouts {
    fn on_acquire(&self, conn: &mut redis::Connection) -> Result<(), redis::RedisError> {
        conn.set_read_timeout(Some(self.0))?;
        conn.set_write_timeout(Some(self.0))
    }
}

impl Pool {
    /// A pool for `config`; connects lazily, so an unreachable Redis is an error of the first turns only.
    fn new(config: RedisConfig) -> Result<Self, StoreError> {
        let client = redis::Client::open(config.url.as_str())
            .map_err(|e| StoreError::new(format!("redis URL {:?}: {e}", config.url)))?;
        let pool = r2d2::Pool::builder()
            .max_size(config.pool_size.max(1))
            .min_idle(Some(0))
            // A PING per checkout would be a third round trip per turn: a broken connection shows as the
            // turn's error instead, and is then dropped.
            .test_on_check_out(false)
            .connection_timeout(config.timeout)
            .connection_customizer(Box::new(Timeouts(config.timeout)))
            .error_handler(Box::new(r2d2::NopErrorHandler))
            .build_unchecked(client);
        Ok(Pool {
            pool,
            config: Arc::new(config),
            checkouts: Arc::new(AtomicU64::new(0)),
        })
    }

    fn get(&self) -> Result<r2d2::PooledConnection<redis::Client>, StoreError> {
        self.checkouts.fetch_add(1, Ordering::Relaxed);
        self.pool
            .get()
            .map_err(|e| StoreError::new(format!("redis unreachable: {e}")))
    }
}

fn failed(what: &str, e: redis::RedisError) -> StoreError {
    StoreError::new(format!("redis {what}: {e}"))
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

/// KEYS: state, lease; ARGV: token, lease ms. `{1, state or ''}` when the lease is ours, `{0, ''}` when
/// another holder has it. Taking a lease that is already ours again makes a retried call harmless.
const ACQUIRE: &str = r"
local holder = redis.call('GET', KEYS[2])
if holder and holder ~= ARGV[1] then return {0, ''} end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
return {1, redis.call('GET', KEYS[1]) or ''}
";

/// KEYS: state, lease, idle; ARGV: token, state, ttl ms, session key. Writes only under our lease.
const COMMIT: &str = r"
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
local t = redis.call('TIME')
redis.call('ZADD', KEYS[3], t[1] * 1000 + math.floor(t[2] / 1000), ARGV[4])
redis.call('DEL', KEYS[2])
return 1
";

/// KEYS: lease; ARGV: token. Frees our lease without writing.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
";

/// KEYS: idle; ARGV: idle ms, limit, token, lease ms, prefix. Claims up to `limit` idle sessions: flat
/// `{key, state, ...}`. A claimed session's score moves to "idle again once the lease ends", so that it
/// is claimed again if this instance dies before [`FINISH`]; one that has no state any more is dropped.
const CLAIM: &str = r"
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local idle = tonumber(ARGV[1])
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - idle, 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, id in ipairs(ids) do
  local lease = ARGV[5] .. 'l:' .. id
  if redis.call('SET', lease, ARGV[3], 'NX', 'PX', ARGV[4]) then
    local state = redis.call('GET', ARGV[5] .. 's:' .. id)
    if state then
      redis.call('ZADD', KEYS[1], now - idle + tonumber(ARGV[4]), id)
      table.insert(out, id)
      table.insert(out, state)
    else
      redis.call('ZREM', KEYS[1], id)
      redis.call('DEL', lease)
    end
  end
end
return out
";

/// KEYS: state, lease, idle; ARGV: token, session key. Forgets an ended session, under our lease.
const FINISH: &str = r"
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[2])
return 1
";

/// A [`SessionStore`] in Redis, shared by every instance that uses the same Redis and prefix. See the
/// module documentation for the design and its failure modes.
pub struct RedisSessionStore<V> {
    pool: Pool,
    codec: Arc<dyn VarsCodec<V>>,
    scripts: Arc<Scripts>,
    /// This store's lease tokens: a random instance id and a counter.
    instance: String,
    counter: AtomicU64,
    idle_key: String,
}

struct Scripts {
    acquire: Script,
    commit: Script,
    release: Script,
    claim: Script,
    finish: Script,
}

impl<V> fmt::Debug for RedisSessionStore<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisSessionStore")
            .field("prefix", &self.pool.config.prefix)
            .field("instance", &self.instance)
            .finish_non_exhaustive()
    }
}

/// The outcome of taking a session's lease.
enum Taken {
    /// Ours, with the stored state (empty for a new session).
    Ours(Vec<u8>),
    Busy,
}

impl<V: Send + 'static> RedisSessionStore<V> {
    /// A store for `config`, its variables made, read and written through `codec` (the engine's flow
    /// behind an `Arc`). Connects lazily: `Err` only for a malformed URL.
    pub fn new(
        config: RedisConfig,
        codec: impl VarsCodec<V> + 'static,
    ) -> Result<Self, StoreError> {
        Ok(Self::with_pool(Pool::new(config)?, Arc::new(codec)))
    }

    pub(crate) fn with_pool(pool: Pool, codec: Arc<dyn VarsCodec<V>>) -> Self {
        let seed = foldhash::quality::RandomState::default();
        let instance = format!(
            "{:x}-{:x}",
            std::process::id(),
            std::hash::BuildHasher::hash_one(&seed, Instant::now())
        );
        RedisSessionStore {
            idle_key: format!("{}idle", pool.config.prefix),
            pool,
            codec,
            scripts: Arc::new(Scripts {
                acquire: Script::new(ACQUIRE),
                commit: Script::new(COMMIT),
                release: Script::new(RELEASE),
                claim: Script::new(CLAIM),
                finish: Script::new(FINISH),
            }),
            instance,
            counter: AtomicU64::new(0),
        }
    }

    /// A user store on the same pool, for the engine's user-lifetime values.
    pub fn user_store(&self) -> RedisUserStore {
        RedisUserStore::with_pool(self.pool.clone())
    }

    /// Round trips to Redis so far, by this store and the user stores on its pool (each command or script
    /// sent is one; the first use of a script after Redis forgot it is two): for measuring.
    pub fn round_trips(&self) -> u64 {
        self.pool.checkouts.load(Ordering::Relaxed)
    }

    /// The bytes `conv` takes in Redis (its value, without the key).
    pub fn encoded_len(&self, conv: &Conversation<V>) -> usize {
        let mut bytes = Vec::new();
        codec::encode(conv, &*self.codec, &mut bytes);
        bytes.len()
    }

    fn token(&self) -> String {
        format!(
            "{}-{}",
            self.instance,
            self.counter.fetch_add(1, Ordering::Relaxed)
        )
    }

    fn state_key(&self, key: &str) -> String {
        format!("{}s:{key}", self.pool.config.prefix)
    }

    fn lease_key(&self, key: &str) -> String {
        format!("{}l:{key}", self.pool.config.prefix)
    }

    /// One try at the lease. A connection error is retried once on a fresh connection (the script is
    /// harmless to repeat), so that a Redis restart costs no turn once Redis is back.
    fn try_take(&self, state: &str, lease: &str, token: &str) -> Result<Taken, StoreError> {
        let mut last = None;
        for _ in 0..2 {
            let mut conn = self.pool.get()?;
            let reply: redis::RedisResult<(i64, Vec<u8>)> = self
                .scripts
                .acquire
                .key(state)
                .key(lease)
                .arg(token)
                .arg(ms(self.pool.config.lease))
                .invoke(&mut *conn);
            match reply {
                Ok((1, bytes)) => return Ok(Taken::Ours(bytes)),
                Ok(_) => return Ok(Taken::Busy),
                Err(e) if e.is_io_error() || e.is_connection_dropped() => last = Some(e),
                Err(e) => return Err(failed("lease", e)),
            }
        }
        Err(last.map_or_else(
            || StoreError::new("redis lease failed"),
            |e| failed("lease", e),
        ))
    }

    /// Takes the session's lease, waiting while another holder has it.
    fn take(&self, key: &str, token: &str) -> Result<Vec<u8>, StoreError> {
        let (state, lease) = (self.state_key(key), self.lease_key(key));
        let started = Instant::now();
        let mut pause = Duration::from_millis(1);
        loop {
            if let Taken::Ours(bytes) = self.try_take(&state, &lease, token)? {
                return Ok(bytes);
            }
            if started.elapsed() >= self.pool.config.wait {
                return Err(StoreError::new(format!(
                    "session {key:?} is held by another turn (still running, or its instance died: its \
                     lease ends within {} ms)",
                    ms(self.pool.config.lease)
                )));
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(20));
        }
    }

    /// The stored state read back; a new session (no bytes) starts from `init`, and bytes that are not a
    /// conversation of this format (a later release of flowc wrote them) start afresh too.
    fn read(&self, bytes: &[u8], init: impl FnOnce() -> Conversation<V>) -> Conversation<V> {
        if bytes.is_empty() {
            return init();
        }
        let mut conv = Conversation::new(self.codec.new_vars());
        match codec::decode(bytes, &*self.codec, &mut conv) {
            Some(()) => conv,
            None => Conversation::new(self.codec.new_vars()),
        }
    }

    fn commit(&self, key: &str, token: &str, conv: &Conversation<V>) -> Result<(), StoreError> {
        let mut bytes = Vec::with_capacity(256);
        codec::encode(conv, &*self.codec, &mut bytes);
        let mut conn = self.pool.get()?;
        let written: i64 = self
            .scripts
            .commit
            .key(self.state_key(key))
            .key(self.lease_key(key))
            .key(&self.idle_key)
            .arg(token)
            .arg(bytes)
            .arg(ms(self.pool.config.ttl))
            .arg(key)
            .invoke(&mut *conn)
            .map_err(|e| failed("write", e))?;
        if written == 1 {
            Ok(())
        } else {
            Err(StoreError::new(format!(
                "session {key:?}: the turn outlasted its lease ({} ms) and another took the session; \
                 this turn was not kept",
                ms(self.pool.config.lease)
            )))
        }
    }

    fn release(&self, key: &str, token: &str) {
        if let Ok(mut conn) = self.pool.get() {
            let _: redis::RedisResult<i64> = self
                .scripts
                .release
                .key(self.lease_key(key))
                .arg(token)
                .invoke(&mut *conn);
        }
    }

    fn claim(
        &self,
        idle: Duration,
        limit: usize,
        token: &str,
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let mut conn = self.pool.get()?;
        let flat: Vec<Vec<u8>> = self
            .scripts
            .claim
            .key(&self.idle_key)
            .arg(ms(idle))
            .arg(limit)
            .arg(token)
            .arg(ms(self.pool.config.lease))
            .arg(&self.pool.config.prefix)
            .invoke(&mut *conn)
            .map_err(|e| failed("claim", e))?;
        let mut claimed = Vec::with_capacity(flat.len() / 2);
        let mut it = flat.into_iter();
        while let (Some(key), Some(state)) = (it.next(), it.next()) {
            claimed.push((String::from_utf8_lossy(&key).into_owned(), state));
        }
        Ok(claimed)
    }

    fn finish(&self, key: &str, token: &str) -> Result<(), StoreError> {
        let mut conn = self.pool.get()?;
        let _: i64 = self
            .scripts
            .finish
            .key(self.state_key(key))
            .key(self.lease_key(key))
            .key(&self.idle_key)
            .arg(token)
            .arg(key)
            .invoke(&mut *conn)
            .map_err(|e| failed("delete", e))?;
        Ok(())
    }
}

impl<V: Clone + Send + 'static> SessionStore<Conversation<V>> for RedisSessionStore<V> {
    /// Plays `f` as [`try_with_session`](SessionStore::try_with_session) does; when Redis fails, `f` runs
    /// on a conversation from `init` that is not kept. The engine uses `try_with_session`, which says so.
    fn with_session<R>(
        &self,
        key: &str,
        init: impl FnOnce() -> Conversation<V>,
        f: impl FnOnce(&mut Conversation<V>) -> R,
    ) -> R {
        // Both closures are needed again if Redis fails before `f` ran; its result is kept if it ran.
        let fresh = || Conversation::new(self.codec.new_vars());
        let mut init = Some(init);
        let mut f = Some(f);
        let mut out = None;
        let _ = self.try_with_session(
            key,
            || init.take().map_or_else(fresh, |i| i()),
            |conv| out = f.take().map(|f| f(conv)),
        );
        match (out, f) {
            (Some(r), _) => r,
            (None, Some(f)) => f(&mut init.map_or_else(fresh, |i| i())),
            (None, None) => unreachable!("a closure that ran gave its result"),
        }
    }

    fn try_with_session<R>(
        &self,
        key: &str,
        init: impl FnOnce() -> Conversation<V>,
        f: impl FnOnce(&mut Conversation<V>) -> R,
    ) -> Result<R, StoreError> {
        let token = self.token();
        let bytes = self.take(key, &token)?;
        let mut conv = self.read(&bytes, init);
        let r = f(&mut conv);
        self.commit(key, &token, &conv)?;
        Ok(r)
    }

    fn update<R>(&self, key: &str, f: impl FnOnce(&mut Conversation<V>) -> R) -> Option<R> {
        let token = self.token();
        let bytes = self.take(key, &token).ok()?;
        if bytes.is_empty() {
            self.release(key, &token);
            return None;
        }
        let mut conv = self.read(&bytes, || Conversation::new(self.codec.new_vars()));
        let r = f(&mut conv);
        self.commit(key, &token, &conv).ok()?;
        Some(r)
    }

    fn remove(&self, key: &str) -> bool {
        let Ok(mut conn) = self.pool.get() else {
            return false;
        };
        let removed: redis::RedisResult<(i64, i64)> = redis::pipe()
            .del(self.state_key(key))
            .zrem(&self.idle_key, key)
            .query(&mut *conn);
        removed.is_ok_and(|(n, _)| n > 0)
    }

    /// Sessions known to the idle set (every instance's); 0 when Redis cannot be reached.
    fn len(&self) -> usize {
        let Ok(mut conn) = self.pool.get() else {
            return 0;
        };
        redis::cmd("ZCARD")
            .arg(&self.idle_key)
            .query::<usize>(&mut *conn)
            .unwrap_or(0)
    }

    fn expire_idle(
        &self,
        idle: Duration,
        limit: usize,
        mut end: impl FnMut(&str, &mut Conversation<V>),
    ) -> usize {
        if limit == 0 {
            return 0;
        }
        let token = self.token();
        let Ok(claimed) = self.claim(idle, limit, &token) else {
            // Redis is unreachable: the next sweep claims them.
            return 0;
        };
        let mut ended = 0;
        for (key, bytes) in claimed {
            let mut conv = self.read(&bytes, || Conversation::new(self.codec.new_vars()));
            end(&key, &mut conv);
            if self.finish(&key, &token).is_ok() {
                ended += 1;
            }
        }
        ended
    }
}
