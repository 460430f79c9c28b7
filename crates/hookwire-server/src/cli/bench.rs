//! `hookwire bench`: end-to-end throughput and latency, with a baseline.
//!
//! One run: a lean receiver on 127.0.0.1 answering 200 (and, for `--fail-ratio`,
//! an endpoint that hangs past the webhook timeout); `hookwire serve` as a child
//! process on a fresh database, so its CPU time and peak RSS are its own; W
//! webhooks; E events published through the real API by concurrent publishers;
//! then wait until every healthy delivery has arrived. The same HTTP client stack
//! then POSTs the same body to the same receiver with keep-alive and no storage:
//! hookwire's deliveries/s is reported as a ratio of that raw rate.
//!
//! Besides rates and latencies it reports where the machine's time went per
//! delivery — the server's CPU, the bench's own (publishers and receiver),
//! and with a local PostgreSQL its backends' — next to what one raw POST
//! costs, so a ratio can be read as a budget.

mod bulk_retry;
mod cpu;
mod load;
mod receiver;
mod server;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use serde_json::{json, Value};

use cpu::{cpu_seconds_of, machine_busy_fraction, machine_ticks};
use load::{passing_filter, publish_all, Load};
use receiver::{start_receiver, Seen};
use server::Server;

/// Options of one run.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// `sqlite` (a temporary file) or `postgres` (a fresh database on --postgres-url).
    #[arg(long, default_value = "sqlite")]
    pub backend: String,
    /// Server to create the benchmark database on (postgres backend).
    #[arg(
        long,
        env = "HOOKWIRE_TEST_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pub postgres_url: String,
    /// Webhooks, each subscribed to every event.
    #[arg(long, default_value_t = 1)]
    pub webhooks: usize,
    /// Events to publish.
    #[arg(long, default_value_t = 10_000)]
    pub events: usize,
    /// Target publish rate in events/s (0 = as fast as the publishers go).
    #[arg(long, default_value_t = 0)]
    pub rate: u64,
    /// Concurrent publishers.
    #[arg(long, default_value_t = 32)]
    pub publishers: usize,
    /// Fraction of webhooks pointing at an endpoint that hangs past its timeout.
    #[arg(long, default_value_t = 0.0)]
    pub fail_ratio: f64,
    /// Give every webhook a payload filter of this many clauses, each of
    /// which every event passes (so the same deliveries are made and what is
    /// measured is the filters' cost); 0: no filter.
    #[arg(long, default_value_t = 0)]
    pub filter_clauses: usize,
    /// Make every webhook `ordering: "fifo"` and spread the events over this
    /// many ordering keys (round robin); 0: no ordering.
    #[arg(long, default_value_t = 0)]
    pub ordering_keys: usize,
    /// Before the run, make this many deliveries to an endpoint that answers
    /// 422 (and let them fail); as the run starts, requeue them all with one
    /// bulk retry, so the run's events are measured while they drain.
    #[arg(long, default_value_t = 0)]
    pub bulk_retry: usize,
    /// Print one JSON object instead of a report.
    #[arg(long)]
    pub json: bool,
}

/// Run the benchmark and print the report.
pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    if !(0.0..1.0).contains(&args.fail_ratio) {
        bail!("--fail-ratio must be in [0, 1)");
    }
    let seen = Arc::new(Seen::default());
    let receiver = start_receiver(seen.clone()).await?;
    let (db_url, _guard) = database(&args).await?;
    let mut server = Server::start(&db_url).await?;
    let base = server.base.clone();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.publishers)
        .build()?;
    let healthy = args.webhooks - (args.webhooks as f64 * args.fail_ratio).round() as usize;
    let expected = (args.events * healthy) as u64;
    let raw_posts = expected.clamp(2_000, 50_000);
    // The baseline is measured before the run and after it, and the higher
    // figure counts: the box's speed drifts (a PostgreSQL run leaves its
    // checkpointer busy for a while), and a low baseline would flatter the
    // ratio.
    let baseline_before = raw_post_rate(&client, &receiver, args.publishers, raw_posts).await?;
    let key = setup(&client, &base, &receiver, &args).await?;
    let backlog = match args.bulk_retry {
        0 => None,
        n => Some(bulk_retry::prepare(&client, &base, &key, &receiver, n, &seen).await?),
    };

    let writes_before = database_writes(&server, &db_url, &args).await;
    let postmaster = postmaster_of(&db_url, &args).await;
    let db_before = postmaster.map(cpu::ended_children_cpu_seconds);
    let cpu_before = server.cpu_seconds();
    let own_before = cpu_seconds_of("self");
    let machine_before = machine_ticks();
    let started = Instant::now();
    let requeue = {
        let (client, base, key) = (client.clone(), base.clone(), key.clone());
        backlog.map(|b| {
            tokio::spawn(async move { bulk_retry::requeue(&client, &base, &key, &b).await })
        })
    };
    let publish_us = publish_all(&client, &base, &key, &Load::of(&args)).await?;
    let published_in = started.elapsed();
    let deadline = Instant::now() + Duration::from_secs(600);
    while seen.received.load(Ordering::Relaxed) < expected {
        if Instant::now() > deadline {
            bail!(
                "only {} of {expected} deliveries arrived",
                seen.received.load(Ordering::Relaxed)
            );
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let delivered_in = started.elapsed();
    let bulk = match requeue {
        Some(call) => {
            let (requeued, call_ms) = call.await??;
            json!({ "requeued": requeued, "requeue_call_ms": round(call_ms),
                    "retried_during_run": seen.failed.load(Ordering::Relaxed) })
        }
        None => Value::Null,
    };
    let cpu = server.cpu_seconds() - cpu_before;
    let own_cpu = cpu_seconds_of("self") - own_before;
    let machine_busy = machine_busy_fraction(machine_before, machine_ticks());
    let rss_mb = server.peak_rss_mb();
    let disk_after = server.disk_write_bytes();
    server.stop();
    // The server's connections are closed: its backends end, and the
    // postmaster counts their CPU time once it has reaped them (and the
    // statistics collector their commits and rows).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let writes_after = match args.backend.as_str() {
        "postgres" => database_writes(&server, &db_url, &args).await,
        _ => disk_after.map(|bytes| [bytes as f64, 0.0]),
    };
    let per_s = |x: f64| round(x / delivered_in.as_secs_f64());
    let writes = match (writes_before, writes_after) {
        (Some(before), Some(after)) if args.backend == "postgres" => json!({
            "commits_per_s": per_s(after[0] - before[0]),
            "rows_per_s": per_s(after[1] - before[1]),
        }),
        (Some(before), Some(after)) => json!({ "disk_bytes_per_s": per_s(after[0] - before[0]) }),
        _ => Value::Null,
    };
    let db_cpu = postmaster
        .zip(db_before)
        .map(|(pm, before)| cpu::ended_children_cpu_seconds(pm) - before);

    if args.backend == "postgres" {
        drop_pg_database(&args.postgres_url, &db_url).await;
    }
    let baseline_after = raw_post_rate(&client, &receiver, args.publishers, raw_posts).await?;
    let baseline = baseline_before.max(baseline_after);
    let mut lat = seen
        .latencies_us
        .lock()
        .map(|l| l.clone())
        .unwrap_or_default();
    lat.sort_unstable();
    let mut pubs = publish_us;
    pubs.sort_unstable();
    let deliveries_per_s = expected as f64 / delivered_in.as_secs_f64();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let us_each = |seconds: f64| round(seconds * 1e6 / expected as f64);
    let report = json!({
        "backend": args.backend, "webhooks": args.webhooks, "events": args.events,
        "publishers": args.publishers, "rate": args.rate, "fail_ratio": args.fail_ratio,
        "filter_clauses": args.filter_clauses, "ordering_keys": args.ordering_keys,
        "bulk_retry": bulk,
        "events_per_s": round(args.events as f64 / published_in.as_secs_f64()),
        "deliveries": expected,
        "deliveries_per_s": round(deliveries_per_s),
        "publish_to_202_ms": { "p50": pct(&pubs, 50.0), "p99": pct(&pubs, 99.0), "max": pct(&pubs, 100.0) },
        "publish_to_received_ms": { "p50": pct(&lat, 50.0), "p90": pct(&lat, 90.0), "p99": pct(&lat, 99.0), "max": pct(&lat, 100.0) },
        "server_cpu_seconds": round(cpu), "server_peak_rss_mb": round(rss_mb),
        "database_writes": writes,
        "bench_cpu_seconds": round(own_cpu),
        "cpu_us_per_delivery": {
            "server": us_each(cpu), "bench": us_each(own_cpu), "database": db_cpu.map(us_each),
        },
        "machine_us_per_delivery": round(cores * 1e6 / deliveries_per_s),
        "machine_us_per_raw_post": round(cores * 1e6 / baseline),
        "machine_busy_pct": round(machine_busy * 100.0),
        "baseline_raw_posts_per_s": round(baseline),
        "baseline_before_and_after_per_s": [round(baseline_before), round(baseline_after)],
        "ratio_to_baseline": (deliveries_per_s / baseline * 1000.0).round() / 1000.0,
    });
    if args.json {
        println!("{report}");
    } else {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    Ok(())
}

fn round(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Percentile of sorted µs samples, in ms.
fn pct(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    round(sorted[i.min(sorted.len() - 1)] as f64 / 1000.0)
}

async fn database(args: &BenchArgs) -> anyhow::Result<(String, Option<tempfile::TempDir>)> {
    match args.backend.as_str() {
        "sqlite" => {
            let dir = tempfile::tempdir()?;
            Ok((
                format!("sqlite://{}/bench.db", dir.path().display()),
                Some(dir),
            ))
        }
        "postgres" => {
            use sqlx::{Connection, Executor};
            let name = format!("hookwire_bench_{}", std::process::id());
            let mut c = sqlx::PgConnection::connect(&args.postgres_url)
                .await
                .context("connecting to PostgreSQL")?;
            c.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                .await?;
            c.execute(format!("CREATE DATABASE {name}").as_str())
                .await?;
            Ok((url_with_db(&args.postgres_url, &name), None))
        }
        other => bail!("--backend {other:?}: use sqlite or postgres"),
    }
}

/// Leave the server as we found it.
async fn drop_pg_database(admin_url: &str, db_url: &str) {
    use sqlx::{Connection, Executor};
    let Some(name) = db_url.rsplit('/').next() else {
        return;
    };
    if let Ok(mut c) = sqlx::PgConnection::connect(admin_url).await {
        let _ = c
            .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
            .await;
    }
}

/// What the database has written so far: PostgreSQL's committed
/// transactions and rows inserted, updated or deleted in the bench's
/// database (`pg_stat_database`, as its backends have reported them); for
/// SQLite, the bytes the server had written to disk.
async fn database_writes(server: &Server, db_url: &str, args: &BenchArgs) -> Option<[f64; 2]> {
    use sqlx::Connection;
    if args.backend != "postgres" {
        return server.disk_write_bytes().map(|bytes| [bytes as f64, 0.0]);
    }
    let name = db_url.rsplit('/').next()?;
    let mut c = sqlx::PgConnection::connect(&args.postgres_url).await.ok()?;
    let row: (i64, i64) = sqlx::query_as(
        "SELECT xact_commit, tup_inserted + tup_updated + tup_deleted \
         FROM pg_stat_database WHERE datname = $1",
    )
    .bind(name)
    .fetch_one(&mut c)
    .await
    .ok()?;
    let _ = c.close().await;
    Some([row.0 as f64, row.1 as f64])
}

/// The PostgreSQL postmaster serving `db_url`, when it runs on this machine
/// and its processes are visible: the parent of a backend.
async fn postmaster_of(db_url: &str, args: &BenchArgs) -> Option<u32> {
    use sqlx::Connection;
    if args.backend != "postgres" {
        return None;
    }
    let mut c = sqlx::PgConnection::connect(db_url).await.ok()?;
    let backend: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut c)
        .await
        .ok()?;
    // Looked up while the backend lives: once the connection closes, it exits.
    let postmaster = cpu::parent_of(u32::try_from(backend).ok()?).filter(|pm| *pm > 1);
    let _ = c.close().await;
    postmaster
}

fn url_with_db(url: &str, db: &str) -> String {
    match url.rfind('/') {
        Some(i) if i > url.find("://").map_or(0, |s| s + 2) => format!("{}/{db}", &url[..i]),
        _ => format!("{url}/{db}"),
    }
}

async fn setup(
    client: &reqwest::Client,
    base: &str,
    receiver: &str,
    args: &BenchArgs,
) -> anyhow::Result<String> {
    let admin = Server::ADMIN;
    let t: Value = client
        .post(format!("{base}/api/v1/tenants"))
        .bearer_auth(admin)
        .json(&json!({ "name": "bench" }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let key = t["api_key"].as_str().context("no api key")?.to_owned();
    let failing = (args.webhooks as f64 * args.fail_ratio).round() as usize;
    for i in 0..args.webhooks {
        let path = if i < failing { "/hang" } else { "/ok" };
        let mut webhook = json!({ "url": format!("{receiver}{path}"), "events": ["*"],
                                  "timeout_seconds": 1, "retry": { "max_attempts": 1 } });
        if args.filter_clauses > 0 {
            webhook["filter"] = passing_filter(args.filter_clauses);
        }
        if args.ordering_keys > 0 {
            webhook["ordering"] = json!("fifo");
        }
        if args.bulk_retry > 0 {
            webhook["channels"] = json!(["live"]);
        }
        client
            .post(format!("{base}/api/v1/webhooks"))
            .bearer_auth(&key)
            .json(&webhook)
            .send()
            .await?
            .error_for_status()?;
    }
    Ok(key)
}

/// Keep-alive POSTs of a delivery-sized body, no storage: the ceiling.
async fn raw_post_rate(
    client: &reqwest::Client,
    receiver: &str,
    concurrency: usize,
    n: u64,
) -> anyhow::Result<f64> {
    let body = json!({ "id": "evt_0", "type": "webhook.test", "timestamp": "2026-01-01T00:00:00Z",
                       "webhook_id": "wh_0", "data": { "n": 0 } })
    .to_string();
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, url, body, next) = (
            client.clone(),
            format!("{receiver}/raw"),
            body.clone(),
            next.clone(),
        );
        tasks.push(tokio::spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < n {
                client
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await?;
            }
            Ok::<_, reqwest::Error>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(n as f64 / started.elapsed().as_secs_f64())
}
