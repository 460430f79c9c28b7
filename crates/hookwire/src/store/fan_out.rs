//! Turning a publish or a claim into jobs: the dialect-free halves of both
//! backends' `publish` and `claim_due`.

use std::collections::HashMap;

use async_trait::async_trait;

use super::{DirectClaim, Job, Placement, PublishRequest, Published, Result};
use crate::model::{Delivery, Event, Webhook};

/// A backend's open publish transaction, as [`plan_batch`] needs it.
#[async_trait]
pub(crate) trait PublishTx: Send {
    /// One whole publish (with an idempotency key) inside the transaction.
    async fn publish_one(&mut self, r: &PublishRequest<'_>) -> Result<Published>;
    /// The active webhooks (the tenant's and global ones) whose filters include
    /// one of `patterns` and whose channels admit `event`'s channel.
    async fn matching_webhooks(
        &mut self,
        event: &Event,
        patterns: &[String],
    ) -> Result<Vec<Webhook>>;
}

/// Every publish of `batch` inside `tx`, in order. Publishes with an
/// idempotency key run one by one (each must see the ones before it); the
/// others share one webhook lookup per tenant, type and channel, and their rows
/// are returned for the backend to insert in one statement per table.
pub(crate) async fn plan_batch<'a>(
    tx: &mut dyn PublishTx,
    batch: &[PublishRequest<'a>],
) -> Result<(Vec<Published>, BatchRows<'a>)> {
    let mut out = Vec::with_capacity(batch.len());
    let mut lookups: HashMap<MatchKey<'a>, Vec<Webhook>> = HashMap::new();
    let mut rows = BatchRows::default();
    for r in batch {
        if r.event.idempotency_key.is_some() {
            out.push(tx.publish_one(r).await?);
            continue;
        }
        let key = match_key(r);
        let webhooks = match lookups.get(&key) {
            Some(found) => found.clone(),
            None => {
                let found = tx.matching_webhooks(r.event, r.patterns).await?;
                lookups.insert(key, found.clone());
                found
            }
        };
        out.push(rows.add(r, webhooks));
    }
    Ok((out, rows))
}

/// Publishes of one tenant, with the same type patterns and channel, match the
/// same webhooks: a batch looks them up once per key.
type MatchKey<'a> = (&'a str, &'a [String], Option<&'a str>);

/// The webhook lookup key of a publish.
fn match_key<'a>(r: &PublishRequest<'a>) -> MatchKey<'a> {
    (
        r.event.tenant_id.as_str(),
        r.patterns,
        r.event.channel.as_deref(),
    )
}

/// The rows a batch of publishes without idempotency keys inserts, gathered so
/// each table gets one multi-row statement (dialect-free half of both
/// backends' `publish_batch`).
#[derive(Default)]
pub(crate) struct BatchRows<'a> {
    pub(crate) events: Vec<&'a Event>,
    /// Each delivery with the owner of its lease, if leased.
    pub(crate) deliveries: Vec<(Delivery, Option<&'a str>)>,
    /// Whether some delivery went to the queue (workers need waking).
    pub(crate) queued: bool,
}

impl<'a> BatchRows<'a> {
    /// Fan `r` out to `webhooks` (its matches) and add its rows.
    pub(crate) fn add(&mut self, r: &PublishRequest<'a>, webhooks: Vec<Webhook>) -> Published {
        let fan_out = FanOut::new(r.event, webhooks, r.direct);
        let owner = r.direct.map(|c| c.owner());
        self.events.push(r.event);
        for (d, leased) in fan_out.deliveries.iter().zip(&fan_out.leased) {
            self.queued |= !leased;
            self.deliveries.push((d.clone(), owner.filter(|_| *leased)));
        }
        Published {
            event: r.event.clone(),
            deliveries: fan_out.deliveries,
            duplicate: false,
            direct: fan_out.jobs,
        }
    }
}

/// The deliveries one publish creates, placed by its [`DirectClaim`] (dialect-free
/// half of both backends' `publish`).
pub(crate) struct FanOut {
    /// One per matching webhook, in the order given.
    pub(crate) deliveries: Vec<Delivery>,
    /// Whether each delivery is leased to the claim's owner.
    pub(crate) leased: Vec<bool>,
    /// The leased ones, ready to attempt.
    pub(crate) jobs: Vec<Job>,
}

impl FanOut {
    /// A delivery of `event` for each of `webhooks`: leased where `direct` says
    /// so (due when the lease ends, so only an expired lease lets another worker
    /// take it), otherwise queued, due when it says.
    pub(crate) fn new(
        event: &Event,
        webhooks: Vec<Webhook>,
        direct: Option<&dyn DirectClaim>,
    ) -> Self {
        let mut out = Self {
            deliveries: Vec::with_capacity(webhooks.len()),
            leased: Vec::with_capacity(webhooks.len()),
            jobs: Vec::new(),
        };
        for webhook in webhooks {
            let mut d = Delivery::pending(event, webhook.id.clone());
            let placement = direct.map(|c| c.place(&webhook));
            match (placement, direct) {
                (Some(Placement::Leased), Some(claim)) => {
                    d.next_attempt_at = Some(claim.lease_until());
                    out.jobs.push(Job {
                        delivery: d.clone(),
                        event: event.clone(),
                        webhook,
                    });
                    out.leased.push(true);
                }
                (Some(Placement::Queued(due)), _) => {
                    d.next_attempt_at = Some(due);
                    out.leased.push(false);
                }
                _ => out.leased.push(false),
            }
            out.deliveries.push(d);
        }
        out
    }
}

/// Pair claimed deliveries with their events and webhooks (fetched in bulk). A
/// delivery whose event or webhook vanished meanwhile is dropped: it was deleted
/// with them.
pub(crate) fn assemble_jobs(
    deliveries: Vec<Delivery>,
    events: Vec<Event>,
    webhooks: Vec<Webhook>,
) -> Vec<Job> {
    let events: std::collections::HashMap<_, _> =
        events.into_iter().map(|e| (e.id.clone(), e)).collect();
    let webhooks: std::collections::HashMap<_, _> =
        webhooks.into_iter().map(|w| (w.id.clone(), w)).collect();
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
