//! Recording attempt results (SQLite): a whole batch in two statements.
//!
//! Each statement is a round trip to SQLite's worker thread, so a per-result
//! UPDATE and INSERT made a batch of 20 cost 40 round trips. The batch goes
//! instead as one multi-row `VALUES` list per statement (a CTE the UPDATE joins
//! and the INSERT selects from).

use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::{ms, to_json, Result};
use crate::model::Attempt;
use crate::store::AttemptResult;

/// Results per statement: 11 parameters each, well under SQLite's 32,766.
const ROWS_PER_STATEMENT: usize = 256;

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
/// to `owner` takes its new status, and every attempt whose delivery still
/// exists gets its history row. Returns, per result, whether the delivery was
/// updated (false: the lease was lost, e.g. expired and taken by another node).
pub(super) async fn record(
    tx: &mut SqliteConnection,
    owner: &str,
    results: &[(Attempt, AttemptResult)],
) -> Result<Vec<bool>> {
    let rows = results
        .iter()
        .map(|(a, r)| Row::new(a, r))
        .collect::<Result<Vec<_>>>()?;
    let mut updated = std::collections::HashSet::new();
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "WITH u (id, status, attempt_number, next_attempt_at, http_status, last_error, \
               started_at, completed_at) AS (",
        );
        q.push_values(chunk, |mut row, r| {
            row.push_bind(r.delivery_id)
                .push_bind(r.status)
                .push_bind(r.attempt_number)
                .push_bind(r.next_attempt_at)
                .push_bind(r.http_status)
                .push_bind(r.last_error.as_deref())
                .push_bind(r.started_at)
                .push_bind(r.completed_at);
        });
        q.push(
            ") UPDATE deliveries SET status = u.status, \
               attempt_count = MAX(attempt_count, u.attempt_number), \
               next_attempt_at = u.next_attempt_at, last_http_status = u.http_status, \
               last_error = u.last_error, last_attempt_at = u.started_at, \
               completed_at = u.completed_at, lease_owner = NULL, lease_expires_at = NULL \
             FROM u WHERE deliveries.id = u.id AND deliveries.lease_owner = ",
        );
        q.push_bind(owner).push(" RETURNING deliveries.id");
        let ids: Vec<String> = q.build_query_scalar().fetch_all(&mut *tx).await?;
        updated.extend(ids);

        let mut q = QueryBuilder::<Sqlite>::new(
            "WITH a (id, delivery_id, attempt_number, started_at, duration_ms, http_status, \
               error_kind, error_message, request_headers, response_headers, response_body) AS (",
        );
        q.push_values(chunk, |mut row, r| {
            row.push_bind(r.attempt_id)
                .push_bind(r.delivery_id)
                .push_bind(r.attempt_number)
                .push_bind(r.started_at)
                .push_bind(r.duration_ms)
                .push_bind(r.http_status)
                .push_bind(r.error_kind)
                .push_bind(r.error_message)
                .push_bind(&r.request_headers)
                .push_bind(&r.response_headers)
                .push_bind(r.response_body);
        });
        q.push(
            ") INSERT INTO attempts (id, delivery_id, attempt_number, started_at, duration_ms, \
               http_status, error_kind, error_message, request_headers, response_headers, \
               response_body) \
             SELECT * FROM a WHERE EXISTS (SELECT 1 FROM deliveries d WHERE d.id = a.delivery_id) \
             ON CONFLICT (delivery_id, attempt_number) DO NOTHING",
        );
        q.build().execute(&mut *tx).await?;
    }
    Ok(results
        .iter()
        .map(|(a, _)| updated.contains(&a.delivery_id))
        .collect())
}
