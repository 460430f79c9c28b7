//! [`AppState`]: what every request handler can reach. The HTTP layer and the
//! dashboard read it; start-up (`app.rs`) builds it. It holds handles only,
//! no logic.

use std::sync::{Arc, OnceLock};

use hookwire::pipeline::Heartbeat;
use hookwire::secret::TokenHash;
use hookwire::Hookwire;

use super::rate_limit::Limiter;

/// What every request handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The engine, behind one pointer: axum clones the state for every
    /// extractor of every request, and the engine is a dozen shared handles.
    pub hookwire: Arc<Hookwire>,
    /// Hash of the admin token.
    pub admin_token: Arc<TokenHash>,
    /// Per-key request buckets; `None` when rate limiting is off.
    pub limiter: Option<Arc<Limiter>>,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// The heartbeat of this process's worker, once one runs (for `/readyz`).
    pub worker: Arc<OnceLock<Heartbeat>>,
    /// Hash of the bearer token `/metrics` asks for, if one is configured.
    pub metrics_token: Option<Arc<TokenHash>>,
    /// Whether traces are exported: each request then gets its span
    /// ([`trace`](crate::http::trace)).
    pub traced: bool,
    /// The dashboard's public address and who may frame it.
    pub portal: Arc<PortalSettings>,
}

/// Where the dashboard is reached and who may embed it (config `public_url`,
/// `portal_frame_ancestors`).
#[derive(Debug, Clone, Default)]
pub struct PortalSettings {
    /// Base URL for absolute links, without a trailing slash.
    pub public_url: String,
    /// Origins allowed in CSP `frame-ancestors`; empty: none.
    pub frame_ancestors: Vec<String>,
}
