//! Statistics on a large history.
//!
//! Seeds N deliveries (one event, one delivery and one attempt each, spread over
//! the last 7 days, across 100 webhooks of one tenant; 90 % delivered, 5 % failed,
//! 5 % retrying) with set-based SQL, then times the stats queries the API runs and
//! a webhook's history page (all of it, and its failures only), and prints the
//! stats queries' plans.
//!
//! ```text
//! cargo bench -p hookwire --features testing --bench stats -- [--deliveries N] [--backend sqlite|postgres]
//! ```

use std::time::{Duration, Instant};

use chrono::TimeDelta;
use hookwire::model::{
    ApiKey, DeliveryStatus, RetryPolicy, Tenant, Webhook, WebhookDraft, WebhookSpec,
};
use hookwire::net::UrlPolicy;
use hookwire::page::PageRequest;
use hookwire::store::{self, DeliveryFilter, DynStore};
use hookwire::testing::{Backend, TestDatabase};
use hookwire::{clock, TenantId, WebhookId};
use sqlx::{Connection, Executor};

const WEBHOOKS: usize = 100;
const SPAN_MS: i64 = 7 * 86_400_000;

#[path = "common/args.rs"]
mod args;
use args::Args;

#[tokio::main]
async fn main() {
    let args = Args::from_env();
    let n: i64 = args.get("--deliveries", 1_000_000);
    let backend = args.backend();
    let db = TestDatabase::create(backend)
        .await
        .expect("a database for the benchmark");
    let store = store::open(&db.url).await.expect("open store");
    let (tenant, webhooks) = setup(&store).await;
    let t = Instant::now();
    seed(backend, &db.url, &tenant, n).await;
    println!(
        "backend {backend:?}: seeded {n} deliveries in {:.1?}",
        t.elapsed()
    );

    let now = clock::now();
    let day = now - TimeDelta::days(1);
    let week = now - TimeDelta::days(7);
    report("webhook_stats 24h (1 of 100 webhooks)", || {
        store.webhook_stats(&tenant, &webhooks[7], day)
    })
    .await;
    report("webhook_stats 7d (1 of 100 webhooks)", || {
        store.webhook_stats(&tenant, &webhooks[7], week)
    })
    .await;
    report("tenant_stats 24h", || store.tenant_stats(&tenant, day, now)).await;
    report("tenant_stats 7d (every delivery)", || {
        store.tenant_stats(&tenant, week, now)
    })
    .await;
    report("queue_depth", || store.queue_depth(now)).await;
    // A history page of one webhook, and of its failures only (5 % of it).
    let page = PageRequest::default();
    let any = DeliveryFilter::default();
    let failed = DeliveryFilter {
        status: Some(DeliveryStatus::Failed),
        ..Default::default()
    };
    report("list_deliveries, first page", || {
        store.list_deliveries(&tenant, &webhooks[7], &any, &page)
    })
    .await;
    report("list_deliveries status=failed, first page", || {
        store.list_deliveries(&tenant, &webhooks[7], &failed, &page)
    })
    .await;
    plans(backend, &db.url, &tenant, &webhooks[7]).await;
}

async fn setup(store: &DynStore) -> (TenantId, Vec<WebhookId>) {
    let t = Tenant::new("bench").unwrap();
    let (k, _) = ApiKey::generate(&t.id);
    store.create_tenant(&t, &k).await.unwrap();
    let mut ids = Vec::new();
    for i in 0..WEBHOOKS {
        let draft = WebhookDraft {
            url: format!("https://93.184.216.34/{i}"),
            events: vec!["*".into()],
            ..Default::default()
        };
        let spec =
            WebhookSpec::validate(draft, RetryPolicy::default(), &UrlPolicy::default(), |_| {
                true
            })
            .await
            .unwrap();
        let mut w = Webhook::create(Some(&t.id), spec);
        w.id = format!("wh_{i:032}").into();
        store.insert_webhook(&w).await.unwrap();
        ids.push(w.id);
    }
    (t.id, ids)
}

async fn seed(backend: Backend, url: &str, tenant: &str, n: i64) {
    let now = clock::now().timestamp_millis();
    let step = (SPAN_MS / n).max(1);
    match backend {
        Backend::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
            let series = format!(
                "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < {n} - 1)"
            );
            let t = format!("{now} - i * {step}");
            for sql in [
                format!("{series} INSERT INTO events (id, tenant_id, event_type, data, created_at) \
                         SELECT printf('evt_%032d', i), '{tenant}', 'bench.event', '{{}}', {t} FROM s"),
                format!("{series} INSERT INTO deliveries (id, tenant_id, event_id, webhook_id, status, \
                           attempt_count, next_attempt_at, last_attempt_at, created_at, event_type) \
                         SELECT printf('dlv_%032d', i), '{tenant}', printf('evt_%032d', i), \
                           printf('wh_%032d', i % {WEBHOOKS}), \
                           CASE (i / {WEBHOOKS}) % 20 WHEN 0 THEN 'failed' WHEN 1 THEN 'retrying' ELSE 'delivered' END, 1, \
                           CASE (i / {WEBHOOKS}) % 20 WHEN 1 THEN {now} + 3600000 ELSE NULL END, {t}, {t}, 'bench.event' FROM s"),
                format!("{series} INSERT INTO attempts (id, delivery_id, attempt_number, started_at, \
                           duration_ms, http_status) \
                         SELECT printf('att_%032d', i), printf('dlv_%032d', i), 1, {t}, 20 + i % 200, \
                           CASE i % 20 WHEN 0 THEN 500 WHEN 1 THEN 503 ELSE 200 END FROM s"),
                "ANALYZE".to_owned(),
            ] {
                c.execute(sql.as_str()).await.unwrap();
            }
        }
        Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            let series = format!("FROM generate_series(0, {n} - 1) AS i");
            let t = format!("to_timestamp(({now} - i * {step}) / 1000.0)");
            let id = |p: &str| format!("'{p}_' || lpad(i::text, 32, '0')");
            let wh = format!("'wh_' || lpad((i % {WEBHOOKS})::text, 32, '0')");
            for sql in [
                format!("INSERT INTO events (id, tenant_id, event_type, data, created_at) \
                         SELECT {}, '{tenant}', 'bench.event', '{{}}', {t} {series}", id("evt")),
                format!("INSERT INTO deliveries (id, tenant_id, event_id, webhook_id, status, \
                           attempt_count, next_attempt_at, last_attempt_at, created_at, event_type) \
                         SELECT {}, '{tenant}', {}, {wh}, \
                           CASE (i / {WEBHOOKS}) % 20 WHEN 0 THEN 'failed' WHEN 1 THEN 'retrying' ELSE 'delivered' END, 1, \
                           CASE (i / {WEBHOOKS}) % 20 WHEN 1 THEN now() + interval '1 hour' END, {t}, {t}, 'bench.event' \
                         {series}", id("dlv"), id("evt")),
                format!("INSERT INTO attempts (id, delivery_id, attempt_number, started_at, \
                           duration_ms, http_status) \
                         SELECT {}, {}, 1, {t}, 20 + i % 200, \
                           CASE i % 20 WHEN 0 THEN 500 WHEN 1 THEN 503 ELSE 200 END {series}",
                        id("att"), id("dlv")),
                "VACUUM ANALYZE".to_owned(),
            ] {
                c.execute(sql.as_str()).await.unwrap();
            }
        }
    }
}

/// Time a query: one warm-up, then the median and max of 11 runs.
async fn report<T: std::fmt::Debug, F, Fut>(name: &str, mut query: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, store::Error>>,
{
    let first = query().await.unwrap();
    let mut times: Vec<Duration> = Vec::new();
    for _ in 0..11 {
        let t = Instant::now();
        query().await.unwrap();
        times.push(t.elapsed());
    }
    times.sort();
    println!(
        "{name:<42} median {:>9.2?}  max {:>9.2?}   {:.90}",
        times[times.len() / 2],
        times[times.len() - 1],
        format!("{first:?}")
    );
}

async fn plans(backend: Backend, url: &str, tenant: &str, webhook: &str) {
    let since = clock::now().timestamp_millis() - 86_400_000;
    let queries = [
        format!("SELECT count(*) FROM deliveries WHERE webhook_id = '{webhook}' AND created_at >= {{since}}"),
        format!("SELECT count(*) FROM deliveries WHERE tenant_id = '{tenant}' AND created_at >= {{since}}"),
        // The queue-depth gauge and the worker's claim read the live queue.
        "SELECT count(*) FROM deliveries WHERE status IN ('pending', 'retrying') AND next_attempt_at <= {since}".to_owned(),
        // Tenant stats: the top failing webhooks.
        format!("SELECT f.webhook_id, w.url, f.failures FROM (SELECT webhook_id, COUNT(*) AS failures FROM deliveries INDEXED BY deliveries_tenant_window WHERE tenant_id = '{tenant}' AND created_at >= {{since}} AND status = 'failed' GROUP BY webhook_id) f JOIN webhooks w ON w.id = f.webhook_id ORDER BY f.failures DESC, f.webhook_id LIMIT 10"),
    ];
    println!("\nquery plans:");
    for q in queries {
        match backend {
            Backend::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
                let q = q.replace("{since}", &since.to_string());
                let rows: Vec<(i64, i64, i64, String)> =
                    sqlx::query_as(&format!("EXPLAIN QUERY PLAN {q}"))
                        .fetch_all(&mut c)
                        .await
                        .unwrap();
                println!(
                    "  {q}\n    {}",
                    rows.iter()
                        .map(|r| r.3.clone())
                        .collect::<Vec<_>>()
                        .join(" / ")
                );
            }
            Backend::Postgres => {
                let mut c = sqlx::PgConnection::connect(url).await.unwrap();
                // `INDEXED BY` is SQLite's; PostgreSQL plans without it.
                let q = without_indexed_by(&q)
                    .replace("{since}", &format!("to_timestamp({since} / 1000.0)"));
                let rows: Vec<(String,)> = sqlx::query_as(&format!("EXPLAIN {q}"))
                    .fetch_all(&mut c)
                    .await
                    .unwrap();
                println!(
                    "  {q}\n    {}",
                    rows.iter()
                        .map(|r| r.0.trim().to_owned())
                        .collect::<Vec<_>>()
                        .join(" / ")
                );
            }
        }
    }
}

/// `q` without SQLite's `INDEXED BY <index>` clauses.
fn without_indexed_by(q: &str) -> String {
    let mut words = q.split(' ');
    let mut out = Vec::new();
    while let Some(w) = words.next() {
        if w == "INDEXED" {
            words.next(); // BY
            words.next(); // the index
        } else {
            out.push(w);
        }
    }
    out.join(" ")
}
