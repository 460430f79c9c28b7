//! A short-lived per-process cache of authenticated API keys, so a busy client
//! does not cost a database read per request.
//!
//! Only keys found in the store are cached (never "no such key"), so a key works
//! the moment it is created, on every node. Deleting a tenant clears this
//! process's cache at once; another node may accept the deleted tenant's keys
//! for at most [`KeyCache::TTL`], after which it reads the store again. That is
//! the staleness we accept, the same bound as a key check replicated anywhere.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::model::ApiKey;
use crate::secret::TokenHash;

/// Authenticated keys by the SHA-256 of their token, and when this process
/// last recorded each key's use.
#[derive(Clone, Default)]
pub(crate) struct KeyCache {
    keys: Arc<Mutex<HashMap<String, (ApiKey, Instant)>>>,
    uses: Arc<Mutex<HashMap<String, Instant>>>,
}

impl KeyCache {
    /// How long a cached key is trusted without asking the store.
    pub(crate) const TTL: Duration = Duration::from_secs(2);
    /// Entries kept at most; the cache starts over when it is full.
    const CAPACITY: usize = 10_000;
    /// A key's `last_used_at` is written at most this often per process.
    pub(crate) const USE_RECORDED_EVERY: Duration = Duration::from_secs(60);

    /// Whether the use of `key_id` now should be recorded: the first time, or
    /// [`Self::USE_RECORDED_EVERY`] after the last time this said yes.
    pub(crate) fn use_is_news(&self, key_id: &str) -> bool {
        let mut uses = self
            .uses
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if uses
            .get(key_id)
            .is_some_and(|at| at.elapsed() < Self::USE_RECORDED_EVERY)
        {
            return false;
        }
        if uses.len() >= Self::CAPACITY {
            uses.retain(|_, at| at.elapsed() < Self::USE_RECORDED_EVERY);
            if uses.len() >= Self::CAPACITY {
                uses.clear();
            }
        }
        uses.insert(key_id.to_owned(), Instant::now());
        true
    }

    /// The cached key for a presented token's hash, if still fresh.
    pub(crate) fn get(&self, presented: &TokenHash) -> Option<ApiKey> {
        let map = self.lock();
        let (key, at) = map.get(&presented.0)?;
        (at.elapsed() < Self::TTL).then(|| key.clone())
    }

    /// Remember a key the store just confirmed.
    pub(crate) fn put(&self, key: &ApiKey) {
        let mut map = self.lock();
        if map.len() >= Self::CAPACITY {
            map.retain(|_, (_, at)| at.elapsed() < Self::TTL);
            if map.len() >= Self::CAPACITY {
                map.clear();
            }
        }
        map.insert(key.hash.0.clone(), (key.clone(), Instant::now()));
    }

    /// Forget every key (a tenant was deleted, or a key revoked).
    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    /// The cached keys, held briefly.
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (ApiKey, Instant)>> {
        self.keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cached_key_is_found_by_its_hash_until_cleared() {
        let cache = KeyCache::default();
        let (key, token) = ApiKey::generate(&"ten_1".into());
        assert!(cache.get(&TokenHash::of(&token)).is_none());
        cache.put(&key);
        let found = cache.get(&TokenHash::of(&token)).expect("cached");
        assert_eq!(found.id, key.id);
        assert!(cache.get(&TokenHash::of("hwk_other")).is_none());
        cache.clear();
        assert!(cache.get(&TokenHash::of(&token)).is_none());
    }
}
