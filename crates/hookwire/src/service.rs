//! [`Hookwire`]: the engine's front door.
//!
//! Every operation the HTTP API offers is a method here, so the API only parses,
//! authorizes and calls, and an application embedding hookwire gets the same
//! behaviour without HTTP. Methods are grouped by resource in the files below.

mod catalog;
mod tenants;
mod webhooks;

use crate::net::UrlPolicy;
use crate::store::DynStore;

/// Operator choices the engine enforces.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Which URLs webhooks may point at.
    pub url_policy: UrlPolicy,
}

/// The engine: a store plus the rules for using it. Cheap to clone.
#[derive(Clone)]
pub struct Hookwire {
    store: DynStore,
    options: Options,
}

impl Hookwire {
    /// An engine over an opened store.
    pub fn new(store: DynStore, options: Options) -> Self {
        Self { store, options }
    }

    /// The store, for health checks and lower-level access.
    pub fn store(&self) -> &DynStore {
        &self.store
    }

    /// The options the engine was built with.
    pub fn options(&self) -> &Options {
        &self.options
    }
}
