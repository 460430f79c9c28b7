//! Start-up: from a [`Config`] to a ready [`App`].

use std::sync::{Arc, OnceLock};

use axum::Router;
use hookwire::pipeline::Heartbeat;
use hookwire::secret::TokenHash;
use hookwire::{Hookwire, Worker};

use crate::config::Config;
use crate::http::rate_limit::Limiter;
use crate::http::state::{AppState, PortalSettings};
use crate::{admin_token, http};

/// A started application, ready to serve.
pub struct App {
    /// The HTTP routes with state and middleware.
    pub router: Router,
    /// The probes and metrics alone, for a `--role worker` node.
    pub probes: Router,
    /// The engine, for callers that also run workers or tests.
    pub hookwire: Hookwire,
    /// The admin token, if this start generated it (print it once).
    pub generated_admin_token: Option<String>,
    worker: Arc<OnceLock<Heartbeat>>,
}

/// Start-up failures.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The database could not be opened or migrated.
    #[error("cannot open database: {0}")]
    Store(#[from] hookwire::store::Error),
    /// Config-file content (event types, global webhooks) was rejected.
    #[error("invalid configuration: {0}")]
    Engine(#[from] hookwire::Error),
}

impl App {
    /// Open the database, apply migrations and config-file catalog entries, and
    /// settle the admin token.
    pub async fn build(config: &Config) -> Result<Self, StartupError> {
        let options = config.open_options().map_err(|e| {
            hookwire::Error::from(hookwire::ValidationError::field(
                "secret_encryption_key",
                e.to_string(),
            ))
        })?;
        let store = hookwire::store::open_with(&config.database_url, options).await?;
        let hookwire = Hookwire::new(store, config.engine_options());
        hookwire.ensure_event_types(&config.event_types).await?;
        hookwire.sync_global_webhooks(&config.webhooks).await?;
        hookwire
            .sync_operational_webhooks(&config.operational_webhooks)
            .await?;
        let (admin_hash, generated_admin_token) =
            admin_token::ensure(hookwire.store(), config.admin_token.as_deref()).await?;
        crate::http::metrics::handle();
        let worker = Arc::new(OnceLock::new());
        let state = AppState {
            hookwire: Arc::new(hookwire.clone()),
            admin_token: Arc::new(admin_hash),
            limiter: Limiter::new(
                config.api_rate_limit_per_second,
                config.api_rate_limit_burst,
            ),
            max_body_bytes: config.max_body_bytes,
            worker: worker.clone(),
            metrics_token: config
                .metrics_token
                .as_deref()
                .map(|t| Arc::new(TokenHash::of(t))),
            traced: crate::telemetry::exports_traces(config),
            portal: Arc::new(PortalSettings {
                public_url: config.public_base_url(),
                frame_ancestors: config.portal_frame_ancestors.clone(),
            }),
        };
        Ok(Self {
            probes: http::probes(state.clone()),
            router: http::router(state),
            hookwire,
            generated_admin_token,
            worker,
        })
    }

    /// Report this worker's health in `/readyz`.
    pub fn attach_worker(&self, worker: &Worker) {
        let _ = self.worker.set(worker.heartbeat());
    }
}
