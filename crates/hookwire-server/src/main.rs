//! The `hookwire` command.

use std::process::ExitCode;

use clap::Parser;
use hookwire_server::cli::{self, Cli, Command};
use hookwire_server::config::Config;

/// jemalloc, not the system allocator: glibc's malloc/free (arena locks,
/// `malloc_consolidate` on every larger request) were ~16 % of the server's
/// CPU under load — a delivery allocates dozens of small, short-lived
/// buffers across threads. With jemalloc the server used ~25 % less CPU per
/// delivery, and unlike mimalloc (tried earlier) its RSS stayed flat under a
/// 1,000,000-delivery backlog (commit 1f53b39, 2026-12-05; BENCHMARKS.md).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.command.prints_for_pipes() {
        die_quietly_on_closed_pipe();
    }
    // `serve` reads its config before the runtime exists (the runtime's size
    // depends on the backend), once: the same copy then runs the service.
    let config = match &cli.command {
        Command::Serve { config, .. } => match Config::load(config.config.as_deref()) {
            Ok(config) => Some(config),
            Err(e) => {
                eprintln!("hookwire: {}", cli::report(&e));
                return ExitCode::FAILURE;
            }
        },
        _ => None,
    };
    let runtime = match runtime(&cli, config.as_ref()) {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("hookwire: starting the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(cli, config)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("hookwire: {}", cli::report(e.as_ref()));
            ExitCode::FAILURE
        }
    }
}

/// Let a closed stdout end the process as it ends other command-line tools
/// (`hookwire webhooks list | head -1`): by the default SIGPIPE action, which
/// Rust's runtime replaces with "ignore", turning the next write into an error
/// that `println!` reports by panicking.
fn die_quietly_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in `main`, before any other thread exists;
    // restoring a signal's default disposition touches no memory of ours.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// The async runtime: a thread per core, and one more in a process that
/// serves on SQLite. The SQLite group commit runs its transaction on the
/// runtime thread that took the batch (a hop to a thread of its own cost more
/// than it saved, see BENCHMARKS.md) and holds that thread ~1 ms per batch,
/// durably committing; the extra thread keeps a core's worth of HTTP work
/// running meanwhile (measured: +4–6 % deliveries/s at one webhook on two
/// cores). PostgreSQL commits without holding a thread and gains nothing from
/// it. `TOKIO_WORKER_THREADS`, if set, still decides.
fn runtime(cli: &Cli, config: Option<&Config>) -> std::io::Result<tokio::runtime::Runtime> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all();
    let on_sqlite = match cli.command {
        // The demo always runs on an embedded SQLite database.
        Command::Demo { .. } => true,
        Command::Serve { .. } => config.is_some_and(|c| c.database_url.starts_with("sqlite:")),
        _ => false,
    };
    if on_sqlite && std::env::var_os("TOKIO_WORKER_THREADS").is_none() {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        builder.worker_threads(cores + 1);
    }
    builder.build()
}
