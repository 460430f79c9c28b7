//! [`Hookwire`]: the engine's front door.
//!
//! Every operation the HTTP API offers is a method here, so the API only parses,
//! authorizes and calls, and an application embedding hookwire gets the same
//! behaviour without HTTP. Methods are grouped by resource in the files below.
//!
//! This module owns the rules of each operation (what is checked, in which
//! order, what a client may see); it holds no SQL (the store's) and no part
//! of the publish→deliver path beyond handing a publish to the
//! [`pipeline`](crate::pipeline).

mod audit;
mod catalog;
mod deliveries;
mod events;
mod key_cache;
mod operational;
mod sessions;
mod stats;
mod tenants;
mod webhook_actions;
mod webhooks;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use crate::delivery::circuit::Breaker;
use crate::delivery::HttpSender;
use crate::net::UrlPolicy;
use crate::pipeline::worker::LocalWorker;
use crate::pipeline::GroupCommit;
use crate::store::DynStore;

pub use deliveries::DeliveryDetail;
pub use events::EventDetail;
pub use stats::success_rate;

/// Operator choices the engine enforces.
#[derive(Debug, Clone)]
pub struct Options {
    /// Which URLs webhooks may point at (checked at registration and delivery).
    pub url_policy: UrlPolicy,
    /// Disable a webhook whose every attempt has failed for this long.
    pub auto_disable_after: Duration,
    /// The retry policy of a webhook created (or replaced by PUT) without one,
    /// field by field: an operator may want every receiver retried for hours.
    pub default_retry: crate::model::RetryPolicy,
    /// How many deliveries of a bulk retry become due per second (they are
    /// spread out so a large recovery cannot starve new traffic).
    pub bulk_retry_per_second: u32,
    /// Send every delivery through this forward proxy (the URL rules still
    /// apply to each target, resolved here). `None`: connect directly.
    pub egress_proxy: Option<crate::delivery::EgressProxy>,
    /// CA certificates trusted for receivers besides the public web roots
    /// (receivers behind a private CA). `None`: the public roots only.
    pub receiver_roots: Option<crate::delivery::ReceiverRoots>,
    /// When a webhook's circuit opens and how long it first stays open.
    pub circuit: crate::model::CircuitSettings,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            url_policy: UrlPolicy::default(),
            auto_disable_after: Duration::from_secs(5 * 86_400),
            default_retry: crate::model::RetryPolicy::default(),
            bulk_retry_per_second: 1000,
            egress_proxy: None,
            receiver_roots: None,
            circuit: crate::model::CircuitSettings::default(),
        }
    }
}

/// The engine: a store plus the rules for using it. Cheap to clone.
#[derive(Clone)]
pub struct Hookwire {
    /// Where everything is kept.
    store: DynStore,
    /// The engine's settings.
    options: Options,
    /// The HTTP client of test sends and of this process's worker.
    sender: HttpSender,
    /// Wakes this process's worker the moment a publish makes work due.
    wake: Arc<Notify>,
    /// Event-type names seen in the catalog (see `catalog_names`).
    catalog: Arc<std::sync::RwLock<Arc<HashSet<String>>>>,
    /// The worker running in this process, if any: publishes lease their fresh
    /// deliveries to it.
    local_worker: LocalWorker,
    /// API keys recently confirmed by the store.
    keys: key_cache::KeyCache,
    /// Publishes and attempt results waiting to be committed together.
    group_commit: GroupCommit,
    /// Operational event types nobody subscribed to a moment ago.
    unsubscribed: Arc<operational::Unsubscribed>,
    /// This process's side of the webhooks' circuit breakers.
    breaker: Arc<Breaker>,
}

impl Hookwire {
    /// An engine over an opened store.
    pub fn new(store: DynStore, options: Options) -> Self {
        let wake = Arc::new(Notify::new());
        let sender = HttpSender::with_proxy(
            options.url_policy,
            Arc::new(crate::net::SystemLookup),
            options.egress_proxy.as_ref(),
        );
        let sender = match &options.receiver_roots {
            Some(roots) => sender.trusting(roots),
            None => sender,
        };
        let breaker = Arc::new(Breaker::new(store.clone(), options.circuit, wake.clone()));
        Self {
            sender,
            group_commit: GroupCommit::new(store.clone(), wake.clone(), breaker.clone()),
            breaker,
            store,
            options,
            wake,
            catalog: Arc::default(),
            keys: key_cache::KeyCache::default(),
            local_worker: LocalWorker::default(),
            unsubscribed: Arc::default(),
        }
    }

    /// The HTTP client deliveries use.
    pub fn sender(&self) -> &HttpSender {
        &self.sender
    }

    /// The notifier a worker in this process waits on.
    pub fn wake_handle(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Where a worker in this process registers for the hand-off of fresh
    /// deliveries.
    pub(crate) fn local_worker(&self) -> LocalWorker {
        self.local_worker.clone()
    }

    /// Where this process's worker records attempt results: in the same
    /// transactions as the publishes (group commit).
    pub(crate) fn recorder(&self) -> Arc<dyn crate::delivery::attempt::Recorder> {
        Arc::new(self.group_commit.clone())
    }

    /// Keep this process's view of the circuit breakers fresh (re-read every
    /// second), for as long as the future runs. A running
    /// [`Worker`](crate::Worker) does this itself; a process that only
    /// publishes runs it so its publishes place the deliveries of a webhook
    /// whose circuit is open at the next probe, instead of leaving them due
    /// for a worker to send back one by one.
    pub async fn watch_circuits(&self) {
        self.breaker.clone().keep_fresh().await;
    }

    /// This process's side of the circuit breakers, shared by its worker
    /// and its test sends.
    pub(crate) fn breaker(&self) -> &Arc<Breaker> {
        &self.breaker
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
