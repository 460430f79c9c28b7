//! The event-type catalog's SQL (SQLite); the operations are shared
//! ([`crate::store::sql::catalog`]).
//!
//! SQL text only: the control flow is shared.

use super::SqliteStore;
use crate::store::sql::catalog::CatalogSql;

impl CatalogSql for SqliteStore {
    const ALL: &'static str = "SELECT name, description FROM event_types ORDER BY name";
    const INSERT: &'static str =
        "INSERT INTO event_types (name, description, created_at) VALUES (?1, ?2, ?3)";
    const UPSERT: &'static str =
        "INSERT INTO event_types (name, description, created_at) VALUES (?1, ?2, ?3) \
         ON CONFLICT (name) DO UPDATE SET description = excluded.description";
}
