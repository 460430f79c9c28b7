//! The configuration file and its environment overrides.
//!
//! Sources, later ones winning: built-in defaults, `hookwire.toml` / `.yaml` (path
//! from `--config` or `HOOKWIRE_CONFIG`, else `./hookwire.{toml,yaml,yml}` if present),
//! then `HOOKWIRE_<KEY>` environment variables. String values in the file may use
//! `${VAR}` (see `config/subst.rs`), which is how secrets stay out of the file.

mod deprecated;
mod rules;
mod subst;

use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::providers::{Env, Format, Serialized, Toml, Yaml};
use figment::Figment;
use hookwire::model::{EventType, RetryPolicy, RetryPolicyDraft, WebhookDraft};
use hookwire::secret::sealer::{SealError, Sealer};
use serde::{Deserialize, Serialize};

/// Everything `hookwire serve` can be told. Field names are the config keys.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address the API listens on.
    pub listen: String,
    /// `sqlite://PATH` (default, embedded) or `postgres://…` (many nodes).
    pub database_url: String,
    /// PostgreSQL: connections of this node's main pool; the hot statements'
    /// pool adds 5 (see README). Unused on SQLite.
    pub database_max_connections: u32,
    /// Bearer token for tenant management. When unset, one is generated on first
    /// start, printed once, and only its hash is kept in the database.
    pub admin_token: Option<String>,
    /// Master key (base64 of 32 random bytes) that encrypts webhook secrets at rest
    /// with AES-256-GCM. Unset: secrets are stored in clear.
    pub secret_encryption_key: Option<String>,
    /// Earlier master keys that can still decrypt, during a key rotation (see
    /// `hookwire secrets reseal`).
    pub secret_encryption_previous_keys: Vec<String>,
    /// Allow `http://` webhook URLs.
    pub allow_http: bool,
    /// Allow webhooks to reach loopback/private/link-local addresses.
    pub allow_private_networks: bool,
    /// Delete events and deliveries older than this many days.
    pub retention_days: u32,
    /// Keep at most this many finished deliveries per webhook (unset = no cap).
    pub max_deliveries_per_webhook: Option<u32>,
    /// Sustained API requests per second per API key; 0 turns limiting off.
    /// (A webhook's own `rate_limit_per_second` limits what hookwire sends
    /// it; this limits what API clients send hookwire.) Also read as
    /// `rate_limit_per_second`, the older name, with a deprecation warning.
    pub api_rate_limit_per_second: u32,
    /// Requests an API key may make in a burst above the sustained rate.
    /// Also read as `rate_limit_burst`, deprecated.
    pub api_rate_limit_burst: u32,
    /// Deprecated keys the configuration used, as warnings for `serve` to log
    /// once logging is up (the file is read before).
    #[serde(skip)]
    pub deprecations: Vec<String>,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Disable a webhook whose every attempt has failed for this long (`5d`, `12h`).
    pub auto_disable_after: String,
    /// When set, `GET /metrics` requires `Authorization: Bearer <metrics_token>`
    /// (for deployments whose port is reachable by more than the scraper: the
    /// metrics name webhook ids and show traffic). Unset, it is open.
    pub metrics_token: Option<String>,
    /// `text` (default) or `json` log lines.
    pub log_format: LogFormat,
    /// Export traces over OTLP/HTTP (protobuf) to this collector, e.g.
    /// `http://otel-collector:4318` (spans go to `…/v1/traces`). Unset, the
    /// standard `OTEL_EXPORTER_OTLP_ENDPOINT` (or `…_TRACES_ENDPOINT`) turns
    /// export on instead; with neither, no spans are exported and none of
    /// the work of tracing is done.
    pub otel_endpoint: Option<String>,
    /// A forward proxy every delivery goes through, `http://host:port`
    /// (`CONNECT` tunnels for `https://` receivers), so receivers can
    /// allow-list its addresses. The URL rules still apply to each target.
    pub egress_proxy: Option<String>,
    /// A PEM file of CA certificates trusted for receivers' TLS besides the
    /// public web roots, for receivers behind a private CA.
    pub receiver_ca_file: Option<PathBuf>,
    /// Deliveries of a bulk retry (`POST /deliveries/retry`) made due per
    /// second, so a large recovery cannot starve new traffic.
    pub bulk_retry_per_second: u32,
    /// Attempts in a row that found the receiver down (no answer, or a 5xx)
    /// that open a webhook's circuit (1–1000): its deliveries then wait,
    /// unattempted, for a probe.
    pub circuit_failure_threshold: u32,
    /// Seconds a circuit first stays open before a probe (1–3600); each
    /// failed probe doubles it, up to an hour.
    pub circuit_open_seconds: u32,
    /// The address browsers reach this service at (`https://hooks.example.com`),
    /// for the absolute links it hands out (portal links). Unset:
    /// `http://<listen>`, right only when browsers reach the node directly.
    pub public_url: Option<String>,
    /// Origins allowed to embed the dashboard in an iframe (CSP
    /// `frame-ancestors`), e.g. `["https://app.example.com"]`. Empty (the
    /// default): no site may frame it.
    pub portal_frame_ancestors: Vec<String>,
    /// Delivery attempts in flight at once in this process.
    pub max_in_flight: usize,
    /// Delivery attempts in flight at once to one webhook, per process.
    pub max_in_flight_per_webhook: usize,
    /// Seconds a worker holds a claimed delivery before another may take it over
    /// (a crashed node's deliveries are retried after this).
    pub lease_seconds: u64,
    /// Seconds in-flight attempts may finish after SIGTERM; the leases of those
    /// still running are then released so another node retries them at once.
    pub shutdown_grace_seconds: u64,
    /// The retry policy of webhooks created (or replaced by PUT) without one;
    /// each field left out keeps the built-in default (4 attempts, 1 s
    /// initial wait, waits capped at 1 h).
    pub default_retry: RetryPolicyDraft,
    /// Event types added to the catalog at start-up.
    pub event_types: Vec<EventType>,
    /// Global webhooks that receive matching events of every tenant.
    pub webhooks: Vec<WebhookDraft>,
    /// The operator's endpoints for hookwire's own events about every tenant
    /// (also managed at `/api/v1/operational-webhooks`).
    pub operational_webhooks: Vec<WebhookDraft>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            database_url: "sqlite://hookwire.db".into(),
            admin_token: None,
            secret_encryption_key: None,
            secret_encryption_previous_keys: Vec::new(),
            allow_http: false,
            allow_private_networks: false,
            retention_days: 30,
            max_deliveries_per_webhook: None,
            api_rate_limit_per_second: 1000,
            api_rate_limit_burst: 2000,
            deprecations: Vec::new(),
            max_body_bytes: 1024 * 1024,
            auto_disable_after: "5d".into(),
            metrics_token: None,
            log_format: LogFormat::Text,
            otel_endpoint: None,
            egress_proxy: None,
            receiver_ca_file: None,
            bulk_retry_per_second: 1000,
            circuit_failure_threshold: 10,
            circuit_open_seconds: 60,
            public_url: None,
            portal_frame_ancestors: Vec::new(),
            max_in_flight: 1024,
            max_in_flight_per_webhook: 10,
            database_max_connections: 16,
            lease_seconds: 90,
            shutdown_grace_seconds: 10,
            default_retry: RetryPolicyDraft::default(),
            event_types: Vec::new(),
            webhooks: Vec::new(),
            operational_webhooks: Vec::new(),
        }
    }
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

/// A configuration problem, always naming the key or file at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file's extension is not one we parse.
    #[error("config file {0} must end in .toml, .yaml or .yml")]
    Format(PathBuf),
    /// Parsing, `${VAR}` substitution or a value's type failed.
    #[error("{0}")]
    Invalid(String),
}

/// Top-level keys, for picking `HOOKWIRE_<KEY>` variables out of the environment
/// (others, like `HOOKWIRE_CONFIG` or `HOOKWIRE_URL`, belong to the CLI).
const ENV_KEYS: &[&str] = &[
    "listen",
    "database_url",
    "database_max_connections",
    "admin_token",
    "secret_encryption_key",
    "allow_http",
    "allow_private_networks",
    "retention_days",
    "max_deliveries_per_webhook",
    "api_rate_limit_per_second",
    "api_rate_limit_burst",
    "rate_limit_per_second",
    "rate_limit_burst",
    "max_body_bytes",
    "auto_disable_after",
    "log_format",
    "max_in_flight",
    "max_in_flight_per_webhook",
    "lease_seconds",
    "shutdown_grace_seconds",
    "default_retry",
    "metrics_token",
    "otel_endpoint",
    "egress_proxy",
    "receiver_ca_file",
    "bulk_retry_per_second",
    "circuit_failure_threshold",
    "circuit_open_seconds",
    "public_url",
    "portal_frame_ancestors",
];

/// What went wrong in figment's errors, by key: the key and the problem,
/// without figment's notes on where it read each value (those name our own
/// source lines and Rust types, which mean nothing to whoever wrote the file).
fn describe(errors: figment::Error) -> String {
    errors
        .into_iter()
        .map(|e| match e.path.join(".") {
            key if key.is_empty() => e.kind.to_string(),
            key => format!("{key}: {}", e.kind),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Expand `${VAR}` and `${VAR:-default}` in one string, looking variables up
/// with `lookup` (the config loader's rule; public for the fuzz target).
pub fn expand_vars(s: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    subst::expand(s, lookup)
}

impl Config {
    /// Load from `path` (or the default file names, if present) and the environment.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let path = path.map(Path::to_path_buf).or_else(default_file);
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        let mut renamed = Vec::new();
        if let Some(path) = &path {
            let mut dict = read_file(path)?;
            renamed.extend(deprecated::rename(&mut dict));
            figment = figment.merge(Serialized::defaults(dict));
        }
        let env = Env::prefixed("HOOKWIRE_")
            .filter(|k| ENV_KEYS.contains(&k.as_str().to_ascii_lowercase().as_str()));
        let mut dict: figment::value::Dict = Figment::from(env)
            .extract()
            .map_err(|e| ConfigError::Invalid(describe(e)))?;
        renamed.extend(deprecated::rename(&mut dict));
        let figment = figment.merge(Serialized::defaults(dict));
        let mut config: Config = figment.extract().map_err(|e| {
            let mut msg = describe(e);
            if let Some(p) = &path {
                msg = format!("{msg} (config file {})", p.display());
            }
            ConfigError::Invalid(msg)
        })?;
        config.check()?;
        config.deprecations = renamed
            .into_iter()
            .map(|(old, new)| {
                format!("config key {old} is deprecated; it is now {new} (same meaning)")
            })
            .collect();
        Ok(config)
    }

    /// How to open the store: the secrets' sealer and the pool size.
    pub fn open_options(&self) -> Result<hookwire::store::OpenOptions, SealError> {
        Ok(hookwire::store::OpenOptions {
            sealer: self.sealer()?,
            max_connections: self.database_max_connections,
        })
    }

    /// What seals webhook secrets at rest: the configured master keys, or none.
    pub fn sealer(&self) -> Result<Sealer, SealError> {
        // Previous keys without a current one read sealed rows and write plain
        // (turning encryption off).
        Sealer::new(
            self.secret_encryption_key.as_deref(),
            &self.secret_encryption_previous_keys,
        )
    }

    /// `default_retry` with the built-in defaults filled in.
    pub fn default_retry(&self) -> Result<RetryPolicy, hookwire::ValidationError> {
        self.default_retry.resolve(RetryPolicy::default())
    }

    /// `auto_disable_after` as a duration.
    pub fn auto_disable_after(&self) -> Result<Duration, String> {
        humantime::parse_duration(&self.auto_disable_after)
            .map_err(|e| format!("{e} (use a span like 5d or 12h)"))
    }

    /// The engine options this config implies.
    pub fn engine_options(&self) -> hookwire::Options {
        hookwire::Options {
            url_policy: hookwire::net::UrlPolicy {
                allow_http: self.allow_http,
                allow_private_networks: self.allow_private_networks,
            },
            auto_disable_after: self
                .auto_disable_after()
                .unwrap_or(Duration::from_secs(5 * 86_400)),
            default_retry: self.default_retry().unwrap_or_default(),
            bulk_retry_per_second: self.bulk_retry_per_second,
            // Validated before anything runs (`check`): an unparsable value
            // never reaches here.
            egress_proxy: self
                .egress_proxy
                .as_deref()
                .and_then(|p| hookwire::delivery::EgressProxy::parse(p).ok()),
            receiver_roots: self.receiver_roots().ok().flatten(),
            circuit: self.circuit(),
        }
    }

    /// The circuit breaker's settings (checked by `check`).
    pub fn circuit(&self) -> hookwire::model::CircuitSettings {
        hookwire::model::CircuitSettings {
            failure_threshold: self.circuit_failure_threshold,
            open_seconds: self.circuit_open_seconds,
        }
    }

    /// The certificates of `receiver_ca_file`, read and parsed.
    pub fn receiver_roots(&self) -> Result<Option<hookwire::delivery::ReceiverRoots>, String> {
        let Some(path) = &self.receiver_ca_file else {
            return Ok(None);
        };
        let pem =
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        hookwire::delivery::ReceiverRoots::from_pem(&pem)
            .map(Some)
            .map_err(|e| format!("{} {}", path.display(), e.message))
    }

    /// The retention job's options this config implies.
    pub fn retention_options(&self) -> hookwire::retention::RetentionOptions {
        hookwire::retention::RetentionOptions {
            retention_days: self.retention_days,
            max_deliveries_per_webhook: self.max_deliveries_per_webhook,
            ..Default::default()
        }
    }

    /// The worker options this config implies.
    pub fn worker_options(&self) -> hookwire::WorkerOptions {
        hookwire::WorkerOptions {
            max_in_flight: self.max_in_flight,
            per_webhook_in_flight: self.max_in_flight_per_webhook,
            lease: Duration::from_secs(self.lease_seconds),
            shutdown_grace: Duration::from_secs(self.shutdown_grace_seconds),
            ..Default::default()
        }
    }
}

fn default_file() -> Option<PathBuf> {
    ["hookwire.toml", "hookwire.yaml", "hookwire.yml"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

/// Parse the file into a value tree and substitute `${VAR}` in its strings.
fn read_file(path: &Path) -> Result<figment::value::Dict, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    let parsed = match path.extension().and_then(|e| e.to_str()) {
        Some("toml") => Figment::from(Toml::string(&text)).extract::<figment::value::Dict>(),
        Some("yaml" | "yml") => Figment::from(Yaml::string(&text)).extract(),
        _ => return Err(ConfigError::Format(path.to_owned())),
    };
    let mut dict = parsed
        .map_err(|e| ConfigError::Invalid(format!("cannot parse {}: {e}", path.display())))?;
    for (key, value) in dict.iter_mut() {
        subst::substitute(value, key, &|name| std::env::var(name).ok())
            .map_err(|e| ConfigError::Invalid(format!("{e} (config file {})", path.display())))?;
    }
    Ok(dict)
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's closures return figment's large Error
mod tests;
