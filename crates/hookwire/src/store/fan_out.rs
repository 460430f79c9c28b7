//! Turning a publish or a claim into jobs: the dialect-free halves of both
//! backends' `publish` and `claim_due`.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;

use super::webhook_cache::{LookupKey, Matched, WebhookCache};
use super::{DirectClaim, Job, Placement, PublishRequest, Published, Result};
use crate::model::{Delivery, Event, Webhook};

/// A backend's open publish transaction, as [`plan_batch`] needs it.
#[async_trait]
pub(crate) trait PublishTx: Send {
    /// One whole publish (with an idempotency key) inside the transaction.
    async fn publish_one(&mut self, r: &PublishRequest<'_>) -> Result<Published>;
    /// The active webhooks (the tenant's and global ones) whose filters include
    /// one of `patterns` and whose channels admit `event`'s channel, with the
    /// webhook generation read in the same statement.
    async fn matching_webhooks(&mut self, event: &Event, patterns: &[String]) -> Result<Matched>;
}

/// Every publish of `batch` inside `tx`, in order. Publishes with an
/// idempotency key run one by one (each must see the ones before it); the
/// others share one webhook lookup per tenant, type and channel — from `cache`
/// where it has one — and their rows are left for the backend to insert in one
/// statement per table, guarded by [`PlannedBatch::guard`].
pub(crate) async fn plan_batch<'a>(
    tx: &mut dyn PublishTx,
    batch: &[PublishRequest<'a>],
    cache: &WebhookCache,
) -> Result<PlannedBatch<'a>> {
    let mut items = Vec::with_capacity(batch.len());
    let mut lookups = Lookups::new(cache, true);
    for (index, r) in batch.iter().enumerate() {
        if r.event.idempotency_key.is_some() {
            items.push(Planned::Done(tx.publish_one(r).await?));
            continue;
        }
        let webhooks = lookups.matching(tx, r).await?;
        items.push(Planned::Plain {
            index,
            event: r.event,
            owner: r.direct.map(|c| c.owner()),
            fan_out: FanOut::new(r.event, webhooks, r.direct),
        });
    }
    let guard = lookups.guard();
    Ok(PlannedBatch { items, guard })
}

/// Publishes of one tenant, with the same type patterns and channel, match the
/// same webhooks: a planning pass looks them up once per key.
type MatchKey<'r> = (&'r str, &'r [String], Option<&'r str>);

/// The webhook lookups of one planning pass, shared by its publishes.
struct Lookups<'c, 'r> {
    cache: &'c WebhookCache,
    use_cache: bool,
    done: HashMap<MatchKey<'r>, Vec<Arc<Webhook>>>,
    /// The generation the pass's answers were read at (the first one's).
    generation: Option<i64>,
    /// Whether some answer was read at another generation.
    mixed: bool,
    /// Whether some answer came from the cache.
    cached: bool,
}

impl<'c, 'r> Lookups<'c, 'r> {
    fn new(cache: &'c WebhookCache, use_cache: bool) -> Self {
        Self {
            cache,
            use_cache,
            done: HashMap::new(),
            generation: None,
            mixed: false,
            cached: false,
        }
    }

    async fn matching(
        &mut self,
        tx: &mut dyn PublishTx,
        r: &'r PublishRequest<'_>,
    ) -> Result<Vec<Arc<Webhook>>> {
        let key = (
            r.event.tenant_id.as_str(),
            r.patterns,
            r.event.channel.as_deref(),
        );
        if let Some(found) = self.done.get(&key) {
            return Ok(found.clone());
        }
        let owned: LookupKey = (key.0.to_owned(), key.1.to_vec(), key.2.map(str::to_owned));
        let hit = if self.use_cache {
            self.cache.get(&owned)
        } else {
            None
        };
        self.cached |= hit.is_some();
        let matched = match hit {
            Some(hit) => hit,
            None => {
                let fresh = tx.matching_webhooks(r.event, r.patterns).await?;
                self.cache.put(owned, &fresh);
                fresh
            }
        };
        match self.generation {
            None => self.generation = Some(matched.generation),
            Some(g) => self.mixed |= g != matched.generation,
        }
        self.done.insert(key, matched.webhooks.clone());
        Ok(matched.webhooks)
    }

    fn guard(&self) -> Guard {
        match (self.cached, self.mixed, self.generation) {
            (true, false, Some(g)) => Guard::Cached(g),
            (true, _, _) => Guard::Stale,
            (false, _, _) => Guard::Fresh,
        }
    }
}

/// Whether a planned batch's webhook sets are current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Guard {
    /// Looked up inside this transaction: insert as they are.
    Fresh,
    /// Some came from the cache, read at this generation: insert only if the
    /// webhook generation still is this one.
    Cached(i64),
    /// The cache and this pass's own lookups disagree: plan again.
    Stale,
}

/// A plan whose cached webhook sets are known to be out of date.
#[derive(Debug)]
pub(crate) struct Stale;

/// One publish of a planned batch.
enum Planned<'a> {
    /// Stored already (it had an idempotency key).
    Done(Published),
    /// Fanned out; its rows are still to be inserted.
    Plain {
        /// Its place in the batch.
        index: usize,
        event: &'a Event,
        /// The owner its leased deliveries carry.
        owner: Option<&'a str>,
        fan_out: FanOut,
    },
}

/// A batch of publishes after [`plan_batch`]: the rows still to insert (the
/// dialect-free half of both backends' `publish_batch`), then the results.
pub(crate) struct PlannedBatch<'a> {
    items: Vec<Planned<'a>>,
    guard: Guard,
}

impl<'a> PlannedBatch<'a> {
    /// The webhook generation the insert must still see (`None`: no condition),
    /// or [`Stale`] when the plan must be [refreshed] first.
    ///
    /// [refreshed]: Self::refresh
    pub(crate) fn guard(&self) -> std::result::Result<Option<i64>, Stale> {
        match self.guard {
            Guard::Fresh => Ok(None),
            Guard::Cached(g) => Ok(Some(g)),
            Guard::Stale => Err(Stale),
        }
    }

    /// Plan the unsaved publishes again from fresh lookups, after the insert
    /// found the webhook generation moved on (or [`guard`](Self::guard) said
    /// so): the places their first plan took in the worker are given back.
    pub(crate) async fn refresh(
        &mut self,
        tx: &mut dyn PublishTx,
        batch: &[PublishRequest<'a>],
        cache: &WebhookCache,
    ) -> Result<()> {
        let mut lookups = Lookups::new(cache, false);
        for item in &mut self.items {
            if let Planned::Plain { index, fan_out, .. } = item {
                let r = &batch[*index];
                if let Some(claim) = r.direct {
                    claim.release();
                }
                let webhooks = lookups.matching(tx, r).await?;
                *fan_out = FanOut::new(r.event, webhooks, r.direct);
            }
        }
        self.guard = Guard::Fresh;
        Ok(())
    }

    /// The events to insert.
    pub(crate) fn events(&self) -> Vec<&'a Event> {
        self.plain().map(|(event, _, _)| event).collect()
    }

    /// The deliveries to insert, each with the owner of its lease if leased.
    pub(crate) fn deliveries(&self) -> Vec<(&Delivery, Option<&'a str>)> {
        self.plain()
            .flat_map(|(_, owner, f)| {
                f.deliveries
                    .iter()
                    .zip(&f.leased)
                    .map(move |(d, leased)| (d, owner.filter(|_| *leased)))
            })
            .collect()
    }

    /// Whether some delivery goes to the queue (workers need waking).
    pub(crate) fn queued(&self) -> bool {
        self.plain()
            .any(|(_, _, f)| f.leased.iter().any(|leased| !leased))
    }

    /// What each publish stored, in the batch's order (once the rows are in).
    pub(crate) fn finish(self) -> Vec<Published> {
        self.items
            .into_iter()
            .map(|item| match item {
                Planned::Done(published) => published,
                Planned::Plain { event, fan_out, .. } => Published {
                    event: event.clone(),
                    deliveries: fan_out.deliveries,
                    duplicate: false,
                    direct: fan_out.jobs,
                },
            })
            .collect()
    }

    fn plain(&self) -> impl Iterator<Item = (&'a Event, Option<&'a str>, &FanOut)> + '_ {
        self.items.iter().filter_map(|item| match item {
            Planned::Done(_) => None,
            Planned::Plain {
                event,
                owner,
                fan_out,
                ..
            } => Some((*event, *owner, fan_out)),
        })
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
        webhooks: Vec<Arc<Webhook>>,
        direct: Option<&dyn DirectClaim>,
    ) -> Self {
        let mut out = Self {
            deliveries: Vec::with_capacity(webhooks.len()),
            leased: Vec::with_capacity(webhooks.len()),
            jobs: Vec::new(),
        };
        // One copy of the event for all its jobs, made on the first.
        let mut shared: Option<Arc<Event>> = None;
        for webhook in webhooks {
            let mut d = Delivery::pending(event, webhook.id.clone());
            let placement = direct.map(|c| c.place(&webhook));
            match (placement, direct) {
                (Some(Placement::Leased), Some(claim)) => {
                    d.next_attempt_at = Some(claim.lease_until());
                    d.leased = true;
                    let event = shared
                        .get_or_insert_with(|| Arc::new(event.clone()))
                        .clone();
                    out.jobs.push(Job {
                        delivery: d.clone(),
                        event,
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
    let events: std::collections::HashMap<_, _> = events
        .into_iter()
        .map(|e| (e.id.clone(), Arc::new(e)))
        .collect();
    let webhooks: std::collections::HashMap<_, _> = webhooks
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
