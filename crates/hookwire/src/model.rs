//! The domain objects hookwire stores and the rules their fields obey.
//!
//! Records (what is stored) are plain structs; client input arrives as a
//! `…Draft`/`…Patch` and becomes a record only through a `parse`/`validate`
//! function here, so the HTTP layer never decides what is valid.

mod api_key;
mod audit;
mod circuit;
mod dashboard_session;
mod delivery;
mod event;
mod event_type;
mod operational;
mod payload_filter;
mod retry;
mod tenant;
mod webhook;
mod webhook_input;

pub use api_key::{ApiKey, KeyDraft, KeySpec, Scope};
pub use audit::{Actor, ActorType, AuditAction, AuditEntry, AuditFilter};
pub use circuit::{
    Circuit, CircuitSettings, CircuitState, MAX_FAILURE_THRESHOLD, MAX_OPEN_SECONDS,
};
pub use dashboard_session::{
    DashboardSession, PortalDraft, SessionKind, PORTAL_DEFAULT_SECONDS, PORTAL_SECONDS,
    SIGN_IN_HOURS,
};
pub use delivery::{Attempt, Delivery, DeliveryStatus, FifoKey};
pub use event::{Event, NewEvent, IDEMPOTENCY_WINDOW_HOURS, MAX_ORDERING_KEY_CHARS};
pub use event_type::{EventFilter, EventType, EventTypeName};
pub use operational::{operator_tenant, OperationalEvent, WebhookChange, OPERATOR_TENANT};
pub use payload_filter::{FilterInput, PayloadFilter};
pub use retry::{RetryPolicy, RetryPolicyDraft};
pub use tenant::Tenant;
pub use webhook::{DeliveryOrder, Webhook};
pub use webhook_input::{WebhookDraft, WebhookPatch, WebhookSpec, MAX_RATE_LIMIT_PER_SECOND};

/// Deserialize a field that distinguishes "absent" (`None`) from "null"
/// (`Some(None)`), for PATCH bodies where `null` clears a value.
pub(crate) fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    use serde::Deserialize as _;
    Option::<T>::deserialize(d).map(Some)
}
