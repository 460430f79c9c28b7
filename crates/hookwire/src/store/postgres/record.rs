//! Recording attempt results (PostgreSQL): a whole batch in one set-based
//! statement (`UNNEST` of one array per column), whatever its size.
//!
//! It writes results it is given; whether to retry was decided by the attempt.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use super::Result;
use crate::store::AttemptRecord;

/// The result batch: one statement, one round trip. The attempts' INSERT runs
/// as a CTE beside the deliveries' UPDATE (the attempts' foreign keys are
/// checked at the end of the statement). Run on the write connections, where
/// its generic plan is a nested loop of primary-key probes (see "Plans on
/// growing tables" in `postgres.rs`).
pub(super) const RECORD: &str = "WITH new_attempts AS ( \
       INSERT INTO attempts (id, delivery_id, attempt_number, started_at, duration_ms, \
         http_status, error_kind, error_message, request_headers, response_headers, \
         response_body) \
       SELECT a.id, a.delivery_id, a.attempt_number, a.started_at, a.duration_ms, \
         a.http_status, a.error_kind, a.error_message, a.req::jsonb, a.resp::jsonb, a.body \
       FROM UNNEST($10::text[], $2::text[], $4::int[], $8::timestamptz[], $11::int[], \
                   $6::int[], $12::text[], $13::text[], $14::text[], $15::text[], \
                   $16::text[]) \
         AS a(id, delivery_id, attempt_number, started_at, duration_ms, http_status, \
              error_kind, error_message, req, resp, body) \
       WHERE EXISTS (SELECT 1 FROM deliveries d WHERE d.id = a.delivery_id) \
       ON CONFLICT (delivery_id, attempt_number) DO NOTHING) \
     UPDATE deliveries d SET status = u.status, \
       attempt_count = GREATEST(d.attempt_count, u.attempt_number), \
       next_attempt_at = u.next_attempt_at, last_http_status = u.http_status, \
       last_error = u.last_error, last_attempt_at = u.started_at, \
       completed_at = u.completed_at, lease_owner = NULL, lease_expires_at = NULL \
     FROM UNNEST($2::text[], $3::text[], $4::int[], $5::timestamptz[], $6::int[], \
                 $7::text[], $8::timestamptz[], $9::timestamptz[], $1::text[]) \
       AS u(id, status, attempt_number, next_attempt_at, http_status, last_error, \
            started_at, completed_at, owner) \
     WHERE d.id = u.id AND d.lease_owner = u.owner \
     RETURNING d.id";

/// Write `results` in one statement (atomic alone, or part of the caller's
/// transaction): each delivery still leased to its record's owner takes its
/// new status,
/// and every attempt whose delivery still exists gets its history row.
/// Returns, per result, whether the delivery was updated (false: the lease was
/// lost, e.g. expired and taken by another node).
pub(super) async fn record(
    conn: &mut PgConnection,
    records: &[&AttemptRecord],
) -> Result<Vec<bool>> {
    let owners: Vec<&str> = records.iter().map(|r| &*r.owner).collect();
    let results: Vec<(&crate::model::Attempt, &crate::store::AttemptResult)> =
        records.iter().map(|r| (&r.attempt, &r.result)).collect();
    let ids: Vec<&str> = results
        .iter()
        .map(|(a, _)| a.delivery_id.as_str())
        .collect();
    let statuses: Vec<&str> = results.iter().map(|(_, r)| r.status.as_str()).collect();
    let numbers: Vec<i32> = results
        .iter()
        .map(|(a, _)| a.attempt_number as i32)
        .collect();
    let next: Vec<Option<DateTime<Utc>>> = results.iter().map(|(_, r)| r.next_attempt_at).collect();
    let http: Vec<Option<i32>> = results
        .iter()
        .map(|(a, _)| a.http_status.map(i32::from))
        .collect();
    let errors: Vec<Option<String>> = results
        .iter()
        .map(|(a, _)| crate::store::last_error(a))
        .collect();
    let started: Vec<DateTime<Utc>> = results.iter().map(|(a, _)| a.started_at).collect();
    let completed: Vec<Option<DateTime<Utc>>> = results
        .iter()
        .map(|(a, r)| {
            r.status
                .is_final()
                .then(|| a.started_at + chrono::TimeDelta::milliseconds(a.duration_ms as i64))
        })
        .collect();
    let req: Vec<String> = results
        .iter()
        .map(|(a, _)| serde_json::to_string(&a.request_headers).unwrap_or_else(|_| "{}".into()))
        .collect();
    let resp: Vec<String> = results
        .iter()
        .map(|(a, _)| serde_json::to_string(&a.response_headers).unwrap_or_else(|_| "{}".into()))
        .collect();
    let updated: Vec<String> = sqlx::query_scalar(RECORD)
        .bind(&owners)
        .bind(&ids)
        .bind(&statuses)
        .bind(&numbers)
        .bind(&next)
        .bind(&http)
        .bind(&errors)
        .bind(&started)
        .bind(&completed)
        .bind(
            results
                .iter()
                .map(|(a, _)| a.id.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            results
                .iter()
                .map(|(a, _)| a.duration_ms.min(i32::MAX as u64) as i32)
                .collect::<Vec<_>>(),
        )
        .bind(
            results
                .iter()
                .map(|(a, _)| a.error_kind.as_deref())
                .collect::<Vec<_>>(),
        )
        .bind(
            results
                .iter()
                .map(|(a, _)| a.error_message.as_deref())
                .collect::<Vec<_>>(),
        )
        .bind(&req)
        .bind(&resp)
        .bind(
            results
                .iter()
                .map(|(a, _)| a.response_body.as_deref())
                .collect::<Vec<_>>(),
        )
        .fetch_all(&mut *conn)
        .await?;
    let updated: std::collections::HashSet<String> = updated.into_iter().collect();
    Ok(ids.iter().map(|id| updated.contains(*id)).collect())
}
