//! Recording attempt results (SQLite): per result, the delivery's new state
//! and the attempt's history row, written on the writer's [`Inline`]
//! connection with two prepared statements run once per result (no round trip
//! to another thread per statement, and no statement text per batch size).
//!
//! [`Inline`]: super::writer::Inline

use rusqlite::{params, Connection};

use super::{ms, to_json, Result};
use crate::model::Attempt;
use crate::store::{AttemptRecord, AttemptResult};

/// One result, converted to the columns' SQLite types once.
struct Row<'a> {
    attempt_id: &'a str,
    delivery_id: &'a str,
    attempt_number: u32,
    status: &'a str,
    next_attempt_at: Option<i64>,
    http_status: Option<u16>,
    last_error: Option<String>,
    started_at: i64,
    completed_at: Option<i64>,
    duration_ms: i64,
    error_kind: Option<&'a str>,
    error_message: Option<&'a str>,
    request_headers: String,
    response_headers: String,
    response_body: Option<&'a str>,
}

impl<'a> Row<'a> {
    /// The row of one attempt and its result.
    fn new(a: &'a Attempt, r: &'a AttemptResult) -> Result<Self> {
        let finished = a.started_at + chrono::TimeDelta::milliseconds(a.duration_ms as i64);
        Ok(Self {
            attempt_id: &a.id,
            delivery_id: &a.delivery_id,
            attempt_number: a.attempt_number,
            status: r.status.as_str(),
            next_attempt_at: r.next_attempt_at.map(ms),
            http_status: a.http_status,
            last_error: crate::store::last_error(a),
            started_at: ms(a.started_at),
            completed_at: r.status.is_final().then(|| ms(finished)),
            duration_ms: a.duration_ms.min(i64::MAX as u64) as i64,
            error_kind: a.error_kind.as_deref(),
            error_message: a.error_message.as_deref(),
            request_headers: to_json(&a.request_headers)?,
            response_headers: to_json(&a.response_headers)?,
            response_body: a.response_body.as_deref(),
        })
    }
}

/// Write `results` inside the caller's transaction: each delivery still leased
/// to its record's owner takes its new status, and every attempt whose delivery still
/// exists gets its history row. Returns, per result, whether the delivery was
/// updated (false: the lease was lost, e.g. expired and taken by another node).
pub(super) fn record(conn: &Connection, results: &[&AttemptRecord]) -> Result<Vec<bool>> {
    let mut update = conn.prepare_cached(
        "UPDATE deliveries SET status = ?3, attempt_count = MAX(attempt_count, ?4), \
           next_attempt_at = ?5, last_http_status = ?6, last_error = ?7, last_attempt_at = ?8, \
           completed_at = ?9, lease_owner = NULL, lease_expires_at = NULL \
         WHERE id = ?1 AND lease_owner = ?2",
    )?;
    // A delivery just updated exists: its attempt goes in with a one-row
    // VALUES insert, which SQLite runs without a statement journal (an
    // INSERT … SELECT may write many rows, so it keeps one to undo the
    // statement alone). Otherwise (lease lost) only if the delivery is still
    // there: it may have been deleted meanwhile.
    let mut insert = conn.prepare_cached(
        "INSERT INTO attempts (id, delivery_id, attempt_number, started_at, duration_ms, \
           http_status, error_kind, error_message, request_headers, response_headers, \
           response_body) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) \
         ON CONFLICT (delivery_id, attempt_number) DO NOTHING",
    )?;
    let mut insert_if_delivery = conn.prepare_cached(
        "INSERT INTO attempts (id, delivery_id, attempt_number, started_at, duration_ms, \
           http_status, error_kind, error_message, request_headers, response_headers, \
           response_body) \
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11 \
         WHERE EXISTS (SELECT 1 FROM deliveries WHERE id = ?2) \
         ON CONFLICT (delivery_id, attempt_number) DO NOTHING",
    )?;
    let mut updated = Vec::with_capacity(results.len());
    for record in results {
        let r = Row::new(&record.attempt, &record.result)?;
        let changed = update.execute(params![
            r.delivery_id,
            &*record.owner,
            r.status,
            r.attempt_number,
            r.next_attempt_at,
            r.http_status,
            r.last_error,
            r.started_at,
            r.completed_at
        ])?;
        let insert = if changed == 1 {
            &mut insert
        } else {
            &mut insert_if_delivery
        };
        insert.execute(params![
            r.attempt_id,
            r.delivery_id,
            r.attempt_number,
            r.started_at,
            r.duration_ms,
            r.http_status,
            r.error_kind,
            r.error_message,
            r.request_headers,
            r.response_headers,
            r.response_body
        ])?;
        updated.push(changed == 1);
    }
    Ok(updated)
}
