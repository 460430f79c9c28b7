//! What a claim hands a worker: each claimed delivery with its event and
//! webhook, paired here.
//!
//! It pairs rows and builds no SQL: each backend runs the claim's
//! transaction where its claims belong (`store/sql/claim.rs` holds the
//! statements' order).

use std::collections::HashMap;
use std::sync::Arc;

use crate::model::{Delivery, Event, Webhook};

/// A leased delivery with everything needed to attempt it.
#[derive(Debug, Clone)]
pub struct Job {
    /// The delivery, as leased (its `attempt_count` is the attempts made so far).
    pub delivery: Delivery,
    /// What to send: shared by the jobs of one event (a fan-out to N
    /// webhooks holds one copy of the payload, not N).
    pub event: Arc<Event>,
    /// Where and how to send it: shared with the webhook cache and the
    /// event's other jobs, not copied per delivery.
    pub webhook: Arc<Webhook>,
}

/// Pair claimed deliveries with their events and webhooks. A delivery whose
/// event or webhook vanished meanwhile is dropped: it was deleted with them.
pub(crate) fn assemble_jobs(
    deliveries: Vec<Delivery>,
    events: Vec<Event>,
    webhooks: Vec<Webhook>,
) -> Vec<Job> {
    let events: HashMap<_, _> = events
        .into_iter()
        .map(|e| (e.id.clone(), Arc::new(e)))
        .collect();
    let webhooks: HashMap<_, _> = webhooks
        .into_iter()
        .map(|w| (w.id.clone(), Arc::new(w)))
        .collect();
    deliveries
        .into_iter()
        .filter_map(|delivery| {
            let event = events.get(&delivery.event_id)?.clone();
            let webhook = webhooks.get(&delivery.webhook_id)?.clone();
            Some(Job {
                delivery,
                event,
                webhook,
            })
        })
        .collect()
}
