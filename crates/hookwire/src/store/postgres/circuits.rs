//! Circuit breakers (PostgreSQL): one `webhook_circuits` row per webhook that
//! failed lately, shared by every node. Each change takes the row's lock
//! (`FOR UPDATE`, or the upsert's own) and moves the queue rows it must in
//! the same transaction, so the gate of one node and the close of another
//! never interleave: a delivery sent back to wait is either seen by the
//! close, or sees the circuit gone.
//!
//! Owns the SQL of [`CircuitStore`]. The rules (when a circuit opens, who
//! probes, how long it waits) are the trait's and are decided by
//! [`GateStep`] and [`FailureStep`]; this file must not add any.
//! All of it runs on the main pool: none of it is on the path of a healthy
//! webhook's deliveries.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Row as _};

use super::{PgStore, Result, WAKEUP_CHANNEL};
use crate::id::WebhookId;
use crate::model::{Circuit, CircuitSettings, MAX_OPEN_SECONDS};
use crate::store::{CircuitFailure, CircuitStore, FailureStep, Gate, GateStep};

#[async_trait]
impl CircuitStore for PgStore {
    async fn circuits(&self, webhook_ids: Option<&[WebhookId]>) -> Result<Vec<Circuit>> {
        let rows = sqlx::query(
            "SELECT webhook_id, failures, opened_at, next_probe_at, open_seconds \
             FROM webhook_circuits WHERE $1::text[] IS NULL OR webhook_id = ANY($1)",
        )
        .bind(webhook_ids)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Circuit {
                    webhook_id: r.try_get("webhook_id")?,
                    failures: u32::try_from(r.try_get::<i32, _>("failures")?).unwrap_or(0),
                    opened_at: r.try_get("opened_at")?,
                    next_probe_at: r.try_get("next_probe_at")?,
                    open_seconds: u32::try_from(r.try_get::<i32, _>("open_seconds")?).unwrap_or(0),
                })
            })
            .collect()
    }

    async fn circuit_gate(
        &self,
        webhook_id: &str,
        delivery_id: &str,
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<Gate> {
        let mut tx = self.pool.begin().await?;
        let row: Option<(Option<DateTime<Utc>>, Option<DateTime<Utc>>, i32)> = sqlx::query_as(
            "SELECT opened_at, next_probe_at, open_seconds FROM webhook_circuits \
             WHERE webhook_id = $1 FOR UPDATE",
        )
        .bind(webhook_id)
        .fetch_optional(&mut *tx)
        .await?;
        let step = GateStep::of(row.map(|(o, p, s)| (o, p, i64::from(s))), now);
        let gate = match step {
            GateStep::Wait(probe) => {
                sqlx::query(
                    "UPDATE deliveries SET next_attempt_at = $3, lease_owner = NULL, \
                            lease_expires_at = NULL \
                     WHERE id = $1 AND lease_owner = $2",
                )
                .bind(delivery_id)
                .bind(owner)
                .bind(probe)
                .execute(&mut *tx)
                .await?;
                Gate::Wait(probe)
            }
            GateStep::Probe { next } => {
                sqlx::query("UPDATE webhook_circuits SET next_probe_at = $2 WHERE webhook_id = $1")
                    .bind(webhook_id)
                    .bind(next)
                    .execute(&mut *tx)
                    .await?;
                postpone(&mut tx, webhook_id, next).await?;
                Gate::Probe
            }
            GateStep::Closed => Gate::Closed,
        };
        tx.commit().await?;
        Ok(gate)
    }

    /// The count is one upsert whose `DO UPDATE` only applies while the
    /// circuit is closed; it locks the row either way, and no row back means
    /// it is open.
    async fn circuit_failed(
        &self,
        webhook_id: &str,
        probe: bool,
        settings: CircuitSettings,
        now: DateTime<Utc>,
    ) -> Result<CircuitFailure> {
        let mut tx = self.pool.begin().await?;
        let failures: Option<i32> = sqlx::query_scalar(
            "INSERT INTO webhook_circuits AS c (webhook_id, failures) VALUES ($1, 1) \
             ON CONFLICT (webhook_id) DO UPDATE SET failures = c.failures + 1 \
               WHERE c.opened_at IS NULL \
             RETURNING failures",
        )
        .bind(webhook_id)
        .fetch_optional(&mut *tx)
        .await?;
        let outcome = match FailureStep::of(failures.map(i64::from), probe, settings, now) {
            FailureStep::Open { next } => {
                sqlx::query(
                    "UPDATE webhook_circuits \
                     SET opened_at = $2, next_probe_at = $3, open_seconds = $4 \
                     WHERE webhook_id = $1",
                )
                .bind(webhook_id)
                .bind(now)
                .bind(next)
                .bind(i32::try_from(settings.open_seconds).unwrap_or(i32::MAX))
                .execute(&mut *tx)
                .await?;
                postpone(&mut tx, webhook_id, next).await?;
                CircuitFailure::Opened(next)
            }
            FailureStep::Counted => CircuitFailure::Counted,
            FailureStep::Reopen => {
                let next: DateTime<Utc> = sqlx::query_scalar(
                    "UPDATE webhook_circuits \
                     SET open_seconds = LEAST(open_seconds * 2, $3), \
                         next_probe_at = $2 + LEAST(open_seconds * 2, $3) * interval '1 second' \
                     WHERE webhook_id = $1 RETURNING next_probe_at",
                )
                .bind(webhook_id)
                .bind(now)
                .bind(i32::try_from(MAX_OPEN_SECONDS).unwrap_or(i32::MAX))
                .fetch_one(&mut *tx)
                .await?;
                postpone(&mut tx, webhook_id, next).await?;
                CircuitFailure::Reopened(next)
            }
            FailureStep::AlreadyOpen => CircuitFailure::AlreadyOpen,
        };
        tx.commit().await?;
        Ok(outcome)
    }

    /// The deliveries that waited for the probe are due now (one whose own
    /// retry comes later keeps its time), and every node's worker hears of
    /// it.
    async fn circuit_succeeded(&self, webhook_id: &str, now: DateTime<Utc>) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let probe: Option<Option<DateTime<Utc>>> = sqlx::query_scalar(
            "DELETE FROM webhook_circuits WHERE webhook_id = $1 RETURNING next_probe_at",
        )
        .bind(webhook_id)
        .fetch_optional(&mut *tx)
        .await?;
        let was_open = matches!(probe, Some(Some(_)));
        if let Some(Some(probe)) = probe {
            release(&mut tx, webhook_id, probe, now).await?;
        }
        tx.commit().await?;
        Ok(was_open)
    }

    async fn release_waiting(
        &self,
        webhook_id: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let mut conn = self.pool.acquire().await?;
        release(&mut conn, webhook_id, until, now).await
    }
}

/// Make due at `now` the webhook's queued deliveries that wait until `until`
/// at the latest (those a circuit held; one whose own retry comes later keeps
/// its time), and wake every node's worker when there were any.
async fn release(
    conn: &mut PgConnection,
    webhook_id: &str,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<u64> {
    let n = sqlx::query(
        "UPDATE deliveries SET next_attempt_at = $2 \
         WHERE status IN ('pending', 'retrying') \
           AND next_attempt_at > $2 AND next_attempt_at <= $3 \
           AND webhook_id = $1 AND lease_owner IS NULL",
    )
    .bind(webhook_id)
    .bind(now)
    .bind(until)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if n > 0 {
        sqlx::query("SELECT pg_notify($1, '')")
            .bind(WAKEUP_CHANNEL)
            .execute(&mut *conn)
            .await?;
    }
    Ok(n)
}

/// Make the webhook's queued deliveries due no earlier than `until` (the
/// next probe). Leased ones are left to their holders, whose gate or result
/// comes next; a fifo line's waiting deliveries have no due time and stay
/// as they are.
async fn postpone(conn: &mut PgConnection, webhook_id: &str, until: DateTime<Utc>) -> Result<()> {
    sqlx::query(
        "UPDATE deliveries SET next_attempt_at = $2 \
         WHERE status IN ('pending', 'retrying') AND next_attempt_at < $2 \
           AND webhook_id = $1 AND lease_owner IS NULL",
    )
    .bind(webhook_id)
    .bind(until)
    .execute(conn)
    .await?;
    Ok(())
}
