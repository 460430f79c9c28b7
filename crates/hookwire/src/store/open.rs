//! Opening a store: the URL picks the backend.
//!
//! It picks and opens; migrations run inside each backend's `open`.

use super::{DynStore, Error, Result};

/// Open the database named by `url` (`sqlite://path`, `sqlite::memory:`,
/// `postgres://…`), creating a SQLite file if needed, and apply migrations.
///
/// # Upgrades
///
/// Migrations only add (tables, nullable or defaulted columns, indexes), and
/// applied ones are never edited, so a version's statements stay valid on
/// the next version's schema. A database that a newer version has already
/// migrated therefore opens here too: its newer migrations are left as they
/// are, not refused. That is what lets a node one version behind keep
/// working, and restart, while a rolling upgrade runs.
pub async fn open(url: &str) -> Result<DynStore> {
    open_sealed(url, crate::secret::sealer::Sealer::default()).await
}

/// [`open`], with webhook secrets encrypted at rest by `sealer`.
pub async fn open_sealed(url: &str, sealer: crate::secret::sealer::Sealer) -> Result<DynStore> {
    open_with(
        url,
        OpenOptions {
            sealer,
            ..OpenOptions::default()
        },
    )
    .await
}

/// How a store is opened, beyond its URL.
#[derive(Clone)]
pub struct OpenOptions {
    /// Seals webhook secrets on write and opens them on read.
    pub sealer: crate::secret::sealer::Sealer,
    /// PostgreSQL: connections of the main pool (the API's queries and the
    /// queue's other statements); the hot statements' pool adds
    /// `postgres::HOT_CONNECTIONS`. Each node opens up to their sum, so
    /// the server's `max_connections` bounds nodes × sum. Unused by SQLite.
    pub max_connections: u32,
}

impl Default for OpenOptions {
    fn default() -> Self {
        Self {
            sealer: Default::default(),
            max_connections: 16,
        }
    }
}

/// [`open`], with `options`.
/// A backend left out of the build (cargo features `sqlite`, `postgres`) is
/// [`Error::UnsupportedUrl`].
pub async fn open_with(url: &str, options: OpenOptions) -> Result<DynStore> {
    #[cfg(feature = "sqlite")]
    if url.starts_with("sqlite:") {
        let store = super::sqlite::SqliteStore::open_sealed(url, options.sealer).await?;
        return Ok(std::sync::Arc::new(store));
    }
    #[cfg(feature = "postgres")]
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let store = super::postgres::PgStore::open_with(url, options).await?;
        return Ok(std::sync::Arc::new(store));
    }
    #[cfg(not(any(feature = "sqlite", feature = "postgres")))]
    let _ = options;
    Err(Error::UnsupportedUrl(url.to_owned()))
}
