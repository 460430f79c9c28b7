//! Window statistics' SQL (PostgreSQL); the operations are shared
//! ([`crate::store::sql::stats`]). Counts use `FILTER` clauses; a timeline's
//! bucket numbers come from epoch arithmetic on `timestamptz`. Reads run on
//! the main pool, never on the hot statements' pool.

use super::PgStore;
use crate::store::sql::stats::StatsSql;

/// A delivery's bucket number: whole `$3` milliseconds since `$2`.
macro_rules! bucket {
    () => {
        "floor(extract(epoch FROM (d.created_at - $2)) * 1000 / $3::float8)::int8"
    };
}

impl StatsSql for PgStore {
    const AVG_DURATION: &'static str = "SELECT avg(a.duration_ms)::float8 AS avg \
         FROM deliveries d JOIN attempts a ON a.delivery_id = d.id \
         WHERE d.webhook_id = $1 AND d.created_at >= $2";
    const COUNTS: &'static str = "SELECT webhook_id, count(*) AS total, \
           count(*) FILTER (WHERE status = 'delivered') AS delivered, \
           count(*) FILTER (WHERE status = 'failed') AS failed, \
           count(*) FILTER (WHERE status IN ('pending', 'retrying')) AS pending, \
           max(last_attempt_at) AS last_at \
         FROM deliveries WHERE webhook_id = ANY($1) AND created_at >= $2 \
         GROUP BY webhook_id";
    const TENANT_COUNTS: &'static str = "SELECT count(*) AS total, \
           count(*) FILTER (WHERE status = 'delivered') AS delivered, \
           count(*) FILTER (WHERE status = 'failed') AS failed \
         FROM deliveries WHERE tenant_id = $1 AND created_at >= $2";
    const RETRY_BACKLOG: &'static str = "SELECT count(*) AS retrying FROM deliveries \
         WHERE status = 'retrying' AND next_attempt_at <= $2 AND tenant_id = $1";
    const TOP_FAILING: &'static str = "SELECT d.webhook_id, w.url, count(*) AS failures \
         FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id \
         WHERE d.tenant_id = $1 AND d.created_at >= $2 AND d.status = 'failed' \
         GROUP BY d.webhook_id, w.url ORDER BY failures DESC, d.webhook_id LIMIT 10";
    const TIMELINE_COUNTS: &'static str = concat!(
        "SELECT ",
        bucket!(),
        " AS b, \
           count(*) FILTER (WHERE status = 'delivered') AS delivered, \
           count(*) FILTER (WHERE status = 'failed') AS failed, \
           count(*) FILTER (WHERE status IN ('pending', 'retrying')) AS pending \
         FROM deliveries d WHERE webhook_id = $1 AND created_at >= $2 GROUP BY b"
    );
    const TIMELINE_DURATIONS: &'static str = concat!(
        "SELECT ",
        bucket!(),
        " AS b, avg(a.duration_ms)::float8 AS avg \
         FROM deliveries d JOIN attempts a ON a.delivery_id = d.id \
         WHERE d.webhook_id = $1 AND d.created_at >= $2 GROUP BY b"
    );
    const QUEUE_DEPTH: &'static str =
        "SELECT count(*) FILTER (WHERE next_attempt_at <= $1) AS due, \
           count(*) FILTER (WHERE next_attempt_at > $1) AS later \
         FROM deliveries WHERE status IN ('pending', 'retrying')";
}
