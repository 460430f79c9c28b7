//! The PostgreSQL backend, for many hookwire nodes on one database.
//!
//! Everything a node needs to know lives in the database, so any number of
//! `hookwire serve` processes behave as one service.
//!
//! # Plans on growing tables
//!
//! The queue's statements (the claim, the result batch, unclaiming, the next
//! due time) are sent unprepared (`persistent(false)`), so PostgreSQL plans
//! each run for the table's current size. A prepared statement soon switches
//! to a generic plan, and one made while `deliveries` was small keeps its
//! sequential scan as the table grows, until an ANALYZE invalidates it: on a
//! fresh database every result batch read the whole table (13 M rows read in a
//! 20,000-event run; unprepared, the same run read 0.17 M and delivered ~20 %
//! more per second).
//!
//! Publishes go the other way, on a pool of their own whose sessions always
//! use generic plans (`plan_cache_mode = force_generic_plan`). Their statements
//! read nothing but unique-key lookups (webhooks, events by idempotency key,
//! the one-row webhook generation), so no table size changes their plan — yet
//! in the default mode PostgreSQL re-planned the multi-`INSERT` statement for
//! every batch, its custom plans looking cheaper than the generic one. Measured
//! alternately: database CPU at 1,000 events/s 0.95–1.00 → 0.81–0.82 cores,
//! one webhook at saturation +4 to +15 %. (Generic plans for every statement
//! gave only −5 %: the unprepared queue statements plan worse that way.)

mod catalog;
mod events;
mod publish;
mod queue;
mod record;
mod retention;
mod stats;
mod tenants;
mod webhooks;

/// The channel on which publishes and requeues wake every node's worker.
const WAKEUP_CHANNEL: &str = "hookwire_wakeup";

/// Publish batches committed at once ([`crate::store::EventStore::write_concurrency`]):
/// a few in flight keep connections busy while one waits for its WAL flush.
const PUBLISH_SLOTS: usize = 4;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use super::webhook_cache::WebhookCache;
use super::{Error, Result};
use crate::secret::sealer::Sealer;

/// A PostgreSQL database shared by every node.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    /// Connections for publishes only, planned generically (see above).
    publisher: PgPool,
    /// Seals webhook secrets on write and opens them on read.
    sealer: Sealer,
    /// Webhook lookups of publishes, reused while the webhooks do not change.
    webhooks: std::sync::Arc<WebhookCache>,
}

impl PgStore {
    /// Connect and migrate (migrations take an advisory lock, so nodes starting
    /// together do not race).
    pub async fn open(url: &str) -> Result<Self> {
        Self::open_sealed(url, Sealer::default()).await
    }

    /// Connect and migrate, sealing webhook secrets with `sealer`.
    pub async fn open_sealed(url: &str, sealer: Sealer) -> Result<Self> {
        let opts = PgConnectOptions::from_str(url)?.application_name("hookwire");
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(opts.clone())
            .await
            .map_err(|e| Error::from_sqlx(e, "connection"))?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        let publisher = PgPoolOptions::new()
            .max_connections(PUBLISH_SLOTS as u32)
            .acquire_timeout(Duration::from_secs(5))
            .connect_lazy_with(opts.options([("plan_cache_mode", "force_generic_plan")]));
        Ok(Self {
            pool,
            publisher,
            sealer,
            webhooks: Default::default(),
        })
    }
}
