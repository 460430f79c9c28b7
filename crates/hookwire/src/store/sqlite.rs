//! The embedded SQLite backend (the default).
//!
//! SQLite allows one writer at a time. Rather than let connections fight over the
//! write lock (and see `SQLITE_BUSY` on lock upgrades), writes go through one
//! connection (module `writer`), so they queue in-process; reads use a pool and,
//! thanks to WAL mode, never wait for writers. `synchronous = FULL` makes every
//! commit durable before we answer (an accepted event survives power loss, not
//! only a process crash).

mod audit;
mod catalog;
mod circuits;
mod columns;
mod dialect;
mod events;
mod fifo;
mod history;
mod lock;
mod queue;
mod record;
mod requeue;
mod retention;
mod rows;
mod sessions;
mod stats;
mod tenants;
mod webhooks;
mod write;
mod writer;

pub use lock::ProcessLock;

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

use super::{Error, Result};
use crate::secret::sealer::Sealer;

/// Settings of every connection (sqlx's and the writer's rusqlite one).
/// `synchronous = FULL`: a commit is durable before it returns. Multi-row
/// statements keep a statement journal; `temp_store = memory` keeps it in
/// memory, not in a temporary file created and unlinked per statement.
const PRAGMAS: [(&str, &str); 3] = [
    ("synchronous", "FULL"),
    ("foreign_keys", "ON"),
    ("temp_store", "memory"),
];

/// How long a connection waits for another process's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// A SQLite database file (or in-memory database).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: writer::Writer,
    reader: SqlitePool,
    /// Seals webhook secrets on write and opens them on read.
    sealer: Sealer,
}

impl SqliteStore {
    /// Open (creating if missing) and migrate; secrets stored in clear.
    pub async fn open(url: &str) -> Result<Self> {
        Self::open_sealed(url, Sealer::default()).await
    }

    /// Open and migrate, sealing webhook secrets with `sealer`.
    pub async fn open_sealed(url: &str, sealer: Sealer) -> Result<Self> {
        let mut opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(BUSY_TIMEOUT);
        for (name, value) in PRAGMAS {
            opts = opts.pragma(name, value);
        }
        let writer = writer::Writer::connect(&opts, &PRAGMAS, BUSY_TIMEOUT).await?;
        let mut migrator = sqlx::migrate!("./migrations/sqlite");
        // A database migrated by a newer version still opens (see
        // store::open's "Upgrades").
        migrator.set_ignore_missing(true);
        migrator.run(&mut *writer.lock().await).await?;
        // An in-memory database (`sqlite::memory:`) is one per name: sqlx names
        // it once per parsed URL and opens it in shared-cache mode, so the
        // readers below, opened with the same options, see the writer's data.
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts)
            .await?;
        Ok(Self {
            writer,
            reader,
            sealer,
        })
    }
}

/// SQLite keeps times as milliseconds since the epoch (`INTEGER`): they sort
/// and compare as numbers, and an index on them is compact.
fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// A stored time; one out of chrono's range is corrupt data.
fn time(ms: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms).ok_or_else(|| Error::Corrupt(format!("time {ms}")))
}

/// A nullable stored time.
fn opt_time(ms: Option<i64>) -> Result<Option<DateTime<Utc>>> {
    ms.map(time).transpose()
}

/// Lists and maps are stored as JSON text (SQLite has no arrays); also the
/// form `json_each` takes a bound list in.
fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Corrupt(e.to_string()))
}

/// A JSON column read back; `what` names the column in the corruption error.
fn json<T: serde::de::DeserializeOwned>(raw: &str, what: &str) -> Result<T> {
    serde_json::from_str(raw).map_err(|e| Error::Corrupt(format!("{what}: {e}")))
}
