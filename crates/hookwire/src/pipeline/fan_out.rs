//! Fan-out: which webhooks an event goes to, and one delivery row for each —
//! leased to this process's worker (see [`handoff`](super::handoff)) or queued.
//! A webhook whose payload filter the event fails gets no row (the filter is
//! evaluated here, on the body the receiver would get; see
//! [`PayloadFilter`](crate::model::PayloadFilter)).
//!
//! The lookups are remembered between publishes ([`WebhookCache`]): an answer
//! changes only when someone edits a webhook, and every such edit moves the
//! *webhook generation* on. A batch is fanned out at one generation, and the
//! store writes it only if the database still reads that generation; if not,
//! the batch is fanned out again from fresh lookups. So a cached answer is
//! never staler than a lookup made in the write's own transaction would be,
//! on any number of nodes.
//!
//! This module owns the lookups and the shape of the rows; the write itself is
//! the group commit's.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};

use super::handoff::{Placement, Reservation};
use super::webhook_cache::{LookupKey, WebhookCache};
use crate::delivery::attempt::body_timestamp;
use crate::delivery::circuit::Breaker;
use crate::model::{Delivery, Event, FilterInput, PayloadFilter, Webhook};
use crate::store::{self, DynStore, Job, Matched, PublishRows};

/// How soon a queued delivery must be due for its publish to wake the
/// workers. A worker naps at most its poll interval (a second by default)
/// before it looks for the next due time again, so one due later than this
/// is on time without a wake-up — a delivery placed at a circuit's probe,
/// or behind a slow webhook's full lane, costs no claim query on any node.
pub(crate) const WAKE_AHEAD: TimeDelta = TimeDelta::seconds(1);

/// One publish on its way through the pipeline.
pub(crate) struct Publish {
    /// What the store writes: the event and, once fanned out, its deliveries.
    pub(crate) rows: PublishRows,
    /// The webhook filters that match the event's type.
    pub(crate) patterns: Vec<String>,
    /// Places in this process's worker, if it runs one.
    pub(crate) reservation: Option<Reservation>,
    /// The leased deliveries, ready to start once the rows are committed.
    pub(crate) jobs: Vec<Job>,
    /// The publisher's span, parent of the fan-out's, when the publish is
    /// traced (it has a `traceparent`); otherwise none, at no cost.
    span: tracing::Span,
}

impl Publish {
    /// A publish of `event`, not fanned out yet.
    pub(crate) fn new(
        event: Event,
        patterns: Vec<String>,
        dedupe_since: DateTime<Utc>,
        reservation: Option<Reservation>,
    ) -> Self {
        let span = match event.traceparent {
            Some(_) => tracing::Span::current(),
            None => tracing::Span::none(),
        };
        Self {
            span,
            rows: PublishRows {
                event,
                deliveries: Vec::new(),
                lease_owner: reservation.as_ref().map(Reservation::owner),
                dedupe_since,
                wake: false,
            },
            patterns,
            reservation,
            jobs: Vec::new(),
        }
    }

    /// The lookup this publish's webhooks come from.
    fn key(&self) -> (&str, &[String], Option<&str>) {
        let event = &self.rows.event;
        (
            event.tenant_id.as_str(),
            self.patterns.as_slice(),
            event.channel.as_deref(),
        )
    }

    /// One delivery per webhook, each placed by the reservation (leased, due
    /// when the lease ends so only an expired lease lets another worker take
    /// it; or queued, due when it says), replacing an earlier fan-out and
    /// giving back its places.
    ///
    /// A webhook whose circuit this node knows to be open gets its delivery
    /// queued, due at the circuit's next probe: no place, no attempt, no
    /// claim until then (a fifo delivery waits in its line anyway).
    fn fan_out(&mut self, webhooks: &[Arc<Webhook>], breaker: Option<&Breaker>) {
        let now = crate::clock::now();
        let rows = &mut self.rows;
        rows.deliveries.clear();
        self.jobs.clear();
        if let Some(reservation) = &mut self.reservation {
            reservation.release();
        }
        // One copy of the event for all its jobs, made on the first.
        let mut shared: Option<Arc<Event>> = None;
        let mut body = FilterBody::default();
        for webhook in webhooks {
            if let Some(filter) = &webhook.filter {
                if !body.passes(filter, &rows.event, &webhook.id) {
                    continue;
                }
            }
            let mut delivery = Delivery::for_webhook(&rows.event, webhook);
            let probe = breaker
                .and_then(|b| b.open_until(&webhook.id, now))
                .filter(|_| delivery.ordering_key.is_none());
            if let Some(probe) = probe {
                delivery.next_attempt_at = Some(probe);
                rows.deliveries.push(delivery);
                continue;
            }
            // A fifo delivery waits in its line: the store makes it due.
            let reservation = self
                .reservation
                .as_mut()
                .filter(|_| delivery.ordering_key.is_none());
            match reservation.map(|r| r.place(webhook)) {
                Some(Placement::Leased(until)) => {
                    delivery.next_attempt_at = Some(until);
                    delivery.leased = true;
                    let event = shared
                        .get_or_insert_with(|| Arc::new(rows.event.clone()))
                        .clone();
                    self.jobs.push(Job {
                        delivery: delivery.clone(),
                        event,
                        webhook: webhook.clone(),
                    });
                }
                Some(Placement::Queued(due)) => delivery.next_attempt_at = Some(due),
                None => {}
            }
            rows.deliveries.push(delivery);
        }
        let soon = now + WAKE_AHEAD;
        rows.wake = rows
            .deliveries
            .iter()
            .any(|d| !d.leased && d.next_attempt_at.is_none_or(|at| at <= soon));
    }
}

/// What a payload filter is evaluated against, made once per event and only
/// when one of its webhooks has a filter: the event's data parsed, the body's
/// timestamp formatted.
#[derive(Default)]
pub(crate) struct FilterBody {
    /// Parsed on first use: events no filter looks at cost nothing.
    parsed: Option<(serde_json::Value, String)>,
}

impl FilterBody {
    /// Whether `event`, delivered to `webhook_id`, passes `filter`.
    pub(crate) fn passes(
        &mut self,
        filter: &PayloadFilter,
        event: &Event,
        webhook_id: &str,
    ) -> bool {
        let (data, timestamp) = self.parsed.get_or_insert_with(|| {
            (
                // Stored data is the JSON text of a value; `null` is never
                // reached.
                serde_json::from_str(&event.data).unwrap_or(serde_json::Value::Null),
                body_timestamp(event),
            )
        });
        filter.matches(&FilterInput {
            event,
            data,
            timestamp,
            webhook_id,
        })
    }
}

/// What the caller of a publish gets: the rows as written, or, for a
/// duplicate, the earlier event and its deliveries.
pub(crate) fn published(rows: PublishRows, stored: store::Stored) -> store::Published {
    match stored {
        store::Stored::New => store::Published {
            event: rows.event,
            deliveries: rows.deliveries,
            duplicate: false,
        },
        store::Stored::Duplicate(event, deliveries) => store::Published {
            event: *event,
            deliveries,
            duplicate: true,
        },
    }
}

/// The fan-out of one engine: its lookups and their cache.
pub(crate) struct FanOut {
    /// Where the webhook lookups go on a cache miss.
    store: DynStore,
    /// Which webhooks a (tenant, type, channel) matched, until the next change.
    cache: WebhookCache,
    /// Which webhooks' circuits are open: their deliveries are placed at
    /// the probe, not started.
    breaker: Option<Arc<Breaker>>,
}

impl FanOut {
    /// Fan-out over `store`; with a `breaker`, deliveries of open circuits are
    /// placed at their probe time.
    pub(crate) fn new(store: DynStore, breaker: Option<Arc<Breaker>>) -> Self {
        Self {
            store,
            cache: WebhookCache::default(),
            breaker,
        }
    }

    /// Fan out every publish of `publishes` at one webhook generation, which
    /// is returned (`None`: no publishes). Publishes of one tenant, type and
    /// channel share a lookup; lookups come from the cache unless `fresh`.
    /// When the answers were read at different generations (a webhook changed
    /// meanwhile), every lookup is made again.
    ///
    /// A traced publish gets a `fan_out` span, child of its publisher's, from
    /// the first lookup to its deliveries.
    pub(crate) async fn plan(
        &self,
        publishes: &mut [Publish],
        fresh: bool,
    ) -> store::Result<Option<i64>> {
        let spans: Vec<(usize, tracing::Span)> = publishes
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.span.is_none())
            .map(|(i, p)| {
                let span = tracing::info_span!(
                    parent: &p.span,
                    "fan_out",
                    hookwire.event_id = %p.rows.event.id,
                    hookwire.deliveries = tracing::field::Empty,
                );
                (i, span)
            })
            .collect();
        let generation = self.plan_at_one_generation(publishes, fresh).await?;
        for (i, span) in spans {
            span.record(
                "hookwire.deliveries",
                publishes[i].rows.deliveries.len() as i64,
            );
        }
        Ok(generation)
    }

    /// [`plan`](Self::plan) without the spans.
    async fn plan_at_one_generation(
        &self,
        publishes: &mut [Publish],
        mut fresh: bool,
    ) -> store::Result<Option<i64>> {
        loop {
            let mut pass: HashMap<(&str, &[String], Option<&str>), Matched> = HashMap::new();
            let mut generation = None;
            let mut mixed = false;
            for publish in publishes.iter() {
                let key = publish.key();
                if pass.contains_key(&key) {
                    continue;
                }
                let matched = self.lookup(key, fresh).await?;
                match generation {
                    None => generation = Some(matched.generation),
                    Some(g) => mixed |= g != matched.generation,
                }
                pass.insert(key, matched);
            }
            if mixed {
                fresh = true;
                continue;
            }
            let webhooks: Vec<Vec<Arc<Webhook>>> = publishes
                .iter()
                .map(|p| {
                    pass.get(&p.key())
                        .map(|m| m.webhooks.clone())
                        .unwrap_or_default()
                })
                .collect();
            drop(pass);
            for (publish, webhooks) in publishes.iter_mut().zip(webhooks) {
                publish.fan_out(&webhooks, self.breaker.as_deref());
            }
            return Ok(generation);
        }
    }

    /// The webhooks of one lookup key: remembered, or read and remembered.
    async fn lookup(
        &self,
        (tenant_id, patterns, channel): (&str, &[String], Option<&str>),
        fresh: bool,
    ) -> store::Result<Matched> {
        let key: LookupKey = (
            tenant_id.to_owned(),
            patterns.to_vec(),
            channel.map(str::to_owned),
        );
        if !fresh {
            if let Some(hit) = self.cache.get(&key) {
                return Ok(hit);
            }
        }
        let matched = self
            .store
            .matching_webhooks(tenant_id, patterns, channel)
            .await?;
        self.cache.put(key, &matched);
        Ok(matched)
    }
}

/// Publish `events` (each with the webhook filters its type matches) in one
/// write, without a worker and outside the group commit: fan them out and
/// write them, again while the webhooks change under them. For tests and
/// tools that seed a store directly; the engine publishes through its group
/// commit.
pub async fn publish_batch(
    store: &DynStore,
    events: Vec<(Event, Vec<String>)>,
    dedupe_since: DateTime<Utc>,
) -> store::Result<Vec<store::Published>> {
    let fan_out = FanOut::new(store.clone(), None);
    let mut publishes: Vec<Publish> = events
        .into_iter()
        .map(|(event, patterns)| Publish::new(event, patterns, dedupe_since, None))
        .collect();
    let stored = loop {
        let generation = fan_out.plan(&mut publishes, true).await?;
        let batch = store::WriteBatch {
            publishes: publishes.iter().map(|p| &p.rows).collect(),
            generation,
            results: Vec::new(),
        };
        if let store::Written::Done { publishes, .. } = store.write(&batch).await? {
            break publishes;
        }
    };
    Ok(publishes
        .into_iter()
        .zip(stored)
        .map(|(publish, stored)| published(publish.rows, stored))
        .collect())
}
