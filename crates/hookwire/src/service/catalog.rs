//! The event-type catalog.
//!
//! The rows are the store's; the names the engine checks against are cached
//! per process (`catalog_names`), which can only miss a type added elsewhere
//! and then reads the store again before rejecting anything.

use super::Hookwire;
use crate::model::EventType;
use crate::Error;

/// Whether `name` is one of hookwire's own event types (reserved).
pub(crate) fn is_operational(name: &str) -> bool {
    name.starts_with(OPERATIONAL_PREFIX)
}

/// The prefix of hookwire's own event types.
const OPERATIONAL_PREFIX: &str = "hookwire.";

impl Hookwire {
    /// The catalog tenants publish from, by name: every entry but the
    /// operational types (`hookwire.*`), which only hookwire publishes (to the
    /// operational webhooks).
    pub async fn event_types(&self) -> Result<Vec<EventType>, Error> {
        let mut types = self.store.event_types().await?;
        types.retain(|t| !is_operational(&t.name));
        Ok(types)
    }

    /// Add an entry; a taken name is a conflict.
    pub async fn create_event_type(
        &self,
        name: &str,
        description: &str,
    ) -> Result<EventType, Error> {
        let et = EventType::new(name, description)?;
        if is_operational(&et.name) {
            return Err(crate::ValidationError::field(
                "name",
                "hookwire.* names are reserved for hookwire's own events",
            )
            .into());
        }
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
