//! The store contract, run against SQLite and PostgreSQL alike.

mod batch;
mod bulk_retries;
mod circuits;
mod history;
mod listing;
mod migrations;
mod pool;
mod send_slots;
mod tenants;
mod webhook_updates;
mod webhooks;
mod workers;

use hookwire::store::{self, DynStore};
use hookwire::testing::{Backend, TestDatabase};

/// A migrated store on a fresh database; `None` = skip (see `TestDatabase`).
pub async fn fresh_store(backend: Backend) -> Option<(DynStore, TestDatabase)> {
    let db = TestDatabase::create(backend).await?;
    let store = store::open(&db.url).await.expect("open store");
    Some((store, db))
}
