//! Which webhooks a publish fans out to, remembered between publishes.
//!
//! Without it, looking the webhooks up is a statement of its own in every
//! publish batch — on PostgreSQL a round trip and a backend's planning and
//! executor work per batch, for an answer that changes only when someone
//! edits a webhook. Every change to the `webhooks` table bumps one counter in
//! the database, the *webhook generation* (a trigger, migrations
//! `webhook_generation`). The cache keeps the lookups made at one
//! generation; the store writes a batch fanned out from it only if the
//! generation is still that one (see [`fan_out`](super::fan_out)).
//!
//! It owns remembered answers only: it never decides whether one may be used
//! (the write's generation check does) and never reads the database.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::model::Webhook;
use crate::store::Matched;

/// Lookup keys kept at most; past this the cache starts again empty (a
/// tenant-and-type space this large has no hot set worth keeping).
const MAX_KEYS: usize = 4096;

/// What a publish's webhook lookup depends on: the tenant, the event type's
/// patterns and the channel.
pub(crate) type LookupKey = (String, Vec<String>, Option<String>);

/// Lookups of one generation. Safe to share; every node has its own.
#[derive(Debug, Default)]
pub(crate) struct WebhookCache {
    /// Held only to look up or replace an entry.
    inner: Mutex<Inner>,
}

/// The cached lookups and the generation they were read at.
#[derive(Debug, Default)]
struct Inner {
    /// The generation every entry was read at (`None`: nothing read yet).
    generation: Option<i64>,
    /// Each lookup's matching webhooks.
    entries: HashMap<LookupKey, Vec<Arc<Webhook>>>,
}

impl WebhookCache {
    /// The remembered answer for `key`, if there is one.
    pub(crate) fn get(&self, key: &LookupKey) -> Option<Matched> {
        let inner = self.lock();
        let generation = inner.generation?;
        inner.entries.get(key).map(|webhooks| Matched {
            webhooks: webhooks.clone(),
            generation,
        })
    }

    /// Remember a fresh lookup. An answer from a newer generation than the
    /// entries' replaces them all; one from an older generation (a lookup that
    /// raced a newer one) is dropped.
    pub(crate) fn put(&self, key: LookupKey, matched: &Matched) {
        let mut inner = self.lock();
        match inner.generation {
            Some(g) if g > matched.generation => return,
            Some(g) if g == matched.generation && inner.entries.len() < MAX_KEYS => {}
            _ => {
                inner.entries.clear();
                inner.generation = Some(matched.generation);
            }
        }
        inner.entries.insert(key, matched.webhooks.clone());
    }

    /// The cache, held briefly; a poisoned lock's contents are still consistent
    /// (each change is one assignment).
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(tenant: &str) -> LookupKey {
        (tenant.to_owned(), vec!["*".to_owned()], None)
    }

    fn matched(generation: i64) -> Matched {
        Matched {
            webhooks: Vec::new(),
            generation,
        }
    }

    #[test]
    fn a_newer_generation_replaces_every_entry_and_an_older_one_is_ignored() {
        let cache = WebhookCache::default();
        assert!(cache.get(&key("a")).is_none());
        cache.put(key("a"), &matched(1));
        cache.put(key("b"), &matched(1));
        assert_eq!(cache.get(&key("b")).map(|m| m.generation), Some(1));

        cache.put(key("a"), &matched(2));
        assert_eq!(cache.get(&key("a")).map(|m| m.generation), Some(2));
        assert!(
            cache.get(&key("b")).is_none(),
            "read at an older generation"
        );

        cache.put(key("b"), &matched(1));
        assert!(cache.get(&key("b")).is_none(), "a stale answer is not kept");
    }

    #[test]
    fn a_full_cache_starts_again_empty() {
        let cache = WebhookCache::default();
        for i in 0..MAX_KEYS {
            cache.put(key(&i.to_string()), &matched(1));
        }
        cache.put(key("one more"), &matched(1));
        assert!(cache.get(&key("0")).is_none());
        assert!(cache.get(&key("one more")).is_some());
    }
}
