//! The audit log's records: who (an [`Actor`]) did what (an [`AuditAction`]) to
//! which object, when. Entries name objects by id only — never a secret, a key
//! or a payload — so the log can be shown to whoever may read the tenant.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{clock, id};

/// How the one who made a change had signed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ActorType {
    /// The admin token (API or dashboard).
    Admin,
    /// A tenant's API key (API, or the dashboard signed in with it).
    ApiKey,
    /// A portal link's session.
    Portal,
}

impl ActorType {
    /// The stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            ActorType::Admin => "admin",
            ActorType::ApiKey => "api_key",
            ActorType::Portal => "portal",
        }
    }

    /// The type a stored name stands for.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "admin" => Some(ActorType::Admin),
            "api_key" => Some(ActorType::ApiKey),
            "portal" => Some(ActorType::Portal),
            _ => None,
        }
    }
}

/// Who made a change: the admin, a key (`key_…`) or a portal session (`ses_…`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Actor {
    /// How they had signed in.
    #[serde(rename = "type")]
    pub kind: ActorType,
    /// The key's or portal session's id; null for the admin.
    pub id: Option<String>,
}

impl Actor {
    /// The admin.
    pub fn admin() -> Self {
        Self {
            kind: ActorType::Admin,
            id: None,
        }
    }

    /// A tenant's API key, by id.
    pub fn api_key(key_id: impl Into<String>) -> Self {
        Self {
            kind: ActorType::ApiKey,
            id: Some(key_id.into()),
        }
    }

    /// A portal session, by id.
    pub fn portal(session_id: impl Into<String>) -> Self {
        Self {
            kind: ActorType::Portal,
            id: Some(session_id.into()),
        }
    }
}

/// What was done. The names are public API (`?action=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AuditAction {
    /// A tenant was created.
    #[serde(rename = "tenant.create")]
    TenantCreate,
    /// A tenant was deleted with all it owned.
    #[serde(rename = "tenant.delete")]
    TenantDelete,
    /// An API key was issued.
    #[serde(rename = "key.create")]
    KeyCreate,
    /// An API key was revoked.
    #[serde(rename = "key.revoke")]
    KeyRevoke,
    /// A webhook was registered.
    #[serde(rename = "webhook.create")]
    WebhookCreate,
    /// A webhook was changed (PATCH, PUT, enabled or disabled in the dashboard).
    #[serde(rename = "webhook.update")]
    WebhookUpdate,
    /// A webhook was deleted.
    #[serde(rename = "webhook.delete")]
    WebhookDelete,
    /// A webhook's signing secret was rotated.
    #[serde(rename = "webhook.rotate_secret")]
    WebhookRotateSecret,
    /// A portal link was made.
    #[serde(rename = "portal_session.create")]
    PortalSessionCreate,
    /// An event was delivered again.
    #[serde(rename = "event.replay")]
    EventReplay,
    /// Deliveries were queued again (one, a webhook's failed ones, or in bulk).
    #[serde(rename = "deliveries.retry")]
    DeliveriesRetry,
}

impl AuditAction {
    /// Every action, in the order the reference lists them.
    pub const ALL: [AuditAction; 11] = [
        AuditAction::TenantCreate,
        AuditAction::TenantDelete,
        AuditAction::KeyCreate,
        AuditAction::KeyRevoke,
        AuditAction::WebhookCreate,
        AuditAction::WebhookUpdate,
        AuditAction::WebhookDelete,
        AuditAction::WebhookRotateSecret,
        AuditAction::PortalSessionCreate,
        AuditAction::EventReplay,
        AuditAction::DeliveriesRetry,
    ];

    /// The action's name, as in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::TenantCreate => "tenant.create",
            AuditAction::TenantDelete => "tenant.delete",
            AuditAction::KeyCreate => "key.create",
            AuditAction::KeyRevoke => "key.revoke",
            AuditAction::WebhookCreate => "webhook.create",
            AuditAction::WebhookUpdate => "webhook.update",
            AuditAction::WebhookDelete => "webhook.delete",
            AuditAction::WebhookRotateSecret => "webhook.rotate_secret",
            AuditAction::PortalSessionCreate => "portal_session.create",
            AuditAction::EventReplay => "event.replay",
            AuditAction::DeliveriesRetry => "deliveries.retry",
        }
    }

    /// The action a name stands for.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == text)
    }
}

/// One change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// `aud_…`; time-ordered, so newest first is by id.
    pub id: String,
    /// When it was done.
    pub at: DateTime<Utc>,
    /// Who did it.
    pub actor: Actor,
    /// What was done.
    pub action: AuditAction,
    /// The tenant it concerns (null for changes to nothing a tenant owns).
    pub tenant_id: Option<String>,
    /// The object it concerns: a tenant, key, webhook, event, delivery or
    /// portal session id.
    pub target_id: Option<String>,
}

impl AuditEntry {
    /// A record of `action`, done now.
    pub fn new(
        actor: Actor,
        action: AuditAction,
        tenant_id: Option<&str>,
        target_id: Option<&str>,
    ) -> Self {
        Self {
            id: id::new_id(id::AUDIT),
            at: clock::now(),
            actor,
            action,
            tenant_id: tenant_id.map(str::to_owned),
            target_id: target_id.map(str::to_owned),
        }
    }
}

/// Which entries to list.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// One tenant's entries only (a tenant's view); `None`: all (the admin's).
    pub tenant_id: Option<String>,
    /// Only this action.
    pub action: Option<AuditAction>,
    /// Only entries at or after this time.
    pub since: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_reads_back_from_its_name_and_serializes_as_it() {
        for action in AuditAction::ALL {
            assert_eq!(AuditAction::parse(action.as_str()), Some(action));
            assert_eq!(
                serde_json::to_value(action).unwrap(),
                serde_json::json!(action.as_str())
            );
        }
        assert_eq!(AuditAction::parse("webhook.explode"), None);
        for kind in [ActorType::Admin, ActorType::ApiKey, ActorType::Portal] {
            assert_eq!(ActorType::parse(kind.as_str()), Some(kind));
        }
    }
}
