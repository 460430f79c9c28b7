//! Persistence: one [`Store`] interface, two backends.
//!
//! [`sqlite`] is the embedded default (one file, one node); [`postgres`] serves any
//! number of hookwire nodes sharing one database. Each backend speaks its own SQL
//! dialect and has its own migrations folder (`migrations/sqlite`,
//! `migrations/postgres`), embedded in the binary and applied by [`open`].
//! Operations whose statements differ only in spelling are written once
//! (`store/sql/`), over each backend's SQL text; the hot path's statements
//! stay per backend.
//!
//! The traits take and return plain data; no driver type and no pipeline type
//! crosses them, and nothing above this module writes SQL.

use std::sync::Arc;

use async_trait::async_trait;

use chrono::{DateTime, Utc};
use tokio::sync::Notify;

use crate::id::{DeliveryId, WebhookId};
use crate::model::{
    ApiKey, AuditEntry, AuditFilter, DashboardSession, Delivery, Event, EventType, Tenant, Webhook,
};
use crate::page::{Page, PageRequest};
use crate::secret::{TokenHash, WebhookSecret};

mod circuits;
mod claim;
mod error;
mod history;
mod open;
#[cfg(feature = "postgres")]
pub mod postgres;
mod requeue;
mod shared;
pub(crate) mod sql;
#[cfg(feature = "sqlite")]
pub mod sqlite;
mod types;
mod write;

pub use circuits::CircuitStore;
pub(crate) use circuits::{FailureStep, GateStep};
pub(crate) use claim::assemble_jobs;
pub use claim::Job;
pub use error::{Error, Result};
pub use history::HistoryStore;
pub use open::{open, open_sealed, open_with, OpenOptions};
pub use requeue::{RequeueStore, BULK_RETRY_CHUNK};
pub(crate) use shared::{last_error, merge_timeline};
pub use write::{AttemptRecord, Matched, PublishRows, Stored, WriteBatch, Written};

pub use types::{
    AttemptResult, CircuitFailure, DeliveryFilter, EventFilter, Gate, Published, RequeueFilter,
    SendSlot, SettingsChanges, TenantStats, TimelineBucket, WebhookChanges, WebhookCounts,
    WebhookFilter, WebhookStats,
};

/// A store shared by every part of a process.
pub type DynStore = Arc<dyn Store>;

/// Everything hookwire keeps: the union of the per-concern traits below.
/// Implementations must be safe to share between tasks and, for PostgreSQL,
/// between processes: no method may rely on state held in one process.
pub trait Store:
    TenantStore
    + SessionStore
    + AuditStore
    + CatalogStore
    + WebhookStore
    + EventStore
    + HistoryStore
    + QueueStore
    + RequeueStore
    + CircuitStore
    + StatsStore
    + RetentionStore
{
}

impl<T> Store for T where
    T: TenantStore
        + SessionStore
        + AuditStore
        + CatalogStore
        + WebhookStore
        + EventStore
        + HistoryStore
        + QueueStore
        + RequeueStore
        + CircuitStore
        + StatsStore
        + RetentionStore
{
}

/// Settings, tenants and API keys.
#[async_trait]
pub trait TenantStore: Send + Sync + 'static {
    /// Check that the database answers.
    async fn ping(&self) -> Result<()>;

    /// A process-wide setting, e.g. the admin token's hash.
    async fn setting(&self, key: &str) -> Result<Option<String>>;
    /// Store a setting unless one exists; `true` when this call stored it. Lets
    /// several nodes race to initialise a value and agree on one winner.
    async fn insert_setting_if_absent(&self, key: &str, value: &str) -> Result<bool>;

    /// Create a tenant together with its first API key, atomically.
    async fn create_tenant(&self, tenant: &Tenant, key: &ApiKey) -> Result<()>;
    /// One tenant.
    async fn tenant(&self, id: &str) -> Result<Option<Tenant>>;
    /// Tenants, newest first.
    async fn list_tenants(&self, page: &PageRequest) -> Result<Page<Tenant>>;
    /// Delete a tenant and everything it owns; `false` if it did not exist.
    async fn delete_tenant(&self, id: &str) -> Result<bool>;

    /// Add an API key to an existing tenant.
    async fn insert_api_key(&self, key: &ApiKey) -> Result<()>;
    /// Keys whose token starts with `prefix` (normally one).
    async fn api_keys_by_prefix(&self, prefix: &str) -> Result<Vec<ApiKey>>;
    /// A tenant's keys, newest first.
    async fn list_api_keys(&self, tenant_id: &str) -> Result<Vec<ApiKey>>;
    /// Revoke (delete) one of a tenant's keys; `false` if it has none by that id.
    async fn delete_api_key(&self, tenant_id: &str, key_id: &str) -> Result<bool>;
    /// Record that a key was used at `at`.
    async fn touch_api_key(&self, key_id: &str, at: DateTime<Utc>) -> Result<()>;
}

/// Dashboard sessions ([`DashboardSession`]), found by their token's hash.
#[async_trait]
pub trait SessionStore: Send + Sync + 'static {
    /// Store a new session.
    async fn insert_session(&self, session: &DashboardSession) -> Result<()>;
    /// The session whose token hashes to `hash`, live or expired.
    async fn session_by_hash(&self, hash: &TokenHash) -> Result<Option<DashboardSession>>;
    /// End a session; `false` if there was none.
    async fn delete_session(&self, hash: &TokenHash) -> Result<bool>;
    /// Delete every session that expired before `now`; how many.
    async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> Result<u64>;
}

/// The audit log ([`AuditEntry`]).
#[async_trait]
pub trait AuditStore: Send + Sync + 'static {
    /// Record one change.
    async fn insert_audit(&self, entry: &AuditEntry) -> Result<()>;
    /// Entries matching `filter`, newest first.
    async fn list_audit(
        &self,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> Result<Page<AuditEntry>>;
    /// Delete up to `batch` entries older than `before`; how many.
    async fn purge_audit(&self, before: DateTime<Utc>, batch: u32) -> Result<u64>;
}

/// The global event-type catalog.
#[async_trait]
pub trait CatalogStore: Send + Sync + 'static {
    /// The whole catalog, by name.
    async fn event_types(&self) -> Result<Vec<EventType>>;
    /// Add a catalog entry; [`Error::Conflict`] if the name exists.
    async fn insert_event_type(&self, event_type: &EventType) -> Result<()>;
    /// Add or update a catalog entry (for types defined in the config file).
    async fn upsert_event_type(&self, event_type: &EventType) -> Result<()>;
}

/// Webhook subscriptions.
#[async_trait]
pub trait WebhookStore: Send + Sync + 'static {
    /// Store a new webhook.
    async fn insert_webhook(&self, webhook: &Webhook) -> Result<()>;
    /// One of a tenant's webhooks.
    async fn webhook(&self, tenant_id: &str, id: &str) -> Result<Option<Webhook>>;
    /// The active webhooks (the tenant's and global ones) whose event filters
    /// include one of `patterns` and whose channels admit `channel`, with the
    /// webhook generation they were read at: what a publish fans out to.
    async fn matching_webhooks(
        &self,
        tenant_id: &str,
        patterns: &[String],
        channel: Option<&str>,
    ) -> Result<Matched>;
    /// A tenant's webhooks, newest first.
    async fn list_webhooks(
        &self,
        tenant_id: &str,
        filter: &WebhookFilter,
        page: &PageRequest,
    ) -> Result<Page<Webhook>>;
    /// Save the changes of an existing webhook and return it as stored; `None`
    /// if it no longer exists. Only the columns `changes` names are written:
    /// a PATCH of other fields, read before the worker auto-disabled the
    /// webhook, before a rotation or before another PATCH, neither enables it
    /// again, nor brings the old secret back, nor undoes the other PATCH. The
    /// health columns (`failing_since`, `disabled_reason`) follow the row;
    /// enabling clears them.
    async fn update_webhook(
        &self,
        webhook: &Webhook,
        changes: WebhookChanges,
    ) -> Result<Option<Webhook>>;
    /// Make `secret` the webhook's signing secret and the current one its
    /// previous secret until `previous_expires_at`, in one statement that takes
    /// the current secret from the row: of two rotations at once, the second
    /// keeps the first one's new secret signing. `None` if it does not exist.
    async fn rotate_webhook_secret(
        &self,
        tenant_id: &str,
        id: &str,
        secret: &WebhookSecret,
        previous_expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Option<Webhook>>;
    /// Delete a webhook; its deliveries (pending ones included) go with it.
    async fn delete_webhook(&self, tenant_id: &str, id: &str) -> Result<bool>;
    /// Make the global webhooks (no tenant) exactly `webhooks`: insert new ones,
    /// update the configured fields of existing ones (keeping their runtime state:
    /// active flag, disabled reason, failure run), delete the rest.
    async fn replace_global_webhooks(&self, webhooks: &[Webhook]) -> Result<()>;
    /// Note a failed attempt: start the webhook's failure run if none is running
    /// and return when it started.
    async fn webhook_failed(
        &self,
        webhook_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>>;
    /// Note a successful attempt: end the webhook's failure run.
    async fn webhook_recovered(&self, webhook_id: &str) -> Result<()>;
    /// Deactivate a webhook with a reason (410 Gone, persistent failure).
    async fn disable_webhook(
        &self,
        webhook_id: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// Rewrite every stored webhook secret and client certificate not sealed
    /// with the sealer's current key (after a master-key rotation, or after
    /// turning encryption on or off).
    /// Returns how many webhooks were rewritten.
    async fn reseal_secrets(&self) -> Result<u64>;
}

/// The history's writes: new events with their deliveries, and attempt
/// results (reads are [`HistoryStore`]'s).
#[async_trait]
pub trait EventStore: Send + Sync + 'static {
    /// Write `batch` in one transaction: its publishes' events and
    /// deliveries (unless the webhook generation moved on: then nothing, and
    /// [`Written::Stale`]), and its attempt results. The one write of the
    /// publish→deliver path; the pipeline's group commit batches into it.
    async fn write(&self, batch: &WriteBatch<'_>) -> Result<Written>;
    /// How many [`write`](Self::write)s may usefully run at once: 1 where
    /// writes serialise anyway (SQLite), more where the database runs them in
    /// parallel.
    fn write_concurrency(&self) -> usize {
        1
    }
    /// Store an event with exactly one delivery, already leased to `owner`, so no
    /// worker claims it (a synchronous test send).
    async fn insert_leased(&self, event: &Event, delivery: &Delivery, owner: &str) -> Result<()>;
    /// Queue new deliveries of events already stored (a replay), unless the
    /// webhook generation moved on from `generation` (the one their webhooks
    /// were looked up at): then nothing is written and `false` comes back.
    /// Wakes the workers of every node.
    async fn queue_deliveries(&self, deliveries: &[Delivery], generation: i64) -> Result<bool>;
}

/// The delivery queue. The deliveries table is the queue: due rows are claimed
/// with a lease (`next_attempt_at` pushed to the lease's end), so a crashed
/// worker's deliveries become due again by themselves.
#[async_trait]
pub trait QueueStore: Send + Sync + 'static {
    /// Lease up to `limit` due deliveries (oldest due first) to `owner` until
    /// `lease_until`, skipping the webhooks in `skip_webhooks` (those this worker
    /// already has at their concurrency cap). Safe to call from many processes.
    async fn claim_due(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
        skip_webhooks: &[String],
    ) -> Result<Vec<Job>>;
    /// Hand claimed deliveries back, due at `now` (a worker claimed more for one
    /// webhook than its concurrency cap allows).
    async fn unclaim(&self, owner: &str, ids: &[DeliveryId], now: DateTime<Utc>) -> Result<()>;
    /// Take the next send slot of a webhook with a rate limit: one request
    /// per `interval_us` microseconds, over every node (generic cell rate
    /// algorithm on one row per webhook). Granted, the slot is `now` or the
    /// first one after those already taken, and the next is one interval
    /// later. With `latest`, a slot after it is not taken: the answer is
    /// [`SendSlot::Busy`] with the first free one.
    async fn take_send_slot(
        &self,
        webhook_id: &str,
        interval_us: i64,
        now: DateTime<Utc>,
        latest: Option<DateTime<Utc>>,
    ) -> Result<SendSlot>;
    /// When the earliest unfinished delivery is due, to sleep exactly until then.
    async fn next_due_at(&self) -> Result<Option<DateTime<Utc>>>;
    /// Make `owner`'s leased deliveries due at `now` (graceful shutdown, or a
    /// single-node restart). Only leases still in force: a claim sets
    /// `next_attempt_at` to the lease's end, so an expired lease is due
    /// already — and leaving those out keeps this a range scan of the due
    /// index's future, not of a whole backlog (1,000,000 due rows: 4.6 s).
    async fn release_leases(&self, owner: Option<&str>, now: DateTime<Utc>) -> Result<u64>;
    /// Worker `owner` is alive at `now`: write its heartbeat, and take back the
    /// leases of every other worker last seen before `dead_before` — a killed
    /// process cannot release its own — making their deliveries due at `now`
    /// and forgetting those workers. Leases end by `leases_end_by` (now plus
    /// the lease), which bounds the due index's range read, as in
    /// [`release_leases`](Self::release_leases). Returns the deliveries taken
    /// back.
    async fn heartbeat(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        dead_before: DateTime<Utc>,
        leases_end_by: DateTime<Utc>,
    ) -> Result<u64>;
    /// Make due the first delivery of every fifo line that has unfinished
    /// deliveries but none due, leased or scheduled — a line whose first
    /// delivery was deleted (with its event, by retention) or whose deliveries
    /// were queued again by hand (they rejoin their line in publish order).
    /// Every worker runs it with its heartbeat, so such a line goes on within
    /// one heartbeat interval. Returns how many were made due.
    async fn resume_fifo_lines(&self, now: DateTime<Utc>) -> Result<u64>;
    /// Wake `wake` whenever another process makes deliveries due (PostgreSQL
    /// `LISTEN/NOTIFY`); in-process publishes wake it directly. Default: nothing.
    fn watch(&self, _wake: Arc<Notify>) {}
}

/// Window statistics, computed in SQL over covering indexes.
#[async_trait]
pub trait StatsStore: Send + Sync + 'static {
    /// One webhook's deliveries created since `since`.
    async fn webhook_stats(
        &self,
        tenant_id: &str,
        webhook_id: &str,
        since: DateTime<Utc>,
    ) -> Result<WebhookStats>;
    /// Delivery counts since `since` of each of `webhook_ids` that has
    /// deliveries in the window (absent: none), in one query.
    async fn webhook_counts(
        &self,
        webhook_ids: &[WebhookId],
        since: DateTime<Utc>,
    ) -> Result<std::collections::HashMap<WebhookId, WebhookCounts>>;
    /// A tenant's deliveries created since `since`; the retry queue as of `now`.
    async fn tenant_stats(
        &self,
        tenant_id: &str,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<TenantStats>;
    /// One webhook's deliveries created since `since`, counted per bucket of
    /// `bucket_ms` (bucket `n` starts at `since + n * bucket_ms`). Only buckets
    /// with deliveries are returned, in order.
    async fn webhook_timeline(
        &self,
        webhook_id: &str,
        since: DateTime<Utc>,
        bucket_ms: i64,
    ) -> Result<Vec<TimelineBucket>>;
    /// Unfinished deliveries due by `now` and scheduled after it (all tenants).
    async fn queue_depth(&self, now: DateTime<Utc>) -> Result<(u64, u64)>;
}

/// Bounded clean-up of old history. Each call does at most `batch` rows of work
/// and returns how many it did, so callers loop without holding long locks.
#[async_trait]
pub trait RetentionStore: Send + Sync + 'static {
    /// Delete up to `batch` events created before `cutoff`, with their
    /// deliveries and attempts.
    async fn purge_events(&self, cutoff: DateTime<Utc>, batch: u32) -> Result<u64>;
    /// Forget the idempotency keys of up to `batch` events created before `cutoff`.
    async fn expire_idempotency_keys(&self, cutoff: DateTime<Utc>, batch: u32) -> Result<u64>;
    /// Delete up to `batch` final deliveries beyond the newest `keep` of each webhook.
    async fn trim_deliveries(&self, keep: u32, batch: u32) -> Result<u64>;
}
