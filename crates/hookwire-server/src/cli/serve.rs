//! `hookwire serve`: the API, the delivery worker and the retention job.

use anyhow::Context as _;
use hookwire::Worker;
use tokio_util::sync::CancellationToken;

use super::admin::redact;
use crate::app::App;
use crate::config::Config;

/// What a `serve` process does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    /// HTTP API only.
    Api,
    /// Deliveries (and retention) only.
    Worker,
    /// Both.
    All,
}

/// Run until SIGINT/SIGTERM, then shut down gracefully.
pub async fn run(config: Config, role: Role) -> anyhow::Result<()> {
    let telemetry = crate::telemetry::init(&config)?;
    for warning in &config.deprecations {
        tracing::warn!("{warning}");
    }
    config.validate().await?;
    // Before anything opens the database: a second process on one SQLite file
    // would resend the first one's deliveries in flight.
    let _lock = hookwire::store::sqlite::ProcessLock::acquire(&config.database_url)?;
    let app = App::build(&config).await?;
    if let Some(token) = &app.generated_admin_token {
        println!("hookwire: generated an admin token (shown once; store it now):\n\n    {token}\n");
    }
    let stop = CancellationToken::new();
    tokio::spawn({
        let stop = stop.clone();
        async move {
            shutdown_signal().await;
            stop.cancel();
        }
    });
    let worker = if role == Role::Api {
        // No worker here to keep the circuits' view fresh for the publishes.
        let hookwire = app.hookwire.clone();
        tokio::spawn(async move { hookwire.watch_circuits().await });
        None
    } else {
        if config.database_url.starts_with("sqlite:") {
            // This process holds the SQLite file's lock: any lease left is from a
            // dead run.
            let freed = app
                .hookwire
                .store()
                .release_leases(None, hookwire::clock::now())
                .await?;
            if freed > 0 {
                tracing::info!(freed, "released leases left by a previous run");
            }
        }
        let worker = Worker::new(&app.hookwire, config.worker_options());
        app.attach_worker(&worker);
        tracing::info!(owner = worker.owner(), "delivery worker started");
        tokio::spawn(hookwire::retention::run(
            app.hookwire.store().clone(),
            config.retention_options(),
            stop.clone().cancelled_owned(),
        ));
        Some(tokio::spawn(worker.run(stop.clone().cancelled_owned())))
    };
    // Every role listens: the API (and dashboard), or for a worker its probes
    // and metrics only.
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let base = base_url(&listener)?;
    tracing::info!(listen = %config.listen, database = %redact(&config.database_url), ?role, "hookwire serving");
    let routes = if role == Role::Worker {
        tracing::info!("probes {base}/healthz {base}/readyz · metrics {base}/metrics");
        app.probes
    } else {
        tracing::info!(
            "dashboard {base}/ui · API reference {base}/docs · OpenAPI {base}/api/v1/openapi.json"
        );
        app.router
    };
    crate::http::serve(listener, routes, stop.clone().cancelled_owned()).await?;
    if let Some(worker) = worker {
        worker.await?;
    }
    tracing::info!("hookwire stopped");
    telemetry.shutdown();
    Ok(())
}

/// Where a browser on this machine reaches the listener: its address, with
/// loopback for an unspecified one (`0.0.0.0`, `[::]`).
fn base_url(listener: &tokio::net::TcpListener) -> anyhow::Result<String> {
    let mut addr = listener.local_addr()?;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    Ok(format!("http://{addr}"))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
