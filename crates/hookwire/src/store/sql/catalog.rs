//! The event-type catalog, once for both backends. Each engine caches the
//! names (`service/catalog.rs`); this module only reads and writes rows. The
//! SQL text is each backend's ([`CatalogSql`]).
//!
//! No SQL text and no driver type here.

use async_trait::async_trait;

use super::{Arg, Dialect, Read};
use crate::model::EventType;
use crate::store::{CatalogStore, Result};

/// The catalog's statements in one backend's dialect; the comment of each
/// lists its placeholders in order.
pub(crate) trait CatalogSql {
    /// No placeholders: every type, by name.
    const ALL: &'static str;
    /// `name, description, created_at`; a name taken already violates the
    /// primary key.
    const INSERT: &'static str;
    /// `name, description, created_at`; an existing name keeps its row and
    /// takes the new description.
    const UPSERT: &'static str;
}

#[async_trait]
impl<D: Dialect + CatalogSql + 'static> CatalogStore for D {
    /// The whole catalog by name: it is small, and the engine caches the
    /// names it checks publishes against.
    async fn event_types(&self) -> Result<Vec<EventType>> {
        let rows = self.read(D::ALL, &[]).await?;
        rows.iter()
            .map(|r| {
                Ok(EventType {
                    name: r.text("name")?,
                    description: r.text("description")?,
                })
            })
            .collect()
    }

    /// A name taken already is a conflict naming the type.
    async fn insert_event_type(&self, et: &EventType) -> Result<()> {
        let what = format!("event type {:?}", et.name);
        let args = [
            Arg::from(&et.name),
            (&et.description).into(),
            crate::clock::now().into(),
        ];
        self.write(&what, D::INSERT, &args).await?;
        Ok(())
    }

    /// The config file's types at start: a type that exists keeps its row
    /// and takes the file's description.
    async fn upsert_event_type(&self, et: &EventType) -> Result<()> {
        let args = [
            Arg::from(&et.name),
            (&et.description).into(),
            crate::clock::now().into(),
        ];
        self.write("event type", D::UPSERT, &args).await?;
        Ok(())
    }
}
