//! The rules a configuration must obey beyond its types: `check` (at load,
//! no I/O) and `validate` (everything `serve` would otherwise find only once
//! the database is open). Both name the offending key.

use std::net::SocketAddr;

use hookwire::model::{EventType, RetryPolicy, WebhookSpec};

use super::{Config, ConfigError};

/// Check that `text` is an `http(s)://host[:port]` origin (with `base`, a path
/// is allowed too: a service behind a proxy may live under one).
fn origin_of(text: &str, base: bool) -> Result<(), String> {
    let parsed = url::Url::parse(text)
        .map_err(|_| "must be a URL like https://hooks.example.com".to_owned())?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err("must start with http:// or https:// and name a host".into());
    }
    if parsed.query().is_some() || parsed.fragment().is_some() || !parsed.username().is_empty() {
        return Err("must not carry a query, a fragment or credentials".into());
    }
    if !base && parsed.path() != "/" {
        return Err("must be an origin (scheme, host and port) without a path".into());
    }
    Ok(())
}

impl Config {
    /// The public base URL without a trailing slash (see
    /// [`Config::public_url`]).
    pub fn public_base_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.listen),
        }
    }

    /// Rules serde cannot express.
    pub(super) fn check(&self) -> Result<(), ConfigError> {
        let bad = |key: &str, msg: &str| Err(ConfigError::Invalid(format!("{key}: {msg}")));
        if self.listen.parse::<SocketAddr>().is_err() {
            return bad("listen", "must be an address like 127.0.0.1:8080");
        }
        if !(self.database_url.starts_with("sqlite:")
            || self.database_url.starts_with("postgres://")
            || self.database_url.starts_with("postgresql://"))
        {
            return bad("database_url", "must start with sqlite: or postgres://");
        }
        if self.admin_token.as_deref().is_some_and(|t| t.len() < 16) {
            return bad("admin_token", "must be at least 16 characters");
        }
        if self.metrics_token.as_deref().is_some_and(|t| t.len() < 16) {
            return bad("metrics_token", "must be at least 16 characters");
        }
        if self.bulk_retry_per_second == 0 {
            return bad("bulk_retry_per_second", "must be at least 1");
        }
        if let Some(endpoint) = &self.otel_endpoint {
            let scheme = url::Url::parse(endpoint).map(|u| u.scheme().to_owned());
            if !matches!(scheme.as_deref(), Ok("http" | "https")) {
                return bad(
                    "otel_endpoint",
                    "must be an http:// or https:// URL like http://otel-collector:4318",
                );
            }
        }
        if let Some(proxy) = &self.egress_proxy {
            if let Err(e) = hookwire::delivery::EgressProxy::parse(proxy) {
                return bad(&e.field, &e.message);
            }
        }
        if let Err(why) = self.receiver_roots() {
            return bad("receiver_ca_file", &why);
        }
        if let Some(public) = &self.public_url {
            if let Err(why) = origin_of(public, true) {
                return bad("public_url", &why);
            }
        }
        for origin in &self.portal_frame_ancestors {
            if let Err(why) = origin_of(origin, false) {
                return bad("portal_frame_ancestors", &format!("{origin:?} {why}"));
            }
        }
        if let Err(e) = self.sealer() {
            return bad("secret_encryption_key", &e.to_string());
        }
        if self.api_rate_limit_per_second > 0 && self.api_rate_limit_burst == 0 {
            return bad(
                "api_rate_limit_burst",
                "must be at least 1 when rate limiting is on",
            );
        }
        if self.max_body_bytes < 1024 {
            return bad("max_body_bytes", "must be at least 1024");
        }
        if self.max_deliveries_per_webhook == Some(0) {
            return bad(
                "max_deliveries_per_webhook",
                "must be at least 1 (or unset)",
            );
        }
        if self.retention_days == 0 {
            return bad("retention_days", "must be at least 1");
        }
        if let Err(e) = self.auto_disable_after() {
            return bad("auto_disable_after", &e);
        }
        if let Err(e) = self.circuit().validate() {
            return bad(&e.field, &e.message);
        }
        if self.max_in_flight == 0 {
            return bad("max_in_flight", "must be at least 1");
        }
        if self.max_in_flight_per_webhook == 0 {
            return bad("max_in_flight_per_webhook", "must be at least 1");
        }
        if self.database_max_connections == 0 {
            return bad("database_max_connections", "must be at least 1");
        }
        if self.lease_seconds < 2 {
            return bad("lease_seconds", "must be at least 2");
        }
        if let Err(e) = self.default_retry() {
            return bad(&format!("default_{}", e.field), &e.message);
        }
        for (i, w) in self.webhooks.iter().enumerate() {
            if w.secret.is_none() {
                return bad(
                    &format!("webhooks[{i}].secret"),
                    "global webhooks need a secret (e.g. \"${HOOK_SECRET}\"), or it would change on every start",
                );
            }
        }
        Ok(())
    }

    /// The checks of the file's catalog entries and global webhooks that `serve`
    /// would otherwise only make once the database is open: every name, URL rule
    /// (its host resolved) and field, with errors naming the entry
    /// (`event_types[0].name`). `serve` and `config check` both run it, before
    /// anything touches the database. A global webhook's exact event names must
    /// be declared in the file (or be `webhook.test`): the file stands alone, so
    /// the same file starts every node, a fresh database included.
    pub async fn validate(&self) -> Result<(), ConfigError> {
        let entry = |list: &str, i: usize, e: hookwire::ValidationError| {
            ConfigError::Invalid(format!("{list}[{i}].{}: {}", e.field, e.message))
        };
        let mut declared = std::collections::HashSet::from([EventType::TEST.to_owned()]);
        for (i, et) in self.event_types.iter().enumerate() {
            let et = EventType::new(&et.name, &et.description)
                .map_err(|e| entry("event_types", i, e))?;
            declared.insert(et.name);
        }
        let policy = self.engine_options().url_policy;
        for (i, draft) in self.webhooks.iter().enumerate() {
            let spec =
                WebhookSpec::validate(draft.clone(), RetryPolicy::default(), &policy, |name| {
                    declared.contains(name)
                });
            spec.await.map_err(|mut e| {
                if e.code == "unknown_event_type" {
                    e.message = format!(
                        "{}: every exact name must be declared in [[event_types]]",
                        e.message
                            .split_once(" (")
                            .map_or(e.message.as_str(), |(head, _)| head)
                    );
                }
                entry("webhooks", i, e)
            })?;
        }
        Ok(())
    }
}
