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

mod cpu;
mod server;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use axum::body::Bytes;
use serde_json::{json, Value};

use cpu::{cpu_seconds_of, machine_busy_fraction, machine_ticks};
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
    /// Print one JSON object instead of a report.
    #[arg(long)]
    pub json: bool,
}

/// A filter of `clauses` conditions the benchmark's events all pass, mixing
/// the operators a real filter uses.
fn passing_filter(clauses: usize) -> Value {
    let kinds = [
        ("data.n", json!({ "$gte": 0 })),
        ("type", json!("webhook.test")),
        ("data.n", json!({ "$exists": true })),
        ("type", json!({ "$in": ["order.paid", "webhook.test"] })),
        ("data.source", json!({ "$ne": "replay" })),
        ("type", json!({ "$startsWith": "webhook." })),
    ];
    let all: Vec<Value> = (0..clauses)
        .map(|i| {
            let (path, test) = &kinds[i % kinds.len()];
            json!({ *path: test })
        })
        .collect();
    json!({ "$and": all })
}

/// What the receiver saw.
#[derive(Default)]
struct Seen {
    received: AtomicU64,
    /// publish (event timestamp) → receipt, in µs, for healthy deliveries.
    latencies_us: Mutex<Vec<u64>>,
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

    let postmaster = postmaster_of(&db_url, &args).await;
    let db_before = postmaster.map(cpu::ended_children_cpu_seconds);
    let cpu_before = server.cpu_seconds();
    let own_before = cpu_seconds_of("self");
    let machine_before = machine_ticks();
    let started = Instant::now();
    let publish_us = publish_all(&client, &base, &key, &args).await?;
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
    let cpu = server.cpu_seconds() - cpu_before;
    let own_cpu = cpu_seconds_of("self") - own_before;
    let machine_busy = machine_busy_fraction(machine_before, machine_ticks());
    let rss_mb = server.peak_rss_mb();
    server.stop();
    // The server's connections are closed: its backends end, and the
    // postmaster counts their CPU time once it has reaped them.
    tokio::time::sleep(Duration::from_millis(300)).await;
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
        "filter_clauses": args.filter_clauses,
        "events_per_s": round(args.events as f64 / published_in.as_secs_f64()),
        "deliveries": expected,
        "deliveries_per_s": round(deliveries_per_s),
        "publish_to_202_ms": { "p50": pct(&pubs, 50.0), "p99": pct(&pubs, 99.0), "max": pct(&pubs, 100.0) },
        "publish_to_received_ms": { "p50": pct(&lat, 50.0), "p90": pct(&lat, 90.0), "p99": pct(&lat, 99.0), "max": pct(&lat, 100.0) },
        "server_cpu_seconds": round(cpu), "server_peak_rss_mb": round(rss_mb),
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

async fn start_receiver(seen: Arc<Seen>) -> anyhow::Result<String> {
    let ok = move |body: Bytes| {
        let seen = seen.clone();
        async move {
            let now = chrono::Utc::now();
            if let Ok(v) = serde_json::from_slice::<Value>(&body) {
                if let Some(t) = v["timestamp"]
                    .as_str()
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                {
                    let us = (now - t.with_timezone(&chrono::Utc))
                        .num_microseconds()
                        .unwrap_or(0)
                        .max(0) as u64;
                    if let Ok(mut l) = seen.latencies_us.lock() {
                        l.push(us);
                    }
                }
            }
            seen.received.fetch_add(1, Ordering::Relaxed);
        }
    };
    let app = axum::Router::new()
        .route("/ok", axum::routing::post(ok))
        .route("/raw", axum::routing::post(|| async {}))
        .route(
            "/hang",
            axum::routing::post(|| async { tokio::time::sleep(Duration::from_secs(3600)).await }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(base)
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

async fn publish_all(
    client: &reqwest::Client,
    base: &str,
    key: &str,
    args: &BenchArgs,
) -> anyhow::Result<Vec<u64>> {
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..args.publishers {
        let (client, url, key, next) = (
            client.clone(),
            format!("{base}/api/v1/events"),
            key.to_owned(),
            next.clone(),
        );
        let (total, rate) = (args.events as u64, args.rate);
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= total {
                    return Ok::<_, anyhow::Error>(times);
                }
                if rate > 0 {
                    let due = started + Duration::from_secs_f64(n as f64 / rate as f64);
                    tokio::time::sleep_until(due.into()).await;
                }
                let t = Instant::now();
                let resp = client
                    .post(&url)
                    .bearer_auth(&key)
                    .json(&json!({ "type": "webhook.test", "data": { "n": n } }))
                    .send()
                    .await?;
                if resp.status() != 202 {
                    bail!("publish answered {}", resp.status());
                }
                times.push(t.elapsed().as_micros() as u64);
            }
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    Ok(all)
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
