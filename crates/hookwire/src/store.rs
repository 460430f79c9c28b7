//! Persistence: one [`Store`] interface, two backends.
//!
//! [`sqlite`] is the embedded default (one file, one node); [`postgres`] serves any
//! number of hookwire nodes sharing one database. Each backend speaks its own SQL
//! dialect and has its own migrations folder (`migrations/sqlite`,
//! `migrations/postgres`), embedded in the binary and applied by [`open`].

use std::sync::Arc;

use async_trait::async_trait;

use crate::model::{ApiKey, EventType, EventTypeName, Tenant, Webhook};
use crate::page::{Page, PageRequest};

pub mod postgres;
pub mod sqlite;

/// A store shared by every part of a process.
pub type DynStore = Arc<dyn Store>;

/// Store operations fail with this.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A unique key is taken; the text says which object.
    #[error("{0}")]
    Conflict(String),
    /// The database cannot be reached right now (connection refused, pool timed
    /// out); worth retrying later, and a 503 to API clients.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    /// Any other database error.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    /// A stored value could not be decoded (should never happen; logged loudly).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// Applying migrations failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The `database_url` names no supported backend.
    #[error("unsupported database_url {0:?}: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
}

/// Result of store operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Classify a driver error; `what` names the object for a conflict message.
    pub(crate) fn from_sqlx(e: sqlx::Error, what: &str) -> Self {
        match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                Error::Conflict(format!("{what} already exists"))
            }
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Tls(_) => Error::Unavailable(e),
            _ => Error::Database(e),
        }
    }
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Error::from_sqlx(e, "object")
    }
}

/// Narrows a webhook list.
#[derive(Debug, Clone, Default)]
pub struct WebhookFilter {
    /// Only webhooks that would receive an event of this type.
    pub event: Option<EventTypeName>,
    /// Only active (or only inactive) webhooks.
    pub is_active: Option<bool>,
}

/// Everything hookwire keeps: the union of the per-concern traits below.
/// Implementations must be safe to share between tasks and, for PostgreSQL,
/// between processes: no method may rely on state held in one process.
pub trait Store: TenantStore + CatalogStore + WebhookStore {}

impl<T: TenantStore + CatalogStore + WebhookStore> Store for T {}

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
    /// A tenant's webhooks, newest first.
    async fn list_webhooks(
        &self,
        tenant_id: &str,
        filter: &WebhookFilter,
        page: &PageRequest,
    ) -> Result<Page<Webhook>>;
    /// Save every field of an existing webhook; `false` if it no longer exists.
    async fn update_webhook(&self, webhook: &Webhook) -> Result<bool>;
    /// Delete a webhook; its deliveries (pending ones included) go with it.
    async fn delete_webhook(&self, tenant_id: &str, id: &str) -> Result<bool>;
}

/// Open the database named by `url` (`sqlite://path`, `sqlite::memory:`,
/// `postgres://…`), creating a SQLite file if needed, and apply migrations.
pub async fn open(url: &str) -> Result<DynStore> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(sqlite::SqliteStore::open(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(postgres::PgStore::open(url).await?))
    } else {
        Err(Error::UnsupportedUrl(url.to_owned()))
    }
}
