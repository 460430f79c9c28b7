//! The event-type catalog.

use super::Hookwire;
use crate::model::EventType;
use crate::Error;

impl Hookwire {
    /// Every catalog entry, by name.
    pub async fn event_types(&self) -> Result<Vec<EventType>, Error> {
        Ok(self.store.event_types().await?)
    }

    /// Add an entry; a taken name is a conflict.
    pub async fn create_event_type(
        &self,
        name: &str,
        description: &str,
    ) -> Result<EventType, Error> {
        let et = EventType::new(name, description)?;
        self.store.insert_event_type(&et).await?;
        Ok(et)
    }

    /// Make sure these entries exist (config-file types, applied at start-up; safe
    /// to run on every node).
    pub async fn ensure_event_types(&self, types: &[EventType]) -> Result<(), Error> {
        for et in types {
            let et = EventType::new(&et.name, &et.description)?;
            self.store.upsert_event_type(&et).await?;
        }
        Ok(())
    }
}
