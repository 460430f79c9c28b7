//! The retention job: deletes history older than the retention period, caps
//! each webhook's history and the audit log, forgets idempotency keys after
//! 24 h, and deletes expired dashboard sessions.
//!
//! Work is done in bounded batches with a short pause between them, so the job
//! never holds long locks or starves deliveries; any number of nodes may run it.

use std::future::Future;
use std::time::Duration;

use chrono::TimeDelta;

use crate::clock;
use crate::model::IDEMPOTENCY_WINDOW_HOURS;
use crate::store::{self, DynStore};

/// What to keep.
#[derive(Debug, Clone)]
pub struct RetentionOptions {
    /// Delete events (with deliveries and attempts) older than this many days.
    pub retention_days: u32,
    /// Keep at most this many final deliveries per webhook (`None` = no cap).
    pub max_deliveries_per_webhook: Option<u32>,
    /// Rows per statement.
    pub batch: u32,
    /// Time between runs.
    pub interval: Duration,
}

impl Default for RetentionOptions {
    fn default() -> Self {
        Self {
            retention_days: 30,
            max_deliveries_per_webhook: None,
            batch: 1_000,
            interval: Duration::from_secs(600),
        }
    }
}

/// What one run removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetentionReport {
    /// Events deleted (with their deliveries and attempts).
    pub events: u64,
    /// Deliveries trimmed by the per-webhook cap.
    pub deliveries: u64,
    /// Idempotency keys forgotten.
    pub idempotency_keys: u64,
    /// Expired dashboard sessions deleted.
    pub sessions: u64,
    /// Audit log entries older than the retention period deleted.
    pub audit_entries: u64,
}

/// One full pass: loop each clean-up in batches until nothing is left.
pub async fn run_once(
    store: &DynStore,
    opts: &RetentionOptions,
) -> Result<RetentionReport, store::Error> {
    let now = clock::now();
    let mut report = RetentionReport::default();
    let cutoff = now - TimeDelta::days(i64::from(opts.retention_days));
    report.events = drain(|| store.purge_events(cutoff, opts.batch)).await?;
    report.audit_entries = drain(|| store.purge_audit(cutoff, opts.batch)).await?;
    if let Some(keep) = opts.max_deliveries_per_webhook {
        report.deliveries = drain(|| store.trim_deliveries(keep, opts.batch)).await?;
    }
    let key_cutoff = now - TimeDelta::hours(IDEMPOTENCY_WINDOW_HOURS);
    report.idempotency_keys =
        drain(|| store.expire_idempotency_keys(key_cutoff, opts.batch)).await?;
    // Few rows (one per sign-in): one statement, no batches.
    report.sessions = store.delete_expired_sessions(now).await?;
    Ok(report)
}

/// Run a batched delete until a batch finds nothing, pausing between
/// batches; returns how many rows went in all.
async fn drain<F, Fut>(mut step: F) -> Result<u64, store::Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<u64, store::Error>>,
{
    let mut total = 0;
    loop {
        let n = step().await?;
        total += n;
        if n == 0 {
            return Ok(total);
        }
        // Let other writers in between batches.
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Run [`run_once`] every `interval` until `shutdown` resolves.
pub async fn run(store: DynStore, opts: RetentionOptions, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    loop {
        match run_once(&store, &opts).await {
            Ok(r) if r != RetentionReport::default() => tracing::info!(
                events = r.events,
                deliveries = r.deliveries,
                idempotency_keys = r.idempotency_keys,
                sessions = r.sessions,
                audit_entries = r.audit_entries,
                "retention removed old history"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "retention run failed; will retry"),
        }
        tokio::select! {
            () = &mut shutdown => return,
            () = tokio::time::sleep(opts.interval) => {}
        }
    }
}
