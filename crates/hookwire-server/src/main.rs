//! The `hookwire` command.

use std::process::ExitCode;

use clap::Parser;
use hookwire_server::cli::{self, Cli};

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
