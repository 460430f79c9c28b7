//! The `hookwire` command line: one module per command group.

mod admin;
mod bench;
mod client;
mod demo;
mod healthcheck;
mod listen;
mod report;
mod serve;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use hookwire::verify::ReceiverKey;

use crate::config::Config;

pub use client::ApiArgs;
pub use report::report;
pub use serve::Role;

/// Outbound webhook delivery: publish events, hookwire signs and delivers them.
#[derive(Debug, Parser)]
#[command(name = "hookwire", version)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// `--config`, on the commands that read the configuration.
#[derive(Debug, Clone, clap::Args)]
pub struct ConfigArg {
    /// Config file (TOML or YAML). Default: ./hookwire.toml or ./hookwire.yaml if present.
    #[arg(long, short, env = "HOOKWIRE_CONFIG")]
    pub config: Option<PathBuf>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the API server and the delivery worker.
    Serve {
        /// `api` (HTTP only), `worker` (deliveries only) or `all`.
        #[arg(long, value_enum, default_value_t = Role::All)]
        role: Role,
        /// Where the configuration comes from.
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Show the whole loop on this machine: server, receiver, signed deliveries, a retry.
    Demo {
        /// Stop when the tour is done instead of serving on until Ctrl-C.
        #[arg(long)]
        exit: bool,
    },
    /// Run a local receiver that verifies and prints every delivery.
    Listen {
        /// Address to listen on (`0.0.0.0` to be reachable from other machines
        /// or containers).
        #[arg(long, default_value = "127.0.0.1")]
        host: std::net::IpAddr,
        /// Port.
        #[arg(long, default_value_t = 9000)]
        port: u16,
        /// Verify signatures with this webhook secret.
        #[arg(long, conflicts_with = "public_key")]
        secret: Option<String>,
        /// Verify an Ed25519 webhook's `v1a` signatures with its public key
        /// (`whpk_…`, shown in the webhook's view).
        #[arg(long, value_name = "WHPK")]
        public_key: Option<String>,
        /// Answer with this status code (e.g. 500 to watch retries).
        #[arg(long, default_value_t = 200)]
        status: u16,
        /// Answer deliveries whose signature does not verify with this status.
        #[arg(long, default_value_t = 400)]
        invalid_status: u16,
    },
    /// Verify a delivery: headers from --header, body from stdin. Exit 1 if invalid.
    Verify {
        /// The webhook's signing secret.
        #[arg(
            long,
            required_unless_present = "public_key",
            conflicts_with = "public_key"
        )]
        secret: Option<String>,
        /// An Ed25519 webhook's public key (`whpk_…`): checks its `v1a` signatures.
        #[arg(long, value_name = "WHPK")]
        public_key: Option<String>,
        /// A request header, `'name: value'`; repeat for each.
        #[arg(long = "header", short = 'H')]
        headers: Vec<String>,
    },
    /// Publish an event through a running server.
    Send {
        /// Event type.
        #[arg(value_name = "TYPE")]
        event_type: String,
        /// Event data (JSON).
        data: String,
        /// Publish on this channel.
        #[arg(long)]
        channel: Option<String>,
        /// Dedupe key (24 h).
        #[arg(long)]
        idempotency_key: Option<String>,
        /// On webhooks with `--ordering fifo`, events with the same key are
        /// delivered one at a time in publish order.
        #[arg(long, value_name = "KEY")]
        ordering_key: Option<String>,
        /// Which server, which key.
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Deliver a stored event again, now, to every matching webhook (or one);
    /// receivers get the same webhook-id. Needs a key with the manage scope.
    Replay {
        /// The event's id (`evt_…`).
        #[arg(value_name = "EVENT_ID")]
        event_id: String,
        /// Only to this webhook.
        #[arg(long, value_name = "WEBHOOK_ID")]
        webhook: Option<String>,
        /// Which server, which key.
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Requeue every failed delivery created since a time (of one webhook or
    /// event type), paced at the server's bulk_retry_per_second. Needs a key
    /// with the manage scope.
    Retry {
        /// Deliveries created at or after this time (RFC 3339).
        #[arg(long)]
        since: String,
        /// …and before this time (RFC 3339).
        #[arg(long)]
        until: Option<String>,
        /// Of this webhook only.
        #[arg(long, value_name = "WEBHOOK_ID")]
        webhook: Option<String>,
        /// Of events of this type only.
        #[arg(long = "type", value_name = "TYPE")]
        event_type: Option<String>,
        /// Which server, which key.
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Manage webhooks on a running server.
    Webhooks {
        /// `list`, `create` or `delete`.
        #[command(subcommand)]
        action: WebhooksAction,
    },
    /// Measure end-to-end delivery throughput and latency against a raw-POST baseline.
    Bench(bench::BenchArgs),
    /// Exit 0 if a running server's /healthz answers (for container health checks).
    Healthcheck {
        /// The URL to ask. Default: `http://<HOOKWIRE_LISTEN>/healthz`, else
        /// `http://127.0.0.1:8080/healthz`.
        #[arg(long)]
        url: Option<String>,
    },
    /// Apply database migrations and exit.
    Migrate {
        /// Where the configuration comes from.
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Webhook-secret maintenance.
    Secrets {
        /// `reseal`.
        #[command(subcommand)]
        action: SecretsAction,
    },
    /// Configuration tools.
    Config {
        /// `check`.
        #[command(subcommand)]
        action: ConfigAction,
    },
}

impl Command {
    /// Whether this command's output is meant for a terminal or a pipe, so a
    /// reader that stops early (`| head`) should simply end it. The commands
    /// that run a server for others (`serve`, `demo`, `bench`) keep running.
    pub fn prints_for_pipes(&self) -> bool {
        !matches!(
            self,
            Command::Serve { .. } | Command::Demo { .. } | Command::Bench(_)
        )
    }
}

/// `hookwire webhooks …`.
#[derive(Debug, Subcommand)]
pub enum WebhooksAction {
    /// List webhooks.
    List {
        /// Which server, which key.
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Register a webhook; prints its secret once.
    Create {
        /// The webhook's delivery URL.
        #[arg(value_name = "ENDPOINT")]
        endpoint: String,
        /// Event filter (`name`, `prefix.*`, `*`); repeat for several.
        #[arg(long = "event", required = true)]
        events: Vec<String>,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
        /// At most this many requests per second to it (1-10000), over all nodes.
        #[arg(long, value_name = "PER_SECOND")]
        rate_limit: Option<u32>,
        /// Payload filter, a JSON object, e.g. '{"data.amount": {"$gte": 100}}':
        /// only events whose body matches reach the webhook.
        #[arg(long, value_name = "JSON", value_parser = parse_json_object)]
        filter: Option<serde_json::Value>,
        /// `fifo`: events with the same ordering key are delivered one at a
        /// time, in publish order; `none` (default): as soon as each is due.
        #[arg(long, value_parser = ["none", "fifo"])]
        ordering: Option<String>,
        /// A PEM file with the TLS client certificate (leaf first) to present
        /// when the receiver asks for one (mutual TLS); needs --client-key.
        #[arg(long, value_name = "FILE", requires = "client_key")]
        client_cert: Option<PathBuf>,
        /// The PEM file of the --client-cert certificate's private key.
        #[arg(long, value_name = "FILE", requires = "client_cert")]
        client_key: Option<PathBuf>,
        /// Which server, which key.
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Delete a webhook.
    Delete {
        /// Webhook id.
        id: String,
        /// Which server, which key.
        #[command(flatten)]
        api: ApiArgs,
    },
}

/// `hookwire secrets …`.
#[derive(Debug, Subcommand)]
pub enum SecretsAction {
    /// Re-encrypt every webhook secret with `secret_encryption_key` (or store them
    /// in clear when it is unset); run after rotating the master key.
    Reseal {
        /// Where the configuration comes from.
        #[command(flatten)]
        config: ConfigArg,
    },
}

/// `hookwire config …`.
#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Load and validate the config as `serve` would; print it with secrets masked.
    Check {
        /// Where the configuration comes from.
        #[command(flatten)]
        config: ConfigArg,
    },
}

/// Run a parsed command line; `serve` uses `loaded` if its config was read
/// already, and reads it otherwise.
pub async fn run(cli: Cli, loaded: Option<Config>) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve { role, config } => {
            let loaded = match loaded {
                Some(loaded) => loaded,
                None => Config::load(config.config.as_deref())?,
            };
            serve::run(loaded, role).await?
        }
        Command::Demo { exit } => demo::run(exit).await?,
        Command::Listen {
            host,
            port,
            secret,
            public_key,
            status,
            invalid_status,
        } => {
            let key = ReceiverKey::from_settings(secret.as_deref(), public_key.as_deref())?;
            listen::run(host, port, key, status, invalid_status).await?
        }
        Command::Verify {
            secret,
            public_key,
            headers,
        } => return verify::run(secret.as_deref(), public_key.as_deref(), &headers),
        Command::Send {
            event_type,
            data,
            channel,
            idempotency_key,
            ordering_key,
            api,
        } => {
            let keys = client::EventKeys {
                idempotency_key,
                ordering_key,
            };
            client::send(&api, &event_type, &data, channel, keys).await?
        }
        Command::Replay {
            event_id,
            webhook,
            api,
        } => client::replay(&api, &event_id, webhook).await?,
        Command::Retry {
            since,
            until,
            webhook,
            event_type,
            api,
        } => {
            let body = serde_json::json!({
                "since": since, "until": until, "webhook_id": webhook, "event_type": event_type,
            });
            client::retry(&api, body).await?
        }
        Command::Webhooks { action } => match action {
            WebhooksAction::List { api } => client::list(&api).await?,
            WebhooksAction::Create {
                endpoint,
                events,
                name,
                rate_limit,
                filter,
                ordering,
                client_cert,
                client_key,
                api,
            } => {
                let client_certificate = match (client_cert, client_key) {
                    (Some(cert), Some(key)) => Some(client::read_client_certificate(&cert, &key)?),
                    _ => None,
                };
                let options = client::NewWebhook {
                    name,
                    rate_limit,
                    filter,
                    ordering,
                    client_certificate,
                };
                client::create(&api, &endpoint, &events, options).await?
            }
            WebhooksAction::Delete { id, api } => client::delete(&api, &id).await?,
        },
        Command::Bench(args) => bench::run(args).await?,
        Command::Healthcheck { url } => return healthcheck::run(url).await,
        Command::Migrate { config } => admin::migrate(config.config.as_deref()).await?,
        Command::Secrets {
            action: SecretsAction::Reseal { config },
        } => admin::reseal(config.config.as_deref()).await?,
        Command::Config {
            action: ConfigAction::Check { config },
        } => admin::check(config.config.as_deref()).await?,
    }
    Ok(ExitCode::SUCCESS)
}

/// A command-line value that must be a JSON object (`--filter`).
fn parse_json_object(raw: &str) -> Result<serde_json::Value, String> {
    match serde_json::from_str::<serde_json::Value>(raw) {
        Ok(v) if v.is_object() => Ok(v),
        Ok(_) => Err("must be a JSON object, e.g. '{\"data.amount\": {\"$gte\": 100}}'".into()),
        Err(e) => Err(format!("is not JSON: {e}")),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_definition_is_consistent() {
        use clap::CommandFactory as _;
        super::Cli::command().debug_assert();
    }
}
