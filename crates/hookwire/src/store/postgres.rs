//! The PostgreSQL backend, for many hookwire nodes on one database.
//!
//! Everything a node needs to know lives in the database, so any number of
//! `hookwire serve` processes behave as one service.
//!
//! # Plans on growing tables
//!
//! A prepared statement soon switches to a generic plan, and one made while
//! `deliveries` was small keeps its sequential scan as the table grows, until
//! an ANALYZE invalidates it: on a fresh database every result batch read the
//! whole table (13 M rows read in a 20,000-event run; planned per run, the same
//! run read 0.17 M and delivered ~20 % more per second).
//!
//! So the hot statements (publishes, attempt results, the claim) run on a pool
//! of their own whose sessions always use generic plans and may not scan a
//! table or join by hashing or merging: every statement there reads and writes
//! rows by key or walks the due index, so the only plans left are nested loops
//! of index probes, O(batch) at any table size, made once per connection
//! instead of once per batch (`tests.rs` checks them on a fresh database).
//! In the default mode PostgreSQL re-planned the multi-`INSERT` publish for
//! every batch (its custom plans looking cheaper), and the result batch, sent
//! unprepared, was parsed and planned every time. JIT is off there: a plan
//! the settings leave no cheaper choice than costs "10 billion" by the
//! planner's arithmetic, and JIT-compiling every run of it cost 20 ms.
//! Measured alternately (commit 3b314e2, 2026-12-05): database CPU per delivery
//! −10 to −20 %. (Generic plans without those settings, for every statement,
//! gave only −5 %: the claim plans worse that way.)
//!
//! The rest of the queue's statements (unclaiming, the next due time, the
//! operators' requeues) run on the main pool; the two that read by status are
//! sent unprepared (`persistent(false)`) and planned per run.

mod audit;
mod catalog;
mod circuits;
mod dialect;
mod events;
mod fifo;
mod history;
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

#[cfg(test)]
mod tests;

/// The channel on which publishes and requeues wake every node's worker.
const WAKEUP_CHANNEL: &str = "hookwire_wakeup";

/// Group commits in flight at once ([`crate::store::EventStore::write_concurrency`]):
/// a few keep connections busy while one waits for its WAL flush.
const COMMIT_TURNS: usize = 4;

/// Connections of the hot statements' pool: one per commit turn, and one for
/// the claim.
pub const HOT_CONNECTIONS: u32 = COMMIT_TURNS as u32 + 1;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::Connection as _;

use super::{Error, OpenOptions, Result};
use crate::secret::sealer::Sealer;

/// The session settings of the write connections (see "Plans on growing
/// tables" above).
fn write_options(opts: PgConnectOptions) -> PgConnectOptions {
    opts.options([
        ("plan_cache_mode", "force_generic_plan"),
        ("enable_seqscan", "off"),
        ("enable_hashjoin", "off"),
        ("enable_mergejoin", "off"),
        ("jit", "off"),
    ])
}

/// A PostgreSQL database shared by every node.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    /// Connections for the hot statements: the group commit's writes
    /// (publishes and attempt results; one per commit turn) and the claim,
    /// planned generically and by key only (see above).
    writes: PgPool,
    /// Seals webhook secrets on write and opens them on read.
    sealer: Sealer,
}

impl PgStore {
    /// Connect and migrate (migrations take an advisory lock, so nodes starting
    /// together do not race).
    pub async fn open(url: &str) -> Result<Self> {
        Self::open_sealed(url, Sealer::default()).await
    }

    /// Connect and migrate, sealing webhook secrets with `sealer`.
    pub async fn open_sealed(url: &str, sealer: Sealer) -> Result<Self> {
        Self::open_with(
            url,
            OpenOptions {
                sealer,
                ..OpenOptions::default()
            },
        )
        .await
    }

    /// Connect and migrate, with `options`.
    pub async fn open_with(url: &str, options: OpenOptions) -> Result<Self> {
        let OpenOptions {
            sealer,
            max_connections,
        } = options;
        let opts = PgConnectOptions::from_str(url)?.application_name("hookwire");
        // One connection first, so that a database that is down, missing or
        // refusing us says why ("Connection refused", "database … does not
        // exist") at once: the pool would retry for its acquire timeout and
        // report only "pool timed out".
        PgConnection::connect_with(&opts)
            .await
            .map_err(|e| Error::from_sqlx(e, "connection"))?
            .close()
            .await
            .map_err(|e| Error::from_sqlx(e, "connection"))?;
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(opts.clone())
            .await
            .map_err(|e| Error::from_sqlx(e, "connection"))?;
        let mut migrator = sqlx::migrate!("./migrations/postgres");
        // A node one version behind still starts after a newer node migrated
        // (see store::open's "Upgrades").
        migrator.set_ignore_missing(true);
        migrator.run(&pool).await?;
        let writes = PgPoolOptions::new()
            .max_connections(HOT_CONNECTIONS)
            .acquire_timeout(Duration::from_secs(5))
            .connect_lazy_with(write_options(opts));
        Ok(Self {
            pool,
            writes,
            sealer,
        })
    }
}
