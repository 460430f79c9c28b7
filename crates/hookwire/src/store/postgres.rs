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
            .connect_with(opts)
            .await
            .map_err(|e| Error::from_sqlx(e, "connection"))?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(Self {
            pool,
            sealer,
            webhooks: Default::default(),
        })
    }
}
