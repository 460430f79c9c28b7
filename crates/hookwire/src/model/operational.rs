//! Operational events: hookwire's own events about every tenant, for the
//! operator's endpoints (operational webhooks).
//!
//! Operational webhooks are the webhooks of one reserved tenant,
//! [`OPERATOR_TENANT`] (made by a migration, left out of tenant listings, never
//! deleted), so their deliveries are signed, retried and kept like any other.
//! Nothing is emitted about that tenant's own webhooks: an operational endpoint
//! that fails cannot set off events about itself.

use serde_json::{json, Value};

use crate::id::TenantId;

/// The reserved tenant whose webhooks are the operational webhooks.
pub const OPERATOR_TENANT: &str = "tn_operator";

/// [`OPERATOR_TENANT`] as the id the library API takes.
pub fn operator_tenant() -> TenantId {
    TenantId::from(OPERATOR_TENANT)
}

/// One of hookwire's own events.
#[derive(Debug, Clone, PartialEq)]
pub struct OperationalEvent {
    /// `hookwire.webhook.disabled`, `hookwire.delivery.exhausted`,
    /// `hookwire.webhook.circuit_opened`,
    /// `hookwire.webhook.created|updated|deleted`.
    pub event_type: &'static str,
    /// The tenant it is about.
    pub tenant_id: TenantId,
    /// The event's `data`.
    pub data: Value,
}

impl OperationalEvent {
    /// A webhook was disabled, and why.
    pub fn webhook_disabled(tenant_id: &str, webhook_id: &str, url: &str, reason: &str) -> Self {
        Self::new(
            "hookwire.webhook.disabled",
            tenant_id,
            json!({ "tenant_id": tenant_id, "webhook_id": webhook_id, "url": url, "reason": reason }),
        )
    }

    /// A delivery failed its last attempt.
    pub fn delivery_exhausted(
        tenant_id: &str,
        webhook_id: &str,
        delivery_id: &str,
        event_id: &str,
        attempts: u32,
        last_error: Option<&str>,
    ) -> Self {
        Self::new(
            "hookwire.delivery.exhausted",
            tenant_id,
            json!({
                "tenant_id": tenant_id,
                "webhook_id": webhook_id,
                "delivery_id": delivery_id,
                "event_id": event_id,
                "attempts": attempts,
                "last_error": last_error,
            }),
        )
    }

    /// A webhook's circuit opened after its failures in a row: its
    /// deliveries wait, unattempted, until the first probe at
    /// `next_probe_at`.
    pub fn circuit_opened(
        tenant_id: &str,
        webhook_id: &str,
        url: &str,
        last_error: Option<&str>,
        next_probe_at: chrono::DateTime<chrono::Utc>,
    ) -> Self {
        Self::new(
            "hookwire.webhook.circuit_opened",
            tenant_id,
            json!({
                "tenant_id": tenant_id,
                "webhook_id": webhook_id,
                "url": url,
                "last_error": last_error,
                "next_probe_at": next_probe_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            }),
        )
    }

    /// A webhook was created, updated or deleted (`change` is the verb).
    pub fn webhook_changed(change: WebhookChange, tenant_id: &str, webhook_id: &str) -> Self {
        Self::new(
            change.event_type(),
            tenant_id,
            json!({ "tenant_id": tenant_id, "webhook_id": webhook_id }),
        )
    }

    /// An event about `tenant_id` (published into the operator tenant).
    fn new(event_type: &'static str, tenant_id: &str, data: Value) -> Self {
        Self {
            event_type,
            tenant_id: tenant_id.into(),
            data,
        }
    }
}

/// What happened to a webhook, for [`OperationalEvent::webhook_changed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookChange {
    /// Registered.
    Created,
    /// Changed (PATCH, PUT, enabled or disabled by hand).
    Updated,
    /// Deleted.
    Deleted,
}

impl WebhookChange {
    /// The operational event type of this change.
    fn event_type(self) -> &'static str {
        match self {
            WebhookChange::Created => "hookwire.webhook.created",
            WebhookChange::Updated => "hookwire.webhook.updated",
            WebhookChange::Deleted => "hookwire.webhook.deleted",
        }
    }
}
