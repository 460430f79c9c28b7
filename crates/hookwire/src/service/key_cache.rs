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

/// Authenticated keys by the SHA-256 of their token.
#[derive(Clone, Default)]
pub(crate) struct KeyCache(Arc<Mutex<HashMap<String, (ApiKey, Instant)>>>);

impl KeyCache {
    /// How long a cached key is trusted without asking the store.
    pub(crate) const TTL: Duration = Duration::from_secs(2);
    /// Entries kept at most; the cache starts over when it is full.
    const CAPACITY: usize = 10_000;

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

    /// Forget every key (a tenant was deleted).
    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (ApiKey, Instant)>> {
        self.0
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
        let (key, token) = ApiKey::generate("ten_1");
        assert!(cache.get(&TokenHash::of(&token)).is_none());
        cache.put(&key);
        let found = cache.get(&TokenHash::of(&token)).expect("cached");
        assert_eq!(found.id, key.id);
        assert!(cache.get(&TokenHash::of("hwk_other")).is_none());
        cache.clear();
        assert!(cache.get(&TokenHash::of(&token)).is_none());
    }
}
