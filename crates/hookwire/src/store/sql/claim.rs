//! The claim's statements in order, once for both backends: lease the due
//! deliveries, then read their events and webhooks in the same transaction,
//! so a job never pairs a delivery with a webhook changed after its claim.
//! The SQL text is each backend's ([`ClaimSql`]); where the transaction runs
//! is too (SQLite: the one writer; PostgreSQL: the write connections, whose
//! plans suit the claim).
//!
//! No SQL text and no driver type here.

use chrono::{DateTime, Utc};

use super::rows::{delivery_from_row, event_from_row, webhook_from_row};
use super::{Arg, Read, Tx};
use crate::secret::sealer::Sealer;
use crate::store::{assemble_jobs, Job, Result};

/// The claim's statements in one backend's dialect; the comment of each
/// lists its placeholders in order.
pub(crate) trait ClaimSql {
    /// `owner, lease_until, now, skip_webhooks, limit`: the earliest due
    /// deliveries not of `skip_webhooks`, leased to `owner` until
    /// `lease_until` (also their `next_attempt_at`, so a lease that runs
    /// out is simply due again); returns their rows.
    const CLAIM: &'static str;
    /// `ids`: the events of the claimed deliveries.
    const EVENTS_OF: &'static str;
    /// `ids`: the webhooks of the claimed deliveries.
    const WEBHOOKS_OF: &'static str;
}

/// Claim in the caller's transaction `tx` (see
/// [`QueueStore::claim_due`](crate::store::QueueStore::claim_due) for the
/// arguments): the jobs leased, their secrets opened with `sealer`. Empty
/// when nothing was due; the caller may then roll back rather than commit.
pub(crate) async fn claim_in<D: ClaimSql, R: Read>(
    tx: &mut dyn Tx<R>,
    sealer: &Sealer,
    owner: &str,
    (now, lease_until): (DateTime<Utc>, DateTime<Utc>),
    limit: u32,
    skip_webhooks: &[String],
) -> Result<Vec<Job>> {
    let args = [
        owner.into(),
        lease_until.into(),
        now.into(),
        Arg::Strings(Some(skip_webhooks)),
        i64::from(limit).into(),
    ];
    let deliveries = tx
        .rows("deliveries", D::CLAIM, &args)
        .await?
        .iter()
        .map(delivery_from_row)
        .collect::<Result<Vec<_>>>()?;
    if deliveries.is_empty() {
        return Ok(Vec::new());
    }
    let event_ids: Vec<&str> = deliveries.iter().map(|d| d.event_id.as_str()).collect();
    let events = tx
        .rows("events", D::EVENTS_OF, &[Arg::List(&event_ids)])
        .await?
        .iter()
        .map(event_from_row)
        .collect::<Result<_>>()?;
    let webhook_ids: Vec<&str> = deliveries.iter().map(|d| d.webhook_id.as_str()).collect();
    let webhooks = tx
        .rows("webhooks", D::WEBHOOKS_OF, &[Arg::List(&webhook_ids)])
        .await?
        .iter()
        .map(|r| webhook_from_row(r, sealer))
        .collect::<Result<_>>()?;
    Ok(assemble_jobs(deliveries, events, webhooks))
}
