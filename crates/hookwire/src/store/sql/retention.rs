//! Bounded history clean-up, once for both backends: each call deletes or
//! expires at most one batch of rows, so no call holds a writer or a long
//! transaction while publishes flow. Deleting an event deletes its
//! deliveries and attempts (cascades); pending deliveries are never trimmed.
//! The SQL text is each backend's ([`RetentionSql`]).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::Dialect;
use crate::store::{Result, RetentionStore};

/// The clean-up statements in one backend's dialect; the comment of each
/// lists its placeholders in order.
pub(crate) trait RetentionSql {
    /// `cutoff, batch`: the oldest events created before `cutoff`.
    const PURGE_EVENTS: &'static str;
    /// `cutoff, batch`: clear the idempotency keys of events created before
    /// `cutoff`.
    const EXPIRE_KEYS: &'static str;
    /// `keep, batch`: finished deliveries beyond the newest `keep` of each
    /// webhook.
    const TRIM_DELIVERIES: &'static str;
}

#[async_trait]
impl<D: Dialect + RetentionSql + 'static> RetentionStore for D {
    /// The oldest events first; their deliveries and attempts go with them
    /// (ON DELETE CASCADE).
    async fn purge_events(&self, cutoff: DateTime<Utc>, batch: u32) -> Result<u64> {
        let args = [cutoff.into(), i64::from(batch).into()];
        self.write("event", D::PURGE_EVENTS, &args).await
    }

    /// The key is cleared, the event kept: after the idempotency window a
    /// repeated key is a new event, while history stays for `retention_days`.
    async fn expire_idempotency_keys(&self, cutoff: DateTime<Utc>, batch: u32) -> Result<u64> {
        let args = [cutoff.into(), i64::from(batch).into()];
        self.write("event", D::EXPIRE_KEYS, &args).await
    }

    /// An unfinished delivery is never trimmed.
    async fn trim_deliveries(&self, keep: u32, batch: u32) -> Result<u64> {
        let args = [i64::from(keep).into(), i64::from(batch).into()];
        self.write("delivery", D::TRIM_DELIVERIES, &args).await
    }
}
