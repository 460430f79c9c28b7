//! Circuit breakers (SQLite): one `webhook_circuits` row per webhook that
//! failed lately, changed only on the single writer, so each change and the
//! queue rows it moves are one step no other write interleaves with.
//!
//! Owns the SQL of [`CircuitStore`]. The rules (when a circuit opens, who
//! probes, how long it waits) are the trait's and are decided by
//! [`GateStep`] and [`FailureStep`]; this file must not add any.
//! Every write here runs without waiting for the disk: a circuit and the
//! due times it sets are scheduling, not history — lost in a power cut, a
//! circuit starts closed again and a waiting delivery is due earlier, when
//! the gate sends it back once more.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension as _};

use super::{ms, opt_time, Error, Result, SqliteStore};
use crate::id::WebhookId;
use crate::model::{Circuit, CircuitSettings, MAX_OPEN_SECONDS};
use crate::store::{CircuitFailure, CircuitStore, FailureStep, Gate, GateStep};

#[async_trait]
impl CircuitStore for SqliteStore {
    /// On the reader pool: the worker's view of circuits is re-read every
    /// second anyway, and views only show state.
    async fn circuits(&self, webhook_ids: Option<&[WebhookId]>) -> Result<Vec<Circuit>> {
        let rows: Vec<(String, i64, Option<i64>, Option<i64>, i64)> = match webhook_ids {
            None => {
                sqlx::query_as(
                    "SELECT webhook_id, failures, opened_at, next_probe_at, open_seconds \
                     FROM webhook_circuits",
                )
                .fetch_all(&self.reader)
                .await?
            }
            Some(ids) => {
                sqlx::query_as(
                    "SELECT webhook_id, failures, opened_at, next_probe_at, open_seconds \
                     FROM webhook_circuits WHERE webhook_id IN (SELECT value FROM json_each(?1))",
                )
                .bind(super::to_json(&ids)?)
                .fetch_all(&self.reader)
                .await?
            }
        };
        rows.into_iter()
            .map(
                |(webhook_id, failures, opened_at, next_probe_at, open_seconds)| {
                    Ok(Circuit {
                        webhook_id: WebhookId::from(webhook_id),
                        failures: u32::try_from(failures).unwrap_or(u32::MAX),
                        opened_at: opt_time(opened_at)?,
                        next_probe_at: opt_time(next_probe_at)?,
                        open_seconds: u32::try_from(open_seconds).unwrap_or(0),
                    })
                },
            )
            .collect()
    }

    async fn circuit_gate(
        &self,
        webhook_id: &str,
        delivery_id: &str,
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<Gate> {
        let mut writer = self.writer.lock().await;
        writer.inline().unsynced(|c| {
            let tx = c.unchecked_transaction()?;
            let row: Option<(Option<i64>, Option<i64>, i64)> = tx
                .prepare_cached(
                    "SELECT opened_at, next_probe_at, open_seconds FROM webhook_circuits \
                     WHERE webhook_id = ?1",
                )?
                .query_row([webhook_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?;
            let row = row
                .map(|(opened, probe, open_seconds)| {
                    Ok::<_, Error>((opt_time(opened)?, opt_time(probe)?, open_seconds))
                })
                .transpose()?;
            let gate = match GateStep::of(row, now) {
                GateStep::Wait(probe) => {
                    tx.prepare_cached(
                        "UPDATE deliveries SET next_attempt_at = ?3, lease_owner = NULL, \
                                lease_expires_at = NULL \
                         WHERE id = ?1 AND lease_owner = ?2",
                    )?
                    .execute(params![delivery_id, owner, ms(probe)])?;
                    Gate::Wait(probe)
                }
                GateStep::Probe { next } => {
                    tx.prepare_cached(
                        "UPDATE webhook_circuits SET next_probe_at = ?2 WHERE webhook_id = ?1",
                    )?
                    .execute(params![webhook_id, ms(next)])?;
                    postpone(&tx, webhook_id, ms(next))?;
                    Gate::Probe
                }
                GateStep::Closed => Gate::Closed,
            };
            tx.commit()?;
            Ok(gate)
        })
    }

    /// The count is one upsert whose `DO UPDATE` only applies while the
    /// circuit is closed: no row back means it is open.
    async fn circuit_failed(
        &self,
        webhook_id: &str,
        probe: bool,
        settings: CircuitSettings,
        now: DateTime<Utc>,
    ) -> Result<CircuitFailure> {
        let mut writer = self.writer.lock().await;
        writer.inline().unsynced(|c| {
            let tx = c.unchecked_transaction()?;
            let failures: Option<i64> = tx
                .prepare_cached(
                    "INSERT INTO webhook_circuits (webhook_id, failures) VALUES (?1, 1) \
                     ON CONFLICT (webhook_id) DO UPDATE SET failures = failures + 1 \
                       WHERE opened_at IS NULL \
                     RETURNING failures",
                )?
                .query_row([webhook_id], |r| r.get(0))
                .optional()?;
            let outcome = match FailureStep::of(failures, probe, settings, now) {
                FailureStep::Open { next } => {
                    tx.prepare_cached(
                        "UPDATE webhook_circuits \
                         SET opened_at = ?2, next_probe_at = ?3, open_seconds = ?4 \
                         WHERE webhook_id = ?1",
                    )?
                    .execute(params![
                        webhook_id,
                        ms(now),
                        ms(next),
                        settings.open_seconds
                    ])?;
                    postpone(&tx, webhook_id, ms(next))?;
                    CircuitFailure::Opened(next)
                }
                FailureStep::Counted => CircuitFailure::Counted,
                FailureStep::Reopen => {
                    let next: i64 = tx
                        .prepare_cached(
                            "UPDATE webhook_circuits \
                             SET open_seconds = MIN(open_seconds * 2, ?3), \
                                 next_probe_at = ?2 + MIN(open_seconds * 2, ?3) * 1000 \
                             WHERE webhook_id = ?1 RETURNING next_probe_at",
                        )?
                        .query_row(params![webhook_id, ms(now), MAX_OPEN_SECONDS], |r| r.get(0))?;
                    postpone(&tx, webhook_id, next)?;
                    CircuitFailure::Reopened(super::time(next)?)
                }
                FailureStep::AlreadyOpen => CircuitFailure::AlreadyOpen,
            };
            tx.commit()?;
            Ok(outcome)
        })
    }

    async fn circuit_succeeded(&self, webhook_id: &str, now: DateTime<Utc>) -> Result<bool> {
        let mut writer = self.writer.lock().await;
        writer.inline().unsynced(|c| {
            let tx = c.unchecked_transaction()?;
            let probe: Option<Option<i64>> = tx
                .prepare_cached(
                    "DELETE FROM webhook_circuits WHERE webhook_id = ?1 RETURNING next_probe_at",
                )?
                .query_row([webhook_id], |r| r.get(0))
                .optional()?;
            let was_open = matches!(probe, Some(Some(_)));
            if let Some(Some(probe)) = probe {
                release(&tx, webhook_id, probe, ms(now))?;
            }
            tx.commit()?;
            Ok(was_open)
        })
    }

    async fn release_waiting(
        &self,
        webhook_id: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let mut writer = self.writer.lock().await;
        writer
            .inline()
            .unsynced(|c| release(c, webhook_id, ms(until), ms(now)))
    }
}

/// Make due at `now` the webhook's queued deliveries that wait until `until`
/// at the latest (those a circuit held); one whose own retry comes later
/// keeps its time. A range of the due index, like [`postpone`].
fn release(c: &Connection, webhook_id: &str, until: i64, now: i64) -> Result<u64> {
    let n = c
        .prepare_cached(
            "UPDATE deliveries INDEXED BY deliveries_due SET next_attempt_at = ?2 \
             WHERE status IN ('pending', 'retrying') \
               AND next_attempt_at > ?2 AND next_attempt_at <= ?3 \
               AND webhook_id = ?1 AND lease_owner IS NULL",
        )?
        .execute(params![webhook_id, now, until])?;
    Ok(n as u64)
}

/// Make the webhook's queued deliveries due no earlier than `until` (the
/// next probe). Leased ones are left to their holders, whose gate or result
/// comes next; a fifo line's waiting deliveries have no due time and stay
/// as they are. Walks the due index up to `until` rather than the webhook's
/// history: bounded by the queue, however long the history.
fn postpone(c: &Connection, webhook_id: &str, until: i64) -> Result<()> {
    c.prepare_cached(
        "UPDATE deliveries INDEXED BY deliveries_due SET next_attempt_at = ?2 \
         WHERE status IN ('pending', 'retrying') AND next_attempt_at < ?2 \
           AND webhook_id = ?1 AND lease_owner IS NULL",
    )?
    .execute(params![webhook_id, until])
    .map_err(Error::from)?;
    Ok(())
}
