//! The `hookwire` command.

use std::process::ExitCode;

use clap::Parser;
use hookwire_server::cli::{self, Cli};

/// mimalloc instead of the system allocator: a delivery allocates many small,
/// short-lived buffers on several threads, where glibc's malloc measured ~14 % of
/// the server's CPU under load (see BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    match cli::run(Cli::parse()).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("hookwire: {e:#}");
            ExitCode::FAILURE
        }
    }
}
