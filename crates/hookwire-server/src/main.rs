//! The `hookwire` command.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use hookwire::Worker;
use hookwire_server::app::App;
use hookwire_server::config::{Config, LogFormat};
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

/// Outbound webhook delivery: publish events, hookwire signs and delivers them.
#[derive(Debug, Parser)]
#[command(name = "hookwire", version, about)]
struct Cli {
    /// Config file (TOML or YAML). Default: ./hookwire.toml or ./hookwire.yaml if present.
    #[arg(long, short, env = "HOOKWIRE_CONFIG", global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the API server and the delivery worker.
    Serve {
        /// What this process does: `api` (HTTP only), `worker` (deliveries only), or
        /// `all`. Split roles scale separately on PostgreSQL.
        #[arg(long, value_enum, default_value_t = Role::All)]
        role: Role,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Role {
    Api,
    Worker,
    All,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hookwire: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve { role } => serve(cli.config, role).await,
    }
}

async fn serve(config_path: Option<PathBuf>, role: Role) -> anyhow::Result<()> {
    let config = Config::load(config_path.as_deref())?;
    init_logging(config.log_format);
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
        None
    } else {
        if config.database_url.starts_with("sqlite:") {
            // One process owns a SQLite file: any lease left is from a dead run.
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
    if role == Role::Worker {
        stop.cancelled().await;
    } else {
        let listener = tokio::net::TcpListener::bind(&config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        tracing::info!(listen = %config.listen, database = %redact(&config.database_url), "hookwire serving");
        hookwire_server::http::serve(listener, app.router, stop.clone().cancelled_owned()).await?;
    }
    if let Some(worker) = worker {
        worker.await?;
    }
    tracing::info!("hookwire stopped");
    Ok(())
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

/// The database URL without its password, for logs.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..s + 3], user, &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
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
