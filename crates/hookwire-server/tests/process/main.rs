//! The real `hookwire` binary as a process: killed and restarted under load, and
//! several nodes on one database.

#[path = "../api/receiver.rs"]
#[allow(dead_code)]
mod receiver;
mod server;

mod backlog;
mod cli;
mod container;
mod crash;
mod db_restart;
mod healthcheck;
mod log_secrets;
mod nodes;
mod ordering;
mod pipes;
mod schemathesis;
mod sdks;
mod shutdown;
mod startup_errors;
mod startup_log;
mod traces;
mod upgrade;
