//! The event-type catalog (PostgreSQL).
//!
//! Owns the SQL of [`CatalogStore`](crate::store::CatalogStore). Each engine
//! caches the names (`service/catalog.rs`); this module only reads and writes
//! rows.

use async_trait::async_trait;
use sqlx::Row;

use super::{Error, PgStore, Result};
use crate::model::EventType;
use crate::store::CatalogStore;

#[async_trait]
impl CatalogStore for PgStore {
    /// The whole catalog by name: it is small, and the engine caches the
    /// names it checks publishes against.
    async fn event_types(&self) -> Result<Vec<EventType>> {
        let rows = sqlx::query("SELECT name, description FROM event_types ORDER BY name")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(EventType {
                    name: r.try_get("name")?,
                    description: r.try_get("description")?,
                })
            })
            .collect()
    }

    /// A name taken already is a conflict naming the type.
    async fn insert_event_type(&self, et: &EventType) -> Result<()> {
        sqlx::query("INSERT INTO event_types (name, description) VALUES ($1, $2)")
            .bind(&et.name)
            .bind(&et.description)
            .execute(&self.pool)
            .await
            .map_err(|e| Error::from_sqlx(e, &format!("event type {:?}", et.name)))?;
        Ok(())
    }

    /// The config file's types at start: a type that exists keeps its row
    /// and takes the file's description.
    async fn upsert_event_type(&self, et: &EventType) -> Result<()> {
        sqlx::query(
            "INSERT INTO event_types (name, description) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET description = excluded.description",
        )
        .bind(&et.name)
        .bind(&et.description)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
