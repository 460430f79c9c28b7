//! One job's run, from its start to its recorded result: the circuit's gate,
//! the webhook's rate-limit turn, the attempt itself
//! ([`crate::delivery::attempt`]), counting it on the circuit, and the
//! operational events it causes. The lane place and the global permit are
//! held by [`holds`](super::holds) and given back on every path.
//!
//! It must not choose jobs (the claim and the hand-off do) nor write rows
//! itself: the result goes through the group commit.

use std::time::Instant;

use chrono::{DateTime, Utc};

use super::holds::{LaneHold, Permit};
use super::Worker;
use crate::delivery::attempt;
use crate::delivery::rate_limit::{self, Turn, MAX_SLOT_WAIT};
use crate::model::{Attempt, DeliveryStatus, OperationalEvent};
use crate::pipeline::lanes::Start;
use crate::store::{Gate, Job};
use crate::{clock, Hookwire};

impl Worker {
    /// Attempt one job. Its place in its lane is given back as soon as the HTTP exchange
    /// ends; its global permit once the result is recorded.
    pub(super) async fn attempt(self, start: Start) {
        let s = &self.shared;
        let Start { job, permit } = start;
        let _permit = Permit {
            worker: self.clone(),
            permit: Some(permit),
        };
        let mut hold = Some(LaneHold {
            worker: self.clone(),
            webhook_id: job.webhook.id.as_str().to_owned(),
            started: Instant::now(),
            took: None,
        });
        // A webhook whose circuit is open: the store sent the delivery back
        // to wait for the probe; no attempt is made.
        let gate = match s.breaker.gate(&job, &s.owner, clock::now()).await {
            Ok(Gate::Wait(_)) => {
                metrics::counter!("hookwire_circuit_waits_total").increment(1);
                return;
            }
            Ok(gate) => gate,
            // No answer, no request: the lease expires and the delivery is due again.
            Err(e) => {
                tracing::warn!(delivery_id = %job.delivery.id, error = %e, "reading the circuit breaker failed");
                return;
            }
        };
        // A webhook with a rate limit: wait for its send slot (holding its place
        // in the lane, so the lane does not start more), or, when that is too far
        // off, hand the delivery back to the queue — no attempt is made.
        let later = match rate_limit::wait_turn(&s.store, &job.webhook, Some(MAX_SLOT_WAIT)).await {
            Ok(Turn::Now) => None,
            Ok(Turn::Later(due)) => Some(due),
            // No send slot, no request: the lease expires and the delivery is due again.
            Err(e) => {
                tracing::warn!(delivery_id = %job.delivery.id, error = %e, "taking a send slot failed");
                return;
            }
        };
        if let Some(due) = later {
            let wait = (due - clock::now()).to_std().unwrap_or(MAX_SLOT_WAIT);
            if let Some(held) = hold.as_mut() {
                held.took = Some(wait.max(MAX_SLOT_WAIT));
            }
            metrics::counter!("hookwire_rate_limited_requeues_total").increment(1);
            let ids = std::slice::from_ref(&job.delivery.id);
            match s.store.unclaim(&s.owner, ids, due).await {
                Ok(()) => self.wake_for(due),
                Err(e) => {
                    tracing::warn!(delivery_id = %job.delivery.id, error = %e, "could not requeue a rate-limited delivery");
                }
            }
            return;
        }
        let in_flight = metrics::gauge!("hookwire_deliveries_in_flight");
        in_flight.increment(1.0);
        let ctx = attempt::Context {
            store: &s.store,
            sender: &s.sender,
            owner: &s.owner,
            recorder: s.recorder.as_ref(),
            auto_disable_after: s.auto_disable_after,
        };
        // A success frees the lane's place as soon as the exchange is over; a
        // failure keeps it until the circuit has counted it, so a failing
        // webhook's next attempt starts only once an opening would be seen.
        let result = attempt::run(&ctx, &job, None, &mut |ok| {
            if ok {
                drop(hold.take());
            }
        })
        .await;
        let opened = match &result {
            Ok((attempt, _)) if job.webhook.is_active => self.count(&job, attempt, gate).await,
            _ => None,
        };
        drop(hold);
        match result {
            Ok((attempt, decision)) => {
                if let Some(due) = decision.result.next_attempt_at {
                    self.wake_for(due);
                }
                if job.webhook.is_active {
                    report(&s.engine, &job, &attempt, &decision, opened).await;
                }
            }
            // The lease expires and another attempt follows; nothing is lost.
            Err(e) => {
                tracing::warn!(delivery_id = %job.delivery.id, error = %e, "recording an attempt failed");
            }
        }
        in_flight.decrement(1.0);
    }
}

impl Worker {
    /// Count an attempt on its webhook's circuit. A failure to count is
    /// logged and otherwise ignored: the attempt is recorded, and the next
    /// one counts again.
    async fn count(&self, job: &Job, attempt: &Attempt, gate: Gate) -> Option<DateTime<Utc>> {
        let s = &self.shared;
        match s
            .breaker
            .after(&job.webhook.id, attempt, gate, clock::now())
            .await
        {
            Ok(opened) => opened,
            Err(e) => {
                tracing::warn!(webhook_id = %job.webhook.id, error = %e, "counting an attempt on the circuit breaker failed");
                None
            }
        }
    }
}

/// Tell the operational webhooks what an attempt did to its webhook (disabled
/// it, opened its circuit) and its delivery (its last attempt failed).
async fn report(
    engine: &Hookwire,
    job: &Job,
    attempt: &Attempt,
    decision: &attempt::Decision,
    circuit_opened: Option<DateTime<Utc>>,
) {
    let tenant = &job.event.tenant_id;
    let last_error = || {
        attempt
            .error_message
            .clone()
            .or_else(|| attempt.http_status.map(|s| format!("HTTP {s}")))
    };
    if let Some(next_probe_at) = circuit_opened {
        let event = OperationalEvent::circuit_opened(
            tenant,
            &job.webhook.id,
            &job.webhook.url,
            last_error().as_deref(),
            next_probe_at,
        );
        engine.emit_operational(event).await;
    }
    if let Some(reason) = &decision.disable {
        let event =
            OperationalEvent::webhook_disabled(tenant, &job.webhook.id, &job.webhook.url, reason);
        engine.emit_operational(event).await;
    }
    if decision.result.status == DeliveryStatus::Failed {
        let last_error = last_error();
        let event = OperationalEvent::delivery_exhausted(
            tenant,
            &job.webhook.id,
            &job.delivery.id,
            &job.event.id,
            attempt.attempt_number,
            last_error.as_deref(),
        );
        engine.emit_operational(event).await;
    }
}
