//! # hookwire
//!
//! The outbound webhook engine: an application publishes events, hookwire fans each
//! one out to every subscribed webhook, signs it, delivers it over HTTP, retries with
//! backoff, and keeps the history. This crate is the engine without a web framework;
//! `hookwire-server` puts an HTTP API and a CLI in front of it.
//!
//! # Layout
//!
//! - [`service`]: [`Hookwire`], the front door. Every operation (tenants, the
//!   event-type catalog, webhooks) is a method on it; the HTTP layer only calls these.
//!   Writes are committed in groups: the publishes and attempt results that
//!   arrive during a commit share the next transaction (on SQLite, publishes
//!   and results together; on PostgreSQL, each in its own parallel lane).
//! - [`pipeline`]: the life of a publish, step by step — group commit,
//!   fan-out, the hand-off of fresh deliveries to this process's [`Worker`],
//!   its lanes (capacity per webhook) and its claim of due deliveries from
//!   the shared queue. Start reading here.
//! - [`delivery`]: one attempt (sign, send, record, decide), the
//!   SSRF-guarded HTTP sender, a webhook's rate limit and its circuit
//!   breaker.
//! - [`signer`] and [`verify`]: Standard Webhooks and `sha256=` signatures, both
//!   sides.
//! - [`model`]: the domain objects ([`Webhook`](model::Webhook),
//!   [`Tenant`](model::Tenant), [`EventType`](model::EventType), …) and the rules
//!   that turn client input into them.
//! - [`store`]: the [`Store`](store::Store) traits and their two backends,
//!   embedded SQLite and PostgreSQL (many nodes, one database), each behind a
//!   cargo feature of its name (both on by default).
//! - [`webhook_url`] and [`net`]: which URLs and addresses a webhook may reach (the
//!   SSRF rules).
//! - [`secret`]: webhook signing secrets and hashed API keys.
//! - [`retention`]: the background job that deletes old history in batches.
//! - [`id`]: time-ordered, prefixed ids and their types ([`TenantId`], [`WebhookId`], …)
//!   that keep one kind of id from being passed for another; [`page`]: cursor
//!   pagination over them.
//! - [`clock`]: millisecond "now" shared by both backends.
//! - [`trace_context`]: the publish's trace, stored with its event and
//!   continued by every attempt (cargo feature `opentelemetry`).
//! - [`error`] and [`validation`]: the engine's [`Error`] and the
//!   [`ValidationError`] every input check returns.
//!
//! # Quick start
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use hookwire::{model::WebhookDraft, store, Hookwire, Options};
//!
//! let store = store::open("sqlite://hookwire.db").await?;
//! let hookwire = Hookwire::new(store, Options::default());
//! let (tenant, _api_key) = hookwire.create_tenant("acme").await?;
//! let webhook = hookwire
//!     .create_webhook(
//!         &tenant.id,
//!         WebhookDraft {
//!             url: "https://example.com/hooks".into(),
//!             events: vec!["*".into()],
//!             ..Default::default()
//!         },
//!     )
//!     .await?;
//! println!("signing secret: {}", webhook.secret.expose());
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

pub mod clock;
pub mod delivery;
pub mod error;
pub mod id;
pub mod model;
pub mod net;
pub mod page;
pub mod pipeline;
pub mod retention;
pub mod secret;
pub mod service;
pub mod signer;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;
pub mod trace_context;
pub mod validation;
pub mod verify;
pub mod webhook_url;

pub use error::{Error, ValidationError};
pub use id::{ApiKeyId, DeliveryId, EventId, TenantId, WebhookId};
pub use pipeline::{Worker, WorkerOptions};
pub use service::{Hookwire, Options};
