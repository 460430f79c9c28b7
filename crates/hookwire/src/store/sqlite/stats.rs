//! Window statistics' SQL (SQLite); the operations are shared
//! ([`crate::store::sql::stats`]). Times are integer milliseconds here, so a
//! timeline's buckets are integer division; two statements name their index,
//! because left to itself the planner walks more rows than they count.

use super::SqliteStore;
use crate::store::sql::stats::StatsSql;

impl StatsSql for SqliteStore {
    const AVG_DURATION: &'static str = "SELECT AVG(a.duration_ms) AS avg \
         FROM deliveries d JOIN attempts a ON a.delivery_id = d.id \
         WHERE d.webhook_id = ?1 AND d.created_at >= ?2";
    const COUNTS: &'static str = "SELECT webhook_id, COUNT(*) AS total, \
           COALESCE(SUM(status = 'delivered'), 0) AS delivered, \
           COALESCE(SUM(status = 'failed'), 0) AS failed, \
           COALESCE(SUM(status IN ('pending', 'retrying')), 0) AS pending, \
           MAX(last_attempt_at) AS last_at \
         FROM deliveries \
         WHERE webhook_id IN (SELECT value FROM json_each(?1)) AND created_at >= ?2 \
         GROUP BY webhook_id";
    const TENANT_COUNTS: &'static str = "SELECT COUNT(*) AS total, \
           COALESCE(SUM(status = 'delivered'), 0) AS delivered, \
           COALESCE(SUM(status = 'failed'), 0) AS failed \
         FROM deliveries WHERE tenant_id = ?1 AND created_at >= ?2";
    /// From the partial index of retrying deliveries, named: left to itself
    /// the planner may walk the tenant's history or the whole due queue.
    const RETRY_BACKLOG: &'static str = "SELECT COUNT(*) AS retrying \
         FROM deliveries INDEXED BY deliveries_retrying \
         WHERE status = 'retrying' AND next_attempt_at <= ?2 AND tenant_id = ?1";
    /// Counted in the tenant's window index alone (named: left to itself,
    /// SQLite walks each webhook's window for the grouping order and looks
    /// every row up in the table for its tenant), then joined.
    const TOP_FAILING: &'static str = "SELECT f.webhook_id, w.url, f.failures \
         FROM (SELECT webhook_id, COUNT(*) AS failures \
               FROM deliveries INDEXED BY deliveries_tenant_window \
               WHERE tenant_id = ?1 AND created_at >= ?2 AND status = 'failed' \
               GROUP BY webhook_id) f \
         JOIN webhooks w ON w.id = f.webhook_id \
         ORDER BY f.failures DESC, f.webhook_id LIMIT 10";
    const TIMELINE_COUNTS: &'static str = "SELECT (created_at - ?2) / ?3 AS b, \
           COALESCE(SUM(status = 'delivered'), 0) AS delivered, \
           COALESCE(SUM(status = 'failed'), 0) AS failed, \
           COALESCE(SUM(status IN ('pending', 'retrying')), 0) AS pending \
         FROM deliveries WHERE webhook_id = ?1 AND created_at >= ?2 GROUP BY b";
    const TIMELINE_DURATIONS: &'static str =
        "SELECT (d.created_at - ?2) / ?3 AS b, AVG(a.duration_ms) AS avg \
         FROM deliveries d JOIN attempts a ON a.delivery_id = d.id \
         WHERE d.webhook_id = ?1 AND d.created_at >= ?2 GROUP BY b";
    const QUEUE_DEPTH: &'static str = "SELECT COALESCE(SUM(next_attempt_at <= ?1), 0) AS due, \
           COALESCE(SUM(next_attempt_at > ?1), 0) AS later \
         FROM deliveries WHERE status IN ('pending', 'retrying')";
}
