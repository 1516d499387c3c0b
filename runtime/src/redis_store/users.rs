//! User-lifetime values in Redis.

use std::fmt;

use super::{Pool, RedisConfig, codec, failed, ms};
use crate::store::{StoreError, UserStore};

/// A [`UserStore`] in Redis: the values of (requester, release) under `PREFIXu:RELEASE:REQUESTER`, kept
/// for the config's `user_ttl` after the last write. The engine reads them when a conversation starts and
/// writes them when it ends, so concurrent conversations of one requester write last-wins, as in memory.
/// A Redis that cannot be reached reads as no values and loses the write (the session store fails that
/// turn too).
#[derive(Clone)]
pub struct RedisUserStore {
    pool: Pool,
}

impl fmt::Debug for RedisUserStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisUserStore")
            .field("prefix", &self.pool.config.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisUserStore {
    /// A store for `config` with a pool of its own (a session store's `user_store` shares its pool).
    pub fn new(config: RedisConfig) -> Result<Self, StoreError> {
        Ok(Self::with_pool(Pool::new(config)?))
    }

    pub(crate) fn with_pool(pool: Pool) -> Self {
        RedisUserStore { pool }
    }

    fn key(&self, requester: &str, release: &str) -> String {
        // The release's length first, so that no (release, requester) pair can spell another's key.
        format!(
            "{}u:{}:{release}:{requester}",
            self.pool.config.prefix,
            release.len()
        )
    }

    fn get(&self, key: &str) -> Result<Option<Vec<String>>, StoreError> {
        let mut conn = self.pool.get()?;
        let bytes: Option<Vec<u8>> = redis::cmd("GET")
            .arg(key)
            .query(&mut *conn)
            .map_err(|e| failed("read", e))?;
        Ok(bytes.and_then(|b| codec::decode_list(&b)))
    }

    fn set(&self, key: &str, values: &[String]) -> Result<(), StoreError> {
        let mut bytes = Vec::new();
        codec::encode_list(values, &mut bytes);
        let mut conn = self.pool.get()?;
        redis::cmd("SET")
            .arg(key)
            .arg(bytes)
            .arg("PX")
            .arg(ms(self.pool.config.user_ttl))
            .query::<()>(&mut *conn)
            .map_err(|e| failed("write", e))
    }
}

impl UserStore<Vec<String>> for RedisUserStore {
    fn with_user<R>(
        &self,
        requester: &str,
        release: &str,
        init: impl FnOnce() -> Vec<String>,
        f: impl FnOnce(&mut Vec<String>) -> R,
    ) -> R {
        let key = self.key(requester, release);
        let mut values = self.get(&key).ok().flatten().unwrap_or_else(init);
        let r = f(&mut values);
        // Nothing to tell the caller: the turn that saves them fails in its session store as well.
        let _ = self.set(&key, &values);
        r
    }

    fn get_user<R>(
        &self,
        requester: &str,
        release: &str,
        f: impl FnOnce(&Vec<String>) -> R,
    ) -> Option<R> {
        let values = self.get(&self.key(requester, release)).ok()??;
        Some(f(&values))
    }

    fn remove_user(&self, requester: &str, release: &str) -> bool {
        let Ok(mut conn) = self.pool.get() else {
            return false;
        };
        redis::cmd("DEL")
            .arg(self.key(requester, release))
            .query::<i64>(&mut *conn)
            .is_ok_and(|n| n > 0)
    }

    /// Counted with SCAN over the store's keys: for tests and looking, not for a hot path.
    fn len(&self) -> usize {
        let Ok(mut conn) = self.pool.get() else {
            return 0;
        };
        let pattern = format!("{}u:*", self.pool.config.prefix);
        let Ok(keys) = redis::cmd("SCAN")
            .cursor_arg(0)
            .arg("MATCH")
            .arg(&pattern)
            .arg("COUNT")
            .arg(1000)
            .clone()
            .iter::<String>(&mut *conn)
        else {
            return 0;
        };
        keys.count()
    }
}
