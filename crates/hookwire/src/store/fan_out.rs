//! Turning a publish or a claim into jobs: the dialect-free halves of both
//! backends' `publish` and `claim_due`.

use super::{DirectClaim, Job, Placement, PublishRequest, Published};
use crate::model::{Delivery, Event, Webhook};

/// Publishes of one tenant, with the same type patterns and channel, match the
/// same webhooks: a batch looks them up once per key.
pub(crate) type MatchKey<'a> = (&'a str, &'a [String], Option<&'a str>);

/// The webhook lookup key of a publish.
pub(crate) fn match_key<'a>(r: &PublishRequest<'a>) -> MatchKey<'a> {
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
